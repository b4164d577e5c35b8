package console_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/iamd/iamd/internal/e2etest"
)

// startPasswordStep signs h in as user with password and expects the forced password change step; it
// returns the step's CSRF token.
func startPasswordStep(t *testing.T, h *httpClient, user, password string) string {
	t.Helper()
	_, _, csrf := h.get("/signin")
	resp := h.post("/signin", url.Values{"csrf": {csrf}, "account": {e2etest.AccountID}, "username": {user}, "password": {password}})
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/console/signin/password") {
		t.Fatalf("sign-in answered %d to %q, want the password change step", resp.StatusCode, resp.Header.Get("Location"))
	}
	_, body, csrf := h.get("/signin/password")
	if csrf == "" {
		t.Fatalf("no password change form:\n%s", body)
	}
	return csrf
}

// The forced password change at first sign-in needs no policy of the user's when the account password
// policy allows users to change their own password (the same account-level grant the API honours);
// without it, a user with no policy is refused with the API's AccessDenied text and stays at the step.
func TestForcedPasswordChangeUnderAllowUsersToChangePassword(t *testing.T) {
	s := startConsole(t)
	bg := context.Background()
	s.user(t, "newbie", "Initial-Password-1") // no policy at all
	if _, err := s.root.UpdateLoginProfile(bg, &iam.UpdateLoginProfileInput{UserName: aws.String("newbie"), PasswordResetRequired: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	h := newHTTPClient(t, s)
	csrf := startPasswordStep(t, h, "newbie", "Initial-Password-1")
	form := url.Values{"csrf": {csrf}, "old-password": {"Initial-Password-1"}, "new-password": {"A-New-Password-2"},
		"confirm-password": {"A-New-Password-2"}}
	if resp := h.post("/signin/password", form); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("without AllowUsersToChangePassword the change answered %d, want 403", resp.StatusCode)
	}
	if code, _, _ := h.get("/"); code != http.StatusSeeOther {
		t.Fatalf("after a refused change the dashboard answered %d", code)
	}

	if _, err := s.root.UpdateAccountPasswordPolicy(bg, &iam.UpdateAccountPasswordPolicyInput{MinimumPasswordLength: aws.Int32(8),
		AllowUsersToChangePassword: true}); err != nil {
		t.Fatal(err)
	}
	resp := h.post("/signin/password", form)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/console/" {
		t.Fatalf("with AllowUsersToChangePassword the change answered %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if code, body, _ := h.get("/"); code != http.StatusOK || !strings.Contains(body, "user/newbie") {
		t.Fatalf("after the change the dashboard answered %d", code)
	}
	p, err := s.root.GetLoginProfile(bg, &iam.GetLoginProfileInput{UserName: aws.String("newbie")})
	if err != nil || p.LoginProfile.PasswordResetRequired {
		t.Fatalf("after the change: %v %+v", err, p)
	}
}
