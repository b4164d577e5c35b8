// Package e2etest starts real iamd servers (the whole app: SQLite or PostgreSQL store, authentication,
// services) on loopback for end-to-end tests, and builds unmodified aws-sdk-go-v2 clients pointed at them.
package e2etest

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/account"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/iamd/iamd/internal/app"
	"github.com/iamd/iamd/internal/audit"
	"github.com/iamd/iamd/internal/config"
)

// Root credentials every test server is started with.
const (
	AccountID  = "123456789012"
	RootKeyID  = "AKIAIAMDTESTROOT0001"
	RootSecret = "iamdTestRootSecretAccessKey0000000000001"
)

// Server is a running iamd.
type Server struct {
	URL string
	App *app.App
}

// Options adjust a test server; the zero value is a fresh SQLite server.
type Options struct {
	DataDir     string // default t.TempDir()
	DatabaseURL string // PostgreSQL instead of SQLite
	MasterKey   string // base64; nodes sharing a database must share it
	Dev         bool
	// TransitionDelay of region opt-in (default 0: immediate).
	TransitionDelay time.Duration
	Verbose         bool // log to the test log
	// SMTPURL is --smtp-url (the Account API's primary e-mail update codes); "" logs them.
	SMTPURL string
	// LogWriter receives the server's log, for tests that look at what it says (or must not say);
	// nil discards it (Verbose sends it to the test log).
	LogWriter io.Writer
	// History is the trail the CloudTrail API reads (app.WithHistory); nil reads the store's.
	History audit.History
}

// Start starts a server that stops when the test ends.
func Start(t testing.TB, o Options) *Server {
	t.Helper()
	if o.DataDir == "" {
		o.DataDir = t.TempDir()
	}
	cfg := &config.Config{Listen: "127.0.0.1:0", DataDir: o.DataDir, DatabaseURL: o.DatabaseURL, AccountID: AccountID,
		Dev: o.Dev, RootAccessKeyID: RootKeyID, RootSecretAccessKey: RootSecret, MasterKey: o.MasterKey,
		RegionTransitionDelay: o.TransitionDelay, MaxBodyBytes: config.DefaultMaxBodyBytes,
		ShutdownTimeout: 5 * time.Second, LogLevel: "info", LogFormat: "text", SMTPURL: o.SMTPURL,
		// Outbound web identity federation is on: issuer URLs name this base, whose documents tests
		// that need them fetch from the real binary's public listener instead.
		PublicURL: "https://oidc.iamd.test"}
	var w io.Writer = io.Discard
	switch {
	case o.LogWriter != nil:
		w = o.LogWriter
	case o.Verbose:
		w = testWriter{t}
	}
	log := slog.New(slog.NewTextHandler(w, nil))
	ctx, cancel := context.WithCancel(context.Background())
	var opts []app.Option
	if o.History != nil {
		opts = append(opts, app.WithHistory(o.History))
	}
	a, err := app.New(ctx, cfg, log, opts...)
	if err != nil {
		cancel()
		t.Fatalf("starting iamd: %v", err)
	}
	a.Start(ctx)
	hs := httptest.NewServer(a.Server)
	t.Cleanup(func() {
		hs.Close()
		cancel()
		_ = a.Close()
	})
	return &Server{URL: hs.URL, App: a}
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) { w.t.Log(string(p)); return len(p), nil }

// Creds are static credentials for the SDK.
func Creds(id, secret, token string) aws.CredentialsProvider {
	return credentials.NewStaticCredentialsProvider(id, secret, token)
}

// RootCreds are the root credentials of the test account.
func RootCreds() aws.CredentialsProvider { return Creds(RootKeyID, RootSecret, "") }

func (s *Server) config(creds aws.CredentialsProvider, region string) aws.Config {
	return aws.Config{Region: region, Credentials: creds, RetryMaxAttempts: 1, HTTPClient: sdkHTTPClient}
}

// sdkHTTPClient is the HTTP client of every SDK client made here. Its transport hides the WriteTo method
// of request bodies: with such a body net/http reads the body once more after sending it (to check its
// length) while aws-sdk-go-v2 may already have closed it on seeing the answer, and the transport then
// drops the connection under the response being read ("use of closed network connection", a client-side
// race in aws-sdk-go-v2's transport). A loopback server answers fast enough to lose that race on about one
// request in ten; the SDK's retries hide it, but these clients make exactly one attempt.
var sdkHTTPClient = &http.Client{Transport: readOnlyBodies{http.DefaultTransport.(*http.Transport).Clone()}}

type readOnlyBodies struct{ http.RoundTripper }

func (t readOnlyBodies) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil && r.Body != http.NoBody {
		r = r.WithContext(r.Context()) // a shallow copy: a RoundTripper must not change the caller's request
		r.Body = struct{ io.ReadCloser }{r.Body}
	}
	return t.RoundTripper.RoundTrip(r)
}

// IAM returns an IAM client.
func (s *Server) IAM(creds aws.CredentialsProvider) *iam.Client {
	return iam.NewFromConfig(s.config(creds, "us-east-1"), func(o *iam.Options) { o.BaseEndpoint = aws.String(s.URL) })
}

// STS returns a client of the STS regional endpoint of region.
func (s *Server) STS(creds aws.CredentialsProvider, region string) *sts.Client {
	return sts.NewFromConfig(s.config(creds, region), func(o *sts.Options) { o.BaseEndpoint = aws.String(s.URL) })
}

// GlobalSTS returns a client of the STS global endpoint (the /global path, signed as us-east-1).
func (s *Server) GlobalSTS(creds aws.CredentialsProvider) *sts.Client {
	return sts.NewFromConfig(s.config(creds, "us-east-1"), func(o *sts.Options) { o.BaseEndpoint = aws.String(s.URL + "/global") })
}

// Account returns an Account API client.
func (s *Server) Account(creds aws.CredentialsProvider) *account.Client {
	return account.NewFromConfig(s.config(creds, "us-east-1"), func(o *account.Options) { o.BaseEndpoint = aws.String(s.URL) })
}

// SyncBuffer collects output a test reads while something still writes it (a process's output, a
// server's log through Options.LogWriter).
type SyncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *SyncBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *SyncBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// CloudTrail returns a client of the CloudTrail API in region.
func (s *Server) CloudTrail(creds aws.CredentialsProvider, region string) *cloudtrail.Client {
	return cloudtrail.NewFromConfig(s.config(creds, region), func(o *cloudtrail.Options) { o.BaseEndpoint = aws.String(s.URL) })
}
