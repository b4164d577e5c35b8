package e2etest

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	stssvc "github.com/iamd/iamd/internal/service/sts"
)

// AWS's answer to a TokenCode it cannot validate for the caller (docs/aws-behavior.md, "STS rules").
const msgMFAFailed = "MultiFactorAuthentication failed, unable to validate MFA code.  Please verify your MFA serial number is valid and associated with this user."

// mfaDevice is an enabled virtual MFA device and its seed.
type mfaDevice struct {
	serial string
	seed   []byte
}

// next is the code of the time step after the one that enabled the device: the one code the server
// accepts right away (it accepts a step either side of its own, and each step once).
func (d mfaDevice) next(t testing.TB) string {
	return totpCode(t, d.seed, time.Now().Add(30*time.Second))
}

// newMFAUser creates a user with an access key and an enabled virtual MFA device.
func newMFAUser(t testing.TB, s *Server, name string) (aws.CredentialsProvider, mfaDevice) {
	t.Helper()
	ctx := context.Background()
	creds := newUser(t, s, RootCreds(), name)
	c := s.IAM(RootCreds())
	v := must[*iam.CreateVirtualMFADeviceOutput](t, "CreateVirtualMFADevice")(c.CreateVirtualMFADevice(ctx,
		&iam.CreateVirtualMFADeviceInput{VirtualMFADeviceName: aws.String(name)})).VirtualMFADevice
	d := mfaDevice{serial: aws.ToString(v.SerialNumber), seed: v.Base32StringSeed}
	must[*iam.EnableMFADeviceOutput](t, "EnableMFADevice")(c.EnableMFADevice(ctx, enableInput(t, name, d.serial, d.seed)))
	return creds, d
}

// An MFA code that made a session is spent: presenting it again (someone who watched it typed, or a
// replayed request) is refused, in GetSessionToken and in AssumeRole alike.
func TestAdversarialSTSMFACodeReplayIsRefused(t *testing.T) {
	s := Start(t, Options{})
	ctx := context.Background()
	ann, dev := newMFAUser(t, s, "ann")
	role := newRole(t, s, RootCreds(), "r", trustPolicy(arn("user/ann"), ""), 0)
	code := dev.next(t)
	c := s.GlobalSTS(ann)
	_, err := c.GetSessionToken(ctx, &sts.GetSessionTokenInput{SerialNumber: &dev.serial, TokenCode: &code})
	ok(t, "GetSessionToken with MFA", err)
	_, err = c.GetSessionToken(ctx, &sts.GetSessionTokenInput{SerialNumber: &dev.serial, TokenCode: &code})
	wantError(t, "GetSessionToken replaying the code", err, "AccessDenied", http.StatusForbidden, msgMFAFailed)
	_, err = c.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: &role, RoleSessionName: aws.String("s1"), SerialNumber: &dev.serial, TokenCode: &code})
	wantError(t, "AssumeRole replaying the code", err, "AccessDenied", http.StatusForbidden, msgMFAFailed)
	_, err = c.GetSessionToken(ctx, &sts.GetSessionTokenInput{SerialNumber: &dev.serial, TokenCode: aws.String("000000")})
	wantError(t, "wrong code", err, "AccessDenied", http.StatusForbidden, msgMFAFailed)
	_, err = c.GetSessionToken(ctx, &sts.GetSessionTokenInput{TokenCode: &code})
	wantError(t, "code without serial", err, "AccessDenied", http.StatusForbidden,
		"MultiFactorAuthentication failed, must provide both MFA serial number and one time pass code.")
}

// A user cannot make an MFA session with another user's device, even with its right code (a stolen
// code is useless without its owner's keys); the code is not spent by the attempt. Root's device is
// root's alone.
func TestAdversarialSTSMFAAnotherUsersDeviceIsRefused(t *testing.T) {
	s := Start(t, Options{})
	ctx := context.Background()
	ann, _ := newMFAUser(t, s, "ann")
	bob, bobDev := newMFAUser(t, s, "bob")
	code := bobDev.next(t)
	_, err := s.GlobalSTS(ann).GetSessionToken(ctx, &sts.GetSessionTokenInput{SerialNumber: &bobDev.serial, TokenCode: &code})
	wantError(t, "ann with bob's device", err, "AccessDenied", http.StatusForbidden, msgMFAFailed)
	_, err = s.GlobalSTS(RootCreds()).GetSessionToken(ctx, &sts.GetSessionTokenInput{SerialNumber: &bobDev.serial, TokenCode: &code})
	wantError(t, "root with bob's device", err, "AccessDenied", http.StatusForbidden, msgMFAFailed)
	_, err = s.GlobalSTS(bob).GetSessionToken(ctx, &sts.GetSessionTokenInput{SerialNumber: &bobDev.serial, TokenCode: &code})
	ok(t, "bob with his own device", err)
}

