package e2etest

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// outboundRotation is the key rotation period the tests give iamd: short, so that one rotation happens
// within a test.
const outboundRotation = 2 * time.Second

// fetchJSON GETs url as a relying party would (no credentials) into v.
func fetchJSON(t *testing.T, url string, v any) {
	t.Helper()
	code, body := get(t, url)
	if code != http.StatusOK {
		t.Fatalf("GET %s: %d %s", url, code, body)
	}
	if err := json.Unmarshal([]byte(body), v); err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
}

// relyingParty verifies tokens as an OIDC library does: discovery document from the issuer, then the JWKS
// it names, then signature, issuer, audience and times.
type relyingParty struct {
	t        *testing.T
	issuer   string
	audience string
}

func (rp relyingParty) jwks() jose.JSONWebKeySet {
	var d struct {
		Issuer  string   `json:"issuer"`
		JWKSURI string   `json:"jwks_uri"`
		Algs    []string `json:"id_token_signing_alg_values_supported"`
	}
	fetchJSON(rp.t, rp.issuer+"/.well-known/openid-configuration", &d)
	if d.Issuer != rp.issuer {
		rp.t.Fatalf("discovery names issuer %q, want %q", d.Issuer, rp.issuer)
	}
	var set jose.JSONWebKeySet
	fetchJSON(rp.t, d.JWKSURI, &set)
	return set
}

// verify returns the token's claims and key ID, failing the test if it does not verify.
func (rp relyingParty) verify(tok string) (jwt.Claims, map[string]any, string) {
	rp.t.Helper()
	parsed, err := jwt.ParseSigned(tok, []jose.SignatureAlgorithm{jose.RS256, jose.ES384})
	if err != nil {
		rp.t.Fatal(err)
	}
	var c jwt.Claims
	var all map[string]any
	if err := parsed.Claims(rp.jwks(), &c, &all); err != nil {
		rp.t.Fatalf("token does not verify from the issuer's JWKS: %v", err)
	}
	if err := c.ValidateWithLeeway(jwt.Expected{Issuer: rp.issuer, AnyAudience: jwt.Audience{rp.audience}, Time: time.Now()}, 5*time.Second); err != nil {
		rp.t.Fatalf("claims: %v", err)
	}
	return c, all, parsed.Headers[0].KeyID
}

