package console

import (
	"net/http/httptest"
	"strings"
	"testing"
)

// Whatever a federation Destination or a sign-in "next" says, the browser is sent to a path of this
// console on this host: never another host (no open redirect), never a scheme-relative or backslashed
// path a browser could read as one.
func FuzzDestination(f *testing.F) {
	for _, s := range []string{"", "/console/users", "https://evil.example/", "//evil.example/console/", "/console/\\evil",
		"http://h/console/x?y=1", "javascript:alert(1)", "/console/%2F%2Fevil", "\\\\evil", "/console/\r\nx"} {
		f.Add(s)
	}
	c := &Console{base: "/console"}
	r := httptest.NewRequest("GET", "http://h/federation", nil)
	f.Fuzz(func(t *testing.T, dest string) {
		for _, got := range []string{c.destination(r, dest), c.safeNext(dest)} {
			if !strings.HasPrefix(got, "/console/") || strings.HasPrefix(got, "//") || strings.ContainsAny(got, "\\\r\n") {
				t.Fatalf("%q led to %q", dest, got)
			}
		}
	})
}
