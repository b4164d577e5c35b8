package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"sync"
	"sync/atomic"
)

// maxCachedStatements bounds the prepared statements kept per database. The store's query texts are
// fixed except for the literals that page() writes (LIMIT and path-prefix lengths), so a few hundred
// cover every shape in use; past the bound a new text simply runs unprepared, as every query used to.
const maxCachedStatements = 1024

// stmtCache keeps one *sql.Stmt per final (dialect-rewritten) query text for one *sql.DB. Preparing a
// statement costs more than running most of the store's queries (SQLite's sqlite3_prepare_v2 was half
// the CPU of a GetAccountAuthorizationDetails walk), so each text is prepared once per connection:
// database/sql keeps the Stmt's per-connection handles and Tx.StmtContext reuses the one of the
// transaction's connection, preparing it there on first use.
//
// DB.PrepareContext needs a free connection of its own, which a caller inside a transaction may never
// get (the SQLite writer pool has one connection; PostgreSQL shares one pool between readers and
// writers). So a query first runs unprepared and a background goroutine, holding no connection while
// it waits for one, prepares it for the transactions after.
//
// A cached statement is one SQLite handle per connection, reset for each use: its rows must be closed
// before the same text runs again in the transaction. The store keeps to that by reading every result
// to the end (and closing it) before it issues the next query.
type stmtCache struct {
	db      *sql.DB
	off     bool     // Dialect.CacheStatements unset: every query runs unprepared
	m       sync.Map // string → *sql.Stmt
	ctx     context.Context
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	mu      sync.Mutex // guards the fields below
	n       int        // statements in m
	pending map[string]bool
	running bool
	closed  bool
}

func newStmtCache(db *sql.DB, enabled bool) *stmtCache {
	ctx, cancel := context.WithCancel(context.Background())
	return &stmtCache{db: db, off: !enabled, ctx: ctx, cancel: cancel, pending: make(map[string]bool)}
}

// get returns the cached statement of query, or nil when it has not been prepared yet.
func (c *stmtCache) get(query string) *sql.Stmt {
	if v, ok := c.m.Load(query); ok {
		return v.(*sql.Stmt)
	}
	return nil
}

// want queues queries for preparation in the background.
func (c *stmtCache) want(queries []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, q := range queries {
		if c.closed || c.n+len(c.pending) >= maxCachedStatements {
			break
		}
		if _, ok := c.m.Load(q); !ok {
			c.pending[q] = true
		}
	}
	if len(c.pending) > 0 && !c.running && !c.closed {
		c.running = true
		c.wg.Add(1)
		go c.work()
	}
}

func (c *stmtCache) work() {
	defer c.wg.Done()
	for {
		c.mu.Lock()
		var q string
		for q = range c.pending {
			break
		}
		if c.closed || q == "" {
			c.running = false
			c.mu.Unlock()
			return
		}
		delete(c.pending, q)
		c.mu.Unlock()
		// An error leaves the query unprepared; the transactions that run it report any real problem.
		st, err := c.db.PrepareContext(c.ctx, q)
		if err != nil {
			continue
		}
		c.mu.Lock()
		if c.closed {
			_ = st.Close()
		} else {
			c.m.Store(q, st)
			c.n++
		}
		c.mu.Unlock()
	}
}

// close stops the background preparation and closes every cached statement.
func (c *stmtCache) close() error {
	c.mu.Lock()
	c.closed = true
	c.cancel()
	c.mu.Unlock()
	c.wg.Wait()
	var err error
	c.m.Range(func(k, v any) bool {
		err = errors.Join(err, v.(*sql.Stmt).Close())
		c.m.Delete(k)
		return true
	})
	return err
}

// resultRows is a result set: *sql.Rows, one of a Pipeline, or one recorded by a viewRunner.
type resultRows = Rows

// resultRow is a single-row result: *sql.Row, one of a Pipeline, or one recorded by a viewRunner.
type resultRow = Row

// stmtRunner runs a txn's statements: a sqlTx inside a database transaction, or a viewRunner.
type stmtRunner interface {
	exec(ctx context.Context, query string, args ...any) (sql.Result, error)
	query(ctx context.Context, query string, args ...any) (resultRows, error)
	queryRow(ctx context.Context, query string, args ...any) resultRow
}

// sqlTx is one database transaction with the statements bound to it. Several txn values share one
// sqlTx under group commit.
type sqlTx struct {
	tx     *sql.Tx
	cache  *stmtCache
	bound  map[string]*sql.Stmt // query → cache statement bound to tx (Tx.StmtContext allocates per call)
	missed []string             // queries run unprepared, to prepare once the transaction is over
	n      *atomic.Int64        // the store's count of statements
}

func newSQLTx(tx *sql.Tx, cache *stmtCache, n *atomic.Int64) *sqlTx {
	return &sqlTx{tx: tx, cache: cache, n: n}
}

// stmt returns query's cached statement bound to the transaction, or nil (the caller then runs the
// text directly and the query is remembered for preparation after the transaction).
func (t *sqlTx) stmt(ctx context.Context, query string) *sql.Stmt {
	if t.cache.off {
		return nil
	}
	if st, ok := t.bound[query]; ok {
		return st
	}
	st := t.cache.get(query)
	if st == nil {
		if len(t.missed) < maxCachedStatements {
			t.missed = append(t.missed, query)
		}
		return nil
	}
	st = t.tx.StmtContext(ctx, st)
	if t.bound == nil {
		t.bound = make(map[string]*sql.Stmt)
	}
	t.bound[query] = st
	return st
}

func (t *sqlTx) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	t.n.Add(1)
	if st := t.stmt(ctx, query); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return t.tx.ExecContext(ctx, query, args...)
}

func (t *sqlTx) query(ctx context.Context, query string, args ...any) (resultRows, error) {
	t.n.Add(1)
	var rows *sql.Rows
	var err error
	if st := t.stmt(ctx, query); st != nil {
		rows, err = st.QueryContext(ctx, args...)
	} else {
		rows, err = t.tx.QueryContext(ctx, query, args...)
	}
	if err != nil {
		return nil, err // not a nil *sql.Rows in a non-nil interface
	}
	return rows, nil
}

func (t *sqlTx) queryRow(ctx context.Context, query string, args ...any) resultRow {
	t.n.Add(1)
	if st := t.stmt(ctx, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return t.tx.QueryRowContext(ctx, query, args...)
}

// finish queues the queries this transaction ran unprepared for preparation.
func (t *sqlTx) finish() {
	if len(t.missed) > 0 {
		t.cache.want(t.missed)
		t.missed = nil
	}
}

// stmtCtx is the context handed to the driver for one statement. With Store.detach the statement runs
// without the caller's cancellation, which is checked here between statements instead (see
// Dialect.DetachStatements); a statement is short. Under group commit alone (PostgreSQL) only writes are
// detached: a read-only transaction belongs to its caller, and pgx ends a cancelled one's statement.
func (t *txn) stmtCtx(ctx context.Context) (context.Context, error) {
	if err := ctx.Err(); err != nil {
		return ctx, err
	}
	if !t.s.detach || !t.write && !t.s.d.DetachStatements {
		return ctx, nil
	}
	return context.WithoutCancel(ctx), nil
}
