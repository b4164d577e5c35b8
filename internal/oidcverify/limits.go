package oidcverify

import "time"

// Limits of the verification of web identity tokens. Every fetch is made on behalf of an unauthenticated
// caller (AssumeRoleWithWebIdentity is unsigned), so each bound keeps what one caller can make iamd do, hold
// or send small.
const (
	// MaxTokenBytes is the longest token read: the STS API model bounds WebIdentityToken to 20,000
	// characters, and nothing longer is parsed.
	MaxTokenBytes = 20000
	// ClockSkew is the leeway given to exp, nbf and iat for clocks that disagree. AWS documents none; five
	// minutes is the skew SigV4 itself tolerates.
	ClockSkew = 5 * time.Minute
	// fetchTimeout bounds one fetch (discovery document or JWKS), connection and body included: the
	// caller's request waits for it.
	fetchTimeout = 5 * time.Second
	// maxDocumentBytes bounds a discovery document or a JWKS read; real ones are a few kilobytes.
	maxDocumentBytes = 256 << 10
	// maxKeysPerSet bounds the keys kept of one issuer's JWKS.
	maxKeysPerSet = 100
	// maxRedirects bounds the redirects followed by one fetch (each to https only).
	maxRedirects = 3
	// keyTTL is how long fetched keys are used before they are fetched again: issuers rotate keys, and a
	// key the issuer withdrew must stop verifying tokens within a bounded time.
	keyTTL = time.Hour
	// refetchInterval is the least time between two fetches for one issuer. A token naming an unknown key
	// ID forces a refetch (the issuer may have rotated), and without this bound a stream of such tokens
	// would make iamd hammer the issuer.
	refetchInterval = 30 * time.Second
	// maxIssuers bounds the issuers whose keys are kept (least recently used dropped first). Only issuers of
	// registered providers are ever fetched, so this bounds memory, not who is fetched.
	maxIssuers = 1024
)
