package sqlstore

import (
	"context"
	"fmt"

	"github.com/iamd/iamd/internal/storage"
)

// fillRoles sets Roles of each profile from profile_roles.
func (t *txn) fillRoles(ctx context.Context, ps []*storage.InstanceProfile) error {
	for _, p := range ps {
		rows, err := t.query(ctx, `SELECT e.name FROM profile_roles r JOIN entities e
			ON e.account_id = r.account_id AND e.kind = r.role_kind AND e.fkey = r.role_key
			WHERE r.account_id = $1 AND r.profile_key = $2 ORDER BY r.role_key`, p.AccountID, storage.Fold(p.Name))
		if err != nil {
			return err
		}
		p.Roles = nil
		for rows.Next() {
			var n string
			if err := rows.Scan(&n); err != nil {
				rows.Close()
				return fmt.Errorf("storage: scan: %w", err)
			}
			p.Roles = append(p.Roles, n)
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return fmt.Errorf("storage: rows: %w", err)
		}
	}
	return nil
}

func (t *txn) CreateInstanceProfile(ctx context.Context, p *storage.InstanceProfile) error {
	return t.createEntity(ctx, kindProfile, p.AccountID, p.Name, p.Path, p.ID, p)
}

func (t *txn) oneProfile(ctx context.Context, p *storage.InstanceProfile, err error) (*storage.InstanceProfile, error) {
	if err != nil {
		return nil, err
	}
	return p, t.fillRoles(ctx, []*storage.InstanceProfile{p})
}

func (t *txn) GetInstanceProfile(ctx context.Context, acct, name string) (*storage.InstanceProfile, error) {
	p, err := getEntity[storage.InstanceProfile](ctx, t, kindProfile, acct, name)
	return t.oneProfile(ctx, p, err)
}

func (t *txn) GetInstanceProfileByID(ctx context.Context, id string) (*storage.InstanceProfile, error) {
	p, err := getEntityByID[storage.InstanceProfile](ctx, t, kindProfile, id)
	return t.oneProfile(ctx, p, err)
}

func (t *txn) UpdateInstanceProfile(ctx context.Context, name string, p *storage.InstanceProfile) error {
	return t.updateEntity(ctx, kindProfile, p.AccountID, name, p.Name, p.Path, p.ID, p)
}

func (t *txn) DeleteInstanceProfile(ctx context.Context, acct, name string) error {
	return t.deleteEntity(ctx, kindProfile, acct, name)
}

func (t *txn) ListInstanceProfiles(ctx context.Context, acct string, opts storage.ListOptions) ([]*storage.InstanceProfile, error) {
	ps, err := listEntities[storage.InstanceProfile](ctx, t, kindProfile, acct, opts)
	if err != nil {
		return nil, err
	}
	return ps, t.fillRoles(ctx, ps)
}

func (t *txn) AddRoleToInstanceProfile(ctx context.Context, acct, profile, role string) error {
	if err := t.entityExists(ctx, kindProfile, acct, profile); err != nil {
		return err
	}
	if err := t.entityExists(ctx, kindRole, acct, role); err != nil {
		return err
	}
	n, err := t.exec(ctx, `INSERT INTO profile_roles (account_id, profile_key, role_key) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
		acct, storage.Fold(profile), storage.Fold(role))
	if err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("role %q in instance profile %q: %w", role, profile, storage.ErrAlreadyExists)
	}
	t.changed(storage.ChangeInstanceProfile, acct, storage.Fold(profile))
	return nil
}

func (t *txn) RemoveRoleFromInstanceProfile(ctx context.Context, acct, profile, role string) error {
	n, err := t.exec(ctx, `DELETE FROM profile_roles WHERE account_id = $1 AND profile_key = $2 AND role_key = $3`,
		acct, storage.Fold(profile), storage.Fold(role))
	if err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("role %q in instance profile %q: %w", role, profile, storage.ErrNotFound)
	}
	t.changed(storage.ChangeInstanceProfile, acct, storage.Fold(profile))
	return nil
}

func (t *txn) ListInstanceProfilesForRole(ctx context.Context, acct, role string, opts storage.ListOptions) ([]*storage.InstanceProfile, error) {
	if err := t.entityExists(ctx, kindRole, acct, role); err != nil {
		return nil, err
	}
	q, args := page(`SELECT e.data FROM profile_roles r JOIN entities e
		ON e.account_id = r.account_id AND e.kind = r.profile_kind AND e.fkey = r.profile_key
		WHERE r.account_id = $1 AND r.role_key = $2`, []any{acct, storage.Fold(role)}, opts, "r.profile_key", "e.path", true)
	rows, err := t.query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	ps, err := collect[storage.InstanceProfile](rows)
	if err != nil {
		return nil, err
	}
	return ps, t.fillRoles(ctx, ps)
}
