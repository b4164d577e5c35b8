package protocol

import (
	"regexp/syntax"
	"unicode/utf8"
)

// charRun matches the commonest form of model pattern, one character class repeated over the whole value
// (`[\w+=,.@-]+` for names, `[\u0009\u000A\u000D\u0020-\u00FF]*` for documents, `[\p{L}\p{Z}\p{N}_.:/=+\-@]+`
// for tags), with a table lookup per ASCII byte. Go's regexp engine spent about a fifth of the protocol
// layer's time on these (a CreateUser with two tags checks five values), for the same answers.
type charRun struct {
	ascii  [utf8.RuneSelf]bool
	ranges []rune // the class's ranges above ASCII, as lo, hi pairs in order (regexp/syntax's form)
	min    int    // 1 for +, 0 for *
}

// compileCharRun returns the charRun equivalent to the RE2 pattern re, or nil when re is anything else.
func compileCharRun(re string) *charRun {
	// The generator anchors patterns as ^(?:…)$ and compiles them with Go's default (Perl) syntax.
	parsed, err := syntax.Parse(re, syntax.Perl)
	if err != nil {
		return nil
	}
	parsed = parsed.Simplify()
	if parsed.Op != syntax.OpConcat || len(parsed.Sub) != 3 ||
		parsed.Sub[0].Op != syntax.OpBeginText || parsed.Sub[2].Op != syntax.OpEndText {
		return nil
	}
	rep := parsed.Sub[1]
	c := &charRun{}
	switch rep.Op {
	case syntax.OpPlus:
		c.min = 1
	case syntax.OpStar:
	default:
		return nil
	}
	class := rep.Sub[0]
	if class.Op != syntax.OpCharClass || class.Flags&syntax.FoldCase != 0 {
		return nil
	}
	for i := 0; i+1 < len(class.Rune); i += 2 {
		lo, hi := class.Rune[i], class.Rune[i+1]
		for r := lo; r <= hi && r < utf8.RuneSelf; r++ {
			c.ascii[r] = true
		}
		if hi >= utf8.RuneSelf {
			c.ranges = append(c.ranges, max(lo, utf8.RuneSelf), hi)
		}
	}
	return c
}

// match reports whether every character of s is in the class and there are at least min of them. Invalid
// UTF-8 counts as U+FFFD, as in package regexp.
func (c *charRun) match(s string) bool {
	if len(s) < c.min {
		return false
	}
	for i := 0; i < len(s); {
		if b := s[i]; b < utf8.RuneSelf {
			if !c.ascii[b] {
				return false
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if !c.inRanges(r) {
			return false
		}
		i += size
	}
	return true
}

func (c *charRun) inRanges(r rune) bool {
	// Classes have a few dozen ranges at most (\p{L} has hundreds, but few values leave ASCII): a binary
	// search over the pairs.
	lo, hi := 0, len(c.ranges)/2
	for lo < hi {
		m := (lo + hi) / 2
		switch {
		case r < c.ranges[2*m]:
			hi = m
		case r > c.ranges[2*m+1]:
			lo = m + 1
		default:
			return true
		}
	}
	return false
}
