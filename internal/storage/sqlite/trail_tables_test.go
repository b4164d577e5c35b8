package sqlite

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/iamd/iamd/internal/audit"
)

// TestTrailTablesWithoutRowID: the trail's tables that every write adds rows to and removes rows from are
// WITHOUT ROWID tables (one B-tree each instead of a rowid table and its primary key's index), also in a
// database whose tables were made before: the migration keeps their rows, found as before. event_keys has
// no foreign key (see migration 5).
func TestTrailTablesWithoutRowID(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := Open(ctx, dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	// Back to the tables as the trail's first migration made them, with a row in each and the migration
	// that changed them undone, as in a database of the build before.
	const acct = "123456789012"
	at := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	final := audit.Event{EventID: audit.NewEventID(at), AccountID: acct, EventTime: at, EventSource: "iam.amazonaws.com",
		EventName: "GetUser", ReadOnly: true, Resources: []audit.Resource{{Type: "AWS::IAM::User", Name: "alice"}},
		Record: []byte(`{"final":true}`)}
	if err := s.AppendEvents(ctx, []audit.Event{final}, nil); err != nil {
		t.Fatal(err)
	}
	prelim := audit.EncodeEvents([]audit.Event{{EventID: audit.NewEventID(at.Add(time.Second)), AccountID: acct,
		EventTime: at.Add(time.Second), EventSource: "iam.amazonaws.com", EventName: "CreateUser",
		Resources: []audit.Resource{{Type: "AWS::IAM::User", Name: "carol"}}, Record: []byte(`{"prelim":true}`)}})[0]
	for _, q := range []string{
		`CREATE TABLE event_keys_old (account_id TEXT NOT NULL, k TEXT NOT NULL, max_time BIGINT NOT NULL,
			block_id BIGINT NOT NULL REFERENCES event_blocks (id) ON DELETE CASCADE, PRIMARY KEY (account_id, k, max_time, block_id))`,
		`INSERT INTO event_keys_old SELECT * FROM event_keys`,
		`DROP TABLE event_keys`,
		`ALTER TABLE event_keys_old RENAME TO event_keys`,
		`CREATE INDEX event_keys_block ON event_keys (block_id)`,
		`DROP TABLE event_pending`,
		`CREATE TABLE event_pending (event_id TEXT PRIMARY KEY, account_id TEXT NOT NULL, event_time BIGINT NOT NULL, data BYTEA NOT NULL)`,
		`DELETE FROM migrations WHERE num = 5`,
	} {
		if _, err := s.WriteDB.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if _, err := s.WriteDB.ExecContext(ctx, `INSERT INTO event_pending (event_id, account_id, event_time, data) VALUES (?, ?, ?, ?)`,
		audit.NewEventID(at.Add(time.Second)), acct, at.Add(time.Second).UnixNano(), prelim.Data); err != nil {
		t.Fatal(err)
	}
	if withoutRowID(t, s, "event_pending") || withoutRowID(t, s, "event_keys") {
		t.Fatal("the old tables are WITHOUT ROWID already")
	}
	s.Close()

	s, err = Open(ctx, dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, table := range []string{"event_pending", "event_keys"} {
		if !withoutRowID(t, s, table) {
			t.Errorf("%s is a rowid table", table)
		}
	}
	// No foreign key checked on every key inserted: the purge deletes a block's keys itself (below).
	var fks int
	if err := s.ReadDB.QueryRowContext(ctx, `SELECT count(*) FROM pragma_foreign_key_list('event_keys')`).Scan(&fks); err != nil || fks != 0 {
		t.Fatalf("event_keys has %d foreign keys (%v)", fks, err)
	}
	find := func(attr audit.Attribute, v string) []audit.Event { t.Helper(); return findEvents(t, s, acct, attr, v) }
	if got := find(audit.AttrResourceName, "alice"); len(got) != 1 || string(got[0].Record) != `{"final":true}` {
		t.Fatalf("the final event by its key: %+v", got)
	}
	if got := find(audit.AttrResourceName, "carol"); len(got) != 1 || got[0].EventName != "CreateUser" {
		t.Fatalf("the pending event: %+v", got)
	}
	// A purged block's keys go with it.
	if _, err := s.PurgeEvents(ctx, at.Add(time.Hour), 10); err != nil {
		t.Fatal(err)
	}
	var keys int
	if err := s.ReadDB.QueryRowContext(ctx, `SELECT count(*) FROM event_keys`).Scan(&keys); err != nil || keys != 0 {
		t.Fatalf("%d keys of purged blocks left, %v", keys, err)
	}
}

// withoutRowID reports whether table is a WITHOUT ROWID table.
func withoutRowID(t *testing.T, s *Store, table string) bool {
	t.Helper()
	var sql string
	if err := s.ReadDB.QueryRowContext(context.Background(), `SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?`,
		table).Scan(&sql); err != nil {
		t.Fatal(err)
	}
	return strings.Contains(sql, "WITHOUT ROWID")
}

// findEvents are the first ten events of acct that Lookup finds by attr's value v.
func findEvents(t *testing.T, s *Store, acct string, attr audit.Attribute, v string) []audit.Event {
	t.Helper()
	p, err := s.Lookup(context.Background(), audit.Query{AccountID: acct, Attribute: attr, Value: v, Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	return p.Events
}
