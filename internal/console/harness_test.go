package console_test

// The browser test harness: tests of the console drive a real headless Chromium (chromedp) against an
// iamd started in-process. Tests skip when no Chromium is installed, unless CI=true, where its absence
// fails them (.ci/run installs Debian's chromium).

import (
	"context"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/chromedp/chromedp"
	"github.com/pquerna/otp/totp"

	"github.com/iamd/iamd/internal/e2etest"
)

// chromiumPath finds the browser; t skips (fails under CI) without one.
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, p := range []string{os.Getenv("IAMD_CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser"} {
		if p == "" {
			continue
		}
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if p, err := exec.LookPath("chromium"); err == nil {
		return p
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("chromium is not installed (CI installs it in .ci/run)")
	}
	t.Skip("chromium is not installed: browser tests skipped")
	return ""
}

// newBrowser starts a headless Chromium with a fresh profile and returns its tab's context; the browser
// stops when the test ends. Bound each step with within, not this context: a deadline on the context of
// the first call would stop the whole browser.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(chromiumPath(t)),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()))
	ctx, cancelTab := chromedp.NewContext(actx)
	t.Cleanup(func() {
		cancelTab()
		cancelAlloc()
	})
	if err := chromedp.Do(ctx); err != nil { // starts the browser now, so a failure names itself
		t.Fatalf("starting chromium: %v", err)
	}
	return ctx
}

// stepTimeout bounds one run of browser steps (a page load and a few clicks take well under a second).
const stepTimeout = 30 * time.Second

// do runs browser steps within stepTimeout, failing the test on an error.
func do(t *testing.T, ctx context.Context, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatal(err)
	}
}

// run runs one browser action that returns a value within stepTimeout.
func run[T any](t *testing.T, ctx context.Context, a chromedp.Action[T]) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// consoleServer is an iamd with its console, and the root's IAM client to set up principals.
type consoleServer struct {
	*e2etest.Server
	root *iam.Client
}

func startConsole(t testing.TB) *consoleServer {
	t.Helper()
	s := e2etest.Start(t, e2etest.Options{})
	return &consoleServer{Server: s, root: s.IAM(e2etest.RootCreds())}
}

// url is the address of a console path ("/signin").
func (s *consoleServer) url(p string) string { return s.URL + "/console" + p }

// user creates an IAM user with a console password and the given managed policies attached.
func (s *consoleServer) user(t testing.TB, name, password string, policyARNs ...string) {
	t.Helper()
	ctx := context.Background()
	if _, err := s.root.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name)}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.root.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{UserName: aws.String(name), Password: aws.String(password)}); err != nil {
		t.Fatal(err)
	}
	for _, p := range policyARNs {
		if _, err := s.root.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String(name), PolicyArn: aws.String(p)}); err != nil {
			t.Fatal(err)
		}
	}
}

// signIn fills the sign-in form in the browser and submits it; wait for an element of the page expected
// next (the click returns before it loads).
func signIn(s *consoleServer, account, user, password string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(
		chromedp.Navigate(s.url("/signin")),
		chromedp.WaitVisible(chromedp.ID("account")),
		chromedp.SendKeys(chromedp.ID("account"), account),
		chromedp.SendKeys(chromedp.ID("username"), user),
		chromedp.SendKeys(chromedp.ID("password"), password),
		clickAndLoad("signin"),
	)
}

// text returns the visible text of the element sel selects.
func text[S chromedp.Selectable](t *testing.T, ctx context.Context, sel S) string {
	t.Helper()
	return strings.TrimSpace(run(t, ctx, chromedp.Text(sel)))
}

// noRedirects is an HTTP client for tests that look at the console's answers themselves.
var noRedirects = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// mfaDevice enables a new virtual MFA device for user ("" for the root, which must then be the caller of
// root) and returns its serial and seed. The enabling uses the codes of the last two time steps, so a
// sign-in must give a later one: totpCode(t, seed, time.Now().Add(30*time.Second)).
func (s *consoleServer) mfaDevice(t *testing.T, user string) (serial, seed string) {
	t.Helper()
	ctx := context.Background()
	name := user + "-phone"
	if user == "" {
		name = "root-phone"
	}
	v, err := s.root.CreateVirtualMFADevice(ctx, &iam.CreateVirtualMFADeviceInput{VirtualMFADeviceName: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	serial, seed = aws.ToString(v.VirtualMFADevice.SerialNumber), string(v.VirtualMFADevice.Base32StringSeed)
	now := time.Now()
	in := &iam.EnableMFADeviceInput{SerialNumber: aws.String(serial),
		AuthenticationCode1: aws.String(totpCode(t, seed, now.Add(-30*time.Second))), AuthenticationCode2: aws.String(totpCode(t, seed, now))}
	if user != "" {
		in.UserName = aws.String(user)
	} else {
		in.UserName = aws.String("root") // no IAM user of that name: the root's own device
	}
	if _, err := s.root.EnableMFADevice(ctx, in); err != nil {
		t.Fatal(err)
	}
	return serial, seed
}

// totpCode is the code an authenticator app shows for seed at t.
func totpCode(t *testing.T, seed string, at time.Time) string {
	t.Helper()
	c, err := totp.GenerateCode(seed, at)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// clickAndLoad clicks the element with id (a submit button or a link) and waits until the next page has
// replaced the current one (clickAndLoadSel).
func clickAndLoad(id string) chromedp.Action[chromedp.Void] { return clickAndLoadSel(chromedp.ID(id)) }

// clickAndLoadSel clicks the element sel selects (a submit button or a link) and waits until the next
// page has replaced the current one: the click returns before it loads, and a wait for an element both
// pages have (a notice, a form, the list) would otherwise see the old one and go on too early. Every
// click that leaves the page goes through it; a click that stays (a checkbox, a radio button, a
// disclosure) is a plain chromedp.Click.
func clickAndLoadSel[S chromedp.Selectable](sel S) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(
		chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			_, err := chromedp.Evaluate[bool](`document.body.dataset.stale = "1"; true`)(ctx, t)
			return err
		}),
		chromedp.Click(sel),
		chromedp.WaitReady(chromedp.CSS("body:not([data-stale])")),
	)
}
