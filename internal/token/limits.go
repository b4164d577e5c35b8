package token

import "time"

// Limits of the token format. AWS's own limits (session name 64, tags 50, policy 2048 characters, …) are
// enforced by the STS service before sealing; these only bound what a token may hold so that opening one
// does bounded work.
const (
	// MaxTokenLifetime is the longest a session token can live: GetSessionToken's 129600 s maximum. A
	// retired key is kept at least this long after it last sealed a token.
	MaxTokenLifetime = 129600 * time.Second

	// maxTokenChars bounds the base64 text Open accepts. STS refuses sessions whose packed policies and
	// tags exceed PackedPolicySize 100% long before; a session with 50 maximal tags, ten ARNs and a
	// session policy stays below it.
	maxTokenChars = 64 << 10
	// maxFieldLen bounds one string field (ARNs are the longest AWS allows, 2048 characters).
	maxFieldLen = 2048
	// maxPolicyLen bounds the session policy document once decompressed (AWS allows 2048 characters;
	// the margin absorbs whitespace the STS service may keep).
	maxPolicyLen = 64 << 10
	// maxPolicyARNs, maxTags and maxTransitiveKeys mirror the AWS limits on one session.
	maxPolicyARNs     = 10
	maxTags           = 50
	maxTransitiveKeys = 50

	// minV1Bytes and minV2Bytes are the smallest tokens (before base64) of each version: 270 bytes are
	// 360 characters, 564 bytes are 752, the sizes AWS's v1 and v2 tokens have for a typical session.
	minV1Bytes = 270
	minV2Bytes = 564
	// sizeStep rounds token sizes up to a multiple of 6 bytes: a multiple of 3 has no base64 padding,
	// and steps hide the exact length of the sealed session data.
	sizeStep = 6

	// packedPolicyLimit is the packed size (compressed inline policy, policy ARNs and session tags) that
	// PackedPolicySize reports as 100%.
	packedPolicyLimit = 2048

	// DefaultRotateEvery is how often a new sealing key is introduced.
	DefaultRotateEvery = 24 * time.Hour
	// DefaultRetireGrace is kept on top of MaxTokenLifetime before a retired key is dropped, for nodes
	// that kept sealing with it until they learnt of the rotation, and for clock skew between nodes.
	DefaultRetireGrace = time.Hour
	// DefaultCheckEvery is how often a Rotator reloads the ring from the store and checks whether a
	// rotation is due; it bounds how long a node may seal with a key another node retired.
	DefaultCheckEvery = time.Minute
	// DefaultMinRefreshInterval rate-limits the store reloads caused by tokens with unknown key IDs, so
	// garbage tokens cannot turn into a flood of database reads.
	DefaultMinRefreshInterval = time.Second
)
