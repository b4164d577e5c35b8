package e2etest

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/account"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
)

// advAuthzEnv runs the iamd binary on its own data directory and returns the authorization test helpers
// for it.
func advAuthzEnv(t *testing.T) *authzEnv {
	t.Helper()
	s := startIamd(t, nil, "--data-dir", t.TempDir()).server()
	return &authzEnv{t: t, s: s, root: s.IAM(RootCreds()), ctx: context.Background()}
}

// A user whose policies grant something only to holders of a principal tag cannot give itself that tag
// as a GetFederationToken session tag (which overrides its own tag of the same key) unless it is allowed
// sts:TagSession on the federated user; once allowed, the tags are in force.
func TestAdversarialSessionTagsNeedTagSession(t *testing.T) {
	e := advAuthzEnv(t)
	creds := e.user("proxy", azDoc(azAllow("sts:GetFederationToken", "*"),
		`{"Effect":"Allow","Action":"account:ListRegions","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalTag/clearance":"admin"}}}`),
		iamtypes.Tag{Key: aws.String("clearance"), Value: aws.String("basic")})
	proxy := e.s.STS(creds, "us-east-1")
	federate := func(tags ...ststypes.Tag) (*sts.GetFederationTokenOutput, error) {
		return proxy.GetFederationToken(e.ctx, &sts.GetFederationTokenInput{Name: aws.String("fed"), Tags: tags,
			Policy: aws.String(azDoc(azAllow("*", "*")))})
	}
	listRegions := func(out *sts.GetFederationTokenOutput) error {
		c := out.Credentials
		_, err := e.s.Account(Creds(aws.ToString(c.AccessKeyId), aws.ToString(c.SecretAccessKey), aws.ToString(c.SessionToken))).
			ListRegions(e.ctx, &account.ListRegionsInput{})
		return err
	}
	admin := ststypes.Tag{Key: aws.String("Clearance"), Value: aws.String("admin")}

	_, err := federate(admin)
	wantDenied(t, err, "AccessDenied", "User: "+azARN+"user/proxy is not authorized to perform: sts:TagSession on resource: "+
		"arn:aws:sts::"+AccountID+":federated-user/fed "+because("identity-based policy", "sts:TagSession"))
	// Without session tags the federated user has the proxy's own tag, which the rule does not accept.
	out, err := federate()
	e.check(err)
	if err := listRegions(out); err == nil {
		t.Fatal("ListRegions allowed to a federated user of clearance basic")
	}

	// Allowed to pass the tag, the proxy's federated users carry it.
	e.putUserPolicy("proxy", "tags", azDoc(`{"Effect":"Allow","Action":"sts:TagSession","Resource":"arn:aws:sts::`+AccountID+
		`:federated-user/*","Condition":{"StringEquals":{"aws:RequestTag/clearance":"admin"}}}`))
	out, err = federate(admin)
	e.check(err)
	e.check(listRegions(out))
	_, err = federate(ststypes.Tag{Key: aws.String("team"), Value: aws.String("x")})
	wantDenied(t, err, "AccessDenied", "User: "+azARN+"user/proxy is not authorized to perform: sts:TagSession on resource: "+
		"arn:aws:sts::"+AccountID+":federated-user/fed "+because("identity-based policy", "sts:TagSession"))
}

// A Deny on user/admin1 stops a request naming the user ADMIN1: names are matched case-insensitively, so
// the request is evaluated against the user as stored.
func TestAdversarialNameCaseDoesNotBypassDeny(t *testing.T) {
	e := advAuthzEnv(t)
	e.check2(e.root.CreateUser(e.ctx, &iam.CreateUserInput{UserName: aws.String("admin1")}))
	ops := e.s.IAM(e.user("ops", azDoc(azAllow("iam:*", "*"), azDeny("iam:CreateAccessKey", azARN+"user/admin1"))))
	for _, name := range []string{"admin1", "ADMIN1", "Admin1"} {
		_, err := ops.CreateAccessKey(e.ctx, &iam.CreateAccessKeyInput{UserName: aws.String(name)})
		wantDenied(t, err, "AccessDenied", "User: "+azARN+"user/ops is not authorized to perform: iam:CreateAccessKey on resource: "+
			azARN+"user/"+name+" with an explicit deny in an identity-based policy")
	}
	keys, err := e.root.ListAccessKeys(e.ctx, &iam.ListAccessKeysInput{UserName: aws.String("admin1")})
	e.check(err)
	if len(keys.AccessKeyMetadata) != 0 {
		t.Fatalf("admin1 has %d access keys", len(keys.AccessKeyMetadata))
	}
	// What the Deny does not name stays allowed, in any case.
	e.check2(e.root.CreateUser(e.ctx, &iam.CreateUserInput{UserName: aws.String("dev1")}))
	e.check2(ops.CreateAccessKey(e.ctx, &iam.CreateAccessKeyInput{UserName: aws.String("DEV1")}))
}

