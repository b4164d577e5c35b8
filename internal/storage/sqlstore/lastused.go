package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/iamd/iamd/internal/storage"
)

// SetAccessKeyLastUsed stores a key's last use unless a later one is stored. It publishes
// ChangeAccessKeyUsed rather than ChangeAccessKey: only the last-use fields change, so the
// authenticator's cached key (status, secret, owner) stays valid.
func (t *txn) SetAccessKeyLastUsed(ctx context.Context, keyID string, used storage.AccessKeyLastUsed) error {
	k, err := t.GetAccessKey(ctx, keyID)
	if err != nil {
		return err
	}
	if !k.LastUsed.Date.IsZero() && k.LastUsed.Date.After(used.Date) {
		return nil // a later use is recorded already (by another node)
	}
	k.LastUsed = used
	data, err := marshal(k)
	if err != nil {
		return err
	}
	n, err := t.exec(ctx, `UPDATE access_keys SET data = $2 WHERE id = $1`, k.ID, data)
	if err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("access key %s: %w", keyID, storage.ErrNotFound)
	}
	t.changed(storage.ChangeAccessKeyUsed, k.AccountID, k.ID)
	return nil
}

// SetRoleLastUsed stores a role's last use (RoleLastUsed) unless a later one is stored, publishing
// ChangeRoleUsed: the role's policies, trust policy, path and tags are untouched.
func (t *txn) SetRoleLastUsed(ctx context.Context, acct, name string, at time.Time, region string) error {
	r, err := t.GetRole(ctx, acct, name)
	if err != nil {
		return err
	}
	if !r.LastUsedAt.IsZero() && r.LastUsedAt.After(at) {
		return nil
	}
	r.LastUsedAt, r.LastUsedRegion = at, region
	data, err := marshal(r)
	if err != nil {
		return err
	}
	n, err := t.exec(ctx, `UPDATE entities SET data = $4 WHERE account_id = $1 AND kind = $2 AND fkey = $3`,
		acct, kindRole, storage.Fold(name), data)
	if err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("%s %q: %w", kindRole, name, storage.ErrNotFound)
	}
	t.changed(storage.ChangeRoleUsed, acct, storage.Fold(name))
	return nil
}
