package e2etest

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/aws/smithy-go"

	"github.com/iamd/iamd/internal/config"
)

// devIdentity calls GetCallerIdentity with any credentials.
func devIdentity(t *testing.T, s *Server, creds aws.CredentialsProvider) (*sts.GetCallerIdentityOutput, error) {
	t.Helper()
	return s.STS(creds, "us-east-1").GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
}

func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// devUserARN is the ARN of the dev user (default name) in account.
func devUserARN(account string) string {
	return "arn:aws:iam::" + account + ":user/" + config.DefaultDevUser
}

func TestDevModeUnknownKeys(t *testing.T) {
	s := Start(t, Options{Dev: true})
	// moto's habit: made-up keys, any secret, unsigned in effect. They act as the dev user, an IAM user.
	for _, creds := range []aws.CredentialsProvider{Creds("testing", "testing", ""), Creds("AKIAUNKNOWNKEY000001", "whatever", ""),
		Creds("foobar_key", "x", ""), Creds("testing", "testing", "testing")} {
		out, err := devIdentity(t, s, creds)
		if err != nil {
			t.Fatalf("unknown key in dev mode: %v", err)
		}
		if aws.ToString(out.Account) != AccountID || aws.ToString(out.Arn) != devUserARN(AccountID) ||
			!strings.HasPrefix(aws.ToString(out.UserId), "AIDA") {
			t.Fatalf("unknown key is not the dev user: %s %s %s", aws.ToString(out.Account), aws.ToString(out.Arn), aws.ToString(out.UserId))
		}
	}
	// The signature is not checked at all: a garbage Authorization with a made-up key still works.
	r := s.request(t, stsCall, "")
	now := time.Now().UTC()
	r.Header.Set("X-Amz-Date", now.Format(wireAmzDate))
	r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=testing/"+now.Format("20060102")+
		"/us-east-1/sts/aws4_request, SignedHeaders=host;x-amz-date, Signature="+strings.Repeat("0", 64))
	doWire(t, r, false).ok(t, stsCall)
	// Nor is a request with no signature at all refused (LocalStack answers those too).
	resp := doWire(t, s.request(t, stsCall, ""), false)
	resp.ok(t, stsCall)
	if !strings.Contains(string(resp.body), devUserARN(AccountID)) {
		t.Fatalf("unsigned request: %s", resp.body)
	}

	// A 12-digit key selects that account, creating it and its dev user on first use; LocalStack's "test"
	// key selects LocalStack's default account.
	for _, c := range []struct{ key, account string }{{"111122223333", "111122223333"}, {"111122223333", "111122223333"},
		{"444455556666", "444455556666"}, {"test", "000000000000"}} {
		out, err := devIdentity(t, s, Creds(c.key, "test", ""))
		if err != nil {
			t.Fatal(err)
		}
		if aws.ToString(out.Account) != c.account || aws.ToString(out.Arn) != devUserARN(c.account) {
			t.Fatalf("key %s: %s %s", c.key, aws.ToString(out.Account), aws.ToString(out.Arn))
		}
	}
	// The account is real: IAM state lives in it, apart from the default account's.
	c := s.IAM(Creds("111122223333", "testing", ""))
	if _, err := c.CreateUser(context.Background(), &iam.CreateUserInput{UserName: aws.String("dev-user")}); err != nil {
		t.Fatal(err)
	}
	u, err := c.GetUser(context.Background(), &iam.GetUserInput{UserName: aws.String("dev-user")})
	if err != nil || !strings.Contains(aws.ToString(u.User.Arn), ":111122223333:") {
		t.Fatalf("user in the dev account: %v %+v", err, u)
	}
	if _, err := s.IAM(Creds("testing", "testing", "")).GetUser(context.Background(), &iam.GetUserInput{UserName: aws.String("dev-user")}); apiCode(err) != "NoSuchEntity" {
		t.Fatalf("the default account sees the dev account's user: %v", err)
	}
	// The account's root stays reachable with its real key.
	if out, err := devIdentity(t, s, RootCreds()); err != nil || aws.ToString(out.Arn) != "arn:aws:iam::"+AccountID+":root" {
		t.Fatalf("root key in dev mode: %v %+v", err, out)
	}
}

