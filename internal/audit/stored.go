package audit

import (
	"bytes"
	"encoding/binary"
	"errors"
	"time"

	"github.com/iamd/iamd/internal/ids"
)

// The stored form of the trail. A block is the events of one account from one batch of the writer; the
// store compresses it and keeps it as one row. Its events are kept as the parts their records are
// written from (eventParts), never as the JSON: what the events of a block share (the caller's identity,
// address, client and operation; the resources they name; their request parameters) is kept once, in a
// dictionary, and each event holds only what is its own (time, IDs, outcome) and the indexes of its
// entries. So an event costs the writer a few dozen bytes to encode and store, and its lookup keys are
// found once per distinct entry; the record is written when the trail is read (DecodeBlock), by the same
// code (appendRecord) that writes it at once, so it is byte for byte the same.
//
// Layout (integers are varints, strings and byte strings length-prefixed):
//
//	magic (2 bytes) · contexts: count, entries · resources: count, entries · parameters: count, entries ·
//	events: count, events
//
// A context entry is readOnly (a byte) and the strings of eventContext; a resource entry its type and
// name; a parameters entry a requestParameters or responseElements value as JSON. An event is a byte of
// flags, its time (nanoseconds since the previous event's), the index of its context, its event ID and
// request ID (16 bytes when they are lowercase UUIDs, else a string), its shared event ID (flagShared),
// the indexes of its requestParameters and responseElements, its error code and message (flagError), and
// its resources (a count, then indexes). An event given whole (AppendRaw, flagRaw) holds instead its
// lookup fields and its record as it was given.
//
// Nothing is stored that the record would not show (the parameters are the redacted ones), so the stored
// form holds no secret either.

// Block is the events of one account from one batch, in the stored form.
type Block struct {
	AccountID string
	// MinTime and MaxTime bound its events' times (Unix nanoseconds); Events is how many it holds.
	MinTime, MaxTime int64
	Events           int
	// Data is the encoded block (uncompressed). It is the encoder's: valid until the encoder is reset.
	Data []byte
	// Keys are the lookup attribute values its events have, each once.
	Keys []Key
}

// Key is one lookup attribute value (for AttrReadOnly, "true" or "false").
type Key struct {
	Attribute Attribute
	Value     string
}

// magic starts every block of the stored form. The encoding before it (an event's time as a signed
// varint, then its read-only byte, 0 or 1) can never start with these two bytes.
var magic = [2]byte{0x00, 0xc1}

// IsBlock reports whether b is a block of the stored form (and not of the encoding before it).
func IsBlock(b []byte) bool { return len(b) >= 2 && b[0] == magic[0] && b[1] == magic[1] }

// Flags of an event.
const (
	flagGlobal    = 1 << iota // served at the STS global endpoint
	flagTruncated             // a parameters value was omitted as too large
	flagError                 // errorCode (and errorMessage) follow
	flagShared                // sharedEventID follows
	flagRaw                   // an event given whole (AppendRaw)
	flagEventID               // the event ID is a string, not a UUID's 16 bytes
	flagRequestID             // the request ID is a string
	flagSharedID              // the shared event ID is a string
)

// dictLinear is how many entries a dictionary searches one by one before it indexes them in a map: a
// block's events share few contexts, and a short scan beats hashing a few hundred bytes.
const dictLinear = 8

// dict is one dictionary of a block: entries, each once, in the order first used.
type dict struct {
	data  []byte   // the entries, length-prefixed, as stored
	spans [][2]int // each entry's bytes in data
	index map[string]int
	last  int // the entry found last: consecutive events mostly share it
}

func (d *dict) reset() {
	d.data, d.spans, d.last = d.data[:0], d.spans[:0], 0
	if d.index != nil {
		clear(d.index)
	}
}

func (d *dict) entry(i int) []byte { s := d.spans[i]; return d.data[s[0]:s[1]] }

// intern returns the index of entry v, adding it (new true) when the dictionary does not hold it yet.
func (d *dict) intern(v []byte) (i int, added bool) {
	n := len(d.spans)
	if d.last < n && bytes.Equal(d.entry(d.last), v) {
		return d.last, false
	}
	if n <= dictLinear {
		for i := range n {
			if bytes.Equal(d.entry(i), v) {
				d.last = i
				return i, false
			}
		}
	} else if i, ok := d.index[string(v)]; ok {
		d.last = i
		return i, false
	}
	d.data = binary.AppendUvarint(d.data, uint64(len(v)))
	start := len(d.data)
	d.data = append(d.data, v...)
	d.spans = append(d.spans, [2]int{start, len(d.data)})
	d.last = n
	switch {
	case n+1 == dictLinear+1:
		if d.index == nil {
			d.index = make(map[string]int)
		}
		for j := range d.spans {
			d.index[string(d.entry(j))] = j
		}
	case n+1 > dictLinear+1:
		d.index[string(v)] = n
	}
	return n, true
}

