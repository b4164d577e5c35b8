package account

import (
	"net/url"
	"strings"
	"testing"
)

// FuzzCheckEmail: an accepted primary e-mail address is one plain address, with nothing that could end a
// mail header or add a recipient.
func FuzzCheckEmail(f *testing.F) {
	for _, s := range []string{"a@example.com", "Eve <a@b.co>", "a@b.co, c@d.co", "a@b.co\r\nBcc: x@y.z", `"a b"@c.d`, "@", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if checkEmail(s) != nil {
			return
		}
		if strings.ContainsAny(s, "\r\n<>,") || strings.Count(s, "@") < 1 {
			t.Fatalf("accepted %q", s)
		}
	})
}

// FuzzNewSMTPMailer: any --smtp-url is accepted or refused without a panic; an accepted one has a plain
// sender address, and a URL that does not parse is not quoted back.
func FuzzNewSMTPMailer(f *testing.F) {
	for _, s := range []string{"smtp://u:p@h:25?from=a@b.co", "smtp://h?from=a%0d%0aBcc:x@y.z", "smtp://u:secret@h:x%?from=a@b.co", "http://h"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := NewSMTPMailer(s)
		if err != nil {
			// A URL that does not parse is not quoted back (it may hold a password).
			if _, perr := url.Parse(s); perr != nil && err.Error() != "smtp url: not a valid URL" {
				t.Fatalf("%q: the error may quote the URL: %v", s, err)
			}
			return
		}
		if strings.ContainsAny(m.from, "\r\n<>,") {
			t.Fatalf("%q: sender %q", s, m.from)
		}
	})
}
