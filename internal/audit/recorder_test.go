package audit

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/iamd/iamd/internal/api/stsapi"
	"github.com/iamd/iamd/internal/protocol"
	"github.com/iamd/iamd/internal/reqctx"
)

func userCaller(acct string) *reqctx.Caller {
	return &reqctx.Caller{Kind: reqctx.CallerUser, AccountID: acct, ARN: "arn:aws:iam::" + acct + ":user/bob",
		UserID: "AIDABOB", Name: "bob", AccessKeyID: "AKIABOB"}
}

// A full queue drops new events and counts them; it never blocks the request.
func TestQueueFullDrops(t *testing.T) {
	r := NewRecorder(Options{QueueSize: 2})
	for range 5 {
		r.End(&Call{Req: &reqctx.Request{Time: time.Now(), Service: "sts", Caller: userCaller("111111111111")}}, nil)
	}
	if r.QueueDepth() != 2 || r.Dropped() != 3 {
		t.Fatalf("depth %d, dropped %d; want 2 and 3", r.QueueDepth(), r.Dropped())
	}
}

// The queue bounds the bodies its calls were decoded from as well as their number: large bodies are
// dropped and counted once their bytes would pass the bound, while small calls still fit; a written batch
// frees its bytes.
func TestQueueBoundsHeldBodies(t *testing.T) {
	r := NewRecorder(Options{Store: nopStore{}, QueueSize: 1 << 20})
	call := func(body int) *Call {
		return &Call{Req: &reqctx.Request{Time: time.Now(), Service: "sts", Caller: userCaller("111111111111")}, BodyBytes: body}
	}
	const big = 1 << 20
	for range maxQueuedBodyBytes/big + 3 {
		r.End(call(big), nil)
	}
	if r.QueueDepth() != maxQueuedBodyBytes/big || r.Dropped() != 3 {
		t.Fatalf("depth %d, dropped %d; want %d and 3", r.QueueDepth(), r.Dropped(), maxQueuedBodyBytes/big)
	}
	r.End(call(0), nil)
	if r.QueueDepth() != maxQueuedBodyBytes/big+1 {
		t.Fatalf("a call without a body was dropped: depth %d", r.QueueDepth())
	}
	r.writeQueued(context.Background())
	r.End(call(big), nil)
	if r.QueueDepth() != 1 || r.Dropped() != 3 {
		t.Fatalf("after a write: depth %d, dropped %d; want 1 and 3", r.QueueDepth(), r.Dropped())
	}
}

// Events encoded into the batch being gathered are counted apart from the queue until the batch is
// written.
func TestBatchedEventsCounted(t *testing.T) {
	r := NewRecorder(Options{Store: nopStore{}, QueueSize: 16})
	for range 3 {
		r.End(&Call{Req: &reqctx.Request{Time: time.Now(), Service: "sts", Caller: userCaller("111111111111")}}, nil)
	}
	if r.QueueDepth() != 3 || r.BatchedEvents() != 0 {
		t.Fatalf("queued: depth %d, batched %d; want 3 and 0", r.QueueDepth(), r.BatchedEvents())
	}
	r.encodeQueued()
	if r.QueueDepth() != 0 || r.BatchedEvents() != 3 {
		t.Fatalf("encoded: depth %d, batched %d; want 0 and 3", r.QueueDepth(), r.BatchedEvents())
	}
	r.writeBatch(context.Background())
	if r.BatchedEvents() != 0 || r.Written() != 3 {
		t.Fatalf("written: batched %d, written %d; want 0 and 3", r.BatchedEvents(), r.Written())
	}
}

// nopStore keeps nothing.
type nopStore struct{ History }

func (nopStore) AppendBlocks(context.Context, []Block, []string) error    { return nil }
func (nopStore) AppendEvents(context.Context, []Event, []string) error    { return nil }
func (nopStore) AdoptPending(context.Context, time.Time) (int, error)     { return 0, nil }
func (nopStore) PurgeEvents(context.Context, time.Time, int) (int, error) { return 0, nil }
func (nopStore) ExportEvents(context.Context, time.Time, time.Time, func(Event) error) error {
	return nil
}

