package console

import "testing"

// Every page with a navigation entry has its place in navNames (none falls to the end unordered), and
// the tests' own example page has no entry.
func TestEveryNavEntryIsOrdered(t *testing.T) {
	for _, p := range registry {
		if p.nav == "" {
			continue
		}
		if navOrder(p.name) == len(navNames) {
			t.Errorf("page %q (%q) has no place in navNames", p.name, p.nav)
		}
	}
}
