package iam

import (
	"fmt"
	"strings"
	"testing"

	"github.com/iamd/iamd/internal/api/iamapi"
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
