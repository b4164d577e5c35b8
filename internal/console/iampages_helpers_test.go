package console_test

// Helpers of the IAM entity pages' tests (roles, policies, instance profiles, identity providers, access
// advisor, simulator).

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/smithy-go"
	"github.com/chromedp/chromedp"

	"github.com/iamd/iamd/internal/e2etest"
)

// userIAM returns an IAM client signed with a new access key of user, to ask the API itself what the
// console should show.
func (s *consoleServer) userIAM(t testing.TB, user string) *iam.Client {
	t.Helper()
	return s.IAM(s.userCreds(t, user))
}

func (s *consoleServer) userCreds(t testing.TB, user string) aws.CredentialsProvider {
	t.Helper()
	key, err := s.root.CreateAccessKey(context.Background(), &iam.CreateAccessKeyInput{UserName: aws.String(user)})
	if err != nil {
		t.Fatal(err)
	}
	return e2etest.Creds(*key.AccessKey.AccessKeyId, *key.AccessKey.SecretAccessKey, "")
}

// apiError is err's AWS error as a page shows it: "Code Message".
func apiError(t testing.TB, err error) string {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("want an API error, got %v", err)
	}
	return ae.ErrorCode() + " " + ae.ErrorMessage()
}

// oneLine is a page text with its runs of white space made one space.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// shows checks that the element sel selects shows want (white space aside).
func shows(t *testing.T, ctx context.Context, sel string, want string) {
	t.Helper()
	if got := oneLine(text(t, ctx, chromedp.ID(sel))); got != oneLine(want) {
		t.Errorf("#%s shows %q, want %q", sel, got, oneLine(want))
	}
}

// screenshot saves the browser's page as docs/console/<name>.png when IAMD_CONSOLE_SCREENSHOTS=1.
func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	if os.Getenv("IAMD_CONSOLE_SCREENSHOTS") != "1" {
		return
	}
	do(t, ctx, chromedp.EmulateViewport(1280, 800))
	png := run(t, ctx, chromedp.FullScreenshot(100))
	dir := filepath.Join("..", "..", "docs", "console")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// postPage posts a form and returns the answer's status and body (a page shown, not a redirect).
func (h *httpClient) postPage(p string, form url.Values) (int, string) {
	h.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, h.url(p), strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", h.origin)
	resp, err := h.c.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}
