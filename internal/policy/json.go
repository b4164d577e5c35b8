package policy

import (
	"errors"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// A small JSON reader of our own: IAM needs the source position of every statement (for the Simulate APIs),
// the order of object members and their duplicates, and none of that survives encoding/json.

type jsonKind uint8

const (
	jNull jsonKind = iota + 1
	jBool
	jNumber
	jString
	jArray
	jObject
)

type jsonNode struct {
	kind  jsonKind
	str   string // string value; the literal text of numbers and booleans
	keys  []string
	vals  []*jsonNode // object member values (parallel to keys) or array elements
	start int         // byte offset of the first character
	end   int         // byte offset just past the last character
}

// member returns the value of the object member named name (case-sensitive, as IAM's element names are).
func (n *jsonNode) member(name string) *jsonNode {
	for i, k := range n.keys {
		if k == name {
			return n.vals[i]
		}
	}
	return nil
}

var errJSON = errors.New("json syntax error")

type jsonReader struct {
	src string
	pos int
}

func parseJSON(src string) (*jsonNode, error) {
	r := &jsonReader{src: src}
	r.skipSpace()
	n, err := r.value(0)
	if err != nil {
		return nil, err
	}
	r.skipSpace()
	if r.pos != len(r.src) {
		return nil, errJSON
	}
	return n, nil
}

func (r *jsonReader) skipSpace() {
	for r.pos < len(r.src) {
		switch r.src[r.pos] {
		case ' ', '\t', '\n', '\r':
			r.pos++
		default:
			return
		}
	}
}

func (r *jsonReader) value(depth int) (*jsonNode, error) {
	if depth > maxDepth || r.pos >= len(r.src) {
		return nil, errJSON
	}
	start := r.pos
	switch c := r.src[r.pos]; {
	case c == '{':
		return r.object(depth)
	case c == '[':
		return r.array(depth)
	case c == '"':
		s, err := r.string()
		if err != nil {
			return nil, err
		}
		return &jsonNode{kind: jString, str: s, start: start, end: r.pos}, nil
	case c == 't':
		return r.literal("true", jBool)
	case c == 'f':
		return r.literal("false", jBool)
	case c == 'n':
		return r.literal("null", jNull)
	case c == '-' || (c >= '0' && c <= '9'):
		return r.number()
	}
	return nil, errJSON
}

func (r *jsonReader) literal(word string, kind jsonKind) (*jsonNode, error) {
	if len(r.src)-r.pos < len(word) || r.src[r.pos:r.pos+len(word)] != word {
		return nil, errJSON
	}
	start := r.pos
	r.pos += len(word)
	return &jsonNode{kind: kind, str: word, start: start, end: r.pos}, nil
}

func (r *jsonReader) number() (*jsonNode, error) {
	start := r.pos
	digits := func() int {
		n := 0
		for r.pos < len(r.src) && r.src[r.pos] >= '0' && r.src[r.pos] <= '9' {
			r.pos++
			n++
		}
		return n
	}
	if r.src[r.pos] == '-' {
		r.pos++
	}
	if r.pos < len(r.src) && r.src[r.pos] == '0' {
		r.pos++
	} else if digits() == 0 {
		return nil, errJSON
	}
	if r.pos < len(r.src) && r.src[r.pos] == '.' {
		r.pos++
		if digits() == 0 {
			return nil, errJSON
		}
	}
	if r.pos < len(r.src) && (r.src[r.pos] == 'e' || r.src[r.pos] == 'E') {
		r.pos++
		if r.pos < len(r.src) && (r.src[r.pos] == '+' || r.src[r.pos] == '-') {
			r.pos++
		}
		if digits() == 0 {
			return nil, errJSON
		}
	}
	return &jsonNode{kind: jNumber, str: r.src[start:r.pos], start: start, end: r.pos}, nil
}

func (r *jsonReader) string() (string, error) {
	r.pos++ // opening quote
	start := r.pos
	// Fast path: no escapes.
	for r.pos < len(r.src) {
		c := r.src[r.pos]
		if c == '"' {
			s := r.src[start:r.pos]
			r.pos++
			if !utf8.ValidString(s) {
				return "", errJSON
			}
			return s, nil
		}
		if c == '\\' {
			break
		}
		if c < 0x20 {
			return "", errJSON
		}
		r.pos++
	}
	buf := []byte(r.src[start:r.pos])
	for r.pos < len(r.src) {
		c := r.src[r.pos]
		switch {
		case c == '"':
			r.pos++
			if !utf8.Valid(buf) {
				return "", errJSON
			}
			return string(buf), nil
		case c < 0x20:
			return "", errJSON
		case c != '\\':
			buf = append(buf, c)
			r.pos++
			continue
		}
		r.pos++
		if r.pos >= len(r.src) {
			return "", errJSON
		}
		e := r.src[r.pos]
		r.pos++
		switch e {
		case '"', '\\', '/':
			buf = append(buf, e)
		case 'b':
			buf = append(buf, '\b')
		case 'f':
			buf = append(buf, '\f')
		case 'n':
			buf = append(buf, '\n')
		case 'r':
			buf = append(buf, '\r')
		case 't':
			buf = append(buf, '\t')
		case 'u':
			cp, ok := r.hex4()
			if !ok {
				return "", errJSON
			}
			rn := rune(cp)
			if utf16.IsSurrogate(rn) {
				// A high surrogate must be followed by an escaped low surrogate; lone halves become U+FFFD.
				if r.pos+1 < len(r.src) && r.src[r.pos] == '\\' && r.src[r.pos+1] == 'u' {
					save := r.pos
					r.pos += 2
					lo, ok := r.hex4()
					if !ok {
						return "", errJSON
					}
					if dec := utf16.DecodeRune(rn, rune(lo)); dec != utf8.RuneError {
						rn = dec
					} else {
						rn = utf8.RuneError
						r.pos = save
					}
				} else {
					rn = utf8.RuneError
				}
			}
			buf = utf8.AppendRune(buf, rn)
		default:
			return "", errJSON
		}
	}
	return "", errJSON
}

func (r *jsonReader) hex4() (uint64, bool) {
	if len(r.src)-r.pos < 4 {
		return 0, false
	}
	v, err := strconv.ParseUint(r.src[r.pos:r.pos+4], 16, 32)
	if err != nil {
		return 0, false
	}
	r.pos += 4
	return v, true
}

func (r *jsonReader) object(depth int) (*jsonNode, error) {
	n := &jsonNode{kind: jObject, start: r.pos}
	r.pos++
	r.skipSpace()
	if r.pos < len(r.src) && r.src[r.pos] == '}' {
		r.pos++
		n.end = r.pos
		return n, nil
	}
	for {
		r.skipSpace()
		if r.pos >= len(r.src) || r.src[r.pos] != '"' {
			return nil, errJSON
		}
		k, err := r.string()
		if err != nil {
			return nil, err
		}
		r.skipSpace()
		if r.pos >= len(r.src) || r.src[r.pos] != ':' {
			return nil, errJSON
		}
		r.pos++
		r.skipSpace()
		v, err := r.value(depth + 1)
		if err != nil {
			return nil, err
		}
		n.keys = append(n.keys, k)
		n.vals = append(n.vals, v)
		r.skipSpace()
		if r.pos >= len(r.src) {
			return nil, errJSON
		}
		switch r.src[r.pos] {
		case ',':
			r.pos++
		case '}':
			r.pos++
			n.end = r.pos
			return n, nil
		default:
			return nil, errJSON
		}
	}
}

func (r *jsonReader) array(depth int) (*jsonNode, error) {
	n := &jsonNode{kind: jArray, start: r.pos}
	r.pos++
	r.skipSpace()
	if r.pos < len(r.src) && r.src[r.pos] == ']' {
		r.pos++
		n.end = r.pos
		return n, nil
	}
	for {
		r.skipSpace()
		v, err := r.value(depth + 1)
		if err != nil {
			return nil, err
		}
		n.vals = append(n.vals, v)
		r.skipSpace()
		if r.pos >= len(r.src) {
			return nil, errJSON
		}
		switch r.src[r.pos] {
		case ',':
			r.pos++
		case ']':
			r.pos++
			n.end = r.pos
			return n, nil
		default:
			return nil, errJSON
		}
	}
}

// Position is a place in a policy document: 1-based line and column (columns count characters).
type Position struct {
	Line   int
	Column int
}

// positioner converts byte offsets of src to lines and columns (columns count characters). Offsets asked
// in increasing order, as Parse asks for its statements' bounds, cost one pass over src in all: computing
// each from the start made a document of thousands of statements quadratic to parse.
type positioner struct {
	src string
	off int // offset reached
	pos Position
}

func newPositioner(src string) positioner {
	return positioner{src: src, pos: Position{Line: 1, Column: 1}}
}

func (p *positioner) at(off int) Position {
	if off < p.off {
		p.off, p.pos = 0, Position{Line: 1, Column: 1}
	}
	for p.off < off && p.off < len(p.src) {
		c, n := utf8.DecodeRuneInString(p.src[p.off:])
		p.off += n
		if c == '\n' {
			p.pos.Line++
			p.pos.Column = 1
		} else {
			p.pos.Column++
		}
	}
	return p.pos
}
