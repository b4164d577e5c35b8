// Package samlassert verifies the SAML 2.0 responses AssumeRoleWithSAML receives: the XML signature of the
// Response or of its Assertion (goxmldsig: exclusive canonicalization, RSA-SHA1/SHA256/SHA512 and ECDSA)
// against the provider's signing certificates, the Issuer, the Audience, the Recipient, the validity window
// and the subject confirmation; and, when the provider holds private keys, it decrypts an EncryptedAssertion.
//
// Everything the caller receives is read from the element the signature library returns as verified (a
// canonical copy of exactly the signed bytes), never from the document as sent: an unsigned assertion
// injected beside a signed one (signature wrapping), or comments splitting a NameID, cannot change what
// the caller sees.
package samlassert

import (
	"crypto"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/beevik/etree"
	"github.com/crewjam/saml/xmlenc"
	dsig "github.com/russellhaering/goxmldsig"

	"github.com/iamd/iamd/internal/xmlbound"
)

// Limits on one SAMLResponse. The text itself is 4-100,000 characters (the model's SAMLAssertionType).
const (
	// MaxDepth bounds element nesting. A response nests about 8 deep (Response, Assertion,
	// AttributeStatement, Attribute, AttributeValue; Signature, SignedInfo, Reference, Transforms,
	// Transform, InclusiveNamespaces); deeper documents are refused before a tree is built.
	MaxDepth = 32
	// MaxElements bounds the elements of one response: 100,000 characters hold at most a few thousand.
	MaxElements = 5_000
	// ClockSkew is the tolerance on NotBefore and NotOnOrAfter: AWS accepts assertions up to five minutes
	// outside their window to allow for clock drift between the IdP and AWS.
	ClockSkew = 5 * time.Minute
)

// SAML namespaces and values.
const (
	nsProtocol        = "urn:oasis:names:tc:SAML:2.0:protocol"
	nsAssertion       = "urn:oasis:names:tc:SAML:2.0:assertion"
	statusSuccess     = "urn:oasis:names:tc:SAML:2.0:status:Success"
	confirmBearer     = "urn:oasis:names:tc:SAML:2.0:cm:bearer"
	nameIDTransient   = "urn:oasis:names:tc:SAML:2.0:nameid-format:transient"
	nameIDPersistent  = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"
	audienceGlobal    = "https://signin.aws.amazon.com/saml"
	audienceRegionFmt = "https://%s.signin.aws.amazon.com/saml"
)

// Errors. ErrInvalid covers every response that is not a verifiable SAML response (AWS answers
// InvalidIdentityToken); ErrExpired a verified assertion outside its window (ExpiredTokenException).
var (
	ErrInvalid = errors.New("samlassert: invalid SAML response")
	ErrExpired = errors.New("samlassert: assertion expired")
	// ErrSignature and ErrAudience are the kinds of ErrInvalid AWS answers with messages of their own.
	ErrSignature = fmt.Errorf("%w: signature", ErrInvalid)
	ErrAudience  = fmt.Errorf("%w: audience", ErrInvalid)
)

// Options say what to verify against.
type Options struct {
	Certificates []*x509.Certificate // the provider's signing certificates
	EntityID     string              // the provider's entity ID: the Issuer the assertion must name
	// DecryptionKeys are the provider's private keys; RequireEncryption refuses plain assertions.
	DecryptionKeys    []crypto.PrivateKey
	RequireEncryption bool
	Region            string // the request's region: its regional sign-in endpoint is an audience too
	Now               time.Time
}

// Assertion is what a verified assertion says.
type Assertion struct {
	ID              string
	Issuer          string
	NameID          string
	NameIDFormat    string
	NameQualifier   string
	SPNameQualifier string
	Audience        string // the AWS audience it named
	Recipient       string
	NotOnOrAfter    time.Time // when the assertion stops being usable (the earliest bound it gives)
	Attributes      map[string][]string
	// SessionNotOnOrAfter is the AuthnStatement's bound on the session; zero when it sets none.
	SessionNotOnOrAfter time.Time
}

// SubjectType is the short form AWS answers for the NameID format: "transient", "persistent", or the
// format URI itself.
func (a *Assertion) SubjectType() string {
	switch a.NameIDFormat {
	case nameIDTransient:
		return "transient"
	case nameIDPersistent:
		return "persistent"
	}
	return a.NameIDFormat
}

