package policy

import (
	"bytes"
	"encoding/base64"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

type opBase uint8

const (
	opString opBase = iota + 1
	opStringIgnoreCase
	opStringLike
	opNumeric
	opDate
	opBool
	opBinary
	opIP
	opArn
	opNull
)

type opCmp uint8

const (
	cmpEq opCmp = iota
	cmpLt
	cmpLe
	cmpGt
	cmpGe
)

type operator struct {
	base   opBase
	cmp    opCmp
	negate bool
}

// operators maps the lowercased name of every condition operator (without IfExists and set prefixes).
var operators = map[string]operator{
	"stringequals":              {base: opString},
	"stringnotequals":           {base: opString, negate: true},
	"stringequalsignorecase":    {base: opStringIgnoreCase},
	"stringnotequalsignorecase": {base: opStringIgnoreCase, negate: true},
	"stringlike":                {base: opStringLike},
	"stringnotlike":             {base: opStringLike, negate: true},
	"numericequals":             {base: opNumeric},
	"numericnotequals":          {base: opNumeric, negate: true},
	"numericlessthan":           {base: opNumeric, cmp: cmpLt},
	"numericlessthanequals":     {base: opNumeric, cmp: cmpLe},
	"numericgreaterthan":        {base: opNumeric, cmp: cmpGt},
	"numericgreaterthanequals":  {base: opNumeric, cmp: cmpGe},
	"dateequals":                {base: opDate},
	"datenotequals":             {base: opDate, negate: true},
	"datelessthan":              {base: opDate, cmp: cmpLt},
	"datelessthanequals":        {base: opDate, cmp: cmpLe},
	"dategreaterthan":           {base: opDate, cmp: cmpGt},
	"dategreaterthanequals":     {base: opDate, cmp: cmpGe},
	"bool":                      {base: opBool},
	"binaryequals":              {base: opBinary},
	"ipaddress":                 {base: opIP},
	"notipaddress":              {base: opIP, negate: true},
	"arnequals":                 {base: opArn},
	"arnlike":                   {base: opArn},
	"arnnotequals":              {base: opArn, negate: true},
	"arnnotlike":                {base: opArn, negate: true},
	"null":                      {base: opNull},
}

type setOp uint8

const (
	setNone setOp = iota
	setForAll
	setForAny
)

// condition is one key of one operator block: "StringEquals": {"aws:username": ["a", "b"]}.
type condition struct {
	op       operator
	set      setOp
	ifExists bool
	opName   string // as written
	keyName  string // as written
	key      string // lowercased
	values   []condValue
}

type condValue struct {
	raw  string
	vars bool // holds policy variables: resolved per request

	pat    pattern    // string operators
	arn    arnPattern // Arn operators
	num    float64
	numOK  bool
	date   time.Time
	dateOK bool
	prefix netip.Prefix
	ipOK   bool
	bin    []byte
}

// compileConditions compiles a Condition element that passed conditionSyntax: operator → key → value(s).
// Operators IAM does not know have empty blocks and compile to nothing.
func compileConditions(n *jsonNode, vars bool) []*condition {
	var out []*condition
	for i, opName := range n.keys {
		block := n.vals[i]
		op, set, ifExists, ok := parseOperator(opName)
		if !ok {
			continue
		}
		for j, keyName := range block.keys {
			raws, _ := conditionValues(block.vals[j])
			c := &condition{op: op, set: set, ifExists: ifExists, opName: opName, keyName: keyName,
				key: strings.ToLower(keyName)}
			for _, r := range raws {
				c.values = append(c.values, compileCondValue(op.base, r, vars))
			}
			out = append(out, c)
		}
	}
	return out
}

// conditionValues reads a condition key's value: a string, number or boolean, or a list of them (IAM
// accepts JSON true/false and numbers in conditions and compares their text).
func conditionValues(n *jsonNode) ([]string, bool) {
	scalar := func(v *jsonNode) (string, bool) {
		switch v.kind {
		case jString, jNumber, jBool:
			return v.str, true
		}
		return "", false
	}
	if s, ok := scalar(n); ok {
		return []string{s}, true
	}
	if n.kind != jArray {
		return nil, false
	}
	out := make([]string, 0, len(n.vals))
	for _, v := range n.vals {
		s, ok := scalar(v)
		if !ok {
			return nil, false
		}
		out = append(out, s)
	}
	return out, true
}

func parseOperator(name string) (op operator, set setOp, ifExists, ok bool) {
	s := strings.ToLower(name)
	switch {
	case strings.HasPrefix(s, "forallvalues:"):
		set, s = setForAll, s[len("forallvalues:"):]
	case strings.HasPrefix(s, "foranyvalue:"):
		set, s = setForAny, s[len("foranyvalue:"):]
	}
	if strings.HasSuffix(s, "ifexists") {
		ifExists, s = true, strings.TrimSuffix(s, "ifexists")
	}
	op, ok = operators[s]
	if ok && op.base == opNull && (ifExists || set != setNone) {
		// NullIfExists and set operators on Null mean nothing; IAM rejects them.
		return op, set, ifExists, false
	}
	return op, set, ifExists, ok
}

func compileCondValue(base opBase, raw string, vars bool) condValue {
	v := condValue{raw: raw}
	v.vars = vars && strings.Contains(raw, "${")
	switch base {
	case opString, opStringIgnoreCase, opBool:
		v.pat = compilePattern(raw, false, vars, false)
	case opStringLike:
		v.pat = compilePattern(raw, true, vars, false)
	case opArn:
		v.arn = compileARN(raw, vars)
	case opNumeric, opDate, opIP, opBinary, opNull:
		// Variables are resolved as text, then parsed.
		v.pat = compilePattern(raw, false, vars, false)
		if !v.vars {
			v.parse(base, raw)
		}
	}
	return v
}

func (v *condValue) parse(base opBase, s string) {
	switch base {
	case opNumeric:
		v.num, v.numOK = parseNumber(s)
	case opDate:
		v.date, v.dateOK = parseDate(s)
	case opIP:
		v.prefix, v.ipOK = parsePrefix(s)
	case opBinary:
		b, err := base64.StdEncoding.DecodeString(s)
		if err == nil {
			v.bin = b
		}
	}
}

func parseNumber(s string) (float64, bool) {
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	return f, err == nil
}

// dateLayouts are the ISO 8601 forms IAM accepts besides epoch seconds.
var dateLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05Z0700",
	"2006-01-02T15:04:05",
	"2006-01-02T15:04Z07:00",
	"2006-01-02T15:04",
	"2006-01-02",
}

