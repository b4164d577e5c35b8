package policy

import "sync"

// Cache parses each distinct document of one kind once and keeps the compiled policy, for callers that
// meet the same documents on every request (trust policies in AssumeRole, session policies carried by
// tokens). Compiled policies are immutable, so they are shared. The cache holds at most max documents;
// past that it starts over, which bounds memory against a flood of distinct documents.
type Cache struct {
	kind Kind
	max  int

	mu   sync.RWMutex
	docs map[string]*Policy
}

// NewCache returns a cache of compiled policies of kind, holding at most max documents.
func NewCache(kind Kind, max int) *Cache {
	return &Cache{kind: kind, max: max, docs: map[string]*Policy{}}
}

// Parse returns the compiled policy of doc, parsing it on first use. Documents that do not parse are not
// kept.
func (c *Cache) Parse(doc string) (*Policy, error) {
	c.mu.RLock()
	p := c.docs[doc]
	c.mu.RUnlock()
	if p != nil {
		return p, nil
	}
	p, err := Parse(doc, c.kind)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if len(c.docs) >= c.max {
		c.docs = map[string]*Policy{}
	}
	c.docs[doc] = p
	c.mu.Unlock()
	return p, nil
}

// Len returns how many documents the cache holds.
func (c *Cache) Len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.docs)
}
