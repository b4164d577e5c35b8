package iam

import (
	"encoding/base64"
	"fmt"
	"strings"
	"testing"

	"github.com/iamd/iamd/internal/api/iamapi"
	"github.com/iamd/iamd/internal/policy"
)

// decisions flattens a simulation into "action resource decision" lines.
func decisions(out *iamapi.SimulatePolicyResponse) string {
	var b []string
	for _, r := range out.EvaluationResults {
		b = append(b, str(r.EvalActionName)+" "+str(r.EvalResourceName)+" "+str(r.EvalDecision))
	}
	return strings.Join(b, "\n")
}

func statements(ss []iamapi.Statement) string {
	var b []string
	for _, s := range ss {
		b = append(b, fmt.Sprintf("%s/%s %d:%d-%d:%d", str(s.SourcePolicyId), str(s.SourcePolicyType),
			*s.StartPosition.Line, *s.StartPosition.Column, *s.EndPosition.Line, *s.EndPosition.Column))
	}
	return strings.Join(b, ",")
}

const simDoc = `{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Action": ["s3:Get*", "iam:GetUser"],
      "Resource": "*"
    },
    {
      "Effect": "Deny",
      "Action": "s3:GetObject",
      "Resource": "arn:aws:s3:::secret/*"
    },
    {
      "Effect": "Allow",
      "Action": "s3:PutObject",
      "Resource": "arn:aws:s3:::b/${aws:username}/*",
      "Condition": {"StringEquals": {"s3:x-amz-acl": "private"}}
    }
  ]
}`

func TestSimulateCustomPolicy(t *testing.T) {
	f := newFixture(t)
	out := must(f.svc.SimulateCustomPolicy(f.root(), &iamapi.SimulateCustomPolicyRequest{
		PolicyInputList: []string{simDoc},
		ActionNames:     []string{"s3:GetObject", "s3:PutObject", "ec2:RunInstances"},
		ResourceArns:    []string{"arn:aws:s3:::public/a", "arn:aws:s3:::secret/a", "arn:aws:s3:::b/alice/k"},
		ContextEntries: []iamapi.ContextEntry{{ContextKeyName: ptr("aws:username"), ContextKeyValues: []string{"alice"},
			ContextKeyType: ptr("string")}},
	}))(t)
	want := `s3:GetObject arn:aws:s3:::public/a allowed
s3:GetObject arn:aws:s3:::secret/a explicitDeny
s3:GetObject arn:aws:s3:::b/alice/k allowed
s3:PutObject arn:aws:s3:::public/a implicitDeny
s3:PutObject arn:aws:s3:::secret/a implicitDeny
s3:PutObject arn:aws:s3:::b/alice/k implicitDeny
ec2:RunInstances arn:aws:s3:::public/a implicitDeny
ec2:RunInstances arn:aws:s3:::secret/a implicitDeny
ec2:RunInstances arn:aws:s3:::b/alice/k implicitDeny`
	if got := decisions(out); got != want {
		t.Fatalf("decisions:\n%s\nwant:\n%s", got, want)
	}
	if *out.IsTruncated || out.Marker != nil {
		t.Fatal("truncated")
	}
	r := out.EvaluationResults[0]
	if got := statements(r.MatchedStatements); got != "PolicyInputList.1/none 4:5-8:6" {
		t.Errorf("allowed matched %s", got)
	}
	if got := statements(out.EvaluationResults[1].MatchedStatements); got != "PolicyInputList.1/none 9:5-13:6" {
		t.Errorf("denied matched %s", got)
	}
	if len(r.ResourceSpecificResults) != 1 || str(r.ResourceSpecificResults[0].EvalResourceDecision) != "allowed" ||
		str(r.ResourceSpecificResults[0].EvalResourceName) != "arn:aws:s3:::public/a" {
		t.Errorf("resource specific results %+v", r.ResourceSpecificResults)
	}
	if r.EvalDecisionDetails == nil || len(r.EvalDecisionDetails) != 0 || r.PermissionsBoundaryDecisionDetail != nil {
		t.Errorf("details %+v %+v", r.EvalDecisionDetails, r.PermissionsBoundaryDecisionDetail)
	}
	// The PutObject statement's condition key was not given.
	if got := strings.Join(out.EvaluationResults[5].MissingContextValues, ","); got != "s3:x-amz-acl" {
		t.Errorf("missing %q", got)
	}
	if m := out.EvaluationResults[6].MissingContextValues; m == nil || len(m) != 0 {
		t.Errorf("missing for an unrelated action: %#v", m)
	}

	// With the key, PutObject is allowed; without aws:username, the variable is reported missing.
	out = must(f.svc.SimulateCustomPolicy(f.root(), &iamapi.SimulateCustomPolicyRequest{
		PolicyInputList: []string{simDoc}, ActionNames: []string{"s3:PutObject"}, ResourceArns: []string{"arn:aws:s3:::b/alice/k"},
		ContextEntries: []iamapi.ContextEntry{{ContextKeyName: ptr("S3:x-amz-acl"), ContextKeyValues: []string{"private"}}},
	}))(t)
	if got := decisions(out); got != "s3:PutObject arn:aws:s3:::b/alice/k implicitDeny" {
		t.Errorf("without aws:username: %s", got)
	}
	if got := strings.Join(out.EvaluationResults[0].MissingContextValues, ","); got != "aws:username" {
		t.Errorf("missing %q", got)
	}

	// No ResourceArns: one result per action on "*", without resource-specific results.
	out = must(f.svc.SimulateCustomPolicy(f.root(), &iamapi.SimulateCustomPolicyRequest{
		PolicyInputList: []string{simDoc}, ActionNames: []string{"iam:GetUser", "iam:CreateUser"},
	}))(t)
	if got := decisions(out); got != "iam:GetUser * allowed\niam:CreateUser * implicitDeny" {
		t.Errorf("on *: %s", got)
	}
	if out.EvaluationResults[0].ResourceSpecificResults != nil || out.EvaluationResults[0].EvalDecisionDetails != nil {
		t.Error("resource-specific results without ResourceArns")
	}
}

