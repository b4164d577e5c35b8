package iam

import (
	"context"
	"fmt"

	"github.com/iamd/iamd/internal/api/iamapi"
	"github.com/iamd/iamd/internal/policy"
	"github.com/iamd/iamd/internal/storage"
)

// inlineQuota returns the aggregate inline policy size quota of an owner kind.
func inlineQuota(kind storage.OwnerKind) int {
	switch kind {
	case storage.OwnerGroup:
		return maxGroupInlineSize
	case storage.OwnerRole:
		return maxRoleInlineSize
	}
	return maxUserInlineSize
}

// noSuchInline is the NoSuchEntity wording for a missing inline policy ("The user policy with name …").
func noSuchInline(kind storage.OwnerKind, name string) error {
	return iamapi.NewNoSuchEntityException(fmt.Sprintf("The %s policy with name %s cannot be found.", kind, name))
}

// putInline creates or replaces an inline policy, keeping the owner's policies within its size quota.
func (s *Service) putInline(ctx context.Context, kind storage.OwnerKind, owner, name, doc string) error {
	sc, err := s.scopeOf(ctx)
	if err != nil {
		return err
	}
	if err := requireName("policyName", name); err != nil {
		return err
	}
	if err := checkPolicyDocument(doc, policy.KindIdentity); err != nil {
		return err
	}
	err = s.store.Update(ctx, func(tx storage.Tx) error {
		if _, err := checkOwner(ctx, tx, sc.account, kind, owner, false); err != nil {
			return err
		}
		others, err := tx.ListInlinePolicies(ctx, sc.account, kind, owner, storage.ListOptions{})
		if err != nil {
			return err
		}
		total := policySize(doc)
		for _, p := range others {
			if storage.Fold(p.Name) != storage.Fold(name) {
				total += policySize(p.Document)
			}
		}
		if quota := inlineQuota(kind); total > quota {
			return iamapi.NewLimitExceededException(fmt.Sprintf("Maximum policy size of %d bytes exceeded for %s %s", quota, kind, owner))
		}
		p := &storage.InlinePolicy{AccountID: sc.account, OwnerKind: kind, OwnerName: owner, Name: name, Document: doc}
		return notFound(tx.PutInlinePolicy(ctx, p), func() error { return noSuchOwner(kind, owner) })
	})
	return err
}

