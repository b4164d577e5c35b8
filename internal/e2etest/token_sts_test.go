package e2etest

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
)

func assumeDenied(caller, role string) string {
	return "User: " + caller + " is not authorized to perform: sts:AssumeRole on resource: " + role
}

// TestTokenIdentities: GetCallerIdentity for every kind of caller (docs/aws-behavior.md, "Identifiers"), and the
// AssumedRoleUser / FederatedUser of the issuing responses agreeing with it.
func TestTokenIdentities(t *testing.T) {
	ctx := context.Background()
	s := Start(t, Options{})
	root := RootCreds()
	_, err := s.IAM(root).CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("carol"), Path: aws.String("/eng/")})
	ok(t, "CreateUser", err)
	k, err := s.IAM(root).CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("carol")})
	ok(t, "CreateAccessKey", err)
	carol := Creds(aws.ToString(k.AccessKey.AccessKeyId), aws.ToString(k.AccessKey.SecretAccessKey), "")
	u, err := s.IAM(root).GetUser(ctx, &iam.GetUserInput{UserName: aws.String("carol")})
	ok(t, "GetUser", err)
	carolARN, carolID := "arn:aws:iam::"+AccountID+":user/eng/carol", aws.ToString(u.User.UserId)
	if aws.ToString(u.User.Arn) != carolARN || !strings.HasPrefix(carolID, "AIDA") {
		t.Fatalf("user: %s %s", aws.ToString(u.User.Arn), carolID)
	}

	cr, err := s.IAM(root).CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("deploy"), Path: aws.String("/svc/"),
		AssumeRolePolicyDocument: aws.String(trustPolicy(carolARN, ""))})
	ok(t, "CreateRole", err)
	roleARN, roleID := aws.ToString(cr.Role.Arn), aws.ToString(cr.Role.RoleId)
	allow(t, s, root, "carol", "sts:GetFederationToken", "*")

	ar, err := s.STS(carol, "eu-west-1").AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: &roleARN, RoleSessionName: aws.String("ci-run@42")})
	ok(t, "AssumeRole", err)
	wantARN := "arn:aws:sts::" + AccountID + ":assumed-role/deploy/ci-run@42" // the role's path is dropped
	if aws.ToString(ar.AssumedRoleUser.Arn) != wantARN || aws.ToString(ar.AssumedRoleUser.AssumedRoleId) != roleID+":ci-run@42" {
		t.Fatalf("AssumedRoleUser: %+v", ar.AssumedRoleUser)
	}
	if ar.PackedPolicySize != nil {
		t.Fatalf("PackedPolicySize without session policies or tags: %d (AWS leaves it out)", aws.ToInt32(ar.PackedPolicySize))
	}
	ft, err := s.GlobalSTS(carol).GetFederationToken(ctx, &sts.GetFederationTokenInput{Name: aws.String("fed-dave")})
	ok(t, "GetFederationToken", err)
	fedARN, fedID := "arn:aws:sts::"+AccountID+":federated-user/fed-dave", AccountID+":fed-dave"
	if aws.ToString(ft.FederatedUser.Arn) != fedARN || aws.ToString(ft.FederatedUser.FederatedUserId) != fedID {
		t.Fatalf("FederatedUser: %+v", ft.FederatedUser)
	}
	rootSession, err := s.GlobalSTS(root).GetSessionToken(ctx, &sts.GetSessionTokenInput{})
	ok(t, "root GetSessionToken", err)
	userSession, err := s.GlobalSTS(carol).GetSessionToken(ctx, &sts.GetSessionTokenInput{})
	ok(t, "user GetSessionToken", err)

	for _, tc := range []struct {
		name         string
		creds        aws.CredentialsProvider
		arn, user    string
		wantAccount  string
		temporaryKey bool
	}{
		{"root", root, "arn:aws:iam::" + AccountID + ":root", AccountID, AccountID, false},
		{"root session", sessionCreds(rootSession.Credentials), "arn:aws:iam::" + AccountID + ":root", AccountID, AccountID, true},
		{"user", carol, carolARN, carolID, AccountID, false},
		{"user session", sessionCreds(userSession.Credentials), carolARN, carolID, AccountID, true},
		{"assumed role", sessionCreds(ar.Credentials), wantARN, roleID + ":ci-run@42", AccountID, true},
		{"federated user", sessionCreds(ft.Credentials), fedARN, fedID, AccountID, true},
	} {
		for _, c := range []*sts.Client{s.GlobalSTS(tc.creds), s.STS(tc.creds, "ap-south-1")} {
			id := identity(t, c)
			if aws.ToString(id.Arn) != tc.arn || aws.ToString(id.UserId) != tc.user || aws.ToString(id.Account) != tc.wantAccount {
				t.Fatalf("%s: GetCallerIdentity %s %s %s, want %s %s %s", tc.name, aws.ToString(id.Arn), aws.ToString(id.UserId),
					aws.ToString(id.Account), tc.arn, tc.user, tc.wantAccount)
			}
		}
		if tc.temporaryKey {
			cr, _ := tc.creds.Retrieve(ctx)
			ki, err := s.STS(root, "us-east-1").GetAccessKeyInfo(ctx, &sts.GetAccessKeyInfoInput{AccessKeyId: &cr.AccessKeyID})
			ok(t, "GetAccessKeyInfo of "+tc.name, err)
			if aws.ToString(ki.Account) != AccountID {
				t.Fatalf("GetAccessKeyInfo(%s) = %s", cr.AccessKeyID, aws.ToString(ki.Account))
			}
		}
	}
	_, err = s.STS(root, "us-east-1").GetAccessKeyInfo(ctx, &sts.GetAccessKeyInfoInput{AccessKeyId: aws.String("AKIA!!!!!!!!!!!!!!!!")})
	wantError(t, "GetAccessKeyInfo of a malformed key", err, "ValidationError", http.StatusBadRequest, "")
}

