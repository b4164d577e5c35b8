package e2etest

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/account"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/iamd/iamd/internal/server"
)

const azARN = "arn:aws:iam::123456789012:"

// authzEnv is a server with a root IAM client and helpers to make users with keys and policies.
type authzEnv struct {
	t    *testing.T
	s    *Server
	root *iam.Client
	ctx  context.Context
}

func newAuthzEnv(t *testing.T) *authzEnv {
	s := Start(t, Options{})
	return &authzEnv{t: t, s: s, root: s.IAM(RootCreds()), ctx: context.Background()}
}

func azDoc(statements ...string) string {
	return `{"Version":"2012-10-17","Statement":[` + strings.Join(statements, ",") + `]}`
}

func azAllow(action, resource string) string {
	return fmt.Sprintf(`{"Effect":"Allow","Action":%q,"Resource":%q}`, action, resource)
}

func azDeny(action, resource string) string {
	return fmt.Sprintf(`{"Effect":"Deny","Action":%q,"Resource":%q}`, action, resource)
}

// user creates a user with an access key and the given inline policy (none when doc is ""), and returns
// credentials for it.
func (e *authzEnv) user(name, doc string, tags ...iamtypes.Tag) aws.CredentialsProvider {
	e.t.Helper()
	if _, err := e.root.CreateUser(e.ctx, &iam.CreateUserInput{UserName: aws.String(name), Tags: tags}); err != nil {
		e.t.Fatal(err)
	}
	if doc != "" {
		e.putUserPolicy(name, "base", doc)
	}
	k, err := e.root.CreateAccessKey(e.ctx, &iam.CreateAccessKeyInput{UserName: aws.String(name)})
	if err != nil {
		e.t.Fatal(err)
	}
	return Creds(aws.ToString(k.AccessKey.AccessKeyId), aws.ToString(k.AccessKey.SecretAccessKey), "")
}

func (e *authzEnv) putUserPolicy(user, name, doc string) {
	e.t.Helper()
	if _, err := e.root.PutUserPolicy(e.ctx, &iam.PutUserPolicyInput{UserName: aws.String(user), PolicyName: aws.String(name),
		PolicyDocument: aws.String(doc)}); err != nil {
		e.t.Fatal(err)
	}
}

func (e *authzEnv) check(err error) {
	e.t.Helper()
	if err != nil {
		e.t.Fatal(err)
	}
}

// wantDenied checks an AccessDenied answer: code, HTTP 403 and AWS's exact message.
func wantDenied(t *testing.T, err error, code, msg string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("want %s, got %v", code, err)
	}
	if ae.ErrorCode() != code || ae.ErrorMessage() != msg {
		t.Fatalf("got %s %q\nwant %s %q", ae.ErrorCode(), ae.ErrorMessage(), code, msg)
	}
	var re *awshttp.ResponseError
	if !errors.As(err, &re) || re.HTTPStatusCode() != 403 {
		t.Fatalf("status: %v", err)
	}
}

func azNotAuthorized(caller, action, resource, reason string) string {
	return "User: " + caller + " is not authorized to perform: " + action + " on resource: " + resource + " " + reason
}

func because(kind, action string) string {
	return "because no " + kind + " allows the " + action + " action"
}

// agree checks that SimulatePrincipalPolicy decides an action the way the real call did.
func (e *authzEnv) agree(source, action, resource string, real error, ctx ...iamtypes.ContextEntry) {
	e.t.Helper()
	out, err := e.root.SimulatePrincipalPolicy(e.ctx, &iam.SimulatePrincipalPolicyInput{PolicySourceArn: aws.String(source),
		ActionNames: []string{action}, ResourceArns: []string{resource}, ContextEntries: ctx})
	if err != nil {
		e.t.Fatal(err)
	}
	got := out.EvaluationResults[0].EvalDecision
	want := iamtypes.PolicyEvaluationDecisionTypeAllowed
	var ae smithy.APIError
	switch {
	case real == nil:
	case errors.As(real, &ae) && strings.Contains(ae.ErrorMessage(), "explicit deny"):
		want = iamtypes.PolicyEvaluationDecisionTypeExplicitDeny
	default:
		want = iamtypes.PolicyEvaluationDecisionTypeImplicitDeny
	}
	if got != want {
		e.t.Fatalf("simulation of %s on %s says %s, the real call %v", action, resource, got, real)
	}
}

