package console_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/account"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	"github.com/chromedp/chromedp"

	"github.com/iamd/iamd/internal/e2etest"
)

// pageScreenshot saves the browser's page as docs/console/<name>.png when IAMD_CONSOLE_SCREENSHOTS=1 (a
// run that refreshes the documentation's pictures), at a fixed width so they look alike.
func pageScreenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	if os.Getenv("IAMD_CONSOLE_SCREENSHOTS") != "1" {
		return
	}
	do(t, ctx, chromedp.EmulateViewport(1280, 900))
	png := run(t, ctx, chromedp.FullScreenshot(100))
	dir := filepath.Join("..", "..", "docs", "console")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// matrixRow returns the matrix's three cells of region (v1 global, v2 global, regional token).
func matrixRow(t *testing.T, ctx context.Context, region string) [3]string {
	t.Helper()
	var row [3]string
	for i, col := range []string{"v1", "v2", "regional"} {
		row[i] = text(t, ctx, chromedp.ID("matrix-"+region+"-"+col))
	}
	return row
}

// The account settings page changes what the API then enforces: enabling an opt-in region (the Account
// API sees it, the matrix follows), the global endpoint's token version (GetAccountSummary follows), STS
// in a region (an STS call signed for that region gets RegionDisabledException); a read-only user sees
// the page but is refused the change with AWS's AccessDenied, and nothing changes.
func TestBrowserAccountSettings(t *testing.T) {
	s := startConsole(t)
	ctx0 := context.Background()
	s.user(t, "admin", "Correct-Horse-1", "arn:aws:iam::aws:policy/AdministratorAccess")
	s.user(t, "reader", "Correct-Horse-1", "arn:aws:iam::aws:policy/IAMReadOnlyAccess")
	ctx := newBrowser(t)
	do(t, ctx, signIn(s, e2etest.AccountID, "admin", "Correct-Horse-1"), chromedp.WaitVisible(chromedp.ID("caller-arn")),
		chromedp.Navigate(s.url("/account-settings")), chromedp.WaitVisible(chromedp.ID("token-matrix")))

	accepted, refused := "Accepted", "Refused"
	// fresh loads the page without a notice, so that waiting for one waits for the change's answer.
	fresh := chromedp.Steps(chromedp.Navigate(s.url("/account-settings")), chromedp.WaitVisible(chromedp.ID("token-matrix")))
	want := func(region string, cells [3]string) {
		t.Helper()
		if got := matrixRow(t, ctx, region); got != cells {
			t.Errorf("matrix row %s: %v, want %v", region, got, cells)
		}
	}
	// ap-east-1 is an opt-in region, not enabled: nothing is accepted there; us-east-1 accepts all.
	want("us-east-1", [3]string{accepted, accepted, accepted})
	want("ap-east-1", [3]string{refused, refused, refused})
	if got := text(t, ctx, chromedp.ID("optin-status-ap-east-1")); got != "DISABLED" {
		t.Errorf("ap-east-1 shows %q", got)
	}

	t.Run("EnableOptInRegion", func(t *testing.T) {
		do(t, ctx, fresh, clickAndLoad("optin-enable-ap-east-1"), chromedp.WaitVisible(chromedp.ID("changed")))
		out, err := s.Account(e2etest.RootCreds()).GetRegionOptStatus(ctx0, &account.GetRegionOptStatusInput{RegionName: aws.String("ap-east-1")})
		if err != nil || out.RegionOptStatus != "ENABLED" {
			t.Fatalf("after enabling on the page the API says %v, %v", out, err)
		}
		if got := text(t, ctx, chromedp.ID("optin-status-ap-east-1")); got != "ENABLED" {
			t.Errorf("ap-east-1 shows %q", got)
		}
		// Enabled: a v2 token and a regional token are good there, a v1 token still is not.
		want("ap-east-1", [3]string{refused, accepted, accepted})
		pageScreenshot(t, ctx, "account-settings")
	})

	t.Run("TokenVersion", func(t *testing.T) {
		do(t, ctx, fresh, chromedp.SetValue(chromedp.ID("token-version"), "v2Token"), clickAndLoad("save-token-version"),
			chromedp.WaitVisible(chromedp.ID("changed")))
		sum, err := s.root.GetAccountSummary(ctx0, &iam.GetAccountSummaryInput{})
		if err != nil || sum.SummaryMap["GlobalEndpointTokenVersion"] != 2 {
			t.Fatalf("after choosing v2 on the page GetAccountSummary says %v, %v", sum, err)
		}
		if got := text(t, ctx, chromedp.ID("current-token-version")); !strings.HasPrefix(got, "Version 2") {
			t.Errorf("current version shows %q", got)
		}
	})

	t.Run("DeactivateRegionalSTS", func(t *testing.T) {
		if _, err := s.STS(e2etest.RootCreds(), "eu-west-1").GetSessionToken(ctx0, &sts.GetSessionTokenInput{}); err != nil {
			t.Fatalf("STS in eu-west-1 before: %v", err)
		}
		do(t, ctx, fresh, clickAndLoad("sts-toggle-eu-west-1"), chromedp.WaitVisible(chromedp.ID("changed")))
		if got := text(t, ctx, chromedp.ID("sts-status-eu-west-1")); got != "Inactive" {
			t.Errorf("eu-west-1 STS shows %q", got)
		}
		want("eu-west-1", [3]string{accepted, accepted, refused})
		_, err := s.STS(e2etest.RootCreds(), "eu-west-1").GetSessionToken(ctx0, &sts.GetSessionTokenInput{})
		var ae smithy.APIError
		if !errors.As(err, &ae) || ae.ErrorCode() != "RegionDisabledException" {
			t.Fatalf("STS in eu-west-1 after deactivating it on the page: %v", err)
		}
	})

	t.Run("DisableOptInRegion", func(t *testing.T) {
		do(t, ctx, fresh, clickAndLoad("optin-disable-ap-east-1"), chromedp.WaitVisible(chromedp.ID("changed")))
		want("ap-east-1", [3]string{refused, refused, refused})
	})

	t.Run("ReadOnlyUserDenied", func(t *testing.T) {
		do(t, ctx, clickAndLoad("signout"), chromedp.WaitVisible(chromedp.ID("account")),
			signIn(s, e2etest.AccountID, "reader", "Correct-Horse-1"), chromedp.WaitVisible(chromedp.ID("caller-arn")),
			chromedp.Navigate(s.url("/account-settings")), chromedp.WaitVisible(chromedp.ID("save-token-version")))
		// The reader may read the summary but not iamd's STS settings: that part shows the refusal.
		if got := text(t, ctx, chromedp.ID("sts-error")); !strings.HasPrefix(got, "AccessDenied") || !strings.Contains(got, "iamd:GetSTSRegionStatus") {
			t.Errorf("STS part shows %q", got)
		}
		do(t, ctx, chromedp.SetValue(chromedp.ID("token-version"), "v1Token"), clickAndLoad("save-token-version"),
			chromedp.WaitVisible(chromedp.ID("api-error")))
		got := strings.Join(strings.Fields(text(t, ctx, chromedp.ID("api-error"))), " ")
		if !strings.HasPrefix(got, "AccessDenied User: arn:aws:iam::"+e2etest.AccountID+":user/reader is not authorized to perform: iam:SetSecurityTokenServicePreferences") {
			t.Errorf("the refusal shows %q", got)
		}
		sum, err := s.root.GetAccountSummary(ctx0, &iam.GetAccountSummaryInput{})
		if err != nil || sum.SummaryMap["GlobalEndpointTokenVersion"] != 2 {
			t.Fatalf("a refused change changed the token version: %v, %v", sum, err)
		}
	})
}
