package sts

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/iamd/iamd/internal/api/stsapi"
	"github.com/iamd/iamd/internal/ids"
	"github.com/iamd/iamd/internal/oidcverify"
	"github.com/iamd/iamd/internal/protocol"
	"github.com/iamd/iamd/internal/reqctx"
	"github.com/iamd/iamd/internal/storage"
	"github.com/iamd/iamd/internal/token"
)

// Messages of AssumeRoleWithWebIdentity's errors, in the words of the STS API reference ("Errors" of
// AssumeRoleWithWebIdentity) and of AWS's answers.
const (
	msgTokenInvalid = "The web identity token that was passed could not be validated by AWS. " +
		"Get a new identity token from the identity provider and then retry the request."
	msgIDPUnreachable = "The request could not be fulfilled because the identity provider (IDP) that was asked " +
		"to verify the incoming identity token could not be reached. This is often a transient error caused by " +
		"network conditions. Retry the request a limited number of times and wait between retries to avoid " +
		"network congestion."
	msgIDPRejectedClaim = "The identity provider (IdP) reported that authentication failed. " +
		"This might be because the claim is invalid."
	msgWebIdentityDenied = "Not authorized to perform sts:AssumeRoleWithWebIdentity"
	msgIncorrectAudience = "Incorrect token audience"
)

