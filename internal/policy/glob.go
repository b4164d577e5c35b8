package policy

import (
	"strings"
	"unicode/utf8"
)

// Patterns are compiled once per policy into one of a few shapes so that the common cases ("*",
// "iam:Get*", an exact ARN) cost a comparison; the general glob walks parts without regexp or allocation.

type partKind uint8

const (
	partLit  partKind = iota + 1 // literal text
	partStar                     // * : any run of characters
	partOne                      // ? : any one character
	partVar                      // ${key} or ${key, 'default'}: replaced by the context value, matched literally
)

type part struct {
	kind partKind
	lit  string
	v    *variable
}

type matchMode uint8

const (
	modeAny    matchMode = iota + 1 // "*"
	modeExact                       // no wildcard, no variable
	modePrefix                      // literal followed by a single trailing *
	modeGlob                        // anything else
)

// pattern is one compiled value (an action, a resource ARN segment, a condition value).
type pattern struct {
	raw   string
	mode  matchMode
	lit   string // modeExact, modePrefix
	parts []part // modeGlob
	vars  bool   // parts hold variables: resolve before matching
}

// compilePattern compiles s. wildcards says whether * and ? are wildcards (StringLike, ARNs) or literal
// text (StringEquals); vars whether ${…} are policy variables (version 2012-10-17 only); fold lowercases
// the literal text (actions are case-insensitive, the request side is lowercased once per request).
func compilePattern(s string, wildcards, vars, fold bool) pattern {
	p := pattern{raw: s}
	var parts []part
	lit := strings.Builder{}
	flush := func() {
		if lit.Len() > 0 {
			t := lit.String()
			if fold {
				t = strings.ToLower(t)
			}
			parts = append(parts, part{kind: partLit, lit: t})
			lit.Reset()
		}
	}
	for i := 0; i < len(s); {
		c := s[i]
		if vars && c == '$' && i+1 < len(s) && s[i+1] == '{' {
			if end := strings.IndexByte(s[i+2:], '}'); end >= 0 {
				body := s[i+2 : i+2+end]
				i += 2 + end + 1
				switch body {
				case "*", "?", "$":
					// ${*}, ${?} and ${$} are the literal characters, never wildcards.
					lit.WriteString(body)
					continue
				}
				flush()
				parts = append(parts, part{kind: partVar, v: parseVariable(body)})
				p.vars = true
				continue
			}
		}
		if wildcards && (c == '*' || c == '?') {
			flush()
			if c == '*' {
				// Consecutive stars are one star.
				if n := len(parts); n == 0 || parts[n-1].kind != partStar {
					parts = append(parts, part{kind: partStar})
				}
			} else {
				parts = append(parts, part{kind: partOne})
			}
			i++
			continue
		}
		lit.WriteByte(c)
		i++
	}
	flush()
	switch {
	case p.vars:
		p.mode = modeGlob
	case len(parts) == 0:
		p.mode = modeExact
	case len(parts) == 1 && parts[0].kind == partStar:
		p.mode = modeAny
	case len(parts) == 1 && parts[0].kind == partLit:
		p.mode, p.lit = modeExact, parts[0].lit
	case len(parts) == 2 && parts[0].kind == partLit && parts[1].kind == partStar:
		p.mode, p.lit = modePrefix, parts[0].lit
	default:
		p.mode = modeGlob
	}
	p.parts = parts
	return p
}

// cost is the pattern's weight in Policy.Cost: one element, or for a wildcard pattern its parts.
func (p *pattern) cost() (elements, globParts int) {
	if p.mode == modeGlob {
		return 0, max(1, len(p.parts))
	}
	return 1, 0
}

// match reports whether s matches p. Patterns with variables resolve them through ctx; a variable with no
// value and no default makes the pattern match nothing, as in AWS.
func (p *pattern) match(s string, ctx *evalContext) bool {
	switch p.mode {
	case modeAny:
		return true
	case modeExact:
		return s == p.lit
	case modePrefix:
		return strings.HasPrefix(s, p.lit)
	}
	if !p.vars {
		return globParts(p.parts, s)
	}
	parts, ok := ctx.resolveParts(p.parts)
	if !ok {
		return false
	}
	return globParts(parts, s)
}

