package iam

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/iamd/iamd/internal/api/iamapi"
	"github.com/iamd/iamd/internal/policy"
	"github.com/iamd/iamd/internal/storage"
)

// authDetailsBatch is how many entities of a section GetAccountAuthorizationDetails reads per query.
const authDetailsBatch = 100

// Sections of GetAccountAuthorizationDetails, in the order AWS returns them; the position key of an item is
// its section's prefix followed by its name, so one marker resumes across sections.
var authSections = []struct {
	prefix string
	filter string
}{
	{"1:", iamapi.EntityTypeUser},
	{"2:", iamapi.EntityTypeGroup},
	{"3:", iamapi.EntityTypeRole},
	{"4:", iamapi.EntityTypeAWSManagedPolicy},
	{"5:", iamapi.EntityTypeLocalManagedPolicy},
}

// GetAccountAuthorizationDetails returns the account's users, groups and roles with their policies, and
// the managed policies in use (AWS managed policies attached somewhere, every customer managed policy with
// all its versions). Documents are URL-encoded; MaxItems counts items across all sections.
func (s *Service) GetAccountAuthorizationDetails(ctx context.Context, in *iamapi.GetAccountAuthorizationDetailsRequest) (*iamapi.GetAccountAuthorizationDetailsResponse, error) {
	sc, err := s.scopeOf(ctx)
	if err != nil {
		return nil, err
	}
	pg, err := pageOf(in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	want := map[string]bool{}
	for _, f := range in.Filter {
		want[f] = true
	}
	if pg.after != "" && (len(pg.after) < 2 || pg.after[1] != ':' || pg.after[0] < '1' || pg.after[0] > '5') {
		return nil, iamapi.NewInvalidInputException("Invalid Marker.")
	}

	var (
		items []authItem
		// budget is what is left of the page's policy document bytes; cut says the walk stopped on it.
		budget int
		cut    bool
	)
	err = s.store.View(ctx, func(tx storage.Tx) error {
		items, budget, cut = nil, authDetailsPageBytes, false
		for _, sec := range authSections {
			if len(want) > 0 && !want[sec.filter] {
				continue
			}
			after := ""
			switch {
			case pg.after == "":
			case pg.after[:2] > sec.prefix:
				continue // section already done
			case pg.after[:2] == sec.prefix:
				after = pg.after[2:]
			}
			var err error
			var list []authItem
			var stopped bool
			// pre holds the details of the owners of the batch being rendered (prefetchDetails).
			var pre map[string]*storage.OwnerDetails
			switch sec.filter {
			case iamapi.EntityTypeUser:
				list, stopped, err = authItems(ctx, after, pg.limit()-len(items), &budget, func(opts storage.ListOptions) ([]*storage.User, error) {
					return tx.ListUsers(ctx, sc.account, opts)
				}, func(u *storage.User) string { return u.Name }, prefetchDetails(ctx, tx, sc.account, storage.OwnerUser, &pre, func(u *storage.User) string { return u.Name }),
					func(u *storage.User) (func(*iamapi.GetAccountAuthorizationDetailsResponse), int, error) {
						d, size, err := s.userDetail(ctx, tx, sc, u, pre)
						return func(out *iamapi.GetAccountAuthorizationDetailsResponse) {
							out.UserDetailList = append(out.UserDetailList, d)
						}, size, err
					}, sec.prefix)
			case iamapi.EntityTypeGroup:
				list, stopped, err = authItems(ctx, after, pg.limit()-len(items), &budget, func(opts storage.ListOptions) ([]*storage.Group, error) {
					return tx.ListGroups(ctx, sc.account, opts)
				}, func(g *storage.Group) string { return g.Name }, prefetchDetails(ctx, tx, sc.account, storage.OwnerGroup, &pre, func(g *storage.Group) string { return g.Name }),
					func(g *storage.Group) (func(*iamapi.GetAccountAuthorizationDetailsResponse), int, error) {
						d, size, err := s.groupDetail(ctx, tx, sc, g, pre)
						return func(out *iamapi.GetAccountAuthorizationDetailsResponse) {
							out.GroupDetailList = append(out.GroupDetailList, d)
						}, size, err
					}, sec.prefix)
			case iamapi.EntityTypeRole:
				list, stopped, err = authItems(ctx, after, pg.limit()-len(items), &budget, func(opts storage.ListOptions) ([]*storage.Role, error) {
					return tx.ListRoles(ctx, sc.account, opts)
				}, func(r *storage.Role) string { return r.Name }, prefetchDetails(ctx, tx, sc.account, storage.OwnerRole, &pre, func(r *storage.Role) string { return r.Name }),
					func(r *storage.Role) (func(*iamapi.GetAccountAuthorizationDetailsResponse), int, error) {
						d, size, err := s.roleDetail(ctx, tx, sc, r, pre)
						return func(out *iamapi.GetAccountAuthorizationDetailsResponse) {
							out.RoleDetailList = append(out.RoleDetailList, d)
						}, size, err
					}, sec.prefix)
			case iamapi.EntityTypeAWSManagedPolicy:
				usage, err2 := tx.ListPolicyUsage(ctx, sc.account)
				if err2 != nil {
					return err2
				}
				cat := s.managedCatalogue()
				var used []*awsManagedPolicy
				counts := map[string]storage.PolicyUsage{}
				for _, u := range usage {
					if p := cat.lookupARN(sc.partition, u.ARN); p != nil && (u.Attachments > 0 || u.BoundaryUses > 0) {
						used = append(used, p)
						counts[p.Name] = u
					}
				}
				sortAWSPolicies(used)
				for _, p := range used {
					if after != "" && !policyNameLess(after, p.Name) {
						continue
					}
					if len(list)+len(items) >= pg.limit() {
						break
					}
					if budget <= 0 {
						stopped = true
						break
					}
					budget -= len(p.Document)
					d := sc.awsPolicyDetail(p, counts[p.Name])
					list = append(list, authItem{sec.prefix + p.Name, func(out *iamapi.GetAccountAuthorizationDetailsResponse) { out.Policies = append(out.Policies, d) }})
				}
			case iamapi.EntityTypeLocalManagedPolicy:
				list, stopped, err = authItems(ctx, after, pg.limit()-len(items), &budget, func(opts storage.ListOptions) ([]*storage.ManagedPolicy, error) {
					return tx.ListManagedPolicies(ctx, sc.account, opts)
				}, func(p *storage.ManagedPolicy) string { return p.Name }, nil, func(p *storage.ManagedPolicy) (func(*iamapi.GetAccountAuthorizationDetailsResponse), int, error) {
					d, size, err := sc.localPolicyDetail(ctx, tx, p)
					return func(out *iamapi.GetAccountAuthorizationDetailsResponse) { out.Policies = append(out.Policies, d) }, size, err
				}, sec.prefix)
			}
			if err != nil {
				return err
			}
			items = append(items, list...)
			if stopped {
				cut = true
				return nil
			}
			if len(items) >= pg.limit() {
				return nil
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	items, truncated, marker := paginate(items, pg, func(it authItem) string { return it.key })
	if cut && !*truncated && len(items) > 0 {
		// The page's document budget ended it: more may follow the last item.
		truncated, marker = ptr(true), ptr(base64.RawURLEncoding.EncodeToString([]byte(items[len(items)-1].key)))
	}
	out := &iamapi.GetAccountAuthorizationDetailsResponse{
		UserDetailList:  []iamapi.UserDetail{},
		GroupDetailList: []iamapi.GroupDetail{},
		RoleDetailList:  []iamapi.RoleDetail{},
		Policies:        []iamapi.ManagedPolicyDetail{},
		IsTruncated:     truncated,
		Marker:          marker,
	}
	for _, it := range items {
		it.add(out)
	}
	return out, nil
}

// authItem is one entry of GetAccountAuthorizationDetails: its position key and how to add it to the
// response (items are rendered inside the transaction, added to the response once the page is cut).
type authItem struct {
	key string
	add func(out *iamapi.GetAccountAuthorizationDetailsResponse)
}

// authItems reads up to limit entities of one section after a name, in batches, rendering each, until
// the page's document budget is spent (stopped then says more may follow). prefetch reads a batch's
// details within the budget left and returns the part of the batch it covers; render returns an item and
// the bytes of policy documents it holds. A page's first item is always rendered: the budget is full.
func authItems[T any](ctx context.Context, after string, limit int, budget *int, list func(storage.ListOptions) ([]T, error),
	name func(T) string, prefetch func(batch []T, maxBytes int) ([]T, error),
	render func(T) (func(*iamapi.GetAccountAuthorizationDetailsResponse), int, error), prefix string) (out []authItem, stopped bool, err error) {
	for len(out) < limit {
		if err := ctx.Err(); err != nil {
			return nil, false, err
		}
		if *budget <= 0 {
			return out, true, nil
		}
		want := min(authDetailsBatch, limit-len(out))
		batch, err := list(storage.ListOptions{After: after, Limit: want})
		if err != nil {
			return nil, false, err
		}
		more := len(batch) == want
		if len(batch) > 0 && prefetch != nil {
			read, err := prefetch(batch, *budget)
			if err != nil {
				return nil, false, err
			}
			more = more || len(read) < len(batch)
			batch = read
		}
		for _, e := range batch {
			if *budget <= 0 {
				return out, true, nil // an item before this one, on this page, spent it
			}
			add, size, err := render(e)
			if err != nil {
				return nil, false, err
			}
			*budget -= size
			out = append(out, authItem{key: prefix + name(e), add: add})
		}
		if !more {
			break
		}
		after = name(batch[len(batch)-1])
	}
	return out, false, nil
}

// sortAWSPolicies orders AWS managed policies as the catalogue lists them.
func sortAWSPolicies(ps []*awsManagedPolicy) {
	sort.Slice(ps, func(i, j int) bool { return policyNameLess(ps[i].Name, ps[j].Name) })
}

// prefetchDetails returns the prefetch of authItems for owners of kind: it reads the details of a whole
// batch (listed in folded-name order, so its owners are exactly those between its first and last) into
// *pre, in three queries, instead of several per owner. Once the inline documents read reach maxBytes the
// store stops at an owner's end, and the batch is cut after that owner.
func prefetchDetails[T any](ctx context.Context, tx storage.Tx, acct string, kind storage.OwnerKind, pre *map[string]*storage.OwnerDetails,
	name func(T) string) func(batch []T, maxBytes int) ([]T, error) {
	return func(batch []T, maxBytes int) ([]T, error) {
		details, through, err := tx.OwnerDetailsInRange(ctx, acct, kind, storage.Fold(name(batch[0])), storage.Fold(name(batch[len(batch)-1])), maxBytes)
		if err != nil {
			return nil, err
		}
		*pre = details
		n := len(batch)
		for n > 1 && storage.Fold(name(batch[n-1])) > through {
			n--
		}
		return batch[:n], nil
	}
}

// detailsOf returns an owner's details from the batch's prefetched ones (an owner absent from them has
// none).
func detailsOf(pre map[string]*storage.OwnerDetails, owner string) *storage.OwnerDetails {
	if d := pre[storage.Fold(owner)]; d != nil {
		return d
	}
	return &storage.OwnerDetails{}
}

// inlineDetails renders inline policies with URL-encoded documents.
func inlineDetails(list []*storage.InlinePolicy) []iamapi.PolicyDetail {
	out := make([]iamapi.PolicyDetail, len(list))
	for i, p := range list {
		out[i] = iamapi.PolicyDetail{PolicyName: ptr(p.Name), PolicyDocument: ptr(encodeDocument(p.Document))}
	}
	return out
}

// attachedDetails renders attached managed policies.
func attachedDetails(arns []string) []iamapi.AttachedPolicy {
	out := make([]iamapi.AttachedPolicy, len(arns))
	for i, a := range arns {
		out[i] = attachedPolicyOut(a)
	}
	return out
}

// inlineBytes is the size of an owner's inline policy documents.
func inlineBytes(list []*storage.InlinePolicy) int {
	n := 0
	for _, p := range list {
		n += len(p.Document)
	}
	return n
}

// userDetail renders a user, with the bytes of policy documents it holds.
func (s *Service) userDetail(ctx context.Context, tx storage.Tx, sc scope, u *storage.User, pre map[string]*storage.OwnerDetails) (iamapi.UserDetail, int, error) {
	d := iamapi.UserDetail{
		Path:       ptr(u.Path),
		UserName:   ptr(u.Name),
		UserId:     ptr(u.ID),
		Arn:        ptr(sc.userARN(u.Path, u.Name)),
		CreateDate: timePtr(u.CreatedAt),
		Tags:       tagsOut(u.Tags),
		GroupList:  []string{},
	}
	if u.PermissionsBoundaryARN != "" {
		d.PermissionsBoundary = boundaryOut(u.PermissionsBoundaryARN)
	}
	od := detailsOf(pre, u.Name)
	d.UserPolicyList = inlineDetails(od.Inline)
	d.AttachedManagedPolicies = attachedDetails(od.Attached)
	for _, g := range od.Groups {
		d.GroupList = append(d.GroupList, g.Name)
	}
	return d, inlineBytes(od.Inline), nil
}

func (s *Service) groupDetail(ctx context.Context, tx storage.Tx, sc scope, g *storage.Group, pre map[string]*storage.OwnerDetails) (iamapi.GroupDetail, int, error) {
	d := iamapi.GroupDetail{
		Path:       ptr(g.Path),
		GroupName:  ptr(g.Name),
		GroupId:    ptr(g.ID),
		Arn:        ptr(sc.groupARN(g.Path, g.Name)),
		CreateDate: timePtr(g.CreatedAt),
	}
	od := detailsOf(pre, g.Name)
	d.GroupPolicyList = inlineDetails(od.Inline)
	d.AttachedManagedPolicies = attachedDetails(od.Attached)
	return d, inlineBytes(od.Inline), nil
}

func (s *Service) roleDetail(ctx context.Context, tx storage.Tx, sc scope, r *storage.Role, pre map[string]*storage.OwnerDetails) (iamapi.RoleDetail, int, error) {
	s.overlayRoleUse(r) // RoleLastUsed is written behind: add a use noted on this node but not yet written
	if err := showTrust(ctx, tx, r); err != nil {
		return iamapi.RoleDetail{}, 0, err
	}
	d := iamapi.RoleDetail{
		Path:                     ptr(r.Path),
		RoleName:                 ptr(r.Name),
		RoleId:                   ptr(r.ID),
		Arn:                      ptr(sc.roleARN(r.Path, r.Name)),
		CreateDate:               timePtr(r.CreatedAt),
		AssumeRolePolicyDocument: ptr(encodeDocument(r.AssumeRolePolicyDocument)),
		Tags:                     tagsOut(r.Tags),
		RoleLastUsed:             roleLastUsedOut(r),
	}
	if r.PermissionsBoundaryARN != "" {
		d.PermissionsBoundary = boundaryOut(r.PermissionsBoundaryARN)
	}
	od := detailsOf(pre, r.Name)
	d.RolePolicyList = inlineDetails(od.Inline)
	d.AttachedManagedPolicies = attachedDetails(od.Attached)
	profiles, err := tx.ListInstanceProfilesForRole(ctx, sc.account, r.Name, storage.ListOptions{})
	if err != nil {
		return d, 0, err
	}
	d.InstanceProfileList = make([]iamapi.InstanceProfile, len(profiles))
	for i, p := range profiles {
		if d.InstanceProfileList[i], err = sc.instanceProfileOut(ctx, tx, p, false); err != nil {
			return d, 0, err
		}
	}
	// Each instance profile lists the role again, trust policy included.
	return d, inlineBytes(od.Inline) + (1+len(profiles))*len(r.AssumeRolePolicyDocument), nil
}

func (sc scope) awsPolicyDetail(p *awsManagedPolicy, u storage.PolicyUsage) iamapi.ManagedPolicyDetail {
	return iamapi.ManagedPolicyDetail{
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
		PolicyVersionList:             []iamapi.PolicyVersion{versionOut(awsVersion(p), p.DefaultVersionID, true)},
	}
}

// localPolicyDetail renders a customer managed policy with all its versions, with the bytes of their
// documents.
func (sc scope) localPolicyDetail(ctx context.Context, tx storage.Tx, p *storage.ManagedPolicy) (iamapi.ManagedPolicyDetail, int, error) {
	d := iamapi.ManagedPolicyDetail{
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
	if p.Description != "" {
		d.Description = ptr(p.Description)
	}
	versions, err := tx.ListPolicyVersions(ctx, sc.account, p.Name)
	if err != nil {
		return d, 0, err
	}
	size := 0
	d.PolicyVersionList = make([]iamapi.PolicyVersion, len(versions))
	for i, v := range versions {
		d.PolicyVersionList[i] = versionOut(v, p.DefaultVersionID, true)
		size += len(v.Document)
	}
	return d, size, nil
}

// PrincipalPolicy is one policy document that applies to a principal.
type PrincipalPolicy struct {
	// ID names the policy for people: "user/alice/inline-name", "group/devs/inline-name", or the managed
	// policy's ARN.
	ID string
	// ARN is the managed policy's ARN ("" for inline policies).
	ARN      string
	Source   policy.SourceType
	Document string // as stored (not URL-encoded)
}

// PrincipalPolicies are the identity-based policies and the permissions boundary of a user or role.
type PrincipalPolicies struct {
	Kind storage.OwnerKind
	Name string
	Path string
	ID   string
	Tags []storage.Tag
	// Identity holds the principal's inline and attached managed policies and, for a user, those of each
	// group it belongs to.
	Identity []PrincipalPolicy
	// Boundary is the permissions boundary's default version, nil when none is set.
	Boundary *PrincipalPolicy
}

// Set parses the documents into a policy.Set (Identity and Boundary) ready for policy.Evaluate. Stored
// documents were validated when written; one that no longer parses is reported rather than skipped, so a
// principal never silently gains or loses permissions.
func (pp *PrincipalPolicies) Set() (*policy.Set, error) {
	set := &policy.Set{Identity: make([]policy.Attached, 0, len(pp.Identity))}
	compile := func(p PrincipalPolicy, kind policy.Kind) (policy.Attached, error) {
		parsed, err := policy.ParseStored(p.Document, kind)
		if err != nil {
			return policy.Attached{}, fmt.Errorf("policy %s of %s %s: %w", p.ID, pp.Kind, pp.Name, err)
		}
		return policy.Attached{Policy: parsed, ID: p.ID, ARN: p.ARN, Source: p.Source}, nil
	}
	for _, p := range pp.Identity {
		a, err := compile(p, policy.KindIdentity)
		if err != nil {
			return nil, err
		}
		set.Identity = append(set.Identity, a)
	}
	if pp.Boundary != nil {
		a, err := compile(*pp.Boundary, policy.KindBoundary)
		if err != nil {
			return nil, err
		}
		set.Boundary = &a
	}
	return set, nil
}

// missingBoundaryDocument stands for a permissions boundary whose policy no longer exists: it allows nothing.
const missingBoundaryDocument = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","NotAction":"*","Resource":"*"}]}`

// PoliciesForPrincipal collects the policies that govern a user or role of account (kind is
// storage.OwnerUser or storage.OwnerRole), reading everything in one snapshot: inline policies, attached
// managed policies (default versions), for users their groups' inline and managed policies, and the
// permissions boundary. A missing principal is an error matching storage.ErrNotFound.
func (s *Service) PoliciesForPrincipal(ctx context.Context, account string, kind storage.OwnerKind, name string) (*PrincipalPolicies, error) {
	if kind != storage.OwnerUser && kind != storage.OwnerRole {
		return nil, fmt.Errorf("policies for principal: kind %q is not a principal", kind)
	}
	var out *PrincipalPolicies
	err := s.store.View(ctx, func(tx storage.Tx) error {
		out = &PrincipalPolicies{Kind: kind}
		var boundary string
		switch kind {
		case storage.OwnerUser:
			u, err := tx.GetUser(ctx, account, name)
			if err != nil {
				return err
			}
			out.Name, out.Path, out.ID, out.Tags, boundary = u.Name, u.Path, u.ID, u.Tags, u.PermissionsBoundaryARN
		case storage.OwnerRole:
			r, err := tx.GetRole(ctx, account, name)
			if err != nil {
				return err
			}
			out.Name, out.Path, out.ID, out.Tags, boundary = r.Name, r.Path, r.ID, r.Tags, r.PermissionsBoundaryARN
		}
		if err := s.collectOwnerPolicies(ctx, tx, account, kind, out.Name, &out.Identity); err != nil {
			return err
		}
		if kind == storage.OwnerUser {
			groups, err := tx.ListGroupsForUser(ctx, account, out.Name, storage.ListOptions{})
			if err != nil {
				return err
			}
			for _, g := range groups {
				if err := s.collectOwnerPolicies(ctx, tx, account, storage.OwnerGroup, g.Name, &out.Identity); err != nil {
					return err
				}
			}
		}
		if boundary != "" {
			p, err := s.managedDocument(ctx, tx, account, boundary)
			if errors.Is(err, storage.ErrNotFound) {
				// The boundary cannot vanish through the API (DeletePolicy refuses while it is in use), but
				// an AWS managed policy can leave the catalogue. A boundary that cannot be read allows
				// nothing: failing closed, and reported as the boundary, not as a missing principal.
				p, err = &PrincipalPolicy{ID: boundary, ARN: boundary, Source: policy.SourceNone, Document: missingBoundaryDocument}, nil
			}
			if err != nil {
				return err
			}
			out.Boundary = p
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("policies for %s %s in %s: %w", kind, name, account, err)
	}
	return out, nil
}

// collectOwnerPolicies appends an owner's inline and attached managed policies to dst.
func (s *Service) collectOwnerPolicies(ctx context.Context, tx storage.Tx, account string, kind storage.OwnerKind, owner string, dst *[]PrincipalPolicy) error {
	inline, err := tx.ListInlinePolicies(ctx, account, kind, owner, storage.ListOptions{})
	if err != nil {
		return err
	}
	source := map[storage.OwnerKind]policy.SourceType{storage.OwnerUser: policy.SourceUser, storage.OwnerGroup: policy.SourceGroup, storage.OwnerRole: policy.SourceRole}[kind]
	for _, p := range inline {
		*dst = append(*dst, PrincipalPolicy{ID: string(kind) + "/" + owner + "/" + p.Name, Source: source, Document: p.Document})
	}
	arns, err := tx.ListAttachedPolicies(ctx, account, kind, owner, storage.ListOptions{})
	if err != nil {
		return err
	}
	for _, arn := range arns {
		p, err := s.managedDocument(ctx, tx, account, arn)
		if errors.Is(err, storage.ErrNotFound) {
			continue // attached policy deleted meanwhile: it grants nothing
		}
		if err != nil {
			return err
		}
		*dst = append(*dst, *p)
	}
	return nil
}

// managedDocument returns the default version of a managed policy named by ARN.
func (s *Service) managedDocument(ctx context.Context, tx storage.Tx, account, arn string) (*PrincipalPolicy, error) {
	_, acct, path, name, err := splitPolicyARN(arn)
	if err != nil {
		return nil, fmt.Errorf("policy %s: %w", arn, storage.ErrNotFound)
	}
	if acct == awsManagedAccount {
		// Accept the ARN in any partition: the catalogue is the same everywhere.
		p := s.managedCatalogue().byName[name]
		if p == nil || p.Path != path {
			return nil, fmt.Errorf("aws managed policy %s: %w", arn, storage.ErrNotFound)
		}
		return &PrincipalPolicy{ID: arn, ARN: arn, Source: policy.SourceAWSManaged, Document: p.Document}, nil
	}
	if acct != account {
		return nil, fmt.Errorf("policy %s: %w", arn, storage.ErrNotFound)
	}
	mp, err := tx.GetManagedPolicy(ctx, account, name)
	if err != nil {
		return nil, err
	}
	if mp.Path != path || !strings.EqualFold(mp.Name, name) {
		return nil, fmt.Errorf("policy %s: %w", arn, storage.ErrNotFound)
	}
	v, err := tx.GetPolicyVersion(ctx, account, mp.Name, mp.DefaultVersionID)
	if err != nil {
		return nil, err
	}
	return &PrincipalPolicy{ID: arn, ARN: arn, Source: policy.SourceUserManaged, Document: v.Document}, nil
}

// ManagedPolicyDocument returns the default version of a managed policy (customer managed in account, or
// AWS managed) by ARN, for session policies passed as PolicyArns. A missing policy matches
// storage.ErrNotFound.
func (s *Service) ManagedPolicyDocument(ctx context.Context, account, arn string) (*PrincipalPolicy, error) {
	var out *PrincipalPolicy
	err := s.store.View(ctx, func(tx storage.Tx) error {
		var err error
		out, err = s.managedDocument(ctx, tx, account, arn)
		return err
	})
	return out, err
}
