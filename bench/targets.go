package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// startTimeout bounds how long a target may take to answer after it is started (moto imports a lot).
const startTimeout = 90 * time.Second

// Root credentials the load tool gives the iamd it starts (and sends to moto, which checks none).
const (
	benchRootKeyID  = "AKIAIAMDBENCHROOT001"
	benchRootSecret = "iamdBenchRootSecretAccessKey000000000001"
)

// target is a server under test.
type target struct {
	name     string
	endpoint string // http://host:port
	pid      int    // process to read the resident memory of; 0 when unknown
	root     aws.Credentials
	// floor targets answer everything with a fixed response: no setup, no storage phase.
	floor      bool
	pprof      string // host:port of iamd's pprof listener (every iamd the tool starts has one)
	profileDir string // where CPU profiles go ("": none taken)
	cleanup    func()
	// accountCmd runs iamd's account command on the iamd the tool started (nil for other targets).
	accountCmd func(ctx context.Context, args ...string) *exec.Cmd
}

// profiling reports whether CPU profiles of t are taken.
func (t *target) profiling() bool { return t.pprof != "" && t.profileDir != "" }

func (t *target) addr() string { return strings.TrimPrefix(t.endpoint, "http://") }

func (t *target) close() {
	if t.cleanup != nil {
		t.cleanup()
	}
}

func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// waitHTTP polls url until it answers (any status) or the timeout passes.
func waitHTTP(ctx context.Context, url string, exited <-chan struct{}) error {
	deadline := time.Now().Add(startTimeout)
	c := &http.Client{Timeout: 2 * time.Second}
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return errors.New("the process exited during start-up")
		case <-ctx.Done():
			return ctx.Err()
		default:
		}
		if resp, err := c.Get(url); err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("%s did not answer within %s", url, startTimeout)
}

// startProcess starts cmd in its own process group, logging its output to logPath, and returns a cleanup
// that ends exactly that group.
func startProcess(cmd *exec.Cmd, logPath string) (exited chan struct{}, cleanup func(), err error) {
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, nil, err
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, nil, fmt.Errorf("starting %s: %w", cmd.Path, err)
	}
	exited = make(chan struct{})
	go func() { _ = cmd.Wait(); logf.Close(); close(exited) }()
	cleanup = func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-exited
		}
	}
	return exited, cleanup, nil
}

