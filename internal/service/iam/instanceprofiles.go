package iam

import (
	"context"
	"errors"
	"fmt"

	"github.com/iamd/iamd/internal/api/iamapi"
	"github.com/iamd/iamd/internal/ids"
	"github.com/iamd/iamd/internal/storage"
)

func noSuchInstanceProfile(name string) error {
	return iamapi.NewNoSuchEntityException("Instance Profile " + name + " cannot be found.")
}

func (sc scope) instanceProfileARN(path, name string) string {
	return ids.InstanceProfileARN(sc.partition, sc.account, path, name)
}

// instanceProfileOut renders a profile with its roles (as ListRoles renders roles) and, when withTags, its
// tags: always, an empty list included, as GetInstanceProfile shows them.
func (sc scope) instanceProfileOut(ctx context.Context, tx storage.Tx, p *storage.InstanceProfile, withTags bool) (iamapi.InstanceProfile, error) {
	out := iamapi.InstanceProfile{
		Path:                ptr(p.Path),
		InstanceProfileName: ptr(p.Name),
		InstanceProfileId:   ptr(p.ID),
		Arn:                 ptr(sc.instanceProfileARN(p.Path, p.Name)),
		CreateDate:          timePtr(p.CreatedAt),
		Roles:               make([]iamapi.Role, 0, len(p.Roles)),
	}
	for _, name := range p.Roles {
		r, err := tx.GetRole(ctx, sc.account, name)
		if errors.Is(err, storage.ErrNotFound) {
			continue
		}
		if err == nil {
			err = showTrust(ctx, tx, r)
		}
		if err != nil {
			return out, err
		}
		out.Roles = append(out.Roles, sc.roleOut(r, roleViewList))
	}
	if withTags {
		out.Tags = allTagsOut(p.Tags)
	}
	return out, nil
}

