// Package outbound is iamd's outbound web identity federation: each account that enables it gets an OpenID
// Connect issuer served by iamd itself (a discovery document and a JWKS under the public URL), and STS's
// GetWebIdentityToken signs JSON Web Tokens with the issuer's keys, which any OIDC library verifies from
// that JWKS.
//
// The issuer lives in the store as a generic resource of the account (storage.ResourceOutboundIssuer): its
// random ID is the issuer URL's last path segment, and it holds the signing keys, one current key per
// algorithm (RS256 and ES384, the two GetWebIdentityToken offers), sealed with the master key as the
// session-token key ring seals its keys, plus retired keys kept in the JWKS until every token they signed
// has expired. Nothing here is held in memory: every node reads the same issuer from the store, so a
// rotation by one node is published by all at once.
package outbound

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"github.com/google/uuid"

	"github.com/iamd/iamd/internal/storage"
	"github.com/iamd/iamd/internal/token"
)

// Signing algorithms GetWebIdentityToken accepts (its SigningAlgorithm parameter).
const (
	AlgRS256 = "RS256"
	AlgES384 = "ES384"
)

// Algorithms lists the signing algorithms in the order the discovery document names them.
var Algorithms = []string{AlgRS256, AlgES384}

// Errors of the operations; the services map them to AWS's errors.
var (
	// ErrEnabled: EnableOutboundWebIdentityFederation on an account where it is enabled.
	ErrEnabled = errors.New("outbound: federation already enabled")
	// ErrDisabled: the account has not enabled it (or disabled it).
	ErrDisabled = errors.New("outbound: federation disabled")
)

// issuerName is the Name of the single issuer resource of an account.
const issuerName = "issuer"

// Key is one signing key as stored.
type Key struct {
	ID    string         `json:"kid"`
	Alg   string         `json:"alg"`
	State token.KeyState `json:"state"` // KeyCurrent signs; KeyRetired is only published
	// Sealed is the PKCS #8 private key sealed by the master key (additional data: keyAAD).
	Sealed []byte `json:"sealed"`
	// Public is the PKIX public key, published in the JWKS without opening anything.
	Public      []byte    `json:"public"`
	ActivatedAt time.Time `json:"activated_at"`
	RetiredAt   time.Time `json:"retired_at,omitzero"`
}

// issuerData is the resource's Data.
type issuerData struct {
	Enabled bool  `json:"enabled"`
	Keys    []Key `json:"keys"`
}

// Sealer protects private keys at rest (the master key; internal/secrets provides it).
type Sealer = token.Sealer

// Options configure an Issuers.
type Options struct {
	Store  storage.Store
	Sealer Sealer
	// PublicURL is the externally visible base URL of the public listener (no trailing slash).
	PublicURL string
	// RotateEvery is how long a key signs before a new one takes over (DefaultRotateEvery).
	RotateEvery time.Duration
	Now         func() time.Time
	Logger      *slog.Logger
}

// Issuers manages the accounts' issuers.
type Issuers struct {
	o Options
}

// New returns the issuers of the store.
func New(o Options) *Issuers {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.RotateEvery <= 0 {
		o.RotateEvery = DefaultRotateEvery
	}
	o.PublicURL = strings.TrimRight(o.PublicURL, "/")
	return &Issuers{o: o}
}

// IssuerURL is the issuer identifier of the issuer with the given ID.
func (is *Issuers) IssuerURL(id string) string { return is.o.PublicURL + IssuerPathPrefix + id }

// keyAAD binds a sealed private key to its issuer and key ID, so keys cannot be swapped around in the store.
func keyAAD(issuer, kid string) []byte { return []byte("iamd/outbound-key/" + issuer + "/" + kid) }

func decode(r *storage.Resource) (issuerData, error) {
	var d issuerData
	if err := json.Unmarshal(r.Data, &d); err != nil {
		return d, fmt.Errorf("outbound: decoding issuer %s: %w", r.ID, err)
	}
	return d, nil
}

