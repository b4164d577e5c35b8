package sqlstore

import (
	"encoding/binary"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/klauspost/compress/s2"

	"github.com/iamd/iamd/internal/audit"
)

// FuzzDecodeEvent: stored bytes of any shape are read without panic (as an event written before the
// stored form, and as a row of event_pending), and what encodeEvent writes is read back whole.
func FuzzDecodeEvent(f *testing.F) {
	ev := audit.Event{EventID: audit.NewEventID(time.Unix(1, 0)), EventTime: time.Unix(1, 5).UTC(), EventSource: "iam.amazonaws.com",
		EventName: "CreateUser", ReadOnly: true, Username: "bob", AccessKeyID: "AKIA",
		Resources: []audit.Resource{{Type: "AWS::IAM::User", Name: "bob"}}, Record: []byte(`{"a":1}`)}
	f.Add(encodeEvent(nil, &ev))
	f.Add([]byte{0x80})
	block := audit.EncodeEvents([]audit.Event{ev})[0].Data
	f.Add(append(slices.Clone(compressedRow), s2.Encode(nil, audit.AppendPendingRow(nil, block, block))...))
	f.Fuzz(func(t *testing.T, b []byte) {
		// As a row of event_pending: read or refused, never a panic.
		_, _ = decodePending(b, "123456789012")
		got, n, err := audit.DecodeEarlierEvent(b)
		if err == nil && (n <= 0 || n > len(b)) {
			t.Fatalf("decoded %d of %d bytes", n, len(b))
		}
		if err == nil {
			again, _, err := audit.DecodeEarlierEvent(encodeEvent(nil, &got))
			if err != nil || !reflect.DeepEqual(again, got) {
				t.Fatalf("round trip: %+v, %v; want %+v", again, err, got)
			}
		}
		_, _, _ = parseToken(string(b))
	})
}

func TestEncodeEventRoundTrip(t *testing.T) {
	ev := audit.Event{EventID: "id", EventTime: time.Unix(0, 123456789).UTC(), EventSource: "sts.amazonaws.com", EventName: "GetCallerIdentity",
		Username: "u", Resources: []audit.Resource{{Type: "T", Name: "N"}, {Type: "T2", Name: "N2"}}, Record: []byte(`{}`)}
	b := encodeEvent([]byte("prefix"), &ev)
	got, n, err := audit.DecodeEarlierEvent(b[len("prefix"):])
	if err != nil || n != len(b)-len("prefix") || !reflect.DeepEqual(got, ev) {
		t.Fatalf("got %+v (%d bytes, %v), want %+v", got, n, err, ev)
	}
}

// encodeEvent appends ev (all but its account, which its block or row holds) to b as blocks and pending
// rows held it before the stored form: the writer of what audit.DecodeEarlierEvent reads, for the tests.
func encodeEvent(b []byte, ev *audit.Event) []byte {
	b = binary.AppendVarint(b, ev.EventTime.UnixNano())
	ro := byte(0)
	if ev.ReadOnly {
		ro = 1
	}
	b = append(b, ro)
	for _, s := range [...]string{ev.EventID, ev.EventSource, ev.EventName, ev.Username, ev.AccessKeyID} {
		b = appendLegacyBytes(b, s)
	}
	b = binary.AppendUvarint(b, uint64(len(ev.Resources)))
	for _, r := range ev.Resources {
		b = appendLegacyBytes(b, r.Type)
		b = appendLegacyBytes(b, r.Name)
	}
	// Not appendLegacyBytes(b, string(ev.Record)): that would copy every record once more.
	b = binary.AppendUvarint(b, uint64(len(ev.Record)))
	return append(b, ev.Record...)
}

func appendLegacyBytes(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}
