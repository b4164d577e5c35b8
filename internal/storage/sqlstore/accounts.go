package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/iamd/iamd/internal/storage"
)

func (t *txn) CreateAccount(ctx context.Context, a *storage.Account) error {
	if a.ID == "" {
		return errors.New("storage: account ID is required")
	}
	data, err := marshal(a)
	if err != nil {
		return err
	}
	n, err := t.exec(ctx, `INSERT INTO accounts (id, data) VALUES ($1, $2) ON CONFLICT DO NOTHING`, a.ID, data)
	if err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("account %s: %w", a.ID, storage.ErrAlreadyExists)
	}
	if err := t.setAliases(ctx, a.ID, a.Aliases); err != nil {
		return err
	}
	t.changed(storage.ChangeAccount, a.ID, "")
	return nil
}

func (t *txn) setAliases(ctx context.Context, acct string, aliases []string) error {
	if _, err := t.exec(ctx, `DELETE FROM account_aliases WHERE account_id = $1`, acct); err != nil {
		return err
	}
	for _, al := range aliases {
		n, err := t.exec(ctx, `INSERT INTO account_aliases (alias, account_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`,
			strings.ToLower(al), acct)
		if err != nil {
			return err
		}
		if n == 0 {
			return fmt.Errorf("account alias %q: %w", al, storage.ErrAlreadyExists)
		}
	}
	return nil
}

func (t *txn) GetAccount(ctx context.Context, id string) (*storage.Account, error) {
	var data string
	if err := t.row(ctx, `SELECT data FROM accounts WHERE id = $1`, id).Scan(&data); err != nil {
		return nil, scanErr(err, "account", id)
	}
	a := new(storage.Account)
	return a, unmarshal(data, a)
}

func (t *txn) GetAccountByAlias(ctx context.Context, alias string) (*storage.Account, error) {
	var data string
	err := t.row(ctx, `SELECT a.data FROM account_aliases l JOIN accounts a ON a.id = l.account_id WHERE l.alias = $1`,
		strings.ToLower(alias)).Scan(&data)
	if err != nil {
		return nil, scanErr(err, "account alias", alias)
	}
	a := new(storage.Account)
	return a, unmarshal(data, a)
}

func (t *txn) UpdateAccount(ctx context.Context, a *storage.Account) error {
	data, err := marshal(a)
	if err != nil {
		return err
	}
	n, err := t.exec(ctx, `UPDATE accounts SET data = $2 WHERE id = $1`, a.ID, data)
	if err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("account %s: %w", a.ID, storage.ErrNotFound)
	}
	if err := t.setAliases(ctx, a.ID, a.Aliases); err != nil {
		return err
	}
	t.changed(storage.ChangeAccount, a.ID, "")
	return nil
}

func (t *txn) DeleteAccount(ctx context.Context, id string) error {
	n, err := t.exec(ctx, `DELETE FROM accounts WHERE id = $1`, id)
	if err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("account %s: %w", id, storage.ErrNotFound)
	}
	// Its counters went by cascade; changes to them still in memory must not bring them back.
	for _, m := range []map[counterKey]int64{t.counters, t.group} {
		for k := range m {
			if k.acct == id {
				delete(m, k)
			}
		}
	}
	t.changed(storage.ChangeAccount, id, "")
	// Everything in the account went: caches keyed by access key ID cannot tell which were its.
	t.changed(storage.ChangeAll, id, "")
	return nil
}

func (t *txn) ListAccounts(ctx context.Context, opts storage.ListOptions) ([]*storage.Account, error) {
	opts.PathPrefix = ""
	q, args := page(`SELECT data FROM accounts WHERE 1 = 1`, nil, opts, "id", "", false)
	rows, err := t.query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	return collect[storage.Account](rows)
}

// --- counters ---------------------------------------------------------------------------------------

func (t *txn) Counts(ctx context.Context, acct string) (storage.Counts, error) {
	var c storage.Counts
	rows, err := t.query(ctx, `SELECT name, sum(value) FROM counters WHERE account_id = $1 GROUP BY name`, acct)
	if err != nil {
		return c, err
	}
	defer rows.Close()
	fields := map[string]*int64{
		cUsers: &c.Users, cGroups: &c.Groups, cRoles: &c.Roles, cPolicies: &c.Policies,
		cPolicyVersionsInUse: &c.PolicyVersionsInUse, cInstanceProfiles: &c.InstanceProfiles,
		cMFADevices: &c.MFADevices, cMFADevicesInUse: &c.MFADevicesInUse, cProviders: &c.Providers,
		cServerCertificates: &c.ServerCertificates, cRootAccessKeys: &c.RootAccessKeys,
		cRootSigningCertificates: &c.RootSigningCertificates, cRootMFADevices: &c.RootMFADevices,
	}
	for rows.Next() {
		var name string
		var v int64
		if err := rows.Scan(&name, &v); err != nil {
			return c, fmt.Errorf("storage: scan: %w", err)
		}
		if p, ok := fields[name]; ok {
			*p = v
		}
	}
	if err := rows.Err(); err != nil {
		return c, fmt.Errorf("storage: rows: %w", err)
	}
	// Changes of this transaction not written yet (see bump).
	for _, m := range []map[counterKey]int64{t.group, t.counters} {
		for k, d := range m {
			if p, ok := fields[k.name]; ok && k.acct == acct {
				*p += d
			}
		}
	}
	return c, nil
}