func TestSimulateBoundaryAndPagination(t *testing.T) {
	f := newFixture(t)
	boundary := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`
	admin := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`
	in := &iamapi.SimulateCustomPolicyRequest{
		PolicyInputList: []string{admin}, PermissionsBoundaryPolicyInputList: []string{boundary},
		ActionNames: []string{"s3:GetObject", "iam:CreateUser", "ec2:RunInstances"}, MaxItems: ptr(int32(2)),
	}
	out := must(f.svc.SimulateCustomPolicy(f.root(), in))(t)
	if got := decisions(out); got != "s3:GetObject * allowed\niam:CreateUser * implicitDeny" || !*out.IsTruncated || out.Marker == nil {
		t.Fatalf("page 1: %s truncated=%v", got, *out.IsTruncated)
	}
	if d := out.EvaluationResults[0].PermissionsBoundaryDecisionDetail; d == nil || !*d.AllowedByPermissionsBoundary {
		t.Error("boundary detail of an allowed action")
	}
	if d := out.EvaluationResults[1].PermissionsBoundaryDecisionDetail; d == nil || *d.AllowedByPermissionsBoundary {
		t.Error("boundary detail of a cut action")
	}
	in.Marker = out.Marker
	out = must(f.svc.SimulateCustomPolicy(f.root(), in))(t)
	if got := decisions(out); got != "ec2:RunInstances * implicitDeny" || *out.IsTruncated {
		t.Fatalf("page 2: %s", got)
	}
	in.Marker = ptr("bogus!")
	_, err := f.svc.SimulateCustomPolicy(f.root(), in)
	assertAPIError(t, err, "InvalidInput", 400, "Invalid Marker.")
}

