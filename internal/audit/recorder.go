package audit

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/iamd/iamd/internal/ids"
)

// Store is what the trail needs of the store: the history it reads, and the writes, purges and exports
// of events. sqlstore.Store implements it on SQLite and PostgreSQL.
type Store interface {
	History
	// AppendBlocks writes blocks of final events in one transaction, and deletes the preliminary forms of
	// the events among them whose write stored one (settled: their IDs).
	AppendBlocks(ctx context.Context, blocks []Block, settled []string) error
	// AppendEvents is AppendBlocks for events given whole (EncodeEvents).
	AppendEvents(ctx context.Context, evs []Event, settled []string) error
	// AdoptPending makes the preliminary events of calls before a time whose final form never came (the
	// process died between the write and the writing behind) part of the history, returning how many.
	AdoptPending(ctx context.Context, before time.Time) (int, error)
	// PurgeEvents deletes at most limit events older than before, returning how many it deleted.
	PurgeEvents(ctx context.Context, before time.Time, limit int) (int, error)
	// ExportEvents calls fn with every event whose time is in [since, until), of every account, stopping
	// at fn's first error: batch by batch in the order they were written (so oldest first to within a
	// batch's span), then the preliminary events not yet written behind.
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
	// QueueSize bounds the calls written behind (DefaultQueueSize when zero); maxQueuedBodyBytes bounds
	// the request bodies they were decoded from.
	QueueSize int
	// File, when set, receives every event's record as a JSON line as well.
	File   *FileSink
	Now    func() time.Time
	Logger *slog.Logger
}

// Recorder records one event per call, per recipient account. Writes store a preliminary event in their
// own transaction (see Pending); every call's final event is queued and written behind in batches, so
// that the request path never waits for the trail.
//
// The request path does as little as it can: it appends the call (references to what the request
// already holds: its decoded input and output, its caller, times and codes) to the queue under a mutex,
// and wakes the writer only when the queue was empty or has just filled a batch, not once per call. The
// writer gives the events their IDs, builds the records (redaction included), compresses and stores
// them, a batch at a time. Nothing of a call changes after End: the server neither reuses nor mutates a
// request's input or output once the request has ended.
type Recorder struct {
	o Options

	mu         sync.Mutex
	queue      []queued // the calls waiting to be written, at most o.QueueSize
	queueBytes int      // their BodyBytes, at most maxQueuedBodyBytes
	wake       chan struct{}

	// The writer's buffers, reused from batch to batch (Run's goroutine only).
	spare   []queued
	accts   []string
	parts   eventParts
	encs    []*blockEncoder          // the batch's blocks, one per account; kept up to maxKeptEncoders
	encOf   map[string]*blockEncoder // account → its block in this batch, past a few accounts
	blocks  []Block
	settled []string
	arena   []byte // the file sink's records
	evs     []Event
	ends    []int

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
	return &Recorder{o: o, wake: make(chan struct{}, 1), quit: make(chan struct{}), done: make(chan struct{})}
}

// queued is a call whose events wait to be written (the writer builds their records: the request path
// only hands the call over); settles says a write's transaction stored their preliminary forms.
type queued struct {
	call    *Call
	pending *Pending // nil: a call refused before its operation ran (the writer gives the IDs)
	settles bool
}

// Begin starts the event of a call about to run its operation: the returned Pending goes into the
// operation's context, and holds the call (Pending.Call).
func (r *Recorder) Begin(c Call) *Pending {
	return &Pending{call: c, fallback: r.o.FallbackAccount}
}

// End records the call's final events: c is p.Call() when p is not nil (Begin's), else a call refused
// before its operation ran. The call must not change afterwards: the writer reads it.
func (r *Recorder) End(c *Call, p *Pending) {
	q := queued{call: c, pending: p}
	if p != nil {
		q.call, q.settles = &p.call, p.close()
	}
	r.mu.Lock()
	n := len(r.queue)
	if n >= r.o.QueueSize || r.queueBytes+q.call.BodyBytes > maxQueuedBodyBytes {
		r.mu.Unlock()
		// Full: the store is not keeping up. The events are dropped rather than the request slowed; a
		// write's preliminary events are already stored with its change.
		r.dropped.Add(int64(max(1, len(q.call.Recipients(r.o.FallbackAccount)))))
		return
	}
	r.queue = append(r.queue, q)
	r.queueBytes += q.call.BodyBytes
	r.mu.Unlock()
	if n == 0 || n+1 == maxBatch {
		// The first call of a batch starts the writer's gathering; a full batch ends it early.
		select {
		case r.wake <- struct{}{}:
		default:
		}
	}
}

