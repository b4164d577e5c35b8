package audit

import (
	"bytes"
	"context"
	"sync"
)

// Pending is the event of a request still running. The request's context carries it into the
// operation; the store's Update writes its preliminary form in the transaction of the request's first
// write, so that no acknowledged write is ever without its event, whatever happens to the process
// afterwards. When the request ends, the recorder writes the final form (with the outcome) over it,
// behind the request.
type Pending struct {
	call     Call // the call itself: one allocation for both
	fallback string
	ids      IDs // made by the first that needs them: a write's transaction, or the writer behind

	mu     sync.Mutex
	stored bool // a transaction holding the events committed
	closed bool // the request ended: later writes are not its own
	prelim []Prelim
	rows   []*PendingRow // the rows holding prelim (by index), when the store shares rows (InRow)
}

// PendingRow is a row of the store holding the preliminary events of several writes: a store may write
// the preliminary events of one commit (a commit group's members) and account as one row, one insert and
// later one delete instead of one of each per write. Key names the row (the ID of an event in it). The
// writer deletes the row with the batch that writes the last of its events' final forms; until then the
// row's other events are read in their final form (the store prefers a block's event to a pending one).
type PendingRow struct {
	Key string
	// left is how many of the row's events have no final form written yet; kept, that a batch holding
	// one of them failed, so the row stays for adoption (which keeps only the events without a final
	// form). Both the writer's alone, once the commit that stored the row is over.
	left int
	kept bool
}

// NewPendingRow is the row key, holding events preliminary events.
func NewPendingRow(key string, events int) *PendingRow { return &PendingRow{Key: key, left: events} }

// InRow records that the row r holds the i-th of the events Unstored returned, in the transaction about to
// commit (a transaction run again records its rows again).
func (p *Pending) InRow(i int, r *PendingRow) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.rows == nil {
		p.rows = make([]*PendingRow, len(p.prelim))
	}
	p.rows[i] = r
}

// row is the row holding the i-th preliminary event, nil when the store keeps each in a row of its own
// (keyed by its event ID).
func (p *Pending) row(i int) *PendingRow {
	p.mu.Lock()
	defer p.mu.Unlock()
	if i < len(p.rows) {
		return p.rows[i]
	}
	return nil
}

type pendingKey struct{}

// WithPending returns ctx carrying p.
func WithPending(ctx context.Context, p *Pending) context.Context {
	return context.WithValue(ctx, pendingKey{}, p)
}

// PendingFrom returns the pending event ctx carries, or nil.
func PendingFrom(ctx context.Context) *Pending {
	p, _ := ctx.Value(pendingKey{}).(*Pending)
	return p
}

// Unstored returns the preliminary events for a write transaction to hold, or nil when a committed
// transaction already holds them or the request has ended. The transaction may run more than once and
// may fail: only Stored, called once it committed, settles the matter.
func (p *Pending) Unstored() []Prelim {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stored || p.closed {
		return nil
	}
	if p.prelim == nil {
		p.makeIDs()
		p.prelim = buildPrelim(&p.call, p.ids)
	}
	return p.prelim
}

// buildPrelim makes the preliminary events of a call: each in the stored form, a block of its own
// (everything but the outcome, which only the final event knows).
func buildPrelim(c *Call, x IDs) []Prelim {
	out := make([]Prelim, len(x.Accounts))
	b := prelimBuilders.Get().(*prelimBuilder)
	defer prelimBuilders.Put(b)
	for i, acct := range x.Accounts {
		c.fillParts(&b.parts, acct, x.Events[i], x.Shared, false)
		b.e.reset(acct)
		b.e.add(&b.parts)
		blk := b.e.block()
		out[i] = Prelim{EventID: x.Events[i], AccountID: acct, EventTime: blk.MinTime, Data: bytes.Clone(blk.Data)}
	}
	return out
}

// prelimBuilder is the encoder and buffers a preliminary event is built with, kept for the next write:
// only the block's bytes (copied) leave it.
type prelimBuilder struct {
	e     blockEncoder
	parts eventParts
}

var prelimBuilders = sync.Pool{New: func() any { return &prelimBuilder{e: blockEncoder{noKeys: true}} }}

// Stored records that a committed transaction holds the preliminary events.
func (p *Pending) Stored() {
	p.mu.Lock()
	p.stored = true
	p.mu.Unlock()
}

// Call is the call whose event p is: the request fills its outcome in before End.
func (p *Pending) Call() *Call { return &p.call }

// makeIDs gives the events their IDs, once (p.mu held).
func (p *Pending) makeIDs() {
	if p.ids.Accounts == nil {
		p.ids = NewIDs(p.call.Recipients(p.fallback), p.call.Req.Time)
	}
}

// close ends the request's hold on its transactions, returning whether a committed transaction holds
// the preliminary events. From then on no transaction touches p: the writer behind makes the IDs of a
// call that stored nothing (madeIDs), off the request's path.
func (p *Pending) close() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	return p.stored
}

// madeIDs are the events' IDs if a transaction made them (the writer, after close, makes them itself
// otherwise).
func (p *Pending) madeIDs() (IDs, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.ids, p.ids.Accounts != nil
}
