package iam

import (
	"context"
	"errors"
	"strconv"

	"github.com/iamd/iamd/internal/api/iamapi"
	"github.com/iamd/iamd/internal/ids"
	"github.com/iamd/iamd/internal/storage"
)

func (sc scope) groupOut(g *storage.Group) iamapi.Group {
	return iamapi.Group{
		Path:       ptr(g.Path),
		GroupName:  ptr(g.Name),
		GroupId:    ptr(g.ID),
		Arn:        ptr(sc.groupARN(g.Path, g.Name)),
		CreateDate: timePtr(g.CreatedAt),
	}
}

func groupExists(name string) error {
	return iamapi.NewEntityAlreadyExistsException("Group with name " + name + " already exists.")
}

// CreateGroup creates an IAM group.
func (s *Service) CreateGroup(ctx context.Context, in *iamapi.CreateGroupRequest) (*iamapi.CreateGroupResponse, error) {
	sc, err := s.scopeOf(ctx)
	if err != nil {
		return nil, err
	}
	g := &storage.Group{
		AccountID: sc.account,
		Name:      str(in.GroupName),
		Path:      pathOr(in.Path),
		ID:        ids.NewUniqueID(ids.PrefixGroup),
		CreatedAt: sc.now,
	}
	err = s.store.Update(ctx, func(tx storage.Tx) error {
		c, err := tx.Counts(ctx, sc.account)
		if err != nil {
			return err
		}
		if c.Groups >= maxGroupsPerAccount {
			return iamapi.NewLimitExceededException("Cannot exceed quota for GroupsPerAccount: " + strconv.Itoa(maxGroupsPerAccount))
		}
		err = tx.CreateGroup(ctx, g)
		if errors.Is(err, storage.ErrAlreadyExists) {
			return groupExists(g.Name)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	out := sc.groupOut(g)
	return &iamapi.CreateGroupResponse{Group: &out}, nil
}

// GetGroup returns a group and a page of its users.
func (s *Service) GetGroup(ctx context.Context, in *iamapi.GetGroupRequest) (*iamapi.GetGroupResponse, error) {
	sc, err := s.scopeOf(ctx)
	if err != nil {
		return nil, err
	}
	p, err := pageOf(in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	name := str(in.GroupName)
	var (
		g     *storage.Group
		users []*storage.User
	)
	err = s.store.View(ctx, func(tx storage.Tx) error {
		var err error
		if g, err = tx.GetGroup(ctx, sc.account, name); err != nil {
			return notFound(err, func() error { return noSuchGroup(name) })
		}
		users, err = tx.ListUsersInGroup(ctx, sc.account, name, storage.ListOptions{After: p.after, Limit: p.limit()})
		return err
	})
	if err != nil {
		return nil, err
	}
	users, truncated, marker := paginate(users, p, func(u *storage.User) string { return u.Name })
	group := sc.groupOut(g)
	out := &iamapi.GetGroupResponse{Group: &group, Users: make([]iamapi.User, len(users)), IsTruncated: truncated, Marker: marker}
	for i, u := range users {
		out.Users[i] = sc.userOut(u, false)
	}
	return out, nil
}

// UpdateGroup renames a group and/or changes its path.
func (s *Service) UpdateGroup(ctx context.Context, in *iamapi.UpdateGroupRequest) (*iamapi.UpdateGroupOutput, error) {
	sc, err := s.scopeOf(ctx)
	if err != nil {
		return nil, err
	}
	name := str(in.GroupName)
	err = s.store.Update(ctx, func(tx storage.Tx) error {
		g, err := tx.GetGroup(ctx, sc.account, name)
		if err != nil {
			return notFound(err, func() error { return noSuchGroup(name) })
		}
		if in.NewPath != nil {
			g.Path = *in.NewPath
		}
		if in.NewGroupName != nil {
			g.Name = *in.NewGroupName
		}
		err = tx.UpdateGroup(ctx, name, g)
		if errors.Is(err, storage.ErrAlreadyExists) {
			return groupExists(g.Name)
		}
		return notFound(err, func() error { return noSuchGroup(name) })
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.UpdateGroupOutput{}, nil
}

// DeleteGroup deletes a group that has no members and no policies.
func (s *Service) DeleteGroup(ctx context.Context, in *iamapi.DeleteGroupRequest) (*iamapi.DeleteGroupOutput, error) {
	sc, err := s.scopeOf(ctx)
	if err != nil {
		return nil, err
	}
	name := str(in.GroupName)
	err = s.store.Update(ctx, func(tx storage.Tx) error {
		if _, err := tx.GetGroup(ctx, sc.account, name); err != nil {
			return notFound(err, func() error { return noSuchGroup(name) })
		}
		members, err := tx.ListUsersInGroup(ctx, sc.account, name, storage.ListOptions{Limit: 1})
		if err != nil {
			return err
		}
		if len(members) > 0 {
			return deleteConflict("remove users from group")
		}
		if err := policiesDeleteConflict(ctx, tx, sc.account, storage.OwnerGroup, name); err != nil {
			return err
		}
		return notFound(tx.DeleteGroup(ctx, sc.account, name), func() error { return noSuchGroup(name) })
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.DeleteGroupOutput{}, nil
}

// ListGroups lists the account's groups, optionally under a path prefix.
func (s *Service) ListGroups(ctx context.Context, in *iamapi.ListGroupsRequest) (*iamapi.ListGroupsResponse, error) {
	sc, err := s.scopeOf(ctx)
	if err != nil {
		return nil, err
	}
	p, err := pageOf(in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	var groups []*storage.Group
	err = s.store.View(ctx, func(tx storage.Tx) error {
		var err error
		groups, err = tx.ListGroups(ctx, sc.account, storage.ListOptions{PathPrefix: pathOr(in.PathPrefix), After: p.after, Limit: p.limit()})
		return err
	})
	if err != nil {
		return nil, err
	}
	return groupList(sc, groups, p, func(out []iamapi.Group, t *bool, m *string) *iamapi.ListGroupsResponse {
		return &iamapi.ListGroupsResponse{Groups: out, IsTruncated: t, Marker: m}
	}), nil
}

// groupList pages groups and renders them into a response built by mk.
func groupList[R any](sc scope, groups []*storage.Group, p page, mk func([]iamapi.Group, *bool, *string) R) R {
	groups, truncated, marker := paginate(groups, p, func(g *storage.Group) string { return g.Name })
	out := make([]iamapi.Group, len(groups))
	for i, g := range groups {
		out[i] = sc.groupOut(g)
	}
	return mk(out, truncated, marker)
}

// AddUserToGroup adds a user to a group; adding a member again succeeds, as in AWS.
func (s *Service) AddUserToGroup(ctx context.Context, in *iamapi.AddUserToGroupRequest) (*iamapi.AddUserToGroupOutput, error) {
	sc, err := s.scopeOf(ctx)
	if err != nil {
		return nil, err
	}
	group, user := str(in.GroupName), str(in.UserName)
	err = s.store.Update(ctx, func(tx storage.Tx) error {
		if _, err := tx.GetGroup(ctx, sc.account, group); err != nil {
			return notFound(err, func() error { return noSuchGroup(group) })
		}
		if _, err := tx.GetUser(ctx, sc.account, user); err != nil {
			return notFound(err, func() error { return noSuchUser(user) })
		}
		current, err := tx.ListGroupsForUser(ctx, sc.account, user, storage.ListOptions{})
		if err != nil {
			return err
		}
		for _, g := range current {
			if fold(g.Name) == fold(group) {
				return nil
			}
		}
		if len(current) >= maxGroupsPerUser {
			return iamapi.NewLimitExceededException("Cannot exceed quota for GroupsPerUser: " + strconv.Itoa(maxGroupsPerUser))
		}
		err = tx.AddUserToGroup(ctx, sc.account, group, user)
		if errors.Is(err, storage.ErrAlreadyExists) {
			return nil
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.AddUserToGroupOutput{}, nil
}

// notInGroup answers the removal of a user who exists from a group that exists but does not hold them.
// AWS's wording for this case is not known (docs/compatibility.md); the sentence is moto's, so that suites
// written against moto see the answer they expect.
func notInGroup(user, group string) error {
	return iamapi.NewNoSuchEntityException("User " + user + " not in group " + group)
}

// RemoveUserFromGroup removes a member from a group.
func (s *Service) RemoveUserFromGroup(ctx context.Context, in *iamapi.RemoveUserFromGroupRequest) (*iamapi.RemoveUserFromGroupOutput, error) {
	sc, err := s.scopeOf(ctx)
	if err != nil {
		return nil, err
	}
	group, user := str(in.GroupName), str(in.UserName)
	err = s.store.Update(ctx, func(tx storage.Tx) error {
		// AWS looks the user up first: removing an unknown user from an unknown group names the user.
		if _, err := tx.GetUser(ctx, sc.account, user); err != nil {
			return notFound(err, func() error { return noSuchUser(user) })
		}
		if _, err := tx.GetGroup(ctx, sc.account, group); err != nil {
			return notFound(err, func() error { return noSuchGroup(group) })
		}
		return notFound(tx.RemoveUserFromGroup(ctx, sc.account, group, user), func() error { return notInGroup(user, group) })
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.RemoveUserFromGroupOutput{}, nil
}

// ListGroupsForUser lists the groups a user belongs to.
func (s *Service) ListGroupsForUser(ctx context.Context, in *iamapi.ListGroupsForUserRequest) (*iamapi.ListGroupsForUserResponse, error) {
	sc, err := s.scopeOf(ctx)
	if err != nil {
		return nil, err
	}
	p, err := pageOf(in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	user := str(in.UserName)
	var groups []*storage.Group
	err = s.store.View(ctx, func(tx storage.Tx) error {
		if _, err := tx.GetUser(ctx, sc.account, user); err != nil {
			return notFound(err, func() error { return noSuchUser(user) })
		}
		var err error
		groups, err = tx.ListGroupsForUser(ctx, sc.account, user, storage.ListOptions{After: p.after, Limit: p.limit()})
		return err
	})
	if err != nil {
		return nil, err
	}
	return groupList(sc, groups, p, func(out []iamapi.Group, t *bool, m *string) *iamapi.ListGroupsForUserResponse {
		return &iamapi.ListGroupsForUserResponse{Groups: out, IsTruncated: t, Marker: m}
	}), nil
}
