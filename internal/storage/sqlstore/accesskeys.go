package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/iamd/iamd/internal/storage"
)

// ownerCols returns the user_kind/user_key columns of a credential owner ("" = root → NULLs).
func ownerCols(user string) (kind, key sql.NullString) {
	if user == "" {
		return kind, key
	}
	return sql.NullString{String: kindUser, Valid: true}, sql.NullString{String: storage.Fold(user), Valid: true}
}

// requireOwner checks the account and, for a user credential, the user.
func (t *txn) requireOwner(ctx context.Context, acct, user string) error {
	if user == "" {
		return t.requireAccount(ctx, acct)
	}
	// A user's row implies its account's (entities.account_id references accounts): one query, not two.
	return t.entityExists(ctx, kindUser, acct, user)
}

const keySelect = `SELECT k.data, e.name FROM access_keys k LEFT JOIN entities e
	ON e.account_id = k.account_id AND e.kind = k.user_kind AND e.fkey = k.user_key`

func scanKeys(rows resultRows) ([]*storage.AccessKey, error) {
	defer rows.Close()
	var out []*storage.AccessKey
	for rows.Next() {
		var data string
		var user sql.NullString
		if err := rows.Scan(&data, &user); err != nil {
			return nil, fmt.Errorf("storage: scan: %w", err)
		}
		k := new(storage.AccessKey)
		if err := unmarshal(data, k); err != nil {
			return nil, err
		}
		// The owner's current name comes from the join: a rename does not rewrite the key.
		k.UserName = user.String
		out = append(out, k)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("storage: rows: %w", err)
	}
	return out, nil
}

func (t *txn) CreateAccessKey(ctx context.Context, k *storage.AccessKey) error {
	if k.ID == "" {
		return errors.New("storage: access key ID is required")
	}
	if err := t.requireOwner(ctx, k.AccountID, k.UserName); err != nil {
		return err
	}
	data, err := marshal(k)
	if err != nil {
		return err
	}
	uk, ukey := ownerCols(k.UserName)
	n, err := t.exec(ctx, `INSERT INTO access_keys (id, account_id, user_kind, user_key, data) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT DO NOTHING`, k.ID, k.AccountID, uk, ukey, data)
	if err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("access key %s: %w", k.ID, storage.ErrAlreadyExists)
	}
	if k.UserName == "" {
		if err := t.bump(ctx, k.AccountID, cRootAccessKeys, 1); err != nil {
			return err
		}
	}
	t.changed(storage.ChangeAccessKey, k.AccountID, k.ID)
	return nil
}

func (t *txn) GetAccessKey(ctx context.Context, keyID string) (*storage.AccessKey, error) {
	rows, err := t.query(ctx, keySelect+` WHERE k.id = $1`, keyID)
	if err != nil {
		return nil, err
	}
	ks, err := scanKeys(rows)
	if err != nil {
		return nil, err
	}
	if len(ks) == 0 {
		return nil, fmt.Errorf("access key %s: %w", keyID, storage.ErrNotFound)
	}
	return ks[0], nil
}

func (t *txn) UpdateAccessKey(ctx context.Context, k *storage.AccessKey) error {
	data, err := marshal(k)
	if err != nil {
		return err
	}
	// The owner and account of a key never change; only its data does.
	n, err := t.exec(ctx, `UPDATE access_keys SET data = $2 WHERE id = $1`, k.ID, data)
	if err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("access key %s: %w", k.ID, storage.ErrNotFound)
	}
	t.changed(storage.ChangeAccessKey, k.AccountID, k.ID)
	return nil
}

func (t *txn) DeleteAccessKey(ctx context.Context, keyID string) error {
	var acct string
	var ukey sql.NullString
	err := t.row(ctx, `SELECT account_id, user_key FROM access_keys WHERE id = $1`, keyID).Scan(&acct, &ukey)
	if err != nil {
		return scanErr(err, "access key", keyID)
	}
	if _, err := t.exec(ctx, `DELETE FROM access_keys WHERE id = $1`, keyID); err != nil {
		return err
	}
	if !ukey.Valid {
		if err := t.bump(ctx, acct, cRootAccessKeys, -1); err != nil {
			return err
		}
	}
	t.changed(storage.ChangeAccessKey, acct, keyID)
	return nil
}

func (t *txn) ListAccessKeys(ctx context.Context, acct, userName string) ([]*storage.AccessKey, error) {
	if err := t.requireOwner(ctx, acct, userName); err != nil {
		return nil, err
	}
	var rows resultRows
	var err error
	if userName == "" {
		rows, err = t.query(ctx, keySelect+` WHERE k.account_id = $1 AND k.user_key IS NULL ORDER BY k.id`, acct)
	} else {
		rows, err = t.query(ctx, keySelect+` WHERE k.account_id = $1 AND k.user_key = $2 ORDER BY k.id`, acct, storage.Fold(userName))
	}
	if err != nil {
		return nil, err
	}
	return scanKeys(rows)
}
