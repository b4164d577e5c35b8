package auth

import (
	"sync"

	"github.com/iamd/iamd/internal/storage"
)

// cache keeps what the authenticator needs on every request (access keys with their opened secrets and
// principals, accounts with their region settings) and drops entries as the store reports changes, on this
// node and, on PostgreSQL, on the others. Negative answers (unknown key IDs) are cached too, so a flood of
// requests with a bad key does not become a flood of queries.
type cache struct {
	mu sync.RWMutex
	// gen counts applied changes. A loader notes it before reading the store and stores its result only
	// if no change arrived meanwhile, so a load racing with a delete cannot put a stale entry back.
	gen      uint64
	keys     map[string]*keyEntry        // access key ID → entry (nil entry: known missing)
	accounts map[string]*storage.Account // account ID → account (read-only once cached)
	// users are the owners of cached keys, apart from the keys: a change to a user (its tags, say) drops
	// the user alone, and the next request reads that one row again instead of the key, its user and
	// the opening of its secret.
	users map[userRef]*storage.User
}

// keyEntry is a long-term access key with its opened secret; its user, if any, is in cache.users.
type keyEntry struct {
	key    *storage.AccessKey
	secret string
	// userID is the unique ID of the key's user when the key was read: a user holding that name with
	// another ID (the owner deleted and a namesake created) does not own the key.
	userID string
}

// userRef names a user as changes do: account and folded name.
type userRef struct{ account, name string }

func (e *keyEntry) userRef() userRef {
	return userRef{e.key.AccountID, storage.Fold(e.key.UserName)}
}

func newCache() *cache {
	return &cache{keys: map[string]*keyEntry{}, accounts: map[string]*storage.Account{}, users: map[userRef]*storage.User{}}
}

func (c *cache) user(r userRef) (*storage.User, bool) {
	c.mu.RLock()
	u, ok := c.users[r]
	c.mu.RUnlock()
	return u, ok
}

func (c *cache) putUser(gen uint64, r userRef, u *storage.User) {
	c.mu.Lock()
	if c.gen == gen {
		c.users[r] = u
	}
	c.mu.Unlock()
}

func (c *cache) key(id string) (*keyEntry, bool) {
	c.mu.RLock()
	e, ok := c.keys[id]
	c.mu.RUnlock()
	return e, ok
}

// generation returns the current change generation, to pass to the put methods after a load.
func (c *cache) generation() uint64 {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.gen
}

func (c *cache) putKey(gen uint64, id string, e *keyEntry) {
	c.mu.Lock()
	if c.gen == gen {
		c.keys[id] = e
	}
	c.mu.Unlock()
}

func (c *cache) account(id string) (*storage.Account, bool) {
	c.mu.RLock()
	a, ok := c.accounts[id]
	c.mu.RUnlock()
	return a, ok
}

func (c *cache) putAccount(gen uint64, a *storage.Account) {
	c.mu.Lock()
	if c.gen == gen {
		c.accounts[a.ID] = a
	}
	c.mu.Unlock()
}

// apply drops the entries a change may have made stale.
func (c *cache) apply(ch storage.Change) {
	switch ch.Kind {
	case storage.ChangeAll, storage.ChangeAccount, storage.ChangeAccessKey, storage.ChangeUser:
	default:
		// Nothing cached here depends on other kinds (ChangeAccessKeyUsed in particular arrives for
		// every key in use): leave the generation alone so that loads in flight still get cached.
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	switch ch.Kind {
	case storage.ChangeAll:
		c.keys = map[string]*keyEntry{}
		c.accounts = map[string]*storage.Account{}
		c.users = map[userRef]*storage.User{}
	case storage.ChangeAccount:
		delete(c.accounts, ch.AccountID)
	case storage.ChangeAccessKey:
		delete(c.keys, ch.Key)
	case storage.ChangeUser:
		// A retagged, re-pathed, renamed or deleted user changes the principal behind its keys; the keys
		// themselves are unchanged (a rename changes their user name too, which the lookup notices when
		// the old name is no longer found).
		delete(c.users, userRef{ch.AccountID, ch.Key})
	}
}
