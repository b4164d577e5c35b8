// Package cache is the one read-through cache of iamd's state: a storage.Store that wraps another and
// serves the rows requests read on their hot path (access keys, accounts, users, roles, managed policy
// attachments, policy versions, the token key ring) from memory, and everything else, and every write,
// from the store underneath. It alone follows the store's change feed (storage.Store.Subscribe); the
// packages above it keep only what they derive from rows (opened secrets, compiled policies), checked
// against the row they came from or against the versions the cache gives what changes name
// (versions.go).
//
// # Consistency contract
//
// The same on SQLite and PostgreSQL (docs/architecture.md, "Caching"):
//
//   - Read-your-writes on the node that wrote: the store publishes a write's changes before its Update
//     returns, and every View applies whatever is published before it reads the cache. A View that
//     starts after an Update returned sees that write.
//   - Other nodes' writes become visible when their changes reach this node: by NOTIFY on PostgreSQL
//     (milliseconds), and, should a notification be lost, by the store's fallback poll of the change
//     sequence (postgres.Options.PollInterval), which then publishes ChangeAll.
//   - A row read from the store is kept only if no change that could concern it was applied while it
//     was read (a generation per table), so a slow read never puts a stale row back.
//
// A View through the cache may mix rows served from memory with rows read from the store: each is
// fresh by the rules above, but together they are not one snapshot. Code that needs a snapshot (or
// reads to decide a write) reads inside Update, which always goes to the store.
package cache

//go:generate go run gen_misstx.go

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/golang-lru/v2/simplelru"

	"github.com/iamd/iamd/internal/storage"
)

// errMiss ends the cache-only run of a View's function: what it asked for is not in memory.
var errMiss = errors.New("cache: miss")

// Options configure a Store.
type Options struct {
	// MaxEntries bounds each table (DefaultMaxEntries if 0).
	MaxEntries int
	// MaxMissingKeys bounds the access key IDs remembered as missing (DefaultMaxMissingKeys if 0).
	MaxMissingKeys int
	Logger         *slog.Logger
}

// table numbers the cache's tables; each has its own generation.
type table int

const (
	tKeys table = iota
	tAccounts
	tUsers
	tRoles
	tAttached
	tVersions
	tKeyRing
	nTables
)

// pageKey addresses a page of an account's users: its ListOptions, After folded as the store folds it.
type pageKey struct {
	account, prefix, after string
	limit                  int
}

// nameKey addresses a row by account and folded name (for attachments: "kind:folded-owner", the Key of
// the store's ChangeAttachment; for policy versions: "folded-policy version").
type nameKey struct{ account, name string }

// Store is a storage.Store whose Views read hot rows from memory. Update, Subscribe, Ping, Backup and
// Close are the wrapped store's.
type Store struct {
	storage.Store
	log        *slog.Logger
	maxEntries int // the bound of each table but these:
	maxMissing int

	// changes is the subscription that keeps the tables in step. Every View first applies what is
	// pending (sync): syncMu makes taking a change off the channel and applying it one step, and applying
	// tells the lock-free fast path that a change is being applied right now.
	changes  <-chan storage.Change
	closed   atomic.Bool
	syncMu   sync.Mutex
	applying atomic.Bool

	// mu guards the tables and generations (a plain mutex: an LRU lookup moves the entry to the front).
	mu  sync.Mutex
	gen [nTables]uint64

	keys     *simplelru.LRU[string, *storage.AccessKey]
	missing  *simplelru.LRU[string, struct{}] // access key IDs known not to exist
	accounts *simplelru.LRU[string, *storage.Account]
	users    *simplelru.LRU[nameKey, *storage.User]
	roles    *simplelru.LRU[nameKey, *storage.Role]
	// userIDs and roleIDs map unique IDs to where the row was found. They need no invalidation: a lookup
	// by ID takes the row under that name only if it still has that ID, and the row under a name is
	// dropped by every change of it.
	userIDs  *simplelru.LRU[string, nameKey]
	roleIDs  *simplelru.LRU[string, nameKey]
	attached *simplelru.LRU[nameKey, []string]
	versions *simplelru.LRU[nameKey, *storage.PolicyVersion]
	// pages are pages of user listings: the folded names of their users, in order, whose rows are those
	// of users (a page is served only while all of them are held). They belong to the users table
	// (its generation guards them); pagesOf indexes them by account, for the changes of its users.
	pages   *simplelru.LRU[pageKey, []string]
	pagesOf map[string]map[pageKey]struct{}
	keyRing *storage.KeyRing
	txs     sync.Pool // *tx of cache-only runs
	// flights are the reads of rows in progress that concurrent Views share (rowReads); entries live as
	// long as their read.
	flights map[flightKey]*flight
	// vmu guards the versions (versions.go): seq numbers applied changes (written under vmu, read
	// without it by Seq); vers holds the version of each key a change named; floor is the version of
	// keys not held. Apart from mu, so that requests checking versions share a read lock.
	vmu   sync.RWMutex
	seq   atomic.Uint64
	floor uint64
	vers  *simplelru.LRU[VersionKey, uint64]
}

