package console_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/smithy-go"
	"github.com/chromedp/chromedp"

	"github.com/iamd/iamd/internal/e2etest"
)

// A page acts with the signed-in user's permissions, no more: a user without a policy is refused with
// the very AccessDenied text the API gives that user's own access key, and nothing is created.
func TestBrowserPageDeniedAsThePrincipal(t *testing.T) {
	s := startConsole(t)
	s.user(t, "limited", "Correct-Horse-1")
	key, err := s.root.CreateAccessKey(context.Background(), &iam.CreateAccessKeyInput{UserName: aws.String("limited")})
	if err != nil {
		t.Fatal(err)
	}
	_, apiErr := s.IAM(e2etest.Creds(*key.AccessKey.AccessKeyId, *key.AccessKey.SecretAccessKey, "")).ListUsers(context.Background(), &iam.ListUsersInput{})
	var ae smithy.APIError
	if !errors.As(apiErr, &ae) || ae.ErrorCode() != "AccessDenied" {
		t.Fatalf("the API let the limited user list users: %v", apiErr)
	}

	ctx := newBrowser(t)
	do(t, ctx, signIn(s, e2etest.AccountID, "limited", "Correct-Horse-1"), chromedp.WaitVisible(chromedp.ID("caller-arn")),
		chromedp.Navigate(s.url("/_example/users")), chromedp.WaitVisible(chromedp.ID("api-error")))
	if got, want := text(t, ctx, chromedp.ID("api-error")), "AccessDenied\n\n"+ae.ErrorMessage(); got != want && strings.Join(strings.Fields(got), " ") != "AccessDenied "+ae.ErrorMessage() {
		t.Errorf("console shows %q, want the API's %q", got, want)
	}
	out, err := s.root.ListUsers(context.Background(), &iam.ListUsersInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Users) != 1 {
		t.Errorf("%d users, want only the limited one", len(out.Users))
	}
}

// A user allowed to manage IAM creates users through a form (carrying the session's CSRF token) and
// pages through them with markers.
func TestBrowserFormAndMarkers(t *testing.T) {
	s := startConsole(t)
	s.user(t, "admin", "Correct-Horse-1", "arn:aws:iam::aws:policy/IAMFullAccess")
	ctx := newBrowser(t)
	do(t, ctx, signIn(s, e2etest.AccountID, "admin", "Correct-Horse-1"), chromedp.WaitVisible(chromedp.ID("caller-arn")))
	for _, name := range []string{"bob", "carol"} {
		do(t, ctx, chromedp.Navigate(s.url("/_example/users")), chromedp.WaitVisible(chromedp.ID("name")),
			chromedp.SendKeys(chromedp.ID("name"), name), clickAndLoad("create"),
			chromedp.WaitVisible(chromedp.ID("created")))
	}
	if _, err := s.root.GetUser(context.Background(), &iam.GetUserInput{UserName: aws.String("carol")}); err != nil {
		t.Fatalf("the form did not create carol: %v", err)
	}
	do(t, ctx, chromedp.Navigate(s.url("/_example/users")), chromedp.WaitVisible(chromedp.ID("next")))
	first := text(t, ctx, chromedp.ID("users"))
	do(t, ctx, clickAndLoad("next"), chromedp.WaitNotPresent(chromedp.ID("next")))
	second := text(t, ctx, chromedp.ID("users"))
	if !strings.Contains(first, "admin") || !strings.Contains(first, "bob") || !strings.Contains(second, "carol") || strings.Contains(second, "bob") {
		t.Errorf("pages:\n%s\n---\n%s", first, second)
	}
}
