// Package samlmeta reads the SAML 2.0 metadata documents of IAM SAML providers and defines what iamd stores
// for a provider, so that the STS federation (AssumeRoleWithSAML) can verify assertions against the
// provider's signing certificates without parsing its metadata again.
//
// # Stored shape
//
// A SAML provider is a storage.Resource of kind storage.ResourceSAMLProvider whose Data is the JSON of
// Provider:
//
//	{
//	  "uuid":          "SAMLProviderUUID (26 characters A-Z2-7, also the resource ID)",
//	  "metadata":      "the metadata document exactly as uploaded (GetSAMLProvider returns it)",
//	  "entity_id":     "the entityID of the EntityDescriptor: the Issuer its assertions must name",
//	  "valid_until":   "RFC 3339 time: validUntil of the metadata, or creation + 100 years",
//	  "signing_certs": ["base64 DER of each signing certificate of the IDPSSODescriptor", ...],
//	  "assertion_encryption_mode": "Allowed" | "Required",
//	  "private_keys":  [{"key_id": "...", "created_at": "...", "sealed": "base64 AES-GCM box"}]
//	}
//
// signing_certs hold the certificates of the KeyDescriptors whose use is "signing" or unspecified
// (saml-metadata-2.0-os §2.4.1.1: unspecified means both), in document order, without duplicates; each
// parsed with crypto/x509 when stored, so Provider.Certificates cannot fail on a stored provider. Private
// keys (for decrypting encrypted assertions) are sealed with the master key, associated data
// PrivateKeyAssociatedData(uuid, keyID), and only ever returned to iamd itself (OpenPrivateKey).
package samlmeta

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base32"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/crewjam/saml/samlsp"

	"github.com/iamd/iamd/internal/xmlbound"
)

// Limits on the work one metadata document may cause. The document itself is 1,000-10,000,000 characters
// (the model's SAMLMetadataDocumentType); these bound what parsing builds from it.
const (
	// MaxDepth bounds element nesting. Real metadata nests about 10 deep (EntitiesDescriptor,
	// EntityDescriptor, IDPSSODescriptor, KeyDescriptor, KeyInfo, X509Data, X509Certificate; or a
	// Signature's SignedInfo, Reference, Transforms, Transform, InclusiveNamespaces); deeper documents are
	// refused before the structure is built, so recursion in the XML libraries stays shallow.
	MaxDepth = 32

	// MaxElements bounds the elements of one document. The largest real IdP metadata (AD FS, with its
	// list of offered claim types) has a few hundred; the cap leaves room for aggregates of a few
	// entities while bounding the tree the signature-aware parser builds.
	MaxElements = 20_000

	// MaxSigningCertificates is AWS's quota "Keys per SAML provider" (IAM and AWS STS quotas).
	MaxSigningCertificates = 10

	// MaxPrivateKeys is the model's bound on PrivateKeyList: two keys, so one can be rotated.
	MaxPrivateKeys = 2

	// DefaultValidity is how long a provider is valid when its metadata gives no validUntil.
	DefaultValidity = 100 * 365 * 24 * time.Hour
)

// Encryption modes (the model's assertionEncryptionModeType).
const (
	EncryptionAllowed  = "Allowed"
	EncryptionRequired = "Required"
)

// Errors of ParseMetadata and ParsePrivateKey.
var (
	// ErrMalformed: the document is not SAML metadata iamd can use (not XML, no EntityDescriptor with an
	// IDPSSODescriptor, no entity ID, no usable signing certificate, too deep or too large a tree).
	ErrMalformed = errors.New("samlmeta: could not parse metadata")
	// ErrTooManyKeys: more signing certificates than MaxSigningCertificates.
	ErrTooManyKeys = errors.New("samlmeta: too many signing keys")
	// ErrBadPrivateKey: the text is not a PEM private key of a type SAML assertion decryption uses.
	ErrBadPrivateKey = errors.New("samlmeta: invalid private key")
)

