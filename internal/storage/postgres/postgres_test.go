package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/iamd/iamd/internal/storage"
	"github.com/iamd/iamd/internal/storage/conformance"
	"github.com/iamd/iamd/internal/storage/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func newStore(tb testing.TB) storage.Store {
	s, err := Open(context.Background(), pgtest.URL(tb), Options{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	conformance.RunTests(t, func(t *testing.T) storage.Store { return newStore(t) })
}

func BenchmarkStore(b *testing.B) { conformance.RunBenchmarks(b, newStore) }

// TestChangesFromOtherNodes: a write on one node reaches the subscribers of another through NOTIFY, and
// a node does not hear its own writes twice.
func TestChangesFromOtherNodes(t *testing.T) {
	ctx := context.Background()
	url := pgtest.URL(t)
	a, err := Open(ctx, url, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := Open(ctx, url, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	chA, cancelA := a.Subscribe()
	defer cancelA()
	chB, cancelB := b.Subscribe()
	defer cancelB()
	err = a.Update(ctx, func(tx storage.Tx) error {
		if err := tx.CreateAccount(ctx, &storage.Account{ID: "123456789012"}); err != nil {
			return err
		}
		return tx.CreateUser(ctx, &storage.User{AccountID: "123456789012", Name: "Bob", Path: "/", ID: "AIDA1"})
	})
	if err != nil {
		t.Fatal(err)
	}
	owned := []storage.Change{
		{Kind: storage.ChangeAttachment, AccountID: "123456789012", Key: "user:bob"},
		{Kind: storage.ChangeInlinePolicy, AccountID: "123456789012", Key: "user:bob"},
	}
	want := append([]storage.Change{
		{Kind: storage.ChangeAccount, AccountID: "123456789012"},
		{Kind: storage.ChangeUser, AccountID: "123456789012", Key: "bob"},
	}, owned...)
	for _, ch := range []<-chan storage.Change{chA, chB} {
		for i, w := range want {
			if got := <-ch; got != w {
				t.Fatalf("change %d = %+v, want %+v", i, got, w)
			}
		}
	}
	// A second write proves node A got no echo of the first one in between.
	err = b.Update(ctx, func(tx storage.Tx) error {
		return tx.DeleteUser(ctx, "123456789012", "bob")
	})
	if err != nil {
		t.Fatal(err)
	}
	want = append([]storage.Change{{Kind: storage.ChangeUser, AccountID: "123456789012", Key: "bob"}}, owned...)
	for _, ch := range []<-chan storage.Change{chA, chB} {
		for i, w := range want {
			if got := <-ch; got != w {
				t.Fatalf("change %d = %+v, want %+v", i, got, w)
			}
		}
	}
}

func TestUnreachable(t *testing.T) {
	ctx := context.Background()
	// Port 1 on localhost: nothing listens there, the connection is refused at once.
	_, err := Open(ctx, "postgres://iamd:s3cret-pw@127.0.0.1:1/iamd?sslmode=disable&connect_timeout=5", Options{})
	if err == nil {
		t.Fatal("Open succeeded against a closed port")
	}
	msg := err.Error()
	if !strings.Contains(msg, "127.0.0.1") || strings.Contains(msg, "s3cret-pw") {
		t.Fatalf("error should name the host and hide the password: %s", msg)
	}
	if _, err := Open(ctx, "postgres://iamd:s3cret-pw@127.0.0.1:notaport/x", Options{}); err == nil || strings.Contains(err.Error(), "s3cret-pw") {
		t.Fatalf("bad URL: %v", err)
	}
}

func TestBackupPointsToPgDump(t *testing.T) {
	s := newStore(t)
	err := s.Backup(context.Background(), &strings.Builder{})
	if err == nil || !strings.Contains(err.Error(), "pg_dump") {
		t.Fatalf("Backup: %v", err)
	}
}

// TestListenerReconnects: when the LISTEN connection is killed, the listener reconnects, tells
// subscribers to flush (notifications may have been missed) and then delivers other nodes' changes again.
func TestListenerReconnects(t *testing.T) {
	ctx := context.Background()
	url := pgtest.URL(t)
	a, err := Open(ctx, url, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := Open(ctx, url, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	ch, cancel := b.Subscribe()
	defer cancel()
	// Kill every session of b that is listening (its listener), from a's pool.
	if _, err := a.pool.Exec(ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
		WHERE datname = current_database() AND pid <> pg_backend_pid() AND query LIKE 'LISTEN%'`); err != nil {
		t.Fatal(err)
	}
	// a's own listener was killed as well; both reconnect. b reports the gap with ChangeAll.
	if c := <-ch; c.Kind != storage.ChangeAll {
		t.Fatalf("first change after the listener died = %+v, want ChangeAll", c)
	}
	// Writes from a reach b once b listens again; retry until one arrives, since b may still be
	// reconnecting when the first is sent.
	want := storage.Change{Kind: storage.ChangeAccount, AccountID: "123456789012"}
	for i := 0; ; i++ {
		err := a.Update(ctx, func(tx storage.Tx) error {
			acct := &storage.Account{ID: "123456789012", Name: "n"}
			if i == 0 {
				return tx.CreateAccount(ctx, acct)
			}
			return tx.UpdateAccount(ctx, acct)
		})
		if err != nil {
			t.Fatal(err)
		}
		select {
		case c := <-ch:
			if c != want {
				t.Fatalf("got %+v, want %+v", c, want)
			}
			return
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// TestSingleStatementViews: a View runs outside a transaction until its second statement; it still sees
// one snapshot (a write committed between its first and second statements makes it run again, and the
// second run sees the write throughout) and still refuses writes.
func TestSingleStatementViews(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	const acct = "123456789012"
	err := s.Update(ctx, func(tx storage.Tx) error {
		if err := tx.CreateAccount(ctx, &storage.Account{ID: acct}); err != nil {
			return err
		}
		return tx.CreateUser(ctx, &storage.User{AccountID: acct, Name: "bob", Path: "/a/", ID: "AIDABOB"})
	})
	if err != nil {
		t.Fatal(err)
	}
	setPath := func(path string) {
		t.Helper()
		err := s.Update(ctx, func(tx storage.Tx) error {
			u, err := tx.GetUser(ctx, acct, "bob")
			if err != nil {
				return err
			}
			u.Path = path
			return tx.UpdateUser(ctx, "bob", u)
		})
		if err != nil {
			t.Fatal(err)
		}
	}

	t.Run("OneRead", func(t *testing.T) {
		var u *storage.User
		for range 2 {
			err := s.View(ctx, func(tx storage.Tx) error {
				var err error
				u, err = tx.GetUser(ctx, acct, "BOB")
				return err
			})
			if err != nil || u.ID != "AIDABOB" {
				t.Fatalf("GetUser = %+v, %v", u, err)
			}
		}
		err := s.View(ctx, func(tx storage.Tx) error {
			_, err := tx.GetUser(ctx, acct, "nobody")
			return err
		})
		if !errors.Is(err, storage.ErrNotFound) {
			t.Fatalf("missing user: %v", err)
		}
	})

	t.Run("WriteRefused", func(t *testing.T) {
		err := s.View(ctx, func(tx storage.Tx) error {
			return tx.CreateUser(ctx, &storage.User{AccountID: acct, Name: "eve", Path: "/", ID: "AIDAEVE"})
		})
		if err == nil {
			t.Fatal("CreateUser inside View succeeded")
		}
		err = s.View(ctx, func(tx storage.Tx) error {
			_, err := tx.GetUser(ctx, acct, "eve")
			return err
		})
		if !errors.Is(err, storage.ErrNotFound) {
			t.Fatalf("user written inside View: %v", err)
		}
	})

	t.Run("TwoReadsUnchanged", func(t *testing.T) {
		runs := 0
		err := s.View(ctx, func(tx storage.Tx) error {
			runs++
			if _, err := tx.GetUser(ctx, acct, "bob"); err != nil {
				return err
			}
			_, err := tx.GetAccount(ctx, acct)
			return err
		})
		if err != nil || runs != 1 {
			t.Fatalf("err %v after %d runs, want nil after 1", err, runs)
		}
	})

	t.Run("RowMovedBetweenReads", func(t *testing.T) {
		runs := 0
		var first, second string
		err := s.View(ctx, func(tx storage.Tx) error {
			runs++
			u, err := tx.GetUser(ctx, acct, "bob")
			if err != nil {
				return err
			}
			first = u.Path
			if runs == 1 {
				setPath("/b/") // committed between this view's first and second statements
			}
			if u, err = tx.GetUser(ctx, acct, "bob"); err != nil {
				return err
			}
			second = u.Path
			return nil
		})
		if got := s.(*Store).Stats().ViewReruns; got != 1 {
			t.Errorf("ViewReruns = %d, want 1", got)
		}
		if err != nil || runs != 2 || first != "/b/" || second != "/b/" {
			t.Fatalf("err %v, runs %d, paths %q then %q; want nil, 2, /b/ twice", err, runs, first, second)
		}
	})

	t.Run("ListMovedBetweenReads", func(t *testing.T) {
		runs := 0
		var users []*storage.User
		var n int
		err := s.View(ctx, func(tx storage.Tx) error {
			runs++
			var err error
			if users, err = tx.ListUsers(ctx, acct, storage.ListOptions{}); err != nil {
				return err
			}
			if runs == 1 {
				err := s.Update(ctx, func(tx storage.Tx) error {
					return tx.CreateUser(ctx, &storage.User{AccountID: acct, Name: "carol", Path: "/", ID: "AIDACAROL"})
				})
				if err != nil {
					return err
				}
			}
			c, err := tx.Counts(ctx, acct)
			n = int(c.Users)
			return err
		})
		if err != nil || runs != 2 || len(users) != 2 || n != 2 {
			t.Fatalf("err %v, runs %d, %d users listed, %d counted; want nil, 2, 2, 2", err, runs, len(users), n)
		}
	})
}

// TestGroupCommitNotifies: writes committed together by group commit (several clients at once) reach
// another node, keys with quotes and backslashes intact.
func TestGroupCommitNotifies(t *testing.T) {
	ctx := context.Background()
	url := pgtest.URL(t)
	a, err := Open(ctx, url, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := Open(ctx, url, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	ch, cancel := b.Subscribe()
	defer cancel()
	const acct = "123456789012"
	if err := a.Update(ctx, func(tx storage.Tx) error { return tx.CreateAccount(ctx, &storage.Account{ID: acct}) }); err != nil {
		t.Fatal(err)
	}
	if c := <-ch; c.Kind != storage.ChangeAccount {
		t.Fatalf("got %+v, want the account", c)
	}
	const n = 16
	errs := make(chan error, n)
	for i := range n {
		go func() {
			name := fmt.Sprintf(`o'b\r"n-%d`, i)
			errs <- a.Update(ctx, func(tx storage.Tx) error {
				return tx.CreateUser(ctx, &storage.User{AccountID: acct, Name: name, Path: "/", ID: fmt.Sprintf("AIDA%d", i)})
			})
		}()
	}
	for range n {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	seen := map[string]bool{}
	for len(seen) < n {
		c := <-ch
		if c.AccountID != acct {
			t.Fatalf("unexpected change %+v", c)
		}
		switch c.Kind {
		case storage.ChangeUser:
			seen[c.Key] = true
		case storage.ChangeAttachment, storage.ChangeInlinePolicy: // the new user's policies, keyed "user:name"
			if !strings.HasPrefix(c.Key, "user:") {
				t.Fatalf("unexpected change %+v", c)
			}
		default:
			t.Fatalf("unexpected change %+v", c)
		}
	}
	for i := range n {
		if k := fmt.Sprintf(`o'b\r"n-%d`, i); !seen[k] {
			t.Fatalf("no change for %q among %v", k, seen)
		}
	}
	// One node's writers never conflict: they run one after another in the node's commit groups.
	if st := a.Stats(); st.Retries != 0 || st.GroupFallbacks != 0 {
		t.Fatalf("16 writers on one node: %+v, want no retries", st)
	}
	var c storage.Counts
	err = b.View(ctx, func(tx storage.Tx) error {
		var err error
		c, err = tx.Counts(ctx, acct)
		return err
	})
	if err != nil || c.Users != n {
		t.Fatalf("Counts = %+v, %v; want %d users", c, err, n)
	}
}

// A write's statements are round trips on the commit group's serial path, so a group pays only for the
// work of its members: an update that keeps a user's boundary does not write it again, members take no
// savepoints unless one fails after writing, and a member reading a row that one before it in the group
// updated reads what that one wrote without asking the database.
func TestGroupRoundTrips(t *testing.T) {
	ctx := context.Background()
	s := newStore(t).(*Store)
	const acct, k = "123456789012", 8
	err := s.Update(ctx, func(tx storage.Tx) error {
		if err := tx.CreateAccount(ctx, &storage.Account{ID: acct}); err != nil {
			return err
		}
		for i := range k {
			u := &storage.User{AccountID: acct, Name: fmt.Sprint("u", i), Path: "/", ID: fmt.Sprint("AIDAU", i),
				PermissionsBoundaryARN: "arn:aws:iam::aws:policy/PowerUserAccess"}
			if err := tx.CreateUser(ctx, u); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	tag := func(i int, v string) func(tx storage.Tx) error {
		return func(tx storage.Tx) error {
			u, err := tx.GetUser(ctx, acct, fmt.Sprint("u", i))
			if err != nil {
				return err
			}
			u.Tags = []storage.Tag{{Key: "v", Value: v}}
			return tx.UpdateUser(ctx, u.Name, u)
		}
	}
	// Alone: the read, the update and the notification, in two round trips: BEGIN with the read, the
	// update and the notification with COMMIT.
	before, trips := s.Stats().Statements, s.roundTrips.Load()
	if err := s.Update(ctx, tag(0, "alone")); err != nil {
		t.Fatal(err)
	}
	if n, rt := s.Stats().Statements-before, s.roundTrips.Load()-trips; n != 3 || rt != 2 {
		t.Fatalf("a retag alone: %d statements in %d round trips, want 3 (read, update, notify) in 2", n, rt)
	}

	// group runs the Updates of fns in one group (the first Update holds the committer until every
	// other one waits, so they all run in the next group) and returns how many statements it cost and how
	// many round trips, and how many of them failed with ErrNotFound.
	group := func(fns ...func(tx storage.Tx) error) (n, trips int64, failed int) {
		hold, held := make(chan struct{}), make(chan struct{})
		errs := make(chan error, len(fns)+1)
		go func() {
			errs <- s.Update(ctx, func(tx storage.Tx) error {
				select {
				case <-held:
				default:
					close(held)
				}
				<-hold
				return nil
			})
		}()
		<-held
		for _, fn := range fns {
			go func() { errs <- s.Update(ctx, fn) }()
		}
		time.Sleep(200 * time.Millisecond) // every writer queued behind the held one
		before, rt := s.Stats().Statements, s.roundTrips.Load()
		close(hold)
		for range len(fns) + 1 {
			if err := <-errs; errors.Is(err, storage.ErrNotFound) {
				failed++
			} else if err != nil {
				t.Fatal(err)
			}
		}
		return s.Stats().Statements - before, s.roundTrips.Load() - rt, failed
	}
	// k writers of different users, and one more that only reads and fails: per writer its read and its
	// update, the reader its read, the group one notification; a round trip per read (each with the
	// update before it), and COMMIT with the last update and the notification.
	var fns []func(tx storage.Tx) error
	for i := range k {
		fns = append(fns, tag(i, "grouped"))
	}
	fns = append(fns, func(tx storage.Tx) error {
		_, err := tx.GetUser(ctx, acct, "nobody")
		return err
	})
	if n, rt, failed := group(fns...); failed != 1 || n > 2*k+1+1 || rt > k+2 {
		t.Fatalf("a group of %d retags and a failed read: %d statements in %d round trips (%d failed), want at most %d in %d",
			k, n, rt, failed, 2*k+2, k+2)
	}
	// k retags of one user: one read, one update (each replaces the one before it, none is sent before
	// COMMIT), one notification, in two round trips.
	// Each adds a tag of its own, so each must read what the one before it wrote.
	fns = fns[:0]
	for j := range k {
		fns = append(fns, func(tx storage.Tx) error {
			u, err := tx.GetUser(ctx, acct, "u1")
			if err != nil {
				return err
			}
			u.Tags = append(u.Tags, storage.Tag{Key: fmt.Sprint("k", j), Value: "v"})
			return tx.UpdateUser(ctx, u.Name, u)
		})
	}
	if n, rt, failed := group(fns...); failed != 0 || n > 3 || rt > 2 {
		t.Fatalf("a group of %d retags of one user: %d statements in %d round trips, want at most 3 in 2", k, n, rt)
	}
	err = s.View(ctx, func(tx storage.Tx) error {
		u, err := tx.GetUser(ctx, acct, "u1")
		if err == nil && len(u.Tags) != k+1 {
			return fmt.Errorf("u1 after %d retags in one group: tags %v, want %d", k, u.Tags, k+1)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	// A member that fails after writing: the group runs again with savepoints, so only its write is
	// undone and nobody runs alone.
	fns = fns[:0]
	for i := range k {
		fns = append(fns, tag(i, "grouped"))
	}
	fns = append(fns, func(tx storage.Tx) error {
		if err := tag(0, "undone")(tx); err != nil {
			return err
		}
		return fmt.Errorf("refused after writing: %w", storage.ErrNotFound)
	})
	if _, _, failed := group(fns...); failed != 1 {
		t.Fatalf("a group with a member failing after its write: %d failed, want 1", failed)
	}
	if st := s.Stats(); st.GroupFallbacks != 0 {
		t.Fatalf("group fallbacks %d", st.GroupFallbacks)
	}
	for i := range k {
		err := s.View(ctx, func(tx storage.Tx) error {
			u, err := tx.GetUser(ctx, acct, fmt.Sprint("u", i))
			if err == nil && (len(u.Tags) != 1 || u.Tags[0].Value != "grouped" || u.PermissionsBoundaryARN == "") {
				return fmt.Errorf("u%d: %+v", i, u)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	err = s.View(ctx, func(tx storage.Tx) error {
		bs, err := tx.ListBoundaryEntities(ctx, acct, "arn:aws:iam::aws:policy/PowerUserAccess", storage.ListOptions{})
		if err == nil && len(bs) != k {
			return fmt.Errorf("%d boundary owners, want %d", len(bs), k)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestNoLostUpdatesAcrossNodes: read-modify-writes of one row on two nodes at once lose nothing. Each
// node's groups defer the update of the row they read until COMMIT, in the same round trip, so a
// conflict with the other node surfaces there as a serialization failure: the group's members then run
// again, each alone, with retries.
func TestNoLostUpdatesAcrossNodes(t *testing.T) {
	url := pgtest.URL(t)
	var nodes []storage.Store
	var stores []*Store
	for range 2 {
		s, err := Open(context.Background(), url, Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		nodes, stores = append(nodes, s), append(stores, s)
	}
	conformance.NoLostUpdatesAcrossNodes(t, nodes...)
	if stores[0].Stats().Retries+stores[1].Stats().Retries == 0 {
		t.Log("no serialization failure happened: the nodes did not overlap")
	}
}

// TestOlderNodesOwnerChangesDropPolicyLists: a node of an older version (no "o" mark in its payloads)
// publishes only a user's row change when it deletes or re-creates the user; the receiving node widens
// it to the user's attachment and inline-policy lists, so that no cache keeps a deleted user's policies
// for a namesake. A marked payload's row change stays alone (a retag keeps the lists cached).
func TestOlderNodesOwnerChangesDropPolicyLists(t *testing.T) {
	ctx := context.Background()
	b, err := Open(ctx, pgtest.URL(t), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	ch, cancel := b.Subscribe()
	defer cancel()
	const acct = "123456789012"
	devsInline := storage.Change{Kind: storage.ChangeInlinePolicy, AccountID: acct, Key: "group:" + storage.Fold("devs")}
	devs := storage.Change{Kind: storage.ChangeGroup, AccountID: acct, Key: "devs"}
	// receive sends payload as another node would and collects what the hub publishes, up to last.
	receive := func(payload string, last storage.Change) map[storage.Change]bool {
		t.Helper()
		if _, err := b.pool.Exec(ctx, sqlNotify, payload); err != nil {
			t.Fatal(err)
		}
		got := map[storage.Change]bool{}
		for !got[last] {
			select {
			case c := <-ch:
				got[c] = true
			case <-time.After(10 * time.Second):
				t.Fatalf("payload %s: received only %v", payload, got)
			}
		}
		return got
	}
	changes := `"c":[["user","` + acct + `","Alice"],["group","` + acct + `","devs"]]}`
	old := receive(`{"n":"older-node",`+changes, devsInline)
	for _, want := range []storage.Change{
		{Kind: storage.ChangeUser, AccountID: acct, Key: "Alice"},
		{Kind: storage.ChangeAttachment, AccountID: acct, Key: "user:" + storage.Fold("Alice")},
		{Kind: storage.ChangeInlinePolicy, AccountID: acct, Key: "user:" + storage.Fold("Alice")},
		devs,
		{Kind: storage.ChangeAttachment, AccountID: acct, Key: "group:" + storage.Fold("devs")},
		devsInline,
	} {
		if !old[want] {
			t.Errorf("an older node's payload: %+v not received (got %v)", want, old)
		}
	}
	if got := receive(`{"n":"newer-node","o":1,`+changes, devs); len(got) != 2 {
		t.Errorf("a marked payload: received %v, want only the two row changes", got)
	}
}
