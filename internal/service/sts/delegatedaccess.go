package sts

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/iamd/iamd/internal/api/stsapi"
	"github.com/iamd/iamd/internal/ids"
	"github.com/iamd/iamd/internal/protocol"
	"github.com/iamd/iamd/internal/reqctx"
	"github.com/iamd/iamd/internal/service/iam"
	"github.com/iamd/iamd/internal/token"
)

// DelegationRedeemer exchanges delegation requests' trade-in tokens once; IAM's service implements it.
type DelegationRedeemer interface {
	RedeemDelegationToken(ctx context.Context, tok, callerAccount string, now time.Time, accept func(*iam.DelegatedGrant) error) (*iam.DelegatedGrant, error)
}

// Answers of GetDelegatedAccessToken. ExpiredTradeInToken is the one error the API models ("The trade-in
// token provided in the request has expired and can no longer be exchanged for credentials"); a token that
// is not one at all, and an approval that no longer stands, get AccessDenied (docs/aws-behavior.md,
// "Temporary delegation").
const (
	msgTradeInInvalid  = "The trade-in token is not valid."
	msgTradeInExpired  = "The trade-in token has expired and can no longer be exchanged for credentials."
	msgApproverInvalid = "The principal that approved the delegation request no longer exists or cannot be delegated."
)

// GetDelegatedAccessToken exchanges the trade-in (exchange) token of a finalized delegation request for
// temporary credentials in the customer account: a session of the principal that approved the request
// (found by its unique ID), narrowed by the request's permission policy as a session policy, until the
// end of the delegation period. Only the partner account that filed the request can exchange its token,
// and only once.
func (s *Service) GetDelegatedAccessToken(ctx context.Context, in *stsapi.GetDelegatedAccessTokenRequest) (*stsapi.GetDelegatedAccessTokenResponse, error) {
	c := reqctx.From(ctx).Caller
	if c == nil {
		return nil, errMissingCaller
	}
	if s.o.Delegations == nil {
		return nil, accessDenied(msgTradeInInvalid)
	}
	now := s.requestTime(ctx).UTC().Truncate(time.Second)
	var out *stsapi.GetDelegatedAccessTokenResponse
	_, err := s.o.Delegations.RedeemDelegationToken(ctx, protocol.ToString(in.TradeInToken), c.AccountID, now, func(g *iam.DelegatedGrant) error {
		if err := s.checkActive(ctx, g.Account); err != nil {
			return err
		}
		claims := &token.Claims{AccountID: g.Account, Partition: reqctxPartition(c), IssuedAt: now,
			Expiration: g.Expires.UTC().Truncate(time.Second), Issuer: "GetDelegatedAccessToken", SessionPolicy: g.PermissionPolicy}
		var principal string
		switch {
		case g.Role != nil:
			claims.Kind, claims.SessionName = token.KindAssumedRole, g.RequestID
			claims.PrincipalName, claims.PrincipalID, claims.PrincipalPath = g.Role.Name, g.Role.ID, g.Role.Path
			principal = ids.RoleARN(claims.Partition, g.Account, g.Role.Path, g.Role.Name)
		case g.User != nil:
			claims.Kind = token.KindUserSession
			claims.PrincipalName, claims.PrincipalID, claims.PrincipalPath = g.User.Name, g.User.ID, g.User.Path
			principal = ids.UserARN(claims.Partition, g.Account, g.User.Path, g.User.Name)
		default:
			return iam.ErrDelegationApproverGone
		}
		if _, err := packedSize(claims); err != nil {
			return err
		}
		creds, err := s.issue(ctx, claims)
		if err != nil {
			return err
		}
		out = &stsapi.GetDelegatedAccessTokenResponse{Credentials: creds, AssumedPrincipal: &principal}
		return nil
	})
	switch {
	case err == nil:
		return out, nil
	case errors.Is(err, iam.ErrTradeInTokenInvalid):
		return nil, accessDenied(msgTradeInInvalid)
	case errors.Is(err, iam.ErrTradeInTokenExpired):
		return nil, stsapi.NewExpiredTradeInTokenException(msgTradeInExpired)
	case errors.Is(err, iam.ErrDelegationApproverGone):
		return nil, accessDenied(msgApproverInvalid)
	}
	var pe protocol.APIError
	if errors.As(err, &pe) {
		return nil, err
	}
	return nil, fmt.Errorf("GetDelegatedAccessToken: %w", err)
}
