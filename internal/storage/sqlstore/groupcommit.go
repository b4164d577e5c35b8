package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"runtime/debug"
	"strings"
	"sync"

	"github.com/iamd/iamd/internal/storage"
)

// maxGroupSize bounds how many Update calls share one transaction: a larger group makes its first
// member wait longer for the others' work, and a failed commit re-runs more of them one by one.
const maxGroupSize = 128

// Statements of the savepoint around each member of a group that writes (the same name serves every
// member: each savepoint is released or rolled back before the next one is taken). Each line is one
// round trip: a member's savepoint goes with the release of the one before it, and a failed member's
// rollback with its release.
const (
	sqlSavepoint  = `SAVEPOINT group_member`
	sqlRelease    = `RELEASE SAVEPOINT group_member`
	sqlRollbackTo = `ROLLBACK TO SAVEPOINT group_member`
)

var (
	// errPanicked stands in for a member whose fn panicked; the panic itself is re-raised in the caller.
	errPanicked = errors.New("storage: update function panicked")
	errClosed   = errors.New("storage: store closed")
	// errNeedsSavepoints: a member of a group run without savepoints failed after it had written, so
	// its writes cannot be undone alone; the group runs again with savepoints.
	errNeedsSavepoints = errors.New("storage: a group member failed after writing")
)

// committer is group commit: Update calls hand their fn to one goroutine, which runs the waiting ones
// in one transaction and commits once (each inside a savepoint of its own only when one of them failed
// after writing; see commit). On SQLite a durable commit costs
// an fsync (milliseconds) while a typical fn costs tens of microseconds, so one commit for many callers
// multiplies write throughput. A member's Update returns only after the commit that holds its work is
// durable, and the group's changes are published before any member is answered.
type committer struct {
	s       *Store
	reqs    chan *groupReq
	quit    chan struct{}
	stopped chan struct{}
	once    sync.Once
}

// groupReq is one Update call waiting for the committer.
type groupReq struct {
	ctx      context.Context
	fn       func(tx storage.Tx) error
	err      error
	panicVal any
	changes  []storage.Change
	done     chan struct{}
}

func newCommitter(s *Store) *committer {
	c := &committer{s: s, reqs: make(chan *groupReq), quit: make(chan struct{}), stopped: make(chan struct{})}
	go c.loop()
	return c
}

// update hands fn to the committer and waits for the outcome of the transaction that ran it.
func (c *committer) update(ctx context.Context, fn func(tx storage.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("storage: begin: %w", err)
	}
	r := &groupReq{ctx: ctx, fn: fn, done: make(chan struct{})}
	select {
	case c.reqs <- r:
	case <-ctx.Done():
		return fmt.Errorf("storage: begin: %w", ctx.Err())
	case <-c.quit:
		return errClosed
	}
	// No select on ctx here: once taken, the work may be committed, and returning before knowing would
	// tell the caller a write failed that is in fact durable.
	<-r.done
	if r.panicVal != nil {
		panic(r.panicVal)
	}
	return r.err
}

// stop makes later Update calls fail and waits for the group in progress to finish.
func (c *committer) stop() {
	c.once.Do(func() { close(c.quit) })
	<-c.stopped
}

func (c *committer) loop() {
	defer close(c.stopped)
	for {
		var first *groupReq
		select {
		case first = <-c.reqs:
		case <-c.quit:
			return
		}
		// Everyone who queued up while the previous group was committing joins this one.
		batch := []*groupReq{first}
	drain:
		for len(batch) < maxGroupSize {
			select {
			case r := <-c.reqs:
				batch = append(batch, r)
			default:
				break drain
			}
		}
		c.commit(batch)
	}
}

