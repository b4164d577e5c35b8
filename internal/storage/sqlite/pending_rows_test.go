package sqlite

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/iamd/iamd/internal/audit"
	"github.com/iamd/iamd/internal/reqctx"
	"github.com/iamd/iamd/internal/storage"
)

// TestPendingEventsOfACommitShareARow: the preliminary events of the writes of one commit group are one
// row of event_pending (one insert per commit, not per write), each found by lookups and export once; a
// row goes only with the final form of its last event, and until then the events whose final form is
// written are read in it; the rest of a row is adopted, and only the rest.
func TestPendingEventsOfACommitShareARow(t *testing.T) {
	ctx := context.Background()
	s := openWithAccount(t, t.TempDir())
	defer s.Close()
	rec := audit.NewRecorder(audit.Options{Store: s})
	start := time.Now()
	call := func(name string) (*audit.Call, *audit.Pending) {
		p := rec.Begin(audit.Call{Req: &reqctx.Request{ID: name, Time: time.Now(), Service: "iam", Region: "us-east-1",
			Caller: &reqctx.Caller{Kind: reqctx.CallerRoot, AccountID: acct, ARN: "arn:aws:iam::" + acct + ":root",
				UserID: acct, AccessKeyID: "AKIAROOT"}}})
		return p.Call(), p
	}
	// A write holds the single writer while the others queue behind it: they commit as one group.
	const writers = 12
	calls := make([]*audit.Call, writers)
	pendings := make([]*audit.Pending, writers)
	release := make(chan struct{})
	var wg sync.WaitGroup
	for i := range writers {
		calls[i], pendings[i] = call(fmt.Sprint("w", i))
		wctx := audit.WithPending(ctx, pendings[i])
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := s.Update(wctx, func(tx storage.Tx) error {
				if i == 0 {
					<-release
				}
				return tx.CreateUser(wctx, mkUser(100+i))
			})
			if err != nil {
				t.Error(err)
			}
		}()
		if i == 0 {
			time.Sleep(20 * time.Millisecond) // the first is in the writer
		}
	}
	time.Sleep(100 * time.Millisecond) // the others are queued behind it
	close(release)
	wg.Wait()
	rows := func() int {
		t.Helper()
		var n int
		if err := s.ReadDB.QueryRowContext(ctx, `SELECT count(*) FROM event_pending`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := rows(); n < 1 || n > 3 {
		t.Fatalf("%d pending rows for %d writes in (at most) three commits", n, writers)
	}
	// Every event once, by lookup and in the export; finals read as such.
	check := func(finals int) {
		t.Helper()
		p, err := s.Lookup(ctx, audit.Query{AccountID: acct, Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		seen, final := map[string]bool{}, 0
		for _, ev := range p.Events {
			if seen[ev.EventID] {
				t.Fatalf("event %s found twice", ev.EventID)
			}
			seen[ev.EventID] = true
			if strings.Contains(string(ev.Record), `"errorCode":"Throttling"`) {
				final++
			}
		}
		if len(seen) != writers || final != finals {
			t.Fatalf("lookup: %d events, %d in their final form; want %d and %d", len(seen), final, writers, finals)
		}
		exported := 0
		err = s.ExportEvents(ctx, start.Add(-time.Second), time.Now().Add(time.Second), func(ev audit.Event) error {
			exported++
			return nil
		})
		if err != nil || exported != writers {
			t.Fatalf("exported %d events, %v; want %d", exported, err, writers)
		}
	}
	check(0)
	// The final forms of all but the last three: some rows are only partly settled, and stay.
	go rec.Run(ctx)
	for i := range writers - 3 {
		calls[i].ErrorCode = "Throttling"
		rec.End(calls[i], pendings[i])
	}
	rec.Close()
	rec.Wait()
	if n := rows(); n == 0 {
		t.Fatal("the rows of events without their final form are gone")
	}
	check(writers - 3)
	// What a crash leaves: the three adopted, the others not again.
	if n, err := s.AdoptPending(ctx, time.Now().Add(time.Minute)); err != nil || n != 3 {
		t.Fatalf("adopted %d, %v; want 3", n, err)
	}
	if n := rows(); n != 0 {
		t.Fatalf("%d pending rows left after adoption", n)
	}
	check(writers - 3)
}
