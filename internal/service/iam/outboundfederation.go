package iam

import (
	"context"
	"errors"

	"github.com/iamd/iamd/internal/api/iamapi"
	"github.com/iamd/iamd/internal/outbound"
)

// Outbound web identity federation: the account's switch for STS GetWebIdentityToken and its issuer URL.
// The issuer and its keys live in internal/outbound; these operations only turn it on and off.

// Messages of the two feature errors: the sentences the IAM API reference gives them (FeatureDisabled's
// lacks its final period there too). GetOutboundWebIdentityFederationInfo answers FeatureDisabled with the
// same sentence for an account that never enabled the feature.
const (
	msgFeatureEnabled = "The request failed because outbound identity federation is already enabled for your AWS account. " +
		"You cannot enable the feature multiple times. To fetch the current configuration (including the unique issuer URL), " +
		"use the GetOutboundWebIdentityFederationInfo operation."
	msgFeatureDisabled = "The request failed because outbound identity federation is already disabled for your AWS account. " +
		"You cannot disable the feature multiple times"
)

func (s *Service) outboundError(err error) error {
	switch {
	case errors.Is(err, outbound.ErrEnabled):
		return iamapi.NewFeatureEnabledException(msgFeatureEnabled)
	case errors.Is(err, outbound.ErrDisabled):
		return iamapi.NewFeatureDisabledException(msgFeatureDisabled)
	}
	return err
}

// EnableOutboundWebIdentityFederation turns the feature on and returns the account's issuer URL.
func (s *Service) EnableOutboundWebIdentityFederation(ctx context.Context, in *iamapi.EnableOutboundWebIdentityFederationInput) (*iamapi.EnableOutboundWebIdentityFederationResponse, error) {
	if s.outbound == nil {
		return s.Unimplemented.EnableOutboundWebIdentityFederation(ctx, in)
	}
	sc, err := s.scopeOf(ctx)
	if err != nil {
		return nil, err
	}
	url, err := s.outbound.Enable(ctx, sc.account)
	if err != nil {
		return nil, s.outboundError(err)
	}
	return &iamapi.EnableOutboundWebIdentityFederationResponse{IssuerIdentifier: &url}, nil
}

// DisableOutboundWebIdentityFederation turns it off; tokens signed before stay verifiable.
func (s *Service) DisableOutboundWebIdentityFederation(ctx context.Context, in *iamapi.DisableOutboundWebIdentityFederationInput) (*iamapi.DisableOutboundWebIdentityFederationOutput, error) {
	if s.outbound == nil {
		return s.Unimplemented.DisableOutboundWebIdentityFederation(ctx, in)
	}
	sc, err := s.scopeOf(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.outbound.Disable(ctx, sc.account); err != nil {
		return nil, s.outboundError(err)
	}
	return &iamapi.DisableOutboundWebIdentityFederationOutput{}, nil
}

// GetOutboundWebIdentityFederationInfo returns the issuer URL and whether tokens may be signed. An account
// that never enabled the feature has no issuer: FeatureDisabled.
func (s *Service) GetOutboundWebIdentityFederationInfo(ctx context.Context, in *iamapi.GetOutboundWebIdentityFederationInfoInput) (*iamapi.GetOutboundWebIdentityFederationInfoResponse, error) {
	if s.outbound == nil {
		return s.Unimplemented.GetOutboundWebIdentityFederationInfo(ctx, in)
	}
	sc, err := s.scopeOf(ctx)
	if err != nil {
		return nil, err
	}
	url, enabled, err := s.outbound.Info(ctx, sc.account)
	if err != nil {
		return nil, s.outboundError(err)
	}
	return &iamapi.GetOutboundWebIdentityFederationInfoResponse{IssuerIdentifier: &url, JwtVendingEnabled: &enabled}, nil
}
