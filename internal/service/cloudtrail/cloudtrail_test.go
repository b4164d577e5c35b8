package cloudtrail

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/iamd/iamd/internal/api/cloudtrailapi"
	"github.com/iamd/iamd/internal/audit"
	"github.com/iamd/iamd/internal/protocol"
	"github.com/iamd/iamd/internal/reqctx"
	"github.com/iamd/iamd/internal/secrets"
	"github.com/iamd/iamd/internal/testutil/apierr"
	"github.com/iamd/iamd/internal/testutil/audittest"
)

const (
	acctA = "111111111111"
	acctB = "222222222222"
)

var t0 = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

// newHistory holds 120 events of account A a minute apart (t0 + i minutes, alternately CreateUser by
// alice and GetUser by bob) and 5 of account B.
func newHistory() *audittest.History {
	h := &audittest.History{}
	for i := range 120 {
		e := audit.Event{EventID: fmt.Sprintf("a-%03d", i), AccountID: acctA, EventTime: t0.Add(time.Duration(i) * time.Minute),
			EventSource: "iam.amazonaws.com", EventName: "CreateUser", Username: "alice", AccessKeyID: "AKIAALICE",
			Resources: []audit.Resource{{Type: "AWS::IAM::User", Name: fmt.Sprintf("u%d", i)}},
			Record:    []byte(fmt.Sprintf(`{"eventID":"a-%03d"}`, i))}
		if i%2 == 1 {
			e.EventName, e.Username, e.AccessKeyID, e.ReadOnly, e.Resources = "GetUser", "bob", "", true, nil
		}
		h.Add(e)
	}
	for i := range 5 {
		h.Add(audit.Event{EventID: fmt.Sprintf("b-%03d", i), AccountID: acctB,
			EventTime: t0.Add(time.Duration(i) * time.Minute), EventSource: "iam.amazonaws.com", EventName: "CreateUser",
			Username: "alice", Record: []byte(`{}`)})
	}
	return h
}

func newService(t testing.TB, h audit.History) *Service {
	t.Helper()
	key := make([]byte, secrets.KeySize)
	if _, err := rand.Read(key); err != nil {
		t.Fatal(err)
	}
	sealer, err := secrets.NewSealer(key)
	if err != nil {
		t.Fatal(err)
	}
	return New(Options{History: h, Sealer: sealer})
}

func callerCtx(account string) context.Context {
	return reqctx.With(context.Background(), &reqctx.Request{Caller: &reqctx.Caller{Kind: reqctx.CallerRoot, AccountID: account}})
}

func attr(key, value string) []cloudtrailapi.LookupAttribute {
	return []cloudtrailapi.LookupAttribute{{AttributeKey: protocol.String(key), AttributeValue: protocol.String(value)}}
}

func ids(out *cloudtrailapi.LookupEventsResponse) []string {
	var s []string
	for _, e := range out.Events {
		s = append(s, protocol.ToString(e.EventId))
	}
	return s
}

func TestLookupEventsPagesThroughEverything(t *testing.T) {
	s := newService(t, newHistory())
	ctx := callerCtx(acctA)
	var got []string
	var sizes []int
	in := &cloudtrailapi.LookupEventsRequest{}
	for {
		out, err := s.LookupEvents(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, ids(out)...)
		sizes = append(sizes, len(out.Events))
		if out.NextToken == nil {
			break
		}
		in.NextToken = out.NextToken
	}
	// The default page is 50 events: 120 events are 50 + 50 + 20, newest first, each once.
	if !slices.Equal(sizes, []int{50, 50, 20}) || len(got) != 120 || got[0] != "a-119" || got[119] != "a-000" {
		t.Fatalf("sizes %v, first %v last %v", sizes, got[:1], got[len(got)-1:])
	}
	for i := 1; i < len(got); i++ {
		if got[i] >= got[i-1] {
			t.Fatalf("not newest first at %d: %s after %s", i, got[i], got[i-1])
		}
	}
}

