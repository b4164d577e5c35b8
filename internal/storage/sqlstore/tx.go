package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/iamd/iamd/internal/storage"
)

// Entity kinds in the entities table. Resource kinds (storage.ResourceKind) share the table.
const (
	kindUser    = "user"
	kindGroup   = "group"
	kindRole    = "role"
	kindPolicy  = "policy"
	kindProfile = "instance-profile"
)

// Counter names in the counters table.
const (
	cUsers                   = "Users"
	cGroups                  = "Groups"
	cRoles                   = "Roles"
	cPolicies                = "Policies"
	cPolicyVersionsInUse     = "PolicyVersionsInUse"
	cInstanceProfiles        = "InstanceProfiles"
	cMFADevices              = "MFADevices"
	cMFADevicesInUse         = "MFADevicesInUse"
	cProviders               = "Providers"
	cServerCertificates      = "ServerCertificates"
	cRootAccessKeys          = "RootAccessKeys"
	cRootSigningCertificates = "RootSigningCertificates"
	cRootMFADevices          = "RootMFADevices"
)

// counterShards is how many rows a counter is spread over (see the counters table).
const counterShards = 16

// kindCounter is the counter a named entity kind maintains.
var kindCounter = map[string]string{
	kindUser:                             cUsers,
	kindGroup:                            cGroups,
	kindRole:                             cRoles,
	kindPolicy:                           cPolicies,
	kindProfile:                          cInstanceProfiles,
	string(storage.ResourceOIDCProvider): cProviders,
	string(storage.ResourceSAMLProvider): cProviders,
	string(storage.ResourceServerCertificate): cServerCertificates,
}

var kindChange = map[string]storage.ChangeKind{
	kindUser:    storage.ChangeUser,
	kindGroup:   storage.ChangeGroup,
	kindRole:    storage.ChangeRole,
	kindPolicy:  storage.ChangePolicy,
	kindProfile: storage.ChangeInstanceProfile,
}

// txn implements storage.Tx over one database transaction.
type txn struct {
	s       *Store
	tx      stmtRunner
	write   bool
	changes []storage.Change
	// counters: this txn's counter changes, not yet written (see bump); group: those of the members of
	// its commit group before it (nil alone).
	counters, group map[counterKey]int64
}

var _ storage.Tx = (*txn)(nil)

func (t *txn) exec(ctx context.Context, query string, args ...any) (int64, error) {
	ctx, err := t.stmtCtx(ctx)
	if err != nil {
		return 0, fmt.Errorf("storage: %w", err)
	}
	res, err := t.tx.exec(ctx, t.s.q(query), args...)
	if err != nil {
		return 0, t.dbErr(err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("storage: rows affected: %w", err)
	}
	return n, nil
}

func (t *txn) query(ctx context.Context, query string, args ...any) (resultRows, error) {
	ctx, err := t.stmtCtx(ctx)
	if err != nil {
		return nil, fmt.Errorf("storage: %w", err)
	}
	rows, err := t.tx.query(ctx, t.s.q(query), args...)
	if err != nil {
		return nil, t.dbErr(err)
	}
	return rows, nil
}

func (t *txn) row(ctx context.Context, query string, args ...any) resultRow {
	// A done context is passed on as it is: the driver then reports its error through the Row.
	ctx, _ = t.stmtCtx(ctx)
	return t.tx.queryRow(ctx, t.s.q(query), args...)
}

// dbErr wraps a database error, mapping unique violations to ErrAlreadyExists.
func (t *txn) dbErr(err error) error {
	if t.s.d.IsUniqueViolation != nil && t.s.d.IsUniqueViolation(err) {
		return fmt.Errorf("storage: %w: %w", storage.ErrAlreadyExists, err)
	}
	return fmt.Errorf("storage: %w", err)
}

// scanErr maps sql.ErrNoRows to ErrNotFound with a description.
func scanErr(err error, what string, name string) error {
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%s %q: %w", what, name, storage.ErrNotFound)
	}
	return fmt.Errorf("storage: %s %q: %w", what, name, err)
}

func (t *txn) changed(kind storage.ChangeKind, acct, key string) {
	if t.write {
		t.changes = append(t.changes, storage.Change{Kind: kind, AccountID: acct, Key: key})
	}
}

