package iam

import (
	"cmp"
	"context"
	"encoding/base64"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/iamd/iamd/internal/api/iamapi"
	"github.com/iamd/iamd/internal/ids"
	"github.com/iamd/iamd/internal/policy"
	"github.com/iamd/iamd/internal/storage"
)

// Access advisor (IAM User Guide, "Refining permissions in AWS using last accessed information"): every
// authenticated request of a user or role is noted per service action (RecordServiceAccess, written
// behind with the key and role uses), and a report lists the services the entity's policies allow with
// the last authenticated access to each. A user's or role's report reads its own accesses; a group's,
// its members' accesses to the services the group's policies allow; a managed policy's, the accesses of
// the users and roles it is attached to (directly or through a group) to the services it allows.
// Reports are built when generated and kept in memory on the node that generated them (accessJobTTL,
// accessJobsMax).

// serviceNames are the display names of the namespaces iamd serves (its models); other namespaces a
// policy names are listed under the namespace itself.
var serviceNames = map[string]string{
	"iam":        "AWS Identity and Access Management",
	"sts":        "AWS Security Token Service",
	"account":    "AWS Account Management",
	"cloudtrail": "AWS CloudTrail",
}

// trackedActionNamespaces are the namespaces whose actions an ACTION_LEVEL report details (AWS tracks
// actions for a few services, IAM and STS among them).
var trackedActionNamespaces = map[string]bool{"iam": true, "sts": true}

// accessPrincipal is a user or role whose accesses a report reads.
type accessPrincipal struct {
	kind storage.OwnerKind
	name string
	info iamapi.EntityInfo
}

// accessJob is one generated report.
type accessJob struct {
	account   string
	owner     string // the caller that generated it: only it may read the report (jobOwner)
	typ       string // SERVICE_LEVEL or ACTION_LEVEL
	created   time.Time
	completed time.Time
	services  []iamapi.ServiceLastAccessed
	entities  map[string][]iamapi.EntityDetails // by namespace
}

// accessJobs holds the generated reports, at most accessJobsMax.
type accessJobs struct {
	mu   sync.Mutex
	jobs map[string]*accessJob
}

func (j *accessJobs) put(id string, job *accessJob, now time.Time) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.jobs == nil {
		j.jobs = make(map[string]*accessJob)
	}
	for k, v := range j.jobs {
		if now.Sub(v.created) > accessJobTTL {
			delete(j.jobs, k)
		}
	}
	for len(j.jobs) >= accessJobsMax {
		oldest := ""
		for k, v := range j.jobs {
			if oldest == "" || v.created.Before(j.jobs[oldest].created) {
				oldest = k
			}
		}
		delete(j.jobs, oldest)
	}
	j.jobs[id] = job
}

func (j *accessJobs) get(id, account, owner string, now time.Time) (*accessJob, bool) {
	j.mu.Lock()
	defer j.mu.Unlock()
	job, ok := j.jobs[id]
	if !ok || job.account != account || job.owner != owner || now.Sub(job.created) > accessJobTTL {
		return nil, false
	}
	return job, true
}

// held is the number of reports held (MemoryHeld).
func (j *accessJobs) held() int {
	j.mu.Lock()
	defer j.mu.Unlock()
	return len(j.jobs)
}

// reset forgets every report (a dev-mode reset deleted the entities they describe).
func (j *accessJobs) reset() {
	j.mu.Lock()
	defer j.mu.Unlock()
	clear(j.jobs)
}

// jobOwner names the caller a report belongs to: AWS answers a JobId only to the user, or the role
// session, that generated it (GenerateServiceLastAccessedDetails in the IAM API Reference). The unique ID
// keeps a user recreated under the same name out.
func jobOwner(sc scope) string {
	if sc.caller == nil {
		return ""
	}
	return sc.caller.PrincipalID + " " + sc.caller.ARN
}

func noSuchJob(id string) error {
	return iamapi.NewNoSuchEntityException("No job found with jobId " + id + ".")
}

// accessSubject is what a report is about: its policies and the principals whose accesses count.
type accessSubject struct {
	policies   []PrincipalPolicy
	principals []accessPrincipal
}

func entityInfo(sc scope, kind, path, name, id string) iamapi.EntityInfo {
	typ := map[string]string{ids.KindUser: "USER", ids.KindRole: "ROLE", ids.KindGroup: "GROUP", ids.KindPolicy: "POLICY"}[kind]
	return iamapi.EntityInfo{Arn: ptr(sc.arn(kind, path, name)), Name: ptr(name), Type: ptr(typ), Id: ptr(id), Path: ptr(cmp.Or(path, "/"))}
}

