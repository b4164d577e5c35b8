package audit

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// Store is what the trail needs of the store: the history it reads, and the writes, purges and exports
// of events. sqlstore.Store implements it on SQLite and PostgreSQL.
type Store interface {
	History
	// AppendEvents writes final events in one transaction, and deletes the preliminary forms of those
	// among them whose write stored one (settled: their IDs).
	AppendEvents(ctx context.Context, evs []Event, settled []string) error
	// AdoptPending makes the preliminary events of calls before a time whose final form never came (the
	// process died between the write and the writing behind) part of the history, returning how many.
	AdoptPending(ctx context.Context, before time.Time) (int, error)
	// PurgeEvents deletes at most limit events older than before, returning how many it deleted.
	PurgeEvents(ctx context.Context, before time.Time, limit int) (int, error)
	// ExportEvents calls fn with every event whose time is in [since, until), of every account, oldest
	// first, stopping at fn's first error.
	ExportEvents(ctx context.Context, since, until time.Time, fn func(Event) error) error
}

// Options configure a Recorder.
type Options struct {
	Store Store
	// FallbackAccount records calls no account can be told for (no credentials, or an access key that
	// names none): the server's default account.
	FallbackAccount string
	// Retention is how long events are kept (DefaultRetention when zero).
	Retention time.Duration
	// QueueSize bounds the events written behind (DefaultQueueSize when zero).
	QueueSize int
	// File, when set, receives every event's record as a JSON line as well.
	File   *FileSink
	Now    func() time.Time
	Logger *slog.Logger
}

// Recorder records one event per call, per recipient account. Writes store a preliminary event in their
// own transaction (see Pending); every call's final event is queued and written behind in batches, so
// that the request path never waits for the trail.
type Recorder struct {
	o     Options
	queue chan queued

	// The writer's buffers, reused from batch to batch (Run's goroutine only).
	arena []byte
	evs   []Event
	ends  []int

	dropped, written, failed atomic.Int64
	closeOnce                sync.Once
	quit                     chan struct{}
	done                     chan struct{}
}

