package policy

import (
	"fmt"
	"strings"
)

// Kind says where a policy document is used; it decides which elements are required or prohibited.
type Kind int

// The kinds of policy document.
const (
	// KindIdentity is a policy attached to a user, group or role (inline or managed): no Principal,
	// Resource required.
	KindIdentity Kind = iota + 1
	// KindBoundary is a permissions boundary: validated like an identity policy.
	KindBoundary
	// KindSession is a session policy passed to AssumeRole* or GetFederationToken: validated like an
	// identity policy.
	KindSession
	// KindTrust is a role trust policy (AssumeRolePolicyDocument): Principal required, Resource
	// prohibited, only STS actions.
	KindTrust
	// KindResource is any other resource-based policy: Principal required, Resource optional.
	KindResource
)

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

// Parse parses and validates a policy document of the given kind, returning a MalformedError (matching
// ErrMalformed) with IAM's wording when the document is not valid.
func Parse(doc string, kind Kind) (*Policy, error) {
	if len(doc) > maxDocumentBytes {
		return nil, malformed(msgSyntax)
	}
	root, err := parseJSON(doc)
	if err != nil {
		return nil, malformed(msgSyntax)
	}
	if root.kind != jObject {
		return nil, malformed(msgSyntax)
	}
	if hasDuplicateKeys(root) {
		return nil, malformed(msgSyntax)
	}
	p := &Policy{Version: Version2008, Kind: kind, Source: doc}
	var stmts *jsonNode
	for i, k := range root.keys {
		v := root.vals[i]
		switch k {
		case "Version":
			if v.kind != jString {
				return nil, malformed(msgSyntax)
			}
			if v.str != Version2012 && v.str != Version2008 {
				// IAM's legacy parser is the one that rejects unknown versions.
				return nil, malformed(msgLegacy)
			}
			p.Version = v.str
		case "Id":
			if v.kind != jString {
				return nil, malformed(msgSyntax)
			}
			p.ID = v.str
		case "Statement":
			stmts = v
		default:
			return nil, malformed(msgSyntax)
		}
	}
	if stmts == nil {
		return nil, malformed(msgMissingStatement)
	}
	var list []*jsonNode
	switch stmts.kind {
	case jObject:
		list = []*jsonNode{stmts}
	case jArray:
		list = stmts.vals
	default:
		return nil, malformed(msgSyntax)
	}
	if len(list) == 0 {
		return nil, malformed(msgSyntax)
	}
	vars := p.Version == Version2012
	sids := map[string]bool{}
	pos := newPositioner(doc)
	for i, n := range list {
		st, err := compileStatement(n, i, kind, vars)
		if err != nil {
			return nil, err
		}
		if st.Sid != "" {
			if sids[st.Sid] {
				return nil, malformed(msgSidUnique)
			}
			sids[st.Sid] = true
		}
		st.Start = pos.at(n.start)
		st.End = pos.at(n.end)
		p.Statements = append(p.Statements, st)
		e, g := st.cost()
		p.elements += e
		p.globParts += g
	}
	return p, nil
}

func hasDuplicateKeys(n *jsonNode) bool {
	if len(n.keys) < 2 {
		return false
	}
	seen := make(map[string]bool, len(n.keys))
	for _, k := range n.keys {
		if seen[k] {
			return true
		}
		seen[k] = true
	}
	return false
}

// stringList reads an element that may be a string or a list of strings.
func stringList(n *jsonNode) ([]string, error) {
	switch n.kind {
	case jString:
		return []string{n.str}, nil
	case jArray:
		out := make([]string, 0, len(n.vals))
		for _, v := range n.vals {
			if v.kind != jString {
				return nil, malformed(msgSyntax)
			}
			out = append(out, v.str)
		}
		return out, nil
	}
	return nil, malformed(msgSyntax)
}

func isAlnum(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}

