package sts

import (
	"bytes"
	"net/http"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/iamd/iamd/internal/api/stsapi"
	"github.com/iamd/iamd/internal/auth"
	"github.com/iamd/iamd/internal/outbound"
	"github.com/iamd/iamd/internal/protocol"
	"github.com/iamd/iamd/internal/reqctx"
	"github.com/iamd/iamd/internal/secrets"
)

// withOutbound gives the fixture's service the account's outbound issuers, enabled.
func (f *fixture) withOutbound(t *testing.T) *outbound.Issuers {
	t.Helper()
	sealer, err := secrets.NewSealer(bytes.Repeat([]byte{3}, 32))
	if err != nil {
		t.Fatal(err)
	}
	is := outbound.New(outbound.Options{Store: f.store, Sealer: sealer, PublicURL: "https://iamd.example.com", Now: func() time.Time { return t0 }})
	f.svc.o.Outbound = is
	return is
}

func webToken(aud, alg string, d int32) *stsapi.GetWebIdentityTokenRequest {
	in := &stsapi.GetWebIdentityTokenRequest{Audience: []string{aud}, SigningAlgorithm: protocol.String(alg)}
	if d != 0 {
		in.DurationSeconds = &d
	}
	return in
}

func TestGetWebIdentityToken(t *testing.T) {
	f := newFixture(t)
	is := f.withOutbound(t)
	ctx := at(f.user, "us-east-1")
	_, err := f.svc.GetWebIdentityToken(ctx, webToken("aud", "RS256", 0))
	wantAPIError(t, "before enabling", err, "OutboundWebIdentityFederationDisabledException", http.StatusForbidden, msgOutboundDisabled)
	if _, err := is.Enable(ctx, testAccount); err != nil {
		t.Fatal(err)
	}
	_, err = f.svc.GetWebIdentityToken(ctx, webToken("aud", "none", 0))
	wantAPIError(t, "unknown algorithm", err, "ValidationError", http.StatusBadRequest,
		"1 validation error detected: Value 'none' at 'signingAlgorithm' failed to satisfy constraint: Member must satisfy enum value set: [RS256, ES384]")

	out, err := f.svc.GetWebIdentityToken(ctx, webToken("aud", "ES384", 0))
	if err != nil {
		t.Fatal(err)
	}
	if !out.Expiration.Equal(t0.Add(300 * time.Second)) {
		t.Fatalf("default lifetime: expires %v", out.Expiration)
	}
	p, err := jwt.ParseSigned(*out.WebIdentityToken, []jose.SignatureAlgorithm{jose.ES384})
	if err != nil {
		t.Fatal(err)
	}
	var c jwt.Claims
	if err := p.UnsafeClaimsWithoutVerification(&c); err != nil {
		t.Fatal(err)
	}
	if c.Subject != "arn:aws:iam::"+testAccount+":user/ann" {
		t.Fatalf("sub %q", c.Subject)
	}

	// A role session: the subject is the role, and the token may not outlive the session.
	role := &reqctx.Caller{Kind: reqctx.CallerAssumedRole, AccountID: testAccount, Partition: "aws",
		ARN: "arn:aws:sts::" + testAccount + ":assumed-role/r1/s", Name: "r1", PrincipalName: "r1", PrincipalPath: "/team/",
		SessionName: "s", Session: &reqctx.Session{Expiration: t0.Add(10 * time.Minute)}}
	out, err = f.svc.GetWebIdentityToken(at(role, "us-east-1"), webToken("aud", "RS256", 600))
	if err != nil {
		t.Fatal(err)
	}
	p, _ = jwt.ParseSigned(*out.WebIdentityToken, []jose.SignatureAlgorithm{jose.RS256})
	if err := p.UnsafeClaimsWithoutVerification(&c); err != nil || c.Subject != "arn:aws:iam::"+testAccount+":role/team/r1" {
		t.Fatalf("role session's sub %q %v", c.Subject, err)
	}
	_, err = f.svc.GetWebIdentityToken(at(role, "us-east-1"), webToken("aud", "RS256", 601))
	wantAPIError(t, "beyond the session", err, "SessionDurationEscalationException", http.StatusForbidden, msgDurationEscalation)

	if err := is.Disable(ctx, testAccount); err != nil {
		t.Fatal(err)
	}
	_, err = f.svc.GetWebIdentityToken(at(auth.RootCaller("aws", testAccount), "us-east-1"), webToken("aud", "RS256", 0))
	wantAPIError(t, "disabled", err, "OutboundWebIdentityFederationDisabledException", http.StatusForbidden, msgOutboundDisabled)
}
