package iam

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/iamd/iamd/internal/api/iamapi"
	"github.com/iamd/iamd/internal/ids"
	"github.com/iamd/iamd/internal/policy"
	"github.com/iamd/iamd/internal/storage"
)

// The policy simulator: SimulatePrincipalPolicy, SimulateCustomPolicy and GetContextKeysFor*Policy run
// internal/policy's evaluation (the one that authorizes real requests) over the policies of a user, group
// or role, or over documents passed in, for every action × resource scenario.
//
// Like AWS's simulator, the request context holds only the ContextEntries the caller passes: keys a
// condition or a policy variable needs but the simulation lacks are reported in MissingContextValues.
//
// A simulation's cost is its scenarios times the weight of its policies (policy.Cost), and both come from
// the caller: a read-only principal may send a few hundred kilobytes of statements with a hundred actions
// and a hundred resources. So the weight of the policies and of the context is bounded (limits.go), only
// the scenarios of the requested page are evaluated, a page ends early once its work or its output reaches
// a budget, and each result lists a bounded number of matched statements.

// Policy IDs AWS gives policies passed in the request.
const (
	sourceIDInput          = "PolicyInputList."
	sourceIDBoundaryInput  = "PermissionsBoundaryPolicyInputList."
	sourceIDResourcePolicy = "ResourcePolicy"
)

// resourceHandlingOptions are the EC2 scenarios ResourceHandlingOption accepts.
var resourceHandlingOptions = map[string]bool{
	"EC2-Classic-InstanceStore": true, "EC2-Classic-EBS": true, "EC2-VPC-InstanceStore": true,
	"EC2-VPC-InstanceStore-Subnet": true, "EC2-VPC-EBS": true, "EC2-VPC-EBS-Subnet": true,
}

// simulation is one simulation request, with its policies compiled.
type simulation struct {
	principal policy.Principal
	set       policy.Set // Identity, Boundary, Resource; ResourceAccount per scenario
	owner     string     // account owning resources whose ARN names none (ResourceOwner or the caller's)
	context   map[string][]string
	actions   []string
	resources []string // nil: "*"
	// scenarioWork is what evaluating one scenario costs at most: the policies' summed policy.Cost for the
	// longest action, resource or context value, times the largest number of values one context key has
	// (a condition compares each with each of its own).
	scenarioWork int
	// stats, when set, is told what each page evaluated.
	stats *simulationStats
}

// simulationStats counts the simulator's work since the service started.
type simulationStats struct {
	scenarios atomic.Int64 // scenarios evaluated
	work      atomic.Int64 // their scenarioWork, summed
}

// SimulationWork reports how many scenarios the policy simulator has evaluated since the service started
// and the work units (policy elements examined, see policy.Cost) they cost: what tests and operators use to
// see that a hostile simulation did bounded work.
func (s *Service) SimulationWork() (scenarios, work int64) {
	return s.simStats.scenarios.Load(), s.simStats.work.Load()
}

// SimulatePrincipalPolicy simulates the policies of a user (with its groups'), group or role, plus any
// policies passed in, against actions and resources.
func (s *Service) SimulatePrincipalPolicy(ctx context.Context, in *iamapi.SimulatePrincipalPolicyRequest) (*iamapi.SimulatePolicyResponse, error) {
	sc, err := s.scopeOf(ctx)
	if err != nil {
		return nil, err
	}
	src, err := s.sourcePolicies(ctx, sc, str(in.PolicySourceArn))
	if err != nil {
		return nil, err
	}
	sim := &simulation{set: policy.Set{Identity: src.identity, Boundary: src.boundary}, stats: &s.simStats}
	sim.principal = policy.Principal{ARN: src.arn, AccountID: sc.account}
	if src.kind == ids.KindRole {
		sim.principal.RoleARN = src.arn
	}
	if in.CallerArn == nil && in.ResourcePolicy != nil && src.kind != ids.KindUser {
		return nil, iamapi.NewInvalidInputException("CallerArn must be specified when PolicySourceArn is not a user and a ResourcePolicy is given.")
	}
	if err := sim.prepare(simRequest{
		policies: in.PolicyInputList, boundaries: in.PermissionsBoundaryPolicyInputList, actions: in.ActionNames,
		resources: in.ResourceArns, resourcePolicy: in.ResourcePolicy, resourceOwner: in.ResourceOwner,
		callerArn: in.CallerArn, contextEntries: in.ContextEntries, handling: in.ResourceHandlingOption,
	}); err != nil {
		return nil, err
	}
	return sim.run(in.Marker, in.MaxItems)
}