func TestLookupEventsMaxResults(t *testing.T) {
	h := newHistory()
	s := newService(t, h)
	out, err := s.LookupEvents(callerCtx(acctA), &cloudtrailapi.LookupEventsRequest{MaxResults: protocol.Int32(7)})
	if err != nil || len(out.Events) != 7 || out.NextToken == nil || h.Queries()[0].Limit != 7 {
		t.Fatalf("%v %v", out, err)
	}
	// The page size may change from page to page; the token stays valid.
	out, err = s.LookupEvents(callerCtx(acctA), &cloudtrailapi.LookupEventsRequest{MaxResults: protocol.Int32(50), NextToken: out.NextToken})
	if err != nil || len(out.Events) != 50 || protocol.ToString(out.Events[0].EventId) != "a-112" {
		t.Fatalf("%v %v", ids(out), err)
	}
	if h.Queries()[0].Limit != 7 || h.Queries()[1].Limit != 50 {
		t.Errorf("limits %v", h.Queries())
	}
}

func TestLookupEventsAttributes(t *testing.T) {
	s := newService(t, newHistory())
	ctx := callerCtx(acctA)
	for _, tc := range []struct {
		key, value string
		n          int
		first      string
	}{
		{"EventName", "CreateUser", 60, "a-118"},
		{"EventName", "GetUser", 60, "a-119"},
		{"EventName", "DeleteUser", 0, ""},
		{"Username", "bob", 60, "a-119"},
		{"EventId", "a-007", 1, "a-007"},
		{"EventId", "b-001", 0, ""}, // another account's event, by its ID
		{"ReadOnly", "true", 60, "a-119"},
		{"ReadOnly", "false", 60, "a-118"},
		{"ReadOnly", "TRUE", 0, ""},
		{"ResourceType", "AWS::IAM::User", 60, "a-118"},
		{"ResourceName", "u42", 1, "a-042"},
		{"EventSource", "iam.amazonaws.com", 120, "a-119"},
		{"EventSource", "sts.amazonaws.com", 0, ""},
		{"AccessKeyId", "AKIAALICE", 60, "a-118"},
	} {
		var got []string
		in := &cloudtrailapi.LookupEventsRequest{LookupAttributes: attr(tc.key, tc.value)}
		for {
			out, err := s.LookupEvents(ctx, in)
			if err != nil {
				t.Fatalf("%s=%s: %v", tc.key, tc.value, err)
			}
			got = append(got, ids(out)...)
			if out.NextToken == nil {
				break
			}
			in.NextToken = out.NextToken
		}
		if len(got) != tc.n || tc.n > 0 && got[0] != tc.first {
			t.Errorf("%s=%s: %d events %.3v, want %d from %s", tc.key, tc.value, len(got), got, tc.n, tc.first)
		}
	}
}

func TestLookupEventsTimeRange(t *testing.T) {
	h := newHistory()
	s := newService(t, h)
	ctx := callerCtx(acctA)
	start, end := t0.Add(10*time.Minute), t0.Add(19*time.Minute)
	out, err := s.LookupEvents(ctx, &cloudtrailapi.LookupEventsRequest{StartTime: &start, EndTime: &end})
	if err != nil || !slices.Equal(ids(out), []string{"a-019", "a-018", "a-017", "a-016", "a-015", "a-014", "a-013", "a-012", "a-011", "a-010"}) {
		t.Fatalf("%v %v", ids(out), err)
	}
	// Start equal to end is one instant, inclusive.
	out, err = s.LookupEvents(ctx, &cloudtrailapi.LookupEventsRequest{StartTime: &start, EndTime: &start})
	if err != nil || !slices.Equal(ids(out), []string{"a-010"}) {
		t.Fatalf("%v %v", ids(out), err)
	}
	// One side open.
	out, err = s.LookupEvents(ctx, &cloudtrailapi.LookupEventsRequest{EndTime: &start, LookupAttributes: attr("EventName", "CreateUser")})
	if err != nil || !slices.Equal(ids(out), []string{"a-010", "a-008", "a-006", "a-004", "a-002", "a-000"}) {
		t.Fatalf("%v %v", ids(out), err)
	}
	qs := h.Queries()
	if q := qs[len(qs)-1]; !q.Start.IsZero() || !q.End.Equal(start) || q.Attribute != audit.AttrEventName {
		t.Errorf("query %+v", q)
	}
}

