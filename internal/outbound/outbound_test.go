package outbound

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/iamd/iamd/internal/secrets"
	"github.com/iamd/iamd/internal/storage"
	"github.com/iamd/iamd/internal/storage/sqlite"
)

const testAccount = "123456789012"

type fixture struct {
	is    *Issuers
	store storage.Store
	now   time.Time
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, t.TempDir(), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	if err := st.Update(ctx, func(tx storage.Tx) error {
		return tx.CreateAccount(ctx, &storage.Account{ID: testAccount, CreatedAt: time.Now()})
	}); err != nil {
		t.Fatal(err)
	}
	sealer, err := secrets.NewSealer(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{store: st, now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	f.is = New(Options{Store: st, Sealer: sealer, PublicURL: "https://iamd.example.com/", RotateEvery: 24 * time.Hour,
		Now: func() time.Time { return f.now }})
	return f
}

// get fetches a public document as a relying party would.
func (f *fixture) get(t *testing.T, path string) (int, []byte) {
	t.Helper()
	rec := httptest.NewRecorder()
	f.is.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	return rec.Code, rec.Body.Bytes()
}

func (f *fixture) jwks(t *testing.T, issuer string) jose.JSONWebKeySet {
	t.Helper()
	code, body := f.get(t, strings.TrimPrefix(issuer, "https://iamd.example.com")+"/.well-known/jwks.json")
	if code != http.StatusOK {
		t.Fatalf("jwks: %d %s", code, body)
	}
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(body, &set); err != nil {
		t.Fatal(err)
	}
	return set
}

// verify checks tok as an OIDC relying party does: signature by a key of the JWKS, issuer, audience, times.
func verify(t *testing.T, set jose.JSONWebKeySet, tok, issuer, aud string, at time.Time) jwt.Claims {
	t.Helper()
	parsed, err := jwt.ParseSigned(tok, []jose.SignatureAlgorithm{jose.RS256, jose.ES384})
	if err != nil {
		t.Fatal(err)
	}
	var c jwt.Claims
	if err := parsed.Claims(set, &c); err != nil {
		t.Fatalf("verifying with the JWKS: %v", err)
	}
	if err := c.ValidateWithLeeway(jwt.Expected{Issuer: issuer, AnyAudience: jwt.Audience{aud}, Time: at}, 0); err != nil {
		t.Fatalf("claims: %v", err)
	}
	return c
}

func TestEnableDisableInfo(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if _, _, err := f.is.Info(ctx, testAccount); !errors.Is(err, ErrDisabled) {
		t.Fatalf("Info before Enable: %v, want ErrDisabled", err)
	}
	if err := f.is.Disable(ctx, testAccount); !errors.Is(err, ErrDisabled) {
		t.Fatalf("Disable before Enable: %v, want ErrDisabled", err)
	}
	url, err := f.is.Enable(ctx, testAccount)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(url, "https://iamd.example.com/oidc/") || !validIssuerID(strings.TrimPrefix(url, "https://iamd.example.com/oidc/")) {
		t.Fatalf("issuer URL %q", url)
	}
	if _, err := f.is.Enable(ctx, testAccount); !errors.Is(err, ErrEnabled) {
		t.Fatalf("second Enable: %v, want ErrEnabled", err)
	}
	got, enabled, err := f.is.Info(ctx, testAccount)
	if err != nil || got != url || !enabled {
		t.Fatalf("Info = %q %v %v", got, enabled, err)
	}
	if err := f.is.Disable(ctx, testAccount); err != nil {
		t.Fatal(err)
	}
	if err := f.is.Disable(ctx, testAccount); !errors.Is(err, ErrDisabled) {
		t.Fatalf("second Disable: %v, want ErrDisabled", err)
	}
	if _, err := f.is.Sign(ctx, testAccount, AlgES384, time.Minute, Claims{Subject: "s", Audience: []string{"a"}}); !errors.Is(err, ErrDisabled) {
		t.Fatalf("Sign while disabled: %v, want ErrDisabled", err)
	}
	if got, enabled, err = f.is.Info(ctx, testAccount); err != nil || got != url || enabled {
		t.Fatalf("Info after Disable = %q %v %v", got, enabled, err)
	}
	// Re-enabling keeps the issuer, which relying parties already trust.
	if again, err := f.is.Enable(ctx, testAccount); err != nil || again != url {
		t.Fatalf("Enable again = %q %v, want %q", again, err, url)
	}
}

func TestSignVerifiesFromJWKS(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	iss, err := f.is.Enable(ctx, testAccount)
	if err != nil {
		t.Fatal(err)
	}
	code, body := f.get(t, strings.TrimPrefix(iss, "https://iamd.example.com")+"/.well-known/openid-configuration")
	if code != http.StatusOK {
		t.Fatalf("discovery: %d %s", code, body)
	}
	var d discovery
	if err := json.Unmarshal(body, &d); err != nil || d.Issuer != iss || d.JWKSURI != iss+"/.well-known/jwks.json" {
		t.Fatalf("discovery %+v %v", d, err)
	}
	set := f.jwks(t, iss)
	if len(set.Keys) != 2 {
		t.Fatalf("JWKS has %d keys, want one per algorithm", len(set.Keys))
	}
	for _, k := range set.Keys {
		if !k.IsPublic() {
			t.Fatalf("JWKS publishes a private key %s", k.KeyID)
		}
	}
	for _, alg := range Algorithms {
		s, err := f.is.Sign(ctx, testAccount, alg, 5*time.Minute, Claims{Subject: "arn:aws:iam::123456789012:user/alice",
			Audience: []string{"https://api.example.com"}, Custom: map[string]any{"aws_account": testAccount}})
		if err != nil {
			t.Fatal(err)
		}
		c := verify(t, set, s.Token, iss, "https://api.example.com", f.now)
		if c.Subject != "arn:aws:iam::123456789012:user/alice" || !c.Expiry.Time().Equal(f.now.Add(5*time.Minute)) ||
			!c.IssuedAt.Time().Equal(f.now) {
			t.Fatalf("%s claims %+v", alg, c)
		}
		parsed, _ := jwt.ParseSigned(s.Token, []jose.SignatureAlgorithm{jose.SignatureAlgorithm(alg)})
		if parsed == nil || parsed.Headers[0].Algorithm != alg {
			t.Fatalf("%s token not signed with %s", alg, alg)
		}
		// Expired for a verifier after its lifetime.
		if err := c.ValidateWithLeeway(jwt.Expected{Time: f.now.Add(6 * time.Minute)}, 0); err == nil {
			t.Fatal("token still valid after expiry")
		}
	}
}

func TestRotationKeepsOldTokensVerifiable(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	iss, err := f.is.Enable(ctx, testAccount)
	if err != nil {
		t.Fatal(err)
	}
	old, err := f.is.Sign(ctx, testAccount, AlgRS256, time.Hour, Claims{Subject: "s", Audience: []string{"a"}})
	if err != nil {
		t.Fatal(err)
	}
	// A day later the next Sign rotates by itself.
	f.now = f.now.Add(24*time.Hour + time.Second)
	fresh, err := f.is.Sign(ctx, testAccount, AlgRS256, time.Hour, Claims{Subject: "s", Audience: []string{"a"}})
	if err != nil {
		t.Fatal(err)
	}
	kid := func(tok string) string {
		p, err := jwt.ParseSigned(tok, []jose.SignatureAlgorithm{jose.RS256})
		if err != nil {
			t.Fatal(err)
		}
		return p.Headers[0].KeyID
	}
	if kid(old.Token) == kid(fresh.Token) {
		t.Fatal("Sign did not rotate a key older than RotateEvery")
	}
	set := f.jwks(t, iss)
	if len(set.Keys) != 4 {
		t.Fatalf("JWKS has %d keys after rotation, want 2 current and 2 retired", len(set.Keys))
	}
	verify(t, set, fresh.Token, iss, "a", f.now)
	// The old token's signature still verifies from the JWKS (its expiry is the verifier's business).
	p, _ := jwt.ParseSigned(old.Token, []jose.SignatureAlgorithm{jose.RS256})
	var c jwt.Claims
	if err := p.Claims(set, &c); err != nil {
		t.Fatalf("old token no longer verifies after rotation: %v", err)
	}
	// Once every token a retired key signed has expired, the key leaves the JWKS.
	f.now = f.now.Add(retiredKeyLifetime)
	if _, err := f.is.Rotate(ctx, testAccount, false); err != nil {
		t.Fatal(err)
	}
	set = f.jwks(t, iss)
	if len(set.Keys) != 2 || len(set.Key(kid(old.Token))) != 0 {
		t.Fatalf("JWKS keeps %d keys (old key present: %v) after the retired keys' tokens expired", len(set.Keys), len(set.Key(kid(old.Token))) != 0)
	}
}

func TestSealedKeysAreBoundToTheirIssuer(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if _, err := f.is.Enable(ctx, testAccount); err != nil {
		t.Fatal(err)
	}
	// Swap the sealed RS256 key under another key ID, as someone writing to the database could: opening
	// it must fail rather than sign with a key the JWKS names differently.
	if err := f.store.Update(ctx, func(tx storage.Tx) error {
		r, err := tx.GetResource(ctx, testAccount, storage.ResourceOutboundIssuer, issuerName)
		if err != nil {
			return err
		}
		d, err := decode(r)
		if err != nil {
			return err
		}
		d.Keys[0].Sealed, d.Keys[1].Sealed = d.Keys[1].Sealed, d.Keys[0].Sealed
		if err := encode(r, d); err != nil {
			return err
		}
		return tx.UpdateResource(ctx, issuerName, r)
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.is.Sign(ctx, testAccount, AlgRS256, time.Minute, Claims{Subject: "s", Audience: []string{"a"}}); err == nil {
		t.Fatal("signed with a sealed key moved to another key ID")
	}
}

func TestPublicHandlerRefuses(t *testing.T) {
	f := newFixture(t)
	iss, err := f.is.Enable(context.Background(), testAccount)
	if err != nil {
		t.Fatal(err)
	}
	path := strings.TrimPrefix(iss, "https://iamd.example.com")
	for _, p := range []string{
		"/", "/oidc/", path, path + "/.well-known/other", path + "/.well-known/jwks.json/x",
		"/oidc/" + strings.Repeat("0", 32) + "/.well-known/jwks.json", // well formed, unknown
		"/oidc/" + strings.Repeat("a", 4096) + "/.well-known/jwks.json",
		"/oidc/ABCDEF0123456789ABCDEF0123456789/.well-known/jwks.json",
		"/oidc/'%20OR%201=1--/.well-known/jwks.json",
	} {
		if code, _ := f.get(t, p); code != http.StatusNotFound {
			t.Errorf("GET %.80s: %d, want 404", p, code)
		}
	}
	rec := httptest.NewRecorder()
	f.is.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodPost, path+"/.well-known/jwks.json", nil))
	if rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST: %d, want 405", rec.Code)
	}
}

func FuzzPublicPath(f *testing.F) {
	fx := newFixture(f)
	f.Add("/oidc/" + strings.Repeat("0", 32) + "/.well-known/jwks.json")
	f.Add("/oidc//.well-known/openid-configuration")
	f.Fuzz(func(t *testing.T, p string) {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		req.URL.Path = p
		fx.is.Handler().ServeHTTP(rec, req)
		if rec.Code != http.StatusNotFound && rec.Code != http.StatusOK {
			t.Fatalf("%q: %d", p, rec.Code)
		}
	})
}
