package console_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/iamd/iamd/internal/e2etest"
	"github.com/iamd/iamd/internal/storage"
)

// passwordSetAt reads when user's password was last set, as the store keeps it (what MaxPasswordAge
// counts from and the credential report's password_last_changed shows).
func passwordSetAt(t *testing.T, s *consoleServer, user string) time.Time {
	t.Helper()
	bg := context.Background()
	var p *storage.LoginProfile
	err := s.App.Store.View(bg, func(tx storage.Tx) error {
		var err error
		p, err = tx.GetLoginProfile(bg, e2etest.AccountID, user)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return p.PasswordSetAt()
}

// A password older than the password policy's MaxPasswordAge must be changed at sign-in before anything
// else; the change counts the age again from now (the credential report's password_last_changed). Under
// HardExpiry the user may not change it: the sign-in is refused with the reason, and no session is made.
func TestExpiredPasswordAtSignIn(t *testing.T) {
	s := startConsole(t)
	bg := context.Background()
	if _, err := s.root.UpdateAccountPasswordPolicy(bg, &iam.UpdateAccountPasswordPolicyInput{MinimumPasswordLength: aws.Int32(8),
		AllowUsersToChangePassword: true, MaxPasswordAge: aws.Int32(90)}); err != nil {
		t.Fatal(err)
	}
	s.user(t, "alice", "Initial-Password-1")
	s.user(t, "bob", "Initial-Password-1")
	clock := &fakeClock{t: time.Now().Add(89 * 24 * time.Hour)}
	base := ownConsole(t, s, clock, io.Discard)
	signIn := func(user string) (*httpClient, *http.Response) {
		h := newHTTPClientAt(t, base)
		_, _, csrf := h.get("/signin")
		return h, h.post("/signin", url.Values{"csrf": {csrf}, "account": {e2etest.AccountID}, "username": {user}, "password": {"Initial-Password-1"}})
	}
	// Within its age the password signs in.
	if _, resp := signIn("alice"); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/console/" {
		t.Fatalf("an 89-day-old password answered %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	clock.Advance(2 * 24 * time.Hour)
	before := passwordSetAt(t, s, "alice")
	h, resp := signIn("alice")
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/console/signin/password") {
		t.Fatalf("a 91-day-old password answered %d to %q, want the password change", resp.StatusCode, resp.Header.Get("Location"))
	}
	if code, _, _ := h.get("/"); code != http.StatusSeeOther {
		t.Fatalf("before the change the dashboard answered %d", code)
	}
	_, _, csrf := h.get("/signin/password")
	resp = h.post("/signin/password", url.Values{"csrf": {csrf}, "old-password": {"Initial-Password-1"},
		"new-password": {"A-New-Password-2"}, "confirm-password": {"A-New-Password-2"}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/console/" {
		t.Fatalf("the change answered %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if code, _, _ := h.get("/"); code != http.StatusOK {
		t.Fatalf("after the change the dashboard answered %d", code)
	}
	if after := passwordSetAt(t, s, "alice"); !after.After(before) {
		t.Fatalf("the password's change time stayed %s after the change", after)
	}

	// HardExpiry: no change at sign-in, no session; the right password is told why.
	if _, err := s.root.UpdateAccountPasswordPolicy(bg, &iam.UpdateAccountPasswordPolicyInput{MinimumPasswordLength: aws.Int32(8),
		AllowUsersToChangePassword: true, MaxPasswordAge: aws.Int32(90), HardExpiry: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	h, resp = signIn("bob")
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("an expired password under HardExpiry answered %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if code, _, _ := h.get("/signin/password"); code != http.StatusSeeOther {
		t.Fatalf("under HardExpiry the password change step answered %d", code)
	}
	if code, _, _ := h.get("/"); code != http.StatusSeeOther {
		t.Fatalf("under HardExpiry the dashboard answered %d", code)
	}
	_, _, csrf = h.get("/signin")
	_, body := h.postPage("/signin", url.Values{"csrf": {csrf}, "account": {e2etest.AccountID}, "username": {"bob"},
		"password": {"Initial-Password-1"}})
	if !strings.Contains(body, "Ask your administrator") {
		t.Errorf("the refusal does not say why:\n%s", body)
	}
}