// SimulateCustomPolicy simulates the policies passed in against actions and resources.
func (s *Service) SimulateCustomPolicy(ctx context.Context, in *iamapi.SimulateCustomPolicyRequest) (*iamapi.SimulatePolicyResponse, error) {
	sc, err := s.scopeOf(ctx)
	if err != nil {
		return nil, err
	}
	if len(in.PolicyInputList) == 0 {
		return nil, iamapi.NewInvalidInputException("PolicyInputList must contain at least one policy.")
	}
	if in.CallerArn == nil && in.ResourcePolicy != nil {
		return nil, iamapi.NewInvalidInputException("CallerArn must be specified when a ResourcePolicy is given.")
	}
	sim := &simulation{principal: policy.Principal{AccountID: sc.account}, stats: &s.simStats}
	if err := sim.prepare(simRequest{
		policies: in.PolicyInputList, boundaries: in.PermissionsBoundaryPolicyInputList, actions: in.ActionNames,
		resources: in.ResourceArns, resourcePolicy: in.ResourcePolicy, resourceOwner: in.ResourceOwner,
		callerArn: in.CallerArn, contextEntries: in.ContextEntries, handling: in.ResourceHandlingOption,
	}); err != nil {
		return nil, err
	}
	return sim.run(in.Marker, in.MaxItems)
}

// GetContextKeysForPrincipalPolicy lists the context keys the policies of a user (with its groups'),
// group or role use, together with those of the policies passed in.
func (s *Service) GetContextKeysForPrincipalPolicy(ctx context.Context, in *iamapi.GetContextKeysForPrincipalPolicyRequest) (*iamapi.GetContextKeysForPolicyResponse, error) {
	sc, err := s.scopeOf(ctx)
	if err != nil {
		return nil, err
	}
	src, err := s.sourcePolicies(ctx, sc, str(in.PolicySourceArn))
	if err != nil {
		return nil, err
	}
	pols := make([]*policy.Policy, 0, len(src.identity)+len(in.PolicyInputList))
	for _, a := range src.identity {
		pols = append(pols, a.Policy)
	}
	for i, doc := range in.PolicyInputList {
		p, err := parseInputPolicy(doc, policy.KindIdentity, sourceIDInput+strconv.Itoa(i+1))
		if err != nil {
			return nil, err
		}
		pols = append(pols, p)
	}
	return &iamapi.GetContextKeysForPolicyResponse{ContextKeyNames: contextKeys(pols)}, nil
}

// GetContextKeysForCustomPolicy lists the context keys the policies passed in use.
func (s *Service) GetContextKeysForCustomPolicy(ctx context.Context, in *iamapi.GetContextKeysForCustomPolicyRequest) (*iamapi.GetContextKeysForPolicyResponse, error) {
	if _, err := s.scopeOf(ctx); err != nil {
		return nil, err
	}
	pols := make([]*policy.Policy, 0, len(in.PolicyInputList))
	for i, doc := range in.PolicyInputList {
		p, err := parseInputPolicy(doc, policy.KindIdentity, sourceIDInput+strconv.Itoa(i+1))
		if err != nil {
			return nil, err
		}
		pols = append(pols, p)
	}
	return &iamapi.GetContextKeysForPolicyResponse{ContextKeyNames: contextKeys(pols)}, nil
}

// contextKeys merges the keys of several policies, each once (case-insensitively) as first written.
func contextKeys(pols []*policy.Policy) []string {
	out := []string{}
	seen := map[string]bool{}
	for _, p := range pols {
		for _, k := range p.ContextKeys() {
			if l := strings.ToLower(k); !seen[l] {
				seen[l] = true
				out = append(out, k)
			}
		}
	}
	return out
}

// sourcePolicies are the policies of the entity a PolicySourceArn names.
type sourcePolicies struct {
	kind     string // ids.KindUser, KindGroup, KindRole
	arn      string
	identity []policy.Attached
	boundary *policy.Attached
}

