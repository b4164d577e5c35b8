package iam

import (
	"context"
	"fmt"

	"github.com/iamd/iamd/internal/api/iamapi"
	"github.com/iamd/iamd/internal/storage"
)

// GetAccountSummary reports the account's entity counts (kept by the store in the same transactions as
// the writes, so this is two small queries), its quotas, root flags and GlobalEndpointTokenVersion.
func (s *Service) GetAccountSummary(ctx context.Context, _ *iamapi.GetAccountSummaryInput) (*iamapi.GetAccountSummaryResponse, error) {
	sc, err := s.scopeOf(ctx)
	if err != nil {
		return nil, err
	}
	var c storage.Counts
	var a *storage.Account
	err = s.store.View(ctx, func(tx storage.Tx) error {
		var err error
		if a, err = tx.GetAccount(ctx, sc.account); err != nil {
			return err
		}
		c, err = tx.Counts(ctx, sc.account)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("account summary: %w", err)
	}
	flag := func(n int64) int32 {
		if n > 0 {
			return 1
		}
		return 0
	}
	m := map[string]int32{
		"Users":                             int32(c.Users),
		"UsersQuota":                        maxUsersPerAccount,
		"Groups":                            int32(c.Groups),
		"GroupsQuota":                       maxGroupsPerAccount,
		"Roles":                             int32(c.Roles),
		"RolesQuota":                        maxRolesPerAccount,
		"InstanceProfiles":                  int32(c.InstanceProfiles),
		"InstanceProfilesQuota":             maxInstanceProfilesPerAccount,
		"Policies":                          int32(c.Policies),
		"PoliciesQuota":                     maxPoliciesPerAccount,
		"ServerCertificates":                int32(c.ServerCertificates),
		"ServerCertificatesQuota":           maxServerCertificatesPerAccount,
		"PolicyVersionsInUse":               int32(c.PolicyVersionsInUse),
		"PolicyVersionsInUseQuota":          maxPolicyVersionsInUse,
		"VersionsPerPolicyQuota":            maxVersionsPerPolicy,
		"PolicySizeQuota":                   maxManagedPolicySize,
		"UserPolicySizeQuota":               maxUserInlineSize,
		"GroupPolicySizeQuota":              maxGroupInlineSize,
		"RolePolicySizeQuota":               maxRoleInlineSize,
		"AssumeRolePolicySizeQuota":         maxTrustPolicySize,
		"AttachedPoliciesPerUserQuota":      maxAttachedPoliciesPerEntity,
		"AttachedPoliciesPerGroupQuota":     maxAttachedPoliciesPerEntity,
		"AttachedPoliciesPerRoleQuota":      maxAttachedPoliciesPerEntity,
		"GroupsPerUserQuota":                maxGroupsPerUser,
		"AccessKeysPerUserQuota":            maxAccessKeysPerUser,
		"SigningCertificatesPerUserQuota":   maxSigningCertificatesPerUser,
		"MFADevices":                        int32(c.MFADevices),
		"MFADevicesInUse":                   int32(c.MFADevicesInUse),
		"Providers":                         int32(c.Providers),
		"AccountMFAEnabled":                 flag(c.RootMFADevices),
		"AccountAccessKeysPresent":          flag(c.RootAccessKeys),
		"AccountSigningCertificatesPresent": flag(c.RootSigningCertificates),
		"AccountPasswordPresent":            0, // an iamd root user has no console password (iamd has no console sign-in)
		"GlobalEndpointTokenVersion":        int32(a.TokenVersion()),
	}
	return &iamapi.GetAccountSummaryResponse{SummaryMap: m}, nil
}
