package e2etest

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// Identity is the unique ID, not the name (docs/aws-behavior.md has a section of that title): credentials stop working once their
// principal is deleted, and a trust policy keeps trusting the principal it named when it was saved, not a
// namesake created later. These tests run the real binary and attack through an unmodified SDK.

const (
	adminPolicy    = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`
	readOnlyPolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:Get*","iam:List*"],"Resource":"*"}]}`
)

// deleteUser deletes a user with its access keys and inline policies, as an administrator would.
func deleteUser(t testing.TB, c *iam.Client, name string) {
	t.Helper()
	ctx := context.Background()
	keys, err := c.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String(name)})
	ok(t, "ListAccessKeys", err)
	for _, k := range keys.AccessKeyMetadata {
		_, err := c.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: aws.String(name), AccessKeyId: k.AccessKeyId})
		ok(t, "DeleteAccessKey", err)
	}
	pols, err := c.ListUserPolicies(ctx, &iam.ListUserPoliciesInput{UserName: aws.String(name)})
	ok(t, "ListUserPolicies", err)
	for _, p := range pols.PolicyNames {
		_, err := c.DeleteUserPolicy(ctx, &iam.DeleteUserPolicyInput{UserName: aws.String(name), PolicyName: aws.String(p)})
		ok(t, "DeleteUserPolicy", err)
	}
	_, err = c.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String(name)})
	ok(t, "DeleteUser "+name, err)
}

// TestAdversarialDeletedRoleSessionDoesNotInheritNamesake: a read-only role session must not become
// administrator when its role is deleted and created again, under the same name, with admin rights. The
// session is refused outright, as AWS refuses credentials of a deleted principal.
func TestAdversarialDeletedRoleSessionDoesNotInheritNamesake(t *testing.T) {
	s := startIamd(t, nil, "--data-dir", t.TempDir()).server()
	ctx := context.Background()
	root := RootCreds()
	admin := s.IAM(root)
	alice := newUser(t, s, root, "alice")
	allow(t, s, root, "alice", "sts:AssumeRole", "*")
	trust := trustPolicy("arn:aws:iam::"+AccountID+":root", "")
	roleARN := newRole(t, s, root, "Auditor", trust, 0)
	_, err := admin.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("Auditor"), PolicyName: aws.String("read"),
		PolicyDocument: aws.String(readOnlyPolicy)})
	ok(t, "PutRolePolicy read-only", err)

	out, err := s.STS(alice, "us-east-1").AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("audit")})
	ok(t, "AssumeRole", err)
	session := s.IAM(sessionCreds(out.Credentials))
	_, err = session.ListUsers(ctx, &iam.ListUsersInput{})
	ok(t, "read-only session lists users", err)
	_, err = session.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("mallory")})
	wantError(t, "read-only session creating a user", err, "AccessDenied", http.StatusForbidden, "")

	// The role is deleted and made again under the same name, now as administrator.
	_, err = admin.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: aws.String("Auditor"), PolicyName: aws.String("read")})
	ok(t, "DeleteRolePolicy", err)
	_, err = admin.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("Auditor")})
	ok(t, "DeleteRole", err)
	newRole(t, s, root, "Auditor", trust, 0)
	_, err = admin.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("Auditor"), PolicyName: aws.String("admin"),
		PolicyDocument: aws.String(adminPolicy)})
	ok(t, "PutRolePolicy admin", err)

	_, err = session.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("mallory")})
	wantError(t, "old session after its role was recreated as admin", err, "InvalidClientTokenId", http.StatusForbidden, msgInvalidToken)
	_, err = s.STS(sessionCreds(out.Credentials), "us-east-1").GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	wantError(t, "GetCallerIdentity of the old session", err, "InvalidClientTokenId", http.StatusForbidden, msgInvalidToken)
	if _, err := admin.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("mallory")}); err == nil {
		t.Fatal("the old session created a user")
	}
	// A session of the new role is the new role's, with its rights.
	out, err = s.STS(alice, "us-east-1").AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("admin")})
	ok(t, "AssumeRole of the new role", err)
	_, err = s.IAM(sessionCreds(out.Credentials)).CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("legit")})
	ok(t, "new role's session creating a user", err)
}

