package policy

// The syntax stage of Parse: the grammar of the IAM JSON policy language (IAM User Guide, "Grammar of the
// IAM JSON policy language"). Every failure here is "Syntax errors in policy.".

// document is a policy document that passed the syntax stage, its statements not yet compiled.
type document struct {
	version    string // "" when the document has none
	id         string
	statements []*rawStatement
	// resourceErr is the first resource format message found by the legacy stage, reported after the
	// statement ID and action checks, as IAM orders them.
	resourceErr string
}

// rawStatement is a statement that passed the syntax stage.
type rawStatement struct {
	node         *jsonNode
	sid          string
	hasSid       bool
	effect       string    // as written: Allow or Deny in any case
	actions      *jsonNode // Action or NotAction; nil when neither
	notAction    bool
	actionList   []string
	resources    *jsonNode // Resource or NotResource; nil when neither
	notResource  bool
	resourceList []string  // without the null entries IAM tolerates in resource lists
	principals   *jsonNode // Principal or NotPrincipal; nil when neither
	notPrincipal bool
	ps           principalSet // compiled by kindRules
	condition    *jsonNode
}

// readDocument checks the document's grammar: an object of Version, Id and Statement, each statement
// an object of the statement elements with values of the types they take.
func readDocument(root *jsonNode) (*document, bool) {
	if root.kind != jObject || hasDuplicateKeys(root) {
		return nil, false
	}
	d := &document{}
	var stmts *jsonNode
	for i, k := range root.keys {
		v := root.vals[i]
		switch k {
		case "Version":
			if v.kind != jString || v.str != Version2012 && v.str != Version2008 {
				return nil, false
			}
			d.version = v.str
		case "Id":
			if v.kind != jString {
				return nil, false
			}
			d.id = v.str
		case "Statement":
			stmts = v
		default:
			return nil, false
		}
	}
	if stmts == nil {
		return nil, false
	}
	list := []*jsonNode{stmts}
	switch stmts.kind {
	case jObject:
	case jArray:
		list = stmts.vals
	default:
		return nil, false
	}
	if len(list) == 0 {
		return nil, false
	}
	d.statements = make([]*rawStatement, 0, len(list))
	for _, n := range list {
		st, ok := readStatement(n)
		if !ok {
			return nil, false
		}
		d.statements = append(d.statements, st)
	}
	return d, true
}

func readStatement(n *jsonNode) (*rawStatement, bool) {
	if n.kind != jObject || hasDuplicateKeys(n) {
		return nil, false
	}
	st := &rawStatement{node: n}
	for i, k := range n.keys {
		v := n.vals[i]
		ok := true
		switch k {
		case "Sid":
			ok = v.kind == jString
			st.sid, st.hasSid = v.str, true
		case "Effect":
			ok = v.kind == jString && (equalFoldASCII(v.str, "Allow") || equalFoldASCII(v.str, "Deny"))
			st.effect = v.str
		case "Action", "NotAction":
			ok = st.actions == nil
			st.actions, st.notAction = v, k == "NotAction"
			st.actionList, ok = stringList(v, false, ok)
		case "Resource", "NotResource":
			ok = st.resources == nil
			st.resources, st.notResource = v, k == "NotResource"
			st.resourceList, ok = stringList(v, true, ok)
		case "Principal", "NotPrincipal":
			ok = st.principals == nil && principalSyntax(v)
			st.principals, st.notPrincipal = v, k == "NotPrincipal"
		case "Condition":
			ok = conditionSyntax(v)
			st.condition = v
		default:
			ok = false
		}
		if !ok {
			return nil, false
		}
	}
	if st.effect == "" {
		return nil, false
	}
	return st, true
}

// stringList reads an element that may be a string or a list of strings; nulls (in resource lists, which
// IAM accepts with them) are left out. ok false on entry is passed through.
func stringList(n *jsonNode, nulls, ok bool) ([]string, bool) {
	if !ok {
		return nil, false
	}
	switch n.kind {
	case jString:
		return []string{n.str}, true
	case jArray:
		out := make([]string, 0, len(n.vals))
		for _, v := range n.vals {
			switch {
			case v.kind == jString:
				out = append(out, v.str)
			case v.kind == jNull && nulls:
			default:
				return nil, false
			}
		}
		return out, true
	}
	return nil, false
}

// principalSyntax checks the grammar of a Principal or NotPrincipal element: "*", or a map from AWS,
// Federated, Service or CanonicalUser to a string or a non-empty list of strings. Whether the values name
// principals is checked with the kind's rules.
func principalSyntax(n *jsonNode) bool {
	if n.kind == jString {
		return n.str == "*"
	}
	if n.kind != jObject || len(n.keys) == 0 || hasDuplicateKeys(n) {
		return false
	}
	for i, k := range n.keys {
		switch k {
		case "AWS", "Federated", "Service", "CanonicalUser":
		default:
			return false
		}
		vals, ok := stringList(n.vals[i], false, true)
		if !ok || len(vals) == 0 {
			return false
		}
	}
	return true
}

// conditionSyntax checks a Condition element: a map from operators to maps from condition keys to a
// value or a list of values (strings, numbers or booleans). An operator IAM does not know is allowed
// only with an empty block; condition keys need no vendor prefix.
func conditionSyntax(n *jsonNode) bool {
	if n.kind != jObject || hasDuplicateKeys(n) {
		return false
	}
	for i, opName := range n.keys {
		block := n.vals[i]
		if block.kind != jObject || hasDuplicateKeys(block) {
			return false
		}
		if _, _, _, known := parseOperator(opName); !known && len(block.keys) > 0 {
			return false
		}
		for _, v := range block.vals {
			if _, ok := conditionValues(v); !ok {
				return false
			}
		}
	}
	return true
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

// equalFoldASCII reports whether s equals the ASCII word w in any case (strings.EqualFold would also
// fold the Kelvin sign and the long s, which IAM does not).
func equalFoldASCII(s, w string) bool {
	if len(s) != len(w) {
		return false
	}
	for i := 0; i < len(s); i++ {
		a, b := s[i], w[i]
		if 'A' <= a && a <= 'Z' {
			a += 'a' - 'A'
		}
		if 'A' <= b && b <= 'Z' {
			b += 'a' - 'A'
		}
		if a != b {
			return false
		}
	}
	return true
}