// sourcePolicies reads and compiles the identity-based policies and boundary of the user, group or role
// arn names in the caller's account. Each policy is reported under its name, as AWS's simulator does.
func (s *Service) sourcePolicies(ctx context.Context, sc scope, arn string) (*sourcePolicies, error) {
	a, err := ids.ParseARN(arn)
	var r ids.IAMResource
	if err == nil {
		r, err = ids.ParseIAMResource(a.Resource)
	}
	if err != nil || a.Service != "iam" || a.Region != "" || (r.Kind != ids.KindUser && r.Kind != ids.KindGroup && r.Kind != ids.KindRole) {
		return nil, iamapi.NewInvalidInputException("Invalid ARN: " + arn + ". PolicySourceArn must be the ARN of a user, group or role.")
	}
	nse := map[string]func(string) error{ids.KindUser: noSuchUser, ids.KindGroup: noSuchGroup, ids.KindRole: noSuchRole}[r.Kind]
	if a.Account != sc.account || a.Partition != sc.partition {
		return nil, nse(r.Name)
	}
	out := &sourcePolicies{kind: r.Kind}
	var docs []PrincipalPolicy
	var boundary *PrincipalPolicy
	var path string
	switch r.Kind {
	case ids.KindUser, ids.KindRole:
		kind := storage.OwnerUser
		if r.Kind == ids.KindRole {
			kind = storage.OwnerRole
		}
		pp, err := s.PoliciesForPrincipal(ctx, sc.account, kind, r.Name)
		if errors.Is(err, storage.ErrNotFound) {
			return nil, nse(r.Name)
		}
		if err != nil {
			return nil, err
		}
		docs, boundary, path = pp.Identity, pp.Boundary, pp.Path
		r.Name = pp.Name
	case ids.KindGroup:
		err := s.store.View(ctx, func(tx storage.Tx) error {
			docs = nil
			g, err := tx.GetGroup(ctx, sc.account, r.Name)
			if err != nil {
				return notFound(err, func() error { return noSuchGroup(r.Name) })
			}
			path, r.Name = g.Path, g.Name
			return s.collectOwnerPolicies(ctx, tx, sc.account, storage.OwnerGroup, g.Name, &docs)
		})
		if err != nil {
			return nil, err
		}
	}
	out.arn = sc.arn(r.Kind, path, r.Name)
	compile := func(p PrincipalPolicy, kind policy.Kind) (policy.Attached, error) {
		parsed, err := policy.ParseStored(p.Document, kind)
		if err != nil {
			return policy.Attached{}, fmt.Errorf("policy %s of %s: %w", p.ID, arn, err)
		}
		return policy.Attached{Policy: parsed, ID: p.ID[strings.LastIndexByte(p.ID, '/')+1:], ARN: p.ARN, Source: p.Source}, nil
	}
	for _, p := range docs {
		c, err := compile(p, policy.KindIdentity)
		if err != nil {
			return nil, err
		}
		out.identity = append(out.identity, c)
	}
	if boundary != nil {
		c, err := compile(*boundary, policy.KindBoundary)
		if err != nil {
			return nil, err
		}
		out.boundary = &c
	}
	return out, nil
}

// simRequest is what both Simulate operations share.
type simRequest struct {
	policies, boundaries []string
	actions, resources   []string
	resourcePolicy       *string
	resourceOwner        *string
	callerArn            *string
	contextEntries       []iamapi.ContextEntry
	handling             *string
}

// parseInputPolicy compiles a document passed to a simulation; a defect is InvalidInput (the Simulate
// operations have no MalformedPolicyDocument error) with the policy language's wording.
func parseInputPolicy(doc string, kind policy.Kind, id string) (*policy.Policy, error) {
	p, err := policy.Parse(doc, kind)
	if err != nil {
		var me *policy.MalformedError
		if errors.As(err, &me) {
			return nil, iamapi.NewInvalidInputException(me.Message + " (" + id + ")")
		}
		return nil, iamapi.NewInvalidInputException("Invalid policy document (" + id + ").")
	}
	return p, nil
}

