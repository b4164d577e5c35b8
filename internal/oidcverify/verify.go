// Package oidcverify verifies OpenID Connect ID tokens for AssumeRoleWithWebIdentity as AWS does: the token
// is a JWS signed with RS256/RS384/RS512/ES256/ES384 by a key of the issuer's JWKS, found through the
// issuer's discovery document (/.well-known/openid-configuration, then jwks_uri), both fetched over HTTPS
// trusted either through the system's certificate authorities or through a certificate of the served chain
// whose SHA-1 thumbprint the provider lists (IAM User Guide, "Obtain the thumbprint for an OpenID Connect
// identity provider"). Only issuers of registered providers are fetched: the caller looks the provider up
// before asking for keys.
package oidcverify

import (
	"context"
	"crypto/sha1" //nolint:gosec // AWS's thumbprints are SHA-1 fingerprints; they name certificates, nothing is signed with SHA-1.
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"github.com/hashicorp/golang-lru/v2/simplelru"
)

// Algorithms are the signature algorithms accepted; "none" and the HMAC ones (whose key would be a shared
// secret, not the issuer's public key) are refused before anything else is read.
var Algorithms = []jose.SignatureAlgorithm{jose.RS256, jose.RS384, jose.RS512, jose.ES256, jose.ES384}

// Errors of verification; the caller maps them to STS's errors.
var (
	// ErrMalformed: the token is not a JWS of an accepted algorithm, or its claims do not parse.
	ErrMalformed = errors.New("oidcverify: malformed token")
	// ErrSignature: no key of the issuer verifies the signature (an unknown key ID included).
	ErrSignature = errors.New("oidcverify: signature not verified")
	// ErrUnreachable: the issuer's keys could not be fetched or trusted.
	ErrUnreachable = errors.New("oidcverify: identity provider unreachable")
)

// Provider is what a registered OIDC provider says about its issuer.
type Provider struct {
	// Issuer is the provider's URL, https://HOST[:PORT][/PATH], the token's iss.
	Issuer string
	// Thumbprints are lower-case hex SHA-1 fingerprints of certificates trusted in the issuer's chain.
	Thumbprints []string
}

// Claims are the claims of a token that AssumeRoleWithWebIdentity reads.
type Claims struct {
	Issuer    string           `json:"iss"`
	Subject   string           `json:"sub"`
	Audience  jwt.Audience     `json:"aud"`
	AZP       string           `json:"azp"`
	Expiry    *jwt.NumericDate `json:"exp"`
	NotBefore *jwt.NumericDate `json:"nbf"`
	IssuedAt  *jwt.NumericDate `json:"iat"`
	AMR       jwt.Audience     `json:"amr"` // a string or a list of strings, as aud
	Tags      *TagsClaim       `json:"https://aws.amazon.com/tags"`
	// SourceIdentity is the claim AWS reads a source identity from.
	SourceIdentity string `json:"https://aws.amazon.com/source_identity"`
}

// TagsClaim is the https://aws.amazon.com/tags claim: session tags (each value a list of one string) and
// the keys of those that are transitive.
type TagsClaim struct {
	PrincipalTags     map[string][]string `json:"principal_tags"`
	TransitiveTagKeys []string            `json:"transitive_tag_keys"`
}

// Token is a parsed, not yet verified token.
type Token struct {
	jws    *jwt.JSONWebToken
	Claims Claims
}

// Parse reads a token without verifying it: the issuer tells which provider, hence which keys, verify it.
func Parse(raw string) (*Token, error) {
	if len(raw) > MaxTokenBytes {
		return nil, fmt.Errorf("%w: longer than %d bytes", ErrMalformed, MaxTokenBytes)
	}
	tok, err := jwt.ParseSigned(raw, Algorithms)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	if len(tok.Headers) != 1 {
		return nil, fmt.Errorf("%w: %d signatures", ErrMalformed, len(tok.Headers))
	}
	t := &Token{jws: tok}
	if err := tok.UnsafeClaimsWithoutVerification(&t.Claims); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	if !strings.HasPrefix(t.Claims.Issuer, "https://") {
		return nil, fmt.Errorf("%w: issuer %q is not an https URL", ErrMalformed, t.Claims.Issuer)
	}
	return t, nil
}