func encode(r *storage.Resource, d issuerData) error {
	b, err := json.Marshal(d)
	if err != nil {
		return fmt.Errorf("outbound: encoding issuer: %w", err)
	}
	r.Data = b
	return nil
}

// Enable turns the feature on for acct, creating its issuer (and keys) the first time, and returns the
// issuer URL. An account keeps its issuer across Disable and Enable, so relying parties keep trusting it.
func (is *Issuers) Enable(ctx context.Context, acct string) (string, error) {
	var url string
	err := is.o.Store.Update(ctx, func(tx storage.Tx) error {
		r, err := tx.GetResource(ctx, acct, storage.ResourceOutboundIssuer, issuerName)
		create := errors.Is(err, storage.ErrNotFound)
		if create {
			r = &storage.Resource{AccountID: acct, Kind: storage.ResourceOutboundIssuer, Name: issuerName, Path: "/",
				ID: strings.ReplaceAll(uuid.NewString(), "-", ""), CreatedAt: is.o.Now().UTC(), Data: []byte("{}")}
		} else if err != nil {
			return err
		}
		d, err := decode(r)
		if err != nil {
			return err
		}
		if d.Enabled {
			return ErrEnabled
		}
		d.Enabled = true
		if d, _, err = is.plan(r.ID, d, false); err != nil {
			return err
		}
		if err := encode(r, d); err != nil {
			return err
		}
		url = is.IssuerURL(r.ID)
		if !create {
			return tx.UpdateResource(ctx, issuerName, r)
		}
		err = tx.CreateResource(ctx, r)
		if errors.Is(err, storage.ErrAlreadyExists) {
			return ErrEnabled // another node enabled it at the same moment
		}
		return err
	})
	return url, err
}

// Disable turns the feature off: no token is signed any more, but the issuer's documents stay published
// so that tokens signed before keep verifying until they expire.
func (is *Issuers) Disable(ctx context.Context, acct string) error {
	return is.o.Store.Update(ctx, func(tx storage.Tx) error {
		r, d, err := getIssuer(ctx, tx, acct)
		if err != nil {
			return err
		}
		if !d.Enabled {
			return ErrDisabled
		}
		d.Enabled = false
		return putIssuer(ctx, tx, r, d)
	})
}

// Info returns the issuer URL of acct and whether tokens may be signed; ErrDisabled when the account never
// enabled the feature.
func (is *Issuers) Info(ctx context.Context, acct string) (url string, enabled bool, err error) {
	err = is.o.Store.View(ctx, func(tx storage.Tx) error {
		r, d, err := getIssuer(ctx, tx, acct)
		if err != nil {
			return err
		}
		url, enabled = is.IssuerURL(r.ID), d.Enabled
		return nil
	})
	return url, enabled, err
}

// Rotate brings acct's keys up to date (a new key for each algorithm whose current key has signed for
// RotateEvery, or at once with force; retired keys dropped once every token they signed has expired) and
// reports whether it changed anything.
func (is *Issuers) Rotate(ctx context.Context, acct string, force bool) (bool, error) {
	changed := false
	err := is.o.Store.Update(ctx, func(tx storage.Tx) error {
		r, d, err := getIssuer(ctx, tx, acct)
		if err != nil {
			return err
		}
		if d, changed, err = is.plan(r.ID, d, force); err != nil || !changed {
			return err
		}
		return putIssuer(ctx, tx, r, d)
	})
	return changed, err
}

// current returns the index of the key signing with alg, or -1.
func (d issuerData) current(alg string) int {
	return slices.IndexFunc(d.Keys, func(k Key) bool { return k.Alg == alg && k.State == token.KeyCurrent })
}