// blockEncoder encodes the events of one account into a block. Its buffers are kept from block to
// block (reset).
type blockEncoder struct {
	acct             string
	min, max, prev   int64
	n                int
	ctxs, res, parms dict
	events           []byte
	scratch          []byte
	keys             []Key
	seen             map[Key]struct{}
	noKeys           bool // a preliminary event's block: its keys are not stored
	out              []byte
}

func (e *blockEncoder) reset(acct string) {
	e.acct, e.min, e.max, e.prev, e.n = acct, 1<<63-1, -1<<63, 0, 0
	e.ctxs.reset()
	e.res.reset()
	e.parms.reset()
	e.events, e.keys = e.events[:0], e.keys[:0]
	if e.seen != nil {
		clear(e.seen)
	}
}

func (e *blockEncoder) key(a Attribute, v string) {
	if e.noKeys {
		return
	}
	k := Key{a, v}
	if e.seen == nil {
		e.seen = make(map[Key]struct{})
	}
	if _, ok := e.seen[k]; !ok {
		e.seen[k] = struct{}{}
		e.keys = append(e.keys, k)
	}
}

func (e *blockEncoder) contextKeys(x *eventContext) {
	ro := "false"
	if x.readOnly {
		ro = "true"
	}
	e.key(AttrEventName, x.name)
	e.key(AttrEventSource, x.source)
	e.key(AttrReadOnly, ro)
	if x.username != "" {
		e.key(AttrUsername, x.username)
	}
	if x.accessKeyID != "" {
		e.key(AttrAccessKeyID, x.accessKeyID)
	}
}

func (e *blockEncoder) time(t int64) {
	e.min, e.max = min(e.min, t), max(e.max, t)
	e.events = binary.AppendVarint(e.events, t-e.prev)
	e.prev = t
	e.n++
}

// add encodes the event p.
func (e *blockEncoder) add(p *eventParts) {
	x := &p.ctx
	s := e.scratch[:0]
	ro := byte(0)
	if x.readOnly {
		ro = 1
	}
	s = append(s, ro)
	for _, v := range [...]string{x.source, x.name, x.region, x.sourceIP, x.userAgent, x.username, x.accessKeyID,
		x.tlsVersion, x.cipherSuite, x.host} {
		s = appendBytes(s, v)
	}
	s = binary.AppendUvarint(s, uint64(len(x.identity)))
	s = append(s, x.identity...)
	e.scratch = s
	ctx, added := e.ctxs.intern(s)
	if added {
		e.contextKeys(x)
	}

	flags := byte(0)
	if p.global {
		flags |= flagGlobal
	}
	if p.truncated {
		flags |= flagTruncated
	}
	if p.errorCode != "" {
		flags |= flagError
	}
	if p.shared != "" {
		flags |= flagShared
	}
	// The flags byte goes first; the IDs' encoding sets some of its bits.
	at := len(e.events)
	e.events = append(e.events, 0)
	e.time(p.time.UnixNano())
	e.events = binary.AppendUvarint(e.events, uint64(ctx))
	if p.newID {
		e.events = append(e.events, p.idBytes[:]...)
	} else {
		e.events = appendID(e.events, p.eventID, &flags, flagEventID)
	}
	e.events = appendID(e.events, p.requestID, &flags, flagRequestID)
	if p.shared != "" {
		e.events = appendID(e.events, p.shared, &flags, flagSharedID)
	}
	e.events[at] = flags
	i, _ := e.parms.intern(p.params)
	e.events = binary.AppendUvarint(e.events, uint64(i))
	i, _ = e.parms.intern(p.response)
	e.events = binary.AppendUvarint(e.events, uint64(i))
	if p.errorCode != "" {
		e.events = appendBytes(e.events, p.errorCode)
		e.events = appendBytes(e.events, p.errorMessage)
	}
	e.events = binary.AppendUvarint(e.events, uint64(len(p.resources)))
	for _, r := range p.resources {
		s = appendBytes(e.scratch[:0], r.Type)
		s = appendBytes(s, r.Name)
		e.scratch = s
		i, added := e.res.intern(s)
		if added {
			e.key(AttrResourceType, r.Type)
			e.key(AttrResourceName, r.Name)
		}
		e.events = binary.AppendUvarint(e.events, uint64(i))
	}
}

