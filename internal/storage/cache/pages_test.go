package cache_test

import (
	"context"
	"testing"

	"github.com/iamd/iamd/internal/storage"
)

// A page of ListUsers is served from memory until a change may have changed which users it holds: a
// retag of one of its users keeps it (and it shows the new tags), a creation drops it. Longer listings
// are always read from the store.
func TestListUsersPagesServedFromMemory(t *testing.T) {
	ctx := context.Background()
	c, statements := pgCache(t, func(ctx context.Context, tx storage.Tx) error {
		return tx.CreateUser(ctx, &storage.User{AccountID: acct, Name: "u", Path: "/", ID: "AIDAU"})
	})
	must := func(err error) { t.Helper(); check(t, err) }
	// list returns the names and tags of a page, and whether the store was asked.
	list := func(opts storage.ListOptions) (names, tags []string, read bool) {
		t.Helper()
		before := statements()
		must(c.View(ctx, func(tx storage.Tx) error {
			l, err := tx.ListUsers(ctx, acct, opts)
			for _, u := range l {
				names = append(names, u.Name)
				for _, tg := range u.Tags {
					tags = append(tags, tg.Value)
				}
			}
			return err
		}))
		return names, tags, statements() != before
	}
	page := storage.ListOptions{PathPrefix: "/", Limit: 21}
	list(page)
	if names, _, read := list(page); read || len(names) != 1 {
		t.Fatalf("a page listed before: %v, read from the store %v; want [u] from memory", names, read)
	}
	must(c.Update(ctx, func(tx storage.Tx) error {
		u, err := tx.GetUser(ctx, acct, "u")
		if err != nil {
			return err
		}
		u.Tags = []storage.Tag{{Key: "k", Value: "v"}}
		return tx.UpdateUser(ctx, "u", u)
	}))
	if names, tags, read := list(page); read || len(names) != 1 || len(tags) != 1 || tags[0] != "v" {
		t.Fatalf("after a retag: %v with tags %v, read from the store %v; want [u] tagged v from memory", names, tags, read)
	}
	must(c.Update(ctx, func(tx storage.Tx) error {
		return tx.CreateUser(ctx, &storage.User{AccountID: acct, Name: "w", Path: "/", ID: "AIDAW"})
	}))
	if names, _, read := list(page); !read || len(names) != 2 {
		t.Fatalf("after a creation: %v, read from the store %v; want [u w] read", names, read)
	}
	whole := storage.ListOptions{}
	list(whole)
	if _, _, read := list(whole); !read {
		t.Fatal("a listing without a limit was served from memory")
	}
	if s := c.Sizes(); s.UserPages != 1 {
		t.Fatalf("%d pages held, want 1", s.UserPages)
	}
}
