package protocol_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/iamd/iamd/internal/api/accountapi"
	"github.com/iamd/iamd/internal/api/iamapi"
	"github.com/iamd/iamd/internal/api/stsapi"
	"github.com/iamd/iamd/internal/protocol"
)

// fastPatterns are the models' patterns the character-run matcher takes over, each with package regexp's
// matcher for the same text.
func fastPatterns(t testing.TB) map[string][2]func(string) bool {
	t.Helper()
	out := map[string][2]func(string) bool{}
	seen := map[*protocol.Shape]bool{}
	var walk func(s *protocol.Shape)
	walk = func(s *protocol.Shape) {
		if s == nil || seen[s] {
			return
		}
		seen[s] = true
		if p := s.Pattern; p != nil {
			if fast := protocol.CharRunMatcher(p.RE2); fast != nil {
				out[p.RE2] = [2]func(string) bool{fast, regexp.MustCompile(p.RE2).MatchString}
			}
		}
		for i := range s.Members {
			walk(s.Members[i].Shape)
		}
		for _, m := range []*protocol.Member{s.Elem, s.Key, s.Value} {
			if m != nil {
				walk(m.Shape)
			}
		}
	}
	for _, svc := range []*protocol.ServiceInfo{iamapi.Info, stsapi.Info, accountapi.Info} {
		for _, op := range svc.Operations {
			walk(op.Input)
			walk(op.Output)
		}
	}
	return out
}

var charRunSamples = []string{
	"", "a", "Bob_1", "a b", "user+tag=x,y.z@d-e", "/path/to/", "é", "ü名前", "\xff", "a\xffb", "\t\n\r",
	"\x00", "\x7f", "\u00a0", "\u00ff", "\u0100", "\ufffd", "😀", "key:with/slash", strings.Repeat("x", 300),
	"--", "AKIAIOSFODNN7EXAMPLE", "{\"Version\":\"2012-10-17\"}", "tag value with spaces", "\u2028", "١٢٣",
}

// The fast matcher gives package regexp's answer for every model pattern it takes, on every sample.
func TestCharRunMatchesRegexp(t *testing.T) {
	pats := fastPatterns(t)
	if len(pats) < 20 {
		t.Fatalf("only %d patterns take the fast path; the models have more than 20 character-class patterns", len(pats))
	}
	for re, m := range pats {
		for _, s := range charRunSamples {
			if fast, slow := m[0](s), m[1](s); fast != slow {
				t.Errorf("pattern %s on %q: fast %v, regexp %v", re, s, fast, slow)
			}
		}
	}
	if protocol.CharRunMatcher(`^(?:(\x{002F})|(\x{002F}[\x{0021}-\x{007E}]+\x{002F}))$`) != nil {
		t.Error("an alternation took the fast path")
	}
}

func FuzzCharRunMatchesRegexp(f *testing.F) {
	for _, s := range charRunSamples {
		f.Add(s)
	}
	pats := fastPatterns(f)
	f.Fuzz(func(t *testing.T, s string) {
		for re, m := range pats {
			if fast, slow := m[0](s), m[1](s); fast != slow {
				t.Fatalf("pattern %s on %q: fast %v, regexp %v", re, s, fast, slow)
			}
		}
	})
}

// BenchmarkPatternMatch: a user name and a tag value against their patterns, by package regexp and by
// the character-run matcher.
func BenchmarkPatternMatch(b *testing.B) {
	cases := []struct{ name, re, value string }{
		{"username", `^(?:[\w+=,.@-]+)$`, "bench-user.name@example"},
		{"tagvalue", `^(?:[\p{L}\p{Z}\p{N}_.:/=+\-@]*)$`, "team blue / project x"},
	}
	for _, c := range cases {
		re := regexp.MustCompile(c.re)
		fast := protocol.CharRunMatcher(c.re)
		b.Run(c.name+"/regexp", func(b *testing.B) {
			for b.Loop() {
				if !re.MatchString(c.value) {
					b.Fatal("no match")
				}
			}
		})
		b.Run(c.name+"/charrun", func(b *testing.B) {
			for b.Loop() {
				if !fast(c.value) {
					b.Fatal("no match")
				}
			}
		})
	}
}