// The authorization story: identity policies, groups, boundaries, explicit denies, each checked against the
// simulator.
func TestAuthzStory(t *testing.T) {
	e := newAuthzEnv(t)
	alice := e.s.IAM(e.user("alice", azDoc(azAllow("iam:GetUser", "*"))))
	const aliceARN = azARN + "user/alice"
	createBob := func() error {
		_, err := alice.CreateUser(e.ctx, &iam.CreateUserInput{UserName: aws.String("bob")})
		return err
	}

	// 1. Only iam:GetUser.
	if _, err := alice.GetUser(e.ctx, &iam.GetUserInput{}); err != nil {
		t.Fatal(err)
	}
	err := createBob()
	wantDenied(t, err, "AccessDenied", azNotAuthorized(aliceARN, "iam:CreateUser", azARN+"user/bob", because("identity-based policy", "iam:CreateUser")))
	e.agree(aliceARN, "iam:CreateUser", azARN+"user/bob", err)

	// 2. A group policy allows it, on the very next request.
	e.check2(e.root.CreateGroup(e.ctx, &iam.CreateGroupInput{GroupName: aws.String("admins")}))
	e.check2(e.root.PutGroupPolicy(e.ctx, &iam.PutGroupPolicyInput{GroupName: aws.String("admins"), PolicyName: aws.String("users"),
		PolicyDocument: aws.String(azDoc(azAllow("iam:*User", "*"), azAllow("iam:*UserPolicy", "*")))}))
	e.check2(e.root.AddUserToGroup(e.ctx, &iam.AddUserToGroupInput{GroupName: aws.String("admins"), UserName: aws.String("alice")}))
	err = createBob()
	if err != nil {
		t.Fatalf("with the group policy: %v", err)
	}
	e.agree(aliceARN, "iam:CreateUser", azARN+"user/bob", err)

	// 3. A permissions boundary without iam:CreateUser cuts it again.
	e.check2(e.root.CreatePolicy(e.ctx, &iam.CreatePolicyInput{PolicyName: aws.String("read-only-iam"),
		PolicyDocument: aws.String(azDoc(azAllow("iam:Get*", "*"), azAllow("iam:List*", "*")))}))
	e.check2(e.root.PutUserPermissionsBoundary(e.ctx, &iam.PutUserPermissionsBoundaryInput{UserName: aws.String("alice"),
		PermissionsBoundary: aws.String(azARN + "policy/read-only-iam")}))
	_, err = alice.CreateUser(e.ctx, &iam.CreateUserInput{UserName: aws.String("carol")})
	wantDenied(t, err, "AccessDenied", azNotAuthorized(aliceARN, "iam:CreateUser", azARN+"user/carol", because("permissions boundary", "iam:CreateUser")))
	e.agree(aliceARN, "iam:CreateUser", azARN+"user/carol", err)
	_, err = alice.GetUser(e.ctx, &iam.GetUserInput{UserName: aws.String("bob")})
	if err != nil {
		t.Fatalf("GetUser within the boundary: %v", err)
	}
	e.agree(aliceARN, "iam:GetUser", azARN+"user/bob", err)
	e.check2(e.root.DeleteUserPermissionsBoundary(e.ctx, &iam.DeleteUserPermissionsBoundaryInput{UserName: aws.String("alice")}))

	// 4. An explicit deny in an inline policy, then in a managed policy (named in the message).
	e.putUserPolicy("alice", "no-delete", azDoc(azDeny("iam:DeleteUser", "*")))
	_, err = alice.DeleteUser(e.ctx, &iam.DeleteUserInput{UserName: aws.String("bob")})
	wantDenied(t, err, "AccessDenied", azNotAuthorized(aliceARN, "iam:DeleteUser", azARN+"user/bob", "with an explicit deny in an identity-based policy"))
	e.agree(aliceARN, "iam:DeleteUser", azARN+"user/bob", err)
	e.check2(e.root.CreatePolicy(e.ctx, &iam.CreatePolicyInput{PolicyName: aws.String("no-create"), PolicyDocument: aws.String(azDoc(azDeny("iam:CreateUser", "*")))}))
	e.check2(e.root.AttachUserPolicy(e.ctx, &iam.AttachUserPolicyInput{UserName: aws.String("alice"), PolicyArn: aws.String(azARN + "policy/no-create")}))
	_, err = alice.CreateUser(e.ctx, &iam.CreateUserInput{UserName: aws.String("dave")})
	wantDenied(t, err, "AccessDenied", azNotAuthorized(aliceARN, "iam:CreateUser", azARN+"user/dave",
		"with an explicit deny in an identity-based policy: "+azARN+"policy/no-create"))
	e.agree(aliceARN, "iam:CreateUser", azARN+"user/dave", err)

	// 5. Detaching restores the permission at once (cache invalidation).
	e.check2(e.root.DetachUserPolicy(e.ctx, &iam.DetachUserPolicyInput{UserName: aws.String("alice"), PolicyArn: aws.String(azARN + "policy/no-create")}))
	if _, err := alice.CreateUser(e.ctx, &iam.CreateUserInput{UserName: aws.String("dave")}); err != nil {
		t.Fatalf("after detaching the deny: %v", err)
	}
	// Leaving the group takes it away at once.
	e.check2(e.root.RemoveUserFromGroup(e.ctx, &iam.RemoveUserFromGroupInput{GroupName: aws.String("admins"), UserName: aws.String("alice")}))
	_, err = alice.CreateUser(e.ctx, &iam.CreateUserInput{UserName: aws.String("erin")})
	wantDenied(t, err, "AccessDenied", azNotAuthorized(aliceARN, "iam:CreateUser", azARN+"user/erin", because("identity-based policy", "iam:CreateUser")))
	e.agree(aliceARN, "iam:CreateUser", azARN+"user/erin", err)

	// GetCallerIdentity is never denied, not even by a deny of everything.
	e.putUserPolicy("alice", "deny-all", azDoc(azDeny("*", "*")))
	aliceCreds := e.user("alice2", azDoc(azDeny("*", "*")))
	for _, c := range []*sts.Client{e.s.STS(aliceCreds, "us-east-1"), e.s.GlobalSTS(aliceCreds)} {
		if _, err := c.GetCallerIdentity(e.ctx, &sts.GetCallerIdentityInput{}); err != nil {
			t.Fatalf("GetCallerIdentity: %v", err)
		}
	}
}

