package oidcverify

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1" //nolint:gosec // AWS's thumbprints are SHA-1 fingerprints
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// rotatingIssuer serves one signing key at a time; rotate replaces it.
type rotatingIssuer struct {
	srv *httptest.Server
	mu  sync.Mutex
	key *rsa.PrivateKey
	kid string
}

func newRotatingIssuer(t *testing.T) *rotatingIssuer {
	is := &rotatingIssuer{}
	is.rotate(t, "k1")
	is.srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/.well-known/openid-configuration":
			_ = json.NewEncoder(w).Encode(map[string]string{"issuer": is.srv.URL, "jwks_uri": is.srv.URL + "/keys"})
		case "/keys":
			is.mu.Lock()
			set := jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: is.key.Public(), KeyID: is.kid, Use: "sig", Algorithm: "RS256"}}}
			is.mu.Unlock()
			_ = json.NewEncoder(w).Encode(set)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(is.srv.Close)
	return is
}

func (is *rotatingIssuer) rotate(t *testing.T, kid string) {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	is.mu.Lock()
	is.key, is.kid = k, kid
	is.mu.Unlock()
}

func (is *rotatingIssuer) provider() Provider {
	sum := sha1.Sum(is.srv.Certificate().Raw) //nolint:gosec // see the import
	return Provider{Issuer: is.srv.URL, Thumbprints: []string{hex.EncodeToString(sum[:])}}
}

func (is *rotatingIssuer) token(t *testing.T, now time.Time) *Token {
	is.mu.Lock()
	k, kid := is.key, is.kid
	is.mu.Unlock()
	sig, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: k}, (&jose.SignerOptions{}).WithHeader("kid", kid))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := jwt.Signed(sig).Claims(map[string]any{"iss": is.srv.URL, "sub": "s", "aud": "a", "exp": now.Add(time.Hour).Unix()}).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	tok, err := Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// A stamp is current while the key set that verified the token is the one held and younger than keyTTL:
// a refetch (here after a rotation), the key set's age, and the issuer leaving the cache each end it.
func TestKeyStampEndsWithItsKeySet(t *testing.T) {
	is := newRotatingIssuer(t)
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	v := New(Options{Now: func() time.Time { return now }})
	p := is.provider()
	ctx := context.Background()

	old := is.token(t, now)
	stamp, err := v.VerifyStamped(ctx, old, p)
	if err != nil || !stamp.Current(now) {
		t.Fatalf("verify: %v, current %v", err, stamp.Current(now))
	}
	if s2, err := v.VerifyStamped(ctx, old, p); err != nil || s2 != stamp {
		t.Fatalf("a second verification with the same keys: %v, same stamp %v", err, s2 == stamp)
	}
	if stamp.Current(now.Add(keyTTL)) {
		t.Fatal("a stamp outlives keyTTL")
	}

	// The issuer rotates; a token of the new key forces a refetch once refetchInterval has passed.
	is.rotate(t, "k2")
	now = now.Add(refetchInterval)
	if _, err := v.VerifyStamped(ctx, is.token(t, now), p); err != nil {
		t.Fatalf("the rotated key: %v", err)
	}
	if stamp.Current(now) {
		t.Fatal("a stamp of the withdrawn key set is still current after the refetch")
	}
	if _, err := v.VerifyStamped(ctx, old, p); err == nil {
		t.Fatal("the withdrawn key still verifies")
	}

	// An issuer pushed out of the cache ends its stamps.
	s3, err := v.VerifyStamped(ctx, is.token(t, now), p)
	if err != nil || !s3.Current(now) {
		t.Fatalf("fresh stamp: %v", err)
	}
	for i := range maxIssuers {
		v.entry(Provider{Issuer: "https://other" + string(rune('a'+i%26)) + hex.EncodeToString([]byte{byte(i), byte(i >> 8)})})
	}
	if s3.Current(now) {
		t.Fatal("a stamp of an issuer dropped from the cache is current")
	}
	if (KeyStamp{}).Current(now) {
		t.Fatal("the zero stamp is current")
	}
}
