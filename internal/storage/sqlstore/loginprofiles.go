package sqlstore

import (
	"context"
	"fmt"

	"github.com/iamd/iamd/internal/storage"
)

func (t *txn) CreateLoginProfile(ctx context.Context, p *storage.LoginProfile) error {
	if err := t.entityExists(ctx, kindUser, p.AccountID, p.UserName); err != nil {
		return err
	}
	data, err := marshal(p)
	if err != nil {
		return err
	}
	n, err := t.exec(ctx, `INSERT INTO login_profiles (account_id, user_key, data) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
		p.AccountID, storage.Fold(p.UserName), data)
	if err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("login profile of %q: %w", p.UserName, storage.ErrAlreadyExists)
	}
	t.changed(storage.ChangeLoginProfile, p.AccountID, storage.Fold(p.UserName))
	return nil
}

func (t *txn) GetLoginProfile(ctx context.Context, acct, userName string) (*storage.LoginProfile, error) {
	var data, name string
	err := t.row(ctx, `SELECT l.data, e.name FROM login_profiles l JOIN entities e
		ON e.account_id = l.account_id AND e.kind = l.user_kind AND e.fkey = l.user_key
		WHERE l.account_id = $1 AND l.user_key = $2`, acct, storage.Fold(userName)).Scan(&data, &name)
	if err != nil {
		return nil, scanErr(err, "login profile of", userName)
	}
	p := new(storage.LoginProfile)
	if err := unmarshal(data, p); err != nil {
		return nil, err
	}
	p.UserName = name
	return p, nil
}

func (t *txn) UpdateLoginProfile(ctx context.Context, p *storage.LoginProfile) error {
	data, err := marshal(p)
	if err != nil {
		return err
	}
	n, err := t.exec(ctx, `UPDATE login_profiles SET data = $3 WHERE account_id = $1 AND user_key = $2`,
		p.AccountID, storage.Fold(p.UserName), data)
	if err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("login profile of %q: %w", p.UserName, storage.ErrNotFound)
	}
	t.changed(storage.ChangeLoginProfile, p.AccountID, storage.Fold(p.UserName))
	return nil
}

func (t *txn) DeleteLoginProfile(ctx context.Context, acct, userName string) error {
	n, err := t.exec(ctx, `DELETE FROM login_profiles WHERE account_id = $1 AND user_key = $2`, acct, storage.Fold(userName))
	if err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("login profile of %q: %w", userName, storage.ErrNotFound)
	}
	t.changed(storage.ChangeLoginProfile, acct, storage.Fold(userName))
	return nil
}
