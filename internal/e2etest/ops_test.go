package e2etest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/iamd/iamd/internal/app"
	"github.com/iamd/iamd/internal/config"
)

// syncBuffer is a log sink safe for concurrent writers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// newOpsApp assembles a server whose JSON log goes to the returned buffer.
func newOpsApp(t *testing.T, listen string) (*app.App, *syncBuffer, context.CancelFunc) {
	t.Helper()
	logs := &syncBuffer{}
	cfg := &config.Config{Listen: listen, DataDir: t.TempDir(), AccountID: AccountID, RootAccessKeyID: RootKeyID,
		RootSecretAccessKey: RootSecret, MaxBodyBytes: config.DefaultMaxBodyBytes, ShutdownTimeout: 10 * time.Second,
		LogLevel: "debug", LogFormat: "json"}
	log := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	ctx, cancel := context.WithCancel(context.Background())
	a, err := app.New(ctx, cfg, log)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	a.Start(ctx)
	return a, logs, cancel
}

func get(t *testing.T, u string) (int, string) {
	t.Helper()
	resp, err := wireClient.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestOpsHealthAndMetrics(t *testing.T) {
	s := Start(t, Options{})
	if st, body := get(t, s.URL+"/healthz"); st != 200 || body != "ok\n" {
		t.Fatalf("/healthz: %d %q", st, body)
	}
	if st, body := get(t, s.URL+"/readyz"); st != 200 || body != "ready\n" {
		t.Fatalf("/readyz: %d %q", st, body)
	}
	// Three good calls, one refused, one unknown action.
	for i := 0; i < 3; i++ {
		doWire(t, rootSigner().sign(t, s.request(t, stsCall, ""), stsCall.body, "sts", "us-east-1", time.Now().UTC()), false).ok(t, stsCall)
	}
	doWire(t, s.request(t, accountCall, ""), true)
	bad := stsCall
	bad.body = "Action=Nope&Version=2011-06-15"
	doWire(t, rootSigner().sign(t, s.request(t, bad, ""), bad.body, "sts", "us-east-1", time.Now().UTC()), false)

	st, m := get(t, s.URL+"/metrics")
	if st != 200 {
		t.Fatalf("/metrics: %d", st)
	}
	for _, want := range []string{
		`iamd_requests_total{operation="GetCallerIdentity",service="sts",status="200"} 3`,
		`iamd_requests_total{operation="ListRegions",service="account",status="403"} 1`,
		`iamd_requests_total{operation="unknown",service="sts",status="400"} 1`,
		`iamd_request_duration_seconds_count{operation="GetCallerIdentity",service="sts"} 3`,
		`iamd_request_duration_seconds_bucket{operation="GetCallerIdentity",service="sts",le="+Inf"} 3`,
		`iamd_requests_in_flight 0`,
		`go_goroutines `,
		`iamd_store_retries_total `,
		`iamd_store_group_fallbacks_total 0`,
		`iamd_store_view_reruns_total 0`,
	} {
		if !strings.Contains(m, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if t.Failed() {
		t.Logf("%s", grepLines(m, "iamd_"))
	}
	// Health endpoints are not API requests and do not count as such.
	if strings.Contains(m, `operation="healthz"`) {
		t.Error("health checks counted as API requests")
	}
}

// logLines decodes every line of a JSON log.
func logLines[T any](t *testing.T, logs string) []T {
	t.Helper()
	var out []T
	sc := bufio.NewScanner(strings.NewReader(logs))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var e T
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("log line is not JSON: %q", sc.Text())
		}
		out = append(out, e)
	}
	return out
}

func grepLines(s, substr string) string {
	var b strings.Builder
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, substr) {
			b.WriteString(l + "\n")
		}
	}
	return b.String()
}

