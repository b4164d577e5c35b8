package iam

import (
	"context"
	"errors"
	"strings"

	"github.com/iamd/iamd/internal/api/iamapi"
	"github.com/iamd/iamd/internal/ids"
	"github.com/iamd/iamd/internal/protocol"
	"github.com/iamd/iamd/internal/reqctx"
	"github.com/iamd/iamd/internal/storage"
)

// userOut renders a stored user. full adds the attributes AWS returns only for a single user (GetUser,
// CreateUser): listings (ListUsers, GetGroup) leave out PermissionsBoundary and Tags, as documented.
func (sc scope) userOut(u *storage.User, full bool) iamapi.User {
	out := iamapi.User{
		Path:             ptr(u.Path),
		UserName:         ptr(u.Name),
		UserId:           ptr(u.ID),
		Arn:              ptr(sc.userARN(u.Path, u.Name)),
		CreateDate:       timePtr(u.CreatedAt),
		PasswordLastUsed: timePtr(u.PasswordLastUsed),
	}
	if full {
		if u.PermissionsBoundaryARN != "" {
			out.PermissionsBoundary = boundaryOut(u.PermissionsBoundaryARN)
		}
		out.Tags = tagsOut(u.Tags)
	}
	return out
}

func boundaryOut(arn string) *iamapi.AttachedPermissionsBoundary {
	return &iamapi.AttachedPermissionsBoundary{
		PermissionsBoundaryType: ptr(iamapi.PermissionsBoundaryAttachmentTypePermissionsBoundaryPolicy),
		PermissionsBoundaryArn:  ptr(arn),
	}
}

// checkBoundary verifies that arn names a managed policy usable as a permissions boundary: an AWS managed
// policy, or a customer managed policy of the caller's account.
func (s *Service) checkBoundary(ctx context.Context, tx storage.Tx, sc scope, arn string) error {
	notAttachable := iamapi.NewNoSuchEntityException("Policy " + arn + " does not exist or is not attachable.")
	a, err := ids.ParseARN(arn)
	if err != nil || a.Service != "iam" || !strings.HasPrefix(a.Resource, "policy/") {
		return iamapi.NewInvalidInputException("ARN " + arn + " is not valid.")
	}
	if a.Partition != sc.partition {
		return notAttachable
	}
	if a.Account == "aws" {
		if s.managed == nil || s.managed.lookupARN(sc.partition, arn) == nil {
			return notAttachable
		}
		return nil
	}
	if a.Account != sc.account {
		return notAttachable
	}
	rest := strings.TrimPrefix(a.Resource, "policy")
	i := strings.LastIndexByte(rest, '/')
	path, name := rest[:i+1], rest[i+1:]
	p, err := tx.GetManagedPolicy(ctx, sc.account, name)
	if errors.Is(err, storage.ErrNotFound) || (err == nil && p.Path != path) {
		return notAttachable
	}
	return err
}

