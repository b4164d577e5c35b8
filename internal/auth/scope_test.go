package auth

import (
	"errors"
	"testing"

	"github.com/iamd/iamd/internal/reqctx"
	"github.com/iamd/iamd/internal/sigv4"
)

// SessionScope holds every entry point, the admin API among them, to AWS's limits on temporary
// credentials.
func TestSessionScope(t *testing.T) {
	fed := &reqctx.Caller{Kind: reqctx.CallerFederatedUser, ARN: "arn:aws:sts::123456789012:federated-user/f",
		Session: &reqctx.Session{Issuer: "GetFederationToken"}}
	noMFA := &reqctx.Caller{Kind: reqctx.CallerUser, ARN: "arn:aws:iam::123456789012:user/u",
		Session: &reqctx.Session{Issuer: "GetSessionToken"}}
	withMFA := &reqctx.Caller{Kind: reqctx.CallerUser, ARN: "arn:aws:iam::123456789012:user/u",
		Session: &reqctx.Session{Issuer: "GetSessionToken", MFA: true}}
	role := &reqctx.Caller{Kind: reqctx.CallerAssumedRole, Session: &reqctx.Session{Issuer: "AssumeRole"}}
	longTerm := &reqctx.Caller{Kind: reqctx.CallerUser}
	for _, c := range []struct {
		name     string
		caller   *reqctx.Caller
		svc, op  string
		wantCode string
	}{
		{"federated IAM", fed, "iam", "ListUsers", "AccessDenied"},
		{"federated admin", fed, AdminService, "SetSTSRegionStatus", "AccessDenied"},
		{"federated STS", fed, "sts", "GetSessionToken", "AccessDenied"},
		{"federated GetCallerIdentity", fed, "sts", "GetCallerIdentity", ""},
		{"federated Account", fed, "account", "ListRegions", ""},
		{"no MFA IAM", noMFA, "iam", "ListUsers", sigv4.CodeInvalidClientTokenID},
		{"no MFA admin", noMFA, AdminService, "GetSTSRegionStatus", sigv4.CodeInvalidClientTokenID},
		{"no MFA STS", noMFA, "sts", "AssumeRole", ""},
		{"MFA admin", withMFA, AdminService, "SetSTSRegionStatus", ""},
		{"role admin", role, AdminService, "SetSTSRegionStatus", ""},
		{"long-term admin", longTerm, AdminService, "SetSTSRegionStatus", ""},
	} {
		err := SessionScope(c.caller, c.svc, c.op)
		var se *sigv4.Error
		switch {
		case c.wantCode == "" && err != nil:
			t.Errorf("%s: %v", c.name, err)
		case c.wantCode != "" && (!errors.As(err, &se) || se.Code != c.wantCode || se.HTTPStatus != 403):
			t.Errorf("%s: %v, want %s", c.name, err, c.wantCode)
		}
	}
	var se *sigv4.Error
	if err := SessionScope(fed, AdminService, "SetSTSRegionStatus"); !errors.As(err, &se) || se.Message !=
		"User: arn:aws:sts::123456789012:federated-user/f is not authorized to perform: iamd:SetSTSRegionStatus because no identity-based policy allows the iamd:SetSTSRegionStatus action" {
		t.Errorf("message: %v", err)
	}
}