// rotationDue reports whether d needs a rotation at now.
func (is *Issuers) rotationDue(d issuerData, now time.Time) bool {
	for _, alg := range Algorithms {
		i := d.current(alg)
		if i < 0 || !now.Before(d.Keys[i].ActivatedAt.Add(is.o.RotateEvery)) {
			return true
		}
	}
	return slices.ContainsFunc(d.Keys, func(k Key) bool { return k.spent(now) })
}

// spent reports whether k is a retired key every token of which has expired at now: it leaves the JWKS.
func (k Key) spent(now time.Time) bool {
	return k.State == token.KeyRetired && !now.Before(k.RetiredAt.Add(retiredKeyLifetime))
}

// plan computes the keys of the issuer at the current time, as token.KeyRing plans its ring: a current
// key that has signed long enough retires, retired keys live on (published) until the tokens they signed
// have expired.
func (is *Issuers) plan(issuer string, d issuerData, force bool) (issuerData, bool, error) {
	now := is.o.Now().UTC()
	if !force && !is.rotationDue(d, now) {
		return d, false, nil
	}
	d.Keys = slices.Clone(d.Keys)
	for _, alg := range Algorithms {
		i := d.current(alg)
		if i >= 0 && !force && now.Before(d.Keys[i].ActivatedAt.Add(is.o.RotateEvery)) {
			continue
		}
		if i >= 0 {
			d.Keys[i].State, d.Keys[i].RetiredAt = token.KeyRetired, now
		}
		k, err := is.newKey(issuer, alg, now)
		if err != nil {
			return d, false, err
		}
		d.Keys = append(d.Keys, k)
	}
	d.Keys = slices.DeleteFunc(d.Keys, func(k Key) bool { return k.spent(now) })
	return d, true, nil
}

func (is *Issuers) newKey(issuer, alg string, now time.Time) (Key, error) {
	var priv crypto.Signer
	var err error
	switch alg {
	case AlgRS256:
		priv, err = rsa.GenerateKey(rand.Reader, rsaKeyBits)
	case AlgES384:
		priv, err = ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	default:
		return Key{}, fmt.Errorf("outbound: unknown algorithm %q", alg)
	}
	if err != nil {
		return Key{}, fmt.Errorf("outbound: new %s key: %w", alg, err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return Key{}, fmt.Errorf("outbound: encoding %s key: %w", alg, err)
	}
	pub, err := x509.MarshalPKIXPublicKey(priv.Public())
	if err != nil {
		return Key{}, fmt.Errorf("outbound: encoding %s public key: %w", alg, err)
	}
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return Key{}, fmt.Errorf("outbound: new key ID: %w", err)
	}
	kid := hex.EncodeToString(b[:])
	sealed, err := is.o.Sealer.Seal(der, keyAAD(issuer, kid))
	if err != nil {
		return Key{}, fmt.Errorf("outbound: sealing %s key: %w", alg, err)
	}
	return Key{ID: kid, Alg: alg, State: token.KeyCurrent, Sealed: sealed, Public: pub, ActivatedAt: now}, nil
}

// Claims are what GetWebIdentityToken puts in a token besides the registered claims.
type Claims struct {
	Subject  string
	Audience []string
	// Custom are the AWS-specific claims, nested under CustomNamespace.
	Custom map[string]any
}

// Signed is a signed token and its times.
type Signed struct {
	Token     string
	IssuedAt  time.Time
	ExpiresAt time.Time
}

