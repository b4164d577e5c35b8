package e2etest

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/beevik/etree"

	"github.com/iamd/iamd/internal/samlassert/samlidp"
)

// Attacks on AssumeRoleWithSAML's verification of the XML signature: each is a response an attacker can
// build from a genuine signed one (or without any), sent through the SDK to the real server.

func samlDocOf(t *testing.T, b64 string) *etree.Document {
	t.Helper()
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		t.Fatal(err)
	}
	d := etree.NewDocument()
	if err := d.ReadFromBytes(raw); err != nil {
		t.Fatal(err)
	}
	return d
}

func samlEncodeDoc(t *testing.T, d *etree.Document) string {
	t.Helper()
	b, err := d.WriteToBytes()
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(b)
}

func adminAssertion(roleARN string) samlidp.Assertion {
	a := assertionFor(roleARN, nil)
	a.NameID = "admin"
	return a
}

// A role only "admin" may assume; the attacker holds a genuine assertion for "alice".
func samlAttackEnv(t *testing.T) (*samlEnv, string) {
	e := newSAMLEnv(t)
	return e, e.role("admins", samlTrust(`"sts:AssumeRoleWithSAML"`, `{"StringEquals":{"saml:sub":"admin"}}`))
}

func TestAdversarialSAMLSignatureWrapping(t *testing.T) {
	e, roleARN := samlAttackEnv(t)
	// A genuine signed assertion for alice, with an unsigned one for admin put before it.
	d := samlDocOf(t, e.idp.Response(t, assertionFor(roleARN, nil), samlidp.SignAssertion))
	d.Root().InsertChildAt(2, e.idp.AssertionElement(adminAssertion(roleARN)))
	_, err := e.assume(roleARN, samlEncodeDoc(t, d))
	wantError(t, "injected sibling", err, "InvalidIdentityToken", 400, "Invalid SAML response.")

	// The signed assertion hidden inside the injected one (the response then holds one assertion).
	d = samlDocOf(t, e.idp.Response(t, assertionFor(roleARN, nil), samlidp.SignAssertion))
	signed := d.Root().FindElement("./Assertion")
	d.Root().RemoveChild(signed)
	evil := e.idp.AssertionElement(adminAssertion(roleARN))
	evil.FindElement("./Subject").AddChild(signed)
	d.Root().AddChild(evil)
	_, err = e.assume(roleARN, samlEncodeDoc(t, d))
	wantError(t, "wrapped inside", err, "InvalidIdentityToken", 400, "Response signature invalid")
}

// A comment inside the NameID: the signature (canonicalized without comments) covers
// "admin.evil.example", which the IdP vouched for; an attacker registered as "admin.evil.example" adds
// a comment after signing, and a verifier reading only the text before the comment would see "admin".
// The subject is the whole signed text.
func TestAdversarialSAMLCommentInNameID(t *testing.T) {
	e, roleARN := samlAttackEnv(t)
	commented := func(role string) string {
		a := assertionFor(role, nil)
		a.NameID = "admin.evil.example"
		el := samlidp.SignElement(t, e.idp.AssertionElement(a), e.idp.Key, e.idp.CertDER)
		nid := el.FindElement("./Subject/NameID")
		for _, c := range append([]etree.Token(nil), nid.Child...) {
			nid.RemoveChild(c)
		}
		nid.CreateText("admin")
		nid.CreateComment("")
		nid.CreateText(".evil.example")
		return samlidp.Encode(t, e.idp.ResponseElement(el))
	}
	_, err := e.assume(roleARN, commented(roleARN))
	wantError(t, "comment in NameID", err, "AccessDenied", 403, "Not authorized to perform sts:AssumeRoleWithSAML")

	open := e.role("open", samlTrust(`"sts:AssumeRoleWithSAML"`, ""))
	out, err := e.assume(open, commented(open))
	ok(t, "open role", err)
	if got := aws.ToString(out.Subject); got != "admin.evil.example" {
		t.Fatalf("Subject = %q, want the whole signed text", got)
	}
}

