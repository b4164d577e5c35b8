package conformance

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/iamd/iamd/internal/storage"
)

func testChanges(t *testing.T, s storage.Store) {
	ch, cancel := s.Subscribe()
	defer cancel()
	must(t, update(t, s, func(ctx context.Context, tx storage.Tx) error { return tx.CreateUser(ctx, user(Acct, "Bob", 1)) }))
	// A rolled-back transaction notifies nothing.
	_ = update(t, s, func(ctx context.Context, tx storage.Tx) error {
		if err := tx.CreateUser(ctx, user(Acct, "ghost", 2)); err != nil {
			return err
		}
		return errors.New("abort")
	})
	must(t, update(t, s, func(ctx context.Context, tx storage.Tx) error {
		return tx.CreateAccessKey(ctx, &storage.AccessKey{ID: "AKIACHANGE", AccountID: Acct, UserName: "bob", Status: storage.StatusActive})
	}))
	// A retag changes the user's row only.
	must(t, update(t, s, func(ctx context.Context, tx storage.Tx) error {
		u, err := tx.GetUser(ctx, Acct, "bob")
		if err != nil {
			return err
		}
		u.Tags = []storage.Tag{{Key: "k", Value: "v"}}
		return tx.UpdateUser(ctx, "bob", u)
	}))
	must(t, update(t, s, func(ctx context.Context, tx storage.Tx) error { return tx.DeleteUser(ctx, Acct, "bob") }))
	want := []storage.Change{
		{Kind: storage.ChangeUser, AccountID: Acct, Key: "bob"},
		// Its policies: reading them no longer fails (and below: they went with it). Caches keep them
		// across changes of its row alone.
		{Kind: storage.ChangeAttachment, AccountID: Acct, Key: "user:bob"},
		{Kind: storage.ChangeInlinePolicy, AccountID: Acct, Key: "user:bob"},
		{Kind: storage.ChangeAccessKey, AccountID: Acct, Key: "AKIACHANGE"},
		{Kind: storage.ChangeUser, AccountID: Acct, Key: "bob"},
		{Kind: storage.ChangeAccessKey, AccountID: Acct, Key: "AKIACHANGE"}, // the user's keys went with it
		{Kind: storage.ChangeUser, AccountID: Acct, Key: "bob"},
		{Kind: storage.ChangeAttachment, AccountID: Acct, Key: "user:bob"},
		{Kind: storage.ChangeInlinePolicy, AccountID: Acct, Key: "user:bob"},
	}
	// Changes are delivered after commit; a slow machine may deliver them late but never drop them, so
	// wait without a deadline of our own (the test binary's -timeout bounds it).
	for i, w := range want {
		got, ok := <-ch
		if !ok {
			t.Fatal("subscription closed")
		}
		row := got.Row
		got.Row = nil
		if got != w {
			t.Fatalf("change %d = %+v, want %+v", i, got, w)
		}
		// A row, if the store gives one, is the user as the write committed it: the retag's has its tag.
		if row == nil {
			continue
		}
		u, ok := row.(*storage.User)
		if !ok || w.Kind != storage.ChangeUser || u.AccountID != w.AccountID || storage.Fold(u.Name) != w.Key {
			t.Fatalf("change %d = %+v carries row %+v", i, w, row)
		}
		if i == 4 && !slices.Equal(u.Tags, []storage.Tag{{Key: "k", Value: "v"}}) {
			t.Fatalf("retag's row has tags %v", u.Tags)
		}
	}
	select {
	case c := <-ch:
		t.Fatalf("unexpected change %+v", c)
	default:
	}
	cancel()
	if _, ok := <-ch; ok {
		t.Fatal("channel still open after cancel")
	}
}