// The dev user is a real IAM user with AdministratorAccess: it can be read like any user, assume roles
// whose trust policies name it, get session tokens, and its sessions end when it is deleted.
func TestDevModeUserIsARealAdministrator(t *testing.T) {
	s := Start(t, Options{Dev: true})
	ctx := context.Background()
	fake := Creds("testing", "testing", "")
	c := s.IAM(fake)
	me, err := c.GetUser(ctx, &iam.GetUserInput{}) // no name: the caller
	if err != nil || aws.ToString(me.User.UserName) != config.DefaultDevUser {
		t.Fatalf("GetUser of the caller: %v %+v", err, me)
	}
	att, err := c.ListAttachedUserPolicies(ctx, &iam.ListAttachedUserPoliciesInput{UserName: aws.String(config.DefaultDevUser)})
	if err != nil || len(att.AttachedPolicies) != 1 || aws.ToString(att.AttachedPolicies[0].PolicyArn) != "arn:aws:iam::aws:policy/AdministratorAccess" {
		t.Fatalf("dev user's policies: %v %+v", err, att)
	}
	// A trust policy naming the dev user (resolved to its unique ID) lets it assume the role.
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"` + devUserARN(AccountID) + `"},"Action":"sts:AssumeRole"}]}`
	if _, err := c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("suite-role"), AssumeRolePolicyDocument: aws.String(trust)}); err != nil {
		t.Fatal(err)
	}
	ar, err := s.STS(fake, "us-east-1").AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::" + AccountID + ":role/suite-role"),
		RoleSessionName: aws.String("s1")})
	if err != nil {
		t.Fatalf("AssumeRole by the dev user: %v", err)
	}
	roleCreds := Creds(aws.ToString(ar.Credentials.AccessKeyId), aws.ToString(ar.Credentials.SecretAccessKey), aws.ToString(ar.Credentials.SessionToken))
	if out, err := devIdentity(t, s, roleCreds); err != nil || aws.ToString(out.Arn) != "arn:aws:sts::"+AccountID+":assumed-role/suite-role/s1" {
		t.Fatalf("assumed role: %v %+v", err, out)
	}
	st, err := s.STS(fake, "us-east-1").GetSessionToken(ctx, &sts.GetSessionTokenInput{})
	if err != nil {
		t.Fatal(err)
	}
	sess := Creds(aws.ToString(st.Credentials.AccessKeyId), aws.ToString(st.Credentials.SecretAccessKey), aws.ToString(st.Credentials.SessionToken))
	if out, err := devIdentity(t, s, sess); err != nil || aws.ToString(out.Arn) != devUserARN(AccountID) {
		t.Fatalf("dev user's session: %v %+v", err, out)
	}
	// Deleted (by the root), the user takes its sessions with it; the next made-up key makes a new one.
	root := s.IAM(RootCreds())
	if _, err := root.DetachUserPolicy(ctx, &iam.DetachUserPolicyInput{UserName: aws.String(config.DefaultDevUser),
		PolicyArn: aws.String("arn:aws:iam::aws:policy/AdministratorAccess")}); err != nil {
		t.Fatal(err)
	}
	if _, err := root.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String(config.DefaultDevUser)}); err != nil {
		t.Fatal(err)
	}
	if _, err := devIdentity(t, s, sess); apiCode(err) != "InvalidClientTokenId" {
		t.Fatalf("session of the deleted dev user: %v", err)
	}
	again, err := c.GetUser(ctx, &iam.GetUserInput{})
	if err != nil || aws.ToString(again.User.UserId) == aws.ToString(me.User.UserId) {
		t.Fatalf("dev user after deletion: %v %+v", err, again)
	}
}

// Concurrent first requests of a new account make one account and one dev user, and all succeed.
func TestDevModeUserConcurrentFirstUse(t *testing.T) {
	s := Start(t, Options{Dev: true})
	const n = 16
	for _, key := range []string{"testing", "222233334444"} {
		errs := make(chan error, n)
		userIDs := make(chan string, n)
		for range n {
			go func() {
				out, err := devIdentity(t, s, Creds(key, "x", ""))
				if err == nil {
					userIDs <- aws.ToString(out.UserId)
				}
				errs <- err
			}()
		}
		seen := map[string]bool{}
		for range n {
			if err := <-errs; err != nil {
				t.Fatalf("key %s: concurrent first request: %v", key, err)
			}
			seen[<-userIDs] = true
		}
		if len(seen) != 1 {
			t.Fatalf("key %s: %d dev users answered: %v", key, len(seen), seen)
		}
		l, err := s.IAM(Creds(key, "x", "")).ListUsers(context.Background(), &iam.ListUsersInput{})
		if err != nil || len(l.Users) != 1 {
			t.Fatalf("key %s: users: %v %+v", key, err, l)
		}
	}
}

// --dev-user names the dev user.
func TestDevModeUserName(t *testing.T) {
	s := startIamd(t, nil, "--dev", "--dev-user", "suite-admin", "--data-dir", t.TempDir())
	out, err := devIdentity(t, s.server(), Creds("testing", "testing", ""))
	if err != nil || aws.ToString(out.Arn) != "arn:aws:iam::"+AccountID+":user/suite-admin" {
		t.Fatalf("--dev-user: %v %+v", err, out)
	}
}

// Dev mode checks no request's signing time (suites freeze their clock), for made-up keys, sessions and
// real keys alike; the signatures of real keys and sessions are still checked. Without dev mode the
// same requests are refused.
func TestDevModeFrozenClock(t *testing.T) {
	past := time.Date(2020, 1, 1, 12, 0, 0, 0, time.UTC)
	for _, dev := range []bool{true, false} {
		s := Start(t, Options{Dev: dev})
		signed := func(g reqSigner) *wireResponse {
			r := s.request(t, stsCall, "")
			return doWire(t, g.sign(t, r, stsCall.body, "sts", "us-east-1", past), false)
		}
		root := signed(rootSigner())
		if !dev {
			root.expect(t, stsCall, 403, "SignatureDoesNotMatch", "~^Signature expired: 20200101T120000Z is now earlier than ")
			continue
		}
		root.ok(t, stsCall)
		signed(reqSigner{id: "testing", secret: "testing"}).ok(t, stsCall)
		st, err := s.STS(Creds("testing", "testing", ""), "us-east-1").GetSessionToken(context.Background(), &sts.GetSessionTokenInput{})
		if err != nil {
			t.Fatal(err)
		}
		sess := reqSigner{id: aws.ToString(st.Credentials.AccessKeyId), secret: aws.ToString(st.Credentials.SecretAccessKey),
			token: aws.ToString(st.Credentials.SessionToken)}
		signed(sess).ok(t, stsCall)
		sess.secret += "x"
		signed(sess).expect(t, stsCall, 403, "SignatureDoesNotMatch", "~.")
		signed(reqSigner{id: RootKeyID, secret: "wrong"}).expect(t, stsCall, 403, "SignatureDoesNotMatch", "~.")
	}
}

// Keys that iamd issued are verified even in dev mode.
func TestDevModeIssuedKeysVerified(t *testing.T) {
	s := Start(t, Options{Dev: true})
	ctx := context.Background()
	if _, err := devIdentity(t, s, Creds(RootKeyID, "wrong"+RootSecret[5:], "")); apiCode(err) != "SignatureDoesNotMatch" {
		t.Fatalf("root key with a wrong secret: %v", err)
	}
	c := s.IAM(RootCreds())
	if _, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("bob")}); err != nil {
		t.Fatal(err)
	}
	k, err := c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("bob")})
	if err != nil {
		t.Fatal(err)
	}
	id, secret := aws.ToString(k.AccessKey.AccessKeyId), aws.ToString(k.AccessKey.SecretAccessKey)
	out, err := devIdentity(t, s, Creds(id, secret, ""))
	if err != nil || !strings.HasSuffix(aws.ToString(out.Arn), ":user/bob") {
		t.Fatalf("bob's own key: %v %+v", err, out)
	}
	if _, err := devIdentity(t, s, Creds(id, secret+"x", "")); apiCode(err) != "SignatureDoesNotMatch" {
		t.Fatalf("bob's key with a wrong secret: %v", err)
	}
	// Temporary credentials are sealed by iamd: a made-up ASIA key is not waved through.
	if _, err := devIdentity(t, s, Creds("ASIAUNKNOWNKEY000001", "x", "made-up-token")); apiCode(err) != "InvalidClientTokenId" {
		t.Fatalf("made-up session: %v", err)
	}
}

func postReset(t *testing.T, s *Server, path string) (int, string) {
	t.Helper()
	resp, err := http.Post(s.URL+path, "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestDevModeReset(t *testing.T) {
	s := Start(t, Options{Dev: true})
	ctx := context.Background()
	for _, path := range []string{"/moto-api/reset", "/iamd/reset"} {
		root := s.IAM(RootCreds())
		if _, err := root.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("before-reset")}); err != nil {
			t.Fatal(err)
		}
		k, err := root.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("before-reset")})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := devIdentity(t, s, Creds("999988887777", "x", "")); err != nil {
			t.Fatal(err)
		}
		if st, body := postReset(t, s, path); st != 200 {
			t.Fatalf("%s: %d %s", path, st, body)
		}
		// Fresh state: no users, the preset root key works, the old user's key is unknown again (and so,
		// in dev mode, merely a made-up key: the dev user's).
		if _, err := root.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("before-reset")}); apiCode(err) != "NoSuchEntity" {
			t.Fatalf("%s: user survived the reset: %v", path, err)
		}
		l, err := root.ListUsers(ctx, &iam.ListUsersInput{})
		if err != nil || len(l.Users) != 0 {
			t.Fatalf("%s: users after reset: %v %+v", path, err, l)
		}
		var out *sts.GetCallerIdentityOutput
		for i := 0; i < 200; i++ { // the key cache drops the deleted key on the store's change notification
			out, err = devIdentity(t, s, Creds(aws.ToString(k.AccessKey.AccessKeyId), "anything", ""))
			if err == nil && aws.ToString(out.Arn) == devUserARN(AccountID) {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		if err != nil || aws.ToString(out.Arn) != devUserARN(AccountID) {
			t.Fatalf("%s: the deleted key after reset: %v %+v", path, err, out)
		}
		// The dev account is gone; a 12-digit key makes it again, empty but for the dev user.
		if l, err := s.IAM(Creds("999988887777", "x", "")).ListUsers(ctx, &iam.ListUsersInput{}); err != nil ||
			len(l.Users) != 1 || aws.ToString(l.Users[0].UserName) != config.DefaultDevUser {
			t.Fatalf("%s: dev account after reset: %v %+v", path, err, l)
		}
	}
	if st, _ := func() (int, string) {
		resp, err := http.Get(s.URL + "/moto-api/reset")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode, ""
	}(); st != http.StatusMethodNotAllowed {
		t.Fatalf("GET /moto-api/reset: %d", st)
	}
}

// Dev mode is off by default: unknown keys are refused and the reset endpoints do not exist.
func TestDevModeOffByDefault(t *testing.T) {
	s := Start(t, Options{})
	if _, err := devIdentity(t, s, Creds("testing", "testing", "")); apiCode(err) != "InvalidClientTokenId" {
		t.Fatalf("made-up key without dev mode: %v", err)
	}
	if _, err := devIdentity(t, s, Creds("111122223333", "testing", "")); apiCode(err) != "InvalidClientTokenId" {
		t.Fatalf("12-digit key without dev mode: %v", err)
	}
	c := s.IAM(RootCreds())
	if _, err := c.CreateUser(context.Background(), &iam.CreateUserInput{UserName: aws.String("keep-me")}); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/moto-api/reset", "/iamd/reset", "/moto-api/"} {
		if st, body := postReset(t, s, path); st != http.StatusNotFound {
			t.Fatalf("POST %s without dev mode: %d %s", path, st, body)
		}
	}
	// LocalStack's endpoints are not served either (they reach the API, which wants a signature).
	if st, body := postReset(t, s, "/_localstack/state/reset"); st == http.StatusOK {
		t.Fatalf("LocalStack reset without dev mode: %d %s", st, body)
	}
	if resp, err := http.Get(s.URL + "/_localstack/health"); err != nil || resp.Body.Close() != nil || resp.StatusCode == http.StatusOK {
		t.Fatalf("LocalStack health without dev mode: %v %v", err, resp)
	}
	if _, err := c.GetUser(context.Background(), &iam.GetUserInput{UserName: aws.String("keep-me")}); err != nil {
		t.Fatalf("state lost without dev mode: %v", err)
	}
}

// A reset leaves nothing in memory: every cache and in-memory store the server has (App.MemoryHeld walks
// them all) is filled by a suite's worth of requests, and empty after the reset; what a later test could
// see of them (a credential report, a session token) is gone.
func TestDevModeResetLeavesNothing(t *testing.T) {
	s := Start(t, Options{Dev: true})
	ctx := context.Background()
	fake := Creds("testing", "testing", "")
	c := s.IAM(fake)
	if _, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("pat")}); err != nil {
		t.Fatal(err)
	}
	k, err := c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("pat")})
	if err != nil {
		t.Fatal(err)
	}
	patCreds := Creds(aws.ToString(k.AccessKey.AccessKeyId), aws.ToString(k.AccessKey.SecretAccessKey), "")
	if _, err := devIdentity(t, s, patCreds); err != nil { // a last use, written behind
		t.Fatal(err)
	}
	if _, err := s.IAM(patCreds).ListUsers(ctx, &iam.ListUsersInput{}); apiCode(err) != "AccessDenied" { // pat's policy set
		t.Fatalf("pat without policies: %v", err)
	}
	if _, err := c.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{UserName: aws.String("pat"), Password: aws.String("Good-Pass-1")}); err != nil {
		t.Fatal(err) // password throttle
	}
	if _, err := c.GenerateCredentialReport(ctx, &iam.GenerateCredentialReportInput{}); err != nil {
		t.Fatal(err)
	}
	pol, err := c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("pat-policy"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:GetUser","Resource":"*"}]}`)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: pol.Policy.Arn, VersionId: aws.String("v1")}); err != nil {
		t.Fatal(err) // a policy version the store's cache keeps
	}
	vm, err := c.CreateVirtualMFADevice(ctx, &iam.CreateVirtualMFADeviceInput{VirtualMFADeviceName: aws.String("pat-mfa")})
	if err != nil {
		t.Fatal(err)
	}
	// A code check takes a bucket of the MFA throttle, whatever its outcome.
	_, _ = c.EnableMFADevice(ctx, &iam.EnableMFADeviceInput{UserName: aws.String("pat"), SerialNumber: vm.VirtualMFADevice.SerialNumber,
		AuthenticationCode1: aws.String("000000"), AuthenticationCode2: aws.String("000000")})
	if _, err := c.GenerateServiceLastAccessedDetails(ctx, &iam.GenerateServiceLastAccessedDetailsInput{Arn: aws.String("arn:aws:iam::" + AccountID + ":user/pat")}); err != nil {
		t.Fatal(err) // access advisor reports
	}
	if _, err := c.SimulatePrincipalPolicy(ctx, &iam.SimulatePrincipalPolicyInput{PolicySourceArn: aws.String("arn:aws:iam::" + AccountID + ":user/pat"),
		ActionNames: []string{"iam:GetUser"}}); err != nil {
		t.Fatal(err)
	}
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + AccountID + `:root"},"Action":"sts:AssumeRole"}]}`
	if _, err := c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("r"), AssumeRolePolicyDocument: aws.String(trust)}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("r")}); err != nil {
		t.Fatal(err)
	}
	ar, err := s.STS(fake, "us-east-1").AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::" + AccountID + ":role/r"),
		RoleSessionName: aws.String("s2"), PolicyArns: []ststypes.PolicyDescriptorType{{Arn: aws.String("arn:aws:iam::aws:policy/ReadOnlyAccess")}}})
	if err != nil {
		t.Fatal(err)
	}
	roleCreds := Creds(aws.ToString(ar.Credentials.AccessKeyId), aws.ToString(ar.Credentials.SecretAccessKey), aws.ToString(ar.Credentials.SessionToken))
	if _, err := devIdentity(t, s, roleCreds); err != nil { // the role's principal, known to exist
		t.Fatal(err)
	}
	if _, err := s.IAM(roleCreds).ListUsers(ctx, &iam.ListUsersInput{}); apiCode(err) != "AccessDenied" { // a managed session policy
		t.Fatalf("role without policies: %v", err)
	}
	rs, err := s.STS(RootCreds(), "us-east-1").GetSessionToken(ctx, &sts.GetSessionTokenInput{})
	if err != nil {
		t.Fatal(err)
	}
	rootSession := Creds(aws.ToString(rs.Credentials.AccessKeyId), aws.ToString(rs.Credentials.SecretAccessKey), aws.ToString(rs.Credentials.SessionToken))
	if _, err := devIdentity(t, s, Creds("AKIAUNKNOWNKEY000001", "x", "")); err != nil { // a key known not to exist
		t.Fatal(err)
	}
	for name, n := range s.App.MemoryHeld() {
		if n == 0 {
			t.Errorf("%s holds nothing before the reset: exercise it here", name)
		}
	}
	if t.Failed() {
		t.FailNow()
	}

	if st, body := postReset(t, s, "/moto-api/reset"); st != 200 {
		t.Fatalf("reset: %d %s", st, body)
	}
	for name, n := range s.App.MemoryHeld() {
		if n != 0 {
			t.Errorf("%s holds %d after the reset", name, n)
		}
	}
	// What a later test would see: no credential report, no session from before.
	if _, err := c.GetCredentialReport(ctx, &iam.GetCredentialReportInput{}); apiCode(err) != "ReportNotPresent" {
		t.Errorf("credential report after the reset: %v", err)
	}
	if _, err := devIdentity(t, s, rootSession); apiCode(err) != "InvalidClientTokenId" {
		t.Errorf("root session from before the reset: %v", err)
	}
	if _, err := devIdentity(t, s, roleCreds); apiCode(err) != "InvalidClientTokenId" {
		t.Errorf("role session from before the reset: %v", err)
	}
}

