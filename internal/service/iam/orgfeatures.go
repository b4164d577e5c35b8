package iam

import (
	"context"

	"github.com/iamd/iamd/internal/api/iamapi"
	"github.com/iamd/iamd/internal/protocol"
)

// Centralized root access (the Organizations features RootCredentialsManagement and RootSessions) is
// managed from an organization's management account. iamd has no organizations, so every account is a
// standalone one, and these operations answer as AWS answers an account that belongs to no organization:
// OrganizationNotFoundException (400, Sender). The model gives that error no message member; AWS sends the
// sentence its API reference gives the error, which this repeats.

// orgFeaturesNoOrganization is the answer of the centralized root access operations in an account outside
// any organization. The generated constructor drops messages (the shape has no member), hence the generic
// error with the same code and status.
func orgFeaturesNoOrganization() error {
	return protocol.NewError("OrganizationNotFoundException", 400, "The request was rejected because no organization is associated with your account.")
}

// orgFeatures answers every centralized root access operation once the caller is known.
func (s *Service) orgFeatures(ctx context.Context) error {
	if _, err := s.scopeOf(ctx); err != nil {
		return err
	}
	return orgFeaturesNoOrganization()
}

// EnableOrganizationsRootCredentialsManagement would let the management account manage member accounts'
// root credentials.
func (s *Service) EnableOrganizationsRootCredentialsManagement(ctx context.Context, _ *iamapi.EnableOrganizationsRootCredentialsManagementRequest) (*iamapi.EnableOrganizationsRootCredentialsManagementResponse, error) {
	return nil, s.orgFeatures(ctx)
}

// DisableOrganizationsRootCredentialsManagement would stop it.
func (s *Service) DisableOrganizationsRootCredentialsManagement(ctx context.Context, _ *iamapi.DisableOrganizationsRootCredentialsManagementRequest) (*iamapi.DisableOrganizationsRootCredentialsManagementResponse, error) {
	return nil, s.orgFeatures(ctx)
}

// EnableOrganizationsRootSessions would let the management account take root sessions in member accounts.
func (s *Service) EnableOrganizationsRootSessions(ctx context.Context, _ *iamapi.EnableOrganizationsRootSessionsRequest) (*iamapi.EnableOrganizationsRootSessionsResponse, error) {
	return nil, s.orgFeatures(ctx)
}

// DisableOrganizationsRootSessions would stop it.
func (s *Service) DisableOrganizationsRootSessions(ctx context.Context, _ *iamapi.DisableOrganizationsRootSessionsRequest) (*iamapi.DisableOrganizationsRootSessionsResponse, error) {
	return nil, s.orgFeatures(ctx)
}

// ListOrganizationsFeatures would list the features enabled in the caller's organization.
func (s *Service) ListOrganizationsFeatures(ctx context.Context, _ *iamapi.ListOrganizationsFeaturesRequest) (*iamapi.ListOrganizationsFeaturesResponse, error) {
	return nil, s.orgFeatures(ctx)
}
