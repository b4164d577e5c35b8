package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/iamd/iamd/internal/storage/sqlstore"
)

// sqlBegin opens a write transaction; it goes with the transaction's first statement.
const sqlBegin = `BEGIN ISOLATION LEVEL SERIALIZABLE`

var errPipelineDone = errors.New("postgres: statement after the end of the transaction")

// pipeline is a write transaction on one pooled connection whose statements go in pgx batches: a batch
// is sent in one round trip (pipeline mode, one Sync at its end), so what the store queues travels with
// the next statement it waits for (sqlstore.Pipeline). A group of retags of one user costs two round
// trips: BEGIN with the read of the user, then the update, the audit events, the notification and
// COMMIT.
type pipeline struct {
	s     *Store
	conn  *pgxpool.Conn // nil once released
	batch *pgx.Batch
	// checks are those of the queued statements, in order.
	checks []func(rowsAffected int64) error
	// open: the results of the last batch, until the statement that waited for them is read.
	open pgx.BatchResults
	// begun: a batch was sent (the first holds BEGIN).
	begun bool
}

var _ sqlstore.Pipeline = (*pipeline)(nil)

func (s *Store) beginPipeline(ctx context.Context) (sqlstore.Pipeline, error) {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return nil, err
	}
	p := &pipeline{s: s, conn: conn, batch: &pgx.Batch{}}
	p.Queue(nil, sqlBegin)
	return p, nil
}

func (p *pipeline) Queue(check func(rowsAffected int64) error, query string, args ...any) {
	p.batch.Queue(query, args...)
	p.checks = append(p.checks, check)
}

// send sends the queued statements and query in one batch, reads the queued ones' results and returns
// the batch positioned at query's result.
func (p *pipeline) send(ctx context.Context, query string, args []any) (pgx.BatchResults, error) {
	if p.conn == nil {
		return nil, errPipelineDone
	}
	if err := p.closeOpen(); err != nil {
		return nil, err
	}
	b, checks := p.batch, p.checks
	p.batch, p.checks = &pgx.Batch{}, nil
	b.Queue(query, args...)
	p.s.roundTrips.Add(1)
	p.begun = true
	br := p.conn.SendBatch(ctx, b)
	for _, check := range checks {
		tag, err := br.Exec()
		if err == nil && check != nil {
			err = check(tag.RowsAffected())
		}
		if err != nil {
			_ = br.Close()
			return nil, err
		}
	}
	p.open = br
	return br, nil
}

// closeOpen finishes the previous batch (its last result was read, or was not wanted).
func (p *pipeline) closeOpen() error {
	if p.open == nil {
		return nil
	}
	err := p.open.Close()
	p.open = nil
	return err
}

func (p *pipeline) Exec(ctx context.Context, query string, args ...any) (int64, error) {
	br, err := p.send(ctx, query, args)
	if err != nil {
		return 0, err
	}
	tag, err := br.Exec()
	if cerr := p.closeOpen(); err == nil {
		err = cerr
	}
	return tag.RowsAffected(), err
}

func (p *pipeline) Query(ctx context.Context, query string, args ...any) (sqlstore.Rows, error) {
	br, err := p.send(ctx, query, args)
	if err != nil {
		return nil, err
	}
	rows, err := br.Query()
	if err != nil {
		rows.Close()
		_ = p.closeOpen()
		return nil, err
	}
	return &pipeRows{rows: rows, p: p}, nil
}

func (p *pipeline) QueryRow(ctx context.Context, query string, args ...any) sqlstore.Row {
	br, err := p.send(ctx, query, args)
	if err != nil {
		return errRow{err}
	}
	return pipeRow{row: br.QueryRow(), p: p}
}

func (p *pipeline) Commit(ctx context.Context) error {
	// A commit is not interrupted halfway: its outcome would be unknown.
	ctx = context.WithoutCancel(ctx)
	defer p.release(ctx)
	if !p.begun && len(p.checks) == 1 {
		// Nothing but BEGIN: a transaction that ran no statement has nothing to commit.
		return nil
	}
	br, err := p.send(ctx, "COMMIT", nil)
	if err != nil {
		return err
	}
	tag, err := br.Exec()
	if cerr := p.closeOpen(); err == nil {
		err = cerr
	}
	if err == nil && tag.String() == "ROLLBACK" {
		// COMMIT of a transaction that had failed.
		err = pgx.ErrTxCommitRollback
	}
	return err
}

func (p *pipeline) Rollback() { p.release(context.Background()) }

// release rolls back what is still open on the connection and gives it back to the pool.
func (p *pipeline) release(ctx context.Context) {
	if p.conn == nil {
		return
	}
	_ = p.closeOpen()
	if st := p.conn.Conn().PgConn().TxStatus(); st != 'I' && !p.conn.Conn().IsClosed() {
		// The pool would close a connection left in a transaction; rolled back, it serves again.
		if _, err := p.conn.Exec(ctx, "ROLLBACK"); err != nil {
			p.s.log.Debug("postgres: rollback", "err", err)
		}
	}
	p.conn.Release()
	p.conn = nil
}

// pipeRows reads a query's rows, then finishes its batch.
type pipeRows struct {
	rows pgx.Rows
	p    *pipeline
	err  error
	done bool
}

func (r *pipeRows) Next() bool {
	if r.done {
		return false
	}
	if r.rows.Next() {
		return true
	}
	r.finish()
	return false
}

func (r *pipeRows) Scan(dest ...any) error { return r.rows.Scan(dest...) }

func (r *pipeRows) Err() error {
	if err := r.rows.Err(); err != nil {
		return err
	}
	return r.err
}

func (r *pipeRows) Close() error {
	r.finish()
	return r.Err()
}

func (r *pipeRows) finish() {
	if r.done {
		return
	}
	r.done = true
	r.rows.Close()
	r.err = r.p.closeOpen()
}

// pipeRow reads a single-row query's row, then finishes its batch.
type pipeRow struct {
	row pgx.Row
	p   *pipeline
}

func (r pipeRow) Scan(dest ...any) error {
	err := r.row.Scan(dest...)
	if cerr := r.p.closeOpen(); err == nil {
		err = cerr
	}
	return err
}

// errRow is a row whose query could not be sent.
type errRow struct{ err error }

func (r errRow) Scan(...any) error { return fmt.Errorf("postgres: %w", r.err) }