func parseDate(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, false
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.Unix(n, 0).UTC(), true
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil && !strings.ContainsAny(s, "-T:") {
		sec := int64(f)
		return time.Unix(sec, int64((f-float64(sec))*1e9)).UTC(), true
	}
	for _, l := range dateLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// parsePrefix reads a CIDR block or a bare address (a /32 or /128).
func parsePrefix(s string) (netip.Prefix, bool) {
	s = strings.TrimSpace(s)
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, false
		}
		return p.Masked(), true
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, false
	}
	return netip.PrefixFrom(a, a.BitLen()), true
}

// eval applies the condition to the request, with AWS's rules for missing keys, IfExists, set operators
// and negated operators.
func (c *condition) eval(ctx *evalContext) bool {
	vals, present := ctx.lookup(c.key, c.keyName)
	present = present && len(vals) > 0
	if c.op.base == opNull {
		// "Null": "true" means the key must be absent, "false" that it must be present.
		for i := range c.values {
			switch strings.ToLower(c.values[i].raw) {
			case "true":
				if !present {
					return true
				}
			case "false":
				if present {
					return true
				}
			}
		}
		return false
	}
	if !present {
		switch {
		case c.ifExists:
			return true
		case c.set == setForAll:
			// Vacuously true: every one of no values matches.
			return true
		case c.set == setForAny:
			return false
		}
		// A negated operator on a missing key is true (nothing matched, so "not equals" holds).
		return c.op.negate
	}
	switch c.set {
	case setForAll:
		for _, rv := range vals {
			if c.matchOne(rv, ctx) == c.op.negate {
				return false
			}
		}
		return true
	case setForAny:
		for _, rv := range vals {
			if c.matchOne(rv, ctx) != c.op.negate {
				return true
			}
		}
		return false
	}
	// Without a set operator, values of one key are ORed; negated operators are a NOR: true only if no
	// request value matches any policy value.
	for _, rv := range vals {
		if c.matchOne(rv, ctx) {
			return !c.op.negate
		}
	}
	return c.op.negate
}

// matchOne reports whether the request value rv matches any of the policy's values (ignoring negation).
func (c *condition) matchOne(rv string, ctx *evalContext) bool {
	for i := range c.values {
		if c.values[i].match(c.op, rv, ctx) {
			return true
		}
	}
	return false
}

func (v *condValue) match(op operator, rv string, ctx *evalContext) bool {
	switch op.base {
	case opString:
		return v.pat.matchLiteral(rv, ctx, false)
	case opStringIgnoreCase, opBool:
		return v.pat.matchLiteral(rv, ctx, true)
	case opStringLike:
		return v.pat.match(rv, ctx)
	case opArn:
		return v.arn.match(rv, ctx)
	}
	pv := v
	if v.vars {
		s, ok := v.pat.literal(ctx)
		if !ok {
			return false
		}
		tmp := condValue{}
		tmp.parse(op.base, s)
		pv = &tmp
	}
	switch op.base {
	case opNumeric:
		n, ok := parseNumber(rv)
		return ok && pv.numOK && compare(op.cmp, cmpFloat(n, pv.num))
	case opDate:
		t, ok := parseDate(rv)
		return ok && pv.dateOK && compare(op.cmp, t.Compare(pv.date))
	case opIP:
		a, err := netip.ParseAddr(strings.TrimSpace(rv))
		if err != nil || !pv.ipOK {
			return false
		}
		return pv.prefix.Contains(a.Unmap()) || pv.prefix.Contains(a)
	case opBinary:
		// The policy holds base64; the request value is the raw bytes, or the same base64 text.
		return pv.bin != nil && (bytes.Equal(pv.bin, []byte(rv)) || rv == v.raw)
	}
	return false
}

// matchLiteral compares without wildcards, resolving variables.
func (p *pattern) matchLiteral(rv string, ctx *evalContext, fold bool) bool {
	s := p.raw
	if p.vars || p.mode == modeExact {
		var ok bool
		if s, ok = p.literal(ctx); !ok {
			return false
		}
	}
	if fold {
		return strings.EqualFold(s, rv)
	}
	return s == rv
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func compare(c opCmp, r int) bool {
	switch c {
	case cmpLt:
		return r < 0
	case cmpLe:
		return r <= 0
	case cmpGt:
		return r > 0
	case cmpGe:
		return r >= 0
	}
	return r == 0
}
