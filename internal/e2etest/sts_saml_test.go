package e2etest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"

	"github.com/iamd/iamd/internal/samlassert/samlidp"
)

const (
	samlRoleAttr     = "https://aws.amazon.com/SAML/Attributes/Role"
	samlSessionAttr  = "https://aws.amazon.com/SAML/Attributes/RoleSessionName"
	samlProviderARN  = "arn:aws:iam::" + AccountID + ":saml-provider/Okta"
	samlTestEntityID = "https://idp.example.com/saml"
)

// samlEnv is a server with the SAML provider Okta (the test IdP's metadata) and an unsigned STS client.
type samlEnv struct {
	s    *Server
	idp  *samlidp.IdP
	iam  *iam.Client
	sts  *sts.Client
	ctx  context.Context
	role func(name, trust string) string
}

func newSAMLEnv(t *testing.T) *samlEnv {
	t.Helper()
	s := Start(t, Options{})
	e := &samlEnv{s: s, idp: samlidp.New(t, samlTestEntityID), iam: s.IAM(RootCreds()),
		sts: s.STS(aws.AnonymousCredentials{}, "us-east-1"), ctx: context.Background()}
	_, err := e.iam.CreateSAMLProvider(e.ctx, &iam.CreateSAMLProviderInput{Name: aws.String("Okta"),
		SAMLMetadataDocument: aws.String(e.idp.Metadata())})
	ok(t, "CreateSAMLProvider", err)
	e.role = func(name, trust string) string {
		out, err := e.iam.CreateRole(e.ctx, &iam.CreateRoleInput{RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(trust)})
		ok(t, "CreateRole "+name, err)
		return aws.ToString(out.Role.Arn)
	}
	return e
}

// samlTrust trusts the Okta provider for actions, with an optional condition block.
func samlTrust(actions, condition string) string {
	c := ""
	if condition != "" {
		c = `,"Condition":` + condition
	}
	return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"` + samlProviderARN +
		`"},"Action":` + actions + c + `}]}`
}

// assertionFor is an assertion offering roleARN through Okta to alice.
func assertionFor(roleARN string, extra map[string][]string) samlidp.Assertion {
	now := time.Now().UTC()
	attrs := map[string][]string{
		samlRoleAttr:    {roleARN + "," + samlProviderARN},
		samlSessionAttr: {"alice@example.com"},
	}
	for k, v := range extra {
		attrs[k] = v
	}
	return samlidp.Assertion{NameID: "alice", NameIDFormat: "urn:oasis:names:tc:SAML:2.0:nameid-format:transient",
		IssueInstant: now, NotBefore: now.Add(-time.Minute), NotOnOrAfter: now.Add(5 * time.Minute), Attributes: attrs}
}

func (e *samlEnv) assume(roleARN, assertion string) (*sts.AssumeRoleWithSAMLOutput, error) {
	return e.sts.AssumeRoleWithSAML(e.ctx, &sts.AssumeRoleWithSAMLInput{RoleArn: aws.String(roleARN),
		PrincipalArn: aws.String(samlProviderARN), SAMLAssertion: aws.String(assertion)})
}

func TestAssumeRoleWithSAML(t *testing.T) {
	e := newSAMLEnv(t)
	roleARN := e.role("sso-admin", samlTrust(`["sts:AssumeRoleWithSAML","sts:TagSession","sts:SetSourceIdentity"]`,
		`{"StringEquals":{"SAML:aud":"https://signin.aws.amazon.com/saml","saml:sub_type":"transient","saml:iss":"`+samlTestEntityID+`"}}`))
	a := assertionFor(roleARN, map[string][]string{
		"https://aws.amazon.com/SAML/Attributes/PrincipalTag:team": {"blue"},
		"https://aws.amazon.com/SAML/Attributes/TransitiveTagKeys": {"team"},
		"https://aws.amazon.com/SAML/Attributes/SourceIdentity":    {"alice"},
		"urn:oid:0.9.2342.19200300.100.1.3":                        {"alice@example.com"},
	})
	for _, sign := range []samlidp.Sign{samlidp.SignAssertion, samlidp.SignResponse} {
		out, err := e.assume(roleARN, e.idp.Response(t, a, sign))
		ok(t, "AssumeRoleWithSAML", err)
		if aws.ToString(out.Subject) != "alice" || aws.ToString(out.SubjectType) != "transient" ||
			aws.ToString(out.Issuer) != samlTestEntityID || aws.ToString(out.Audience) != "https://signin.aws.amazon.com/saml" ||
			aws.ToString(out.NameQualifier) == "" || aws.ToString(out.SourceIdentity) != "alice" || out.PackedPolicySize == nil {
			t.Fatalf("result %+v", out)
		}
		who, err := e.s.STS(sessionCreds(out.Credentials), "us-east-1").GetCallerIdentity(e.ctx, &sts.GetCallerIdentityInput{})
		ok(t, "GetCallerIdentity", err)
		if want := "arn:aws:sts::" + AccountID + ":assumed-role/sso-admin/alice@example.com"; aws.ToString(who.Arn) != want {
			t.Fatalf("caller %s, want %s", aws.ToString(who.Arn), want)
		}
	}
}