// Sign signs a token for acct with alg, valid for d from now; ErrDisabled when the account has not
// enabled the feature. It writes to the store only when a rotation is due.
func (is *Issuers) Sign(ctx context.Context, acct, alg string, d time.Duration, c Claims) (*Signed, error) {
	r, data, err := is.load(ctx, acct)
	if err != nil {
		return nil, err
	}
	if !data.Enabled {
		return nil, ErrDisabled
	}
	now := is.o.Now().UTC().Truncate(time.Second)
	if is.rotationDue(data, now) {
		if _, err := is.Rotate(ctx, acct, false); err != nil {
			return nil, err
		}
		if r, data, err = is.load(ctx, acct); err != nil {
			return nil, err
		}
	}
	i := data.current(alg)
	if i < 0 {
		return nil, fmt.Errorf("outbound: issuer %s has no current %s key", r.ID, alg)
	}
	k := data.Keys[i]
	der, err := is.o.Sealer.Open(k.Sealed, keyAAD(r.ID, k.ID))
	if err != nil {
		return nil, fmt.Errorf("outbound: opening key %s: %w", k.ID, err)
	}
	priv, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("outbound: parsing key %s: %w", k.ID, err)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.SignatureAlgorithm(alg), Key: priv},
		(&jose.SignerOptions{}).WithType("JWT").WithHeader(jose.HeaderKey("kid"), k.ID))
	if err != nil {
		return nil, fmt.Errorf("outbound: signer: %w", err)
	}
	exp := now.Add(d)
	jti := make([]byte, 16)
	if _, err := rand.Read(jti); err != nil {
		return nil, fmt.Errorf("outbound: token ID: %w", err)
	}
	std := jwt.Claims{Issuer: is.IssuerURL(r.ID), Subject: c.Subject, Audience: jwt.Audience(c.Audience),
		IssuedAt: jwt.NewNumericDate(now), NotBefore: jwt.NewNumericDate(now), Expiry: jwt.NewNumericDate(exp),
		ID: hex.EncodeToString(jti)}
	b := jwt.Signed(signer).Claims(std)
	if len(c.Custom) > 0 {
		b = b.Claims(map[string]any{CustomNamespace: c.Custom})
	}
	tok, err := b.Serialize()
	if err != nil {
		return nil, fmt.Errorf("outbound: signing: %w", err)
	}
	return &Signed{Token: tok, IssuedAt: now, ExpiresAt: exp}, nil
}

func (is *Issuers) load(ctx context.Context, acct string) (r *storage.Resource, d issuerData, err error) {
	err = is.o.Store.View(ctx, func(tx storage.Tx) error {
		r, d, err = getIssuer(ctx, tx, acct)
		return err
	})
	return r, d, err
}

// getIssuer reads acct's issuer; ErrDisabled when the account never enabled the feature.
func getIssuer(ctx context.Context, tx storage.Tx, acct string) (*storage.Resource, issuerData, error) {
	r, err := tx.GetResource(ctx, acct, storage.ResourceOutboundIssuer, issuerName)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, issuerData{}, ErrDisabled
	}
	if err != nil {
		return nil, issuerData{}, err
	}
	d, err := decode(r)
	return r, d, err
}

// putIssuer writes d back into the issuer r.
func putIssuer(ctx context.Context, tx storage.Tx, r *storage.Resource, d issuerData) error {
	if err := encode(r, d); err != nil {
		return err
	}
	return tx.UpdateResource(ctx, issuerName, r)
}

// publicKeys returns the JWKS of the issuer with the given ID; storage.ErrNotFound if there is none.
func (is *Issuers) publicKeys(ctx context.Context, id string) (jose.JSONWebKeySet, error) {
	var set jose.JSONWebKeySet
	err := is.o.Store.View(ctx, func(tx storage.Tx) error {
		r, err := tx.GetResourceByID(ctx, storage.ResourceOutboundIssuer, id)
		if err != nil {
			return err
		}
		d, err := decode(r)
		if err != nil {
			return err
		}
		for _, k := range d.Keys {
			pub, err := x509.ParsePKIXPublicKey(k.Public)
			if err != nil {
				return fmt.Errorf("outbound: public key %s: %w", k.ID, err)
			}
			set.Keys = append(set.Keys, jose.JSONWebKey{Key: pub, KeyID: k.ID, Algorithm: k.Alg, Use: "sig"})
		}
		return nil
	})
	return set, err
}
