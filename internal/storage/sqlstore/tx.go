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
	// boundaries: the permissions boundaries of the users and roles read since the last write (see
	// readBoundary).
	boundaries map[boundaryOwner]string
	// memo: the entity rows this transaction updated since its last other write (shared by the
	// members of a commit group; see noteWritten).
	memo *rowMemo
	// pending: the preliminary audit events of this transaction, written before it commits (see
	// withPendingEvent).
	pending []pendingRow
}

// entityKey names one row of the entities table.
type entityKey struct{ kind, account, fkey string }

// rowMemo holds the entity rows a write transaction updated since its last other write, as it wrote
// them, and the last such update when it is not sent yet.
type rowMemo struct {
	rows map[entityKey]string
	// deferred: an update of a row of rows, not yet sent. An update of a row the transaction has just
	// written again (the next member of a commit group retagging the same user) replaces it: only the
	// last is sent, before the transaction's next statement or its end (sendDeferred).
	deferred []any
}

// sqlUpdateEntity updates an entity row by its key (arguments: account, kind, key, new key, name,
// path, ID, data).
const sqlUpdateEntity = `UPDATE entities SET fkey = $4, name = $5, path = $6, id = $7, data = $8
		WHERE account_id = $1 AND kind = $2 AND fkey = $3`

// sendDeferred sends the deferred update of m, if any, through st (on a pipeline, with the next
// statement).
func (m *rowMemo) sendDeferred(ctx context.Context, st laterRunner, q func(string) string) error {
	if m == nil || m.deferred == nil {
		return nil
	}
	args := m.deferred
	m.deferred = nil
	err := st.later(ctx, func(n int64) error {
		if n != 1 {
			// The transaction read or wrote the row itself: nobody else can have removed it (see deferUpdate).
			return fmt.Errorf("storage: deferred update of %s %v changed %d rows", args[1], args[2], n)
		}
		return nil
	}, q(sqlUpdateEntity), args...)
	if err != nil {
		return fmt.Errorf("storage: %w", err)
	}
	return nil
}

// withRows sets the Row of each user and role change whose row m holds, decoded as a read would decode
// it (once per row: the members of a commit group retagging one user share it). Called after the commit:
// m then holds exactly what the transaction left in those rows (see noteWritten), so the writer's caches
// can take the row instead of reading it again. A row that does not decode is left out (its change stays
// a plain invalidation).
func (m *rowMemo) withRows(lists ...[]storage.Change) {
	if m == nil || len(m.rows) == 0 {
		return
	}
	var decoded map[entityKey]any
	for _, changes := range lists {
		decoded = m.setRows(changes, decoded)
	}
}

// setRows is withRows for one list, with the rows decoded so far (returned with those it decoded).
func (m *rowMemo) setRows(changes []storage.Change, decoded map[entityKey]any) map[entityKey]any {
	for i, c := range changes {
		var kind string
		switch c.Kind {
		case storage.ChangeUser:
			kind = kindUser
		case storage.ChangeRole:
			kind = kindRole
		default:
			continue
		}
		k := entityKey{kind, c.AccountID, c.Key}
		row, ok := decoded[k]
		if !ok {
			data, held := m.rows[k]
			if !held {
				continue
			}
			row = decodeRow(kind, data)
			if decoded == nil {
				decoded = make(map[entityKey]any)
			}
			decoded[k] = row
		}
		if row != nil {
			changes[i].Row = row
		}
	}
	return decoded
}

// decodeRow decodes a user or role row (nil if it does not decode).
func decodeRow(kind, data string) any {
	switch kind {
	case kindUser:
		if u := new(storage.User); unmarshal(data, u) == nil {
			return u
		}
	case kindRole:
		if r := new(storage.Role); unmarshal(data, r) == nil {
			return r
		}
	}
	return nil
}

var _ storage.Tx = (*txn)(nil)