// CreateInstanceProfile creates an instance profile without roles.
func (s *Service) CreateInstanceProfile(ctx context.Context, in *iamapi.CreateInstanceProfileRequest) (*iamapi.CreateInstanceProfileResponse, error) {
	sc, err := s.scopeOf(ctx)
	if err != nil {
		return nil, err
	}
	if err := requireName("instanceProfileName", str(in.InstanceProfileName)); err != nil {
		return nil, err
	}
	if err := checkRequestTags(in.Tags); err != nil {
		return nil, err
	}
	p := &storage.InstanceProfile{
		AccountID: sc.account,
		Name:      str(in.InstanceProfileName),
		Path:      pathOr(in.Path),
		ID:        ids.NewUniqueID(ids.PrefixInstanceProfile),
		CreatedAt: sc.now,
		Tags:      tagsIn(in.Tags),
	}
	err = s.store.Update(ctx, func(tx storage.Tx) error {
		c, err := tx.Counts(ctx, sc.account)
		if err != nil {
			return err
		}
		if c.InstanceProfiles >= maxInstanceProfilesPerAccount {
			return iamapi.NewLimitExceededException(fmt.Sprintf("Cannot exceed quota for InstanceProfilesPerAccount: %d", maxInstanceProfilesPerAccount))
		}
		err = tx.CreateInstanceProfile(ctx, p)
		if errors.Is(err, storage.ErrAlreadyExists) {
			return iamapi.NewEntityAlreadyExistsException("Instance Profile " + p.Name + " already exists.")
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	out := iamapi.InstanceProfile{
		Path:                ptr(p.Path),
		InstanceProfileName: ptr(p.Name),
		InstanceProfileId:   ptr(p.ID),
		Arn:                 ptr(sc.instanceProfileARN(p.Path, p.Name)),
		CreateDate:          timePtr(p.CreatedAt),
		Roles:               []iamapi.Role{},
		Tags:                tagsOut(p.Tags),
	}
	return &iamapi.CreateInstanceProfileResponse{InstanceProfile: &out}, nil
}

// GetInstanceProfile returns an instance profile with its role and tags.
func (s *Service) GetInstanceProfile(ctx context.Context, in *iamapi.GetInstanceProfileRequest) (*iamapi.GetInstanceProfileResponse, error) {
	sc, err := s.scopeOf(ctx)
	if err != nil {
		return nil, err
	}
	name := str(in.InstanceProfileName)
	var out iamapi.InstanceProfile
	err = s.store.View(ctx, func(tx storage.Tx) error {
		p, err := tx.GetInstanceProfile(ctx, sc.account, name)
		if err != nil {
			return notFound(err, func() error { return noSuchInstanceProfile(name) })
		}
		out, err = sc.instanceProfileOut(ctx, tx, p, true)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.GetInstanceProfileResponse{InstanceProfile: &out}, nil
}

// DeleteInstanceProfile deletes an instance profile that holds no role.
func (s *Service) DeleteInstanceProfile(ctx context.Context, in *iamapi.DeleteInstanceProfileRequest) (*iamapi.DeleteInstanceProfileOutput, error) {
	sc, err := s.scopeOf(ctx)
	if err != nil {
		return nil, err
	}
	name := str(in.InstanceProfileName)
	err = s.store.Update(ctx, func(tx storage.Tx) error {
		p, err := tx.GetInstanceProfile(ctx, sc.account, name)
		if err != nil {
			return notFound(err, func() error { return noSuchInstanceProfile(name) })
		}
		if len(p.Roles) > 0 {
			return deleteConflict("remove roles from instance profile")
		}
		return notFound(tx.DeleteInstanceProfile(ctx, sc.account, name), func() error { return noSuchInstanceProfile(name) })
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.DeleteInstanceProfileOutput{}, nil
}

// ListInstanceProfiles lists the account's instance profiles in name order, optionally under a path prefix.
func (s *Service) ListInstanceProfiles(ctx context.Context, in *iamapi.ListInstanceProfilesRequest) (*iamapi.ListInstanceProfilesResponse, error) {
	sc, err := s.scopeOf(ctx)
	if err != nil {
		return nil, err
	}
	pg, err := pageOf(in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	var out *iamapi.ListInstanceProfilesResponse
	err = s.store.View(ctx, func(tx storage.Tx) error {
		list, err := tx.ListInstanceProfiles(ctx, sc.account, storage.ListOptions{PathPrefix: pathOr(in.PathPrefix), After: pg.after, Limit: pg.limit()})
		if err != nil {
			return err
		}
		list, truncated, marker := paginate(list, pg, func(p *storage.InstanceProfile) string { return p.Name })
		out = &iamapi.ListInstanceProfilesResponse{InstanceProfiles: make([]iamapi.InstanceProfile, len(list)), IsTruncated: truncated, Marker: marker}
		for i, p := range list {
			if out.InstanceProfiles[i], err = sc.instanceProfileOut(ctx, tx, p, false); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// AddRoleToInstanceProfile puts a role in an instance profile (which holds at most one).
func (s *Service) AddRoleToInstanceProfile(ctx context.Context, in *iamapi.AddRoleToInstanceProfileRequest) (*iamapi.AddRoleToInstanceProfileOutput, error) {
	sc, err := s.scopeOf(ctx)
	if err != nil {
		return nil, err
	}
	name, role := str(in.InstanceProfileName), str(in.RoleName)
	err = s.store.Update(ctx, func(tx storage.Tx) error {
		p, err := tx.GetInstanceProfile(ctx, sc.account, name)
		if err != nil {
			return notFound(err, func() error { return noSuchInstanceProfile(name) })
		}
		if _, err := tx.GetRole(ctx, sc.account, role); err != nil {
			return notFound(err, func() error { return noSuchRole(role) })
		}
		for _, r := range p.Roles {
			if storage.Fold(r) == storage.Fold(role) {
				return iamapi.NewLimitExceededException(fmt.Sprintf("Cannot exceed quota for InstanceSessionsPerInstanceProfile: %d", maxRolesPerInstanceProfile))
			}
		}
		if len(p.Roles) >= maxRolesPerInstanceProfile {
			return iamapi.NewLimitExceededException(fmt.Sprintf("Cannot exceed quota for InstanceSessionsPerInstanceProfile: %d", maxRolesPerInstanceProfile))
		}
		err = tx.AddRoleToInstanceProfile(ctx, sc.account, name, role)
		if errors.Is(err, storage.ErrAlreadyExists) {
			return iamapi.NewLimitExceededException(fmt.Sprintf("Cannot exceed quota for InstanceSessionsPerInstanceProfile: %d", maxRolesPerInstanceProfile))
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.AddRoleToInstanceProfileOutput{}, nil
}

// RemoveRoleFromInstanceProfile takes a role out of an instance profile.
func (s *Service) RemoveRoleFromInstanceProfile(ctx context.Context, in *iamapi.RemoveRoleFromInstanceProfileRequest) (*iamapi.RemoveRoleFromInstanceProfileOutput, error) {
	sc, err := s.scopeOf(ctx)
	if err != nil {
		return nil, err
	}
	name, role := str(in.InstanceProfileName), str(in.RoleName)
	err = s.store.Update(ctx, func(tx storage.Tx) error {
		if _, err := tx.GetInstanceProfile(ctx, sc.account, name); err != nil {
			return notFound(err, func() error { return noSuchInstanceProfile(name) })
		}
		if _, err := tx.GetRole(ctx, sc.account, role); err != nil {
			return notFound(err, func() error { return noSuchRole(role) })
		}
		return notFound(tx.RemoveRoleFromInstanceProfile(ctx, sc.account, name, role), func() error {
			return iamapi.NewNoSuchEntityException("Role " + role + " in Instance Profile " + name + " cannot be found.")
		})
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.RemoveRoleFromInstanceProfileOutput{}, nil
}

// ListInstanceProfilesForRole lists the instance profiles that hold a role.
func (s *Service) ListInstanceProfilesForRole(ctx context.Context, in *iamapi.ListInstanceProfilesForRoleRequest) (*iamapi.ListInstanceProfilesForRoleResponse, error) {
	sc, err := s.scopeOf(ctx)
	if err != nil {
		return nil, err
	}
	pg, err := pageOf(in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	role := str(in.RoleName)
	var out *iamapi.ListInstanceProfilesForRoleResponse
	err = s.store.View(ctx, func(tx storage.Tx) error {
		if _, err := tx.GetRole(ctx, sc.account, role); err != nil {
			return notFound(err, func() error { return noSuchRole(role) })
		}
		list, err := tx.ListInstanceProfilesForRole(ctx, sc.account, role, storage.ListOptions{After: pg.after, Limit: pg.limit()})
		if err != nil {
			return err
		}
		list, truncated, marker := paginate(list, pg, func(p *storage.InstanceProfile) string { return p.Name })
		out = &iamapi.ListInstanceProfilesForRoleResponse{InstanceProfiles: make([]iamapi.InstanceProfile, len(list)), IsTruncated: truncated, Marker: marker}
		for i, p := range list {
			if out.InstanceProfiles[i], err = sc.instanceProfileOut(ctx, tx, p, false); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// modifyInstanceProfile runs fn on a profile in one transaction and stores the result.
func (s *Service) modifyInstanceProfile(ctx context.Context, name string, fn func(p *storage.InstanceProfile) error) error {
	sc, err := s.scopeOf(ctx)
	if err != nil {
		return err
	}
	err = s.store.Update(ctx, func(tx storage.Tx) error {
		p, err := tx.GetInstanceProfile(ctx, sc.account, name)
		if err != nil {
			return notFound(err, func() error { return noSuchInstanceProfile(name) })
		}
		if err := fn(p); err != nil {
			return err
		}
		return notFound(tx.UpdateInstanceProfile(ctx, name, p), func() error { return noSuchInstanceProfile(name) })
	})
	return err
}

// TagInstanceProfile adds or replaces tags on an instance profile.
func (s *Service) TagInstanceProfile(ctx context.Context, in *iamapi.TagInstanceProfileRequest) (*iamapi.TagInstanceProfileOutput, error) {
	err := s.modifyInstanceProfile(ctx, str(in.InstanceProfileName), func(p *storage.InstanceProfile) error {
		tags, err := mergeTags(p.Tags, in.Tags, "TagsPerInstanceProfile")
		p.Tags = tags
		return err
	})

	if err != nil {
		return nil, err
	}
	return &iamapi.TagInstanceProfileOutput{}, nil
}

// UntagInstanceProfile removes tags from an instance profile.
func (s *Service) UntagInstanceProfile(ctx context.Context, in *iamapi.UntagInstanceProfileRequest) (*iamapi.UntagInstanceProfileOutput, error) {
	err := s.modifyInstanceProfile(ctx, str(in.InstanceProfileName), func(p *storage.InstanceProfile) error {
		p.Tags = removeTags(p.Tags, in.TagKeys)
		return nil
	})

	if err != nil {
		return nil, err
	}
	return &iamapi.UntagInstanceProfileOutput{}, nil
}

// ListInstanceProfileTags lists an instance profile's tags in the order they were added.
func (s *Service) ListInstanceProfileTags(ctx context.Context, in *iamapi.ListInstanceProfileTagsRequest) (*iamapi.ListInstanceProfileTagsResponse, error) {
	sc, err := s.scopeOf(ctx)
	if err != nil {
		return nil, err
	}
	name := str(in.InstanceProfileName)
	var p *storage.InstanceProfile
	err = s.store.View(ctx, func(tx storage.Tx) error {
		var err error
		p, err = tx.GetInstanceProfile(ctx, sc.account, name)
		return notFound(err, func() error { return noSuchInstanceProfile(name) })
	})
	if err != nil {
		return nil, err
	}
	out, truncated, marker, err := tagsPage(p.Tags, in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	return &iamapi.ListInstanceProfileTagsResponse{Tags: out, IsTruncated: truncated, Marker: marker}, nil
}
