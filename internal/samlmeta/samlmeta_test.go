package samlmeta_test

import (
	"bytes"
	"crypto/rand"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/iamd/iamd/internal/samlmeta"
	"github.com/iamd/iamd/internal/samlmeta/samltest"
)

func TestParseMetadataReadsSigningCertificates(t *testing.T) {
	sign, both, enc := samltest.Certificate(t, "sign"), samltest.Certificate(t, "both"), samltest.Certificate(t, "enc")
	doc := samltest.Document(samltest.Options{
		EntityID: "https://idp.example.com/saml", ValidUntil: "2031-02-03T04:05:06Z",
		Signing: [][]byte{sign, sign}, Unspecified: [][]byte{both}, Encryption: [][]byte{enc},
	})
	m, err := samlmeta.ParseMetadata(doc)
	if err != nil {
		t.Fatal(err)
	}
	if m.EntityID != "https://idp.example.com/saml" {
		t.Errorf("entity ID %q", m.EntityID)
	}
	if want := time.Date(2031, 2, 3, 4, 5, 6, 0, time.UTC); !m.ValidUntil.Equal(want) {
		t.Errorf("validUntil %v, want %v", m.ValidUntil, want)
	}
	// signing and unspecified use, without the duplicate, not the encryption key.
	if len(m.SigningCerts) != 2 || !bytes.Equal(m.SigningCerts[0], sign) || !bytes.Equal(m.SigningCerts[1], both) {
		t.Fatalf("signing certs: %d", len(m.SigningCerts))
	}

	var p samlmeta.Provider
	created := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	p.SetMetadata(doc, m, created)
	data, err := p.Encode()
	if err != nil {
		t.Fatal(err)
	}
	back, err := samlmeta.Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	certs, err := back.Certificates()
	if err != nil || len(certs) != 2 || certs[0].Subject.CommonName != "sign" || certs[1].Subject.CommonName != "both" {
		t.Fatalf("certificates %v %v", certs, err)
	}

	// Without validUntil the provider is valid for DefaultValidity from its creation.
	m2, err := samlmeta.ParseMetadata(samltest.Document(samltest.Options{EntityID: "urn:idp", Signing: [][]byte{sign}}))
	if err != nil {
		t.Fatal(err)
	}
	p.SetMetadata("", m2, created)
	if want := created.Add(samlmeta.DefaultValidity); !p.ValidUntil.Equal(want) {
		t.Errorf("default validity %v, want %v", p.ValidUntil, want)
	}
}

func TestParseMetadataRefuses(t *testing.T) {
	cert := samltest.Certificate(t, "c")
	good := samltest.Document(samltest.Options{EntityID: "urn:idp", Signing: [][]byte{cert}})
	many := make([][]byte, samlmeta.MaxSigningCertificates+1)
	for i := range many {
		many[i] = samltest.Certificate(t, "k")
	}
	deep := strings.Replace(good, "<md:NameIDFormat>", strings.Repeat("<md:Extensions>", samlmeta.MaxDepth)+"<md:NameIDFormat>", 1)
	deep = strings.Replace(deep, "</md:NameIDFormat>", "</md:NameIDFormat>"+strings.Repeat("</md:Extensions>", samlmeta.MaxDepth), 1)
	wide := strings.Replace(good, "<md:NameIDFormat>", strings.Repeat("<md:x/>", samlmeta.MaxElements)+"<md:NameIDFormat>", 1)
	cases := map[string]struct {
		doc  string
		want error
	}{
		"not XML":             {strings.Repeat("a", 1200), samlmeta.ErrMalformed},
		"unclosed":            {strings.TrimSuffix(good, "</md:EntityDescriptor>\n"), samlmeta.ErrMalformed},
		"no IDPSSODescriptor": {samltest.Document(samltest.Options{EntityID: "urn:idp", Signing: [][]byte{cert}, NoIDP: true}), samlmeta.ErrMalformed},
		"no entity ID":        {samltest.Document(samltest.Options{EntityID: "", Signing: [][]byte{cert}}), samlmeta.ErrMalformed},
		"no signing key":      {samltest.Document(samltest.Options{EntityID: "urn:idp", Encryption: [][]byte{cert}}), samlmeta.ErrMalformed},
		"bad certificate":     {samltest.Document(samltest.Options{EntityID: "urn:idp", Signing: [][]byte{[]byte("not a certificate")}}), samlmeta.ErrMalformed},
		"doctype":             {strings.Replace(good, "<md:EntityDescriptor", `<!DOCTYPE md:EntityDescriptor [<!ENTITY x "y">]><md:EntityDescriptor`, 1), samlmeta.ErrMalformed},
		"too deep":            {deep, samlmeta.ErrMalformed},
		"too many elements":   {wide, samlmeta.ErrMalformed},
		"too many keys":       {samltest.Document(samltest.Options{EntityID: "urn:idp", Signing: many}), samlmeta.ErrTooManyKeys},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			if _, err := samlmeta.ParseMetadata(c.doc); !errors.Is(err, c.want) {
				t.Fatalf("err %v, want %v", err, c.want)
			}
		})
	}
	// One below each bound is accepted.
	okDeep := strings.Replace(good, "<md:NameIDFormat>", strings.Repeat("<md:Extensions>", samlmeta.MaxDepth-4)+"<md:NameIDFormat>", 1)
	okDeep = strings.Replace(okDeep, "</md:NameIDFormat>", "</md:NameIDFormat>"+strings.Repeat("</md:Extensions>", samlmeta.MaxDepth-4), 1)
	if _, err := samlmeta.ParseMetadata(okDeep); err != nil {
		t.Fatalf("nesting within the bound refused: %v", err)
	}
}

