package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/iamd/iamd/internal/storage"
)

// validAccessOwner accepts the principals access advisor records: users and roles (a group never
// signs a request; its report is derived from its members').
func validAccessOwner(kind storage.OwnerKind) error {
	if kind != storage.OwnerUser && kind != storage.OwnerRole {
		return fmt.Errorf("storage: invalid service access owner kind %q", kind)
	}
	return nil
}

// RecordServiceAccess upserts one access row, keeping the later of the stored and the new access. The
// row is inserted from the owner's entity row found by unique ID, so an owner deleted meanwhile (or
// recreated under the same name) records nothing rather than failing the batch it is written in. It publishes no change: no cache holds access advisor data.
func (t *txn) RecordServiceAccess(ctx context.Context, acct string, a storage.ServiceAccess) error {
	if err := validAccessOwner(a.Kind); err != nil {
		return err
	}
	_, err := t.exec(ctx, `INSERT INTO service_access (account_id, owner_kind, owner_key, namespace, action, at, region)
		SELECT account_id, kind, fkey, $4, $5, $6, $7 FROM entities WHERE account_id = $1 AND kind = $2 AND id = $3
		ON CONFLICT (account_id, owner_kind, owner_key, namespace, action)
		DO UPDATE SET at = excluded.at, region = excluded.region WHERE excluded.at > service_access.at`,
		acct, string(a.Kind), a.OwnerID, a.Namespace, a.Action, a.At.UTC().UnixNano(), a.Region)
	return err
}

// ListServiceAccess returns an owner's access rows ordered by namespace and action.
func (t *txn) ListServiceAccess(ctx context.Context, acct string, kind storage.OwnerKind, owner string) ([]storage.ServiceAccess, error) {
	if err := validAccessOwner(kind); err != nil {
		return nil, err
	}
	rows, err := t.query(ctx, `SELECT namespace, action, at, region FROM service_access
		WHERE account_id = $1 AND owner_kind = $2 AND owner_key = $3 ORDER BY namespace, action`,
		acct, string(kind), storage.Fold(owner))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []storage.ServiceAccess
	for rows.Next() {
		a := storage.ServiceAccess{Kind: kind, Owner: owner}
		var at int64
		if err := rows.Scan(&a.Namespace, &a.Action, &at, &a.Region); err != nil {
			return nil, fmt.Errorf("storage: scan: %w", err)
		}
		a.At = time.Unix(0, at).UTC()
		out = append(out, a)
	}
	return out, rows.Err()
}
