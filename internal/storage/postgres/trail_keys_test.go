package postgres

import (
	"context"
	"testing"
	"time"

	"github.com/iamd/iamd/internal/audit"
	"github.com/iamd/iamd/internal/storage/pgtest"
)

// TestTrailKeysPurgedWithTheirBlocks: event_keys has no foreign key to event_blocks (checked on every
// key a batch inserts) and the purge deletes the keys of the blocks it deletes, and only those.
func TestTrailKeysPurgedWithTheirBlocks(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, pgtest.URL(t), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var fks int
	if err := s.ReadDB.QueryRowContext(ctx, `SELECT count(*) FROM information_schema.table_constraints
		WHERE table_name = 'event_keys' AND constraint_type = 'FOREIGN KEY'`).Scan(&fks); err != nil || fks != 0 {
		t.Fatalf("event_keys has %d foreign keys (%v)", fks, err)
	}
	const acct = "123456789012"
	at := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	for i, name := range []string{"old", "new"} {
		t0 := at.Add(time.Duration(i) * time.Hour)
		ev := audit.Event{EventID: audit.NewEventID(t0), AccountID: acct, EventTime: t0, EventSource: "iam.amazonaws.com",
			EventName: "CreateUser", Resources: []audit.Resource{{Type: "AWS::IAM::User", Name: name}}, Record: []byte(`{}`)}
		if err := s.AppendEvents(ctx, []audit.Event{ev}, nil); err != nil {
			t.Fatal(err)
		}
	}
	keys := func() (all, orphans int) {
		t.Helper()
		if err := s.ReadDB.QueryRowContext(ctx, `SELECT count(*), count(*) FILTER (WHERE NOT EXISTS
			(SELECT 1 FROM event_blocks b WHERE b.id = k.block_id)) FROM event_keys k`).Scan(&all, &orphans); err != nil {
			t.Fatal(err)
		}
		return all, orphans
	}
	before, _ := keys()
	if n, err := s.PurgeEvents(ctx, at.Add(30*time.Minute), 10); err != nil || n != 1 {
		t.Fatalf("purged %d, %v", n, err)
	}
	if all, orphans := keys(); orphans != 0 || all != before/2 {
		t.Fatalf("%d keys, %d of purged blocks; had %d for two blocks", all, orphans, before)
	}
	p, err := s.Lookup(ctx, audit.Query{AccountID: acct, Attribute: audit.AttrResourceName, Value: "new", Limit: 10})
	if err != nil || len(p.Events) != 1 {
		t.Fatalf("the kept block by its key: %+v, %v", p.Events, err)
	}
}
