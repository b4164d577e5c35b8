package policy

import (
	"strings"
	"unicode"
)

// ContextKeys returns the context keys the policy references, in conditions and in policy variables, in
// order of first appearance, each once (case-insensitively) and as first written: what
// GetContextKeysForCustomPolicy and GetContextKeysForPrincipalPolicy report.
func (p *Policy) ContextKeys() []string {
	var out []string
	seen := map[string]bool{}
	add := func(name string) {
		k := strings.ToLower(name)
		if name == "" || seen[k] {
			return
		}
		seen[k] = true
		out = append(out, name)
	}
	addVars := func(pt *pattern) {
		for _, x := range pt.parts {
			if x.kind == partVar {
				add(x.v.name)
			}
		}
	}
	addARN := func(a *arnPattern) {
		addVars(&a.whole)
		for i := range a.segs {
			addVars(&a.segs[i])
		}
	}
	for _, st := range p.Statements {
		for i := range st.resources {
			addARN(&st.resources[i])
		}
		for _, c := range st.conditions {
			add(c.keyName)
			for i := range c.values {
				addVars(&c.values[i].pat)
				addARN(&c.values[i].arn)
			}
		}
	}
	return out
}

// Size returns the length of a policy document as IAM counts it against its size quotas (2048 characters
// for user inline policies, 6144 for managed policies, …): characters, not bytes, and "IAM does not count
// white space when calculating the size of a policy". We drop the JSON whitespace between tokens and keep
// the characters inside string values, which are content.
func Size(doc string) int {
	n, inString, escaped := 0, false, false
	for _, r := range doc {
		if inString {
			n++
			switch {
			case escaped:
				escaped = false
			case r == '\\':
				escaped = true
			case r == '"':
				inString = false
			}
			continue
		}
		if unicode.IsSpace(r) {
			continue
		}
		if r == '"' {
			inString = true
		}
		n++
	}
	return n
}
