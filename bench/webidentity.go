package main

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1" //nolint:gosec // AWS's thumbprints are SHA-1 fingerprints
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// benchWebRole is the role the webidentity mix assumes with a token of the load tool's own OIDC issuer.
const benchWebRole = "bench-web-role"

// benchIssuer is a local OpenID Connect issuer on loopback (httptest's self-signed certificate, which the
// target trusts by its thumbprint), serving its discovery document and JWKS and counting the requests: with
// keys cached, a run of the mix makes none.
type benchIssuer struct {
	srv        *httptest.Server
	url        string
	thumbprint string
	token      string
}

func startBenchIssuer() (*benchIssuer, error) {
	// RS256 with a 2048-bit key: what GitHub Actions and Kubernetes (EKS) sign their tokens with.
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	is := &benchIssuer{}
	is.srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/.well-known/openid-configuration":
			_ = json.NewEncoder(w).Encode(map[string]string{"issuer": is.url, "jwks_uri": is.url + "/keys"})
		case "/keys":
			_ = json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: key.Public(), KeyID: "bench", Use: "sig", Algorithm: "RS256"}}})
		default:
			http.NotFound(w, r)
		}
	}))
	is.url = is.srv.URL
	sum := sha1.Sum(is.srv.Certificate().Raw) //nolint:gosec // see the import
	is.thumbprint = hex.EncodeToString(sum[:])
	sig, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: key}, (&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", "bench"))
	if err != nil {
		return nil, err
	}
	now := time.Now()
	is.token, err = jwt.Signed(sig).Claims(map[string]any{"iss": is.url, "sub": "system:serviceaccount:bench:load",
		"aud": "sts.amazonaws.com", "iat": now.Unix(), "exp": now.Add(12 * time.Hour).Unix()}).Serialize()
	if err != nil {
		return nil, fmt.Errorf("signing the bench token: %w", err)
	}
	return is, nil
}

// provider is the issuer's provider name (its URL without https://).
func (is *benchIssuer) provider() string { return strings.TrimPrefix(is.url, "https://") }

// webTrustPolicyDocument lets the issuer's tokens for the bench service account assume bench-web-role.
func webTrustPolicyDocument(account, provider string) string {
	return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::` + account +
		`:oidc-provider/` + provider + `"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"` +
		provider + `:aud":"sts.amazonaws.com","` + provider + `:sub":"system:serviceaccount:bench:load"}}}]}`
}
