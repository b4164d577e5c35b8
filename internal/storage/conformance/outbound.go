package conformance

import (
	"context"
	"errors"
	"testing"

	"github.com/iamd/iamd/internal/storage"
)

// testOutboundIssuers: the outbound federation issuer is a resource of its account found by its random ID
// (the public listener knows nothing else), updated in place, counted in no GetAccountSummary figure, and
// gone with its account.
func testOutboundIssuers(t *testing.T, s storage.Store) {
	before := counts(t, s, Acct)
	must(t, update(t, s, func(ctx context.Context, tx storage.Tx) error {
		for acct, id := range map[string]string{Acct: "0123456789abcdef0123456789abcdef", Acct2: "fedcba9876543210fedcba9876543210"} {
			if err := tx.CreateResource(ctx, &storage.Resource{AccountID: acct, Kind: storage.ResourceOutboundIssuer,
				Name: "issuer", Path: "/", ID: id, CreatedAt: t0, Data: []byte(`{"enabled":true}`)}); err != nil {
				return err
			}
		}
		return nil
	}))
	if c := counts(t, s, Acct); c != before {
		t.Fatalf("an issuer changed the account's counts: %+v, was %+v", c, before)
	}
	must(t, update(t, s, func(ctx context.Context, tx storage.Tx) error {
		r, err := tx.GetResourceByID(ctx, storage.ResourceOutboundIssuer, "fedcba9876543210fedcba9876543210")
		if err != nil {
			return err
		}
		if r.AccountID != Acct2 {
			t.Fatalf("issuer by ID is in account %s, want %s", r.AccountID, Acct2)
		}
		r.Data = []byte(`{"enabled":false}`)
		return tx.UpdateResource(ctx, "issuer", r)
	}))
	view(t, s, func(ctx context.Context, tx storage.Tx) error {
		r, err := tx.GetResource(ctx, Acct2, storage.ResourceOutboundIssuer, "issuer")
		must(t, err)
		if string(r.Data) != `{"enabled":false}` {
			t.Fatalf("updated issuer: %s", r.Data)
		}
		// An issuer ID is not an OIDC provider's, nor the other way round.
		if _, err := tx.GetResourceByID(ctx, storage.ResourceOIDCProvider, "0123456789abcdef0123456789abcdef"); !errors.Is(err, storage.ErrNotFound) {
			t.Fatalf("issuer found as an OIDC provider: %v", err)
		}
		return nil
	})
	must(t, update(t, s, func(ctx context.Context, tx storage.Tx) error { return tx.DeleteAccount(ctx, Acct2) }))
	view(t, s, func(ctx context.Context, tx storage.Tx) error {
		if _, err := tx.GetResourceByID(ctx, storage.ResourceOutboundIssuer, "fedcba9876543210fedcba9876543210"); !errors.Is(err, storage.ErrNotFound) {
			t.Fatalf("issuer of a deleted account: %v", err)
		}
		return nil
	})
}
