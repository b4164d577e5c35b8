package sqlite

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/iamd/iamd/internal/storage"
	"github.com/iamd/iamd/internal/storage/conformance"
)

func newStore(tb testing.TB) storage.Store {
	s, err := Open(context.Background(), tb.TempDir(), Options{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	conformance.RunTests(t, func(t *testing.T) storage.Store { return newStore(t) })
}

// TestConformanceNoGroupCommit holds the one-transaction-per-Update path to the same suite.
func TestConformanceNoGroupCommit(t *testing.T) {
	conformance.RunTests(t, func(t *testing.T) storage.Store {
		s, err := Open(context.Background(), t.TempDir(), Options{NoGroupCommit: true})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}

func BenchmarkStore(b *testing.B) { conformance.RunBenchmarks(b, newStore) }

const acct = "123456789012"

func mkUser(i int) *storage.User {
	return &storage.User{AccountID: acct, Name: fmt.Sprintf("user%06d", i), Path: "/", ID: fmt.Sprintf("AIDA%016d", i)}
}

func createUsers(t *testing.T, s storage.Store, from, to int) {
	t.Helper()
	ctx := context.Background()
	err := s.Update(ctx, func(tx storage.Tx) error {
		for i := from; i < to; i++ {
			if err := tx.CreateUser(ctx, mkUser(i)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func countUsers(t *testing.T, s storage.Store) (listed int, counted int64) {
	t.Helper()
	ctx := context.Background()
	err := s.View(ctx, func(tx storage.Tx) error {
		us, err := tx.ListUsers(ctx, acct, storage.ListOptions{})
		if err != nil {
			return err
		}
		c, err := tx.Counts(ctx, acct)
		listed, counted = len(us), c.Users
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return listed, counted
}

func openWithAccount(t *testing.T, dir string) *Store {
	t.Helper()
	ctx := context.Background()
	s, err := Open(ctx, dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	err = s.Update(ctx, func(tx storage.Tx) error {
		if _, err := tx.GetAccount(ctx, acct); err == nil {
			return nil
		}
		return tx.CreateAccount(ctx, &storage.Account{ID: acct})
	})
	if err != nil {
		s.Close()
		t.Fatal(err)
	}
	return s
}

// TestBackupRestore backs up while a writer is busy, opens the copy and finds the data.
func TestBackupRestore(t *testing.T) {
	ctx := context.Background()
	s := openWithAccount(t, t.TempDir())
	defer s.Close()
	createUsers(t, s, 0, 500)

	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 500; i < 600; i++ {
			createUsers(t, s, i, i+1)
		}
	}()
	copyDir := t.TempDir()
	if err := s.BackupTo(ctx, filepath.Join(copyDir, FileName)); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := s.Backup(ctx, &buf); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	if err := s.BackupTo(ctx, filepath.Join(copyDir, FileName)); err == nil {
		t.Fatal("BackupTo overwrote an existing file")
	}

	streamDir := t.TempDir()
	if err := os.WriteFile(filepath.Join(streamDir, FileName), buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, dir := range []string{copyDir, streamDir} {
		c, err := Open(ctx, dir, Options{})
		if err != nil {
			t.Fatal(err)
		}
		listed, counted := countUsers(t, c)
		// The copy is one consistent snapshot: all 500 initial users, some of the concurrent ones, and the
		// counter agrees with the listing.
		if listed < 500 || listed > 600 || int64(listed) != counted {
			t.Fatalf("backup has %d users listed, %d counted", listed, counted)
		}
		// The copy is a working database.
		createUsers(t, c, 1000, 1001)
		c.Close()
	}
}

const crashEnv = "IAMD_SQLITE_CRASH_CHILD_DIR"

// TestCrash kills a writer with SIGKILL mid-stream and checks that every write it acknowledged survived
// and that the counters agree with a listing.
func TestCrash(t *testing.T) {
	if dir := os.Getenv(crashEnv); dir != "" {
		crashChild(t, dir)
		return
	}
	if testing.Short() {
		t.Skip("crash test re-executes the test binary")
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrash$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashEnv+"="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	const killAfter = 300
	acked := map[string]bool{}
	sc := bufio.NewScanner(out)
	killed := false
	for sc.Scan() {
		name, ok := strings.CutPrefix(sc.Text(), "ACK ")
		if !ok {
			continue
		}
		acked[name] = true
		if len(acked) == killAfter && !killed {
			// Kill mid-stream: the child is inside its next transaction or about to start it.
			if err := cmd.Process.Kill(); err != nil {
				t.Fatal(err)
			}
			killed = true
		}
	}
	_ = cmd.Wait() // killed: the error is expected
	if !killed {
		t.Fatalf("child exited after %d acknowledged writes without being killed", len(acked))
	}

	s, err := Open(context.Background(), dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	err = s.View(ctx, func(tx storage.Tx) error {
		for name := range acked {
			if _, err := tx.GetUser(ctx, acct, name); err != nil {
				return fmt.Errorf("acknowledged %s lost: %w", name, err)
			}
			ks, err := tx.ListAccessKeys(ctx, acct, name)
			if err != nil || len(ks) != 1 {
				return fmt.Errorf("access key of acknowledged %s: %d keys, %v", name, len(ks), err)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	listed, counted := countUsers(t, s)
	if int64(listed) != counted || listed < len(acked) {
		t.Fatalf("after crash: %d listed, %d counted, %d acknowledged", listed, counted, len(acked))
	}
	t.Logf("%d acknowledged, %d present after SIGKILL", len(acked), listed)
}

// crashWriters write concurrently in the crash child, so that the kill lands in group commits of
// several members as well as in single ones.
const crashWriters = 8

func crashChild(t *testing.T, dir string) {
	s := openWithAccount(t, dir)
	ctx := context.Background()
	var out sync.Mutex
	for w := range crashWriters {
		go func() {
			for i := w; ; i += crashWriters {
				u := mkUser(i)
				err := s.Update(ctx, func(tx storage.Tx) error {
					if err := tx.CreateUser(ctx, u); err != nil {
						return err
					}
					// A second write in the same transaction: the counter and a relation must survive together.
					return tx.CreateAccessKey(ctx, &storage.AccessKey{ID: fmt.Sprintf("AKIA%016d", i), AccountID: acct, UserName: u.Name})
				})
				if err != nil {
					fmt.Fprintln(os.Stderr, "child:", err)
					os.Exit(3)
				}
				// Printed only after Update returned: the write is acknowledged.
				out.Lock()
				fmt.Printf("ACK %s\n", u.Name)
				out.Unlock()
			}
		}()
	}
	select {} // until killed
}

// TestReopenAndNewerSchema: reopening keeps data and applies no migration twice; a database from a newer
// binary is refused rather than written to.
func TestReopenAndNewerSchema(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := openWithAccount(t, dir)
	createUsers(t, s, 0, 3)
	s.Close()
	s = openWithAccount(t, dir)
	if listed, counted := countUsers(t, s); listed != 3 || counted != 3 {
		t.Fatalf("after reopen: %d listed, %d counted", listed, counted)
	}
	if _, err := s.WriteDB.ExecContext(ctx, `INSERT INTO migrations (num, applied_at) VALUES (9999, 'future')`); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if s, err := Open(ctx, dir, Options{}); err == nil {
		s.Close()
		t.Fatal("opened a database with a newer schema")
	} else if !strings.Contains(err.Error(), "newer") {
		t.Fatalf("error: %v", err)
	}
}

// TestCloseUnderWriters closes the store while concurrent writers are group-committing: every Update
// returns (none hangs), those acknowledged are durable, and Updates after Close fail.
func TestCloseUnderWriters(t *testing.T) {
	dir := t.TempDir()
	s := openWithAccount(t, dir)
	ctx := context.Background()
	const writers = 8
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		acked []string
	)
	started := make(chan struct{}, writers)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; ; i += writers {
				u := mkUser(i)
				if err := s.Update(ctx, func(tx storage.Tx) error { return tx.CreateUser(ctx, u) }); err != nil {
					return
				}
				mu.Lock()
				acked = append(acked, u.Name)
				mu.Unlock()
				if i == w {
					started <- struct{}{}
				}
			}
		}()
	}
	for range writers {
		<-started
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	if err := s.Update(ctx, func(tx storage.Tx) error { return nil }); err == nil {
		t.Fatal("Update after Close succeeded")
	}
	s2, err := Open(ctx, dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	err = s2.View(ctx, func(tx storage.Tx) error {
		for _, name := range acked {
			if _, err := tx.GetUser(ctx, acct, name); err != nil {
				return fmt.Errorf("acknowledged %s: %w", name, err)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if listed, counted := countUsers(t, s2); listed != len(acked) || counted != int64(listed) {
		t.Fatalf("%d acknowledged, %d listed, %d counted", len(acked), listed, counted)
	}
}

// The database, its WAL and shared-memory files, backups and a data directory Open creates are the
// owner's alone (they hold sealed secrets and password hashes); files an older version left wider are
// narrowed.
func TestFileModes(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "new", "data")
	s, err := Open(ctx, dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Update(ctx, func(tx storage.Tx) error {
		return tx.CreateAccount(ctx, &storage.Account{ID: "123456789012"})
	}); err != nil {
		t.Fatal(err)
	}
	wantMode := func(p string, want os.FileMode) {
		t.Helper()
		st, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if got := st.Mode().Perm(); got != want {
			t.Errorf("%s: mode %o, want %o", filepath.Base(p), got, want)
		}
	}
	wantMode(dir, 0o700)
	path := filepath.Join(dir, FileName)
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		wantMode(p, 0o600)
	}
	backup := filepath.Join(t.TempDir(), "copy.db")
	if err := s.BackupTo(ctx, backup); err != nil {
		t.Fatal(err)
	}
	wantMode(backup, 0o600)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	// A database left readable by others is narrowed on open.
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	s, err = Open(ctx, dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	wantMode(path, 0o600)
}
