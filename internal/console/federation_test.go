package console_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/chromedp/chromedp"

	"github.com/iamd/iamd/internal/e2etest"
)

// broker makes a user allowed to assume the role "console-role" (which may read IAM) and returns its
// STS client.
func (s *consoleServer) broker(t *testing.T) *sts.Client {
	t.Helper()
	ctx := context.Background()
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + e2etest.AccountID + `:root"},"Action":"sts:AssumeRole"}]}`
	if _, err := s.root.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("console-role"), AssumeRolePolicyDocument: aws.String(trust)}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.root.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("console-role"), PolicyArn: aws.String("arn:aws:iam::aws:policy/IAMReadOnlyAccess")}); err != nil {
		t.Fatal(err)
	}
	s.user(t, "broker", "Correct-Horse-1", "arn:aws:iam::aws:policy/AdministratorAccess")
	k, err := s.root.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("broker")})
	if err != nil {
		t.Fatal(err)
	}
	return s.GlobalSTS(e2etest.Creds(*k.AccessKey.AccessKeyId, *k.AccessKey.SecretAccessKey, ""))
}

func (s *consoleServer) assumeRole(t *testing.T, c *sts.Client) *ststypes.Credentials {
	t.Helper()
	out, err := c.AssumeRole(context.Background(), &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::" + e2etest.AccountID + ":role/console-role"),
		RoleSessionName: aws.String("web")})
	if err != nil {
		t.Fatal(err)
	}
	return out.Credentials
}

// getSigninToken asks the federation endpoint for a sign-in token; it returns the status and the token.
func (s *consoleServer) getSigninToken(t *testing.T, id, secret, token, duration string) (int, string) {
	t.Helper()
	session, _ := json.Marshal(map[string]string{"sessionId": id, "sessionKey": secret, "sessionToken": token})
	q := url.Values{"Action": {"getSigninToken"}, "Session": {string(session)}}
	if duration != "" {
		q.Set("SessionDuration", duration)
	}
	resp, err := noRedirects.Get(s.URL + "/federation?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct{ SigninToken string }
	b, _ := io.ReadAll(resp.Body)
	_ = json.Unmarshal(b, &out)
	return resp.StatusCode, out.SigninToken
}

func (s *consoleServer) loginURL(token, dest string) string {
	return s.URL + "/federation?" + url.Values{"Action": {"login"}, "Issuer": {"test"}, "Destination": {dest}, "SigninToken": {token}}.Encode()
}

// The federation endpoint as aws-vault login and custom brokers use it: role credentials become a sign-in
// token, the token a console session acting as the role session; a token signs in once.
func TestBrowserFederationLogin(t *testing.T) {
	s := startConsole(t)
	creds := s.assumeRole(t, s.broker(t))
	status, token := s.getSigninToken(t, *creds.AccessKeyId, *creds.SecretAccessKey, *creds.SessionToken, "1800")
	if status != http.StatusOK || token == "" {
		t.Fatalf("getSigninToken: %d %q", status, token)
	}
	ctx := newBrowser(t)
	do(t, ctx, chromedp.Navigate(s.loginURL(token, s.URL+"/console/")), chromedp.WaitVisible(chromedp.ID("caller-arn")))
	if got, want := text(t, ctx, chromedp.ID("caller-arn")), "arn:aws:sts::"+e2etest.AccountID+":assumed-role/console-role/web"; got != want {
		t.Fatalf("signed in as %q, want %q", got, want)
	}
	// The role may read IAM and nothing more, in the console as in the API.
	do(t, ctx, chromedp.Navigate(s.url("/_example/users")), chromedp.WaitVisible(chromedp.ID("users")))
	do(t, ctx, chromedp.SendKeys(chromedp.ID("name"), "eve"), clickAndLoad("create"), chromedp.WaitVisible(chromedp.ID("api-error")))
	if got := text(t, ctx, chromedp.ID("api-error")); !strings.Contains(got, "AccessDenied") || !strings.Contains(got, "iam:CreateUser") {
		t.Errorf("CreateUser as the role: %q", got)
	}

	resp, err := noRedirects.Get(s.loginURL(token, ""))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("a used sign-in token answered %d", resp.StatusCode)
	}
}

// getSigninToken refuses what AWS refuses: long-term keys, a wrong secret, a SessionDuration out of range
// or with GetFederationToken credentials; and Action=login sends nobody off this console.
func TestFederationEndpointRefusals(t *testing.T) {
	s := startConsole(t)
	brokerSTS := s.broker(t)
	creds := s.assumeRole(t, brokerSTS)
	id, secret, tok := *creds.AccessKeyId, *creds.SecretAccessKey, *creds.SessionToken
	fed, err := brokerSTS.GetFederationToken(context.Background(), &sts.GetFederationTokenInput{Name: aws.String("fed"),
		Policy: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:GetCallerIdentity","Resource":"*"}]}`)})
	if err != nil {
		t.Fatal(err)
	}
	f := fed.Credentials
	for _, c := range []struct {
		name                      string
		id, secret, tok, duration string
		want                      int
	}{
		{"long-term key", e2etest.RootKeyID, e2etest.RootSecret, tok, "", 400},
		{"wrong secret", id, secret + "x", tok, "", 400},
		{"token of other credentials", *f.AccessKeyId, secret, tok, "", 400},
		{"no token", id, secret, "", "", 400},
		{"duration too short", id, secret, tok, "899", 400},
		{"duration too long", id, secret, tok, "43201", 400},
		{"duration not a number", id, secret, tok, "1h", 400},
		{"federated user with duration", *f.AccessKeyId, *f.SecretAccessKey, *f.SessionToken, "900", 400},
		{"federated user", *f.AccessKeyId, *f.SecretAccessKey, *f.SessionToken, "", 200},
		{"role at the longest", id, secret, tok, "43200", 200},
	} {
		if got, _ := s.getSigninToken(t, c.id, c.secret, c.tok, c.duration); got != c.want {
			t.Errorf("%s: answered %d, want %d", c.name, got, c.want)
		}
	}
	for dest, want := range map[string]string{
		"https://evil.example/console/": "/console/",
		s.URL + "/console/users":        "/console/users",
		"//evil.example/x":              "/console/",
		"/elsewhere":                    "/console/",
	} {
		_, token := s.getSigninToken(t, id, secret, tok, "")
		resp, err := noRedirects.Get(s.loginURL(token, dest))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(b), `content="0; url=`+want+`"`) {
			t.Errorf("Destination %q: %d\n%s", dest, resp.StatusCode, b)
		}
	}
	resp, err := noRedirects.Get(s.loginURL("not-a-token", ""))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("an unknown sign-in token answered %d", resp.StatusCode)
	}
}
