package sqlstore

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/klauspost/compress/s2"

	"github.com/iamd/iamd/internal/audit"
	"github.com/iamd/iamd/internal/storage"
)

// The trail is kept in blocks: each batch the recorder writes behind becomes, per account, one row of
// event_blocks holding its events in the trail's stored form (audit.Block: what the events share kept
// once, the records written only when read), s2-compressed, plus one row of event_keys per distinct
// lookup attribute value in it (a few per block: a thousand GetCallerIdentity calls of one user have
// five). A lookup by attribute reads the blocks that hold the value, newest first, and filters their
// events; a lookup by event ID reads the blocks of the millisecond the ID names (audit.NewEventID). So
// the cost of an event on the request path is its share of one insert per batch, not an insert into half
// a dozen indexes. A write's preliminary event (see audit.Pending) is stored in the write's own
// transaction, in a row of event_pending that holds the preliminary events of every write of its commit
// (a commit group's members) and account (audit.PendingRow): one insert per commit, and one delete, by
// the batch that writes the last of their final forms. Until then a read that finds an event both in a
// block and in a pending row takes the block's. Blocks and pending rows written before the stored form
// (each event with its JSON record, audit.DecodeEarlierEvent) are read as they are.

var _ audit.Store = (*Store)(nil)

// withPendingEvent wraps fn so that the transaction that runs it also stores the preliminary events of
// the request ctx carries (see audit.Pending), when no earlier transaction of the request stored them.
// done is called once the transaction committed.
func withPendingEvent(ctx context.Context, fn func(tx storage.Tx) error) (func(tx storage.Tx) error, func()) {
	p := audit.PendingFrom(ctx)
	if p == nil {
		return fn, nil
	}
	evs := p.Unstored()
	if len(evs) == 0 {
		return fn, nil
	}
	return func(tx storage.Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		t, ok := tx.(*txn)
		if !ok {
			return fmt.Errorf("storage: events: unexpected transaction %T", tx)
		}
		// Written with the transaction's last statements (flushPending), so that a commit group's
		// members share one row per account instead of paying a row and a round trip each.
		for i := range evs {
			t.pending = append(t.pending, pendingRow{p: p, i: i, ev: &evs[i]})
		}
		return nil
	}, p.Stored
}

// compressedRow starts the data of a row of event_pending that holds an s2-compressed pending row
// (audit.AppendPendingRow). Neither a pending row nor an event encoded before the stored form starts so.
var compressedRow = []byte{0x00, 0xc3}

// pendingRow is one preliminary event waiting to be written to event_pending: the i-th of p's.
type pendingRow struct {
	p  *audit.Pending
	i  int
	ev *audit.Prelim
}

// maxRowsPerStatement bounds the rows one statement of the trail inserts or deletes (at most 6
// parameters each: far below SQLite's 32,766 and PostgreSQL's 65,535 parameters per statement, and few
// statement texts to prepare). Each statement is a round trip on the commit group's serial path on
// PostgreSQL, so the trail's rows go many to a statement.
const maxRowsPerStatement = 32

// execRows runs head, then the parameter list of n rows of cols parameters each, then tail, for every
// maxRowsPerStatement rows; args(i) gives row i's parameters. With cols 0 the list is one parameter per
// row, bare ("$1, $2", for IN), else one parenthesised tuple per row ("($1, $2), ($3, $4)", for VALUES).
// The parameters fixed, the same in every statement, come first ($1, … in head); the rows' after them.
func execRows(ctx context.Context, exec func(ctx context.Context, query string, args ...any) error,
	head, tail string, fixed []any, n, cols int, args func(i int) []any) error {
	for start := 0; start < n; start += maxRowsPerStatement {
		end := min(n, start+maxRowsPerStatement)
		var q strings.Builder
		q.WriteString(head)
		all := append([]any(nil), fixed...)
		for i := start; i < end; i++ {
			if i > start {
				q.WriteString(", ")
			}
			row := args(i)
			if cols > 0 {
				q.WriteByte('(')
			}
			for j := range row {
				if j > 0 {
					q.WriteString(", ")
				}
				fmt.Fprintf(&q, "$%d", len(all)+1)
				all = append(all, row[j])
			}
			if cols > 0 {
				q.WriteByte(')')
			}
		}
		q.WriteString(tail)
		if err := exec(ctx, q.String(), all...); err != nil {
			return err
		}
	}
	return nil
}