func TestSimulateResourcePolicy(t *testing.T) {
	f := newFixture(t)
	identity := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sqs:SendMessage","Resource":"*"}]}`
	resource := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:user/alice"},"Action":"sqs:*","Resource":"*"}]}`
	// Cross-account: both sides must allow.
	out := must(f.svc.SimulateCustomPolicy(f.root(), &iamapi.SimulateCustomPolicyRequest{
		PolicyInputList: []string{identity}, ResourcePolicy: ptr(resource),
		CallerArn: ptr("arn:aws:iam::123456789012:user/alice"), ResourceOwner: ptr("arn:aws:iam::210987654321:root"),
		ActionNames: []string{"sqs:SendMessage", "sqs:DeleteQueue"}, ResourceArns: []string{"arn:aws:sqs:us-east-1:210987654321:q"},
	}))(t)
	if got := decisions(out); got != "sqs:SendMessage arn:aws:sqs:us-east-1:210987654321:q allowed\nsqs:DeleteQueue arn:aws:sqs:us-east-1:210987654321:q implicitDeny" {
		t.Fatalf("cross-account: %s", got)
	}
	if got := out.EvaluationResults[1].EvalDecisionDetails; got["IAM Policy"] != "implicitDeny" || got["Resource Policy"] != "allowed" {
		t.Errorf("details %v", got)
	}
	if got := statements(out.EvaluationResults[0].MatchedStatements); !strings.Contains(got, "ResourcePolicy/resource") {
		t.Errorf("matched %s", got)
	}
	// Same account: the resource policy naming the caller allows on its own.
	out = must(f.svc.SimulateCustomPolicy(f.root(), &iamapi.SimulateCustomPolicyRequest{
		PolicyInputList: []string{identity}, ResourcePolicy: ptr(resource), CallerArn: ptr("arn:aws:iam::123456789012:user/alice"),
		ActionNames: []string{"sqs:DeleteQueue"}, ResourceArns: []string{"arn:aws:sqs:us-east-1:123456789012:q"},
	}))(t)
	if got := decisions(out); got != "sqs:DeleteQueue arn:aws:sqs:us-east-1:123456789012:q allowed" {
		t.Fatalf("same account: %s", got)
	}
	_, err := f.svc.SimulateCustomPolicy(f.root(), &iamapi.SimulateCustomPolicyRequest{
		PolicyInputList: []string{identity}, ResourcePolicy: ptr(resource), ActionNames: []string{"sqs:SendMessage"}})
	assertAPIError(t, err, "InvalidInput", 400, "CallerArn must be specified when a ResourcePolicy is given.")
}

