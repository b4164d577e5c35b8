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
	c.Sync()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed.Load() {
		// Nothing tells the cache about changes any more: every version is new.
		c.seq++
		return c.seq
	}
	if v, ok := c.vers.Get(k); ok {
		return v
	}
	return c.floor
}

// bumpLocked gives the keys a change concerns a new version.
func (c *Store) bumpLocked(ch storage.Change) {
	if ch.Kind == storage.ChangeAll {
		c.seq++
		c.floor = c.seq
		c.vers.Purge()
		return
	}
	c.seq++
	c.vers.Add(VersionKey{ch.Kind, ch.AccountID, ch.Key}, c.seq)
	c.vers.Add(VersionKey{ch.Kind, ch.AccountID, AnyKey}, c.seq)
	if ch.Kind == storage.ChangeInlinePolicy || ch.Kind == storage.ChangeAttachment {
		if kind, _, ok := strings.Cut(ch.Key, ":"); ok {
			c.vers.Add(VersionKey{ch.Kind, ch.AccountID, kind + ":" + AnyKey}, c.seq)
		}
	}
}

// evicted keeps versions monotonic past the bound: a key evicted at version v reads as at least v.
func (c *Store) evicted(_ VersionKey, v uint64) { c.floor = max(c.floor, v) }
