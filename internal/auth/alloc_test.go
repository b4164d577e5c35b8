package auth

import (
	"context"
	"testing"
)

// TestCachedKeyLookupAllocates: every request with a long-term key looks the key up (and its user); once
// cached that costs the one copy of the row the store's cache hands out, nothing for the lookup itself.
func TestCachedKeyLookupAllocates(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	lookup := func() {
		k, _, err := e.auth.lookupKey(ctx, e.rootKey)
		if err != nil || k == nil {
			t.Fatalf("root key: %v", err)
		}
	}
	lookup()
	if n := testing.AllocsPerRun(100, lookup); n > 1 {
		t.Errorf("%v allocations per cached key lookup, want at most 1 (the cache's copy of the row)", n)
	}
}
