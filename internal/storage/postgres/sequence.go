package postgres

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/iamd/iamd/internal/storage"
	"github.com/iamd/iamd/internal/storage/sqlstore"
)

// The change sequence is the fallback of NOTIFY. Every committed write transaction of a node bumps that
// node's row of seqTable (in the same transaction, so the row moves exactly when a write commits) and
// carries the new number in its first notification. Other nodes remember the last number they heard
// from each node; a poll of the table every PollInterval finds a node whose row moved past it and stayed
// so for a whole interval (its notification is not merely in flight): its notifications were lost, and
// the poller publishes ChangeAll, so that caches drop what they can no longer prove fresh. A lost
// notification therefore leaves a node stale for at most about two poll intervals, instead of forever
// (a listener connection that hangs without failing would otherwise go unnoticed).
const (
	seqTable = "iamd_change_seq"
	// DefaultPollInterval is how often a node polls the change sequence. The bound on staleness after a
	// lost notification is about twice this; a poll is one small indexed query.
	DefaultPollInterval = 500 * time.Millisecond
	// seqForgetAfter: rows of nodes that have not written for this long are no longer polled (a node
	// gets a new row each time it starts).
	seqForgetAfter = 24 * time.Hour
)

// seqTracker is what a node heard of every other node's sequence.
type seqTracker struct {
	mu sync.Mutex
	// heard is the last sequence number of each node heard by notification (or adopted by the poll).
	heard map[string]int64
	// behind is the row's number a poll saw ahead of heard, for one interval of grace.
	behind map[string]int64
}

func newSeqTracker() *seqTracker {
	return &seqTracker{heard: map[string]int64{}, behind: map[string]int64{}}
}

// notified records a notification's number; it reports false when numbers were skipped (notifications
// of that node were lost).
func (t *seqTracker) notified(node string, seq int64) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	last, known := t.heard[node]
	if known && seq <= last {
		return true // already adopted by a poll
	}
	t.heard[node] = seq
	// A node not in the baseline started after it, so its first write is number 1 (last is 0): a first
	// notification numbered higher means the ones before it were lost. (A node idle for longer than
	// seqForgetAfter is not in the baseline either: its next write costs one needless flush.)
	return seq == last+1
}

// polled compares the table's numbers with what was heard; it reports whether some node's writes went
// unheard for a whole interval (then everything read so far counts as heard).
func (t *seqTracker) polled(rows map[string]int64, first bool) (lost bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for node, seq := range rows {
		last := t.heard[node] // 0 for a node never heard of: its first write is number 1
		switch b, wasBehind := t.behind[node]; {
		case first:
			// The baseline: changes before this node started are none of its caches' business.
			t.heard[node] = max(seq, last)
		case seq <= last:
			delete(t.behind, node)
		case wasBehind && b > last:
			// Behind since the previous poll: the notification is lost, not in flight.
			lost = true
			t.heard[node] = seq
			delete(t.behind, node)
		default:
			t.behind[node] = seq
		}
	}
	return lost
}

// ensureSeqTable creates the sequence table (nodes starting together take the migration lock in turn).
func (s *Store) ensureSeqTable(ctx context.Context) error {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, fmt.Sprintf("SELECT pg_advisory_xact_lock(%d)", migrationLockKey)); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS `+seqTable+` (node text PRIMARY KEY, seq bigint NOT NULL,
		at timestamptz NOT NULL DEFAULT now())`); err != nil {
		return err
	}
	return tx.Commit(ctx)
}

// seqStatement bumps this node's sequence and sends the first payload with the new number: one
// statement, queued with the other notifications. prefix is the payload's JSON up to its sequence field;
// suffix the rest.
func (s *Store) seqStatement(prefix, suffix string) sqlstore.Statement {
	return sqlstore.Statement{Query: `WITH s AS (INSERT INTO ` + seqTable + ` (node, seq) VALUES ($1::text, 1)
		ON CONFLICT (node) DO UPDATE SET seq = ` + seqTable + `.seq + 1, at = now() RETURNING seq)
		SELECT pg_notify('` + Channel + `', $2::text || s.seq || $3::text) FROM s`, Args: []any{s.node, prefix, suffix}}
}

// pollSeq reads every node's sequence number.
func (s *Store) pollSeq(ctx context.Context) (map[string]int64, error) {
	rows, err := s.pool.Query(ctx, `SELECT node, seq FROM `+seqTable+` WHERE at > now() - $1::interval`,
		fmt.Sprintf("%d seconds", int(seqForgetAfter/time.Second)))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var node string
		var seq int64
		if err := rows.Scan(&node, &seq); err != nil {
			return nil, err
		}
		if node != s.node {
			out[node] = seq
		}
	}
	return out, rows.Err()
}

// pollLoop polls the change sequence until ctx ends, publishing ChangeAll when a node's writes went
// unheard. The first poll happened in Open.
func (s *Store) pollLoop(ctx context.Context, every time.Duration) {
	defer close(s.pollDone)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		rows, err := s.pollSeq(ctx)
		if err != nil {
			if ctx.Err() == nil {
				s.log.Warn("postgres: polling the change sequence", "err", err)
			}
			continue
		}
		if s.seq.polled(rows, false) {
			s.log.Warn("postgres: change notifications were lost; dropping every cached row")
			s.Hub().Publish([]storage.Change{{Kind: storage.ChangeAll}})
		}
	}
}