// Options configure a Verifier.
type Options struct {
	Now    func() time.Time
	Logger *slog.Logger
	// Roots are the certificate authorities trusted besides thumbprints; nil means the system's.
	Roots *x509.CertPool
}

// Verifier verifies tokens with keys it fetches and caches per issuer and trust (the thumbprints): an
// issuer reached under one provider's thumbprints never lends its keys to a provider with other ones.
type Verifier struct {
	o       Options
	mu      sync.Mutex
	entries *simplelru.LRU[string, *entry] // by cacheKey; an evicted entry is marked dropped
	fetches atomic.Int64
}

type entry struct {
	mu sync.Mutex // held during a fetch: one fetch per issuer at a time
	// gen counts the key sets this entry has held (it changes with every successful fetch) and
	// fetchedNano is when the current one was fetched; dropped is set when the entry leaves the cache.
	// They are read without mu (KeyStamp.Current), so a caller holding a stamp never waits for a fetch.
	gen         atomic.Uint64
	fetchedNano atomic.Int64
	dropped     atomic.Bool
	// keys are the last fetched keys, fetched at fetched; attempted is the time of the last fetch, failed
	// or not, and err its error.
	keys      []jose.JSONWebKey
	fetched   time.Time
	attempted time.Time
	err       error
}

// New returns a Verifier.
func New(o Options) *Verifier {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	// Only a size < 1 fails.
	entries, _ := simplelru.NewLRU(maxIssuers, func(_ string, e *entry) { e.dropped.Store(true) })
	return &Verifier{o: o, entries: entries}
}

// Fetches is the number of HTTP requests made to issuers so far.
func (v *Verifier) Fetches() int64 { return v.fetches.Load() }

// Cached is the number of issuers whose keys are held.
func (v *Verifier) Cached() int {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.entries.Len()
}

// Verify checks the token's signature with a key of p's issuer (fetching the keys when they are not held,
// are older than keyTTL, or lack the token's key ID, at most once per refetchInterval). It checks neither
// times nor audiences: see CheckTimes.
func (v *Verifier) Verify(ctx context.Context, t *Token, p Provider) error {
	_, err := v.VerifyStamped(ctx, t, p)
	return err
}

// KeyStamp names the key set a token was verified with, for callers that remember a verification: it is
// Current while that key set is the one the verifier holds for the issuer and younger than keyTTL, so a
// remembered verification ends when the issuer's keys are fetched again (a rotation, a withdrawn key) or
// would have been.
type KeyStamp struct {
	e   *entry
	gen uint64
}

// Current reports whether the stamped key set is still the issuer's at now.
func (s KeyStamp) Current(now time.Time) bool {
	if s.e == nil || s.e.dropped.Load() || s.e.gen.Load() != s.gen {
		return false
	}
	return now.Sub(time.Unix(0, s.e.fetchedNano.Load())) < keyTTL
}

// VerifyStamped is Verify, also naming the key set that verified the token.
func (v *Verifier) VerifyStamped(ctx context.Context, t *Token, p Provider) (KeyStamp, error) {
	if t.Claims.Issuer != p.Issuer {
		return KeyStamp{}, fmt.Errorf("%w: issuer %q is not the provider's %q", ErrSignature, t.Claims.Issuer, p.Issuer)
	}
	h := t.jws.Headers[0]
	e := v.entry(p)
	keys, gen, err := v.keys(ctx, e, p, h.KeyID)
	if err != nil {
		return KeyStamp{}, err
	}
	for i := range keys {
		k := &keys[i]
		if h.KeyID != "" && k.KeyID != h.KeyID {
			continue
		}
		if k.Use != "" && k.Use != "sig" {
			continue
		}
		if k.Algorithm != "" && k.Algorithm != h.Algorithm {
			continue
		}
		// The claims were decoded from the very payload the signature covers (Parse): verifying is enough.
		if t.jws.Claims(k.Key) == nil {
			return KeyStamp{e: e, gen: gen}, nil
		}
	}
	return KeyStamp{}, ErrSignature
}