// An unsigned assertion for admin in place of the one a signed response carried, and an unsigned
// response altogether.
func TestAdversarialSAMLUnsignedAssertionInSignedResponse(t *testing.T) {
	e, roleARN := samlAttackEnv(t)
	d := samlDocOf(t, e.idp.Response(t, assertionFor(roleARN, nil), samlidp.SignResponse))
	d.Root().RemoveChild(d.Root().FindElement("./Assertion"))
	d.Root().AddChild(e.idp.AssertionElement(adminAssertion(roleARN)))
	_, err := e.assume(roleARN, samlEncodeDoc(t, d))
	wantError(t, "swapped assertion", err, "InvalidIdentityToken", 400, "Response signature invalid")

	_, err = e.assume(roleARN, e.idp.Response(t, adminAssertion(roleARN), samlidp.SignNone))
	wantError(t, "unsigned", err, "InvalidIdentityToken", 400, "Response signature invalid")
}

// A well-formed signature by a key whose certificate is not in the provider's metadata.
func TestAdversarialSAMLForeignCertificate(t *testing.T) {
	e, roleARN := samlAttackEnv(t)
	mallory := samlidp.New(t, samlTestEntityID)
	_, err := e.assume(roleARN, mallory.Response(t, adminAssertion(roleARN), samlidp.SignAssertion))
	wantError(t, "foreign certificate", err, "InvalidIdentityToken", 400, "Response signature invalid")
}

// A captured assertion is exchanged once only.
func TestAdversarialSAMLReplayedAssertion(t *testing.T) {
	e := newSAMLEnv(t)
	roleARN := e.role("sso", samlTrust(`"sts:AssumeRoleWithSAML"`, ""))
	resp := e.idp.Response(t, assertionFor(roleARN, nil), samlidp.SignAssertion)
	_, err := e.assume(roleARN, resp)
	ok(t, "first use", err)
	_, err = e.assume(roleARN, resp)
	wantError(t, "replay", err, "InvalidIdentityToken", 400, "The SAML assertion has already been used.")
	// At the global endpoint too: the cache is the service's, not the endpoint's.
	_, err = e.s.GlobalSTS(aws.AnonymousCredentials{}).AssumeRoleWithSAML(e.ctx, &sts.AssumeRoleWithSAMLInput{
		RoleArn: aws.String(roleARN), PrincipalArn: aws.String(samlProviderARN), SAMLAssertion: aws.String(resp)})
	wantError(t, "replay at the global endpoint", err, "InvalidIdentityToken", 400, "The SAML assertion has already been used.")
}

// A signed attribute changed after signing: the Role pair now names the admins role.
func TestAdversarialSAMLModifiedSignedAttribute(t *testing.T) {
	e, roleARN := samlAttackEnv(t)
	d := samlDocOf(t, e.idp.Response(t, assertionFor(roleARN, nil), samlidp.SignAssertion))
	nid := d.Root().FindElement("./Assertion/Subject/NameID")
	nid.SetText("admin")
	_, err := e.assume(roleARN, samlEncodeDoc(t, d))
	wantError(t, "modified NameID", err, "InvalidIdentityToken", 400, "Response signature invalid")
}

// Document type declarations (external entities, entity expansion) are refused before any parsing that
// could resolve them; deep or oversized documents are refused before a tree is built.
func TestAdversarialSAMLDTDAndSize(t *testing.T) {
	e, roleARN := samlAttackEnv(t)
	raw, _ := base64.StdEncoding.DecodeString(e.idp.Response(t, assertionFor(roleARN, nil), samlidp.SignAssertion))
	xxe := `<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>` + string(raw)
	_, err := e.assume(roleARN, base64.StdEncoding.EncodeToString([]byte(xxe)))
	wantError(t, "DTD", err, "InvalidIdentityToken", 400, "Invalid SAML response.")

	deep := strings.Repeat("<a>", 5000) + strings.Repeat("</a>", 5000)
	_, err = e.assume(roleARN, base64.StdEncoding.EncodeToString([]byte(deep)))
	wantError(t, "deep", err, "InvalidIdentityToken", 400, "Invalid SAML response.")

	_, err = e.assume(roleARN, strings.Repeat("A", 100_001))
	wantError(t, "oversized", err, "ValidationError", 400,
		"1 validation error detected: Value at 'sAMLAssertion' failed to satisfy constraint: Member must have length less than or equal to 100000")
}