// TestAdversarialDeletedUserSessionRefused: a user's GetSessionToken and GetFederationToken sessions stop
// working when the user is deleted, and stay refused when a user of the same name is created again.
func TestAdversarialDeletedUserSessionRefused(t *testing.T) {
	s := startIamd(t, nil, "--data-dir", t.TempDir()).server()
	ctx := context.Background()
	root := RootCreds()
	bob := newUser(t, s, root, "bob")
	allow(t, s, root, "bob", "sts:GetFederationToken", "*")
	st, err := s.STS(bob, "us-east-1").GetSessionToken(ctx, &sts.GetSessionTokenInput{})
	ok(t, "GetSessionToken", err)
	fed, err := s.STS(bob, "us-east-1").GetFederationToken(ctx, &sts.GetFederationTokenInput{Name: aws.String("bobfed"),
		Policy: aws.String(adminPolicy)})
	ok(t, "GetFederationToken", err)
	sessions := map[string]*sts.Client{
		"GetSessionToken session":    s.STS(sessionCreds(st.Credentials), "us-east-1"),
		"GetFederationToken session": s.STS(sessionCreds(fed.Credentials), "us-east-1"),
	}
	for what, c := range sessions {
		if got := aws.ToString(identity(t, c).Account); got != AccountID {
			t.Fatalf("%s: account %s", what, got)
		}
	}

	deleteUser(t, s.IAM(root), "bob")
	for what, c := range sessions {
		_, err := c.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		wantError(t, what+" after the user was deleted", err, "InvalidClientTokenId", http.StatusForbidden, msgInvalidToken)
	}
	newUser(t, s, root, "bob")
	allow(t, s, root, "bob", "*", "*")
	for what, c := range sessions {
		_, err := c.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		wantError(t, what+" after a namesake was created", err, "InvalidClientTokenId", http.StatusForbidden, msgInvalidToken)
	}
}

// TestAdversarialTrustPolicyBindsUniqueID: a trust policy naming user/carol trusts the carol that existed
// when it was saved, not a carol created after she was deleted; GetRole then shows the policy with her
// unique ID in place of the ARN, as IAM does.
func TestAdversarialTrustPolicyBindsUniqueID(t *testing.T) {
	s := startIamd(t, nil, "--data-dir", t.TempDir()).server()
	ctx := context.Background()
	root := RootCreds()
	admin := s.IAM(root)
	carol := newUser(t, s, root, "carol")
	u, err := admin.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("carol")})
	ok(t, "GetUser", err)
	carolID := aws.ToString(u.User.UserId)
	carolARN := "arn:aws:iam::" + AccountID + ":user/carol"
	trust := trustPolicy(carolARN, "")
	roleARN := newRole(t, s, root, "Deploy", trust, 0)
	_, err = admin.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("Deploy"), PolicyName: aws.String("admin"),
		PolicyDocument: aws.String(adminPolicy)})
	ok(t, "PutRolePolicy", err)

	assume := func(c aws.CredentialsProvider) error {
		_, err := s.STS(c, "us-east-1").AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("sess")})
		return err
	}
	ok(t, "the trusted carol assumes the role", assume(carol))
	shown := func() string {
		t.Helper()
		r, err := admin.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("Deploy")})
		ok(t, "GetRole", err)
		return decoded(t, r.Role.AssumeRolePolicyDocument)
	}
	if got := shown(); got != trust {
		t.Fatalf("GetRole while carol exists shows %s", got)
	}

	deleteUser(t, admin, "carol")
	mallory := newUser(t, s, root, "carol") // a new carol, under the attacker's control
	wantError(t, "a new carol assuming the role", assume(mallory), "AccessDenied", http.StatusForbidden,
		"User: "+carolARN+" is not authorized to perform: sts:AssumeRole on resource: "+roleARN)
	withID := strings.Replace(trust, carolARN, carolID, 1)
	if got := shown(); got != withID {
		t.Fatalf("GetRole after a new carol was created shows\n%s\nwant\n%s", got, withID)
	}
	d, err := admin.GetAccountAuthorizationDetails(ctx, &iam.GetAccountAuthorizationDetailsInput{})
	ok(t, "GetAccountAuthorizationDetails", err)
	for _, r := range d.RoleDetailList {
		if aws.ToString(r.RoleName) == "Deploy" && decoded(t, r.AssumeRolePolicyDocument) != withID {
			t.Fatalf("GetAccountAuthorizationDetails shows %s", decoded(t, r.AssumeRolePolicyDocument))
		}
	}
	// Saving the policy again is how an administrator trusts the new carol.
	_, err = admin.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String("Deploy"), PolicyDocument: aws.String(trust)})
	ok(t, "UpdateAssumeRolePolicy", err)
	ok(t, "the new carol, trusted again", assume(mallory))
}

