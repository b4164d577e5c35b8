package cache

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/iamd/iamd/internal/storage"
	"github.com/iamd/iamd/internal/storage/sqlite"
)

func newTestStore(t *testing.T, o Options) (*Store, storage.Store) {
	t.Helper()
	st, err := sqlite.Open(context.Background(), t.TempDir(), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return New(st, o), st
}

// Cached key IDs are copies: an ID sliced from a request's Authorization header would keep the whole
// header alive.
func TestCachedKeyIDsAreCopies(t *testing.T) {
	ctx := context.Background()
	c, _ := newTestStore(t, Options{})
	err := c.Update(ctx, func(tx storage.Tx) error {
		if err := tx.CreateAccount(ctx, &storage.Account{ID: "123456789012"}); err != nil {
			return err
		}
		return tx.CreateAccessKey(ctx, &storage.AccessKey{ID: "AKIA0000000000000001", AccountID: "123456789012", Status: storage.StatusActive})
	})
	if err != nil {
		t.Fatal(err)
	}
	header := "AWS4-HMAC-SHA256 Credential=AKIA0000000000000001/20260301/us-east-1/sts/aws4_request, " +
		"X=AKIA0000000000000002" + strings.Repeat(" ", 1<<16)
	known := header[len("AWS4-HMAC-SHA256 Credential="):][:20]
	missing := header[strings.LastIndex(header, "X=")+2:][:20]
	for _, id := range []string{known, missing} {
		_ = c.View(ctx, func(tx storage.Tx) error { _, err := tx.GetAccessKey(ctx, id); return err })
	}
	if s := c.Sizes(); s.Keys != 1 || s.MissingKeys != 1 {
		t.Fatalf("cache sizes %+v", s)
	}
	for _, k := range append(c.missing.Keys(), c.keys.Keys()...) {
		if unsafe.StringData(k) == unsafe.StringData(known) || unsafe.StringData(k) == unsafe.StringData(missing) {
			t.Fatalf("the cache keeps %q as a slice of the request header", k)
		}
	}
}

// Versions are kept under copies of what a change names: a user name sliced from a request's body would
// keep the whole body alive as long as its version.
func TestVersionKeysAreCopies(t *testing.T) {
	c, _ := newTestStore(t, Options{})
	body := "Action=CreateUser&UserName=alice&Version=2010-05-08" + strings.Repeat("&Pad=x", 1<<12)
	acctBody := "123456789012" + strings.Repeat(" ", 1<<12)
	name, acct := body[len("Action=CreateUser&UserName="):][:5], acctBody[:12]
	c.apply(storage.Change{Kind: storage.ChangeUser, AccountID: acct, Key: name})
	if c.Version(VersionKey{storage.ChangeUser, "123456789012", "alice"}) == 0 {
		t.Fatal("no version for the change")
	}
	for _, k := range c.vers.Keys() {
		if unsafe.StringData(k.Key) == unsafe.StringData(name) || unsafe.StringData(k.Account) == unsafe.StringData(acct) {
			t.Fatalf("version key %+v is a slice of the request", k)
		}
	}
}

// TestTablesBounded: no table grows past its bound, the least recently used going first; unknown key
// IDs have a bound of their own and do not evict known keys.
func TestTablesBounded(t *testing.T) {
	ctx := context.Background()
	c, _ := newTestStore(t, Options{MaxEntries: 8, MaxMissingKeys: 4})
	const acct = "123456789012"
	err := c.Update(ctx, func(tx storage.Tx) error {
		if err := tx.CreateAccount(ctx, &storage.Account{ID: acct}); err != nil {
			return err
		}
		for i := range 20 {
			name := fmt.Sprint("u", i)
			if err := tx.CreateUser(ctx, &storage.User{AccountID: acct, Name: name, Path: "/", ID: fmt.Sprintf("AIDA%04d", i)}); err != nil {
				return err
			}
			if err := tx.CreateAccessKey(ctx, &storage.AccessKey{ID: fmt.Sprintf("AKIA%016d", i), AccountID: acct, UserName: name,
				Status: storage.StatusActive}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 20 {
		err := c.View(ctx, func(tx storage.Tx) error {
			if _, err := tx.GetUser(ctx, acct, fmt.Sprint("u", i)); err != nil {
				return err
			}
			if _, err := tx.GetUserByID(ctx, fmt.Sprintf("AIDA%04d", i)); err != nil {
				return err
			}
			_, err := tx.GetAccessKey(ctx, fmt.Sprintf("AKIA%016d", i))
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	for i := range 100 {
		_ = c.View(ctx, func(tx storage.Tx) error { _, err := tx.GetAccessKey(ctx, fmt.Sprintf("AKIA9%015d", i)); return err })
	}
	// Pages of users starting at every name (an authenticated caller can ask for as many).
	for i := range 20 {
		err := c.View(ctx, func(tx storage.Tx) error {
			_, err := tx.ListUsers(ctx, acct, storage.ListOptions{After: fmt.Sprint("u", i), Limit: 2})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if s := c.Sizes(); s.Users != 8 || s.UserIDs != 8 || s.Keys != 8 || s.MissingKeys != 4 || s.UserPages != 8 {
		t.Fatalf("sizes %+v, want 8 users, IDs, keys and user pages, 4 unknown keys", s)
	}
	c.mu.Lock()
	indexed := len(c.pagesOf[acct])
	c.mu.Unlock()
	if indexed != 8 {
		t.Fatalf("%d pages indexed by account, want the 8 held", indexed)
	}
}

// A subscription closed while no change is pending looks, to Sync's fast path, like one with nothing to
// say: Run must still notice it, so that the cache stops serving rows nothing keeps current.
func TestRunNoticesClosedSubscription(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c, st := newTestStore(t, Options{})
	c.Sync()
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	go c.Run(ctx)
	deadline := time.Now().Add(10 * time.Second)
	for !c.closed.Load() {
		if time.Now().After(deadline) {
			t.Fatal("Run did not notice the closed subscription")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if _, ok := c.Seq(); ok {
		t.Fatal("a cache whose subscription closed still reports a current Seq")
	}
}

// FuzzListUsersPages: whatever page a caller asks for (path prefix, starting name, size), the cache
// answers what the store answers, before and after a write moves a user between paths, and holds no more
// pages than its bound.
func FuzzListUsersPages(f *testing.F) {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "fuzz-pages")
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { os.RemoveAll(dir) })
	st, err := sqlite.Open(ctx, dir, sqlite.Options{})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { st.Close() })
	c := New(st, Options{MaxEntries: 4})
	const acct = "123456789012"
	err = c.Update(ctx, func(tx storage.Tx) error {
		if err := tx.CreateAccount(ctx, &storage.Account{ID: acct}); err != nil {
			return err
		}
		for i := range 10 {
			u := &storage.User{AccountID: acct, Name: fmt.Sprint("U", i), Path: []string{"/a/", "/b/"}[i%2], ID: fmt.Sprint("AIDA", i)}
			if err := tx.CreateUser(ctx, u); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		f.Fatal(err)
	}
	f.Add("/", "", 3, 0, true)
	f.Add("/a", "u3", 2, 5, false)
	f.Add("", "U9", 101, 9, true)
	f.Fuzz(func(t *testing.T, prefix, after string, limit, user int, toA bool) {
		opts := storage.ListOptions{PathPrefix: prefix, After: after, Limit: limit % 110}
		list := func(s storage.Store) string {
			var out []string
			err := s.View(ctx, func(tx storage.Tx) error {
				l, err := tx.ListUsers(ctx, acct, opts)
				for _, u := range l {
					out = append(out, u.Name+" "+u.Path)
				}
				return err
			})
			if err != nil {
				return "error " + err.Error()
			}
			return strings.Join(out, ",")
		}
		check := func(when string) {
			t.Helper()
			for range 2 { // read from the store, then (if kept) from memory
				if got, want := list(c), list(st); got != want {
					t.Fatalf("%s: %+v: cache %q, store %q", when, opts, got, want)
				}
			}
		}
		check("before")
		name := fmt.Sprint("u", (user%10+10)%10)
		err := c.Update(ctx, func(tx storage.Tx) error {
			u, err := tx.GetUser(ctx, acct, name)
			if err != nil {
				return err
			}
			u.Path = "/b/"
			if toA {
				u.Path = "/a/"
			}
			return tx.UpdateUser(ctx, name, u)
		})
		if err != nil {
			t.Fatal(err)
		}
		check("after moving " + name)
		if n := c.Sizes().UserPages; n > 4 {
			t.Fatalf("%d pages held, bound 4", n)
		}
	})
}