// GetSessionToken credentials reach IAM only when the session was made with MFA: a session without it
// is refused by IAM, one with a verified code is served.
func TestAdversarialSTSSessionWithoutMFACannotCallIAM(t *testing.T) {
	s := Start(t, Options{})
	ctx := context.Background()
	ann, dev := newMFAUser(t, s, "ann")
	allow(t, s, RootCreds(), "ann", "iam:GetUser", "*")
	plain, err := s.GlobalSTS(ann).GetSessionToken(ctx, &sts.GetSessionTokenInput{})
	ok(t, "GetSessionToken", err)
	_, err = s.IAM(sessionCreds(plain.Credentials)).GetUser(ctx, &iam.GetUserInput{})
	wantError(t, "IAM with a session without MFA", err, "InvalidClientTokenId", http.StatusForbidden, msgInvalidToken)
	code := dev.next(t)
	withMFA, err := s.GlobalSTS(ann).GetSessionToken(ctx, &sts.GetSessionTokenInput{SerialNumber: &dev.serial, TokenCode: &code})
	ok(t, "GetSessionToken with MFA", err)
	_, err = s.IAM(sessionCreds(withMFA.Credentials)).GetUser(ctx, &iam.GetUserInput{})
	ok(t, "IAM with an MFA session", err)
}

// The usual "deny everything without MFA" guard: a Deny with BoolIfExists aws:MultiFactorAuthPresent
// false stops the user's long-term key and a role session made without a code, and lets through a role
// session made with one, and a role chained from it. A trust policy requiring MFA refuses AssumeRole
// without a code.
func TestAdversarialSTSDenyWithoutMFA(t *testing.T) {
	s := Start(t, Options{})
	ctx := context.Background()
	ann, dev := newMFAUser(t, s, "ann")
	root := s.IAM(RootCreds())
	guard := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:ListUsers","sts:AssumeRole"],"Resource":"*"},` +
		`{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"BoolIfExists":{"aws:MultiFactorAuthPresent":"false"}}}]}`
	_, err := root.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("ann"), PolicyName: aws.String("guard"), PolicyDocument: &guard})
	ok(t, "PutUserPolicy", err)
	_, err = s.IAM(ann).ListUsers(ctx, &iam.ListUsersInput{})
	wantError(t, "long-term key under the guard", err, "AccessDenied", http.StatusForbidden, "")

	r1 := newRole(t, s, RootCreds(), "r1", trustPolicy(arn("user/ann"), ""), 0)
	r2 := newRole(t, s, RootCreds(), "r2", trustPolicy(arn("role/r1"), `{"Bool":{"aws:MultiFactorAuthPresent":"true"}}`), 0)
	strict := newRole(t, s, RootCreds(), "strict", trustPolicy(arn("user/ann"), `{"Bool":{"aws:MultiFactorAuthPresent":"true"}}`), 0)
	for _, r := range []string{"r1", "r2"} {
		_, err = root.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(r), PolicyName: aws.String("guard"), PolicyDocument: &guard})
		ok(t, "PutRolePolicy", err)
	}
	// Ann's own guard denies her AssumeRole without MFA; the strict role's trust policy does too.
	_, err = s.GlobalSTS(ann).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: &r1, RoleSessionName: aws.String("s1")})
	wantError(t, "AssumeRole without MFA under the guard", err, "AccessDenied", http.StatusForbidden, "")
	_, err = root.DeleteUserPolicy(ctx, &iam.DeleteUserPolicyInput{UserName: aws.String("ann"), PolicyName: aws.String("guard")})
	ok(t, "DeleteUserPolicy", err)
	allow(t, s, RootCreds(), "ann", "sts:AssumeRole", "*")
	_, err = s.GlobalSTS(ann).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: &strict, RoleSessionName: aws.String("s1")})
	wantError(t, "trust policy requiring MFA, no code", err, "AccessDenied", http.StatusForbidden,
		"User: "+arn("user/ann")+" is not authorized to perform: sts:AssumeRole on resource: "+strict)

	plain, err := s.GlobalSTS(ann).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: &r1, RoleSessionName: aws.String("plain")})
	ok(t, "AssumeRole without MFA", err)
	_, err = s.IAM(sessionCreds(plain.Credentials)).ListUsers(ctx, &iam.ListUsersInput{})
	wantError(t, "role session without MFA under the guard", err, "AccessDenied", http.StatusForbidden, "")

	code := dev.next(t)
	withMFA, err := s.GlobalSTS(ann).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: &r1, RoleSessionName: aws.String("mfa"),
		SerialNumber: &dev.serial, TokenCode: &code})
	ok(t, "AssumeRole with MFA", err)
	mfaRole := sessionCreds(withMFA.Credentials)
	_, err = s.IAM(mfaRole).ListUsers(ctx, &iam.ListUsersInput{})
	ok(t, "role session with MFA under the guard", err)

	// The chained session keeps MFA: r2's trust policy requires it, and r2's guard lets it through.
	chained, err := s.GlobalSTS(mfaRole).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: &r2, RoleSessionName: aws.String("chained")})
	ok(t, "role chaining from an MFA session", err)
	_, err = s.IAM(sessionCreds(chained.Credentials)).ListUsers(ctx, &iam.ListUsersInput{})
	ok(t, "chained session under the guard", err)
	_, err = s.GlobalSTS(sessionCreds(plain.Credentials)).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: &r2, RoleSessionName: aws.String("c2")})
	wantError(t, "role chaining from a session without MFA", err, "AccessDenied", http.StatusForbidden, "")
}

