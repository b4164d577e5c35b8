package oidcverify

import (
	"fmt"
	"testing"
)

// The keys held are bounded by issuer count: providers beyond maxIssuers push out the least recently used.
func TestCacheIsBounded(t *testing.T) {
	v := New(Options{})
	first := Provider{Issuer: "https://first.example"}
	v.entry(first)
	for i := range maxIssuers + 50 {
		v.entry(Provider{Issuer: fmt.Sprintf("https://idp%d.example", i)})
		if i%100 == 0 {
			v.entry(first) // kept in use: never the least recently used
		}
	}
	if n := v.Cached(); n != maxIssuers {
		t.Fatalf("%d issuers cached, want %d", n, maxIssuers)
	}
	v.mu.Lock()
	ok := v.entries.Contains(cacheKey(first))
	v.mu.Unlock()
	if !ok {
		t.Fatal("a recently used issuer was dropped")
	}
}

// The same issuer under other thumbprints is another entry: keys fetched under one trust never serve another.
func TestCacheKeyedByTrust(t *testing.T) {
	v := New(Options{})
	a := v.entry(Provider{Issuer: "https://idp.example", Thumbprints: []string{"aa"}})
	b := v.entry(Provider{Issuer: "https://idp.example", Thumbprints: []string{"bb"}})
	c := v.entry(Provider{Issuer: "https://idp.example", Thumbprints: []string{"AA"}})
	if a == b || a != c {
		t.Fatal("cache entries are not keyed by issuer and thumbprints")
	}
}

func TestParseRefusesLongTokens(t *testing.T) {
	if _, err := Parse(string(make([]byte, MaxTokenBytes+1))); err == nil {
		t.Fatal("a token over the limit parsed")
	}
}

// FuzzParse: no input makes Parse panic, and what parses names an https issuer.
func FuzzParse(f *testing.F) {
	f.Add("eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJodHRwczovL2EifQ.c2ln")
	f.Add("eyJhbGciOiJub25lIn0.e30.")
	f.Add("a.b.c")
	f.Fuzz(func(t *testing.T, s string) {
		tok, err := Parse(s)
		if err == nil && len(tok.Claims.Issuer) < len("https://") {
			t.Fatalf("parsed issuer %q", tok.Claims.Issuer)
		}
	})
}
