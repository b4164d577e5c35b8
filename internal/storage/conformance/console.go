package conformance

import (
	"context"
	"testing"
	"time"

	"github.com/iamd/iamd/internal/storage"
)

// testConsoleSessions: sessions are found by ID, updated, listed per account oldest first, deleted, and
// go with their account.
func testConsoleSessions(t *testing.T, s storage.Store) {
	mk := func(id, acct string, age time.Duration) *storage.ConsoleSession {
		return &storage.ConsoleSession{ID: id, AccountID: acct, Partition: "aws", UserName: "bob", UserID: "AIDA1",
			CSRFToken: "c-" + id, CreatedAt: t0.Add(-age), LastSeenAt: t0, ExpiresAt: t0.Add(time.Hour)}
	}
	must(t, update(t, s, func(ctx context.Context, tx storage.Tx) error {
		for _, x := range []*storage.ConsoleSession{mk("b", Acct, time.Minute), mk("a", Acct, 0), mk("c", Acct2, 0)} {
			if err := tx.CreateConsoleSession(ctx, x); err != nil {
				return err
			}
		}
		return nil
	}))
	wantErr(t, update(t, s, func(ctx context.Context, tx storage.Tx) error {
		return tx.CreateConsoleSession(ctx, mk("a", Acct, 0))
	}), storage.ErrAlreadyExists)
	must(t, update(t, s, func(ctx context.Context, tx storage.Tx) error {
		x, err := tx.GetConsoleSession(ctx, "a")
		if err != nil {
			return err
		}
		x.Pending, x.LastSeenAt = "mfa", t0.Add(time.Minute)
		return tx.UpdateConsoleSession(ctx, x)
	}))
	view(t, s, func(ctx context.Context, tx storage.Tx) error {
		x, err := tx.GetConsoleSession(ctx, "a")
		if err != nil {
			return err
		}
		if x.Pending != "mfa" || !x.LastSeenAt.Equal(t0.Add(time.Minute)) || x.CSRFToken != "c-a" || x.UserName != "bob" {
			t.Errorf("session after update: %+v", x)
		}
		list, err := tx.ListConsoleSessions(ctx, Acct)
		if err != nil {
			return err
		}
		if len(list) != 2 || list[0].ID != "b" || list[1].ID != "a" {
			t.Errorf("sessions of the account: %d, want b then a", len(list))
		}
		return nil
	})
	must(t, update(t, s, func(ctx context.Context, tx storage.Tx) error { return tx.DeleteConsoleSession(ctx, "a") }))
	wantErr(t, update(t, s, func(ctx context.Context, tx storage.Tx) error { return tx.DeleteConsoleSession(ctx, "a") }), storage.ErrNotFound)
	wantErr(t, update(t, s, func(ctx context.Context, tx storage.Tx) error {
		_, err := tx.GetConsoleSession(ctx, "a")
		return err
	}), storage.ErrNotFound)
	wantErr(t, update(t, s, func(ctx context.Context, tx storage.Tx) error {
		return tx.UpdateConsoleSession(ctx, mk("zz", Acct, 0))
	}), storage.ErrNotFound)
	must(t, update(t, s, func(ctx context.Context, tx storage.Tx) error { return tx.DeleteAccount(ctx, Acct2) }))
	wantErr(t, update(t, s, func(ctx context.Context, tx storage.Tx) error {
		_, err := tx.GetConsoleSession(ctx, "c")
		return err
	}), storage.ErrNotFound)
}