// TestTokenAssumeRole: same-account and cross-account AssumeRole, who may assume what, and the refusals.
func TestTokenAssumeRole(t *testing.T) {
	ctx := context.Background()
	s := Start(t, Options{})
	root := RootCreds()
	const other = "210987654321"
	otherRoot := newAccount(t, s, other)
	erin := newUser(t, s, root, "erin")
	frank := newUser(t, s, root, "frank")
	erinARN := "arn:aws:iam::" + AccountID + ":user/erin"
	frankARN := "arn:aws:iam::" + AccountID + ":user/frank"

	// Same account: the trust policy naming the user is enough.
	local := newRole(t, s, root, "local", trustPolicy(erinARN, ""), 0)
	_, err := s.STS(erin, "us-east-1").AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: &local, RoleSessionName: aws.String("one")})
	ok(t, "same-account AssumeRole", err)
	_, err = s.STS(frank, "us-east-1").AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: &local, RoleSessionName: aws.String("one")})
	wantError(t, "AssumeRole by a user the trust policy does not name", err, "AccessDenied", http.StatusForbidden, assumeDenied(frankARN, local))
	missing := "arn:aws:iam::" + AccountID + ":role/nope"
	_, err = s.STS(erin, "us-east-1").AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: &missing, RoleSessionName: aws.String("one")})
	wantError(t, "AssumeRole of a missing role", err, "AccessDenied", http.StatusForbidden, assumeDenied(erinARN, missing))
	wrongPath := "arn:aws:iam::" + AccountID + ":role/other/local"
	_, err = s.STS(erin, "us-east-1").AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: &wrongPath, RoleSessionName: aws.String("one")})
	wantError(t, "AssumeRole with the wrong path", err, "AccessDenied", http.StatusForbidden, assumeDenied(erinARN, wrongPath))

	// Root may not assume roles, not even one trusting its account.
	rootTrusted := newRole(t, s, root, "root-trusted", trustPolicy("arn:aws:iam::"+AccountID+":root", ""), 0)
	_, err = s.STS(root, "us-east-1").AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: &rootTrusted, RoleSessionName: aws.String("one")})
	wantError(t, "root AssumeRole", err, "AccessDenied", http.StatusForbidden, "Roles may not be assumed by root accounts.")
	// A role trusting the account needs the user's identity policy too.
	_, err = s.STS(frank, "us-east-1").AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: &rootTrusted, RoleSessionName: aws.String("one")})
	wantError(t, "account-trusted role without identity policy", err, "AccessDenied", http.StatusForbidden, assumeDenied(frankARN, rootTrusted))
	allow(t, s, root, "frank", "sts:AssumeRole", rootTrusted)
	_, err = s.STS(frank, "us-east-1").AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: &rootTrusted, RoleSessionName: aws.String("one")})
	ok(t, "account-trusted role with identity policy", err)

	// Cross account: the other account's trust policy names erin; erin's account must allow it too.
	remote := newRole(t, s, otherRoot, "remote", trustPolicy(erinARN, ""), 0)
	_, err = s.STS(erin, "us-east-1").AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: &remote, RoleSessionName: aws.String("x-acct")})
	wantError(t, "cross-account AssumeRole without identity policy", err, "AccessDenied", http.StatusForbidden, assumeDenied(erinARN, remote))
	allow(t, s, root, "erin", "sts:AssumeRole", remote)
	out, err := s.STS(erin, "us-east-1").AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: &remote, RoleSessionName: aws.String("x-acct")})
	ok(t, "cross-account AssumeRole", err)
	id := identity(t, s.STS(sessionCreds(out.Credentials), "us-east-1"))
	if aws.ToString(id.Account) != other || aws.ToString(id.Arn) != "arn:aws:sts::"+other+":assumed-role/remote/x-acct" {
		t.Fatalf("cross-account session: %s %s", aws.ToString(id.Account), aws.ToString(id.Arn))
	}
	// frank has no trust in the other account even with a wide identity policy.
	allow(t, s, root, "frank", "sts:AssumeRole", "*")
	_, err = s.STS(frank, "us-east-1").AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: &remote, RoleSessionName: aws.String("x-acct")})
	wantError(t, "cross-account AssumeRole not trusted", err, "AccessDenied", http.StatusForbidden, assumeDenied(frankARN, remote))
	// An identity Deny wins over the trust policy.
	_, err = s.IAM(root).PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("erin"), PolicyName: aws.String("deny"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"sts:AssumeRole","Resource":"*"}]}`)})
	ok(t, "PutUserPolicy deny", err)
	_, err = s.STS(erin, "us-east-1").AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: &local, RoleSessionName: aws.String("one")})
	wantError(t, "AssumeRole under an explicit deny", err, "AccessDenied", http.StatusForbidden, "")

	// Input validation of the model.
	_, err = s.STS(frank, "us-east-1").AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: &rootTrusted, RoleSessionName: aws.String("bad name")})
	wantError(t, "RoleSessionName with a space", err, "ValidationError", http.StatusBadRequest,
		"1 validation error detected: Value 'bad name' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*")
	_, err = s.STS(frank, "us-east-1").AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:s3:::bucket"), RoleSessionName: aws.String("one")})
	wantError(t, "RoleArn that is not a role", err, "ValidationError", http.StatusBadRequest, "")
}

// TestTokenRoleChainingAndDurations: DurationSeconds rules (docs/aws-behavior.md, "STS rules").
func TestTokenRoleChainingAndDurations(t *testing.T) {
	ctx := context.Background()
	s := Start(t, Options{})
	root := RootCreds()
	gina := newUser(t, s, root, "gina")
	ginaARN := "arn:aws:iam::" + AccountID + ":user/gina"
	first := newRole(t, s, root, "first", trustPolicy(ginaARN, ""), 7200)
	second := newRole(t, s, root, "second", trustPolicy(first, ""), 43200)
	short := newRole(t, s, root, "short", trustPolicy(ginaARN, ""), 0)
	c := s.STS(gina, "us-east-2")

	expiresIn := func(what string, exp *time.Time, want time.Duration) {
		t.Helper()
		// Bounds, not timing: the expiration is issue time + duration, and issue time lies between
		// before and after the call.
		if exp == nil {
			t.Fatalf("%s: no expiration", what)
		}
		if d := time.Until(*exp); d > want+time.Second || d < want-5*time.Minute {
			t.Fatalf("%s: expires in %s, want about %s", what, d, want)
		}
	}

	// AssumeRole: default 1 h, up to MaxSessionDuration, not beyond.
	out, err := c.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: &first, RoleSessionName: aws.String("hop1")})
	ok(t, "AssumeRole default duration", err)
	expiresIn("AssumeRole default", out.Credentials.Expiration, time.Hour)
	_, err = c.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: &short, RoleSessionName: aws.String("hop1"), DurationSeconds: aws.Int32(3601)})
	wantError(t, "AssumeRole beyond the default MaxSessionDuration", err, "ValidationError", http.StatusBadRequest,
		"The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
	_, err = c.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: &first, RoleSessionName: aws.String("hop1"), DurationSeconds: aws.Int32(7201)})
	wantError(t, "AssumeRole beyond MaxSessionDuration", err, "ValidationError", http.StatusBadRequest,
		"The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
	long, err := c.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: &first, RoleSessionName: aws.String("hop1"), DurationSeconds: aws.Int32(7200)})
	ok(t, "AssumeRole at MaxSessionDuration", err)
	expiresIn("AssumeRole 7200", long.Credentials.Expiration, 2*time.Hour)
	_, err = c.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: &first, RoleSessionName: aws.String("hop1"), DurationSeconds: aws.Int32(899)})
	wantError(t, "AssumeRole below 900", err, "ValidationError", http.StatusBadRequest,
		"1 validation error detected: Value '899' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900")
	_, err = c.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: &second, RoleSessionName: aws.String("hop1"), DurationSeconds: aws.Int32(43201)})
	wantError(t, "AssumeRole above 43200", err, "ValidationError", http.StatusBadRequest,
		"1 validation error detected: Value '43201' at 'durationSeconds' failed to satisfy constraint: Member must have value less than or equal to 43200")

	// Role chaining: at most one hour, whatever the second role allows.
	hop := s.STS(sessionCreds(long.Credentials), "us-east-2")
	_, err = hop.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: &second, RoleSessionName: aws.String("hop2"), DurationSeconds: aws.Int32(3601)})
	wantError(t, "role chaining beyond 1 h", err, "ValidationError", http.StatusBadRequest,
		"The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.")
	chained, err := hop.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: &second, RoleSessionName: aws.String("hop2"), DurationSeconds: aws.Int32(3600)})
	ok(t, "role chaining at 1 h", err)
	expiresIn("chained", chained.Credentials.Expiration, time.Hour)
	if id := identity(t, s.STS(sessionCreds(chained.Credentials), "us-east-2")); aws.ToString(id.Arn) != "arn:aws:sts::"+AccountID+":assumed-role/second/hop2" {
		t.Fatalf("chained identity %s", aws.ToString(id.Arn))
	}
	// gina herself is not trusted by the second role.
	_, err = c.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: &second, RoleSessionName: aws.String("hop2")})
	wantError(t, "AssumeRole of a role trusting only another role", err, "AccessDenied", http.StatusForbidden,
		assumeDenied(ginaARN, second))

	// GetSessionToken: default 12 h, 900-129600, root capped to 1 h silently.
	gst, err := c.GetSessionToken(ctx, &sts.GetSessionTokenInput{})
	ok(t, "GetSessionToken default", err)
	expiresIn("GetSessionToken default", gst.Credentials.Expiration, 12*time.Hour)
	gst, err = c.GetSessionToken(ctx, &sts.GetSessionTokenInput{DurationSeconds: aws.Int32(129600)})
	ok(t, "GetSessionToken 36 h", err)
	expiresIn("GetSessionToken 129600", gst.Credentials.Expiration, 36*time.Hour)
	_, err = c.GetSessionToken(ctx, &sts.GetSessionTokenInput{DurationSeconds: aws.Int32(129601)})
	wantError(t, "GetSessionToken above 129600", err, "ValidationError", http.StatusBadRequest,
		"1 validation error detected: Value '129601' at 'durationSeconds' failed to satisfy constraint: Member must have value less than or equal to 129600")
	_, err = c.GetSessionToken(ctx, &sts.GetSessionTokenInput{DurationSeconds: aws.Int32(100)})
	wantError(t, "GetSessionToken below 900", err, "ValidationError", http.StatusBadRequest, "")
	rs, err := s.GlobalSTS(root).GetSessionToken(ctx, &sts.GetSessionTokenInput{DurationSeconds: aws.Int32(7200)})
	ok(t, "root GetSessionToken 7200", err)
	expiresIn("root GetSessionToken capped", rs.Credentials.Expiration, time.Hour)
	rs, err = s.GlobalSTS(root).GetSessionToken(ctx, &sts.GetSessionTokenInput{})
	ok(t, "root GetSessionToken default", err)
	expiresIn("root GetSessionToken default capped", rs.Credentials.Expiration, time.Hour)
	rf, err := s.GlobalSTS(root).GetFederationToken(ctx, &sts.GetFederationTokenInput{Name: aws.String("rootfed"), DurationSeconds: aws.Int32(7200)})
	ok(t, "root GetFederationToken 7200", err)
	expiresIn("root GetFederationToken capped", rf.Credentials.Expiration, time.Hour)
}

// TestTokenSessionCredentialRules: what temporary credentials may not do (docs/aws-behavior.md, "STS rules").
func TestTokenSessionCredentialRules(t *testing.T) {
	ctx := context.Background()
	s := Start(t, Options{})
	root := RootCreds()
	hank := newUser(t, s, root, "hank")
	hankARN := "arn:aws:iam::" + AccountID + ":user/hank"
	allow(t, s, root, "hank", "*", "*")
	role := newRole(t, s, root, "worker", trustPolicy(hankARN, ""), 0)
	_, err := s.IAM(root).PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("worker"), PolicyName: aws.String("all"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`)})
	ok(t, "PutRolePolicy", err)

	gst, err := s.GlobalSTS(hank).GetSessionToken(ctx, &sts.GetSessionTokenInput{})
	ok(t, "GetSessionToken", err)
	ar, err := s.GlobalSTS(hank).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: &role, RoleSessionName: aws.String("w1")})
	ok(t, "AssumeRole", err)
	ft, err := s.GlobalSTS(hank).GetFederationToken(ctx, &sts.GetFederationTokenInput{Name: aws.String("fed"),
		Policy: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`)})
	ok(t, "GetFederationToken", err)
	rgst, err := s.GlobalSTS(root).GetSessionToken(ctx, &sts.GetSessionTokenInput{})
	ok(t, "root GetSessionToken", err)

	for name, c := range map[string]*ststypes.Credentials{"user session": gst.Credentials, "role session": ar.Credentials,
		"root session": rgst.Credentials} {
		cl := s.GlobalSTS(sessionCreds(c))
		_, err = cl.GetSessionToken(ctx, &sts.GetSessionTokenInput{})
		wantError(t, "GetSessionToken with "+name, err, "AccessDenied", http.StatusForbidden, "Cannot call GetSessionToken with session credentials")
		_, err = cl.GetFederationToken(ctx, &sts.GetFederationTokenInput{Name: aws.String("fed")})
		wantError(t, "GetFederationToken with "+name, err, "AccessDenied", http.StatusForbidden, "Cannot call GetFederationToken with session credentials")
	}
	// A federated user may call GetCallerIdentity and nothing else, in STS or IAM.
	fed := sessionCreds(ft.Credentials)
	identity(t, s.GlobalSTS(fed))
	fedARN := "arn:aws:sts::" + AccountID + ":federated-user/fed"
	_, err = s.GlobalSTS(fed).GetSessionToken(ctx, &sts.GetSessionTokenInput{})
	wantError(t, "GetSessionToken by a federated user", err, "AccessDenied", http.StatusForbidden, "")
	_, err = s.GlobalSTS(fed).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: &role, RoleSessionName: aws.String("w1")})
	wantError(t, "AssumeRole by a federated user", err, "AccessDenied", http.StatusForbidden, "")
	_, err = s.IAM(fed).ListUsers(ctx, &iam.ListUsersInput{})
	wantError(t, "IAM by a federated user", err, "AccessDenied", http.StatusForbidden, "")
	if got := errorOf(t, err).Message; !strings.Contains(got, fedARN) {
		t.Fatalf("federated IAM denial does not name the caller: %q", got)
	}
	// GetSessionToken credentials without MFA cannot call IAM; role sessions can (with the role's policies).
	_, err = s.IAM(sessionCreds(gst.Credentials)).ListUsers(ctx, &iam.ListUsersInput{})
	wantError(t, "IAM with GetSessionToken credentials without MFA", err, "InvalidClientTokenId", http.StatusForbidden, msgInvalidToken)
	_, err = s.IAM(sessionCreds(ar.Credentials)).ListUsers(ctx, &iam.ListUsersInput{})
	ok(t, "IAM with role credentials", err)

	// A user without sts:GetFederationToken may not call it; GetSessionToken needs no permission.
	ivy := newUser(t, s, root, "ivy")
	_, err = s.GlobalSTS(ivy).GetFederationToken(ctx, &sts.GetFederationTokenInput{Name: aws.String("fed")})
	wantError(t, "GetFederationToken without permission", err, "AccessDenied", http.StatusForbidden, "")
	_, err = s.GlobalSTS(ivy).GetSessionToken(ctx, &sts.GetSessionTokenInput{})
	ok(t, "GetSessionToken needs no permission", err)
	// ... and a Deny of sts:GetSessionToken has no effect (it is an authentication operation).
	_, err = s.IAM(root).PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("ivy"), PolicyName: aws.String("deny"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"sts:*","Resource":"*"}]}`)})
	ok(t, "PutUserPolicy", err)
	_, err = s.GlobalSTS(ivy).GetSessionToken(ctx, &sts.GetSessionTokenInput{})
	ok(t, "GetSessionToken under a Deny", err)
	identity(t, s.GlobalSTS(ivy)) // nor can GetCallerIdentity be denied
	// MFA codes cannot be checked without an MFA device.
	_, err = s.GlobalSTS(ivy).GetSessionToken(ctx, &sts.GetSessionTokenInput{SerialNumber: aws.String("arn:aws:iam::" + AccountID + ":mfa/ivy"),
		TokenCode: aws.String("123456")})
	wantError(t, "GetSessionToken with an unknown MFA device", err, "AccessDenied", http.StatusForbidden, "")
}