func (e *authzEnv) check2(_ any, err error) {
	e.t.Helper()
	e.check(err)
}

// The AWS managed ReadOnlyAccess policy allows Get and List, not Create.
func TestAuthzManagedReadOnly(t *testing.T) {
	e := newAuthzEnv(t)
	creds := e.user("reader", "")
	e.check2(e.root.AttachUserPolicy(e.ctx, &iam.AttachUserPolicyInput{UserName: aws.String("reader"), PolicyArn: aws.String("arn:aws:iam::aws:policy/ReadOnlyAccess")}))
	c := e.s.IAM(creds)
	for _, call := range []func() error{
		func() error { _, err := c.GetUser(e.ctx, &iam.GetUserInput{}); return err },
		func() error { _, err := c.ListUsers(e.ctx, &iam.ListUsersInput{}); return err },
		func() error { _, err := c.ListRoles(e.ctx, &iam.ListRolesInput{}); return err },
		func() error {
			_, err := c.GetPolicy(e.ctx, &iam.GetPolicyInput{PolicyArn: aws.String("arn:aws:iam::aws:policy/ReadOnlyAccess")})
			return err
		},
		func() error { _, err := c.GetAccountSummary(e.ctx, &iam.GetAccountSummaryInput{}); return err },
	} {
		if err := call(); err != nil {
			t.Fatal(err)
		}
	}
	_, err := c.CreateRole(e.ctx, &iam.CreateRoleInput{RoleName: aws.String("r"), Path: aws.String("/team/"),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)})
	wantDenied(t, err, "AccessDenied", azNotAuthorized(azARN+"user/reader", "iam:CreateRole", azARN+"role/team/r", because("identity-based policy", "iam:CreateRole")))
	e.agree(azARN+"user/reader", "iam:CreateRole", azARN+"role/team/r", err)
}