// LocalStack's health endpoint answers in dev mode, in LocalStack's shape, and its reset endpoint resets.
func TestDevModeLocalStackEndpoints(t *testing.T) {
	s := Start(t, Options{Dev: true})
	resp, err := http.Get(s.URL + "/_localstack/health")
	if err != nil {
		t.Fatal(err)
	}
	var health struct {
		Services map[string]string `json:"services"`
	}
	err = json.NewDecoder(resp.Body).Decode(&health)
	resp.Body.Close()
	if err != nil || resp.StatusCode != 200 || health.Services["iam"] != "available" || health.Services["sts"] != "available" {
		t.Fatalf("health: %d %v %+v", resp.StatusCode, err, health)
	}
	c := s.IAM(Creds("test", "test", ""))
	if _, err := c.CreateUser(context.Background(), &iam.CreateUserInput{UserName: aws.String("ls-user")}); err != nil {
		t.Fatal(err)
	}
	if st, body := postReset(t, s, "/_localstack/state/reset"); st != 200 {
		t.Fatalf("reset: %d %s", st, body)
	}
	if _, err := c.GetUser(context.Background(), &iam.GetUserInput{UserName: aws.String("ls-user")}); apiCode(err) != "NoSuchEntity" {
		t.Fatalf("user after the LocalStack reset: %v", err)
	}
}

