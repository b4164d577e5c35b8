package policy

import "strings"

// variable is a policy variable: ${aws:username}, ${aws:PrincipalTag/team, 'none'}.
type variable struct {
	name   string // as written, for MissingContextValues
	key    string // lowercased context key
	def    string
	hasDef bool
}

// parseVariable parses the inside of ${…}: a context key optionally followed by a comma and a default value
// in single quotes.
func parseVariable(body string) *variable {
	v := &variable{}
	name := body
	if i := strings.IndexByte(body, ','); i >= 0 {
		name = body[:i]
		d := strings.TrimSpace(body[i+1:])
		if len(d) >= 2 && d[0] == '\'' && d[len(d)-1] == '\'' {
			v.def, v.hasDef = d[1:len(d)-1], true
		}
	}
	v.name = strings.TrimSpace(name)
	v.key = strings.ToLower(v.name)
	return v
}

// resolveParts replaces variables by literal parts. ok is false when a variable has no single value in the
// request and no default: AWS then treats the value as not matching.
func (c *evalContext) resolveParts(parts []part) ([]part, bool) {
	out := make([]part, 0, len(parts))
	for _, pt := range parts {
		if pt.kind != partVar {
			out = append(out, pt)
			continue
		}
		vals, ok := c.lookup(pt.v.key, pt.v.name)
		switch {
		case ok && len(vals) == 1:
			out = append(out, part{kind: partLit, lit: vals[0]})
		case pt.v.hasDef:
			out = append(out, part{kind: partLit, lit: pt.v.def})
		default:
			// Unresolvable (missing, or multivalued: variables take single values only).
			return nil, false
		}
	}
	return out, true
}
