package e2etest

import (
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
)

// inlineOps is one owner kind's four inline policy operations.
type inlineOps struct {
	kind, owner string
	quota       int
	put         func(owner, name, doc string) error
	get         func(owner, name string) (ownerOut, nameOut, doc string, err error)
	del         func(owner, name string) error
	list        func(owner string, marker *string, max *int32) ([]string, bool, *string, error)
}

// Inline policies of users, groups and roles through the SDK: URL-encoded documents, replacement,
// listing, the aggregate size quotas and every error path.
func TestIAMInlinePolicies(t *testing.T) {
	e := newIAMEnv(t)
	c, ctx := e.c, e.ctx
	must[*iam.CreateUserOutput](t, "CreateUser")(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("u")}))
	must[*iam.CreateGroupOutput](t, "CreateGroup")(c.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("g")}))
	must[*iam.CreateRoleOutput](t, "CreateRole")(c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("r"), AssumeRolePolicyDocument: aws.String(trustEC2)}))

	kinds := []inlineOps{
		{kind: "user", owner: "u", quota: 2048,
			put: func(o, n, d string) error {
				return call(c.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String(o), PolicyName: aws.String(n), PolicyDocument: aws.String(d)}))
			},
			get: func(o, n string) (string, string, string, error) {
				out, err := c.GetUserPolicy(ctx, &iam.GetUserPolicyInput{UserName: aws.String(o), PolicyName: aws.String(n)})
				if err != nil {
					return "", "", "", err
				}
				return aws.ToString(out.UserName), aws.ToString(out.PolicyName), aws.ToString(out.PolicyDocument), nil
			},
			del: func(o, n string) error {
				return call(c.DeleteUserPolicy(ctx, &iam.DeleteUserPolicyInput{UserName: aws.String(o), PolicyName: aws.String(n)}))
			},
			list: func(o string, m *string, n *int32) ([]string, bool, *string, error) {
				out, err := c.ListUserPolicies(ctx, &iam.ListUserPoliciesInput{UserName: aws.String(o), Marker: m, MaxItems: n})
				if err != nil {
					return nil, false, nil, err
				}
				return out.PolicyNames, out.IsTruncated, out.Marker, nil
			}},
		{kind: "group", owner: "g", quota: 5120,
			put: func(o, n, d string) error {
				return call(c.PutGroupPolicy(ctx, &iam.PutGroupPolicyInput{GroupName: aws.String(o), PolicyName: aws.String(n), PolicyDocument: aws.String(d)}))
			},
			get: func(o, n string) (string, string, string, error) {
				out, err := c.GetGroupPolicy(ctx, &iam.GetGroupPolicyInput{GroupName: aws.String(o), PolicyName: aws.String(n)})
				if err != nil {
					return "", "", "", err
				}
				return aws.ToString(out.GroupName), aws.ToString(out.PolicyName), aws.ToString(out.PolicyDocument), nil
			},
			del: func(o, n string) error {
				return call(c.DeleteGroupPolicy(ctx, &iam.DeleteGroupPolicyInput{GroupName: aws.String(o), PolicyName: aws.String(n)}))
			},
			list: func(o string, m *string, n *int32) ([]string, bool, *string, error) {
				out, err := c.ListGroupPolicies(ctx, &iam.ListGroupPoliciesInput{GroupName: aws.String(o), Marker: m, MaxItems: n})
				if err != nil {
					return nil, false, nil, err
				}
				return out.PolicyNames, out.IsTruncated, out.Marker, nil
			}},
		{kind: "role", owner: "r", quota: 10240,
			put: func(o, n, d string) error {
				return call(c.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(o), PolicyName: aws.String(n), PolicyDocument: aws.String(d)}))
			},
			get: func(o, n string) (string, string, string, error) {
				out, err := c.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: aws.String(o), PolicyName: aws.String(n)})
				if err != nil {
					return "", "", "", err
				}
				return aws.ToString(out.RoleName), aws.ToString(out.PolicyName), aws.ToString(out.PolicyDocument), nil
			},
			del: func(o, n string) error {
				return call(c.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: aws.String(o), PolicyName: aws.String(n)}))
			},
			list: func(o string, m *string, n *int32) ([]string, bool, *string, error) {
				out, err := c.ListRolePolicies(ctx, &iam.ListRolePoliciesInput{RoleName: aws.String(o), Marker: m, MaxItems: n})
				if err != nil {
					return nil, false, nil, err
				}
				return out.PolicyNames, out.IsTruncated, out.Marker, nil
			}},
	}
	docA := docAllow("s3:GetObject", "*")
	docB := `{
  "Version": "2012-10-17",
  "Statement": [ { "Effect": "Allow", "Action": ["ec2:Describe*"], "Resource": "*", "Condition": {"StringEquals": {"aws:RequestedRegion": "eu-west-1"}} } ]
}`
	for _, k := range kinds {
		t.Run(k.kind, func(t *testing.T) {
			ok(t, "put A", k.put(k.owner, "A", docA))
			ok(t, "put B", k.put(strings.ToUpper(k.owner), "B", docB))
			o, n, d, err := k.get(k.owner, "B")
			ok(t, "get B", err)
			// The document comes back URL-encoded with its whitespace and newlines, as it was put.
			if o != k.owner || n != "B" || !strings.Contains(d, "%0A") {
				t.Fatalf("get B: %q %q %q", o, n, d)
			}
			if got := decoded(t, &d); got != docB {
				t.Fatalf("get B document %q", got)
			}
			ok(t, "replace A", k.put(k.owner, "A", docB))
			if _, _, d, _ := k.get(k.owner, "A"); decoded(t, &d) != docB {
				t.Fatalf("A not replaced: %q", decoded(t, &d))
			}
			for i := range 3 {
				ok(t, "put", k.put(k.owner, fmt.Sprintf("C%d", i), docA))
			}
			names, pages := walk(t, 2, func(m *string, n int32) ([]string, bool, *string, error) { return k.list(k.owner, m, aws.Int32(n)) })
			if pages != 3 || strings.Join(names, ",") != "A,B,C0,C1,C2" {
				t.Fatalf("list: %d pages %v", pages, names)
			}
			ok(t, "delete C1", k.del(k.owner, "C1"))
			wantError(t, "delete C1 again", k.del(k.owner, "C1"), "NoSuchEntity", 404, "The "+k.kind+" policy with name C1 cannot be found.")
			_, _, _, err = k.get(k.owner, "C1")
			wantError(t, "get deleted", err, "NoSuchEntity", 404, "The "+k.kind+" policy with name C1 cannot be found.")
			_, _, _, err = k.get("ghost", "A")
			wantError(t, "get for missing owner", err, "NoSuchEntity", 404, "The "+k.kind+" with name ghost cannot be found.")
			wantError(t, "put to missing owner", k.put("ghost", "A", docA), "NoSuchEntity", 404, "The "+k.kind+" with name ghost cannot be found.")
			wantError(t, "delete for missing owner", k.del("ghost", "A"), "NoSuchEntity", 404, "The "+k.kind+" with name ghost cannot be found.")
			_, _, _, err = k.list("ghost", nil, nil)
			wantError(t, "list for missing owner", err, "NoSuchEntity", 404, "The "+k.kind+" with name ghost cannot be found.")
			wantError(t, "put with principal", k.put(k.owner, "P", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"s3:*","Resource":"*"}]}`),
				"MalformedPolicyDocument", 400, "Policy document should not specify a principal.")
			wantError(t, "put without resource", k.put(k.owner, "P", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*"}]}`),
				"MalformedPolicyDocument", 400, "Policy statement must contain resources.")
			wantError(t, "put without effect", k.put(k.owner, "P", `{"Version":"2012-10-17","Statement":[{"Action":"s3:*","Resource":"*"}]}`),
				"MalformedPolicyDocument", 400, "Syntax errors in policy.")
			wantError(t, "put bad name", k.put(k.owner, "a b", docA), "ValidationError", 400,
				validation("a b", "policyName", `Member must satisfy regular expression pattern: [\w+=,.@-]+`))
			// The quota counts every inline policy of the owner together; whitespace is not counted, so
			// pad inside a string.
			big := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::` + strings.Repeat("x", k.quota-150) + `"}]}`
			wantError(t, "aggregate over quota", k.put(k.owner, "Big", big), "LimitExceeded", 409,
				fmt.Sprintf("Maximum policy size of %d bytes exceeded for %s %s", k.quota, k.kind, k.owner))
			for _, n := range []string{"A", "B", "C0", "C2"} {
				ok(t, "delete "+n, k.del(k.owner, n))
			}
			ok(t, "put big alone", k.put(k.owner, "Big", big))
			ok(t, "delete big", k.del(k.owner, "Big"))
			if names, _, _, _ := k.list(k.owner, nil, nil); len(names) != 0 {
				t.Fatalf("left: %v", names)
			}
		})
	}
	// A service-linked role's inline policies are AWS's.
	slr := aws.ToString(must[*iam.CreateServiceLinkedRoleOutput](t, "CreateServiceLinkedRole")(c.CreateServiceLinkedRole(ctx,
		&iam.CreateServiceLinkedRoleInput{AWSServiceName: aws.String("rds.amazonaws.com")})).Role.RoleName)
	wantError(t, "PutRolePolicy SLR", call(c.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(slr), PolicyName: aws.String("x"), PolicyDocument: aws.String(docA)})),
		"UnmodifiableEntity", 400, "Cannot perform the operation on the protected role '"+slr+"' - this role is only modifiable by AWS")
	must[*iam.ListRolePoliciesOutput](t, "ListRolePolicies SLR")(c.ListRolePolicies(ctx, &iam.ListRolePoliciesInput{RoleName: aws.String(slr)}))
}
