package conformance

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/iamd/iamd/internal/audit"
	"github.com/iamd/iamd/internal/reqctx"
	"github.com/iamd/iamd/internal/storage"
)

func trail(t *testing.T, s storage.Store) audit.Store {
	t.Helper()
	a, ok := s.(audit.Store)
	if !ok {
		t.Fatalf("%T does not keep the audit trail (audit.Store)", s)
	}
	return a
}

// event is an event of the suite: the i-th second after t0, in acct.
func event(acct string, i int, name, user string, res ...audit.Resource) audit.Event {
	at := t0.Add(time.Duration(i) * time.Second)
	id := audit.NewEventID(at)
	return audit.Event{EventID: id, AccountID: acct, EventTime: at,
		EventSource: "iam.amazonaws.com", EventName: name, ReadOnly: strings.HasPrefix(name, "Get"), Username: user,
		AccessKeyID: "AKIA" + user, Resources: res, Record: []byte(`{"eventID":"` + id + `"}`)}
}

func eventIDs(evs []audit.Event) []string {
	out := make([]string, 0, len(evs))
	for _, e := range evs {
		out = append(out, e.EventID)
	}
	return out
}

func lookupAll(t *testing.T, a audit.Store, q audit.Query) []audit.Event {
	t.Helper()
	var all []audit.Event
	for pages := 0; ; pages++ {
		if pages > 1000 {
			t.Fatal("lookup does not end")
		}
		p, err := a.Lookup(context.Background(), q)
		must(t, err)
		if len(p.Events) > q.Limit && q.Limit > 0 {
			t.Fatalf("page of %d events, limit %d", len(p.Events), q.Limit)
		}
		all = append(all, p.Events...)
		if p.Next == "" {
			return all
		}
		q.After = p.Next
	}
}

