package e2etest

import (
	"fmt"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
)

// Account-wide quotas that GetAccountSummary reports are enforced with AWS's LimitExceeded messages and
// free up again on delete. (UsersPerAccount, 5,000, is left to the service's unit tests: filling it
// through the API would take most of this package's time budget.)
func TestIAMAccountQuotas(t *testing.T) {
	if testing.Short() {
		t.Skip("creates about 3,800 entities")
	}
	e := newIAMEnv(t)
	c, ctx := e.c, e.ctx
	// fill creates n entities with 8 concurrent clients.
	fill := func(what string, n int, create func(i int) error) {
		t.Helper()
		var wg sync.WaitGroup
		errs := make(chan error, n)
		next := make(chan int)
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range next {
					if err := create(i); err != nil {
						errs <- fmt.Errorf("%s %d: %w", what, i, err)
					}
				}
			}()
		}
		for i := range n {
			next <- i
		}
		close(next)
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
	}
	cases := []struct {
		kind, summaryKey string
		quota            int
		create           func(i int) error
		del              func(i int) error
		msg              string
	}{
		{"group", "Groups", 300,
			func(i int) error {
				return call(c.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String(fmt.Sprintf("g%04d", i))}))
			},
			func(i int) error {
				return call(c.DeleteGroup(ctx, &iam.DeleteGroupInput{GroupName: aws.String(fmt.Sprintf("g%04d", i))}))
			},
			"Cannot exceed quota for GroupsPerAccount: 300"},
		{"role", "Roles", 1000,
			func(i int) error {
				return call(c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(fmt.Sprintf("r%04d", i)), AssumeRolePolicyDocument: aws.String(trustEC2)}))
			},
			func(i int) error {
				return call(c.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String(fmt.Sprintf("r%04d", i))}))
			},
			"Cannot exceed quota for RolesPerAccount: 1000"},
		{"policy", "Policies", 1500,
			func(i int) error {
				return call(c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String(fmt.Sprintf("p%04d", i)), PolicyDocument: aws.String(docAllow("s3:*", "*"))}))
			},
			func(i int) error {
				return call(c.DeletePolicy(ctx, &iam.DeletePolicyInput{PolicyArn: aws.String(arn(fmt.Sprintf("policy/p%04d", i)))}))
			},
			"Cannot exceed quota for PoliciesPerAccount: 1500"},
		{"instance profile", "InstanceProfiles", 1000,
			func(i int) error {
				return call(c.CreateInstanceProfile(ctx, &iam.CreateInstanceProfileInput{InstanceProfileName: aws.String(fmt.Sprintf("ip%04d", i))}))
			},
			func(i int) error {
				return call(c.DeleteInstanceProfile(ctx, &iam.DeleteInstanceProfileInput{InstanceProfileName: aws.String(fmt.Sprintf("ip%04d", i))}))
			},
			"Cannot exceed quota for InstanceProfilesPerAccount: 1000"},
	}
	for _, q := range cases {
		t.Run(q.kind, func(t *testing.T) {
			fill(q.kind, q.quota, q.create)
			sm := must[*iam.GetAccountSummaryOutput](t, "GetAccountSummary")(c.GetAccountSummary(ctx, &iam.GetAccountSummaryInput{})).SummaryMap
			if int(sm[q.summaryKey]) != q.quota {
				t.Fatalf("summary %s = %d, want %d", q.summaryKey, sm[q.summaryKey], q.quota)
			}
			wantError(t, "one more "+q.kind, q.create(q.quota), "LimitExceeded", 409, q.msg)
			ok(t, "delete one", q.del(0))
			ok(t, "create after delete", q.create(q.quota))
		})
	}
}
