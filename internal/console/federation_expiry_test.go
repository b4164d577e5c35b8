package console_test

import (
	"io"
	"net/http"
	"testing"
	"time"
)

// A federation sign-in's console session ends when its SessionDuration says, though the credentials
// behind it last longer.
func TestFederationSessionDurationEndsSession(t *testing.T) {
	s := startConsole(t)
	creds := s.assumeRole(t, s.broker(t))
	clock := &fakeClock{t: time.Now()}
	base := ownConsole(t, s, clock, io.Discard)
	s.URL = base // the federation endpoint of the console on the test's clock
	status, token := s.getSigninToken(t, *creds.AccessKeyId, *creds.SecretAccessKey, *creds.SessionToken, "900")
	if status != http.StatusOK || token == "" {
		t.Fatalf("getSigninToken answered %d", status)
	}
	h := newHTTPClientAt(t, base)
	resp, err := h.c.Get(s.loginURL(token, "/console/"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("login answered %d", resp.StatusCode)
	}
	clock.Advance(10 * time.Minute)
	if code, _, _ := h.get("/"); code != http.StatusOK {
		t.Fatalf("10 minutes into a 15-minute session the dashboard answered %d", code)
	}
	clock.Advance(6 * time.Minute)
	if code, _, _ := h.get("/"); code != http.StatusSeeOther {
		t.Fatalf("16 minutes into a 15-minute session the dashboard answered %d", code)
	}
}
