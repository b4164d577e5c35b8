package e2etest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"golang.org/x/crypto/ssh"
)

// selfSigned returns a fresh self-signed certificate valid now and its PKCS #8 key, in PEM.
func selfSigned(t *testing.T, cn string) (certPEM, keyPEM string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})), string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}))
}

// Server certificates through the SDK: results, errors, counters and authorization at the stored ARN.
func TestIAMServerCertificates(t *testing.T) {
	e := newIAMEnv(t)
	c, ctx := e.c, e.ctx
	body, key := selfSigned(t, "www.example.com")
	_, otherKey := selfSigned(t, "other")
	m := must[*iam.UploadServerCertificateOutput](t, "UploadServerCertificate")(c.UploadServerCertificate(ctx, &iam.UploadServerCertificateInput{
		ServerCertificateName: aws.String("web"), Path: aws.String("/cloudfront/"), CertificateBody: aws.String(body), PrivateKey: aws.String(key),
		Tags: tags("env", "prod")})).ServerCertificateMetadata
	checkID(t, "UploadServerCertificate", aws.ToString(m.ServerCertificateId), "ASCA")
	if aws.ToString(m.Arn) != arn("server-certificate/cloudfront/web") || m.Expiration == nil {
		t.Fatalf("UploadServerCertificate: %+v", m)
	}
	g := must[*iam.GetServerCertificateOutput](t, "GetServerCertificate")(c.GetServerCertificate(ctx, &iam.GetServerCertificateInput{
		ServerCertificateName: aws.String("web")})).ServerCertificate
	if aws.ToString(g.CertificateBody) != body || tagMap(g.Tags)["env"] != "prod" {
		t.Fatalf("GetServerCertificate: %+v", g)
	}
	l := must[*iam.ListServerCertificatesOutput](t, "ListServerCertificates")(c.ListServerCertificates(ctx, &iam.ListServerCertificatesInput{PathPrefix: aws.String("/cloudfront/")}))
	if len(l.ServerCertificateMetadataList) != 1 {
		t.Fatalf("ListServerCertificates: %+v", l)
	}
	sum := must[*iam.GetAccountSummaryOutput](t, "GetAccountSummary")(c.GetAccountSummary(ctx, &iam.GetAccountSummaryInput{})).SummaryMap
	if sum["ServerCertificates"] != 1 || sum["ServerCertificatesQuota"] != 20 {
		t.Fatalf("summary: %v", sum)
	}
	runErrCases(t, []errCase{
		{"duplicate", func() error {
			return call(c.UploadServerCertificate(ctx, &iam.UploadServerCertificateInput{ServerCertificateName: aws.String("WEB"),
				CertificateBody: aws.String(body), PrivateKey: aws.String(key)}))
		}, "EntityAlreadyExists", 409, "The Server Certificate with name WEB already exists."},
		{"malformed", func() error {
			return call(c.UploadServerCertificate(ctx, &iam.UploadServerCertificateInput{ServerCertificateName: aws.String("x"),
				CertificateBody: aws.String("certbody"), PrivateKey: aws.String(key)}))
		}, "MalformedCertificate", 400, "Unable to parse certificate. Please ensure the certificate is in PEM format."},
		{"mismatch", func() error {
			return call(c.UploadServerCertificate(ctx, &iam.UploadServerCertificateInput{ServerCertificateName: aws.String("x"),
				CertificateBody: aws.String(body), PrivateKey: aws.String(otherKey)}))
		}, "KeyPairMismatch", 400, "The private key did not match the public key in the certificate."},
		{"missing", func() error {
			return call(c.GetServerCertificate(ctx, &iam.GetServerCertificateInput{ServerCertificateName: aws.String("nope")}))
		}, "NoSuchEntity", 404, "The Server Certificate with name nope cannot be found."},
	})

	// A policy on the certificate's path allows it whatever case the request spells the name in; a
	// policy on another path does not.
	az := &authzEnv{t: t, s: e.s, root: c, ctx: ctx}
	ops := e.s.IAM(az.user("ops", azDoc(azAllow("iam:GetServerCertificate", azARN+"server-certificate/cloudfront/*"),
		azAllow("iam:DeleteServerCertificate", azARN+"server-certificate/elb/*"),
		azAllow("iam:UpdateServerCertificate", azARN+"server-certificate/cloudfront/*"))))
	must[*iam.GetServerCertificateOutput](t, "GetServerCertificate as ops")(ops.GetServerCertificate(ctx, &iam.GetServerCertificateInput{ServerCertificateName: aws.String("WEB")}))
	_, err := ops.DeleteServerCertificate(ctx, &iam.DeleteServerCertificateInput{ServerCertificateName: aws.String("web")})
	wantDenied(t, err, "AccessDenied", azNotAuthorized(azARN+"user/ops", "iam:DeleteServerCertificate", azARN+"server-certificate/cloudfront/web",
		because("identity-based policy", "iam:DeleteServerCertificate")))
	// The certificate's tags are its aws:ResourceTag keys.
	tagged := e.s.IAM(az.user("tagged", azDoc(`{"Effect":"Allow","Action":"iam:ListServerCertificateTags","Resource":"*",`+
		`"Condition":{"StringEquals":{"aws:ResourceTag/env":"prod"}}}`)))
	must[*iam.ListServerCertificateTagsOutput](t, "ListServerCertificateTags as tagged")(tagged.ListServerCertificateTags(ctx, &iam.ListServerCertificateTagsInput{ServerCertificateName: aws.String("web")}))
	must[*iam.UntagServerCertificateOutput](t, "UntagServerCertificate")(c.UntagServerCertificate(ctx, &iam.UntagServerCertificateInput{ServerCertificateName: aws.String("web"), TagKeys: []string{"env"}}))
	_, err = tagged.ListServerCertificateTags(ctx, &iam.ListServerCertificateTagsInput{ServerCertificateName: aws.String("web")})
	wantDenied(t, err, "AccessDenied", azNotAuthorized(azARN+"user/tagged", "iam:ListServerCertificateTags", azARN+"server-certificate/cloudfront/web",
		because("identity-based policy", "iam:ListServerCertificateTags")))
	// Moving it needs the permission on the new ARN too.
	_, err = ops.UpdateServerCertificate(ctx, &iam.UpdateServerCertificateInput{ServerCertificateName: aws.String("web"), NewPath: aws.String("/elb/")})
	wantDenied(t, err, "AccessDenied", azNotAuthorized(azARN+"user/ops", "iam:UpdateServerCertificate", azARN+"server-certificate/elb/web",
		because("identity-based policy", "iam:UpdateServerCertificate")))
	must[*iam.UpdateServerCertificateOutput](t, "UpdateServerCertificate as ops")(ops.UpdateServerCertificate(ctx, &iam.UpdateServerCertificateInput{
		ServerCertificateName: aws.String("web"), NewServerCertificateName: aws.String("web-2024")}))
	must[*iam.UpdateServerCertificateOutput](t, "UpdateServerCertificate")(c.UpdateServerCertificate(ctx, &iam.UpdateServerCertificateInput{
		ServerCertificateName: aws.String("web-2024"), NewPath: aws.String("/elb/")}))
	must[*iam.DeleteServerCertificateOutput](t, "DeleteServerCertificate as ops")(ops.DeleteServerCertificate(ctx, &iam.DeleteServerCertificateInput{ServerCertificateName: aws.String("web-2024")}))
}

