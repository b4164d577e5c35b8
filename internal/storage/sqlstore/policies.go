package sqlstore

import (
	"context"
	"fmt"
	"strconv"

	"github.com/iamd/iamd/internal/storage"
)

// policySelect reads a policy with its attachment and boundary counts, matched by policy_ref.
const policySelect = `SELECT e.data,
	(SELECT count(*) FROM attachments a WHERE a.account_id = e.account_id AND a.policy_ref = e.account_id || ':policy' || e.path || e.name),
	(SELECT count(*) FROM boundaries b WHERE b.account_id = e.account_id AND b.policy_ref = e.account_id || ':policy' || e.path || e.name)
	FROM entities e WHERE e.kind = 'policy'`

func scanPolicies(rows resultRows) ([]*storage.ManagedPolicy, error) {
	defer rows.Close()
	var out []*storage.ManagedPolicy
	for rows.Next() {
		var data string
		var att, bnd int64
		if err := rows.Scan(&data, &att, &bnd); err != nil {
			return nil, fmt.Errorf("storage: scan: %w", err)
		}
		p := new(storage.ManagedPolicy)
		if err := unmarshal(data, p); err != nil {
			return nil, err
		}
		p.AttachmentCount, p.PermissionsBoundaryUsageCount = att, bnd
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("storage: rows: %w", err)
	}
	return out, nil
}

func (t *txn) onePolicy(ctx context.Context, what, name, query string, args ...any) (*storage.ManagedPolicy, error) {
	rows, err := t.query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	ps, err := scanPolicies(rows)
	if err != nil {
		return nil, err
	}
	if len(ps) == 0 {
		return nil, fmt.Errorf("%s %q: %w", what, name, storage.ErrNotFound)
	}
	return ps[0], nil
}

func (t *txn) CreateManagedPolicy(ctx context.Context, p *storage.ManagedPolicy) error {
	if p.NextVersion < 1 {
		p.NextVersion = 1
	}
	return t.createEntity(ctx, kindPolicy, p.AccountID, p.Name, p.Path, p.ID, p)
}

func (t *txn) GetManagedPolicy(ctx context.Context, acct, name string) (*storage.ManagedPolicy, error) {
	return t.onePolicy(ctx, "policy", name, policySelect+` AND e.account_id = $1 AND e.fkey = $2`, acct, storage.Fold(name))
}

func (t *txn) GetManagedPolicyByID(ctx context.Context, id string) (*storage.ManagedPolicy, error) {
	return t.onePolicy(ctx, "policy ID", id, policySelect+` AND e.id = $1`, id)
}

func (t *txn) UpdateManagedPolicy(ctx context.Context, name string, p *storage.ManagedPolicy) error {
	cur, err := getEntity[storage.ManagedPolicy](ctx, t, kindPolicy, p.AccountID, name)
	if err != nil {
		return err
	}
	// CreatePolicyVersion advances NextVersion; a caller's older copy must not move it back and so
	// reuse a version ID.
	p.NextVersion = max(p.NextVersion, cur.NextVersion)
	return t.updateEntity(ctx, kindPolicy, p.AccountID, name, p.Name, p.Path, p.ID, p)
}

func (t *txn) DeleteManagedPolicy(ctx context.Context, acct, name string) error {
	var n int64
	if err := t.row(ctx, `SELECT count(*) FROM policy_versions WHERE account_id = $1 AND policy_key = $2`,
		acct, storage.Fold(name)).Scan(&n); err != nil {
		return fmt.Errorf("storage: policy versions: %w", err)
	}
	if err := t.deleteEntity(ctx, kindPolicy, acct, name); err != nil {
		return err
	}
	return t.bump(ctx, acct, cPolicyVersionsInUse, -n)
}

func (t *txn) ListManagedPolicies(ctx context.Context, acct string, opts storage.ListOptions) ([]*storage.ManagedPolicy, error) {
	q, args := page(policySelect+` AND e.account_id = $1`, []any{acct}, opts, "e.fkey", "e.path", true)
	rows, err := t.query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	return scanPolicies(rows)
}

// --- policy versions --------------------------------------------------------------------------------

func parseVersionID(id string) (int64, bool) {
	if len(id) < 2 || (id[0] != 'v' && id[0] != 'V') {
		return 0, false
	}
	n, err := strconv.ParseInt(id[1:], 10, 64)
	return n, err == nil && n > 0
}

func (t *txn) CreatePolicyVersion(ctx context.Context, acct, policy string, v *storage.PolicyVersion) error {
	p, err := getEntity[storage.ManagedPolicy](ctx, t, kindPolicy, acct, policy)
	if err != nil {
		return err
	}
	num := max(p.NextVersion, 1)
	v.VersionID = "v" + strconv.Itoa(num)
	p.NextVersion = num + 1
	data, err := marshal(v)
	if err != nil {
		return err
	}
	if _, err := t.exec(ctx, `INSERT INTO policy_versions (account_id, policy_key, num, data) VALUES ($1, $2, $3, $4)`,
		acct, storage.Fold(policy), num, data); err != nil {
		return err
	}
	pdata, err := marshal(p)
	if err != nil {
		return err
	}
	if _, err := t.exec(ctx, `UPDATE entities SET data = $4 WHERE account_id = $1 AND kind = $2 AND fkey = $3`,
		acct, kindPolicy, storage.Fold(policy), pdata); err != nil {
		return err
	}
	t.changed(storage.ChangePolicy, acct, storage.Fold(policy))
	return t.bump(ctx, acct, cPolicyVersionsInUse, 1)
}

func (t *txn) GetPolicyVersion(ctx context.Context, acct, policy, versionID string) (*storage.PolicyVersion, error) {
	num, ok := parseVersionID(versionID)
	if !ok {
		return nil, fmt.Errorf("policy %q version %q: %w", policy, versionID, storage.ErrNotFound)
	}
	var data string
	err := t.row(ctx, `SELECT data FROM policy_versions WHERE account_id = $1 AND policy_key = $2 AND num = $3`,
		acct, storage.Fold(policy), num).Scan(&data)
	if err != nil {
		return nil, scanErr(err, "policy version", policy+" "+versionID)
	}
	v := new(storage.PolicyVersion)
	return v, unmarshal(data, v)
}

func (t *txn) DeletePolicyVersion(ctx context.Context, acct, policy, versionID string) error {
	num, ok := parseVersionID(versionID)
	if !ok {
		return fmt.Errorf("policy %q version %q: %w", policy, versionID, storage.ErrNotFound)
	}
	n, err := t.exec(ctx, `DELETE FROM policy_versions WHERE account_id = $1 AND policy_key = $2 AND num = $3`,
		acct, storage.Fold(policy), num)
	if err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("policy %q version %q: %w", policy, versionID, storage.ErrNotFound)
	}
	t.changed(storage.ChangePolicy, acct, storage.Fold(policy))
	return t.bump(ctx, acct, cPolicyVersionsInUse, -1)
}

func (t *txn) ListPolicyVersions(ctx context.Context, acct, policy string) ([]*storage.PolicyVersion, error) {
	if err := t.entityExists(ctx, kindPolicy, acct, policy); err != nil {
		return nil, err
	}
	rows, err := t.query(ctx, `SELECT data FROM policy_versions WHERE account_id = $1 AND policy_key = $2 ORDER BY num DESC`,
		acct, storage.Fold(policy))
	if err != nil {
		return nil, err
	}
	return collect[storage.PolicyVersion](rows)
}
