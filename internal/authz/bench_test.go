package authz

import (
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/iamd/iamd/internal/api/iamapi"
)

// benchPolicies attaches 10 customer managed policies of 20 statements each to user, in the shapes real
// policies have (service wildcards, exact actions, ARNs with wildcards, conditions, a variable). One
// statement of the last policy allows iam:GetUser on the caller's own user.
func (f *fixture) benchPolicies(user string) {
	services := []string{"ec2", "s3", "dynamodb", "sqs", "sns", "lambda", "logs", "cloudwatch", "kms", "iam"}
	for p := 0; p < 10; p++ {
		var stmts []string
		for s := 0; s < 20; s++ {
			svc := services[(p+s)%len(services)]
			var st string
			switch s % 5 {
			case 0:
				st = fmt.Sprintf(`{"Effect":"Allow","Action":["%s:Describe*","%s:List*"],"Resource":"*"}`, svc, svc)
			case 1:
				st = fmt.Sprintf(`{"Effect":"Allow","Action":"%s:Put%d","Resource":"%s"}`, svc, s, benchARN(svc, "*", "123456789012", fmt.Sprintf("thing-%d/*", p)))
			case 2:
				st = fmt.Sprintf(`{"Effect":"Allow","Action":"%s:Create*","Resource":"%s","Condition":{"StringEquals":{"aws:RequestedRegion":"us-east-1"}}}`, svc, benchARN(svc, "us-east-1", "123456789012", "${aws:username}/*"))
			case 3:
				st = fmt.Sprintf(`{"Effect":"Deny","Action":"%s:Delete*","Resource":"*","Condition":{"BoolIfExists":{"aws:MultiFactorAuthPresent":"false"}}}`, svc)
			default:
				st = fmt.Sprintf(`{"Effect":"Allow","NotAction":"%s:*","Resource":"%s","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}`, svc, benchARN(svc, "", "", fmt.Sprintf("bucket-%d", p)))
			}
			if p == 9 && s == 19 {
				st = `{"Effect":"Allow","Action":"iam:GetUser","Resource":"arn:aws:iam::123456789012:user/*${aws:username}"}`
			}
			stmts = append(stmts, st)
		}
		doc := `{"Version":"2012-10-17","Statement":[` + strings.Join(stmts, ",") + `]}`
		name := fmt.Sprintf("bench-%d", p)
		must[*iamapi.CreatePolicyResponse](f.t)(f.iam.CreatePolicy(f.root(), &iamapi.CreatePolicyRequest{PolicyName: &name, PolicyDocument: &doc}))
		must[*iamapi.AttachUserPolicyOutput](f.t)(f.iam.AttachUserPolicy(f.root(), &iamapi.AttachUserPolicyRequest{UserName: &user,
			PolicyArn: s("arn:aws:iam::123456789012:policy/" + name)}))
	}
}

func TestBenchFixtureAllows(t *testing.T) {
	f := newFixture(t)
	f.setup()
	f.benchPolicies("alice")
	ctx := f.ctx(userCaller("alice", "/eng/"))
	if err := f.az.Authorize(ctx, op(t, iamapi.Operations, "GetUser"), &iamapi.GetUserRequest{UserName: s("alice")}); err != nil {
		t.Fatal(err)
	}
	if err := f.az.Authorize(ctx, op(t, iamapi.Operations, "GetUser"), &iamapi.GetUserRequest{UserName: s("bob")}); err == nil {
		t.Fatal("GetUser of another user allowed")
	}
}

// BenchmarkAuthorize10x20 is the authorization of one request (action, resource, context, evaluation)
// for a principal with 10 managed policies of 20 statements each, with warm caches. Target: < 10 µs.
func BenchmarkAuthorize10x20(b *testing.B) {
	f := newFixture(b)
	f.setup()
	f.benchPolicies("alice")
	ctx := f.ctx(userCaller("alice", "/eng/"))
	getUser := op(b, iamapi.Operations, "GetUser")
	in := &iamapi.GetUserRequest{UserName: s("alice")}
	if err := f.az.Authorize(ctx, getUser, in); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	cpu := cpuTime()
	for b.Loop() {
		if err := f.az.Authorize(ctx, getUser, in); err != nil {
			b.Fatal(err)
		}
	}
	reportCPU(b, cpu)
}

// cpuTime is the CPU time (user + system) the process has used. On a shared, loaded machine ns/op is
// wall time and includes waiting for a core; CPU time per operation is what the code costs.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func reportCPU(b *testing.B, start time.Duration) {
	if b.N > 0 {
		b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op")
	}
}

// BenchmarkAuthorizeDenied is the same principal denied (the message is built).
func BenchmarkAuthorizeDenied(b *testing.B) {
	f := newFixture(b)
	f.setup()
	f.benchPolicies("alice")
	ctx := f.ctx(userCaller("alice", "/eng/"))
	createUser := op(b, iamapi.Operations, "CreateUser")
	in := &iamapi.CreateUserRequest{UserName: s("zed")}
	b.ReportAllocs()
	cpu := cpuTime()
	for b.Loop() {
		if err := f.az.Authorize(ctx, createUser, in); err == nil {
			b.Fatal("allowed")
		}
	}
	reportCPU(b, cpu)
}

// benchARN is an ARN of svc as IAM accepts it in a policy: S3 and IAM ARNs have no region, and IAM's
// name a resource type.
func benchARN(svc, region, account, resource string) string {
	switch svc {
	case "s3":
		region = ""
	case "iam":
		region, resource = "", "user/"+resource
	}
	return "arn:aws:" + svc + ":" + region + ":" + account + ":" + resource
}