// TestAdversarialDeletedUserSessionCannotAssumeRole: a deleted user's GetSessionToken session cannot
// assume a role, even once a user of the same name holds the permission to.
func TestAdversarialDeletedUserSessionCannotAssumeRole(t *testing.T) {
	s := startIamd(t, nil, "--data-dir", t.TempDir()).server()
	ctx := context.Background()
	root := RootCreds()
	dave := newUser(t, s, root, "dave")
	allow(t, s, root, "dave", "sts:AssumeRole", "*")
	roleARN := newRole(t, s, root, "Ops", trustPolicy(AccountID, ""), 0)
	st, err := s.STS(dave, "us-east-1").GetSessionToken(ctx, &sts.GetSessionTokenInput{})
	ok(t, "GetSessionToken", err)
	session := s.STS(sessionCreds(st.Credentials), "us-east-1")
	assume := func() error {
		_, err := session.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("sess")})
		return err
	}
	ok(t, "AssumeRole while dave exists", assume())

	deleteUser(t, s.IAM(root), "dave")
	wantError(t, "AssumeRole after dave was deleted", assume(), "InvalidClientTokenId", http.StatusForbidden, msgInvalidToken)
	newUser(t, s, root, "dave")
	allow(t, s, root, "dave", "sts:AssumeRole", "*")
	wantError(t, "AssumeRole after a new dave was allowed to", assume(), "InvalidClientTokenId", http.StatusForbidden, msgInvalidToken)
}

// TestAdversarialDeletedRoleSessionRefusedOnEveryNode: on PostgreSQL with several nodes, a role session
// that another node has seen (and cached as live) is refused there within the propagation deadline once
// its role is deleted on any node.
func TestAdversarialDeletedRoleSessionRefusedOnEveryNode(t *testing.T) {
	nodes := startNodes(t, 2)
	a, b := nodes[0], nodes[1]
	ctx := context.Background()
	root := RootCreds()
	alice := newUser(t, a, root, "alice")
	allow(t, a, root, "alice", "sts:AssumeRole", "*")
	roleARN := newRole(t, a, root, "Worker", trustPolicy(AccountID, ""), 0)
	out, err := a.STS(alice, "us-east-1").AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("job")})
	ok(t, "AssumeRole", err)
	onB := b.STS(sessionCreds(out.Credentials), "us-east-1")
	identity(t, onB) // B now holds the role as live

	_, err = a.IAM(root).DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("Worker")})
	ok(t, "DeleteRole on A", err)
	took, err := pollFor(propagationDeadline, func() error {
		_, err := onB.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		if errorCodeOf(err) != "InvalidClientTokenId" {
			return fmt.Errorf("GetCallerIdentity on B: %v", err)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("the session still worked on B %v after its role was deleted on A: %v", took, err)
	}
}
