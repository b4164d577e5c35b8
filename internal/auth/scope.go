package auth

import (
	"net/http"

	"github.com/iamd/iamd/internal/reqctx"
	"github.com/iamd/iamd/internal/sigv4"
)

// AdminService is the service name of iamd's admin API (its SigV4 signing name): the account settings
// AWS keeps in its IAM console, such as STS regional activation.
const AdminService = "iamd"

// SessionScope applies what AWS lets temporary credentials do at all, whatever their policies allow
// (docs/aws-behavior.md, "STS rules"): federated users (GetFederationToken) may call no IAM operation and, in STS, only
// GetCallerIdentity; GetSessionToken credentials reach IAM only when the session was made with MFA. The
// admin API is held to IAM's rules: what it changes AWS changes only through IAM. Every entry point (the
// AWS APIs and the admin API) calls this one check after authenticating, so none can be a way around it.
// service is the signing name ("iam", "sts", "account", AdminService), op the operation or action name.
func SessionScope(c *reqctx.Caller, service, op string) error {
	if c == nil || c.Session == nil {
		return nil
	}
	iamLike := service == "iam" || service == AdminService
	switch {
	case c.Kind == reqctx.CallerFederatedUser && iamLike:
		return sessionAccessDenied(c, service+":"+op)
	case c.Kind == reqctx.CallerFederatedUser && service == "sts" && op != "GetCallerIdentity":
		return sessionAccessDenied(c, "sts:"+op)
	case iamLike && c.Session.Issuer == "GetSessionToken" && !c.Session.MFA:
		return sigv4.InvalidClientTokenID()
	}
	return nil
}

func sessionAccessDenied(c *reqctx.Caller, action string) error {
	return &sigv4.Error{Code: "AccessDenied", HTTPStatus: http.StatusForbidden,
		Message: "User: " + c.ARN + " is not authorized to perform: " + action + " because no identity-based policy allows the " + action + " action"}
}