// prepare compiles the request's policies and context into sim.
func (sim *simulation) prepare(r simRequest) error {
	if len(r.actions) == 0 {
		return iamapi.NewInvalidInputException("ActionNames must contain at least one action.")
	}
	n := len(r.actions) * max(len(r.resources), 1)
	if n > maxSimulationScenarios {
		return iamapi.NewInvalidInputException(fmt.Sprintf("A simulation can evaluate at most %d action and resource combinations.", maxSimulationScenarios))
	}
	if r.handling != nil && !resourceHandlingOptions[*r.handling] {
		return iamapi.NewInvalidInputException("Invalid ResourceHandlingOption: " + *r.handling + ".")
	}
	for i, doc := range r.policies {
		id := sourceIDInput + strconv.Itoa(i+1)
		p, err := parseInputPolicy(doc, policy.KindIdentity, id)
		if err != nil {
			return err
		}
		sim.set.Identity = append(sim.set.Identity, policy.Attached{Policy: p, ID: id, Source: policy.SourceNone})
	}
	switch len(r.boundaries) {
	case 0:
	case 1:
		// A boundary passed in replaces the one attached to the entity.
		p, err := parseInputPolicy(r.boundaries[0], policy.KindBoundary, sourceIDBoundaryInput+"1")
		if err != nil {
			return err
		}
		sim.set.Boundary = &policy.Attached{Policy: p, ID: sourceIDBoundaryInput + "1", Source: policy.SourceNone}
	default:
		return iamapi.NewInvalidInputException("PermissionsBoundaryPolicyInputList can contain only one policy.")
	}
	if r.callerArn != nil {
		a, err := ids.ParseARN(*r.callerArn)
		if err != nil || a.Service != "iam" || !strings.HasPrefix(a.Resource, "user/") || !ids.IsAccountID(a.Account) {
			return iamapi.NewInvalidInputException("Invalid CallerArn: " + *r.callerArn + ". CallerArn must be the ARN of an IAM user.")
		}
		sim.principal = policy.Principal{ARN: *r.callerArn, AccountID: a.Account}
	}
	sim.owner = sim.principal.AccountID
	if r.resourceOwner != nil {
		owner, ok := accountOf(*r.resourceOwner)
		if !ok {
			return iamapi.NewInvalidInputException("Invalid ResourceOwner: " + *r.resourceOwner + ".")
		}
		sim.owner = owner
	}
	if r.resourcePolicy != nil {
		p, err := parseInputPolicy(*r.resourcePolicy, policy.KindResource, sourceIDResourcePolicy)
		if err != nil {
			return err
		}
		sim.set.Resource = &policy.Attached{Policy: p, ID: sourceIDResourcePolicy, Source: policy.SourceResource}
	}
	ctxMap, err := simulationContext(r.contextEntries)
	if err != nil {
		return err
	}
	sim.context = ctxMap
	sim.actions = r.actions
	sim.resources = r.resources
	return sim.bound()
}

// bound weighs the simulation's policies and context and refuses a simulation beyond the limits: one
// scenario must fit in a page's work budget, so that every page holds at least one.
func (sim *simulation) bound() error {
	// The longest value a pattern may be matched against: an action, a resource or a context value.
	subject := 1
	for _, a := range sim.actions {
		subject = max(subject, len(a))
	}
	for _, r := range sim.resources {
		subject = max(subject, len(r))
	}
	values := 1 // the most values one context key has
	for _, v := range sim.context {
		values = max(values, len(v))
		for _, s := range v {
			subject = max(subject, len(s))
		}
	}
	size, work := 0, 0
	add := func(a *policy.Attached) {
		if a != nil && a.Policy != nil {
			size += a.Policy.Cost(0)
			work += a.Policy.Cost(subject)
		}
	}
	for i := range sim.set.Identity {
		add(&sim.set.Identity[i])
	}
	add(sim.set.Boundary)
	add(sim.set.Resource)
	if size > maxSimulationCost {
		return iamapi.NewInvalidInputException(fmt.Sprintf("The policies of a simulation can hold at most %d statements, actions, resources, principals and condition values.", maxSimulationCost))
	}
	sim.scenarioWork = max(work*values, 1)
	if sim.scenarioWork > maxSimulationPageWork {
		return iamapi.NewInvalidInputException(fmt.Sprintf("A simulation can weigh at most %d per scenario: the elements of its policies (wildcard patterns by their parts times the longest action, resource or context value) times the values of its most-valued context key.", maxSimulationPageWork))
	}
	return nil
}

// accountOf reads an account from "arn:aws:iam::ACCOUNT:root" (or any ARN naming an account) or a bare
// account ID.
func accountOf(s string) (string, bool) {
	if ids.IsAccountID(s) {
		return s, true
	}
	a, err := ids.ParseARN(s)
	if err != nil || !ids.IsAccountID(a.Account) {
		return "", false
	}
	return a.Account, true
}

