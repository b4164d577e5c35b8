package sqlite

import (
	"context"
	"encoding/hex"
	"testing"
	"time"

	"github.com/iamd/iamd/internal/audit"
)

// Written by iamd before the trail's stored form (2b37069): a block holding one GetUser event (the
// encoding then: each event with its JSON record, the block s2-compressed), and the pending row of a
// CreateUser whose final event was never written.
const (
	legacyBlock = "8806f41c01808092a4adb98ced31012430316132333130632d303130302d373734632d386563652d63353635356430623861" +
		"30381169616d2e616d617a6f6e6177732e636f6d074765745573657203626f620b414b49414558414d504c45010e4157533a" +
		"3a49414d3a3a5573657205616c69636597057b226576656e7456657273696f6e223a22312e3131222c22757365724964656e" +
		"74697479223a7b2274797065223a2249414d55736572222c227072696e636970616c4964223a22414944414558414d504c45" +
		"222c2261726e223a2261726e3a6177733a69616d3a3a3132333435363738393031323a757365722f626f62222c226163636f" +
		"756e744964223a22313233343536373839303132222c226163636573734b65794964223a22414b491d6240757365724e616d" +
		"65223a22626f62227d2c09c7045469051350323032362d31322d30315431303a30303a30305a220d2310536f757263012542" +
		"3b0111220d582d4920222c22617773526567291f3075732d656173742d31222c2273054b20495041646472657373213d1839" +
		"322e302e322e3142184167656e74223a0142702d636c692f32222c2272657175657374506172616d6574657273223a7b2ed0" +
		"00259901d254726573706f6e7365456c656d656e7473223a6e756c6c0118b471756573744944223a2230663165326433632d" +
		"346235612d343937382d383739362d61356234633364326531663011d809318a560205a52c61644f6e6c79223a747275650d" +
		"410854797021394441777341706943616c6c222c226d616e616705a004457605ec093024726563697069656e744166e00105" +
		"545843617465676f7279223a224d616e6167656d656e74227d"
	legacyRecord  = `{"eventVersion":"1.11","userIdentity":{"type":"IAMUser","principalId":"AIDAEXAMPLE","arn":"arn:aws:iam::123456789012:user/bob","accountId":"123456789012","accessKeyId":"AKIAEXAMPLE","userName":"bob"},"eventTime":"2026-12-01T10:00:00Z","eventSource":"iam.amazonaws.com","eventName":"GetUser","awsRegion":"us-east-1","sourceIPAddress":"192.0.2.1","userAgent":"aws-cli/2","requestParameters":{"userName":"alice"},"responseElements":null,"requestID":"0f1e2d3c-4b5a-4978-8796-a5b4c3d2e1f0","eventID":"01a2310c-0100-774c-8ece-c5655d0b8a08","readOnly":true,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"123456789012","eventCategory":"Management"}`
	legacyID      = "01a2310c-0100-774c-8ece-c5655d0b8a08"
	legacyPending = "80a8e8ddb4b98ced31002430316132333130632d303465382d373038362d383830362d303263323532303163353662116961" +
		"6d2e616d617a6f6e6177732e636f6d0a4372656174655573657203626f620b414b49414558414d504c45010e4157533a3a49" +
		"414d3a3a55736572056361726f6c9b057b226576656e7456657273696f6e223a22312e3131222c22757365724964656e7469" +
		"7479223a7b2274797065223a2249414d55736572222c227072696e636970616c4964223a22414944414558414d504c45222c" +
		"2261726e223a2261726e3a6177733a69616d3a3a3132333435363738393031323a757365722f626f62222c226163636f756e" +
		"744964223a22313233343536373839303132222c226163636573734b65794964223a22414b49414558414d504c45222c2275" +
		"7365724e616d65223a22626f62227d2c226576656e7454696d65223a22323032362d31322d30315431303a30303a30315a22" +
		"2c226576656e74536f75726365223a2269616d2e616d617a6f6e6177732e636f6d222c226576656e744e616d65223a224372" +
		"6561746555736572222c22617773526567696f6e223a2275732d656173742d31222c22736f75726365495041646472657373" +
		"223a223139322e302e322e31222c22757365724167656e74223a226177732d636c692f32222c227265717565737450617261" +
		"6d6574657273223a7b22757365724e616d65223a226361726f6c227d2c22726573706f6e7365456c656d656e7473223a6e75" +
		"6c6c2c22726571756573744944223a2230663165326433632d346235612d343937382d383739362d61356234633364326531" +
		"6631222c226576656e744944223a2230316132333130632d303465382d373038362d383830362d3032633235323031633536" +
		"62222c22726561644f6e6c79223a66616c73652c226576656e7454797065223a2241777341706943616c6c222c226d616e61" +
		"67656d656e744576656e74223a747275652c22726563697069656e744163636f756e744964223a2231323334353637383930" +
		"3132222c226576656e7443617465676f7279223a224d616e6167656d656e74227d"
	legacyPendingRecord = `{"eventVersion":"1.11","userIdentity":{"type":"IAMUser","principalId":"AIDAEXAMPLE","arn":"arn:aws:iam::123456789012:user/bob","accountId":"123456789012","accessKeyId":"AKIAEXAMPLE","userName":"bob"},"eventTime":"2026-12-01T10:00:01Z","eventSource":"iam.amazonaws.com","eventName":"CreateUser","awsRegion":"us-east-1","sourceIPAddress":"192.0.2.1","userAgent":"aws-cli/2","requestParameters":{"userName":"carol"},"responseElements":null,"requestID":"0f1e2d3c-4b5a-4978-8796-a5b4c3d2e1f1","eventID":"01a2310c-04e8-7086-8806-02c25201c56b","readOnly":false,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"123456789012","eventCategory":"Management"}`
	legacyPendingID     = "01a2310c-04e8-7086-8806-02c25201c56b"
	legacyPendingTime   = 1796119201000000000
)