// Policy variables and conditions on request, resource and principal tags.
func TestAuthzVariablesAndTags(t *testing.T) {
	e := newAuthzEnv(t)
	const aliceARN = azARN + "user/alice"
	alice := e.s.IAM(e.user("alice", azDoc(
		azAllow("iam:GetUser", azARN+"user/${aws:username}"),
		`{"Effect":"Allow","Action":"iam:CreateUser","Resource":"*","Condition":{"StringEquals":{"aws:RequestTag/team":"blue"}}}`,
		`{"Effect":"Allow","Action":"iam:ListUserTags","Resource":"*","Condition":{"StringEquals":{"aws:ResourceTag/team":"blue"}}}`,
		`{"Effect":"Allow","Action":"iam:ListUsers","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalTag/dept":"eng"}}}`,
	), iamtypes.Tag{Key: aws.String("dept"), Value: aws.String("eng")}))

	// ${aws:username}: her own user, not another.
	e.check2(alice.GetUser(e.ctx, &iam.GetUserInput{UserName: aws.String("alice")}))
	e.check2(e.root.CreateUser(e.ctx, &iam.CreateUserInput{UserName: aws.String("bob")}))
	_, err := alice.GetUser(e.ctx, &iam.GetUserInput{UserName: aws.String("bob")})
	wantDenied(t, err, "AccessDenied", azNotAuthorized(aliceARN, "iam:GetUser", azARN+"user/bob", because("identity-based policy", "iam:GetUser")))
	username := iamtypes.ContextEntry{ContextKeyName: aws.String("aws:username"), ContextKeyValues: []string{"alice"}, ContextKeyType: iamtypes.ContextKeyTypeEnumString}
	e.agree(aliceARN, "iam:GetUser", azARN+"user/bob", err, username)
	e.agree(aliceARN, "iam:GetUser", aliceARN, nil, username)

	// aws:RequestTag.
	e.check2(alice.CreateUser(e.ctx, &iam.CreateUserInput{UserName: aws.String("blue1"), Tags: []iamtypes.Tag{{Key: aws.String("team"), Value: aws.String("blue")}}}))
	_, err = alice.CreateUser(e.ctx, &iam.CreateUserInput{UserName: aws.String("red1"), Tags: []iamtypes.Tag{{Key: aws.String("team"), Value: aws.String("red")}}})
	wantDenied(t, err, "AccessDenied", azNotAuthorized(aliceARN, "iam:CreateUser", azARN+"user/red1", because("identity-based policy", "iam:CreateUser")))
	e.agree(aliceARN, "iam:CreateUser", azARN+"user/red1", err,
		iamtypes.ContextEntry{ContextKeyName: aws.String("aws:RequestTag/team"), ContextKeyValues: []string{"red"}, ContextKeyType: iamtypes.ContextKeyTypeEnumString})
	_, err = alice.CreateUser(e.ctx, &iam.CreateUserInput{UserName: aws.String("none1")})
	wantDenied(t, err, "AccessDenied", azNotAuthorized(aliceARN, "iam:CreateUser", azARN+"user/none1", because("identity-based policy", "iam:CreateUser")))

	// aws:ResourceTag: the tags of the user acted on, kept current.
	e.check2(alice.ListUserTags(e.ctx, &iam.ListUserTagsInput{UserName: aws.String("blue1")}))
	_, err = alice.ListUserTags(e.ctx, &iam.ListUserTagsInput{UserName: aws.String("bob")})
	wantDenied(t, err, "AccessDenied", azNotAuthorized(aliceARN, "iam:ListUserTags", azARN+"user/bob", because("identity-based policy", "iam:ListUserTags")))
	e.check2(e.root.TagUser(e.ctx, &iam.TagUserInput{UserName: aws.String("bob"), Tags: []iamtypes.Tag{{Key: aws.String("team"), Value: aws.String("blue")}}}))
	e.check2(alice.ListUserTags(e.ctx, &iam.ListUserTagsInput{UserName: aws.String("bob")}))

	// aws:PrincipalTag: the caller's own tags, kept current.
	e.check2(alice.ListUsers(e.ctx, &iam.ListUsersInput{}))
	e.check2(e.root.UntagUser(e.ctx, &iam.UntagUserInput{UserName: aws.String("alice"), TagKeys: []string{"dept"}}))
	_, err = alice.ListUsers(e.ctx, &iam.ListUsersInput{})
	wantDenied(t, err, "AccessDenied", azNotAuthorized(aliceARN, "iam:ListUsers", azARN+"user/", because("identity-based policy", "iam:ListUsers")))
}