// An encoded authorization message tells what policies decided: only a caller of its account allowed
// sts:DecodeAuthorizationMessage reads it, and nothing but a message iamd sealed decodes (a forged or
// altered one, or another account's, is refused alike).
func TestAdversarialAuthorizationMessagesDecodeOnlyForTheAllowed(t *testing.T) {
	s := Start(t, Options{})
	ctx := context.Background()
	enc, err := stssvc.EncodeAuthorizationMessage(s.App.Sealer, &stssvc.AuthorizationFailure{Account: AccountID,
		PrincipalID: "AIDAEXAMPLE", PrincipalARN: arn("user/ann"), Action: "s3:GetObject", Resource: "arn:aws:s3:::b/k",
		Conditions: map[string][]string{"aws:sourceip": {"10.0.0.1"}}})
	ok(t, "EncodeAuthorizationMessage", err)
	ann := newUser(t, s, RootCreds(), "ann")
	_, err = s.GlobalSTS(ann).DecodeAuthorizationMessage(ctx, &sts.DecodeAuthorizationMessageInput{EncodedMessage: &enc})
	wantError(t, "without sts:DecodeAuthorizationMessage", err, "AccessDenied", http.StatusForbidden,
		"User: "+arn("user/ann")+" is not authorized to perform: sts:DecodeAuthorizationMessage on resource: * because no identity-based policy allows the sts:DecodeAuthorizationMessage action")
	allow(t, s, RootCreds(), "ann", "sts:DecodeAuthorizationMessage", "*")
	out, err := s.GlobalSTS(ann).DecodeAuthorizationMessage(ctx, &sts.DecodeAuthorizationMessageInput{EncodedMessage: &enc})
	ok(t, "DecodeAuthorizationMessage", err)
	var m struct {
		Allowed bool `json:"allowed"`
		Context struct {
			Action, Resource string
			Principal        struct{ ARN string }
		} `json:"context"`
	}
	if err := json.Unmarshal([]byte(aws.ToString(out.DecodedMessage)), &m); err != nil || m.Allowed ||
		m.Context.Action != "s3:GetObject" || m.Context.Principal.ARN != arn("user/ann") {
		t.Fatalf("DecodedMessage %s (%v)", aws.ToString(out.DecodedMessage), err)
	}

	altered := []byte(enc)
	altered[len(altered)/2] ^= 'A' ^ 'B'
	other := newAccount(t, s, "210987654321")
	for what, tc := range map[string]struct {
		creds aws.CredentialsProvider
		msg   string
	}{
		"garbage":                     {ann, "not-a-message"},
		"altered":                     {ann, string(altered)},
		"another account's root":      {other, enc},
		"a message made of plaintext": {ann, base64.RawURLEncoding.EncodeToString([]byte(`{"allowed":true}`))},
	} {
		_, err := s.GlobalSTS(tc.creds).DecodeAuthorizationMessage(ctx, &sts.DecodeAuthorizationMessageInput{EncodedMessage: aws.String(tc.msg)})
		wantError(t, what, err, "InvalidAuthorizationMessageException", http.StatusBadRequest, "The encoded authorization message is not valid.")
	}
}
