// Package samlidp is a SAML identity provider for tests: an RSA key with a self-signed certificate, its
// metadata document, and signed responses for AssumeRoleWithSAML built from an Assertion description
// that tests may bend to build attacks.
package samlidp

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"math/big"
	"testing"
	"time"

	"github.com/beevik/etree"
	"github.com/crewjam/saml/xmlenc"
	dsig "github.com/russellhaering/goxmldsig"

	"github.com/iamd/iamd/internal/samlmeta/samltest"
)

// IdP signs assertions with Key; CertDER is its certificate, published in Metadata.
type IdP struct {
	EntityID string
	Key      *rsa.PrivateKey
	CertDER  []byte
}

// New returns an IdP with a fresh 2048-bit RSA key and a self-signed certificate.
func New(t testing.TB, entityID string) *IdP {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: entityID},
		NotBefore:    time.Now().Add(-24 * time.Hour),
		NotAfter:     time.Now().Add(365 * 24 * time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return &IdP{EntityID: entityID, Key: key, CertDER: der}
}

// Metadata is the IdP's metadata document (for CreateSAMLProvider).
func (p *IdP) Metadata() string {
	return samltest.Document(samltest.Options{EntityID: p.EntityID, Signing: [][]byte{p.CertDER}})
}

// Assertion describes one assertion.
type Assertion struct {
	ID           string
	Issuer       string // the IdP's entity ID when empty
	NameID       string
	NameIDFormat string
	Audience     string // https://signin.aws.amazon.com/saml when empty
	Recipient    string // Audience when empty
	IssueInstant time.Time
	NotBefore    time.Time
	NotOnOrAfter time.Time
	// SessionNotOnOrAfter, when set, is written in an AuthnStatement.
	SessionNotOnOrAfter time.Time
	// Attributes by name, in order of Names (or sorted by map order when Names is nil).
	Attributes map[string][]string
	Names      []string
}

// Sign says what carries the signature.
type Sign int

// What to sign.
const (
	SignAssertion Sign = iota
	SignResponse
	SignBoth
	SignNone
)

// AssertionElement builds a (not yet signed) saml:Assertion element.
func (p *IdP) AssertionElement(a Assertion) *etree.Element {
	if a.Issuer == "" {
		a.Issuer = p.EntityID
	}
	if a.Audience == "" {
		a.Audience = "https://signin.aws.amazon.com/saml"
	}
	if a.Recipient == "" {
		a.Recipient = a.Audience
	}
	if a.ID == "" {
		a.ID = "_" + randomID()
	}
	if a.NameIDFormat == "" {
		a.NameIDFormat = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"
	}
	ts := func(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }
	el := etree.NewElement("saml:Assertion")
	el.CreateAttr("xmlns:saml", "urn:oasis:names:tc:SAML:2.0:assertion")
	el.CreateAttr("ID", a.ID)
	el.CreateAttr("Version", "2.0")
	el.CreateAttr("IssueInstant", ts(a.IssueInstant))
	el.CreateElement("saml:Issuer").SetText(a.Issuer)
	subj := el.CreateElement("saml:Subject")
	nid := subj.CreateElement("saml:NameID")
	nid.CreateAttr("Format", a.NameIDFormat)
	nid.SetText(a.NameID)
	sc := subj.CreateElement("saml:SubjectConfirmation")
	sc.CreateAttr("Method", "urn:oasis:names:tc:SAML:2.0:cm:bearer")
	scd := sc.CreateElement("saml:SubjectConfirmationData")
	scd.CreateAttr("NotOnOrAfter", ts(a.NotOnOrAfter))
	scd.CreateAttr("Recipient", a.Recipient)
	cond := el.CreateElement("saml:Conditions")
	cond.CreateAttr("NotBefore", ts(a.NotBefore))
	cond.CreateAttr("NotOnOrAfter", ts(a.NotOnOrAfter))
	cond.CreateElement("saml:AudienceRestriction").CreateElement("saml:Audience").SetText(a.Audience)
	if !a.SessionNotOnOrAfter.IsZero() {
		as := el.CreateElement("saml:AuthnStatement")
		as.CreateAttr("AuthnInstant", ts(a.IssueInstant))
		as.CreateAttr("SessionNotOnOrAfter", ts(a.SessionNotOnOrAfter))
		as.CreateElement("saml:AuthnContext").CreateElement("saml:AuthnContextClassRef").SetText("urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport")
	}
	st := el.CreateElement("saml:AttributeStatement")
	names := a.Names
	if names == nil {
		for n := range a.Attributes {
			names = append(names, n)
		}
	}
	for _, n := range names {
		at := st.CreateElement("saml:Attribute")
		at.CreateAttr("Name", n)
		for _, v := range a.Attributes[n] {
			at.CreateElement("saml:AttributeValue").SetText(v)
		}
	}
	return el
}