// The suite-shaped script of test/e2e (fake keys, frozen clock, AssumeRole, GetSessionToken, a reset
// before every test, LocalStack's conventions) passes against the real binary in --dev.
func TestDevModeSuiteScript(t *testing.T) {
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("python3 not installed")
	}
	if err := exec.Command("python3", "-c", "import boto3").Run(); err != nil {
		t.Skip("boto3 not installed")
	}
	_, file, _, _ := runtime.Caller(0)
	script := filepath.Join(filepath.Dir(file), "..", "..", "test", "e2e", "dev_moto_suite.py")
	p := startIamd(t, nil, "--dev", "--data-dir", t.TempDir())
	cmd := exec.Command("python3", script)
	cmd.Env = append(os.Environ(), "IAMD_ENDPOINT="+p.URL, "AWS_EC2_METADATA_DISABLED=true", "AWS_CONFIG_FILE=/dev/null",
		"AWS_SHARED_CREDENTIALS_FILE=/dev/null")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s\nserver log:\n%s", script, err, out, p.stderr.String())
	}
	t.Logf("%s", out)
}

// Made-up keys cost no memory: however many distinct free-form key IDs a suite (or anyone) sends, no
// cache or in-memory store grows; they all act as the one dev user, made once.
func TestDevModeMadeUpKeysHoldNothing(t *testing.T) {
	s := Start(t, Options{Dev: true})
	for range 2 { // the first makes the dev user, the second reads (and caches) it
		if _, err := devIdentity(t, s, Creds("testing", "testing", "")); err != nil {
			t.Fatal(err)
		}
	}
	before := s.App.MemoryHeld()
	for i := range 300 {
		if _, err := devIdentity(t, s, Creds("made-up-key-"+strconv.Itoa(i), "x", "")); err != nil {
			t.Fatal(err)
		}
	}
	for name, n := range s.App.MemoryHeld() {
		if n != before[name] {
			t.Errorf("%s holds %d after 300 made-up keys, %d before", name, n, before[name])
		}
	}
}
