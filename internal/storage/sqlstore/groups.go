package sqlstore

import (
	"context"
	"fmt"

	"github.com/iamd/iamd/internal/storage"
)

func (t *txn) CreateGroup(ctx context.Context, g *storage.Group) error {
	return t.createEntity(ctx, kindGroup, g.AccountID, g.Name, g.Path, g.ID, g)
}

func (t *txn) GetGroup(ctx context.Context, acct, name string) (*storage.Group, error) {
	return getEntity[storage.Group](ctx, t, kindGroup, acct, name)
}

func (t *txn) GetGroupByID(ctx context.Context, id string) (*storage.Group, error) {
	return getEntityByID[storage.Group](ctx, t, kindGroup, id)
}

func (t *txn) UpdateGroup(ctx context.Context, name string, g *storage.Group) error {
	return t.updateEntity(ctx, kindGroup, g.AccountID, name, g.Name, g.Path, g.ID, g)
}

func (t *txn) DeleteGroup(ctx context.Context, acct, name string) error {
	return t.deleteEntity(ctx, kindGroup, acct, name)
}

func (t *txn) ListGroups(ctx context.Context, acct string, opts storage.ListOptions) ([]*storage.Group, error) {
	return listEntities[storage.Group](ctx, t, kindGroup, acct, opts)
}

func (t *txn) AddUserToGroup(ctx context.Context, acct, group, user string) error {
	if err := t.entityExists(ctx, kindGroup, acct, group); err != nil {
		return err
	}
	if err := t.entityExists(ctx, kindUser, acct, user); err != nil {
		return err
	}
	n, err := t.exec(ctx, `INSERT INTO members (account_id, group_key, user_key) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
		acct, storage.Fold(group), storage.Fold(user))
	if err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("user %q in group %q: %w", user, group, storage.ErrAlreadyExists)
	}
	t.changed(storage.ChangeMembership, acct, storage.Fold(group))
	t.changed(storage.ChangeUser, acct, storage.Fold(user))
	return nil
}

func (t *txn) RemoveUserFromGroup(ctx context.Context, acct, group, user string) error {
	n, err := t.exec(ctx, `DELETE FROM members WHERE account_id = $1 AND group_key = $2 AND user_key = $3`,
		acct, storage.Fold(group), storage.Fold(user))
	if err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("user %q in group %q: %w", user, group, storage.ErrNotFound)
	}
	t.changed(storage.ChangeMembership, acct, storage.Fold(group))
	t.changed(storage.ChangeUser, acct, storage.Fold(user))
	return nil
}

func (t *txn) ListGroupsForUser(ctx context.Context, acct, user string, opts storage.ListOptions) ([]*storage.Group, error) {
	if err := t.entityExists(ctx, kindUser, acct, user); err != nil {
		return nil, err
	}
	q, args := page(`SELECT e.data FROM members m JOIN entities e
		ON e.account_id = m.account_id AND e.kind = m.group_kind AND e.fkey = m.group_key
		WHERE m.account_id = $1 AND m.user_key = $2`, []any{acct, storage.Fold(user)}, opts, "m.group_key", "e.path", true)
	rows, err := t.query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	return collect[storage.Group](rows)
}

func (t *txn) ListUsersInGroup(ctx context.Context, acct, group string, opts storage.ListOptions) ([]*storage.User, error) {
	if err := t.entityExists(ctx, kindGroup, acct, group); err != nil {
		return nil, err
	}
	q, args := page(`SELECT e.data FROM members m JOIN entities e
		ON e.account_id = m.account_id AND e.kind = m.user_kind AND e.fkey = m.user_key
		WHERE m.account_id = $1 AND m.group_key = $2`, []any{acct, storage.Fold(group)}, opts, "m.user_key", "e.path", true)
	rows, err := t.query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	return collect[storage.User](rows)
}