// SignElement signs el (enveloped, exclusive c14n, RSA-SHA256) with key and cert, and puts the
// Signature right after the Issuer as the SAML schema wants it.
func SignElement(t testing.TB, el *etree.Element, key crypto.Signer, certDER []byte) *etree.Element {
	t.Helper()
	signed, err := SignWith(el, key, certDER)
	if err != nil {
		t.Fatal(err)
	}
	return signed
}

// SignWith is SignElement for programs that are not tests (test/e2e's signing helper).
func SignWith(el *etree.Element, key crypto.Signer, certDER []byte) (*etree.Element, error) {
	ctx, err := dsig.NewSigningContext(key, [][]byte{certDER})
	if err != nil {
		return nil, err
	}
	ctx.Canonicalizer = dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList("")
	signed, err := ctx.SignEnveloped(el)
	if err != nil {
		return nil, err
	}
	// goxmldsig appends the Signature without indexing it for etree: reparse before moving it.
	if signed, err = reparse(signed); err != nil {
		return nil, err
	}
	sig := signed.ChildElements()[len(signed.ChildElements())-1]
	signed.RemoveChild(sig)
	signed.InsertChildAt(1, sig) // after Issuer
	return signed, nil
}

func reparse(el *etree.Element) (*etree.Element, error) {
	doc := etree.NewDocument()
	doc.SetRoot(el)
	b, err := doc.WriteToBytes()
	if err != nil {
		return nil, err
	}
	doc = etree.NewDocument()
	if err := doc.ReadFromBytes(b); err != nil {
		return nil, err
	}
	return doc.Root(), nil
}

// ResponseElement wraps assertion (already signed or not) in a samlp:Response.
func (p *IdP) ResponseElement(assertion *etree.Element) *etree.Element {
	r := etree.NewElement("samlp:Response")
	r.CreateAttr("xmlns:samlp", "urn:oasis:names:tc:SAML:2.0:protocol")
	r.CreateAttr("xmlns:saml", "urn:oasis:names:tc:SAML:2.0:assertion")
	r.CreateAttr("ID", "_"+randomID())
	r.CreateAttr("Version", "2.0")
	r.CreateAttr("IssueInstant", time.Now().UTC().Format(time.RFC3339))
	r.CreateAttr("Destination", "https://signin.aws.amazon.com/saml")
	r.CreateElement("saml:Issuer").SetText(p.EntityID)
	r.CreateElement("samlp:Status").CreateElement("samlp:StatusCode").CreateAttr("Value", "urn:oasis:names:tc:SAML:2.0:status:Success")
	if assertion != nil {
		r.AddChild(assertion)
	}
	return r
}

// Response returns the base64 SAMLResponse for a, signed as s says.
func (p *IdP) Response(t testing.TB, a Assertion, s Sign) string {
	t.Helper()
	el := p.AssertionElement(a)
	if s == SignAssertion || s == SignBoth {
		el = SignElement(t, el, p.Key, p.CertDER)
	}
	r := p.ResponseElement(el)
	if s == SignResponse || s == SignBoth {
		r = SignElement(t, r, p.Key, p.CertDER)
	}
	return Encode(t, r)
}

// Encode serializes el as a document and base64-encodes it.
func Encode(t testing.TB, el *etree.Element) string {
	t.Helper()
	out, err := EncodeElement(el)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// EncodeElement is Encode for programs that are not tests.
func EncodeElement(el *etree.Element) (string, error) {
	doc := etree.NewDocument()
	doc.SetRoot(el)
	b, err := doc.WriteToBytes()
	if err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(b), nil
}

func randomID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	return fmt.Sprintf("%x", b)
}

// Encrypt wraps a (signed) assertion in a saml:EncryptedAssertion for the holder of certDER (RSA-OAEP key
// transport, AES-256-GCM content).
func Encrypt(t testing.TB, assertion *etree.Element, certDER []byte) *etree.Element {
	t.Helper()
	cert, err := x509.ParseCertificate(certDER)
	if err != nil {
		t.Fatal(err)
	}
	doc := etree.NewDocument()
	doc.SetRoot(assertion)
	plain, err := doc.WriteToBytes()
	if err != nil {
		t.Fatal(err)
	}
	enc := xmlenc.OAEP()
	enc.BlockCipher = xmlenc.AES256GCM
	data, err := enc.Encrypt(cert, plain, nil)
	if err != nil {
		t.Fatal(err)
	}
	data.CreateAttr("Type", "http://www.w3.org/2001/04/xmlenc#Element")
	el := etree.NewElement("saml:EncryptedAssertion")
	el.CreateAttr("xmlns:saml", "urn:oasis:names:tc:SAML:2.0:assertion")
	el.AddChild(data)
	return el
}

// PrivateKeyPEM is the PKCS #8 PEM of the IdP's key (as a provider's decryption key in tests).
func (p *IdP) PrivateKeyPEM(t testing.TB) string {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(p.Key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
}
