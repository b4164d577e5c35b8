package console_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/iamd/iamd/internal/e2etest"
	"github.com/iamd/iamd/internal/ids"
	"github.com/iamd/iamd/internal/storage"
)

// benchUsers is the account size the console's pages must serve within 50 ms each.
const benchUsers = 5000

// startBenchConsole is a console server whose account holds benchUsers users (written through the store
// in batches: creating them through the API would take most of the benchmark's time) and a current
// credential report, with an administrator (the last of them: 5,000 is the account's quota) signed in
// over HTTP.
func startBenchConsole(b *testing.B) (*consoleServer, *httpClient) {
	b.Helper()
	s := startConsole(b)
	ctx := context.Background()
	created := time.Now().UTC().Truncate(time.Second)
	const batch = 500
	for start := 0; start < benchUsers-1; start += batch {
		if err := s.App.Store.Update(ctx, func(tx storage.Tx) error {
			for i := start; i < min(start+batch, benchUsers-1); i++ {
				u := &storage.User{AccountID: e2etest.AccountID, Name: fmt.Sprintf("bench%05d", i), Path: "/", ID: ids.NewUniqueID(ids.PrefixUser), CreatedAt: created}
				if err := tx.CreateUser(ctx, u); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			b.Fatal(err)
		}
	}
	s.user(b, "admin", "Correct-Horse-1", "arn:aws:iam::aws:policy/AdministratorAccess")
	if _, err := s.root.GenerateCredentialReport(ctx, &iam.GenerateCredentialReportInput{}); err != nil {
		b.Fatal(err)
	}
	h := newHTTPClient(b, s)
	h.signIn("admin", "Correct-Horse-1")
	return s, h
}

// benchPage loads a page once per iteration, checking each answer is the full page.
func benchPage(b *testing.B, s *consoleServer, h *httpClient, path, mark string) {
	b.Helper()
	for b.Loop() {
		resp, err := h.c.Get(s.url(path))
		if err != nil {
			b.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), mark) {
			b.Fatalf("%s answered %d", path, resp.StatusCode)
		}
	}
}

// BenchmarkPagesWith5000Users measures the server time of the dashboard (which reads the credential
// report of all 5,001 principals for its recommendations) and of the account settings page (summary,
// STS activation and the matrix, ListRegions) in an account of 5,000 users.
func BenchmarkPagesWith5000Users(b *testing.B) {
	s, h := startBenchConsole(b)
	b.Run("Dashboard", func(b *testing.B) { benchPage(b, s, h, "/", `id="report-time"`) })
	b.Run("AccountSettings", func(b *testing.B) { benchPage(b, s, h, "/account-settings", `id="token-matrix"`) })
	b.Run("CredentialReport", func(b *testing.B) { benchPage(b, s, h, "/credential-report", `id="download"`) })
	b.Run("PasswordPolicy", func(b *testing.B) { benchPage(b, s, h, "/password-policy", `id="save-policy"`) })
}
