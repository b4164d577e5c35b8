package sqlstore

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"reflect"

	"github.com/iamd/iamd/internal/storage"
)

// errRerunView ends a single-statement view whose first statement could not be confirmed inside the
// transaction its second statement needed: View runs fn again, in a transaction from the start.
var errRerunView = errors.New("storage: view snapshot moved; running it again")

// errReadOnly is what a write inside View gets when no read-only transaction is there to refuse it.
var errReadOnly = errors.New("storage: write in a read-only transaction")

// viewRunner runs a View without BEGIN and COMMIT while fn has issued one statement (see
// Dialect.SingleStatementViews). A statement outside a transaction sees one snapshot of its own, so a
// fn that reads once (GetUser, the commonest request) is answered in one round trip instead of three.
//
// When fn issues a second statement, the runner begins the read-only transaction then, runs the first
// statement again inside it and compares what fn saw of it (each Next, each scanned value, each error)
// with the new result. If they agree, fn's whole run is one it could have made inside the transaction's
// snapshot, and it carries on there; if not (a write committed in between), the run is abandoned with
// errRerunView and View runs fn again in a transaction from the start.
type viewRunner struct {
	s     *Store
	db    *sql.DB
	cache *stmtCache
	opts  *sql.TxOptions
	// first is the first statement and what fn saw of it; nil before it.
	first *recording
	// tx and st exist once a second statement came.
	tx    *sql.Tx
	st    *sqlTx
	rerun bool // sticky: the first statement's result moved
}

// recording is one statement and the events of its result, in the order fn met them.
type recording struct {
	query  string
	args   []any
	single bool // queryRow, not query
	err    error
	events []event
}

type event struct {
	kind byte  // 'n' Next, 's' Scan, 'e' Err
	ok   bool  // Next's result
	err  error // Scan's or Err's error
	vals []any // Scan's values (copies), when err is nil
}

func (v *viewRunner) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return nil, errReadOnly
}

func (v *viewRunner) query(ctx context.Context, query string, args ...any) (resultRows, error) {
	if err := v.next(ctx); err != nil {
		return nil, err
	}
	if v.st != nil {
		return v.st.query(ctx, query, args...)
	}
	rec := &recording{query: query, args: args}
	v.first = rec
	v.s.stats.statements.Add(1)
	rows, err := v.db.QueryContext(ctx, query, args...)
	if err != nil {
		rec.err = err
		return nil, err
	}
	return &recordedRows{rows: rows, rec: rec}, nil
}

func (v *viewRunner) queryRow(ctx context.Context, query string, args ...any) resultRow {
	if err := v.next(ctx); err != nil {
		return errRow{err}
	}
	if v.st != nil {
		return v.st.queryRow(ctx, query, args...)
	}
	rec := &recording{query: query, args: args, single: true}
	v.first = rec
	v.s.stats.statements.Add(1)
	return &recordedRow{row: v.db.QueryRowContext(ctx, query, args...), rec: rec}
}

// next prepares for a statement: nothing for the first; for the second, the transaction and the check
// of the first.
func (v *viewRunner) next(ctx context.Context) error {
	if v.rerun {
		return errRerunView
	}
	if v.first == nil || v.st != nil {
		return nil
	}
	tx, err := v.db.BeginTx(ctx, v.opts)
	if err != nil {
		return fmt.Errorf("storage: begin: %w", err)
	}
	v.s.stats.viewTransactions.Add(1)
	v.tx, v.st = tx, newSQLTx(tx, v.cache, &v.s.stats.statements)
	same, err := v.replay(ctx)
	if err != nil {
		return err
	}
	if !same {
		v.rerun = true
		return errRerunView
	}
	return nil
}

// replay runs the first statement inside the transaction and reports whether fn would have seen the
// same there.
func (v *viewRunner) replay(ctx context.Context) (bool, error) {
	rec := v.first
	if rec.err != nil {
		return false, nil
	}
	if rec.single {
		ev := rec.events
		if len(ev) != 1 {
			return len(ev) == 0, nil // never scanned: fn saw nothing of it
		}
		dest := freshDest(ev[0].vals, ev[0].err)
		if dest == nil {
			return false, nil
		}
		err := v.st.queryRow(ctx, rec.query, rec.args...).Scan(dest...)
		return sameScan(ev[0], dest, err), nil
	}
	rows, err := v.st.query(ctx, rec.query, rec.args...)
	if err != nil {
		return false, err
	}
	defer rows.Close()
	for _, ev := range rec.events {
		switch ev.kind {
		case 'n':
			if rows.Next() != ev.ok {
				return false, nil
			}
		case 's':
			dest := freshDest(ev.vals, ev.err)
			if dest == nil {
				return false, nil
			}
			if !sameScan(ev, dest, rows.Scan(dest...)) {
				return false, nil
			}
		case 'e':
			if (rows.Err() == nil) != (ev.err == nil) {
				return false, nil
			}
		}
	}
	return true, nil
}

