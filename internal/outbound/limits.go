package outbound

import "time"

// Limits and defaults of outbound web identity federation.
const (
	// MaxTokenLifetime is the longest token GetWebIdentityToken signs: its DurationSeconds maximum (3600).
	MaxTokenLifetime = 3600 * time.Second
	// retiredKeyGrace is kept on top of MaxTokenLifetime before a retired key leaves the JWKS, for clock
	// skew between iamd and relying parties, and for verifiers that cached the JWKS.
	retiredKeyGrace = time.Hour
	// retiredKeyLifetime is how long a retired key stays published: every token it signed has expired by then.
	retiredKeyLifetime = MaxTokenLifetime + retiredKeyGrace

	// DefaultRotateEvery is how long a signing key signs before a new one takes over.
	DefaultRotateEvery = 7 * 24 * time.Hour
	// rsaKeyBits is the size of RS256 keys: 2048 bits, the size RFC 7518 requires at least.
	rsaKeyBits = 2048

	// maxIssuerIDLen bounds the issuer ID the public listener looks up: IDs are 32 hex digits, anything
	// longer is refused before it reaches the store.
	maxIssuerIDLen = 32
	// publicCacheSeconds is the max-age of the public documents. A new key is published the moment it
	// starts signing; relying parties that cached an older JWKS refetch on the unknown key ID, as OIDC
	// libraries do, so the cache only saves requests.
	publicCacheSeconds = 300
)