// bump adds delta to an account counter in the same transaction as the write it accounts for. The
// change is kept in memory (Counts adds it) and written once per transaction by flushCounters: a bump
// was a statement, so a round trip on PostgreSQL, per entity created or deleted, and a commit group's
// members, which all bump the same few counters, now share one upsert per counter.
func (t *txn) bump(ctx context.Context, acct, counter string, delta int64) error {
	if delta == 0 {
		return nil
	}
	if t.counters == nil {
		t.counters = make(map[counterKey]int64)
	}
	t.counters[counterKey{acct, counter}] += delta
	return nil
}

// counterKey names one account counter.
type counterKey struct{ acct, name string }

// flushCounters writes counter changes, each to a random shard of its counter (see counterShards).
func (s *Store) flushCounters(ctx context.Context, tx *sqlTx, m map[counterKey]int64) error {
	keys := make([]counterKey, 0, len(m))
	for k, d := range m {
		if d != 0 {
			keys = append(keys, k)
		}
	}
	// A fixed order, so that two transactions writing the same shards lock them in the same order.
	slices.SortFunc(keys, func(a, b counterKey) int {
		return cmp.Or(strings.Compare(a.acct, b.acct), strings.Compare(a.name, b.name))
	})
	for _, k := range keys {
		_, err := tx.exec(ctx, s.q(`INSERT INTO counters (account_id, name, shard, value) VALUES ($1, $2, $3, $4)
		ON CONFLICT (account_id, name, shard) DO UPDATE SET value = counters.value + excluded.value`),
			k.acct, k.name, rand.N(counterShards), m[k])
		if err != nil {
			return fmt.Errorf("storage: counter %s of %s: %w", k.name, k.acct, err)
		}
	}
	return nil
}

// mergeCounters adds src's changes to dst.
func mergeCounters(dst, src map[counterKey]int64) {
	for k, d := range src {
		dst[k] += d
	}
}

func (t *txn) requireAccount(ctx context.Context, acct string) error {
	var n int
	if err := t.row(ctx, `SELECT count(*) FROM accounts WHERE id = $1`, acct).Scan(&n); err != nil {
		return fmt.Errorf("storage: account %q: %w", acct, err)
	}
	if n == 0 {
		return fmt.Errorf("account %q: %w", acct, storage.ErrNotFound)
	}
	return nil
}

func (t *txn) entityExists(ctx context.Context, kind, acct, name string) error {
	var n int
	err := t.row(ctx, `SELECT count(*) FROM entities WHERE account_id = $1 AND kind = $2 AND fkey = $3`,
		acct, kind, storage.Fold(name)).Scan(&n)
	if err != nil {
		return fmt.Errorf("storage: %s %q: %w", kind, name, err)
	}
	if n == 0 {
		return fmt.Errorf("%s %q: %w", kind, name, storage.ErrNotFound)
	}
	return nil
}

// page appends the keyset-pagination clauses of opts to a query whose next placeholder is $len(args)+1:
// key > After, path prefix, order and limit.
func page(query string, args []any, opts storage.ListOptions, keyCol, pathCol string, fold bool) (string, []any) {
	var b strings.Builder
	b.WriteString(query)
	if opts.After != "" {
		after := opts.After
		if fold {
			after = storage.Fold(after)
		}
		args = append(args, after)
		fmt.Fprintf(&b, " AND %s > $%d", keyCol, len(args))
	}
	if opts.PathPrefix != "" && pathCol != "" {
		args = append(args, opts.PathPrefix)
		// substr counts characters in both databases; the length is a literal so PostgreSQL need not
		// infer a parameter's type.
		fmt.Fprintf(&b, " AND substr(%s, 1, %d) = $%d", pathCol, utf8.RuneCountInString(opts.PathPrefix), len(args))
	}
	fmt.Fprintf(&b, " ORDER BY %s", keyCol)
	if opts.Limit > 0 {
		fmt.Fprintf(&b, " LIMIT %d", opts.Limit)
	}
	return b.String(), args
}

func marshal(v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("storage: encode: %w", err)
	}
	return string(b), nil
}

func unmarshal(data string, v any) error {
	if err := json.Unmarshal([]byte(data), v); err != nil {
		return fmt.Errorf("storage: decode: %w", err)
	}
	return nil
}

