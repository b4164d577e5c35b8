package console_test

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/iamd/iamd/internal/console"
	"github.com/iamd/iamd/internal/e2etest"
	iamsvc "github.com/iamd/iamd/internal/service/iam"
)

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// lockedBuffer is a log destination the server's goroutines may share.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// ownConsole serves, on a server of its own, a console over s's store and API with its own clock and
// log (and an IAM service on the same clock for its password checks and their throttle); it returns
// the server's URL.
func ownConsole(t *testing.T, s *consoleServer, clock *fakeClock, logs io.Writer) string {
	t.Helper()
	log := slog.New(slog.NewTextHandler(logs, nil))
	con, err := console.New(console.Options{Path: "/console", Store: s.App.Store, Invoker: s.App.Server,
		Passwords: iamsvc.New(iamsvc.Options{Store: s.App.Store, Now: clock.Now, Logger: log}),
		Sessions:  s.App.Auth, Now: clock.Now, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(con)
	t.Cleanup(hs.Close)
	return hs.URL
}

// A session ends after sessionIdleTimeout (30 minutes) without use, and sessionMaxLifetime (12 hours)
// after sign-in however busy; an ended session sends the browser to the sign-in page.
func TestSessionExpiry(t *testing.T) {
	s := startConsole(t)
	s.user(t, "alice", "Correct-Horse-1")
	clock := &fakeClock{t: time.Now()}
	base := ownConsole(t, s, clock, io.Discard)

	h := newHTTPClientAt(t, base)
	h.signIn("alice", "Correct-Horse-1")
	for i := 0; i < 3; i++ {
		clock.Advance(29 * time.Minute)
		if code, _, _ := h.get("/"); code != http.StatusOK {
			t.Fatalf("used every 29 minutes, the session ended at %d", i)
		}
	}
	clock.Advance(31 * time.Minute)
	if code, _, _ := h.get("/"); code != http.StatusSeeOther {
		t.Fatalf("after 31 idle minutes the dashboard answered %d", code)
	}

	h = newHTTPClientAt(t, base)
	h.signIn("alice", "Correct-Horse-1")
	start := clock.Now()
	for clock.Now().Sub(start) < 12*time.Hour-20*time.Minute {
		clock.Advance(20 * time.Minute)
		if code, _, _ := h.get("/"); code != http.StatusOK {
			t.Fatalf("a busy session ended after %v", clock.Now().Sub(start))
		}
	}
	clock.Advance(21 * time.Minute)
	if code, _, _ := h.get("/"); code != http.StatusSeeOther {
		t.Fatalf("after 12 hours the dashboard answered %d", code)
	}
}

// Failed sign-ins are logged (account, user, source; never a password) and throttled per user: after a
// handful of wrong passwords even the right one is refused with AWS's Throttling text until the bucket
// refills.
func TestFailedSignInsThrottledAndLogged(t *testing.T) {
	s := startConsole(t)
	s.user(t, "alice", "Correct-Horse-1")
	clock := &fakeClock{t: time.Now()}
	var logs lockedBuffer
	base := ownConsole(t, s, clock, &logs)
	h := newHTTPClientAt(t, base)
	try := func(pw string) (int, string) {
		_, _, csrf := h.get("/signin")
		resp := h.post("/signin", url.Values{"csrf": {csrf}, "account": {e2etest.AccountID}, "username": {"alice"}, "password": {pw}})
		return resp.StatusCode, resp.Header.Get("Location")
	}
	for i := 0; i < 5; i++ {
		if code, _ := try("Wrong-Guess-" + string(rune('a'+i))); code != http.StatusUnauthorized {
			t.Fatalf("wrong password %d answered %d", i, code)
		}
	}
	if code, _ := try("Correct-Horse-1"); code != http.StatusTooManyRequests {
		t.Fatalf("over the rate the right password answered %d", code)
	}
	clock.Advance(13 * time.Second)
	if code, loc := try("Correct-Horse-1"); code != http.StatusSeeOther || loc != "/console/" {
		t.Fatalf("after the refill the right password answered %d %q", code, loc)
	}
	out := logs.String()
	if n := strings.Count(out, `msg="console sign-in failed"`); n != 5 || !strings.Contains(out, "user=alice") ||
		!strings.Contains(out, `msg="console sign-in refused"`) || !strings.Contains(out, "reason=Throttling") {
		t.Errorf("%d failures logged:\n%s", n, out)
	}
	if strings.Contains(out, "Wrong-Guess") || strings.Contains(out, "Correct-Horse") {
		t.Errorf("a password reached the log:\n%s", out)
	}
}