// AssumeRoleWithWebIdentity exchanges an OpenID Connect ID token for a role session. The call is unsigned:
// the token is the caller's only proof, so the provider the token's issuer names must be registered in the
// role's account before anything is fetched from the issuer, the signature must verify with a key of the
// issuer's JWKS (internal/oidcverify), the audience must be one of the provider's client IDs, and the role's
// trust policy must allow the provider as a Federated principal, with the OIDC condition keys.
func (s *Service) AssumeRoleWithWebIdentity(ctx context.Context, in *stsapi.AssumeRoleWithWebIdentityRequest) (*stsapi.AssumeRoleWithWebIdentityResponse, error) {
	if s.o.Store == nil {
		return s.Unimplemented.AssumeRoleWithWebIdentity(ctx, in)
	}
	if in.ProviderId != nil {
		// OAuth 2.0 access tokens of www.amazon.com and graph.facebook.com are verified by calling those
		// services, which iamd does not reach; only OpenID Connect ID tokens are accepted.
		return nil, stsapi.NewInvalidIdentityTokenException(msgTokenInvalid)
	}
	roleARN := protocol.ToString(in.RoleArn)
	sessionName := protocol.ToString(in.RoleSessionName)
	req := reqctx.From(ctx)
	partition, account, path, name, ok := parseRoleARN(roleARN)
	if !ok {
		return nil, validationError(roleARN + " is invalid")
	}
	now := s.requestTime(ctx)
	cl, prov, err := s.verifyWebIdentity(ctx, account, protocol.ToString(in.WebIdentityToken), now)
	var noProvider *errNoProvider
	switch {
	case errors.As(err, &noProvider):
		return nil, stsapi.NewInvalidIdentityTokenException("No OpenIDConnect provider found in your account for " + noProvider.issuer)
	case errors.Is(err, oidcverify.ErrUnreachable):
		return nil, stsapi.NewIDPCommunicationErrorException(msgIDPUnreachable)
	case errors.Is(err, oidcverify.ErrMalformed), errors.Is(err, oidcverify.ErrSignature):
		return nil, stsapi.NewInvalidIdentityTokenException(msgTokenInvalid)
	case err != nil:
		return nil, err
	}
	if expired, err := oidcverify.CheckTimes(cl, now); expired {
		return nil, stsapi.NewExpiredTokenException(fmt.Sprintf("Token expired: current date/time %d must be before the expiration date/time %d",
			now.Unix(), cl.Expiry.Time().Unix()))
	} else if err != nil {
		return nil, stsapi.NewInvalidIdentityTokenException(msgTokenInvalid)
	}
	// The audience is azp when the token has one (the party the token was issued to), else one of aud.
	aud, oaud := cl.AZP, []string(cl.Audience)
	if aud == "" {
		for _, a := range cl.Audience {
			if slices.Contains(prov.data.ClientIDs, a) {
				aud = a
				break
			}
		}
		oaud = nil
	}
	if aud == "" || !slices.Contains(prov.data.ClientIDs, aud) {
		return nil, stsapi.NewInvalidIdentityTokenException(msgIncorrectAudience)
	}
	var tags []stsapi.Tag
	var transitive []string
	if t := cl.Tags; t != nil {
		for k, vs := range t.PrincipalTags {
			if len(vs) != 1 || !validFederatedTag(k, vs[0]) {
				return nil, stsapi.NewIDPRejectedClaimException(msgIDPRejectedClaim)
			}
			tags = append(tags, stsapi.Tag{Key: protocol.String(k), Value: protocol.String(vs[0])})
		}
		transitive = t.TransitiveTagKeys
	}
	var sourceIdentity *string
	if cl.SourceIdentity != "" {
		sourceIdentity = protocol.String(cl.SourceIdentity)
	}

	providerARN := "arn:" + partition + ":iam::" + account + ":oidc-provider/" + prov.name
	denied := accessDenied(msgWebIdentityDenied)
	if req.Partition != "" && partition != req.Partition {
		return nil, denied
	}
	role, err := s.role(ctx, account, name)
	if errors.Is(err, storage.ErrNotFound) || (err == nil && role.Path != path) {
		return nil, denied
	}
	if err != nil {
		return nil, fmt.Errorf("loading role: %w", err)
	}
	storedARN := ids.RoleARN(partition, account, role.Path, role.Name)
	grant := &sessionGrant{tags: tags, transitive: transitive, sourceIdentity: sourceIdentity}
	keys := map[string][]string{
		"sts:rolesessionname":      {sessionName},
		lowerKey(prov.name, "aud"): {aud},
		lowerKey(prov.name, "sub"): {cl.Subject},
	}
	if len(cl.AMR) > 0 {
		keys[lowerKey(prov.name, "amr")] = cl.AMR
	}
	if len(oaud) > 0 {
		keys[lowerKey(prov.name, "oaud")] = oaud
	}
	// The provider is one of the role's account: the token was verified with that account's provider.
	if err := s.authorizeFederated(ctx, role, storedARN, "sts:AssumeRoleWithWebIdentity", providerARN, role.AccountID,
		keys, grant, msgWebIdentityDenied); err != nil {
		return nil, err
	}

	d, err := roleSessionDuration(in.DurationSeconds, role, false)
	if err != nil {
		return nil, err
	}
	if err := s.checkActive(ctx, account); err != nil {
		return nil, err
	}
	claims := baseClaims(&reqctx.Caller{AccountID: account, Partition: partition}, now, d)
	claims.Issuer = "AssumeRoleWithWebIdentity"
	claims.Kind = token.KindAssumedRole
	claims.PrincipalName, claims.PrincipalID, claims.PrincipalPath = role.Name, role.ID, role.Path
	claims.SessionName = sessionName
	claims.SourceIdentity = cl.SourceIdentity
	if err := applySessionPolicies(claims, in.Policy, in.PolicyArns); err != nil {
		return nil, err
	}
	if err := applyTags(claims, tags, transitive, nil); err != nil {
		var pe *protocol.Error
		if errors.As(err, &pe) && pe.Code == "ValidationError" {
			// The tags come from the token, not the request: the claim is what is wrong.
			return nil, stsapi.NewIDPRejectedClaimException(msgIDPRejectedClaim)
		}
		return nil, err
	}
	packed, err := packedSize(claims)
	if err != nil {
		return nil, err
	}
	creds, user, err := s.issueRoleSession(ctx, claims, role, now)
	if err != nil {
		return nil, err
	}
	out := &stsapi.AssumeRoleWithWebIdentityResponse{Credentials: creds, PackedPolicySize: packed,
		SubjectFromWebIdentityToken: protocol.String(cl.Subject),
		Provider:                    protocol.String(cl.Issuer),
		Audience:                    protocol.String(aud),
		AssumedRoleUser:             user}
	if claims.SourceIdentity != "" {
		out.SourceIdentity = protocol.String(claims.SourceIdentity)
	}
	return out, nil
}

// lowerKey is the condition key HOST/PATH:claim of a provider, lower-cased as the request context keeps keys.
func lowerKey(provider, claim string) string { return strings.ToLower(provider + ":" + claim) }
