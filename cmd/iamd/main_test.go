package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/iamd/iamd/internal/bootstrap"
)

// envRunMain makes the test binary act as iamd: the process tests run it again with this set, so they
// exercise the real main (flags, environment, signals, exit codes) without a separate go build.
const envRunMain = "IAMD_TEST_RUN_MAIN"

// Bounds for the process tests, generous for a loaded two-core machine.
const (
	startWait = 60 * time.Second
	exitWait  = 30 * time.Second
)

const (
	testRootKeyID  = "AKIAIAMDCMDTESTROOT1"
	testRootSecret = "iamdCmdTestRootSecretAccessKey0000000001"
)

func TestMain(m *testing.M) {
	if os.Getenv(envRunMain) == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// iamdCmd returns a command running this test binary as iamd with args, in an environment cleared of
// IAMD_* and AWS_* settings (so the developer's own do not leak in) plus env.
func iamdCmd(ctx context.Context, env []string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, os.Args[0], args...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "IAMD_") && !strings.HasPrefix(kv, "AWS_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, envRunMain+"=1")
	cmd.Env = append(cmd.Env, env...)
	return cmd
}

// runIamd runs an iamd command to completion and returns its stdout, stderr and error.
func runIamd(t *testing.T, env []string, args ...string) (string, string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), startWait)
	defer cancel()
	cmd := iamdCmd(ctx, env, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("iamd %v did not finish within %v\n%s", args, startWait, stderr.String())
	}
	return stdout.String(), stderr.String(), err
}

// server is a running `iamd serve`.
type server struct {
	t      *testing.T
	cmd    *exec.Cmd
	url    string
	stdout *syncBuffer
	stderr *syncBuffer
	exited chan struct{}
	err    error
}

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

// startServe runs `iamd serve` with env (the listen address and log format come from the environment
// unless env sets them) and waits until it logs that it listens.
func startServe(t *testing.T, env []string, args ...string) *server {
	t.Helper()
	env = append([]string{"IAMD_LISTEN=127.0.0.1:0", "IAMD_LOG_FORMAT=json"}, env...)
	cmd := iamdCmd(context.Background(), env, append([]string{"serve"}, args...)...)
	s := &server{t: t, cmd: cmd, stdout: &syncBuffer{}, stderr: &syncBuffer{}, exited: make(chan struct{})}
	cmd.Stdout = s.stdout
	pr, pw := io.Pipe()
	cmd.Stderr = pw
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			s.stderr.Write([]byte(line + "\n"))
			var rec struct{ Msg, Addr string }
			if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == "iamd listening" {
				select {
				case addr <- rec.Addr:
				default:
				}
			}
		}
		_, _ = io.Copy(io.Discard, pr)
	}()
	go func() {
		s.err = cmd.Wait()
		pw.Close()
		close(s.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-s.exited:
		default:
			_ = cmd.Process.Kill()
			<-s.exited
		}
		if t.Failed() {
			t.Logf("iamd serve log:\n%s", s.stderr.String())
		}
	})
	select {
	case a := <-addr:
		s.url = "http://" + a
	case <-s.exited:
		t.Fatalf("iamd serve exited before listening: %v\n%s", s.err, s.stderr.String())
	case <-time.After(startWait):
		t.Fatalf("iamd serve did not listen within %v\n%s", startWait, s.stderr.String())
	}
	return s
}

// stop sends SIGTERM and returns the exit error (nil for status 0).
func (s *server) stop() error {
	s.t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		s.t.Fatal(err)
	}
	return s.wait()
}

func (s *server) wait() error {
	s.t.Helper()
	select {
	case <-s.exited:
		return s.err
	case <-time.After(exitWait):
		s.t.Fatalf("iamd did not exit within %v\n%s", exitWait, s.stderr.String())
		return nil
	}
}

func awsConfig(id, secret string) aws.Config {
	return aws.Config{Region: "us-east-1", RetryMaxAttempts: 1, HTTPClient: sdkHTTPClient,
		Credentials: credentials.NewStaticCredentialsProvider(id, secret, "")}
}