// TestTokenExternalIdAndConditions: trust-policy conditions on ExternalId and RoleSessionName.
func TestTokenExternalIdAndConditions(t *testing.T) {
	ctx := context.Background()
	s := Start(t, Options{})
	root := RootCreds()
	const other = "210987654321"
	otherRoot := newAccount(t, s, other)
	jo := newUser(t, s, root, "jo")
	joARN := "arn:aws:iam::" + AccountID + ":user/jo"
	allow(t, s, root, "jo", "sts:AssumeRole", "*")
	role := newRole(t, s, otherRoot, "vendor", trustPolicy(AccountID, `{"StringEquals":{"sts:ExternalId":"Unique-ID-1"}}`), 0)
	c := s.STS(jo, "us-east-1")
	for _, ext := range []*string{nil, aws.String("unique-id-1"), aws.String("other")} {
		_, err := c.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: &role, RoleSessionName: aws.String("v1"), ExternalId: ext})
		wantError(t, fmt.Sprintf("ExternalId %v", aws.ToString(ext)), err, "AccessDenied", http.StatusForbidden, assumeDenied(joARN, role))
	}
	_, err := c.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: &role, RoleSessionName: aws.String("v1"), ExternalId: aws.String("Unique-ID-1")})
	ok(t, "AssumeRole with the right ExternalId", err)
	_, err = c.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: &role, RoleSessionName: aws.String("v1"), ExternalId: aws.String("x")})
	wantError(t, "ExternalId shorter than 2", err, "ValidationError", http.StatusBadRequest, "")

	named := newRole(t, s, root, "named", trustPolicy(joARN, `{"StringLike":{"sts:RoleSessionName":"${aws:username}"}}`), 0)
	_, err = c.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: &named, RoleSessionName: aws.String("someone")})
	wantError(t, "RoleSessionName condition not met", err, "AccessDenied", http.StatusForbidden, assumeDenied(joARN, named))
	_, err = c.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: &named, RoleSessionName: aws.String("jo")})
	ok(t, "RoleSessionName condition met", err)
}

