package iam

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/iamd/iamd/internal/api/iamapi"
	"github.com/iamd/iamd/internal/ids"
	"github.com/iamd/iamd/internal/policy"
	"github.com/iamd/iamd/internal/protocol"
	"github.com/iamd/iamd/internal/storage"
)

// checkPolicyDocument validates doc as a policy of the given kind and returns IAM's MalformedPolicyDocument
// error when it is not valid.
func checkPolicyDocument(doc string, kind policy.Kind) error {
	_, err := parsePolicyDocument(doc, kind)
	return err
}

// parsePolicyDocument is checkPolicyDocument returning the parsed policy.
func parsePolicyDocument(doc string, kind policy.Kind) (*policy.Policy, error) {
	p, err := policy.Parse(doc, kind)
	if err != nil {
		var me *policy.MalformedError
		if errors.As(err, &me) {
			return nil, iamapi.NewMalformedPolicyDocumentException(me.Message)
		}
		return nil, fmt.Errorf("parse policy document: %w", err)
	}
	return p, nil
}

// requireName refuses an empty name with the protocol layer's wording. Requests from the wire never get
// here empty (the generated validator checks lengths first); this keeps direct callers from reaching
// storage with one.
func requireName(member, value string) error {
	if value == "" {
		return protocol.NewError("ValidationError", 400, "1 validation error detected: Value '' at '%s' failed to satisfy constraint: Member must have length greater than or equal to 1", member)
	}
	return nil
}

// policySize is the size IAM counts against its policy size quotas (whitespace outside strings not counted).
func policySize(doc string) int { return policy.Size(doc) }

// encodeDocument percent-encodes a policy document as IAM returns documents (RFC 3986: everything but
// the unreserved characters A-Z a-z 0-9 - . _ ~ is encoded, UTF-8 byte by byte).
func encodeDocument(doc string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(doc) * 2)
	for i := 0; i < len(doc); i++ {
		c := doc[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&0xf])
	}
	return b.String()
}

// managedCatalogue returns the AWS managed policies the service serves; when none were configured it
// serves the catalogue embedded in the binary.
func (s *Service) managedCatalogue() *ManagedPolicies {
	if s.managed != nil {
		return s.managed
	}
	m, err := LoadManagedPolicies()
	if err != nil {
		// The embedded data is checked by the package tests; an empty catalogue keeps the server up.
		s.log.Error("aws managed policies unavailable", "err", err)
		return &ManagedPolicies{byResource: map[string]*awsManagedPolicy{}, byName: map[string]*awsManagedPolicy{}}
	}
	return m
}

// policyARN is the ARN of a customer managed policy of the scope's account.
func (sc scope) policyARN(path, name string) string {
	return ids.PolicyARN(sc.partition, sc.account, path, name)
}

// noSuchPolicy is GetPolicy's and DeletePolicy's NoSuchEntity wording.
func noSuchPolicy(arn string) error {
	return iamapi.NewNoSuchEntityException("Policy " + arn + " was not found.")
}

// policyNotAttachable is AttachXPolicy's and boundary setters' NoSuchEntity wording.
func policyNotAttachable(arn string) error {
	return iamapi.NewNoSuchEntityException("Policy " + arn + " does not exist or is not attachable.")
}

// awsManagedDenied is what AWS answers to an attempt to change an AWS managed policy: the caller is not
// authorized, whatever its permissions, because the policy belongs to AWS.
func (sc scope) awsManagedDenied(action, arn string) error {
	who := sc.rootARN()
	if sc.caller != nil && sc.caller.ARN != "" {
		who = sc.caller.ARN
	}
	return protocol.NewError("AccessDenied", 403, "User: %s is not authorized to perform: iam:%s on resource: policy %s", who, action, arn)
}

// policyRef is a managed policy named by ARN: AWS managed (aws set) or customer managed (local set).
type policyRef struct {
	arn   string
	aws   *awsManagedPolicy
	local *storage.ManagedPolicy
}

