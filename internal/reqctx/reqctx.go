// Package reqctx carries what the server learns about a request (its ID, the endpoint it reached, the
// authenticated caller) through context.Context to the services, which know nothing of HTTP.
package reqctx

import (
	"context"
	"time"
)

// CallerKind says what sort of principal signed a request.
type CallerKind int

// The kinds of caller, as AWS distinguishes them in ARNs and in policy evaluation.
const (
	CallerRoot          CallerKind = iota + 1 // the account's root user
	CallerUser                                // an IAM user with a long-term key
	CallerAssumedRole                         // AssumeRole* session credentials
	CallerFederatedUser                       // GetFederationToken credentials
)

// String returns the aws:PrincipalType value of the kind.
func (k CallerKind) String() string {
	switch k {
	case CallerRoot:
		return "Account"
	case CallerUser:
		return "User"
	case CallerAssumedRole:
		return "AssumedRole"
	case CallerFederatedUser:
		return "FederatedUser"
	}
	return "Unknown"
}

// Session describes temporary credentials (an ASIA key with a session token).
type Session struct {
	// Issuer is the STS operation that issued the credentials (GetSessionToken, AssumeRole, …).
	Issuer       string
	TokenVersion int // 1 or 2
	IssuedAt     time.Time
	Expiration   time.Time
	// IssuerRegion is the region of the STS endpoint that issued the token ("" for the global endpoint).
	IssuerRegion string
	MFA          bool
	// MFAAuthTime is when the session's MFA code was checked (zero without MFA).
	MFAAuthTime time.Time
	// RoleChained is true when the session was made by a role session assuming a role.
	RoleChained bool
	// SourceIdentity, session tags and session policies travel inside the token.
	SourceIdentity    string
	Tags              map[string]string
	TransitiveTagKeys []string
	SessionPolicy     string   // inline session policy document, "" if none
	PolicyARNs        []string // managed session policies
}

// Caller is the authenticated principal of a request.
type Caller struct {
	Kind      CallerKind
	AccountID string
	Partition string
	ARN       string // as GetCallerIdentity returns it
	UserID    string // as GetCallerIdentity returns it
	// Name is the user name, role name or federated user name; empty for root.
	Name string
	// PrincipalName is the IAM entity behind the caller: the user (for root and users), or the role of an
	// assumed-role session. For federated users it is the IAM user that called GetFederationToken.
	PrincipalName string
	// PrincipalPath is the IAM path of PrincipalName ("/" when none).
	PrincipalPath string
	// PrincipalID is the unique ID (AIDA…, AROA…) of PrincipalName; the account ID for root.
	PrincipalID string
	// SessionName is the role session name of an assumed role.
	SessionName string
	AccessKeyID string
	Session     *Session // nil for long-term credentials
}

// Request is what the server knows of one request.
type Request struct {
	ID        string
	Time      time.Time
	Service   string // signing name: iam, sts, account
	Operation string
	// Region is the region of the endpoint the request reached (us-east-1 for IAM and the STS global endpoint).
	Region    string
	Partition string
	// GlobalEndpoint is true for requests to the STS global endpoint.
	GlobalEndpoint  bool
	SourceIP        string
	UserAgent       string
	SecureTransport bool
	Caller          *Caller
}

type key struct{}

// With returns a context carrying r.
func With(ctx context.Context, r *Request) context.Context { return context.WithValue(ctx, key{}, r) }

// From returns the request carried by ctx, or an empty request when there is none (as in unit tests).
func From(ctx context.Context) *Request {
	if r, ok := ctx.Value(key{}).(*Request); ok {
		return r
	}
	return &Request{}
}
