package sts

import (
	"strconv"
	"testing"
	"time"
)

func TestReplayCacheRefusesSecondUseUntilForgotten(t *testing.T) {
	c := newReplayCache()
	now := time.Unix(1_700_000_000, 0)
	if !c.use("idp\x00a", now.Add(time.Minute), now) {
		t.Fatal("first use refused")
	}
	if c.use("idp\x00a", now.Add(time.Minute), now.Add(30*time.Second)) {
		t.Fatal("second use accepted")
	}
	// Past its time the assertion itself is refused as expired; the entry is dropped.
	if !c.use("idp\x00b", now.Add(3*time.Minute), now.Add(2*time.Minute)) || c.len() != 1 {
		t.Fatalf("expired entry kept: %d entries", c.len())
	}
}

// A flood of distinct assertions cannot grow the cache beyond its bound.
func TestAdversarialSAMLReplayCacheIsBounded(t *testing.T) {
	c := newReplayCache()
	now := time.Unix(1_700_000_000, 0)
	for i := range maxReplayEntries + 1000 {
		c.use("idp\x00"+strconv.Itoa(i), now.Add(time.Hour+time.Duration(i)*time.Millisecond), now)
	}
	if n := c.len(); n != maxReplayEntries {
		t.Fatalf("%d entries, bound %d", n, maxReplayEntries)
	}
	// The entries dropped are those nearest their end; the newest are still refused.
	if c.use("idp\x00"+strconv.Itoa(maxReplayEntries+999), now.Add(2*time.Hour), now) {
		t.Fatal("recent assertion forgotten")
	}
}
