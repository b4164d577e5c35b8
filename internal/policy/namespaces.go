package policy

import (
	"slices"
	"strings"
)

// Access advisor lists the services an entity's policies allow and which policies grant each (IAM User
// Guide, "Refining permissions in AWS using last accessed information"). Both need only the Allow
// statements' action vendors: whether some action of a namespace can be allowed, not which resource.

// AllowsNamespace reports whether an Allow statement of p can allow some action of the service namespace
// ns: an Action whose vendor pattern matches ns ("*" matches every namespace), or a NotAction that does
// not exclude the whole namespace ("ns:*" or "*").
func (p *Policy) AllowsNamespace(ns string) bool {
	ns = strings.ToLower(ns)
	for _, st := range p.Statements {
		if st.Effect != Allow {
			continue
		}
		if st.notAction {
			excluded := false
			for i := range st.actions {
				vendor, name, _ := strings.Cut(st.actions[i].raw, ":")
				if st.actions[i].raw == "*" || name == "*" && vendorMatches(vendor, ns) {
					excluded = true
					break
				}
			}
			if !excluded {
				return true
			}
			continue
		}
		for i := range st.actions {
			vendor, _, _ := strings.Cut(st.actions[i].raw, ":")
			if vendorMatches(vendor, ns) {
				return true
			}
		}
	}
	return false
}

// Namespaces returns the service namespaces the Allow statements of p name literally (vendors without
// wildcards), lowercased, in order of appearance without duplicates.
func (p *Policy) Namespaces() []string {
	var out []string
	for _, st := range p.Statements {
		if st.Effect != Allow || st.notAction {
			continue
		}
		for i := range st.actions {
			vendor, _, found := strings.Cut(st.actions[i].raw, ":")
			vendor = strings.ToLower(vendor)
			if !found || vendor == "*" || slices.Contains(out, vendor) {
				continue
			}
			out = append(out, vendor)
		}
	}
	return out
}

// vendorMatches matches an action's vendor against a lowercase namespace. Vendors are letters, digits,
// dashes and dots or exactly "*" (checkActionVendor), so there is no other wildcard to match.
func vendorMatches(vendor, ns string) bool { return vendor == "*" || strings.EqualFold(vendor, ns) }
