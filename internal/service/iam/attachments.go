package iam

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/iamd/iamd/internal/api/iamapi"
	"github.com/iamd/iamd/internal/storage"
)

// ownerQuotaName is the quota a LimitExceeded on attachments names, per owner kind.
var ownerQuotaName = map[storage.OwnerKind]string{
	storage.OwnerUser:  "PoliciesPerUser",
	storage.OwnerGroup: "PoliciesPerGroup",
	storage.OwnerRole:  "PoliciesPerRole",
}

// noSuchOwner is the NoSuchEntity error of a missing user, group or role.
func noSuchOwner(kind storage.OwnerKind, name string) error {
	switch kind {
	case storage.OwnerGroup:
		return noSuchGroup(name)
	case storage.OwnerRole:
		return noSuchRole(name)
	}
	return noSuchUser(name)
}

// checkOwner verifies that a user, group or role exists and returns the ID of a user or role ("" for a
// group); a service-linked role is refused unless allowSLR, since only AWS may change its policies.
func checkOwner(ctx context.Context, tx storage.Tx, acct string, kind storage.OwnerKind, name string, allowSLR bool) (id string, err error) {
	switch kind {
	case storage.OwnerUser:
		var u *storage.User
		if u, err = tx.GetUser(ctx, acct, name); err == nil {
			id = u.ID
		}
	case storage.OwnerGroup:
		_, err = tx.GetGroup(ctx, acct, name)
	case storage.OwnerRole:
		var r *storage.Role
		r, err = tx.GetRole(ctx, acct, name)
		if err == nil && !allowSLR && isServiceLinked(r) {
			return "", protectedRole(r.Name)
		}
		if err == nil {
			id = r.ID
		}
	default:
		return "", fmt.Errorf("unknown owner kind %q", kind)
	}
	return id, notFound(err, func() error { return noSuchOwner(kind, name) })
}

// attachPolicy attaches a managed policy to a user, group or role. Attaching a policy already attached
// succeeds and changes nothing, as in AWS.
func (s *Service) attachPolicy(ctx context.Context, kind storage.OwnerKind, owner, arn string) error {
	sc, err := s.scopeOf(ctx)
	if err != nil {
		return err
	}
	err = s.store.Update(ctx, func(tx storage.Tx) error {
		if _, err := checkOwner(ctx, tx, sc.account, kind, owner, false); err != nil {
			return err
		}
		ref, err := s.resolvePolicy(ctx, tx, sc, arn, policyNotAttachable)
		if err != nil {
			return err
		}
		if ref.aws != nil {
			if !ref.aws.IsAttachable {
				return policyNotAttachable(arn)
			}
			// Service role policies belong to service-linked roles (which only AWS changes).
			if strings.HasPrefix(ref.aws.Path, serviceRolePathPrefix) {
				return iamapi.NewPolicyNotAttachableException("Cannot attach a Service Role Policy to a Customer Role.")
			}
		}
		attached, err := tx.ListAttachedPolicies(ctx, sc.account, kind, owner, storage.ListOptions{})
		if err != nil {
			return err
		}
		for _, a := range attached {
			if a == arn {
				return nil
			}
		}
		if len(attached) >= maxAttachedPoliciesPerEntity {
			return iamapi.NewLimitExceededException(fmt.Sprintf("Cannot exceed quota for %s: %d", ownerQuotaName[kind], maxAttachedPoliciesPerEntity))
		}
		err = tx.AttachPolicy(ctx, sc.account, kind, owner, arn)
		if errors.Is(err, storage.ErrAlreadyExists) {
			return nil
		}
		return notFound(err, func() error { return noSuchOwner(kind, owner) })
	})
	return err
}

// detachPolicy detaches a managed policy from a user, group or role.
func (s *Service) detachPolicy(ctx context.Context, kind storage.OwnerKind, owner, arn string) error {
	sc, err := s.scopeOf(ctx)
	if err != nil {
		return err
	}
	if _, _, _, _, err := splitPolicyARN(arn); err != nil {
		return err
	}
	err = s.store.Update(ctx, func(tx storage.Tx) error {
		if _, err := checkOwner(ctx, tx, sc.account, kind, owner, false); err != nil {
			return err
		}
		return notFound(tx.DetachPolicy(ctx, sc.account, kind, owner, arn), func() error { return noSuchPolicy(arn) })
	})
	return err
}

// listAttached lists the managed policies attached to a user, group or role, in ARN order.
func (s *Service) listAttached(ctx context.Context, kind storage.OwnerKind, owner string, pathPrefix, marker *string, maxItems *int32) ([]iamapi.AttachedPolicy, *bool, *string, error) {
	sc, err := s.scopeOf(ctx)
	if err != nil {
		return nil, nil, nil, err
	}
	pg, err := pageOf(marker, maxItems)
	if err != nil {
		return nil, nil, nil, err
	}
	prefix := pathOr(pathPrefix)
	all, err := s.attachedPolicies(ctx, sc.account, kind, owner)
	if err != nil {
		return nil, nil, nil, err
	}
	var arns []string
	for _, a := range all {
		if pg.after != "" && a <= pg.after {
			continue
		}
		if _, _, path, _, err := splitPolicyARN(a); err == nil && strings.HasPrefix(path, prefix) {
			arns = append(arns, a)
		}
	}
	arns, truncated, next := paginate(arns, pg, func(a string) string { return a })
	out := make([]iamapi.AttachedPolicy, len(arns))
	for i, a := range arns {
		out[i] = attachedPolicyOut(a)
	}
	return out, truncated, next, nil
}