// Session policies of AssumeRole cut the role's permissions; revoking older sessions with a deny on
// aws:TokenIssueTime stops sessions issued before it and not those issued after.
func TestAuthzRoleSessions(t *testing.T) {
	e := newAuthzEnv(t)
	const roleARN = azARN + "role/dev"
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"}]}`
	e.check2(e.root.CreateRole(e.ctx, &iam.CreateRoleInput{RoleName: aws.String("dev"), AssumeRolePolicyDocument: aws.String(trust)}))
	e.check2(e.root.PutRolePolicy(e.ctx, &iam.PutRolePolicyInput{RoleName: aws.String("dev"), PolicyName: aws.String("iam"),
		PolicyDocument: aws.String(azDoc(azAllow("iam:*", "*")))}))
	aliceCreds := e.user("alice", azDoc(azAllow("sts:AssumeRole", roleARN)))
	stsc := e.s.STS(aliceCreds, "us-east-1")

	assume := func(session, sessionPolicy string) *iam.Client {
		t.Helper()
		in := &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String(session)}
		if sessionPolicy != "" {
			in.Policy = aws.String(sessionPolicy)
		}
		out, err := stsc.AssumeRole(e.ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		c := out.Credentials
		return e.s.IAM(Creds(aws.ToString(c.AccessKeyId), aws.ToString(c.SecretAccessKey), aws.ToString(c.SessionToken)))
	}

	// Without sts:AssumeRole in her policies, the trust policy naming the account is not enough.
	bob := e.s.STS(e.user("bob", ""), "us-east-1")
	_, err := bob.AssumeRole(e.ctx, &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("xx")})
	wantDenied(t, err, "AccessDenied", "User: "+azARN+"user/bob is not authorized to perform: sts:AssumeRole on resource: "+roleARN)

	// A session policy allowing only GetUser.
	limited := assume("limited", azDoc(azAllow("iam:GetUser", "*"), azAllow("iam:ListUsers", "*")))
	e.check2(limited.ListUsers(e.ctx, &iam.ListUsersInput{}))
	_, err = limited.CreateUser(e.ctx, &iam.CreateUserInput{UserName: aws.String("x")})
	wantDenied(t, err, "AccessDenied", azNotAuthorized("arn:aws:sts::123456789012:assumed-role/dev/limited", "iam:CreateUser",
		azARN+"user/x", because("session policy", "iam:CreateUser")))

	// Revoke older sessions, as the IAM console does.
	old := assume("old", "")
	e.check2(old.ListUsers(e.ctx, &iam.ListUsersInput{}))
	cutoff := time.Now().UTC().Truncate(time.Second).Add(time.Second)
	revoke := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":["*"],"Resource":["*"],"Condition":{"DateLessThan":{"aws:TokenIssueTime":%q}}}]}`,
		cutoff.Format(time.RFC3339))
	e.check2(e.root.PutRolePolicy(e.ctx, &iam.PutRolePolicyInput{RoleName: aws.String("dev"), PolicyName: aws.String("AWSRevokeOlderSessions"),
		PolicyDocument: aws.String(revoke)}))
	_, err = old.ListUsers(e.ctx, &iam.ListUsersInput{})
	wantDenied(t, err, "AccessDenied", azNotAuthorized("arn:aws:sts::123456789012:assumed-role/dev/old", "iam:ListUsers",
		azARN+"user/", "with an explicit deny in an identity-based policy"))
	// Tokens carry whole seconds: wait for the clock to pass the cutoff before asking for a new session.
	for time.Now().Before(cutoff) {
		time.Sleep(50 * time.Millisecond)
	}
	fresh := assume("fresh", "")
	e.check2(fresh.ListUsers(e.ctx, &iam.ListUsersInput{}))
}