func (t *txn) exec(ctx context.Context, query string, args ...any) (int64, error) {
	ctx, err := t.stmtCtx(ctx)
	if err != nil {
		return 0, fmt.Errorf("storage: %w", err)
	}
	if err := t.sendDeferred(ctx); err != nil {
		return 0, err
	}
	// A write may change a boundary behind what was read (a cascade, another owner's rename), or an
	// entity row behind what was written.
	clear(t.boundaries)
	if t.memo != nil {
		clear(t.memo.rows)
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
	if err := t.sendDeferred(ctx); err != nil {
		return nil, err
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
	if err := t.sendDeferred(ctx); err != nil {
		return errRow{err}
	}
	return t.tx.queryRow(ctx, t.s.q(query), args...)
}

// sendDeferred sends the transaction's deferred update (see rowMemo) before any other statement, so
// that every statement sees it.
func (t *txn) sendDeferred(ctx context.Context) error {
	if t.memo == nil || t.memo.deferred == nil {
		return nil
	}
	var st laterRunner
	switch r := t.tx.(type) {
	case *member:
		// The group's transaction sends it: the member that deferred it counts as having written
		// (deferUpdate), not the member whose statement comes next.
		st = r.st
	case writeTx:
		st = r
	default:
		return fmt.Errorf("storage: a deferred update outside a write transaction")
	}
	return t.memo.sendDeferred(ctx, st, t.s.q)
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
func (s *Store) flushCounters(ctx context.Context, tx writeTx, m map[counterKey]int64) error {
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
		err := tx.later(ctx, nil, s.q(`INSERT INTO counters (account_id, name, shard, value) VALUES ($1, $2, $3, $4)
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
	t.ownedChanged(kind, acct, name)
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
	args := []any{acct, kind, storage.Fold(oldName), storage.Fold(name), name, path, id, data}
	if t.deferUpdate(kind, acct, oldName, name, data, args) {
		return nil
	}
	n, err := t.exec(ctx, sqlUpdateEntity, args...)
	if err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("%s %q: %w", kind, oldName, storage.ErrNotFound)
	}
	t.noteWritten(kind, acct, name, data)
	t.entityChanged(kind, acct, oldName)
	if storage.Fold(oldName) != storage.Fold(name) {
		t.entityChanged(kind, acct, name)
		t.ownedChanged(kind, acct, oldName)
		t.ownedChanged(kind, acct, name)
	}
	return nil
}

// attachmentOwners are the entity kinds that own attached policies (and inline ones).
var attachmentOwners = map[string]storage.OwnerKind{
	kindUser: storage.OwnerUser, kindRole: storage.OwnerRole, kindGroup: storage.OwnerGroup,
}

// ownedChanged records that the policies an owner's name holds changed without a statement of their
// own: reading them fails while the owner does not exist (so creating it changes them), and the
// database moves them with a renamed owner and removes them with a deleted one (cascades). A change of
// the owner's row alone (a retag) concerns them not, so caches keep them then.
func (t *txn) ownedChanged(kind, acct, name string) {
	if ok, isOwner := attachmentOwners[kind]; isOwner {
		t.changed(storage.ChangeAttachment, acct, ownerKey(ok, name))
		t.changed(storage.ChangeInlinePolicy, acct, ownerKey(ok, name))
	}
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
	t.ownedChanged(kind, acct, name)
	return nil
}

func getEntity[T any](ctx context.Context, t *txn, kind, acct, name string) (*T, error) {
	if data, ok := t.memo.row(entityKey{kind, acct, storage.Fold(name)}); ok {
		if _, err := t.stmtCtx(ctx); err != nil {
			return nil, scanErr(err, kind, name)
		}
		v := new(T)
		return v, unmarshal(data, v)
	}
	var data string
	err := t.row(ctx, `SELECT data FROM entities WHERE account_id = $1 AND kind = $2 AND fkey = $3`,
		acct, kind, storage.Fold(name)).Scan(&data)
	if err != nil {
		return nil, scanErr(err, kind, name)
	}
	// Until the transaction's next write, the row holds what was read: a read-modify-write of it then
	// defers its update (see deferUpdate).
	t.noteWritten(kind, acct, name, data)
	v := new(T)
	return v, unmarshal(data, v)
}

// noteWritten remembers the data an update of a write transaction just wrote to an entity row, or a
// read just read from it, so that a later read of the row in the same transaction (the next member of a
// commit group retagging the same user reads what the one before wrote) costs no round trip. It is
// exactly what the row holds: the transaction sees its own writes and, being serializable (or SQLite's
// only writer), nobody else's, and every other write of the transaction forgets it (exec), as a rollback
// to a savepoint does. PostgreSQL takes no predicate lock for reading a row the transaction wrote itself,
// and a row it read has its lock from that read, so serializability loses nothing either.
func (t *txn) noteWritten(kind, acct, name, data string) {
	if !t.write {
		return
	}
	if t.memo == nil {
		t.memo = &rowMemo{}
	}
	if t.memo.rows == nil {
		t.memo.rows = make(map[entityKey]string)
	}
	t.memo.rows[entityKey{kind, acct, storage.Fold(name)}] = data
}

// row returns the data of a row the transaction wrote, if m holds it.
func (m *rowMemo) row(k entityKey) (string, bool) {
	if m == nil {
		return "", false
	}
	data, ok := m.rows[k]
	return data, ok
}

// deferUpdate defers an update of a row the transaction read or wrote, and has written nothing else
// since, under the same key: that read, or its previous update, sent or deferred, proves the row is
// there (a row read by a serializable transaction is still there when the transaction updates it, or
// the update fails with a serialization failure; on SQLite nobody else writes), and no statement of the
// transaction can tell the difference, since each sends the deferred update first. Not when
// the transaction is a member of a commit group run with savepoints: its deferred update would be sent
// in the next member's savepoint. A member without savepoints is marked as having written, so that its
// failure makes the group run again with savepoints.
func (t *txn) deferUpdate(kind, acct, oldName, name, data string, args []any) bool {
	k := entityKey{kind, acct, storage.Fold(name)}
	if storage.Fold(oldName) != storage.Fold(name) {
		return false
	}
	if _, ok := t.memo.row(k); !ok {
		return false
	}
	switch r := t.tx.(type) {
	case *member:
		if r.savepoints {
			return false
		}
		r.wrote = true
	case writeTx:
	default:
		return false
	}
	clear(t.boundaries)
	t.memo.rows[k] = data
	t.memo.deferred = args
	t.entityChanged(kind, acct, oldName)
	return true
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
