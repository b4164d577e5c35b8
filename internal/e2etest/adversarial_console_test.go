package e2etest

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/iamd/iamd/internal/storage"
	"github.com/iamd/iamd/internal/storage/pgtest"
)

var consoleCSRF = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// consoleGet fetches a console page with the cookies given (no redirects followed) and returns the
// status, the Set-Cookie session value if any, and the page's CSRF token.
func consoleGet(t *testing.T, base, path, cookie string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, base+"/console"+path, nil)
	if cookie != "" {
		req.Header.Set("Cookie", cookie)
	}
	resp, err := noFollow.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	csrf := ""
	if m := consoleCSRF.FindSubmatch(b); m != nil {
		csrf = string(m[1])
	}
	return resp.StatusCode, csrf
}

func consolePost(t *testing.T, base, path, cookie string, form url.Values) *http.Response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, base+"/console"+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", base)
	if cookie != "" {
		req.Header.Set("Cookie", cookie)
	}
	resp, err := noFollow.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

var noFollow = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// consoleSignIn signs user in at the console of base and returns the session cookie ("name=value").
func consoleSignIn(t *testing.T, base, user, password string) string {
	t.Helper()
	resp, err := noFollow.Get(base + "/console/signin")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var pre string
	for _, c := range resp.Cookies() {
		pre = c.Name + "=" + c.Value
	}
	m := consoleCSRF.FindSubmatch(b)
	if m == nil || pre == "" {
		t.Fatal("no sign-in form")
	}
	resp = consolePost(t, base, "/signin", pre, url.Values{"csrf": {string(m[1])}, "account": {AccountID}, "username": {user}, "password": {password}})
	for _, c := range resp.Cookies() {
		if c.Name == "iamd_console" && c.Value != "" {
			return c.Name + "=" + c.Value
		}
	}
	t.Fatalf("sign-in answered %d without a session", resp.StatusCode)
	return ""
}

// A console session lives in the shared database, not in one node's memory: a browser signed in on
// node A is signed in on node B, and signing out on node A ends the session on node B at once.
func TestAdversarialConsoleSignOutEndsSessionOnEveryNode(t *testing.T) {
	if !pgtest.Available() {
		t.Skip("PostgreSQL not installed")
	}
	db, key := pgtest.URL(t), newMasterKey(t)
	a := Start(t, Options{DatabaseURL: db, MasterKey: key})
	b := Start(t, Options{DatabaseURL: db, MasterKey: key})
	root := a.IAM(RootCreds())
	ctx := context.Background()
	_, err := root.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("alice")})
	ok(t, "CreateUser", err)
	_, err = root.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{UserName: aws.String("alice"), Password: aws.String("Correct-Horse-1")})
	ok(t, "CreateLoginProfile", err)

	cookie := consoleSignIn(t, a.URL, "alice", "Correct-Horse-1")
	if code, _ := consoleGet(t, b.URL, "/", cookie); code != http.StatusOK {
		t.Fatalf("node B does not know node A's session: %d", code)
	}
	_, csrf := consoleGet(t, a.URL, "/", cookie)
	if resp := consolePost(t, a.URL, "/signout", cookie, url.Values{"csrf": {csrf}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign-out answered %d", resp.StatusCode)
	}
	if code, _ := consoleGet(t, b.URL, "/", cookie); code != http.StatusSeeOther {
		t.Fatalf("node B still accepts the signed-out session: %d", code)
	}
}

// Sign-in tokens cost the server a stored row each: however many a holder of role credentials asks for,
// the account's sessions in the store stay within the bound (the oldest go first).
func TestAdversarialConsoleSessionsBoundedPerAccount(t *testing.T) {
	s := Start(t, Options{})
	ctx := context.Background()
	root := s.IAM(RootCreds())
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + AccountID + `:root"},"Action":"sts:AssumeRole"}]}`
	_, err := root.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("r"), AssumeRolePolicyDocument: aws.String(trust)})
	ok(t, "CreateRole", err)
	_, err = root.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("broker")})
	ok(t, "CreateUser", err)
	_, err = root.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("broker"), PolicyArn: aws.String("arn:aws:iam::aws:policy/AdministratorAccess")})
	ok(t, "AttachUserPolicy", err)
	k, err := root.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("broker")})
	ok(t, "CreateAccessKey", err)
	out, err := s.GlobalSTS(Creds(*k.AccessKey.AccessKeyId, *k.AccessKey.SecretAccessKey, "")).AssumeRole(ctx,
		&sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::" + AccountID + ":role/r"), RoleSessionName: aws.String("flood")})
	ok(t, "AssumeRole", err)
	c := out.Credentials
	session, _ := json.Marshal(map[string]string{"sessionId": *c.AccessKeyId, "sessionKey": *c.SecretAccessKey, "sessionToken": *c.SessionToken})
	u := s.URL + "/federation?" + url.Values{"Action": {"getSigninToken"}, "Session": {string(session)}}.Encode()
	const bound = 500 // console.maxSessionsPerAccount
	for i := 0; i < bound+20; i++ {
		resp, err := http.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("getSigninToken %d answered %d", i, resp.StatusCode)
		}
	}
	var n int
	err = s.App.Store.View(ctx, func(tx storage.Tx) error {
		l, err := tx.ListConsoleSessions(ctx, AccountID)
		n = len(l)
		return err
	})
	ok(t, "ListConsoleSessions", err)
	if n > bound {
		t.Fatalf("the store holds %d console sessions of the account, over the bound %d", n, bound)
	}
}