// New wraps st. The subscription it takes lasts as long as st (closing st closes it, after which
// nothing is cached). Call Run to apply changes while no View does.
func New(st storage.Store, o Options) *Store {
	if o.MaxEntries <= 0 {
		o.MaxEntries = DefaultMaxEntries
	}
	if o.MaxMissingKeys <= 0 {
		o.MaxMissingKeys = DefaultMaxMissingKeys
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	n := o.MaxEntries
	c := &Store{Store: st, log: o.Logger, maxEntries: n, maxMissing: o.MaxMissingKeys,
		keys: newLRU[string, *storage.AccessKey](n), missing: newLRU[string, struct{}](o.MaxMissingKeys),
		accounts: newLRU[string, *storage.Account](min(n, maxCachedAccounts)),
		users:    newLRU[nameKey, *storage.User](n), roles: newLRU[nameKey, *storage.Role](n),
		userIDs: newLRU[string, nameKey](n), roleIDs: newLRU[string, nameKey](n),
		attached: newLRU[nameKey, []string](n), versions: newLRU[nameKey, *storage.PolicyVersion](n)}
	vers, err := simplelru.NewLRU[VersionKey, uint64](max(n, 1), func(k VersionKey, v uint64) { c.evicted(k, v) })
	if err != nil {
		panic(err) // only for a size below 1, which max rules out
	}
	c.vers = vers
	pages, err := simplelru.NewLRU[pageKey, []string](max(min(n, maxCachedUserPages), 1), c.pageEvicted)
	if err != nil {
		panic(err) // only for a size below 1, which max rules out
	}
	c.pages, c.pagesOf = pages, make(map[string]map[pageKey]struct{})
	c.txs.New = func() any { return new(tx) }
	c.changes, _ = st.Subscribe()
	return c
}

func newLRU[K comparable, V any](size int) *simplelru.LRU[K, V] {
	l, err := simplelru.NewLRU[K, V](max(size, 1), nil)
	if err != nil {
		panic(err) // only for a size below 1, which max rules out
	}
	return l
}

// Sizes are the number of entries in each table (exported as metrics).
type Sizes struct {
	Keys, MissingKeys, Accounts, Users, Roles, UserIDs, RoleIDs, Attachments, PolicyVersions, UserPages int
}

// Sizes returns how many entries each table holds.
func (c *Store) Sizes() Sizes {
	c.mu.Lock()
	defer c.mu.Unlock()
	return Sizes{Keys: c.keys.Len(), MissingKeys: c.missing.Len(), Accounts: c.accounts.Len(), Users: c.users.Len(),
		Roles: c.roles.Len(), UserIDs: c.userIDs.Len(), RoleIDs: c.roleIDs.Len(), Attachments: c.attached.Len(),
		PolicyVersions: c.versions.Len(), UserPages: c.pages.Len()}
}

// TableSize is one table's entries and bound.
type TableSize struct {
	// Name is the table's name in metrics (iamd_cache_entries{table=...}).
	Name              string
	Entries, Capacity int
}

// Tables returns the entries and bound of every table of the cache, the versions included.
func (c *Store) Tables() []TableSize {
	n := c.maxEntries
	c.mu.Lock()
	out := []TableSize{
		{"keys", c.keys.Len(), n},
		{"missing_keys", c.missing.Len(), c.maxMissing},
		{"accounts", c.accounts.Len(), min(n, maxCachedAccounts)},
		{"users", c.users.Len(), n},
		{"roles", c.roles.Len(), n},
		{"user_ids", c.userIDs.Len(), n},
		{"role_ids", c.roleIDs.Len(), n},
		{"attachments", c.attached.Len(), n},
		{"policy_versions", c.versions.Len(), n},
		{"user_pages", c.pages.Len(), min(n, maxCachedUserPages)},
		{"key_ring", boolInt(c.keyRing != nil), 1},
	}
	c.mu.Unlock()
	c.vmu.RLock()
	out = append(out, TableSize{"versions", c.vers.Len(), n})
	c.vmu.RUnlock()
	return out
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// MaxMissingKeys returns the bound of the negative access-key table.
func (c *Store) MaxMissingKeys() int { return c.maxMissing }

// Run applies the store's changes until ctx ends, also while no View does (so that an idle node frees
// deleted rows and its subscription never overflows, which would empty every table).
func (c *Store) Run(ctx context.Context) {
	t := time.NewTicker(syncEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			c.drain()
		}
	}
}

// Sync applies the changes already published, without waiting for more. Views call it first; its fast
// path (nothing pending, nothing being applied) takes no lock. A closed subscription also has nothing
// pending, so the fast path cannot tell it: Run's ticks take the slow path, which notices it.
func (c *Store) Sync() {
	if c.closed.Load() {
		return
	}
	if len(c.changes) == 0 && !c.applying.Load() {
		return
	}
	c.drain()
}

// drain is Sync without its fast path: it also finds the subscription closed when nothing is pending.
func (c *Store) drain() {
	if c.closed.Load() {
		return
	}
	c.syncMu.Lock()
	defer c.syncMu.Unlock()
	c.applying.Store(true)
	defer c.applying.Store(false)
	for {
		select {
		case ch, ok := <-c.changes:
			if !ok {
				// Nothing tells the cache about changes any more: keep nothing from now on.
				c.closed.Store(true)
				c.apply(storage.Change{Kind: storage.ChangeAll})
				return
			}
			c.apply(ch)
		default:
			return
		}
	}
}

// apply drops the rows a change may have made stale, then gives what it names new versions (a
// derivation rebuilt for a new version must find the rows gone).
func (c *Store) apply(ch storage.Change) {
	c.applyTables(ch)
	if ch.Kind != storage.ChangeAccessKeyUsed && ch.Kind != storage.ChangeRoleUsed {
		c.bump(ch) // a last use is part of no derivation
	}
}

// applyTables drops the rows a change may have made stale and bumps the generations of their tables.
func (c *Store) applyTables(ch storage.Change) {
	c.mu.Lock()
	defer c.mu.Unlock()
	k := nameKey{ch.AccountID, ch.Key}
	switch ch.Kind {
	case storage.ChangeAll:
		for i := range c.gen {
			c.gen[i]++
		}
		c.keys.Purge()
		c.missing.Purge()
		c.accounts.Purge()
		c.users.Purge()
		c.roles.Purge()
		c.userIDs.Purge()
		c.roleIDs.Purge()
		c.attached.Purge()
		c.versions.Purge()
		c.pages.Purge()
		c.keyRing = nil
	case storage.ChangeAccount:
		c.gen[tAccounts]++
		c.accounts.Remove(ch.AccountID)
	case storage.ChangeAccessKey, storage.ChangeAccessKeyUsed:
		// The last use is part of the key's row (GetAccessKeyLastUsed). A created key must stop being
		// known as missing as much as a deleted one must stop being known.
		c.gen[tKeys]++
		c.keys.Remove(ch.Key)
		c.missing.Remove(ch.Key)
	case storage.ChangeUser:
		// Every write of a user row publishes it (membership changes too). A creation, a rename or a
		// deletion, which change what the user's attachments read (not found, or moved, or removed), also
		// publishes ChangeAttachment for them; a retag does not, and leaves them cached.
		c.gen[tUsers]++
		c.users.Remove(k)
		u, _ := ch.Row.(*storage.User)
		if u != nil && (u.AccountID != k.account || storage.Fold(u.Name) != k.name) {
			u = nil
		}
		if u != nil {
			// The row as this node's write committed it, delivered in order (see storage.Change.Row):
			// the next request for it (the writer's next read, the authenticator) need not read it again.
			c.users.Add(k, u)
			c.userIDs.Add(u.ID, k)
		}
		c.userChanged(k, u)
	case storage.ChangeRole, storage.ChangeRoleUsed:
		// RoleLastUsed is part of the role's row. Its attachments: as for users.
		c.gen[tRoles]++
		c.roles.Remove(k)
		if r, ok := ch.Row.(*storage.Role); ok && ch.Kind == storage.ChangeRole && r.AccountID == k.account && storage.Fold(r.Name) == k.name {
			c.roles.Add(k, r)
			c.roleIDs.Add(r.ID, k)
		}
	case storage.ChangeAttachment:
		c.gen[tAttached]++
		c.attached.Remove(k)
	case storage.ChangePolicy:
		// Versions are created and deleted under ChangePolicy of their policy; deleting the policy deletes
		// them. Their keys start with the policy's folded name.
		c.gen[tVersions]++
		prefix := ch.Key + " "
		for _, vk := range c.versions.Keys() {
			if vk.account == ch.AccountID && strings.HasPrefix(vk.name, prefix) {
				c.versions.Remove(vk)
			}
		}
	case storage.ChangeKeyRing:
		c.gen[tKeyRing]++
		c.keyRing = nil
	}
	// Other kinds (inline policies, memberships, login profiles, MFA devices, ...) concern no table.
}

// userChanged drops the pages of k's account that a change of user k may have changed. u is the user's
// row after the change, if the change carries it (nil: created, renamed, deleted, or written by another
// node, as far as the cache can tell). A page keeps its users when one of them is still there under its
// name and still under the page's path prefix (a retag, say): its row changed, which the page takes from
// users, but not which users the listing holds. Any other change of a user of the account may have.
func (c *Store) userChanged(k nameKey, u *storage.User) {
	for pk := range c.pagesOf[k.account] {
		if u != nil && strings.HasPrefix(u.Path, pk.prefix) {
			if names, ok := c.pages.Peek(pk); ok && slices.Contains(names, k.name) {
				continue
			}
		}
		c.pages.Remove(pk) // pageEvicted updates pagesOf, which Go allows while ranging over it
	}
}

// pageEvicted forgets a page removed from pages in the index by account.
func (c *Store) pageEvicted(k pageKey, _ []string) {
	of := c.pagesOf[k.account]
	delete(of, k)
	if len(of) == 0 {
		delete(c.pagesOf, k.account)
	}
}

// generations returns the current generations, taken before a read from the store.
func (c *Store) generations() [nTables]uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gen
}