// flushPending writes the preliminary events of a transaction, or of every member of a commit group: one
// row per account (audit.PendingRow), keyed by the ID of its first event, its time the earliest of its
// events'. The rows are bounded by the commit group's size.
func (s *Store) flushPending(ctx context.Context, tx writeTx, evs []pendingRow) error {
	if len(evs) == 0 {
		return nil
	}
	type row struct {
		key, acct string
		time      int64
		data      []byte
	}
	var rows []row
	taken := make([]bool, len(evs))
	var blocks [][]byte
	var members []int
	for i := range evs {
		if taken[i] {
			continue
		}
		first := evs[i].ev
		at := first.EventTime
		blocks, members = blocks[:0], members[:0]
		for j := i; j < len(evs); j++ {
			if ev := evs[j].ev; !taken[j] && ev.AccountID == first.AccountID {
				taken[j] = true
				blocks, members = append(blocks, ev.Data), append(members, j)
				at = min(at, ev.EventTime)
			}
		}
		r := audit.NewPendingRow(first.EventID, len(members))
		for _, j := range members {
			evs[j].p.InRow(evs[j].i, r)
		}
		data := audit.AppendPendingRow(nil, blocks...)
		if len(blocks) > 1 {
			// The events of a commit share much (caller, user agent, operation): compressed, a group's row
			// fits in fewer pages, each of which the commit writes to the log whole.
			data = append(compressedRow[:len(compressedRow):len(compressedRow)], s2.Encode(nil, data)...)
		}
		rows = append(rows, row{first.EventID, first.AccountID, at, data})
	}
	err := execRows(ctx, func(ctx context.Context, q string, args ...any) error {
		return tx.later(ctx, nil, s.q(q), args...)
	}, `INSERT INTO event_pending (event_id, account_id, event_time, data) VALUES `, ` ON CONFLICT (event_id) DO NOTHING`,
		nil, len(rows), 4, func(i int) []any { r := rows[i]; return []any{r.key, r.acct, r.time, r.data} })
	if err != nil {
		return fmt.Errorf("storage: pending events: %w", err)
	}
	return nil
}

// AppendEvents implements audit.Store: events given whole, as blocks (audit.EncodeEvents).
func (s *Store) AppendEvents(ctx context.Context, evs []audit.Event, settled []string) error {
	return s.AppendBlocks(ctx, audit.EncodeEvents(evs), settled)
}

// AppendBlocks implements audit.Store: the blocks, compressed, and their keys, in one transaction.
func (s *Store) AppendBlocks(ctx context.Context, blocks []audit.Block, settled []string) error {
	if len(blocks) == 0 && len(settled) == 0 {
		return nil
	}
	// The buffer blocks are compressed in is kept from call to call: one writer calls AppendBlocks, so
	// it is rarely waited for.
	s.eventBuf.Lock()
	defer s.eventBuf.Unlock()
	comp := s.eventBuf.comp[:0]
	ids := make([]int64, len(blocks))
	data := make([][]byte, len(blocks))
	// keys[i] are block i's keys, as stored.
	keys := make([][]any, len(blocks))
	for i := range blocks {
		b := &blocks[i]
		ids[i] = newBlockID()
		// Each compressed block goes into the kept buffer after the ones before it; the driver copies it
		// when inserted, before the next call reuses the buffer.
		start := len(comp)
		comp = slices.Grow(comp, s2.MaxEncodedLen(len(b.Data)))
		enc := s2.Encode(comp[start:cap(comp)], b.Data)
		comp = comp[:start+len(enc)]
		data[i] = enc
		keys[i] = make([]any, len(b.Keys))
		for j, k := range b.Keys {
			keys[i][j] = key(k.Attribute, k.Value)
		}
	}
	s.eventBuf.comp = comp
	// Many rows to a statement: this transaction runs in a commit group with the node's other writes.
	return s.Update(ctx, func(tx storage.Tx) error {
		t := tx.(*txn)
		exec := func(ctx context.Context, q string, args ...any) error {
			_, err := t.exec(ctx, q, args...)
			return err
		}
		err := execRows(ctx, exec, `INSERT INTO event_blocks (id, account_id, min_time, max_time, events, data) VALUES `, ``,
			nil, len(blocks), 6, func(i int) []any {
				b := &blocks[i]
				return []any{ids[i], b.AccountID, b.MinTime, b.MaxTime, b.Events, data[i]}
			})
		if err != nil {
			return fmt.Errorf("storage: event block: %w", err)
		}
		// A block's keys share its account, time and ID: bound once per statement, not once per key.
		for i := range blocks {
			ks := keys[i]
			err = execRows(ctx, exec, `INSERT INTO event_keys (account_id, k, max_time, block_id)
				SELECT CAST($1 AS TEXT), v.column1, CAST($2 AS BIGINT), CAST($3 AS BIGINT) FROM (VALUES `, `) AS v`,
				[]any{blocks[i].AccountID, blocks[i].MaxTime, ids[i]}, len(ks), 1, func(j int) []any { return ks[j : j+1] })
			if err != nil {
				return fmt.Errorf("storage: event key: %w", err)
			}
		}
		err = execRows(ctx, exec, `DELETE FROM event_pending WHERE event_id IN (`, `)`,
			nil, len(settled), 0, func(i int) []any { return []any{settled[i]} })
		if err != nil {
			return fmt.Errorf("storage: settled event: %w", err)
		}
		return nil
	})
}

