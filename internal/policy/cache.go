package policy

import (
	"strings"
	"sync"

	"github.com/hashicorp/golang-lru/v2/simplelru"
)

// Cache parses each distinct document of one kind once and keeps the compiled policy, for callers that
// meet the same documents on every request (trust policies in AssumeRole, session policies carried by
// tokens). Compiled policies are immutable, so they are shared. The cache holds at most its size in documents,
// dropping the least recently used: a caller who can mint sessions with distinct policies cheaply then
// evicts only documents nobody uses, not the busy ones (as a cache that starts over would). Documents
// are kept as copies, never as slices of the request or token they came in.
type Cache struct {
	kind Kind

	mu   sync.Mutex // an LRU lookup moves the entry to the front
	docs *simplelru.LRU[string, *Policy]
}

// NewCache returns a cache of compiled policies of kind, holding at most size documents (at least one).
func NewCache(kind Kind, size int) *Cache {
	docs, err := simplelru.NewLRU[string, *Policy](max(size, 1), nil)
	if err != nil {
		panic(err) // only for a size below 1, which max rules out
	}
	return &Cache{kind: kind, docs: docs}
}

// Parse returns the compiled policy of doc, parsing it on first use with ParseStored: the documents it
// holds were validated when they were written (a role's trust policy, a session policy sealed in a
// token). Documents that do not parse are not kept.
func (c *Cache) Parse(doc string) (*Policy, error) {
	c.mu.Lock()
	p, ok := c.docs.Get(doc)
	c.mu.Unlock()
	if ok {
		return p, nil
	}
	p, err := ParseStored(doc, c.kind)
	if err != nil {
		return nil, err
	}
	doc = strings.Clone(doc)
	c.mu.Lock()
	c.docs.Add(doc, p)
	c.mu.Unlock()
	return p, nil
}

// Len returns how many documents the cache holds.
func (c *Cache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.docs.Len()
}

// Purge forgets every document (a dev-mode reset: nothing a previous test sent survives).
func (c *Cache) Purge() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.docs.Purge()
}