// CheckStructure checks doc's shape before anything is built from it (xmlbound): well-formed XML, no
// document type declaration (no entities, so no XXE or entity expansion), nesting within MaxDepth, at
// most MaxElements elements.
func CheckStructure(doc []byte) error {
	if err := xmlbound.Check(string(doc), MaxDepth, MaxElements); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	return nil
}

func invalid(format string, a ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, a...))
}

// Verify decodes the base64 SAMLResponse and verifies it.
func Verify(samlResponse string, o Options) (*Assertion, error) {
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(samlResponse))
	if err != nil {
		return nil, invalid("not base64")
	}
	if err := CheckStructure(raw); err != nil {
		return nil, err
	}
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(raw); err != nil {
		return nil, invalid("not XML")
	}
	resp := doc.Root()
	if resp == nil || resp.Tag != "Response" || resp.NamespaceURI() != nsProtocol {
		return nil, invalid("not a samlp:Response")
	}
	vc := dsig.NewDefaultValidationContext(&dsig.MemoryX509CertificateStore{Roots: o.Certificates})
	vc.Clock = dsig.NewFakeClockAt(o.Now)

	// A signed Response covers everything in it: continue from the verified copy only.
	responseSigned := false
	if hasSignature(resp) {
		v, err := vc.Validate(resp)
		if err != nil {
			return nil, fmt.Errorf("%w: response: %v", ErrSignature, err)
		}
		resp, responseSigned = v, true
	}
	if st := resp.FindElement("./Status/StatusCode"); st == nil || st.SelectAttrValue("Value", "") != statusSuccess {
		return nil, invalid("status is not Success")
	}
	var assertionEl, encryptedEl *etree.Element
	n := 0
	for _, c := range resp.ChildElements() {
		switch {
		case c.Tag == "Assertion" && c.NamespaceURI() == nsAssertion:
			assertionEl = c
			n++
		case c.Tag == "EncryptedAssertion" && c.NamespaceURI() == nsAssertion:
			encryptedEl = c
			n++
		}
	}
	if n != 1 {
		// One assertion, exactly: with two, which one was signed would be the verifier's guess.
		return nil, invalid("the response must hold exactly one assertion, holds %d", n)
	}
	if encryptedEl != nil {
		assertionEl, err = decrypt(encryptedEl, o.DecryptionKeys)
		if err != nil {
			return nil, err
		}
	} else if o.RequireEncryption {
		return nil, invalid("the provider requires encrypted assertions")
	}
	if hasSignature(assertionEl) {
		v, err := vc.Validate(assertionEl)
		if err != nil {
			return nil, fmt.Errorf("%w: assertion: %v", ErrSignature, err)
		}
		assertionEl = v
	} else if !responseSigned {
		return nil, fmt.Errorf("%w: neither the response nor the assertion is signed", ErrSignature)
	}
	return readAssertion(assertionEl, o)
}

func hasSignature(el *etree.Element) bool {
	for _, c := range el.ChildElements() {
		if c.Tag == "Signature" && c.NamespaceURI() == dsig.Namespace {
			return true
		}
	}
	return false
}

// decrypt opens an EncryptedAssertion with the first of keys that opens it.
func decrypt(el *etree.Element, keys []crypto.PrivateKey) (*etree.Element, error) {
	data := el.FindElement("./EncryptedData")
	if data == nil || len(keys) == 0 {
		return nil, invalid("cannot decrypt the assertion")
	}
	for _, k := range keys {
		plain, err := xmlenc.Decrypt(k, data)
		if err != nil {
			continue
		}
		if err := CheckStructure(plain); err != nil {
			return nil, err
		}
		d := etree.NewDocument()
		if err := d.ReadFromBytes(plain); err != nil || d.Root() == nil {
			return nil, invalid("decrypted assertion is not XML")
		}
		root := d.Root()
		if root.Tag != "Assertion" || root.NamespaceURI() != nsAssertion {
			return nil, invalid("decrypted content is not an assertion")
		}
		return root, nil
	}
	return nil, invalid("cannot decrypt the assertion")
}

// text is the whole character content of a leaf element: every text node, comments left out, as
// canonicalization without comments reads it. An element with child elements has no text.
func text(el *etree.Element) (string, bool) {
	if el == nil {
		return "", false
	}
	var b strings.Builder
	for _, t := range el.Child {
		switch t := t.(type) {
		case *etree.CharData:
			b.WriteString(t.Data)
		case *etree.Element:
			return "", false
		}
	}
	return strings.TrimSpace(b.String()), true
}

func parseTime(s string) (time.Time, bool) {
	t, err := time.Parse(time.RFC3339Nano, s)
	return t, err == nil
}

