package protocol

import (
	"encoding/base64"
	"math"
	"reflect"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"
)

// AppendQueryResult appends the awsQuery response document of op for out (a pointer to op.Output's
// struct, or nil) to buf:
//
//	<OpResponse xmlns="NS"><OpResult>…</OpResult><ResponseMetadata><RequestId>id</RequestId></ResponseMetadata></OpResponse>
//
// The Result element is written only when the model gives the output a resultWrapper.
func AppendQueryResult(buf []byte, op *Operation, out any, requestID string) []byte {
	ns := ""
	if op.Service != nil {
		ns = op.Service.XMLNamespace
	}
	buf = append(buf, '<')
	buf = append(buf, op.Name...)
	buf = append(buf, "Response"...)
	if ns != "" {
		buf = append(buf, ` xmlns="`...)
		buf = appendEscaped(buf, ns)
		buf = append(buf, '"')
	}
	buf = append(buf, '>')
	if op.ResultWrapper != "" {
		buf = append(buf, '<')
		buf = append(buf, op.ResultWrapper...)
		buf = append(buf, '>')
	}
	if rv := reflect.ValueOf(out); rv.IsValid() && rv.Kind() == reflect.Pointer && !rv.IsNil() && op.Output != nil {
		buf = appendXMLMembers(buf, op.Output, rv.Elem(), 0)
	}
	if op.ResultWrapper != "" {
		buf = append(buf, "</"...)
		buf = append(buf, op.ResultWrapper...)
		buf = append(buf, '>')
	}
	buf = append(buf, "<ResponseMetadata><RequestId>"...)
	buf = appendEscaped(buf, requestID)
	buf = append(buf, "</RequestId></ResponseMetadata></"...)
	buf = append(buf, op.Name...)
	buf = append(buf, "Response>"...)
	return buf
}

// AppendQueryError appends an awsQuery ErrorResponse for e. Members of a modelled error other than its
// message follow <Message> inside <Error>, as AWS writes them.
func AppendQueryError(buf []byte, svc *ServiceInfo, e APIError, requestID string) []byte {
	buf = append(buf, "<ErrorResponse"...)
	if svc != nil && svc.XMLNamespace != "" {
		buf = append(buf, ` xmlns="`...)
		buf = appendEscaped(buf, svc.XMLNamespace)
		buf = append(buf, '"')
	}
	buf = append(buf, "><Error><Type>"...)
	buf = append(buf, e.Fault()...)
	buf = append(buf, "</Type><Code>"...)
	buf = appendEscaped(buf, e.ErrorCode())
	buf = append(buf, "</Code><Message>"...)
	buf = appendEscaped(buf, e.ErrorMessage())
	buf = append(buf, "</Message>"...)
	if s, v, ok := errorShape(svc, e); ok {
		for i := range s.Members {
			m := &s.Members[i]
			if m.Name == "message" || m.Name == "Message" {
				continue
			}
			buf = appendXMLMember(buf, m, v.Field(i), 1)
		}
	}
	buf = append(buf, "</Error><RequestId>"...)
	buf = appendEscaped(buf, requestID)
	buf = append(buf, "</RequestId></ErrorResponse>"...)
	return buf
}

// errorShape finds the model shape of a generated error value, matching by Go type.
func errorShape(svc *ServiceInfo, e APIError) (*Shape, reflect.Value, bool) {
	rv := reflect.ValueOf(e)
	if rv.Kind() != reflect.Pointer || rv.IsNil() || rv.Elem().Kind() != reflect.Struct {
		return nil, reflect.Value{}, false
	}
	if svc != nil {
		if s := svc.Errors[e.ErrorCode()]; s != nil && s.Type == rv.Elem().Type() {
			return s, rv.Elem(), true
		}
	}
	if s, ok := e.(interface{ ErrorShape() *Shape }); ok && s.ErrorShape() != nil && s.ErrorShape().Type == rv.Elem().Type() {
		return s.ErrorShape(), rv.Elem(), true
	}
	return nil, reflect.Value{}, false
}

func openTag(buf []byte, name string) []byte {
	buf = append(buf, '<')
	buf = append(buf, name...)
	return append(buf, '>')
}

