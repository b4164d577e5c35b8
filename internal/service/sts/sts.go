// Package sts implements the AWS Security Token Service operations: who am I (GetCallerIdentity,
// GetAccessKeyInfo) and the issue of temporary credentials (GetSessionToken, GetFederationToken,
// AssumeRole) under the security-token rules of AWS: the global endpoint issues the account's chosen token
// version (SetSecurityTokenServicePreferences), regional endpoints issue v2, and credentials are issued in
// a region only where STS is active for the account they are generated for.
package sts

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/iamd/iamd/internal/api/stsapi"
	"github.com/iamd/iamd/internal/ids"
	"github.com/iamd/iamd/internal/oidcverify"
	"github.com/iamd/iamd/internal/optin"
	"github.com/iamd/iamd/internal/outbound"
	"github.com/iamd/iamd/internal/policy"
	"github.com/iamd/iamd/internal/protocol"
	"github.com/iamd/iamd/internal/regions"
	"github.com/iamd/iamd/internal/reqctx"
	"github.com/iamd/iamd/internal/secrets"
	"github.com/iamd/iamd/internal/storage"
	"github.com/iamd/iamd/internal/token"
)

// Duration rules of STS (docs/aws-behavior.md, "STS rules"), in seconds.
const (
	defaultSessionDuration  = 43200 // GetSessionToken, GetFederationToken
	rootSessionMaxDuration  = 3600  // root's GetSessionToken/GetFederationToken are capped silently
	defaultRoleDuration     = 3600  // AssumeRole
	roleChainingMaxDuration = 3600
	defaultMaxRoleDuration  = 3600 // a role without MaxSessionDuration
	maxSessionTags          = 50
	maxSessionPolicyARNs    = 10  // the model does not bound PolicyArns; AWS documents 10
	packedPolicyLimit       = 100 // percent
)

// Accounts gives the account settings the STS rules need (token version, regions, STS activation),
// usually from the authenticator's cache.
type Accounts interface {
	Account(ctx context.Context, id string) (*storage.Account, error)
}

// Policies gives the identity-based policies (with boundary and session policies) of a caller, for the
// identity side of AssumeRole's authorization. nil means the caller's identity policies are not
// consulted (only the trust policy decides).
type Policies interface {
	CallerSet(ctx context.Context, c *reqctx.Caller) (*policy.Set, error)
	// RequestContext is the condition-key context of the request, without operation-specific keys, in a
	// map the caller may add to until it calls release; after that it must not touch the map.
	RequestContext(ctx context.Context) (keys map[string][]string, release func())
}

// MFAVerifier checks a TokenCode against the virtual MFA device SerialNumber enabled for a user of the
// account (the root user when userName is ""); an accepted code is spent, so a replay is refused. IAM's
// service implements it.
type MFAVerifier interface {
	VerifyMFACode(ctx context.Context, acct, userName, serial, code string) (bool, error)
}

// Options configure the service.
type Options struct {
	Store    storage.Store
	Accounts Accounts
	Tokens   *token.KeyRing
	Policies Policies
	// RoleUsed records RoleLastUsed; may be nil.
	RoleUsed func(ctx context.Context, account, role, region string, t time.Time)
	Now      func() time.Time
	Logger   *slog.Logger
	// Outbound signs GetWebIdentityToken's tokens; nil answers it NotImplemented.
	Outbound *outbound.Issuers
	// Sealer (the master key) seals and opens encoded authorization messages and opens SAML providers'
	// private keys (to decrypt encrypted assertions); nil refuses every message and leaves encrypted
	// assertions unreadable.
	Sealer *secrets.Sealer
	// MFA checks the SerialNumber and TokenCode of GetSessionToken and AssumeRole; nil refuses every code.
	MFA MFAVerifier
	// WebIdentity verifies AssumeRoleWithWebIdentity's tokens; nil makes one trusting the system's roots.
	WebIdentity *oidcverify.Verifier
}