// sdkHTTPClient hides WriteTo on request bodies: with it net/http re-reads a body aws-sdk-go-v2 may have
// closed already and drops the connection under the response (a known aws-sdk-go-v2 transport race), a client-side
// race a loopback server loses often and that these single-attempt clients would report as failures.
var sdkHTTPClient = &http.Client{Transport: readOnlyBodies{http.DefaultTransport.(*http.Transport).Clone()}}

type readOnlyBodies struct{ http.RoundTripper }

func (t readOnlyBodies) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil && r.Body != http.NoBody {
		r = r.WithContext(r.Context())
		r.Body = struct{ io.ReadCloser }{r.Body}
	}
	return t.RoundTripper.RoundTrip(r)
}

func (s *server) iam(id, secret string) *iam.Client {
	return iam.NewFromConfig(awsConfig(id, secret), func(o *iam.Options) { o.BaseEndpoint = aws.String(s.url) })
}

func (s *server) identity(id, secret string) (*sts.GetCallerIdentityOutput, error) {
	c := sts.NewFromConfig(awsConfig(id, secret), func(o *sts.Options) { o.BaseEndpoint = aws.String(s.url) })
	return c.GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
}

func TestVersion(t *testing.T) {
	var out, errOut bytes.Buffer
	if err := run([]string{"version"}, &out, &errOut); err != nil {
		t.Fatal(err)
	}
	if out.String() != "iamd "+version+"\n" {
		t.Fatalf("iamd version printed %q", out.String())
	}
	// Through the real main as well, with the exit status.
	stdout, _, err := runIamd(t, nil, "version")
	if err != nil || stdout != "iamd "+version+"\n" {
		t.Fatalf("iamd version: %q, %v", stdout, err)
	}
}

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{nil, {"frobnicate"}, {"accounts"}, {"accounts", "delete"}, {"backup"}, {"sts"},
		{"sts", "activate"}, {"serve", "--no-such-flag"}, {"serve", "--account-id", "12"}} {
		_, stderr, err := runIamd(t, nil, args...)
		ee, ok := err.(*exec.ExitError)
		if !ok || ee.ExitCode() == 0 {
			t.Errorf("iamd %v: %v, want a non-zero exit", args, err)
			continue
		}
		if strings.TrimSpace(stderr) == "" {
			t.Errorf("iamd %v exited %d without saying why", args, ee.ExitCode())
		}
	}
}

var credLine = regexp.MustCompile(`AWS_ACCESS_KEY_ID=(\S+)\s+AWS_SECRET_ACCESS_KEY=(\S+)`)

func TestAccountsCreateAndList(t *testing.T) {
	dir := t.TempDir()
	stdout, stderr, err := runIamd(t, nil, "accounts", "create", "--account-id", "111122223333", "--data-dir", dir)
	if err != nil {
		t.Fatalf("accounts create: %v\n%s", err, stderr)
	}
	m := credLine.FindStringSubmatch(stdout)
	if !strings.Contains(stdout, "created account 111122223333") || m == nil {
		t.Fatalf("accounts create printed %q", stdout)
	}
	keyID, secret := m[1], m[2]
	// Again: the account exists; no new key is made or printed.
	stdout, _, err = runIamd(t, nil, "accounts", "create", "--account-id", "111122223333", "--data-dir", dir)
	if err != nil || !strings.Contains(stdout, "already exists") || strings.Contains(stdout, "AWS_SECRET_ACCESS_KEY") {
		t.Fatalf("second accounts create: %q, %v", stdout, err)
	}
	if _, _, err := runIamd(t, nil, "accounts", "create", "--account-id", "12345", "--data-dir", dir); err == nil {
		t.Fatal("accounts create accepted a 5-digit account ID")
	}
	if _, _, err := runIamd(t, nil, "accounts", "create", "--account-id", "222233334444", "--data-dir", dir); err != nil {
		t.Fatal(err)
	}
	stdout, stderr, err = runIamd(t, nil, "accounts", "list", "--data-dir", dir)
	if err != nil {
		t.Fatalf("accounts list: %v\n%s", err, stderr)
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "111122223333\t") || !strings.HasPrefix(lines[1], "222233334444\t") ||
		!strings.Contains(lines[0], "token-version=v1") {
		t.Fatalf("accounts list:\n%s", stdout)
	}

	// A server on that data directory serves the created account with the printed key.
	s := startServe(t, []string{"IAMD_DATA_DIR=" + dir, "IAMD_ACCOUNT_ID=111122223333"})
	id, err := s.identity(keyID, secret)
	if err != nil || aws.ToString(id.Arn) != "arn:aws:iam::111122223333:root" {
		t.Fatalf("GetCallerIdentity with the created key: %+v, %v", id, err)
	}
	if err := s.stop(); err != nil {
		t.Fatalf("exit after SIGTERM: %v", err)
	}
}

