package policy

import (
	"strings"
)

// PolicyType is the role a policy plays in an evaluation.
type PolicyType uint8

// Policy types, in the words of AWS's AccessDenied messages.
const (
	TypeIdentity PolicyType = iota + 1
	TypeBoundary
	TypeSession
	TypeResource
)

func (t PolicyType) String() string {
	switch t {
	case TypeIdentity:
		return "identity-based policy"
	case TypeBoundary:
		return "permissions boundary"
	case TypeSession:
		return "session policy"
	case TypeResource:
		return "resource-based policy"
	}
	return "policy"
}

// SourceType says where a policy comes from, with the values of the Simulate APIs' SourcePolicyType.
type SourceType string

// Source types.
const (
	SourceUser        SourceType = "user"         // inline policy of a user
	SourceGroup       SourceType = "group"        // inline policy of a group
	SourceRole        SourceType = "role"         // inline policy of a role
	SourceAWSManaged  SourceType = "aws-managed"  // AWS managed policy
	SourceUserManaged SourceType = "user-managed" // customer managed policy
	SourceResource    SourceType = "resource"     // resource-based policy
	SourceNone        SourceType = "none"         // e.g. a policy passed to a Simulate call
)

// Attached is a compiled policy as it applies to a request.
type Attached struct {
	Policy *Policy
	// ID identifies the policy to the caller (a policy name, "group/policy", an ARN…); it is reported in
	// MatchedStatement.PolicyID.
	ID string
	// ARN is the managed policy's ARN ("" for inline and resource policies); AWS names it in explicit-deny
	// messages.
	ARN    string
	Source SourceType
	// PrincipalIDs maps the IAM user and role ARNs a resource-based policy names, as written, to the
	// unique IDs they were resolved to when the policy was saved (a role's trust policy); such an ARN
	// then names only the principal with that ID. nil: names are compared as written.
	PrincipalIDs map[string]string
}

// Set is every policy that applies to one request.
type Set struct {
	// Identity holds the principal's identity-based policies: user or role inline and managed policies,
	// and those of the user's groups.
	Identity []Attached
	// Boundary is the principal's permissions boundary, nil if none.
	Boundary *Attached
	// Session holds the session policies of temporary credentials (the inline Policy and the PolicyArns);
	// empty if the session has none. A request must be allowed by at least one of them.
	Session []Attached
	// Resource is the resource-based policy of the resource (a role's trust policy for sts:AssumeRole*),
	// nil if none.
	Resource *Attached
	// ResourceAccount owns the resource; "" means the principal's own account.
	ResourceAccount string
}

// Request is one authorization question.
type Request struct {
	Action    string // service:Operation, any case
	Resource  string // ARN, or "*"
	Principal Principal
	// Context holds the request's condition keys (aws:username, aws:SourceIp, aws:CurrentTime,
	// aws:PrincipalTag/team, iam:PassedToService, …). Keys are case-insensitive; lowercase keys are
	// fastest. Policy variables are resolved from the same map.
	Context map[string][]string
	// MaxMatched is how many statements of each effect Evaluate records in Decision.Matched; 0 records
	// none (enforcement needs only the decision). The policy simulator, which reports them, sets a bound
	// so that thousands of matching statements cannot make one evaluation allocate thousands of records.
	MaxMatched int
	// ContextKeysLower promises that no key of Context has an ASCII upper-case letter, sparing the
	// evaluation a pass over the map to check (the authorizer builds its keys so, on every request).
	ContextKeysLower bool
}

// Result is the outcome of an evaluation, with the Simulate APIs' EvalDecision values as strings.
type Result uint8

// Results.
const (
	ImplicitDeny Result = iota
	Allowed
	ExplicitDeny
)

func (r Result) String() string {
	switch r {
	case Allowed:
		return "allowed"
	case ExplicitDeny:
		return "explicitDeny"
	}
	return "implicitDeny"
}

// Reason says which policy type decided a denial; AccessDeniedMessage words it.
type Reason uint8

// Reasons.
const (
	ReasonNone Reason = iota
	ReasonNoIdentityAllow
	ReasonIdentityDeny
	ReasonNoBoundaryAllow
	ReasonBoundaryDeny
	ReasonNoSessionAllow
	ReasonSessionDeny
	ReasonNoResourceAllow
	ReasonResourceDeny
)

// PolicyType is the policy type the reason is about.
func (r Reason) PolicyType() PolicyType {
	switch r {
	case ReasonNoIdentityAllow, ReasonIdentityDeny:
		return TypeIdentity
	case ReasonNoBoundaryAllow, ReasonBoundaryDeny:
		return TypeBoundary
	case ReasonNoSessionAllow, ReasonSessionDeny:
		return TypeSession
	case ReasonNoResourceAllow, ReasonResourceDeny:
		return TypeResource
	}
	return 0
}

// Explicit reports whether the reason is an explicit Deny statement.
func (r Reason) Explicit() bool {
	switch r {
	case ReasonIdentityDeny, ReasonBoundaryDeny, ReasonSessionDeny, ReasonResourceDeny:
		return true
	}
	return false
}

