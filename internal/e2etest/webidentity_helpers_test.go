package e2etest

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1" //nolint:gosec // AWS's thumbprints are SHA-1 fingerprints
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// oidcIssuer is a local OpenID Connect issuer: an HTTPS server with httptest's self-signed certificate
// serving a discovery document and a JWKS, and signing tokens with its keys.
type oidcIssuer struct {
	srv      *httptest.Server
	URL      string // the issuer, https://127.0.0.1:PORT
	requests atomic.Int64
	mu       sync.Mutex
	keys     map[string]crypto.Signer // by kid, served in the JWKS
	algs     map[string]jose.SignatureAlgorithm
}

func newOIDCIssuer(t testing.TB) *oidcIssuer {
	t.Helper()
	is := &oidcIssuer{keys: map[string]crypto.Signer{}, algs: map[string]jose.SignatureAlgorithm{}}
	rk, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ek, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	is.keys["rsa1"], is.algs["rsa1"] = rk, jose.RS256
	is.keys["ec1"], is.algs["ec1"] = ek, jose.ES256
	is.srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		is.requests.Add(1)
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/.well-known/openid-configuration":
			_ = json.NewEncoder(w).Encode(map[string]string{"issuer": is.URL, "jwks_uri": is.URL + "/keys"})
		case "/keys":
			is.mu.Lock()
			var set jose.JSONWebKeySet
			for kid, k := range is.keys {
				set.Keys = append(set.Keys, jose.JSONWebKey{Key: k.Public(), KeyID: kid, Use: "sig", Algorithm: string(is.algs[kid])})
			}
			is.mu.Unlock()
			_ = json.NewEncoder(w).Encode(set)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(is.srv.Close)
	is.URL = is.srv.URL
	return is
}

// Thumbprint is the SHA-1 thumbprint of the issuer's (self-signed) certificate.
func (is *oidcIssuer) Thumbprint() string {
	sum := sha1.Sum(is.srv.Certificate().Raw) //nolint:gosec // see the import
	return hex.EncodeToString(sum[:])
}

// Host is the issuer without https://, the provider's name.
func (is *oidcIssuer) Host() string { return strings.TrimPrefix(is.URL, "https://") }

// ProviderARN is the provider's ARN in account.
func (is *oidcIssuer) ProviderARN(account string) string {
	return "arn:aws:iam::" + account + ":oidc-provider/" + is.Host()
}

// claims are a token's claims: standard ones with defaults filled in by sign.
type claims map[string]any

// sign signs c with the key kid (its algorithm), filling in iss, exp, iat when absent.
func (is *oidcIssuer) sign(t testing.TB, kid string, c claims) string {
	t.Helper()
	is.mu.Lock()
	k, alg := is.keys[kid], is.algs[kid]
	is.mu.Unlock()
	return signWith(t, k, alg, kid, is.fill(c))
}

func (is *oidcIssuer) fill(c claims) claims {
	now := time.Now()
	out := claims{"iss": is.URL, "sub": "repo:octo/app:ref:refs/heads/main", "aud": "sts.amazonaws.com",
		"iat": now.Unix(), "exp": now.Add(10 * time.Minute).Unix()}
	for k, v := range c {
		if v == nil {
			delete(out, k)
		} else {
			out[k] = v
		}
	}
	return out
}

func signWith(t testing.TB, key any, alg jose.SignatureAlgorithm, kid string, c claims) string {
	t.Helper()
	opts := (&jose.SignerOptions{}).WithType("JWT")
	if kid != "" {
		opts = opts.WithHeader("kid", kid)
	}
	sig, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key}, opts)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := jwt.Signed(sig).Claims(map[string]any(c)).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// webIdentityTrust is a trust policy letting provider's tokens assume the role, with conditions.
func webIdentityTrust(providerARN string, cond map[string]any) string {
	st := map[string]any{"Effect": "Allow", "Principal": map[string]any{"Federated": providerARN},
		"Action": []string{"sts:AssumeRoleWithWebIdentity", "sts:TagSession", "sts:SetSourceIdentity"}}
	if cond != nil {
		st["Condition"] = cond
	}
	b, _ := json.Marshal(map[string]any{"Version": "2012-10-17", "Statement": []any{st}})
	return string(b)
}

// webIdentitySetup registers is as a provider (trusted by its thumbprint, with client ID
// sts.amazonaws.com) in the test account, and creates role name trusting it with cond.
func webIdentitySetup(t testing.TB, s *Server, is *oidcIssuer, name string, cond map[string]any) string {
	t.Helper()
	ctx := context.Background()
	c := s.IAM(RootCreds())
	if _, err := c.CreateOpenIDConnectProvider(ctx, &iam.CreateOpenIDConnectProviderInput{Url: aws.String(is.URL),
		ClientIDList: []string{"sts.amazonaws.com"}, ThumbprintList: []string{is.Thumbprint()}}); err != nil &&
		!strings.Contains(err.Error(), "EntityAlreadyExists") {
		t.Fatalf("CreateOpenIDConnectProvider: %v", err)
	}
	out, err := c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(name),
		AssumeRolePolicyDocument: aws.String(webIdentityTrust(is.ProviderARN(AccountID), cond))})
	if err != nil {
		t.Fatalf("CreateRole: %v", err)
	}
	return aws.ToString(out.Role.Arn)
}
