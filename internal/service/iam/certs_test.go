package iam

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/md5"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/csv"
	"encoding/pem"
	"math/big"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/iamd/iamd/internal/api/iamapi"
	"github.com/iamd/iamd/internal/storage"
)

// testCert is a certificate and its key in PEM, issued by parent (self-signed when parent is nil).
type testCert struct {
	cert    *x509.Certificate
	key     crypto.Signer
	certPEM string
	keyPEM  string
}

func newTestCert(t testing.TB, cn string, parent *testCert, notBefore, notAfter time.Time) *testCert {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn},
		NotBefore: notBefore, NotAfter: notAfter, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	issuer, signer := tmpl, crypto.Signer(key)
	if parent != nil {
		issuer, signer = parent.cert, parent.key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, issuer, key.Public(), signer)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return &testCert{cert: c, key: key,
		certPEM: string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})),
		keyPEM:  string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}))}
}

func (f *fixture) validCert(cn string) *testCert {
	return newTestCert(f.t, cn, nil, f.now.Add(-time.Hour), f.now.Add(365*24*time.Hour))
}

func TestServerCertificates(t *testing.T) {
	f := newFixture(t)
	ctx := f.root()
	root := f.validCert("root CA")
	inter := newTestCert(t, "intermediate", root, f.now.Add(-time.Hour), f.now.Add(400*24*time.Hour))
	leaf := newTestCert(t, "www.example.com", inter, f.now.Add(-time.Hour), f.now.Add(90*24*time.Hour))

	up := must(f.svc.UploadServerCertificate(ctx, &iamapi.UploadServerCertificateRequest{
		ServerCertificateName: ptr("web"), Path: ptr("/cloudfront/"), CertificateBody: ptr(leaf.certPEM),
		PrivateKey: ptr(leaf.keyPEM), CertificateChain: ptr(inter.certPEM + root.certPEM),
		Tags: []iamapi.Tag{{Key: ptr("env"), Value: ptr("prod")}},
	}))(t)
	m := up.ServerCertificateMetadata
	if !strings.HasPrefix(*m.ServerCertificateId, "ASCA") || len(*m.ServerCertificateId) != 21 ||
		*m.Arn != "arn:aws:iam::123456789012:server-certificate/cloudfront/web" ||
		!m.Expiration.Equal(leaf.cert.NotAfter.Truncate(time.Second)) || !m.UploadDate.Equal(f.now) || len(up.Tags) != 1 {
		t.Fatalf("upload metadata %+v tags %v", m, up.Tags)
	}

	got := must(f.svc.GetServerCertificate(ctx, &iamapi.GetServerCertificateRequest{ServerCertificateName: ptr("WEB")}))(t).ServerCertificate
	if *got.CertificateBody != leaf.certPEM || *got.CertificateChain != inter.certPEM+root.certPEM || len(got.Tags) != 1 {
		t.Fatalf("get: %+v", got)
	}
	// The private key is stored sealed, never in clear.
	err := f.store.View(context.Background(), func(tx storage.Tx) error {
		r, err := tx.GetResource(context.Background(), testAccount, storage.ResourceServerCertificate, "web")
		if err != nil {
			return err
		}
		if strings.Contains(string(r.Data), "PRIVATE KEY") || strings.Contains(string(r.Data), base64.StdEncoding.EncodeToString([]byte(leaf.keyPEM))) {
			t.Errorf("stored certificate holds the private key in clear: %s", r.Data)
		}
		d, err := decodeServerCert(r)
		if err != nil {
			return err
		}
		plain, err := f.seal.Open(d.KeySealed, serverCertKeyAssociatedData(r.ID))
		if err != nil || string(plain) != leaf.keyPEM {
			t.Errorf("sealed key does not open to the uploaded key: %v", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	// Errors.
	_, err = f.svc.UploadServerCertificate(ctx, &iamapi.UploadServerCertificateRequest{ServerCertificateName: ptr("Web"),
		CertificateBody: ptr(leaf.certPEM), PrivateKey: ptr(leaf.keyPEM)})
	assertAPIError(t, err, "EntityAlreadyExists", 409, "The Server Certificate with name Web already exists.")
	_, err = f.svc.UploadServerCertificate(ctx, &iamapi.UploadServerCertificateRequest{ServerCertificateName: ptr("x"),
		CertificateBody: ptr("notacert"), PrivateKey: ptr(leaf.keyPEM)})
	assertAPIError(t, err, "MalformedCertificate", 400, msgUnparsableCertificate)
	_, err = f.svc.UploadServerCertificate(ctx, &iamapi.UploadServerCertificateRequest{ServerCertificateName: ptr("x"),
		CertificateBody: ptr(leaf.certPEM), PrivateKey: ptr("notakey")})
	assertAPIError(t, err, "MalformedCertificate", 400, "Unable to parse private key. Please ensure the private key is in PEM format.")
	_, err = f.svc.UploadServerCertificate(ctx, &iamapi.UploadServerCertificateRequest{ServerCertificateName: ptr("x"),
		CertificateBody: ptr(leaf.certPEM), PrivateKey: ptr(inter.keyPEM)})
	assertAPIError(t, err, "KeyPairMismatch", 400, "The private key did not match the public key in the certificate.")
	_, err = f.svc.UploadServerCertificate(ctx, &iamapi.UploadServerCertificateRequest{ServerCertificateName: ptr("x"),
		CertificateBody: ptr(leaf.certPEM), PrivateKey: ptr(leaf.keyPEM), CertificateChain: ptr(root.certPEM + inter.certPEM)})
	assertAPIError(t, err, "MalformedCertificate", 400, "Unable to validate certificate chain. The certificate chain must start with the "+
		"immediate signing certificate, followed by any intermediaries in order. The index within the chain of the invalid certificate is: 1")
	expired := newTestCert(t, "old", nil, f.now.Add(-48*time.Hour), f.now.Add(-time.Hour))
	_, err = f.svc.UploadServerCertificate(ctx, &iamapi.UploadServerCertificateRequest{ServerCertificateName: ptr("x"),
		CertificateBody: ptr(expired.certPEM), PrivateKey: ptr(expired.keyPEM)})
	assertAPIError(t, err, "MalformedCertificate", 400, "The certificate has expired.")
	_, err = f.svc.GetServerCertificate(ctx, &iamapi.GetServerCertificateRequest{ServerCertificateName: ptr("nope")})
	assertAPIError(t, err, "NoSuchEntity", 404, "The Server Certificate with name nope cannot be found.")

	// Rename and move; list by path prefix; tags.
	must(f.svc.UpdateServerCertificate(ctx, &iamapi.UpdateServerCertificateRequest{ServerCertificateName: ptr("web"),
		NewServerCertificateName: ptr("web2"), NewPath: ptr("/elb/")}))(t)
	other := f.validCert("other")
	must(f.svc.UploadServerCertificate(ctx, &iamapi.UploadServerCertificateRequest{ServerCertificateName: ptr("other"),
		CertificateBody: ptr(other.certPEM), PrivateKey: ptr(other.keyPEM)}))(t)
	_, err = f.svc.UpdateServerCertificate(ctx, &iamapi.UpdateServerCertificateRequest{ServerCertificateName: ptr("other"), NewServerCertificateName: ptr("WEB2")})
	assertAPIError(t, err, "EntityAlreadyExists", 409, "The Server Certificate with name WEB2 already exists.")
	l := must(f.svc.ListServerCertificates(ctx, &iamapi.ListServerCertificatesRequest{PathPrefix: ptr("/elb/")}))(t)
	if len(l.ServerCertificateMetadataList) != 1 || *l.ServerCertificateMetadataList[0].Arn != "arn:aws:iam::123456789012:server-certificate/elb/web2" ||
		*l.ServerCertificateMetadataList[0].ServerCertificateId != *m.ServerCertificateId {
		t.Fatalf("list /elb/: %+v", l.ServerCertificateMetadataList)
	}
	l = must(f.svc.ListServerCertificates(ctx, &iamapi.ListServerCertificatesRequest{MaxItems: ptr(int32(1))}))(t)
	if len(l.ServerCertificateMetadataList) != 1 || !*l.IsTruncated {
		t.Fatalf("first page: %+v", l)
	}
	l = must(f.svc.ListServerCertificates(ctx, &iamapi.ListServerCertificatesRequest{Marker: l.Marker}))(t)
	if len(l.ServerCertificateMetadataList) != 1 || *l.ServerCertificateMetadataList[0].ServerCertificateName != "web2" {
		t.Fatalf("second page: %+v", l)
	}
	must(f.svc.TagServerCertificate(ctx, &iamapi.TagServerCertificateRequest{ServerCertificateName: ptr("web2"),
		Tags: []iamapi.Tag{{Key: ptr("team"), Value: ptr("a")}, {Key: ptr("ENV"), Value: ptr("dev")}}}))(t)
	must(f.svc.UntagServerCertificate(ctx, &iamapi.UntagServerCertificateRequest{ServerCertificateName: ptr("web2"), TagKeys: []string{"team"}}))(t)
	tags := must(f.svc.ListServerCertificateTags(ctx, &iamapi.ListServerCertificateTagsRequest{ServerCertificateName: ptr("web2")}))(t)
	if len(tags.Tags) != 1 || *tags.Tags[0].Key != "ENV" || *tags.Tags[0].Value != "dev" {
		t.Fatalf("tags %+v", tags.Tags)
	}
	sum := must(f.svc.GetAccountSummary(ctx, nil))(t).SummaryMap
	if sum["ServerCertificates"] != 2 || sum["ServerCertificatesQuota"] != 20 {
		t.Fatalf("summary %v", sum)
	}
	must(f.svc.DeleteServerCertificate(ctx, &iamapi.DeleteServerCertificateRequest{ServerCertificateName: ptr("WEB2")}))(t)
	_, err = f.svc.DeleteServerCertificate(ctx, &iamapi.DeleteServerCertificateRequest{ServerCertificateName: ptr("web2")})
	assertAPIError(t, err, "NoSuchEntity", 404, "The Server Certificate with name web2 cannot be found.")
	if n := must(f.svc.GetAccountSummary(ctx, nil))(t).SummaryMap["ServerCertificates"]; n != 1 {
		t.Fatalf("ServerCertificates after delete = %d", n)
	}
}

func TestServerCertificateQuota(t *testing.T) {
	f := newFixture(t)
	c := f.validCert("q")
	for i := range maxServerCertificatesPerAccount {
		must(f.svc.UploadServerCertificate(f.root(), &iamapi.UploadServerCertificateRequest{ServerCertificateName: ptr("c" + string(rune('a'+i))),
			CertificateBody: ptr(c.certPEM), PrivateKey: ptr(c.keyPEM)}))(t)
	}
	_, err := f.svc.UploadServerCertificate(f.root(), &iamapi.UploadServerCertificateRequest{ServerCertificateName: ptr("one-more"),
		CertificateBody: ptr(c.certPEM), PrivateKey: ptr(c.keyPEM)})
	assertAPIError(t, err, "LimitExceeded", 409, "Cannot exceed quota for ServerCertificatesPerAccount: 20")
}

func TestSigningCertificates(t *testing.T) {
	f := newFixture(t)
	ctx := f.root()
	must(f.svc.CreateUser(ctx, &iamapi.CreateUserRequest{UserName: ptr("alice")}))(t)
	a, b, c := f.validCert("a"), f.validCert("b"), f.validCert("c")
	up := must(f.svc.UploadSigningCertificate(ctx, &iamapi.UploadSigningCertificateRequest{UserName: ptr("ALICE"), CertificateBody: ptr(a.certPEM)}))(t).Certificate
	if *up.UserName != "alice" || *up.Status != "Active" || *up.CertificateBody != a.certPEM || len(*up.CertificateId) != 32 {
		t.Fatalf("upload %+v", up)
	}
	_, err := f.svc.UploadSigningCertificate(ctx, &iamapi.UploadSigningCertificateRequest{UserName: ptr("alice"), CertificateBody: ptr(a.certPEM)})
	assertAPIError(t, err, "DuplicateCertificate", 409, "The same certificate is associated with an IAM user in the account.")
	f.now = f.now.Add(time.Second)
	must(f.svc.UploadSigningCertificate(ctx, &iamapi.UploadSigningCertificateRequest{UserName: ptr("alice"), CertificateBody: ptr(b.certPEM)}))(t)
	_, err = f.svc.UploadSigningCertificate(ctx, &iamapi.UploadSigningCertificateRequest{UserName: ptr("alice"), CertificateBody: ptr(c.certPEM)})
	assertAPIError(t, err, "LimitExceeded", 409, "Cannot exceed quota for CertificatesPerUser: 2")
	_, err = f.svc.UploadSigningCertificate(ctx, &iamapi.UploadSigningCertificateRequest{UserName: ptr("alice"), CertificateBody: ptr("notacert")})
	assertAPIError(t, err, "MalformedCertificate", 400, msgUnparsableCertificate)
	_, err = f.svc.UploadSigningCertificate(ctx, &iamapi.UploadSigningCertificateRequest{UserName: ptr("notauser"), CertificateBody: ptr(c.certPEM)})
	assertAPIError(t, err, "NoSuchEntity", 404, "The user with name notauser cannot be found.")
	expired := newTestCert(t, "old", nil, f.now.Add(-48*time.Hour), f.now.Add(-time.Hour))
	_, err = f.svc.UploadSigningCertificate(ctx, &iamapi.UploadSigningCertificateRequest{CertificateBody: ptr(expired.certPEM)})
	assertAPIError(t, err, "InvalidCertificate", 400, "The certificate has expired.")

	// The same certificate in another account is not a duplicate.
	must(f.svc.CreateUser(rootOf(otherTestAccount), &iamapi.CreateUserRequest{UserName: ptr("alice")}))(t)
	must(f.svc.UploadSigningCertificate(rootOf(otherTestAccount), &iamapi.UploadSigningCertificateRequest{UserName: ptr("alice"), CertificateBody: ptr(a.certPEM)}))(t)

	must(f.svc.UpdateSigningCertificate(ctx, &iamapi.UpdateSigningCertificateRequest{UserName: ptr("alice"), CertificateId: up.CertificateId, Status: ptr("Inactive")}))(t)
	l := must(f.svc.ListSigningCertificates(ctx, &iamapi.ListSigningCertificatesRequest{UserName: ptr("alice")}))(t).Certificates
	if len(l) != 2 || *l[0].CertificateId != *up.CertificateId || *l[0].Status != "Inactive" {
		t.Fatalf("list %+v", l)
	}
	// Another user's certificate ID is "cannot be found" for this user.
	must(f.svc.CreateUser(ctx, &iamapi.CreateUserRequest{UserName: ptr("bob")}))(t)
	_, err = f.svc.DeleteSigningCertificate(ctx, &iamapi.DeleteSigningCertificateRequest{UserName: ptr("bob"), CertificateId: up.CertificateId})
	assertAPIError(t, err, "NoSuchEntity", 404, "The Certificate with id "+*up.CertificateId+" cannot be found.")

	// The credential report shows both certificates; DeleteUser refuses while they exist.
	report := f.credentialReport()
	row := reportRowOf(t, report, "alice")
	if row["cert_1_active"] != "false" || row["cert_2_active"] != "true" || row["cert_1_last_rotated"] == cellNA {
		t.Fatalf("report row %v", row)
	}
	_, err = f.svc.DeleteUser(ctx, &iamapi.DeleteUserRequest{UserName: ptr("alice")})
	assertAPIError(t, err, "DeleteConflict", 409, "Cannot delete entity, must delete signing certificates first.")
	for _, cert := range l {
		must(f.svc.DeleteSigningCertificate(ctx, &iamapi.DeleteSigningCertificateRequest{UserName: ptr("alice"), CertificateId: cert.CertificateId}))(t)
	}
	must(f.svc.DeleteUser(ctx, &iamapi.DeleteUserRequest{UserName: ptr("alice")}))(t)

	// Root uploads its own (no UserName): AccountSigningCertificatesPresent follows.
	rc := must(f.svc.UploadSigningCertificate(ctx, &iamapi.UploadSigningCertificateRequest{CertificateBody: ptr(c.certPEM)}))(t).Certificate
	if rc.UserName != nil {
		t.Fatalf("root certificate names user %q", *rc.UserName)
	}
	sum := must(f.svc.GetAccountSummary(ctx, nil))(t).SummaryMap
	if sum["AccountSigningCertificatesPresent"] != 1 || sum["SigningCertificatesPerUserQuota"] != 2 {
		t.Fatalf("summary %v", sum)
	}
	if l := must(f.svc.ListSigningCertificates(ctx, &iamapi.ListSigningCertificatesRequest{}))(t).Certificates; len(l) != 1 {
		t.Fatalf("root's list %+v", l)
	}
	// A user without UserName lists its own.
	if l := must(f.svc.ListSigningCertificates(f.asUser("bob"), &iamapi.ListSigningCertificatesRequest{}))(t).Certificates; len(l) != 0 {
		t.Fatalf("bob's list %+v", l)
	}
}

var (
	rsaKeysOnce sync.Once
	rsaKeys     [2]*rsa.PrivateKey
	rsaSmall    *rsa.PrivateKey
)

func testRSAKeys(t testing.TB) ([2]*rsa.PrivateKey, *rsa.PrivateKey) {
	rsaKeysOnce.Do(func() {
		for i := range rsaKeys {
			rsaKeys[i], _ = rsa.GenerateKey(rand.Reader, 2048)
		}
		rsaSmall, _ = rsa.GenerateKey(rand.Reader, 1024)
	})
	return rsaKeys, rsaSmall
}

func authorizedKey(t testing.TB, k *rsa.PrivateKey) string {
	pub, err := ssh.NewPublicKey(&k.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(ssh.MarshalAuthorizedKey(pub)))
}

func TestSSHPublicKeys(t *testing.T) {
	f := newFixture(t)
	ctx := f.root()
	keys, small := testRSAKeys(t)
	must(f.svc.CreateUser(ctx, &iamapi.CreateUserRequest{UserName: ptr("dev")}))(t)
	body := authorizedKey(t, keys[0]) + " dev@laptop"
	up := must(f.svc.UploadSSHPublicKey(ctx, &iamapi.UploadSSHPublicKeyRequest{UserName: ptr("dev"), SSHPublicKeyBody: ptr(body)}))(t).SSHPublicKey
	pub, _ := ssh.NewPublicKey(&keys[0].PublicKey)
	sum := md5.Sum(pub.Marshal())
	var want []string
	for _, b := range sum {
		want = append(want, strings.ToLower(strings.TrimPrefix(big.NewInt(int64(b)+256).Text(16), "1")))
	}
	if *up.Fingerprint != strings.Join(want, ":") || !strings.HasPrefix(*up.SSHPublicKeyId, "APKA") || *up.Status != "Active" {
		t.Fatalf("upload %+v (want fingerprint %s)", up, strings.Join(want, ":"))
	}
	// PEM encoding of the same key is a duplicate.
	der, _ := x509.MarshalPKIXPublicKey(&keys[0].PublicKey)
	pemBody := string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
	_, err := f.svc.UploadSSHPublicKey(ctx, &iamapi.UploadSSHPublicKeyRequest{UserName: ptr("dev"), SSHPublicKeyBody: ptr(pemBody)})
	assertAPIError(t, err, "DuplicateSSHPublicKey", 400, "The SSH public key is already associated with the specified IAM user.")
	_, err = f.svc.UploadSSHPublicKey(ctx, &iamapi.UploadSSHPublicKeyRequest{UserName: ptr("dev"), SSHPublicKeyBody: ptr(authorizedKey(t, small))})
	assertAPIError(t, err, "InvalidPublicKey", 400, "The public key must be at least 2048 bits.")
	edPub, _, _ := ed25519Key()
	_, err = f.svc.UploadSSHPublicKey(ctx, &iamapi.UploadSSHPublicKeyRequest{UserName: ptr("dev"), SSHPublicKeyBody: ptr(edPub)})
	assertAPIError(t, err, "UnrecognizedPublicKeyEncoding", 400, "The public key encoding format is unsupported or unrecognized.")
	_, err = f.svc.UploadSSHPublicKey(ctx, &iamapi.UploadSSHPublicKeyRequest{UserName: ptr("dev"), SSHPublicKeyBody: ptr("ssh-rsa AAAAnotbase64!!")})
	assertAPIError(t, err, "InvalidPublicKey", 400, "The public key is malformed or otherwise invalid.")

	for _, enc := range []string{"SSH", "PEM"} {
		g := must(f.svc.GetSSHPublicKey(ctx, &iamapi.GetSSHPublicKeyRequest{UserName: ptr("dev"), SSHPublicKeyId: up.SSHPublicKeyId, Encoding: ptr(enc)}))(t).SSHPublicKey
		wantBody := authorizedKey(t, keys[0])
		if enc == "PEM" {
			wantBody = pemBody
		}
		if *g.SSHPublicKeyBody != wantBody || *g.Fingerprint != *up.Fingerprint {
			t.Fatalf("%s: %q", enc, *g.SSHPublicKeyBody)
		}
	}
	_, err = f.svc.GetSSHPublicKey(ctx, &iamapi.GetSSHPublicKeyRequest{UserName: ptr("dev"), SSHPublicKeyId: ptr("APKAAAAAAAAAAAAAAAAA"), Encoding: ptr("SSH")})
	assertAPIError(t, err, "NoSuchEntity", 404, "The Public Key with id APKAAAAAAAAAAAAAAAAA cannot be found.")

	must(f.svc.UpdateSSHPublicKey(ctx, &iamapi.UpdateSSHPublicKeyRequest{UserName: ptr("dev"), SSHPublicKeyId: up.SSHPublicKeyId, Status: ptr("Inactive")}))(t)
	l := must(f.svc.ListSSHPublicKeys(f.asUser("dev"), &iamapi.ListSSHPublicKeysRequest{}))(t).SSHPublicKeys
	if len(l) != 1 || *l[0].Status != "Inactive" || *l[0].UserName != "dev" {
		t.Fatalf("list %+v", l)
	}
	_, err = f.svc.DeleteUser(ctx, &iamapi.DeleteUserRequest{UserName: ptr("dev")})
	assertAPIError(t, err, "DeleteConflict", 409, "Cannot delete entity, must delete SSH public keys first.")
	must(f.svc.DeleteSSHPublicKey(ctx, &iamapi.DeleteSSHPublicKeyRequest{UserName: ptr("dev"), SSHPublicKeyId: up.SSHPublicKeyId}))(t)
	_, err = f.svc.DeleteSSHPublicKey(ctx, &iamapi.DeleteSSHPublicKeyRequest{UserName: ptr("dev"), SSHPublicKeyId: up.SSHPublicKeyId})
	assertAPIError(t, err, "NoSuchEntity", 404, "The Public Key with id "+*up.SSHPublicKeyId+" cannot be found.")
}

func TestSSHPublicKeyQuota(t *testing.T) {
	f := newFixture(t)
	ctx := f.root()
	must(f.svc.CreateUser(ctx, &iamapi.CreateUserRequest{UserName: ptr("dev")}))(t)
	keys, _ := testRSAKeys(t)
	// Five distinct keys: the same modulus with different public exponents are distinct keys.
	for i := range maxSSHPublicKeysPerUser + 1 {
		k := keys[0].PublicKey
		k.E = 65537 + 2*i
		pub, _ := ssh.NewPublicKey(&k)
		_, err := f.svc.UploadSSHPublicKey(ctx, &iamapi.UploadSSHPublicKeyRequest{UserName: ptr("dev"),
			SSHPublicKeyBody: ptr(string(ssh.MarshalAuthorizedKey(pub)))})
		if i < maxSSHPublicKeysPerUser {
			if err != nil {
				t.Fatal(err)
			}
			continue
		}
		assertAPIError(t, err, "LimitExceeded", 409, "Cannot exceed quota for SSHPublicKeysPerUser: 5")
	}
}

func ed25519Key() (string, string, error) {
	pub, _, err := ed25519GenerateKey()
	if err != nil {
		return "", "", err
	}
	sp, err := ssh.NewPublicKey(pub)
	if err != nil {
		return "", "", err
	}
	return strings.TrimSpace(string(ssh.MarshalAuthorizedKey(sp))), "", nil
}

func TestServiceSpecificCredentials(t *testing.T) {
	f := newFixture(t)
	ctx := f.root()
	must(f.svc.CreateUser(ctx, &iamapi.CreateUserRequest{UserName: ptr("git")}))(t)
	c := must(f.svc.CreateServiceSpecificCredential(ctx, &iamapi.CreateServiceSpecificCredentialRequest{
		UserName: ptr("GIT"), ServiceName: ptr("codecommit.amazonaws.com")}))(t).ServiceSpecificCredential
	if *c.ServiceUserName != "git-at-123456789012" || len(*c.ServicePassword) != 44 || !strings.HasPrefix(*c.ServiceSpecificCredentialId, "ACCA") ||
		*c.Status != "Active" || *c.UserName != "git" || c.ExpirationDate != nil {
		t.Fatalf("create %+v", c)
	}
	// The password is stored sealed.
	err := f.store.View(context.Background(), func(tx storage.Tx) error {
		sc, err := tx.GetCredential(context.Background(), storage.CredentialServiceSpecific, *c.ServiceSpecificCredentialId)
		if err != nil {
			return err
		}
		if strings.Contains(string(sc.Data), *c.ServicePassword) {
			t.Errorf("password stored in clear: %s", sc.Data)
		}
		d, err := decodeServiceCred(sc)
		if err != nil {
			return err
		}
		plain, err := f.seal.Open(d.SecretSealed, serviceCredAssociatedData(sc.ID))
		if err != nil || string(plain) != *c.ServicePassword {
			t.Errorf("sealed password does not open to the returned one: %v", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	must(f.svc.CreateServiceSpecificCredential(ctx, &iamapi.CreateServiceSpecificCredentialRequest{UserName: ptr("git"), ServiceName: ptr("codecommit.amazonaws.com")}))(t)
	_, err = f.svc.CreateServiceSpecificCredential(ctx, &iamapi.CreateServiceSpecificCredentialRequest{UserName: ptr("git"), ServiceName: ptr("codecommit.amazonaws.com")})
	assertAPIError(t, err, "LimitExceeded", 409, "Cannot exceed quota for ServiceSpecificCredentialsPerUserPerService: 2")
	// Another service has its own quota; Bedrock keys may expire.
	bk := must(f.svc.CreateServiceSpecificCredential(ctx, &iamapi.CreateServiceSpecificCredentialRequest{UserName: ptr("git"),
		ServiceName: ptr("bedrock.amazonaws.com"), CredentialAgeDays: ptr(int32(30))}))(t).ServiceSpecificCredential
	if !strings.HasPrefix(*bk.ServiceCredentialSecret, "ABSK") || *bk.ServiceCredentialAlias != "git-at-123456789012" || bk.ServicePassword != nil ||
		!bk.ExpirationDate.Equal(f.now.AddDate(0, 0, 30)) {
		t.Fatalf("bedrock %+v", bk)
	}
	_, err = f.svc.CreateServiceSpecificCredential(ctx, &iamapi.CreateServiceSpecificCredentialRequest{UserName: ptr("git"),
		ServiceName: ptr("codecommit.amazonaws.com"), CredentialAgeDays: ptr(int32(30))})
	assertAPIError(t, err, "InvalidInput", 400, "CredentialAgeDays is only valid for Bedrock API keys.")
	_, err = f.svc.CreateServiceSpecificCredential(ctx, &iamapi.CreateServiceSpecificCredentialRequest{UserName: ptr("git"), ServiceName: ptr("s3.amazonaws.com")})
	assertAPIError(t, err, "NotSupportedService", 404, "Service s3.amazonaws.com is not supported for service-specific credentials.")
	_, err = f.svc.CreateServiceSpecificCredential(ctx, &iamapi.CreateServiceSpecificCredentialRequest{UserName: ptr("nobody"), ServiceName: ptr("codecommit.amazonaws.com")})
	assertAPIError(t, err, "NoSuchEntity", 404, "The user with name nobody cannot be found.")

	l := must(f.svc.ListServiceSpecificCredentials(ctx, &iamapi.ListServiceSpecificCredentialsRequest{UserName: ptr("git"), ServiceName: ptr("codecommit.amazonaws.com")}))(t)
	if len(l.ServiceSpecificCredentials) != 2 || *l.ServiceSpecificCredentials[0].ServiceUserName != "git-at-123456789012" {
		t.Fatalf("list %+v", l.ServiceSpecificCredentials)
	}
	must(f.svc.CreateUser(ctx, &iamapi.CreateUserRequest{UserName: ptr("other")}))(t)
	must(f.svc.CreateServiceSpecificCredential(ctx, &iamapi.CreateServiceSpecificCredentialRequest{UserName: ptr("other"), ServiceName: ptr("cassandra.amazonaws.com")}))(t)
	if l := must(f.svc.ListServiceSpecificCredentials(ctx, &iamapi.ListServiceSpecificCredentialsRequest{AllUsers: ptr(true)}))(t); len(l.ServiceSpecificCredentials) != 4 {
		t.Fatalf("all users: %+v", l.ServiceSpecificCredentials)
	}
	_, err = f.svc.ListServiceSpecificCredentials(ctx, &iamapi.ListServiceSpecificCredentialsRequest{AllUsers: ptr(true), UserName: ptr("git")})
	assertAPIError(t, err, "InvalidInput", 400, "AllUsers cannot be specified together with UserName.")
	if l := must(f.svc.ListServiceSpecificCredentials(f.asUser("other"), &iamapi.ListServiceSpecificCredentialsRequest{}))(t); len(l.ServiceSpecificCredentials) != 1 {
		t.Fatalf("caller's own: %+v", l.ServiceSpecificCredentials)
	}

	// Reset returns a new password; the expiry passes and the status reads Expired.
	r := must(f.svc.ResetServiceSpecificCredential(ctx, &iamapi.ResetServiceSpecificCredentialRequest{UserName: ptr("git"), ServiceSpecificCredentialId: c.ServiceSpecificCredentialId}))(t).ServiceSpecificCredential
	if *r.ServicePassword == *c.ServicePassword || len(*r.ServicePassword) != 44 {
		t.Fatalf("reset %+v", r)
	}
	f.now = f.now.AddDate(0, 0, 31)
	l = must(f.svc.ListServiceSpecificCredentials(ctx, &iamapi.ListServiceSpecificCredentialsRequest{UserName: ptr("git"), ServiceName: ptr("bedrock.amazonaws.com")}))(t)
	if *l.ServiceSpecificCredentials[0].Status != "Expired" {
		t.Fatalf("bedrock key after expiry: %+v", l.ServiceSpecificCredentials[0])
	}
	must(f.svc.UpdateServiceSpecificCredential(ctx, &iamapi.UpdateServiceSpecificCredentialRequest{UserName: ptr("git"), ServiceSpecificCredentialId: c.ServiceSpecificCredentialId, Status: ptr("Inactive")}))(t)
	_, err = f.svc.UpdateServiceSpecificCredential(ctx, &iamapi.UpdateServiceSpecificCredentialRequest{UserName: ptr("other"), ServiceSpecificCredentialId: c.ServiceSpecificCredentialId, Status: ptr("Inactive")})
	assertAPIError(t, err, "NoSuchEntity", 404, "No such credential "+*c.ServiceSpecificCredentialId+" exists")

	_, err = f.svc.DeleteUser(ctx, &iamapi.DeleteUserRequest{UserName: ptr("git")})
	assertAPIError(t, err, "DeleteConflict", 409, "Cannot delete entity, must delete service specific credentials first.")
	for _, m := range must(f.svc.ListServiceSpecificCredentials(ctx, &iamapi.ListServiceSpecificCredentialsRequest{UserName: ptr("git")}))(t).ServiceSpecificCredentials {
		must(f.svc.DeleteServiceSpecificCredential(ctx, &iamapi.DeleteServiceSpecificCredentialRequest{UserName: ptr("git"), ServiceSpecificCredentialId: m.ServiceSpecificCredentialId}))(t)
	}
	must(f.svc.DeleteUser(ctx, &iamapi.DeleteUserRequest{UserName: ptr("git")}))(t)
}

// credentialReport renders the test account's credential report now.
func (f *fixture) credentialReport() []byte {
	f.t.Helper()
	sc, err := f.svc.scopeOf(f.root())
	if err != nil {
		f.t.Fatal(err)
	}
	out, err := f.svc.credentialReport(f.root(), sc)
	if err != nil {
		f.t.Fatal(err)
	}
	return out
}

// reportRowOf returns the report's row for user as a column → cell map.
func reportRowOf(t *testing.T, report []byte, user string) map[string]string {
	t.Helper()
	recs, err := csv.NewReader(bytes.NewReader(report)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs[1:] {
		if r[0] == user {
			m := make(map[string]string, len(r))
			for i, h := range recs[0] {
				m[h] = r[i]
			}
			return m
		}
	}
	t.Fatalf("no report row for %s", user)
	return nil
}

func ed25519GenerateKey() (ed25519.PublicKey, ed25519.PrivateKey, error) {
	return ed25519.GenerateKey(rand.Reader)
}
