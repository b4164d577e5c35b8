package e2etest

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/iamd/iamd/internal/storage/pgtest"
)

// Bounds of the process tests, generous for a loaded two-core machine.
const (
	binaryBuildTimeout = 5 * time.Minute
	processStartWait   = 60 * time.Second
	processExitWait    = 30 * time.Second
)

// Crash test load: writers creating users at once, and how many acknowledged writes to wait for before the
// kill (enough that the kill lands mid-stream, with commits in flight).
const (
	crashWriters        = 6
	crashAcksBeforeKill = 300
	crashMaxUsers       = 2000 // per writer; a bound on the loop should the kill never come
)

var (
	buildOnce sync.Once
	builtBin  string
	buildErr  error
)

// iamdBinary builds cmd/iamd once per test process and returns its path.
func iamdBinary(t testing.TB) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs the iamd binary; skipped in -short mode")
	}
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "iamd-e2e-bin-")
		if err != nil {
			buildErr = err
			return
		}
		builtBin = filepath.Join(dir, "iamd")
		ctx, cancel := context.WithTimeout(context.Background(), binaryBuildTimeout)
		defer cancel()
		cmd := exec.CommandContext(ctx, "go", "build", "-o", builtBin, "github.com/iamd/iamd/cmd/iamd")
		// Build inside the module even when the test binary runs elsewhere (go test -c, then run it).
		if _, file, _, ok := runtime.Caller(0); ok {
			cmd.Dir = filepath.Dir(file)
		}
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build ./cmd/iamd: %w\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return builtBin
}

// removeBuiltBinary deletes the binary iamdBinary built (from TestMain).
func removeBuiltBinary() {
	if builtBin != "" {
		os.RemoveAll(filepath.Dir(builtBin))
	}
}

// proc is a running iamd process.
type proc struct {
	t      testing.TB
	cmd    *exec.Cmd
	URL    string
	stdout *SyncBuffer
	stderr *SyncBuffer
	exited chan struct{}
	err    error // Wait's result, valid once exited is closed
}

// startIamd runs `iamd serve` on a free loopback port with the test's root credentials, the given extra
// arguments and environment (KEY=VALUE), and waits until it listens.
func startIamd(t testing.TB, env []string, args ...string) *proc {
	t.Helper()
	bin := iamdBinary(t)
	args = append([]string{"serve", "--listen", "127.0.0.1:0", "--log-format", "json"}, args...)
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "IAMD_ROOT_ACCESS_KEY_ID="+RootKeyID, "IAMD_ROOT_SECRET_ACCESS_KEY="+RootSecret)
	cmd.Env = append(cmd.Env, env...)
	p := &proc{t: t, cmd: cmd, stdout: &SyncBuffer{}, exited: make(chan struct{})}
	cmd.Stdout = p.stdout
	pr, pw := io.Pipe()
	p.stderr = &SyncBuffer{}
	cmd.Stderr = pw
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	addr := make(chan string, 1)
	go func() {
		// Read the log: the "iamd listening" line gives the port; everything is kept for failure reports.
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			p.stderr.Write([]byte(line + "\n"))
			var rec struct {
				Msg  string `json:"msg"`
				Addr string `json:"addr"`
			}
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
		p.err = cmd.Wait()
		pw.Close()
		close(p.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-p.exited:
		default:
			_ = cmd.Process.Kill()
			<-p.exited
		}
		if t.Failed() {
			t.Logf("iamd %v log:\n%s", args, p.stderr.String())
		}
	})
	select {
	case a := <-addr:
		p.URL = "http://" + a
	case <-p.exited:
		t.Fatalf("iamd exited before listening: %v\n%s", p.err, p.stderr.String())
	case <-time.After(processStartWait):
		t.Fatalf("iamd did not listen within %v\n%s", processStartWait, p.stderr.String())
	}
	return p
}

// server returns an SDK-client factory for the process.
func (p *proc) server() *Server { return &Server{URL: p.URL} }

