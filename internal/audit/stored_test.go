package audit

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/iamd/iamd/internal/api/iamapi"
	"github.com/iamd/iamd/internal/protocol"
	"github.com/iamd/iamd/internal/reqctx"
)

// storedBlocks encodes the events of calls, as the writer does, into one block per account, and returns
// the blocks and the events Build makes of the same calls (what reading the blocks must give back).
func storedBlocks(t testing.TB, calls []*Call, final bool) ([]Block, map[string]Event) {
	t.Helper()
	encs := map[string]*blockEncoder{}
	var order []string
	want := map[string]Event{}
	var p eventParts
	for n, c := range calls {
		recipients := c.Recipients("999999999999")
		x := IDs{Accounts: recipients}
		for i := range recipients {
			id := fmt.Sprintf("0190e0a0-%04x-7000-8000-%012d", i, n)
			if n%7 == 0 {
				id = strings.ToUpper(id) // not a lowercase UUID: stored as a string
			}
			x.Events = append(x.Events, id)
		}
		if len(recipients) > 1 {
			x.Shared = fmt.Sprintf("5f0c2d1e-0000-4000-8000-%012d", n)
		}
		for i, ev := range Build(c, x, final) {
			want[ev.EventID] = ev
			e := encs[ev.AccountID]
			if e == nil {
				e = &blockEncoder{}
				e.reset(ev.AccountID)
				encs[ev.AccountID] = e
				order = append(order, ev.AccountID)
			}
			c.fillParts(&p, ev.AccountID, x.Events[i], x.Shared, final)
			e.add(&p)
		}
	}
	var blocks []Block
	for _, a := range order {
		b := encs[a].block()
		b.Data = bytes.Clone(b.Data)
		blocks = append(blocks, b)
	}
	return blocks, want
}

// spread gives the calls times of their own, some earlier than the one before (requests end out of
// order), so that the blocks' time deltas are not all zero.
func spread(calls []*Call) []*Call {
	out := make([]*Call, len(calls))
	for i, c := range calls {
		cc, req := *c, *c.Req
		req.Time = req.Time.Add(time.Duration(i%5-2)*time.Millisecond + time.Duration(i)*time.Microsecond)
		cc.Req = &req
		out[i] = &cc
	}
	return out
}

