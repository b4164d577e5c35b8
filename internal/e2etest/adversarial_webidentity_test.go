package e2etest

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	"github.com/go-jose/go-jose/v4"
)

// Every check of AssumeRoleWithWebIdentity that refuses a token, each shown refusing through the server.

type wiEnv struct {
	t       *testing.T
	s       *Server
	is      *oidcIssuer
	roleARN string
}

func newWIEnv(t *testing.T, cond map[string]any) *wiEnv {
	s := Start(t, Options{})
	is := newOIDCIssuer(t)
	return &wiEnv{t: t, s: s, is: is, roleARN: webIdentitySetup(t, s, is, "web", cond)}
}

func (e *wiEnv) assume(tok string) (*sts.AssumeRoleWithWebIdentityOutput, error) {
	return assumeWebIdentity(e.s, e.roleARN, tok)
}

func assumeWebIdentity(s *Server, roleARN, tok string) (*sts.AssumeRoleWithWebIdentityOutput, error) {
	return s.STS(aws.AnonymousCredentials{}, "us-east-1").AssumeRoleWithWebIdentity(context.Background(),
		&sts.AssumeRoleWithWebIdentityInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("session"),
			WebIdentityToken: aws.String(tok)})
}

// refused checks err is the API error code with a message containing msg.
func refused(t *testing.T, what string, err error, code, msg string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("%s: err %v, want %s", what, err, code)
	}
	if ae.ErrorCode() != code || !strings.Contains(ae.ErrorMessage(), msg) {
		t.Fatalf("%s: %s %q, want %s containing %q", what, ae.ErrorCode(), ae.ErrorMessage(), code, msg)
	}
}

// The control: the same set-up accepts a good token, so each refusal below is the check's.
func (e *wiEnv) accepts(tok string) {
	e.t.Helper()
	if _, err := e.assume(tok); err != nil {
		e.t.Fatalf("a good token is refused: %v", err)
	}
}

func TestAdversarialWebIdentityUnregisteredIssuerIsNeverFetched(t *testing.T) {
	e := newWIEnv(t, nil)
	other := newOIDCIssuer(t) // a live issuer no provider names
	_, err := e.assume(other.sign(t, "rsa1", nil))
	refused(t, "unregistered issuer", err, "InvalidIdentityToken", "No OpenIDConnect provider found in your account for "+other.URL)
	if n := other.requests.Load(); n != 0 {
		t.Fatalf("iamd sent %d requests to an issuer no provider names", n)
	}
	// An issuer that differs from the provider's URL only in case, or by a trailing slash, is another one.
	_, err = e.assume(e.is.sign(t, "rsa1", claims{"iss": strings.ToUpper(e.is.URL)}))
	refused(t, "issuer in other case", err, "InvalidIdentityToken", "")
	_, err = e.assume(e.is.sign(t, "rsa1", claims{"iss": e.is.URL + "/"}))
	refused(t, "issuer with a slash", err, "InvalidIdentityToken", "No OpenIDConnect provider")
	e.accepts(e.is.sign(t, "rsa1", nil))
}

func TestAdversarialWebIdentityUnknownKeyID(t *testing.T) {
	e := newWIEnv(t, nil)
	rogue, _ := rsa.GenerateKey(rand.Reader, 2048)
	_, err := e.assume(signWith(t, rogue, jose.RS256, "rogue", e.is.fill(nil)))
	refused(t, "unknown kid", err, "InvalidIdentityToken", "could not be validated")
	e.accepts(e.is.sign(t, "rsa1", nil))
}

func TestAdversarialWebIdentityBadSignature(t *testing.T) {
	e := newWIEnv(t, nil)
	// A key of the attacker under the issuer's key ID.
	rogue, _ := rsa.GenerateKey(rand.Reader, 2048)
	_, err := e.assume(signWith(t, rogue, jose.RS256, "rsa1", e.is.fill(nil)))
	refused(t, "foreign key", err, "InvalidIdentityToken", "could not be validated")
	rogueEC, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	_, err = e.assume(signWith(t, rogueEC, jose.ES256, "ec1", e.is.fill(nil)))
	refused(t, "foreign EC key", err, "InvalidIdentityToken", "could not be validated")
	// A good token whose payload was changed after signing.
	good := e.is.sign(t, "rsa1", nil)
	parts := strings.Split(good, ".")
	parts[1] = base64.RawURLEncoding.EncodeToString([]byte(fmt.Sprintf(`{"iss":%q,"sub":"admin","aud":"sts.amazonaws.com","exp":%d}`,
		e.is.URL, time.Now().Add(time.Hour).Unix())))
	_, err = e.assume(strings.Join(parts, "."))
	refused(t, "tampered payload", err, "InvalidIdentityToken", "could not be validated")
	e.accepts(good)
	e.accepts(e.is.sign(t, "ec1", nil))
}

