package sqlstore

import (
	"context"

	"github.com/iamd/iamd/internal/storage"
)

func (t *txn) CreateRole(ctx context.Context, r *storage.Role) error {
	if err := t.createEntity(ctx, kindRole, r.AccountID, r.Name, r.Path, r.ID, r); err != nil {
		return err
	}
	return t.addBoundary(ctx, r.AccountID, kindRole, r.Name, r.PermissionsBoundaryARN)
}

func (t *txn) GetRole(ctx context.Context, acct, name string) (*storage.Role, error) {
	r, err := getEntity[storage.Role](ctx, t, kindRole, acct, name)
	if err == nil {
		t.readBoundary(kindRole, r.AccountID, r.Name, r.PermissionsBoundaryARN)
	}
	return r, err
}

func (t *txn) GetRoleByID(ctx context.Context, id string) (*storage.Role, error) {
	r, err := getEntityByID[storage.Role](ctx, t, kindRole, id)
	if err == nil {
		t.readBoundary(kindRole, r.AccountID, r.Name, r.PermissionsBoundaryARN)
	}
	return r, err
}

func (t *txn) UpdateRole(ctx context.Context, name string, r *storage.Role) error {
	same := t.boundaryUnchanged(kindRole, r.AccountID, name, r.Name, r.PermissionsBoundaryARN)
	if err := t.updateEntity(ctx, kindRole, r.AccountID, name, r.Name, r.Path, r.ID, r); err != nil {
		return err
	}
	return t.updateBoundary(ctx, same, r.AccountID, kindRole, r.Name, r.PermissionsBoundaryARN)
}

func (t *txn) DeleteRole(ctx context.Context, acct, name string) error {
	return t.deleteEntity(ctx, kindRole, acct, name)
}

func (t *txn) ListRoles(ctx context.Context, acct string, opts storage.ListOptions) ([]*storage.Role, error) {
	return listEntities[storage.Role](ctx, t, kindRole, acct, opts)
}
