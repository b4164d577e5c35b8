package console_test

import (
	"context"
	"errors"
	"io"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/smithy-go"
	"github.com/chromedp/chromedp"

	"github.com/iamd/iamd/internal/e2etest"
	"github.com/iamd/iamd/internal/storage"
)

// The dashboard shows the account's alias, its counts and the security recommendations (the root's from
// GetAccountSummary, the users' from a credential report it generates from a button); the password
// policy page sets and deletes the policy, which the API then reports; the credential report downloads
// as the API's CSV. A read-only user is refused a change with AWS's AccessDenied, and a user without
// policies sees the dashboard's refusals in place.
func TestBrowserDashboardPasswordPolicyAndReport(t *testing.T) {
	s := startConsole(t)
	ctx0 := context.Background()
	s.user(t, "admin", "Correct-Horse-1", "arn:aws:iam::aws:policy/IAMFullAccess")
	s.user(t, "reader", "Correct-Horse-1", "arn:aws:iam::aws:policy/IAMReadOnlyAccess")
	s.user(t, "nobody", "Correct-Horse-1")
	if _, err := s.root.CreateAccountAlias(ctx0, &iam.CreateAccountAliasInput{AccountAlias: aws.String("example-corp")}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.root.CreateUser(ctx0, &iam.CreateUserInput{UserName: aws.String("oldkey")}); err != nil {
		t.Fatal(err)
	}
	key, err := s.root.CreateAccessKey(ctx0, &iam.CreateAccessKeyInput{UserName: aws.String("oldkey")})
	if err != nil {
		t.Fatal(err)
	}
	// The key was made 100 days ago (set in the store: the API cannot backdate a key).
	if err := s.App.Store.Update(ctx0, func(tx storage.Tx) error {
		k, err := tx.GetAccessKey(ctx0, *key.AccessKey.AccessKeyId)
		if err != nil {
			return err
		}
		k.CreatedAt = time.Now().UTC().Add(-100 * 24 * time.Hour)
		return tx.UpdateAccessKey(ctx0, k)
	}); err != nil {
		t.Fatal(err)
	}

	ctx := newBrowser(t)
	do(t, ctx, signIn(s, e2etest.AccountID, "admin", "Correct-Horse-1"), chromedp.WaitVisible(chromedp.ID("caller-arn")))
	t.Run("Dashboard", func(t *testing.T) {
		if got := text(t, ctx, chromedp.ID("account-alias")); got != "example-corp" {
			t.Errorf("alias %q", got)
		}
		if got := text(t, ctx, chromedp.CSS("#summary tbody tr:first-child")); strings.Join(strings.Fields(got), " ") != "Users 4 5000" {
			t.Errorf("users line %q", got)
		}
		// The test server's root has an access key and no MFA.
		for _, id := range []string{"rec-root-mfa", "rec-root-keys"} {
			if got := text(t, ctx, chromedp.ID(id)); strings.HasPrefix(got, "OK") {
				t.Errorf("%s: %q", id, got)
			}
		}
		do(t, ctx, chromedp.WaitVisible(chromedp.ID("no-report")), clickAndLoad("generate-report"),
			chromedp.WaitVisible(chromedp.ID("report-time")))
		if got := text(t, ctx, chromedp.ID("rec-users-mfa")); !strings.HasPrefix(got, "Add MFA for IAM users: admin, nobody, oldkey, reader") {
			t.Errorf("users without MFA: %q", got)
		}
		if got := text(t, ctx, chromedp.ID("rec-old-keys")); got != "Rotate access keys older than 90 days: oldkey" {
			t.Errorf("old keys: %q", got)
		}
		pageScreenshot(t, ctx, "dashboard")
	})

	t.Run("PasswordPolicy", func(t *testing.T) {
		do(t, ctx, chromedp.Navigate(s.url("/password-policy")), chromedp.WaitVisible(chromedp.ID("no-policy")),
			chromedp.SetValue(chromedp.ID("min-length"), "14"), chromedp.Click(chromedp.ID("symbols")),
			chromedp.SetValue(chromedp.ID("max-age"), "90"), clickAndLoad("save-policy"),
			chromedp.WaitVisible(chromedp.ID("changed")))
		p, err := s.root.GetAccountPasswordPolicy(ctx0, &iam.GetAccountPasswordPolicyInput{})
		if err != nil || aws.ToInt32(p.PasswordPolicy.MinimumPasswordLength) != 14 || !p.PasswordPolicy.RequireSymbols ||
			aws.ToInt32(p.PasswordPolicy.MaxPasswordAge) != 90 || p.PasswordPolicy.RequireNumbers {
			t.Fatalf("after saving on the page the API says %+v, %v", p, err)
		}
		if got := text(t, ctx, chromedp.ID("policy-min-length")); got != "14" {
			t.Errorf("page shows minimum length %q", got)
		}
		pageScreenshot(t, ctx, "password-policy")
		do(t, ctx, clickAndLoad("delete-policy"), chromedp.WaitVisible(chromedp.ID("no-policy")))
		_, err = s.root.GetAccountPasswordPolicy(ctx0, &iam.GetAccountPasswordPolicyInput{})
		var ae smithy.APIError
		if !errors.As(err, &ae) || ae.ErrorCode() != "NoSuchEntity" {
			t.Fatalf("after deleting on the page: %v", err)
		}
	})

	t.Run("CredentialReport", func(t *testing.T) {
		do(t, ctx, chromedp.Navigate(s.url("/credential-report")), chromedp.WaitVisible(chromedp.ID("download")))
		if got := text(t, ctx, chromedp.ID("report-users")); got != "4" {
			t.Errorf("report users %q", got)
		}
		pageScreenshot(t, ctx, "credential-report")
		h := newHTTPClient(t, s)
		h.signIn("admin", "Correct-Horse-1")
		resp, err := h.c.Get(s.url("/credential-report/download"))
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		want, err := s.root.GetCredentialReport(ctx0, &iam.GetCredentialReportInput{})
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") ||
			!strings.HasPrefix(resp.Header.Get("Content-Disposition"), "attachment;") || string(body) != string(want.Content) {
			t.Errorf("download: %d %v\n%s", resp.StatusCode, resp.Header, body)
		}
	})

	t.Run("ReadOnlyUserDenied", func(t *testing.T) {
		do(t, ctx, clickAndLoad("signout"), chromedp.WaitVisible(chromedp.ID("account")),
			signIn(s, e2etest.AccountID, "reader", "Correct-Horse-1"), chromedp.WaitVisible(chromedp.ID("caller-arn")),
			chromedp.Navigate(s.url("/password-policy")), chromedp.WaitVisible(chromedp.ID("no-policy")),
			chromedp.SetValue(chromedp.ID("min-length"), "20"), clickAndLoad("save-policy"),
			chromedp.WaitVisible(chromedp.ID("api-error")))
		got := strings.Join(strings.Fields(text(t, ctx, chromedp.ID("api-error"))), " ")
		if !strings.HasPrefix(got, "AccessDenied User: arn:aws:iam::"+e2etest.AccountID+":user/reader is not authorized to perform: iam:UpdateAccountPasswordPolicy") {
			t.Errorf("the refusal shows %q", got)
		}
		if _, err := s.root.GetAccountPasswordPolicy(ctx0, &iam.GetAccountPasswordPolicyInput{}); err == nil {
			t.Fatal("a refused change set a password policy")
		}
	})

	t.Run("NoPoliciesDashboard", func(t *testing.T) {
		do(t, ctx, clickAndLoad("signout"), chromedp.WaitVisible(chromedp.ID("account")),
			signIn(s, e2etest.AccountID, "nobody", "Correct-Horse-1"), chromedp.WaitVisible(chromedp.ID("summary-error")))
		if got := text(t, ctx, chromedp.ID("summary-error")); !strings.Contains(got, "iam:GetAccountSummary") {
			t.Errorf("summary refusal %q", got)
		}
		if got := text(t, ctx, chromedp.ID("report-error")); !strings.Contains(got, "iam:GetCredentialReport") {
			t.Errorf("report refusal %q", got)
		}
	})
}

// A number the password policy form cannot read is refused beside the form, and a value the API refuses
// shows the API's own ValidationError; neither changes the policy.
func TestPasswordPolicyRefusesBadValues(t *testing.T) {
	s := startConsole(t)
	s.user(t, "admin", "Correct-Horse-1", "arn:aws:iam::aws:policy/IAMFullAccess")
	h := newHTTPClient(t, s)
	csrf := h.signIn("admin", "Correct-Horse-1")
	for _, c := range []struct{ value, want string }{
		{"ten", "Value 'ten' at 'minimumPasswordLength' failed to satisfy constraint: Member must be a number"},
		{"3", "Value '3' at 'minimumPasswordLength' failed to satisfy constraint: Member must have value greater than or equal to 6"},
	} {
		status, b := postAnswer(h, "/password-policy", url.Values{"csrf": {csrf}, "min-length": {c.value}})
		if status != 400 || !strings.Contains(b, "ValidationError") || !strings.Contains(b, c.want) {
			t.Errorf("min length %q: %d\n%s", c.value, status, b)
		}
	}
	if _, err := s.root.GetAccountPasswordPolicy(context.Background(), &iam.GetAccountPasswordPolicyInput{}); err == nil {
		t.Fatal("a refused value set a password policy")
	}
}
