// Package sqlstore implements storage.Store once over database/sql for every SQL backend. Queries are
// written in the PostgreSQL dialect ($1 placeholders) and rewritten mechanically by a Dialect (SQLite
// turns $N into ?N and drops COLLATE "C"). Named entities share one table keyed by (account, kind, folded
// name) so uniqueness is enforced by the database; relations are tables with composite foreign keys that
// cascade renames and deletions.
package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"reflect"
	"regexp"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/iamd/iamd/internal/storage"
)

// Retry policy for serialization failures and deadlocks. Many writers in one account contend on the
// same counter row, so the budget is generous; the backoff is jittered so contenders spread out.
const (
	DefaultMaxAttempts = 40
	retryBaseDelay     = 2 * time.Millisecond
	retryMaxDelay      = 200 * time.Millisecond
	// subscriberBuffer is how many changes a subscriber may lag before it is told to flush (ChangeAll).
	subscriberBuffer = 1024
)

// Dialect adapts the shared SQL to one database.
type Dialect struct {
	Name string
	// Rewrite turns a PostgreSQL-dialect statement into this dialect's; nil keeps it.
	Rewrite func(query string) string
	// IsRetryable reports serialization failures, deadlocks and busy errors worth running fn again for.
	IsRetryable func(err error) bool
	// IsUniqueViolation reports a unique or primary key violation.
	IsUniqueViolation func(err error) bool
	// DetachStatements runs each statement without the caller's cancellation (checked between statements
	// instead): on SQLite a cancellable context costs a watcher goroutine and a progress handler per
	// statement, and an interrupted write statement can roll back the whole transaction. PostgreSQL keeps
	// cancellation for reads; its writes are detached by group commit all the same (a group's transaction
	// is not one caller's to cancel, and pgx closes the connection of a cancelled statement).
	DetachStatements bool
	// SingleStatementViews runs a View outside a transaction until fn issues a second statement (see
	// viewRunner): on PostgreSQL a BEGIN and a COMMIT are two round trips that a one-statement read, the
	// commonest, does not need, since one statement sees one snapshot.
	SingleStatementViews bool
	// CacheStatements keeps prepared statements per database (see stmtCache): modernc's SQLite driver
	// prepares a query text on every call otherwise. pgx caches prepared statements per connection on its
	// own, and measured slower writes with a second layer on top (database/sql statements), so PostgreSQL
	// leaves it off.
	CacheStatements bool
	// UpdateTx and ViewTx are the options of read-write and read-only transactions.
	UpdateTx *sql.TxOptions
	ViewTx   *sql.TxOptions
	// MigrationLock, when set, is run first in every migration transaction so that nodes starting
	// together apply migrations one at a time.
	MigrationLock string
	// Notify, when set, gives the statements that tell other nodes of a write transaction's changes,
	// run just before its commit (PostgreSQL sends them with pg_notify, which is delivered only if the
	// transaction commits).
	Notify func(changes []storage.Change) ([]Statement, error)
	// BeginPipeline, when set, begins write transactions (Update's, alone or in a commit group) in the
	// driver's pipeline instead of as database/sql transactions of WriteDB (see Pipeline).
	BeginPipeline func(ctx context.Context) (Pipeline, error)
}

var dollarParam = regexp.MustCompile(`\$(\d+)`)

// SQLiteRewrite rewrites the PostgreSQL dialect for SQLite: numbered parameters become ?N (SQLite binds
// $N by first appearance, not by number) and C collation is SQLite's default BINARY.
func SQLiteRewrite(q string) string {
	q = dollarParam.ReplaceAllString(q, "?$1")
	return collateC.ReplaceAllString(q, "")
}

var collateC = regexp.MustCompile(` COLLATE "C"`)

// Options tune a Store.
type Options struct {
	Logger      *slog.Logger
	MaxAttempts int // 0: DefaultMaxAttempts
	// GroupCommit runs concurrent Update calls together in one transaction (see committer), with
	// one commit (and so one fsync) for the group. For a database with a single writer (SQLite), where
	// the commit's fsync, not the work, bounds writes per second.
	GroupCommit bool
}