// View implements storage.Store. It runs fn first against memory alone. If fn asks only for rows of the
// cache's tables that memory does not hold, it runs fn again reading each of those rows from the store
// by itself (one statement outside any transaction on PostgreSQL, instead of BEGIN, the reads and
// COMMIT) and keeps them; if fn asks for anything else, it runs fn in a View of the wrapped store,
// through a Tx that serves hits from memory and keeps the rows it reads (fn may run more than once in
// any case, see storage.Store). Neither is a snapshot together with the rows from memory (see the
// package comment), so reading rows one by one promises nothing less.
func (c *Store) View(ctx context.Context, fn func(tx storage.Tx) error) error {
	c.Sync()
	if c.closed.Load() {
		return c.Store.View(ctx, fn)
	}
	// The cache-only run's Tx is pooled: a Tx is valid only while fn runs, and most Views end here.
	t := c.txs.Get().(*tx)
	*t = tx{c: c}
	t.Tx, t.rows = missTx{t}, rowMiss{t}
	err := fn(t)
	missed, other := t.missed, t.other
	*t = tx{}
	c.txs.Put(t)
	if !missed {
		return err
	}
	if !other {
		t := &tx{c: c, store: true, gen: c.generations()}
		t.Tx, t.rows = missTx{t}, rowReads{t}
		err := fn(t)
		if !t.other {
			return err
		}
	}
	wrapped := func(inner storage.Tx) error {
		return fn(&tx{c: c, Tx: inner, rows: inner, store: true, gen: c.generations()})
	}
	if sv, ok := c.Store.(siteViewer); ok {
		return sv.ViewAt(ctx, fn, wrapped)
	}
	return c.Store.View(ctx, wrapped)
}