// Metadata is what a metadata document tells IAM.
type Metadata struct {
	EntityID     string
	ValidUntil   time.Time // zero when the document sets none
	SigningCerts [][]byte  // DER
}

// ParseMetadata reads a metadata document: an EntityDescriptor (or an EntitiesDescriptor holding exactly
// one identity provider) with an IDPSSODescriptor, its entity ID, validUntil and signing certificates.
// It never resolves external entities (encoding/xml does not) and refuses document type declarations.
func ParseMetadata(doc string) (*Metadata, error) {
	if err := checkStructure(doc); err != nil {
		return nil, err
	}
	ed, err := samlsp.ParseMetadata([]byte(doc))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	if strings.TrimSpace(ed.EntityID) == "" || len(ed.IDPSSODescriptors) == 0 {
		return nil, ErrMalformed
	}
	m := &Metadata{EntityID: strings.TrimSpace(ed.EntityID), ValidUntil: ed.ValidUntil}
	for _, idp := range ed.IDPSSODescriptors {
		for _, kd := range idp.KeyDescriptors {
			if kd.Use != "" && kd.Use != "signing" {
				continue
			}
			for _, c := range kd.KeyInfo.X509Data.X509Certificates {
				der, err := base64.StdEncoding.DecodeString(stripSpace(c.Data))
				if err != nil {
					return nil, fmt.Errorf("%w: certificate: %w", ErrMalformed, err)
				}
				if _, err := x509.ParseCertificate(der); err != nil {
					return nil, fmt.Errorf("%w: certificate: %w", ErrMalformed, err)
				}
				if !containsDER(m.SigningCerts, der) {
					m.SigningCerts = append(m.SigningCerts, der)
				}
				if len(m.SigningCerts) > MaxSigningCertificates {
					return nil, ErrTooManyKeys
				}
			}
		}
	}
	if len(m.SigningCerts) == 0 {
		return nil, fmt.Errorf("%w: no signing certificate", ErrMalformed)
	}
	return m, nil
}

