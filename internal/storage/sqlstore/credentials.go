package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/iamd/iamd/internal/storage"
)

func validCredential(kind storage.CredentialKind) error {
	switch kind {
	case storage.CredentialSigningCertificate, storage.CredentialSSHPublicKey, storage.CredentialServiceSpecific:
		return nil
	}
	return fmt.Errorf("storage: invalid credential kind %q", kind)
}

const credSelect = `SELECT c.data, e.name FROM credentials c LEFT JOIN entities e
	ON e.account_id = c.account_id AND e.kind = c.user_kind AND e.fkey = c.user_key`

func scanCreds(rows resultRows) ([]*storage.Credential, error) {
	defer rows.Close()
	var out []*storage.Credential
	for rows.Next() {
		var data string
		var user sql.NullString
		if err := rows.Scan(&data, &user); err != nil {
			return nil, fmt.Errorf("storage: scan: %w", err)
		}
		c := new(storage.Credential)
		if err := unmarshal(data, c); err != nil {
			return nil, err
		}
		c.UserName = user.String
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("storage: rows: %w", err)
	}
	return out, nil
}

// rootCredCounter is the counter a root credential of a kind maintains ("" = none).
func rootCredCounter(kind storage.CredentialKind) string {
	if kind == storage.CredentialSigningCertificate {
		return cRootSigningCertificates
	}
	return ""
}

func (t *txn) CreateCredential(ctx context.Context, c *storage.Credential) error {
	if err := validCredential(c.Kind); err != nil {
		return err
	}
	if c.ID == "" {
		return errors.New("storage: credential ID is required")
	}
	if err := t.requireOwner(ctx, c.AccountID, c.UserName); err != nil {
		return err
	}
	data, err := marshal(c)
	if err != nil {
		return err
	}
	uk, ukey := ownerCols(c.UserName)
	n, err := t.exec(ctx, `INSERT INTO credentials (kind, id, account_id, user_kind, user_key, data) VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT DO NOTHING`, string(c.Kind), c.ID, c.AccountID, uk, ukey, data)
	if err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("%s %s: %w", c.Kind, c.ID, storage.ErrAlreadyExists)
	}
	if ctr := rootCredCounter(c.Kind); ctr != "" && c.UserName == "" {
		if err := t.bump(ctx, c.AccountID, ctr, 1); err != nil {
			return err
		}
	}
	t.changed(storage.ChangeCredential, c.AccountID, c.ID)
	return nil
}

func (t *txn) GetCredential(ctx context.Context, kind storage.CredentialKind, id string) (*storage.Credential, error) {
	rows, err := t.query(ctx, credSelect+` WHERE c.kind = $1 AND c.id = $2`, string(kind), id)
	if err != nil {
		return nil, err
	}
	cs, err := scanCreds(rows)
	if err != nil {
		return nil, err
	}
	if len(cs) == 0 {
		return nil, fmt.Errorf("%s %s: %w", kind, id, storage.ErrNotFound)
	}
	return cs[0], nil
}

func (t *txn) UpdateCredential(ctx context.Context, c *storage.Credential) error {
	data, err := marshal(c)
	if err != nil {
		return err
	}
	n, err := t.exec(ctx, `UPDATE credentials SET data = $3 WHERE kind = $1 AND id = $2`, string(c.Kind), c.ID, data)
	if err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("%s %s: %w", c.Kind, c.ID, storage.ErrNotFound)
	}
	t.changed(storage.ChangeCredential, c.AccountID, c.ID)
	return nil
}

func (t *txn) DeleteCredential(ctx context.Context, kind storage.CredentialKind, id string) error {
	var acct string
	var ukey sql.NullString
	err := t.row(ctx, `SELECT account_id, user_key FROM credentials WHERE kind = $1 AND id = $2`, string(kind), id).Scan(&acct, &ukey)
	if err != nil {
		return scanErr(err, string(kind), id)
	}
	if _, err := t.exec(ctx, `DELETE FROM credentials WHERE kind = $1 AND id = $2`, string(kind), id); err != nil {
		return err
	}
	if ctr := rootCredCounter(kind); ctr != "" && !ukey.Valid {
		if err := t.bump(ctx, acct, ctr, -1); err != nil {
			return err
		}
	}
	t.changed(storage.ChangeCredential, acct, id)
	return nil
}

func (t *txn) ListCredentials(ctx context.Context, acct string, kind storage.CredentialKind, userName string) ([]*storage.Credential, error) {
	if err := t.requireOwner(ctx, acct, userName); err != nil {
		return nil, err
	}
	var rows resultRows
	var err error
	if userName == "" {
		rows, err = t.query(ctx, credSelect+` WHERE c.account_id = $1 AND c.kind = $2 AND c.user_key IS NULL ORDER BY c.id`, acct, string(kind))
	} else {
		rows, err = t.query(ctx, credSelect+` WHERE c.account_id = $1 AND c.kind = $2 AND c.user_key = $3 ORDER BY c.id`,
			acct, string(kind), storage.Fold(userName))
	}
	if err != nil {
		return nil, err
	}
	return scanCreds(rows)
}
