package console_test

import (
	"regexp"
	"strings"
	"testing"
)

var navLink = regexp.MustCompile(`<li><a href="[^"]*"(?: aria-current="page")?>([^<]+)</a></li>`)

// The navigation lists the console's pages in their order, instance profiles after identity providers,
// and not the tests' example page.
func TestNavigationOrder(t *testing.T) {
	s := startConsole(t)
	s.user(t, "alice", "Correct-Horse-1")
	h := newHTTPClient(t, s)
	h.signIn("alice", "Correct-Horse-1")
	_, body, _ := h.get("/")
	nav := body[strings.Index(body, `<nav aria-label="Console">`):]
	nav = nav[:strings.Index(nav, "</nav>")]
	var got []string
	for _, m := range navLink.FindAllStringSubmatch(nav, -1) {
		got = append(got, m[1])
	}
	want := []string{"Dashboard", "Account settings", "Users", "Groups", "Roles", "Policies", "Identity providers",
		"Instance profiles", "Password policy", "Credential report", "Access advisor", "Policy simulator"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("navigation\n got %q\nwant %q", got, want)
	}
}