// Every API request is logged once, as structured data carrying the request ID the client saw; no secret
// ever reaches the log.
func TestOpsRequestLogs(t *testing.T) {
	a, logs, cancel := newOpsApp(t, "127.0.0.1:0")
	hs := httptest.NewServer(a.Server)
	t.Cleanup(func() { hs.Close(); cancel(); _ = a.Close() })
	s := &Server{URL: hs.URL, App: a}

	okResp := doWire(t, rootSigner().sign(t, s.request(t, stsCall, ""), stsCall.body, "sts", "us-east-1", time.Now().UTC()), false)
	okResp.ok(t, stsCall)
	wrong := doWire(t, reqSigner{id: RootKeyID, secret: "x" + RootSecret[1:]}.
		sign(t, s.request(t, accountCall, ""), accountCall.body, "account", "us-east-1", time.Now().UTC()), true)
	session := sealSession(t, s, time.Now().Add(-time.Minute), time.Now().Add(time.Hour))
	doWire(t, reqSigner{id: session.id, secret: session.secret, token: session.token}.
		sign(t, s.request(t, stsCall, ""), stsCall.body, "sts", "us-east-1", time.Now().UTC()), false).ok(t, stsCall)

	type entry struct {
		Msg       string `json:"msg"`
		Level     string `json:"level"`
		RequestID string `json:"request_id"`
		Service   string `json:"service"`
		Operation string `json:"operation"`
		Status    int    `json:"status"`
		Error     string `json:"error"`
		Caller    string `json:"caller"`
		Duration  any    `json:"duration"`
	}
	byID := map[string]entry{}
	for _, e := range logLines[entry](t, logs.String()) {
		if e.Msg == "request" {
			if _, dup := byID[e.RequestID]; dup {
				t.Errorf("request %s logged twice", e.RequestID)
			}
			byID[e.RequestID] = e
		}
	}
	got, found := byID[okResp.header.Get("X-Amzn-Requestid")]
	if !found || got.Service != "sts" || got.Operation != "GetCallerIdentity" || got.Status != 200 ||
		got.Caller != "arn:aws:iam::"+AccountID+":root" || got.Duration == nil || got.Level != "INFO" {
		t.Errorf("log of the good request: %+v (found %v)", got, found)
	}
	got, found = byID[wrong.requestID]
	if !found || got.Service != "account" || got.Status != 403 || got.Error != "SignatureDoesNotMatch" {
		t.Errorf("log of the refused request: %+v (found %v)", got, found)
	}
	if len(byID) != 3 {
		t.Errorf("%d requests logged, want 3", len(byID))
	}
	all := logs.String()
	for _, secret := range []string{RootSecret, session.secret, session.token} {
		if strings.Contains(all, secret) {
			t.Fatalf("a secret reached the log")
		}
	}
	if regexp.MustCompile(`Signature=[0-9a-f]{64}`).MatchString(all) {
		t.Fatal("a signature reached the log")
	}
}

// SIGTERM (here: the context ending) lets in-flight requests finish, refuses new connections, and returns.
func TestOpsGracefulShutdown(t *testing.T) {
	a, _, cancelApp := newOpsApp(t, "127.0.0.1:0")
	closed := false
	defer func() {
		cancelApp()
		if !closed {
			_ = a.Close()
		}
	}()
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	addrc := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- a.ListenAndServe(ctx, func(addr string) { addrc <- addr }) }()
	addr := <-addrc
	base := "http://" + addr

	finish := startSlowRequest(t, base)
	stop()
	// New connections are refused once the listener is closed.
	for i := 0; ; i++ {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			break
		}
		c.Close()
		if i > 500 {
			t.Fatal("the listener stayed open after shutdown began")
		}
		time.Sleep(10 * time.Millisecond)
	}
	select {
	case err := <-done:
		t.Fatalf("ListenAndServe returned (%v) while a request was in flight", err)
	default:
	}
	if res := finish(); res != "" {
		t.Fatal(res)
	}
	if err := <-done; err != nil && !errors.Is(err, http.ErrServerClosed) {
		t.Fatalf("ListenAndServe: %v", err)
	}
	// The store closes cleanly afterwards.
	closed = true
	if err := a.Close(); err != nil {
		t.Fatalf("closing the store: %v", err)
	}
}

