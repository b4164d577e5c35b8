package sts

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/golang-lru/v2/simplelru"

	"github.com/iamd/iamd/internal/policy"
	"github.com/iamd/iamd/internal/storage"
)

// Cache bounds and timing. AssumeRole reads the role and evaluates its trust policy on every call; both
// change rarely, so roles are cached until the store reports a change of them, and parsed trust policies
// are kept by document text (a document always parses to the same policy, so those need no invalidation,
// only a bound).
const (
	maxCachedRoles = 100_000
	maxCachedTrust = 4096
	// cacheSyncEvery is how often Run applies changes when no AssumeRole does, so that the subscription
	// buffer does not overflow (which would empty the cache) and deleted roles are freed early.
	cacheSyncEvery = time.Second
)

type roleKey struct {
	account string
	name    string // folded
}

// cache holds roles and parsed trust policies. Consistency follows internal/authz: the store publishes a
// change before the writing request answers, and every lookup first applies whatever is pending, under
// the write lock; a role read from the store is cached only if no change was applied meanwhile (gen).
type cache struct {
	changes <-chan storage.Change
	closed  atomic.Bool

	mu    sync.Mutex // an LRU lookup moves the entry to the front
	gen   uint64
	roles *simplelru.LRU[roleKey, *storage.Role] // least recently used roles go first past maxCachedRoles

	trust *policy.Cache // parsed trust policies by document
}

func newCache(st storage.Store) *cache {
	roles, err := simplelru.NewLRU[roleKey, *storage.Role](maxCachedRoles, nil)
	if err != nil {
		panic(err) // only for a size below 1
	}
	c := &cache{roles: roles, trust: policy.NewCache(policy.KindTrust, maxCachedTrust)}
	if st != nil {
		// Subscribed for the store's lifetime (closing the store closes the channel).
		c.changes, _ = st.Subscribe()
	} else {
		c.closed.Store(true)
	}
	return c
}

// sync applies the changes published so far. Its fast path (nothing pending) takes no lock: changes are
// only taken off the channel under the write lock, so a reader that then takes the read lock has seen
// every change published before sync was called.
func (c *cache) sync() {
	if c.closed.Load() || len(c.changes) == 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for {
		select {
		case ch, ok := <-c.changes:
			if !ok {
				// Nothing tells the cache about changes any more: keep nothing from now on.
				c.closed.Store(true)
				c.gen++
				c.roles.Purge()
				return
			}
			c.applyLocked(ch)
		default:
			return
		}
	}
}

func (c *cache) applyLocked(ch storage.Change) {
	switch ch.Kind {
	case storage.ChangeAll:
		c.gen++
		c.roles.Purge()
	case storage.ChangeAccount:
		c.gen++
		for _, k := range c.roles.Keys() {
			if k.account == ch.AccountID {
				c.roles.Remove(k)
			}
		}
	case storage.ChangeRole:
		c.gen++
		c.roles.Remove(roleKey{ch.AccountID, ch.Key})
	}
	// ChangeRoleUsed (RoleLastUsed) and the rest: nothing AssumeRole reads of a role.
}

// role returns a role of account, from the cache or the store. The result is shared: do not modify it.
func (s *Service) role(ctx context.Context, account, name string) (*storage.Role, error) {
	c := s.cache
	c.sync()
	key := roleKey{account, storage.Fold(name)}
	c.mu.Lock()
	r, _ := c.roles.Get(key)
	gen := c.gen
	c.mu.Unlock()
	if r != nil {
		return r, nil
	}
	err := s.o.Store.View(ctx, func(tx storage.Tx) error {
		var err error
		r, err = tx.GetRole(ctx, account, name)
		return err
	})
	if err != nil {
		return nil, err // a missing role is not cached: it may be created at any time
	}
	if c.closed.Load() {
		return r, nil
	}
	// Copies: the name may be a slice of the request body.
	key = roleKey{strings.Clone(key.account), strings.Clone(key.name)}
	c.mu.Lock()
	if c.gen == gen {
		c.roles.Add(key, r)
	}
	c.mu.Unlock()
	return r, nil
}

// trustPolicy parses a trust policy document, once per distinct document. The parsed policy is shared
// and never modified by evaluation.
func (c *cache) trustPolicy(doc string) (*policy.Policy, error) {
	p, err := c.trust.Parse(doc)
	if err != nil {
		return nil, fmt.Errorf("trust policy: %w", err)
	}
	return p, nil
}

// Run applies the store's changes to the role cache periodically until ctx ends (lookups apply them
// too; this only keeps an idle node's subscription from overflowing).
func (s *Service) Run(ctx context.Context) {
	t := time.NewTicker(cacheSyncEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s.cache.sync()
		}
	}
}