func TestAdversarialWebIdentityAlgNoneAndHMAC(t *testing.T) {
	e := newWIEnv(t, nil)
	enc := base64.RawURLEncoding.EncodeToString
	payload := enc([]byte(fmt.Sprintf(`{"iss":%q,"sub":"x","aud":"sts.amazonaws.com","exp":%d}`, e.is.URL, time.Now().Add(time.Hour).Unix())))
	_, err := e.assume(enc([]byte(`{"alg":"none","kid":"rsa1"}`)) + "." + payload + ".")
	refused(t, "alg none", err, "InvalidIdentityToken", "could not be validated")
	// HS256 keyed with something public (the classic confusion: the RSA public key as an HMAC secret).
	_, err = e.assume(signWith(t, []byte("the issuer's public key, as an HMAC secret"), jose.HS256, "rsa1", e.is.fill(nil)))
	refused(t, "HS256", err, "InvalidIdentityToken", "could not be validated")
	_, err = e.assume("not.a.jwt")
	refused(t, "garbage", err, "InvalidIdentityToken", "could not be validated")
	e.accepts(e.is.sign(t, "rsa1", nil))
}

func TestAdversarialWebIdentityExpiredOrNotYetValid(t *testing.T) {
	e := newWIEnv(t, nil)
	now := time.Now()
	_, err := e.assume(e.is.sign(t, "rsa1", claims{"exp": now.Add(-time.Hour).Unix(), "iat": now.Add(-2 * time.Hour).Unix()}))
	refused(t, "expired", err, "ExpiredTokenException", "Token expired")
	_, err = e.assume(e.is.sign(t, "rsa1", claims{"exp": nil}))
	refused(t, "no exp", err, "InvalidIdentityToken", "could not be validated")
	_, err = e.assume(e.is.sign(t, "rsa1", claims{"nbf": now.Add(time.Hour).Unix(), "exp": now.Add(2 * time.Hour).Unix()}))
	refused(t, "nbf in the future", err, "InvalidIdentityToken", "could not be validated")
	_, err = e.assume(e.is.sign(t, "rsa1", claims{"iat": now.Add(time.Hour).Unix(), "exp": now.Add(2 * time.Hour).Unix()}))
	refused(t, "iat in the future", err, "InvalidIdentityToken", "could not be validated")
	// Within the skew, a clock a little behind the issuer's is forgiven.
	e.accepts(e.is.sign(t, "rsa1", claims{"iat": now.Add(time.Minute).Unix()}))
}

func TestAdversarialWebIdentityAudienceMismatch(t *testing.T) {
	e := newWIEnv(t, nil)
	_, err := e.assume(e.is.sign(t, "rsa1", claims{"aud": "someone-else"}))
	refused(t, "aud", err, "InvalidIdentityToken", "Incorrect token audience")
	// azp, when present, is the audience that counts, whatever aud lists.
	_, err = e.assume(e.is.sign(t, "rsa1", claims{"aud": []string{"sts.amazonaws.com"}, "azp": "someone-else"}))
	refused(t, "azp", err, "InvalidIdentityToken", "Incorrect token audience")
	_, err = e.assume(e.is.sign(t, "rsa1", claims{"aud": nil}))
	refused(t, "no aud", err, "InvalidIdentityToken", "Incorrect token audience")
	e.accepts(e.is.sign(t, "rsa1", claims{"aud": []string{"other", "sts.amazonaws.com"}}))
}

func TestAdversarialWebIdentityTrustConditionOnSub(t *testing.T) {
	e := newWIEnv(t, nil)
	e.s.IAM(RootCreds()).UpdateAssumeRolePolicy(context.Background(), &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String("web"),
		PolicyDocument: aws.String(webIdentityTrust(e.is.ProviderARN(AccountID), map[string]any{
			"StringEquals": map[string]any{e.is.Host() + ":sub": "repo:octo/app:ref:refs/heads/main"}}))})
	_, err := e.assume(e.is.sign(t, "rsa1", claims{"sub": "repo:evil/fork:ref:refs/heads/main"}))
	refused(t, "sub", err, "AccessDenied", "Not authorized to perform sts:AssumeRoleWithWebIdentity")
	e.accepts(e.is.sign(t, "rsa1", nil))
}

func TestAdversarialWebIdentityTagsNeedTagSession(t *testing.T) {
	e := newWIEnv(t, nil)
	trust := strings.Replace(webIdentityTrust(e.is.ProviderARN(AccountID), nil), `,"sts:TagSession"`, "", 1)
	if _, err := e.s.IAM(RootCreds()).UpdateAssumeRolePolicy(context.Background(), &iam.UpdateAssumeRolePolicyInput{
		RoleName: aws.String("web"), PolicyDocument: aws.String(trust)}); err != nil {
		t.Fatal(err)
	}
	tagged := claims{"https://aws.amazon.com/tags": map[string]any{"principal_tags": map[string][]string{"admin": {"true"}}}}
	_, err := e.assume(e.is.sign(t, "rsa1", tagged))
	refused(t, "tags without sts:TagSession", err, "AccessDenied", "Not authorized")
	e.accepts(e.is.sign(t, "rsa1", nil))
}