// Service implements stsapi.Service.
type Service struct {
	stsapi.Unimplemented
	o     Options
	now   func() time.Time
	log   *slog.Logger
	trust *trustPolicies
	// samlReplay remembers the SAML assertions already exchanged.
	samlReplay *replayCache
	// webIdentity fetches and caches OIDC issuers' keys.
	webIdentity *oidcverify.Verifier
	providers   *providerCache
}

// New returns the STS service.
func New(o Options) *Service {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.WebIdentity == nil {
		o.WebIdentity = oidcverify.New(oidcverify.Options{Now: o.Now, Logger: o.Logger})
	}
	return &Service{o: o, now: o.Now, log: o.Logger, trust: newTrustPolicies(), samlReplay: newReplayCache(),
		webIdentity: o.WebIdentity, providers: newProviderCache()}
}

func (s *Service) requestTime(ctx context.Context) time.Time {
	if t := reqctx.From(ctx).Time; !t.IsZero() {
		return t
	}
	return s.now().UTC()
}

// GetCallerIdentity returns the caller; it needs no permission and cannot be denied.
func (s *Service) GetCallerIdentity(ctx context.Context, _ *stsapi.GetCallerIdentityRequest) (*stsapi.GetCallerIdentityResponse, error) {
	c := reqctx.From(ctx).Caller
	if c == nil {
		return nil, errMissingCaller
	}
	return &stsapi.GetCallerIdentityResponse{UserId: &c.UserID, Account: &c.AccountID, Arn: &c.ARN}, nil
}

