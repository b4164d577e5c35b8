package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"sync/atomic"
)

// Statement is one SQL statement with its arguments.
type Statement struct {
	Query string
	Args  []any
}

// Rows is a result set as the store reads it (*sql.Rows satisfies it).
type Rows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
	Close() error
}

// Row is a single-row result (*sql.Row satisfies it). A missing row is an error that matches
// sql.ErrNoRows.
type Row interface {
	Scan(dest ...any) error
}

// Pipeline is a write transaction of a driver that sends several statements in one round trip
// (PostgreSQL's pipeline mode). It opens the transaction (serializable, as Dialect.UpdateTx says) in the
// round trip of its first statement. The store queues what it need not wait for: an update whose row
// count it only checks, the counters, the preliminary audit events, the notification of other nodes, a
// savepoint. They go with the next statement it sends, or with COMMIT, so that a group of writes that
// read one row costs two round trips (BEGIN with the read, the writes with COMMIT) instead of one per
// statement.
type Pipeline interface {
	Exec(ctx context.Context, query string, args ...any) (rowsAffected int64, err error)
	Query(ctx context.Context, query string, args ...any) (Rows, error)
	QueryRow(ctx context.Context, query string, args ...any) Row
	// Queue adds a statement sent before the next one, in its round trip. check, if not nil, is given
	// its row count; an error of the statement or of check fails that next statement (or Commit), and
	// with it the transaction.
	Queue(check func(rowsAffected int64) error, query string, args ...any)
	// Commit sends the queued statements and COMMIT in one round trip.
	Commit(ctx context.Context) error
	// Rollback ends a transaction that is not committed (after Commit it does nothing).
	Rollback()
}

// laterRunner runs statements whose outcome the store need not wait for (see writeTx.later).
type laterRunner interface {
	later(ctx context.Context, check func(rowsAffected int64) error, query string, args ...any) error
}

// writeTx is a write transaction as the store drives it: a database/sql transaction (sqlTx) or a
// driver's pipeline (pipeTx).
type writeTx interface {
	stmtRunner
	// later runs a statement whose outcome only check needs (nil: only its error): at once on
	// database/sql, with the next statement in a pipeline (its error then fails that statement).
	laterRunner
	// plain runs statements without arguments that no statement cache should keep (savepoints).
	plain(ctx context.Context, stmts ...string) error
	commit(ctx context.Context) error
	rollback()
	finish()
}

// beginWrite begins a write transaction: the dialect's pipeline if it has one, else a database/sql
// transaction of WriteDB.
func (s *Store) beginWrite(ctx context.Context) (writeTx, error) {
	if s.d.BeginPipeline != nil {
		p, err := s.d.BeginPipeline(ctx)
		if err != nil {
			return nil, fmt.Errorf("storage: begin: %w", err)
		}
		return &pipeTx{p: p, n: &s.stats.statements}, nil
	}
	tx, err := s.WriteDB.BeginTx(ctx, s.d.UpdateTx)
	if err != nil {
		return nil, fmt.Errorf("storage: begin: %w", err)
	}
	return newSQLTx(tx, s.writeStmts, &s.stats.statements), nil
}

func (t *sqlTx) later(ctx context.Context, check func(int64) error, query string, args ...any) error {
	res, err := t.exec(ctx, query, args...)
	if err != nil || check == nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("rows affected: %w", err)
	}
	return check(n)
}

// plain sends stmts in one round trip: statements without arguments run together on either driver.
func (t *sqlTx) plain(ctx context.Context, stmts ...string) error {
	t.n.Add(1)
	_, err := t.tx.ExecContext(ctx, strings.Join(stmts, "; "))
	return err
}

func (t *sqlTx) commit(context.Context) error { return t.tx.Commit() }

// rollback's error after a failed statement adds nothing to the first error.
func (t *sqlTx) rollback() { _ = t.tx.Rollback() }

// pipeTx runs a write transaction's statements through a Pipeline.
type pipeTx struct {
	p Pipeline
	n *atomic.Int64 // the store's count of statements
}

func (t *pipeTx) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	t.n.Add(1)
	n, err := t.p.Exec(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	return rowsAffected(n), nil
}

func (t *pipeTx) query(ctx context.Context, query string, args ...any) (resultRows, error) {
	t.n.Add(1)
	return t.p.Query(ctx, query, args...)
}

func (t *pipeTx) queryRow(ctx context.Context, query string, args ...any) resultRow {
	t.n.Add(1)
	return t.p.QueryRow(ctx, query, args...)
}

func (t *pipeTx) later(_ context.Context, check func(int64) error, query string, args ...any) error {
	t.n.Add(1)
	t.p.Queue(check, query, args...)
	return nil
}

func (t *pipeTx) plain(_ context.Context, stmts ...string) error {
	t.n.Add(1)
	for _, q := range stmts {
		t.p.Queue(nil, q)
	}
	return nil
}

func (t *pipeTx) commit(ctx context.Context) error { return t.p.Commit(ctx) }
func (t *pipeTx) rollback()                        { t.p.Rollback() }
func (t *pipeTx) finish()                          {}

// rowsAffected is the sql.Result of a pipelined statement.
type rowsAffected int64

func (rowsAffected) LastInsertId() (int64, error) {
	return 0, fmt.Errorf("storage: LastInsertId is not supported")
}
func (n rowsAffected) RowsAffected() (int64, error) { return int64(n), nil }
