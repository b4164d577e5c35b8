package samlassert_test

import (
	"crypto/x509"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"

	"github.com/iamd/iamd/internal/samlassert"
	"github.com/iamd/iamd/internal/samlassert/samlidp"
)

const roleAttr = "https://aws.amazon.com/SAML/Attributes/Role"

var now = time.Now().UTC().Truncate(time.Second)

func setup(t *testing.T) (*samlidp.IdP, samlassert.Options) {
	t.Helper()
	idp := samlidp.New(t, "https://idp.example.com/saml")
	cert, err := x509.ParseCertificate(idp.CertDER)
	if err != nil {
		t.Fatal(err)
	}
	return idp, samlassert.Options{Certificates: []*x509.Certificate{cert}, EntityID: idp.EntityID, Region: "eu-west-1", Now: now}
}

func assertion() samlidp.Assertion {
	return samlidp.Assertion{
		NameID: "alice@example.com", IssueInstant: now, NotBefore: now.Add(-time.Minute), NotOnOrAfter: now.Add(5 * time.Minute),
		Attributes: map[string][]string{roleAttr: {"arn:aws:iam::123456789012:role/r,arn:aws:iam::123456789012:saml-provider/p"}},
	}
}

func decode(t *testing.T, s string) *etree.Document {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	d := etree.NewDocument()
	if err := d.ReadFromBytes(b); err != nil {
		t.Fatal(err)
	}
	return d
}

func encode(t *testing.T, d *etree.Document) string {
	t.Helper()
	b, err := d.WriteToBytes()
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(b)
}

func TestVerifyAcceptsSignedAssertionOrResponse(t *testing.T) {
	idp, o := setup(t)
	for name, s := range map[string]samlidp.Sign{"assertion": samlidp.SignAssertion, "response": samlidp.SignResponse, "both": samlidp.SignBoth} {
		t.Run(name, func(t *testing.T) {
			a, err := samlassert.Verify(idp.Response(t, assertion(), s), o)
			if err != nil {
				t.Fatal(err)
			}
			if a.NameID != "alice@example.com" || a.Issuer != idp.EntityID || a.SubjectType() != "persistent" ||
				a.Audience != "https://signin.aws.amazon.com/saml" || len(a.Attributes[roleAttr]) != 1 {
				t.Fatalf("assertion %+v", a)
			}
		})
	}
}

func TestVerifyAcceptsRegionalAudience(t *testing.T) {
	idp, o := setup(t)
	a := assertion()
	a.Audience = "https://eu-west-1.signin.aws.amazon.com/saml"
	if _, err := samlassert.Verify(idp.Response(t, a, samlidp.SignAssertion), o); err != nil {
		t.Fatal(err)
	}
	a.Audience = "https://us-east-2.signin.aws.amazon.com/saml" // another region's endpoint
	if _, err := samlassert.Verify(idp.Response(t, a, samlidp.SignAssertion), o); !errors.Is(err, samlassert.ErrInvalid) {
		t.Fatalf("err = %v", err)
	}
}

func TestVerifyRefuses(t *testing.T) {
	idp, o := setup(t)
	other := samlidp.New(t, idp.EntityID)
	cases := map[string]struct {
		resp func(t *testing.T) string
		want error
	}{
		"unsigned":                    {func(t *testing.T) string { return idp.Response(t, assertion(), samlidp.SignNone) }, samlassert.ErrInvalid},
		"certificate not in metadata": {func(t *testing.T) string { return other.Response(t, assertion(), samlidp.SignAssertion) }, samlassert.ErrInvalid},
		"wrong issuer": {func(t *testing.T) string {
			a := assertion()
			a.Issuer = "https://evil.example.com"
			return idp.Response(t, a, samlidp.SignAssertion)
		}, samlassert.ErrInvalid},
		"wrong audience": {func(t *testing.T) string {
			a := assertion()
			a.Audience = "https://sp.example.com"
			return idp.Response(t, a, samlidp.SignAssertion)
		}, samlassert.ErrInvalid},
		"wrong recipient": {func(t *testing.T) string {
			a := assertion()
			a.Recipient = "https://sp.example.com/acs"
			return idp.Response(t, a, samlidp.SignAssertion)
		}, samlassert.ErrInvalid},
		"expired": {func(t *testing.T) string {
			a := assertion()
			a.NotBefore, a.NotOnOrAfter = now.Add(-time.Hour), now.Add(-samlassert.ClockSkew-time.Second)
			return idp.Response(t, a, samlidp.SignAssertion)
		}, samlassert.ErrExpired},
		"not yet valid": {func(t *testing.T) string {
			a := assertion()
			a.NotBefore, a.NotOnOrAfter = now.Add(samlassert.ClockSkew+time.Minute), now.Add(time.Hour)
			return idp.Response(t, a, samlidp.SignAssertion)
		}, samlassert.ErrInvalid},
		"not base64": {func(t *testing.T) string { return "!!!!" }, samlassert.ErrInvalid},
		"too deep": {func(t *testing.T) string {
			return base64.StdEncoding.EncodeToString([]byte(strings.Repeat("<a>", samlassert.MaxDepth+1) + strings.Repeat("</a>", samlassert.MaxDepth+1)))
		}, samlassert.ErrInvalid},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			a, err := samlassert.Verify(c.resp(t), o)
			if !errors.Is(err, c.want) {
				t.Fatalf("Verify = %+v, %v; want %v", a, err, c.want)
			}
		})
	}
}

