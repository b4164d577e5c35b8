package iam

import (
	"errors"
	"testing"

	"github.com/iamd/iamd/internal/protocol"
)

// FuzzCredentialParsing feeds arbitrary bodies to the certificate, private key and SSH key parsers: each
// must answer with a value or an API error (never a panic or another error), and never accept a chain
// longer than its bound.
func FuzzCredentialParsing(f *testing.F) {
	f.Add("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")
	f.Add("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")
	f.Add("ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ== c")
	f.Add("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n")
	f.Fuzz(func(t *testing.T, body string) {
		isAPI := func(err error) {
			var ae protocol.APIError
			if err != nil && !errors.As(err, &ae) {
				t.Fatalf("non-API error %v", err)
			}
		}
		certs, err := parseCertificatesPEM(body, maxCertificateChainLength)
		isAPI(err)
		if len(certs) > maxCertificateChainLength {
			t.Fatalf("%d certificates accepted", len(certs))
		}
		_, err = parsePrivateKeyPEM(body)
		isAPI(err)
		_, err = parseSSHPublicKey(body)
		isAPI(err)
	})
}
