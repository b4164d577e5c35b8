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
	// AppendBlocks writes blocks of final events in one transaction, and deletes the rows of preliminary
	// forms whose every event is among them (settled: the rows' keys, an event's ID for a row of its own;
	// see PendingRow).
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
// and wakes the writer only when the queue was empty or has gathered encodeEvery calls, not once per
// call. The writer gives the events their IDs and encodes them in the stored form (redaction included) as
// they come, and stores them a batch at a time. Nothing of a call changes after End: the server neither
// reuses nor mutates a request's input or output once the request has ended.
type Recorder struct {
	o Options

	mu         sync.Mutex
	queue      []queued // the calls waiting to be written, at most o.QueueSize
	queueBytes int      // their BodyBytes, at most maxQueuedBodyBytes
	wake       chan struct{}
	gathering  bool // the writer is gathering a batch: it encodes what is queued when the batch ends

	// The writer's buffers, reused from batch to batch (Run's goroutine only).
	spare  []queued
	accts  []string
	parts  eventParts
	encs   []*blockEncoder          // the batch's blocks, one per account; kept up to maxKeptEncoders
	encOf  map[string]*blockEncoder // account → its block in this batch, past a few accounts
	blocks []Block
	// The batch being gathered: its events (encoded in encs), the IDs of those it settles, and for the
	// file sink their records (arena, ends) and events.
	batchEvents int
	batchBytes  int
	settled     []string
	rows        []*PendingRow // the shared rows of the events settled (see settle)
	arena       []byte
	evs         []Event
	ends        []int

	dropped, written, failed atomic.Int64
	// batched is batchEvents as other goroutines may read it (BatchedEvents).
	batched   atomic.Int64
	closeOnce sync.Once
	quit      chan struct{}
	done      chan struct{}
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
	gathering := r.gathering
	r.mu.Unlock()
	if n == 0 && !gathering || (n+1)%encodeEvery == 0 {
		// The first call of a batch starts the writer's gathering; every encodeEvery calls more have it
		// encode them (and the queue let go of them).
		select {
		case r.wake <- struct{}{}:
		default:
		}
	}
}

// QueueDepth is the number of calls waiting to be encoded into a batch (each has at least one event).
// The writer takes them every encodeEvery calls, so the queue drains within moments while the store
// keeps up; BatchedEvents says what is encoded and not yet written.
func (r *Recorder) QueueDepth() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.queue)
}

// BatchedEvents is the number of events encoded into the batch being gathered and not yet written: they
// are written with it within gatherFor, or lost with it in a crash (reads and refusals only; a write's
// event is already stored with the write).
func (r *Recorder) BatchedEvents() int { return int(r.batched.Load()) }

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
			// batch is what keeps an event's share of the store's work small. Its calls are encoded as
			// they come (the request path wakes the writer every encodeEvery calls), so that the queue
			// lets go of them (their requests, inputs and outputs) long before the batch is written.
			r.setGathering(true)
			gather.Reset(gatherFor)
		gathering:
			for {
				r.encodeQueued()
				if r.batchFull() {
					break
				}
				select {
				case <-gather.C:
					break gathering
				case <-r.wake:
				case <-ctx.Done():
					break gathering
				case <-r.quit:
					break gathering
				}
			}
			gather.Stop()
			r.encodeQueued()
			r.writeBatch(context.WithoutCancel(ctx))
			if r.setGathering(false) > 0 {
				// Calls that came as the batch ended start the next.
				select {
				case r.wake <- struct{}{}:
				default:
				}
			}
		case <-purge.C:
			r.purge(ctx)
		case <-ctx.Done():
			r.writeQueued(context.Background())
			return
		case <-r.quit:
			r.writeQueued(context.Background())
			return
		}
	}
}

// setGathering records whether the writer is gathering a batch, returning how many calls are queued.
func (r *Recorder) setGathering(on bool) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.gathering = on
	return len(r.queue)
}

// writeQueued encodes and writes everything queued, in batches of up to maxBatch events.
func (r *Recorder) writeQueued(ctx context.Context) {
	for r.QueueDepth() > 0 {
		r.encodeQueued()
		if r.batchFull() {
			r.writeBatch(ctx)
		}
	}
	r.writeBatch(ctx)
}