// kill sends SIGKILL and waits for the process to be gone.
func (p *proc) kill() {
	p.t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		p.t.Fatalf("SIGKILL: %v", err)
	}
	p.wait()
}

// wait waits for the process to exit and returns its exit status.
func (p *proc) wait() error {
	p.t.Helper()
	select {
	case <-p.exited:
		return p.err
	case <-time.After(processExitWait):
		p.t.Fatalf("iamd did not exit within %v\n%s", processExitWait, p.stderr.String())
		return nil
	}
}

// listAllUsers walks ListUsers page by page (small pages, so the walk crosses many markers).
func listAllUsers(ctx context.Context, c *iam.Client) ([]string, error) {
	var names []string
	p := iam.NewListUsersPaginator(c, &iam.ListUsersInput{MaxItems: aws.Int32(37)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, u := range page.Users {
			names = append(names, aws.ToString(u.UserName))
		}
	}
	return names, nil
}

// checkUsersAfterCrash checks that every acknowledged user is present, that no user exists that was never
// attempted, that at most one unacknowledged write per writer survived, and that the account summary's
// count agrees with a full listing.
func checkUsersAfterCrash(t *testing.T, s *Server, acked map[string]bool, attempted map[string]bool) {
	t.Helper()
	ctx := context.Background()
	c := s.IAM(RootCreds())
	names, err := listAllUsers(ctx, c)
	if err != nil {
		t.Fatalf("ListUsers walk after restart: %v", err)
	}
	listed := map[string]bool{}
	extra := 0
	for _, n := range names {
		if listed[n] {
			t.Errorf("ListUsers returned %s twice", n)
		}
		listed[n] = true
		switch {
		case acked[n]:
		case attempted[n]:
			extra++ // committed, but the answer was lost in the kill: allowed
		default:
			t.Errorf("user %s exists but was never created", n)
		}
	}
	missing := 0
	for n := range acked {
		if !listed[n] {
			missing++
			if missing <= 10 {
				t.Errorf("acknowledged user %s is missing after the crash", n)
			}
		}
	}
	if missing > 0 {
		t.Fatalf("%d of %d acknowledged users lost", missing, len(acked))
	}
	if extra > crashWriters {
		t.Errorf("%d unacknowledged users survived, more than the %d writes that can have been in flight", extra, crashWriters)
	}
	sum, err := c.GetAccountSummary(ctx, &iam.GetAccountSummaryInput{})
	if err != nil {
		t.Fatal(err)
	}
	if got := sum.SummaryMap["Users"]; int(got) != len(names) {
		t.Fatalf("GetAccountSummary Users = %d, ListUsers walk = %d", got, len(names))
	}
	// Each acknowledged user is also readable by name (not only listed).
	i := 0
	for n := range acked {
		if i++; i > 20 {
			break
		}
		if _, err := c.GetUser(ctx, &iam.GetUserInput{UserName: aws.String(n)}); err != nil {
			t.Fatalf("GetUser %s after restart: %v", n, err)
		}
	}
	t.Logf("after restart: %d acknowledged users all present, %d unacknowledged survived, summary agrees", len(acked), extra)
}

// crashUnderLoad starts iamd, creates users from several goroutines, SIGKILLs the process once enough
// writes are acknowledged (writers still running), restarts it with the same arguments and checks the data.
func crashUnderLoad(t *testing.T, env []string, args ...string) {
	p := startIamd(t, env, args...)
	ctx := context.Background()
	c := p.server().IAM(RootCreds())

	var (
		mu        sync.Mutex
		acked     = map[string]bool{}
		attempted = map[string]bool{}
		keys      = map[string]aws.CredentialsProvider{}
		nAcked    atomic.Int64
		nKeys     atomic.Int64 // acknowledged access keys: the kill waits for at least one
		stop      atomic.Bool
		killing   atomic.Bool
		wg        sync.WaitGroup
		enough    = make(chan struct{})
		once      sync.Once
	)
	for w := range crashWriters {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range crashMaxUsers {
				if stop.Load() {
					return
				}
				name := fmt.Sprintf("crash-w%d-%04d", w, i)
				mu.Lock()
				attempted[name] = true
				mu.Unlock()
				_, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name)})
				if err != nil {
					// Not acknowledged: this write may or may not have been committed. Before the kill that
					// is a failure of the server; after it, the end of this writer.
					if !killing.Load() {
						t.Errorf("CreateUser %s before the kill: %v", name, err)
					}
					return
				}
				mu.Lock()
				acked[name] = true
				mu.Unlock()
				if w == 0 {
					// One writer also makes an access key for each of its users: sealed secrets must survive too.
					out, err := c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(name)})
					if err != nil {
						if !killing.Load() {
							t.Errorf("CreateAccessKey %s before the kill: %v", name, err)
						}
						return
					}
					mu.Lock()
					keys[name] = Creds(aws.ToString(out.AccessKey.AccessKeyId), aws.ToString(out.AccessKey.SecretAccessKey), "")
					mu.Unlock()
					nKeys.Add(1)
				}
				// Writers progress unevenly (PostgreSQL retries serialization failures with backoff), so the
				// kill waits for the key writer too, not only for the count of users.
				if nAcked.Add(1) >= crashAcksBeforeKill && nKeys.Load() > 0 {
					once.Do(func() { close(enough) })
				}
			}
		}()
	}
	select {
	case <-enough:
	case <-time.After(2 * time.Minute):
		t.Fatalf("only %d users acknowledged", nAcked.Load())
	}
	killing.Store(true)
	p.kill()
	stop.Store(true)
	wg.Wait()
	if err := p.err; err == nil || !strings.Contains(err.Error(), "killed") {
		t.Fatalf("iamd exit after SIGKILL: %v", err)
	}
	t.Logf("killed iamd with %d users acknowledged (%d attempted) by %d writers on %d CPUs", len(acked), len(attempted),
		crashWriters, runtime.NumCPU())

	q := startIamd(t, env, args...)
	checkUsersAfterCrash(t, q.server(), acked, attempted)
	if len(keys) == 0 {
		t.Fatal("no access key was acknowledged before the kill")
	}
	for name, creds := range keys {
		if arn, err := callerARN(q.server(), creds); err != nil || arn != "arn:aws:iam::"+AccountID+":user/"+name {
			t.Fatalf("after restart, the acknowledged key of %s: %q, %v", name, arn, err)
		}
	}
	t.Logf("after restart: all %d acknowledged access keys authenticate", len(keys))

	// The restarted server takes writes again, and the summary follows them.
	c2 := q.server().IAM(RootCreds())
	if _, err := c2.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("after-crash")}); err != nil {
		t.Fatal(err)
	}
	var ae interface{ ErrorCode() string }
	for n := range acked {
		_, err := c2.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(n)})
		if !errors.As(err, &ae) || ae.ErrorCode() != "EntityAlreadyExists" {
			t.Fatalf("CreateUser of surviving %s: %v, want EntityAlreadyExists", n, err)
		}
		break
	}
}

// An acknowledged write survives kill -9 of the server: SQLite in the data directory.
func TestCrashSQLite(t *testing.T) {
	dir := t.TempDir()
	crashUnderLoad(t, nil, "--data-dir", dir)
}

// The same through PostgreSQL (the database itself keeps running; the node dies mid-stream).
func TestCrashPostgres(t *testing.T) {
	if !pgtest.Available() {
		t.Skip("PostgreSQL not installed")
	}
	dbURL := pgtest.URL(t)
	env := []string{"IAMD_MASTER_KEY=" + newMasterKey(t)}
	crashUnderLoad(t, env, "--data-dir", t.TempDir(), "--database-url", dbURL)
}