// attachedPolicyOut renders an attachment: the policy's name is the last element of its ARN.
func attachedPolicyOut(arn string) iamapi.AttachedPolicy {
	return iamapi.AttachedPolicy{PolicyName: ptr(arn[strings.LastIndexByte(arn, '/')+1:]), PolicyArn: ptr(arn)}
}

// AttachUserPolicy attaches a managed policy to a user.
func (s *Service) AttachUserPolicy(ctx context.Context, in *iamapi.AttachUserPolicyRequest) (*iamapi.AttachUserPolicyOutput, error) {
	if err := s.attachPolicy(ctx, storage.OwnerUser, str(in.UserName), str(in.PolicyArn)); err != nil {
		return nil, err
	}
	return &iamapi.AttachUserPolicyOutput{}, nil
}

// AttachGroupPolicy attaches a managed policy to a group.
func (s *Service) AttachGroupPolicy(ctx context.Context, in *iamapi.AttachGroupPolicyRequest) (*iamapi.AttachGroupPolicyOutput, error) {
	if err := s.attachPolicy(ctx, storage.OwnerGroup, str(in.GroupName), str(in.PolicyArn)); err != nil {
		return nil, err
	}
	return &iamapi.AttachGroupPolicyOutput{}, nil
}

// AttachRolePolicy attaches a managed policy to a role.
func (s *Service) AttachRolePolicy(ctx context.Context, in *iamapi.AttachRolePolicyRequest) (*iamapi.AttachRolePolicyOutput, error) {
	if err := s.attachPolicy(ctx, storage.OwnerRole, str(in.RoleName), str(in.PolicyArn)); err != nil {
		return nil, err
	}
	return &iamapi.AttachRolePolicyOutput{}, nil
}

// DetachUserPolicy detaches a managed policy from a user.
func (s *Service) DetachUserPolicy(ctx context.Context, in *iamapi.DetachUserPolicyRequest) (*iamapi.DetachUserPolicyOutput, error) {
	if err := s.detachPolicy(ctx, storage.OwnerUser, str(in.UserName), str(in.PolicyArn)); err != nil {
		return nil, err
	}
	return &iamapi.DetachUserPolicyOutput{}, nil
}

// DetachGroupPolicy detaches a managed policy from a group.
func (s *Service) DetachGroupPolicy(ctx context.Context, in *iamapi.DetachGroupPolicyRequest) (*iamapi.DetachGroupPolicyOutput, error) {
	if err := s.detachPolicy(ctx, storage.OwnerGroup, str(in.GroupName), str(in.PolicyArn)); err != nil {
		return nil, err
	}
	return &iamapi.DetachGroupPolicyOutput{}, nil
}

// DetachRolePolicy detaches a managed policy from a role.
func (s *Service) DetachRolePolicy(ctx context.Context, in *iamapi.DetachRolePolicyRequest) (*iamapi.DetachRolePolicyOutput, error) {
	if err := s.detachPolicy(ctx, storage.OwnerRole, str(in.RoleName), str(in.PolicyArn)); err != nil {
		return nil, err
	}
	return &iamapi.DetachRolePolicyOutput{}, nil
}

// ListAttachedUserPolicies lists the managed policies attached to a user.
func (s *Service) ListAttachedUserPolicies(ctx context.Context, in *iamapi.ListAttachedUserPoliciesRequest) (*iamapi.ListAttachedUserPoliciesResponse, error) {
	list, truncated, marker, err := s.listAttached(ctx, storage.OwnerUser, str(in.UserName), in.PathPrefix, in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	return &iamapi.ListAttachedUserPoliciesResponse{AttachedPolicies: list, IsTruncated: truncated, Marker: marker}, nil
}

// ListAttachedGroupPolicies lists the managed policies attached to a group.
func (s *Service) ListAttachedGroupPolicies(ctx context.Context, in *iamapi.ListAttachedGroupPoliciesRequest) (*iamapi.ListAttachedGroupPoliciesResponse, error) {
	list, truncated, marker, err := s.listAttached(ctx, storage.OwnerGroup, str(in.GroupName), in.PathPrefix, in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	return &iamapi.ListAttachedGroupPoliciesResponse{AttachedPolicies: list, IsTruncated: truncated, Marker: marker}, nil
}

// ListAttachedRolePolicies lists the managed policies attached to a role.
func (s *Service) ListAttachedRolePolicies(ctx context.Context, in *iamapi.ListAttachedRolePoliciesRequest) (*iamapi.ListAttachedRolePoliciesResponse, error) {
	list, truncated, marker, err := s.listAttached(ctx, storage.OwnerRole, str(in.RoleName), in.PathPrefix, in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	return &iamapi.ListAttachedRolePoliciesResponse{AttachedPolicies: list, IsTruncated: truncated, Marker: marker}, nil
}
