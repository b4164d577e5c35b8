package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/iamd/iamd/internal/storage"
)

const mfaSelect = `SELECT m.data, e.name, m.root FROM mfa_devices m LEFT JOIN entities e
	ON e.account_id = m.account_id AND e.kind = m.user_kind AND e.fkey = m.user_key
	WHERE m.account_id = $1`

func scanMFA(rows resultRows) ([]*storage.MFADevice, error) {
	defer rows.Close()
	var out []*storage.MFADevice
	for rows.Next() {
		var data string
		var user sql.NullString
		var root int64
		if err := rows.Scan(&data, &user, &root); err != nil {
			return nil, fmt.Errorf("storage: scan: %w", err)
		}
		d := new(storage.MFADevice)
		if err := unmarshal(data, d); err != nil {
			return nil, err
		}
		d.UserName, d.Root = user.String, root != 0
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("storage: rows: %w", err)
	}
	return out, nil
}

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// mfaCounts adjusts the MFA counters by the difference between an old and a new device (nil = none).
func (t *txn) mfaCounts(ctx context.Context, acct string, old, cur *storage.MFADevice) error {
	var dev, inUse, root int64
	if old != nil {
		dev, inUse, root = dev-1, inUse-boolInt(old.Assigned()), root-boolInt(old.Root)
	}
	if cur != nil {
		dev, inUse, root = dev+1, inUse+boolInt(cur.Assigned()), root+boolInt(cur.Root)
	}
	if err := t.bump(ctx, acct, cMFADevices, dev); err != nil {
		return err
	}
	if err := t.bump(ctx, acct, cMFADevicesInUse, inUse); err != nil {
		return err
	}
	return t.bump(ctx, acct, cRootMFADevices, root)
}

func (t *txn) CreateMFADevice(ctx context.Context, d *storage.MFADevice) error {
	if d.Name == "" {
		return errors.New("storage: MFA device name is required")
	}
	if d.Root && d.UserName != "" {
		return errors.New("storage: an MFA device is assigned to a user or to root, not both")
	}
	if err := t.requireOwner(ctx, d.AccountID, d.UserName); err != nil {
		return err
	}
	data, err := marshal(d)
	if err != nil {
		return err
	}
	uk, ukey := ownerCols(d.UserName)
	n, err := t.exec(ctx, `INSERT INTO mfa_devices (account_id, fkey, path, user_kind, user_key, root, data)
		VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING`,
		d.AccountID, storage.Fold(d.Name), d.Path, uk, ukey, boolInt(d.Root), data)
	if err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("MFA device %q: %w", d.Name, storage.ErrAlreadyExists)
	}
	t.changed(storage.ChangeMFADevice, d.AccountID, storage.Fold(d.Name))
	return t.mfaCounts(ctx, d.AccountID, nil, d)
}

func (t *txn) GetMFADevice(ctx context.Context, acct, name string) (*storage.MFADevice, error) {
	rows, err := t.query(ctx, mfaSelect+` AND m.fkey = $2`, acct, storage.Fold(name))
	if err != nil {
		return nil, err
	}
	ds, err := scanMFA(rows)
	if err != nil {
		return nil, err
	}
	if len(ds) == 0 {
		return nil, fmt.Errorf("MFA device %q: %w", name, storage.ErrNotFound)
	}
	return ds[0], nil
}

func (t *txn) UpdateMFADevice(ctx context.Context, d *storage.MFADevice) error {
	if d.Root && d.UserName != "" {
		return errors.New("storage: an MFA device is assigned to a user or to root, not both")
	}
	old, err := t.GetMFADevice(ctx, d.AccountID, d.Name)
	if err != nil {
		return err
	}
	if d.UserName != "" {
		if err := t.entityExists(ctx, kindUser, d.AccountID, d.UserName); err != nil {
			return err
		}
	}
	data, err := marshal(d)
	if err != nil {
		return err
	}
	uk, ukey := ownerCols(d.UserName)
	if _, err := t.exec(ctx, `UPDATE mfa_devices SET path = $3, user_kind = $4, user_key = $5, root = $6, data = $7
		WHERE account_id = $1 AND fkey = $2`,
		d.AccountID, storage.Fold(d.Name), d.Path, uk, ukey, boolInt(d.Root), data); err != nil {
		return err
	}
	t.changed(storage.ChangeMFADevice, d.AccountID, storage.Fold(d.Name))
	return t.mfaCounts(ctx, d.AccountID, old, d)
}

func (t *txn) DeleteMFADevice(ctx context.Context, acct, name string) error {
	old, err := t.GetMFADevice(ctx, acct, name)
	if err != nil {
		return err
	}
	if _, err := t.exec(ctx, `DELETE FROM mfa_devices WHERE account_id = $1 AND fkey = $2`, acct, storage.Fold(name)); err != nil {
		return err
	}
	t.changed(storage.ChangeMFADevice, acct, storage.Fold(name))
	return t.mfaCounts(ctx, acct, old, nil)
}

func (t *txn) ListMFADevices(ctx context.Context, acct string, f storage.MFAFilter, opts storage.ListOptions) ([]*storage.MFADevice, error) {
	q, args := mfaSelect, []any{acct}
	if f.UserName != "" {
		args = append(args, storage.Fold(f.UserName))
		q += fmt.Sprintf(" AND m.user_key = $%d", len(args))
	}
	if f.Root {
		q += " AND m.root = 1"
	}
	if f.Assigned != nil {
		if *f.Assigned {
			q += " AND (m.user_key IS NOT NULL OR m.root = 1)"
		} else {
			q += " AND m.user_key IS NULL AND m.root = 0"
		}
	}
	q, args = page(q, args, opts, "m.fkey", "m.path", true)
	rows, err := t.query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	return scanMFA(rows)
}