func TestAssumeRoleWithSAMLConditionKeysAndPermissions(t *testing.T) {
	e := newSAMLEnv(t)
	cases := []struct {
		name, trust string
		extra       map[string][]string
	}{
		{"saml:sub names someone else", samlTrust(`"sts:AssumeRoleWithSAML"`, `{"StringEquals":{"saml:sub":"bob"}}`), nil},
		{"saml:namequalifier differs", samlTrust(`"sts:AssumeRoleWithSAML"`, `{"StringEquals":{"saml:namequalifier":"x"}}`), nil},
		{"saml:mail differs", samlTrust(`"sts:AssumeRoleWithSAML"`, `{"StringEquals":{"saml:mail":"bob@example.com"}}`),
			map[string][]string{"urn:oid:0.9.2342.19200300.100.1.3": {"alice@example.com"}}},
		{"tags without sts:TagSession", samlTrust(`"sts:AssumeRoleWithSAML"`, ""),
			map[string][]string{"https://aws.amazon.com/SAML/Attributes/PrincipalTag:team": {"blue"}}},
		{"source identity without sts:SetSourceIdentity", samlTrust(`"sts:AssumeRoleWithSAML"`, ""),
			map[string][]string{"https://aws.amazon.com/SAML/Attributes/SourceIdentity": {"alice"}}},
		{"trust names another action", samlTrust(`"sts:AssumeRoleWithWebIdentity"`, ""), nil},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			roleARN := e.role("r"+string(rune('a'+i)), c.trust)
			_, err := e.assume(roleARN, e.idp.Response(t, assertionFor(roleARN, c.extra), samlidp.SignAssertion))
			wantError(t, c.name, err, "AccessDenied", 403, "Not authorized to perform sts:AssumeRoleWithSAML")
		})
	}
	roleARN := e.role("ok", samlTrust(`"sts:AssumeRoleWithSAML"`, `{"StringEquals":{"saml:sub":"alice","saml:doc":"`+AccountID+`/Okta"}}`))
	_, err := e.assume(roleARN, e.idp.Response(t, assertionFor(roleARN, nil), samlidp.SignAssertion))
	ok(t, "matching conditions", err)
}

func TestAssumeRoleWithSAMLErrors(t *testing.T) {
	e := newSAMLEnv(t)
	roleARN := e.role("sso", samlTrust(`"sts:AssumeRoleWithSAML"`, ""))
	other := e.role("other", samlTrust(`"sts:AssumeRoleWithSAML"`, ""))

	_, err := e.sts.AssumeRoleWithSAML(e.ctx, &sts.AssumeRoleWithSAMLInput{RoleArn: aws.String(roleARN),
		PrincipalArn:  aws.String("arn:aws:iam::" + AccountID + ":saml-provider/Nope"),
		SAMLAssertion: aws.String(e.idp.Response(t, assertionFor(roleARN, nil), samlidp.SignAssertion))})
	wantError(t, "unknown provider", err, "InvalidIdentityToken", 400, "Specified provider doesn't exist.")

	// The assertion offers "other", not the role asked for.
	_, err = e.assume(roleARN, e.idp.Response(t, assertionFor(other, nil), samlidp.SignAssertion))
	wantError(t, "role not offered", err, "AccessDenied", 403, "Not authorized to perform sts:AssumeRoleWithSAML")

	a := assertionFor(roleARN, nil)
	delete(a.Attributes, samlSessionAttr)
	_, err = e.assume(roleARN, e.idp.Response(t, a, samlidp.SignAssertion))
	wantError(t, "no session name", err, "InvalidIdentityToken", 400, "RoleSessionName is required in AuthnResponse")

	a = assertionFor(roleARN, map[string][]string{samlSessionAttr: {"a b"}})
	_, err = e.assume(roleARN, e.idp.Response(t, a, samlidp.SignAssertion))
	wantError(t, "bad session name", err, "InvalidIdentityToken", 400, "RoleSessionName in AuthnResponse must match [a-zA-Z_0-9+=,.@-]{2,64}")

	a = assertionFor(roleARN, nil)
	a.Audience = "https://sp.example.com"
	_, err = e.assume(roleARN, e.idp.Response(t, a, samlidp.SignAssertion))
	wantError(t, "audience", err, "InvalidIdentityToken", 400, "Response does not contain the required audience.")

	a = assertionFor(roleARN, nil)
	a.NotBefore, a.NotOnOrAfter = time.Now().Add(-time.Hour), time.Now().Add(-10*time.Minute)
	_, err = e.assume(roleARN, e.idp.Response(t, a, samlidp.SignAssertion))
	wantError(t, "expired", err, "ExpiredTokenException", 400, "Token has expired.")

	_, err = e.sts.AssumeRoleWithSAML(e.ctx, &sts.AssumeRoleWithSAMLInput{RoleArn: aws.String(roleARN),
		PrincipalArn: aws.String(samlProviderARN), DurationSeconds: aws.Int32(7200),
		SAMLAssertion: aws.String(e.idp.Response(t, assertionFor(roleARN, nil), samlidp.SignAssertion))})
	wantError(t, "duration", err, "ValidationError", 400, "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")

	_, err = e.sts.AssumeRoleWithSAML(e.ctx, &sts.AssumeRoleWithSAMLInput{RoleArn: aws.String(roleARN),
		PrincipalArn: aws.String(samlProviderARN), Policy: aws.String(`{"Version":"2012-10-17","Statement":[]`),
		SAMLAssertion: aws.String(e.idp.Response(t, assertionFor(roleARN, nil), samlidp.SignAssertion))})
	var mp *ststypes.MalformedPolicyDocumentException
	if !errors.As(err, &mp) {
		t.Fatalf("malformed session policy: %v", err)
	}
}