// Configuration from IAMD_* variables; generated root credentials are printed once, kept in a 0600 file,
// and neither regenerated nor printed again on restart.
func TestServeEnvConfigAndGeneratedRoot(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	env := []string{"IAMD_DATA_DIR=" + dir, "IAMD_ACCOUNT_ID=444455556666", "IAMD_LOG_LEVEL=debug"}
	s := startServe(t, env)
	// stdout and stderr are copied by separate goroutines: the "listening" log line can arrive before the
	// credentials printed earlier on stdout, so wait for them.
	var m []string
	for deadline := time.Now().Add(5 * time.Second); m == nil && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		m = credLine.FindStringSubmatch(s.stdout.String())
	}
	if m == nil {
		t.Fatalf("no generated root credentials printed; stdout:\n%s", s.stdout.String())
	}
	keyID, secret := m[1], m[2]
	if !strings.HasPrefix(keyID, "AKIA") {
		t.Fatalf("generated access key ID %q", keyID)
	}
	if strings.Contains(s.stderr.String(), secret) {
		t.Fatal("the generated secret was written to the log")
	}
	path := filepath.Join(dir, bootstrap.RootCredentialsFile)
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("%s has mode %v, want 0600", path, st.Mode().Perm())
	}
	file, _ := os.ReadFile(path)
	if !strings.Contains(string(file), "aws_access_key_id = "+keyID) || !strings.Contains(string(file), "aws_secret_access_key = "+secret) {
		t.Fatalf("%s:\n%s", path, file)
	}
	if st, err := os.Stat(dir); err != nil || st.Mode().Perm() != 0o700 {
		t.Fatalf("data directory: %v, mode %v; want 0700", err, st.Mode().Perm())
	}
	id, err := s.identity(keyID, secret)
	if err != nil || aws.ToString(id.Account) != "444455556666" {
		t.Fatalf("GetCallerIdentity with the generated key: %+v, %v", id, err)
	}
	// Debug logging came from the environment too.
	if !strings.Contains(s.stderr.String(), `"level":"DEBUG"`) && !strings.Contains(s.stderr.String(), `"level":"INFO"`) {
		t.Fatalf("the log is not JSON:\n%s", s.stderr.String())
	}
	if err := s.stop(); err != nil {
		t.Fatalf("exit after SIGTERM: %v", err)
	}

	s2 := startServe(t, env)
	if strings.Contains(s2.stdout.String(), "AWS_SECRET_ACCESS_KEY") || strings.Contains(s2.stdout.String(), secret) {
		t.Fatalf("root credentials printed again on restart:\n%s", s2.stdout.String())
	}
	if id, err := s2.identity(keyID, secret); err != nil || aws.ToString(id.Account) != "444455556666" {
		t.Fatalf("after restart, GetCallerIdentity with the generated key: %+v, %v", id, err)
	}
	if again, _ := os.ReadFile(path); !bytes.Equal(again, file) {
		t.Fatal("the root credentials file changed on restart")
	}
	if err := s2.stop(); err != nil {
		t.Fatalf("exit after SIGTERM: %v", err)
	}
}

// slowBody sends the first part of a request body, then blocks until released.
type slowBody struct {
	first   *strings.Reader
	rest    *strings.Reader
	sent    chan struct{}
	release chan struct{}
	once    sync.Once
}

func (b *slowBody) Read(p []byte) (int, error) {
	if b.first.Len() > 0 {
		return b.first.Read(p)
	}
	b.once.Do(func() { close(b.sent) })
	<-b.release
	return b.rest.Read(p)
}

