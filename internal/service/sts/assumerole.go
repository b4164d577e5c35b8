package sts

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/iamd/iamd/internal/api/stsapi"
	"github.com/iamd/iamd/internal/ids"
	"github.com/iamd/iamd/internal/policy"
	"github.com/iamd/iamd/internal/protocol"
	"github.com/iamd/iamd/internal/reqctx"
	"github.com/iamd/iamd/internal/storage"
	"github.com/iamd/iamd/internal/token"
)

// AssumeRole issues credentials for a role session after checking the role's trust policy (and, through
// Policies, the caller's identity policies: cross-account AssumeRole needs both).
func (s *Service) AssumeRole(ctx context.Context, in *stsapi.AssumeRoleRequest) (*stsapi.AssumeRoleResponse, error) {
	c := reqctx.From(ctx).Caller
	if c == nil {
		return nil, errMissingCaller
	}
	if c.Kind == reqctx.CallerRoot {
		return nil, accessDenied("Roles may not be assumed by root accounts.")
	}
	if in.TokenCode != nil {
		// As GetSessionToken: no MFA device exists to check the code against, and issuing the session
		// without MFA would leave the caller believing it has an MFA session.
		return nil, accessDenied(msgMFAFailed)
	}
	roleARN := protocol.ToString(in.RoleArn)
	sessionName := protocol.ToString(in.RoleSessionName)
	denied := assumeDenied(c, "sts:AssumeRole", roleARN)

	partition, account, path, name, ok := parseRoleARN(roleARN)
	if !ok {
		return nil, validationError(roleARN + " is invalid")
	}
	if partition != reqctxPartition(c) {
		// No role of another partition is reachable from this one: as for a role that does not exist.
		return nil, denied
	}
	role, err := s.role(ctx, account, name)
	if errors.Is(err, storage.ErrNotFound) || (err == nil && role.Path != path) {
		return nil, denied
	}
	if err != nil {
		return nil, fmt.Errorf("loading role: %w", err)
	}
	// Policies are evaluated against the role as stored: the role is found whatever the case of the name
	// in RoleArn, and ARNs in policies match case-sensitively, so a Deny on role/prod must stop role/PROD.
	// Messages name the role as requested.
	storedARN := ids.RoleARN(partition, account, role.Path, role.Name)
	if err := s.authorizeAssume(ctx, c, role, storedARN, in); err != nil {
		var na *notAllowedError
		if errors.As(err, &na) {
			return nil, assumeDenied(c, na.action, roleARN)
		}
		return nil, err
	}

	chained := c.Kind == reqctx.CallerAssumedRole
	d := int32(defaultRoleDuration)
	if in.DurationSeconds != nil {
		d = *in.DurationSeconds
	}
	maxDur := role.MaxSessionDuration
	if maxDur == 0 {
		maxDur = defaultMaxRoleDuration
	}
	switch {
	case chained && d > roleChainingMaxDuration:
		return nil, validationError("The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.")
	case d > maxDur:
		return nil, validationError("The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
	}
	if err := s.checkActive(ctx, account); err != nil {
		return nil, err
	}

	now := s.requestTime(ctx)
	claims := baseClaims(c, now, d)
	claims.AccountID = account
	claims.Issuer = "AssumeRole"
	claims.Kind = token.KindAssumedRole
	claims.PrincipalName, claims.PrincipalID, claims.PrincipalPath = role.Name, role.ID, role.Path
	claims.SessionName = sessionName
	claims.RoleChained = chained
	if c.Session != nil {
		claims.MFA = c.Session.MFA
		// A source identity, once set, stays for the whole role chain.
		claims.SourceIdentity = c.Session.SourceIdentity
	}
	if in.SourceIdentity != nil {
		if claims.SourceIdentity != "" && claims.SourceIdentity != *in.SourceIdentity {
			return nil, accessDenied("SourceIdentity cannot be changed in a role chain.")
		}
		claims.SourceIdentity = *in.SourceIdentity
	}
	if err := applySessionPolicies(claims, in.Policy, in.PolicyArns); err != nil {
		return nil, err
	}
	var inherited *reqctx.Session
	if chained {
		inherited = c.Session
	}
	if err := applyTags(claims, in.Tags, in.TransitiveTagKeys, inherited); err != nil {
		return nil, err
	}
	packed, creds, err := s.issueRoleSession(ctx, claims, role, now)
	if err != nil {
		return nil, err
	}
	out := &stsapi.AssumeRoleResponse{Credentials: creds, PackedPolicySize: packed,
		AssumedRoleUser: &stsapi.AssumedRoleUser{
			AssumedRoleId: protocol.String(ids.AssumedRoleID(role.ID, sessionName)),
			Arn:           protocol.String(ids.AssumedRoleARN(claims.Partition, account, role.Name, sessionName)),
		}}
	if claims.SourceIdentity != "" {
		out.SourceIdentity = protocol.String(claims.SourceIdentity)
	}
	return out, nil
}

// notAllowedError says which action of an AssumeRole call the policies did not allow.
type notAllowedError struct{ action string }

func (e *notAllowedError) Error() string { return "not allowed: " + e.action }

func assumeDenied(c *reqctx.Caller, action, roleARN string) error {
	return accessDenied("User: " + c.ARN + " is not authorized to perform: " + action + " on resource: " + roleARN)
}

// authorizeAssume evaluates sts:AssumeRole against the role's trust policy and the caller's policies, and
// sts:TagSession / sts:SetSourceIdentity when the call sets session tags or a source identity (AWS asks
// for those permissions in the trust policy too). roleARN is the role's ARN as stored.
//
// Unlike other resource-based policies, a trust policy must allow on its own even within one account: an
// identity-based Allow of sts:AssumeRole does not open a role whose trust policy does not name the caller
// (or its account). When the trust policy names only the account, the identity policies must allow as well,
// which policy.Evaluate's account delegation already requires.
func (s *Service) authorizeAssume(ctx context.Context, c *reqctx.Caller, role *storage.Role, roleARN string, in *stsapi.AssumeRoleRequest) error {
	trust, err := s.trust.parse(role.AssumeRolePolicyDocument)
	if err != nil {
		s.log.WarnContext(ctx, "role trust policy does not parse", "role", roleARN, "err", err)
		return &notAllowedError{action: "sts:AssumeRole"}
	}
	set := &policy.Set{}
	var reqCtx map[string][]string
	if s.o.Policies != nil {
		cs, err := s.o.Policies.CallerSet(ctx, c)
		if err != nil {
			return fmt.Errorf("loading the caller's policies: %w", err)
		}
		set = cs
		var release func()
		reqCtx, release = s.o.Policies.RequestContext(ctx)
		defer release()
	}
	if reqCtx == nil {
		reqCtx = map[string][]string{}
	}
	// The users and roles the trust policy named when it was saved are trusted by unique ID: a namesake
	// created after one was deleted is not.
	set.Resource = &policy.Attached{Policy: trust, ID: "trust-policy", Source: policy.SourceResource,
		PrincipalIDs: role.TrustPrincipalIDs}
	set.ResourceAccount = role.AccountID
	if in.ExternalId != nil {
		reqCtx["sts:externalid"] = []string{*in.ExternalId}
	}
	reqCtx["sts:rolesessionname"] = []string{protocol.ToString(in.RoleSessionName)}
	grant := &sessionGrant{tags: in.Tags, transitive: in.TransitiveTagKeys, sourceIdentity: in.SourceIdentity,
		inheritsTags: c.Kind == reqctx.CallerAssumedRole && c.Session != nil && len(c.Session.TransitiveTagKeys) > 0}
	grant.addContext(reqCtx)
	p := policy.Principal{ARN: c.ARN, AccountID: c.AccountID}
	switch c.Kind {
	case reqctx.CallerAssumedRole:
		p.RoleARN = ids.RoleARN(reqctxPartition(c), c.AccountID, c.PrincipalPath, c.PrincipalName)
		p.ID = c.PrincipalID
	case reqctx.CallerUser:
		p.ID = c.PrincipalID
	}
	actions := append([]string{"sts:AssumeRole"}, grant.actions()...)
	for _, action := range actions {
		d := policy.Evaluate(&policy.Request{Action: action, Resource: roleARN, Principal: p, Context: reqCtx}, set)
		if !d.Allowed() || d.Resource != policy.Allowed {
			return &notAllowedError{action: action}
		}
	}
	return nil
}

// parseRoleARN splits arn:PARTITION:iam::ACCOUNT:role/PATH/NAME.
func parseRoleARN(arn string) (partition, account, path, name string, ok bool) {
	a, err := ids.ParseARN(arn)
	if err != nil || a.Service != "iam" || !ids.IsAccountID(a.Account) || !strings.HasPrefix(a.Resource, "role/") {
		return "", "", "", "", false
	}
	rest := strings.TrimPrefix(a.Resource, "role")
	i := strings.LastIndexByte(rest, '/')
	path, name = rest[:i+1], rest[i+1:]
	if name == "" {
		return "", "", "", "", false
	}
	return a.Partition, a.Account, path, name, true
}

// issueRoleSession issues the credentials of a role session whose claims are complete, with the
// PackedPolicySize it reports, and records the role's use.
func (s *Service) issueRoleSession(ctx context.Context, claims *token.Claims, role *storage.Role, now time.Time) (*int32, *stsapi.Credentials, error) {
	packed, err := packedSize(claims)
	if err != nil {
		return nil, nil, err
	}
	creds, err := s.issue(ctx, claims)
	if err != nil {
		return nil, nil, err
	}
	if s.o.RoleUsed != nil {
		// The stored names, not slices of the request: the use is kept in memory until written.
		s.o.RoleUsed(ctx, role.AccountID, role.Name, reqctx.From(ctx).Region, now)
	}
	return packed, creds, nil
}