// siteViewer is a store whose View adapts to what each caller's function reads (sqlstore's Views of
// one statement without a transaction learn, per function, whether it reads more than once). The
// cache's wrapper of every caller's function is one function, so it names the caller's as the site.
type siteViewer interface {
	ViewAt(ctx context.Context, site any, fn func(tx storage.Tx) error) error
}

// miss ends the cache-only run or the run of row reads: fn asked for what neither serves.
func (t missTx) miss() error {
	t.t.missed, t.t.other = true, true
	return errMiss
}

// tx serves the cached methods from memory, reading a row memory does not hold from rows, and passes
// the rest to Tx. On a View's cache-only run rows is a rowMiss and Tx a missTx (each notes a miss); on
// its run of row reads rows is a rowReads and Tx a missTx; on a run in the store's transaction both are
// that transaction. store is set when rows come from the store, which gen (the generations before it
// began) then decides whether to keep.
type tx struct {
	storage.Tx
	c      *Store
	rows   rowSource
	missed bool // fn asked for something memory did not hold
	other  bool // ... and something besides the rows of the cache's tables
	store  bool
	gen    [nTables]uint64
}

// rowSource reads the rows of the cache's tables.
type rowSource interface {
	GetAccessKey(ctx context.Context, id string) (*storage.AccessKey, error)
	GetAccount(ctx context.Context, id string) (*storage.Account, error)
	GetUser(ctx context.Context, acct, name string) (*storage.User, error)
	GetUserByID(ctx context.Context, id string) (*storage.User, error)
	ListUsers(ctx context.Context, acct string, opts storage.ListOptions) ([]*storage.User, error)
	GetRole(ctx context.Context, acct, name string) (*storage.Role, error)
	GetRoleByID(ctx context.Context, id string) (*storage.Role, error)
	ListAttachedPolicies(ctx context.Context, acct string, kind storage.OwnerKind, owner string, opts storage.ListOptions) ([]string, error)
	GetPolicyVersion(ctx context.Context, acct, policy, versionID string) (*storage.PolicyVersion, error)
	GetKeyRing(ctx context.Context) (*storage.KeyRing, error)
}