// TestTokenSessionTagsAndPolicies: session tags limits, duplicates, transitive keys, session policies and
// PackedPolicyTooLarge.
func TestTokenSessionTagsAndPolicies(t *testing.T) {
	ctx := context.Background()
	s := Start(t, Options{})
	root := RootCreds()
	kim := newUser(t, s, root, "kim")
	kimARN := "arn:aws:iam::" + AccountID + ":user/kim"
	allow(t, s, root, "kim", "sts:*", "*")
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"` + kimARN +
		`"},"Action":["sts:AssumeRole","sts:TagSession"]}]}`
	role := newRole(t, s, root, "tagged", trust, 0)
	noTagRole := newRole(t, s, root, "untagged", trustPolicy(kimARN, ""), 0)
	c := s.STS(kim, "us-east-1")
	tags := func(n, valueLen int) []ststypes.Tag {
		out := make([]ststypes.Tag, n)
		for i := range out {
			out[i] = ststypes.Tag{Key: aws.String(fmt.Sprintf("key-%02d", i)), Value: aws.String(strings.Repeat("v", valueLen))}
		}
		return out
	}

	out, err := c.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: &role, RoleSessionName: aws.String("t1"), Tags: tags(3, 8),
		TransitiveTagKeys: []string{"key-01"}})
	ok(t, "AssumeRole with tags", err)
	if p := aws.ToInt32(out.PackedPolicySize); p <= 0 || p > 100 {
		t.Fatalf("PackedPolicySize with 3 tags: %d", p)
	}
	_, err = c.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: &noTagRole, RoleSessionName: aws.String("t1"), Tags: tags(1, 8)})
	wantError(t, "tags without sts:TagSession in the trust policy", err, "AccessDenied", http.StatusForbidden, "")
	_, err = c.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: &role, RoleSessionName: aws.String("t1"), Tags: tags(51, 1)})
	wantError(t, "51 session tags", err, "ValidationError", http.StatusBadRequest, "")
	dup := []ststypes.Tag{{Key: aws.String("Team"), Value: aws.String("a")}, {Key: aws.String("team"), Value: aws.String("b")}}
	_, err = c.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: &role, RoleSessionName: aws.String("t1"), Tags: dup})
	wantError(t, "duplicate tag keys", err, "ValidationError", http.StatusBadRequest, "")
	_, err = c.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: &role, RoleSessionName: aws.String("t1"), Tags: tags(2, 1),
		TransitiveTagKeys: []string{"absent"}})
	wantError(t, "transitive key without its tag", err, "ValidationError", http.StatusBadRequest, "")
	_, err = c.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: &role, RoleSessionName: aws.String("t1"), Tags: tags(50, 256)})
	wantError(t, "50 maximal tags", err, "PackedPolicyTooLarge", http.StatusBadRequest, "")
	if m := errorOf(t, err).Message; !strings.HasPrefix(m, "Packed policy consumes ") {
		t.Fatalf("PackedPolicyTooLarge message: %q", m)
	}
	_, err = c.GetFederationToken(ctx, &sts.GetFederationTokenInput{Name: aws.String("fed"), Tags: tags(50, 256)})
	wantError(t, "GetFederationToken with 50 maximal tags", err, "PackedPolicyTooLarge", http.StatusBadRequest, "")
	_, err = c.GetFederationToken(ctx, &sts.GetFederationTokenInput{Name: aws.String("fed"), Tags: dup})
	wantError(t, "GetFederationToken with duplicate tags", err, "ValidationError", http.StatusBadRequest, "")

	// Session policies: the inline document is parsed, ARNs are checked, the size is reported.
	pol := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`
	out, err = c.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: &role, RoleSessionName: aws.String("p1"), Policy: &pol,
		PolicyArns: []ststypes.PolicyDescriptorType{{Arn: aws.String("arn:aws:iam::aws:policy/ReadOnlyAccess")}}})
	ok(t, "AssumeRole with session policies", err)
	if p := aws.ToInt32(out.PackedPolicySize); p <= 0 || p > 100 {
		t.Fatalf("PackedPolicySize with session policies: %d", p)
	}
	_, err = c.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: &role, RoleSessionName: aws.String("p1"), Policy: aws.String(`{"Statement":`)})
	wantError(t, "malformed session policy", err, "MalformedPolicyDocument", http.StatusBadRequest, "")
	_, err = c.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: &role, RoleSessionName: aws.String("p1"),
		PolicyArns: []ststypes.PolicyDescriptorType{{Arn: aws.String("arn:aws:s3:::not-a-policy")}}})
	wantError(t, "policy ARN that is not a policy", err, "ValidationError", http.StatusBadRequest, "")
	// A session policy narrows the session: the role may do anything, the session only s3:GetObject.
	_, err = s.IAM(root).PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("tagged"), PolicyName: aws.String("all"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`)})
	ok(t, "PutRolePolicy", err)
	narrow, err := c.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: &role, RoleSessionName: aws.String("p2"), Policy: &pol})
	ok(t, "AssumeRole with a narrowing policy", err)
	_, err = s.IAM(sessionCreds(narrow.Credentials)).ListUsers(ctx, &iam.ListUsersInput{})
	wantError(t, "ListUsers outside the session policy", err, "AccessDenied", http.StatusForbidden, "")
	wide, err := c.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: &role, RoleSessionName: aws.String("p3")})
	ok(t, "AssumeRole without session policy", err)
	_, err = s.IAM(sessionCreds(wide.Credentials)).ListUsers(ctx, &iam.ListUsersInput{})
	ok(t, "ListUsers with the role's own permissions", err)
}

