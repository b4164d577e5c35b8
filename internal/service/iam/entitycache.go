package iam

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/iamd/iamd/internal/storage"
)

// Entity cache bounds and timing. GetUser and GetRole are the hottest IAM reads and their rows change
// rarely, so on a single node (SQLite) users and roles are served from memory until the store reports a
// change of them. On PostgreSQL other nodes' changes arrive by NOTIFY some time after their writes are
// acknowledged, so a cache there would break read-your-writes across nodes (GetUser on B right after
// DeleteUser on A must answer NoSuchEntity): App enables the cache only on SQLite.
const (
	maxCachedEntities = 100_000 // per kind
	// entityCacheSyncEvery is how often RunEntityCache applies changes when no lookup does, so that
	// deleted entities are freed on an idle node (a full subscription buffer is safe: the store then
	// sends ChangeAll).
	entityCacheSyncEvery = time.Second
)

type entityKey struct {
	account string
	name    string // folded
}

// entityCache holds users and roles by account and folded name, and the managed policies attached to
// users, groups and roles by account and "kind:folded-owner" (the store's ChangeAttachment key). Consistency follows internal/authz and
// the STS role cache: the store publishes a change before the writing request answers, every lookup
// first applies whatever is pending under the write lock, and a row read from the store is kept only if
// no change was applied while it was read (gen); a change published after the read but not applied yet
// is applied by the next lookup before it looks.
type entityCache struct {
	on      bool
	changes <-chan storage.Change
	closed  atomic.Bool

	mu       sync.RWMutex
	gen      uint64
	users    map[entityKey]*storage.User
	roles    map[entityKey]*storage.Role
	attached map[entityKey]*attachedList
}

// attachedList is every managed policy ARN attached to one owner, in the store's order. Lists are never
// modified once cached; a change replaces them.
type attachedList struct {
	arns []string
	// ownerID is the ID of the user or role the list was read for ("" for groups). A change to the owner's
	// row (ChangeUser, ChangeRole: new tags, say) marks the list stale instead of dropping it: the next
	// lookup keeps it if the owner still has that ID, so the row was neither renamed away nor deleted
	// and re-created, the only changes to a row that move or remove its attachments without a
	// ChangeAttachment.
	ownerID string
	stale   bool
}

// attachedKey is the cache key of an owner's attachments; it matches the Key of the store's
// ChangeAttachment.
func attachedKey(account string, kind storage.OwnerKind, owner string) entityKey {
	return entityKey{account, string(kind) + ":" + storage.Fold(owner)}
}

// init subscribes to st when enabled. The subscription lasts as long as the store (closing the store
// closes the channel, after which nothing is cached).
func (c *entityCache) init(st storage.Store, enabled bool) {
	c.reset()
	if !enabled || st == nil {
		return
	}
	c.on = true
	c.changes, _ = st.Subscribe()
}

// sync applies the changes published so far. Its fast path (nothing pending) takes no lock: changes are
// only taken off the channel under the write lock, so a reader that then takes the read lock has seen
// every change published before sync was called.
func (c *entityCache) sync() {
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
				c.reset()
				return
			}
			c.applyLocked(ch)
		default:
			return
		}
	}
}

func (c *entityCache) applyLocked(ch storage.Change) {
	switch ch.Kind {
	case storage.ChangeAll:
		c.gen++
		c.reset()
	case storage.ChangeAccount:
		c.gen++
		dropAccount(c.users, ch.AccountID)
		dropAccount(c.roles, ch.AccountID)
		dropAccount(c.attached, ch.AccountID)
	case storage.ChangeUser:
		// Every write of a user row (create, update, rename under both names, tags, boundary, delete)
		// publishes ChangeUser; so do group membership changes, which GetUser does not show but which
		// are rare enough not to tell apart. Deleting or renaming the user moves or removes its
		// attachments without a ChangeAttachment (the database cascades), so those go too.
		c.gen++
		delete(c.users, entityKey{ch.AccountID, ch.Key})
		c.markStaleLocked(entityKey{ch.AccountID, string(storage.OwnerUser) + ":" + ch.Key})
	case storage.ChangeRole:
		c.gen++
		delete(c.roles, entityKey{ch.AccountID, ch.Key})
		c.markStaleLocked(entityKey{ch.AccountID, string(storage.OwnerRole) + ":" + ch.Key})
	case storage.ChangeRoleUsed:
		// RoleLastUsed is part of the role row GetRole shows.
		c.gen++
		delete(c.roles, entityKey{ch.AccountID, ch.Key})
	case storage.ChangeGroup:
		c.gen++
		delete(c.attached, entityKey{ch.AccountID, string(storage.OwnerGroup) + ":" + ch.Key})
	case storage.ChangeAttachment:
		c.gen++
		delete(c.attached, entityKey{ch.AccountID, ch.Key})
	case storage.ChangePolicy:
		// The lists hold only ARNs, and the store keeps attachments when a policy goes (the service
		// refuses DeletePolicy while attached); dropping the account's lists anyway costs little (policy
		// writes are rare) and stays right should the store ever remove them by cascade.
		c.gen++
		dropAccount(c.attached, ch.AccountID)
	}
	// Other kinds (keys, inline policies, memberships, key uses) are none of these.
}

// markStaleLocked replaces the list under k by a stale copy. A new copy each time, even of a list already
// stale: a lookup revalidating the old one then finds it gone and does not un-stale it.
func (c *entityCache) markStaleLocked(k entityKey) {
	l := c.attached[k]
	if l == nil {
		return
	}
	if l.ownerID == "" {
		delete(c.attached, k)
		return
	}
	c.attached[k] = &attachedList{arns: l.arns, ownerID: l.ownerID, stale: true}
}

