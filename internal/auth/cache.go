package auth

import (
	"strings"
	"sync"

	"github.com/hashicorp/golang-lru/v2/simplelru"

	"github.com/iamd/iamd/internal/storage"
)

// cache keeps what the authenticator needs on every request (access keys with their opened secrets and
// principals, accounts with their region settings) and drops entries as the store reports changes, on this
// node and, on PostgreSQL, on the others. Negative answers (unknown key IDs) are cached too, so a flood of
// requests with a bad key does not become a flood of queries; they are kept apart from the known keys so
// that such a flood only evicts other unknown IDs. Every table is a bounded LRU (limits.go), and every key
// stored is a copy: an ID sliced from a request's Authorization header would keep the whole header alive.
type cache struct {
	// mu is a plain mutex: a lookup in an LRU moves the entry to the front.
	mu sync.Mutex
	// gen counts applied changes. A loader notes it before reading the store and stores its result only
	// if no change arrived meanwhile, so a load racing with a delete cannot put a stale entry back.
	gen      uint64
	keys     *simplelru.LRU[string, *keyEntry]        // access key ID → entry
	missing  *simplelru.LRU[string, struct{}]         // access key IDs known not to exist
	accounts *simplelru.LRU[string, *storage.Account] // account ID → account (read-only once cached)
	// users are the owners of cached keys, apart from the keys: a change to a user (its tags, say) drops
	// the user alone, and the next request reads that one row again instead of the key, its user and
	// the opening of its secret.
	users *simplelru.LRU[userRef, *storage.User]
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

// CacheSizes are the number of entries in each of the authenticator's caches (exported as metrics).
type CacheSizes struct{ Keys, MissingKeys, Users, Accounts int }

func newLRU[K comparable, V any](size int) *simplelru.LRU[K, V] {
	l, err := simplelru.NewLRU[K, V](max(size, 1), nil)
	if err != nil {
		panic(err) // only for a size below 1, which max rules out
	}
	return l
}

func newCache(maxMissing int) *cache {
	return &cache{keys: newLRU[string, *keyEntry](maxCachedKeys), missing: newLRU[string, struct{}](maxMissing),
		accounts: newLRU[string, *storage.Account](maxCachedAccounts), users: newLRU[userRef, *storage.User](maxCachedUsers)}
}

func (c *cache) user(r userRef) (*storage.User, bool) {
	c.mu.Lock()
	u, ok := c.users.Get(r)
	c.mu.Unlock()
	return u, ok
}

func (c *cache) putUser(gen uint64, r userRef, u *storage.User) {
	c.mu.Lock()
	if c.gen == gen {
		c.users.Add(r, u)
	}
	c.mu.Unlock()
}

// key returns the entry of a key ID and whether the cache knows it: a nil entry with true is a key known
// not to exist.
func (c *cache) key(id string) (*keyEntry, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.keys.Get(id); ok {
		return e, true
	}
	_, ok := c.missing.Get(id)
	return nil, ok
}

// generation returns the current change generation, to pass to the put methods after a load.
func (c *cache) generation() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gen
}

// putKey caches a loaded key, or with a nil entry the fact that id does not exist.
func (c *cache) putKey(gen uint64, id string, e *keyEntry) {
	id = strings.Clone(id)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen != gen {
		return
	}
	if e == nil {
		c.missing.Add(id, struct{}{})
		return
	}
	c.missing.Remove(id)
	c.keys.Add(id, e)
}

func (c *cache) account(id string) (*storage.Account, bool) {
	c.mu.Lock()
	a, ok := c.accounts.Get(id)
	c.mu.Unlock()
	return a, ok
}

func (c *cache) putAccount(gen uint64, a *storage.Account) {
	c.mu.Lock()
	if c.gen == gen {
		c.accounts.Add(a.ID, a)
	}
	c.mu.Unlock()
}

func (c *cache) sizes() CacheSizes {
	c.mu.Lock()
	defer c.mu.Unlock()
	return CacheSizes{Keys: c.keys.Len(), MissingKeys: c.missing.Len(), Users: c.users.Len(), Accounts: c.accounts.Len()}
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
		c.keys.Purge()
		c.missing.Purge()
		c.accounts.Purge()
		c.users.Purge()
	case storage.ChangeAccount:
		c.accounts.Remove(ch.AccountID)
	case storage.ChangeAccessKey:
		// A created key must stop being known as missing as much as a deleted one must stop being known.
		c.keys.Remove(ch.Key)
		c.missing.Remove(ch.Key)
	case storage.ChangeUser:
		// A retagged, re-pathed, renamed or deleted user changes the principal behind its keys; the keys
		// themselves are unchanged (a rename changes their user name too, which the lookup notices when
		// the old name is no longer found).
		c.users.Remove(userRef{ch.AccountID, ch.Key})
	}
}
