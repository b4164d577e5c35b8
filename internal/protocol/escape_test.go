package protocol

import (
	"encoding/xml"
	"strings"
	"testing"
)

func TestAppendEscaped(t *testing.T) {
	for in, want := range map[string]string{
		"":                                 "",
		"arn:aws:iam::123456789012:user/a": "arn:aws:iam::123456789012:user/a",
		`a&b<c>d"e'f`:                      "a&amp;b&lt;c&gt;d&quot;e&apos;f",
		"line\nnext\ttab\rcr":              "line\nnext\ttab&#xD;cr",
		"ctl\x01x":                         "ctl\uFFFDx",
		"héllo & ü":                        "héllo &amp; ü",
		"bad\xffutf8":                      "bad\uFFFDutf8",
		"nonchar\uFFFE":                    "nonchar\uFFFD",
		"&":                                "&amp;",
		"x\x7f":                            "x\x7f",
	} {
		if got := string(appendEscaped([]byte("pre:"), in)); got != "pre:"+want {
			t.Errorf("appendEscaped(%q) = %q, want %q", in, got, "pre:"+want)
		}
	}
}

// Whatever the input, the escaped text parses as XML character data.
func FuzzAppendEscapedParses(f *testing.F) {
	for _, s := range []string{"", "a&b", "\r\n", "\xff", "\x00", "ü<"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		doc := "<v>" + string(appendEscaped(nil, s)) + "</v>"
		var v string
		if err := xml.Unmarshal([]byte(doc), &v); err != nil {
			t.Fatalf("%q escaped to %q: %v", s, doc, err)
		}
		// What a parser gives back: s with every character XML cannot carry as U+FFFD.
		want := strings.Map(func(r rune) rune {
			if r < 0x20 && r != '\t' && r != '\n' && r != '\r' || r == 0xFFFE || r == 0xFFFF {
				return '\uFFFD'
			}
			return r
		}, s) // ranging over s yields U+FFFD for each invalid byte, as appendEscaped writes
		if v != want {
			t.Fatalf("%q came back as %q, want %q", s, v, want)
		}
	})
}
