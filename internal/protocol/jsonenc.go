package protocol

import (
	"encoding/base64"
	"encoding/json"
	"reflect"
	"slices"
	"strconv"
	"unicode/utf8"
)

// AppendJSONMembers appends the JSON object of the body members of structure s (value v, a struct) to buf.
// Members bound to headers, the URI, the query string or the status code are left out.
func AppendJSONMembers(buf []byte, s *Shape, v reflect.Value, extra func([]byte) []byte) []byte {
	buf = append(buf, '{')
	first := true
	if extra != nil {
		n := len(buf)
		buf = extra(buf)
		first = len(buf) == n
	}
	for i := range s.Members {
		m := &s.Members[i]
		if m.Location != "" {
			continue
		}
		f := v.Field(i)
		if isNil(f) {
			continue
		}
		if !first {
			buf = append(buf, ',')
		}
		first = false
		buf = appendJSONString(buf, m.WireName())
		buf = append(buf, ':')
		buf = appendJSONValue(buf, m, f, 0)
	}
	return append(buf, '}')
}

func appendJSONValue(buf []byte, m *Member, v reflect.Value, depth int) []byte {
	if v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return append(buf, "null"...)
		}
		v = v.Elem()
	}
	if depth > maxNestingLevels {
		return append(buf, "null"...)
	}
	s := m.Shape
	switch s.Kind {
	case KindStructure:
		if s.Type != nil && v.Type() != s.Type {
			return append(buf, "null"...)
		}
		buf = append(buf, '{')
		first := true
		for i := range s.Members {
			sm := &s.Members[i]
			f := v.Field(i)
			if isNil(f) {
				continue
			}
			if !first {
				buf = append(buf, ',')
			}
			first = false
			buf = appendJSONString(buf, sm.WireName())
			buf = append(buf, ':')
			buf = appendJSONValue(buf, sm, f, depth+1)
		}
		return append(buf, '}')
	case KindList:
		buf = append(buf, '[')
		for j := 0; j < v.Len(); j++ {
			if j > 0 {
				buf = append(buf, ',')
			}
			buf = appendJSONValue(buf, s.Elem, v.Index(j), depth+1)
		}
		return append(buf, ']')
	case KindMap:
		keys := v.MapKeys()
		slices.SortFunc(keys, func(a, b reflect.Value) int {
			switch {
			case a.String() < b.String():
				return -1
			case a.String() > b.String():
				return 1
			}
			return 0
		})
		buf = append(buf, '{')
		for j, k := range keys {
			if j > 0 {
				buf = append(buf, ',')
			}
			buf = appendJSONString(buf, k.String())
			buf = append(buf, ':')
			buf = appendJSONValue(buf, s.Value, v.MapIndex(k), depth+1)
		}
		return append(buf, '}')
	case KindString:
		return appendJSONString(buf, v.String())
	case KindInteger, KindLong:
		return strconv.AppendInt(buf, v.Int(), 10)
	case KindBoolean:
		return strconv.AppendBool(buf, v.Bool())
	case KindDouble, KindFloat:
		f := v.Float()
		txt := appendFloat(nil, f)
		if txt[0] == 'N' || txt[0] == 'I' || txt[0] == '-' && txt[1] == 'I' {
			return appendJSONString(buf, string(txt))
		}
		return append(buf, txt...)
	case KindTimestamp:
		t := timeOf(v)
		format := m.tsFormat()
		if format == "" || format == TimestampUnix {
			return appendTimestamp(buf, t, TimestampUnix)
		}
		buf = append(buf, '"')
		buf = appendTimestamp(buf, t, format)
		return append(buf, '"')
	case KindBlob:
		buf = append(buf, '"')
		buf = base64.StdEncoding.AppendEncode(buf, v.Bytes())
		return append(buf, '"')
	case KindDocument:
		if v.Kind() == reflect.Interface {
			if v.IsNil() {
				return append(buf, "null"...)
			}
			v = v.Elem()
		}
		b, err := json.Marshal(v.Interface())
		if err != nil {
			return append(buf, "null"...)
		}
		return append(buf, b...)
	}
	return append(buf, "null"...)
}

const hexDigits = "0123456789abcdef"

// plain8 reports whether the 8 bytes of s are all jsonPlain, with word arithmetic: a byte is not plain
// when its high bit is set (not ASCII), when it is under 0x20, or when it equals one of the five
// escaped characters. (x-lsb)&^x&msb is non-zero exactly when some byte of x is zero.
func plain8(s string) bool {
	const lsb, msb = 0x0101010101010101, 0x8080808080808080
	x := uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
	zero := func(y uint64) uint64 { return (y - lsb) &^ y & msb }
	bad := x&msb | (x-lsb*0x20)&^x&msb |
		zero(x^lsb*'"') | zero(x^lsb*'\\') | zero(x^lsb*'<') | zero(x^lsb*'>') | zero(x^lsb*'&')
	return bad == 0
}

// jsonPlain marks the bytes appendJSONString copies as they are: printable ASCII but the quote, the
// backslash and the three HTML characters encoding/json escapes too.
var jsonPlain = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\' && c != '<' && c != '>' && c != '&'
	}
	return t
}()

// appendJSONString writes s as a JSON string; invalid UTF-8 becomes U+FFFD.
func appendJSONString(buf []byte, s string) []byte {
	buf = append(buf, '"')
	// Most strings (IDs, names, ARNs) are plain throughout: eight bytes at a time, then a table lookup a
	// byte, find it out.
	i := 0
	for i+8 <= len(s) && plain8(s[i:i+8]) {
		i += 8
	}
	for i < len(s) && jsonPlain[s[i]] {
		i++
	}
	if i == len(s) {
		buf = append(buf, s...)
		return append(buf, '"')
	}
	start := 0
	for i < len(s) {
		c := s[i]
		if c < utf8.RuneSelf {
			if jsonPlain[c] {
				i++
				continue
			}
			buf = append(buf, s[start:i]...)
			switch c {
			case '"', '\\':
				buf = append(buf, '\\', c)
			case '\n':
				buf = append(buf, '\\', 'n')
			case '\r':
				buf = append(buf, '\\', 'r')
			case '\t':
				buf = append(buf, '\\', 't')
			default:
				buf = append(buf, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			buf = append(buf, s[start:i]...)
			buf = append(buf, "\uFFFD"...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			buf = append(buf, s[start:i]...)
			buf = append(buf, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	buf = append(buf, s[start:]...)
	return append(buf, '"')
}

// AppendJSONString appends s as a JSON string (invalid UTF-8 becomes U+FFFD), for encoders outside the
// package that write JSON of their own (the audit trail's records).
func AppendJSONString(buf []byte, s string) []byte { return appendJSONString(buf, s) }
