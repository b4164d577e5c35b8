package e2etest

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
)

// Policy documents sent through the SDK get IAM's MalformedPolicyDocument answers stage by stage, with the
// rules of the operation's kind of document: managed (CreatePolicy), inline (PutUserPolicy) and trust
// (CreateRole, UpdateAssumeRolePolicy). The documents and messages are among those checked against AWS
// (internal/policy/checked_test.go).
func TestPolicyDocumentStagesThroughSDK(t *testing.T) {
	e := newIAMEnv(t)
	c, ctx := e.c, e.ctx
	must[*iam.CreateUserOutput](t, "CreateUser")(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("u")}))
	must[*iam.CreateRoleOutput](t, "CreateRole")(c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("r"), AssumeRolePolicyDocument: aws.String(
		`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}}`)}))

	const (
		v  = `"Version":"2012-10-17",`
		ok = `"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::example_bucket"`
	)
	managed := func(doc string) func() error {
		return func() error {
			return call(c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("p"), PolicyDocument: aws.String(doc)}))
		}
	}
	inline := func(doc string) func() error {
		return func() error {
			return call(c.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("u"), PolicyName: aws.String("p"), PolicyDocument: aws.String(doc)}))
		}
	}
	trust := func(doc string) func() error {
		return func() error {
			return call(c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("t"), AssumeRolePolicyDocument: aws.String(doc)}))
		}
	}
	updateTrust := func(doc string) func() error {
		return func() error {
			return call(c.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String("r"), PolicyDocument: aws.String(doc)}))
		}
	}
	const bad = "MalformedPolicyDocument"
	runErrCases(t, []errCase{
		{"managed not JSON", managed(`This is not a json document`), bad, 400, "Syntax errors in policy."},
		{"managed unknown element", managed(`{` + v + `"Statement":{` + ok + `,"Extra field":"value"}}`), bad, 400, "Syntax errors in policy."},
		{"managed without Effect", managed(`{` + v + `"Statement":{"Action":"s3:ListBucket","Resource":"*"}}`), bad, 400, "Syntax errors in policy."},
		{"managed without Version", managed(`{"Statement":{` + ok + `}}`), bad, 400, "Policy document must be version 2012-10-17 or greater."},
		{"managed 2008-10-17", managed(`{"Version":"2008-10-17","Statement":{` + ok + `}}`), bad, 400, "Policy document must be version 2012-10-17 or greater."},
		{"managed Effect case", managed(`{` + v + `"Statement":{"Effect":"denY","Action":"s3:ListBucket","Resource":"*"}}`), bad, 400, "The policy failed legacy parsing"},
		{"managed short ARN", managed(`{` + v + `"Statement":{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3::example_bucket"}}`), bad, 400, "The policy failed legacy parsing"},
		{"managed Sids", managed(`{` + v + `"Statement":[{"Sid":"sdf",` + ok + `},{"Sid":"sdf","Effect":"Allow"}]}`), bad, 400, "Statement IDs (SID) in a single policy must be unique."},
		{"managed without actions", managed(`{` + v + `"Statement":{"Effect":"Allow","Resource":"*"}}`), bad, 400, "Policy statement must contain actions."},
		{"managed partition", managed(`{` + v + `"Statement":{"Effect":"Allow","NotAction":"s3s:ListBucket","Resource":"a:b:cadfsdf"}}`), bad, 400, `Partition "b" is not valid for resource "arn:b:cadfsdf:*:*:*".`},
		{"managed IAM region", managed(`{` + v + `"Statement":{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:iam:us-east-1::example_bucket"}}`), bad, 400, "IAM resource arn:aws:iam:us-east-1::example_bucket cannot contain region information."},
		{"managed vendor", managed(`{` + v + `"Statement":{"Effect":"Allow","Action":"invalid","Resource":"*"}}`), bad, 400, "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."},
		{"inline 2008-10-17", inline(`{"Version":"2008-10-17","Statement":{` + ok + `}}`), bad, 400, "Policy document must be version 2012-10-17 or greater."},
		{"inline Date value", inline(`{` + v + `"Statement":{` + ok + `,"Condition":{"DateGreaterThan":{"a":"sdfdsf"}}}}`), bad, 400, "The policy failed legacy parsing"},
		{"inline without resources", inline(`{` + v + `"Statement":{"Effect":"Allow","Action":"s3:ListBucket"}}`), bad, 400, "Policy statement must contain resources."},
		{"trust not JSON", trust(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow",}]}`), bad, 400, "This policy contains invalid Json"},
		{"trust unknown element", trust(`{` + v + `"Statement":{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole","Foo":1}}`), bad, 400, "Syntax errors in policy."},
		{"trust without principal", trust(`{` + v + `"Statement":{"Effect":"Allow","Action":"sts:AssumeRole"}}`), bad, 400,
			"Invalid principal in policy: com.amazon.balsa.error.InvalidPolicyException: The passed in policy has a statement with no principals!"},
		{"trust with Resource", updateTrust(`{` + v + `"Statement":{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole","Resource":"arn:aws:s3:::example_bucket"}}`), bad, 400, "Has prohibited field Resource"},
		{"update trust not JSON", updateTrust(`new policy`), bad, 400, "This policy contains invalid Json"},
	})

	// What IAM accepts: condition keys without a vendor, an unknown operator with an empty block, a dot in
	// an action's vendor; trust policies of Version 2008-10-17.
	for name, f := range map[string]func() error{
		"managed relaxed": managed(`{` + v + `"Statement":{"Effect":"Allow","Action":"s3.s:ListBucket","Resource":"arn:aws:s3:::example_bucket","Condition":{"DateGreaterThan":{"a":"2017-07-01T00:00:00Z"},"x":{}}}}`),
		"inline relaxed":  inline(`{` + v + `"Statement":{"Effect":"Allow","Action":"s3:ListBucket","Resource":["arn:aws:s3:::example_bucket",null],"Condition":{"StringEquals":{"a":"b"}}}}`),
		"trust 2008":      trust(`{"Version":"2008-10-17","Statement":{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}}`),
	} {
		if err := f(); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}
