package iam

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"strconv"
	"time"

	"github.com/iamd/iamd/internal/api/iamapi"
)

// AWS's MalformedCertificate wording for a certificate body it cannot read (UploadServerCertificate and
// UploadSigningCertificate).
const msgUnparsableCertificate = "Unable to parse certificate. Please ensure the certificate is in PEM format."

// parseCertificatePEM reads the one PEM CERTIFICATE block of body (text around it is allowed, as openssl
// writes it; a second certificate is not: that belongs in the chain).
func parseCertificatePEM(body string) (*x509.Certificate, error) {
	certs, err := parseCertificatesPEM(body, 1)
	if err != nil || len(certs) != 1 {
		return nil, iamapi.NewMalformedCertificateException(msgUnparsableCertificate)
	}
	return certs[0], nil
}

// parseCertificatesPEM reads up to limit PEM CERTIFICATE blocks; more than limit is an error, as is a
// block of another type or one that does not parse.
func parseCertificatesPEM(body string, limit int) ([]*x509.Certificate, error) {
	rest := []byte(body)
	var out []*x509.Certificate
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" || len(out) == limit {
			return nil, iamapi.NewMalformedCertificateException(msgUnparsableCertificate)
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, iamapi.NewMalformedCertificateException(msgUnparsableCertificate)
		}
		out = append(out, c)
	}
	if len(out) == 0 || len(bytes.TrimSpace(rest)) != 0 {
		return nil, iamapi.NewMalformedCertificateException(msgUnparsableCertificate)
	}
	return out, nil
}

// validityProblem says why a certificate is outside its validity period ("" when it is within it): AWS
// refuses such certificates (MalformedCertificate for server certificates, "the certificate was malformed
// or expired"; InvalidCertificate for signing certificates).
func validityProblem(c *x509.Certificate, now time.Time) string {
	switch {
	case now.After(c.NotAfter):
		return "The certificate has expired."
	case now.Before(c.NotBefore):
		return "The certificate is not yet valid."
	}
	return ""
}

// checkChain verifies that each certificate of chain signed the one before it (the body for the first),
// as AWS requires: "The certificate chain must start with the immediate signing certificate, followed by
// any intermediaries in order." AWS numbers the offending certificate from 1.
func checkChain(leaf *x509.Certificate, chain []*x509.Certificate) error {
	prev := leaf
	for i, c := range chain {
		if err := prev.CheckSignatureFrom(c); err != nil {
			return iamapi.NewMalformedCertificateException("Unable to validate certificate chain. The certificate chain must start " +
				"with the immediate signing certificate, followed by any intermediaries in order. The index within the chain of " +
				"the invalid certificate is: " + strconv.Itoa(i+1))
		}
		prev = c
	}
	return nil
}

// parsePrivateKeyPEM reads an unencrypted PEM private key in any form openssl writes (PKCS #8, PKCS #1
// RSA, SEC 1 EC).
func parsePrivateKeyPEM(s string) (crypto.Signer, error) {
	bad := iamapi.NewMalformedCertificateException("Unable to parse private key. Please ensure the private key is in PEM format.")
	block, rest := pem.Decode([]byte(s))
	if block == nil || len(bytes.TrimSpace(rest)) != 0 {
		return nil, bad
	}
	var key any
	var err error
	switch block.Type {
	case "PRIVATE KEY":
		key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	case "RSA PRIVATE KEY":
		key, err = x509.ParsePKCS1PrivateKey(block.Bytes)
	case "EC PRIVATE KEY":
		key, err = x509.ParseECPrivateKey(block.Bytes)
	default:
		return nil, bad
	}
	if err != nil {
		return nil, bad
	}
	signer, ok := key.(crypto.Signer)
	if !ok {
		return nil, bad
	}
	return signer, nil
}

// keyMatchesCertificate reports whether key is the private half of c's public key.
func keyMatchesCertificate(key crypto.Signer, c *x509.Certificate) bool {
	pub, ok := key.Public().(interface{ Equal(crypto.PublicKey) bool })
	return ok && pub.Equal(c.PublicKey)
}