// TestTokenTamperedAndForeign: tokens that were altered, cut, swapped or never issued are refused.
func TestTokenTamperedAndForeign(t *testing.T) {
	ctx := context.Background()
	s := Start(t, Options{})
	other := Start(t, Options{}) // another server: its key ring is not ours
	lee := newUser(t, s, RootCreds(), "lee")
	out, err := s.GlobalSTS(lee).GetSessionToken(ctx, &sts.GetSessionTokenInput{})
	ok(t, "GetSessionToken", err)
	out2, err := s.STS(lee, "eu-west-2").GetSessionToken(ctx, &sts.GetSessionTokenInput{})
	ok(t, "GetSessionToken 2", err)
	foreign, err := other.GlobalSTS(RootCreds()).GetSessionToken(ctx, &sts.GetSessionTokenInput{})
	ok(t, "foreign GetSessionToken", err)
	key, secret, tok := aws.ToString(out.Credentials.AccessKeyId), aws.ToString(out.Credentials.SecretAccessKey), aws.ToString(out.Credentials.SessionToken)

	flip := func(s string, i int) string {
		b := []byte(s)
		if b[i] == 'A' {
			b[i] = 'B'
		} else {
			b[i] = 'A'
		}
		return string(b)
	}
	for name, c := range map[string]aws.CredentialsProvider{
		"flipped in the header":      Creds(key, secret, flip(tok, 5)),
		"flipped in the middle":      Creds(key, secret, flip(tok, len(tok)/2)),
		"flipped at the end":         Creds(key, secret, flip(tok, len(tok)-3)),
		"truncated":                  Creds(key, secret, tok[:len(tok)-8]),
		"not base64":                 Creds(key, secret, "!!!"+tok[3:]),
		"empty-looking":              Creds(key, secret, "FwoGZXIvYXdz"),
		"other credentials' token":   Creds(key, secret, aws.ToString(out2.Credentials.SessionToken)),
		"foreign server's token":     Creds(aws.ToString(foreign.Credentials.AccessKeyId), aws.ToString(foreign.Credentials.SecretAccessKey), aws.ToString(foreign.Credentials.SessionToken)),
		"ASIA key without its token": Creds(key, secret, ""),
	} {
		_, err := s.STS(c, "us-east-1").GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		wantError(t, name, err, "InvalidClientTokenId", http.StatusForbidden, "")
	}
	_, err = s.STS(Creds(key, "wrong"+secret[5:], tok), "us-east-1").GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	wantError(t, "wrong secret", err, "SignatureDoesNotMatch", http.StatusForbidden, "")
	identity(t, s.STS(Creds(key, secret, tok), "us-east-1")) // the untouched token still works
}
