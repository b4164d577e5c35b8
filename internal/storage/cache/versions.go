package cache

import (
	"strings"

	"github.com/iamd/iamd/internal/storage"
)

// Versions let the packages above the cache keep what they derive from rows (compiled policy sets, the
// condition keys of an entity's tags) without following the change feed themselves: a derivation notes
// the versions of what it was built from before it reads, and is used again only while those versions
// are unchanged. Every applied change gives what it names a new version, so a changed row can never be
// paired with a stale derivation.

// AnyKey, as a VersionKey's Key, stands for every key of that kind in the account (any group change, any
// policy change, ...). For inline policies and attachments, "group:" + AnyKey stands for those of every
// group of the account.
const AnyKey = "*"

// VersionKey names what a derivation depends on: the kind and key of the changes that concern it (see
// storage.Change).
type VersionKey struct {
	Kind    storage.ChangeKind
	Account string
	Key     string
}

// Version returns the current version of k, after applying the changes published so far. Versions only
// grow; a key the cache no longer tracks has the version at which it stopped tracking it (at least).
func (c *Store) Version(k VersionKey) uint64 {
	var out [1]uint64
	c.Versions(out[:], k)
	return out[0]
}

// Versions is Version of each key, into out (as long as keys), with one synchronisation and one lock:
// a request checks a derivation's versions together. It returns the Seq they were read at (0 when the
// cache follows no changes any more).
func (c *Store) Versions(out []uint64, keys ...VersionKey) uint64 {
	c.Sync()
	if c.closed.Load() {
		// Nothing tells the cache about changes any more: every version is new.
		c.vmu.Lock()
		for i := range keys {
			out[i] = c.seq.Add(1)
		}
		c.vmu.Unlock()
		return 0
	}
	c.vmu.RLock()
	defer c.vmu.RUnlock()
	for i, k := range keys {
		// Peek, not Get: reads share the lock, and what goes first past the bound is what changed least
		// recently (a forgotten key reads at the floor, never lower than its version was).
		if v, ok := c.vers.Peek(k); ok {
			out[i] = v
		} else {
			out[i] = c.floor
		}
	}
	return c.seq.Load()
}

// Seq returns the number of the last change applied, after applying those published so far; false
// when the cache follows no changes any more. Every change that gives anything a new version moves it,
// so versions read at one Seq (Versions) are the same as long as Seq is: a derivation checked at the
// current Seq needs no lookup of its versions, which is one atomic load instead of a lock and a map
// lookup per version on every request.
func (c *Store) Seq() (uint64, bool) {
	c.Sync()
	if c.closed.Load() {
		return 0, false
	}
	return c.seq.Load(), true
}

// bump gives the keys a change concerns a new version.
func (c *Store) bump(ch storage.Change) {
	c.vmu.Lock()
	defer c.vmu.Unlock()
	seq := c.seq.Add(1)
	if ch.Kind == storage.ChangeAll {
		c.floor = seq
		c.vers.Purge()
		return
	}
	// Copies: a change's account and key may be slices of the request that made it (a user name from the
	// body), and a kept slice keeps the whole body alive (with 100,000 versions, 14 MiB of request bodies).
	acct := strings.Clone(ch.AccountID)
	c.vers.Add(VersionKey{ch.Kind, acct, strings.Clone(ch.Key)}, seq)
	c.vers.Add(VersionKey{ch.Kind, acct, AnyKey}, seq)
	if ch.Kind == storage.ChangeInlinePolicy || ch.Kind == storage.ChangeAttachment {
		if kind, _, ok := strings.Cut(ch.Key, ":"); ok {
			c.vers.Add(VersionKey{ch.Kind, acct, kind + ":" + AnyKey}, seq)
		}
	}
}

// evicted keeps versions monotonic past the bound: a key evicted at version v reads as at least v.
func (c *Store) evicted(_ VersionKey, v uint64) { c.floor = max(c.floor, v) }
