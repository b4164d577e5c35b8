package iam

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/iamd/iamd/internal/storage"
)

// User cache bounds and timing. GetUser is the hottest IAM read and a user row changes rarely, so on a
// single node (SQLite) users are served from memory until the store reports a change of them. On
// PostgreSQL other nodes' changes arrive by NOTIFY some time after their writes are acknowledged, so a
// cache there would break read-your-writes across nodes (GetUser on B right after DeleteUser on A must
// answer NoSuchEntity): App enables the cache only on SQLite.
const (
	maxCachedUsers = 100_000
	// userCacheSyncEvery is how often RunUserCache applies changes when no GetUser does, so that deleted
	// users are freed on an idle node (a full subscription buffer is safe: the store then sends ChangeAll).
	userCacheSyncEvery = time.Second
)

type userKey struct {
	account string
	name    string // folded
}

// userCache holds users by account and folded name. Consistency follows internal/authz and the STS role
// cache: the store publishes a change before the writing request answers, every lookup first applies
// whatever is pending under the write lock, and a user read from the store is kept only if no change was
// applied while it was read (gen); a change published after the read but not applied yet is applied by
// the next lookup before it looks.
type userCache struct {
	on      bool
	changes <-chan storage.Change
	closed  atomic.Bool

	mu    sync.RWMutex
	gen   uint64
	users map[userKey]*storage.User
}

// init subscribes to st when enabled. The subscription lasts as long as the store (closing the store
// closes the channel, after which nothing is cached).
func (c *userCache) init(st storage.Store, enabled bool) {
	c.users = map[userKey]*storage.User{}
	if !enabled || st == nil {
		return
	}
	c.on = true
	c.changes, _ = st.Subscribe()
}

// sync applies the changes published so far. Its fast path (nothing pending) takes no lock: changes are
// only taken off the channel under the write lock, so a reader that then takes the read lock has seen
// every change published before sync was called.
func (c *userCache) sync() {
	if c.closed.Load() || len(c.changes) == 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for {
		select {
		case ch, ok := <-c.changes:
			if !ok {
				c.closed.Store(true)
				c.gen++
				c.users = map[userKey]*storage.User{}
				return
			}
			c.applyLocked(ch)
		default:
			return
		}
	}
}

func (c *userCache) applyLocked(ch storage.Change) {
	switch ch.Kind {
	case storage.ChangeAll:
		c.gen++
		c.users = map[userKey]*storage.User{}
	case storage.ChangeAccount:
		c.gen++
		for k := range c.users {
			if k.account == ch.AccountID {
				delete(c.users, k)
			}
		}
	case storage.ChangeUser:
		// Every write of a user row (create, update, rename under both names, tags, boundary, delete)
		// publishes ChangeUser; so do group membership changes, which GetUser does not show but which
		// are rare enough not to tell apart.
		c.gen++
		delete(c.users, userKey{ch.AccountID, ch.Key})
	}
	// Other kinds (keys, policies, attachments, last uses) are not part of the user row.
}

// getUser returns a user of account, from the cache when enabled, else from the store. The result is
// shared with other requests: do not modify it. A missing user is not cached (it may be created at any
// time), and the store's error is returned unchanged.
func (s *Service) getUser(ctx context.Context, account, name string) (*storage.User, error) {
	c := &s.users
	if !c.on || c.closed.Load() {
		return s.loadUser(ctx, account, name)
	}
	c.sync()
	key := userKey{account, storage.Fold(name)}
	c.mu.RLock()
	u, gen := c.users[key], c.gen
	c.mu.RUnlock()
	if u != nil {
		return u, nil
	}
	u, err := s.loadUser(ctx, account, name)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if c.gen == gen && !c.closed.Load() {
		if len(c.users) >= maxCachedUsers {
			c.users = map[userKey]*storage.User{}
		}
		c.users[key] = u
	}
	c.mu.Unlock()
	return u, nil
}

func (s *Service) loadUser(ctx context.Context, account, name string) (*storage.User, error) {
	var u *storage.User
	err := s.store.View(ctx, func(tx storage.Tx) error {
		var err error
		u, err = tx.GetUser(ctx, account, name)
		return err
	})
	return u, err
}

// RunUserCache applies the store's changes to the user cache periodically until ctx ends (lookups apply
// them too; this frees deleted users on an idle node). It returns at once when the cache is disabled.
func (s *Service) RunUserCache(ctx context.Context) {
	if !s.users.on {
		return
	}
	t := time.NewTicker(userCacheSyncEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s.users.sync()
		}
	}
}
