package console_test

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/iamd/iamd/internal/e2etest"
)

// httpClient is a browser without a browser: a cookie jar, no redirects followed, and the console's own
// Origin on every POST unless the test sets another.
type httpClient struct {
	t      testing.TB
	base   string // the server's URL
	c      *http.Client
	origin string
	// host, when set, is the Host every request names (the console reached under another name).
	host string
}

func newHTTPClient(t testing.TB, s *consoleServer) *httpClient { return newHTTPClientAt(t, s.URL) }

// newHTTPClientAt is a client of the console served at base+"/console".
func newHTTPClientAt(t testing.TB, base string) *httpClient {
	jar, _ := cookiejar.New(nil)
	return &httpClient{t: t, base: base, origin: base,
		c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (h *httpClient) url(p string) string { return h.base + "/console" + p }

var csrfInput = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// get returns the page's status, body and the CSRF token of its first form ("" without one).
func (h *httpClient) get(p string) (int, string, string) {
	h.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, h.url(p), nil)
	req.Host = h.host
	resp, err := h.c.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	csrf := ""
	if m := csrfInput.FindSubmatch(b); m != nil {
		csrf = string(m[1])
	}
	return resp.StatusCode, string(b), csrf
}

func (h *httpClient) post(p string, form url.Values) *http.Response {
	h.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, h.url(p), strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Host = h.host
	if h.origin != "" {
		req.Header.Set("Origin", h.origin)
	}
	resp, err := h.c.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

// signIn signs in over HTTP and returns the session's CSRF token.
func (h *httpClient) signIn(user, password string) string {
	h.t.Helper()
	_, _, csrf := h.get("/signin")
	resp := h.post("/signin", url.Values{"csrf": {csrf}, "account": {e2etest.AccountID}, "username": {user}, "password": {password}})
	if resp.StatusCode != http.StatusSeeOther {
		h.t.Fatalf("sign-in answered %d", resp.StatusCode)
	}
	_, _, csrf = h.get("/")
	if csrf == "" {
		h.t.Fatal("no CSRF token on the dashboard")
	}
	return csrf
}

// Every state change needs the session's CSRF token and the console's origin: without the token, with
// another session's token or from another origin the change is refused (403) and not made.
func TestCSRFRefused(t *testing.T) {
	s := startConsole(t)
	s.user(t, "admin", "Correct-Horse-1", "arn:aws:iam::aws:policy/IAMFullAccess")
	h := newHTTPClient(t, s)
	csrf := h.signIn("admin", "Correct-Horse-1")
	other := newHTTPClient(t, s).signIn("admin", "Correct-Horse-1")

	try := func(name, token, origin string) int {
		h.origin = origin
		return h.post("/_example/users", url.Values{"csrf": {token}, "name": {name}}).StatusCode
	}
	for _, c := range []struct{ name, token, origin string }{
		{"no-token", "", s.URL},
		{"wrong-token", csrf[:len(csrf)-1] + "x", s.URL},
		{"other-sessions-token", other, s.URL},
		{"other-origin", csrf, "https://evil.example"},
		{"no-origin", csrf, ""},
	} {
		if got := try(c.name, c.token, c.origin); got != http.StatusForbidden {
			t.Errorf("%s: answered %d, want 403", c.name, got)
		}
		if _, err := s.root.GetUser(context.Background(), &iam.GetUserInput{UserName: aws.String(c.name)}); err == nil {
			t.Errorf("%s: the user was created", c.name)
		}
	}
	if got := try("good", csrf, s.URL); got != http.StatusSeeOther {
		t.Fatalf("a good change answered %d", got)
	}
	if _, err := s.root.GetUser(context.Background(), &iam.GetUserInput{UserName: aws.String("good")}); err != nil {
		t.Fatalf("the good change was not made: %v", err)
	}
	// Sign-out is a state change too: another site cannot sign the user out.
	h.origin = "https://evil.example"
	if resp := h.post("/signout", url.Values{"csrf": {csrf}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("cross-origin sign-out answered %d", resp.StatusCode)
	}
	// And the sign-in form needs its own token (login CSRF).
	fresh := newHTTPClient(t, s)
	if resp := fresh.post("/signin", url.Values{"account": {e2etest.AccountID}, "username": {"admin"}, "password": {"Correct-Horse-1"}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("sign-in without the form's token answered %d", resp.StatusCode)
	}
}

// Every console answer forbids framing and inline script; the session cookie is HttpOnly and
// SameSite=Strict.
func TestSecurityHeadersAndCookie(t *testing.T) {
	s := startConsole(t)
	s.user(t, "alice", "Correct-Horse-1")
	for _, p := range []string{"/signin", "/", "/static/console.css", "/nowhere"} {
		resp, err := noRedirects.Get(s.url(p))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		csp := resp.Header.Get("Content-Security-Policy")
		if !strings.Contains(csp, "default-src 'self'") || !strings.Contains(csp, "frame-ancestors 'none'") || strings.Contains(csp, "unsafe-inline") {
			t.Errorf("%s: Content-Security-Policy %q", p, csp)
		}
		if resp.Header.Get("X-Frame-Options") != "DENY" {
			t.Errorf("%s: X-Frame-Options %q", p, resp.Header.Get("X-Frame-Options"))
		}
	}
	h := newHTTPClient(t, s)
	_, _, csrf := h.get("/signin")
	resp := h.post("/signin", url.Values{"csrf": {csrf}, "account": {e2etest.AccountID}, "username": {"alice"}, "password": {"Correct-Horse-1"}})
	var session *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == "iamd_console" {
			session = c
		}
	}
	if session == nil || !session.HttpOnly || session.SameSite != http.SameSiteStrictMode || session.Path != "/console" {
		t.Fatalf("session cookie %+v", session)
	}
}

// Wrong MFA codes past the limit end the half-done sign-in: its session is deleted, and the right code
// no longer helps; the sign-in starts again from the password.
func TestMFAAttemptsBounded(t *testing.T) {
	s := startConsole(t)
	s.user(t, "mia", "Correct-Horse-1")
	_, seed := s.mfaDevice(t, "mia")
	h := newHTTPClient(t, s)
	_, _, csrf := h.get("/signin")
	if resp := h.post("/signin", url.Values{"csrf": {csrf}, "account": {e2etest.AccountID}, "username": {"mia"}, "password": {"Correct-Horse-1"}}); resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/console/signin/mfa") {
		t.Fatalf("sign-in answered %d to %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	_, _, csrf = h.get("/signin/mfa")
	for i := 0; i < 5; i++ {
		resp := h.post("/signin/mfa", url.Values{"csrf": {csrf}, "code": {"000000"}})
		if resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("wrong code %d answered %d", i+1, resp.StatusCode)
		}
	}
	resp := h.post("/signin/mfa", url.Values{"csrf": {csrf}, "code": {totpCode(t, seed, time.Now().Add(30*time.Second))}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/console/signin" {
		t.Fatalf("after the limit the right code answered %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if code, _, _ := h.get("/"); code != http.StatusSeeOther {
		t.Fatalf("the dashboard answered %d", code)
	}
}