// SIGTERM lets an in-flight request finish, then the process exits 0; new connections are refused.
func TestGracefulShutdown(t *testing.T) {
	dir := t.TempDir()
	s := startServe(t, []string{"IAMD_DATA_DIR=" + dir, "IAMD_ROOT_ACCESS_KEY_ID=" + testRootKeyID,
		"IAMD_ROOT_SECRET_ACCESS_KEY=" + testRootSecret})

	// A signed CreateUser whose body arrives in two parts, with SIGTERM in between: the handler is running
	// (reading the body) when the shutdown starts.
	form := "Action=CreateUser&Version=2010-05-08&UserName=in-flight-at-shutdown"
	body := &slowBody{first: strings.NewReader(form[:20]), rest: strings.NewReader(form[20:]),
		sent: make(chan struct{}), release: make(chan struct{})}
	req, err := http.NewRequest(http.MethodPost, s.url+"/", body)
	if err != nil {
		t.Fatal(err)
	}
	req.ContentLength = int64(len(form))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	sum := sha256Hex(form)
	req.Header.Set("X-Amz-Content-Sha256", sum)
	if err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: testRootKeyID, SecretAccessKey: testRootSecret},
		req, sum, "iam", "us-east-1", time.Now()); err != nil {
		t.Fatal(err)
	}
	type result struct {
		status int
		body   string
		err    error
	}
	done := make(chan result, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			done <- result{err: err}
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		done <- result{status: resp.StatusCode, body: string(b)}
	}()
	select {
	case <-body.sent:
	case <-time.After(startWait):
		t.Fatal("the request body was never read")
	}
	// The body's first part being sent does not mean the server has accepted the connection yet: wait
	// until its handler runs (the in-flight gauge counts it), or SIGTERM would close the listener with the
	// request still in the kernel's backlog.
	deadline := time.Now().Add(exitWait)
	for inFlight(t, s.url) < 1 {
		if time.Now().After(deadline) {
			t.Fatal("the request never reached a handler")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	// Wait until the server says it is shutting down, then let the request finish.
	deadline = time.Now().Add(exitWait)
	for !strings.Contains(s.stderr.String(), "shutting down") {
		if time.Now().After(deadline) {
			t.Fatalf("no shutdown logged after SIGTERM:\n%s", s.stderr.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	// New connections are refused while the in-flight request is still open.
	if resp, err := (&http.Client{Timeout: 5 * time.Second}).Get(s.url + "/healthz"); err == nil {
		resp.Body.Close()
		t.Fatalf("a new request after SIGTERM got %d, want a refused connection", resp.StatusCode)
	}
	close(body.release)
	var r result
	select {
	case r = <-done:
	case <-time.After(exitWait):
		t.Fatal("the in-flight request did not finish")
	}
	if r.err != nil || r.status != http.StatusOK || !strings.Contains(r.body, "<UserName>in-flight-at-shutdown</UserName>") {
		t.Fatalf("in-flight CreateUser: status %d, %v\n%s", r.status, r.err, r.body)
	}
	if err := s.wait(); err != nil {
		t.Fatalf("exit after SIGTERM: %v, want status 0\n%s", err, s.stderr.String())
	}
	// The write the in-flight request acknowledged was committed before the store closed.
	s2 := startServe(t, []string{"IAMD_DATA_DIR=" + dir, "IAMD_ROOT_ACCESS_KEY_ID=" + testRootKeyID,
		"IAMD_ROOT_SECRET_ACCESS_KEY=" + testRootSecret})
	if _, err := s2.iam(testRootKeyID, testRootSecret).GetUser(context.Background(),
		&iam.GetUserInput{UserName: aws.String("in-flight-at-shutdown")}); err != nil {
		t.Fatalf("after restart: %v", err)
	}
	if err := s2.stop(); err != nil {
		t.Fatal(err)
	}
}

// `iamd sts regions|activate|deactivate` against a running server, signed with the environment's keys.
func TestSTSCommands(t *testing.T) {
	s := startServe(t, []string{"IAMD_DATA_DIR=" + t.TempDir(), "IAMD_ROOT_ACCESS_KEY_ID=" + testRootKeyID,
		"IAMD_ROOT_SECRET_ACCESS_KEY=" + testRootSecret})
	creds := []string{"AWS_ACCESS_KEY_ID=" + testRootKeyID, "AWS_SECRET_ACCESS_KEY=" + testRootSecret}
	stsCmd := func(args ...string) (string, string, error) {
		t.Helper()
		return runIamd(t, creds, append(append([]string{"sts"}, args...), "--endpoint", s.url)...)
	}
	regionLine := func(listing, region string) string {
		for _, l := range strings.Split(listing, "\n") {
			if f := strings.Fields(l); len(f) > 0 && f[0] == region {
				return l
			}
		}
		return ""
	}
	out, stderr, err := stsCmd("regions")
	if err != nil {
		t.Fatalf("sts regions: %v\n%s", err, stderr)
	}
	if !strings.HasPrefix(out, "REGION") {
		t.Fatalf("sts regions:\n%s", out)
	}
	if f := strings.Fields(regionLine(out, "us-east-1")); len(f) < 3 || f[1] != "active" || f[2] != "false" {
		t.Fatalf("us-east-1 line: %v\n%s", f, out)
	}
	if f := strings.Fields(regionLine(out, "eu-west-1")); len(f) < 3 || f[1] != "active" || f[2] != "true" {
		t.Fatalf("eu-west-1 line: %v\n%s", f, out)
	}

	out, stderr, err = stsCmd("deactivate", "eu-west-1")
	if err != nil || strings.TrimSpace(out) != "STS in eu-west-1: inactive" {
		t.Fatalf("sts deactivate eu-west-1: %q, %v\n%s", out, err, stderr)
	}
	out, _, _ = stsCmd("regions")
	if f := strings.Fields(regionLine(out, "eu-west-1")); len(f) < 2 || f[1] != "inactive" {
		t.Fatalf("after deactivate, eu-west-1: %v", f)
	}
	// The server enforces it: STS in eu-west-1 issues no credentials for the account (GetCallerIdentity
	// keeps working there, as on AWS).
	c := stsClient(s.url, "eu-west-1")
	if _, err := c.GetSessionToken(context.Background(), &sts.GetSessionTokenInput{}); err == nil ||
		!strings.Contains(err.Error(), "RegionDisabledException") {
		t.Fatalf("GetSessionToken in deactivated eu-west-1: %v", err)
	}
	out, stderr, err = stsCmd("activate", "eu-west-1")
	if err != nil || strings.TrimSpace(out) != "STS in eu-west-1: active" {
		t.Fatalf("sts activate eu-west-1: %q, %v\n%s", out, err, stderr)
	}
	if _, err := c.GetSessionToken(context.Background(), &sts.GetSessionTokenInput{}); err != nil {
		t.Fatalf("GetSessionToken in re-activated eu-west-1: %v", err)
	}

	// us-east-1 cannot be deactivated; the command fails with the server's reason.
	_, stderr, err = stsCmd("deactivate", "us-east-1")
	if err == nil || !strings.Contains(stderr, "InvalidRegion") {
		t.Fatalf("sts deactivate us-east-1: %v\n%s", err, stderr)
	}
	// Without credentials, or with wrong ones, nothing is changed.
	if _, stderr, err := runIamd(t, nil, "sts", "regions", "--endpoint", s.url); err == nil || !strings.Contains(stderr, "AWS_ACCESS_KEY_ID") {
		t.Fatalf("sts regions without credentials: %v\n%s", err, stderr)
	}
	bad := []string{"AWS_ACCESS_KEY_ID=" + testRootKeyID, "AWS_SECRET_ACCESS_KEY=wrong" + testRootSecret[5:]}
	if _, stderr, err := runIamd(t, bad, "sts", "deactivate", "eu-west-1", "--endpoint", s.url); err == nil ||
		!strings.Contains(stderr, "SignatureDoesNotMatch") {
		t.Fatalf("sts deactivate with a wrong secret: %v\n%s", err, stderr)
	}
	// IAMD_ENDPOINT is the default endpoint.
	if out, stderr, err := runIamd(t, append(creds, "IAMD_ENDPOINT="+s.url), "sts", "regions"); err != nil || regionLine(out, "eu-west-1") == "" {
		t.Fatalf("sts regions with IAMD_ENDPOINT: %v\n%s", err, stderr)
	}
	if err := s.stop(); err != nil {
		t.Fatal(err)
	}
}

func stsClient(url, region string) *sts.Client {
	cfg := awsConfig(testRootKeyID, testRootSecret)
	cfg.Region = region
	return sts.NewFromConfig(cfg, func(o *sts.Options) { o.BaseEndpoint = aws.String(url) })
}

// `iamd backup` is for SQLite; for PostgreSQL it points to pg_dump, and it needs --out.
func TestBackupArguments(t *testing.T) {
	_, stderr, err := runIamd(t, nil, "backup", "--out", filepath.Join(t.TempDir(), "b.db"), "--database-url", "postgres://127.0.0.1:1/x")
	if err == nil || !strings.Contains(stderr, "pg_dump") {
		t.Fatalf("backup of a PostgreSQL store: %v\n%s", err, stderr)
	}
	_, stderr, err = runIamd(t, nil, "backup", "--data-dir", t.TempDir())
	if err == nil || !strings.Contains(stderr, "--out") {
		t.Fatalf("backup without --out: %v\n%s", err, stderr)
	}
	// Offline, on a stopped server's data directory, it works too; the copy is a usable store.
	dir := t.TempDir()
	if _, stderr, err := runIamd(t, nil, "accounts", "create", "--account-id", "555566667777", "--data-dir", dir); err != nil {
		t.Fatalf("accounts create: %v\n%s", err, stderr)
	}
	out := filepath.Join(t.TempDir(), "copy.db")
	if stdout, stderr, err := runIamd(t, nil, "backup", "--out", out, "--data-dir", dir); err != nil || !strings.Contains(stdout, out) {
		t.Fatalf("backup: %q, %v\n%s", stdout, err, stderr)
	}
	restored := t.TempDir()
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(restored, "iamd.db"), data, 0o600); err != nil {
		t.Fatal(err)
	}
	stdout, stderr, err := runIamd(t, nil, "accounts", "list", "--data-dir", restored)
	if err != nil || !strings.Contains(stdout, "555566667777\t") {
		t.Fatalf("accounts list on the restored copy: %q, %v\n%s", stdout, err, stderr)
	}
}

// An unreachable database stops the start-up with a message naming it.
func TestServeUnreachableDatabase(t *testing.T) {
	_, stderr, err := runIamd(t, []string{"IAMD_LOG_FORMAT=json"}, "serve", "--listen", "127.0.0.1:0",
		"--data-dir", t.TempDir(), "--database-url", "postgres://iamd@127.0.0.1:1/x?connect_timeout=5")
	ee, ok := err.(*exec.ExitError)
	if !ok || ee.ExitCode() == 0 {
		t.Fatalf("serve with an unreachable database: %v, want a non-zero exit\n%s", err, stderr)
	}
	if !strings.Contains(stderr, "127.0.0.1:1") || !strings.Contains(stderr, "cannot reach database") {
		t.Fatalf("the error does not name the database:\n%s", stderr)
	}
	if strings.Contains(stderr, "iamd listening") {
		t.Fatal("iamd said it listens without a database")
	}
	_, stderr, err = runIamd(t, nil, "serve", "--data-dir", t.TempDir(), "--database-url", "mysql://127.0.0.1/x")
	if err == nil || !strings.Contains(stderr, "postgres://") {
		t.Fatalf("serve with a mysql URL: %v\n%s", err, stderr)
	}
}

// inFlight reads the iamd_requests_in_flight gauge from /metrics.
func inFlight(t *testing.T, url string) float64 {
	t.Helper()
	resp, err := http.Get(url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "iamd_requests_in_flight "); ok {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil {
				t.Fatalf("metrics line %q: %v", l, err)
			}
			return f
		}
	}
	t.Fatalf("no iamd_requests_in_flight in /metrics:\n%s", b)
	return 0
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// `iamd audit export --out FILE` writes a new file, readable by its owner only, and refuses to write over
// one that exists.
func TestAuditExportOut(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(t.TempDir(), "trail.jsonl")
	_, stderr, err := runIamd(t, nil, "audit", "export", "--data-dir", dir, "--out", out)
	if err != nil || !strings.Contains(stderr, "exported 0 events") {
		t.Fatalf("export: %v\n%s", err, stderr)
	}
	st, err := os.Stat(out)
	if err != nil || st.Size() != 0 || st.Mode().Perm() != 0o600 {
		t.Fatalf("the export's file: %v, %v", st, err)
	}
	if _, stderr, err := runIamd(t, nil, "audit", "export", "--data-dir", dir, "--out", out); err == nil {
		t.Fatalf("an export over an existing file succeeded\n%s", stderr)
	}
}