// simulationContext turns ContextEntries into the evaluation context, checking each value against its
// declared type so that a typo fails loudly instead of silently never matching.
func simulationContext(entries []iamapi.ContextEntry) (map[string][]string, error) {
	n := 0
	for _, e := range entries {
		n += max(len(e.ContextKeyValues), 1)
		for _, v := range e.ContextKeyValues {
			if len(v) > maxSimulationContextValueLength {
				return nil, iamapi.NewInvalidInputException(fmt.Sprintf("A context key value can be at most %d characters long.", maxSimulationContextValueLength))
			}
		}
	}
	if n > maxSimulationContextValues {
		return nil, iamapi.NewInvalidInputException(fmt.Sprintf("A simulation can have at most %d context key values.", maxSimulationContextValues))
	}
	m := make(map[string][]string, len(entries))
	for _, e := range entries {
		name := str(e.ContextKeyName)
		if name == "" {
			return nil, iamapi.NewInvalidInputException("ContextKeyName must not be empty.")
		}
		typ := str(e.ContextKeyType)
		if typ == "" {
			typ = iamapi.ContextKeyTypeEnumString
		}
		if !strings.HasSuffix(typ, "List") && len(e.ContextKeyValues) > 1 {
			return nil, iamapi.NewInvalidInputException("Context key " + name + " of type " + typ + " accepts only one value.")
		}
		for _, v := range e.ContextKeyValues {
			if !validContextValue(strings.TrimSuffix(typ, "List"), v) {
				return nil, iamapi.NewInvalidInputException("Invalid value " + v + " for context key " + name + " of type " + typ + ".")
			}
		}
		m[strings.ToLower(name)] = append([]string(nil), e.ContextKeyValues...)
	}
	return m, nil
}

func validContextValue(typ, v string) bool {
	switch typ {
	case iamapi.ContextKeyTypeEnumNumeric:
		_, err := strconv.ParseFloat(v, 64)
		return err == nil
	case iamapi.ContextKeyTypeEnumBoolean:
		return strings.EqualFold(v, "true") || strings.EqualFold(v, "false")
	case iamapi.ContextKeyTypeEnumIp:
		if net.ParseIP(v) != nil {
			return true
		}
		_, _, err := net.ParseCIDR(v)
		return err == nil
	case iamapi.ContextKeyTypeEnumBinary:
		_, err := base64.StdEncoding.DecodeString(v)
		return err == nil
	case iamapi.ContextKeyTypeEnumDate:
		if _, err := strconv.ParseInt(v, 10, 64); err == nil {
			return true
		}
		for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05Z0700", "2006-01-02T15:04Z", "2006-01-02"} {
			if _, err := time.Parse(layout, v); err == nil {
				return true
			}
		}
		return false
	}
	return true
}

// run evaluates the scenarios of the requested page (actions in order, each over every resource; the
// marker is the index of the next scenario) and nothing else. The page ends before MaxItems once its work
// or its matched statements and missing keys reach their budgets; IsTruncated and Marker then lead to
// the rest, as AWS allows ("IAM might return fewer results, even when there are more results available").
func (sim *simulation) run(marker *string, maxItems *int32) (*iamapi.SimulatePolicyResponse, error) {
	pg, err := pageOf(marker, maxItems)
	if err != nil {
		return nil, err
	}
	resources := sim.resources
	specific := len(resources) > 0
	if !specific {
		resources = []string{"*"}
	}
	total := len(sim.actions) * len(resources)
	next := 0
	if pg.after != "" {
		if _, err := fmt.Sscanf(pg.after, "i%d", &next); err != nil || next < 0 || next > total {
			return nil, iamapi.NewInvalidInputException("Invalid Marker.")
		}
	}
	results := make([]iamapi.EvaluationResult, 0, min(pg.max, total-next))
	work, entries := 0, 0
	for ; next < total && len(results) < pg.max; next++ {
		if len(results) > 0 && (work+sim.scenarioWork > maxSimulationPageWork || entries >= maxSimulationPageEntries) {
			break
		}
		r := sim.evaluate(sim.actions[next/len(resources)], resources[next%len(resources)], specific)
		work += sim.scenarioWork
		entries += len(r.MatchedStatements) + len(r.MissingContextValues)
		results = append(results, r)
	}
	if sim.stats != nil {
		sim.stats.scenarios.Add(int64(len(results)))
		sim.stats.work.Add(int64(work))
	}
	out := &iamapi.SimulatePolicyResponse{EvaluationResults: results, IsTruncated: ptr(next < total)}
	if next < total {
		out.Marker = ptr(base64.RawURLEncoding.EncodeToString(fmt.Appendf(nil, "i%d", next)))
	}
	return out, nil
}