func TestAdversarialWebIdentityThumbprintMismatch(t *testing.T) {
	s := Start(t, Options{})
	is := newOIDCIssuer(t)
	c := s.IAM(RootCreds())
	ctx := context.Background()
	provARN := is.ProviderARN(AccountID)
	if _, err := c.CreateOpenIDConnectProvider(ctx, &iam.CreateOpenIDConnectProviderInput{Url: aws.String(is.URL),
		ClientIDList: []string{"sts.amazonaws.com"}, ThumbprintList: []string{strings.Repeat("ab", 20)}}); err != nil {
		t.Fatal(err)
	}
	out, err := c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("web"), AssumeRolePolicyDocument: aws.String(webIdentityTrust(provARN, nil))})
	if err != nil {
		t.Fatal(err)
	}
	_, err = assumeWebIdentity(s, aws.ToString(out.Role.Arn), is.sign(t, "rsa1", nil))
	refused(t, "thumbprint", err, "IDPCommunicationError", "could not be reached")
	// The right thumbprint makes the same issuer trusted (and is not answered from the failed attempt).
	if _, err := c.UpdateOpenIDConnectProviderThumbprint(ctx, &iam.UpdateOpenIDConnectProviderThumbprintInput{
		OpenIDConnectProviderArn: aws.String(provARN), ThumbprintList: []string{is.Thumbprint()}}); err != nil {
		t.Fatal(err)
	}
	if _, err := assumeWebIdentity(s, aws.ToString(out.Role.Arn), is.sign(t, "rsa1", nil)); err != nil {
		t.Fatalf("with the right thumbprint: %v", err)
	}
}

func TestAdversarialWebIdentityProviderOfAnotherAccount(t *testing.T) {
	s := Start(t, Options{})
	is := newOIDCIssuer(t)
	const other = "210987654321"
	otherCreds := newAccount(t, s, other)
	ctx := context.Background()
	// The provider exists only in the other account; the role of this account trusts that provider.
	if _, err := s.IAM(otherCreds).CreateOpenIDConnectProvider(ctx, &iam.CreateOpenIDConnectProviderInput{Url: aws.String(is.URL),
		ClientIDList: []string{"sts.amazonaws.com"}, ThumbprintList: []string{is.Thumbprint()}}); err != nil {
		t.Fatal(err)
	}
	out, err := s.IAM(RootCreds()).CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("web"),
		AssumeRolePolicyDocument: aws.String(webIdentityTrust(is.ProviderARN(other), nil))})
	if err != nil {
		t.Fatal(err)
	}
	_, err = assumeWebIdentity(s, aws.ToString(out.Role.Arn), is.sign(t, "rsa1", nil))
	refused(t, "provider of another account", err, "InvalidIdentityToken", "No OpenIDConnect provider found in your account")
}

// A stream of tokens naming unknown key IDs costs the issuer at most one refetch per interval, not one
// request per token.
func TestAdversarialWebIdentityUnknownKeyIDsAreRateLimited(t *testing.T) {
	e := newWIEnv(t, nil)
	e.accepts(e.is.sign(t, "rsa1", nil))
	before := e.is.requests.Load()
	rogue, _ := rsa.GenerateKey(rand.Reader, 2048)
	for i := range 30 {
		_, err := e.assume(signWith(t, rogue, jose.RS256, fmt.Sprintf("kid-%d", i), e.is.fill(nil)))
		refused(t, "unknown kid", err, "InvalidIdentityToken", "could not be validated")
	}
	if n := e.is.requests.Load() - before; n > 2 {
		t.Fatalf("30 tokens with unknown key IDs made %d requests to the issuer, want at most one refetch (2)", n)
	}
	if n := e.s.App.STS.WebIdentity().Cached(); n != 1 {
		t.Fatalf("%d issuers cached, want 1", n)
	}
}

// A deleted provider, or a client ID removed from it, stops trust at once: what is kept of providers
// follows their changes.
func TestAdversarialWebIdentityProviderChangesTakeEffect(t *testing.T) {
	e := newWIEnv(t, nil)
	ctx := context.Background()
	c := e.s.IAM(RootCreds())
	tok := e.is.sign(t, "rsa1", nil)
	e.accepts(tok)
	provARN := aws.String(e.is.ProviderARN(AccountID))
	if _, err := c.AddClientIDToOpenIDConnectProvider(ctx, &iam.AddClientIDToOpenIDConnectProviderInput{OpenIDConnectProviderArn: provARN, ClientID: aws.String("keep")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.RemoveClientIDFromOpenIDConnectProvider(ctx, &iam.RemoveClientIDFromOpenIDConnectProviderInput{OpenIDConnectProviderArn: provARN, ClientID: aws.String("sts.amazonaws.com")}); err != nil {
		t.Fatal(err)
	}
	_, err := e.assume(tok)
	refused(t, "removed client ID", err, "InvalidIdentityToken", "Incorrect token audience")
	if _, err := c.DeleteOpenIDConnectProvider(ctx, &iam.DeleteOpenIDConnectProviderInput{OpenIDConnectProviderArn: provARN}); err != nil {
		t.Fatal(err)
	}
	_, err = e.assume(tok)
	refused(t, "deleted provider", err, "InvalidIdentityToken", "No OpenIDConnect provider found")
}
