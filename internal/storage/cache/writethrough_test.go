package cache_test

import (
	"context"
	"testing"

	"github.com/iamd/iamd/internal/storage"
	"github.com/iamd/iamd/internal/storage/cache"
	"github.com/iamd/iamd/internal/storage/pgtest"
	"github.com/iamd/iamd/internal/storage/postgres"
)

// The node that retags a user or a role keeps the row its write committed: the requests that follow
// (the authenticator's read of the user, GetUser) read no statement for it, and see the new tags.
func TestWriteKeepsTheCommittedRow(t *testing.T) {
	ctx := context.Background()
	c, statements := pgCache(t, func(ctx context.Context, tx storage.Tx) error {
		if err := tx.CreateRole(ctx, &storage.Role{AccountID: acct, Name: "R", Path: "/", ID: "AROAR"}); err != nil {
			return err
		}
		return tx.CreateUser(ctx, &storage.User{AccountID: acct, Name: "U", Path: "/", ID: "AIDAU"})
	})
	must := func(err error) { t.Helper(); check(t, err) }
	for _, v := range []string{"a", "b"} {
		must(c.Update(ctx, func(tx storage.Tx) error {
			u, err := tx.GetUser(ctx, acct, "u")
			if err != nil {
				return err
			}
			u.Tags = []storage.Tag{{Key: "k", Value: v}}
			if err := tx.UpdateUser(ctx, "u", u); err != nil {
				return err
			}
			r, err := tx.GetRole(ctx, acct, "r")
			if err != nil {
				return err
			}
			r.Tags = []storage.Tag{{Key: "k", Value: v}}
			return tx.UpdateRole(ctx, "r", r)
		}))
		before := statements()
		must(c.View(ctx, func(tx storage.Tx) error {
			byName, err := tx.GetUser(ctx, acct, "U")
			if err != nil {
				return err
			}
			byID, err := tx.GetUserByID(ctx, "AIDAU")
			if err != nil {
				return err
			}
			r, err := tx.GetRole(ctx, acct, "r")
			if err != nil {
				return err
			}
			for _, tags := range [][]storage.Tag{byName.Tags, byID.Tags, r.Tags} {
				if len(tags) != 1 || tags[0].Value != v {
					t.Errorf("after retag %q: read tags %v", v, tags)
				}
			}
			if byName.Name != "U" || r.Name != "R" {
				t.Errorf("after retag %q: read names %q, %q", v, byName.Name, r.Name)
			}
			return nil
		}))
		if n := statements() - before; n != 0 {
			t.Fatalf("after retag %q: %d statements to read the rows the write committed, want 0", v, n)
		}
	}
	// A deleted user is not kept (its change carries no row), and reads fail.
	must(c.Update(ctx, func(tx storage.Tx) error { return tx.DeleteUser(ctx, acct, "u") }))
	err := c.View(ctx, func(tx storage.Tx) error { _, err := tx.GetUser(ctx, acct, "u"); return err })
	if err == nil {
		t.Fatal("a deleted user is still read")
	}
}

// A write during whose transaction another node's change reached this node publishes its changes
// without rows: the other change may be newer than the write (see sqlstore's Hub), so the row leaves the
// cache and the next read goes to the store.
func TestWriteAfterAnotherNodesChangeKeepsNoRow(t *testing.T) {
	ctx := context.Background()
	url := pgtest.URL(t)
	a, b := openPostgres(t, url), openPostgres(t, url)
	c := cache.New(a, cache.Options{})
	must := func(err error) { t.Helper(); check(t, err) }
	must(c.Update(ctx, func(tx storage.Tx) error {
		if err := tx.CreateAccount(ctx, &storage.Account{ID: acct}); err != nil {
			return err
		}
		if err := tx.CreateUser(ctx, &storage.User{AccountID: acct, Name: "u", Path: "/", ID: "AIDAU"}); err != nil {
			return err
		}
		return tx.CreateUser(ctx, &storage.User{AccountID: acct, Name: "other", Path: "/", ID: "AIDAO"})
	}))
	changes, cancel := a.Subscribe()
	defer cancel()
	retag := func(st storage.Store, name, v string) error {
		return st.Update(ctx, func(tx storage.Tx) error {
			u, err := tx.GetUser(ctx, acct, name)
			if err != nil {
				return err
			}
			u.Tags = []storage.Tag{{Key: "k", Value: v}}
			return tx.UpdateUser(ctx, name, u)
		})
	}
	first := true
	must(c.Update(ctx, func(tx storage.Tx) error {
		if first {
			// Another node commits while this write runs, and its notification arrives before this write
			// publishes.
			first = false
			must(retag(b, "other", "b"))
			for ch := range changes {
				if ch.Key == "other" {
					break
				}
			}
		}
		u, err := tx.GetUser(ctx, acct, "u")
		if err != nil {
			return err
		}
		u.Tags = []storage.Tag{{Key: "k", Value: "a"}}
		return tx.UpdateUser(ctx, "u", u)
	}))
	for ch := range changes {
		if ch.Key != "u" {
			continue
		}
		if ch.Row != nil {
			t.Fatalf("the write's change carries row %+v after another node's change was published", ch.Row)
		}
		break
	}
	// And a write with nothing published in between carries its row.
	must(retag(c, "u", "c"))
	for ch := range changes {
		if ch.Key != "u" {
			continue
		}
		if u, ok := ch.Row.(*storage.User); !ok || len(u.Tags) != 1 || u.Tags[0].Value != "c" {
			t.Fatalf("a write alone published row %+v, want the retagged user", ch.Row)
		}
		break
	}
}

// pgCache returns a cache over a new PostgreSQL database holding what create creates in the account
// acct (created first), and the count of statements its store has sent so far.
func pgCache(t *testing.T, create func(ctx context.Context, tx storage.Tx) error) (*cache.Store, func() int64) {
	t.Helper()
	ctx := context.Background()
	st := openPostgres(t, pgtest.URL(t))
	c := cache.New(st, cache.Options{})
	check(t, c.Update(ctx, func(tx storage.Tx) error {
		if err := tx.CreateAccount(ctx, &storage.Account{ID: acct}); err != nil {
			return err
		}
		return create(ctx, tx)
	}))
	return c, func() int64 { return st.(*postgres.Store).Stats().Statements }
}

// check fails the test on an error.
func check(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