// GetAccessKeyInfo names the account an access key ID belongs to. A long-term key iamd holds is answered
// from the store: a preset key (--root-access-key-id, such as the documentation's AKIAIOSFODNN7EXAMPLE)
// need not encode its account, and decoding it would name another. Any other ID (session keys, keys of
// other servers) is decoded, as AWS decodes the keys it issues.
func (s *Service) GetAccessKeyInfo(ctx context.Context, in *stsapi.GetAccessKeyInfoRequest) (*stsapi.GetAccessKeyInfoResponse, error) {
	id := protocol.ToString(in.AccessKeyId)
	if s.o.Store != nil && ids.IsAccessKeyIDSyntax(id) && !strings.HasPrefix(id, ids.PrefixTemporaryAccessKey) {
		var acct string
		err := s.o.Store.View(ctx, func(tx storage.Tx) error {
			acct = ""
			k, err := tx.GetAccessKey(ctx, id)
			if errors.Is(err, storage.ErrNotFound) {
				return nil
			}
			if err != nil {
				return err
			}
			acct = k.AccountID
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("GetAccessKeyInfo: looking up %s: %w", id, err)
		}
		if acct != "" {
			return &stsapi.GetAccessKeyInfoResponse{Account: &acct}, nil
		}
	}
	acct, err := ids.AccountFromAccessKeyID(id)
	if err != nil {
		return nil, &protocol.Error{Code: "InvalidParameterValue", Status: http.StatusBadRequest,
			Message: "The access key ID is not valid."}
	}
	return &stsapi.GetAccessKeyInfoResponse{Account: &acct}, nil
}

// msgMFAFailed is AWS's whole sentence for an MFA code it cannot validate, with the two spaces after the
// first period that AWS sends.
const msgMFAFailed = "MultiFactorAuthentication failed, unable to validate MFA code.  Please verify your MFA serial number is valid and associated with this user."

// verifyMFA checks the SerialNumber and TokenCode of a request (false when neither is given) against the
// caller's own enabled device: a user's device for a user, the root user's for root. Other callers own
// no device. A code that does not verify, and one of the pair without the other, are AWS's AccessDenied.
func (s *Service) verifyMFA(ctx context.Context, c *reqctx.Caller, serial, code *string) (bool, error) {
	if serial == nil && code == nil {
		return false, nil
	}
	if serial == nil || code == nil {
		return false, accessDenied(msgMFAIncomplete)
	}
	if s.o.MFA == nil {
		return false, accessDenied(msgMFAFailed)
	}
	var user string
	switch c.Kind {
	case reqctx.CallerRoot:
	case reqctx.CallerUser:
		user = c.PrincipalName
	default:
		return false, accessDenied(msgMFAFailed)
	}
	ok, err := s.o.MFA.VerifyMFACode(ctx, c.AccountID, user, *serial, *code)
	if err != nil {
		var pe *protocol.Error
		if errors.As(err, &pe) {
			return false, err // the per-device throttle answers AWS's Throttling
		}
		return false, fmt.Errorf("verifying MFA code: %w", err)
	}
	if !ok {
		return false, accessDenied(msgMFAFailed)
	}
	return true, nil
}

// msgMFAIncomplete is AWS's answer to a SerialNumber without a TokenCode or the reverse (as reported by
// users of AssumeRole with a 403 AccessDenied).
const msgMFAIncomplete = "MultiFactorAuthentication failed, must provide both MFA serial number and one time pass code."

var errMissingCaller = &protocol.Error{Code: "MissingAuthenticationToken", Status: http.StatusForbidden,
	Message: "Request is missing Authentication Token"}

func accessDenied(msg string) error {
	return &protocol.Error{Code: "AccessDenied", Status: http.StatusForbidden, Message: msg}
}

func validationError(msg string) error {
	return &protocol.Error{Code: "ValidationError", Status: http.StatusBadRequest, Message: msg}
}

// checkActive refuses to issue credentials for account at a regional endpoint where STS is not active for
// it (docs/aws-behavior.md, "STS activation per Region"). The global endpoint is always active.
func (s *Service) checkActive(ctx context.Context, account string) error {
	req := reqctx.From(ctx)
	if req.GlobalEndpoint || req.Region == "" {
		return nil
	}
	r, ok := regions.Lookup(req.Region)
	if !ok {
		return nil
	}
	acct, err := s.o.Accounts.Account(ctx, account)
	if err != nil {
		return fmt.Errorf("loading account %s: %w", account, err)
	}
	if !optin.STSActive(acct, r, s.requestTime(ctx)) {
		return stsapi.NewRegionDisabledException("STS is not activated in this region for account:" + account +
			". Your account administrator can activate STS in this region using the IAM Console.")
	}
	return nil
}

// issueVersion is the token version for a session issued now at the request's endpoint for account: the
// account's preference at the global endpoint, v2 at regional endpoints.
func (s *Service) issueVersion(ctx context.Context, account string) (version int, region string, err error) {
	req := reqctx.From(ctx)
	if !req.GlobalEndpoint {
		return optin.RegionalTokenVersion, req.Region, nil
	}
	acct, err := s.o.Accounts.Account(ctx, account)
	if err != nil {
		return 0, "", fmt.Errorf("loading account %s: %w", account, err)
	}
	return acct.TokenVersion(), "", nil
}

// issue fills in the credentials of claims (key, secret, version, region) and seals them.
func (s *Service) issue(ctx context.Context, c *token.Claims) (*stsapi.Credentials, error) {
	var err error
	c.Version, c.Region, err = s.issueVersion(ctx, c.AccountID)
	if err != nil {
		return nil, err
	}
	if c.AccessKeyID, err = ids.NewAccessKeyID(ids.PrefixTemporaryAccessKey, c.AccountID); err != nil {
		return nil, err
	}
	c.SecretAccessKey = ids.NewSecretAccessKey()
	tok, err := s.o.Tokens.Seal(c)
	if err != nil {
		return nil, fmt.Errorf("sealing session token: %w", err)
	}
	exp := c.Expiration.UTC().Truncate(time.Second)
	return &stsapi.Credentials{AccessKeyId: protocol.String(c.AccessKeyID), SecretAccessKey: protocol.String(c.SecretAccessKey),
		SessionToken: &tok, Expiration: &exp}, nil
}

// baseClaims are the claims every session of caller starts from.
func baseClaims(c *reqctx.Caller, now time.Time, seconds int32) *token.Claims {
	now = now.UTC().Truncate(time.Second)
	partition := reqctxPartition(c)
	return &token.Claims{AccountID: c.AccountID, Partition: partition, IssuedAt: now,
		Expiration: now.Add(time.Duration(seconds) * time.Second)}
}

func reqctxPartition(c *reqctx.Caller) string {
	if c.Partition != "" {
		return c.Partition
	}
	return "aws"
}

// GetSessionToken issues session credentials with the caller's own permissions.
func (s *Service) GetSessionToken(ctx context.Context, in *stsapi.GetSessionTokenRequest) (*stsapi.GetSessionTokenResponse, error) {
	c := reqctx.From(ctx).Caller
	if c == nil {
		return nil, errMissingCaller
	}
	if c.Session != nil {
		return nil, accessDenied("Cannot call GetSessionToken with session credentials")
	}
	mfa, err := s.verifyMFA(ctx, c, in.SerialNumber, in.TokenCode)
	if err != nil {
		return nil, err
	}
	if err := s.checkActive(ctx, c.AccountID); err != nil {
		return nil, err
	}
	d := int32(defaultSessionDuration)
	if in.DurationSeconds != nil {
		d = *in.DurationSeconds
	}
	if c.Kind == reqctx.CallerRoot && d > rootSessionMaxDuration {
		d = rootSessionMaxDuration
	}
	claims := baseClaims(c, s.requestTime(ctx), d)
	claims.Issuer = "GetSessionToken"
	if mfa {
		claims.MFA, claims.MFAAuthTime = true, s.requestTime(ctx).UTC().Truncate(time.Second)
	}
	if c.Kind == reqctx.CallerRoot {
		claims.Kind = token.KindRootSession
		claims.PrincipalID = c.AccountID
	} else {
		claims.Kind = token.KindUserSession
		claims.PrincipalName, claims.PrincipalID, claims.PrincipalPath = c.PrincipalName, c.PrincipalID, c.PrincipalPath
	}
	creds, err := s.issue(ctx, claims)
	if err != nil {
		return nil, err
	}
	return &stsapi.GetSessionTokenResponse{Credentials: creds}, nil
}

// GetFederationToken issues credentials for a federated user, whose permissions are the intersection of
// the calling user's and the session policies passed here.
func (s *Service) GetFederationToken(ctx context.Context, in *stsapi.GetFederationTokenRequest) (*stsapi.GetFederationTokenResponse, error) {
	c := reqctx.From(ctx).Caller
	if c == nil {
		return nil, errMissingCaller
	}
	if c.Session != nil {
		return nil, accessDenied("Cannot call GetFederationToken with session credentials")
	}
	if err := s.checkActive(ctx, c.AccountID); err != nil {
		return nil, err
	}
	d := int32(defaultSessionDuration)
	if in.DurationSeconds != nil {
		d = *in.DurationSeconds
	}
	if c.Kind == reqctx.CallerRoot && d > rootSessionMaxDuration {
		d = rootSessionMaxDuration
	}
	name := protocol.ToString(in.Name)
	// The federated user's session tags override the calling user's tags of the same key, so passing them
	// needs sts:TagSession on the federated user, as the call itself needs sts:GetFederationToken there.
	fedARN := ids.FederatedUserARN(reqctxPartition(c), c.AccountID, name)
	if err := s.authorizeGrant(ctx, c, &sessionGrant{tags: in.Tags}, fedARN); err != nil {
		return nil, err
	}
	claims := baseClaims(c, s.requestTime(ctx), d)
	claims.Issuer = "GetFederationToken"
	claims.Kind = token.KindFederatedUser
	claims.SessionName = name
	claims.PrincipalName, claims.PrincipalID, claims.PrincipalPath = c.PrincipalName, c.PrincipalID, c.PrincipalPath
	if err := applySessionPolicies(claims, in.Policy, in.PolicyArns); err != nil {
		return nil, err
	}
	if err := applyTags(claims, in.Tags, nil, nil); err != nil {
		return nil, err
	}
	packed, err := packedSize(claims)
	if err != nil {
		return nil, err
	}
	creds, err := s.issue(ctx, claims)
	if err != nil {
		return nil, err
	}
	return &stsapi.GetFederationTokenResponse{Credentials: creds, PackedPolicySize: packed,
		FederatedUser: &stsapi.FederatedUser{
			FederatedUserId: protocol.String(ids.FederatedUserID(c.AccountID, name)),
			Arn:             protocol.String(fedARN),
		}}, nil
}

// applySessionPolicies validates and stores the session policies of a request.
func applySessionPolicies(c *token.Claims, doc *string, arns []stsapi.PolicyDescriptorType) error {
	if doc != nil {
		if _, err := policy.Parse(*doc, policy.KindSession); err != nil {
			var me *policy.MalformedError
			if errors.As(err, &me) {
				return stsapi.NewMalformedPolicyDocumentException(me.Message)
			}
			return stsapi.NewMalformedPolicyDocumentException(err.Error())
		}
		c.SessionPolicy = *doc
	}
	if len(arns) > maxSessionPolicyARNs {
		return validationError(fmt.Sprintf("1 validation error detected: Value at 'policyArns' failed to satisfy constraint: "+
			"Member must have length less than or equal to %d", maxSessionPolicyARNs))
	}
	for _, a := range arns {
		arn := protocol.ToString(a.Arn)
		parsed, err := ids.ParseARN(arn)
		if err != nil || parsed.Service != "iam" || !strings.HasPrefix(parsed.Resource, "policy/") {
			return validationError("The policy ARN " + arn + " is not valid.")
		}
		c.PolicyARNs = append(c.PolicyARNs, arn)
	}
	return nil
}

// applyTags validates session tags (≤ 50, keys unique case-insensitively) and transitive keys, and
// carries the caller's transitive tags into a chained role session.
func applyTags(c *token.Claims, tags []stsapi.Tag, transitive []string, inherited *reqctx.Session) error {
	if len(tags) > maxSessionTags {
		return validationError("1 validation error detected: Value at 'tags' failed to satisfy constraint: Member must have length less than or equal to 50")
	}
	seen := map[string]bool{}
	if inherited != nil {
		for _, k := range inherited.TransitiveTagKeys {
			if v, ok := inherited.Tags[k]; ok {
				c.Tags = append(c.Tags, token.Tag{Key: k, Value: v})
				c.TransitiveTagKeys = append(c.TransitiveTagKeys, k)
				seen[strings.ToLower(k)] = true
			}
		}
	}
	requested := map[string]bool{}
	for _, t := range tags {
		k := protocol.ToString(t.Key)
		lk := strings.ToLower(k)
		if requested[lk] {
			return validationError("Duplicate tag keys found. Please note that Tag keys are case insensitive.")
		}
		requested[lk] = true
		if seen[lk] {
			return accessDenied("Transitive tag key " + k + " cannot be overridden by a session tag in a role chain.")
		}
		c.Tags = append(c.Tags, token.Tag{Key: k, Value: protocol.ToString(t.Value)})
	}
	for _, k := range transitive {
		if !requested[strings.ToLower(k)] {
			return validationError("The specified transitive tag key must be included in the requested tags.")
		}
		c.TransitiveTagKeys = append(c.TransitiveTagKeys, k)
	}
	return nil
}

// packedSize returns the PackedPolicySize percentage, refusing sessions over the limit. It is nil for a
// session without session policies or tags: AWS leaves PackedPolicySize out of those responses.
func packedSize(c *token.Claims) (*int32, error) {
	if c.SessionPolicy == "" && len(c.PolicyARNs) == 0 && len(c.Tags) == 0 {
		return nil, nil
	}
	p, err := token.PackedPolicySize(c)
	if err != nil {
		return nil, err
	}
	if p > packedPolicyLimit {
		return nil, stsapi.NewPackedPolicyTooLargeException(fmt.Sprintf(
			"Packed policy consumes %d%% of allotted space, please use smaller policy for this request.", p))
	}
	v := int32(p)
	return &v, nil
}

// WebIdentity is the verifier of web identity tokens (its fetch and cache counts, for tests and metrics).
func (s *Service) WebIdentity() *oidcverify.Verifier { return s.webIdentity }