// CheckTimes checks exp (required), nbf and iat against now, with ClockSkew. It reports whether the token
// has expired (expired true) apart from other refusals.
func CheckTimes(c *Claims, now time.Time) (expired bool, err error) {
	if c.Expiry == nil {
		return false, fmt.Errorf("%w: no exp claim", ErrMalformed)
	}
	if now.After(c.Expiry.Time().Add(ClockSkew)) {
		return true, fmt.Errorf("token expired at %s", c.Expiry.Time().UTC().Format(time.RFC3339))
	}
	if c.NotBefore != nil && now.Add(ClockSkew).Before(c.NotBefore.Time()) {
		return false, fmt.Errorf("%w: not valid before %s", ErrMalformed, c.NotBefore.Time().UTC().Format(time.RFC3339))
	}
	if c.IssuedAt != nil && now.Add(ClockSkew).Before(c.IssuedAt.Time()) {
		return false, fmt.Errorf("%w: issued in the future", ErrMalformed)
	}
	return false, nil
}

func cacheKey(p Provider) string {
	tp := slices.Clone(p.Thumbprints)
	for i := range tp {
		tp[i] = strings.ToLower(tp[i])
	}
	slices.Sort(tp)
	return p.Issuer + "\x00" + strings.Join(tp, ",")
}

// entry returns the cache entry of p, creating it (and dropping the least recently used beyond maxIssuers).
func (v *Verifier) entry(p Provider) *entry {
	k := cacheKey(p)
	v.mu.Lock()
	defer v.mu.Unlock()
	if e, ok := v.entries.Get(k); ok {
		return e
	}
	e := &entry{}
	v.entries.Add(k, e)
	return e
}

func hasKey(keys []jose.JSONWebKey, kid string) bool {
	if kid == "" {
		return len(keys) > 0
	}
	for i := range keys {
		if keys[i].KeyID == kid {
			return true
		}
	}
	return false
}

// keys returns the keys of e to try for kid, fetching them when needed and allowed, with the generation of
// the key set they belong to.
func (v *Verifier) keys(ctx context.Context, e *entry, p Provider, kid string) ([]jose.JSONWebKey, uint64, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	now := v.o.Now()
	fresh := e.keys != nil && now.Sub(e.fetched) < keyTTL
	if fresh && hasKey(e.keys, kid) {
		return e.keys, e.gen.Load(), nil
	}
	if !e.attempted.IsZero() && now.Sub(e.attempted) < refetchInterval {
		// Fetched too recently to ask again: answer from what the last fetch gave.
		if fresh {
			return e.keys, e.gen.Load(), nil // the key ID is unknown: no key matches, ErrSignature
		}
		if e.err != nil {
			return nil, 0, e.err
		}
	}
	e.attempted = now
	keys, err := v.fetch(ctx, p)
	if err != nil {
		e.err = err
		v.o.Logger.WarnContext(ctx, "fetching the keys of an OIDC issuer", "issuer", p.Issuer, "err", err)
		if fresh {
			return e.keys, e.gen.Load(), nil
		}
		return nil, 0, err
	}
	e.keys, e.fetched, e.err = keys, now, nil
	// Every fetched set is a new generation, even when it equals the last: a stamp then never outlives
	// the fetch that could have withdrawn its key. The generation changes first, so a reader between the
	// two stores sees a stamp as stale, never an old stamp as fresh.
	gen := e.gen.Add(1)
	e.fetchedNano.Store(now.UnixNano())
	return keys, gen, nil
}

// fetch reads the issuer's discovery document and its JWKS.
func (v *Verifier) fetch(ctx context.Context, p Provider) ([]jose.JSONWebKey, error) {
	ctx, cancel := context.WithTimeout(ctx, fetchTimeout)
	defer cancel()
	c := v.client(p)
	var disc struct {
		Issuer  string `json:"issuer"`
		JWKSURI string `json:"jwks_uri"`
	}
	if err := v.get(ctx, c, strings.TrimSuffix(p.Issuer, "/")+"/.well-known/openid-configuration", &disc); err != nil {
		return nil, err
	}
	if disc.Issuer != p.Issuer {
		return nil, fmt.Errorf("%w: discovery document names issuer %q", ErrUnreachable, disc.Issuer)
	}
	u, err := url.Parse(disc.JWKSURI)
	if err != nil || u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("%w: jwks_uri %q is not an https URL", ErrUnreachable, disc.JWKSURI)
	}
	var set jose.JSONWebKeySet
	if err := v.get(ctx, c, disc.JWKSURI, &set); err != nil {
		return nil, err
	}
	keys := make([]jose.JSONWebKey, 0, min(len(set.Keys), maxKeysPerSet))
	for _, k := range set.Keys {
		if len(keys) == maxKeysPerSet {
			break
		}
		if k.Valid() && k.IsPublic() {
			keys = append(keys, k)
		}
	}
	return keys, nil
}

