package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/iamd/iamd/internal/storage"
)

// --- attachments ------------------------------------------------------------------------------------

func (t *txn) AttachPolicy(ctx context.Context, acct string, kind storage.OwnerKind, owner, policyARN string) error {
	if err := validOwner(kind); err != nil {
		return err
	}
	if err := t.entityExists(ctx, string(kind), acct, owner); err != nil {
		return err
	}
	n, err := t.exec(ctx, `INSERT INTO attachments (account_id, owner_kind, owner_key, policy_arn, policy_ref)
		VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`,
		acct, string(kind), storage.Fold(owner), policyARN, policyRef(policyARN))
	if err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("policy %s on %s %q: %w", policyARN, kind, owner, storage.ErrAlreadyExists)
	}
	t.changed(storage.ChangeAttachment, acct, ownerKey(kind, owner))
	return nil
}

func (t *txn) DetachPolicy(ctx context.Context, acct string, kind storage.OwnerKind, owner, policyARN string) error {
	n, err := t.exec(ctx, `DELETE FROM attachments WHERE account_id = $1 AND owner_kind = $2 AND owner_key = $3 AND policy_arn = $4`,
		acct, string(kind), storage.Fold(owner), policyARN)
	if err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("policy %s on %s %q: %w", policyARN, kind, owner, storage.ErrNotFound)
	}
	t.changed(storage.ChangeAttachment, acct, ownerKey(kind, owner))
	return nil
}

// arnPath is the path of a policy ARN (arn:aws:iam::123:policy/a/b/Name → /a/b/).
func arnPath(arn string) string {
	i := strings.Index(arn, ":policy/")
	if i < 0 {
		return "/"
	}
	res := arn[i+len(":policy"):]
	return res[:strings.LastIndexByte(res, '/')+1]
}

func (t *txn) ListAttachedPolicies(ctx context.Context, acct string, kind storage.OwnerKind, owner string, opts storage.ListOptions) ([]string, error) {
	if err := validOwner(kind); err != nil {
		return nil, err
	}
	// An owner has at most a few dozen attachments (IAM quota 10, at most 20), so the path filter, which
	// needs the path out of the ARN, runs here rather than in SQL. The owner's existence comes with the
	// attachments (no row: no owner; one NULL: none attached), so that a View of this alone is one
	// statement (see viewRunner).
	rows, err := t.query(ctx, `SELECT a.policy_arn FROM entities e LEFT JOIN attachments a
		ON a.account_id = e.account_id AND a.owner_kind = e.kind AND a.owner_key = e.fkey
		WHERE e.account_id = $1 AND e.kind = $2 AND e.fkey = $3 ORDER BY a.policy_arn`, acct, string(kind), storage.Fold(owner))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	found := false
	var out []string
	for rows.Next() {
		found = true
		var a sql.NullString
		if err := rows.Scan(&a); err != nil {
			return nil, fmt.Errorf("storage: scan: %w", err)
		}
		arn := a.String
		if !a.Valid || opts.After != "" && arn <= opts.After {
			continue
		}
		if !strings.HasPrefix(arnPath(arn), opts.PathPrefix) {
			continue
		}
		if opts.Limit > 0 && len(out) == opts.Limit {
			break
		}
		out = append(out, arn)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("storage: rows: %w", err)
	}
	if !found {
		return nil, fmt.Errorf("%s %q: %w", kind, owner, storage.ErrNotFound)
	}
	return out, nil
}

func (t *txn) ListEntitiesForPolicy(ctx context.Context, acct, policyARN string, opts storage.ListOptions) ([]storage.Owner, error) {
	return t.listOwners(ctx, "attachments", acct, policyARN, opts)
}

func (t *txn) ListBoundaryEntities(ctx context.Context, acct, policyARN string, opts storage.ListOptions) ([]storage.Owner, error) {
	return t.listOwners(ctx, "boundaries", acct, policyARN, opts)
}

// listOwners lists the owners in a relation table (attachments or boundaries) that use a policy.
func (t *txn) listOwners(ctx context.Context, table, acct, policyARN string, opts storage.ListOptions) ([]storage.Owner, error) {
	q, args := page(`SELECT a.owner_kind, e.name FROM `+table+` a JOIN entities e
		ON e.account_id = a.account_id AND e.kind = a.owner_kind AND e.fkey = a.owner_key
		WHERE a.account_id = $1 AND a.policy_ref = $2`, []any{acct, policyRef(policyARN)}, opts,
		"a.owner_kind || ':' || a.owner_key", "e.path", false)
	rows, err := t.query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []storage.Owner
	for rows.Next() {
		var o storage.Owner
		var kind string
		if err := rows.Scan(&kind, &o.Name); err != nil {
			return nil, fmt.Errorf("storage: scan: %w", err)
		}
		o.Kind = storage.OwnerKind(kind)
		out = append(out, o)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("storage: rows: %w", err)
	}
	return out, nil
}

func (t *txn) PolicyUsage(ctx context.Context, acct, policyARN string) (storage.PolicyUsage, error) {
	u := storage.PolicyUsage{ARN: policyARN}
	ref := policyRef(policyARN)
	err := t.row(ctx, `SELECT
		(SELECT count(*) FROM attachments WHERE account_id = $1 AND policy_ref = $2),
		(SELECT count(*) FROM boundaries WHERE account_id = $1 AND policy_ref = $2)`, acct, ref).
		Scan(&u.Attachments, &u.BoundaryUses)
	if err != nil {
		return u, fmt.Errorf("storage: policy usage: %w", err)
	}
	return u, nil
}