func TestOutboundWebIdentityFederation(t *testing.T) {
	p := startIamd(t, nil, "--data-dir", t.TempDir(), "--public-listen", "127.0.0.1:0",
		"--outbound-key-rotation", outboundRotation.String())
	s := p.server()
	ctx := context.Background()
	root := s.IAM(RootCreds())
	rootSTS := s.STS(RootCreds(), "us-east-1")
	const aud = "https://api.example.com"

	_, err := root.GetOutboundWebIdentityFederationInfo(ctx, &iam.GetOutboundWebIdentityFederationInfoInput{})
	wantError(t, "GetOutboundWebIdentityFederationInfo before enabling", err, "FeatureDisabled", 404, "")
	_, err = root.DisableOutboundWebIdentityFederation(ctx, &iam.DisableOutboundWebIdentityFederationInput{})
	wantError(t, "DisableOutboundWebIdentityFederation before enabling", err, "FeatureDisabled", 404, "")
	_, err = rootSTS.GetWebIdentityToken(ctx, &sts.GetWebIdentityTokenInput{Audience: []string{aud}, SigningAlgorithm: aws.String("RS256")})
	wantError(t, "GetWebIdentityToken before enabling", err, "OutboundWebIdentityFederationDisabledException", 403, "")

	en, err := root.EnableOutboundWebIdentityFederation(ctx, &iam.EnableOutboundWebIdentityFederationInput{})
	ok(t, "EnableOutboundWebIdentityFederation", err)
	issuer := aws.ToString(en.IssuerIdentifier)
	_, err = root.EnableOutboundWebIdentityFederation(ctx, &iam.EnableOutboundWebIdentityFederationInput{})
	wantError(t, "EnableOutboundWebIdentityFederation twice", err, "FeatureEnabled", 409,
		"The request failed because outbound identity federation is already enabled for your AWS account. "+
			"You cannot enable the feature multiple times. To fetch the current configuration (including the unique issuer URL), "+
			"use the GetOutboundWebIdentityFederationInfo operation.")
	info, err := root.GetOutboundWebIdentityFederationInfo(ctx, &iam.GetOutboundWebIdentityFederationInfoInput{})
	ok(t, "GetOutboundWebIdentityFederationInfo", err)
	if aws.ToString(info.IssuerIdentifier) != issuer || !info.JwtVendingEnabled {
		t.Fatalf("info %q %v, want %q true", aws.ToString(info.IssuerIdentifier), info.JwtVendingEnabled, issuer)
	}
	rp := relyingParty{t: t, issuer: issuer, audience: aud}

	// Root's token, RS256, default lifetime (300 s).
	before := time.Now().Truncate(time.Second)
	out, err := rootSTS.GetWebIdentityToken(ctx, &sts.GetWebIdentityTokenInput{Audience: []string{aud}, SigningAlgorithm: aws.String("RS256"),
		Tags: []ststypes.Tag{{Key: aws.String("team"), Value: aws.String("blue")}}})
	ok(t, "GetWebIdentityToken", err)
	c, all, _ := rp.verify(aws.ToString(out.WebIdentityToken))
	if c.Subject != "arn:aws:iam::"+AccountID+":root" {
		t.Errorf("sub %q", c.Subject)
	}
	iat, exp := c.IssuedAt.Time(), c.Expiry.Time()
	if iat.Before(before.Add(-time.Second)) || exp.Sub(iat) != 300*time.Second || !exp.Equal(aws.ToTime(out.Expiration)) {
		t.Errorf("iat %v exp %v Expiration %v", iat, exp, aws.ToTime(out.Expiration))
	}
	ns, _ := all["https://sts.amazonaws.com/"].(map[string]any)
	if ns["aws_account"] != AccountID || ns["request_tags"].(map[string]any)["team"] != "blue" {
		t.Errorf("AWS claims %v", ns)
	}

	// A user needs sts:GetWebIdentityToken, and the policy's conditions see the audience, algorithm and
	// lifetime.
	e := &authzEnv{t: t, s: s, root: root, ctx: ctx}
	alice := e.user("alice", "")
	aliceSTS := s.STS(alice, "us-east-1")
	get := func(c *sts.Client, aud, alg string, d int32) (*sts.GetWebIdentityTokenOutput, error) {
		in := &sts.GetWebIdentityTokenInput{Audience: []string{aud}, SigningAlgorithm: aws.String(alg)}
		if d != 0 {
			in.DurationSeconds = aws.Int32(d)
		}
		return c.GetWebIdentityToken(ctx, in)
	}
	_, err = get(aliceSTS, aud, "ES384", 0)
	wantError(t, "GetWebIdentityToken without permission", err, "AccessDenied", 403, "")
	e.putUserPolicy("alice", "tokens", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:GetWebIdentityToken","Resource":"*",
		"Condition":{"ForAllValues:StringEquals":{"sts:IdentityTokenAudience":"`+aud+`"},"NumericLessThanEquals":{"sts:DurationSeconds":"600"},
		"StringEquals":{"sts:SigningAlgorithm":"ES384"}}},
		{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}`)
	out, err = get(aliceSTS, aud, "ES384", 60)
	ok(t, "alice's GetWebIdentityToken", err)
	c, _, _ = rp.verify(aws.ToString(out.WebIdentityToken))
	if c.Subject != "arn:aws:iam::"+AccountID+":user/alice" || c.Expiry.Time().Sub(c.IssuedAt.Time()) != time.Minute {
		t.Errorf("alice's claims %+v", c)
	}
	// Tags become claims: passing them needs sts:TagGetWebIdentityToken as well.
	tagged := &sts.GetWebIdentityTokenInput{Audience: []string{aud}, SigningAlgorithm: aws.String("ES384"),
		Tags: []ststypes.Tag{{Key: aws.String("team"), Value: aws.String("red")}}}
	_, err = aliceSTS.GetWebIdentityToken(ctx, tagged)
	wantError(t, "tags without sts:TagGetWebIdentityToken", err, "AccessDenied", 403, "")
	e.putUserPolicy("alice", "tagging", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:TagGetWebIdentityToken","Resource":"*",
		"Condition":{"StringEquals":{"aws:RequestTag/team":"red"}}}]}`)
	out, err = aliceSTS.GetWebIdentityToken(ctx, tagged)
	ok(t, "tags with sts:TagGetWebIdentityToken", err)
	if _, all, _ := rp.verify(aws.ToString(out.WebIdentityToken)); all["https://sts.amazonaws.com/"].(map[string]any)["request_tags"].(map[string]any)["team"] != "red" {
		t.Errorf("tag claims %v", all)
	}
	tagged.Tags[0].Value = aws.String("blue")
	_, err = aliceSTS.GetWebIdentityToken(ctx, tagged)
	wantError(t, "a tag value the policy does not allow", err, "AccessDenied", 403, "")
	_, err = get(aliceSTS, "https://other.example.com", "ES384", 60)
	wantError(t, "another audience", err, "AccessDenied", 403, "")
	_, err = get(aliceSTS, aud, "RS256", 60)
	wantError(t, "another algorithm", err, "AccessDenied", 403, "")
	_, err = get(aliceSTS, aud, "ES384", 900)
	wantError(t, "a longer lifetime", err, "AccessDenied", 403, "")
	_, err = get(rootSTS, aud, "HS256", 0)
	wantError(t, "an unknown algorithm", err, "ValidationError", 400, "")
	_, err = get(rootSTS, aud, "RS256", 30)
	wantError(t, "too short a lifetime", err, "ValidationError", 400, "")

	// A role session's token names the role; it cannot outlive the session.
	_, err = root.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("worker"), Path: aws.String("/apps/"),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + AccountID + `:root"},"Action":"sts:AssumeRole"}]}`)})
	ok(t, "CreateRole", err)
	_, err = root.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("worker"), PolicyName: aws.String("tokens"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:GetWebIdentityToken","Resource":"*"}]}`)})
	ok(t, "PutRolePolicy", err)
	ar, err := aliceSTS.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::" + AccountID + ":role/apps/worker"),
		RoleSessionName: aws.String("job"), DurationSeconds: aws.Int32(900)})
	ok(t, "AssumeRole", err)
	roleSTS := s.STS(sessionCreds(ar.Credentials), "us-east-1")
	out, err = get(roleSTS, aud, "ES384", 0)
	ok(t, "role session's GetWebIdentityToken", err)
	if c, _, _ = rp.verify(aws.ToString(out.WebIdentityToken)); c.Subject != "arn:aws:iam::"+AccountID+":role/apps/worker" {
		t.Errorf("role session's sub %q", c.Subject)
	}
	_, err = get(roleSTS, aud, "ES384", 3600)
	wantError(t, "a token outliving the session", err, "SessionDurationEscalationException", 403, "")

	// Disabled: no token, but those signed before still verify.
	_, err = root.DisableOutboundWebIdentityFederation(ctx, &iam.DisableOutboundWebIdentityFederationInput{})
	ok(t, "DisableOutboundWebIdentityFederation", err)
	_, err = get(rootSTS, aud, "RS256", 0)
	wantError(t, "GetWebIdentityToken while disabled", err, "OutboundWebIdentityFederationDisabledException", 403,
		"The outbound web identity federation feature is not enabled for this account. "+
			"To use this feature, you must first enable it through the AWS Management Console or API.")
	_, err = root.DisableOutboundWebIdentityFederation(ctx, &iam.DisableOutboundWebIdentityFederationInput{})
	wantError(t, "DisableOutboundWebIdentityFederation twice", err, "FeatureDisabled", 404, "")
	info, err = root.GetOutboundWebIdentityFederationInfo(ctx, &iam.GetOutboundWebIdentityFederationInfoInput{})
	ok(t, "GetOutboundWebIdentityFederationInfo while disabled", err)
	if aws.ToString(info.IssuerIdentifier) != issuer || info.JwtVendingEnabled {
		t.Fatalf("info while disabled %q %v", aws.ToString(info.IssuerIdentifier), info.JwtVendingEnabled)
	}
	first := aws.ToString(out.WebIdentityToken)
	rp.verify(first)

	// Key rotation: after a rotation period a new key signs, and tokens of the old one still verify.
	en, err = root.EnableOutboundWebIdentityFederation(ctx, &iam.EnableOutboundWebIdentityFederationInput{})
	ok(t, "EnableOutboundWebIdentityFederation again", err)
	if aws.ToString(en.IssuerIdentifier) != issuer {
		t.Fatalf("issuer changed on re-enabling: %q", aws.ToString(en.IssuerIdentifier))
	}
	out, err = get(rootSTS, aud, "RS256", 0)
	ok(t, "GetWebIdentityToken after re-enabling", err)
	_, _, kid1 := rp.verify(aws.ToString(out.WebIdentityToken))
	time.Sleep(outboundRotation + time.Second)
	out2, err := get(rootSTS, aud, "RS256", 0)
	ok(t, "GetWebIdentityToken after a rotation period", err)
	_, _, kid2 := rp.verify(aws.ToString(out2.WebIdentityToken))
	if kid1 == kid2 {
		t.Fatalf("the key did not rotate (%s)", kid1)
	}
	for _, tok := range []string{aws.ToString(out.WebIdentityToken), first} {
		rp.verify(tok)
	}
}