// A signed assertion with an unsigned one injected before it: the verifier must not read the injected one.
func TestAdversarialSignatureWrapping(t *testing.T) {
	idp, o := setup(t)
	d := decode(t, idp.Response(t, assertion(), samlidp.SignAssertion))
	evil := assertion()
	evil.NameID = "admin@example.com"
	injected := idp.AssertionElement(evil)
	d.Root().InsertChildAt(2, injected)
	if a, err := samlassert.Verify(encode(t, d), o); !errors.Is(err, samlassert.ErrInvalid) {
		t.Fatalf("wrapped response accepted: %+v, %v", a, err)
	}
	// The signed assertion moved inside the injected one (so the response holds one assertion): the
	// injected one has no signature of its own.
	d = decode(t, idp.Response(t, assertion(), samlidp.SignAssertion))
	signed := d.Root().FindElement("./Assertion")
	d.Root().RemoveChild(signed)
	injected = idp.AssertionElement(evil)
	injected.FindElement("./Subject").AddChild(signed)
	d.Root().AddChild(injected)
	if a, err := samlassert.Verify(encode(t, d), o); !errors.Is(err, samlassert.ErrInvalid) {
		t.Fatalf("wrapped response accepted: %+v, %v", a, err)
	}
}

// A comment put in the NameID of a signed assertion after signing (canonicalization drops comments, so
// the signature still holds): the subject is the whole signed text, not the part before the comment.
func TestAdversarialCommentInNameID(t *testing.T) {
	idp, o := setup(t)
	a := assertion()
	a.NameID = "admin@example.com.evil.example"
	el := samlidp.SignElement(t, idp.AssertionElement(a), idp.Key, idp.CertDER)
	nid := el.FindElement("./Subject/NameID")
	for _, c := range append([]etree.Token(nil), nid.Child...) {
		nid.RemoveChild(c)
	}
	nid.CreateText("admin@example.com")
	nid.CreateComment("x")
	nid.CreateText(".evil.example")
	got, err := samlassert.Verify(samlidp.Encode(t, idp.ResponseElement(el)), o)
	if err != nil {
		t.Fatal(err)
	}
	if got.NameID != "admin@example.com.evil.example" {
		t.Fatalf("NameID = %q", got.NameID)
	}
}

// An unsigned assertion in place of the one a signed response carried.
func TestAdversarialUnsignedAssertionInSignedResponse(t *testing.T) {
	idp, o := setup(t)
	d := decode(t, idp.Response(t, assertion(), samlidp.SignResponse))
	old := d.Root().FindElement("./Assertion")
	d.Root().RemoveChild(old)
	evil := assertion()
	evil.NameID = "admin@example.com"
	d.Root().AddChild(idp.AssertionElement(evil))
	if a, err := samlassert.Verify(encode(t, d), o); !errors.Is(err, samlassert.ErrInvalid) {
		t.Fatalf("accepted: %+v, %v", a, err)
	}
	// And an unsigned response around an unsigned assertion whose signed sibling was removed.
	r := idp.ResponseElement(idp.AssertionElement(evil))
	if a, err := samlassert.Verify(samlidp.Encode(t, r), o); !errors.Is(err, samlassert.ErrInvalid) {
		t.Fatalf("accepted: %+v, %v", a, err)
	}
}

func TestAdversarialModifiedSignedAttribute(t *testing.T) {
	idp, o := setup(t)
	d := decode(t, idp.Response(t, assertion(), samlidp.SignAssertion))
	v := d.Root().FindElement("./Assertion/AttributeStatement/Attribute/AttributeValue")
	v.SetText("arn:aws:iam::123456789012:role/admin,arn:aws:iam::123456789012:saml-provider/p")
	if a, err := samlassert.Verify(encode(t, d), o); !errors.Is(err, samlassert.ErrInvalid) {
		t.Fatalf("accepted: %+v, %v", a, err)
	}
}

func TestAdversarialDTDInSAMLResponse(t *testing.T) {
	idp, o := setup(t)
	b, _ := base64.StdEncoding.DecodeString(idp.Response(t, assertion(), samlidp.SignAssertion))
	doc := `<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>` + string(b)
	if a, err := samlassert.Verify(base64.StdEncoding.EncodeToString([]byte(doc)), o); !errors.Is(err, samlassert.ErrInvalid) {
		t.Fatalf("accepted: %+v, %v", a, err)
	}
}

func TestVerifyRequiredEncryptionRefusesPlainAssertion(t *testing.T) {
	idp, o := setup(t)
	o.RequireEncryption = true
	if _, err := samlassert.Verify(idp.Response(t, assertion(), samlidp.SignAssertion), o); !errors.Is(err, samlassert.ErrInvalid) {
		t.Fatalf("err = %v", err)
	}
}

func FuzzVerify(f *testing.F) {
	f.Add("PHNhbWxwOlJlc3BvbnNlLz4=")
	f.Add(base64.StdEncoding.EncodeToString([]byte(`<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"><saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion"/></samlp:Response>`)))
	f.Fuzz(func(t *testing.T, s string) {
		a, err := samlassert.Verify(s, samlassert.Options{EntityID: "x", Now: time.Now()})
		if err == nil {
			t.Fatalf("unsigned input verified: %+v", a)
		}
	})
}
