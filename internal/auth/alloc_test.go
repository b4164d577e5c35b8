package auth

import (
	"context"
	"testing"
)

// TestCachedKeyLookupAllocates: every request with a long-term key looks the key up (and its user); once
// cached that costs no allocation (neither the lookup nor a copy of the row).
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
	if n := testing.AllocsPerRun(100, lookup); n != 0 {
		t.Errorf("%v allocations per cached key lookup, want 0", n)
	}
}