// A Deny on role/prod stops AssumeRole of role/PROD: the role is found whatever the case, so the trust
// policy and the caller's policies are evaluated against the role as stored.
func TestAdversarialRoleNameCaseDoesNotBypassDeny(t *testing.T) {
	e := advAuthzEnv(t)
	e.check2(e.root.CreateRole(e.ctx, &iam.CreateRoleInput{RoleName: aws.String("prod"),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"` + AccountID + `"},"Action":"sts:AssumeRole"}]}`)}))
	dev := e.s.STS(e.user("dev", azDoc(azAllow("sts:AssumeRole", "*"), azDeny("sts:AssumeRole", azARN+"role/prod"))), "us-east-1")
	for _, name := range []string{"prod", "PROD", "Prod"} {
		arn := azARN + "role/" + name
		_, err := dev.AssumeRole(e.ctx, &sts.AssumeRoleInput{RoleArn: aws.String(arn), RoleSessionName: aws.String("s1")})
		wantDenied(t, err, "AccessDenied", "User: "+azARN+"user/dev is not authorized to perform: sts:AssumeRole on resource: "+arn)
	}
	// The same user assumes a role the Deny does not name, in any case.
	e.check2(e.root.CreateRole(e.ctx, &iam.CreateRoleInput{RoleName: aws.String("staging"),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"` + AccountID + `"},"Action":"sts:AssumeRole"}]}`)}))
	out, err := dev.AssumeRole(e.ctx, &sts.AssumeRoleInput{RoleArn: aws.String(azARN + "role/STAGING"), RoleSessionName: aws.String("s1")})
	e.check(err)
	if got := aws.ToString(out.AssumedRoleUser.Arn); got != "arn:aws:sts::"+AccountID+":assumed-role/staging/s1" {
		t.Fatalf("assumed-role ARN %s", got)
	}
}

// A user allowed GetAccessKeyLastUsed on its own ARN reads its own keys only: another user's key, root's
// key and a key that does not exist are denied alike, the message naming the key and not its owner.
func TestAdversarialAccessKeyLastUsedNeedsTheOwner(t *testing.T) {
	e := advAuthzEnv(t)
	reader := e.s.IAM(e.user("reader", azDoc(azAllow("iam:GetAccessKeyLastUsed", azARN+"user/${aws:username}"))))
	e.check2(e.root.CreateUser(e.ctx, &iam.CreateUserInput{UserName: aws.String("victim")}))
	victim, err := e.root.CreateAccessKey(e.ctx, &iam.CreateAccessKeyInput{UserName: aws.String("victim")})
	e.check(err)
	rootKey, err := e.root.CreateAccessKey(e.ctx, &iam.CreateAccessKeyInput{})
	e.check(err)
	own, err := e.root.ListAccessKeys(e.ctx, &iam.ListAccessKeysInput{UserName: aws.String("reader")})
	e.check(err)

	out, err := reader.GetAccessKeyLastUsed(e.ctx, &iam.GetAccessKeyLastUsedInput{AccessKeyId: own.AccessKeyMetadata[0].AccessKeyId})
	e.check(err)
	if aws.ToString(out.UserName) != "reader" {
		t.Fatalf("own key: user %q", aws.ToString(out.UserName))
	}
	const unknown = "AKIAQYLPMN5HHHFPZAM2"
	for _, id := range []string{aws.ToString(victim.AccessKey.AccessKeyId), aws.ToString(rootKey.AccessKey.AccessKeyId), RootKeyID, unknown} {
		_, err := reader.GetAccessKeyLastUsed(e.ctx, &iam.GetAccessKeyLastUsedInput{AccessKeyId: aws.String(id)})
		wantDenied(t, err, "AccessDenied", "User: "+azARN+"user/reader is not authorized to perform: iam:GetAccessKeyLastUsed on resource: access key "+
			id+" "+because("identity-based policy", "iam:GetAccessKeyLastUsed"))
	}
	// Allowed on every user, it reads the victim's key and is told that an unknown key does not exist;
	// root's key still needs the root user's ARN.
	e.putUserPolicy("reader", "base", azDoc(azAllow("iam:GetAccessKeyLastUsed", azARN+"user/*")))
	out, err = reader.GetAccessKeyLastUsed(e.ctx, &iam.GetAccessKeyLastUsedInput{AccessKeyId: victim.AccessKey.AccessKeyId})
	e.check(err)
	if aws.ToString(out.UserName) != "victim" {
		t.Fatalf("victim's key: user %q", aws.ToString(out.UserName))
	}
	_, err = reader.GetAccessKeyLastUsed(e.ctx, &iam.GetAccessKeyLastUsedInput{AccessKeyId: aws.String(unknown)})
	if apiCode(err) != "NoSuchEntity" {
		t.Fatalf("unknown key: %v", err)
	}
	_, err = reader.GetAccessKeyLastUsed(e.ctx, &iam.GetAccessKeyLastUsedInput{AccessKeyId: rootKey.AccessKey.AccessKeyId})
	wantDenied(t, err, "AccessDenied", "User: "+azARN+"user/reader is not authorized to perform: iam:GetAccessKeyLastUsed on resource: access key "+
		aws.ToString(rootKey.AccessKey.AccessKeyId)+" "+because("identity-based policy", "iam:GetAccessKeyLastUsed"))
}