// subjectOf reads the entity arn names: a user, group, role or managed policy of the caller's account.
// allowPolicy admits a managed policy ARN (the reports; ListPoliciesGrantingServiceAccess takes principals only).
func (s *Service) subjectOf(ctx context.Context, tx storage.Tx, sc scope, arn string, allowPolicy bool) (*accessSubject, error) {
	a, err := ids.ParseARN(arn)
	var r ids.IAMResource
	if err == nil {
		r, err = ids.ParseIAMResource(a.Resource)
	}
	if err != nil || a.Service != "iam" || a.Region != "" ||
		(r.Kind != ids.KindUser && r.Kind != ids.KindGroup && r.Kind != ids.KindRole && !(allowPolicy && r.Kind == ids.KindPolicy)) {
		return nil, iamapi.NewInvalidInputException("Invalid ARN: " + arn + ".")
	}
	if r.Kind == ids.KindPolicy {
		return s.policySubject(ctx, tx, sc, arn)
	}
	nse := map[string]func(string) error{ids.KindUser: noSuchUser, ids.KindGroup: noSuchGroup, ids.KindRole: noSuchRole}[r.Kind]
	if a.Account != sc.account || a.Partition != sc.partition {
		return nil, nse(r.Name)
	}
	out := &accessSubject{}
	switch r.Kind {
	case ids.KindUser:
		u, err := tx.GetUser(ctx, sc.account, r.Name)
		if err != nil {
			return nil, notFound(err, func() error { return noSuchUser(r.Name) })
		}
		out.principals = []accessPrincipal{{storage.OwnerUser, u.Name, entityInfo(sc, ids.KindUser, u.Path, u.Name, u.ID)}}
		if err := s.collectOwnerPolicies(ctx, tx, sc.account, storage.OwnerUser, u.Name, &out.policies); err != nil {
			return nil, err
		}
		groups, err := tx.ListGroupsForUser(ctx, sc.account, u.Name, storage.ListOptions{})
		if err != nil {
			return nil, err
		}
		for _, g := range groups {
			if err := s.collectOwnerPolicies(ctx, tx, sc.account, storage.OwnerGroup, g.Name, &out.policies); err != nil {
				return nil, err
			}
		}
	case ids.KindRole:
		ro, err := tx.GetRole(ctx, sc.account, r.Name)
		if err != nil {
			return nil, notFound(err, func() error { return noSuchRole(r.Name) })
		}
		out.principals = []accessPrincipal{{storage.OwnerRole, ro.Name, entityInfo(sc, ids.KindRole, ro.Path, ro.Name, ro.ID)}}
		if err := s.collectOwnerPolicies(ctx, tx, sc.account, storage.OwnerRole, ro.Name, &out.policies); err != nil {
			return nil, err
		}
	case ids.KindGroup:
		g, err := tx.GetGroup(ctx, sc.account, r.Name)
		if err != nil {
			return nil, notFound(err, func() error { return noSuchGroup(r.Name) })
		}
		if err := s.collectOwnerPolicies(ctx, tx, sc.account, storage.OwnerGroup, g.Name, &out.policies); err != nil {
			return nil, err
		}
		if err := s.addMembers(ctx, tx, sc, g.Name, out); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (s *Service) addMembers(ctx context.Context, tx storage.Tx, sc scope, group string, out *accessSubject) error {
	users, err := tx.ListUsersInGroup(ctx, sc.account, group, storage.ListOptions{Limit: accessReportMaxPrincipals})
	if err != nil {
		return err
	}
	for _, u := range users {
		out.add(accessPrincipal{storage.OwnerUser, u.Name, entityInfo(sc, ids.KindUser, u.Path, u.Name, u.ID)})
	}
	return nil
}

// add counts p in the report, up to accessReportMaxPrincipals.
func (sub *accessSubject) add(p accessPrincipal) {
	if len(sub.principals) < accessReportMaxPrincipals {
		sub.principals = append(sub.principals, p)
	}
}

// policySubject is a managed policy and the users and roles it reaches.
func (s *Service) policySubject(ctx context.Context, tx storage.Tx, sc scope, arn string) (*accessSubject, error) {
	if _, err := s.resolvePolicy(ctx, tx, sc, arn, noSuchPolicy); err != nil {
		return nil, err
	}
	doc, err := s.managedDocument(ctx, tx, sc.account, arn)
	if err != nil {
		return nil, notFound(err, func() error { return noSuchPolicy(arn) })
	}
	out := &accessSubject{policies: []PrincipalPolicy{*doc}}
	owners, err := tx.ListEntitiesForPolicy(ctx, sc.account, arn, storage.ListOptions{Limit: accessReportMaxPrincipals})
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for _, o := range owners {
		switch o.Kind {
		case storage.OwnerGroup:
			if err := s.addMembers(ctx, tx, sc, o.Name, out); err != nil {
				return nil, err
			}
		case storage.OwnerUser:
			u, err := tx.GetUser(ctx, sc.account, o.Name)
			if err == nil {
				out.add(accessPrincipal{storage.OwnerUser, u.Name, entityInfo(sc, ids.KindUser, u.Path, u.Name, u.ID)})
			}
		case storage.OwnerRole:
			r, err := tx.GetRole(ctx, sc.account, o.Name)
			if err == nil {
				out.add(accessPrincipal{storage.OwnerRole, r.Name, entityInfo(sc, ids.KindRole, r.Path, r.Name, r.ID)})
			}
		}
	}
	// A user in two groups that carry the policy counts once.
	out.principals = slices.DeleteFunc(out.principals, func(p accessPrincipal) bool {
		k := string(p.kind) + "/" + storage.Fold(p.name)
		if seen[k] {
			return true
		}
		seen[k] = true
		return false
	})
	return out, nil
}

// compiled parses the subject's policies (validated when written).
func (sub *accessSubject) compiled() ([]*policy.Policy, error) {
	out := make([]*policy.Policy, 0, len(sub.policies))
	for _, p := range sub.policies {
		c, err := policy.ParseStored(p.Document, policy.KindIdentity)
		if err != nil {
			return nil, fmt.Errorf("policy %s: %w", p.ID, err)
		}
		out = append(out, c)
	}
	return out, nil
}

// grantedNamespaces lists the namespaces the policies allow: those named literally, and those iamd
// serves when a wildcard vendor ("*") reaches them.
func grantedNamespaces(pols []*policy.Policy) []string {
	var out []string
	add := func(ns string) {
		if !slices.Contains(out, ns) {
			out = append(out, ns)
		}
	}
	for _, p := range pols {
		for _, ns := range p.Namespaces() {
			add(ns)
		}
		for ns := range serviceNames {
			if p.AllowsNamespace(ns) {
				add(ns)
			}
		}
	}
	slices.Sort(out)
	return out
}

// GenerateServiceLastAccessedDetails builds the report of a user, group, role or managed policy.
func (s *Service) GenerateServiceLastAccessedDetails(ctx context.Context, in *iamapi.GenerateServiceLastAccessedDetailsRequest) (*iamapi.GenerateServiceLastAccessedDetailsResponse, error) {
	sc, err := s.scopeOf(ctx)
	if err != nil {
		return nil, err
	}
	typ := cmp.Or(str(in.Granularity), "SERVICE_LEVEL")
	// The accesses noted on this node but not yet written count as well as the stored ones (the report
	// rows keep the later of the two per action).
	pending := s.pendingServiceAccess(sc.account)
	job := &accessJob{account: sc.account, owner: jobOwner(sc), typ: typ, created: sc.now, entities: map[string][]iamapi.EntityDetails{}}
	err = s.store.View(ctx, func(tx storage.Tx) error {
		job.services, job.entities = nil, map[string][]iamapi.EntityDetails{}
		sub, err := s.subjectOf(ctx, tx, sc, str(in.Arn), true)
		if err != nil {
			return err
		}
		pols, err := sub.compiled()
		if err != nil {
			return err
		}
		namespaces := grantedNamespaces(pols)
		for _, ns := range namespaces {
			job.services = append(job.services, iamapi.ServiceLastAccessed{ServiceNamespace: ptr(ns),
				ServiceName: ptr(cmp.Or(serviceNames[ns], ns)), TotalAuthenticatedEntities: ptr(int32(0))})
		}
		for _, p := range sub.principals {
			rows, err := tx.ListServiceAccess(ctx, sc.account, p.kind, p.name)
			if err != nil {
				return err
			}
			rows = append(rows, pending[accessOwner{p.kind, *p.info.Id}]...)
			job.add(p, rows, sc.now.Add(-accessTrackingPeriod))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	job.completed = s.now().UTC().Truncate(time.Second)
	id := ids.NewRequestID() // a random UUID, as AWS's job IDs are
	s.accessJobs.put(id, job, sc.now)
	return &iamapi.GenerateServiceLastAccessedDetailsResponse{JobId: ptr(id)}, nil
}

// add folds one principal's access rows into the report, leaving out those before since (outside the
// tracking period).
func (job *accessJob) add(p accessPrincipal, rows []storage.ServiceAccess, since time.Time) {
	for i := range job.services {
		svc := &job.services[i]
		ns := *svc.ServiceNamespace
		var last *storage.ServiceAccess
		for j := range rows {
			r := &rows[j]
			if r.Namespace != ns || r.At.Before(since) {
				continue
			}
			if last == nil || r.At.After(last.At) {
				last = r
			}
			if job.typ == "ACTION_LEVEL" && trackedActionNamespaces[ns] {
				job.addAction(svc, ns, p, r)
			}
		}
		if last == nil {
			continue
		}
		*svc.TotalAuthenticatedEntities++
		if svc.LastAuthenticated == nil || last.At.After(*svc.LastAuthenticated) {
			svc.LastAuthenticated, svc.LastAuthenticatedEntity, svc.LastAuthenticatedRegion = timePtr(last.At), p.info.Arn, ptr(last.Region)
		}
		job.entities[ns] = append(job.entities[ns], iamapi.EntityDetails{EntityInfo: &p.info, LastAuthenticated: timePtr(last.At)})
	}
}

func (job *accessJob) addAction(svc *iamapi.ServiceLastAccessed, ns string, p accessPrincipal, r *storage.ServiceAccess) {
	for k := range svc.TrackedActionsLastAccessed {
		a := &svc.TrackedActionsLastAccessed[k]
		if *a.ActionName == r.Action {
			if r.At.After(*a.LastAccessedTime) {
				a.LastAccessedTime, a.LastAccessedEntity, a.LastAccessedRegion = timePtr(r.At), p.info.Arn, ptr(r.Region)
			}
			return
		}
	}
	svc.TrackedActionsLastAccessed = append(svc.TrackedActionsLastAccessed, iamapi.TrackedActionLastAccessed{
		ActionName: ptr(r.Action), LastAccessedTime: timePtr(r.At), LastAccessedEntity: p.info.Arn, LastAccessedRegion: ptr(r.Region)})
	slices.SortFunc(svc.TrackedActionsLastAccessed, func(a, b iamapi.TrackedActionLastAccessed) int { return strings.Compare(*a.ActionName, *b.ActionName) })
}

// pageByIndex pages a report held in memory: the marker is the index of the next item.
func pageByIndex[T any](items []T, marker *string, maxItems *int32) ([]T, *bool, *string, error) {
	p, err := pageOf(marker, maxItems)
	if err != nil {
		return nil, nil, nil, err
	}
	from := 0
	if p.after != "" {
		n, err := strconv.Atoi(p.after)
		if err != nil || n < 0 || n > len(items) {
			return nil, nil, nil, iamapi.NewInvalidInputException("Invalid Marker.")
		}
		from = n
	}
	items = items[from:]
	if len(items) <= p.max {
		return items, ptr(false), nil, nil
	}
	m := base64.RawURLEncoding.EncodeToString([]byte(strconv.Itoa(from + p.max)))
	return items[:p.max], ptr(true), &m, nil
}

// accessJobOf finds the caller's report id.
func (s *Service) accessJobOf(ctx context.Context, id string) (*accessJob, error) {
	sc, err := s.scopeOf(ctx)
	if err != nil {
		return nil, err
	}
	job, ok := s.accessJobs.get(id, sc.account, jobOwner(sc), sc.now)
	if !ok {
		return nil, noSuchJob(id)
	}
	return job, nil
}

// GetServiceLastAccessedDetails returns a generated report, one page of services at a time.
func (s *Service) GetServiceLastAccessedDetails(ctx context.Context, in *iamapi.GetServiceLastAccessedDetailsRequest) (*iamapi.GetServiceLastAccessedDetailsResponse, error) {
	job, err := s.accessJobOf(ctx, str(in.JobId))
	if err != nil {
		return nil, err
	}
	svcs, trunc, marker, err := pageByIndex(job.services, in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	return &iamapi.GetServiceLastAccessedDetailsResponse{JobStatus: ptr("COMPLETED"), JobType: ptr(job.typ),
		JobCreationDate: timePtr(job.created), JobCompletionDate: timePtr(job.completed),
		ServicesLastAccessed: svcs, IsTruncated: trunc, Marker: marker}, nil
}

// GetServiceLastAccessedDetailsWithEntities lists, for one service of a generated report, the users and
// roles that accessed it, latest first.
func (s *Service) GetServiceLastAccessedDetailsWithEntities(ctx context.Context, in *iamapi.GetServiceLastAccessedDetailsWithEntitiesRequest) (*iamapi.GetServiceLastAccessedDetailsWithEntitiesResponse, error) {
	job, err := s.accessJobOf(ctx, str(in.JobId))
	if err != nil {
		return nil, err
	}
	ents := slices.Clone(job.entities[strings.ToLower(str(in.ServiceNamespace))])
	slices.SortStableFunc(ents, func(a, b iamapi.EntityDetails) int { return b.LastAuthenticated.Compare(*a.LastAuthenticated) })
	page, trunc, marker, err := pageByIndex(ents, in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	return &iamapi.GetServiceLastAccessedDetailsWithEntitiesResponse{JobStatus: ptr("COMPLETED"),
		JobCreationDate: timePtr(job.created), JobCompletionDate: timePtr(job.completed),
		EntityDetailsList: page, IsTruncated: trunc, Marker: marker}, nil
}

// ListPoliciesGrantingServiceAccess lists, per namespace asked, the policies of a user, group or role
// that allow some action of it (for a user, its groups' policies too).
func (s *Service) ListPoliciesGrantingServiceAccess(ctx context.Context, in *iamapi.ListPoliciesGrantingServiceAccessRequest) (*iamapi.ListPoliciesGrantingServiceAccessResponse, error) {
	sc, err := s.scopeOf(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := pageOf(in.Marker, nil); err != nil {
		return nil, err
	}
	var out []iamapi.ListPoliciesGrantingServiceAccessEntry
	err = s.store.View(ctx, func(tx storage.Tx) error {
		out = nil
		sub, err := s.subjectOf(ctx, tx, sc, str(in.Arn), false)
		if err != nil {
			return err
		}
		pols, err := sub.compiled()
		if err != nil {
			return err
		}
		for _, ns := range in.ServiceNamespaces {
			e := iamapi.ListPoliciesGrantingServiceAccessEntry{ServiceNamespace: ptr(ns), Policies: []iamapi.PolicyGrantingServiceAccess{}}
			for i, p := range pols {
				if p.AllowsNamespace(ns) {
					e.Policies = append(e.Policies, grantingPolicy(sub.policies[i]))
				}
			}
			out = append(out, e)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.ListPoliciesGrantingServiceAccessResponse{PoliciesGrantingServiceAccess: out, IsTruncated: ptr(false)}, nil
}

// grantingPolicy describes a policy for ListPoliciesGrantingServiceAccess: a managed policy by ARN, an
// inline one with its owner (its ID is "KIND/OWNER/NAME").
func grantingPolicy(p PrincipalPolicy) iamapi.PolicyGrantingServiceAccess {
	if p.ARN != "" {
		return iamapi.PolicyGrantingServiceAccess{PolicyName: ptr(p.ARN[strings.LastIndexByte(p.ARN, '/')+1:]),
			PolicyType: ptr("MANAGED"), PolicyArn: ptr(p.ARN)}
	}
	kind, rest, _ := strings.Cut(p.ID, "/")
	owner, name, _ := strings.Cut(rest, "/")
	return iamapi.PolicyGrantingServiceAccess{PolicyName: ptr(name), PolicyType: ptr("INLINE"),
		EntityType: ptr(strings.ToUpper(kind)), EntityName: ptr(owner)}
}

// GenerateOrganizationsAccessReport reports on an organization's entities; iamd has no organizations, so
// it answers as AWS answers an account outside any organization.
func (s *Service) GenerateOrganizationsAccessReport(ctx context.Context, _ *iamapi.GenerateOrganizationsAccessReportRequest) (*iamapi.GenerateOrganizationsAccessReportResponse, error) {
	return nil, s.orgFeatures(ctx)
}

// GetOrganizationsAccessReport likewise: no report can exist without an organization.
func (s *Service) GetOrganizationsAccessReport(ctx context.Context, _ *iamapi.GetOrganizationsAccessReportRequest) (*iamapi.GetOrganizationsAccessReportResponse, error) {
	return nil, s.orgFeatures(ctx)
}