// Signing certificates, SSH public keys and service-specific credentials through the SDK, managed by
// users themselves under AWS's self-service policy (resource user/${aws:username}).
func TestIAMUserCredentials(t *testing.T) {
	e := newIAMEnv(t)
	c, ctx := e.c, e.ctx
	az := &authzEnv{t: t, s: e.s, root: c, ctx: ctx}
	self := azDoc(`{"Effect":"Allow","Action":["iam:UploadSigningCertificate","iam:ListSigningCertificates","iam:DeleteSigningCertificate",` +
		`"iam:UploadSSHPublicKey","iam:ListSSHPublicKeys","iam:GetSSHPublicKey","iam:DeleteSSHPublicKey",` +
		`"iam:CreateServiceSpecificCredential","iam:ListServiceSpecificCredentials","iam:DeleteServiceSpecificCredential"],` +
		`"Resource":"arn:aws:iam::*:user/${aws:username}"}`)
	alice := e.s.IAM(az.user("alice", self))
	az.user("bob", "")

	body, _ := selfSigned(t, "alice")
	cert := must[*iam.UploadSigningCertificateOutput](t, "UploadSigningCertificate")(alice.UploadSigningCertificate(ctx, &iam.UploadSigningCertificateInput{
		CertificateBody: aws.String(body)})).Certificate
	if aws.ToString(cert.UserName) != "alice" || cert.Status != iamtypes.StatusTypeActive {
		t.Fatalf("UploadSigningCertificate: %+v", cert)
	}
	_, err := alice.UploadSigningCertificate(ctx, &iam.UploadSigningCertificateInput{UserName: aws.String("bob"), CertificateBody: aws.String(body)})
	wantDenied(t, err, "AccessDenied", azNotAuthorized(azARN+"user/alice", "iam:UploadSigningCertificate", azARN+"user/bob",
		because("identity-based policy", "iam:UploadSigningCertificate")))

	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := ssh.NewPublicKey(&k.PublicKey)
	sk := must[*iam.UploadSSHPublicKeyOutput](t, "UploadSSHPublicKey")(alice.UploadSSHPublicKey(ctx, &iam.UploadSSHPublicKeyInput{
		UserName: aws.String("alice"), SSHPublicKeyBody: aws.String(string(ssh.MarshalAuthorizedKey(pub)))})).SSHPublicKey
	checkID(t, "UploadSSHPublicKey", aws.ToString(sk.SSHPublicKeyId), "APKA")
	if aws.ToString(sk.Fingerprint) != ssh.FingerprintLegacyMD5(pub) {
		t.Fatalf("fingerprint %s", aws.ToString(sk.Fingerprint))
	}
	gp := must[*iam.GetSSHPublicKeyOutput](t, "GetSSHPublicKey")(alice.GetSSHPublicKey(ctx, &iam.GetSSHPublicKeyInput{UserName: aws.String("alice"),
		SSHPublicKeyId: sk.SSHPublicKeyId, Encoding: iamtypes.EncodingTypePem})).SSHPublicKey
	if !strings.HasPrefix(aws.ToString(gp.SSHPublicKeyBody), "-----BEGIN PUBLIC KEY-----") {
		t.Fatalf("PEM: %q", aws.ToString(gp.SSHPublicKeyBody))
	}

	cr := must[*iam.CreateServiceSpecificCredentialOutput](t, "CreateServiceSpecificCredential")(alice.CreateServiceSpecificCredential(ctx,
		&iam.CreateServiceSpecificCredentialInput{UserName: aws.String("alice"), ServiceName: aws.String("codecommit.amazonaws.com")})).ServiceSpecificCredential
	if aws.ToString(cr.ServiceUserName) != "alice-at-"+AccountID || aws.ToString(cr.ServicePassword) == "" {
		t.Fatalf("CreateServiceSpecificCredential: %+v", cr)
	}
	lc := must[*iam.ListServiceSpecificCredentialsOutput](t, "ListServiceSpecificCredentials")(alice.ListServiceSpecificCredentials(ctx, &iam.ListServiceSpecificCredentialsInput{}))
	if len(lc.ServiceSpecificCredentials) != 1 {
		t.Fatalf("ListServiceSpecificCredentials: %+v", lc)
	}

	runErrCases(t, []errCase{
		{"delete user with access key", func() error {
			return call(c.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("bob")}))
		}, "DeleteConflict", 409, "Cannot delete entity, must delete access keys first."},
		{"ssh key too short", func() error {
			small, _ := rsa.GenerateKey(rand.Reader, 1024)
			sp, _ := ssh.NewPublicKey(&small.PublicKey)
			return call(c.UploadSSHPublicKey(ctx, &iam.UploadSSHPublicKeyInput{UserName: aws.String("alice"), SSHPublicKeyBody: aws.String(string(ssh.MarshalAuthorizedKey(sp)))}))
		}, "InvalidPublicKey", 400, "The public key must be at least 2048 bits."},
		{"unsupported service", func() error {
			return call(c.CreateServiceSpecificCredential(ctx, &iam.CreateServiceSpecificCredentialInput{UserName: aws.String("alice"), ServiceName: aws.String("s3.amazonaws.com")}))
		}, "NotSupportedService", 404, "Service s3.amazonaws.com is not supported for service-specific credentials."},
		{"signing certificate of another user", func() error {
			return call(c.DeleteSigningCertificate(ctx, &iam.DeleteSigningCertificateInput{UserName: aws.String("bob"), CertificateId: cert.CertificateId}))
		}, "NoSuchEntity", 404, "The Certificate with id " + aws.ToString(cert.CertificateId) + " cannot be found."},
	})

	// DeleteUser refuses while each kind remains, in AWS's order.
	keys := must[*iam.ListAccessKeysOutput](t, "ListAccessKeys")(c.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String("alice")}))
	for _, k := range keys.AccessKeyMetadata {
		must[*iam.DeleteAccessKeyOutput](t, "DeleteAccessKey")(c.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: aws.String("alice"), AccessKeyId: k.AccessKeyId}))
	}
	must[*iam.DeleteUserPolicyOutput](t, "DeleteUserPolicy")(c.DeleteUserPolicy(ctx, &iam.DeleteUserPolicyInput{UserName: aws.String("alice"), PolicyName: aws.String("base")}))
	steps := []struct {
		msg  string
		drop func()
	}{
		{"delete signing certificates", func() {
			must[*iam.DeleteSigningCertificateOutput](t, "DeleteSigningCertificate")(c.DeleteSigningCertificate(ctx, &iam.DeleteSigningCertificateInput{UserName: aws.String("alice"), CertificateId: cert.CertificateId}))
		}},
		{"delete SSH public keys", func() {
			must[*iam.DeleteSSHPublicKeyOutput](t, "DeleteSSHPublicKey")(c.DeleteSSHPublicKey(ctx, &iam.DeleteSSHPublicKeyInput{UserName: aws.String("alice"), SSHPublicKeyId: sk.SSHPublicKeyId}))
		}},
		{"delete service specific credentials", func() {
			must[*iam.DeleteServiceSpecificCredentialOutput](t, "DeleteServiceSpecificCredential")(c.DeleteServiceSpecificCredential(ctx, &iam.DeleteServiceSpecificCredentialInput{UserName: aws.String("alice"), ServiceSpecificCredentialId: cr.ServiceSpecificCredentialId}))
		}},
	}
	for _, s := range steps {
		wantError(t, "DeleteUser", call(c.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("alice")})), "DeleteConflict", 409, "Cannot delete entity, must "+s.msg+" first.")
		s.drop()
	}
	must[*iam.DeleteUserOutput](t, "DeleteUser")(c.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("alice")}))
}
