package cache_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/iamd/iamd/internal/storage"
	"github.com/iamd/iamd/internal/storage/cache"
	"github.com/iamd/iamd/internal/storage/pgtest"
	"github.com/iamd/iamd/internal/storage/postgres"
	"github.com/iamd/iamd/internal/storage/sqlstore"
)

// On PostgreSQL a read of one row costs one round trip outside a transaction and three inside one
// (BEGIN, the read, COMMIT). A View whose rows are missing from memory reads each by itself, outside any
// transaction, and a View that reads once what the cache does not serve (ListUsers) goes without one
// too, whatever other callers' Views read before (the store learns that per caller's function, not per
// cache).
func TestMissesReadWithoutTransactions(t *testing.T) {
	ctx := context.Background()
	st := openPostgres(t, pgtest.URL(t))
	c := cache.New(st, cache.Options{})
	stats := func() sqlstore.Stats { return st.(*postgres.Store).Stats() }
	const acct = "123456789012"
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(c.Update(ctx, func(tx storage.Tx) error {
		if err := tx.CreateAccount(ctx, &storage.Account{ID: acct}); err != nil {
			return err
		}
		if err := tx.CreateRole(ctx, &storage.Role{AccountID: acct, Name: "r", Path: "/", ID: "AROAR"}); err != nil {
			return err
		}
		return tx.CreateUser(ctx, &storage.User{AccountID: acct, Name: "u", Path: "/", ID: "AIDAU"})
	}))
	// A caller that reads twice what the cache does not serve: a transaction, rightly.
	must(c.View(ctx, func(tx storage.Tx) error {
		if _, err := tx.ListUsers(ctx, acct, storage.ListOptions{}); err != nil {
			return err
		}
		_, err := tx.ListRoles(ctx, acct, storage.ListOptions{})
		return err
	}))
	tag := func() {
		must(c.Update(ctx, func(tx storage.Tx) error {
			u, err := tx.GetUser(ctx, acct, "u")
			if err != nil {
				return err
			}
			u.Tags = append(u.Tags, storage.Tag{Key: "k", Value: "v"})
			return tx.UpdateUser(ctx, "u", u)
		}))
	}
	listUsers := func() {
		must(c.View(ctx, func(tx storage.Tx) error {
			_, err := tx.ListUsers(ctx, acct, storage.ListOptions{})
			return err
		}))
	}
	for range 3 {
		tag() // the user's row leaves the cache
		before := stats()
		must(c.View(ctx, func(tx storage.Tx) error {
			if _, err := tx.GetUserByID(ctx, "AIDAU"); err != nil {
				return err
			}
			if _, err := tx.GetRole(ctx, acct, "r"); err != nil {
				return err
			}
			_, err := tx.ListAttachedPolicies(ctx, acct, storage.OwnerUser, "u", storage.ListOptions{})
			return err
		}))
		listUsers()
		listUsers()
		after := stats()
		if n := after.ViewTransactions - before.ViewTransactions; n != 0 {
			t.Fatalf("%d reads in transactions, want 0 (statements %d)", n, after.Statements-before.Statements)
		}
	}
	// The rows read are kept: served from memory now.
	before := stats()
	must(c.View(ctx, func(tx storage.Tx) error {
		if _, err := tx.GetUser(ctx, acct, "u"); err != nil {
			return err
		}
		_, err := tx.GetRole(ctx, acct, "r")
		return err
	}))
	if n := stats().Statements - before.Statements; n != 0 {
		t.Fatalf("%d statements for rows read before, want 0", n)
	}
}