type xorSealer struct{}

func (xorSealer) Open(sealed, ad []byte) ([]byte, error) {
	if !bytes.HasPrefix(sealed, ad) {
		return nil, errors.New("wrong associated data")
	}
	return sealed[len(ad):], nil
}

func TestPrivateKeys(t *testing.T) {
	pemKey := samltest.PrivateKeyPEM(t)
	_, id, err := samlmeta.ParsePrivateKey(pemKey)
	if err != nil {
		t.Fatal(err)
	}
	if len(id) < 22 || strings.Trim(id, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") != "" {
		t.Fatalf("key ID %q does not fit privateKeyIdType", id)
	}
	if _, id2, _ := samlmeta.ParsePrivateKey(pemKey); id2 != id {
		t.Fatalf("key ID not stable: %s %s", id, id2)
	}
	for _, bad := range []string{"", "not pem", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
		strings.ReplaceAll(pemKey, "PRIVATE KEY", "CERTIFICATE")} {
		if _, _, err := samlmeta.ParsePrivateKey(bad); !errors.Is(err, samlmeta.ErrBadPrivateKey) {
			t.Errorf("%q: err %v", bad, err)
		}
	}
	p := &samlmeta.Provider{UUID: "U"}
	p.PrivateKeys = []samlmeta.PrivateKey{{KeyID: id, Sealed: append(samlmeta.PrivateKeyAssociatedData("U", id), pemKey...)}}
	if _, err := p.OpenPrivateKey(xorSealer{}, id); err != nil {
		t.Fatal(err)
	}
	p.UUID = "OTHER" // a sealed key moved to another provider does not open
	if _, err := p.OpenPrivateKey(xorSealer{}, id); err == nil {
		t.Fatal("key opened under another provider")
	}
	u, err := samlmeta.NewUUID(rand.Reader)
	if err != nil || len(u) != 26 {
		t.Fatalf("uuid %q %v", u, err)
	}
}

// FuzzParseMetadata: any input is answered with metadata or an error, never a panic, and what is
// accepted has an entity ID and between 1 and MaxSigningCertificates certificates.
func FuzzParseMetadata(f *testing.F) {
	cert := samltest.Certificate(f, "c")
	f.Add(samltest.Document(samltest.Options{EntityID: "urn:idp", Signing: [][]byte{cert}}))
	f.Add(samltest.Document(samltest.Options{EntityID: "urn:idp", ValidUntil: "2030-01-01T00:00:00Z", Unspecified: [][]byte{cert}}))
	f.Add(`<md:EntitiesDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata"></md:EntitiesDescriptor>`)
	f.Add(`<!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>`)
	f.Fuzz(func(t *testing.T, doc string) {
		m, err := samlmeta.ParseMetadata(doc)
		if err != nil {
			return
		}
		if m.EntityID == "" || len(m.SigningCerts) == 0 || len(m.SigningCerts) > samlmeta.MaxSigningCertificates {
			t.Fatalf("accepted %+v", m)
		}
	})
}