func (o *Options) audienceOK(a string) bool {
	return a == audienceGlobal || (o.Region != "" && a == fmt.Sprintf(audienceRegionFmt, o.Region))
}

func readAssertion(el *etree.Element, o Options) (*Assertion, error) {
	a := &Assertion{ID: el.SelectAttrValue("ID", ""), Attributes: map[string][]string{}}
	if a.ID == "" {
		return nil, invalid("assertion without ID")
	}
	var ok bool
	if a.Issuer, ok = text(el.FindElement("./Issuer")); !ok || a.Issuer != o.EntityID {
		return nil, invalid("issuer %q is not the provider's entity ID", a.Issuer)
	}
	now := o.Now
	expired := false
	cond := el.FindElement("./Conditions")
	if cond == nil {
		return nil, invalid("assertion without Conditions")
	}
	if s := cond.SelectAttrValue("NotBefore", ""); s != "" {
		t, ok := parseTime(s)
		if !ok {
			return nil, invalid("bad NotBefore")
		}
		if now.Add(ClockSkew).Before(t) {
			return nil, invalid("assertion not yet valid")
		}
	}
	if s := cond.SelectAttrValue("NotOnOrAfter", ""); s != "" {
		t, ok := parseTime(s)
		if !ok {
			return nil, invalid("bad NotOnOrAfter")
		}
		a.NotOnOrAfter = t
		expired = expired || !now.Add(-ClockSkew).Before(t)
	}
	for _, ar := range cond.FindElements("./AudienceRestriction") {
		found := false
		for _, au := range ar.FindElements("./Audience") {
			if v, _ := text(au); o.audienceOK(v) {
				found, a.Audience = true, v
			}
		}
		// Every AudienceRestriction must name us (SAML core §2.5.1.4).
		if !found {
			return nil, fmt.Errorf("%w: not AWS sign-in", ErrAudience)
		}
	}
	if a.Audience == "" {
		return nil, fmt.Errorf("%w: none", ErrAudience)
	}
	subj := el.FindElement("./Subject")
	if subj == nil {
		return nil, invalid("assertion without Subject")
	}
	nid := subj.FindElement("./NameID")
	if a.NameID, ok = text(nid); !ok || a.NameID == "" {
		return nil, invalid("assertion without NameID")
	}
	a.NameIDFormat = nid.SelectAttrValue("Format", "")
	a.NameQualifier = nid.SelectAttrValue("NameQualifier", "")
	a.SPNameQualifier = nid.SelectAttrValue("SPNameQualifier", "")
	confirmed := false
	for _, sc := range subj.FindElements("./SubjectConfirmation") {
		if sc.SelectAttrValue("Method", "") != confirmBearer {
			continue
		}
		d := sc.FindElement("./SubjectConfirmationData")
		if d == nil {
			continue
		}
		rcp := d.SelectAttrValue("Recipient", "")
		if !o.audienceOK(rcp) {
			continue
		}
		t, ok := parseTime(d.SelectAttrValue("NotOnOrAfter", ""))
		if !ok {
			continue // a bearer confirmation must bound its use (SAML profiles §4.1.4.2)
		}
		if !now.Add(-ClockSkew).Before(t) {
			expired = true
			continue
		}
		if a.NotOnOrAfter.IsZero() || t.Before(a.NotOnOrAfter) {
			a.NotOnOrAfter = t
		}
		if nb := d.SelectAttrValue("NotBefore", ""); nb != "" {
			continue // NotBefore is not allowed in a bearer confirmation (SAML profiles §4.1.4.2)
		}
		confirmed, a.Recipient = true, rcp
		break
	}
	if !confirmed {
		if expired {
			return nil, ErrExpired
		}
		return nil, invalid("no bearer subject confirmation for AWS sign-in")
	}
	if expired {
		return nil, ErrExpired
	}
	if as := el.FindElement("./AuthnStatement"); as != nil {
		if s := as.SelectAttrValue("SessionNotOnOrAfter", ""); s != "" {
			t, ok := parseTime(s)
			if !ok {
				return nil, invalid("bad SessionNotOnOrAfter")
			}
			a.SessionNotOnOrAfter = t
		}
	}
	for _, attr := range el.FindElements("./AttributeStatement/Attribute") {
		name := attr.SelectAttrValue("Name", "")
		for _, v := range attr.FindElements("./AttributeValue") {
			if s, ok := text(v); ok {
				a.Attributes[name] = append(a.Attributes[name], s)
			}
		}
	}
	return a, nil
}