// --- named entities -------------------------------------------------------------------------------

func (t *txn) createEntity(ctx context.Context, kind, acct, name, path, id string, v any) error {
	if name == "" || id == "" {
		return fmt.Errorf("storage: %s: name and ID are required", kind)
	}
	data, err := marshal(v)
	if err != nil {
		return err
	}
	// ON CONFLICT DO NOTHING instead of catching the violation: on PostgreSQL a failed statement aborts
	// the transaction, and callers may want to carry on after ErrAlreadyExists. The account is checked in
	// the same statement (a round trip less on PostgreSQL); only when nothing was inserted does a second
	// query tell a missing account from a taken name.
	n, err := t.exec(ctx, `INSERT INTO entities (account_id, kind, fkey, name, path, id, data)
		SELECT $1, $2, $3, $4, $5, $6, $7 WHERE EXISTS (SELECT 1 FROM accounts WHERE id = $1) ON CONFLICT DO NOTHING`,
		acct, kind, storage.Fold(name), name, path, id, data)
	if err != nil {
		return err
	}
	if n == 0 {
		if err := t.requireAccount(ctx, acct); err != nil {
			return err
		}
		return fmt.Errorf("%s %q (or ID %s): %w", kind, name, id, storage.ErrAlreadyExists)
	}
	if err := t.bump(ctx, acct, kindCounter[kind], 1); err != nil {
		return err
	}
	t.entityChanged(kind, acct, name)
	return nil
}

func (t *txn) entityChanged(kind, acct, name string) {
	if ck, ok := kindChange[kind]; ok {
		t.changed(ck, acct, storage.Fold(name))
		return
	}
	t.changed(storage.ChangeResource, acct, kind+":"+storage.Fold(name))
}

func (t *txn) updateEntity(ctx context.Context, kind, acct, oldName, name, path, id string, v any) error {
	if name == "" || id == "" {
		return fmt.Errorf("storage: %s: name and ID are required", kind)
	}
	if storage.Fold(oldName) != storage.Fold(name) {
		err := t.entityExists(ctx, kind, acct, name)
		if err == nil {
			return fmt.Errorf("%s %q: %w", kind, name, storage.ErrAlreadyExists)
		}
		if !errors.Is(err, storage.ErrNotFound) {
			return err
		}
	}
	data, err := marshal(v)
	if err != nil {
		return err
	}
	n, err := t.exec(ctx, `UPDATE entities SET fkey = $4, name = $5, path = $6, id = $7, data = $8
		WHERE account_id = $1 AND kind = $2 AND fkey = $3`,
		acct, kind, storage.Fold(oldName), storage.Fold(name), name, path, id, data)
	if err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("%s %q: %w", kind, oldName, storage.ErrNotFound)
	}
	t.entityChanged(kind, acct, oldName)
	if storage.Fold(oldName) != storage.Fold(name) {
		t.entityChanged(kind, acct, name)
	}
	return nil
}

func (t *txn) deleteEntity(ctx context.Context, kind, acct, name string) error {
	n, err := t.exec(ctx, `DELETE FROM entities WHERE account_id = $1 AND kind = $2 AND fkey = $3`,
		acct, kind, storage.Fold(name))
	if err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("%s %q: %w", kind, name, storage.ErrNotFound)
	}
	if err := t.bump(ctx, acct, kindCounter[kind], -1); err != nil {
		return err
	}
	t.entityChanged(kind, acct, name)
	return nil
}

func getEntity[T any](ctx context.Context, t *txn, kind, acct, name string) (*T, error) {
	var data string
	err := t.row(ctx, `SELECT data FROM entities WHERE account_id = $1 AND kind = $2 AND fkey = $3`,
		acct, kind, storage.Fold(name)).Scan(&data)
	if err != nil {
		return nil, scanErr(err, kind, name)
	}
	v := new(T)
	return v, unmarshal(data, v)
}

func getEntityByID[T any](ctx context.Context, t *txn, kind, id string) (*T, error) {
	var data string
	err := t.row(ctx, `SELECT data FROM entities WHERE kind = $1 AND id = $2`, kind, id).Scan(&data)
	if err != nil {
		return nil, scanErr(err, kind+" ID", id)
	}
	v := new(T)
	return v, unmarshal(data, v)
}