// splitPolicyARN checks that arn is an IAM policy ARN and returns its partition, account, path and name.
func splitPolicyARN(arn string) (partition, account, path, name string, err error) {
	a, perr := ids.ParseARN(arn)
	if perr != nil || a.Service != "iam" || a.Region != "" || !strings.HasPrefix(a.Resource, "policy/") {
		return "", "", "", "", iamapi.NewInvalidInputException("ARN " + arn + " is not valid.")
	}
	rest := strings.TrimPrefix(a.Resource, "policy")
	i := strings.LastIndexByte(rest, '/')
	path, name = rest[:i+1], rest[i+1:]
	if name == "" {
		return "", "", "", "", iamapi.NewInvalidInputException("ARN " + arn + " is not valid.")
	}
	return a.Partition, a.Account, path, name, nil
}

// resolvePolicy finds the managed policy arn names in the caller's view: an AWS managed policy or a
// customer managed policy of the caller's account. nse builds the NoSuchEntity error the operation uses.
func (s *Service) resolvePolicy(ctx context.Context, tx storage.Tx, sc scope, arn string, nse func(arn string) error) (policyRef, error) {
	partition, account, path, name, err := splitPolicyARN(arn)
	if err != nil {
		return policyRef{}, err
	}
	if partition != sc.partition {
		return policyRef{}, nse(arn)
	}
	if account == awsManagedAccount {
		p := s.managedCatalogue().lookupARN(sc.partition, arn)
		if p == nil {
			return policyRef{}, nse(arn)
		}
		return policyRef{arn: arn, aws: p}, nil
	}
	if account != sc.account {
		return policyRef{}, nse(arn)
	}
	p, err := tx.GetManagedPolicy(ctx, sc.account, name)
	if errors.Is(err, storage.ErrNotFound) || (err == nil && (p.Path != path || p.Name != name)) {
		return policyRef{}, nse(arn)
	}
	if err != nil {
		return policyRef{}, err
	}
	return policyRef{arn: arn, local: p}, nil
}

// resolveLocalPolicy is resolvePolicy for operations that only customer managed policies support; an AWS
// managed policy is refused with AccessDenied for action.
func (s *Service) resolveLocalPolicy(ctx context.Context, tx storage.Tx, sc scope, arn, action string) (*storage.ManagedPolicy, error) {
	ref, err := s.resolvePolicy(ctx, tx, sc, arn, noSuchPolicy)
	if err != nil {
		return nil, err
	}
	if ref.aws != nil {
		return nil, sc.awsManagedDenied(action, arn)
	}
	return ref.local, nil
}

// policyView is what an operation shows of a managed policy; AWS shows different members in each (IAM
// API Reference, "Policy" data type: the description "is included in the response to the GetPolicy
// operation. It is not included in the response to the ListPolicies operation.").
type policyView int

const (
	// policyViewList (ListPolicies): no description, no tags.
	policyViewList policyView = iota
	// policyViewCreate (CreatePolicy): the tags when there are some, and no description even when one
	// was given.
	policyViewCreate
	// policyViewGet (GetPolicy): the description when there is one, and the tags always, an empty list
	// included.
	policyViewGet
)

// localPolicyOut renders a customer managed policy as view shows it.
func (sc scope) localPolicyOut(p *storage.ManagedPolicy, view policyView) iamapi.Policy {
	out := iamapi.Policy{
		PolicyName:                    ptr(p.Name),
		PolicyId:                      ptr(p.ID),
		Arn:                           ptr(sc.policyARN(p.Path, p.Name)),
		Path:                          ptr(p.Path),
		DefaultVersionId:              ptr(p.DefaultVersionID),
		AttachmentCount:               ptr(int32(p.AttachmentCount)),
		PermissionsBoundaryUsageCount: ptr(int32(p.PermissionsBoundaryUsageCount)),
		IsAttachable:                  ptr(true),
		CreateDate:                    timePtr(p.CreatedAt),
		UpdateDate:                    timePtr(p.UpdatedAt),
	}
	switch view {
	case policyViewCreate:
		out.Tags = tagsOut(p.Tags)
	case policyViewGet:
		if p.Description != "" {
			out.Description = ptr(p.Description)
		}
		out.Tags = allTagsOut(p.Tags)
	}
	return out
}

// awsPolicyOut renders an AWS managed policy with the account's usage counts.
func (sc scope) awsPolicyOut(p *awsManagedPolicy, u storage.PolicyUsage) iamapi.Policy {
	return iamapi.Policy{
		PolicyName:                    ptr(p.Name),
		PolicyId:                      ptr(p.ID),
		Arn:                           ptr(p.ARN(sc.partition)),
		Path:                          ptr(p.Path),
		DefaultVersionId:              ptr(p.DefaultVersionID),
		AttachmentCount:               ptr(int32(u.Attachments)),
		PermissionsBoundaryUsageCount: ptr(int32(u.BoundaryUses)),
		IsAttachable:                  ptr(p.IsAttachable),
		CreateDate:                    timePtr(p.CreateDate),
		UpdateDate:                    timePtr(p.UpdateDate),
	}
}

