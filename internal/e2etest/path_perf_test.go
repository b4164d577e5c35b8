package e2etest

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// TestLastUseSurvivesRestart: key and role last use are written behind; the node that served
// the requests reports them at once, and a clean shutdown writes them, so a restarted node reports them
// from the store.
func TestLastUseSurvivesRestart(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	var keyID, roleName = "", "used-role"
	t.Run("first node", func(t *testing.T) {
		s := Start(t, Options{DataDir: dir})
		root := RootCreds()
		user := newUser(t, s, root, "walker")
		v, err := user.Retrieve(ctx)
		ok(t, "credentials", err)
		keyID = v.AccessKeyID
		roleARN := newRole(t, s, root, roleName, trustPolicy("arn:aws:iam::"+AccountID+":user/walker", ""), 0)
		_, err = s.STS(user, "eu-west-1").AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: &roleARN, RoleSessionName: aws.String("session")})
		ok(t, "AssumeRole", err)

		lu, err := s.IAM(root).GetAccessKeyLastUsed(ctx, &iam.GetAccessKeyLastUsedInput{AccessKeyId: &keyID})
		ok(t, "GetAccessKeyLastUsed", err)
		if aws.ToString(lu.AccessKeyLastUsed.ServiceName) != "sts" || aws.ToString(lu.AccessKeyLastUsed.Region) != "eu-west-1" {
			t.Fatalf("key last used on the serving node: %+v", lu.AccessKeyLastUsed)
		}
		checkRecent(t, "LastUsedDate", lu.AccessKeyLastUsed.LastUsedDate)
		r, err := s.IAM(root).GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(roleName)})
		ok(t, "GetRole", err)
		if r.Role.RoleLastUsed == nil || aws.ToString(r.Role.RoleLastUsed.Region) != "eu-west-1" {
			t.Fatalf("RoleLastUsed on the serving node: %+v", r.Role.RoleLastUsed)
		}
	}) // the node stops here: App.Close writes what is pending
	if t.Failed() {
		return
	}
	s := Start(t, Options{DataDir: dir})
	root := s.IAM(RootCreds())
	lu, err := root.GetAccessKeyLastUsed(ctx, &iam.GetAccessKeyLastUsedInput{AccessKeyId: &keyID})
	ok(t, "GetAccessKeyLastUsed after restart", err)
	if aws.ToString(lu.AccessKeyLastUsed.ServiceName) != "sts" || aws.ToString(lu.AccessKeyLastUsed.Region) != "eu-west-1" {
		t.Fatalf("key last used after restart: %+v", lu.AccessKeyLastUsed)
	}
	checkRecent(t, "LastUsedDate", lu.AccessKeyLastUsed.LastUsedDate)
	r, err := root.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(roleName)})
	ok(t, "GetRole after restart", err)
	if r.Role.RoleLastUsed == nil || aws.ToString(r.Role.RoleLastUsed.Region) != "eu-west-1" {
		t.Fatalf("RoleLastUsed after restart: %+v", r.Role.RoleLastUsed)
	}
	checkRecent(t, "RoleLastUsed", r.Role.RoleLastUsed.LastUsedDate)
}

// TestTrustPolicyChangeAppliesAtOnce: AssumeRole caches roles and parsed trust policies, yet a trust policy
// update applies to the very next AssumeRole.
func TestTrustPolicyChangeAppliesAtOnce(t *testing.T) {
	ctx := context.Background()
	s := Start(t, Options{})
	root := RootCreds()
	user := newUser(t, s, root, "hopper")
	roleARN := newRole(t, s, root, "cached-role", trustPolicy("arn:aws:iam::"+AccountID+":user/hopper", ""), 0)
	c := s.STS(user, "us-east-1")
	assume := func() error {
		_, err := c.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: &roleARN, RoleSessionName: aws.String("session")})
		return err
	}
	for i := 0; i < 3; i++ {
		ok(t, "AssumeRole", assume())
		_, err := s.IAM(root).UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String("cached-role"),
			PolicyDocument: aws.String(trustPolicy("111122223333", ""))})
		ok(t, "UpdateAssumeRolePolicy", err)
		if err := assume(); err == nil {
			t.Fatalf("round %d: AssumeRole allowed after the trust policy stopped naming the user", i)
		}
		_, err = s.IAM(root).UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String("cached-role"),
			PolicyDocument: aws.String(trustPolicy("arn:aws:iam::"+AccountID+":user/hopper", ""))})
		ok(t, "UpdateAssumeRolePolicy", err)
	}
	_, err := s.IAM(root).DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("cached-role")})
	ok(t, "DeleteRole", err)
	if err := assume(); err == nil {
		t.Fatal("AssumeRole of a deleted role allowed")
	}
}
