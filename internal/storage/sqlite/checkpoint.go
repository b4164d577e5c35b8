package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// checkpointEvery is how often the checkpointer copies committed WAL frames into the database file. Between
// two runs the WAL grows by what the writer commits meanwhile (a few MiB at the most under the heaviest
// load), and readers find recent pages in it.
const checkpointEvery = 100 * time.Millisecond

// checkpointer runs SQLite's PASSIVE checkpoint on a connection of its own. Left to SQLite, the commit
// that brings the WAL past 1,000 pages runs the checkpoint itself before it returns, with an fsync of the
// database file: under steady writes that was several times a second, each time holding every writer
// queued behind that commit (about a sixth of the CPU of a create/delete load, and its p99; see
// docs/benchmarks.md). A PASSIVE checkpoint takes no lock a writer or reader waits for; what it cannot
// copy yet (pages a reader still needs) it copies on a later run. Durability does not depend on it: a
// commit is on disk once its WAL frames are.
type checkpointer struct {
	db     *sql.DB
	log    *slog.Logger
	cancel context.CancelFunc
	done   sync.WaitGroup
}

func startCheckpointer(ctx context.Context, path string, log *slog.Logger) (*checkpointer, error) {
	if log == nil {
		log = slog.Default()
	}
	db, err := sql.Open("sqlite", dsn(path, false))
	if err != nil {
		return nil, fmt.Errorf("sqlite: checkpointer: %w", err)
	}
	db.SetMaxOpenConns(1)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite: checkpointer: %w", err)
	}
	// The loop outlives Open's context: it ends with the store.
	loopCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	c := &checkpointer{db: db, log: log, cancel: cancel}
	c.done.Add(1)
	go c.loop(loopCtx)
	return c, nil
}

func (c *checkpointer) loop(ctx context.Context) {
	defer c.done.Done()
	t := time.NewTicker(checkpointEvery)
	defer t.Stop()
	failing := false
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		err := c.checkpoint(ctx)
		switch {
		case err != nil && ctx.Err() == nil && !failing:
			// Logged once per failing spell: the WAL keeps every commit meanwhile, so nothing is lost, but
			// it grows until a checkpoint succeeds.
			c.log.Warn("sqlite: WAL checkpoint failed; the WAL grows until one succeeds", "err", err)
			failing = true
		case err == nil && failing:
			c.log.Info("sqlite: WAL checkpoints succeed again")
			failing = false
		}
	}
}

// checkpoint copies what it can of the WAL into the database file.
func (c *checkpointer) checkpoint(ctx context.Context) error {
	var busy, logFrames, copied int
	if err := c.db.QueryRowContext(ctx, `PRAGMA wal_checkpoint(PASSIVE)`).Scan(&busy, &logFrames, &copied); err != nil {
		return err
	}
	return nil
}

// stop ends the loop and closes the checkpointer's connection. It is safe on a nil checkpointer.
func (c *checkpointer) stop() error {
	if c == nil {
		return nil
	}
	c.cancel()
	c.done.Wait()
	return c.db.Close()
}
