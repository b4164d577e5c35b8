package iam

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/iamd/iamd/internal/api/iamapi"
	"github.com/iamd/iamd/internal/ids"
	"github.com/iamd/iamd/internal/policy"
	"github.com/iamd/iamd/internal/protocol"
	"github.com/iamd/iamd/internal/storage"
)

// serviceRolePathPrefix is the path of every service-linked role: /aws-service-role/SERVICE/.
const serviceRolePathPrefix = "/aws-service-role/"

// serviceRoleNamePrefix starts the name of every service-linked role.
const serviceRoleNamePrefix = "AWSServiceRoleFor"

func noSuchRole(name string) error {
	return iamapi.NewNoSuchEntityException("The role with name " + name + " cannot be found.")
}

func (sc scope) roleARN(path, name string) string {
	return ids.RoleARN(sc.partition, sc.account, path, name)
}

// roleView says which optional members a role rendering carries; AWS returns tags, the boundary and
// RoleLastUsed from GetRole but not from ListRoles.
type roleView struct {
	tags, boundary, lastUsed bool
}

var (
	roleViewFull = roleView{tags: true, boundary: true, lastUsed: true}
	roleViewList = roleView{}
)

// roleOut renders a stored role; the trust policy is URL-encoded, as AWS returns it.
func (sc scope) roleOut(r *storage.Role, v roleView) iamapi.Role {
	out := iamapi.Role{
		Path:                     ptr(r.Path),
		RoleName:                 ptr(r.Name),
		RoleId:                   ptr(r.ID),
		Arn:                      ptr(sc.roleARN(r.Path, r.Name)),
		CreateDate:               timePtr(r.CreatedAt),
		AssumeRolePolicyDocument: ptr(encodeDocument(r.AssumeRolePolicyDocument)),
		MaxSessionDuration:       ptr(r.MaxSessionDuration),
	}
	if r.Description != "" {
		out.Description = ptr(r.Description)
	}
	if v.boundary && r.PermissionsBoundaryARN != "" {
		out.PermissionsBoundary = boundaryOut(r.PermissionsBoundaryARN)
	}
	if v.tags {
		out.Tags = tagsOut(r.Tags)
	}
	if v.lastUsed {
		out.RoleLastUsed = roleLastUsedOut(r)
	}
	return out
}

// roleLastUsedOut is always present (empty when the role was never used), as AWS returns it.
func roleLastUsedOut(r *storage.Role) *iamapi.RoleLastUsed {
	lu := &iamapi.RoleLastUsed{LastUsedDate: timePtr(r.LastUsedAt)}
	if r.LastUsedRegion != "" && !r.LastUsedAt.IsZero() {
		lu.Region = ptr(r.LastUsedRegion)
	}
	return lu
}

// isServiceLinked reports whether a role belongs to an AWS service and may only be changed through the
// service-linked role operations.
func isServiceLinked(r *storage.Role) bool {
	return r.ServiceLinked || strings.HasPrefix(r.Path, serviceRolePathPrefix)
}

func protectedRole(name string) error {
	return iamapi.NewUnmodifiableEntityException("Cannot perform the operation on the protected role '" + name + "' - this role is only modifiable by AWS")
}

// checkTrustPolicy validates a role trust policy: a valid policy with a Principal, within the size quota.
func checkTrustPolicy(doc string) (*policy.Policy, error) {
	p, err := parsePolicyDocument(doc, policy.KindTrust)
	if err != nil {
		return nil, err
	}
	if policySize(doc) > maxTrustPolicySize {
		return nil, iamapi.NewLimitExceededException(fmt.Sprintf("Cannot exceed quota for ACLSizePerRole: %d", maxTrustPolicySize))
	}
	return p, nil
}

// resolveTrustPrincipals rejects a trust policy naming an IAM user or role that does not exist, as IAM
// does ("Invalid principal in policy"), and returns the unique ID each named user and role has now, keyed
// by the ARN as written: the policy trusts those principals, not others created later under the same
// names (IAM User Guide, "AWS JSON policy elements: Principal"). Only the accounts this server holds can
// be checked and resolved; principals of other accounts are accepted and compared by ARN. The map is
// never nil (nil marks a role whose policy was never resolved, see ResolveStoredTrustPolicies).
func resolveTrustPrincipals(ctx context.Context, tx storage.Tx, p *policy.Policy) (map[string]string, error) {
	return resolvePrincipals(ctx, tx, p, true)
}