// The federation operations are authorized as account-wide IAM actions.
func TestOutboundWebIdentityFederationAuthorization(t *testing.T) {
	p := startIamd(t, nil, "--data-dir", t.TempDir(), "--public-listen", "127.0.0.1:0")
	s := p.server()
	ctx := context.Background()
	e := &authzEnv{t: t, s: s, root: s.IAM(RootCreds()), ctx: ctx}
	bob := s.IAM(e.user("bob", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:GetOutboundWebIdentityFederationInfo","Resource":"*"}]}`))
	_, err := bob.EnableOutboundWebIdentityFederation(ctx, &iam.EnableOutboundWebIdentityFederationInput{})
	wantError(t, "Enable without permission", err, "AccessDenied", 403, "")
	_, err = bob.GetOutboundWebIdentityFederationInfo(ctx, &iam.GetOutboundWebIdentityFederationInfoInput{})
	wantError(t, "Info with permission, feature never enabled", err, "FeatureDisabled", 404, "")
	e.putUserPolicy("bob", "enable", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:EnableOutboundWebIdentityFederation","Resource":"*"}]}`)
	_, err = bob.EnableOutboundWebIdentityFederation(ctx, &iam.EnableOutboundWebIdentityFederationInput{})
	ok(t, "Enable with permission", err)
	_, err = bob.DisableOutboundWebIdentityFederation(ctx, &iam.DisableOutboundWebIdentityFederationInput{})
	wantError(t, "Disable without permission", err, "AccessDenied", 403, "")
}

// The public listener answers without credentials, so it serves the issuers' public documents and
// nothing else: no API operation, no private key member in a JWKS, and no issuer of an account that never
// enabled the feature.
func TestOutboundPublicListenerServesOnlyPublicDocuments(t *testing.T) {
	p := startIamd(t, nil, "--data-dir", t.TempDir(), "--public-listen", "127.0.0.1:0", "--public-url", "https://issuer.example.com/base")
	s := p.server()
	ctx := context.Background()
	en, err := s.IAM(RootCreds()).EnableOutboundWebIdentityFederation(ctx, &iam.EnableOutboundWebIdentityFederationInput{})
	ok(t, "EnableOutboundWebIdentityFederation", err)
	issuer := aws.ToString(en.IssuerIdentifier)
	const prefix = "https://issuer.example.com/base/oidc/"
	if len(issuer) != len(prefix)+32 || issuer[:len(prefix)] != prefix {
		t.Fatalf("issuer %q does not start with --public-url", issuer)
	}
	public := publicAddr(t, p)
	path := issuer[len("https://issuer.example.com/base"):]
	get := func(method, path, body string) (int, string) {
		req, err := http.NewRequest(method, "http://"+public+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		if body != "" {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	code, body := get(http.MethodGet, path+"/.well-known/jwks.json", "")
	if code != http.StatusOK {
		t.Fatalf("JWKS: %d %s", code, body)
	}
	var raw struct {
		Keys []map[string]any `json:"keys"`
	}
	if err := json.Unmarshal([]byte(body), &raw); err != nil || len(raw.Keys) != 2 {
		t.Fatalf("JWKS %s: %v", body, err)
	}
	for _, k := range raw.Keys {
		for _, private := range []string{"d", "p", "q", "dp", "dq", "qi"} {
			if _, ok := k[private]; ok {
				t.Fatalf("JWKS publishes private member %q of key %v", private, k["kid"])
			}
		}
	}
	for _, c := range []struct{ method, path, body string }{
		{http.MethodPost, "/", "Action=ListUsers&Version=2010-05-08"},
		{http.MethodGet, "/?Action=ListUsers&Version=2010-05-08", ""},
		{http.MethodGet, "/metrics", ""},
		{http.MethodGet, "/oidc/" + strings.Repeat("0", 32) + "/.well-known/jwks.json", ""},
		{http.MethodPost, path + "/.well-known/jwks.json", "x=1"},
	} {
		if code, body := get(c.method, c.path, c.body); code != http.StatusNotFound && code != http.StatusMethodNotAllowed {
			t.Errorf("%s %s: %d %.200s", c.method, c.path, code, body)
		}
	}
}

// publicAddr reads the public listener's address from iamd's log.
func publicAddr(t *testing.T, p *proc) string {
	t.Helper()
	deadline := time.Now().Add(processStartWait)
	for time.Now().Before(deadline) {
		for _, line := range strings.Split(p.stderr.String(), "\n") {
			var rec struct {
				Msg  string `json:"msg"`
				Addr string `json:"addr"`
			}
			if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == "iamd public listening" {
				return rec.Addr
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("iamd logged no public listener address")
	return ""
}
