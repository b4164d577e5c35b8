package cache

import (
	"context"
	"fmt"
	"testing"

	"github.com/iamd/iamd/internal/storage"
)

// TestVersionsMoveWithChanges: a write gives what it names, its kind's account-wide key and, for a
// group's inline policies and attachments, the all-groups key a new version at once (read-your-writes);
// other keys keep theirs; a last use moves nothing.
func TestVersionsMoveWithChanges(t *testing.T) {
	ctx := context.Background()
	c, _ := newTestStore(t, Options{})
	const acct = "123456789012"
	update := func(fn func(tx storage.Tx) error) {
		t.Helper()
		if err := c.Update(ctx, fn); err != nil {
			t.Fatal(err)
		}
	}
	update(func(tx storage.Tx) error {
		if err := tx.CreateAccount(ctx, &storage.Account{ID: acct}); err != nil {
			return err
		}
		for _, n := range []string{"alice", "bob"} {
			if err := tx.CreateUser(ctx, &storage.User{AccountID: acct, Name: n, Path: "/", ID: "AIDA" + n}); err != nil {
				return err
			}
		}
		if err := tx.CreateAccessKey(ctx, &storage.AccessKey{ID: "AKIA0000000000000001", AccountID: acct, Status: storage.StatusActive}); err != nil {
			return err
		}
		return tx.CreateGroup(ctx, &storage.Group{AccountID: acct, Name: "devs", Path: "/", ID: "AGPAdevs"})
	})
	keys := []VersionKey{
		{storage.ChangeUser, acct, "alice"}, {storage.ChangeUser, acct, "bob"}, {storage.ChangeUser, acct, AnyKey},
		{storage.ChangeInlinePolicy, acct, "user:alice"}, {storage.ChangeInlinePolicy, acct, "group:devs"},
		{storage.ChangeInlinePolicy, acct, "group:" + AnyKey}, {storage.ChangeInlinePolicy, acct, AnyKey},
		{storage.ChangePolicy, acct, AnyKey},
	}
	snap := func() map[VersionKey]uint64 {
		m := map[VersionKey]uint64{}
		for _, k := range keys {
			m[k] = c.Version(k)
		}
		return m
	}
	moved := func(before map[VersionKey]uint64) string {
		after := snap()
		var out []VersionKey
		for _, k := range keys {
			if after[k] < before[k] {
				t.Fatalf("%+v went back from %d to %d", k, before[k], after[k])
			}
			if after[k] != before[k] {
				out = append(out, k)
			}
		}
		return fmt.Sprint(out)
	}
	b := snap()
	update(func(tx storage.Tx) error {
		u, err := tx.GetUser(ctx, acct, "alice")
		if err != nil {
			return err
		}
		u.Tags = []storage.Tag{{Key: "k", Value: "v"}}
		return tx.UpdateUser(ctx, "alice", u)
	})
	if got, want := moved(b), fmt.Sprint([]VersionKey{keys[0], keys[2]}); got != want {
		t.Fatalf("TagUser alice moved %s, want %s", got, want)
	}
	b = snap()
	update(func(tx storage.Tx) error {
		return tx.PutInlinePolicy(ctx, &storage.InlinePolicy{AccountID: acct, OwnerKind: storage.OwnerGroup, OwnerName: "devs", Name: "p", Document: "{}"})
	})
	if got, want := moved(b), fmt.Sprint([]VersionKey{keys[4], keys[5], keys[6]}); got != want {
		t.Fatalf("PutGroupPolicy moved %s, want %s", got, want)
	}
	b = snap()
	update(func(tx storage.Tx) error {
		return tx.SetAccessKeyLastUsed(ctx, "AKIA0000000000000001", storage.AccessKeyLastUsed{Service: "iam"})
	})
	if got := moved(b); got != "[]" {
		t.Fatalf("a last use moved %s", got)
	}
	// ChangeAll moves everything.
	b = snap()
	c.apply(storage.Change{Kind: storage.ChangeAll})
	if got := moved(b); got != fmt.Sprint(keys) {
		t.Fatalf("ChangeAll moved %s", got)
	}
}

// TestVersionsBounded: past the bound the least recently changed keys are forgotten, and a forgotten key
// reads at a version no lower than the one it had (a derivation noted before is never taken as fresh
// after a change it did not see).
func TestVersionsBounded(t *testing.T) {
	c, _ := newTestStore(t, Options{MaxEntries: 4})
	first := VersionKey{storage.ChangeUser, "a", "u0"}
	c.apply(storage.Change{Kind: storage.ChangeUser, AccountID: "a", Key: "u0"})
	v0 := c.Version(first)
	for i := 1; i < 20; i++ {
		c.apply(storage.Change{Kind: storage.ChangeUser, AccountID: "a", Key: fmt.Sprint("u", i)})
	}
	if n := c.vers.Len(); n > 4 {
		t.Fatalf("%d versions kept, bound 4", n)
	}
	if v := c.Version(first); v < v0 {
		t.Fatalf("a forgotten key went back from %d to %d", v0, v)
	}
}

// TestSeqMovesWithEveryVersion: every change that moves a version moves Seq, the versions read with
// Versions come with the Seq they were read at, and a cache that follows no changes any more has no Seq
// (a derivation checked at a Seq is taken as current while Seq stays there).
func TestSeqMovesWithEveryVersion(t *testing.T) {
	c, _ := newTestStore(t, Options{})
	k := VersionKey{storage.ChangeUser, "a", "u"}
	var out [1]uint64
	s0 := c.Versions(out[:], k)
	if s, ok := c.Seq(); !ok || s != s0 {
		t.Fatalf("Seq %d %v, Versions read at %d", s, ok, s0)
	}
	for _, ch := range []storage.Change{
		{Kind: storage.ChangeUser, AccountID: "a", Key: "u"},
		{Kind: storage.ChangeUser, AccountID: "a", Key: "other"}, // moves AnyKey
		{Kind: storage.ChangeAll},
	} {
		before, _ := c.Seq()
		c.apply(ch)
		after, ok := c.Seq()
		if !ok || after <= before {
			t.Fatalf("%+v: Seq %d -> %d %v", ch, before, after, ok)
		}
		if s := c.Versions(out[:], k); s != after {
			t.Fatalf("%+v: Versions read at %d, Seq %d", ch, s, after)
		}
	}
	before, _ := c.Seq()
	c.apply(storage.Change{Kind: storage.ChangeAccessKeyUsed, AccountID: "a", Key: "AKIA0000000000000001"})
	if s, _ := c.Seq(); s != before {
		t.Fatalf("a last use moved Seq from %d to %d", before, s)
	}
	c.closed.Store(true) // as Sync marks it when the subscription ends
	if s, ok := c.Seq(); ok {
		t.Fatalf("Seq %d of a cache that follows no changes", s)
	}
	if s := c.Versions(out[:], k); s != 0 {
		t.Fatalf("Versions read at Seq %d by a cache that follows no changes", s)
	}
}