// rowMiss is the rowSource of the cache-only run: every row memory lacks is a miss that rows read one
// by one can serve.
type rowMiss struct{ t *tx }

func (r rowMiss) miss() error {
	r.t.missed = true
	return errMiss
}

func (r rowMiss) GetAccessKey(context.Context, string) (*storage.AccessKey, error) {
	return nil, r.miss()
}
func (r rowMiss) GetAccount(context.Context, string) (*storage.Account, error) { return nil, r.miss() }
func (r rowMiss) GetUser(context.Context, string, string) (*storage.User, error) {
	return nil, r.miss()
}
func (r rowMiss) GetUserByID(context.Context, string) (*storage.User, error) { return nil, r.miss() }
func (r rowMiss) ListUsers(context.Context, string, storage.ListOptions) ([]*storage.User, error) {
	return nil, r.miss()
}
func (r rowMiss) GetRole(context.Context, string, string) (*storage.Role, error) {
	return nil, r.miss()
}
func (r rowMiss) GetRoleByID(context.Context, string) (*storage.Role, error) { return nil, r.miss() }
func (r rowMiss) ListAttachedPolicies(context.Context, string, storage.OwnerKind, string, storage.ListOptions) ([]string, error) {
	return nil, r.miss()
}
func (r rowMiss) GetPolicyVersion(context.Context, string, string, string) (*storage.PolicyVersion, error) {
	return nil, r.miss()
}
func (r rowMiss) GetKeyRing(context.Context) (*storage.KeyRing, error) { return nil, r.miss() }

// rowReads reads each row in a View of its own of the wrapped store: one statement, which the store
// may answer without a transaction. Views that miss the same row at the same time share one read (a
// change of a hot row, say a retagged user whose requests keep coming, would otherwise send every
// request in flight to the store for it).
type rowReads struct{ t *tx }

// flight is a read of one row that concurrent Views share.
type flight struct {
	done chan struct{}
	// gen is the generation of the row's table when the read began: a View joins only a read that began
	// with the generation the View itself began with, hence after every change it must see (a change is
	// committed before it is applied, and applying it moves the generation).
	gen uint64
	val any
	err error
}

// flightKey names a row: the method reading it and its arguments (folded where the store folds them).
type flightKey struct{ op, a, b, c string }

// readRow reads a row of table tb through read, sharing the read with Views that miss the same row at
// the same time.
func readRow[T any](ctx context.Context, t *tx, tb table, k flightKey, read func(tx storage.Tx) (T, error)) (T, error) {
	c := t.c
	c.mu.Lock()
	f, ok := c.flights[k]
	if ok && f.gen == t.gen[tb] {
		c.mu.Unlock()
		select {
		case <-f.done:
		case <-ctx.Done():
			var zero T
			return zero, ctx.Err()
		}
		// A read that ended with its own caller's cancellation says nothing of the row: read it here.
		if !errors.Is(f.err, context.Canceled) && !errors.Is(f.err, context.DeadlineExceeded) {
			v, _ := f.val.(T)
			return v, f.err
		}
		return viewRow(ctx, c, read)
	}
	f = &flight{done: make(chan struct{}), gen: c.gen[tb]}
	if c.flights == nil {
		c.flights = make(map[flightKey]*flight)
	}
	c.flights[k] = f
	c.mu.Unlock()
	v, err := viewRow(ctx, c, read)
	f.val, f.err = v, err
	c.mu.Lock()
	if c.flights[k] == f {
		delete(c.flights, k)
	}
	c.mu.Unlock()
	close(f.done)
	return v, err
}