func TestLookupEventsOutput(t *testing.T) {
	s := newService(t, newHistory())
	id := "a-042"
	out, err := s.LookupEvents(callerCtx(acctA), &cloudtrailapi.LookupEventsRequest{LookupAttributes: attr("EventId", id)})
	if err != nil || len(out.Events) != 1 || out.NextToken != nil {
		t.Fatalf("%v %v", out, err)
	}
	e := out.Events[0]
	if protocol.ToString(e.EventName) != "CreateUser" || protocol.ToString(e.ReadOnly) != "false" ||
		protocol.ToString(e.AccessKeyId) != "AKIAALICE" || !e.EventTime.Equal(t0.Add(42*time.Minute)) ||
		protocol.ToString(e.EventSource) != "iam.amazonaws.com" || protocol.ToString(e.Username) != "alice" ||
		len(e.Resources) != 1 || protocol.ToString(e.Resources[0].ResourceType) != "AWS::IAM::User" ||
		protocol.ToString(e.Resources[0].ResourceName) != "u42" || protocol.ToString(e.CloudTrailEvent) != `{"eventID":"a-042"}` {
		t.Fatalf("%+v", e)
	}
	out, err = s.LookupEvents(callerCtx(acctA), &cloudtrailapi.LookupEventsRequest{LookupAttributes: attr("EventId", "a-043")})
	if err != nil || protocol.ToString(out.Events[0].ReadOnly) != "true" || out.Events[0].AccessKeyId != nil ||
		out.Events[0].Resources == nil || len(out.Events[0].Resources) != 0 {
		t.Fatalf("%+v %v", out.Events, err)
	}
}

func TestLookupEventsInsightsFindNothing(t *testing.T) {
	h := newHistory()
	s := newService(t, h)
	out, err := s.LookupEvents(callerCtx(acctA), &cloudtrailapi.LookupEventsRequest{EventCategory: protocol.String("insight")})
	if err != nil || out.Events == nil || len(out.Events) != 0 || out.NextToken != nil || len(h.Queries()) != 0 {
		t.Fatalf("%v %v %v", out, err, h.Queries())
	}
}

// TestLookupEventsAccountIsolation: a caller sees only its own account's events, even from a history that
// answers another account's.
func TestLookupEventsAccountIsolation(t *testing.T) {
	h := newHistory()
	s := newService(t, h)
	out, err := s.LookupEvents(callerCtx(acctB), &cloudtrailapi.LookupEventsRequest{})
	if err != nil || !slices.Equal(ids(out), []string{"b-004", "b-003", "b-002", "b-001", "b-000"}) || h.Queries()[0].AccountID != acctB {
		t.Fatalf("%v %v", ids(out), err)
	}
	h.Leak(audit.Event{EventID: "a-leaked", AccountID: acctA, EventTime: t0})
	out, err = s.LookupEvents(callerCtx(acctB), &cloudtrailapi.LookupEventsRequest{MaxResults: protocol.Int32(5)})
	if err != nil || slices.Contains(ids(out), "a-leaked") || len(out.Events) != 5 {
		t.Fatalf("%v %v", ids(out), err)
	}
}