// AssumeRole of another account's role is recorded in both accounts, sharing an ID; the role's account
// sees the caller as another account.
func TestCrossAccountRecordedTwice(t *testing.T) {
	op := stsapi.Info.ByName["AssumeRole"]
	in := &stsapi.AssumeRoleRequest{RoleArn: protocol.String("arn:aws:iam::222222222222:role/r"), RoleSessionName: protocol.String("s")}
	c := &Call{Req: &reqctx.Request{ID: "r1", Time: time.Now(), Service: "sts", Region: "us-east-1", Caller: userCaller("111111111111")},
		Op: op, In: in}
	rcpt := c.Recipients("999999999999")
	if len(rcpt) != 2 || rcpt[0] != "111111111111" || rcpt[1] != "222222222222" {
		t.Fatalf("recipients %v", rcpt)
	}
	evs := Build(c, NewIDs(rcpt, c.Req.Time), true)
	var a, b map[string]any
	if err := json.Unmarshal(evs[0].Record, &a); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(evs[1].Record, &b); err != nil {
		t.Fatal(err)
	}
	if a["sharedEventID"] == nil || a["sharedEventID"] != b["sharedEventID"] || a["eventID"] == b["eventID"] {
		t.Fatalf("shared %v/%v, IDs %v/%v", a["sharedEventID"], b["sharedEventID"], a["eventID"], b["eventID"])
	}
	if a["recipientAccountId"] != "111111111111" || b["recipientAccountId"] != "222222222222" {
		t.Fatalf("recipients %v, %v", a["recipientAccountId"], b["recipientAccountId"])
	}
	if id := b["userIdentity"].(map[string]any); id["type"] != "AWSAccount" || id["accountId"] != "111111111111" {
		t.Fatalf("identity in the role's account: %v", id)
	}
	// A same-account call is recorded once; a call no account can be told for goes to the fallback.
	in.RoleArn = protocol.String("arn:aws:iam::111111111111:role/r")
	if got := c.Recipients("999999999999"); len(got) != 1 {
		t.Fatalf("same-account recipients %v", got)
	}
	anon := &Call{Req: &reqctx.Request{Time: time.Now(), Service: "sts"}}
	if got := anon.Recipients("999999999999"); len(got) != 1 || got[0] != "999999999999" {
		t.Fatalf("anonymous recipients %v", got)
	}
}

// The file sink rotates past its size and keeps only its bound of rotated files.
func TestFileSinkRotates(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	fs, err := OpenFileSink(path, 1000, 3)
	if err != nil {
		t.Fatal(err)
	}
	defer fs.Close()
	rec := []byte(`{"eventVersion":"1.11","pad":"` + strings.Repeat("x", 300) + `"}`)
	for range 40 {
		if err := fs.Write([]Event{{Record: rec}}); err != nil {
			t.Fatal(err)
		}
	}
	if got := fs.Rotated(); len(got) != 3 {
		t.Fatalf("rotated files %v, want 3", got)
	}
	for _, p := range append(fs.Rotated(), path) {
		st, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if st.Size() > 1000 || st.Mode().Perm() != 0o600 {
			t.Fatalf("%s: %d bytes, mode %v", p, st.Size(), st.Mode().Perm())
		}
		b, _ := os.ReadFile(p)
		for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
			if !json.Valid([]byte(line)) {
				t.Fatalf("%s: line is not JSON: %q", p, line)
			}
		}
	}
	if _, err := os.Stat(path + ".4"); !os.IsNotExist(err) {
		t.Fatalf("a fourth rotated file exists: %v", err)
	}
}