func (t *txn) ListPolicyUsage(ctx context.Context, acct string) ([]storage.PolicyUsage, error) {
	rows, err := t.query(ctx, `SELECT 'a', policy_arn, count(*) FROM attachments WHERE account_id = $1 GROUP BY policy_arn
		UNION ALL SELECT 'b', policy_arn, count(*) FROM boundaries WHERE account_id = $1 GROUP BY policy_arn`, acct)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	byARN := map[string]*storage.PolicyUsage{}
	for rows.Next() {
		var which, arn string
		var n int64
		if err := rows.Scan(&which, &arn, &n); err != nil {
			return nil, fmt.Errorf("storage: scan: %w", err)
		}
		u := byARN[arn]
		if u == nil {
			u = &storage.PolicyUsage{ARN: arn}
			byARN[arn] = u
		}
		if which == "a" {
			u.Attachments += n
		} else {
			u.BoundaryUses += n
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("storage: rows: %w", err)
	}
	out := make([]storage.PolicyUsage, 0, len(byARN))
	for _, u := range byARN {
		out = append(out, *u)
	}
	slices.SortFunc(out, func(a, b storage.PolicyUsage) int { return strings.Compare(a.ARN, b.ARN) })
	return out, nil
}

// --- access keys ------------------------------------------------------------------------------------

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

// --- login profiles ---------------------------------------------------------------------------------

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

// --- MFA devices ------------------------------------------------------------------------------------

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

// --- instance profiles ------------------------------------------------------------------------------

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

// --- generic resources ------------------------------------------------------------------------------

func validResource(kind storage.ResourceKind) error {
	switch kind {
	case storage.ResourceOIDCProvider, storage.ResourceSAMLProvider, storage.ResourceServerCertificate:
		return nil
	}
	return fmt.Errorf("storage: invalid resource kind %q", kind)
}

func (t *txn) CreateResource(ctx context.Context, r *storage.Resource) error {
	if err := validResource(r.Kind); err != nil {
		return err
	}
	return t.createEntity(ctx, string(r.Kind), r.AccountID, r.Name, r.Path, r.ID, r)
}

func (t *txn) GetResource(ctx context.Context, acct string, kind storage.ResourceKind, name string) (*storage.Resource, error) {
	if err := validResource(kind); err != nil {
		return nil, err
	}
	return getEntity[storage.Resource](ctx, t, string(kind), acct, name)
}

func (t *txn) GetResourceByID(ctx context.Context, kind storage.ResourceKind, id string) (*storage.Resource, error) {
	if err := validResource(kind); err != nil {
		return nil, err
	}
	return getEntityByID[storage.Resource](ctx, t, string(kind), id)
}

func (t *txn) UpdateResource(ctx context.Context, name string, r *storage.Resource) error {
	if err := validResource(r.Kind); err != nil {
		return err
	}
	return t.updateEntity(ctx, string(r.Kind), r.AccountID, name, r.Name, r.Path, r.ID, r)
}

func (t *txn) DeleteResource(ctx context.Context, acct string, kind storage.ResourceKind, name string) error {
	if err := validResource(kind); err != nil {
		return err
	}
	return t.deleteEntity(ctx, string(kind), acct, name)
}

func (t *txn) ListResources(ctx context.Context, acct string, kind storage.ResourceKind, opts storage.ListOptions) ([]*storage.Resource, error) {
	if err := validResource(kind); err != nil {
		return nil, err
	}
	return listEntities[storage.Resource](ctx, t, string(kind), acct, opts)
}

// --- user credentials -------------------------------------------------------------------------------

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

// --- key ring ---------------------------------------------------------------------------------------

func (t *txn) GetKeyRing(ctx context.Context) (*storage.KeyRing, error) {
	var gen int64
	var data string
	err := t.row(ctx, `SELECT generation, data FROM key_ring WHERE id = 1`).Scan(&gen, &data)
	if errors.Is(err, sql.ErrNoRows) {
		return &storage.KeyRing{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("storage: key ring: %w", err)
	}
	r := &storage.KeyRing{Generation: gen}
	return r, unmarshal(data, &r.Keys)
}

func (t *txn) PutKeyRing(ctx context.Context, expectedGeneration int64, keys []storage.TokenKey) error {
	data, err := marshal(keys)
	if err != nil {
		return err
	}
	var n int64
	if expectedGeneration == 0 {
		n, err = t.exec(ctx, `INSERT INTO key_ring (id, generation, data) VALUES (1, 1, $1) ON CONFLICT DO NOTHING`, data)
	} else {
		n, err = t.exec(ctx, `UPDATE key_ring SET generation = $1, data = $2 WHERE id = 1 AND generation = $3`,
			expectedGeneration+1, data, expectedGeneration)
	}
	if err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("key ring generation %d is stale: %w", expectedGeneration, storage.ErrConflict)
	}
	t.changed(storage.ChangeKeyRing, "", "")
	return nil
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
