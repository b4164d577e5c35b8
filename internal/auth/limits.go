package auth

import "github.com/iamd/iamd/internal/ids"

// Bounds of the authenticator. The rows it reads (keys, unknown key IDs, users, accounts) are cached, and
// bounded, by internal/storage/cache; what it keeps itself is bounded here.
const (
	// maxOpenedSecrets bounds the opened secrets of long-term keys (only keys that exist get in, least
	// recently used going first).
	maxOpenedSecrets = 100_000
	// maxDevKeyIDLength bounds the free-form key IDs dev mode accepts ("testing", "foobar_key"): the same
	// bound as a real key ID.
	maxDevKeyIDLength = ids.MaxAccessKeyIDLength
)
