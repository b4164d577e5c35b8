package policy

// Kind says where a policy document is used; it decides which elements are required or prohibited and
// which Version the document may have. Every caller names the kind of the document it holds.
type Kind int

// The kinds of policy document.
const (
	// KindIdentity is an identity-based policy: a managed policy (CreatePolicy, CreatePolicyVersion) or
	// an inline policy of a user, group or role (Put*Policy). IAM requires Version 2012-10-17 of both; no
	// Principal, Resource required.
	KindIdentity Kind = iota + 1
	// KindBoundary is a permissions boundary, a managed policy: validated like KindIdentity.
	KindBoundary
	// KindSession is a session policy passed to AssumeRole* or GetFederationToken: no Principal,
	// Resource required; 2008-10-17 (or no Version) is allowed.
	KindSession
	// KindTrust is a role trust policy (AssumeRolePolicyDocument): Principal required, Resource
	// prohibited, only STS actions; 2008-10-17 (or no Version) is allowed, and a document that is not
	// JSON has its own message.
	KindTrust
	// KindResource is any other resource-based policy: Principal required, Resource optional;
	// 2008-10-17 (or no Version) is allowed.
	KindResource
)

// identityBased says whether documents of the kind grant a principal permissions (no Principal element,
// Resource required).
func (k Kind) identityBased() bool { return k == KindIdentity || k == KindBoundary || k == KindSession }

// requires2012 says whether IAM refuses documents of the kind whose Version is not 2012-10-17.
func (k Kind) requires2012() bool { return k == KindIdentity || k == KindBoundary }

// Effect is the Effect of a statement.
type Effect uint8

// Effects.
const (
	Allow Effect = iota + 1
	Deny
)

func (e Effect) String() string {
	if e == Deny {
		return "Deny"
	}
	return "Allow"
}

// Policy is a parsed, validated and compiled policy document. It is immutable and safe for concurrent use.
type Policy struct {
	Version string // "2012-10-17", or "2008-10-17" (also when the document has no Version)
	ID      string // the document's Id element
	Kind    Kind
	Source  string

	Statements []*Statement

	// elements and globParts weigh the policy for Cost.
	elements, globParts int
}

// Cost bounds the work one evaluation of the policy does when no value it matches (the action, the
// resource, a context value) is longer than subject bytes, in units of one element examined: each
// statement, each action, resource or principal pattern, each condition value (once per value the request
// has for the condition's key) counts one, except wildcard patterns: matching one takes at most its number
// of parts times the length of the value, so each of its parts counts subject+1. Cost(0) is the policy's
// size in those units. Callers that evaluate caller-supplied policies many times (the policy simulator)
// bound their work with it.
func (p *Policy) Cost(subject int) int { return p.elements + p.globParts*(max(subject, 0)+1) }

// Statement is one compiled statement.
type Statement struct {
	Index  int // 0-based position in the Statement list
	Sid    string
	Effect Effect
	Start  Position // position of the statement's opening brace
	End    Position // position just after its closing brace

	notAction bool
	actions   []pattern

	hasResource bool
	notResource bool
	resources   []arnPattern

	hasPrincipal bool
	notPrincipal bool
	principals   principalSet

	conditions []*condition
}

// Parse validates a policy document of the given kind as IAM does when a client writes one (CreatePolicy,
// PutUserPolicy, CreateRole, a session policy, a simulated policy), and compiles it. A document that is
// not valid is a MalformedError (matching ErrMalformed) with AWS's wording: IAM checks a document in fixed
// stages and stops at the first that fails, each with its own message (IAM User Guide, "Grammar of the IAM
// JSON policy language" and "IAM JSON policy element reference"):
//
//  1. syntax: JSON, the grammar's elements and value types; Effect is Allow or Deny in any case
//     ("Syntax errors in policy."; a trust policy that is not JSON: "This policy contains invalid Json");
//  2. Version 2012-10-17 for identity-based policies (managed, inline, boundaries);
//  3. legacy parsing: Effect exactly Allow or Deny, Date condition values, ARNs with too few parts;
//  4. statement IDs: alphanumeric, unique;
//  5. every statement has actions;
//  6. resource format: partition, service, region and IAM resource path;
//  7. action vendors;
//  8. identity-based policies: every statement has resources;
//  9. the rules of the kind: principals (none in identity-based policies, required and valid in trust
//     and resource-based ones), trust policies' actions and prohibited Resource.
func Parse(doc string, kind Kind) (*Policy, error) { return parse(doc, kind, true) }

