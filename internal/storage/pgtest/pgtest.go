// Package pgtest gives tests a throwaway PostgreSQL: one cluster per test binary, started on first use
// from the locally installed server binaries (as the postgres OS user when running as root), on a free
// port on 127.0.0.1 with its sockets in a private temporary directory, and a fresh database per URL call.
// Set IAMD_TEST_DATABASE_URL to use an existing server instead (databases are created on it and dropped
// after the test). Without either, tests using URL are skipped.
//
// A test package that uses URL should stop the cluster when it finishes:
//
//	func TestMain(m *testing.M) { pgtest.Main(m) }
package pgtest

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// EnvURL names the environment variable with the URL of an existing server to use.
const EnvURL = "IAMD_TEST_DATABASE_URL"

const skipMessage = "PostgreSQL not installed: install postgresql (apt-get install postgresql) to run the PostgreSQL tests"

// startTimeout bounds initdb + start on a loaded machine.
const startTimeout = 2 * time.Minute

var (
	once    sync.Once
	cl      *cluster
	startEr error
	dbSeq   atomic.Int64
)

type cluster struct {
	bin     string
	dir     string // temporary directory: data/, sockets, log
	port    int
	asUser  string // run commands as this OS user ("" = ourselves)
	baseURL string // URL of the maintenance database
}

// Available reports whether URL can provide a database (a server URL is configured or PostgreSQL is
// installed).
func Available() bool {
	if os.Getenv(EnvURL) != "" {
		return true
	}
	_, err := findBin()
	return err == nil
}

// URL returns the URL of a new, empty database that is dropped when the test ends, or skips the test
// when no PostgreSQL is available.
func URL(t testing.TB) string {
	t.Helper()
	base := os.Getenv(EnvURL)
	if base == "" {
		if _, err := findBin(); err != nil {
			t.Skip(skipMessage)
		}
		once.Do(func() { cl, startEr = start() })
		if startEr != nil {
			t.Fatalf("pgtest: start PostgreSQL: %v", startEr)
		}
		base = cl.baseURL
	}
	name := fmt.Sprintf("iamd_test_%d_%d", os.Getpid(), dbSeq.Add(1))
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	if err := adminExec(ctx, base, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		// WITH (FORCE) ends sessions a store under test left open.
		if err := adminExec(ctx, base, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Logf("pgtest: drop %s: %v", name, err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("pgtest: %s: %v", EnvURL, err)
	}
	u.Path = "/" + name
	return u.String()
}

// Main runs the tests and then stops and removes the cluster, if one was started.
func Main(m *testing.M) {
	code := m.Run()
	Stop()
	os.Exit(code)
}

// Stop stops and removes the cluster started by URL, if any.
func Stop() {
	if cl == nil {
		return
	}
	// immediate: the data is thrown away, there is nothing to flush.
	_ = cl.run("pg_ctl", "-D", filepath.Join(cl.dir, "data"), "-m", "immediate", "-w", "stop")
	os.RemoveAll(cl.dir)
	cl = nil
}

func adminExec(ctx context.Context, dbURL, stmt string) error {
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, stmt); err != nil {
		return fmt.Errorf("%s: %w", stmt, err)
	}
	return nil
}

// findBin finds the directory holding initdb and pg_ctl: the newest /usr/lib/postgresql/N/bin, else PATH.
func findBin() (string, error) {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return versionOf(dirs[i]) > versionOf(dirs[j]) })
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "pg_ctl")); err == nil {
			return d, nil
		}
	}
	p, err := exec.LookPath("pg_ctl")
	if err != nil {
		return "", fmt.Errorf("pg_ctl not found")
	}
	return filepath.Dir(p), nil
}

func versionOf(binDir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return n
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func (c *cluster) run(name string, args ...string) error {
	path := filepath.Join(c.bin, name)
	var cmd *exec.Cmd
	if c.asUser != "" {
		cmd = exec.Command("runuser", append([]string{"-u", c.asUser, "--", path}, args...)...)
	} else {
		cmd = exec.Command(path, args...)
	}
	cmd.Dir = c.dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s %s: %w\n%s", name, strings.Join(args, " "), err, out)
	}
	return nil
}

func start() (*cluster, error) {
	bin, err := findBin()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "iamd-pgtest-")
	if err != nil {
		return nil, err
	}
	c := &cluster{bin: bin, dir: dir}
	if os.Geteuid() == 0 {
		// The server refuses to run as root.
		u, err := user.Lookup("postgres")
		if err != nil {
			os.RemoveAll(dir)
			return nil, fmt.Errorf("running as root and there is no postgres user to run the server as: %w", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
		c.asUser = "postgres"
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	data := filepath.Join(dir, "data")
	if err := c.run("initdb", "-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-locale", "--no-sync"); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	c.port, err = freePort()
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	// Durability is not under test here (SQLite's crash test covers acknowledged writes), so fsync is
	// off to keep the suite fast on a shared machine; IAMD_PGTEST_FSYNC=on turns it back on for benchmarks.
	fsync := "off"
	if os.Getenv("IAMD_PGTEST_FSYNC") == "on" {
		fsync = "on"
	}
	opts := fmt.Sprintf("-c listen_addresses=127.0.0.1 -p %d -k %s -c fsync=%s -c max_connections=200", c.port, dir, fsync)
	if err := c.run("pg_ctl", "-D", data, "-o", opts, "-l", filepath.Join(dir, "log"), "-w", "-t", strconv.Itoa(int(startTimeout.Seconds())), "start"); err != nil {
		log, _ := os.ReadFile(filepath.Join(dir, "log"))
		os.RemoveAll(dir)
		return nil, fmt.Errorf("%w\n%s", err, log)
	}
	c.baseURL = fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", c.port)
	return c, nil
}
