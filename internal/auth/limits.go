package auth

import "github.com/iamd/iamd/internal/ids"

// Bounds of the authenticator's caches. Every cache a request can add to is bounded, least recently used
// entries going first, so that a flood of requests can neither grow the process nor flush the entries
// busy clients use (a cache that starts over when full would let a flood of bad keys do that).
const (
	// DefaultMaxMissingKeys bounds the negative cache: well-formed access key IDs known not to exist. It
	// is what an unauthenticated caller can fill (any well-formed ID reaches it), so it is small; an
	// entry costs about 100 bytes, and a miss costs one indexed read.
	DefaultMaxMissingKeys = 10_000
	// maxCachedKeys bounds the access keys kept with their opened secrets (only keys that exist).
	maxCachedKeys = 100_000
	// maxCachedUsers bounds the owners of cached keys.
	maxCachedUsers = 100_000
	// maxCachedAccounts bounds cached accounts; in dev mode a 12-digit key ID creates its account, so an
	// unauthenticated caller can make many.
	maxCachedAccounts = 10_000
	// maxDevKeyIDLength bounds the free-form key IDs dev mode accepts ("testing", "foobar_key"): the same
	// bound as a real key ID.
	maxDevKeyIDLength = ids.MaxAccessKeyIDLength
)