// A provider holding a private key with encryption Required: encrypted (and signed) assertions are read,
// plain ones refused.
func TestAssumeRoleWithSAMLEncryptedAssertion(t *testing.T) {
	e := newSAMLEnv(t)
	sp := samlidp.New(t, "iamd-sp") // the service provider's key pair: the IdP encrypts to its certificate
	_, err := e.iam.UpdateSAMLProvider(e.ctx, &iam.UpdateSAMLProviderInput{SAMLProviderArn: aws.String(samlProviderARN),
		AddPrivateKey: aws.String(sp.PrivateKeyPEM(t)), AssertionEncryptionMode: iamtypes.AssertionEncryptionModeTypeRequired})
	ok(t, "UpdateSAMLProvider", err)
	roleARN := e.role("sso", samlTrust(`"sts:AssumeRoleWithSAML"`, ""))

	signed := samlidp.SignElement(t, e.idp.AssertionElement(assertionFor(roleARN, nil)), e.idp.Key, e.idp.CertDER)
	out, err := e.assume(roleARN, samlidp.Encode(t, e.idp.ResponseElement(samlidp.Encrypt(t, signed, sp.CertDER))))
	ok(t, "encrypted assertion", err)
	if aws.ToString(out.Subject) != "alice" {
		t.Fatalf("Subject %q", aws.ToString(out.Subject))
	}

	_, err = e.assume(roleARN, e.idp.Response(t, assertionFor(roleARN, nil), samlidp.SignAssertion))
	wantError(t, "plain assertion, Required", err, "InvalidIdentityToken", 400, "Invalid SAML response.")

	// Encrypted to another key: cannot be read.
	other := samlidp.New(t, "other-sp")
	signed = samlidp.SignElement(t, e.idp.AssertionElement(assertionFor(roleARN, nil)), e.idp.Key, e.idp.CertDER)
	_, err = e.assume(roleARN, samlidp.Encode(t, e.idp.ResponseElement(samlidp.Encrypt(t, signed, other.CertDER))))
	wantError(t, "encrypted to another key", err, "InvalidIdentityToken", 400, "Invalid SAML response.")

	// Encrypted but unsigned (anyone can encrypt to the public certificate).
	_, err = e.assume(roleARN, samlidp.Encode(t, e.idp.ResponseElement(samlidp.Encrypt(t, e.idp.AssertionElement(assertionFor(roleARN, nil)), sp.CertDER))))
	wantError(t, "encrypted, unsigned", err, "InvalidIdentityToken", 400, "Response signature invalid")
}

// The session ends no later than the IdP's session (AuthnStatement SessionNotOnOrAfter); an IdP session
// already over gives no credentials.
func TestAssumeRoleWithSAMLSessionNotOnOrAfter(t *testing.T) {
	e := newSAMLEnv(t)
	roleARN := e.role("sso", samlTrust(`"sts:AssumeRoleWithSAML"`, ""))
	a := assertionFor(roleARN, nil)
	a.SessionNotOnOrAfter = time.Now().UTC().Add(20 * time.Minute).Truncate(time.Second)
	out, err := e.assume(roleARN, e.idp.Response(t, a, samlidp.SignAssertion))
	ok(t, "AssumeRoleWithSAML", err)
	if got := aws.ToTime(out.Credentials.Expiration); !got.Equal(a.SessionNotOnOrAfter) {
		t.Fatalf("Expiration %v, want the IdP session's end %v", got, a.SessionNotOnOrAfter)
	}
	a = assertionFor(roleARN, nil)
	a.SessionNotOnOrAfter = time.Now().UTC().Add(-time.Minute)
	_, err = e.assume(roleARN, e.idp.Response(t, a, samlidp.SignAssertion))
	wantError(t, "IdP session over", err, "ExpiredTokenException", 400, "Token has expired.")
}