// TestTrailReadsEventsWrittenBeforeTheStoredForm: a database upgraded from a version that wrote events
// whole keeps its history: its blocks and pending rows are found by lookups, exported, and adopted, with
// their records as they were written.
func TestTrailReadsEventsWrittenBeforeTheStoredForm(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	unhex := func(h string) []byte {
		b, err := hex.DecodeString(h)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	const acct = "123456789012"
	at := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC).UnixNano()
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{`INSERT INTO event_blocks (id, account_id, min_time, max_time, events, data) VALUES (7, ?, ?, ?, 1, ?)`,
			[]any{acct, at, at, unhex(legacyBlock)}},
		{`INSERT INTO event_keys (account_id, k, max_time, block_id) VALUES (?, 'EventName:GetUser', ?, 7), (?, 'ResourceName:alice', ?, 7)`,
			[]any{acct, at, acct, at}},
		{`INSERT INTO event_pending (event_id, account_id, event_time, data) VALUES (?, ?, ?, ?)`,
			[]any{legacyPendingID, acct, legacyPendingTime, unhex(legacyPending)}},
	} {
		if _, err := s.WriteDB.ExecContext(ctx, q.sql, q.args...); err != nil {
			t.Fatal(err)
		}
	}
	// Events of the stored form beside them.
	now := audit.Event{EventID: audit.NewEventID(time.Unix(0, at+5e9)), AccountID: acct, EventTime: time.Unix(0, at+5e9).UTC(),
		EventSource: "iam.amazonaws.com", EventName: "GetUser", ReadOnly: true, Record: []byte(`{"new":true}`)}
	if err := s.AppendEvents(ctx, []audit.Event{now}, nil); err != nil {
		t.Fatal(err)
	}
	find := func(attr audit.Attribute, v string) []audit.Event { t.Helper(); return findEvents(t, s, acct, attr, v) }
	got := find(audit.AttrEventName, "GetUser")
	if len(got) != 2 || got[0].EventID != now.EventID || got[1].EventID != legacyID || string(got[1].Record) != legacyRecord ||
		got[1].Username != "bob" || len(got[1].Resources) != 1 || got[1].Resources[0].Name != "alice" {
		t.Fatalf("GetUser events: %+v", got)
	}
	if got := find(audit.AttrEventID, legacyID); len(got) != 1 || string(got[0].Record) != legacyRecord {
		t.Fatalf("by event ID: %+v", got)
	}
	if got := find(audit.AttrEventName, "CreateUser"); len(got) != 1 || string(got[0].Record) != legacyPendingRecord {
		t.Fatalf("the pending CreateUser: %+v", got)
	}
	var exported []string
	err = s.ExportEvents(ctx, time.Unix(0, at), time.Unix(0, at+time.Hour.Nanoseconds()), func(ev audit.Event) error {
		exported = append(exported, string(ev.Record))
		return nil
	})
	if err != nil || len(exported) != 3 || exported[0] != legacyRecord || exported[2] != legacyPendingRecord {
		t.Fatalf("exported %q, %v", exported, err)
	}
	// The crashed write's pending event is adopted into a block, its record unchanged.
	if n, err := s.AdoptPending(ctx, time.Unix(0, at+time.Hour.Nanoseconds())); err != nil || n != 1 {
		t.Fatalf("adopted %d, %v", n, err)
	}
	var pending int
	if err := s.ReadDB.QueryRowContext(ctx, `SELECT count(*) FROM event_pending`).Scan(&pending); err != nil || pending != 0 {
		t.Fatalf("%d pending rows left, %v", pending, err)
	}
	if got := find(audit.AttrResourceName, "carol"); len(got) != 1 || string(got[0].Record) != legacyPendingRecord {
		t.Fatalf("the adopted CreateUser: %+v", got)
	}
}