// Account API actions with account:TargetRegion conditions, answered as AccessDeniedException (rest-json).
func TestAuthzAccountTargetRegion(t *testing.T) {
	e := newAuthzEnv(t)
	creds := e.user("ops", azDoc(
		`{"Effect":"Allow","Action":["account:GetRegionOptStatus","account:EnableRegion"],"Resource":"*","Condition":{"StringEquals":{"account:TargetRegion":"af-south-1"}}}`,
		azAllow("account:ListRegions", "*")))
	c := e.s.Account(creds)
	if _, err := c.GetRegionOptStatus(e.ctx, &account.GetRegionOptStatusInput{RegionName: aws.String("af-south-1")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ListRegions(e.ctx, &account.ListRegionsInput{}); err != nil {
		t.Fatal(err)
	}
	_, err := c.GetRegionOptStatus(e.ctx, &account.GetRegionOptStatusInput{RegionName: aws.String("eu-south-1")})
	wantDenied(t, err, "AccessDeniedException", azNotAuthorized(azARN+"user/ops", "account:GetRegionOptStatus",
		"arn:aws:account::123456789012:account", because("identity-based policy", "account:GetRegionOptStatus")))
	_, err = c.DisableRegion(e.ctx, &account.DisableRegionInput{RegionName: aws.String("af-south-1")})
	wantDenied(t, err, "AccessDeniedException", azNotAuthorized(azARN+"user/ops", "account:DisableRegion",
		"arn:aws:account::123456789012:account", because("identity-based policy", "account:DisableRegion")))
}

// GetFederationToken is authorized on the federated user's ARN; its credentials answer GetCallerIdentity.
func TestAuthzFederationToken(t *testing.T) {
	e := newAuthzEnv(t)
	bob := e.s.STS(e.user("bob", ""), "us-east-1")
	_, err := bob.GetFederationToken(e.ctx, &sts.GetFederationTokenInput{Name: aws.String("fed")})
	wantDenied(t, err, "AccessDenied", "User: "+azARN+"user/bob is not authorized to perform: sts:GetFederationToken on resource: "+
		"arn:aws:sts::123456789012:federated-user/fed "+because("identity-based policy", "sts:GetFederationToken"))
	alice := e.s.STS(e.user("alice", azDoc(azAllow("sts:GetFederationToken", "arn:aws:sts::123456789012:federated-user/fed*"))), "us-east-1")
	out, err := alice.GetFederationToken(e.ctx, &sts.GetFederationTokenInput{Name: aws.String("fed1"), Policy: aws.String(azDoc(azAllow("s3:*", "*")))})
	if err != nil {
		t.Fatal(err)
	}
	cr := out.Credentials
	id, err := e.s.STS(Creds(aws.ToString(cr.AccessKeyId), aws.ToString(cr.SecretAccessKey), aws.ToString(cr.SessionToken)), "us-east-1").
		GetCallerIdentity(e.ctx, &sts.GetCallerIdentityInput{})
	if err != nil || aws.ToString(id.Arn) != "arn:aws:sts::123456789012:federated-user/fed1" {
		t.Fatalf("federated identity: %v %v", id, err)
	}
}

// BenchmarkGetUserEnforcement measures what policy enforcement costs end to end: GetUser through the
// whole server (SigV4, protocol, store) by a user with 10 managed policies of 20 statements, against the
// same app served with and without the Authorizer, in the same run. cpu-ns/op is the process's CPU time
// per call (client included, the same in both), which a loaded shared machine distorts less than ns/op.
//
//	go test ./internal/e2etest -run '^$' -bench GetUserEnforcement -count 3
func BenchmarkGetUserEnforcement(b *testing.B) {
	s := Start(b, Options{})
	a := s.App
	plain := httptest.NewServer(server.New(server.Options{Store: a.Store, Auth: a.Auth, IAM: a.IAM, STS: a.STS, Account: a.Account,
		MaxBodyBytes: a.Config.MaxBodyBytes, Logger: a.Log,
		KeyUsed: func(ctx context.Context, keyID, service, region string, t time.Time) {
			_ = a.IAM.RecordAccessKeyUse(context.WithoutCancel(ctx), keyID, service, region, t)
		}}))
	b.Cleanup(plain.Close)
	ctx := context.Background()
	root := s.IAM(RootCreds())
	if _, err := root.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("alice")}); err != nil {
		b.Fatal(err)
	}
	for p := 0; p < 10; p++ {
		var stmts []string
		for i := 0; i < 20; i++ {
			svc := []string{"ec2", "s3", "dynamodb", "sqs", "sns", "lambda", "logs", "cloudwatch", "kms", "iam"}[(p+i)%10]
			switch i % 4 {
			case 0:
				stmts = append(stmts, fmt.Sprintf(`{"Effect":"Allow","Action":["%s:Describe*","%s:List*"],"Resource":"*"}`, svc, svc))
			case 1:
				stmts = append(stmts, fmt.Sprintf(`{"Effect":"Allow","Action":"%s:Put%d","Resource":"arn:aws:%s:*:123456789012:thing-%d/*"}`, svc, i, svc, p))
			case 2:
				stmts = append(stmts, fmt.Sprintf(`{"Effect":"Deny","Action":"%s:Delete*","Resource":"*","Condition":{"BoolIfExists":{"aws:MultiFactorAuthPresent":"false"}}}`, svc))
			default:
				stmts = append(stmts, fmt.Sprintf(`{"Effect":"Allow","Action":"%s:Create*","Resource":"arn:aws:%s:us-east-1:123456789012:${aws:username}/*","Condition":{"StringEquals":{"aws:RequestedRegion":"us-east-1"}}}`, svc, svc))
			}
		}
		if p == 9 {
			stmts[19] = azAllow("iam:GetUser", azARN+"user/${aws:username}")
		}
		name := fmt.Sprintf("bench-%d", p)
		if _, err := root.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String(name), PolicyDocument: aws.String(azDoc(stmts...))}); err != nil {
			b.Fatal(err)
		}
		if _, err := root.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("alice"), PolicyArn: aws.String(azARN + "policy/" + name)}); err != nil {
			b.Fatal(err)
		}
	}
	k, err := root.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("alice")})
	if err != nil {
		b.Fatal(err)
	}
	creds := Creds(aws.ToString(k.AccessKey.AccessKeyId), aws.ToString(k.AccessKey.SecretAccessKey), "")
	for _, v := range []struct {
		name string
		url  string
	}{{"enforced", s.URL}, {"unenforced", plain.URL}} {
		c := (&Server{URL: v.url}).IAM(creds)
		if _, err := c.GetUser(ctx, &iam.GetUserInput{}); err != nil {
			b.Fatal(err)
		}
		b.Run(v.name, func(b *testing.B) {
			b.SetParallelism(benchParallelism)
			cpu := processCPU()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := c.GetUser(ctx, &iam.GetUserInput{}); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.StopTimer()
			b.ReportMetric(float64(processCPU()-cpu)/float64(b.N), "cpu-ns/op")
		})
	}
}

