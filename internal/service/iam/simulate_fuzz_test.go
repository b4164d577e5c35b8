package iam

import (
	"errors"
	"strings"
	"testing"

	"github.com/iamd/iamd/internal/api/iamapi"
	"github.com/iamd/iamd/internal/protocol"
)

// FuzzSimulateCustomPolicy checks that no simulation makes the simulator panic or answer with anything but
// an API error, and that every page keeps its bounds: at most MaxItems results, at least one unless the
// marker is at the end, at most maxMatchedStatementsPerResult matched statements per result, a marker
// whenever the page is truncated, and no more work than a page's budget.
func FuzzSimulateCustomPolicy(f *testing.F) {
	seeds := []struct {
		doc, actions, resources, ctxValues, marker string
		maxItems                                   uint16
	}{
		{simDoc, "s3:GetObject,s3:PutObject", "arn:aws:s3:::secret/a,arn:aws:s3:::b/alice/k", "alice", "", 2},
		{manyStatements(60, `{"Effect":"Allow","Action":"*","Resource":"*"}`), "a:b,c:d,e:f", "", "", "aTE", 1},
		{`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*?a*","Resource":"arn:aws:s3:::*${aws:username}?*","Condition":{"StringLike":{"aws:username":["*a*","b?"]}}}}`,
			"s3:aaaa", "arn:aws:s3:::aaaa", "a,b,aa", "", 0},
		{`{"Statement":`, "x:y", "", "", "bogus!", 5},
	}
	for _, s := range seeds {
		f.Add(s.doc, s.actions, s.resources, s.ctxValues, s.marker, s.maxItems)
	}
	fx := newFixture(f)
	f.Fuzz(func(t *testing.T, doc, actions, resources, ctxValues, marker string, maxItems uint16) {
		split := func(s string) []string {
			if s == "" {
				return nil
			}
			parts := strings.Split(s, ",")
			return parts[:min(len(parts), 40)]
		}
		in := &iamapi.SimulateCustomPolicyRequest{PolicyInputList: []string{doc}, ActionNames: split(actions), ResourceArns: split(resources)}
		if v := split(ctxValues); v != nil {
			in.ContextEntries = []iamapi.ContextEntry{{ContextKeyName: ptr("aws:username"), ContextKeyValues: v, ContextKeyType: ptr("stringList")}}
		}
		if marker != "" {
			in.Marker = ptr(marker)
		}
		if maxItems > 0 {
			in.MaxItems = ptr(int32(maxItems % 1001))
		}
		scen0, work0 := fx.svc.SimulationWork()
		out, err := fx.svc.SimulateCustomPolicy(fx.root(), in)
		scen1, work1 := fx.svc.SimulationWork()
		if err != nil {
			var apiErr protocol.APIError
			if !errors.As(err, &apiErr) || apiErr.HTTPStatus() != 400 {
				t.Fatalf("error %v (%T)", err, err)
			}
			if scen1 != scen0 {
				t.Fatalf("%d scenarios evaluated before an error", scen1-scen0)
			}
			return
		}
		limit := defaultMaxItems
		if in.MaxItems != nil {
			limit = min(max(int(*in.MaxItems), 1), maxMaxItems)
		}
		n := len(out.EvaluationResults)
		if n > limit || int64(n) != scen1-scen0 || work1-work0 > maxSimulationPageWork || (n == 0 && *out.IsTruncated) || *out.IsTruncated != (out.Marker != nil) {
			t.Fatalf("%d results (limit %d, truncated %v), %d scenarios and %d work evaluated", n, limit, *out.IsTruncated, scen1-scen0, work1-work0)
		}
		for _, r := range out.EvaluationResults {
			if len(r.MatchedStatements) > maxMatchedStatementsPerResult {
				t.Fatalf("%d matched statements", len(r.MatchedStatements))
			}
		}
	})
}