// collect scans rows of a single JSON column.
func collect[T any](rows resultRows) ([]*T, error) {
	defer rows.Close()
	var out []*T
	for rows.Next() {
		var data string
		if err := rows.Scan(&data); err != nil {
			return nil, fmt.Errorf("storage: scan: %w", err)
		}
		v := new(T)
		if err := unmarshal(data, v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("storage: rows: %w", err)
	}
	return out, nil
}

func listEntities[T any](ctx context.Context, t *txn, kind, acct string, opts storage.ListOptions) ([]*T, error) {
	q, args := page(`SELECT data FROM entities WHERE account_id = $1 AND kind = $2`,
		[]any{acct, kind}, opts, "fkey", "path", true)
	rows, err := t.query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	return collect[T](rows)
}

// --- accounts ---------------------------------------------------------------------------------------

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

// --- users ------------------------------------------------------------------------------------------

func (t *txn) CreateUser(ctx context.Context, u *storage.User) error {
	if err := t.createEntity(ctx, kindUser, u.AccountID, u.Name, u.Path, u.ID, u); err != nil {
		return err
	}
	return t.addBoundary(ctx, u.AccountID, kindUser, u.Name, u.PermissionsBoundaryARN)
}

func (t *txn) GetUser(ctx context.Context, acct, name string) (*storage.User, error) {
	return getEntity[storage.User](ctx, t, kindUser, acct, name)
}

func (t *txn) GetUserByID(ctx context.Context, id string) (*storage.User, error) {
	return getEntityByID[storage.User](ctx, t, kindUser, id)
}

func (t *txn) UpdateUser(ctx context.Context, name string, u *storage.User) error {
	if err := t.updateEntity(ctx, kindUser, u.AccountID, name, u.Name, u.Path, u.ID, u); err != nil {
		return err
	}
	if storage.Fold(name) != storage.Fold(u.Name) {
		// Cached access keys carry the user's name (their principal ARN).
		if err := t.keysChanged(ctx, u.AccountID, u.Name); err != nil {
			return err
		}
	}
	return t.setBoundary(ctx, u.AccountID, kindUser, u.Name, u.PermissionsBoundaryARN)
}

func (t *txn) DeleteUser(ctx context.Context, acct, name string) error {
	if err := t.keysChanged(ctx, acct, name); err != nil {
		return err
	}
	// MFA devices outlive their user (they become unassigned), as in IAM.
	n, err := t.exec(ctx, `UPDATE mfa_devices SET user_kind = NULL, user_key = NULL WHERE account_id = $1 AND user_key = $2`,
		acct, storage.Fold(name))
	if err != nil {
		return err
	}
	if err := t.bump(ctx, acct, cMFADevicesInUse, -n); err != nil {
		return err
	}
	return t.deleteEntity(ctx, kindUser, acct, name)
}

// keysChanged records a change for every access key and credential of a user.
func (t *txn) keysChanged(ctx context.Context, acct, user string) error {
	rows, err := t.query(ctx, `SELECT 'k', id FROM access_keys WHERE account_id = $1 AND user_key = $2
		UNION ALL SELECT 'c', id FROM credentials WHERE account_id = $1 AND user_key = $2`, acct, storage.Fold(user))
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var k, id string
		if err := rows.Scan(&k, &id); err != nil {
			return fmt.Errorf("storage: scan: %w", err)
		}
		if k == "k" {
			t.changed(storage.ChangeAccessKey, acct, id)
		} else {
			t.changed(storage.ChangeCredential, acct, id)
		}
	}
	return rows.Err()
}

func (t *txn) ListUsers(ctx context.Context, acct string, opts storage.ListOptions) ([]*storage.User, error) {
	return listEntities[storage.User](ctx, t, kindUser, acct, opts)
}

// setBoundary sets or removes an owner's permissions boundary in one statement (one boundary per owner:
// the primary key is the owner).
func (t *txn) setBoundary(ctx context.Context, acct, kind, name, arn string) error {
	if arn == "" {
		_, err := t.exec(ctx, `DELETE FROM boundaries WHERE account_id = $1 AND owner_kind = $2 AND owner_key = $3`,
			acct, kind, storage.Fold(name))
		return err
	}
	_, err := t.exec(ctx, `INSERT INTO boundaries (account_id, owner_kind, owner_key, policy_arn, policy_ref)
		VALUES ($1, $2, $3, $4, $5) ON CONFLICT (account_id, owner_kind, owner_key)
		DO UPDATE SET policy_arn = excluded.policy_arn, policy_ref = excluded.policy_ref`,
		acct, kind, storage.Fold(name), arn, policyRef(arn))
	return err
}