// settle ends the staleness of l under k: fresh, a copy that is not stale, if l is still the list cached
// there; otherwise (a change replaced or dropped it meanwhile) nothing.
func (c *entityCache) settle(k entityKey, l *attachedList, fresh bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.attached[k] != l {
		return
	}
	if fresh {
		c.attached[k] = &attachedList{arns: l.arns, ownerID: l.ownerID}
	} else {
		delete(c.attached, k)
	}
}

func (c *entityCache) reset() {
	c.users = map[entityKey]*storage.User{}
	c.roles = map[entityKey]*storage.Role{}
	c.attached = map[entityKey]*attachedList{}
}

func dropAccount[T any](m map[entityKey]*T, account string) {
	for k := range m {
		if k.account == account {
			delete(m, k)
		}
	}
}

// cachedLoad returns the entity under key from table (the cache's users or roles), else from load, and
// keeps what load returned when no change was applied meanwhile. Errors (a missing entity too: it may be
// created at any time) are returned unchanged and not cached. The result is shared with other requests.
func cachedLoad[T any](c *entityCache, table func() map[entityKey]*T, reset func(), key entityKey, load func() (*T, error)) (*T, error) {
	if !c.on || c.closed.Load() {
		return load()
	}
	c.sync()
	c.mu.RLock()
	v, gen := table()[key], c.gen
	c.mu.RUnlock()
	if v != nil {
		return v, nil
	}
	v, err := load()
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if c.gen == gen && !c.closed.Load() {
		if len(table()) >= maxCachedEntities {
			reset()
		}
		// Copies: the name may be a slice of the request body, which the entry would keep alive.
		table()[entityKey{strings.Clone(key.account), strings.Clone(key.name)}] = v
	}
	c.mu.Unlock()
	return v, nil
}

// getUser returns a user of account, from the cache when enabled, else from the store. The result is
// shared with other requests: do not modify it.
func (s *Service) getUser(ctx context.Context, account, name string) (*storage.User, error) {
	c := &s.cache
	return cachedLoad(c, func() map[entityKey]*storage.User { return c.users },
		func() { c.users = map[entityKey]*storage.User{} },
		entityKey{account, storage.Fold(name)},
		func() (*storage.User, error) {
			var u *storage.User
			err := s.store.View(ctx, func(tx storage.Tx) error {
				var err error
				u, err = tx.GetUser(ctx, account, name)
				return err
			})
			return u, err
		})
}

// getCachedRole returns a role of account, from the cache when enabled, else from the store. The result
// is a copy of the cached row (callers overlay the last use on it), whose Tags are shared: do not modify
// them.
func (s *Service) getCachedRole(ctx context.Context, account, name string) (*storage.Role, error) {
	c := &s.cache
	r, err := cachedLoad(c, func() map[entityKey]*storage.Role { return c.roles },
		func() { c.roles = map[entityKey]*storage.Role{} },
		entityKey{account, storage.Fold(name)},
		func() (*storage.Role, error) {
			var r *storage.Role
			err := s.store.View(ctx, func(tx storage.Tx) error {
				var err error
				r, err = tx.GetRole(ctx, account, name)
				return err
			})
			return r, err
		})
	if err != nil {
		return nil, err
	}
	cp := *r
	return &cp, nil
}

// attachedPolicies returns the ARNs of every managed policy attached to owner, after checking that owner
// exists (NoSuchEntity otherwise), from the cache when enabled. The slice is shared: do not modify it.
func (s *Service) attachedPolicies(ctx context.Context, account string, kind storage.OwnerKind, owner string) ([]string, error) {
	c := &s.cache
	key := attachedKey(account, kind, owner)
	load := func() (*attachedList, error) {
		return cachedLoad(c, func() map[entityKey]*attachedList { return c.attached },
			func() { c.attached = map[entityKey]*attachedList{} },
			key,
			func() (*attachedList, error) {
				var l attachedList
				err := s.store.View(ctx, func(tx storage.Tx) error {
					var err error
					if c.on {
						// The owner's ID, to revalidate the list after a change to the owner's row.
						if l.ownerID, err = checkOwner(ctx, tx, account, kind, owner, true); err != nil {
							return err
						}
					}
					// At most maxAttachedPoliciesPerEntity: read all, callers filter. The store answers
					// ErrNotFound for a missing owner, so without the cache this is one statement.
					l.arns, err = tx.ListAttachedPolicies(ctx, account, kind, owner, storage.ListOptions{})
					return notFound(err, func() error { return noSuchOwner(kind, owner) })
				})
				return &l, err
			})
	}
	l, err := load()
	if err != nil {
		return nil, err
	}
	if l.stale {
		// The owner's row changed since the list was read: the list holds if the owner is the same entity
		// (read through the entity cache, which the change refreshed).
		var id string
		switch kind {
		case storage.OwnerUser:
			var u *storage.User
			if u, err = s.getUser(ctx, account, owner); err == nil {
				id = u.ID
			}
		case storage.OwnerRole:
			var r *storage.Role
			if r, err = s.getCachedRole(ctx, account, owner); err == nil {
				id = r.ID
			}
		}
		if err != nil && !errors.Is(err, storage.ErrNotFound) {
			return nil, err
		}
		c.settle(key, l, err == nil && id == l.ownerID)
		if err != nil || id != l.ownerID {
			if l, err = load(); err != nil {
				return nil, err
			}
		}
	}
	return l.arns, nil
}

// RunEntityCache applies the store's changes to the entity cache periodically until ctx ends (lookups
// apply them too; this frees deleted entities on an idle node). It returns at once when the cache is
// disabled.
func (s *Service) RunEntityCache(ctx context.Context) {
	if !s.cache.on {
		return
	}
	t := time.NewTicker(entityCacheSyncEvery)
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
