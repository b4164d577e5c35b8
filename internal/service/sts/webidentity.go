package sts

import (
	"context"
	"errors"
	"time"

	"github.com/iamd/iamd/internal/api/stsapi"
	"github.com/iamd/iamd/internal/ids"
	"github.com/iamd/iamd/internal/outbound"
	"github.com/iamd/iamd/internal/protocol"
	"github.com/iamd/iamd/internal/reqctx"
)

// defaultWebIdentityTokenDuration is GetWebIdentityToken's DurationSeconds default (300 s).
const defaultWebIdentityTokenDuration = 300

// Messages of GetWebIdentityToken's errors: the sentences the STS API reference gives them.
const (
	msgOutboundDisabled = "The outbound web identity federation feature is not enabled for this account. " +
		"To use this feature, you must first enable it through the AWS Management Console or API."
	msgDurationEscalation = "The requested token duration would extend the session beyond its original expiration time. " +
		"You cannot use this operation to extend the lifetime of a session beyond what was granted when the session was originally created."
)

// GetWebIdentityToken signs a JSON Web Token naming the caller for the given audiences, with the account's
// outbound issuer (internal/outbound). The subject is the caller's principal ARN: the role's ARN for a role
// session, as AWS's sample token shows; AWS-specific claims (the account, the request's tags) are nested
// under https://sts.amazonaws.com/.
func (s *Service) GetWebIdentityToken(ctx context.Context, in *stsapi.GetWebIdentityTokenRequest) (*stsapi.GetWebIdentityTokenResponse, error) {
	if s.o.Outbound == nil {
		return s.Unimplemented.GetWebIdentityToken(ctx, in)
	}
	c := reqctx.From(ctx).Caller
	if c == nil {
		return nil, errMissingCaller
	}
	alg := protocol.ToString(in.SigningAlgorithm)
	if alg != outbound.AlgRS256 && alg != outbound.AlgES384 {
		return nil, validationError("1 validation error detected: Value '" + alg +
			"' at 'signingAlgorithm' failed to satisfy constraint: Member must satisfy enum value set: [RS256, ES384]")
	}
	d := int32(defaultWebIdentityTokenDuration)
	if in.DurationSeconds != nil {
		d = *in.DurationSeconds
	}
	now := s.requestTime(ctx).UTC().Truncate(time.Second)
	if c.Session != nil && now.Add(time.Duration(d)*time.Second).After(c.Session.Expiration) {
		return nil, stsapi.NewSessionDurationEscalationException(msgDurationEscalation)
	}
	// Tags become claims the relying party may authorize on: passing them needs a permission of its own.
	if err := s.authorizeGrant(ctx, c, &sessionGrant{tags: in.Tags, tagAction: "sts:TagGetWebIdentityToken"}, "*"); err != nil {
		return nil, err
	}
	custom := map[string]any{"aws_account": c.AccountID}
	if len(in.Tags) > 0 {
		tags := make(map[string]string, len(in.Tags))
		for _, t := range in.Tags {
			tags[protocol.ToString(t.Key)] = protocol.ToString(t.Value)
		}
		custom["request_tags"] = tags
	}
	signed, err := s.o.Outbound.Sign(ctx, c.AccountID, alg, time.Duration(d)*time.Second,
		outbound.Claims{Subject: webIdentitySubject(c), Audience: in.Audience, Custom: custom})
	if errors.Is(err, outbound.ErrDisabled) {
		return nil, stsapi.NewOutboundWebIdentityFederationDisabledException(msgOutboundDisabled)
	}
	if err != nil {
		return nil, err
	}
	return &stsapi.GetWebIdentityTokenResponse{WebIdentityToken: &signed.Token, Expiration: &signed.ExpiresAt}, nil
}

// webIdentitySubject is the sub claim: the principal's ARN, the role rather than the session for an
// assumed role.
func webIdentitySubject(c *reqctx.Caller) string {
	if c.Kind == reqctx.CallerAssumedRole && c.PrincipalName != "" {
		p := c.Partition
		if p == "" {
			p = "aws"
		}
		path := c.PrincipalPath
		if path == "" {
			path = "/"
		}
		return ids.RoleARN(p, c.AccountID, path, c.PrincipalName)
	}
	return c.ARN
}
