package outbound

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/iamd/iamd/internal/storage"
)

// IssuerPathPrefix starts the path of every issuer under the public URL: an issuer is
// PUBLIC_URL/oidc/ISSUER-ID, its documents PUBLIC_URL/oidc/ISSUER-ID/.well-known/openid-configuration and
// PUBLIC_URL/oidc/ISSUER-ID/.well-known/jwks.json (where AWS's IssuerIdentifier documentation puts them).
const IssuerPathPrefix = "/oidc/"

// CustomNamespace is the claim under which AWS nests its own claims (the IAM User Guide, "Understanding
// token claims").
const CustomNamespace = "https://sts.amazonaws.com/"

// discovery is the OpenID Provider Metadata a relying party needs to verify tokens (OpenID Connect
// Discovery 1.0, section 3). iamd signs tokens but runs no authorization endpoint; the required
// authorization_endpoint and response_types_supported are given as RFC 8414 relying parties expect of an
// issuer of workload tokens (Kubernetes' service account issuer publishes the same subset).
type discovery struct {
	Issuer                           string   `json:"issuer"`
	JWKSURI                          string   `json:"jwks_uri"`
	ResponseTypesSupported           []string `json:"response_types_supported"`
	SubjectTypesSupported            []string `json:"subject_types_supported"`
	IDTokenSigningAlgValuesSupported []string `json:"id_token_signing_alg_values_supported"`
	ClaimsSupported                  []string `json:"claims_supported"`
}

// Handler serves the issuers' public documents, without authentication: they hold public keys only.
func (is *Issuers) Handler() http.Handler {
	return http.HandlerFunc(is.serve)
}

func (is *Issuers) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	rest, ok := strings.CutPrefix(r.URL.Path, IssuerPathPrefix)
	if !ok {
		http.NotFound(w, r)
		return
	}
	id, doc, ok := strings.Cut(rest, "/")
	if !ok || !validIssuerID(id) || (doc != ".well-known/openid-configuration" && doc != ".well-known/jwks.json") {
		http.NotFound(w, r)
		return
	}
	set, err := is.publicKeys(r.Context(), id)
	if errors.Is(err, storage.ErrNotFound) {
		http.NotFound(w, r)
		return
	}
	if err != nil {
		is.o.Logger.ErrorContext(r.Context(), "serving an outbound issuer document", "issuer", id, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	var body any = set
	if doc == ".well-known/openid-configuration" {
		iss := is.IssuerURL(id)
		body = discovery{Issuer: iss, JWKSURI: iss + "/.well-known/jwks.json",
			ResponseTypesSupported: []string{"id_token"}, SubjectTypesSupported: []string{"public"},
			IDTokenSigningAlgValuesSupported: Algorithms,
			ClaimsSupported:                  []string{"aud", "exp", "iat", "iss", "jti", "nbf", "sub"}}
	}
	b, err := json.Marshal(body)
	if err != nil {
		is.o.Logger.ErrorContext(r.Context(), "encoding an outbound issuer document", "issuer", id, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age="+strconv.Itoa(publicCacheSeconds))
	_, _ = w.Write(b)
}

// validIssuerID reports whether id can be an issuer ID (32 lower-case hex digits), so that no other
// string reaches the store.
func validIssuerID(id string) bool {
	if len(id) != maxIssuerIDLen {
		return false
	}
	for i := range len(id) {
		c := id[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}
