package sts

import (
	"context"
	"crypto/sha256"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/golang-lru/v2/simplelru"

	"github.com/iamd/iamd/internal/oidcverify"
)

// Limits of the verified web identity token cache.
const (
	// maxVerifiedTokens bounds the verified tokens remembered (least recently used dropped first). A
	// workload presents the same token for each credential refresh until the token expires, and a token's
	// RSA or ECDSA verification and its JSON parse are most of what AssumeRoleWithWebIdentity costs.
	maxVerifiedTokens = 4096
	// maxVerifiedTokenBytes: only tokens up to this size are remembered (real ones are 1-2 KB), so the
	// cache holds at most about maxVerifiedTokens × maxVerifiedTokenBytes of claims.
	maxVerifiedTokenBytes = 4096
)

// verifiedKey names one verification: the whole token's SHA-256 and the account whose provider verified
// it (a provider of another account, with other thumbprints, must verify it for itself).
type verifiedKey struct {
	sum     [sha256.Size]byte
	account string
}

// verifiedToken is a token whose signature a provider's keys verified. It is good only while all of that
// still holds: the provider row is the version that was read (thumbprints, client IDs), the issuer's key
// set is the one that verified it (oidcverify.KeyStamp), and the token has not expired. Everything that
// follows the signature (times, audience, trust policy, tags) is checked on every call.
type verifiedToken struct {
	claims          *oidcverify.Claims
	provider        string // the provider's name as stored
	providerVersion uint64
	keys            oidcverify.KeyStamp
	dies            time.Time // the token's exp
}

type verifiedTokens struct {
	mu  sync.Mutex
	lru *simplelru.LRU[verifiedKey, *verifiedToken]
}

func newVerifiedTokens() *verifiedTokens {
	l, _ := simplelru.NewLRU[verifiedKey, *verifiedToken](maxVerifiedTokens, nil) // only a size < 1 fails
	return &verifiedTokens{lru: l}
}

// Len is the number of verified tokens held.
func (c *verifiedTokens) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lru.Len()
}

// VerifiedWebIdentityTokens is the number of verified web identity tokens held (for tests and metrics).
func (s *Service) VerifiedWebIdentityTokens() int { return s.verified.Len() }

// errNoProvider: the token's issuer names no provider of the account (or not in the registered case).
type errNoProvider struct{ issuer string }

func (e *errNoProvider) Error() string { return "no OpenID Connect provider for " + e.issuer }

// verifyWebIdentity returns the claims of raw, whose signature a key of the account's provider for its
// issuer verified, and that provider: from the cache while the verification still holds, else parsed and
// verified (and then remembered). Errors are oidcverify's, *errNoProvider, or the store's.
func (s *Service) verifyWebIdentity(ctx context.Context, account, raw string, now time.Time) (*oidcverify.Claims, *oidcProvider, error) {
	cacheable := len(raw) <= maxVerifiedTokenBytes
	var k verifiedKey
	if cacheable {
		k = verifiedKey{sum: sha256.Sum256([]byte(raw)), account: account}
		s.verified.mu.Lock()
		e, ok := s.verified.lru.Get(k)
		s.verified.mu.Unlock()
		if ok {
			prov, err := s.oidcProvider(ctx, account, e.provider)
			if err != nil {
				return nil, nil, err
			}
			if prov != nil && prov.version != 0 && prov.version == e.providerVersion && prov.name == e.provider &&
				e.keys.Current(now) && now.Before(e.dies) {
				return e.claims, prov, nil
			}
			s.verified.mu.Lock()
			s.verified.lru.Remove(k)
			s.verified.mu.Unlock()
		}
	}
	tok, err := oidcverify.Parse(raw)
	if err != nil {
		return nil, nil, err
	}
	iss := tok.Claims.Issuer
	provName := strings.TrimPrefix(iss, "https://")
	prov, err := s.oidcProvider(ctx, account, provName)
	if err != nil {
		return nil, nil, err
	}
	// Names match case-insensitively in the store; the issuer must match the provider's URL exactly.
	if prov == nil || prov.name != provName {
		return nil, nil, &errNoProvider{issuer: iss}
	}
	stamp, err := s.webIdentity.VerifyStamped(ctx, tok, oidcverify.Provider{Issuer: iss, Thumbprints: prov.data.Thumbprints})
	if err != nil {
		return nil, nil, err
	}
	// Only a verified token is remembered, and only with a provider version to check it against (the
	// store's cache gives none in tests of the service alone) and an expiry to die at.
	if cacheable && prov.version != 0 && tok.Claims.Expiry != nil && now.Before(tok.Claims.Expiry.Time()) {
		s.verified.mu.Lock()
		s.verified.lru.Add(k, &verifiedToken{claims: &tok.Claims, provider: prov.name, providerVersion: prov.version,
			keys: stamp, dies: tok.Claims.Expiry.Time()})
		s.verified.mu.Unlock()
	}
	return &tok.Claims, prov, nil
}