// Store is the shared SQL implementation of storage.Store. Backends embed it and provide Backup.
type Store struct {
	// WriteDB runs Update transactions; ReadDB runs View transactions (the same pool on PostgreSQL; on
	// SQLite a single-connection writer and a pool of query_only readers).
	WriteDB *sql.DB
	ReadDB  *sql.DB
	d       Dialect
	log     *slog.Logger
	tries   int
	hub     *Hub
	stmts   sync.Map // query → rewritten query
	// Prepared statements of WriteDB and ReadDB (one cache when they are the same database).
	writeStmts, readStmts *stmtCache
	group                 *committer // nil without Options.GroupCommit
	multiViews            sync.Map   // View fn code pointer → true: it issued more than one statement
	stats                 struct {
		retries, groupFallbacks, viewReruns, statements, viewTransactions atomic.Int64
	}
	detach bool // see Dialect.DetachStatements; always with group commit
	// eventBuf is AppendBlocks' compression buffer, kept between calls (see events.go).
	eventBuf struct {
		sync.Mutex
		comp []byte
	}
}

// New returns a Store over the databases after applying pending migrations.
func New(ctx context.Context, writeDB, readDB *sql.DB, d Dialect, opts Options) (*Store, error) {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.MaxAttempts <= 0 {
		opts.MaxAttempts = DefaultMaxAttempts
	}
	s := &Store{WriteDB: writeDB, ReadDB: readDB, d: d, log: opts.Logger, tries: opts.MaxAttempts, hub: NewHub()}
	if err := s.migrate(ctx); err != nil {
		return nil, err
	}
	// Statements are cached only after migrations: a prepared statement must not outlive a schema change.
	s.writeStmts = newStmtCache(writeDB, d.CacheStatements)
	s.readStmts = s.writeStmts
	if readDB != writeDB {
		s.readStmts = newStmtCache(readDB, d.CacheStatements)
	}
	// A group's transaction belongs to all its members: one member's cancellation must not interrupt it.
	s.detach = d.DetachStatements || opts.GroupCommit
	if opts.GroupCommit {
		s.group = newCommitter(s)
	}
	return s, nil
}

func (s *Store) q(query string) string {
	if s.d.Rewrite == nil {
		return query
	}
	if v, ok := s.stmts.Load(query); ok {
		return v.(string)
	}
	r := s.d.Rewrite(query)
	s.stmts.Store(query, r)
	return r
}

// Stats counts work done again since the store opened.
type Stats struct {
	// Retries: transactions run again after a serialization failure or deadlock (or SQLITE_BUSY).
	Retries int64
	// GroupFallbacks: commit groups that failed as a whole, their members then run one by one.
	GroupFallbacks int64
	// ViewReruns: single-statement Views run again because their first read moved (see viewRunner).
	ViewReruns int64
	// Statements: statements sent to the database, BEGIN and COMMIT aside (a group's savepoints count once
	// per member). On PostgreSQL a read outside a write transaction is a round trip of its own; a write
	// transaction's statements share round trips (see Pipeline).
	Statements int64
	// ViewTransactions: Views that ran in a transaction (on PostgreSQL, BEGIN and COMMIT around their reads).
	ViewTransactions int64
}

// Stats returns the store's counters (for metrics and for measuring contention).
func (s *Store) Stats() Stats {
	return Stats{Retries: s.stats.retries.Load(), GroupFallbacks: s.stats.groupFallbacks.Load(), ViewReruns: s.stats.viewReruns.Load(),
		Statements: s.stats.statements.Load(), ViewTransactions: s.stats.viewTransactions.Load()}
}

// Hub returns the change hub; backends feed changes from other nodes into it.
func (s *Store) Hub() *Hub { return s.hub }

// Update implements storage.Store.
// The transaction also stores the preliminary audit event of the request ctx carries, if it has one
// no earlier write stored (see audit.Pending): the write and its event commit together.
func (s *Store) Update(ctx context.Context, fn func(tx storage.Tx) error) error {
	fn, stored := withPendingEvent(ctx, fn)
	var err error
	if s.group != nil {
		err = s.group.update(ctx, fn)
	} else {
		err = s.updateAlone(ctx, fn)
	}
	if err == nil && stored != nil {
		stored()
	}
	return err
}

// updateAlone runs fn in a transaction of its own, retrying serialization failures.
func (s *Store) updateAlone(ctx context.Context, fn func(tx storage.Tx) error) error {
	var last error
	for attempt := 0; attempt < s.tries; attempt++ {
		if attempt > 0 {
			if err := sleepBackoff(ctx, attempt); err != nil {
				return fmt.Errorf("%w (after %d attempts: %w)", storage.ErrConflict, attempt, last)
			}
		}
		since := s.hub.Published()
		changes, err := s.run(ctx, s.WriteDB, s.writeStmts, s.d.UpdateTx, true, fn)
		if err == nil {
			s.hub.publishWrite(changes, &since)
			return nil
		}
		if s.d.IsRetryable == nil || !s.d.IsRetryable(err) || ctx.Err() != nil {
			return err
		}
		last = err
		s.stats.retries.Add(1)
		s.log.DebugContext(ctx, "storage: retrying transaction", "attempt", attempt+1, "err", err)
	}
	return fmt.Errorf("%w: transaction not serialised after %d attempts: %w", storage.ErrConflict, s.tries, last)
}