// encodeQueued takes queued calls (as many as the batch has room for: one call has at least one event)
// and encodes their events into the batch.
func (r *Recorder) encodeQueued() {
	room := maxBatch - r.batchEvents
	if r.batchFull() {
		return
	}
	r.mu.Lock()
	n := min(room, len(r.queue))
	calls := append(r.spare[:0], r.queue[:n]...)
	rest := copy(r.queue, r.queue[n:])
	clear(r.queue[rest:]) // drop the taken calls from the queue's array
	r.queue = r.queue[:rest]
	for _, q := range calls {
		r.queueBytes -= q.call.BodyBytes
	}
	r.mu.Unlock()
	for i, q := range calls {
		if r.batchFull() {
			// Large events filled the batch: the rest go back to the head of the queue, for the next.
			r.requeue(calls[i:])
			break
		}
		r.encode(q)
	}
	clear(calls) // the batch holds their events now, not the calls
	r.spare = calls[:0]
	r.batched.Store(int64(r.batchEvents))
}

// batchFull reports whether the batch gathered holds maxBatch events or maxBatchBytes.
func (r *Recorder) batchFull() bool {
	return r.batchEvents >= maxBatch || r.batchBytes >= maxBatchBytes
}

// requeue puts calls taken from the queue back at its head, in order.
func (r *Recorder) requeue(calls []queued) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.queue = append(r.queue, calls...) // room for them
	copy(r.queue[len(calls):], r.queue[:len(r.queue)-len(calls)])
	copy(r.queue, calls)
	for _, q := range calls {
		r.queueBytes += q.call.BodyBytes
	}
}

// encode adds the events of a call to the batch being gathered: each account's events go into a block of
// the stored form, its encoder reused from batch to batch; the records themselves are written only for
// the file sink (and when the trail is read).
func (r *Recorder) encode(q queued) {
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
		e := r.encoder(acct)
		size := e.size()
		e.add(p)
		r.batchEvents++
		r.batchBytes += e.size() - size
		if q.settles {
			r.settle(q.pending, i, x.Events[i])
		}
		if r.o.File != nil {
			p.formatID()
			size := len(r.arena)
			r.arena = p.appendRecord(r.arena)
			r.batchBytes += len(r.arena) - size
			ev := p.event()
			ev.Resources = slices.Clone(ev.Resources)
			r.evs = append(r.evs, ev)
			r.ends = append(r.ends, len(r.arena))
		}
	}
}

// settle records that the batch holds the final form of the i-th event of p, whose preliminary form id
// a write's transaction stored: its row is deleted with the batch when no other event of the row waits
// for its final form.
func (r *Recorder) settle(p *Pending, i int, id string) {
	row := p.row(i)
	if row == nil {
		r.settled = append(r.settled, id) // a row of its own, keyed by the event's ID
		return
	}
	r.rows = append(r.rows, row)
	row.left--
	if row.left == 0 && !row.kept {
		r.settled = append(r.settled, row.Key)
	}
}

// writeBatch writes the batch gathered, in one transaction, and starts the next.
func (r *Recorder) writeBatch(ctx context.Context) {
	n := r.batchEvents
	if n == 0 {
		return
	}
	blocks := r.blocks[:0]
	for _, e := range r.encs {
		blocks = append(blocks, e.block())
	}
	defer func() {
		clear(blocks) // drop the batch's strings before the next one
		clear(r.evs)
		clear(r.settled)
		clear(r.rows)
		r.blocks, r.evs, r.settled, r.arena, r.ends = blocks[:0], r.evs[:0], r.settled[:0], r.arena[:0], r.ends[:0]
		r.rows = r.rows[:0]
		r.batchEvents, r.batchBytes = 0, 0
		r.batched.Store(0)
		if len(r.encs) > maxKeptEncoders {
			clear(r.encs[maxKeptEncoders:]) // a batch of many accounts: its encoders are not kept
			r.encs = r.encs[:maxKeptEncoders]
		}
		r.encs = r.encs[:0]
		clear(r.encOf)
	}()
	if r.o.File != nil {
		start := 0
		for i, end := range r.ends {
			r.evs[i].Record = r.arena[start:end:end]
			start = end
		}
		if err := r.o.File.Write(r.evs); err != nil {
			r.o.Logger.Warn("audit: writing the file sink", "err", err)
		}
	}
	if err := r.o.Store.AppendBlocks(ctx, blocks, r.settled); err != nil {
		for _, row := range r.rows {
			// Its events of this batch have no final form: the row stays, and is adopted.
			row.kept = true
		}
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