func testEvents(t *testing.T, s storage.Store) {
	a := trail(t, s)
	ctx := context.Background()
	user := audit.Resource{Type: "AWS::IAM::User", Name: "bob"}
	role := audit.Resource{Type: "AWS::IAM::Role", Name: "admin"}
	var evs []audit.Event
	for i := range 30 {
		name, who := "CreateUser", "alice"
		var res []audit.Resource
		switch i % 3 {
		case 1:
			name, who, res = "GetUser", "root", []audit.Resource{user}
		case 2:
			name, res = "AttachRolePolicy", []audit.Resource{role, user}
		}
		evs = append(evs, event(Acct, i, name, who, res...))
	}
	// Two events in the same nanosecond: pages still neither skip nor repeat them.
	same := event(Acct, 29, "CreateUser", "alice")
	evs = append(evs, same, event(Acct2, 5, "CreateUser", "alice"))
	// Written in three batches whose times interleave, as requests finish out of order: lookups merge
	// them.
	for r := range 3 {
		var batch []audit.Event
		for i, e := range evs {
			if i%3 == r {
				batch = append(batch, e)
			}
		}
		must(t, a.AppendEvents(ctx, batch, nil))
	}

	newest := func(filter func(e audit.Event) bool) []string {
		var want []audit.Event
		for _, e := range evs {
			if e.AccountID == Acct && filter(e) {
				want = append(want, e)
			}
		}
		slices.SortFunc(want, func(x, y audit.Event) int {
			if c := y.EventTime.Compare(x.EventTime); c != 0 {
				return c
			}
			return strings.Compare(y.EventID, x.EventID)
		})
		return eventIDs(want)
	}
	hasRes := func(r func(audit.Resource) bool) func(e audit.Event) bool {
		return func(e audit.Event) bool { return slices.ContainsFunc(e.Resources, r) }
	}
	for _, tc := range []struct {
		attr   audit.Attribute
		value  string
		filter func(e audit.Event) bool
	}{
		{"", "", func(audit.Event) bool { return true }},
		{audit.AttrEventName, "GetUser", func(e audit.Event) bool { return e.EventName == "GetUser" }},
		{audit.AttrUsername, "alice", func(e audit.Event) bool { return e.Username == "alice" }},
		{audit.AttrAccessKeyID, "AKIAroot", func(e audit.Event) bool { return e.AccessKeyID == "AKIAroot" }},
		{audit.AttrReadOnly, "true", func(e audit.Event) bool { return e.ReadOnly }},
		{audit.AttrReadOnly, "false", func(e audit.Event) bool { return !e.ReadOnly }},
		{audit.AttrEventSource, "iam.amazonaws.com", func(audit.Event) bool { return true }},
		{audit.AttrEventSource, "sts.amazonaws.com", func(audit.Event) bool { return false }},
		{audit.AttrEventID, evs[4].EventID, func(e audit.Event) bool { return e.EventID == evs[4].EventID }},
		{audit.AttrResourceType, "AWS::IAM::User", hasRes(func(r audit.Resource) bool { return r.Type == "AWS::IAM::User" })},
		{audit.AttrResourceName, "admin", hasRes(func(r audit.Resource) bool { return r.Name == "admin" })},
	} {
		for _, limit := range []int{1, 7, 50} {
			got := eventIDs(lookupAll(t, a, audit.Query{AccountID: Acct, Attribute: tc.attr, Value: tc.value, Limit: limit}))
			eq(t, fmt.Sprintf("lookup %s=%s limit %d", tc.attr, tc.value, limit), got, newest(tc.filter))
		}
	}
	// A time range is inclusive at both ends.
	got := eventIDs(lookupAll(t, a, audit.Query{AccountID: Acct, Start: evs[3].EventTime, End: evs[6].EventTime, Limit: 2}))
	eq(t, "time range", got, newest(func(e audit.Event) bool {
		return !e.EventTime.Before(evs[3].EventTime) && !e.EventTime.After(evs[6].EventTime)
	}))
	// Events come back whole: time to the nanosecond, resources, record.
	p, err := a.Lookup(ctx, audit.Query{AccountID: Acct, Attribute: audit.AttrEventID, Value: evs[2].EventID, Limit: 1})
	must(t, err)
	if len(p.Events) != 1 {
		t.Fatalf("lookup by ID: %d events", len(p.Events))
	}
	e := p.Events[0]
	if !e.EventTime.Equal(evs[2].EventTime) || e.EventName != "AttachRolePolicy" || e.Username != "alice" ||
		!slices.Equal(e.Resources, []audit.Resource{role, user}) || string(e.Record) != string(evs[2].Record) {
		t.Fatalf("event read back = %+v, want %+v", e, evs[2])
	}
	// Another account's events are not this one's.
	if got := lookupAll(t, a, audit.Query{AccountID: Acct2, Limit: 10}); len(got) != 1 {
		t.Fatalf("account 2 has %d events, want 1", len(got))
	}
	if _, err := a.Lookup(ctx, audit.Query{AccountID: Acct, Limit: 1, After: "garbage"}); !errors.Is(err, audit.ErrInvalidToken) {
		t.Fatal("a continuation the store did not make was accepted")
	}

	// Export: every event in [since, until), every account.
	var exported []string
	must(t, a.ExportEvents(ctx, evs[10].EventTime, evs[20].EventTime, func(e audit.Event) error {
		exported = append(exported, e.EventID)
		return nil
	}))
	if len(exported) != 10 { // seconds 10..19 of Acct; Acct2's second 5 is outside
		t.Fatalf("exported %d events, want 10", len(exported))
	}

	// Purge deletes whole batches whose newest event is older than the cut, a bounded number at a time.
	old := []audit.Event{event(Acct, -100, "CreateUser", "old"), event(Acct, -99, "GetUser", "old")}
	must(t, a.AppendEvents(ctx, old[:1], nil))
	must(t, a.AppendEvents(ctx, old[1:], nil))
	n, err := a.PurgeEvents(ctx, evs[10].EventTime, 1)
	must(t, err)
	if n != 1 {
		t.Fatalf("purged %d, want the batch limit 1", n)
	}
	for {
		n, err := a.PurgeEvents(ctx, evs[10].EventTime, 1)
		must(t, err)
		if n == 0 {
			break
		}
	}
	// The old batches and account 2's batch went; the three batches of account 1 hold newer events.
	left := lookupAll(t, a, audit.Query{AccountID: Acct, Limit: 100})
	if len(left) != 31 {
		t.Fatalf("%d events left after the purge, want 31", len(left))
	}
	if got := lookupAll(t, a, audit.Query{AccountID: Acct, Attribute: audit.AttrUsername, Value: "old", Limit: 10}); len(got) != 0 {
		t.Fatalf("purged events still found by user name: %d", len(got))
	}
	if got := lookupAll(t, a, audit.Query{AccountID: Acct2, Limit: 10}); len(got) != 0 {
		t.Fatalf("account 2's old event survived the purge")
	}
}

