package e2etest

import (
	"context"
	"encoding/base64"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
)

// TestAdversarialLookupEventsShowsOnlyTheCallersAccount: the event history answers the caller's own
// account, whichever account the events of the trail belong to, and whichever filter names them.
func TestAdversarialLookupEventsShowsOnlyTheCallersAccount(t *testing.T) {
	s, h := startWithTrail(t)
	other := newAccount(t, s, trailOtherAccount)
	c := s.CloudTrail(other, "eu-west-1")
	ids, _ := lookupAll(t, c, &cloudtrail.LookupEventsInput{})
	if !slices.Equal(ids, []string{"other-2", "other-1", "other-0"}) {
		t.Fatalf("the other account sees %v", ids)
	}
	// Named by ID, another account's event is not found.
	ids, _ = lookupAll(t, c, &cloudtrail.LookupEventsInput{LookupAttributes: []cttypes.LookupAttribute{
		{AttributeKey: cttypes.LookupAttributeKeyEventId, AttributeValue: aws.String("ev-007")}}})
	if len(ids) != 0 {
		t.Fatalf("another account's event by ID: %v", ids)
	}
	for _, q := range h.Queries() {
		if q.AccountID != trailOtherAccount {
			t.Fatalf("the history was asked for account %s", q.AccountID)
		}
	}
}

// TestAdversarialLookupEventsRefusesForgedTokens: a NextToken opens only for the account and the lookup it
// was issued to; one of another account, another lookup, a tampered one, the history's own position
// written by hand or an oversized one is InvalidNextTokenException, and the history is never read with it.
func TestAdversarialLookupEventsRefusesForgedTokens(t *testing.T) {
	s, h := startWithTrail(t)
	other := newAccount(t, s, trailOtherAccount)
	ctx := context.Background()
	mine := s.CloudTrail(RootCreds(), "us-east-1")
	page, err := mine.LookupEvents(ctx, &cloudtrail.LookupEventsInput{MaxResults: aws.Int32(2)})
	ok(t, "LookupEvents", err)
	tok := aws.ToString(page.NextToken)
	raw, err := base64.RawURLEncoding.DecodeString(tok)
	ok(t, "decode token", err)
	raw[len(raw)/2] ^= 0x40
	tampered := base64.RawURLEncoding.EncodeToString(raw)
	n := len(h.Queries())
	for _, tc := range []struct {
		name string
		c    *cloudtrail.Client
		in   *cloudtrail.LookupEventsInput
	}{
		{"another account", s.CloudTrail(other, "us-east-1"), &cloudtrail.LookupEventsInput{MaxResults: aws.Int32(2), NextToken: &tok}},
		{"another lookup", mine, &cloudtrail.LookupEventsInput{NextToken: &tok, LookupAttributes: []cttypes.LookupAttribute{
			{AttributeKey: cttypes.LookupAttributeKeyUsername, AttributeValue: aws.String("alice")}}}},
		{"tampered", mine, &cloudtrail.LookupEventsInput{NextToken: &tampered}},
		{"the history's position", mine, &cloudtrail.LookupEventsInput{NextToken: aws.String("pos:ev-117")}},
		{"oversized", mine, &cloudtrail.LookupEventsInput{NextToken: aws.String(strings.Repeat(tok, 1000))}},
	} {
		_, err := tc.c.LookupEvents(ctx, tc.in)
		wantError(t, tc.name, err, "InvalidNextTokenException", 400, "Invalid NextToken.")
	}
	if got := len(h.Queries()); got != n {
		t.Fatalf("the history was read %d times with refused tokens", got-n)
	}
	// The genuine token still continues its lookup.
	next, err := mine.LookupEvents(ctx, &cloudtrail.LookupEventsInput{MaxResults: aws.Int32(2), NextToken: &tok})
	ok(t, "LookupEvents with its token", err)
	if len(next.Events) != 2 || aws.ToString(next.Events[0].EventId) != "ev-117" {
		t.Fatalf("%+v", next.Events)
	}
}