// resolvePrincipals is resolveTrustPrincipals; unless strict, a named user or role that does not exist
// is not an error but resolves to "", which no principal matches.
func resolvePrincipals(ctx context.Context, tx storage.Tx, p *policy.Policy, strict bool) (map[string]string, error) {
	resolved := map[string]string{}
	known := map[string]bool{}
	for _, v := range p.PrincipalARNs() {
		a, err := ids.ParseARN(v)
		if err != nil || a.Service != "iam" {
			continue // account IDs, "*", STS session ARNs: nothing stored to check
		}
		res, err := ids.ParseIAMResource(a.Resource)
		if err != nil || (res.Kind != ids.KindUser && res.Kind != ids.KindRole) {
			continue
		}
		exists, seen := known[a.Account]
		if !seen {
			_, err := tx.GetAccount(ctx, a.Account)
			if err != nil && !errors.Is(err, storage.ErrNotFound) {
				return nil, err
			}
			exists = err == nil
			known[a.Account] = exists
		}
		if !exists {
			continue
		}
		var path, id string
		if res.Kind == ids.KindUser {
			var u *storage.User
			if u, err = tx.GetUser(ctx, a.Account, res.Name); err == nil {
				path, id = u.Path, u.ID
			}
		} else {
			var r *storage.Role
			if r, err = tx.GetRole(ctx, a.Account, res.Name); err == nil {
				path, id = r.Path, r.ID
			}
		}
		if errors.Is(err, storage.ErrNotFound) || (err == nil && path != res.Path) {
			if !strict {
				resolved[v] = ""
				continue
			}
			return nil, iamapi.NewMalformedPolicyDocumentException(fmt.Sprintf("Invalid principal in policy: %q:%q", "AWS", v))
		}
		if err != nil {
			return nil, err
		}
		resolved[v] = id
	}
	return resolved, nil
}

// ResolveStoredTrustPolicies resolves the trust policies of roles stored before iamd resolved named
// principals to unique IDs (TrustPrincipalIDs nil), which until then matched users and roles by name, so
// that a principal deleted and created again was still trusted. Each named user or role resolves to the
// ID it has now; one that no longer exists to "", which matches nobody (its namesake, if one is made,
// is not trusted). App runs it at startup, before serving; it returns how many roles it resolved. Later
// runs only read each role once.
func (s *Service) ResolveStoredTrustPolicies(ctx context.Context) (int, error) {
	n := 0
	for after := ""; ; {
		var accts []*storage.Account
		err := s.store.View(ctx, func(tx storage.Tx) error {
			var err error
			accts, err = tx.ListAccounts(ctx, storage.ListOptions{After: after, Limit: listBatch})
			return err
		})
		if err != nil {
			return n, fmt.Errorf("resolving stored trust policies: %w", err)
		}
		for _, a := range accts {
			m, err := s.resolveAccountTrustPolicies(ctx, a.ID)
			n += m
			if err != nil {
				return n, fmt.Errorf("resolving the trust policies of account %s: %w", a.ID, err)
			}
		}
		if len(accts) < listBatch {
			return n, nil
		}
		after = accts[len(accts)-1].ID
	}
}

// listBatch is how many accounts or roles ResolveStoredTrustPolicies reads at a time.
const listBatch = 100

func (s *Service) resolveAccountTrustPolicies(ctx context.Context, account string) (int, error) {
	n := 0
	for after := ""; ; {
		var roles []*storage.Role
		err := s.store.View(ctx, func(tx storage.Tx) error {
			var err error
			roles, err = tx.ListRoles(ctx, account, storage.ListOptions{After: after, Limit: listBatch})
			return err
		})
		if err != nil {
			return n, err
		}
		for _, r := range roles {
			if r.TrustPrincipalIDs != nil {
				continue
			}
			err := s.store.Update(ctx, func(tx storage.Tx) error {
				cur, err := tx.GetRole(ctx, account, r.Name)
				if errors.Is(err, storage.ErrNotFound) || (err == nil && (cur.ID != r.ID || cur.TrustPrincipalIDs != nil)) {
					return nil // deleted, or saved meanwhile
				}
				if err != nil {
					return err
				}
				cur.TrustPrincipalIDs = map[string]string{}
				// A stored policy always parsed when it was saved; one that no longer does trusts nobody
				// (AssumeRole refuses it) and has nothing to resolve.
				if p, err := policy.ParseStored(cur.AssumeRolePolicyDocument, policy.KindTrust); err == nil {
					if cur.TrustPrincipalIDs, err = resolvePrincipals(ctx, tx, p, false); err != nil {
						return err
					}
				}
				return tx.UpdateRole(ctx, cur.Name, cur)
			})
			if err != nil {
				return n, fmt.Errorf("role %s: %w", r.Name, err)
			}
			n++
		}
		if len(roles) < listBatch {
			return n, nil
		}
		after = roles[len(roles)-1].Name
	}
}

