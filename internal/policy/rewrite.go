package policy

import (
	"encoding/json"
	"sort"
	"strings"
)

// ReplacePrincipals returns doc with every "AWS" value of a Principal or NotPrincipal element that is a
// key of repl replaced by repl's value, and every other byte unchanged. IAM shows a trust policy so: a
// named user or role that was deleted since the policy was saved appears as the unique ID the policy
// kept ("AWS": "AIDA…"), one that was renamed under its new ARN (IAM User Guide, "AWS JSON policy
// elements: Principal"). A document that does not parse is returned as it is.
func ReplacePrincipals(doc string, repl map[string]string) string {
	if len(repl) == 0 || len(doc) > maxDocumentBytes {
		return doc
	}
	root, err := parseJSON(doc)
	if err != nil || root.kind != jObject {
		return doc
	}
	stmts := root.member("Statement")
	if stmts == nil {
		return doc
	}
	list := []*jsonNode{stmts}
	if stmts.kind == jArray {
		list = stmts.vals
	}
	var hits []*jsonNode
	for _, st := range list {
		if st.kind != jObject {
			continue
		}
		for _, el := range []string{"Principal", "NotPrincipal"} {
			p := st.member(el)
			if p == nil || p.kind != jObject {
				continue
			}
			for i, k := range p.keys {
				if k != "AWS" {
					continue
				}
				v := p.vals[i]
				vals := []*jsonNode{v}
				if v.kind == jArray {
					vals = v.vals
				}
				for _, s := range vals {
					if _, ok := repl[s.str]; ok && s.kind == jString {
						hits = append(hits, s)
					}
				}
			}
		}
	}
	if len(hits) == 0 {
		return doc
	}
	sort.Slice(hits, func(i, j int) bool { return hits[i].start < hits[j].start })
	var b strings.Builder
	b.Grow(len(doc))
	last := 0
	for _, h := range hits {
		b.WriteString(doc[last:h.start])
		q, _ := json.Marshal(repl[h.str]) // a string always encodes
		b.Write(q)
		last = h.end
	}
	b.WriteString(doc[last:])
	return b.String()
}