// commit runs a group and answers every member.
func (c *committer) commit(batch []*groupReq) {
	if len(batch) == 1 {
		c.runAlone(batch[0])
		close(batch[0].done)
		return
	}
	// First without savepoints: a member's savepoint is a round trip on PostgreSQL, and members rarely
	// fail after they have written (a missing entity or a refused change fails before the first write).
	// When one does, the group runs again with a savepoint around each member, which undoes only its work.
	since := c.s.hub.Published()
	err := c.runGroup(batch, false)
	if errors.Is(err, errNeedsSavepoints) {
		c.s.log.Debug("storage: group member failed after writing, running the group with savepoints", "members", len(batch))
		err = c.runGroup(batch, true)
	}
	if err != nil {
		// Nothing of the group was committed. Each member runs again in a transaction of its own, so that
		// only the one at fault (if any) gets an error; fn may run more than once by contract.
		c.s.log.Debug("storage: group commit failed, running members alone", "members", len(batch), "err", err)
		c.s.stats.groupFallbacks.Add(1)
		for _, r := range batch {
			r.err, r.panicVal, r.changes = nil, nil, nil
			c.runAlone(r)
			close(r.done)
		}
		return
	}
	var all []storage.Change
	for _, r := range batch {
		all = append(all, r.changes...)
	}
	// Published before answering, as Update does alone: a caller that reads after Update returns must
	// not find a cache that still holds what it replaced.
	c.s.hub.publishWrite(all, &since)
	for _, r := range batch {
		close(r.done)
	}
}

// runAlone runs one member in its own transaction, with the usual retries.
func (c *committer) runAlone(r *groupReq) {
	r.err = c.s.updateAlone(r.ctx, func(tx storage.Tx) error { return c.callMember(r, tx) })
}

// callMember runs a member's fn, turning a panic into an error so that the committer goroutine
// survives it; update re-raises it in the caller's goroutine.
func (c *committer) callMember(r *groupReq, tx storage.Tx) (err error) {
	defer func() {
		if p := recover(); p != nil {
			// The stack is logged here: the caller re-panics with the value only, on its own goroutine.
			c.s.log.Error("storage: update function panicked", "panic", p, "stack", string(debug.Stack()))
			r.panicVal = p
			err = errPanicked
		}
	}()
	r.panicVal = nil
	return r.fn(tx)
}

// runGroup runs every member in one transaction and commits it. It returns an error when the group as a
// whole failed (then nothing was committed and no member's outcome is final). With savepoints, a member's
// own error is recorded in the member and rolled back to its savepoint, and the others carry on; without,
// a member that fails after writing fails the group with errNeedsSavepoints.
func (c *committer) runGroup(batch []*groupReq, savepoints bool) error {
	s := c.s
	// The group's transaction outlives any one member's context: each member's context is checked before
	// its fn and between its statements (see stmtCtx).
	ctx := context.Background()
	st, err := s.beginWrite(ctx)
	if err != nil {
		return err
	}
	committed := false
	defer func() {
		if !committed {
			st.rollback()
		}
		st.finish()
	}()
	// Savepoint statements go as they are, never through the statement cache.
	exec := func(stmts ...string) error {
		if err := st.plain(ctx, stmts...); err != nil {
			return fmt.Errorf("storage: %s: %w", strings.Join(stmts, "; "), err)
		}
		return nil
	}
	var all []storage.Change
	counters := make(map[counterKey]int64)
	memo := &rowMemo{rows: make(map[entityKey]string)}
	var pending []pendingRow
	// released: no savepoint is open (none was taken yet, or the last was released or rolled back).
	released := true
	for _, r := range batch {
		r.changes = nil
		if err := r.ctx.Err(); err != nil {
			r.err = fmt.Errorf("storage: begin: %w", err)
			continue
		}
		m := &member{st: st, released: &released, savepoints: savepoints}
		t := &txn{s: s, tx: m, write: true, group: counters, memo: memo}
		ferr := c.callMember(r, t)
		if ferr == nil {
			r.err, r.changes = nil, t.changes
			all = append(all, t.changes...)
			mergeCounters(counters, t.counters)
			pending = append(pending, t.pending...)
			continue
		}
		switch {
		case m.saved:
			// ROLLBACK TO fails when the failed statement took the whole transaction with it (SQLite does
			// so for I/O errors, a full disk or an interrupt): then the group as a whole has failed.
			if err := exec(sqlRollbackTo, sqlRelease); err != nil {
				return errors.Join(err, ferr)
			}
			released = true
			// What the member wrote is gone with its savepoint.
			clear(memo.rows)
		case m.wrote:
			return fmt.Errorf("%w: %w", errNeedsSavepoints, ferr)
		case m.failed:
			// A statement of a member that had written nothing failed: on PostgreSQL that aborts the
			// transaction, and no savepoint of this member can restore it.
			return ferr
		}
		// Otherwise the member wrote nothing: there is nothing to undo.
		if s.d.IsRetryable != nil && s.d.IsRetryable(ferr) {
			// Alone, the member gets the usual retries with backoff.
			return ferr
		}
		r.err = ferr
	}
	// A savepoint still open is committed with the transaction: releasing it first would be a round trip
	// for nothing.
	if err := s.finishWrites(ctx, st, memo, counters, pending, all); err != nil {
		return err
	}
	committed = true
	if err := st.commit(ctx); err != nil {
		return fmt.Errorf("storage: commit: %w", err)
	}
	lists := make([][]storage.Change, len(batch))
	for i, r := range batch {
		lists[i] = r.changes
	}
	memo.withRows(lists...)
	return nil
}