// addRaw encodes an event given whole: its lookup fields and its record as they are.
func (e *blockEncoder) addRaw(ev *Event) {
	e.events = append(e.events, flagRaw)
	e.time(ev.EventTime.UnixNano())
	ro := byte(0)
	if ev.ReadOnly {
		ro = 1
	}
	e.events = append(e.events, ro)
	for _, v := range [...]string{ev.EventID, ev.EventSource, ev.EventName, ev.Username, ev.AccessKeyID} {
		e.events = appendBytes(e.events, v)
	}
	e.events = binary.AppendUvarint(e.events, uint64(len(ev.Resources)))
	for _, r := range ev.Resources {
		e.events = appendBytes(e.events, r.Type)
		e.events = appendBytes(e.events, r.Name)
		e.key(AttrResourceType, r.Type)
		e.key(AttrResourceName, r.Name)
	}
	e.events = binary.AppendUvarint(e.events, uint64(len(ev.Record)))
	e.events = append(e.events, ev.Record...)
	e.contextKeys(&eventContext{readOnly: ev.ReadOnly, name: ev.EventName, source: ev.EventSource,
		username: ev.Username, accessKeyID: ev.AccessKeyID})
}

// size is what the encoder holds, in bytes.
func (e *blockEncoder) size() int {
	return len(e.events) + len(e.ctxs.data) + len(e.res.data) + len(e.parms.data)
}

// block is what the encoder holds, as a Block (its Data and Keys are the encoder's until reset).
func (e *blockEncoder) block() Block {
	b := append(e.out[:0], magic[:]...)
	for _, d := range [...]*dict{&e.ctxs, &e.res, &e.parms} {
		b = binary.AppendUvarint(b, uint64(len(d.spans)))
		b = append(b, d.data...)
	}
	b = binary.AppendUvarint(b, uint64(e.n))
	b = append(b, e.events...)
	e.out = b
	return Block{AccountID: e.acct, MinTime: e.min, MaxTime: e.max, Events: e.n, Data: b, Keys: e.keys}
}

// EncodeEvents encodes events given whole (their records already written: events adopted from an
// earlier encoding, or written by a test) into blocks, one per account.
func EncodeEvents(evs []Event) []Block {
	var out []Block
	encs := map[string]*blockEncoder{}
	var order []string
	for i := range evs {
		e := encs[evs[i].AccountID]
		if e == nil {
			e = &blockEncoder{}
			e.reset(evs[i].AccountID)
			encs[evs[i].AccountID] = e
			order = append(order, evs[i].AccountID)
		}
		e.addRaw(&evs[i])
	}
	for _, a := range order {
		out = append(out, encs[a].block())
	}
	return out
}

// Prelim is a write's preliminary event, stored in the write's transaction (see Pending): Data is a
// block of the stored form holding it alone.
type Prelim struct {
	EventID, AccountID string
	EventTime          int64 // Unix nanoseconds
	Data               []byte
}

// rowMagic starts a pending row holding the preliminary events of several writes (see PendingRow): each
// a block of the stored form, length-prefixed. A row of one event is that event's block alone. Neither a
// block nor the encoding before blocks starts with these two bytes.
var rowMagic = [2]byte{0x00, 0xc2}

// AppendPendingRow appends to dst the data of a pending row holding the preliminary events whose blocks
// (Prelim.Data) are blocks.
func AppendPendingRow(dst []byte, blocks ...[]byte) []byte {
	if len(blocks) == 1 {
		return append(dst, blocks[0]...)
	}
	dst = append(dst, rowMagic[:]...)
	for _, b := range blocks {
		dst = binary.AppendUvarint(dst, uint64(len(b)))
		dst = append(dst, b...)
	}
	return dst
}

// DecodePendingRow reads the data of a pending row of acct: several blocks (AppendPendingRow) or one;
// the encoding before blocks is not a row's (the store reads it with DecodeEarlierEvent).
func DecodePendingRow(b []byte, acct string) ([]Event, error) {
	if len(b) < 2 || b[0] != rowMagic[0] || b[1] != rowMagic[1] {
		return DecodeBlock(b, acct, nil)
	}
	d := decoder{b: b, off: len(rowMagic)}
	var out []Event
	for d.off < len(d.b) {
		blk := d.bytes()
		if d.err {
			return nil, ErrCorrupt
		}
		evs, err := DecodeBlock(blk, acct, nil)
		if err != nil {
			return nil, err
		}
		out = append(out, evs...)
	}
	return out, nil
}