// newBlockID is a random positive 63-bit block ID.
func newBlockID() int64 {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return int64(binary.BigEndian.Uint64(b[:]) >> 1)
}

// attrValue is one lookup attribute value.
type attrValue struct {
	a audit.Attribute
	v string
}

// eachKey calls fn with the lookup attribute values of an event, as event_keys holds them. The event ID
// has none: its time finds it.
func eachKey(ev *audit.Event, fn func(attrValue)) {
	ro := "false"
	if ev.ReadOnly {
		ro = "true"
	}
	fn(attrValue{audit.AttrEventName, ev.EventName})
	fn(attrValue{audit.AttrEventSource, ev.EventSource})
	fn(attrValue{audit.AttrReadOnly, ro})
	if ev.Username != "" {
		fn(attrValue{audit.AttrUsername, ev.Username})
	}
	if ev.AccessKeyID != "" {
		fn(attrValue{audit.AttrAccessKeyID, ev.AccessKeyID})
	}
	for _, r := range ev.Resources {
		fn(attrValue{audit.AttrResourceType, r.Type})
		fn(attrValue{audit.AttrResourceName, r.Name})
	}
}

// hasKey reports whether the event has the lookup attribute value k.
func hasKey(ev *audit.Event, k attrValue) bool {
	found := false
	eachKey(ev, func(x attrValue) { found = found || x == k })
	return found
}

func key(a audit.Attribute, v string) string { return string(a) + ":" + v }

// AdoptPending implements audit.Store: preliminary events left by a crash become blocks (unless their
// final form made it after all), and their pending rows go.
func (s *Store) AdoptPending(ctx context.Context, before time.Time) (int, error) {
	adopted := 0
	for {
		rows, err := s.ReadDB.QueryContext(ctx, s.q(`SELECT event_id, account_id, data FROM event_pending WHERE event_time < $1
			ORDER BY event_id LIMIT 500`), before.UnixNano())
		if err != nil {
			return adopted, fmt.Errorf("storage: pending events: %w", err)
		}
		var evs []audit.Event
		var ids []string
		for rows.Next() {
			var id, acct string
			var data []byte
			if err := rows.Scan(&id, &acct, &data); err != nil {
				rows.Close()
				return adopted, fmt.Errorf("storage: pending events: %w", err)
			}
			ids = append(ids, id)
			ev, err := decodePending(data, acct)
			if err != nil {
				continue // unreadable: dropped with its row
			}
			evs = append(evs, ev...)
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return adopted, fmt.Errorf("storage: pending events: %w", err)
		}
		if len(ids) == 0 {
			return adopted, nil
		}
		var keep []audit.Event
		for _, ev := range evs {
			p, err := s.lookup(ctx, audit.Query{AccountID: ev.AccountID, Attribute: audit.AttrEventID, Value: ev.EventID, Limit: 1}, false)
			if err != nil {
				return adopted, err
			}
			if len(p.Events) == 0 {
				keep = append(keep, ev)
			}
		}
		if err := s.AppendEvents(ctx, keep, ids); err != nil {
			return adopted, err
		}
		adopted += len(keep)
	}
}