// viewRow runs read in a View of the store, named by read (each method's function is a site of its own
// to the store's single-statement views).
func viewRow[T any](ctx context.Context, c *Store, read func(tx storage.Tx) (T, error)) (v T, err error) {
	fn := func(tx storage.Tx) error {
		v, err = read(tx)
		return err
	}
	if sv, ok := c.Store.(siteViewer); ok {
		err = sv.ViewAt(ctx, read, fn)
	} else {
		err = c.Store.View(ctx, fn)
	}
	return v, err
}

func (r rowReads) GetAccessKey(ctx context.Context, id string) (*storage.AccessKey, error) {
	return readRow(ctx, r.t, tKeys, flightKey{op: "key", a: id}, func(tx storage.Tx) (*storage.AccessKey, error) {
		return tx.GetAccessKey(ctx, id)
	})
}

func (r rowReads) GetAccount(ctx context.Context, id string) (*storage.Account, error) {
	return readRow(ctx, r.t, tAccounts, flightKey{op: "account", a: id}, func(tx storage.Tx) (*storage.Account, error) {
		return tx.GetAccount(ctx, id)
	})
}

func (r rowReads) GetUser(ctx context.Context, acct, name string) (*storage.User, error) {
	return readRow(ctx, r.t, tUsers, flightKey{op: "user", a: acct, b: storage.Fold(name)}, func(tx storage.Tx) (*storage.User, error) {
		return tx.GetUser(ctx, acct, name)
	})
}

func (r rowReads) GetUserByID(ctx context.Context, id string) (*storage.User, error) {
	return readRow(ctx, r.t, tUsers, flightKey{op: "user-id", a: id}, func(tx storage.Tx) (*storage.User, error) {
		return tx.GetUserByID(ctx, id)
	})
}

// ListUsers is only asked for pages the cache keeps (see tx.ListUsers).
func (r rowReads) ListUsers(ctx context.Context, acct string, opts storage.ListOptions) ([]*storage.User, error) {
	k := flightKey{op: "users " + strconv.Itoa(opts.Limit), a: acct, b: opts.PathPrefix, c: storage.Fold(opts.After)}
	return readRow(ctx, r.t, tUsers, k, func(tx storage.Tx) ([]*storage.User, error) {
		return tx.ListUsers(ctx, acct, opts)
	})
}

func (r rowReads) GetRole(ctx context.Context, acct, name string) (*storage.Role, error) {
	return readRow(ctx, r.t, tRoles, flightKey{op: "role", a: acct, b: storage.Fold(name)}, func(tx storage.Tx) (*storage.Role, error) {
		return tx.GetRole(ctx, acct, name)
	})
}

func (r rowReads) GetRoleByID(ctx context.Context, id string) (*storage.Role, error) {
	return readRow(ctx, r.t, tRoles, flightKey{op: "role-id", a: id}, func(tx storage.Tx) (*storage.Role, error) {
		return tx.GetRoleByID(ctx, id)
	})
}

// ListAttachedPolicies is only asked for whole lists (see tx.ListAttachedPolicies).
func (r rowReads) ListAttachedPolicies(ctx context.Context, acct string, kind storage.OwnerKind, owner string, opts storage.ListOptions) ([]string, error) {
	return readRow(ctx, r.t, tAttached, flightKey{op: "attached", a: acct, b: string(kind), c: storage.Fold(owner)}, func(tx storage.Tx) ([]string, error) {
		return tx.ListAttachedPolicies(ctx, acct, kind, owner, opts)
	})
}

func (r rowReads) GetPolicyVersion(ctx context.Context, acct, policy, versionID string) (*storage.PolicyVersion, error) {
	return readRow(ctx, r.t, tVersions, flightKey{op: "version", a: acct, b: storage.Fold(policy), c: versionID}, func(tx storage.Tx) (*storage.PolicyVersion, error) {
		return tx.GetPolicyVersion(ctx, acct, policy, versionID)
	})
}

func (r rowReads) GetKeyRing(ctx context.Context) (*storage.KeyRing, error) {
	return readRow(ctx, r.t, tKeyRing, flightKey{op: "key-ring"}, func(tx storage.Tx) (*storage.KeyRing, error) {
		return tx.GetKeyRing(ctx)
	})
}

// keep stores a row read from the store under its table's lock unless a change of that table was
// applied since the transaction began (the row may predate it).
func (t *tx) keep(tb table, put func()) {
	if t.c.closed.Load() {
		return
	}
	t.c.mu.Lock()
	if t.c.gen[tb] == t.gen[tb] {
		put()
	}
	t.c.mu.Unlock()
}

