// Command samlsign is the SAML identity provider of the boto3 end-to-end script sts_saml.py: Python's
// standard library cannot produce the exclusive XML canonicalization an XML signature needs, so the script
// asks this program for what an IdP would hand a browser.
//
//	samlsign -dir DIR -entity-id ID metadata            creates DIR/key.der and DIR/cert.der (once) and prints the IdP's metadata
//	samlsign -dir DIR -entity-id ID assertion ROLE PROV  prints a base64 SAMLResponse offering ROLE through PROV, its assertion signed
//
// assertion takes -name (the NameID), -session (RoleSessionName), -lifetime (until NotOnOrAfter; negative
// for an expired assertion) and -audience.
package main

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"flag"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"time"

	"github.com/iamd/iamd/internal/samlassert/samlidp"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "samlsign:", err)
		os.Exit(1)
	}
}

func run() error {
	dir := flag.String("dir", "", "where the IdP's key and certificate are kept")
	entityID := flag.String("entity-id", "https://idp.example.com/saml", "the IdP's entity ID (the assertions' Issuer)")
	name := flag.String("name", "alice", "the NameID")
	session := flag.String("session", "alice@example.com", "the RoleSessionName attribute")
	lifetime := flag.Duration("lifetime", 5*time.Minute, "from now until NotOnOrAfter (negative: already expired)")
	audience := flag.String("audience", "", "the Audience and Recipient (default https://signin.aws.amazon.com/saml)")
	flag.Parse()
	if *dir == "" {
		return errors.New("-dir is required")
	}
	idp, err := load(*dir, *entityID)
	if err != nil {
		return err
	}
	switch args := flag.Args(); {
	case len(args) == 1 && args[0] == "metadata":
		fmt.Println(idp.Metadata())
	case len(args) == 3 && args[0] == "assertion":
		now := time.Now().UTC()
		a := samlidp.Assertion{NameID: *name, NameIDFormat: "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent",
			Audience: *audience, IssueInstant: now, NotBefore: now.Add(-time.Minute), NotOnOrAfter: now.Add(*lifetime),
			Attributes: map[string][]string{
				"https://aws.amazon.com/SAML/Attributes/Role":            {args[1] + "," + args[2]},
				"https://aws.amazon.com/SAML/Attributes/RoleSessionName": {*session},
			}}
		if *lifetime < 0 {
			a.NotBefore = now.Add(2 * *lifetime)
		}
		signed, err := samlidp.SignWith(idp.AssertionElement(a), idp.Key, idp.CertDER)
		if err != nil {
			return err
		}
		out, err := samlidp.EncodeElement(idp.ResponseElement(signed))
		if err != nil {
			return err
		}
		fmt.Println(out)
	default:
		return errors.New("usage: samlsign -dir DIR [flags] metadata | assertion ROLE-ARN PROVIDER-ARN")
	}
	return nil
}

// load reads the IdP's key and certificate from dir, creating them the first time.
func load(dir, entityID string) (*samlidp.IdP, error) {
	keyPath, certPath := filepath.Join(dir, "key.der"), filepath.Join(dir, "cert.der")
	if kb, err := os.ReadFile(keyPath); err == nil {
		cb, err := os.ReadFile(certPath)
		if err != nil {
			return nil, err
		}
		k, err := x509.ParsePKCS1PrivateKey(kb)
		if err != nil {
			return nil, err
		}
		return &samlidp.IdP{EntityID: entityID, Key: k, CertDER: cb}, nil
	}
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: entityID},
		NotBefore: time.Now().Add(-24 * time.Hour), NotAfter: time.Now().Add(24 * time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(keyPath, x509.MarshalPKCS1PrivateKey(k), 0o600); err != nil {
		return nil, err
	}
	if err := os.WriteFile(certPath, der, 0o600); err != nil {
		return nil, err
	}
	return &samlidp.IdP{EntityID: entityID, Key: k, CertDER: der}, nil
}