// checkStructure checks the document's shape before anything is built from it (xmlbound): well-formed
// XML, no DTD, nesting within MaxDepth, at most MaxElements elements.
func checkStructure(doc string) error {
	if err := xmlbound.Check(doc, MaxDepth, MaxElements); err != nil {
		return fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	return nil
}

func stripSpace(s string) string {
	return strings.Map(func(r rune) rune {
		if r == ' ' || r == '\t' || r == '\n' || r == '\r' {
			return -1
		}
		return r
	}, s)
}

func containsDER(list [][]byte, der []byte) bool {
	for _, d := range list {
		if bytes.Equal(d, der) {
			return true
		}
	}
	return false
}

// Provider is the stored form of a SAML provider (storage.Resource.Data); see the package documentation.
type Provider struct {
	UUID           string       `json:"uuid"`
	Metadata       string       `json:"metadata"`
	EntityID       string       `json:"entity_id"`
	ValidUntil     time.Time    `json:"valid_until"`
	SigningCerts   [][]byte     `json:"signing_certs"`
	EncryptionMode string       `json:"assertion_encryption_mode"`
	PrivateKeys    []PrivateKey `json:"private_keys,omitempty"`
}

// PrivateKey is a sealed assertion-decryption key of a provider.
type PrivateKey struct {
	KeyID     string    `json:"key_id"`
	CreatedAt time.Time `json:"created_at"`
	Sealed    []byte    `json:"sealed"`
}

// Decode reads a stored provider.
func Decode(data []byte) (*Provider, error) {
	p := new(Provider)
	if err := json.Unmarshal(data, p); err != nil {
		return nil, fmt.Errorf("samlmeta: decoding stored provider: %w", err)
	}
	return p, nil
}

// Encode is the stored form of p.
func (p *Provider) Encode() ([]byte, error) { return json.Marshal(p) }

// SetMetadata replaces the provider's document and what was read from it. created is the provider's
// creation time, from which a document without validUntil is valid for DefaultValidity.
func (p *Provider) SetMetadata(doc string, m *Metadata, created time.Time) {
	p.Metadata, p.EntityID, p.SigningCerts = doc, m.EntityID, m.SigningCerts
	p.ValidUntil = m.ValidUntil.UTC()
	if m.ValidUntil.IsZero() {
		p.ValidUntil = created.UTC().Add(DefaultValidity)
	}
}

// Certificates returns the provider's signing certificates, parsed.
func (p *Provider) Certificates() ([]*x509.Certificate, error) {
	out := make([]*x509.Certificate, 0, len(p.SigningCerts))
	for _, der := range p.SigningCerts {
		c, err := x509.ParseCertificate(der)
		if err != nil {
			return nil, fmt.Errorf("samlmeta: stored signing certificate: %w", err)
		}
		out = append(out, c)
	}
	return out, nil
}

// PrivateKeyAssociatedData binds a sealed private key to its provider and key ID, so sealed keys cannot be
// moved between providers.
func PrivateKeyAssociatedData(providerUUID, keyID string) []byte {
	return []byte("saml-private-key:" + providerUUID + ":" + keyID)
}

// Opener opens sealed secrets (*secrets.Sealer).
type Opener interface {
	Open(sealed, associatedData []byte) ([]byte, error)
}

// OpenPrivateKey returns the provider's private key keyID, parsed (for assertion decryption).
func (p *Provider) OpenPrivateKey(o Opener, keyID string) (crypto.PrivateKey, error) {
	for _, k := range p.PrivateKeys {
		if k.KeyID != keyID {
			continue
		}
		plain, err := o.Open(k.Sealed, PrivateKeyAssociatedData(p.UUID, k.KeyID))
		if err != nil {
			return nil, fmt.Errorf("samlmeta: opening private key %s: %w", keyID, err)
		}
		key, _, err := ParsePrivateKey(string(plain))
		return key, err
	}
	return nil, fmt.Errorf("samlmeta: no private key %s", keyID)
}

var keyIDEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// ParsePrivateKey reads a PEM private key (PKCS #8, PKCS #1 RSA or SEC 1 EC) and returns it with its key
// ID: the first 26 characters of the base32 SHA-256 of its public key (the model's privateKeyIdType is
// 22-64 characters of A-Z0-9), so the same key always has the same ID.
func ParsePrivateKey(text string) (crypto.PrivateKey, string, error) {
	block, _ := pem.Decode([]byte(text))
	if block == nil {
		return nil, "", ErrBadPrivateKey
	}
	var key crypto.PrivateKey
	var err error
	switch block.Type {
	case "PRIVATE KEY":
		key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	case "RSA PRIVATE KEY":
		key, err = x509.ParsePKCS1PrivateKey(block.Bytes)
	case "EC PRIVATE KEY":
		key, err = x509.ParseECPrivateKey(block.Bytes)
	default:
		return nil, "", ErrBadPrivateKey
	}
	if err != nil {
		return nil, "", fmt.Errorf("%w: %w", ErrBadPrivateKey, err)
	}
	var pub any
	switch k := key.(type) {
	case *rsa.PrivateKey:
		pub = &k.PublicKey
	case *ecdsa.PrivateKey:
		pub = &k.PublicKey
	default:
		// Assertions are encrypted to RSA (key transport) or EC (key agreement) keys only.
		return nil, "", ErrBadPrivateKey
	}
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, "", fmt.Errorf("%w: %w", ErrBadPrivateKey, err)
	}
	sum := sha256.Sum256(der)
	return key, keyIDEncoding.EncodeToString(sum[:])[:26], nil
}

// NewUUID returns a random SAMLProviderUUID (26 characters of A-Z2-7: 130 random bits).
func NewUUID(random io.Reader) (string, error) {
	var b [17]byte
	if _, err := io.ReadFull(random, b[:]); err != nil {
		return "", fmt.Errorf("samlmeta: random: %w", err)
	}
	return keyIDEncoding.EncodeToString(b[:])[:26], nil
}