// Copies of rows handed out: callers may set fields of what they get (the service overlays the last use
// on a role, say), never the cached row's. Slices and maps inside are shared and must not be modified.
//
// Access keys and users are the exception: they are handed out as cached, and callers must not modify
// them at all (the IAM service copies a key before overlaying a pending last use on it). Every signed
// request reads its key and user, and GetUser its user once more: a copy of each was most of what this
// cache added to such a request's allocations and garbage.
func cp[T any](v *T) *T {
	c := *v
	return &c
}

func (t *tx) GetAccessKey(ctx context.Context, id string) (*storage.AccessKey, error) {
	t.c.mu.Lock()
	k, ok := t.c.keys.Get(id)
	gone := false
	if !ok {
		_, gone = t.c.missing.Get(id)
	}
	t.c.mu.Unlock()
	if ok {
		return k, nil
	}
	if gone {
		return nil, notFound("access key", id)
	}
	k, err := t.rows.GetAccessKey(ctx, id)
	if !t.store {
		return k, err
	}
	switch {
	case errors.Is(err, storage.ErrNotFound):
		// The ID may be a slice of a request's Authorization header: keep a copy.
		t.keep(tKeys, func() { t.c.missing.Add(strings.Clone(id), struct{}{}) })
	case err == nil:
		t.keep(tKeys, func() { t.c.missing.Remove(k.ID); t.c.keys.Add(k.ID, k) })
		return k, nil
	}
	return k, err
}

func (t *tx) GetAccount(ctx context.Context, id string) (*storage.Account, error) {
	t.c.mu.Lock()
	a, ok := t.c.accounts.Get(id)
	t.c.mu.Unlock()
	if ok {
		return cp(a), nil
	}
	a, err := t.rows.GetAccount(ctx, id)
	if err == nil && t.store {
		t.keep(tAccounts, func() { t.c.accounts.Add(a.ID, a) })
		return cp(a), nil
	}
	return a, err
}

func (t *tx) GetUser(ctx context.Context, acct, name string) (*storage.User, error) {
	k := nameKey{acct, storage.Fold(name)}
	t.c.mu.Lock()
	u, ok := t.c.users.Get(k)
	t.c.mu.Unlock()
	if ok {
		return u, nil
	}
	u, err := t.rows.GetUser(ctx, acct, name)
	if err == nil && t.store {
		t.keepUser(u)
		return u, nil
	}
	return u, err
}

func (t *tx) keepUser(u *storage.User) {
	// Keys from the stored row, not from the request (which a key would keep alive).
	k := nameKey{u.AccountID, storage.Fold(u.Name)}
	t.keep(tUsers, func() { t.c.users.Add(k, u); t.c.userIDs.Add(u.ID, k) })
}

func (t *tx) GetUserByID(ctx context.Context, id string) (*storage.User, error) {
	t.c.mu.Lock()
	if k, ok := t.c.userIDs.Get(id); ok {
		if u, ok := t.c.users.Get(k); ok && u.ID == id {
			t.c.mu.Unlock()
			return u, nil
		}
	}
	t.c.mu.Unlock()
	u, err := t.rows.GetUserByID(ctx, id)
	if err == nil && t.store {
		t.keepUser(u)
		return u, nil
	}
	return u, err
}

// ListUsers serves pages of up to maxCachedPageUsers users (ListUsers' pages); longer listings are read
// from the store. A page served from memory is the users it held when read, each as users holds it now:
// the changes that could change which users it holds drop it (userChanged).
func (t *tx) ListUsers(ctx context.Context, acct string, opts storage.ListOptions) ([]*storage.User, error) {
	if opts.Limit <= 0 || opts.Limit > maxCachedPageUsers {
		return t.Tx.ListUsers(ctx, acct, opts)
	}
	k := pageKey{acct, opts.PathPrefix, storage.Fold(opts.After), opts.Limit}
	t.c.mu.Lock()
	names, ok := t.c.pages.Get(k)
	var l []*storage.User // nil for an empty page, as the store answers
	if ok && len(names) > 0 {
		l = make([]*storage.User, len(names))
		for i, n := range names {
			if l[i], ok = t.c.users.Get(nameKey{acct, n}); !ok {
				break
			}
		}
	}
	t.c.mu.Unlock()
	if ok {
		return l, nil
	}
	l, err := t.rows.ListUsers(ctx, acct, opts)
	if err == nil && t.store {
		t.keepPage(k, l)
	}
	// Views sharing the read share the slice: an append by one must not write into another's.
	return slices.Clip(l), err
}