// startIAMD builds (unless bin is given) and starts iamd on a fresh data directory under work.
// name is the target's name (its data directory and log are named after it) and extra are further serve
// flags (--no-audit).
func startIAMD(ctx context.Context, log *slog.Logger, name, work, bin, databaseURL, logLevel string, procs int, extra ...string) (*target, error) {
	if bin == "" {
		bin = filepath.Join(work, "iamd")
	}
	if _, err := os.Stat(bin); err != nil {
		log.Info("building iamd", "out", bin)
		b := exec.CommandContext(ctx, "go", "build", "-o", bin, "github.com/iamd/iamd/cmd/iamd")
		b.Stdout, b.Stderr = os.Stderr, os.Stderr
		if err := b.Run(); err != nil {
			return nil, fmt.Errorf("building iamd: %w", err)
		}
	}
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	data := filepath.Join(work, name+"-data")
	args := append([]string{"serve", "--listen", addr, "--data-dir", data, "--log-level", logLevel}, extra...)
	if databaseURL != "" {
		args = append(args, "--database-url", databaseURL)
	}
	t := &target{name: name, endpoint: "http://" + addr,
		root: aws.Credentials{AccessKeyID: benchRootKeyID, SecretAccessKey: benchRootSecret}}
	// The pprof listener also gives the live heap after a collection (heapAfterGC).
	if t.pprof, err = freeAddr(); err != nil {
		return nil, err
	}
	args = append(args, "--pprof", t.pprof)
	t.accountCmd = func(ctx context.Context, a ...string) *exec.Cmd {
		a = append(append([]string{"accounts"}, a...), "--data-dir", data)
		if databaseURL != "" {
			a = append(a, "--database-url", databaseURL)
		}
		c := exec.CommandContext(ctx, bin, a...)
		c.Env = targetEnv(procs)
		return c
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(targetEnv(procs), "IAMD_ROOT_ACCESS_KEY_ID="+benchRootKeyID, "IAMD_ROOT_SECRET_ACCESS_KEY="+benchRootSecret)
	logFile := filepath.Join(work, name+".log")
	exited, cleanup, err := startProcess(cmd, logFile)
	if err != nil {
		return nil, err
	}
	t.pid, t.cleanup = cmd.Process.Pid, cleanup
	if err := waitHTTP(ctx, t.endpoint+"/healthz", exited); err != nil {
		cleanup()
		return nil, fmt.Errorf("%s (log in %s): %w", name, logFile, err)
	}
	return t, nil
}

// externalIAMD is an iamd someone else runs (pid optional, for memory figures).
func externalIAMD(endpoint, keyID, secret string, pid int) *target {
	return &target{name: "iamd", endpoint: strings.TrimSuffix(endpoint, "/"), pid: pid,
		root: aws.Credentials{AccessKeyID: keyID, SecretAccessKey: secret}}
}

// startMoto starts moto_server on a free port. moto checks no signatures; it is sent the same signed
// requests as iamd.
func startMoto(ctx context.Context, work, bin string) (*target, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	_, port, _ := net.SplitHostPort(addr)
	cmd := exec.Command(bin, "-H", "127.0.0.1", "-p", port)
	exited, cleanup, err := startProcess(cmd, filepath.Join(work, "moto.log"))
	if err != nil {
		return nil, err
	}
	t := &target{name: "moto", endpoint: "http://" + addr, pid: cmd.Process.Pid, cleanup: cleanup,
		root: aws.Credentials{AccessKeyID: benchRootKeyID, SecretAccessKey: benchRootSecret}}
	if err := waitHTTP(ctx, t.endpoint+"/moto-api/", exited); err != nil {
		cleanup()
		return nil, fmt.Errorf("moto_server (log in %s): %w", filepath.Join(work, "moto.log"), err)
	}
	return t, nil
}

// floorResponse is a GetCallerIdentity answer as iamd writes one: the floor sends it for every request.
const floorResponse = `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <GetCallerIdentityResult>
    <Arn>arn:aws:iam::123456789012:user/bench-user</Arn>
    <UserId>AIDAIAMDBENCHUSER0001</UserId>
    <Account>123456789012</Account>
  </GetCallerIdentityResult>
  <ResponseMetadata>
    <RequestId>01234567-89ab-cdef-0123-456789abcdef</RequestId>
  </ResponseMetadata>
</GetCallerIdentityResponse>
`

// startFloor serves the floor in this process ("floor-inproc"): a bare net/http handler that reads the
// body and answers with a fixed response. It is cheaper than any server in a process of its own can be:
// client and server share one Go runtime, so the wake-ups between them cost no switch between processes
// (on this machine about 20 µs of CPU per request, half a bare server's whole cost; docs/benchmarks.md).
// It is reported for reference; the targets' ratios are taken against "floor", the same handler in its
// own process.
func startFloor() (*target, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	srv := floorServer()
	go func() { _ = srv.Serve(ln) }()
	return &target{name: "floor-inproc", endpoint: "http://" + ln.Addr().String(), pid: os.Getpid(), floor: true,
		cleanup: func() { _ = srv.Close() }}, nil
}

// targetEnv is the environment of a Go target: this process's, with GOMAXPROCS=procs when procs > 0 (the
// load tool itself keeps its own setting).
func targetEnv(procs int) []string {
	env := os.Environ()
	if procs > 0 {
		env = append(env, "GOMAXPROCS="+strconv.Itoa(procs))
	}
	return env
}

// startFloorProcess runs the floor in a child process (this binary with -serve-floor), as iamd and moto
// run: its CPU time is measured on its own and it does not share a Go runtime with the client. This is
// "floor", the floor the ratios of the performance targets are taken against.
func startFloorProcess(ctx context.Context, work string, procs int) (*target, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(self, "-serve-floor", addr)
	cmd.Env = targetEnv(procs)
	exited, cleanup, err := startProcess(cmd, filepath.Join(work, "floor.log"))
	if err != nil {
		return nil, err
	}
	t := &target{name: "floor", endpoint: "http://" + addr, pid: cmd.Process.Pid, floor: true, cleanup: cleanup}
	if err := waitHTTP(ctx, t.endpoint+"/", exited); err != nil {
		cleanup()
		return nil, fmt.Errorf("floor process: %w", err)
	}
	return t, nil
}

// serveFloor is the child process of startFloorProcess.
func serveFloor(addr string) error {
	srv := floorServer()
	srv.Addr = addr
	return srv.ListenAndServe()
}

func floorServer() *http.Server {
	body := []byte(floorResponse)
	clen := strconv.Itoa(len(body))
	srv := &http.Server{ReadHeaderTimeout: 10 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		h := w.Header()
		h["Content-Type"] = []string{"text/xml"}
		h["Content-Length"] = []string{clen}
		h["X-Amzn-Requestid"] = []string{"01234567-89ab-cdef-0123-456789abcdef"}
		_, _ = w.Write(body)
	})}
	return srv
}

// rssKiB reads the resident set size of pid from /proc (Linux).
func rssKiB(pid int) (int64, error) {
	if pid == 0 {
		return 0, errors.New("no process")
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			return strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		}
	}
	return 0, errors.New("VmRSS not found")
}

// clockTicks is USER_HZ, the unit of the CPU times in /proc/PID/stat (100 on every Linux platform Go
// supports).
const clockTicks = 100

// processCPU returns the user+system CPU time pid has used so far.
func processCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name (field 2) may hold spaces; the fields after its closing parenthesis are fixed.
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return 0, errors.New("malformed stat")
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0, errors.New("malformed stat")
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, err
	}
	return time.Duration(utime+stime) * time.Second / clockTicks, nil
}

// selfCPU returns the CPU time this process has used so far.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
