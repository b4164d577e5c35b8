package conformance

import (
	"context"
	"testing"

	"github.com/iamd/iamd/internal/storage"
)

// testDelegationRequests: a delegation request is a generic resource named by its ID that moves from the
// requesting partner's account to the customer's when the customer associates it (a delete and a create
// in one transaction); GetResourceByID finds it wherever it is.
func testDelegationRequests(t *testing.T, s storage.Store) {
	const id = "dr-0123456789abcdef"
	must(t, update(t, s, func(ctx context.Context, tx storage.Tx) error {
		return tx.CreateResource(ctx, &storage.Resource{AccountID: Acct, Kind: storage.ResourceDelegationRequest,
			Name: id, Path: "/", ID: id, CreatedAt: t0, Data: []byte(`{"State":"UNASSIGNED"}`)})
	}))
	must(t, update(t, s, func(ctx context.Context, tx storage.Tx) error {
		r, err := tx.GetResourceByID(ctx, storage.ResourceDelegationRequest, id)
		if err != nil {
			return err
		}
		if err := tx.DeleteResource(ctx, r.AccountID, r.Kind, r.Name); err != nil {
			return err
		}
		r.AccountID, r.Data = Acct2, []byte(`{"State":"ASSIGNED"}`)
		return tx.CreateResource(ctx, r)
	}))
	view(t, s, func(ctx context.Context, tx storage.Tx) error {
		r, err := tx.GetResourceByID(ctx, storage.ResourceDelegationRequest, id)
		must(t, err)
		if r.AccountID != Acct2 || string(r.Data) != `{"State":"ASSIGNED"}` || !r.CreatedAt.Equal(t0) {
			t.Fatalf("moved request: %+v", r)
		}
		rs, err := tx.ListResources(ctx, Acct, storage.ResourceDelegationRequest, storage.ListOptions{})
		must(t, err)
		if len(rs) != 0 {
			t.Fatalf("left in the partner's account: %d", len(rs))
		}
		rs, err = tx.ListResources(ctx, Acct2, storage.ResourceDelegationRequest, storage.ListOptions{})
		must(t, err)
		if len(rs) != 1 || rs[0].Name != id {
			t.Fatalf("owner's requests: %+v", rs)
		}
		return nil
	})
	c := counts(t, s, Acct2)
	if c.Providers != 0 || c.ServerCertificates != 0 {
		t.Fatalf("a delegation request counted as another resource: %+v", c)
	}
}