// CreateUser creates an IAM user.
func (s *Service) CreateUser(ctx context.Context, in *iamapi.CreateUserRequest) (*iamapi.CreateUserResponse, error) {
	sc, err := s.scopeOf(ctx)
	if err != nil {
		return nil, err
	}
	if err := checkRequestTags(in.Tags); err != nil {
		return nil, err
	}
	u := &storage.User{
		AccountID:              sc.account,
		Name:                   str(in.UserName),
		Path:                   pathOr(in.Path),
		ID:                     ids.NewUniqueID(ids.PrefixUser),
		CreatedAt:              sc.now,
		PermissionsBoundaryARN: str(in.PermissionsBoundary),
		Tags:                   tagsIn(in.Tags),
	}
	err = s.store.Update(ctx, func(tx storage.Tx) error {
		if u.PermissionsBoundaryARN != "" {
			if err := s.checkBoundary(ctx, tx, sc, u.PermissionsBoundaryARN); err != nil {
				return err
			}
		}
		c, err := tx.Counts(ctx, sc.account)
		if err != nil {
			return err
		}
		if c.Users >= maxUsersPerAccount {
			return iamapi.NewLimitExceededException("Cannot exceed quota for UsersPerAccount: 5000")
		}
		err = tx.CreateUser(ctx, u)
		if errors.Is(err, storage.ErrAlreadyExists) {
			return iamapi.NewEntityAlreadyExistsException("User with name " + u.Name + " already exists.")
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	out := sc.userOut(u, true)
	return &iamapi.CreateUserResponse{User: &out}, nil
}

// GetUser returns a user, or the caller when no name is given (root: the account's root user).
func (s *Service) GetUser(ctx context.Context, in *iamapi.GetUserRequest) (*iamapi.GetUserResponse, error) {
	sc, err := s.scopeOf(ctx)
	if err != nil {
		return nil, err
	}
	name := str(in.UserName)
	if name == "" {
		c := sc.caller
		switch {
		case c == nil:
			return nil, protocol.NewError("ValidationError", 400, "Must specify userName when calling with non-User credentials")
		case c.Kind == reqctx.CallerRoot:
			return s.getRootUser(ctx, sc)
		case c.Kind == reqctx.CallerUser:
			name = c.PrincipalName
			if name == "" {
				name = c.Name
			}
		default:
			return nil, protocol.NewError("ValidationError", 400, "Must specify userName when calling with non-User credentials")
		}
	}
	u, err := s.getUser(ctx, sc.account, name)
	if err = notFound(err, func() error { return noSuchUser(name) }); err != nil {
		return nil, err
	}
	out := sc.userOut(u, true)
	return &iamapi.GetUserResponse{User: &out}, nil
}

// getRootUser answers GetUser for the root user as AWS does: the account ID as UserId, the root ARN, the
// account's creation date, and neither UserName nor Path.
func (s *Service) getRootUser(ctx context.Context, sc scope) (*iamapi.GetUserResponse, error) {
	var a *storage.Account
	err := s.store.View(ctx, func(tx storage.Tx) error {
		var err error
		a, err = tx.GetAccount(ctx, sc.account)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.GetUserResponse{User: &iamapi.User{
		UserId:     ptr(sc.account),
		Arn:        ptr(sc.rootARN()),
		CreateDate: timePtr(a.CreatedAt),
	}}, nil
}

// UpdateUser renames a user and/or changes its path.
func (s *Service) UpdateUser(ctx context.Context, in *iamapi.UpdateUserRequest) (*iamapi.UpdateUserOutput, error) {
	sc, err := s.scopeOf(ctx)
	if err != nil {
		return nil, err
	}
	name := str(in.UserName)
	err = s.store.Update(ctx, func(tx storage.Tx) error {
		u, err := tx.GetUser(ctx, sc.account, name)
		if err != nil {
			return notFound(err, func() error { return noSuchUser(name) })
		}
		if in.NewPath != nil {
			u.Path = *in.NewPath
		}
		if in.NewUserName != nil {
			u.Name = *in.NewUserName
		}
		err = tx.UpdateUser(ctx, name, u)
		if errors.Is(err, storage.ErrAlreadyExists) {
			return iamapi.NewEntityAlreadyExistsException("User with name " + u.Name + " already exists.")
		}
		return notFound(err, func() error { return noSuchUser(name) })
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.UpdateUserOutput{}, nil
}

// DeleteUser deletes a user that has no attached subordinate entities, as AWS requires.
func (s *Service) DeleteUser(ctx context.Context, in *iamapi.DeleteUserRequest) (*iamapi.DeleteUserOutput, error) {
	sc, err := s.scopeOf(ctx)
	if err != nil {
		return nil, err
	}
	name := str(in.UserName)
	err = s.store.Update(ctx, func(tx storage.Tx) error {
		if err := userDeleteConflict(ctx, tx, sc.account, name); err != nil {
			return notFound(err, func() error { return noSuchUser(name) })
		}
		return notFound(tx.DeleteUser(ctx, sc.account, name), func() error { return noSuchUser(name) })
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.DeleteUserOutput{}, nil
}

// userDeleteConflict returns AWS's DeleteConflict for the first kind of subordinate entity the user still
// has, checked in the order AWS reports them, or the store's ErrNotFound when there is no such user. The
// store answers all the checks in one query (on PostgreSQL one round trip instead of a dozen).
func userDeleteConflict(ctx context.Context, tx storage.Tx, acct, name string) error {
	d, err := tx.UserDependents(ctx, acct, name)
	if err != nil {
		return err
	}
	switch {
	case d.LoginProfile:
		return deleteConflict("delete login profile")
	case d.AccessKeys:
		return deleteConflict("delete access keys")
	case d.SigningCertificates:
		return deleteConflict("delete signing certificates")
	case d.SSHPublicKeys:
		return deleteConflict("delete SSH public keys")
	case d.ServiceSpecificCredentials:
		return deleteConflict("delete service specific credentials")
	case d.MFADevices:
		return deleteConflict("delete MFA device")
	case d.Groups:
		return deleteConflict("remove user from group")
	case d.InlinePolicies:
		return deleteConflict("delete policies")
	case d.AttachedPolicies:
		return deleteConflict("detach all policies")
	}
	return nil
}

// ListUsers lists the account's users in name order, optionally under a path prefix.
func (s *Service) ListUsers(ctx context.Context, in *iamapi.ListUsersRequest) (*iamapi.ListUsersResponse, error) {
	sc, err := s.scopeOf(ctx)
	if err != nil {
		return nil, err
	}
	p, err := pageOf(in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	var users []*storage.User
	err = s.store.View(ctx, func(tx storage.Tx) error {
		var err error
		users, err = tx.ListUsers(ctx, sc.account, storage.ListOptions{PathPrefix: pathOr(in.PathPrefix), After: p.after, Limit: p.limit()})
		return err
	})
	if err != nil {
		return nil, err
	}
	users, truncated, marker := paginate(users, p, func(u *storage.User) string { return u.Name })
	out := &iamapi.ListUsersResponse{Users: make([]iamapi.User, len(users)), IsTruncated: truncated, Marker: marker}
	for i, u := range users {
		out.Users[i] = sc.userOut(u, false)
	}
	return out, nil
}

// modifyUser runs fn on a user inside one transaction and stores the result.
func (s *Service) modifyUser(ctx context.Context, name string, fn func(tx storage.Tx, sc scope, u *storage.User) error) error {
	sc, err := s.scopeOf(ctx)
	if err != nil {
		return err
	}
	err = s.store.Update(ctx, func(tx storage.Tx) error {
		u, err := tx.GetUser(ctx, sc.account, name)
		if err != nil {
			return notFound(err, func() error { return noSuchUser(name) })
		}
		if err := fn(tx, sc, u); err != nil {
			return err
		}
		return notFound(tx.UpdateUser(ctx, name, u), func() error { return noSuchUser(name) })
	})
	return err
}

// TagUser adds or replaces tags on a user.
func (s *Service) TagUser(ctx context.Context, in *iamapi.TagUserRequest) (*iamapi.TagUserOutput, error) {
	err := s.modifyUser(ctx, str(in.UserName), func(_ storage.Tx, _ scope, u *storage.User) error {
		tags, err := mergeTags(u.Tags, in.Tags, "TagsPerUser")
		u.Tags = tags
		return err
	})

	if err != nil {
		return nil, err
	}
	return &iamapi.TagUserOutput{}, nil
}

// UntagUser removes tags from a user.
func (s *Service) UntagUser(ctx context.Context, in *iamapi.UntagUserRequest) (*iamapi.UntagUserOutput, error) {
	err := s.modifyUser(ctx, str(in.UserName), func(_ storage.Tx, _ scope, u *storage.User) error {
		u.Tags = removeTags(u.Tags, in.TagKeys)
		return nil
	})

	if err != nil {
		return nil, err
	}
	return &iamapi.UntagUserOutput{}, nil
}

// ListUserTags lists a user's tags in the order they were added.
func (s *Service) ListUserTags(ctx context.Context, in *iamapi.ListUserTagsRequest) (*iamapi.ListUserTagsResponse, error) {
	sc, err := s.scopeOf(ctx)
	if err != nil {
		return nil, err
	}
	name := str(in.UserName)
	var u *storage.User
	err = s.store.View(ctx, func(tx storage.Tx) error {
		var err error
		u, err = tx.GetUser(ctx, sc.account, name)
		return notFound(err, func() error { return noSuchUser(name) })
	})
	if err != nil {
		return nil, err
	}
	out, truncated, marker, err := tagsPage(u.Tags, in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	return &iamapi.ListUserTagsResponse{Tags: out, IsTruncated: truncated, Marker: marker}, nil
}

// PutUserPermissionsBoundary sets a user's permissions boundary.
func (s *Service) PutUserPermissionsBoundary(ctx context.Context, in *iamapi.PutUserPermissionsBoundaryRequest) (*iamapi.PutUserPermissionsBoundaryOutput, error) {
	arn := str(in.PermissionsBoundary)
	err := s.modifyUser(ctx, str(in.UserName), func(tx storage.Tx, sc scope, u *storage.User) error {
		if err := s.checkBoundary(ctx, tx, sc, arn); err != nil {
			return err
		}
		u.PermissionsBoundaryARN = arn
		return nil
	})

	if err != nil {
		return nil, err
	}
	return &iamapi.PutUserPermissionsBoundaryOutput{}, nil
}

// DeleteUserPermissionsBoundary removes a user's permissions boundary.
func (s *Service) DeleteUserPermissionsBoundary(ctx context.Context, in *iamapi.DeleteUserPermissionsBoundaryRequest) (*iamapi.DeleteUserPermissionsBoundaryOutput, error) {
	err := s.modifyUser(ctx, str(in.UserName), func(_ storage.Tx, _ scope, u *storage.User) error {
		u.PermissionsBoundaryARN = ""
		return nil
	})

	if err != nil {
		return nil, err
	}
	return &iamapi.DeleteUserPermissionsBoundaryOutput{}, nil
}