// evaluate simulates one action on one resource.
func (sim *simulation) evaluate(action, resource string, specific bool) iamapi.EvaluationResult {
	set := sim.set
	set.ResourceAccount = sim.owner
	if a, err := ids.ParseARN(resource); err == nil && a.Account != "" && a.Account != "aws" {
		set.ResourceAccount = a.Account // the resource names its owner
	}
	if set.Resource == nil {
		set.ResourceAccount = "" // without a resource policy only the identity side is simulated
	}
	// Evaluate may record missing keys in the order it meets them; a fresh context per scenario is not
	// needed because it never writes to the map.
	d := policy.Evaluate(&policy.Request{Action: action, Resource: resource, Principal: sim.principal, Context: sim.context,
		MaxMatched: maxMatchedStatementsPerResult}, &set)
	decision := d.Result.String()
	matched := matchedStatements(&d)
	missing := d.MissingContextValues
	if missing == nil {
		missing = []string{}
	}
	out := iamapi.EvaluationResult{
		EvalActionName:       ptr(action),
		EvalResourceName:     ptr(resource),
		EvalDecision:         ptr(decision),
		MatchedStatements:    matched,
		MissingContextValues: missing,
	}
	var details map[string]string
	if set.Resource != nil && set.ResourceAccount != "" && set.ResourceAccount != sim.principal.AccountID {
		// Cross-account: AWS summarises how each side decided.
		details = map[string]string{"IAM Policy": identitySide(&d).String(), "Resource Policy": d.Resource.String()}
	} else if specific {
		details = map[string]string{}
	}
	out.EvalDecisionDetails = details
	if d.HasBoundary {
		out.PermissionsBoundaryDecisionDetail = &iamapi.PermissionsBoundaryDecisionDetail{AllowedByPermissionsBoundary: ptr(d.Boundary == policy.Allowed)}
	}
	if specific {
		rr := iamapi.ResourceSpecificResult{
			EvalResourceName:     ptr(resource),
			EvalResourceDecision: ptr(decision),
			MatchedStatements:    matched,
			MissingContextValues: missing,
			EvalDecisionDetails:  details,
		}
		if d.HasBoundary {
			rr.PermissionsBoundaryDecisionDetail = out.PermissionsBoundaryDecisionDetail
		}
		out.ResourceSpecificResults = []iamapi.ResourceSpecificResult{rr}
	}
	return out
}

// identitySide is the decision of the caller's account alone: identity policies within the boundary.
func identitySide(d *policy.Decision) policy.Result {
	switch {
	case d.Identity == policy.ExplicitDeny || d.HasBoundary && d.Boundary == policy.ExplicitDeny:
		return policy.ExplicitDeny
	case d.Identity == policy.Allowed && (!d.HasBoundary || d.Boundary == policy.Allowed):
		return policy.Allowed
	}
	return policy.ImplicitDeny
}

// matchedStatements lists the statements that decided the result: the Deny statements of an explicit
// deny, otherwise the Allow statements that applied.
func matchedStatements(d *policy.Decision) []iamapi.Statement {
	want := policy.Allow
	if d.Result == policy.ExplicitDeny {
		want = policy.Deny
	}
	out := []iamapi.Statement{}
	for _, m := range d.Matched {
		if m.Effect != want {
			continue
		}
		out = append(out, iamapi.Statement{
			SourcePolicyId:   ptr(m.PolicyID),
			SourcePolicyType: ptr(string(m.Source)),
			StartPosition:    &iamapi.Position{Line: ptr(int32(m.Start.Line)), Column: ptr(int32(m.Start.Column))},
			EndPosition:      &iamapi.Position{Line: ptr(int32(m.End.Line)), Column: ptr(int32(m.End.Column))},
		})
	}
	return out
}
