package protocol

import (
	"net/http"
	"slices"
	"strings"
	"unicode/utf8"
)

// Limits on awsQuery parameters. The server already caps the body size; these keep a well-sized but
// pathological request (a million empty parameters) from costing more than a normal one.
const (
	MaxQueryParams   = 10000
	maxListIndex     = 1 << 20
	maxNestingLevels = 64
)

// param is one decoded name=value pair.
type param struct {
	key, val string
}

// Params is a parsed awsQuery parameter set, sorted by name so lookups and prefix scans are binary searches.
type Params struct {
	list []param
}

// ParseParams parses one or more application/x-www-form-urlencoded strings (a POST body and the URL query)
// into a Params. Bad percent-encoding, invalid UTF-8, duplicate names and too many parameters are
// MalformedQueryString errors naming the problem.
func ParseParams(parts ...string) (*Params, error) {
	p := &Params{}
	n := 0
	for _, s := range parts {
		n += strings.Count(s, "&") + 1
	}
	if n > MaxQueryParams {
		return nil, malformed("Too many parameters in the request.")
	}
	p.list = make([]param, 0, n)
	for _, s := range parts {
		for s != "" {
			var kv string
			kv, s, _ = strings.Cut(s, "&")
			if kv == "" {
				continue
			}
			k, v, _ := strings.Cut(kv, "=")
			key, ok := unescape(k)
			if !ok {
				return nil, malformed("Invalid percent-encoding in parameter name.")
			}
			val, ok := unescape(v)
			if !ok {
				return nil, malformed("Invalid percent-encoding in the value of parameter " + key + ".")
			}
			if !utf8.ValidString(key) || !utf8.ValidString(val) {
				return nil, malformed("Parameters must be valid UTF-8.")
			}
			p.list = append(p.list, param{key, val})
		}
	}
	slices.SortFunc(p.list, func(a, b param) int { return strings.Compare(a.key, b.key) })
	for i := 1; i < len(p.list); i++ {
		if p.list[i].key == p.list[i-1].key {
			return nil, malformed("Parameter " + p.list[i].key + " is given more than once.")
		}
	}
	return p, nil
}

func malformed(msg string) *Error {
	return &Error{Code: "MalformedQueryString", Status: http.StatusBadRequest, Message: msg}
}

// Get returns the value of name.
func (p *Params) Get(name string) (string, bool) {
	i, ok := slices.BinarySearchFunc(p.list, name, func(e param, k string) int { return strings.Compare(e.key, k) })
	if !ok {
		return "", false
	}
	return p.list[i].val, true
}

// withPrefix returns the parameters whose names start with prefix (a contiguous run, the list is sorted).
func (p *Params) withPrefix(prefix string) []param {
	i, _ := slices.BinarySearchFunc(p.list, prefix, func(e param, k string) int { return strings.Compare(e.key, k) })
	j := i
	for j < len(p.list) && strings.HasPrefix(p.list[j].key, prefix) {
		j++
	}
	return p.list[i:j]
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// unescape decodes form encoding ('+' is a space). It returns s itself when nothing needs decoding, which is
// the common case and costs no allocation.
func unescape(s string) (string, bool) {
	n := 0
	plus := false
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '%':
			if i+2 >= len(s) {
				return "", false
			}
			if _, ok := unhex(s[i+1]); !ok {
				return "", false
			}
			if _, ok := unhex(s[i+2]); !ok {
				return "", false
			}
			n++
			i += 2
		case '+':
			plus = true
		}
	}
	if n == 0 && !plus {
		return s, true
	}
	b := make([]byte, 0, len(s)-2*n)
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '%':
			hi, _ := unhex(s[i+1])
			lo, _ := unhex(s[i+2])
			b = append(b, hi<<4|lo)
			i += 2
		case '+':
			b = append(b, ' ')
		default:
			b = append(b, c)
		}
	}
	return string(b), true
}
