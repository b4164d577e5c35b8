package console_test

import (
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/iamd/iamd/internal/e2etest"
)

// A user signs in with its password, lands on the dashboard inside the console's frame as itself, and
// signs out: the session is gone and the console asks to sign in again.
func TestBrowserSignInAndOut(t *testing.T) {
	s := startConsole(t)
	s.user(t, "alice", "Correct-Horse-1", "arn:aws:iam::aws:policy/ReadOnlyAccess")
	ctx := newBrowser(t)
	arn := "arn:aws:iam::" + e2etest.AccountID + ":user/alice"

	do(t, ctx, signIn(s, e2etest.AccountID, "alice", "Correct-Horse-1"), chromedp.WaitVisible(chromedp.ID("caller-arn")))
	if got := text(t, ctx, chromedp.ID("caller-arn")); got != arn {
		t.Fatalf("dashboard shows caller %q, want %q", got, arn)
	}
	if got := text(t, ctx, chromedp.ID("principal")); got != arn {
		t.Errorf("frame shows principal %q", got)
	}
	if got := text(t, ctx, chromedp.CSS("nav a[aria-current=page]")); got != "Dashboard" {
		t.Errorf("current navigation entry %q", got)
	}

	do(t, ctx, clickAndLoad("signout"), chromedp.WaitVisible(chromedp.ID("password")))
	if loc := run(t, ctx, chromedp.Location()); loc != s.url("/signin") {
		t.Errorf("after sign-out at %s", loc)
	}
	// The dashboard now sends the browser to the sign-in page.
	do(t, ctx, chromedp.Navigate(s.url("/")), chromedp.WaitVisible(chromedp.ID("password")))
	if got := text(t, ctx, chromedp.CSS("h1")); got != "Sign in" {
		t.Errorf("after sign-out the console shows %q", got)
	}

	// A wrong password is refused with AWS's words.
	do(t, ctx, signIn(s, e2etest.AccountID, "alice", "wrong-password"), chromedp.WaitVisible(chromedp.ID("signin-error")))
	if got := text(t, ctx, chromedp.ID("signin-error")); got != "Your authentication information is incorrect. Please try again." {
		t.Errorf("wrong password: %q", got)
	}
}