// A batch larger than the sink's buffer reaches the file whole, a line per record, in order, and the
// sink's count of the file's size stays exact.
func TestFileSinkWritesBatchesWhole(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	fs, err := OpenFileSink(path, 1<<30, 3)
	if err != nil {
		t.Fatal(err)
	}
	defer fs.Close()
	var want strings.Builder
	var evs []Event
	for i := range 5 {
		rec := fmt.Sprintf(`{"n":%d,"pad":"%s"}`, i, strings.Repeat("x", fileBufferBytes/2+i))
		evs = append(evs, Event{Record: []byte(rec)})
		want.WriteString(rec + "\n")
	}
	for range 2 {
		if err := fs.Write(evs); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != want.String()+want.String() {
		t.Fatalf("the file holds %d bytes, want the two batches' %d", len(b), 2*want.Len())
	}
	if fs.size != int64(len(b)) {
		t.Fatalf("the sink counts %d bytes, the file holds %d", fs.size, len(b))
	}
}

// A call over TLS carries tlsDetails; one without has none.
func TestTLSDetails(t *testing.T) {
	c := &Call{Req: &reqctx.Request{ID: "r", Time: time.Now(), Service: "iam", Region: "us-east-1", Caller: userCaller("111111111111")},
		TLSVersion: "TLSv1.3", CipherSuite: "TLS_AES_128_GCM_SHA256", Host: "iam.example.test"}
	var rec struct {
		TLSDetails *struct{ TLSVersion, CipherSuite, ClientProvidedHostHeader string }
	}
	if err := json.Unmarshal(Build(c, NewIDs([]string{"111111111111"}, c.Req.Time), true)[0].Record, &rec); err != nil {
		t.Fatal(err)
	}
	if rec.TLSDetails == nil || rec.TLSDetails.TLSVersion != "TLSv1.3" || rec.TLSDetails.CipherSuite != "TLS_AES_128_GCM_SHA256" ||
		rec.TLSDetails.ClientProvidedHostHeader != "iam.example.test" {
		t.Fatalf("tlsDetails = %+v", rec.TLSDetails)
	}
	c.TLSVersion = ""
	rec.TLSDetails = nil
	if err := json.Unmarshal(Build(c, NewIDs([]string{"111111111111"}, c.Req.Time), true)[0].Record, &rec); err != nil || rec.TLSDetails != nil {
		t.Fatalf("tlsDetails without TLS: %+v (%v)", rec.TLSDetails, err)
	}
}

// The request path only hands the call over: Begin's one allocation (the call and its pending event
// together), and none in End (the IDs, the record and its redaction are the writer's work). Before, End
// made the IDs on the request path: six allocations a call.
func TestRequestPathAllocations(t *testing.T) {
	r := NewRecorder(Options{QueueSize: 1 << 20})
	req := &reqctx.Request{ID: "r", Time: time.Now(), Service: "sts", Region: "us-east-1", Caller: userCaller("111111111111")}
	op := stsapi.Info.ByName["GetCallerIdentity"]
	in := &stsapi.GetCallerIdentityRequest{}
	// The queue's slice grows by doubling: its allocations, amortized, round down to none a call.
	allocs := testing.AllocsPerRun(10000, func() {
		p := r.Begin(Call{Req: req, Op: op, In: in})
		r.End(p.Call(), p)
	})
	if allocs > 1 {
		t.Fatalf("%v allocations a call on the request path, want at most 1", allocs)
	}
	if d := r.QueueDepth(); d != 10001 {
		t.Fatalf("queue depth %d, want 10001", d)
	}
}

// failingStore fails every batch while fail is set, and records what the others settle.
type failingStore struct {
	nopStore
	fail    bool
	settled []string
}

func (s *failingStore) AppendBlocks(_ context.Context, _ []Block, settled []string) error {
	if s.fail {
		return errors.New("disk full")
	}
	s.settled = append(s.settled, settled...)
	return nil
}

// A row of preliminary events that writes share (PendingRow) is settled with the final form of its last
// event, not before; a row one of whose final forms was lost with its batch is never settled (it is
// adopted instead, final forms first), and a write whose events have rows of their own settles their IDs.
func TestSharedPendingRowsSettledByTheirLastEvent(t *testing.T) {
	st := &failingStore{}
	r := NewRecorder(Options{Store: st})
	stored := func(n int, row *PendingRow) []*Pending {
		var ps []*Pending
		for i := range n {
			p := r.Begin(Call{Req: &reqctx.Request{ID: fmt.Sprint("r", i), Time: time.Now(), Service: "iam", Region: "us-east-1",
				Caller: userCaller("111111111111")}})
			if len(p.Unstored()) != 1 {
				t.Fatal("want one preliminary event")
			}
			if row != nil {
				p.InRow(0, row)
			}
			p.Stored()
			ps = append(ps, p)
		}
		return ps
	}
	end := func(ps ...*Pending) {
		for _, p := range ps {
			r.End(p.Call(), p)
		}
		r.writeQueued(context.Background())
	}
	row := NewPendingRow("row-a", 3)
	a := stored(3, row)
	end(a[0], a[1])
	if len(st.settled) != 0 {
		t.Fatalf("settled %v with an event of the row still without its final form", st.settled)
	}
	end(a[2])
	if !slices.Equal(st.settled, []string{"row-a"}) {
		t.Fatalf("settled %v, want the row once its last event's final form is written", st.settled)
	}

	st.settled = nil
	lost := NewPendingRow("row-b", 2)
	b := stored(2, lost)
	st.fail = true
	end(b[0])
	st.fail = false
	end(b[1])
	if len(st.settled) != 0 {
		t.Fatalf("settled %v: a row whose event's final form was lost", st.settled)
	}

	own := stored(1, nil)
	end(own...)
	ids, _ := own[0].madeIDs()
	if !slices.Equal(st.settled, ids.Events) {
		t.Fatalf("settled %v, want the event's own ID %v", st.settled, ids.Events)
	}
}