// keepPage keeps a page of users read from the store, and its users.
func (t *tx) keepPage(k pageKey, l []*storage.User) {
	names := make([]string, len(l))
	keys := make([]nameKey, len(l))
	for i, u := range l {
		keys[i] = nameKey{u.AccountID, storage.Fold(u.Name)}
		names[i] = keys[i].name
	}
	// Keys from the stored rows, or copies (the options may be slices of a request).
	k = pageKey{strings.Clone(k.account), strings.Clone(k.prefix), strings.Clone(k.after), k.limit}
	t.keep(tUsers, func() {
		for i, u := range l {
			t.c.users.Add(keys[i], u)
			t.c.userIDs.Add(u.ID, keys[i])
		}
		t.c.pages.Add(k, names)
		of := t.c.pagesOf[k.account]
		if of == nil {
			of = make(map[pageKey]struct{})
			t.c.pagesOf[k.account] = of
		}
		of[k] = struct{}{}
	})
}

func (t *tx) GetRole(ctx context.Context, acct, name string) (*storage.Role, error) {
	k := nameKey{acct, storage.Fold(name)}
	t.c.mu.Lock()
	r, ok := t.c.roles.Get(k)
	t.c.mu.Unlock()
	if ok {
		return cp(r), nil
	}
	r, err := t.rows.GetRole(ctx, acct, name)
	if err == nil && t.store {
		t.keepRole(r)
		return cp(r), nil
	}
	return r, err
}

func (t *tx) keepRole(r *storage.Role) {
	k := nameKey{r.AccountID, storage.Fold(r.Name)}
	t.keep(tRoles, func() { t.c.roles.Add(k, r); t.c.roleIDs.Add(r.ID, k) })
}

func (t *tx) GetRoleByID(ctx context.Context, id string) (*storage.Role, error) {
	t.c.mu.Lock()
	if k, ok := t.c.roleIDs.Get(id); ok {
		if r, ok := t.c.roles.Get(k); ok && r.ID == id {
			t.c.mu.Unlock()
			return cp(r), nil
		}
	}
	t.c.mu.Unlock()
	r, err := t.rows.GetRoleByID(ctx, id)
	if err == nil && t.store {
		t.keepRole(r)
		return cp(r), nil
	}
	return r, err
}

// ListAttachedPolicies serves the whole list of an owner (opts zero, the authorizer's and the IAM
// service's read); pages are read from the store.
func (t *tx) ListAttachedPolicies(ctx context.Context, acct string, kind storage.OwnerKind, owner string, opts storage.ListOptions) ([]string, error) {
	if opts != (storage.ListOptions{}) {
		return t.Tx.ListAttachedPolicies(ctx, acct, kind, owner, opts)
	}
	k := nameKey{acct, string(kind) + ":" + storage.Fold(owner)}
	t.c.mu.Lock()
	l, ok := t.c.attached.Get(k)
	t.c.mu.Unlock()
	if ok {
		return slices.Clip(l), nil
	}
	l, err := t.rows.ListAttachedPolicies(ctx, acct, kind, owner, opts)
	if err == nil && t.store {
		k = nameKey{strings.Clone(acct), strings.Clone(k.name)}
		t.keep(tAttached, func() { t.c.attached.Add(k, l) })
		return slices.Clip(l), nil
	}
	return l, err
}

func (t *tx) GetPolicyVersion(ctx context.Context, acct, policy, versionID string) (*storage.PolicyVersion, error) {
	k := nameKey{acct, storage.Fold(policy) + " " + versionID}
	t.c.mu.Lock()
	v, ok := t.c.versions.Get(k)
	t.c.mu.Unlock()
	if ok {
		return cp(v), nil
	}
	v, err := t.rows.GetPolicyVersion(ctx, acct, policy, versionID)
	if err == nil && t.store {
		k = nameKey{strings.Clone(acct), strings.Clone(k.name)}
		t.keep(tVersions, func() { t.c.versions.Add(k, v) })
		return cp(v), nil
	}
	return v, err
}

func (t *tx) GetKeyRing(ctx context.Context) (*storage.KeyRing, error) {
	t.c.mu.Lock()
	r := t.c.keyRing
	t.c.mu.Unlock()
	if r != nil {
		return cp(r), nil
	}
	r, err := t.rows.GetKeyRing(ctx)
	if err == nil && t.store {
		t.keep(tKeyRing, func() { t.c.keyRing = r })
		return cp(r), nil
	}
	return r, err
}

// notFound is the store's answer for a missing row, in its wording.
func notFound(what, id string) error {
	return &notFoundError{what: what, id: id}
}

type notFoundError struct{ what, id string }

func (e *notFoundError) Error() string {
	return e.what + " " + e.id + ": " + storage.ErrNotFound.Error()
}
func (e *notFoundError) Unwrap() error { return storage.ErrNotFound }