// addBoundary sets the boundary of an owner created in this transaction, which has none: a deleted
// owner's boundary went with it (ON DELETE CASCADE).
func (t *txn) addBoundary(ctx context.Context, acct, kind, name, arn string) error {
	if arn == "" {
		return nil
	}
	_, err := t.exec(ctx, `INSERT INTO boundaries (account_id, owner_kind, owner_key, policy_arn, policy_ref)
		VALUES ($1, $2, $3, $4, $5)`, acct, kind, storage.Fold(name), arn, policyRef(arn))
	return err
}

// policyRef is an ARN without "arn:PARTITION:iam::": ACCOUNT:policy/PATH/NAME or aws:policy/PATH/NAME.
func policyRef(arn string) string {
	if i := strings.Index(arn, ":iam::"); i >= 0 {
		return arn[i+len(":iam::"):]
	}
	return arn
}

// --- groups -----------------------------------------------------------------------------------------

func (t *txn) CreateGroup(ctx context.Context, g *storage.Group) error {
	return t.createEntity(ctx, kindGroup, g.AccountID, g.Name, g.Path, g.ID, g)
}

func (t *txn) GetGroup(ctx context.Context, acct, name string) (*storage.Group, error) {
	return getEntity[storage.Group](ctx, t, kindGroup, acct, name)
}

func (t *txn) GetGroupByID(ctx context.Context, id string) (*storage.Group, error) {
	return getEntityByID[storage.Group](ctx, t, kindGroup, id)
}

func (t *txn) UpdateGroup(ctx context.Context, name string, g *storage.Group) error {
	return t.updateEntity(ctx, kindGroup, g.AccountID, name, g.Name, g.Path, g.ID, g)
}

func (t *txn) DeleteGroup(ctx context.Context, acct, name string) error {
	return t.deleteEntity(ctx, kindGroup, acct, name)
}

func (t *txn) ListGroups(ctx context.Context, acct string, opts storage.ListOptions) ([]*storage.Group, error) {
	return listEntities[storage.Group](ctx, t, kindGroup, acct, opts)
}