func TestSimulateInputErrors(t *testing.T) {
	f := newFixture(t)
	ok := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`
	cases := []struct {
		in  *iamapi.SimulateCustomPolicyRequest
		msg string
	}{
		{&iamapi.SimulateCustomPolicyRequest{PolicyInputList: []string{`{"Statement":`}, ActionNames: []string{"a:b"}},
			"Syntax errors in policy. (PolicyInputList.1)"},
		{&iamapi.SimulateCustomPolicyRequest{PolicyInputList: []string{ok}, ActionNames: []string{"a:b"},
			ContextEntries: []iamapi.ContextEntry{{ContextKeyName: ptr("aws:SourceIp"), ContextKeyValues: []string{"nope"}, ContextKeyType: ptr("ip")}}},
			"Invalid value nope for context key aws:SourceIp of type ip."},
		{&iamapi.SimulateCustomPolicyRequest{PolicyInputList: []string{ok}, ActionNames: []string{"a:b"},
			ContextEntries: []iamapi.ContextEntry{{ContextKeyName: ptr("n"), ContextKeyValues: []string{"1", "2"}, ContextKeyType: ptr("numeric")}}},
			"Context key n of type numeric accepts only one value."},
		{&iamapi.SimulateCustomPolicyRequest{PolicyInputList: []string{ok}, ActionNames: []string{"a:b"}, ResourceHandlingOption: ptr("EC2-Mars")},
			"Invalid ResourceHandlingOption: EC2-Mars."},
		{&iamapi.SimulateCustomPolicyRequest{PolicyInputList: []string{ok}, ActionNames: []string{"a:b"},
			PermissionsBoundaryPolicyInputList: []string{ok, ok}}, "PermissionsBoundaryPolicyInputList can contain only one policy."},
		{&iamapi.SimulateCustomPolicyRequest{PolicyInputList: []string{ok}, ActionNames: []string{"a:b"}, CallerArn: ptr("arn:aws:iam::123456789012:role/r")},
			"Invalid CallerArn: arn:aws:iam::123456789012:role/r. CallerArn must be the ARN of an IAM user."},
	}
	for _, c := range cases {
		_, err := f.svc.SimulateCustomPolicy(f.root(), c.in)
		assertAPIError(t, err, "InvalidInput", 400, c.msg)
	}
	many := make([]string, 101)
	for i := range many {
		many[i] = fmt.Sprintf("s3:A%d", i)
	}
	res := make([]string, 100)
	for i := range res {
		res[i] = fmt.Sprintf("arn:aws:s3:::b%d", i)
	}
	_, err := f.svc.SimulateCustomPolicy(f.root(), &iamapi.SimulateCustomPolicyRequest{PolicyInputList: []string{ok}, ActionNames: many, ResourceArns: res})
	assertAPIError(t, err, "InvalidInput", 400, "A simulation can evaluate at most 10000 action and resource combinations.")
}

// The principal's own policies, reported under their names and source types, with its boundary.
func TestSimulatePrincipalPolicy(t *testing.T) {
	f := newFixture(t)
	root := f.root()
	must(f.svc.CreateUser(root, &iamapi.CreateUserRequest{UserName: ptr("alice"), Path: ptr("/eng/")}))(t)
	must(f.svc.PutUserPolicy(root, &iamapi.PutUserPolicyRequest{UserName: ptr("alice"), PolicyName: ptr("inline-get"),
		PolicyDocument: ptr(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:GetUser","Resource":"*"}]}`)}))(t)
	must(f.svc.CreateGroup(root, &iamapi.CreateGroupRequest{GroupName: ptr("devs")}))(t)
	must(f.svc.PutGroupPolicy(root, &iamapi.PutGroupPolicyRequest{GroupName: ptr("devs"), PolicyName: ptr("group-create"),
		PolicyDocument: ptr(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:CreateUser","Resource":"*"},{"Effect":"Deny","Action":"iam:DeleteUser","Resource":"*"}]}`)}))(t)
	must(f.svc.AddUserToGroup(root, &iamapi.AddUserToGroupRequest{GroupName: ptr("devs"), UserName: ptr("alice")}))(t)
	must(f.svc.AttachUserPolicy(root, &iamapi.AttachUserPolicyRequest{UserName: ptr("alice"), PolicyArn: ptr("arn:aws:iam::aws:policy/ReadOnlyAccess")}))(t)

	sim := func(src string, actions ...string) *iamapi.SimulatePolicyResponse {
		return must(f.svc.SimulatePrincipalPolicy(root, &iamapi.SimulatePrincipalPolicyRequest{PolicySourceArn: ptr(src), ActionNames: actions}))(t)
	}
	const alice = "arn:aws:iam::123456789012:user/eng/alice"
	out := sim(alice, "iam:GetUser", "iam:CreateUser", "iam:DeleteUser", "iam:ListRoles", "iam:CreateRole")
	if got := decisions(out); got != "iam:GetUser * allowed\niam:CreateUser * allowed\niam:DeleteUser * explicitDeny\niam:ListRoles * allowed\niam:CreateRole * implicitDeny" {
		t.Fatalf("alice:\n%s", got)
	}
	for i, want := range []string{"inline-get/user", "group-create/group", "group-create/group", "ReadOnlyAccess/aws-managed", ""} {
		got := statements(out.EvaluationResults[i].MatchedStatements)
		if i := strings.IndexByte(got, ' '); i >= 0 {
			got = got[:i]
		}
		if got != want {
			t.Errorf("%s matched %q, want %q", str(out.EvaluationResults[i].EvalActionName), got, want)
		}
	}

	// A boundary cuts what the policies allow.
	must(f.svc.PutUserPermissionsBoundary(root, &iamapi.PutUserPermissionsBoundaryRequest{UserName: ptr("alice"),
		PermissionsBoundary: ptr("arn:aws:iam::aws:policy/ReadOnlyAccess")}))(t)
	out = sim(alice, "iam:GetUser", "iam:CreateUser")
	if got := decisions(out); got != "iam:GetUser * allowed\niam:CreateUser * implicitDeny" {
		t.Fatalf("with boundary:\n%s", got)
	}
	if d := out.EvaluationResults[1].PermissionsBoundaryDecisionDetail; d == nil || *d.AllowedByPermissionsBoundary {
		t.Error("boundary detail")
	}
	// A boundary passed in replaces the attached one.
	out = must(f.svc.SimulatePrincipalPolicy(root, &iamapi.SimulatePrincipalPolicyRequest{PolicySourceArn: ptr(alice),
		ActionNames:                        []string{"iam:CreateUser"},
		PermissionsBoundaryPolicyInputList: []string{`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:*","Resource":"*"}]}`}}))(t)
	if got := decisions(out); got != "iam:CreateUser * allowed" {
		t.Fatalf("boundary input: %s", got)
	}

	// A group on its own, and policies passed in on top of the principal's.
	out = sim("arn:aws:iam::123456789012:group/devs", "iam:CreateUser", "iam:GetUser")
	if got := decisions(out); got != "iam:CreateUser * allowed\niam:GetUser * implicitDeny" {
		t.Fatalf("group:\n%s", got)
	}
	out = must(f.svc.SimulatePrincipalPolicy(root, &iamapi.SimulatePrincipalPolicyRequest{PolicySourceArn: ptr("arn:aws:iam::123456789012:group/devs"),
		ActionNames:     []string{"iam:GetUser"},
		PolicyInputList: []string{`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:Get*","Resource":"*"}]}`}}))(t)
	if got := statements(out.EvaluationResults[0].MatchedStatements); got != "PolicyInputList.1/none 1:38-1:91" {
		t.Fatalf("input on top: %s (%s)", got, decisions(out))
	}

	// Errors.
	_, err := f.svc.SimulatePrincipalPolicy(root, &iamapi.SimulatePrincipalPolicyRequest{PolicySourceArn: ptr("arn:aws:iam::123456789012:user/nobody"), ActionNames: []string{"a:b"}})
	assertAPIError(t, err, "NoSuchEntity", 404, "The user with name nobody cannot be found.")
	_, err = f.svc.SimulatePrincipalPolicy(root, &iamapi.SimulatePrincipalPolicyRequest{PolicySourceArn: ptr("arn:aws:iam::123456789012:role/nobody"), ActionNames: []string{"a:b"}})
	assertAPIError(t, err, "NoSuchEntity", 404, "The role with name nobody cannot be found.")
	_, err = f.svc.SimulatePrincipalPolicy(root, &iamapi.SimulatePrincipalPolicyRequest{PolicySourceArn: ptr("arn:aws:iam::210987654321:user/alice"), ActionNames: []string{"a:b"}})
	assertAPIError(t, err, "NoSuchEntity", 404, "The user with name alice cannot be found.")
	_, err = f.svc.SimulatePrincipalPolicy(root, &iamapi.SimulatePrincipalPolicyRequest{PolicySourceArn: ptr("arn:aws:s3:::bucket"), ActionNames: []string{"a:b"}})
	assertAPIError(t, err, "InvalidInput", 400, "Invalid ARN: arn:aws:s3:::bucket. PolicySourceArn must be the ARN of a user, group or role.")
}

func TestGetContextKeys(t *testing.T) {
	f := newFixture(t)
	root := f.root()
	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b/${aws:username}/*",
		"Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"},"StringEquals":{"aws:PrincipalTag/team":"x","AWS:SourceIP":"1.2.3.4"}}}]}`
	out := must(f.svc.GetContextKeysForCustomPolicy(root, &iamapi.GetContextKeysForCustomPolicyRequest{PolicyInputList: []string{doc,
		`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"false"}}}]}`}}))(t)
	if got := strings.Join(out.ContextKeyNames, ","); got != "aws:username,aws:SourceIp,aws:PrincipalTag/team,aws:MultiFactorAuthPresent" {
		t.Errorf("custom: %s", got)
	}
	must(f.svc.CreateRole(root, &iamapi.CreateRoleRequest{RoleName: ptr("app"),
		AssumeRolePolicyDocument: ptr(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)}))(t)
	must(f.svc.PutRolePolicy(root, &iamapi.PutRolePolicyRequest{RoleName: ptr("app"), PolicyName: ptr("p"), PolicyDocument: ptr(doc)}))(t)
	out = must(f.svc.GetContextKeysForPrincipalPolicy(root, &iamapi.GetContextKeysForPrincipalPolicyRequest{
		PolicySourceArn: ptr("arn:aws:iam::123456789012:role/app"),
		PolicyInputList: []string{`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringLike":{"iam:PolicyARN":"x"}}}]}`}}))(t)
	if got := strings.Join(out.ContextKeyNames, ","); got != "aws:username,aws:SourceIp,aws:PrincipalTag/team,iam:PolicyARN" {
		t.Errorf("principal: %s", got)
	}
	_, err := f.svc.GetContextKeysForPrincipalPolicy(root, &iamapi.GetContextKeysForPrincipalPolicyRequest{PolicySourceArn: ptr("arn:aws:iam::123456789012:group/none")})
	assertAPIError(t, err, "NoSuchEntity", 404, "The group with name none cannot be found.")
}

// manyStatements is a policy of n statements built from a template in which %d is the statement's index.
func manyStatements(n int, tmpl string) string {
	b := make([]string, n)
	for i := range b {
		b[i] = strings.ReplaceAll(tmpl, "%d", fmt.Sprint(i))
	}
	return `{"Version":"2012-10-17","Statement":[` + strings.Join(b, ",") + `]}`
}

// names returns n names made from a prefix.
func names(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s%d", prefix, i)
	}
	return out
}

// Only the scenarios of the requested page are evaluated, whatever the number of scenarios; paging
// through gives every scenario once, in order.
func TestSimulateEvaluatesOnlyThePage(t *testing.T) {
	f := newFixture(t)
	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:Get*","Resource":"arn:aws:s3:::b1*"}]}`
	in := &iamapi.SimulateCustomPolicyRequest{PolicyInputList: []string{doc},
		ActionNames: names("s3:GetObject", 100), ResourceArns: names("arn:aws:s3:::b", 100), MaxItems: ptr(int32(10))}
	scen0, work0 := f.svc.SimulationWork()
	out := must(f.svc.SimulateCustomPolicy(f.root(), in))(t)
	scen1, work1 := f.svc.SimulationWork()
	if len(out.EvaluationResults) != 10 || !*out.IsTruncated || out.Marker == nil {
		t.Fatalf("page of %d, truncated %v", len(out.EvaluationResults), *out.IsTruncated)
	}
	if scen1-scen0 != 10 || work1-work0 > 10*int64(policyWork(t, doc, 22)) {
		t.Fatalf("a page of 10 out of 10000 scenarios evaluated %d scenarios, %d work units", scen1-scen0, work1-work0)
	}

	// Page through a smaller simulation: the same results as one page, each once.
	in = &iamapi.SimulateCustomPolicyRequest{PolicyInputList: []string{doc},
		ActionNames: []string{"s3:GetObject", "s3:PutObject", "s3:GetBucketAcl"}, ResourceArns: names("arn:aws:s3:::b", 12)}
	all := decisions(must(f.svc.SimulateCustomPolicy(f.root(), in))(t))
	in.MaxItems = ptr(int32(7))
	var paged []string
	pages := 0
	for {
		out := must(f.svc.SimulateCustomPolicy(f.root(), in))(t)
		pages++
		paged = append(paged, decisions(out))
		if !*out.IsTruncated {
			break
		}
		in.Marker = out.Marker
	}
	if got := strings.Join(paged, "\n"); got != all || pages != 6 {
		t.Fatalf("%d pages:\n%s\nwant:\n%s", pages, got, all)
	}
	if !strings.Contains(all, "s3:GetObject arn:aws:s3:::b10 allowed") || !strings.Contains(all, "s3:PutObject arn:aws:s3:::b10 implicitDeny") {
		t.Fatalf("decisions:\n%s", all)
	}
	in.Marker = ptr(base64.RawURLEncoding.EncodeToString([]byte("i37")))
	_, err := f.svc.SimulateCustomPolicy(f.root(), in)
	assertAPIError(t, err, "InvalidInput", 400, "Invalid Marker.")
}

// policyWork is a document's policy.Cost for values of at most subject bytes.
func policyWork(t *testing.T, doc string, subject int) int {
	t.Helper()
	p, err := policy.Parse(doc, policy.KindIdentity)
	if err != nil {
		t.Fatal(err)
	}
	return p.Cost(subject)
}

// Thousands of statements that all match: each result lists a bounded number of them, a page stops at
// its budgets (fewer results than MaxItems, with a marker), and following the markers gives every
// scenario once.
func TestSimulateHostileStatementsBounded(t *testing.T) {
	f := newFixture(t)
	doc := manyStatements(4000, `{"Sid":"S%d","Effect":"Allow","Action":"*","Resource":"*"}`)
	in := &iamapi.SimulateCustomPolicyRequest{PolicyInputList: []string{doc},
		ActionNames: names("s3:GetObject", 30), ResourceArns: names("arn:aws:s3:::b", 30), MaxItems: ptr(int32(1000))}
	perScenario := int64(policyWork(t, doc, len("arn:aws:s3:::b29")))
	seen := 0
	for pages := 1; ; pages++ {
		scen0, work0 := f.svc.SimulationWork()
		out := must(f.svc.SimulateCustomPolicy(f.root(), in))(t)
		scen1, work1 := f.svc.SimulationWork()
		n := len(out.EvaluationResults)
		if scen1-scen0 != int64(n) || work1-work0 != int64(n)*perScenario || work1-work0 > maxSimulationPageWork {
			t.Fatalf("page %d: %d results, %d scenarios and %d work units evaluated", pages, n, scen1-scen0, work1-work0)
		}
		entries := 0
		for _, r := range out.EvaluationResults {
			if str(r.EvalDecision) != "allowed" || len(r.MatchedStatements) != maxMatchedStatementsPerResult ||
				len(r.ResourceSpecificResults[0].MatchedStatements) != maxMatchedStatementsPerResult {
				t.Fatalf("result %s: %d matched", str(r.EvalDecision), len(r.MatchedStatements))
			}
			entries += len(r.MatchedStatements)
		}
		if entries > maxSimulationPageEntries {
			t.Fatalf("page %d lists %d matched statements", pages, entries)
		}
		seen += n
		if !*out.IsTruncated {
			if seen != 900 || pages < 2 {
				t.Fatalf("%d results in %d pages", seen, pages)
			}
			break
		}
		in.Marker = out.Marker
	}
}

// Simulations beyond the limits are refused with InvalidInput before any evaluation.
func TestSimulateLimits(t *testing.T) {
	f := newFixture(t)
	ok := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`
	// 12 policies of 2,500 statements of 9 elements each: 270,000 > maxSimulationCost (the wire's body
	// limit stops this before the service unless an operator raises it).
	heavy := manyStatements(2500, `{"Effect":"Allow","Action":["a:a%d","a:b","a:c","a:d","a:e","a:f","a:g"],"Resource":"*"}`)
	globs := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::*` + strings.Repeat("?a", 5000) + `"}]}`
	ctxValues := func(n, size int) []iamapi.ContextEntry {
		vals := make([]string, n)
		for i := range vals {
			vals[i] = strings.Repeat("v", size)
		}
		return []iamapi.ContextEntry{{ContextKeyName: ptr("aws:TagKeys"), ContextKeyValues: vals, ContextKeyType: ptr("stringList")}}
	}
	cases := []struct {
		name string
		in   *iamapi.SimulateCustomPolicyRequest
		msg  string
	}{
		{"size", &iamapi.SimulateCustomPolicyRequest{PolicyInputList: []string{heavy, heavy, heavy, heavy, heavy, heavy, heavy, heavy, heavy, heavy, heavy, heavy}, ActionNames: []string{"a:b"}},
			"The policies of a simulation can hold at most 200000 statements, actions, resources, principals and condition values."},
		{"context values", &iamapi.SimulateCustomPolicyRequest{PolicyInputList: []string{ok}, ActionNames: []string{"a:b"}, ContextEntries: ctxValues(1001, 1)},
			"A simulation can have at most 1000 context key values."},
		{"context value length", &iamapi.SimulateCustomPolicyRequest{PolicyInputList: []string{ok}, ActionNames: []string{"a:b"}, ContextEntries: ctxValues(1, 4097)},
			"A context key value can be at most 4096 characters long."},
		// 10,000 wildcard parts matched against a 2048-character resource: about 20 million per scenario.
		{"scenario work", &iamapi.SimulateCustomPolicyRequest{PolicyInputList: []string{globs}, ActionNames: []string{"s3:GetObject"},
			ResourceArns: []string{"arn:aws:s3:::" + strings.Repeat("a", 2048-13)}},
			"A simulation can weigh at most 20000000 per scenario: the elements of its policies (wildcard patterns by their parts times the longest action, resource or context value) times the values of its most-valued context key."},
	}
	for _, c := range cases {
		scen0, _ := f.svc.SimulationWork()
		_, err := f.svc.SimulateCustomPolicy(f.root(), c.in)
		assertAPIError(t, err, "InvalidInput", 400, c.msg)
		if scen1, _ := f.svc.SimulationWork(); scen1 != scen0 {
			t.Errorf("%s: %d scenarios evaluated before refusing", c.name, scen1-scen0)
		}
	}
	// Within the limits: 1000 values of 4096 characters are accepted.
	must(f.svc.SimulateCustomPolicy(f.root(), &iamapi.SimulateCustomPolicyRequest{PolicyInputList: []string{ok}, ActionNames: []string{"a:b"}, ContextEntries: ctxValues(1000, 4096)}))(t)
}