// showTrust replaces r's trust policy (r is the caller's copy) by the form IAM shows: each user or role
// the policy named when it was saved appears under its current ARN (renamed users under the new name),
// or as its unique ID once it no longer exists, since the policy still names that principal and no other
// (IAM User Guide, "AWS JSON policy elements: Principal"). Every other byte of the document is kept.
func showTrust(ctx context.Context, tx storage.Tx, r *storage.Role) error {
	var repl map[string]string
	for arn, id := range r.TrustPrincipalIDs {
		cur, err := currentPrincipal(ctx, tx, arn, id)
		if err != nil {
			return err
		}
		if cur != arn {
			if repl == nil {
				repl = map[string]string{}
			}
			repl[arn] = cur
		}
	}
	r.AssumeRolePolicyDocument = policy.ReplacePrincipals(r.AssumeRolePolicyDocument, repl)
	return nil
}

// trustShownAsSaved reports, from reads the store's cache serves, whether every user and role r's trust
// policy resolved still holds the ARN it was named by with the same ID, so that the policy shows as it was
// saved. False when it cannot tell: showTrust then reads.
func (s *Service) trustShownAsSaved(ctx context.Context, r *storage.Role) bool {
	for arn, id := range r.TrustPrincipalIDs {
		if id == "" {
			continue // resolved to nobody: shown as written
		}
		a, err := ids.ParseARN(arn)
		if err != nil {
			return false
		}
		res, err := ids.ParseIAMResource(a.Resource)
		if err != nil {
			return false
		}
		var curID, curPath string
		switch res.Kind {
		case ids.KindUser:
			u, err := s.getUser(ctx, a.Account, res.Name)
			if err != nil {
				return false
			}
			curID, curPath = u.ID, u.Path
		case ids.KindRole:
			rr, err := s.getCachedRole(ctx, a.Account, res.Name)
			if err != nil {
				return false
			}
			curID, curPath = rr.ID, rr.Path
		default:
			return false
		}
		if curID != id || curPath != res.Path {
			return false
		}
	}
	return true
}

// currentPrincipal returns the ARN of the user or role with unique ID id, in the partition of the ARN a
// policy named it by, or id when no principal has that ID any more.
func currentPrincipal(ctx context.Context, tx storage.Tx, arn, id string) (string, error) {
	a, err := ids.ParseARN(arn)
	if err != nil {
		return arn, nil // resolved ARNs always parse; show a stored oddity as it is
	}
	var cur string
	switch {
	case strings.HasPrefix(id, ids.PrefixUser):
		var u *storage.User
		if u, err = tx.GetUserByID(ctx, id); err == nil {
			cur = ids.UserARN(a.Partition, u.AccountID, u.Path, u.Name)
		}
	case strings.HasPrefix(id, ids.PrefixRole):
		var r *storage.Role
		if r, err = tx.GetRoleByID(ctx, id); err == nil {
			cur = ids.RoleARN(a.Partition, r.AccountID, r.Path, r.Name)
		}
	default:
		return arn, nil
	}
	if errors.Is(err, storage.ErrNotFound) {
		return id, nil
	}
	if err != nil {
		return "", fmt.Errorf("looking up trusted principal %s: %w", id, err)
	}
	return cur, nil
}

// showTrustOf is showTrust for roles read outside a transaction. It reads the store only for roles whose
// trust policy names resolved principals that the entity cache cannot vouch for (GetRole is a hot read).
func (s *Service) showTrustOf(ctx context.Context, roles ...*storage.Role) error {
	need := false
	for _, r := range roles {
		need = need || (len(r.TrustPrincipalIDs) > 0 && !s.trustShownAsSaved(ctx, r))
	}
	if !need {
		return nil
	}
	docs := make([]string, len(roles))
	for i, r := range roles {
		docs[i] = r.AssumeRolePolicyDocument
	}
	return s.store.View(ctx, func(tx storage.Tx) error {
		for i, r := range roles {
			r.AssumeRolePolicyDocument = docs[i] // View may run fn again
			if err := showTrust(ctx, tx, r); err != nil {
				return err
			}
		}
		return nil
	})
}

// checkMaxSessionDuration applies the model's range again: the service may be called without the
// protocol layer's validation (tests, other front ends), and it words the error as that layer does.
func checkMaxSessionDuration(d int32) error {
	switch {
	case d < minMaxSessionSeconds:
		return protocol.NewError("ValidationError", 400, "1 validation error detected: Value '%d' at 'maxSessionDuration' failed to satisfy constraint: Member must have value greater than or equal to %d", d, minMaxSessionSeconds)
	case d > maxMaxSessionSeconds:
		return protocol.NewError("ValidationError", 400, "1 validation error detected: Value '%d' at 'maxSessionDuration' failed to satisfy constraint: Member must have value less than or equal to %d", d, maxMaxSessionSeconds)
	}
	return nil
}

// createRole stores r after the account-wide checks every role creation makes.
func (s *Service) createRole(ctx context.Context, tx storage.Tx, sc scope, r *storage.Role) error {
	if r.PermissionsBoundaryARN != "" {
		if err := s.checkBoundary(ctx, tx, sc, r.PermissionsBoundaryARN); err != nil {
			return err
		}
	}
	c, err := tx.Counts(ctx, sc.account)
	if err != nil {
		return err
	}
	if c.Roles >= maxRolesPerAccount {
		return iamapi.NewLimitExceededException(fmt.Sprintf("Cannot exceed quota for RolesPerAccount: %d", maxRolesPerAccount))
	}
	return tx.CreateRole(ctx, r)
}