// IsPendingRow reports whether b is a pending row's data of the stored form (one block or several).
func IsPendingRow(b []byte) bool {
	return IsBlock(b) || len(b) >= 2 && b[0] == rowMagic[0] && b[1] == rowMagic[1]
}

// hexValue is the value of a lowercase hex digit, badHex for any other byte.
var hexValue = func() (t [256]byte) {
	for i := range t {
		t[i] = badHex
	}
	for i, c := range "0123456789abcdef" {
		t[c] = byte(i)
	}
	return t
}()

const badHex = 0xf0

// uuidDigits are the offsets of a UUID's 16 pairs of hex digits in its string.
var uuidDigits = [16]uint8{0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34}

// parseUUID is the 16 bytes of s when s is a UUID in lowercase hex (which they give back exactly).
func parseUUID(s string) (u [16]byte, ok bool) {
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return u, false
	}
	var bad byte
	for j, i := range uuidDigits {
		h, l := hexValue[s[i]], hexValue[s[i+1]]
		bad |= h | l
		u[j] = h<<4 | l
	}
	return u, bad&badHex == 0
}

// appendID appends an ID as the 16 bytes of its UUID, or as a string (flag set in *flags) when it is
// not one.
func appendID(b []byte, id string, flags *byte, flag byte) []byte {
	if u, ok := parseUUID(id); ok {
		return append(b, u[:]...)
	}
	*flags |= flag
	return appendBytes(b, id)
}