// QueueDepth is the number of events waiting to be written.
func (r *Recorder) QueueDepth() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.queue)
}

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
	gather := time.NewTimer(time.Hour)
	gather.Stop()
	for {
		select {
		case <-r.wake:
			// The batch gathers for up to gatherFor (or until full): one transaction, and one commit, per
			// batch is what keeps an event's share of the store's work small.
			if r.QueueDepth() < maxBatch {
				gather.Reset(gatherFor)
				select {
				case <-gather.C:
				case <-r.wake: // a full batch
				case <-ctx.Done():
				case <-r.quit:
				}
				gather.Stop()
			}
			r.writeQueued(context.WithoutCancel(ctx))
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

// flushAll writes everything still queued.
func (r *Recorder) flushAll() {
	for r.QueueDepth() > 0 {
		r.writeQueued(context.Background())
	}
}

// writeQueued takes what is queued and writes it, maxBatch calls per transaction.
func (r *Recorder) writeQueued(ctx context.Context) {
	r.mu.Lock()
	batch := r.queue
	r.queue, r.queueBytes = r.spare[:0], 0
	r.mu.Unlock()
	for rest := batch; len(rest) > 0; {
		n := min(len(rest), maxBatch)
		r.write(ctx, rest[:n])
		rest = rest[n:]
	}
	clear(batch) // drop the calls before the slice is reused
	r.spare = batch[:0]
}

func (r *Recorder) write(ctx context.Context, batch []queued) {
	// Each account's events go into a block of the stored form, its encoder reused from batch to batch;
	// the records themselves are written only for the file sink (and when the trail is read).
	r.encs = r.encs[:0]
	clear(r.encOf)
	settled := r.settled[:0]
	file := r.o.File != nil
	arena, evs, ends := r.arena[:0], r.evs[:0], r.ends[:0]
	var enc *blockEncoder
	for _, q := range batch {
		var x IDs
		made := false
		if q.pending != nil {
			x, made = q.pending.madeIDs()
		}
		if !made {
			// As NewIDs does, but the event IDs are made as the bytes they are stored as (no string).
			r.accts = q.call.appendRecipients(r.accts[:0], r.o.FallbackAccount)
			x = IDs{Accounts: r.accts}
			if len(r.accts) > 1 {
				x.Shared = ids.NewRequestID()
			}
		}
		for i, acct := range x.Accounts {
			p := &r.parts
			id := ""
			if made {
				id = x.Events[i]
			}
			q.call.fillParts(p, acct, id, x.Shared, true)
			if !made {
				p.newID, p.idBytes = true, newEventID(q.call.Req.Time)
			}
			if enc == nil || enc.acct != acct {
				enc = r.encoder(acct)
			}
			enc.add(p)
			if q.settles {
				settled = append(settled, x.Events[i])
			}
			if file {
				p.formatID()
				arena = p.appendRecord(arena)
				ev := p.event()
				ev.Resources = slices.Clone(ev.Resources)
				evs = append(evs, ev)
				ends = append(ends, len(arena))
			}
		}
	}
	blocks := r.blocks[:0]
	for _, e := range r.encs {
		blocks = append(blocks, e.block())
	}
	if len(r.encs) > maxKeptEncoders {
		defer func() {
			clear(r.encs[maxKeptEncoders:]) // a batch of many accounts: its encoders are not kept
			r.encs = r.encs[:maxKeptEncoders]
		}()
	}
	n := 0
	for _, b := range blocks {
		n += b.Events
	}
	defer func() {
		clear(blocks) // drop the batch's strings before the next one
		clear(evs)
		clear(settled)
		r.blocks, r.evs, r.settled, r.arena, r.ends = blocks[:0], evs[:0], settled[:0], arena, ends
	}()
	if file {
		start := 0
		for i, end := range ends {
			evs[i].Record = arena[start:end:end]
			start = end
		}
		if err := r.o.File.Write(evs); err != nil {
			r.o.Logger.Warn("audit: writing the file sink", "err", err)
		}
	}
	if err := r.o.Store.AppendBlocks(ctx, blocks, settled); err != nil {
		r.failed.Add(int64(n))
		r.o.Logger.Error("audit: writing events", "events", n, "err", err)
		return
	}
	r.written.Add(int64(n))
}

// encoder is the block of acct's events in the batch being written, started when it has none yet.
func (r *Recorder) encoder(acct string) *blockEncoder {
	if len(r.encs) > dictLinear {
		if e := r.encOf[acct]; e != nil {
			return e
		}
	} else {
		for _, e := range r.encs {
			if e.acct == acct {
				return e
			}
		}
	}
	var e *blockEncoder
	if n := len(r.encs); n < cap(r.encs) && r.encs[:n+1][n] != nil {
		e = r.encs[:n+1][n] // kept from an earlier batch
	} else {
		e = &blockEncoder{}
	}
	e.reset(acct)
	r.encs = append(r.encs, e)
	switch {
	case len(r.encs) == dictLinear+1:
		if r.encOf == nil {
			r.encOf = make(map[string]*blockEncoder)
		}
		for _, e := range r.encs {
			r.encOf[e.acct] = e
		}
	case len(r.encs) > dictLinear+1:
		r.encOf[acct] = e
	}
	return e
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
