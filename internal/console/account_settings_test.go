package console_test

import (
	"context"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/iamd/iamd/internal/e2etest"
)

// postAnswer posts form to a console path from the console's origin and returns the answer's status
// and its body, HTML entities decoded.
func postAnswer(h *httpClient, path string, form url.Values) (int, string) {
	h.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, h.url(path), strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", h.origin)
	resp, err := h.c.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, html.UnescapeString(string(b))
}

// rowOf returns the HTML of the table row with id.
func rowOf(t *testing.T, body, id string) string {
	t.Helper()
	m := regexp.MustCompile(`(?s)<tr id="` + regexp.QuoteMeta(id) + `">.*?</tr>`).FindString(body)
	if m == "" {
		t.Fatalf("no row %s", id)
	}
	return m
}

// While an opt-in region is enabling, the page shows ENABLING in progress with no button to change it
// again, and the matrix refuses every token there until the transition ends. The global region's STS
// has no toggle, and the changes AWS refuses are refused with its errors beside the form.
func TestAccountSettingsTransitionAndRefusals(t *testing.T) {
	srv := e2etest.Start(t, e2etest.Options{TransitionDelay: time.Hour})
	s := &consoleServer{Server: srv, root: srv.IAM(e2etest.RootCreds())}
	s.user(t, "admin", "Correct-Horse-1", "arn:aws:iam::aws:policy/AdministratorAccess")
	h := newHTTPClient(t, s)
	csrf := h.signIn("admin", "Correct-Horse-1")

	if resp := h.post("/account-settings/regions/ap-east-1", url.Values{"csrf": {csrf}, "action": {"enable"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("enabling answered %d", resp.StatusCode)
	}
	_, body, _ := h.get("/account-settings")
	row := rowOf(t, body, "region-ap-east-1")
	if !strings.Contains(row, ">ENABLING<") || !strings.Contains(row, "in progress") || strings.Contains(row, "optin-enable-") || strings.Contains(row, "optin-disable-") {
		t.Errorf("an enabling region's row:\n%s", row)
	}
	if m := rowOf(t, body, "matrix-ap-east-1"); strings.Count(m, ">Refused<") != 3 {
		t.Errorf("an enabling region accepts tokens:\n%s", m)
	}
	if row := rowOf(t, body, "region-us-east-1"); strings.Contains(row, "sts-toggle-") || !strings.Contains(row, "always active") {
		t.Errorf("us-east-1's STS can be toggled:\n%s", row)
	}

	for _, c := range []struct {
		path   string
		form   url.Values
		status int
		text   string
	}{
		// Enabling it again while it is ENABLING (AWS: ValidationException).
		{"/account-settings/regions/ap-east-1", url.Values{"action": {"enable"}}, 400, "ValidationException"},
		// STS in us-east-1 cannot be deactivated, nor switched by hand in an opt-in region.
		{"/account-settings/sts/us-east-1", url.Values{"active": {"false"}}, 400, "always active in us-east-1"},
		{"/account-settings/sts/ap-east-1", url.Values{"active": {"false"}}, 400, "EnableRegion/DisableRegion"},
		{"/account-settings/token-version", url.Values{"version": {"v3Token"}}, 400, "ValidationError"},
		{"/account-settings/sts/eu-west-1", url.Values{"active": {"maybe"}}, 400, "active must be true or false"},
		{"/account-settings/regions/ap-east-1", url.Values{"action": {"toggle"}}, 400, "action must be enable or disable"},
	} {
		c.form.Set("csrf", csrf)
		status, body := postAnswer(h, c.path, c.form)
		if status != c.status || !strings.Contains(body, `id="api-error"`) || !strings.Contains(body, c.text) {
			t.Errorf("%s %v: %d, want %d with %q", c.path, c.form, status, c.status, c.text)
		}
	}
}

// The matrix is the rule the server enforces, not a description of it: for each region, a v1 and a v2
// token of the global endpoint and a token of the region's own endpoint are tried against STS in that
// region, and the outcome is what the page's cell says (after enabling an opt-in region and deactivating
// STS in a default one on the page).
func TestTokenMatrixMatchesEnforcement(t *testing.T) {
	s := startConsole(t)
	s.user(t, "admin", "Correct-Horse-1", "arn:aws:iam::aws:policy/AdministratorAccess")
	h := newHTTPClient(t, s)
	csrf := h.signIn("admin", "Correct-Horse-1")
	for _, c := range []struct {
		path string
		form url.Values
	}{
		{"/account-settings/regions/ap-east-1", url.Values{"action": {"enable"}}},
		{"/account-settings/sts/eu-west-2", url.Values{"active": {"false"}}},
	} {
		c.form.Set("csrf", csrf)
		if status, body := postAnswer(h, c.path, c.form); status != http.StatusSeeOther {
			t.Fatalf("%s: %d\n%s", c.path, status, body)
		}
	}
	ctx := context.Background()
	root := e2etest.RootCreds()
	session := func(c *sts.Client) aws.CredentialsProvider {
		out, err := c.GetSessionToken(ctx, &sts.GetSessionTokenInput{})
		if err != nil {
			return nil // not issued: nothing to use
		}
		k := out.Credentials
		return e2etest.Creds(*k.AccessKeyId, *k.SecretAccessKey, *k.SessionToken)
	}
	v1 := session(s.GlobalSTS(root))
	if status, body := postAnswer(h, "/account-settings/token-version", url.Values{"csrf": {csrf}, "version": {"v2Token"}}); status != http.StatusSeeOther {
		t.Fatalf("token version: %d\n%s", status, body)
	}
	v2 := session(s.GlobalSTS(root))
	_, page, _ := h.get("/account-settings")
	for _, region := range []string{"us-east-1", "eu-west-1", "eu-west-2", "ap-east-1", "me-south-1"} {
		accepted := func(creds aws.CredentialsProvider) string {
			if creds == nil {
				return "Refused"
			}
			if _, err := s.STS(creds, region).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil {
				return "Refused"
			}
			return "Accepted"
		}
		row := rowOf(t, page, "matrix-"+region)
		for col, creds := range map[string]aws.CredentialsProvider{"v1": v1, "v2": v2, "regional": session(s.STS(root, region))} {
			want := accepted(creds)
			if !strings.Contains(row, `id="matrix-`+region+`-`+col+`" class="`) || !strings.Contains(row, `-`+col+`" class="`+map[string]string{"Accepted": "yes", "Refused": "no"}[want]+`">`+want+`<`) {
				t.Errorf("%s %s: the server says %s, the page:\n%s", region, col, want, row)
			}
		}
	}
}