// View implements storage.Store.
func (s *Store) View(ctx context.Context, fn func(tx storage.Tx) error) error {
	return s.ViewAt(ctx, fn, fn)
}

// ViewAt is View of fn, a wrapper of site (a function): what View learns of how many statements a
// function issues it learns of site. A layer above that wraps every caller's function in one of its own
// (the cache) names the caller's, so that one caller reading twice does not send every other into a
// transaction.
func (s *Store) ViewAt(ctx context.Context, site any, fn func(tx storage.Tx) error) error {
	if s.d.SingleStatementViews {
		// Keyed by the function literal: a closure that once issued more than one statement goes straight
		// to a transaction from then on, so only its first run pays for the check (see viewRunner).
		key := reflect.ValueOf(site).Pointer()
		if _, multi := s.multiViews.Load(key); !multi {
			multi, err := s.viewLazily(ctx, fn)
			if multi {
				s.multiViews.Store(key, true)
			}
			if err == errRerunView {
				s.stats.viewReruns.Add(1)
			}
			if err != errRerunView && (err == nil || s.d.IsRetryable == nil || !s.d.IsRetryable(err) || ctx.Err() != nil) {
				return err
			}
		}
	}
	for attempt := 0; ; attempt++ {
		_, err := s.run(ctx, s.ReadDB, s.readStmts, s.d.ViewTx, false, fn)
		// A read-only snapshot can still hit a busy database (SQLite during a checkpoint); retry those.
		if err == nil || s.d.IsRetryable == nil || !s.d.IsRetryable(err) || attempt+1 >= s.tries || ctx.Err() != nil {
			return err
		}
		if err := sleepBackoff(ctx, attempt+1); err != nil {
			return err
		}
	}
}

func sleepBackoff(ctx context.Context, attempt int) error {
	d := retryBaseDelay << min(attempt, 10)
	d = min(d, retryMaxDelay)
	d = d/2 + rand.N(d/2+1)
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func (s *Store) run(ctx context.Context, db *sql.DB, cache *stmtCache, opts *sql.TxOptions, write bool, fn func(tx storage.Tx) error) (changes []storage.Change, err error) {
	var st interface {
		stmtRunner
		commit(ctx context.Context) error
		rollback()
		finish()
	}
	if write {
		st, err = s.beginWrite(ctx)
		if err != nil {
			return nil, err
		}
	} else {
		sqlTx, err := db.BeginTx(ctx, opts)
		if err != nil {
			return nil, fmt.Errorf("storage: begin: %w", err)
		}
		s.stats.viewTransactions.Add(1)
		st = newSQLTx(sqlTx, cache, &s.stats.statements)
	}
	committed := false
	defer func() {
		if !committed {
			st.rollback()
		}
		st.finish()
	}()
	t := &txn{s: s, tx: st, write: write}
	if err := fn(t); err != nil {
		return nil, err
	}
	if write {
		wt := st.(writeTx)
		fctx, err := t.stmtCtx(ctx)
		if err != nil {
			return nil, fmt.Errorf("storage: %w", err)
		}
		if err := s.finishWrites(fctx, wt, t.memo, t.counters, t.pending, t.changes); err != nil {
			return nil, err
		}
	}
	committed = true
	if err := st.commit(ctx); err != nil {
		return nil, fmt.Errorf("storage: commit: %w", err)
	}
	t.memo.withRows(t.changes)
	return t.changes, nil
}

// finishWrites sends what a write transaction (or commit group) still owes before its commit: its
// deferred update, its counters, its preliminary audit events and the notification of its changes. On
// a pipeline they go with COMMIT, in one round trip.
func (s *Store) finishWrites(ctx context.Context, st writeTx, memo *rowMemo, counters map[counterKey]int64, pending []pendingRow, changes []storage.Change) error {
	if err := memo.sendDeferred(ctx, st, s.q); err != nil {
		return err
	}
	if err := s.flushCounters(ctx, st, counters); err != nil {
		return err
	}
	if err := s.flushPending(ctx, st, pending); err != nil {
		return err
	}
	if len(changes) == 0 || s.d.Notify == nil {
		return nil
	}
	stmts, err := s.d.Notify(changes)
	if err != nil {
		return fmt.Errorf("storage: notify: %w", err)
	}
	for _, n := range stmts {
		if err := st.later(ctx, nil, n.Query, n.Args...); err != nil {
			return fmt.Errorf("storage: notify: %w", err)
		}
	}
	return nil
}

// Subscribe implements storage.Store.
func (s *Store) Subscribe() (<-chan storage.Change, func()) { return s.hub.Subscribe() }

// Ping implements storage.Store.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.WriteDB.PingContext(ctx); err != nil {
		return fmt.Errorf("storage: ping: %w", err)
	}
	var one int
	if err := s.ReadDB.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
		return fmt.Errorf("storage: ping: %w", err)
	}
	return nil
}