func closeTag(buf []byte, name string) []byte {
	buf = append(buf, "</"...)
	buf = append(buf, name...)
	return append(buf, '>')
}

func appendXMLMembers(buf []byte, s *Shape, v reflect.Value, depth int) []byte {
	if depth > maxNestingLevels || (s.Type != nil && v.Type() != s.Type) {
		return buf
	}
	for i := range s.Members {
		buf = appendXMLMember(buf, &s.Members[i], v.Field(i), depth)
	}
	return buf
}

// appendXMLMember writes member m with value f (omitted when nil).
func appendXMLMember(buf []byte, m *Member, f reflect.Value, depth int) []byte {
	if isNil(f) {
		return buf
	}
	name := m.WireName()
	s := m.Shape
	switch s.Kind {
	case KindList:
		elem := s.Elem
		if m.flattened() {
			en := name
			if elem.LocationName != "" {
				en = elem.LocationName
			}
			for j := 0; j < f.Len(); j++ {
				buf = appendXMLValue(buf, elem, en, f.Index(j), depth+1)
			}
			return buf
		}
		if f.Len() == 0 {
			buf = append(buf, '<')
			buf = append(buf, name...)
			return append(buf, "/>"...)
		}
		en := "member"
		if elem.LocationName != "" {
			en = elem.LocationName
		}
		buf = openTag(buf, name)
		for j := 0; j < f.Len(); j++ {
			buf = appendXMLValue(buf, elem, en, f.Index(j), depth+1)
		}
		return closeTag(buf, name)
	case KindMap:
		keyName, valName := "key", "value"
		if s.Key.LocationName != "" {
			keyName = s.Key.LocationName
		}
		if s.Value.LocationName != "" {
			valName = s.Value.LocationName
		}
		keys := f.MapKeys()
		slices.SortFunc(keys, func(a, b reflect.Value) int {
			if a.String() < b.String() {
				return -1
			}
			if a.String() > b.String() {
				return 1
			}
			return 0
		})
		flat := m.flattened()
		if !flat {
			buf = openTag(buf, name)
		}
		for _, k := range keys {
			if flat {
				buf = openTag(buf, name)
			} else {
				buf = append(buf, "<entry>"...)
			}
			buf = appendXMLValue(buf, s.Key, keyName, k, depth+1)
			buf = appendXMLValue(buf, s.Value, valName, f.MapIndex(k), depth+1)
			if flat {
				buf = closeTag(buf, name)
			} else {
				buf = append(buf, "</entry>"...)
			}
		}
		if !flat {
			buf = closeTag(buf, name)
		}
		return buf
	}
	return appendXMLValue(buf, m, name, f, depth)
}

// appendXMLValue writes one element named name holding v (pointer or value).
func appendXMLValue(buf []byte, m *Member, name string, v reflect.Value, depth int) []byte {
	if v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface {
		if v.IsNil() {
			return buf
		}
		v = v.Elem()
	}
	s := m.Shape
	switch s.Kind {
	case KindStructure:
		buf = openTag(buf, name)
		buf = appendXMLMembers(buf, s, v, depth+1)
		return closeTag(buf, name)
	case KindList, KindMap:
		// A list or map directly inside a list or map: wrap it as a non-flattened member would be.
		inner := Member{Name: name, Shape: s}
		return appendXMLMember(buf, &inner, v, depth+1)
	}
	buf = openTag(buf, name)
	buf = appendScalarText(buf, s, m.tsFormat(), v, TimestampISO8601)
	return closeTag(buf, name)
}

// appendScalarText writes a scalar as text: the form used in XML bodies and rest headers.
func appendScalarText(buf []byte, s *Shape, tsFormat string, v reflect.Value, defaultTS string) []byte {
	switch s.Kind {
	case KindString:
		return appendEscaped(buf, v.String())
	case KindInteger, KindLong:
		return strconv.AppendInt(buf, v.Int(), 10)
	case KindBoolean:
		return strconv.AppendBool(buf, v.Bool())
	case KindDouble, KindFloat:
		return appendFloat(buf, v.Float())
	case KindTimestamp:
		t := timeOf(v)
		if tsFormat == "" {
			tsFormat = defaultTS
		}
		return appendTimestamp(buf, t, tsFormat)
	case KindBlob:
		return base64.StdEncoding.AppendEncode(buf, v.Bytes())
	}
	return buf
}