// startSlowRequest sends a signed GetCallerIdentity to base whose body arrives in two halves, and returns
// once the server counts it as in flight (the handler is running, reading the body). finish sends the rest
// and returns "" when the answer is the root's identity, else what went wrong.
func startSlowRequest(t *testing.T, base string) (finish func() string) {
	t.Helper()
	pr, pw := io.Pipe()
	r, err := http.NewRequest(http.MethodPost, base+"/", pr)
	if err != nil {
		t.Fatal(err)
	}
	r.Header.Set("Content-Type", wireFormContentType)
	r.ContentLength = int64(len(stsCall.body))
	rootSigner().sign(t, r, stsCall.body, "sts", "us-east-1", time.Now().UTC())
	r.Body = pr
	type result struct {
		status int
		body   string
		err    error
	}
	resc := make(chan result, 1)
	go func() {
		resp, err := (&http.Client{Timeout: wireHTTPTimeout}).Do(r)
		if err != nil {
			resc <- result{err: err}
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		resc <- result{status: resp.StatusCode, body: string(b)}
	}()
	half := len(stsCall.body) / 2
	if _, err := pw.Write([]byte(stsCall.body[:half])); err != nil {
		t.Fatal(err)
	}
	for i := 0; ; i++ {
		_, m := get(t, base+"/metrics")
		if strings.Contains(m, "iamd_requests_in_flight 1") {
			break
		}
		if i > 500 {
			t.Fatal("the request never became in flight")
		}
		time.Sleep(10 * time.Millisecond)
	}
	return func() string {
		if _, err := pw.Write([]byte(stsCall.body[half:])); err != nil {
			return "writing the rest of the body: " + err.Error()
		}
		pw.Close()
		res := <-resc
		if res.err != nil || res.status != 200 || !strings.Contains(res.body, "<Arn>arn:aws:iam::"+AccountID+":root</Arn>") {
			return fmt.Sprintf("in-flight request: %v %d %s", res.err, res.status, res.body)
		}
		return ""
	}
}

// The binary itself: SIGTERM lets the in-flight request finish, then the process exits 0 with its store
// closed (it opens again with the data intact).
func TestOpsSIGTERM(t *testing.T) {
	dir := t.TempDir()
	p := startIamd(t, nil, "--data-dir", dir)
	if _, err := p.server().IAM(RootCreds()).CreateUser(context.Background(), &iam.CreateUserInput{UserName: aws.String("survivor")}); err != nil {
		t.Fatal(err)
	}
	finish := startSlowRequest(t, p.URL)
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	// Shutdown has begun once the listener refuses connections.
	addr := strings.TrimPrefix(p.URL, "http://")
	for i := 0; ; i++ {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			break
		}
		c.Close()
		if i > 1000 {
			t.Fatal("the listener stayed open after SIGTERM")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if res := finish(); res != "" {
		t.Fatal(res)
	}
	if err := p.wait(); err != nil {
		t.Fatalf("iamd exited with %v after SIGTERM", err)
	}
	if !strings.Contains(p.stderr.String(), "shutting down") {
		t.Errorf("no shutdown line in the log")
	}
	p2 := startIamd(t, nil, "--data-dir", dir)
	if _, err := p2.server().IAM(RootCreds()).GetUser(context.Background(), &iam.GetUserInput{UserName: aws.String("survivor")}); err != nil {
		t.Fatalf("after a clean shutdown: %v", err)
	}
	_ = p2.cmd.Process.Signal(syscall.SIGTERM)
	if err := p2.wait(); err != nil {
		t.Fatalf("second run exited with %v", err)
	}
}