// Backup reports that the backend has no online backup; backends override it.
func (s *Store) Backup(ctx context.Context, w io.Writer) error {
	return fmt.Errorf("storage: %s: online backup is not supported", s.d.Name)
}

// Close stops the group committer (Update calls still waiting get an error), closes the hub, the
// prepared statements and the databases.
func (s *Store) Close() error {
	if s.group != nil {
		s.group.stop()
	}
	s.hub.Close()
	err := s.writeStmts.close()
	if s.readStmts != s.writeStmts {
		err = errors.Join(err, s.readStmts.close())
	}
	err = errors.Join(err, s.WriteDB.Close())
	if s.ReadDB != s.WriteDB {
		err = errors.Join(err, s.ReadDB.Close())
	}
	return err
}

// Hub fans committed changes out to subscribers without ever blocking a writer.
type Hub struct {
	mu     sync.Mutex
	subs   map[chan storage.Change]struct{}
	closed bool
	// published counts Publish calls (written under mu): a write that finds it moved between its
	// transaction's beginning and the publication of its changes publishes them without rows (see
	// publishWrite).
	published atomic.Uint64
}

// NewHub returns an empty hub.
func NewHub() *Hub { return &Hub{subs: make(map[chan storage.Change]struct{})} }

// Subscribe adds a subscriber; the returned function removes it and closes its channel.
func (h *Hub) Subscribe() (<-chan storage.Change, func()) {
	ch := make(chan storage.Change, subscriberBuffer)
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		close(ch)
		return ch, func() {}
	}
	h.subs[ch] = struct{}{}
	var once sync.Once
	return ch, func() {
		once.Do(func() {
			h.mu.Lock()
			defer h.mu.Unlock()
			if _, ok := h.subs[ch]; ok {
				delete(h.subs, ch)
				close(ch)
			}
		})
	}
}

// Publish delivers changes. A subscriber whose buffer is full has its backlog replaced by one
// ChangeAll, which tells it to drop its whole cache: that is always correct, merely slower.
func (h *Hub) Publish(changes []storage.Change) {
	h.publishWrite(changes, nil)
}

// Published returns how many times changes were published so far; a write takes it before its
// transaction begins and hands it to publishWrite.
func (h *Hub) Published() uint64 { return h.published.Load() }

// publishWrite publishes the changes of a local write whose transaction began when Published returned
// *since (nil: changes of any other origin, which carry no rows). A change's Row is the row as the write
// committed it; it goes out only if nothing was published in between. Otherwise another change
// published first may be newer than the write (another node's, committed after this one but notified
// sooner, or a local write committed after this one), and a subscriber that installed the row after
// applying it would keep an old row: such changes go out as plain invalidations.
func (h *Hub) publishWrite(changes []storage.Change, since *uint64) {
	if len(changes) == 0 {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if n := h.published.Add(1); since == nil || n-1 != *since {
		changes = withoutRows(changes)
	}
	for ch := range h.subs {
		for _, c := range changes {
			select {
			case ch <- c:
				continue
			default:
			}
		drain:
			for {
				select {
				case <-ch:
				default:
					break drain
				}
			}
			ch <- storage.Change{Kind: storage.ChangeAll}
			break
		}
	}
}

// withoutRows returns changes without their rows (changes itself when none has one).
func withoutRows(changes []storage.Change) []storage.Change {
	i := slices.IndexFunc(changes, func(c storage.Change) bool { return c.Row != nil })
	if i < 0 {
		return changes
	}
	out := slices.Clone(changes)
	for j := i; j < len(out); j++ {
		out[j].Row = nil
	}
	return out
}

// Close closes every subscription.
func (h *Hub) Close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return
	}
	h.closed = true
	for ch := range h.subs {
		close(ch)
		delete(h.subs, ch)
	}
}
