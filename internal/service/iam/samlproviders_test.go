package iam

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/iamd/iamd/internal/api/iamapi"
	"github.com/iamd/iamd/internal/samlmeta/samltest"
	"github.com/iamd/iamd/internal/storage"
)

// batchStore records the most SAML providers one ListResources call returned.
type batchStore struct {
	storage.Store
	most atomic.Int32
}

type batchTx struct {
	storage.Tx
	s *batchStore
}

func (s *batchStore) View(ctx context.Context, fn func(tx storage.Tx) error) error {
	return s.Store.View(ctx, func(tx storage.Tx) error { return fn(batchTx{tx, s}) })
}

func (s *batchStore) Update(ctx context.Context, fn func(tx storage.Tx) error) error {
	return s.Store.Update(ctx, func(tx storage.Tx) error { return fn(batchTx{tx, s}) })
}

func (tx batchTx) ListResources(ctx context.Context, acct string, kind storage.ResourceKind, opts storage.ListOptions) ([]*storage.Resource, error) {
	list, err := tx.Tx.ListResources(ctx, acct, kind, opts)
	for n := int32(len(list)); ; {
		m := tx.s.most.Load()
		if n <= m || tx.s.most.CompareAndSwap(m, n) {
			break
		}
	}
	return list, err
}

// Every provider carries its metadata document (up to the body limit), which neither ListSAMLProviders nor
// the quota check of CreateSAMLProvider needs: both hold at most samlListBatch providers at a time,
// however many the account has.
func TestSAMLProvidersAreReadInBatches(t *testing.T) {
	f := newFixture(t)
	bs := &batchStore{Store: f.store}
	svc := New(Options{Store: bs, Sealer: f.seal, Now: func() time.Time { return f.now }, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	doc := samltest.Document(samltest.Options{EntityID: "https://idp.example.com", Signing: [][]byte{samltest.Certificate(t, "c")}})
	const n = 3*samlListBatch + 1
	for i := range n {
		if _, err := svc.CreateSAMLProvider(f.root(), &iamapi.CreateSAMLProviderRequest{Name: ptr(fmt.Sprint("p", i)), SAMLMetadataDocument: &doc}); err != nil {
			t.Fatal(err)
		}
	}
	out, err := svc.ListSAMLProviders(f.root(), &iamapi.ListSAMLProvidersRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.SAMLProviderList) != n {
		t.Fatalf("listed %d of %d", len(out.SAMLProviderList), n)
	}
	if most := bs.most.Load(); most > samlListBatch {
		t.Fatalf("one read held %d providers, more than %d", most, samlListBatch)
	}
}
