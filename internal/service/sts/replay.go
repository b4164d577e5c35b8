package sts

import (
	"container/heap"
	"sync"
	"time"
)

// maxReplayEntries bounds the SAML assertions remembered as used. An assertion is remembered until its
// NotOnOrAfter (plus the clock skew AWS allows), typically five minutes; 100,000 entries (about 20 MB at
// most) hold the assertions of more than 300 sign-ins a second over such a window.
const maxReplayEntries = 100_000

// replayCache remembers the assertions (issuer and ID) already exchanged, so that each is used once.
// It is held in memory by each node: a cluster of several iamd nodes behind one address would let an
// assertion be used once per node (the window is the assertion's lifetime, minutes).
type replayCache struct {
	mu   sync.Mutex
	seen map[string]time.Time // key → forget after
	exp  expiryHeap
}

func newReplayCache() *replayCache { return &replayCache{seen: map[string]time.Time{}} }

// use records key until forget and reports whether it was unused. Entries past their time are dropped
// first; when the cache is still full the entry nearest its end is dropped (its assertion then has at
// most that little life left in which it could be replayed).
func (c *replayCache) use(key string, forget, now time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for len(c.exp) > 0 && !c.exp[0].at.After(now) {
		e := heap.Pop(&c.exp).(expiryEntry)
		delete(c.seen, e.key)
	}
	if _, ok := c.seen[key]; ok {
		return false
	}
	if len(c.seen) >= maxReplayEntries {
		e := heap.Pop(&c.exp).(expiryEntry)
		delete(c.seen, e.key)
	}
	c.seen[key] = forget
	heap.Push(&c.exp, expiryEntry{key: key, at: forget})
	return true
}

// len is the number of assertions remembered.
func (c *replayCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.seen)
}

type expiryEntry struct {
	key string
	at  time.Time
}

type expiryHeap []expiryEntry

func (h expiryHeap) Len() int           { return len(h) }
func (h expiryHeap) Less(i, j int) bool { return h[i].at.Before(h[j].at) }
func (h expiryHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *expiryHeap) Push(x any)        { *h = append(*h, x.(expiryEntry)) }
func (h *expiryHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	*h = old[:len(old)-1]
	return e
}
