package console_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/chromedp/chromedp"

	"github.com/iamd/iamd/internal/e2etest"
)

// A user with an MFA device is not signed in by its password alone: the console asks for a code, refuses
// a wrong one, and only the device's current code opens the console.
func TestBrowserSignInWithMFA(t *testing.T) {
	s := startConsole(t)
	s.user(t, "mia", "Correct-Horse-1")
	_, seed := s.mfaDevice(t, "mia")
	ctx := newBrowser(t)

	do(t, ctx, signIn(s, e2etest.AccountID, "mia", "Correct-Horse-1"), chromedp.WaitVisible(chromedp.ID("code")))
	// The password alone opens nothing: the dashboard sends the browser back to the MFA step.
	do(t, ctx, chromedp.Navigate(s.url("/")), chromedp.WaitVisible(chromedp.ID("code")))
	if loc := run(t, ctx, chromedp.Location()); !strings.HasPrefix(loc, s.url("/signin/mfa")) {
		t.Fatalf("before the MFA code the dashboard led to %s", loc)
	}
	do(t, ctx, chromedp.SendKeys(chromedp.ID("code"), "000000"), clickAndLoad("verify"), chromedp.WaitVisible(chromedp.ID("signin-error")))
	do(t, ctx, chromedp.SendKeys(chromedp.ID("code"), totpCode(t, seed, time.Now().Add(30*time.Second))),
		clickAndLoad("verify"), chromedp.WaitVisible(chromedp.ID("caller-arn")))
	if got := text(t, ctx, chromedp.ID("caller-arn")); got != "arn:aws:iam::"+e2etest.AccountID+":user/mia" {
		t.Fatalf("signed in as %q", got)
	}
}

// A login profile with PasswordResetRequired makes the first sign-in change the password, under the
// account's password policy, before anything else; afterwards the flag is cleared and the new password
// signs in.
func TestBrowserForcedPasswordChange(t *testing.T) {
	s := startConsole(t)
	bg := context.Background()
	if _, err := s.root.UpdateAccountPasswordPolicy(bg, &iam.UpdateAccountPasswordPolicyInput{MinimumPasswordLength: aws.Int32(14)}); err != nil {
		t.Fatal(err)
	}
	s.user(t, "newbie", "Initial-Password-1", "arn:aws:iam::aws:policy/IAMUserChangePassword")
	if _, err := s.root.UpdateLoginProfile(bg, &iam.UpdateLoginProfileInput{UserName: aws.String("newbie"), PasswordResetRequired: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	ctx := newBrowser(t)
	do(t, ctx, signIn(s, e2etest.AccountID, "newbie", "Initial-Password-1"), chromedp.WaitVisible(chromedp.ID("new-password")))
	do(t, ctx, chromedp.Navigate(s.url("/")), chromedp.WaitVisible(chromedp.ID("new-password")))

	change := func(old, pw string) string {
		do(t, ctx, chromedp.SendKeys(chromedp.ID("old-password"), old), chromedp.SendKeys(chromedp.ID("new-password"), pw),
			chromedp.SendKeys(chromedp.ID("confirm-password"), pw), clickAndLoad("change-password"))
		if ok, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.getElementById("signin-error") !== null`)); ok {
			return text(t, ctx, chromedp.ID("signin-error"))
		}
		return ""
	}
	if got := change("Initial-Password-1", "Short-1"); got != "Password should have a minimum length of 14" {
		t.Errorf("too short a password: %q", got)
	}
	if got := change("Initial-Password-1", "A-Long-Enough-Password-2"); got != "" {
		t.Fatalf("a good password was refused: %q", got)
	}
	if got := text(t, ctx, chromedp.ID("caller-arn")); got != "arn:aws:iam::"+e2etest.AccountID+":user/newbie" {
		t.Fatalf("signed in as %q", got)
	}
	p, err := s.root.GetLoginProfile(bg, &iam.GetLoginProfileInput{UserName: aws.String("newbie")})
	if err != nil || p.LoginProfile.PasswordResetRequired {
		t.Fatalf("after the change: %v %+v", err, p)
	}
	do(t, ctx, clickAndLoad("signout"), chromedp.WaitVisible(chromedp.ID("password")),
		signIn(s, e2etest.AccountID, "newbie", "A-Long-Enough-Password-2"), chromedp.WaitVisible(chromedp.ID("caller-arn")))
}

// The root user signs in with the root password that iamd accounts root-password sets, and then the
// MFA code of the root's device.
func TestBrowserRootSignIn(t *testing.T) {
	s := startConsole(t)
	if err := s.App.IAM.SetRootPassword(context.Background(), e2etest.AccountID, "Root-Password-123"); err != nil {
		t.Fatal(err)
	}
	_, seed := s.mfaDevice(t, "")
	ctx := newBrowser(t)
	root := chromedp.Steps(chromedp.Navigate(s.url("/signin")), chromedp.WaitVisible(chromedp.ID("as-root")),
		chromedp.Click(chromedp.ID("as-root")), chromedp.SendKeys(chromedp.ID("account"), e2etest.AccountID))
	do(t, ctx, root, chromedp.SendKeys(chromedp.ID("password"), "Wrong-Password-123"), clickAndLoad("signin"),
		chromedp.WaitVisible(chromedp.ID("signin-error")))
	do(t, ctx, root, chromedp.SendKeys(chromedp.ID("password"), "Root-Password-123"), clickAndLoad("signin"),
		chromedp.WaitVisible(chromedp.ID("code")))
	if got := text(t, ctx, chromedp.ID("step-principal")); got != "root" {
		t.Errorf("MFA step for %q", got)
	}
	do(t, ctx, chromedp.SendKeys(chromedp.ID("code"), totpCode(t, seed, time.Now().Add(30*time.Second))),
		clickAndLoad("verify"), chromedp.WaitVisible(chromedp.ID("caller-arn")))
	if got := text(t, ctx, chromedp.ID("caller-arn")); got != "arn:aws:iam::"+e2etest.AccountID+":root" {
		t.Fatalf("signed in as %q", got)
	}
}