func (t *txn) AddUserToGroup(ctx context.Context, acct, group, user string) error {
	if err := t.entityExists(ctx, kindGroup, acct, group); err != nil {
		return err
	}
	if err := t.entityExists(ctx, kindUser, acct, user); err != nil {
		return err
	}
	n, err := t.exec(ctx, `INSERT INTO members (account_id, group_key, user_key) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
		acct, storage.Fold(group), storage.Fold(user))
	if err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("user %q in group %q: %w", user, group, storage.ErrAlreadyExists)
	}
	t.changed(storage.ChangeMembership, acct, storage.Fold(group))
	t.changed(storage.ChangeUser, acct, storage.Fold(user))
	return nil
}

func (t *txn) RemoveUserFromGroup(ctx context.Context, acct, group, user string) error {
	n, err := t.exec(ctx, `DELETE FROM members WHERE account_id = $1 AND group_key = $2 AND user_key = $3`,
		acct, storage.Fold(group), storage.Fold(user))
	if err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("user %q in group %q: %w", user, group, storage.ErrNotFound)
	}
	t.changed(storage.ChangeMembership, acct, storage.Fold(group))
	t.changed(storage.ChangeUser, acct, storage.Fold(user))
	return nil
}

func (t *txn) ListGroupsForUser(ctx context.Context, acct, user string, opts storage.ListOptions) ([]*storage.Group, error) {
	if err := t.entityExists(ctx, kindUser, acct, user); err != nil {
		return nil, err
	}
	q, args := page(`SELECT e.data FROM members m JOIN entities e
		ON e.account_id = m.account_id AND e.kind = m.group_kind AND e.fkey = m.group_key
		WHERE m.account_id = $1 AND m.user_key = $2`, []any{acct, storage.Fold(user)}, opts, "m.group_key", "e.path", true)
	rows, err := t.query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	return collect[storage.Group](rows)
}

func (t *txn) ListUsersInGroup(ctx context.Context, acct, group string, opts storage.ListOptions) ([]*storage.User, error) {
	if err := t.entityExists(ctx, kindGroup, acct, group); err != nil {
		return nil, err
	}
	q, args := page(`SELECT e.data FROM members m JOIN entities e
		ON e.account_id = m.account_id AND e.kind = m.user_kind AND e.fkey = m.user_key
		WHERE m.account_id = $1 AND m.group_key = $2`, []any{acct, storage.Fold(group)}, opts, "m.user_key", "e.path", true)
	rows, err := t.query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	return collect[storage.User](rows)
}

// --- roles ------------------------------------------------------------------------------------------

func (t *txn) CreateRole(ctx context.Context, r *storage.Role) error {
	if err := t.createEntity(ctx, kindRole, r.AccountID, r.Name, r.Path, r.ID, r); err != nil {
		return err
	}
	return t.addBoundary(ctx, r.AccountID, kindRole, r.Name, r.PermissionsBoundaryARN)
}

func (t *txn) GetRole(ctx context.Context, acct, name string) (*storage.Role, error) {
	return getEntity[storage.Role](ctx, t, kindRole, acct, name)
}

func (t *txn) GetRoleByID(ctx context.Context, id string) (*storage.Role, error) {
	return getEntityByID[storage.Role](ctx, t, kindRole, id)
}

func (t *txn) UpdateRole(ctx context.Context, name string, r *storage.Role) error {
	if err := t.updateEntity(ctx, kindRole, r.AccountID, name, r.Name, r.Path, r.ID, r); err != nil {
		return err
	}
	return t.setBoundary(ctx, r.AccountID, kindRole, r.Name, r.PermissionsBoundaryARN)
}

func (t *txn) DeleteRole(ctx context.Context, acct, name string) error {
	return t.deleteEntity(ctx, kindRole, acct, name)
}

func (t *txn) ListRoles(ctx context.Context, acct string, opts storage.ListOptions) ([]*storage.Role, error) {
	return listEntities[storage.Role](ctx, t, kindRole, acct, opts)
}

// --- managed policies -------------------------------------------------------------------------------

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

// --- inline policies --------------------------------------------------------------------------------

func validOwner(kind storage.OwnerKind) error {
	switch kind {
	case storage.OwnerUser, storage.OwnerGroup, storage.OwnerRole:
		return nil
	}
	return fmt.Errorf("storage: invalid owner kind %q", kind)
}

func ownerKey(kind storage.OwnerKind, owner string) string {
	return string(kind) + ":" + storage.Fold(owner)
}

func (t *txn) PutInlinePolicy(ctx context.Context, p *storage.InlinePolicy) error {
	if err := validOwner(p.OwnerKind); err != nil {
		return err
	}
	if err := t.entityExists(ctx, string(p.OwnerKind), p.AccountID, p.OwnerName); err != nil {
		return err
	}
	_, err := t.exec(ctx, `INSERT INTO inline_policies (account_id, owner_kind, owner_key, fkey, name, document)
		VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (account_id, owner_kind, owner_key, fkey) DO UPDATE SET name = excluded.name, document = excluded.document`,
		p.AccountID, string(p.OwnerKind), storage.Fold(p.OwnerName), storage.Fold(p.Name), p.Name, p.Document)
	if err != nil {
		return err
	}
	t.changed(storage.ChangeInlinePolicy, p.AccountID, ownerKey(p.OwnerKind, p.OwnerName))
	return nil
}

const inlineSelect = `SELECT e.name, i.name, i.document FROM inline_policies i JOIN entities e
	ON e.account_id = i.account_id AND e.kind = i.owner_kind AND e.fkey = i.owner_key
	WHERE i.account_id = $1 AND i.owner_kind = $2 AND i.owner_key = $3`

func scanInline(rows resultRows, acct string, kind storage.OwnerKind) ([]*storage.InlinePolicy, error) {
	defer rows.Close()
	var out []*storage.InlinePolicy
	for rows.Next() {
		p := &storage.InlinePolicy{AccountID: acct, OwnerKind: kind}
		if err := rows.Scan(&p.OwnerName, &p.Name, &p.Document); err != nil {
			return nil, fmt.Errorf("storage: scan: %w", err)
		}
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("storage: rows: %w", err)
	}
	return out, nil
}

func (t *txn) GetInlinePolicy(ctx context.Context, acct string, kind storage.OwnerKind, owner, name string) (*storage.InlinePolicy, error) {
	if err := validOwner(kind); err != nil {
		return nil, err
	}
	rows, err := t.query(ctx, inlineSelect+` AND i.fkey = $4`, acct, string(kind), storage.Fold(owner), storage.Fold(name))
	if err != nil {
		return nil, err
	}
	ps, err := scanInline(rows, acct, kind)
	if err != nil {
		return nil, err
	}
	if len(ps) == 0 {
		return nil, fmt.Errorf("inline policy %q of %s %q: %w", name, kind, owner, storage.ErrNotFound)
	}
	return ps[0], nil
}

func (t *txn) DeleteInlinePolicy(ctx context.Context, acct string, kind storage.OwnerKind, owner, name string) error {
	n, err := t.exec(ctx, `DELETE FROM inline_policies WHERE account_id = $1 AND owner_kind = $2 AND owner_key = $3 AND fkey = $4`,
		acct, string(kind), storage.Fold(owner), storage.Fold(name))
	if err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("inline policy %q of %s %q: %w", name, kind, owner, storage.ErrNotFound)
	}
	t.changed(storage.ChangeInlinePolicy, acct, ownerKey(kind, owner))
	return nil
}

func (t *txn) ListInlinePolicies(ctx context.Context, acct string, kind storage.OwnerKind, owner string, opts storage.ListOptions) ([]*storage.InlinePolicy, error) {
	if err := validOwner(kind); err != nil {
		return nil, err
	}
	if err := t.entityExists(ctx, string(kind), acct, owner); err != nil {
		return nil, err
	}
	opts.PathPrefix = ""
	q, args := page(inlineSelect, []any{acct, string(kind), storage.Fold(owner)}, opts, "i.fkey", "", true)
	rows, err := t.query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	return scanInline(rows, acct, kind)
}

// userDependentsQuery answers UserDependents with one row (none when the user does not exist). Each
// EXISTS is an index probe: every table has an index leading with (account_id, [kind,] user or owner key).
const userDependentsQuery = `SELECT
	EXISTS (SELECT 1 FROM login_profiles WHERE account_id = $1 AND user_key = $2),
	EXISTS (SELECT 1 FROM access_keys WHERE account_id = $1 AND user_key = $2),
	EXISTS (SELECT 1 FROM credentials WHERE account_id = $1 AND kind = $3 AND user_key = $2),
	EXISTS (SELECT 1 FROM credentials WHERE account_id = $1 AND kind = $4 AND user_key = $2),
	EXISTS (SELECT 1 FROM credentials WHERE account_id = $1 AND kind = $5 AND user_key = $2),
	EXISTS (SELECT 1 FROM mfa_devices WHERE account_id = $1 AND user_key = $2),
	EXISTS (SELECT 1 FROM members WHERE account_id = $1 AND user_key = $2),
	EXISTS (SELECT 1 FROM inline_policies WHERE account_id = $1 AND owner_kind = 'user' AND owner_key = $2),
	EXISTS (SELECT 1 FROM attachments WHERE account_id = $1 AND owner_kind = 'user' AND owner_key = $2)
	FROM entities WHERE account_id = $1 AND kind = 'user' AND fkey = $2`

func (t *txn) UserDependents(ctx context.Context, acct, name string) (storage.UserDependents, error) {
	var d storage.UserDependents
	err := t.row(ctx, userDependentsQuery, acct, storage.Fold(name),
		string(storage.CredentialSigningCertificate), string(storage.CredentialSSHPublicKey), string(storage.CredentialServiceSpecific)).
		Scan(&d.LoginProfile, &d.AccessKeys, &d.SigningCertificates, &d.SSHPublicKeys, &d.ServiceSpecificCredentials,
			&d.MFADevices, &d.Groups, &d.InlinePolicies, &d.AttachedPolicies)
	if err != nil {
		return storage.UserDependents{}, scanErr(err, kindUser, name)
	}
	return d, nil
}