// TestLookupEventsTokenBinding: a NextToken continues only the lookup that received it, in the account that
// received it; any other use, and any token iamd did not issue, is InvalidNextTokenException.
func TestLookupEventsTokenBinding(t *testing.T) {
	h := newHistory()
	s := newService(t, h)
	ctx := callerCtx(acctA)
	start, end := t0, t0.Add(100*time.Minute)
	base := cloudtrailapi.LookupEventsRequest{LookupAttributes: attr("Username", "bob"), StartTime: &start, EndTime: &end,
		MaxResults: protocol.Int32(10)}
	first, err := s.LookupEvents(ctx, &base)
	if err != nil || first.NextToken == nil {
		t.Fatalf("%v %v", first, err)
	}
	tok := first.NextToken
	next := base
	next.NextToken = tok
	if out, err := s.LookupEvents(ctx, &next); err != nil || protocol.ToString(out.Events[0].EventId) != "a-079" {
		t.Fatalf("the same lookup continues: %v %v", out, err)
	}
	later := end.Add(time.Second)
	raw, _ := base64.RawURLEncoding.DecodeString(*tok)
	flipped := append([]byte(nil), raw...)
	flipped[len(flipped)-1] ^= 1
	other := newService(t, h) // another master key
	for name, tc := range map[string]struct {
		svc *Service
		ctx context.Context
		in  func(in *cloudtrailapi.LookupEventsRequest)
	}{
		"other account":    {s, callerCtx(acctB), func(*cloudtrailapi.LookupEventsRequest) {}},
		"other attribute":  {s, ctx, func(in *cloudtrailapi.LookupEventsRequest) { in.LookupAttributes = attr("Username", "alice") }},
		"other key":        {s, ctx, func(in *cloudtrailapi.LookupEventsRequest) { in.LookupAttributes = attr("EventName", "bob") }},
		"no attribute":     {s, ctx, func(in *cloudtrailapi.LookupEventsRequest) { in.LookupAttributes = nil }},
		"other end":        {s, ctx, func(in *cloudtrailapi.LookupEventsRequest) { in.EndTime = &later }},
		"no start":         {s, ctx, func(in *cloudtrailapi.LookupEventsRequest) { in.StartTime = nil }},
		"category":         {s, ctx, func(in *cloudtrailapi.LookupEventsRequest) { in.EventCategory = protocol.String("insight") }},
		"other master key": {other, ctx, func(*cloudtrailapi.LookupEventsRequest) {}},
		"tampered": {s, ctx, func(in *cloudtrailapi.LookupEventsRequest) {
			in.NextToken = protocol.String(base64.RawURLEncoding.EncodeToString(flipped))
		}},
		"forged":     {s, ctx, func(in *cloudtrailapi.LookupEventsRequest) { in.NextToken = protocol.String("pos:a-079") }},
		"not base64": {s, ctx, func(in *cloudtrailapi.LookupEventsRequest) { in.NextToken = protocol.String("!!!") }},
		"empty":      {s, ctx, func(in *cloudtrailapi.LookupEventsRequest) { in.NextToken = protocol.String("") }},
		"too long": {s, ctx, func(in *cloudtrailapi.LookupEventsRequest) {
			in.NextToken = protocol.String(strings.Repeat("A", maxNextTokenLength+1))
		}},
		"truncated":   {s, ctx, func(in *cloudtrailapi.LookupEventsRequest) { in.NextToken = protocol.String((*tok)[:len(*tok)-4]) }},
		"short token": {s, ctx, func(in *cloudtrailapi.LookupEventsRequest) { in.NextToken = protocol.String("AAAA") }},
	} {
		in := next
		tc.in(&in)
		n := len(h.Queries())
		_, err := tc.svc.LookupEvents(tc.ctx, &in)
		apierr.Want(t, name, err, "InvalidNextTokenException", 400, msgNextToken)
		if len(h.Queries()) != n {
			t.Errorf("%s: the history was read with a refused token", name)
		}
	}
}