// getInline reads an inline policy; the owner is checked first so a missing owner is reported as such.
func (s *Service) getInline(ctx context.Context, kind storage.OwnerKind, owner, name string) (*storage.InlinePolicy, error) {
	sc, err := s.scopeOf(ctx)
	if err != nil {
		return nil, err
	}
	var p *storage.InlinePolicy
	err = s.store.View(ctx, func(tx storage.Tx) error {
		if _, err := checkOwner(ctx, tx, sc.account, kind, owner, true); err != nil {
			return err
		}
		var err error
		p, err = tx.GetInlinePolicy(ctx, sc.account, kind, owner, name)
		return notFound(err, func() error { return noSuchInline(kind, name) })
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

// deleteInline deletes an inline policy.
func (s *Service) deleteInline(ctx context.Context, kind storage.OwnerKind, owner, name string) error {
	sc, err := s.scopeOf(ctx)
	if err != nil {
		return err
	}
	err = s.store.Update(ctx, func(tx storage.Tx) error {
		if _, err := checkOwner(ctx, tx, sc.account, kind, owner, false); err != nil {
			return err
		}
		return notFound(tx.DeleteInlinePolicy(ctx, sc.account, kind, owner, name), func() error { return noSuchInline(kind, name) })
	})
	return err
}

// listInline lists the names of an owner's inline policies in name order.
func (s *Service) listInline(ctx context.Context, kind storage.OwnerKind, owner string, marker *string, maxItems *int32) ([]string, *bool, *string, error) {
	sc, err := s.scopeOf(ctx)
	if err != nil {
		return nil, nil, nil, err
	}
	pg, err := pageOf(marker, maxItems)
	if err != nil {
		return nil, nil, nil, err
	}
	var list []*storage.InlinePolicy
	err = s.store.View(ctx, func(tx storage.Tx) error {
		if _, err := checkOwner(ctx, tx, sc.account, kind, owner, true); err != nil {
			return err
		}
		var err error
		list, err = tx.ListInlinePolicies(ctx, sc.account, kind, owner, storage.ListOptions{After: pg.after, Limit: pg.limit()})
		return err
	})
	if err != nil {
		return nil, nil, nil, err
	}
	list, truncated, next := paginate(list, pg, func(p *storage.InlinePolicy) string { return p.Name })
	names := make([]string, len(list))
	for i, p := range list {
		names[i] = p.Name
	}
	return names, truncated, next, nil
}

// PutUserPolicy creates or replaces an inline policy of a user.
func (s *Service) PutUserPolicy(ctx context.Context, in *iamapi.PutUserPolicyRequest) (*iamapi.PutUserPolicyOutput, error) {
	if err := s.putInline(ctx, storage.OwnerUser, str(in.UserName), str(in.PolicyName), str(in.PolicyDocument)); err != nil {
		return nil, err
	}
	return &iamapi.PutUserPolicyOutput{}, nil
}

// PutGroupPolicy creates or replaces an inline policy of a group.
func (s *Service) PutGroupPolicy(ctx context.Context, in *iamapi.PutGroupPolicyRequest) (*iamapi.PutGroupPolicyOutput, error) {
	if err := s.putInline(ctx, storage.OwnerGroup, str(in.GroupName), str(in.PolicyName), str(in.PolicyDocument)); err != nil {
		return nil, err
	}
	return &iamapi.PutGroupPolicyOutput{}, nil
}

// PutRolePolicy creates or replaces an inline policy of a role.
func (s *Service) PutRolePolicy(ctx context.Context, in *iamapi.PutRolePolicyRequest) (*iamapi.PutRolePolicyOutput, error) {
	if err := s.putInline(ctx, storage.OwnerRole, str(in.RoleName), str(in.PolicyName), str(in.PolicyDocument)); err != nil {
		return nil, err
	}
	return &iamapi.PutRolePolicyOutput{}, nil
}

// GetUserPolicy returns an inline policy of a user with its URL-encoded document.
func (s *Service) GetUserPolicy(ctx context.Context, in *iamapi.GetUserPolicyRequest) (*iamapi.GetUserPolicyResponse, error) {
	p, err := s.getInline(ctx, storage.OwnerUser, str(in.UserName), str(in.PolicyName))
	if err != nil {
		return nil, err
	}
	return &iamapi.GetUserPolicyResponse{UserName: ptr(p.OwnerName), PolicyName: ptr(p.Name), PolicyDocument: ptr(encodeDocument(p.Document))}, nil
}

// GetGroupPolicy returns an inline policy of a group with its URL-encoded document.
func (s *Service) GetGroupPolicy(ctx context.Context, in *iamapi.GetGroupPolicyRequest) (*iamapi.GetGroupPolicyResponse, error) {
	p, err := s.getInline(ctx, storage.OwnerGroup, str(in.GroupName), str(in.PolicyName))
	if err != nil {
		return nil, err
	}
	return &iamapi.GetGroupPolicyResponse{GroupName: ptr(p.OwnerName), PolicyName: ptr(p.Name), PolicyDocument: ptr(encodeDocument(p.Document))}, nil
}

// GetRolePolicy returns an inline policy of a role with its URL-encoded document.
func (s *Service) GetRolePolicy(ctx context.Context, in *iamapi.GetRolePolicyRequest) (*iamapi.GetRolePolicyResponse, error) {
	p, err := s.getInline(ctx, storage.OwnerRole, str(in.RoleName), str(in.PolicyName))
	if err != nil {
		return nil, err
	}
	return &iamapi.GetRolePolicyResponse{RoleName: ptr(p.OwnerName), PolicyName: ptr(p.Name), PolicyDocument: ptr(encodeDocument(p.Document))}, nil
}

// DeleteUserPolicy deletes an inline policy of a user.
func (s *Service) DeleteUserPolicy(ctx context.Context, in *iamapi.DeleteUserPolicyRequest) (*iamapi.DeleteUserPolicyOutput, error) {
	if err := s.deleteInline(ctx, storage.OwnerUser, str(in.UserName), str(in.PolicyName)); err != nil {
		return nil, err
	}
	return &iamapi.DeleteUserPolicyOutput{}, nil
}

// DeleteGroupPolicy deletes an inline policy of a group.
func (s *Service) DeleteGroupPolicy(ctx context.Context, in *iamapi.DeleteGroupPolicyRequest) (*iamapi.DeleteGroupPolicyOutput, error) {
	if err := s.deleteInline(ctx, storage.OwnerGroup, str(in.GroupName), str(in.PolicyName)); err != nil {
		return nil, err
	}
	return &iamapi.DeleteGroupPolicyOutput{}, nil
}

// DeleteRolePolicy deletes an inline policy of a role.
func (s *Service) DeleteRolePolicy(ctx context.Context, in *iamapi.DeleteRolePolicyRequest) (*iamapi.DeleteRolePolicyOutput, error) {
	if err := s.deleteInline(ctx, storage.OwnerRole, str(in.RoleName), str(in.PolicyName)); err != nil {
		return nil, err
	}
	return &iamapi.DeleteRolePolicyOutput{}, nil
}

// ListUserPolicies lists the names of a user's inline policies.
func (s *Service) ListUserPolicies(ctx context.Context, in *iamapi.ListUserPoliciesRequest) (*iamapi.ListUserPoliciesResponse, error) {
	names, truncated, marker, err := s.listInline(ctx, storage.OwnerUser, str(in.UserName), in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	return &iamapi.ListUserPoliciesResponse{PolicyNames: names, IsTruncated: truncated, Marker: marker}, nil
}

// ListGroupPolicies lists the names of a group's inline policies.
func (s *Service) ListGroupPolicies(ctx context.Context, in *iamapi.ListGroupPoliciesRequest) (*iamapi.ListGroupPoliciesResponse, error) {
	names, truncated, marker, err := s.listInline(ctx, storage.OwnerGroup, str(in.GroupName), in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	return &iamapi.ListGroupPoliciesResponse{PolicyNames: names, IsTruncated: truncated, Marker: marker}, nil
}

// ListRolePolicies lists the names of a role's inline policies.
func (s *Service) ListRolePolicies(ctx context.Context, in *iamapi.ListRolePoliciesRequest) (*iamapi.ListRolePoliciesResponse, error) {
	names, truncated, marker, err := s.listInline(ctx, storage.OwnerRole, str(in.RoleName), in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	return &iamapi.ListRolePoliciesResponse{PolicyNames: names, IsTruncated: truncated, Marker: marker}, nil
}