func (r Reason) String() string {
	if r == ReasonNone {
		return ""
	}
	t := r.PolicyType()
	if r.Explicit() {
		return "explicit deny in " + article(t) + " " + t.String()
	}
	return "no " + t.String() + " allows"
}

func article(t PolicyType) string {
	if t == TypeIdentity {
		return "an"
	}
	return "a"
}

// MatchedStatement is a statement that applied to the request (action, resource, principal and conditions
// all matched).
type MatchedStatement struct {
	PolicyID   string
	PolicyType PolicyType
	Source     SourceType
	Index      int
	Sid        string
	Effect     Effect
	Start, End Position
}

// Decision is the outcome of Evaluate.
type Decision struct {
	Result Result
	Reason Reason
	// Denying is the policy whose Deny statement decided an ExplicitDeny (nil otherwise).
	Denying *Attached
	// Per policy type, whether it allowed, explicitly denied, or did not allow (for the Simulate APIs'
	// decision details). Boundary, Session and Resource are ImplicitDeny when absent; see Has*.
	Identity, Boundary, Session, Resource Result
	HasBoundary, HasSession, HasResource  bool
	// Matched lists the statements that applied, in evaluation order: the first Request.MaxMatched of
	// each effect.
	Matched []MatchedStatement
	// MissingContextValues lists the context keys that conditions or variables of applicable statements
	// used but the request lacked, as written in the policy.
	MissingContextValues []string
}

// Allowed reports whether the request is allowed.
func (d *Decision) Allowed() bool { return d.Result == Allowed }

// evalContext is the per-request state of an evaluation.
type evalContext struct {
	req     *Request
	ctx     map[string][]string // lowercased keys
	action  string              // lowercased
	missing []string
	// missingSet holds the lowercased missing keys once there are more than missingScanMax.
	missingSet map[string]struct{}
	// matchedAllow and matchedDeny count the statements recorded in Decision.Matched, per effect.
	matchedAllow, matchedDeny int32
}

// missingScanMax is how many missing keys lookup compares one by one; beyond it they go into a set, so that
// a policy with thousands of condition keys costs linear, not quadratic, work per evaluation.
const missingScanMax = 16

func (c *evalContext) lookup(key, name string) ([]string, bool) {
	v, ok := c.ctx[key]
	if !ok {
		c.noteMissing(name)
	}
	return v, ok
}

// noteMissing adds name to MissingContextValues unless a key equal to it but for case is there already.
func (c *evalContext) noteMissing(name string) {
	if c.missingSet != nil {
		k := strings.ToLower(name)
		if _, dup := c.missingSet[k]; !dup {
			c.missingSet[k] = struct{}{}
			c.missing = append(c.missing, name)
		}
		return
	}
	for _, m := range c.missing {
		if strings.EqualFold(m, name) {
			return
		}
	}
	c.missing = append(c.missing, name)
	if len(c.missing) > missingScanMax {
		c.missingSet = make(map[string]struct{}, 2*len(c.missing))
		for _, m := range c.missing {
			c.missingSet[strings.ToLower(m)] = struct{}{}
		}
	}
}

func newEvalContext(r *Request) *evalContext {
	c := &evalContext{req: r, ctx: r.Context, action: lowerASCII(r.Action)}
	if r.ContextKeysLower {
		return c
	}
	for k := range r.Context {
		if hasUpper(k) {
			c.ctx = make(map[string][]string, len(r.Context))
			for k, v := range r.Context {
				c.ctx[strings.ToLower(k)] = v
			}
			break
		}
	}
	return c
}

func hasUpper(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 'A' && s[i] <= 'Z' {
			return true
		}
	}
	return false
}

func lowerASCII(s string) string {
	if !hasUpper(s) {
		return s
	}
	return strings.ToLower(s)
}

// policyResult is what one policy type says about a request.
type policyResult struct {
	allow   bool
	grant   grant // resource policies: the strongest way an Allow statement named the principal
	deny    bool
	denying *Attached
}

// applies reports whether the statement applies to the request, and for statements with a Principal how
// it named the principal.
func (st *Statement) applies(c *evalContext, resolved map[string]string) (bool, grant) {
	// Action: precompiled lowercase patterns against the lowercased request action.
	hit := false
	for i := range st.actions {
		if st.actions[i].match(c.action, c) {
			hit = true
			break
		}
	}
	if hit == st.notAction {
		return false, grantNone
	}
	if st.hasResource {
		hit = false
		for i := range st.resources {
			if st.resources[i].match(c.req.Resource, c) {
				hit = true
				break
			}
		}
		if hit == st.notResource {
			return false, grantNone
		}
	}
	g := grantExact
	if st.hasPrincipal {
		g = st.principals.match(&c.req.Principal, resolved)
		if st.notPrincipal {
			// NotPrincipal applies to every principal it does not name.
			if g != grantNone {
				return false, grantNone
			}
			g = grantRole
		} else if g == grantNone {
			return false, grantNone
		}
	}
	for _, cond := range st.conditions {
		if !cond.eval(c) {
			return false, grantNone
		}
	}
	return true, g
}