func appendFloat(buf []byte, f float64) []byte {
	switch {
	case math.IsNaN(f):
		return append(buf, "NaN"...)
	case math.IsInf(f, 1):
		return append(buf, "Infinity"...)
	case math.IsInf(f, -1):
		return append(buf, "-Infinity"...)
	}
	return strconv.AppendFloat(buf, f, 'g', -1, 64)
}

// appendTimestamp writes t in format. ISO 8601 is written as AWS IAM writes it, whole seconds with a Z
// (2024-01-02T03:04:05Z); a fraction appears only when the time has one.
func appendTimestamp(buf []byte, t time.Time, format string) []byte {
	t = t.UTC()
	switch format {
	case TimestampUnix:
		sec, ns := t.Unix(), t.Nanosecond()
		if ns == 0 {
			return strconv.AppendInt(buf, sec, 10)
		}
		if sec < 0 {
			return strconv.AppendFloat(buf, float64(t.UnixNano())/1e9, 'f', -1, 64)
		}
		// The fraction's own digits: dividing nanoseconds as a float rounds a time of today to
		// 1904281689.2499998 for .25.
		buf = strconv.AppendInt(buf, sec, 10)
		var digits [10]byte
		frac := strconv.AppendInt(digits[:0], int64(ns)+1e9, 10)[1:]
		for frac[len(frac)-1] == '0' {
			frac = frac[:len(frac)-1]
		}
		return append(append(buf, '.'), frac...)
	case TimestampRFC822:
		return t.AppendFormat(buf, http1123)
	}
	if t.Nanosecond() == 0 {
		return t.AppendFormat(buf, "2006-01-02T15:04:05Z")
	}
	return t.AppendFormat(buf, "2006-01-02T15:04:05.999999999Z")
}

const http1123 = "Mon, 02 Jan 2006 15:04:05 GMT"

// xmlVerbatim marks the bytes appendEscaped copies as they are: printable ASCII but for the five XML
// specials, plus newline and tab.
var xmlVerbatim = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = true
	}
	for _, c := range "&<>\"'" {
		t[c] = false
	}
	t['\n'], t['\t'] = true, true
	return t
}()

// appendEscaped writes s as XML character data. Characters XML 1.0 cannot carry, and invalid UTF-8, become
// U+FFFD so the document always parses; CR is escaped so parsers do not fold it into LF.
func appendEscaped(buf []byte, s string) []byte {
	// Most values (names, ARNs, IDs, tokens) need no escaping: find the first byte that might, a table
	// lookup per byte, and copy everything before it at once.
	i := 0
	for i < len(s) && xmlVerbatim[s[i]] {
		i++
	}
	if i == len(s) {
		return append(buf, s...)
	}
	start := 0
	for i < len(s) {
		c := s[i]
		if c < utf8.RuneSelf {
			var esc string
			switch {
			case c == '&':
				esc = "&amp;"
			case c == '<':
				esc = "&lt;"
			case c == '>':
				esc = "&gt;"
			case c == '"':
				esc = "&quot;"
			case c == '\'':
				esc = "&apos;"
			case c == '\r':
				esc = "&#xD;"
			case c == '\n' || c == '\t':
			case c < 0x20:
				esc = "\uFFFD"
			}
			if esc != "" {
				buf = append(buf, s[start:i]...)
				buf = append(buf, esc...)
				start = i + 1
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 || r == 0xFFFE || r == 0xFFFF {
			buf = append(buf, s[start:i]...)
			buf = append(buf, "\uFFFD"...)
			start = i + size
		}
		i += size
	}
	return append(buf, s[start:]...)
}

var timeType = reflect.TypeFor[time.Time]()

// timeOf reads a time.Time without boxing it into an interface (which would allocate) when it can.
func timeOf(v reflect.Value) time.Time {
	if v.Type() != timeType {
		return time.Time{}
	}
	if v.CanAddr() {
		return *(v.Addr().Interface().(*time.Time))
	}
	t, _ := v.Interface().(time.Time)
	return t
}