// Views that miss the same row at the same time share one read of it: a user retagged on another node
// (on this one the write leaves its row in the cache) whose requests keep coming costs one read, not one
// per request in flight. A View never joins a read that began before a change it must see (the model
// tests check every read against the store).
func TestConcurrentMissesShareARead(t *testing.T) {
	ctx := context.Background()
	url := pgtest.URL(t)
	st, other := openPostgres(t, url), openPostgres(t, url)
	c := cache.New(st, cache.Options{})
	stats := func() sqlstore.Stats { return st.(*postgres.Store).Stats() }
	const acct, views = "123456789012", 16
	err := c.Update(ctx, func(tx storage.Tx) error {
		if err := tx.CreateAccount(ctx, &storage.Account{ID: acct}); err != nil {
			return err
		}
		return tx.CreateUser(ctx, &storage.User{AccountID: acct, Name: "u", Path: "/", ID: "AIDAU"})
	})
	if err != nil {
		t.Fatal(err)
	}
	changes, cancel := st.Subscribe()
	defer cancel()
	for round := range 3 {
		if err := other.Update(ctx, func(tx storage.Tx) error {
			u, err := tx.GetUser(ctx, acct, "u")
			if err != nil {
				return err
			}
			u.Tags = []storage.Tag{{Key: "round", Value: fmt.Sprint(round)}}
			return tx.UpdateUser(ctx, "u", u)
		}); err != nil {
			t.Fatal(err)
		}
		// The cache's subscription has the change once this one has (the store publishes to both at once).
		for ch := range changes {
			if ch.Kind == storage.ChangeUser && ch.Key == "u" {
				break
			}
		}
		before := stats().Statements
		start := make(chan struct{})
		var wg sync.WaitGroup
		errs := make(chan error, views)
		for range views {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				errs <- c.View(ctx, func(tx storage.Tx) error {
					u, err := tx.GetUserByID(ctx, "AIDAU")
					if err == nil && (len(u.Tags) != 1 || u.Tags[0].Value != fmt.Sprint(round)) {
						return fmt.Errorf("round %d: read %+v", round, u.Tags)
					}
					return err
				})
			}()
		}
		close(start)
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		if n := stats().Statements - before; n > views/2 {
			t.Fatalf("round %d: %d Views missing one row read it %d times, want at most %d", round, views, n, views/2)
		}
	}
}

// A retag changes a user's row, not its attached policies: the attachment list stays cached (every
// request of a retagged user's policies read it again from the database). A rename or a deletion moves
// or removes the attachments, and the list leaves the cache.
func TestRetagKeepsAttachmentsCached(t *testing.T) {
	ctx := context.Background()
	const arn = "arn:aws:iam::aws:policy/ReadOnlyAccess"
	c, statements := pgCache(t, func(ctx context.Context, tx storage.Tx) error {
		if err := tx.CreateUser(ctx, &storage.User{AccountID: acct, Name: "u", Path: "/", ID: "AIDAU"}); err != nil {
			return err
		}
		return tx.AttachPolicy(ctx, acct, storage.OwnerUser, "u", arn)
	})
	must := func(err error) { t.Helper(); check(t, err) }
	// attached reads name's attachment list through the cache: how many, whether the store was asked.
	attached := func(name string) (n int, read bool) {
		t.Helper()
		before := statements()
		must(c.View(ctx, func(tx storage.Tx) error {
			l, err := tx.ListAttachedPolicies(ctx, acct, storage.OwnerUser, name, storage.ListOptions{})
			n = len(l)
			return err
		}))
		return n, statements() != before
	}
	update := func(fn func(tx storage.Tx, u *storage.User) error) {
		t.Helper()
		must(c.Update(ctx, func(tx storage.Tx) error {
			u, err := tx.GetUser(ctx, acct, "u")
			if err != nil {
				return err
			}
			return fn(tx, u)
		}))
	}
	attached("u")
	update(func(tx storage.Tx, u *storage.User) error {
		u.Tags = []storage.Tag{{Key: "k", Value: "v"}}
		return tx.UpdateUser(ctx, "u", u)
	})
	if n, read := attached("u"); n != 1 || read {
		t.Fatalf("after a retag: %d attached policies, read from the database %v; want 1 from memory", n, read)
	}
	update(func(tx storage.Tx, u *storage.User) error {
		u.Name = "w"
		return tx.UpdateUser(ctx, "u", u)
	})
	if n, read := attached("w"); n != 1 || !read {
		t.Fatalf("after a rename: %d attached policies, read from the database %v; want 1 read", n, read)
	}
	must(c.Update(ctx, func(tx storage.Tx) error { return tx.DeleteUser(ctx, acct, "w") }))
	must(c.Update(ctx, func(tx storage.Tx) error {
		return tx.CreateUser(ctx, &storage.User{AccountID: acct, Name: "w", Path: "/", ID: "AIDAW"})
	}))
	if n, _ := attached("w"); n != 0 {
		t.Fatalf("a user deleted and created again under its name: %d attached policies, want 0", n)
	}
}