func (c *evalContext) evalPolicies(list []Attached, t PolicyType, d *Decision) policyResult {
	var r policyResult
	for i := range list {
		a := &list[i]
		if a.Policy == nil {
			continue
		}
		for _, st := range a.Policy.Statements {
			ok, g := st.applies(c, a.PrincipalIDs)
			if !ok {
				continue
			}
			n := &c.matchedAllow
			if st.Effect == Deny {
				n = &c.matchedDeny
			}
			if int(*n) < c.req.MaxMatched {
				*n++
				d.Matched = append(d.Matched, MatchedStatement{PolicyID: a.ID, PolicyType: t, Source: a.Source,
					Index: st.Index, Sid: st.Sid, Effect: st.Effect, Start: st.Start, End: st.End})
			}
			if st.Effect == Deny {
				if !r.deny {
					r.deny, r.denying = true, a
				}
				continue
			}
			r.allow = true
			if g > r.grant {
				r.grant = g
			}
		}
	}
	return r
}

func (r policyResult) result() Result {
	switch {
	case r.deny:
		return ExplicitDeny
	case r.allow:
		return Allowed
	}
	return ImplicitDeny
}

// Evaluate applies AWS's policy evaluation logic:
//
//  1. An explicit Deny in any policy (identity-based, resource-based, permissions boundary, session)
//     denies.
//  2. Same account: the request is allowed by an identity-based policy, or by a resource-based policy that
//     names the principal. A resource policy naming the caller's own ARN (the user, the role session, the
//     federated user) grants on its own, past boundaries and session policies; one naming the role behind a
//     session, or "*", is still cut by the permissions boundary and session policies; one naming only the
//     account delegates to the identity-based policies. An identity-based Allow is cut by a permissions
//     boundary that does not allow (when there is one) and by session policies that do not allow (when there
//     are any).
//  3. Cross-account (Set.ResourceAccount differs from the principal's): both an identity-based policy
//     (within its boundary and session policies) and the resource-based policy must allow.
//
// The root user has every permission of its own account: only explicit denies stop it.
func Evaluate(req *Request, set *Set) Decision {
	if req == nil {
		req = &Request{}
	}
	if set == nil {
		set = &Set{}
	}
	c := newEvalContext(req)
	var d Decision

	id := c.evalPolicies(set.Identity, TypeIdentity, &d)
	if req.Principal.IsRoot && !id.deny {
		id.allow = true
	}
	d.Identity = id.result()

	var res, bnd, ses policyResult
	if set.Resource != nil {
		d.HasResource = true
		res = c.evalPolicies([]Attached{*set.Resource}, TypeResource, &d)
		d.Resource = res.result()
		if res.deny {
			res.denying = set.Resource
		}
	}
	if set.Boundary != nil {
		d.HasBoundary = true
		bnd = c.evalPolicies([]Attached{*set.Boundary}, TypeBoundary, &d)
		d.Boundary = bnd.result()
		if bnd.deny {
			bnd.denying = set.Boundary
		}
	}
	if len(set.Session) > 0 {
		d.HasSession = true
		ses = c.evalPolicies(set.Session, TypeSession, &d)
		d.Session = ses.result()
	}
	d.MissingContextValues = c.missing

	deny := func(r Reason, a *Attached) Decision {
		d.Result, d.Reason, d.Denying = ExplicitDeny, r, a
		return d
	}
	implicit := func(r Reason) Decision {
		d.Result, d.Reason = ImplicitDeny, r
		return d
	}
	switch {
	case id.deny:
		return deny(ReasonIdentityDeny, id.denying)
	case res.deny:
		return deny(ReasonResourceDeny, res.denying)
	case bnd.deny:
		return deny(ReasonBoundaryDeny, bnd.denying)
	case ses.deny:
		return deny(ReasonSessionDeny, ses.denying)
	}

	cross := set.ResourceAccount != "" && set.ResourceAccount != req.Principal.AccountID
	if cross {
		switch {
		case !id.allow:
			return implicit(ReasonNoIdentityAllow)
		case d.HasBoundary && !bnd.allow:
			return implicit(ReasonNoBoundaryAllow)
		case d.HasSession && !ses.allow:
			return implicit(ReasonNoSessionAllow)
		case !res.allow:
			return implicit(ReasonNoResourceAllow)
		}
		d.Result = Allowed
		return d
	}

	if res.allow && res.grant == grantExact {
		d.Result = Allowed
		return d
	}
	switch {
	case !id.allow && !(res.allow && res.grant == grantRole):
		return implicit(ReasonNoIdentityAllow)
	case d.HasBoundary && !bnd.allow:
		return implicit(ReasonNoBoundaryAllow)
	case d.HasSession && !ses.allow:
		return implicit(ReasonNoSessionAllow)
	}
	d.Result = Allowed
	return d
}