// CreateRole creates a role with a trust policy.
func (s *Service) CreateRole(ctx context.Context, in *iamapi.CreateRoleRequest) (*iamapi.CreateRoleResponse, error) {
	sc, err := s.scopeOf(ctx)
	if err != nil {
		return nil, err
	}
	if err := requireName("roleName", str(in.RoleName)); err != nil {
		return nil, err
	}
	if err := checkRequestTags(in.Tags); err != nil {
		return nil, err
	}
	doc := str(in.AssumeRolePolicyDocument)
	trust, err := checkTrustPolicy(doc)
	if err != nil {
		return nil, err
	}
	maxSession := int32(defaultMaxSessionSeconds)
	if in.MaxSessionDuration != nil {
		maxSession = *in.MaxSessionDuration
		if err := checkMaxSessionDuration(maxSession); err != nil {
			return nil, err
		}
	}
	path := pathOr(in.Path)
	if strings.HasPrefix(path, serviceRolePathPrefix) {
		// Only CreateServiceLinkedRole may put roles there.
		return nil, iamapi.NewInvalidInputException("Path " + path + " is reserved for service-linked roles.")
	}
	r := &storage.Role{
		AccountID:                sc.account,
		Name:                     str(in.RoleName),
		Path:                     path,
		ID:                       ids.NewUniqueID(ids.PrefixRole),
		CreatedAt:                sc.now,
		AssumeRolePolicyDocument: doc,
		Description:              str(in.Description),
		MaxSessionDuration:       maxSession,
		PermissionsBoundaryARN:   str(in.PermissionsBoundary),
		Tags:                     tagsIn(in.Tags),
	}
	err = s.store.Update(ctx, func(tx storage.Tx) error {
		var err error
		if r.TrustPrincipalIDs, err = resolveTrustPrincipals(ctx, tx, trust); err != nil {
			return err
		}
		err = s.createRole(ctx, tx, sc, r)
		if errors.Is(err, storage.ErrAlreadyExists) {
			return iamapi.NewEntityAlreadyExistsException("Role with name " + r.Name + " already exists.")
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	out := sc.roleOut(r, roleView{tags: true, boundary: true})
	return &iamapi.CreateRoleResponse{Role: &out}, nil
}

// getRole reads a role from the entity cache or in a read-only transaction. The result is the caller's
// to modify, except its Tags.
func (s *Service) getRole(ctx context.Context, sc scope, name string) (*storage.Role, error) {
	r, err := s.getCachedRole(ctx, sc.account, name)
	if err = notFound(err, func() error { return noSuchRole(name) }); err != nil {
		return nil, err
	}
	return r, nil
}

// GetRole returns a role with its tags, boundary and last use.
func (s *Service) GetRole(ctx context.Context, in *iamapi.GetRoleRequest) (*iamapi.GetRoleResponse, error) {
	sc, err := s.scopeOf(ctx)
	if err != nil {
		return nil, err
	}
	r, err := s.getRole(ctx, sc, str(in.RoleName))
	if err != nil {
		return nil, err
	}
	s.overlayRoleUse(r) // a use noted on this node but not yet written (RoleLastUsed is write-behind)
	if err := s.showTrustOf(ctx, r); err != nil {
		return nil, err
	}
	out := sc.roleOut(r, roleViewFull)
	return &iamapi.GetRoleResponse{Role: &out}, nil
}

// modifyRole runs fn on a role in one transaction and stores the result. Service-linked roles are refused
// unless allowSLR.
func (s *Service) modifyRole(ctx context.Context, name string, allowSLR bool, fn func(tx storage.Tx, sc scope, r *storage.Role) error) (*storage.Role, scope, error) {
	sc, err := s.scopeOf(ctx)
	if err != nil {
		return nil, sc, err
	}
	var r *storage.Role
	err = s.store.Update(ctx, func(tx storage.Tx) error {
		var err error
		r, err = tx.GetRole(ctx, sc.account, name)
		if err != nil {
			return notFound(err, func() error { return noSuchRole(name) })
		}
		if !allowSLR && isServiceLinked(r) {
			return protectedRole(r.Name)
		}
		if err := fn(tx, sc, r); err != nil {
			return err
		}
		return notFound(tx.UpdateRole(ctx, name, r), func() error { return noSuchRole(name) })
	})
	return r, sc, err
}

// UpdateRole changes a role's description and/or maximum session duration.
func (s *Service) UpdateRole(ctx context.Context, in *iamapi.UpdateRoleRequest) (*iamapi.UpdateRoleResponse, error) {
	if in.MaxSessionDuration != nil {
		if err := checkMaxSessionDuration(*in.MaxSessionDuration); err != nil {
			return nil, err
		}
	}
	_, _, err := s.modifyRole(ctx, str(in.RoleName), false, func(_ storage.Tx, _ scope, r *storage.Role) error {
		if in.Description != nil {
			r.Description = *in.Description
		}
		if in.MaxSessionDuration != nil {
			r.MaxSessionDuration = *in.MaxSessionDuration
		}
		return nil
	})

	if err != nil {
		return nil, err
	}
	return &iamapi.UpdateRoleResponse{}, nil
}

// UpdateRoleDescription changes a role's description (allowed on service-linked roles) and returns the role.
func (s *Service) UpdateRoleDescription(ctx context.Context, in *iamapi.UpdateRoleDescriptionRequest) (*iamapi.UpdateRoleDescriptionResponse, error) {
	r, sc, err := s.modifyRole(ctx, str(in.RoleName), true, func(_ storage.Tx, _ scope, r *storage.Role) error {
		r.Description = str(in.Description)
		return nil
	})

	if err != nil {
		return nil, err
	}
	if err := s.showTrustOf(ctx, r); err != nil {
		return nil, err
	}
	out := sc.roleOut(r, roleViewFull)
	return &iamapi.UpdateRoleDescriptionResponse{Role: &out}, nil
}

// UpdateAssumeRolePolicy replaces a role's trust policy.
func (s *Service) UpdateAssumeRolePolicy(ctx context.Context, in *iamapi.UpdateAssumeRolePolicyRequest) (*iamapi.UpdateAssumeRolePolicyOutput, error) {
	doc := str(in.PolicyDocument)
	trust, err := checkTrustPolicy(doc)
	if err != nil {
		return nil, err
	}
	_, _, err = s.modifyRole(ctx, str(in.RoleName), false, func(tx storage.Tx, _ scope, r *storage.Role) error {
		resolved, err := resolveTrustPrincipals(ctx, tx, trust)
		if err != nil {
			return err
		}
		r.AssumeRolePolicyDocument, r.TrustPrincipalIDs = doc, resolved
		return nil
	})

	if err != nil {
		return nil, err
	}
	return &iamapi.UpdateAssumeRolePolicyOutput{}, nil
}

// roleDeleteConflict returns AWS's DeleteConflict for the first kind of subordinate entity the role still
// has, in the order AWS reports them.
func roleDeleteConflict(ctx context.Context, tx storage.Tx, acct, name string) error {
	profiles, err := tx.ListInstanceProfilesForRole(ctx, acct, name, storage.ListOptions{Limit: 1})
	if err != nil {
		return err
	}
	if len(profiles) > 0 {
		return deleteConflict("remove roles from instance profile")
	}
	return policiesDeleteConflict(ctx, tx, acct, storage.OwnerRole, name)
}

// DeleteRole deletes a role that is in no instance profile and has no policies.
func (s *Service) DeleteRole(ctx context.Context, in *iamapi.DeleteRoleRequest) (*iamapi.DeleteRoleOutput, error) {
	sc, err := s.scopeOf(ctx)
	if err != nil {
		return nil, err
	}
	name := str(in.RoleName)
	err = s.store.Update(ctx, func(tx storage.Tx) error {
		r, err := tx.GetRole(ctx, sc.account, name)
		if err != nil {
			return notFound(err, func() error { return noSuchRole(name) })
		}
		if isServiceLinked(r) {
			return protectedRole(r.Name)
		}
		if err := roleDeleteConflict(ctx, tx, sc.account, name); err != nil {
			return err
		}
		return notFound(tx.DeleteRole(ctx, sc.account, name), func() error { return noSuchRole(name) })
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.DeleteRoleOutput{}, nil
}

// ListRoles lists the account's roles in name order, optionally under a path prefix.
func (s *Service) ListRoles(ctx context.Context, in *iamapi.ListRolesRequest) (*iamapi.ListRolesResponse, error) {
	sc, err := s.scopeOf(ctx)
	if err != nil {
		return nil, err
	}
	p, err := pageOf(in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	var roles []*storage.Role
	err = s.store.View(ctx, func(tx storage.Tx) error {
		var err error
		roles, err = tx.ListRoles(ctx, sc.account, storage.ListOptions{PathPrefix: pathOr(in.PathPrefix), After: p.after, Limit: p.limit()})
		if err != nil {
			return err
		}
		for _, r := range roles {
			if err := showTrust(ctx, tx, r); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	roles, truncated, marker := paginate(roles, p, func(r *storage.Role) string { return r.Name })
	out := &iamapi.ListRolesResponse{Roles: make([]iamapi.Role, len(roles)), IsTruncated: truncated, Marker: marker}
	for i, r := range roles {
		out.Roles[i] = sc.roleOut(r, roleViewList)
	}
	return out, nil
}

// TagRole adds or replaces tags on a role.
func (s *Service) TagRole(ctx context.Context, in *iamapi.TagRoleRequest) (*iamapi.TagRoleOutput, error) {
	_, _, err := s.modifyRole(ctx, str(in.RoleName), true, func(_ storage.Tx, _ scope, r *storage.Role) error {
		tags, err := mergeTags(r.Tags, in.Tags, "TagsPerRole")
		r.Tags = tags
		return err
	})

	if err != nil {
		return nil, err
	}
	return &iamapi.TagRoleOutput{}, nil
}

// UntagRole removes tags from a role.
func (s *Service) UntagRole(ctx context.Context, in *iamapi.UntagRoleRequest) (*iamapi.UntagRoleOutput, error) {
	_, _, err := s.modifyRole(ctx, str(in.RoleName), true, func(_ storage.Tx, _ scope, r *storage.Role) error {
		r.Tags = removeTags(r.Tags, in.TagKeys)
		return nil
	})

	if err != nil {
		return nil, err
	}
	return &iamapi.UntagRoleOutput{}, nil
}

// ListRoleTags lists a role's tags in the order they were added.
func (s *Service) ListRoleTags(ctx context.Context, in *iamapi.ListRoleTagsRequest) (*iamapi.ListRoleTagsResponse, error) {
	sc, err := s.scopeOf(ctx)
	if err != nil {
		return nil, err
	}
	r, err := s.getRole(ctx, sc, str(in.RoleName))
	if err != nil {
		return nil, err
	}
	out, truncated, marker, err := tagsPage(r.Tags, in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	return &iamapi.ListRoleTagsResponse{Tags: out, IsTruncated: truncated, Marker: marker}, nil
}

// PutRolePermissionsBoundary sets a role's permissions boundary.
func (s *Service) PutRolePermissionsBoundary(ctx context.Context, in *iamapi.PutRolePermissionsBoundaryRequest) (*iamapi.PutRolePermissionsBoundaryOutput, error) {
	arn := str(in.PermissionsBoundary)
	_, _, err := s.modifyRole(ctx, str(in.RoleName), false, func(tx storage.Tx, sc scope, r *storage.Role) error {
		if err := s.checkBoundary(ctx, tx, sc, arn); err != nil {
			return err
		}
		r.PermissionsBoundaryARN = arn
		return nil
	})

	if err != nil {
		return nil, err
	}
	return &iamapi.PutRolePermissionsBoundaryOutput{}, nil
}

// DeleteRolePermissionsBoundary removes a role's permissions boundary.
func (s *Service) DeleteRolePermissionsBoundary(ctx context.Context, in *iamapi.DeleteRolePermissionsBoundaryRequest) (*iamapi.DeleteRolePermissionsBoundaryOutput, error) {
	_, _, err := s.modifyRole(ctx, str(in.RoleName), false, func(_ storage.Tx, _ scope, r *storage.Role) error {
		r.PermissionsBoundaryARN = ""
		return nil
	})

	if err != nil {
		return nil, err
	}
	return &iamapi.DeleteRolePermissionsBoundaryOutput{}, nil
}

// linkedService describes a service that owns service-linked roles: the role name after
// "AWSServiceRoleFor", the AWS managed policy AWS attaches (under /aws-service-role/), and whether the
// service accepts a CustomSuffix.
type linkedService struct {
	roleSuffix   string
	policy       string
	customSuffix bool
}

// linkedServices are the services whose service-linked roles are best known. Other *.amazonaws.com
// services get a role named after their first label and no managed policy.
var linkedServices = map[string]linkedService{
	"access-analyzer.amazonaws.com":                         {"AccessAnalyzer", "AccessAnalyzerServiceRolePolicy", false},
	"apigateway.amazonaws.com":                              {"APIGateway", "APIGatewayServiceRolePolicy", false},
	"autoscaling.amazonaws.com":                             {"AutoScaling", "AutoScalingServiceRolePolicy", true},
	"backup.amazonaws.com":                                  {"Backup", "AWSBackupServiceLinkedRolePolicyForBackup", false},
	"cloudtrail.amazonaws.com":                              {"CloudTrail", "CloudTrailServiceRolePolicy", false},
	"config.amazonaws.com":                                  {"Config", "AWSConfigServiceRolePolicy", false},
	"dynamodb.application-autoscaling.amazonaws.com":        {"ApplicationAutoScaling_DynamoDBTable", "AWSApplicationAutoscalingDynamoDBTablePolicy", false},
	"ecs.amazonaws.com":                                     {"ECS", "AmazonECSServiceRolePolicy", false},
	"ecs.application-autoscaling.amazonaws.com":             {"ApplicationAutoScaling_ECSService", "AWSApplicationAutoscalingECSServicePolicy", false},
	"eks.amazonaws.com":                                     {"AmazonEKS", "AmazonEKSServiceRolePolicy", false},
	"eks-nodegroup.amazonaws.com":                           {"AmazonEKSNodegroup", "AWSServiceRoleForAmazonEKSNodegroup", false},
	"elasticache.amazonaws.com":                             {"ElastiCache", "ElastiCacheServiceRolePolicy", false},
	"elasticbeanstalk.amazonaws.com":                        {"ElasticBeanstalk", "AWSElasticBeanstalkServiceRolePolicy", false},
	"elasticloadbalancing.amazonaws.com":                    {"ElasticLoadBalancing", "AWSElasticLoadBalancingServiceRolePolicy", false},
	"es.amazonaws.com":                                      {"AmazonElasticsearchService", "AmazonElasticsearchServiceRolePolicy", false},
	"guardduty.amazonaws.com":                               {"AmazonGuardDuty", "AmazonGuardDutyServiceRolePolicy", false},
	"opensearchservice.amazonaws.com":                       {"AmazonOpenSearchService", "AmazonOpenSearchServiceRolePolicy", false},
	"organizations.amazonaws.com":                           {"Organizations", "AWSOrganizationsServiceTrustPolicy", false},
	"rds.amazonaws.com":                                     {"RDS", "AmazonRDSServiceRolePolicy", false},
	"redshift.amazonaws.com":                                {"Redshift", "AmazonRedshiftServiceLinkedRolePolicy", false},
	"securityhub.amazonaws.com":                             {"SecurityHub", "AWSSecurityHubServiceRolePolicy", false},
	"spot.amazonaws.com":                                    {"EC2Spot", "AWSEC2SpotServiceRolePolicy", false},
	"ssm.amazonaws.com":                                     {"AmazonSSM", "AmazonSSMServiceRolePolicy", false},
	"sso.amazonaws.com":                                     {"SSO", "AWSSSOServiceRolePolicy", false},
	"support.amazonaws.com":                                 {"Support", "AWSSupportServiceRolePolicy", false},
	"trustedadvisor.amazonaws.com":                          {"TrustedAdvisor", "AWSTrustedAdvisorServiceRolePolicy", false},
	"elasticmapreduce.amazonaws.com":                        {"EMRCleanup", "AmazonEMRCleanupPolicy", false},
	"kafka.amazonaws.com":                                   {"Kafka", "KafkaServiceRolePolicy", false},
	"globalaccelerator.amazonaws.com":                       {"GlobalAccelerator", "AWSGlobalAcceleratorSLRPolicy", false},
	"replication.dynamodb.amazonaws.com":                    {"DynamoDBReplication", "DynamoDBReplicationServiceRolePolicy", false},
	"transitgateway.amazonaws.com":                          {"VPCTransitGateway", "AWSVPCTransitGatewayServiceRolePolicy", false},
	"custom-resource.application-autoscaling.amazonaws.com": {"ApplicationAutoScaling_CustomResource", "AWSApplicationAutoScalingCustomResourcePolicy", false},
}

// linkedServiceFor returns how the service names its role, deriving it for services not in the table.
func linkedServiceFor(service string) (linkedService, bool) {
	if ls, ok := linkedServices[service]; ok {
		return ls, true
	}
	host, ok := strings.CutSuffix(service, ".amazonaws.com")
	if !ok || host == "" {
		return linkedService{}, false
	}
	var b strings.Builder
	for _, label := range strings.FieldsFunc(host, func(r rune) bool { return r == '.' || r == '-' }) {
		for i := 0; i < len(label); i++ {
			c := label[i]
			ok := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
			if !ok {
				return linkedService{}, false
			}
		}
		b.WriteString(strings.ToUpper(label[:1]) + label[1:])
	}
	if b.Len() == 0 {
		return linkedService{}, false
	}
	return linkedService{roleSuffix: b.String(), customSuffix: true}, true
}

// serviceTrustPolicy is the trust policy AWS gives a service-linked role.
func serviceTrustPolicy(service string) string {
	return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":["` + service + `"]},"Action":["sts:AssumeRole"]}]}`
}

// CreateServiceLinkedRole creates the role an AWS service uses in the account, with the service's trust
// policy and its AWS managed permissions policy attached.
func (s *Service) CreateServiceLinkedRole(ctx context.Context, in *iamapi.CreateServiceLinkedRoleRequest) (*iamapi.CreateServiceLinkedRoleResponse, error) {
	sc, err := s.scopeOf(ctx)
	if err != nil {
		return nil, err
	}
	service := str(in.AWSServiceName)
	ls, ok := linkedServiceFor(service)
	if !ok {
		return nil, iamapi.NewInvalidInputException("Invalid service name: " + service)
	}
	name := serviceRoleNamePrefix + ls.roleSuffix
	if suffix := str(in.CustomSuffix); suffix != "" {
		if !ls.customSuffix {
			return nil, iamapi.NewInvalidInputException("Custom suffix is not allowed for " + service)
		}
		name += "_" + suffix
	}
	const maxRoleName = 64
	if len(name) > maxRoleName {
		return nil, iamapi.NewInvalidInputException("Role name " + name + " is longer than " + fmt.Sprint(maxRoleName) + " characters.")
	}
	r := &storage.Role{
		AccountID:                sc.account,
		Name:                     name,
		Path:                     serviceRolePathPrefix + service + "/",
		ID:                       ids.NewUniqueID(ids.PrefixRole),
		CreatedAt:                sc.now,
		AssumeRolePolicyDocument: serviceTrustPolicy(service),
		Description:              str(in.Description),
		MaxSessionDuration:       defaultMaxSessionSeconds,
		ServiceLinked:            true,
		TrustPrincipalIDs:        map[string]string{}, // a service principal: nothing to resolve
	}
	var policyARN string
	if ls.policy != "" {
		if p := s.managedCatalogue().byName[ls.policy]; p != nil {
			policyARN = p.ARN(sc.partition)
		}
	}
	err = s.store.Update(ctx, func(tx storage.Tx) error {
		err := s.createRole(ctx, tx, sc, r)
		if errors.Is(err, storage.ErrAlreadyExists) {
			return iamapi.NewInvalidInputException("Service role name " + name + " has been taken in this account, please try a different suffix.")
		}
		if err != nil || policyARN == "" {
			return err
		}
		return tx.AttachPolicy(ctx, sc.account, storage.OwnerRole, name, policyARN)
	})
	if err != nil {
		return nil, err
	}
	out := sc.roleOut(r, roleView{})
	return &iamapi.CreateServiceLinkedRoleResponse{Role: &out}, nil
}

// Deletion tasks are named task/aws-service-role/SERVICE/ROLE/ID, as AWS names them.
const deletionTaskPrefix = "task" + serviceRolePathPrefix

// DeleteServiceLinkedRole deletes a service-linked role with its policies. AWS deletes asynchronously after
// asking the service; iamd has no service to ask, so the task completes at once and the ID records it.
func (s *Service) DeleteServiceLinkedRole(ctx context.Context, in *iamapi.DeleteServiceLinkedRoleRequest) (*iamapi.DeleteServiceLinkedRoleResponse, error) {
	sc, err := s.scopeOf(ctx)
	if err != nil {
		return nil, err
	}
	name := str(in.RoleName)
	var task string
	err = s.store.Update(ctx, func(tx storage.Tx) error {
		r, err := tx.GetRole(ctx, sc.account, name)
		if err != nil {
			return notFound(err, func() error { return noSuchRole(name) })
		}
		if !isServiceLinked(r) {
			return iamapi.NewInvalidInputException("Role " + r.Name + " is not a service-linked role.")
		}
		service := strings.TrimSuffix(strings.TrimPrefix(r.Path, serviceRolePathPrefix), "/")
		task = deletionTaskPrefix + service + "/" + r.Name + "/" + ids.NewRequestID()
		profiles, err := tx.ListInstanceProfilesForRole(ctx, sc.account, r.Name, storage.ListOptions{})
		if err != nil {
			return err
		}
		for _, p := range profiles {
			if err := tx.RemoveRoleFromInstanceProfile(ctx, sc.account, p.Name, r.Name); err != nil {
				return err
			}
		}
		// DeleteRole removes the role's inline policies and attachments with it.
		return tx.DeleteRole(ctx, sc.account, r.Name)
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.DeleteServiceLinkedRoleResponse{DeletionTaskId: ptr(task)}, nil
}

// GetServiceLinkedRoleDeletionStatus reports a deletion task: SUCCEEDED once the role is gone (iamd
// deletes at once), IN_PROGRESS while a role of that name still exists.
func (s *Service) GetServiceLinkedRoleDeletionStatus(ctx context.Context, in *iamapi.GetServiceLinkedRoleDeletionStatusRequest) (*iamapi.GetServiceLinkedRoleDeletionStatusResponse, error) {
	sc, err := s.scopeOf(ctx)
	if err != nil {
		return nil, err
	}
	task := str(in.DeletionTaskId)
	invalid := iamapi.NewInvalidInputException("Invalid deletion task id: " + task)
	path, name, ok := DeletionTaskRole(task)
	if !ok {
		return nil, invalid
	}
	status := iamapi.DeletionTaskStatusTypeSucceeded
	err = s.store.View(ctx, func(tx storage.Tx) error {
		r, err := tx.GetRole(ctx, sc.account, name)
		if errors.Is(err, storage.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		// A role of the same name made again after the deletion is another role: the task still succeeded.
		if r.DeletionTaskID == task && r.Path == path {
			status = r.DeletionStatus
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.GetServiceLinkedRoleDeletionStatusResponse{Status: ptr(status)}, nil
}
