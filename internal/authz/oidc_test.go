package authz

import (
	"context"
	"strings"
	"testing"

	"github.com/iamd/iamd/internal/api/iamapi"
)

// Operations on an OpenID Connect provider are evaluated against the provider as stored: an ARN spelling
// its URL in another case is still the stored provider's ARN to policies (the service finds it whatever
// the case), its tags are aws:ResourceTag/*, and CreateOpenIDConnectProvider acts on the ARN the URL gives.
func TestOIDCProviderResources(t *testing.T) {
	f := newFixture(t)
	f.setup()
	const a = "arn:aws:iam::123456789012:oidc-provider/"
	must[*iamapi.CreateOpenIDConnectProviderResponse](t)(f.iam.CreateOpenIDConnectProvider(f.root(), &iamapi.CreateOpenIDConnectProviderRequest{
		Url: s("https://idp.example.com/realms/Main"), Tags: []iamapi.Tag{{Key: s("Team"), Value: s("blue")}}}))
	alice := userCaller("alice", "/eng/")

	buf := newCtxBuf()
	got, err := f.az.resource(context.Background(), alice, nil, "iam", "GetOpenIDConnectProvider",
		&iamapi.GetOpenIDConnectProviderRequest{OpenIDConnectProviderArn: s(a + "IDP.example.com/realms/main")}, buf)
	if err != nil || got != a+"idp.example.com/realms/Main" || buf.shown != a+"IDP.example.com/realms/main" ||
		strings.Join(buf.m["aws:resourcetag/team"], ",") != "blue" || strings.Join(buf.m["iam:resourcetag/team"], ",") != "blue" {
		t.Fatalf("resource %s (%v), shown %q, context %v", got, err, buf.shown, buf.m)
	}
	for _, c := range []struct{ op, arn string }{
		{"GetOpenIDConnectProvider", a + "ghost.example.com"},                                   // no such provider: as given
		{"GetOpenIDConnectProvider", "arn:aws:iam::210987654321:oidc-provider/idp.example.com"}, // another account
		{"DeleteOpenIDConnectProvider", "not an arn"},
	} {
		buf := newCtxBuf()
		in := &iamapi.GetOpenIDConnectProviderRequest{OpenIDConnectProviderArn: s(c.arn)}
		if got, err := f.az.resource(context.Background(), alice, nil, "iam", c.op, in, buf); err != nil || got != c.arn || len(buf.m) != 0 {
			t.Errorf("%s %s: resource %s (%v), context %v", c.op, c.arn, got, err, buf.m)
		}
	}
	got, err = f.az.resource(context.Background(), alice, nil, "iam", "CreateOpenIDConnectProvider",
		&iamapi.CreateOpenIDConnectProviderRequest{Url: s("https://new.example.com:8443/x")}, newCtxBuf())
	if err != nil || got != a+"new.example.com:8443/x" {
		t.Fatalf("CreateOpenIDConnectProvider resource %s (%v)", got, err)
	}

	// A Deny on the stored ARN stops a request spelling it otherwise; a condition on the tag decides too.
	f.alicePolicy(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:*OpenIDConnectProvider*","Resource":"*",
		"Condition":{"StringEquals":{"aws:ResourceTag/Team":"blue"}}},
		{"Effect":"Deny","Action":"iam:DeleteOpenIDConnectProvider","Resource":"` + a + `idp.example.com/realms/Main"}]}`)
	ctx := f.ctx(alice)
	if err := f.az.Authorize(ctx, op(t, iamapi.Operations, "GetOpenIDConnectProvider"),
		&iamapi.GetOpenIDConnectProviderRequest{OpenIDConnectProviderArn: s(a + "IDP.EXAMPLE.COM/realms/MAIN")}); err != nil {
		t.Errorf("Get of the tagged provider: %v", err)
	}
	err = f.az.Authorize(ctx, op(t, iamapi.Operations, "DeleteOpenIDConnectProvider"),
		&iamapi.DeleteOpenIDConnectProviderRequest{OpenIDConnectProviderArn: s(a + "IDP.example.com/realms/Main")})
	want := "User: arn:aws:iam::123456789012:user/eng/alice is not authorized to perform: iam:DeleteOpenIDConnectProvider on resource: " +
		a + "IDP.example.com/realms/Main with an explicit deny"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("Delete spelled in another case: %v\nwant %s", err, want)
	}
	if err := f.az.Authorize(ctx, op(t, iamapi.Operations, "GetOpenIDConnectProvider"),
		&iamapi.GetOpenIDConnectProviderRequest{OpenIDConnectProviderArn: s(a + "ghost.example.com")}); err == nil {
		t.Error("Get of an untagged ARN allowed by a tag condition")
	}
}
