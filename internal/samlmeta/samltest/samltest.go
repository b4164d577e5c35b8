// Package samltest builds SAML identity-provider metadata documents for tests: fresh self-signed signing
// certificates and the EntityDescriptor an IdP would publish for them.
package samltest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"math/big"
	"strings"
	"testing"
	"time"
)

// Certificate returns the DER of a fresh self-signed certificate for cn.
func Certificate(t testing.TB, cn string) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: cn},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(365 * 24 * time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

// Options shape a document.
type Options struct {
	EntityID    string
	ValidUntil  string   // validUntil attribute, "" for none
	Signing     [][]byte // DER certificates with use="signing"
	Unspecified [][]byte // DER certificates with no use attribute
	Encryption  [][]byte // DER certificates with use="encryption"
	NoIDP       bool     // an SPSSODescriptor instead of the IDPSSODescriptor
}

// Document returns a metadata document of at least 1,000 characters (the API's minimum).
func Document(o Options) string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	fmt.Fprintf(&b, `<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="%s"`, o.EntityID)
	if o.ValidUntil != "" {
		fmt.Fprintf(&b, ` validUntil="%s"`, o.ValidUntil)
	}
	b.WriteString(">\n")
	desc := "md:IDPSSODescriptor"
	if o.NoIDP {
		desc = "md:SPSSODescriptor"
	}
	fmt.Fprintf(&b, `  <%s protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">`+"\n", desc)
	key := func(use string, der []byte) {
		attr := ""
		if use != "" {
			attr = ` use="` + use + `"`
		}
		fmt.Fprintf(&b, "    <md:KeyDescriptor%s><ds:KeyInfo><ds:X509Data><ds:X509Certificate>%s</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>\n",
			attr, base64.StdEncoding.EncodeToString(der))
	}
	for _, c := range o.Signing {
		key("signing", c)
	}
	for _, c := range o.Unspecified {
		key("", c)
	}
	for _, c := range o.Encryption {
		key("encryption", c)
	}
	b.WriteString(`    <md:NameIDFormat>urn:oasis:names:tc:SAML:2.0:nameid-format:persistent</md:NameIDFormat>` + "\n")
	b.WriteString(`    <md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress</md:NameIDFormat>` + "\n")
	b.WriteString(`    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://idp.example.com/sso/post"/>` + "\n")
	b.WriteString(`    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://idp.example.com/sso/redirect"/>` + "\n")
	fmt.Fprintf(&b, "  </%s>\n", desc)
	b.WriteString("</md:EntityDescriptor>\n")
	return b.String()
}

// PrivateKeyPEM returns a fresh PKCS #8 EC private key in PEM.
func PrivateKeyPEM(t testing.TB) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
}