func (v *Verifier) get(ctx context.Context, c *http.Client, u string, into any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrUnreachable, err)
	}
	req.Header.Set("Accept", "application/json")
	v.fetches.Add(1)
	resp, err := c.Do(req)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrUnreachable, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%w: GET %s: status %d", ErrUnreachable, u, resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxDocumentBytes+1))
	if err != nil {
		return fmt.Errorf("%w: reading %s: %w", ErrUnreachable, u, err)
	}
	if len(body) > maxDocumentBytes {
		return fmt.Errorf("%w: %s is larger than %d bytes", ErrUnreachable, u, maxDocumentBytes)
	}
	if err := json.Unmarshal(body, into); err != nil {
		return fmt.Errorf("%w: %s: %w", ErrUnreachable, u, err)
	}
	return nil
}

// client is an HTTP client trusting the TLS servers of p as AWS does: a chain to a system root, or a chain
// to a certificate served whose SHA-1 thumbprint p lists. Redirects are followed to https only.
func (v *Verifier) client(p Provider) *http.Client {
	tr := &http.Transport{
		Proxy:                 nil, // loopback and private issuers must not go through a proxy of the environment
		DialContext:           (&net.Dialer{Timeout: fetchTimeout}).DialContext,
		TLSHandshakeTimeout:   fetchTimeout,
		ResponseHeaderTimeout: fetchTimeout,
		DisableKeepAlives:     true,
		TLSClientConfig: &tls.Config{
			MinVersion: tls.VersionTLS12,
			// Verification is VerifyConnection's, which accepts what the usual verification would, and
			// also a chain pinned by thumbprint.
			InsecureSkipVerify: true, //nolint:gosec // see VerifyConnection
			VerifyConnection: func(cs tls.ConnectionState) error {
				return verifyChain(cs.PeerCertificates, cs.ServerName, v.o.Roots, p.Thumbprints)
			},
		},
	}
	return &http.Client{Transport: tr, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if len(via) >= maxRedirects {
			return fmt.Errorf("more than %d redirects", maxRedirects)
		}
		if req.URL.Scheme != "https" {
			return fmt.Errorf("redirect to %s: not https", req.URL.Redacted())
		}
		return nil
	}}
}

// verifyChain accepts the served chain certs for host when it verifies to one of roots (nil: the system's),
// or when a certificate of it has one of thumbprints and the chain verifies up to that certificate.
func verifyChain(certs []*x509.Certificate, host string, roots *x509.CertPool, thumbprints []string) error {
	if len(certs) == 0 {
		return errors.New("no certificate served")
	}
	inter := x509.NewCertPool()
	for _, c := range certs[1:] {
		inter.AddCert(c)
	}
	opts := x509.VerifyOptions{DNSName: host, Roots: roots, Intermediates: inter}
	_, sysErr := certs[0].Verify(opts)
	if sysErr == nil {
		return nil
	}
	for i, c := range certs {
		sum := sha1.Sum(c.Raw) //nolint:gosec // see the import
		if !slices.ContainsFunc(thumbprints, func(t string) bool { return strings.EqualFold(t, hex.EncodeToString(sum[:])) }) {
			continue
		}
		pinned := x509.NewCertPool()
		pinned.AddCert(c)
		below := x509.NewCertPool()
		for _, b := range certs[1:max(i, 1)] {
			below.AddCert(b)
		}
		if _, err := certs[0].Verify(x509.VerifyOptions{DNSName: host, Roots: pinned, Intermediates: below}); err == nil {
			return nil
		}
	}
	return fmt.Errorf("certificate not trusted (no system root, no listed thumbprint): %w", sysErr)
}
