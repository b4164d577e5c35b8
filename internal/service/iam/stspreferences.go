package iam

import (
	"context"
	"fmt"

	"github.com/iamd/iamd/internal/api/iamapi"
	"github.com/iamd/iamd/internal/protocol"
	"github.com/iamd/iamd/internal/storage"
)

// Token versions as SetSecurityTokenServicePreferences names them.
const (
	tokenVersionV1 = "v1Token"
	tokenVersionV2 = "v2Token"
)

// SetSecurityTokenServicePreferences sets which token version the account's STS global endpoint issues
// (docs/aws-behavior.md, "Global-endpoint token versions"). Tokens already issued keep their version.
func (s *Service) SetSecurityTokenServicePreferences(ctx context.Context, in *iamapi.SetSecurityTokenServicePreferencesRequest) (*iamapi.SetSecurityTokenServicePreferencesOutput, error) {
	sc, err := s.scopeOf(ctx)
	if err != nil {
		return nil, err
	}
	var version int
	switch protocol.ToString(in.GlobalEndpointTokenVersion) {
	case tokenVersionV1:
		version = 1
	case tokenVersionV2:
		version = 2
	default:
		// The generated validator refuses other values first; this guards direct callers.
		return nil, &protocol.Error{Code: "ValidationError", Message: "1 validation error detected: Value '" +
			protocol.ToString(in.GlobalEndpointTokenVersion) + "' at 'globalEndpointTokenVersion' failed to satisfy constraint: " +
			"Member must satisfy enum value set: [v1Token, v2Token]"}
	}
	err = s.store.Update(ctx, func(tx storage.Tx) error {
		a, err := tx.GetAccount(ctx, sc.account)
		if err != nil {
			return err
		}
		if a.TokenVersion() == version {
			return nil
		}
		a.GlobalEndpointTokenVersion = version
		return tx.UpdateAccount(ctx, a)
	})
	if err != nil {
		return nil, fmt.Errorf("setting the global endpoint token version: %w", err)
	}
	return &iamapi.SetSecurityTokenServicePreferencesOutput{}, nil
}