// TestStoredFormGivesTheSameRecords: the events of every golden call (every operation, caller kind,
// outcome, TLS, the global endpoint, across accounts), preliminary and final, stored in blocks and read
// back, are byte for byte the records Build writes, with the same lookup fields; and the blocks' keys
// are exactly the lookup values their events have.
func TestStoredFormGivesTheSameRecords(t *testing.T) {
	for _, final := range []bool{false, true} {
		blocks, want := storedBlocks(t, spread(goldenCalls()), final)
		got := 0
		for _, b := range blocks {
			evs, err := DecodeBlock(b.Data, b.AccountID, nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(evs) != b.Events {
				t.Fatalf("block of %s: %d events read, %d written", b.AccountID, len(evs), b.Events)
			}
			keys := map[Key]bool{}
			for _, ev := range evs {
				got++
				w, ok := want[ev.EventID]
				if !ok {
					t.Fatalf("event %s was never written", ev.EventID)
				}
				if !bytes.Equal(ev.Record, w.Record) {
					t.Fatalf("event %s reads\n%s\nwant\n%s", ev.EventID, ev.Record, w.Record)
				}
				if len(w.Resources) == 0 {
					w.Resources = nil
				}
				if !reflect.DeepEqual(ev, w) {
					t.Fatalf("event %s reads %+v, want %+v", ev.EventID, ev, w)
				}
				if ev.EventTime.UnixNano() < b.MinTime || ev.EventTime.UnixNano() > b.MaxTime {
					t.Fatalf("event %s at %v outside its block's times", ev.EventID, ev.EventTime)
				}
				for _, k := range eventKeys(&ev) {
					keys[k] = true
				}
			}
			if len(keys) != len(b.Keys) {
				t.Fatalf("block of %s: keys %v, want those of %v", b.AccountID, b.Keys, keys)
			}
			for _, k := range b.Keys {
				if !keys[k] {
					t.Fatalf("block of %s: key %v no event has", b.AccountID, k)
				}
			}
		}
		if got != len(want) {
			t.Fatalf("%d events read, %d written", got, len(want))
		}
	}
}

// eventKeys are the lookup values of an event.
func eventKeys(ev *Event) []Key {
	ro := "false"
	if ev.ReadOnly {
		ro = "true"
	}
	ks := []Key{{AttrEventName, ev.EventName}, {AttrEventSource, ev.EventSource}, {AttrReadOnly, ro}}
	if ev.Username != "" {
		ks = append(ks, Key{AttrUsername, ev.Username})
	}
	if ev.AccessKeyID != "" {
		ks = append(ks, Key{AttrAccessKeyID, ev.AccessKeyID})
	}
	for _, r := range ev.Resources {
		ks = append(ks, Key{AttrResourceType, r.Type}, Key{AttrResourceName, r.Name})
	}
	return ks
}

// Events given whole (adopted, or from a test) are stored with their records as given, and keep reads
// only the events it is asked for.
func TestStoredFormOfWholeEvents(t *testing.T) {
	at := time.Date(2026, 12, 6, 7, 0, 0, 5, time.UTC)
	evs := []Event{
		{EventID: "a", AccountID: "111111111111", EventTime: at, EventSource: "iam.amazonaws.com", EventName: "CreateUser",
			Username: "bob", AccessKeyID: "AKIA", Resources: []Resource{{Type: "AWS::IAM::User", Name: "x"}}, Record: []byte(`{"a":1}`)},
		{EventID: "b", AccountID: "222222222222", EventTime: at.Add(-time.Second), EventSource: "sts.amazonaws.com",
			EventName: "GetCallerIdentity", ReadOnly: true, Record: []byte(`{"b":2}`)},
		{EventID: "c", AccountID: "111111111111", EventTime: at.Add(time.Hour), EventSource: "iam.amazonaws.com",
			EventName: "GetUser", ReadOnly: true, Record: []byte(`{"c":3}`)},
	}
	blocks := EncodeEvents(evs)
	if len(blocks) != 2 || blocks[0].Events != 2 || blocks[1].Events != 1 {
		t.Fatalf("blocks %+v", blocks)
	}
	all, err := DecodeBlock(blocks[0].Data, "111111111111", nil)
	if err != nil || len(all) != 2 || !reflect.DeepEqual(all[0], evs[0]) || !reflect.DeepEqual(all[1], evs[2]) {
		t.Fatalf("read %+v, %v", all, err)
	}
	one, err := DecodeBlock(blocks[0].Data, "111111111111", func(ev *Event) bool { return ev.EventName == "GetUser" })
	if err != nil || len(one) != 1 || one[0].EventID != "c" {
		t.Fatalf("kept %+v, %v", one, err)
	}
}

// A corrupt block is refused, whatever part of it is cut or changed, and never read as events it does
// not hold.
func TestStoredFormRefusesCorruptBlocks(t *testing.T) {
	blocks, _ := storedBlocks(t, goldenCalls()[:40], true)
	b := blocks[0].Data
	if _, err := DecodeBlock(b[:len(b)-1], "x", nil); err == nil {
		t.Fatal("a cut block was read")
	}
	if _, err := DecodeBlock(append(bytes.Clone(b), 0), "x", nil); err == nil {
		t.Fatal("a block with trailing bytes was read")
	}
	if _, err := DecodeBlock([]byte{0x80, 0x01}, "x", nil); err == nil {
		t.Fatal("a block of the earlier encoding was read as the stored form")
	}
	for i := 2; i < len(b); i += 7 {
		c := bytes.Clone(b)
		c[i] ^= 0xff
		_, _ = DecodeBlock(c, "x", nil) // must not panic
	}
}

// FuzzDecodeBlock: stored bytes of any shape are read without panic, as a block and as a pending row (of
// blocks), and a block read back writes the same block again.
func FuzzDecodeBlock(f *testing.F) {
	blocks, _ := storedBlocks(f, goldenCalls()[:12], true)
	for _, b := range blocks {
		f.Add(b.Data)
	}
	f.Add(EncodeEvents([]Event{{EventID: "x", AccountID: "1", Record: []byte("{}")}})[0].Data)
	f.Add(magic[:])
	f.Add(AppendPendingRow(nil, blocks[0].Data, blocks[1].Data))
	f.Add(rowMagic[:])
	f.Fuzz(func(t *testing.T, b []byte) {
		// A pending row: its blocks each read as a block.
		if evs, err := DecodePendingRow(b, "123456789012"); err == nil && !IsPendingRow(b) {
			t.Fatalf("%d events read from what is not a pending row", len(evs))
		}
		evs, err := DecodeBlock(b, "123456789012", nil)
		if err != nil {
			return
		}
		for _, ev := range evs {
			if ev.AccountID != "123456789012" {
				t.Fatalf("event of account %q", ev.AccountID)
			}
		}
	})
}

// blockStore keeps the blocks the writer gives it (copies: the writer reuses its buffers).
type blockStore struct {
	nopStore
	blocks  []Block
	settled []string
}

func (s *blockStore) AppendBlocks(_ context.Context, bs []Block, settled []string) error {
	for _, b := range bs {
		b.Data, b.Keys = bytes.Clone(b.Data), slices.Clone(b.Keys)
		s.blocks = append(s.blocks, b)
	}
	s.settled = append(s.settled, settled...)
	return nil
}

// The writer stores, per account, a block whose events read back as the records the file sink was given
// (event IDs it made itself included: version 7 UUIDs of the call's millisecond), across batches that
// reuse its buffers; the events of writes whose preliminary form was stored are settled by their IDs.
func TestWriterStoresWhatTheFileSinkWrites(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	fs, err := OpenFileSink(path, 1<<30, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer fs.Close()
	st := &blockStore{}
	r := NewRecorder(Options{Store: st, File: fs, FallbackAccount: "999999999999"})
	calls := spread(goldenCalls())
	settles := map[string]bool{}
	for i, c := range calls {
		if i%3 == 0 {
			// A write whose transaction stored its preliminary events: the writer settles them.
			p := r.Begin(*c)
			if len(p.Unstored()) == 0 {
				t.Fatal("no preliminary events")
			}
			p.Stored()
			ids, _ := p.madeIDs()
			for _, id := range ids.Events {
				settles[id] = true
			}
			r.End(p.Call(), p)
		} else {
			r.End(c, nil)
		}
		if i%200 == 199 {
			r.writeQueued(context.Background())
		}
	}
	r.writeQueued(context.Background())
	stored := map[string][]byte{}
	for _, b := range st.blocks {
		evs, err := DecodeBlock(b.Data, b.AccountID, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range evs {
			if _, ok := EventIDTime(ev.EventID); !ok {
				t.Fatalf("event ID %q is not one NewEventID makes", ev.EventID)
			}
			stored[ev.EventID] = ev.Record
		}
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) != len(stored) || len(lines) < len(calls) {
		t.Fatalf("%d records in the file, %d stored, %d calls", len(lines), len(stored), len(calls))
	}
	for _, line := range lines {
		var rec struct{ EventID string }
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatal(err)
		}
		if got := stored[rec.EventID]; string(got) != line {
			t.Fatalf("event %s is stored as\n%s\nthe file holds\n%s", rec.EventID, got, line)
		}
	}
	if len(st.settled) != len(settles) {
		t.Fatalf("%d settled, want %d", len(st.settled), len(settles))
	}
	for _, id := range st.settled {
		if !settles[id] {
			t.Fatalf("settled %s, which no write stored", id)
		}
	}
}

// batchStore counts the events and stored bytes of each batch it is given.
type batchStore struct {
	nopStore
	events, bytes []int
}

func (s *batchStore) AppendBlocks(_ context.Context, bs []Block, _ []string) error {
	n, size := 0, 0
	for _, b := range bs {
		n += b.Events
		size += len(b.Data)
	}
	s.events, s.bytes = append(s.events, n), append(s.bytes, size)
	return nil
}

// A batch of large events ends at maxBatchBytes rather than at maxBatch events: what the writer holds,
// and what one transaction writes, stays bounded however large the requests; no event is lost to it.
func TestBatchBoundedByBytes(t *testing.T) {
	st := &batchStore{}
	r := NewRecorder(Options{Store: st, QueueSize: 1 << 20})
	op := iamapi.Info.ByName["CreatePolicy"]
	doc := strings.Repeat("x", maxParametersBytes-1000) // under the record's bound: stored whole
	const calls = 400
	for i := range calls {
		in := &iamapi.CreatePolicyRequest{PolicyName: protocol.String(fmt.Sprintf("p%d", i)), PolicyDocument: protocol.String(doc)}
		r.End(&Call{Req: &reqctx.Request{ID: "r", Time: time.Now(), Service: "iam", Caller: userCaller("111111111111")}, Op: op, In: in}, nil)
	}
	r.writeQueued(context.Background())
	total := 0
	for i, n := range st.events {
		total += n
		if st.bytes[i] > maxBatchBytes+2*maxParametersBytes {
			t.Fatalf("batch %d: %d bytes stored, bound %d", i, st.bytes[i], maxBatchBytes)
		}
	}
	if total != calls || len(st.events) < calls*len(doc)/maxBatchBytes {
		t.Fatalf("%d events in %d batches (%v), want %d in at least %d", total, len(st.events), st.events, calls, calls*len(doc)/maxBatchBytes)
	}
}
