package sqlstore

import (
	"context"
	"fmt"

	"github.com/iamd/iamd/internal/storage"
)

func validResource(kind storage.ResourceKind) error {
	switch kind {
	case storage.ResourceOIDCProvider, storage.ResourceSAMLProvider, storage.ResourceServerCertificate,
		storage.ResourceDelegationRequest,
		storage.ResourceOutboundIssuer:
		return nil
	}
	return fmt.Errorf("storage: invalid resource kind %q", kind)
}

func (t *txn) CreateResource(ctx context.Context, r *storage.Resource) error {
	if err := validResource(r.Kind); err != nil {
		return err
	}
	return t.createEntity(ctx, string(r.Kind), r.AccountID, r.Name, r.Path, r.ID, r)
}

func (t *txn) GetResource(ctx context.Context, acct string, kind storage.ResourceKind, name string) (*storage.Resource, error) {
	if err := validResource(kind); err != nil {
		return nil, err
	}
	return getEntity[storage.Resource](ctx, t, string(kind), acct, name)
}

func (t *txn) GetResourceByID(ctx context.Context, kind storage.ResourceKind, id string) (*storage.Resource, error) {
	if err := validResource(kind); err != nil {
		return nil, err
	}
	return getEntityByID[storage.Resource](ctx, t, string(kind), id)
}

func (t *txn) UpdateResource(ctx context.Context, name string, r *storage.Resource) error {
	if err := validResource(r.Kind); err != nil {
		return err
	}
	return t.updateEntity(ctx, string(r.Kind), r.AccountID, name, r.Name, r.Path, r.ID, r)
}

func (t *txn) DeleteResource(ctx context.Context, acct string, kind storage.ResourceKind, name string) error {
	if err := validResource(kind); err != nil {
		return err
	}
	return t.deleteEntity(ctx, string(kind), acct, name)
}

func (t *txn) ListResources(ctx context.Context, acct string, kind storage.ResourceKind, opts storage.ListOptions) ([]*storage.Resource, error) {
	if err := validResource(kind); err != nil {
		return nil, err
	}
	return listEntities[storage.Resource](ctx, t, string(kind), acct, opts)
}