// testEventsInWriteTransaction: a request's preliminary event is stored by the transaction of its first
// write, and only if that transaction commits; a failed or read-only request stores nothing of itself.
func testEventsInWriteTransaction(t *testing.T, s storage.Store) {
	a := trail(t, s)
	rec := audit.NewRecorder(audit.Options{Store: a})
	go rec.Run(context.Background())
	call := func(name string) (*audit.Call, context.Context, *audit.Pending) {
		p := rec.Begin(audit.Call{Req: &reqctx.Request{ID: name, Time: time.Now(), Service: "iam", Region: "us-east-1",
			Caller: &reqctx.Caller{Kind: reqctx.CallerRoot, AccountID: Acct, ARN: "arn:aws:iam::" + Acct + ":root",
				UserID: Acct, AccessKeyID: "AKIAROOT"}}})
		return p.Call(), audit.WithPending(context.Background(), p), p
	}
	count := func() int { return len(lookupAll(t, a, audit.Query{AccountID: Acct, Limit: 100})) }

	// A failed write leaves no event.
	_, ctx, _ := call("failed")
	err := s.Update(ctx, func(tx storage.Tx) error {
		if err := tx.CreateUser(ctx, user(Acct, "ghost", 1)); err != nil {
			return err
		}
		return errors.New("abort")
	})
	if err == nil || count() != 0 {
		t.Fatalf("a rolled-back write left %d events (err %v)", count(), err)
	}
	// A committed write holds its event, once however many writes the request makes.
	_, ctx, _ = call("ok")
	for i := range 3 {
		must(t, s.Update(ctx, func(tx storage.Tx) error { return tx.CreateUser(ctx, user(Acct, fmt.Sprint("u", i), 10+i)) }))
	}
	if n := count(); n != 1 {
		t.Fatalf("a request of three writes left %d events, want 1", n)
	}
	// Many requests writing at once (group commit on SQLite): each write with its own event.
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, ctx, _ := call(fmt.Sprint("c", i))
			err := s.Update(ctx, func(tx storage.Tx) error {
				if i%4 == 0 {
					return errors.New("abort")
				}
				return tx.CreateUser(ctx, user(Acct, fmt.Sprint("c", i), 100+i))
			})
			if (err == nil) == (i%4 == 0) {
				t.Errorf("request %d: %v", i, err)
			}
		}()
	}
	wg.Wait()
	if n := count(); n != 1+15 {
		t.Fatalf("%d events after 15 committed concurrent writes, want 16", n)
	}
	// The final form replaces the preliminary one.
	c, ctx, p := call("final")
	must(t, s.Update(ctx, func(tx storage.Tx) error { return tx.CreateUser(ctx, user(Acct, "last", 200)) }))
	c.ErrorCode = "Throttling"
	rec.End(c, p)
	rec.Close()
	rec.Wait()
	if n := count(); n != 17 {
		t.Fatalf("%d events after the final form, want 17 (the preliminary form goes when the final comes)", n)
	}
	found := false
	for _, e := range lookupAll(t, a, audit.Query{AccountID: Acct, Limit: 100}) {
		if strings.Contains(string(e.Record), `"requestID":"final"`) {
			found = strings.Contains(string(e.Record), `"errorCode":"Throttling"`)
		}
	}
	if !found {
		t.Fatal("the final form did not replace the preliminary event")
	}

	// Writes whose final event never came (the process died; here, every call above but the last never
	// ended): adopted at the next start, once, and only those before it.
	_, ctx, _ = call("orphan")
	must(t, s.Update(ctx, func(tx storage.Tx) error { return tx.CreateUser(ctx, user(Acct, "orphan", 300)) }))
	if n, err := a.AdoptPending(context.Background(), t0); err != nil || n != 0 {
		t.Fatalf("adopted %d (%v) of the events of calls after the start", n, err)
	}
	n, err := a.AdoptPending(context.Background(), time.Now())
	must(t, err)
	if n != 17 || count() != 18 {
		t.Fatalf("adopted %d, %d events; want 17 and 18", n, count())
	}
	if got := lookupAll(t, a, audit.Query{AccountID: Acct, Attribute: audit.AttrEventName, Value: "", Limit: 100}); len(got) != 18 {
		t.Fatalf("adopted events are not indexed: %d found by their (empty) event name", len(got))
	}
	if n, err := a.AdoptPending(context.Background(), time.Now()); err != nil || n != 0 {
		t.Fatalf("adopting again: %d, %v", n, err)
	}
}