// processCPU is the CPU time (user + system) the process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// Cross-account AssumeRole needs both the trust policy of the role's account and an identity-based policy
// of the caller's account; the role session then acts in the role's account with the role's permissions.
func TestAuthzCrossAccountAssumeRole(t *testing.T) {
	e := newAuthzEnv(t)
	const other = "210987654321"
	otherRoot := newAccount(t, e.s, other)
	carol := newUser(t, e.s, otherRoot, "carol") // IAM checks that users named in a trust policy exist
	dan := newUser(t, e.s, otherRoot, "dan")
	const roleARN = azARN + "role/shared"
	e.check2(e.root.CreateRole(e.ctx, &iam.CreateRoleInput{RoleName: aws.String("shared"),
		AssumeRolePolicyDocument: aws.String(trustPolicy("arn:aws:iam::"+other+":user/carol", ""))}))
	e.check2(e.root.PutRolePolicy(e.ctx, &iam.PutRolePolicyInput{RoleName: aws.String("shared"), PolicyName: aws.String("read"),
		PolicyDocument: aws.String(azDoc(azAllow("iam:ListUsers", "*")))}))
	assume := func(creds aws.CredentialsProvider) (*sts.AssumeRoleOutput, error) {
		return e.s.STS(creds, "us-east-1").AssumeRole(e.ctx, &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("x-acct")})
	}
	// The trust policy names carol, but her own account has not allowed her to assume it.
	_, err := assume(carol)
	wantDenied(t, err, "AccessDenied", "User: arn:aws:iam::"+other+":user/carol is not authorized to perform: sts:AssumeRole on resource: "+roleARN)
	allow(t, e.s, otherRoot, "carol", "sts:AssumeRole", roleARN)
	allow(t, e.s, otherRoot, "dan", "sts:AssumeRole", "*")
	// Dan's account allows him, the trust policy does not name him.
	_, err = assume(dan)
	wantDenied(t, err, "AccessDenied", "User: arn:aws:iam::"+other+":user/dan is not authorized to perform: sts:AssumeRole on resource: "+roleARN)
	out, err := assume(carol)
	if err != nil {
		t.Fatal(err)
	}
	c := e.s.IAM(sessionCreds(out.Credentials))
	e.check2(c.ListUsers(e.ctx, &iam.ListUsersInput{}))
	_, err = c.ListRoles(e.ctx, &iam.ListRolesInput{})
	wantDenied(t, err, "AccessDenied", azNotAuthorized("arn:aws:sts::123456789012:assumed-role/shared/x-acct", "iam:ListRoles",
		azARN+"role/", because("identity-based policy", "iam:ListRoles")))
}