func compileStatement(n *jsonNode, index int, kind Kind, vars bool) (*Statement, error) {
	if n.kind != jObject || hasDuplicateKeys(n) {
		return nil, malformed(msgSyntax)
	}
	st := &Statement{Index: index}
	for _, k := range n.keys {
		switch k {
		case "Sid", "Effect", "Action", "NotAction", "Resource", "NotResource", "Principal", "NotPrincipal", "Condition":
		default:
			return nil, malformed("Unknown field " + k)
		}
	}
	if v := n.member("Sid"); v != nil {
		if v.kind != jString {
			return nil, malformed(msgSyntax)
		}
		if !isAlnum(v.str) {
			return nil, malformed(msgSidAlnum)
		}
		st.Sid = v.str
	}

	ev := n.member("Effect")
	if ev == nil {
		return nil, malformed(msgMissingEffect)
	}
	if ev.kind != jString {
		return nil, malformed(msgSyntax)
	}
	switch ev.str {
	case "Allow":
		st.Effect = Allow
	case "Deny":
		st.Effect = Deny
	default:
		return nil, malformed(msgLegacy)
	}

	// Principal.
	pr, npr := n.member("Principal"), n.member("NotPrincipal")
	switch kind {
	case KindIdentity, KindBoundary, KindSession:
		if pr != nil || npr != nil {
			return nil, malformed(msgNoPrincipalAllowed)
		}
	default:
		if pr != nil && npr != nil {
			return nil, malformed(msgSyntax)
		}
		if pr == nil && npr == nil {
			return nil, malformed(msgMissingPrincipal)
		}
		node := pr
		if npr != nil {
			node, st.notPrincipal = npr, true
		}
		ps, err := compilePrincipals(node)
		if err != nil {
			return nil, err
		}
		st.hasPrincipal, st.principals = true, ps
	}

	// Action.
	act, nact := n.member("Action"), n.member("NotAction")
	if act != nil && nact != nil {
		return nil, malformed(msgSyntax)
	}
	node := act
	if nact != nil {
		node, st.notAction = nact, true
	}
	if node == nil {
		return nil, malformed(msgNoActions)
	}
	actions, err := stringList(node)
	if err != nil {
		return nil, err
	}
	if len(actions) == 0 {
		return nil, malformed(msgNoActions)
	}
	for _, a := range actions {
		if err := validateAction(a); err != nil {
			return nil, err
		}
		if kind == KindTrust && !st.notAction && a != "*" && !strings.HasPrefix(strings.ToLower(a), "sts:") {
			return nil, malformed(msgTrustActions)
		}
		st.actions = append(st.actions, compilePattern(a, true, false, true))
	}

	// Resource.
	res, nres := n.member("Resource"), n.member("NotResource")
	if res != nil && nres != nil {
		return nil, malformed(msgSyntax)
	}
	node = res
	if nres != nil {
		node, st.notResource = nres, true
	}
	switch {
	case kind == KindTrust && node != nil:
		if nres != nil {
			return nil, malformed("Has prohibited field NotResource")
		}
		return nil, malformed(msgResourceProhibited)
	case node == nil && (kind == KindIdentity || kind == KindBoundary || kind == KindSession):
		return nil, malformed(msgNoResources)
	case node != nil:
		resources, err := stringList(node)
		if err != nil {
			return nil, err
		}
		if len(resources) == 0 {
			return nil, malformed(msgNoResources)
		}
		for _, r := range resources {
			if r != "*" && !strings.HasPrefix(r, "arn:") {
				return nil, malformed(fmt.Sprintf("Resource %s must be in ARN format or \"*\".", r))
			}
			st.resources = append(st.resources, compileARN(r, vars))
		}
		st.hasResource = true
	}

	if c := n.member("Condition"); c != nil {
		conds, err := compileConditions(c, vars)
		if err != nil {
			return nil, err
		}
		st.conditions = conds
	}
	return st, nil
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

// validateAction checks the vendor:action shape IAM requires of actions.
func validateAction(a string) error {
	if a == "*" {
		return nil
	}
	switch strings.Count(a, ":") {
	case 0:
		return malformed(msgVendor)
	case 1:
	default:
		return malformed(msgOneColon)
	}
	vendor := a[:strings.IndexByte(a, ':')]
	if vendor == "" {
		return malformed(msgVendor)
	}
	for i := 0; i < len(vendor); i++ {
		c := vendor[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '*' || c == '?') {
			return malformed(fmt.Sprintf("Vendor %s is not valid", vendor))
		}
	}
	return nil
}