// literal returns the text of a pattern without wildcards, resolving variables; ok is false when a
// variable cannot be resolved.
func (p *pattern) literal(ctx *evalContext) (string, bool) {
	if !p.vars {
		if p.mode == modeExact {
			return p.lit, true
		}
		return p.raw, true
	}
	parts, ok := ctx.resolveParts(p.parts)
	if !ok {
		return "", false
	}
	var b strings.Builder
	for _, pt := range parts {
		switch pt.kind {
		case partLit:
			b.WriteString(pt.lit)
		case partStar:
			b.WriteByte('*')
		case partOne:
			b.WriteByte('?')
		}
	}
	return b.String(), true
}

// globParts matches s against literal, * and ? parts. It is the classic greedy algorithm that remembers
// the last star and lets it absorb one more character on mismatch: linear in practice, never recursive.
func globParts(parts []part, s string) bool {
	pi, si := 0, 0
	starPi, starSi := -1, 0
	for {
		if pi < len(parts) {
			pt := &parts[pi]
			switch pt.kind {
			case partStar:
				starPi, starSi = pi, si
				pi++
				continue
			case partOne:
				if si < len(s) {
					_, n := utf8.DecodeRuneInString(s[si:])
					si += n
					pi++
					continue
				}
			case partLit:
				if strings.HasPrefix(s[si:], pt.lit) {
					si += len(pt.lit)
					pi++
					continue
				}
			}
		} else if si == len(s) {
			return true
		}
		if starPi < 0 || starSi >= len(s) {
			return false
		}
		_, n := utf8.DecodeRuneInString(s[starSi:])
		starSi += n
		pi, si = starPi+1, starSi
	}
}

// arnPattern matches ARNs the way IAM does for Resource and the Arn* operators: each of the six
// colon-separated components is matched separately (a * does not run across a colon), and the last
// component of the pattern takes the rest of the ARN, colons included. Values that are not ARNs are
// matched as a whole.
type arnPattern struct {
	whole pattern   // used when segs is nil
	segs  []pattern // up to six
	exact bool      // no wildcard and no variable anywhere: compare with lit
	lit   string
	raw   string
}

func compileARN(s string, vars bool) arnPattern {
	a := arnPattern{raw: s}
	if !strings.HasPrefix(s, "arn:") {
		a.whole = compilePattern(s, true, vars, false)
		return a
	}
	a.exact = true
	lits := make([]string, 0, 6)
	for _, seg := range splitARN(s, vars) {
		p := compilePattern(seg, true, vars, false)
		if p.mode != modeExact {
			a.exact = false
		}
		lits = append(lits, p.lit)
		a.segs = append(a.segs, p)
	}
	if a.exact {
		// ${*}, ${?} and ${$} are already replaced in the literal.
		a.lit = strings.Join(lits, ":")
	}
	return a
}

// splitARN splits s at colons into at most six components, ignoring colons inside ${…} variables.
func splitARN(s string, vars bool) []string {
	var out []string
	start, depth := 0, 0
	for i := 0; i < len(s) && len(out) < 5; i++ {
		switch {
		case vars && s[i] == '$' && i+1 < len(s) && s[i+1] == '{':
			depth++
		case depth > 0 && s[i] == '}':
			depth--
		case depth == 0 && s[i] == ':':
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

// cost is the pattern's weight in Policy.Cost: that of its components.
func (a *arnPattern) cost() (elements, globParts int) {
	if a.segs == nil {
		return a.whole.cost()
	}
	if a.exact {
		return 1, 0
	}
	for i := range a.segs {
		e, g := a.segs[i].cost()
		elements += e
		globParts += g
	}
	return elements, globParts
}

func (a *arnPattern) match(s string, ctx *evalContext) bool {
	if a.segs == nil {
		return a.whole.match(s, ctx)
	}
	if a.exact {
		return s == a.lit
	}
	rest := s
	for i := range a.segs {
		var comp string
		if i == len(a.segs)-1 {
			comp, rest = rest, ""
		} else {
			j := strings.IndexByte(rest, ':')
			if j < 0 {
				return false
			}
			comp, rest = rest[:j], rest[j+1:]
		}
		if !a.segs[i].match(comp, ctx) {
			return false
		}
	}
	return true
}
