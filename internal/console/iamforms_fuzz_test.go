package console

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"
)

// FuzzContextEntries: the simulator's context key lines never panic the parser, and every entry it
// returns has a name, a type and at least one value, as many entries as lines that are not blank.
func FuzzContextEntries(f *testing.F) {
	for _, s := range []string{"aws:SourceIp ip 203.0.113.7", "a b c,d\n\n e f g h", "x y", "\r\n\t", "k t ,,,"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		entries, err := contextEntries(s)
		if err != nil {
			return
		}
		if len(entries) != len(formLines(s)) {
			t.Fatalf("%d entries from %d lines", len(entries), len(formLines(s)))
		}
		for _, e := range entries {
			if str(e.ContextKeyName) == "" || str(e.ContextKeyType) == "" || len(e.ContextKeyValues) == 0 {
				t.Fatalf("incomplete entry %+v", e)
			}
		}
	})
}

// FuzzPolicyText: showing a document as IAM returns it never panics, and a JSON document comes back
// as the same JSON value (indented).
func FuzzPolicyText(f *testing.F) {
	for _, s := range []string{`{"Version":"2012-10-17","Statement":[]}`, "%7B%22a%22%3A1%7D", "%zz", "not json", `{"a":"%41"}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, doc string) {
		got := policyText(&doc)
		dec, err := url.PathUnescape(doc)
		if err != nil || !json.Valid([]byte(dec)) {
			return
		}
		// Numbers are compared as their text: valid JSON such as 100E1000 overflows a float64.
		a, errA := decodeNumbers(dec)
		b, errB := decodeNumbers(got)
		if errA != nil || errB != nil {
			t.Fatalf("valid JSON %q shown as %q (%v, %v)", dec, got, errA, errB)
		}
		if x, y := mustJSON(t, a), mustJSON(t, b); x != y {
			t.Fatalf("shown %s, was %s", y, x)
		}
	})
}

// decodeNumbers decodes one JSON value, its numbers kept as text.
func decodeNumbers(s string) (any, error) {
	d := json.NewDecoder(strings.NewReader(s))
	d.UseNumber()
	var v any
	err := d.Decode(&v)
	return v, err
}

func mustJSON(t *testing.T, v any) string {
	var sb strings.Builder
	if err := json.NewEncoder(&sb).Encode(v); err != nil {
		t.Fatal(err)
	}
	return sb.String()
}