// finish ends the transaction, if one was begun; it reports whether fn must run again.
func (v *viewRunner) finish() (rerun bool, err error) {
	if v.tx == nil {
		return false, nil
	}
	defer v.st.finish()
	if v.rerun {
		_ = v.tx.Rollback()
		return true, nil
	}
	if err := v.tx.Commit(); err != nil {
		return false, fmt.Errorf("storage: commit: %w", err)
	}
	return false, nil
}

// freshDest returns new scan destinations of the recorded values' types, or nil when the recorded scan
// failed with an error other than sql.ErrNoRows (fn's run is then not worth confirming).
func freshDest(vals []any, err error) []any {
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	dest := make([]any, len(vals))
	for i, x := range vals {
		dest[i] = reflect.New(reflect.TypeOf(x).Elem()).Interface()
	}
	return dest
}

// sameScan compares a recorded scan with one made now into dest.
func sameScan(ev event, dest []any, err error) bool {
	if (err == nil) != (ev.err == nil) || errors.Is(err, sql.ErrNoRows) != errors.Is(ev.err, sql.ErrNoRows) {
		return false
	}
	if err != nil {
		return true // both found no row; the destinations were left alone
	}
	for i := range dest {
		a, b := reflect.ValueOf(ev.vals[i]).Elem().Interface(), reflect.ValueOf(dest[i]).Elem().Interface()
		if ab, ok := a.([]byte); ok {
			if bb, ok := b.([]byte); !ok || !bytes.Equal(ab, bb) {
				return false
			}
			continue
		}
		if !reflect.DeepEqual(a, b) {
			return false
		}
	}
	return true
}

// snapshot copies scan destinations' values into new pointers of the same types (a []byte is cloned: the
// caller may reuse it).
func snapshot(dest []any) []any {
	out := make([]any, len(dest))
	for i, d := range dest {
		v := reflect.ValueOf(d)
		if v.Kind() != reflect.Pointer || v.IsNil() {
			out[i] = new(any) // not a destination Scan accepts; the scan reported it
			continue
		}
		c := reflect.New(v.Type().Elem())
		c.Elem().Set(v.Elem())
		if b, ok := c.Elem().Interface().([]byte); ok && b != nil {
			c.Elem().SetBytes(bytes.Clone(b))
		}
		out[i] = c.Interface()
	}
	return out
}

type recordedRow struct {
	row *sql.Row
	rec *recording
}

func (r *recordedRow) Scan(dest ...any) error {
	err := r.row.Scan(dest...)
	r.rec.events = append(r.rec.events, event{kind: 's', err: err, vals: snapshot(dest)})
	return err
}

type recordedRows struct {
	rows *sql.Rows
	rec  *recording
}

func (r *recordedRows) Next() bool {
	ok := r.rows.Next()
	r.rec.events = append(r.rec.events, event{kind: 'n', ok: ok})
	return ok
}

func (r *recordedRows) Scan(dest ...any) error {
	err := r.rows.Scan(dest...)
	r.rec.events = append(r.rec.events, event{kind: 's', err: err, vals: snapshot(dest)})
	return err
}

func (r *recordedRows) Err() error {
	err := r.rows.Err()
	r.rec.events = append(r.rec.events, event{kind: 'e', err: err})
	return err
}

func (r *recordedRows) Close() error { return r.rows.Close() }

type errRow struct{ err error }

func (r errRow) Scan(...any) error { return r.err }

// viewLazily runs fn once with a viewRunner. It returns errRerunView when fn must run again in a
// transaction; fn's own outcome is then void.
func (s *Store) viewLazily(ctx context.Context, fn func(tx storage.Tx) error) (multi bool, err error) {
	v := &viewRunner{s: s, db: s.ReadDB, cache: s.readStmts, opts: s.d.ViewTx}
	t := &txn{s: s, tx: v}
	ferr := fn(t)
	rerun, err := v.finish()
	multi = v.tx != nil
	if rerun {
		return multi, errRerunView
	}
	if ferr != nil {
		return multi, ferr
	}
	return multi, err
}
