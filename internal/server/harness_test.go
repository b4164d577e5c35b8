package server_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/iamd/iamd/internal/app"
	"github.com/iamd/iamd/internal/config"
)

// Root credentials of the servers these tests assemble.
const (
	testAccount = "123456789012"
	testKeyID   = "AKIAIAMDSERVERTEST01"
	testSecret  = "serverPackageTestRootSecretKey0000000001"
	gciBody     = "Action=GetCallerIdentity&Version=2011-06-15"
	formType    = "application/x-www-form-urlencoded; charset=utf-8"
)

// newApp assembles a whole iamd (SQLite store in a temporary directory) whose handler the tests drive
// directly; logs are discarded unless verbose.
func newApp(tb testing.TB, dev bool) *app.App {
	tb.Helper()
	return newAppWith(tb, func(c *config.Config) { c.Dev = dev })
}

// newAppWith is newApp with its configuration changed by set.
func newAppWith(tb testing.TB, set func(*config.Config)) *app.App {
	tb.Helper()
	cfg := &config.Config{Listen: "127.0.0.1:0", DataDir: tb.TempDir(), AccountID: testAccount,
		RootAccessKeyID: testKeyID, RootSecretAccessKey: testSecret, MaxBodyBytes: config.DefaultMaxBodyBytes,
		ShutdownTimeout: 5 * time.Second, LogLevel: "info", LogFormat: "text"}
	set(cfg)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	ctx, cancel := context.WithCancel(context.Background())
	a, err := app.New(ctx, cfg, log)
	if err != nil {
		cancel()
		tb.Fatal(err)
	}
	a.Start(ctx)
	tb.Cleanup(func() {
		cancel()
		_ = a.Close()
	})
	return a
}

// sign signs r (whose body is body) as the root for service in us-east-1 at t.
func sign(tb testing.TB, r *http.Request, body []byte, service string, at time.Time) {
	tb.Helper()
	h := sha256.Sum256(body)
	creds := aws.Credentials{AccessKeyID: testKeyID, SecretAccessKey: testSecret}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, r, hex.EncodeToString(h[:]), service, "us-east-1", at); err != nil {
		tb.Fatal(err)
	}
}
