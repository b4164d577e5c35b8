package cloudtrail

import (
	"testing"

	"github.com/iamd/iamd/internal/api/cloudtrailapi"
	"github.com/iamd/iamd/internal/protocol"
	"github.com/iamd/iamd/internal/testutil/apierr"
)

// FuzzNextToken: no NextToken a client makes up opens. Each is refused with InvalidNextTokenException before
// the history is read, without a panic, whatever its bytes.
func FuzzNextToken(f *testing.F) {
	h := newHistory()
	s := newService(f, h)
	out, err := s.LookupEvents(callerCtx(acctA), &cloudtrailapi.LookupEventsRequest{MaxResults: protocol.Int32(1)})
	if err != nil || out.NextToken == nil {
		f.Fatal(out, err)
	}
	last := (*out.NextToken)[len(*out.NextToken)-1:]
	respelt := (*out.NextToken)[:len(*out.NextToken)-1] + map[bool]string{true: "B", false: "A"}[last == "A"]
	for _, seed := range []string{*out.NextToken, (*out.NextToken)[1:], respelt, "", "AQ", "pos:a-100", "AQEAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, tok string) {
		if tok == *out.NextToken {
			return // the one token iamd issued
		}
		n := len(h.Queries())
		_, err := s.LookupEvents(callerCtx(acctA), &cloudtrailapi.LookupEventsRequest{NextToken: &tok})
		apierr.Want(t, "made-up token", err, "InvalidNextTokenException", 400, msgNextToken)
		if len(h.Queries()) != n {
			t.Fatal("the history was read with a made-up token")
		}
	})
}