// ParseStored compiles a document of the given kind that was validated when it was written: one read back
// from the store or from a session token. It checks what evaluation depends on (syntax, actions,
// resources, principals and the kind's rules) but not the stages that only refuse a document's form
// (Version, legacy parsing, statement IDs, resource and action formats): a document written under older
// rules, which IAM keeps as well, still compiles with its meaning, so upgrading never takes permissions
// from a principal or hands them out.
func ParseStored(doc string, kind Kind) (*Policy, error) { return parse(doc, kind, false) }

func parse(doc string, kind Kind, strict bool) (*Policy, error) {
	if len(doc) > maxDocumentBytes {
		return nil, malformed(msgSyntax)
	}
	root, err := parseJSON(doc)
	if err != nil {
		if kind == KindTrust {
			return nil, malformed(msgInvalidJSON)
		}
		return nil, malformed(msgSyntax)
	}
	d, ok := readDocument(root)
	if !ok {
		return nil, malformed(msgSyntax)
	}
	if strict {
		if kind.requires2012() && d.version != Version2012 {
			return nil, malformed(msgVersion)
		}
		if err := d.legacy(); err != nil {
			return nil, err
		}
		if err := d.statementIDs(); err != nil {
			return nil, err
		}
	}
	for _, st := range d.statements {
		if st.actions == nil || len(st.actions.vals) == 0 && st.actions.kind == jArray {
			return nil, malformed(msgNoActions)
		}
	}
	if strict {
		if d.resourceErr != "" {
			return nil, malformed(d.resourceErr)
		}
		if err := d.actionVendors(); err != nil {
			return nil, err
		}
	}
	if kind.identityBased() {
		for _, st := range d.statements {
			if st.resources == nil || len(st.resources.vals) == 0 && st.resources.kind == jArray {
				return nil, malformed(msgNoResources)
			}
		}
	}
	if err := d.kindRules(kind); err != nil {
		return nil, err
	}
	return d.compile(doc, kind), nil
}

// compile turns a document that passed its checks into a Policy.
func (d *document) compile(doc string, kind Kind) *Policy {
	p := &Policy{Version: d.version, ID: d.id, Kind: kind, Source: doc}
	if p.Version == "" {
		p.Version = Version2008
	}
	vars := p.Version == Version2012
	pos := newPositioner(doc)
	for i, rs := range d.statements {
		st := &Statement{Index: i, Sid: rs.sid, Effect: Allow, notAction: rs.notAction, notResource: rs.notResource,
			Start: pos.at(rs.node.start), End: pos.at(rs.node.end)}
		if equalFoldASCII(rs.effect, "Deny") {
			st.Effect = Deny
		}
		for _, a := range rs.actionList {
			st.actions = append(st.actions, compilePattern(a, true, false, true))
		}
		if rs.resources != nil {
			st.hasResource = true
			for _, r := range rs.resourceList {
				st.resources = append(st.resources, compileARN(r, vars))
			}
		}
		if rs.principals != nil {
			st.hasPrincipal, st.notPrincipal, st.principals = true, rs.notPrincipal, rs.ps
		}
		if rs.condition != nil {
			st.conditions = compileConditions(rs.condition, vars)
		}
		p.Statements = append(p.Statements, st)
		e, g := st.cost()
		p.elements += e
		p.globParts += g
	}
	return p
}

// cost is the statement's share of Policy.Cost: its elements and the parts of its wildcard patterns.
func (st *Statement) cost() (elements, globParts int) {
	elements = 1 + st.principals.size()
	add := func(e, g int) {
		elements += e
		globParts += g
	}
	for i := range st.actions {
		add(st.actions[i].cost())
	}
	for i := range st.resources {
		add(st.resources[i].cost())
	}
	for _, c := range st.conditions {
		for i := range c.values {
			v := &c.values[i]
			if c.op.base == opArn {
				add(v.arn.cost())
			} else {
				add(v.pat.cost())
			}
		}
	}
	return elements, globParts
}