// checkManagedDocument validates a managed policy document and its size.
func checkManagedDocument(doc string) error {
	if err := checkPolicyDocument(doc, policy.KindIdentity); err != nil {
		return err
	}
	if policySize(doc) > maxManagedPolicySize {
		return iamapi.NewLimitExceededException(fmt.Sprintf("Cannot exceed quota for PolicySize: %d", maxManagedPolicySize))
	}
	return nil
}

// CreatePolicy creates a customer managed policy with its first version (v1, the default).
func (s *Service) CreatePolicy(ctx context.Context, in *iamapi.CreatePolicyRequest) (*iamapi.CreatePolicyResponse, error) {
	sc, err := s.scopeOf(ctx)
	if err != nil {
		return nil, err
	}
	if err := requireName("policyName", str(in.PolicyName)); err != nil {
		return nil, err
	}
	if err := checkRequestTags(in.Tags); err != nil {
		return nil, err
	}
	doc := str(in.PolicyDocument)
	if err := checkManagedDocument(doc); err != nil {
		return nil, err
	}
	p := &storage.ManagedPolicy{
		AccountID:        sc.account,
		Name:             str(in.PolicyName),
		Path:             pathOr(in.Path),
		ID:               ids.NewUniqueID(ids.PrefixManagedPolicy),
		Description:      str(in.Description),
		DefaultVersionID: "v1",
		NextVersion:      1,
		CreatedAt:        sc.now,
		UpdatedAt:        sc.now,
		Tags:             tagsIn(in.Tags),
	}
	err = s.store.Update(ctx, func(tx storage.Tx) error {
		c, err := tx.Counts(ctx, sc.account)
		if err != nil {
			return err
		}
		if c.Policies >= maxPoliciesPerAccount {
			return iamapi.NewLimitExceededException(fmt.Sprintf("Cannot exceed quota for PoliciesPerAccount: %d", maxPoliciesPerAccount))
		}
		if err := tx.CreateManagedPolicy(ctx, p); err != nil {
			if errors.Is(err, storage.ErrAlreadyExists) {
				return iamapi.NewEntityAlreadyExistsException("A policy called " + p.Name + " already exists. Duplicate names are not allowed.")
			}
			return err
		}
		v := &storage.PolicyVersion{Document: doc, CreatedAt: sc.now}
		if err := tx.CreatePolicyVersion(ctx, sc.account, p.Name, v); err != nil {
			return err
		}
		if v.VersionID != p.DefaultVersionID {
			return fmt.Errorf("first version of policy %s is %s, want %s", p.Name, v.VersionID, p.DefaultVersionID)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := sc.localPolicyOut(p, policyViewCreate)
	return &iamapi.CreatePolicyResponse{Policy: &out}, nil
}

// GetPolicy returns a managed policy (AWS or customer) with the account's attachment counts.
func (s *Service) GetPolicy(ctx context.Context, in *iamapi.GetPolicyRequest) (*iamapi.GetPolicyResponse, error) {
	sc, err := s.scopeOf(ctx)
	if err != nil {
		return nil, err
	}
	arn := str(in.PolicyArn)
	var out iamapi.Policy
	err = s.store.View(ctx, func(tx storage.Tx) error {
		ref, err := s.resolvePolicy(ctx, tx, sc, arn, noSuchPolicy)
		if err != nil {
			return err
		}
		if ref.local != nil {
			out = sc.localPolicyOut(ref.local, policyViewGet)
			return nil
		}
		u, err := tx.PolicyUsage(ctx, sc.account, arn)
		if err != nil {
			return err
		}
		out = sc.awsPolicyOut(ref.aws, u)
		out.Tags = allTagsOut(nil) // AWS managed policies have no tags; GetPolicy shows the empty list
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.GetPolicyResponse{Policy: &out}, nil
}

// DeletePolicy deletes a customer managed policy that is attached nowhere and has no version but the
// default one.
func (s *Service) DeletePolicy(ctx context.Context, in *iamapi.DeletePolicyRequest) (*iamapi.DeletePolicyOutput, error) {
	sc, err := s.scopeOf(ctx)
	if err != nil {
		return nil, err
	}
	arn := str(in.PolicyArn)
	err = s.store.Update(ctx, func(tx storage.Tx) error {
		p, err := s.resolveLocalPolicy(ctx, tx, sc, arn, "DeletePolicy")
		if err != nil {
			return err
		}
		if p.AttachmentCount > 0 || p.PermissionsBoundaryUsageCount > 0 {
			return iamapi.NewDeleteConflictException("Cannot delete a policy attached to entities.")
		}
		versions, err := tx.ListPolicyVersions(ctx, sc.account, p.Name)
		if err != nil {
			return err
		}
		if len(versions) > 1 {
			return iamapi.NewDeleteConflictException("This policy has more than one version. Before you delete a policy, you must delete the policy's versions. The default version is deleted with the policy.")
		}
		return notFound(tx.DeleteManagedPolicy(ctx, sc.account, p.Name), func() error { return noSuchPolicy(arn) })
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.DeletePolicyOutput{}, nil
}

// policyListBatch is how many customer managed policies ListPolicies reads per query while filtering.
const policyListBatch = 200

// Prefixes of ListPolicies' position key: AWS managed policies are listed before customer managed ones.
const (
	listKeyAWS   = "a:"
	listKeyLocal = "l:"
)

// ListPolicies lists AWS and/or customer managed policies (Scope), optionally only those in use
// (OnlyAttached, PolicyUsageFilter) and under a path prefix.
func (s *Service) ListPolicies(ctx context.Context, in *iamapi.ListPoliciesRequest) (*iamapi.ListPoliciesResponse, error) {
	sc, err := s.scopeOf(ctx)
	if err != nil {
		return nil, err
	}
	pg, err := pageOf(in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	scopeName := str(in.Scope)
	if scopeName == "" {
		scopeName = iamapi.PolicyScopeTypeAll
	}
	onlyAttached := protocol.ToBool(in.OnlyAttached)
	usageFilter := str(in.PolicyUsageFilter)
	prefix := pathOr(in.PathPrefix)
	// used reports whether a policy with these counts passes OnlyAttached / PolicyUsageFilter.
	used := func(attachments, boundaries int64) bool {
		if !onlyAttached {
			return true
		}
		switch usageFilter {
		case iamapi.PolicyUsageTypePermissionsPolicy:
			return attachments > 0
		case iamapi.PolicyUsageTypePermissionsBoundary:
			return boundaries > 0
		}
		return attachments > 0 || boundaries > 0
	}
	after := pg.after
	if after != "" && !strings.HasPrefix(after, listKeyAWS) && !strings.HasPrefix(after, listKeyLocal) {
		return nil, iamapi.NewInvalidInputException("Invalid Marker.")
	}
	wantAWS := scopeName != iamapi.PolicyScopeTypeLocal && !strings.HasPrefix(after, listKeyLocal)
	wantLocal := scopeName != iamapi.PolicyScopeTypeAws

	type item struct {
		key    string
		policy iamapi.Policy
	}
	var items []item
	err = s.store.View(ctx, func(tx storage.Tx) error {
		items = nil
		if wantAWS {
			usage, err := tx.ListPolicyUsage(ctx, sc.account)
			if err != nil {
				return err
			}
			byARN := make(map[string]storage.PolicyUsage, len(usage))
			for _, u := range usage {
				byARN[u.ARN] = u
			}
			start := strings.TrimPrefix(after, listKeyAWS)
			for _, p := range s.managedCatalogue().list {
				if start != "" && !policyNameLess(start, p.Name) {
					continue
				}
				if !strings.HasPrefix(p.Path, prefix) {
					continue
				}
				u := byARN[p.ARN(sc.partition)]
				if !used(u.Attachments, u.BoundaryUses) {
					continue
				}
				items = append(items, item{listKeyAWS + p.Name, sc.awsPolicyOut(p, u)})
				if len(items) >= pg.limit() {
					return nil
				}
			}
		}
		if !wantLocal {
			return nil
		}
		resume := ""
		if strings.HasPrefix(after, listKeyLocal) {
			resume = strings.TrimPrefix(after, listKeyLocal)
		}
		for len(items) < pg.limit() {
			batch, err := tx.ListManagedPolicies(ctx, sc.account, storage.ListOptions{PathPrefix: prefix, After: resume, Limit: policyListBatch})
			if err != nil {
				return err
			}
			for _, p := range batch {
				if used(p.AttachmentCount, p.PermissionsBoundaryUsageCount) {
					items = append(items, item{listKeyLocal + p.Name, sc.localPolicyOut(p, policyViewList)})
					if len(items) >= pg.limit() {
						break
					}
				}
			}
			if len(batch) < policyListBatch {
				break
			}
			resume = batch[len(batch)-1].Name
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	items, truncated, marker := paginate(items, pg, func(it item) string { return it.key })
	out := &iamapi.ListPoliciesResponse{Policies: make([]iamapi.Policy, len(items)), IsTruncated: truncated, Marker: marker}
	for i, it := range items {
		out.Policies[i] = it.policy
	}
	return out, nil
}

// versionOut renders a policy version; the document is returned URL-encoded, as AWS does.
func versionOut(v *storage.PolicyVersion, defaultID string, withDoc bool) iamapi.PolicyVersion {
	out := iamapi.PolicyVersion{
		VersionId:        ptr(v.VersionID),
		IsDefaultVersion: ptr(v.VersionID == defaultID),
		CreateDate:       timePtr(v.CreatedAt),
	}
	if withDoc {
		out.Document = ptr(encodeDocument(v.Document))
	}
	return out
}

// awsVersion is the default (and only served) version of an AWS managed policy.
func awsVersion(p *awsManagedPolicy) *storage.PolicyVersion {
	return &storage.PolicyVersion{VersionID: p.DefaultVersionID, Document: p.Document, CreatedAt: p.VersionCreateDate}
}

// CreatePolicyVersion adds a version to a customer managed policy (at most 5 versions).
func (s *Service) CreatePolicyVersion(ctx context.Context, in *iamapi.CreatePolicyVersionRequest) (*iamapi.CreatePolicyVersionResponse, error) {
	sc, err := s.scopeOf(ctx)
	if err != nil {
		return nil, err
	}
	arn := str(in.PolicyArn)
	doc := str(in.PolicyDocument)
	setDefault := protocol.ToBool(in.SetAsDefault)
	var v *storage.PolicyVersion
	err = s.store.Update(ctx, func(tx storage.Tx) error {
		p, err := s.resolveLocalPolicy(ctx, tx, sc, arn, "CreatePolicyVersion")
		if err != nil {
			return err
		}
		if err := checkManagedDocument(doc); err != nil {
			return err
		}
		versions, err := tx.ListPolicyVersions(ctx, sc.account, p.Name)
		if err != nil {
			return err
		}
		if len(versions) >= maxVersionsPerPolicy {
			return iamapi.NewLimitExceededException(fmt.Sprintf("A managed policy can have up to %d versions. Before you create a new version, you must delete an existing version.", maxVersionsPerPolicy))
		}
		v = &storage.PolicyVersion{Document: doc, CreatedAt: sc.now}
		if err := tx.CreatePolicyVersion(ctx, sc.account, p.Name, v); err != nil {
			return err
		}
		if !setDefault {
			return nil
		}
		// Re-read: CreatePolicyVersion advanced NextVersion in storage.
		p, err = tx.GetManagedPolicy(ctx, sc.account, p.Name)
		if err != nil {
			return err
		}
		p.DefaultVersionID = v.VersionID
		p.UpdatedAt = sc.now
		return tx.UpdateManagedPolicy(ctx, p.Name, p)
	})
	if err != nil {
		return nil, err
	}
	out := iamapi.PolicyVersion{VersionId: ptr(v.VersionID), IsDefaultVersion: ptr(setDefault), CreateDate: timePtr(v.CreatedAt)}
	return &iamapi.CreatePolicyVersionResponse{PolicyVersion: &out}, nil
}

// noSuchVersion is GetPolicyVersion's NoSuchEntity wording.
func noSuchVersion(arn, version string) error {
	return iamapi.NewNoSuchEntityException("Policy " + arn + " version " + version + " does not exist or is not attachable.")
}

// GetPolicyVersion returns one version of a managed policy with its URL-encoded document.
func (s *Service) GetPolicyVersion(ctx context.Context, in *iamapi.GetPolicyVersionRequest) (*iamapi.GetPolicyVersionResponse, error) {
	sc, err := s.scopeOf(ctx)
	if err != nil {
		return nil, err
	}
	arn, vid := str(in.PolicyArn), str(in.VersionId)
	var out iamapi.PolicyVersion
	err = s.store.View(ctx, func(tx storage.Tx) error {
		ref, err := s.resolvePolicy(ctx, tx, sc, arn, noSuchPolicy)
		if err != nil {
			return err
		}
		if ref.aws != nil {
			if vid != ref.aws.DefaultVersionID {
				return noSuchVersion(arn, vid)
			}
			out = versionOut(awsVersion(ref.aws), ref.aws.DefaultVersionID, true)
			return nil
		}
		v, err := tx.GetPolicyVersion(ctx, sc.account, ref.local.Name, vid)
		if err != nil {
			return notFound(err, func() error { return noSuchVersion(arn, vid) })
		}
		out = versionOut(v, ref.local.DefaultVersionID, true)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.GetPolicyVersionResponse{PolicyVersion: &out}, nil
}

// DeletePolicyVersion deletes a non-default version of a customer managed policy.
func (s *Service) DeletePolicyVersion(ctx context.Context, in *iamapi.DeletePolicyVersionRequest) (*iamapi.DeletePolicyVersionOutput, error) {
	sc, err := s.scopeOf(ctx)
	if err != nil {
		return nil, err
	}
	arn, vid := str(in.PolicyArn), str(in.VersionId)
	err = s.store.Update(ctx, func(tx storage.Tx) error {
		p, err := s.resolveLocalPolicy(ctx, tx, sc, arn, "DeletePolicyVersion")
		if err != nil {
			return err
		}
		if _, err := tx.GetPolicyVersion(ctx, sc.account, p.Name, vid); err != nil {
			return notFound(err, func() error { return noSuchVersion(arn, vid) })
		}
		if vid == p.DefaultVersionID {
			return iamapi.NewDeleteConflictException("Cannot delete the default version of a policy.")
		}
		return notFound(tx.DeletePolicyVersion(ctx, sc.account, p.Name, vid), func() error { return noSuchVersion(arn, vid) })
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.DeletePolicyVersionOutput{}, nil
}

// ListPolicyVersions lists a managed policy's versions, newest first, without documents.
func (s *Service) ListPolicyVersions(ctx context.Context, in *iamapi.ListPolicyVersionsRequest) (*iamapi.ListPolicyVersionsResponse, error) {
	sc, err := s.scopeOf(ctx)
	if err != nil {
		return nil, err
	}
	arn := str(in.PolicyArn)
	var versions []*storage.PolicyVersion
	var defaultID string
	err = s.store.View(ctx, func(tx storage.Tx) error {
		ref, err := s.resolvePolicy(ctx, tx, sc, arn, noSuchPolicy)
		if err != nil {
			return err
		}
		if ref.aws != nil {
			versions, defaultID = []*storage.PolicyVersion{awsVersion(ref.aws)}, ref.aws.DefaultVersionID
			return nil
		}
		defaultID = ref.local.DefaultVersionID
		versions, err = tx.ListPolicyVersions(ctx, sc.account, ref.local.Name)
		return err
	})
	if err != nil {
		return nil, err
	}
	page, truncated, marker, err := paginateSlice(versions, in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	out := &iamapi.ListPolicyVersionsResponse{Versions: make([]iamapi.PolicyVersion, len(page)), IsTruncated: truncated, Marker: marker}
	for i, v := range page {
		out.Versions[i] = versionOut(v, defaultID, false)
	}
	return out, nil
}

// SetDefaultPolicyVersion makes an existing version the default one.
func (s *Service) SetDefaultPolicyVersion(ctx context.Context, in *iamapi.SetDefaultPolicyVersionRequest) (*iamapi.SetDefaultPolicyVersionOutput, error) {
	sc, err := s.scopeOf(ctx)
	if err != nil {
		return nil, err
	}
	arn, vid := str(in.PolicyArn), str(in.VersionId)
	err = s.store.Update(ctx, func(tx storage.Tx) error {
		p, err := s.resolveLocalPolicy(ctx, tx, sc, arn, "SetDefaultPolicyVersion")
		if err != nil {
			return err
		}
		if _, err := tx.GetPolicyVersion(ctx, sc.account, p.Name, vid); err != nil {
			return notFound(err, func() error { return noSuchVersion(arn, vid) })
		}
		if p.DefaultVersionID == vid {
			return nil
		}
		p.DefaultVersionID = vid
		p.UpdatedAt = sc.now
		return tx.UpdateManagedPolicy(ctx, p.Name, p)
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.SetDefaultPolicyVersionOutput{}, nil
}

// modifyLocalPolicy runs fn on a customer managed policy in one transaction and stores the result.
func (s *Service) modifyLocalPolicy(ctx context.Context, op, arn string, fn func(p *storage.ManagedPolicy) error) error {
	sc, err := s.scopeOf(ctx)
	if err != nil {
		return err
	}
	err = s.store.Update(ctx, func(tx storage.Tx) error {
		p, err := s.resolveLocalPolicy(ctx, tx, sc, arn, op)
		if err != nil {
			return err
		}
		if err := fn(p); err != nil {
			return err
		}
		return notFound(tx.UpdateManagedPolicy(ctx, p.Name, p), func() error { return noSuchPolicy(arn) })
	})
	return err
}

// TagPolicy adds or replaces tags on a customer managed policy.
func (s *Service) TagPolicy(ctx context.Context, in *iamapi.TagPolicyRequest) (*iamapi.TagPolicyOutput, error) {
	err := s.modifyLocalPolicy(ctx, "TagPolicy", str(in.PolicyArn), func(p *storage.ManagedPolicy) error {
		tags, err := mergeTags(p.Tags, in.Tags, "TagsPerPolicy")
		p.Tags = tags
		return err
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.TagPolicyOutput{}, nil
}

// UntagPolicy removes tags from a customer managed policy.
func (s *Service) UntagPolicy(ctx context.Context, in *iamapi.UntagPolicyRequest) (*iamapi.UntagPolicyOutput, error) {
	err := s.modifyLocalPolicy(ctx, "UntagPolicy", str(in.PolicyArn), func(p *storage.ManagedPolicy) error {
		p.Tags = removeTags(p.Tags, in.TagKeys)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.UntagPolicyOutput{}, nil
}

// ListPolicyTags lists a managed policy's tags (AWS managed policies have none).
func (s *Service) ListPolicyTags(ctx context.Context, in *iamapi.ListPolicyTagsRequest) (*iamapi.ListPolicyTagsResponse, error) {
	sc, err := s.scopeOf(ctx)
	if err != nil {
		return nil, err
	}
	arn := str(in.PolicyArn)
	var tags []storage.Tag
	err = s.store.View(ctx, func(tx storage.Tx) error {
		ref, err := s.resolvePolicy(ctx, tx, sc, arn, noSuchPolicy)
		if err == nil && ref.local != nil {
			tags = ref.local.Tags
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	out, truncated, marker, err := tagsPage(tags, in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	return &iamapi.ListPolicyTagsResponse{Tags: out, IsTruncated: truncated, Marker: marker}, nil
}

// policyEntity is one row of ListEntitiesForPolicy.
type policyEntity struct {
	key  string // storage.Owner.Key(): kind then folded name
	kind storage.OwnerKind
	name string
	id   string
}

// ListEntitiesForPolicy lists the users, groups and roles a managed policy is attached to, or (with
// PolicyUsageFilter PermissionsBoundary) the users and roles using it as their permissions boundary.
func (s *Service) ListEntitiesForPolicy(ctx context.Context, in *iamapi.ListEntitiesForPolicyRequest) (*iamapi.ListEntitiesForPolicyResponse, error) {
	sc, err := s.scopeOf(ctx)
	if err != nil {
		return nil, err
	}
	pg, err := pageOf(in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	arn := str(in.PolicyArn)
	filter := str(in.EntityFilter)
	prefix := pathOr(in.PathPrefix)
	usage := str(in.PolicyUsageFilter)
	wantKind := func(k storage.OwnerKind) bool {
		switch filter {
		case iamapi.EntityTypeUser:
			return k == storage.OwnerUser
		case iamapi.EntityTypeGroup:
			return k == storage.OwnerGroup
		case iamapi.EntityTypeRole:
			return k == storage.OwnerRole
		case "":
			return true
		}
		// LocalManagedPolicy / AWSManagedPolicy select no principal.
		return false
	}
	var rows []policyEntity
	err = s.store.View(ctx, func(tx storage.Tx) error {
		rows = nil
		if _, err := s.resolvePolicy(ctx, tx, sc, arn, noSuchPolicy); err != nil {
			return err
		}
		var all []policyEntity
		if usage != iamapi.PolicyUsageTypePermissionsBoundary {
			var err error
			if all, err = policyEntities(ctx, tx, sc.account, arn, prefix, wantKind, tx.ListEntitiesForPolicy); err != nil {
				return err
			}
		}
		if usage != iamapi.PolicyUsageTypePermissionsPolicy {
			b, err := policyEntities(ctx, tx, sc.account, arn, prefix, wantKind, tx.ListBoundaryEntities)
			if err != nil {
				return err
			}
			all = mergeEntities(all, b)
		}
		for _, e := range all {
			if pg.after == "" || e.key > pg.after {
				rows = append(rows, e)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	rows, truncated, marker := paginate(rows, pg, func(e policyEntity) string { return e.key })
	out := &iamapi.ListEntitiesForPolicyResponse{
		PolicyGroups: []iamapi.PolicyGroup{},
		PolicyUsers:  []iamapi.PolicyUser{},
		PolicyRoles:  []iamapi.PolicyRole{},
		IsTruncated:  truncated,
		Marker:       marker,
	}
	for _, e := range rows {
		switch e.kind {
		case storage.OwnerUser:
			out.PolicyUsers = append(out.PolicyUsers, iamapi.PolicyUser{UserName: ptr(e.name), UserId: ptr(e.id)})
		case storage.OwnerGroup:
			out.PolicyGroups = append(out.PolicyGroups, iamapi.PolicyGroup{GroupName: ptr(e.name), GroupId: ptr(e.id)})
		case storage.OwnerRole:
			out.PolicyRoles = append(out.PolicyRoles, iamapi.PolicyRole{RoleName: ptr(e.name), RoleId: ptr(e.id)})
		}
	}
	return out, nil
}

// ownerPathID reads the path and unique ID of a user, group or role.
func ownerPathID(ctx context.Context, tx storage.Tx, acct string, o storage.Owner) (path, id string, err error) {
	switch o.Kind {
	case storage.OwnerUser:
		u, err := tx.GetUser(ctx, acct, o.Name)
		if err != nil {
			return "", "", err
		}
		return u.Path, u.ID, nil
	case storage.OwnerGroup:
		g, err := tx.GetGroup(ctx, acct, o.Name)
		if err != nil {
			return "", "", err
		}
		return g.Path, g.ID, nil
	case storage.OwnerRole:
		r, err := tx.GetRole(ctx, acct, o.Name)
		if err != nil {
			return "", "", err
		}
		return r.Path, r.ID, nil
	}
	return "", "", fmt.Errorf("unknown owner kind %q", o.Kind)
}

// policyEntities lists the users, groups and roles under prefix that list (the store's attachment or
// permissions-boundary index) returns for a policy, in key order, with their unique IDs.
func policyEntities(ctx context.Context, tx storage.Tx, acct, arn, prefix string, want func(storage.OwnerKind) bool,
	list func(ctx context.Context, acct, policyARN string, opts storage.ListOptions) ([]storage.Owner, error)) ([]policyEntity, error) {
	owners, err := list(ctx, acct, arn, storage.ListOptions{PathPrefix: prefix})
	if err != nil {
		return nil, err
	}
	var out []policyEntity
	for _, o := range owners {
		if !want(o.Kind) {
			continue
		}
		_, id, err := ownerPathID(ctx, tx, acct, o)
		if err != nil {
			return nil, err
		}
		out = append(out, policyEntity{key: o.Key(), kind: o.Kind, name: o.Name, id: id})
	}
	// The store orders by the same key, but with its own collation; mergeEntities and the marker need
	// Go's byte order.
	sort.Slice(out, func(i, j int) bool { return out[i].key < out[j].key })
	return out, nil
}

// mergeEntities merges two key-ordered lists, dropping duplicates (an entity can both have the policy
// attached and use it as its boundary; it is listed once).
func mergeEntities(a, b []policyEntity) []policyEntity {
	out := make([]policyEntity, 0, len(a)+len(b))
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case j == len(b) || (i < len(a) && a[i].key < b[j].key):
			out = append(out, a[i])
			i++
		case i == len(a) || b[j].key < a[i].key:
			out = append(out, b[j])
			j++
		default:
			out = append(out, a[i])
			i++
			j++
		}
	}
	return out
}