func appendBytes(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// ErrCorrupt is returned for stored bytes the decoder cannot read.
var ErrCorrupt = errors.New("audit: corrupt stored events")

// maxEntries reports whether a count of n entries is believable with rest bytes left (each takes at
// least one): a corrupt count must not make the decoder loop, or allocate, for nothing.
func maxEntries(n uint64, rest int) bool { return n <= uint64(rest) }

// DecodeBlock reads a block of the stored form: its events in acct's trail, in the order they were
// written. keep (nil: every event) is asked with each event's lookup fields, before its record is
// written: only the events it keeps are returned, with their records.
func DecodeBlock(b []byte, acct string, keep func(*Event) bool) ([]Event, error) {
	if !IsBlock(b) {
		return nil, ErrCorrupt
	}
	d := decoder{b: b, off: len(magic)}
	var ctxs []eventContext
	var res []Resource
	var parms [][]byte
	for k := range 3 {
		n := d.uvarint()
		if d.err || !maxEntries(n, len(b)-d.off) {
			return nil, ErrCorrupt
		}
		for range n {
			v := d.bytes()
			switch k {
			case 0:
				x, ok := decodeContext(v)
				if !ok {
					return nil, ErrCorrupt
				}
				ctxs = append(ctxs, x)
			case 1:
				e := decoder{b: v}
				r := Resource{Type: e.str(), Name: e.str()}
				if e.err || e.off != len(v) {
					return nil, ErrCorrupt
				}
				res = append(res, r)
			case 2:
				parms = append(parms, v)
			}
		}
	}
	n := d.uvarint()
	if d.err || !maxEntries(n, len(b)-d.off) {
		return nil, ErrCorrupt
	}
	var out []Event
	var t int64
	var p eventParts
	for range n {
		flags := d.byte()
		t += d.varint()
		var ev Event
		var record []byte
		if flags&flagRaw != 0 {
			ev.ReadOnly = d.byte() == 1
			for _, s := range [...]*string{&ev.EventID, &ev.EventSource, &ev.EventName, &ev.Username, &ev.AccessKeyID} {
				*s = d.str()
			}
			nr := d.uvarint()
			if d.err || !maxEntries(nr, len(b)-d.off) {
				return nil, ErrCorrupt
			}
			for range nr {
				ev.Resources = append(ev.Resources, Resource{Type: d.str(), Name: d.str()})
			}
			record = d.bytes()
		} else {
			ci := d.uvarint()
			if d.err || ci >= uint64(len(ctxs)) {
				return nil, ErrCorrupt
			}
			p.ctx = ctxs[ci]
			p.eventID = d.id(flags&flagEventID != 0)
			p.requestID = d.id(flags&flagRequestID != 0)
			p.shared = ""
			if flags&flagShared != 0 {
				p.shared = d.id(flags&flagSharedID != 0)
			}
			pi, ri := d.uvarint(), d.uvarint()
			if d.err || pi >= uint64(len(parms)) || ri >= uint64(len(parms)) {
				return nil, ErrCorrupt
			}
			p.params, p.response = parms[pi], parms[ri]
			p.errorCode, p.errorMessage = "", ""
			if flags&flagError != 0 {
				p.errorCode, p.errorMessage = d.str(), d.str()
			}
			nr := d.uvarint()
			if d.err || !maxEntries(nr, len(b)-d.off) {
				return nil, ErrCorrupt
			}
			p.resources = nil
			for range nr {
				ri := d.uvarint()
				if d.err || ri >= uint64(len(res)) {
					return nil, ErrCorrupt
				}
				p.resources = append(p.resources, res[ri])
			}
			p.global, p.truncated = flags&flagGlobal != 0, flags&flagTruncated != 0
			p.time, p.account = time.Unix(0, t).UTC(), acct
			ev = p.event()
		}
		if d.err {
			return nil, ErrCorrupt
		}
		ev.EventTime, ev.AccountID = time.Unix(0, t).UTC(), acct
		if keep != nil && !keep(&ev) {
			continue
		}
		if flags&flagRaw != 0 {
			ev.Record = bytes.Clone(record)
		} else {
			ev.Record = p.appendRecord(make([]byte, 0, 512+len(p.ctx.identity)+len(p.params)+len(p.response)))
		}
		out = append(out, ev)
	}
	if d.off != len(b) {
		return nil, ErrCorrupt
	}
	return out, nil
}

// DecodeEarlierEvent reads one event as blocks and pending rows held it before the stored form (each
// event whole, one after another), and how many bytes it took: its time as a varint of Unix nanoseconds,
// read-only as a byte, its strings and its resources length-prefixed, then its record. Its AccountID is
// the block's or row's to set.
func DecodeEarlierEvent(b []byte) (Event, int, error) {
	var ev Event
	d := decoder{b: b}
	ev.EventTime = time.Unix(0, d.varint()).UTC()
	ev.ReadOnly = d.byte() == 1
	for _, p := range [...]*string{&ev.EventID, &ev.EventSource, &ev.EventName, &ev.Username, &ev.AccessKeyID} {
		*p = d.str()
	}
	n := d.uvarint()
	if n > uint64(len(b)) {
		return ev, 0, ErrCorrupt
	}
	for range n {
		ev.Resources = append(ev.Resources, Resource{Type: d.str(), Name: d.str()})
	}
	ev.Record = []byte(d.str())
	if d.err {
		return ev, 0, ErrCorrupt
	}
	return ev, d.off, nil
}

// decodeContext reads a context entry.
func decodeContext(v []byte) (eventContext, bool) {
	d := decoder{b: v}
	var x eventContext
	x.readOnly = d.byte() == 1
	for _, s := range [...]*string{&x.source, &x.name, &x.region, &x.sourceIP, &x.userAgent, &x.username, &x.accessKeyID,
		&x.tlsVersion, &x.cipherSuite, &x.host} {
		*s = d.str()
	}
	x.identity = d.bytes()
	return x, !d.err && d.off == len(v)
}

// decoder reads what the encoder wrote; a read past the end sets err.
type decoder struct {
	b   []byte
	off int
	err bool
}

func (d *decoder) varint() int64 {
	v, n := binary.Varint(d.b[d.off:])
	if n <= 0 {
		d.err = true
		return 0
	}
	d.off += n
	return v
}

func (d *decoder) uvarint() uint64 {
	v, n := binary.Uvarint(d.b[d.off:])
	if n <= 0 {
		d.err = true
		return 0
	}
	d.off += n
	return v
}

func (d *decoder) byte() byte {
	if d.off >= len(d.b) {
		d.err = true
		return 0
	}
	d.off++
	return d.b[d.off-1]
}

// bytes is a length-prefixed byte string (a slice of the block).
func (d *decoder) bytes() []byte {
	n := d.uvarint()
	if d.err || n > uint64(len(d.b)-d.off) {
		d.err = true
		return nil
	}
	v := d.b[d.off : d.off+int(n)]
	d.off += int(n)
	return v
}

func (d *decoder) str() string { return string(d.bytes()) }

func (d *decoder) id(asString bool) string {
	if asString {
		return d.str()
	}
	if len(d.b)-d.off < 16 {
		d.err = true
		return ""
	}
	d.off += 16
	return ids.FormatUUID([16]byte(d.b[d.off-16 : d.off]))
}
