package sts

import (
	"context"
	"net/http"
	"testing"

	"github.com/iamd/iamd/internal/api/stsapi"
	"github.com/iamd/iamd/internal/policy"
	"github.com/iamd/iamd/internal/protocol"
	"github.com/iamd/iamd/internal/reqctx"
)

// identityPolicies is a Policies giving every caller one identity-based policy and the principal tags
// given.
type identityPolicies struct {
	doc  string
	tags map[string]string // lower-cased keys
}

func (p *identityPolicies) CallerSet(context.Context, *reqctx.Caller) (*policy.Set, error) {
	pol, err := policy.Parse(p.doc, policy.KindIdentity)
	if err != nil {
		return nil, err
	}
	return &policy.Set{Identity: []policy.Attached{{Policy: pol, ID: "p", Source: policy.SourceUser}}}, nil
}

func (p *identityPolicies) RequestContext(context.Context) (map[string][]string, func()) {
	m := map[string][]string{}
	for k, v := range p.tags {
		m["aws:principaltag/"+k] = []string{v}
	}
	return m, func() {}
}

func tag(k, v string) stsapi.Tag {
	return stsapi.Tag{Key: protocol.String(k), Value: protocol.String(v)}
}

// GetFederationToken with session tags needs sts:TagSession on the federated user, from the calling user's
// identity policies, with aws:RequestTag/* and aws:PrincipalTag/* in the context; without tags it does not.
func TestFederationTagsNeedTagSession(t *testing.T) {
	f := newFixture(t)
	pols := &identityPolicies{tags: map[string]string{"team": "blue"},
		doc: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:GetFederationToken","Resource":"*"}]}`}
	f.svc.o.Policies = pols
	ctx := at(f.user, "")
	fed := func(tags ...stsapi.Tag) error {
		_, err := f.svc.GetFederationToken(ctx, &stsapi.GetFederationTokenRequest{Name: protocol.String("fed"), Tags: tags})
		return err
	}
	if err := fed(); err != nil {
		t.Fatalf("without tags: %v", err)
	}
	wantAPIError(t, "tags without sts:TagSession", fed(tag("team", "red")), "AccessDenied", http.StatusForbidden,
		"User: arn:aws:iam::123456789012:user/ann is not authorized to perform: sts:TagSession on resource: "+
			"arn:aws:sts::123456789012:federated-user/fed because no identity-based policy allows the sts:TagSession action")
	// TagSession allowed for the caller's own team only.
	pols.doc = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:GetFederationToken","Resource":"*"},
		{"Effect":"Allow","Action":"sts:TagSession","Resource":"arn:aws:sts::123456789012:federated-user/*",
		 "Condition":{"StringEquals":{"aws:RequestTag/team":"${aws:PrincipalTag/team}"}}}]}`
	if err := fed(tag("Team", "blue")); err != nil {
		t.Fatalf("own team: %v", err)
	}
	wantAPIError(t, "another team", fed(tag("team", "red")), "AccessDenied", http.StatusForbidden, "")
	// Root needs no permission.
	root := at(&reqctx.Caller{Kind: reqctx.CallerRoot, AccountID: testAccount, Partition: "aws",
		ARN: "arn:aws:iam::" + testAccount + ":root", PrincipalID: testAccount}, "")
	if _, err := f.svc.GetFederationToken(root, &stsapi.GetFederationTokenRequest{Name: protocol.String("fed"),
		Tags: []stsapi.Tag{tag("team", "red")}}); err != nil {
		t.Fatalf("root: %v", err)
	}
}

// AssumeRole evaluates the role as stored: a Deny on role/r1 in the caller's policies stops RoleArn
// role/R1, and the message names the role as requested.
func TestAssumeRoleEvaluatesStoredRole(t *testing.T) {
	f := newFixture(t)
	f.svc.o.Policies = &identityPolicies{doc: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:*","Resource":"*"},
		{"Effect":"Deny","Action":"sts:AssumeRole","Resource":"arn:aws:iam::123456789012:role/r1"}]}`}
	ctx := at(f.user, "")
	for _, arn := range []string{"arn:aws:iam::123456789012:role/r1", "arn:aws:iam::123456789012:role/R1"} {
		_, err := f.svc.AssumeRole(ctx, &stsapi.AssumeRoleRequest{RoleArn: protocol.String(arn), RoleSessionName: protocol.String("s")})
		wantAPIError(t, arn, err, "AccessDenied", http.StatusForbidden,
			"User: arn:aws:iam::123456789012:user/ann is not authorized to perform: sts:AssumeRole on resource: "+arn)
	}
}

// The verified web identity tokens held are bounded: past maxVerifiedTokens the least recently used go.
func TestVerifiedTokensBounded(t *testing.T) {
	c := newVerifiedTokens()
	for i := range maxVerifiedTokens + 100 {
		c.lru.Add(verifiedKey{sum: [32]byte{byte(i), byte(i >> 8), byte(i >> 16)}, account: "123456789012"}, &verifiedToken{})
	}
	if n := c.Len(); n != maxVerifiedTokens {
		t.Fatalf("%d tokens held, want %d", n, maxVerifiedTokens)
	}
}