// PurgeEvents implements audit.Store: whole blocks whose newest event is older than before (so an event
// outlives the retention by at most the time its batch spans), up to limit blocks, and old pending
// events.
func (s *Store) PurgeEvents(ctx context.Context, before time.Time, limit int) (int, error) {
	cut := before.UnixNano()
	var n int64
	err := s.Update(ctx, func(tx storage.Tx) error {
		t := tx.(*txn)
		var err error
		// The same blocks twice (ordered by (max_time, id), as event_blocks_purge is): their keys, then
		// themselves.
		const oldest = `SELECT id FROM event_blocks WHERE max_time < $1 ORDER BY max_time, id LIMIT $2`
		if _, err := t.exec(ctx, `DELETE FROM event_keys WHERE block_id IN (`+oldest+`)`, cut, limit); err != nil {
			return err
		}
		n, err = t.exec(ctx, `DELETE FROM event_blocks WHERE id IN (`+oldest+`)`, cut, limit)
		if err != nil {
			return err
		}
		_, err = t.exec(ctx, `DELETE FROM event_pending WHERE event_time < $1`, cut)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("storage: purge events: %w", err)
	}
	return int(n), nil
}

// ExportEvents implements audit.Store: the events of [since, until) of every account, block by block in
// the order they were written, then the pending ones.
func (s *Store) ExportEvents(ctx context.Context, since, until time.Time, fn func(audit.Event) error) error {
	lo, hi := since.UnixNano(), until.UnixNano()
	// The preliminary events first (a bounded set: the writes in flight, and those of a crash until they
	// are adopted), so that an event found in a block as well is written once, in its final form.
	pending, err := s.pendingEvents(ctx, "", lo, hi-1)
	if err != nil {
		return err
	}
	inBlock := make(map[string]bool, len(pending))
	for _, ev := range pending {
		inBlock[ev.EventID] = false
	}
	var last int64 = -1 << 63
	var lastID int64 = -1
	for {
		// Paged by (max_time, id) so that a long export holds no read transaction open.
		rows, err := s.ReadDB.QueryContext(ctx, s.q(`SELECT id, max_time, account_id, data FROM event_blocks
			WHERE max_time >= $1 AND min_time < $2 AND (max_time > $3 OR max_time = $3 AND id > $4)
			ORDER BY max_time, id LIMIT 100`), lo, hi, last, lastID)
		if err != nil {
			return fmt.Errorf("storage: export events: %w", err)
		}
		var blocks []storedBlock
		for rows.Next() {
			var b storedBlock
			if err := rows.Scan(&b.id, &b.max, &b.acct, &b.data); err != nil {
				rows.Close()
				return fmt.Errorf("storage: export events: %w", err)
			}
			blocks = append(blocks, b)
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return fmt.Errorf("storage: export events: %w", err)
		}
		inRange := func(ev *audit.Event) bool { at := ev.EventTime.UnixNano(); return at >= lo && at < hi }
		for _, b := range blocks {
			evs, err := b.events(inRange)
			if err != nil {
				return err
			}
			for _, ev := range evs {
				if _, ok := inBlock[ev.EventID]; ok {
					inBlock[ev.EventID] = true
				}
				if err := fn(ev); err != nil {
					return err
				}
			}
			last, lastID = b.max, b.id
		}
		if len(blocks) < 100 {
			break
		}
	}
	for _, ev := range pending {
		if inBlock[ev.EventID] {
			continue
		}
		if err := fn(ev); err != nil {
			return err
		}
	}
	return nil
}

// pendingEvents are the preliminary events of acct (every account for "") with times in [lo, hi]. A row's
// time is its earliest event's, so rows before lo are read too: the table holds the writes in flight.
func (s *Store) pendingEvents(ctx context.Context, acct string, lo, hi int64) ([]audit.Event, error) {
	rows, err := s.ReadDB.QueryContext(ctx, s.q(`SELECT account_id, data FROM event_pending
		WHERE ($1 = '' OR account_id = $1) AND event_time <= $2`), acct, hi)
	if err != nil {
		return nil, fmt.Errorf("storage: pending events: %w", err)
	}
	defer rows.Close()
	var out []audit.Event
	for rows.Next() {
		var a string
		var data []byte
		if err := rows.Scan(&a, &data); err != nil {
			return nil, fmt.Errorf("storage: pending events: %w", err)
		}
		evs, err := decodePending(data, a)
		if err != nil {
			continue
		}
		for _, ev := range evs {
			if at := ev.EventTime.UnixNano(); at >= lo && at <= hi {
				out = append(out, ev)
			}
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("storage: pending events: %w", err)
	}
	return out, nil
}

// storedBlock is a row of event_blocks.
type storedBlock struct {
	id, max int64
	acct    string
	data    []byte
}

// events are the block's events that keep (nil: all) keeps, asked before their records are written.
func (b *storedBlock) events(keep func(*audit.Event) bool) ([]audit.Event, error) {
	raw, err := s2.Decode(nil, b.data)
	if err != nil {
		return nil, fmt.Errorf("storage: event block %d: %w", b.id, err)
	}
	if audit.IsBlock(raw) {
		evs, err := audit.DecodeBlock(raw, b.acct, keep)
		if err != nil {
			return nil, fmt.Errorf("storage: event block %d: %w", b.id, err)
		}
		return evs, nil
	}
	// A block written before the stored form: its events one after another, records whole.
	var out []audit.Event
	for len(raw) > 0 {
		ev, n, err := audit.DecodeEarlierEvent(raw)
		if err != nil {
			return nil, fmt.Errorf("storage: event block %d: %w", b.id, err)
		}
		ev.AccountID = b.acct
		if keep == nil || keep(&ev) {
			out = append(out, ev)
		}
		raw = raw[n:]
	}
	return out, nil
}

// decodePending reads the data of a row of event_pending: the blocks of the stored form holding its
// events (audit.DecodePendingRow), or (written before it) an event as audit.DecodeEarlierEvent reads it.
func decodePending(data []byte, acct string) ([]audit.Event, error) {
	if c, ok := bytes.CutPrefix(data, compressedRow); ok {
		raw, err := s2.Decode(nil, c)
		if err != nil {
			return nil, fmt.Errorf("storage: pending row: %w", err)
		}
		if !audit.IsPendingRow(raw) {
			return nil, audit.ErrCorrupt
		}
		data = raw
	}
	if audit.IsPendingRow(data) {
		return audit.DecodePendingRow(data, acct)
	}
	ev, _, err := audit.DecodeEarlierEvent(data)
	if err != nil {
		return nil, err
	}
	// The account is the row's; the encoded event does not repeat it.
	ev.AccountID = acct
	return []audit.Event{ev}, nil
}

// Lookup implements audit.History: one account's events, newest first, filtered by at most one
// attribute and a time range, Limit at a time.
func (s *Store) Lookup(ctx context.Context, q audit.Query) (audit.Page, error) {
	return s.lookup(ctx, q, true)
}

// lookup is Lookup, over the blocks alone without withPending.
func (s *Store) lookup(ctx context.Context, q audit.Query, withPending bool) (audit.Page, error) {
	limit := q.Limit
	if limit <= 0 {
		limit = 50
	}
	lo, hi := int64(-1<<63), int64(1<<63-1)
	if !q.Start.IsZero() {
		lo = q.Start.UnixNano()
	}
	if !q.End.IsZero() {
		hi = q.End.UnixNano()
	}
	// The position to continue from: events strictly before (curT, curID) in (time, ID) order.
	curT, curID := hi, "\U0010FFFF" // after every ID: the first page may start at hi itself
	if q.After != "" {
		t, id, ok := parseToken(q.After)
		if !ok {
			return audit.Page{}, audit.ErrInvalidToken
		}
		if t < curT || t == curT && id < curID {
			curT, curID = t, id
		}
	}
	match := func(ev *audit.Event) bool { return true }
	var query string
	var args []any
	switch q.Attribute {
	case "", audit.AttrEventID:
		if q.Attribute == audit.AttrEventID {
			t, ok := audit.EventIDTime(q.Value)
			if !ok {
				return audit.Page{}, nil
			}
			lo, curT = max(lo, t.UnixNano()), min(curT, t.Add(time.Millisecond).UnixNano()-1)
			id := q.Value
			match = func(ev *audit.Event) bool { return ev.EventID == id }
		}
		query = `SELECT b.id, b.max_time, b.account_id, b.data FROM event_blocks b
			WHERE b.account_id = $1 AND b.max_time >= $2 AND b.min_time <= $3 ORDER BY b.max_time DESC, b.id DESC`
		args = []any{q.AccountID, lo, curT}
	case audit.AttrEventName, audit.AttrUsername, audit.AttrAccessKeyID, audit.AttrEventSource,
		audit.AttrResourceType, audit.AttrResourceName, audit.AttrReadOnly:
		v := q.Value
		if q.Attribute == audit.AttrReadOnly {
			v = strings.ToLower(v)
		}
		av := attrValue{q.Attribute, v}
		k := key(av.a, av.v)
		match = func(ev *audit.Event) bool { return hasKey(ev, av) }
		query = `SELECT b.id, b.max_time, b.account_id, b.data FROM event_keys k JOIN event_blocks b ON b.id = k.block_id
			WHERE k.account_id = $1 AND k.k = $4 AND k.max_time >= $2 AND b.min_time <= $3 ORDER BY k.max_time DESC, k.block_id DESC`
		args = []any{q.AccountID, lo, curT, k}
	default:
		return audit.Page{}, fmt.Errorf("storage: unknown lookup attribute %q", q.Attribute)
	}
	before := func(ev *audit.Event) bool {
		at := ev.EventTime.UnixNano()
		return at >= lo && (at < curT || at == curT && ev.EventID < curID)
	}
	newer := func(a, b audit.Event) int {
		if c := b.EventTime.Compare(a.EventTime); c != 0 {
			return c
		}
		return strings.Compare(b.EventID, a.EventID)
	}
	// Preliminary events not yet written in a block count too (a write's event is found at once).
	var cands []audit.Event
	if withPending {
		var err error
		if cands, err = s.pendingEvents(ctx, q.AccountID, lo, curT); err != nil {
			return audit.Page{}, err
		}
	}
	cands = slices.DeleteFunc(cands, func(ev audit.Event) bool { return !match(&ev) || !before(&ev) })
	rows, err := s.ReadDB.QueryContext(ctx, s.q(query), args...)
	if err != nil {
		return audit.Page{}, fmt.Errorf("storage: lookup events: %w", err)
	}
	defer rows.Close()
	// seen: the events taken from blocks. An event still in a pending row but in a block already (its
	// row waits for the final form of another of its events) is taken in its final form.
	seen := map[string]bool{}
	prelim := make(map[string]bool, len(cands))
	for _, ev := range cands {
		prelim[ev.EventID] = true
	}
	for rows.Next() {
		var b storedBlock
		if err := rows.Scan(&b.id, &b.max, &b.acct, &b.data); err != nil {
			return audit.Page{}, fmt.Errorf("storage: lookup events: %w", err)
		}
		// Blocks come newest event first: once limit+1 events newer than everything this block holds
		// are in hand, no later block can change the page.
		if len(cands) > limit && cands[limit].EventTime.UnixNano() > b.max {
			break
		}
		evs, err := b.events(func(ev *audit.Event) bool { return match(ev) && before(ev) && !seen[ev.EventID] })
		if err != nil {
			return audit.Page{}, err
		}
		for i := range evs {
			ev := &evs[i]
			if seen[ev.EventID] {
				continue
			}
			seen[ev.EventID] = true
			if prelim[ev.EventID] {
				// In place of its preliminary form, if that is still among the candidates (else it was
				// past the page, and so is this). A final form has every lookup value its preliminary
				// form has (and the output's resources), so it matches wherever that did.
				if j := slices.IndexFunc(cands, func(c audit.Event) bool { return c.EventID == ev.EventID }); j >= 0 {
					cands[j] = *ev
				}
				continue
			}
			cands = append(cands, *ev)
		}
		slices.SortFunc(cands, newer)
		if len(cands) > limit+1 {
			cands = cands[:limit+1]
		}
	}
	if err := rows.Err(); err != nil {
		return audit.Page{}, fmt.Errorf("storage: lookup events: %w", err)
	}
	slices.SortFunc(cands, newer)
	if len(cands) <= limit {
		return audit.Page{Events: cands}, nil
	}
	page := cands[:limit]
	last := page[limit-1]
	return audit.Page{Events: page, Next: strconv.FormatInt(last.EventTime.UnixNano(), 36) + "." + last.EventID}, nil
}

// parseToken reads a continuation made by Lookup.
func parseToken(s string) (int64, string, bool) {
	t, id, ok := strings.Cut(s, ".")
	if !ok || id == "" || len(s) > 128 {
		return 0, "", false
	}
	n, err := strconv.ParseInt(t, 36, 64)
	if err != nil {
		return 0, "", false
	}
	return n, id, true
}
