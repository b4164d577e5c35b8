package console_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/iamd/iamd/internal/e2etest"
)

// recreateUser deletes user name (its login profile, and its virtual MFA device when serial is set, first) and
// creates another user under the same name with password.
func (s *consoleServer) recreateUser(t *testing.T, name, serial, password string) {
	t.Helper()
	ctx := context.Background()
	if serial != "" {
		if _, err := s.root.DeactivateMFADevice(ctx, &iam.DeactivateMFADeviceInput{UserName: aws.String(name), SerialNumber: aws.String(serial)}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.root.DeleteVirtualMFADevice(ctx, &iam.DeleteVirtualMFADeviceInput{SerialNumber: aws.String(serial)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.root.DeleteLoginProfile(ctx, &iam.DeleteLoginProfileInput{UserName: aws.String(name)}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.root.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String(name)}); err != nil {
		t.Fatal(err)
	}
	s.user(t, name, password)
}

// A session belongs to the user that signed in, not to its name: once that user is deleted and another
// is created under the same name, the session signs nobody in.
func TestRecreatedUserLosesSession(t *testing.T) {
	s := startConsole(t)
	s.user(t, "sam", "Correct-Horse-1")
	h := newHTTPClient(t, s)
	h.signIn("sam", "Correct-Horse-1")
	s.recreateUser(t, "sam", "", "Correct-Horse-1")
	if code, _, _ := h.get("/"); code != http.StatusSeeOther {
		t.Fatalf("after the user was created again the dashboard answered %d", code)
	}
}

// The same holds for a sign-in at its MFA step: the new user's device (a virtual device of the same name,
// so the same serial) does not complete the deleted user's sign-in, and its code is not spent on it.
func TestRecreatedUserEndsPendingSignIn(t *testing.T) {
	s := startConsole(t)
	s.user(t, "mia", "Correct-Horse-1")
	serial, _ := s.mfaDevice(t, "mia")
	h := newHTTPClient(t, s)
	_, _, csrf := h.get("/signin")
	if resp := h.post("/signin", url.Values{"csrf": {csrf}, "account": {e2etest.AccountID}, "username": {"mia"}, "password": {"Correct-Horse-1"}}); resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/console/signin/mfa") {
		t.Fatalf("sign-in answered %d to %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	_, _, csrf = h.get("/signin/mfa")

	s.recreateUser(t, "mia", serial, "Other-Horse-2")
	serial2, seed := s.mfaDevice(t, "mia")
	if serial2 != serial {
		t.Fatalf("the new device's serial is %s, not %s", serial2, serial)
	}
	code := totpCode(t, seed, time.Now().Add(30*time.Second))
	resp := h.post("/signin/mfa", url.Values{"csrf": {csrf}, "code": {code}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/console/signin" {
		t.Fatalf("the new user's code answered %d to %q, want the sign-in page", resp.StatusCode, resp.Header.Get("Location"))
	}
	if code, _, _ := h.get("/"); code != http.StatusSeeOther {
		t.Fatalf("the dashboard answered %d", code)
	}
	// The new user signs in with that same code: the refused step did not spend it.
	h2 := newHTTPClient(t, s)
	_, _, csrf = h2.get("/signin")
	if resp := h2.post("/signin", url.Values{"csrf": {csrf}, "account": {e2etest.AccountID}, "username": {"mia"}, "password": {"Other-Horse-2"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("the new user's sign-in answered %d", resp.StatusCode)
	}
	_, _, csrf = h2.get("/signin/mfa")
	if resp := h2.post("/signin/mfa", url.Values{"csrf": {csrf}, "code": {code}}); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/console/" {
		t.Fatalf("the new user's MFA step answered %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
}
