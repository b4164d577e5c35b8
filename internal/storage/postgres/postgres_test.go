package postgres

import (
	"context"
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
	want := []storage.Change{
		{Kind: storage.ChangeAccount, AccountID: "123456789012"},
		{Kind: storage.ChangeUser, AccountID: "123456789012", Key: "bob"},
	}
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
	w := storage.Change{Kind: storage.ChangeUser, AccountID: "123456789012", Key: "bob"}
	for _, ch := range []<-chan storage.Change{chA, chB} {
		if got := <-ch; got != w {
			t.Fatalf("got %+v, want %+v", got, w)
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