// member runs one group member's statements on the group's transaction. Its savepoint is taken just
// before its first write, in the round trip that releases the savepoint of the member before: a member
// that only reads, or fails before writing (a missing entity, a refused change), needs none, and one
// that writes pays no round trip of its own for it. Every write goes through exec (the store writes
// nothing through query or queryRow).
type member struct {
	st writeTx
	// released is the group's: whether no savepoint is open.
	released *bool
	// savepoints: the group takes a savepoint before each member's first write (else see wrote).
	savepoints bool
	// saved: this member's savepoint is taken. wrote: it has sent a write without a savepoint. failed:
	// one of its statements failed (on PostgreSQL the transaction is then aborted until a rollback to a
	// savepoint).
	saved, wrote, failed bool
}

// beforeWrite takes the member's savepoint before its first write (with the release of the one before,
// in one round trip), or marks it as having written without one.
func (m *member) beforeWrite(ctx context.Context) error {
	if !m.savepoints {
		m.wrote = true
		return nil
	}
	if m.saved {
		return nil
	}
	stmts := []string{sqlSavepoint}
	if !*m.released {
		stmts = []string{sqlRelease, sqlSavepoint}
	}
	if err := m.st.plain(ctx, stmts...); err != nil {
		m.failed = true
		return err
	}
	m.saved, *m.released = true, false
	return nil
}

func (m *member) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if err := m.beforeWrite(ctx); err != nil {
		return nil, err
	}
	res, err := m.st.exec(ctx, query, args...)
	if err != nil {
		m.failed = true
	}
	return res, err
}

func (m *member) query(ctx context.Context, query string, args ...any) (resultRows, error) {
	rows, err := m.st.query(ctx, query, args...)
	if err != nil {
		m.failed = true
		return nil, err
	}
	return &memberRows{resultRows: rows, m: m}, nil
}

func (m *member) queryRow(ctx context.Context, query string, args ...any) resultRow {
	return memberRow{row: m.st.queryRow(ctx, query, args...), m: m}
}

// memberRows and memberRow note a failure that surfaces while reading a result.
type memberRows struct {
	resultRows
	m *member
}

func (r *memberRows) Err() error {
	err := r.resultRows.Err()
	if err != nil {
		r.m.failed = true
	}
	return err
}

type memberRow struct {
	row resultRow
	m   *member
}

func (r memberRow) Scan(dest ...any) error {
	err := r.row.Scan(dest...)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		r.m.failed = true
	}
	return err
}
