package iam

import (
	"net/http"
	"strings"
	"testing"

	"github.com/iamd/iamd/internal/api/iamapi"
	"github.com/iamd/iamd/internal/outbound"
)

func TestOutboundWebIdentityFederationOperations(t *testing.T) {
	f := newFixture(t)
	f.svc.outbound = outbound.New(outbound.Options{Store: f.store, Sealer: f.seal, PublicURL: "https://iamd.example.com"})
	ctx := f.root()
	_, err := f.svc.GetOutboundWebIdentityFederationInfo(ctx, &iamapi.GetOutboundWebIdentityFederationInfoInput{})
	assertAPIError(t, err, "FeatureDisabled", http.StatusNotFound, msgFeatureDisabled)
	_, err = f.svc.DisableOutboundWebIdentityFederation(ctx, &iamapi.DisableOutboundWebIdentityFederationInput{})
	assertAPIError(t, err, "FeatureDisabled", http.StatusNotFound, msgFeatureDisabled)

	en, err := f.svc.EnableOutboundWebIdentityFederation(ctx, &iamapi.EnableOutboundWebIdentityFederationInput{})
	if err != nil {
		t.Fatal(err)
	}
	issuer := *en.IssuerIdentifier
	if !strings.HasPrefix(issuer, "https://iamd.example.com/oidc/") {
		t.Fatalf("issuer %q", issuer)
	}
	_, err = f.svc.EnableOutboundWebIdentityFederation(ctx, &iamapi.EnableOutboundWebIdentityFederationInput{})
	assertAPIError(t, err, "FeatureEnabled", http.StatusConflict, msgFeatureEnabled)

	// Each account has an issuer of its own.
	other, err := f.svc.EnableOutboundWebIdentityFederation(rootOf(otherTestAccount), &iamapi.EnableOutboundWebIdentityFederationInput{})
	if err != nil {
		t.Fatal(err)
	}
	if *other.IssuerIdentifier == issuer {
		t.Fatal("two accounts share an issuer")
	}

	info, err := f.svc.GetOutboundWebIdentityFederationInfo(ctx, &iamapi.GetOutboundWebIdentityFederationInfoInput{})
	if err != nil || *info.IssuerIdentifier != issuer || !*info.JwtVendingEnabled {
		t.Fatalf("info %+v %v", info, err)
	}
	if _, err := f.svc.DisableOutboundWebIdentityFederation(ctx, &iamapi.DisableOutboundWebIdentityFederationInput{}); err != nil {
		t.Fatal(err)
	}
	info, err = f.svc.GetOutboundWebIdentityFederationInfo(ctx, &iamapi.GetOutboundWebIdentityFederationInfoInput{})
	if err != nil || *info.IssuerIdentifier != issuer || *info.JwtVendingEnabled {
		t.Fatalf("info after disabling %+v %v", info, err)
	}
	// The other account is untouched.
	info, err = f.svc.GetOutboundWebIdentityFederationInfo(rootOf(otherTestAccount), &iamapi.GetOutboundWebIdentityFederationInfoInput{})
	if err != nil || !*info.JwtVendingEnabled {
		t.Fatalf("other account's info %+v %v", info, err)
	}
}

// Without issuers (no --public-listen nor --public-url) the operations answer NotImplemented.
func TestOutboundWebIdentityFederationUnconfigured(t *testing.T) {
	f := newFixture(t)
	_, err := f.svc.EnableOutboundWebIdentityFederation(f.root(), &iamapi.EnableOutboundWebIdentityFederationInput{})
	assertAPIError(t, err, "NotImplemented", http.StatusNotImplemented, "iamd does not implement IAM operation EnableOutboundWebIdentityFederation yet")
}