// TestLookupEventsRefusals: every refusal of LookupEvents, with the exception the API Reference names
// for it.
func TestLookupEventsRefusals(t *testing.T) {
	h := newHistory()
	s := newService(t, h)
	ctx := callerCtx(acctA)
	start, end := t0.Add(time.Hour), t0
	two := append(attr("EventName", "CreateUser"), attr("Username", "alice")...)
	for _, tc := range []struct {
		name string
		in   cloudtrailapi.LookupEventsRequest
		code string
		msg  string
	}{
		{"two attributes", cloudtrailapi.LookupEventsRequest{LookupAttributes: two}, "InvalidLookupAttributesException", msgOneAttribute},
		{"unknown key", cloudtrailapi.LookupEventsRequest{LookupAttributes: attr("Color", "red")}, "InvalidLookupAttributesException",
			"1 validation error detected: Value 'Color' at 'lookupAttributes.1.member.attributeKey' failed to satisfy constraint: " +
				"Member must satisfy enum value set: [EventId, EventName, ReadOnly, Username, ResourceType, ResourceName, EventSource, AccessKeyId]"},
		{"empty value", cloudtrailapi.LookupEventsRequest{LookupAttributes: attr("EventName", "")}, "InvalidLookupAttributesException",
			"1 validation error detected: Value '' at 'lookupAttributes.1.member.attributeValue' failed to satisfy constraint: " +
				"Member must have length greater than or equal to 1"},
		{"missing value", cloudtrailapi.LookupEventsRequest{LookupAttributes: []cloudtrailapi.LookupAttribute{{AttributeKey: protocol.String("EventName")}}},
			"InvalidLookupAttributesException",
			"1 validation error detected: Value null at 'lookupAttributes.1.member.attributeValue' failed to satisfy constraint: Member must not be null"},
		{"long value", cloudtrailapi.LookupEventsRequest{LookupAttributes: attr("EventName", strings.Repeat("x", 2001))}, "InvalidLookupAttributesException", ""},
		{"start after end", cloudtrailapi.LookupEventsRequest{StartTime: &start, EndTime: &end}, "InvalidTimeRangeException", msgTimeRange},
		{"zero results", cloudtrailapi.LookupEventsRequest{MaxResults: protocol.Int32(0)}, "InvalidMaxResultsException",
			"1 validation error detected: Value '0' at 'maxResults' failed to satisfy constraint: Member must have value greater than or equal to 1"},
		{"51 results", cloudtrailapi.LookupEventsRequest{MaxResults: protocol.Int32(51)}, "InvalidMaxResultsException",
			"1 validation error detected: Value '51' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 50"},
		{"negative results", cloudtrailapi.LookupEventsRequest{MaxResults: protocol.Int32(-1)}, "InvalidMaxResultsException", ""},
		{"category", cloudtrailapi.LookupEventsRequest{EventCategory: protocol.String("management")}, "InvalidEventCategoryException",
			"1 validation error detected: Value 'management' at 'eventCategory' failed to satisfy constraint: Member must satisfy enum value set: [insight]"},
	} {
		n := len(h.Queries())
		_, err := s.LookupEvents(ctx, &tc.in)
		apierr.Want(t, tc.name, err, tc.code, 400, tc.msg)
		if len(h.Queries()) != n {
			t.Errorf("%s: the history was read", tc.name)
		}
	}
	// Without a caller (not reachable through the server, which authenticates first) nothing is read.
	if _, err := s.LookupEvents(context.Background(), &cloudtrailapi.LookupEventsRequest{}); err == nil {
		t.Error("a lookup without a caller succeeded")
	}
}

// TestOtherOperationsAreNotImplemented: the rest of the CloudTrail API answers NotImplemented.
func TestOtherOperationsAreNotImplemented(t *testing.T) {
	s := newService(t, newHistory())
	_, err := s.GetTrail(callerCtx(acctA), &cloudtrailapi.GetTrailRequest{Name: protocol.String("t")})
	apierr.Want(t, "GetTrail", err, "NotImplemented", 501, "iamd does not implement CloudTrail operation GetTrail yet")
}