// NewRecorder returns a Recorder; Run writes its queue.
func NewRecorder(o Options) *Recorder {
	if o.Retention <= 0 {
		o.Retention = DefaultRetention
	}
	if o.QueueSize <= 0 {
		o.QueueSize = DefaultQueueSize
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return &Recorder{o: o, queue: make(chan queued, o.QueueSize), quit: make(chan struct{}), done: make(chan struct{})}
}

// queued is a call whose events wait to be written (the writer builds their records: the request path
// only hands the call over); settles says a write's transaction stored their preliminary forms.
type queued struct {
	call    *Call
	ids     *IDs // nil: the writer gives them (a call that did not write)
	settles bool
}

// Begin starts the event of a call about to run its operation: the returned Pending goes into the
// operation's context.
func (r *Recorder) Begin(c *Call) *Pending {
	return &Pending{call: c, fallback: r.o.FallbackAccount}
}

// End records the call's final events (p is Begin's, or nil for a call refused before its operation
// ran). The call must not change afterwards: the writer reads it.
func (r *Recorder) End(c *Call, p *Pending) {
	q := queued{call: c}
	if p != nil {
		x, stored := p.close()
		q.ids, q.settles = &x, stored
	}
	select {
	case r.queue <- q:
	default:
		// Full: the store is not keeping up. The events are dropped rather than the request slowed; a
		// write's preliminary events are already stored with its change.
		n := 1
		if q.ids != nil {
			n = len(q.ids.Accounts)
		}
		r.dropped.Add(int64(n))
	}
}

// QueueDepth is the number of events waiting to be written.
func (r *Recorder) QueueDepth() int { return len(r.queue) }

// Dropped is the number of events dropped because the queue was full.
func (r *Recorder) Dropped() int64 { return r.dropped.Load() }

// Written is the number of events written by the queue's writer; Failed those whose batch failed.
func (r *Recorder) Written() int64 { return r.written.Load() }

// Failed is the number of events lost because their batch could not be written.
func (r *Recorder) Failed() int64 { return r.failed.Load() }

// History is the store's history of events, for the CloudTrail API.
func (r *Recorder) History() History { return r.o.Store }

// Run writes queued events in batches and purges expired ones until ctx ends or Close is called; then
// it writes what is still queued and returns.
func (r *Recorder) Run(ctx context.Context) {
	defer close(r.done)
	purge := time.NewTicker(purgeEvery)
	defer purge.Stop()
	r.purge(ctx)
	batch := make([]queued, 0, maxBatch)
	gather := time.NewTimer(time.Hour)
	gather.Stop()
	for {
		select {
		case q := <-r.queue:
			// The batch gathers for up to gatherFor (or until full): one transaction, and one commit, per
			// batch is what keeps an event's share of the store's work small.
			batch = append(batch[:0], q)
			gather.Reset(gatherFor)
		fill:
			for len(batch) < maxBatch {
				select {
				case q := <-r.queue:
					batch = append(batch, q)
				case <-gather.C:
					break fill
				case <-ctx.Done():
					break fill
				case <-r.quit:
					break fill
				}
			}
			gather.Stop()
			r.write(context.WithoutCancel(ctx), batch)
		case <-purge.C:
			r.purge(ctx)
		case <-ctx.Done():
			r.flushAll()
			return
		case <-r.quit:
			r.flushAll()
			return
		}
	}
}

// drain adds what is queued to batch, up to maxBatch.
func (r *Recorder) drain(batch []queued) []queued {
	for len(batch) < maxBatch {
		select {
		case q := <-r.queue:
			batch = append(batch, q)
		default:
			return batch
		}
	}
	return batch
}

// flushAll writes everything still queued.
func (r *Recorder) flushAll() {
	batch := make([]queued, 0, maxBatch)
	for {
		batch = r.drain(batch[:0])
		if len(batch) == 0 {
			return
		}
		r.write(context.Background(), batch)
	}
}

func (r *Recorder) write(ctx context.Context, batch []queued) {
	// Every record of the batch goes into one buffer, reused from batch to batch (the store keeps no
	// part of what it is given): no allocation per event.
	arena := r.arena[:0]
	evs := r.evs[:0]
	ends := r.ends[:0]
	var settled []string
	for _, q := range batch {
		var x IDs
		if q.ids != nil {
			x = *q.ids
		} else {
			x = NewIDs(q.call.Recipients(r.o.FallbackAccount), q.call.Req.Time)
		}
		for i, acct := range x.Accounts {
			var ev Event
			arena, ev = q.call.appendEvent(arena, acct, x.Events[i], x.Shared, true)
			evs = append(evs, ev)
			ends = append(ends, len(arena))
			if q.settles {
				settled = append(settled, ev.EventID)
			}
		}
	}
	start := 0
	for i, end := range ends {
		evs[i].Record = arena[start:end:end]
		start = end
	}
	r.arena, r.ends = arena, ends
	defer func() {
		clear(evs) // drop the calls' strings before the next batch
		r.evs = evs[:0]
	}()
	if r.o.File != nil {
		if err := r.o.File.Write(evs); err != nil {
			r.o.Logger.Warn("audit: writing the file sink", "err", err)
		}
	}
	if err := r.o.Store.AppendEvents(ctx, evs, settled); err != nil {
		r.failed.Add(int64(len(evs)))
		r.o.Logger.Error("audit: writing events", "events", len(evs), "err", err)
		return
	}
	r.written.Add(int64(len(evs)))
}

// purge adopts the preliminary events left by a crash and deletes the events older than the retention,
// a bounded batch at a time.
func (r *Recorder) purge(ctx context.Context) {
	// Only preliminary events older than adoptAfter: younger ones may be another node's (PostgreSQL)
	// whose final form is on its way. Until adopted they are found all the same (Lookup reads them).
	if n, err := r.o.Store.AdoptPending(ctx, r.o.Now().Add(-adoptAfter)); err != nil {
		r.o.Logger.Error("audit: adopting the events of writes whose final event was not written", "err", err)
	} else if n > 0 {
		r.o.Logger.Warn("audit: events of writes recorded before a crash adopted in their preliminary form", "events", n)
	}
	before := r.o.Now().Add(-r.o.Retention)
	for ctx.Err() == nil {
		n, err := r.o.Store.PurgeEvents(ctx, before, purgeBatch)
		if err != nil {
			if !errors.Is(err, context.Canceled) {
				r.o.Logger.Warn("audit: purging expired events", "err", err)
			}
			return
		}
		if n < purgeBatch {
			return
		}
	}
}

// Close stops Run after it has written what is queued. Calls recorded after Close are dropped.
func (r *Recorder) Close() {
	r.closeOnce.Do(func() { close(r.quit) })
}

// Wait returns when Run has returned.
func (r *Recorder) Wait() { <-r.done }
