package protocol

import (
	"encoding/base64"
	"math"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
)

// DecodeQuery resolves the operation named by the Action parameter of an awsQuery request, checks Version
// and decodes the parameters into a fresh input struct (a pointer, as op.NewInput returns). It does not
// validate; the caller runs the input's Validate after authentication, as AWS does.
func DecodeQuery(svc *ServiceInfo, p *Params) (*Operation, any, error) {
	action, ok := p.Get("Action")
	if !ok || action == "" {
		return nil, nil, &Error{Code: "MissingAction", Status: http.StatusBadRequest, Message: "Missing Action"}
	}
	version, ok := p.Get("Version")
	if !ok || version == "" {
		version = "NO_VERSION_SPECIFIED"
	}
	op := svc.ByName[action]
	if op == nil || version != svc.APIVersion {
		return nil, nil, &Error{Code: "InvalidAction", Status: http.StatusBadRequest,
			Message: "Could not find operation " + action + " for version " + version}
	}
	in := op.NewInput()
	if err := DecodeQueryInto(op.Input, p, in); err != nil {
		return op, nil, err
	}
	return op, in, nil
}

// DecodeQueryInto decodes p into in, a pointer to the Go struct of the structure shape s. Unknown
// parameters are ignored, as AWS ignores them.
func DecodeQueryInto(s *Shape, p *Params, in any) error {
	rv := reflect.ValueOf(in)
	if rv.Kind() != reflect.Pointer || rv.IsNil() || rv.Elem().Kind() != reflect.Struct {
		return &Error{Code: "InternalFailure", Status: 500, Message: "bad decode target"}
	}
	d := qdec{p: p}
	return d.structure(s, rv.Elem(), "", 0)
}

type qdec struct{ p *Params }

func (d *qdec) structure(s *Shape, v reflect.Value, prefix string, depth int) error {
	if depth > maxNestingLevels {
		return malformed("Parameters are nested too deeply.")
	}
	if s.Type != nil && v.Type() != s.Type {
		return &Error{Code: "InternalFailure", Status: 500, Message: "descriptor does not match type"}
	}
	for i := range s.Members {
		m := &s.Members[i]
		if err := d.member(m, v.Field(i), prefix+m.WireName(), depth); err != nil {
			return err
		}
	}
	return nil
}

// member decodes the value named name into f: a struct field (pointer, slice, map) or a list/map element
// held by value.
func (d *qdec) member(m *Member, f reflect.Value, name string, depth int) error {
	s := m.Shape
	switch s.Kind {
	case KindStructure:
		if len(d.p.withPrefix(name+".")) == 0 {
			return nil
		}
		target := f
		if f.Kind() == reflect.Pointer {
			nv := reflect.New(f.Type().Elem())
			f.Set(nv)
			target = nv.Elem()
		}
		return d.structure(s, target, name+".", depth+1)
	case KindList:
		return d.list(m, f, name, depth)
	case KindMap:
		return d.mapValue(m, f, name, depth)
	case KindDocument:
		return nil // the query protocol has no documents
	}
	raw, ok := d.p.Get(name)
	if !ok {
		return nil
	}
	return setScalar(f, s, m.tsFormat(), raw, name)
}

// indices returns the distinct positive integers N of parameters named prefix.N or prefix.N.…, ascending.
// Lists are 1-based; gaps are allowed and the order is the numeric one, whatever the parameter order.
func (d *qdec) indices(prefix string) []int {
	entries := d.p.withPrefix(prefix + ".")
	var out []int
	last := ""
	for _, e := range entries {
		seg := e.key[len(prefix)+1:]
		if i := strings.IndexByte(seg, '.'); i >= 0 {
			seg = seg[:i]
		}
		if seg == last {
			continue
		}
		last = seg
		n, err := strconv.Atoi(seg)
		if err != nil || n < 1 || n > maxListIndex || seg[0] == '0' || seg[0] == '+' {
			continue // not an element: ignored like any unknown parameter
		}
		out = append(out, n)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func (d *qdec) list(m *Member, f reflect.Value, name string, depth int) error {
	elem := m.Shape.Elem
	var prefix string
	switch {
	case !m.flattened():
		loc := elem.LocationName
		if loc == "" {
			loc = "member"
		}
		prefix = name + "." + loc
	case elem.LocationName != "":
		// A flattened list whose element is named replaces the member's own last name segment.
		prefix = name[:strings.LastIndexByte(name, '.')+1] + elem.LocationName
	default:
		prefix = name
	}
	idx := d.indices(prefix)
	if len(idx) == 0 {
		if v, ok := d.p.Get(name); ok && v == "" {
			f.Set(reflect.MakeSlice(f.Type(), 0, 0)) // "Name=" is an explicitly empty list
		}
		return nil
	}
	sl := reflect.MakeSlice(f.Type(), len(idx), len(idx))
	for j, n := range idx {
		if err := d.member(elem, sl.Index(j), prefix+"."+strconv.Itoa(n), depth+1); err != nil {
			return err
		}
	}
	f.Set(sl)
	return nil
}

func (d *qdec) mapValue(m *Member, f reflect.Value, name string, depth int) error {
	s := m.Shape
	prefix := name + ".entry"
	if m.flattened() {
		prefix = name
	}
	keyName, valName := "key", "value"
	if s.Key.LocationName != "" {
		keyName = s.Key.LocationName
	}
	if s.Value.LocationName != "" {
		valName = s.Value.LocationName
	}
	idx := d.indices(prefix)
	if len(idx) == 0 {
		if v, ok := d.p.Get(name); ok && v == "" {
			f.Set(reflect.MakeMap(f.Type()))
		}
		return nil
	}
	mv := reflect.MakeMapWithSize(f.Type(), len(idx))
	et := f.Type().Elem()
	for _, n := range idx {
		ep := prefix + "." + strconv.Itoa(n) + "."
		k, ok := d.p.Get(ep + keyName)
		if !ok {
			continue
		}
		ev := reflect.New(et).Elem()
		if err := d.member(s.Value, ev, ep+valName, depth+1); err != nil {
			return err
		}
		mv.SetMapIndex(reflect.ValueOf(k).Convert(f.Type().Key()), ev)
	}
	f.Set(mv)
	return nil
}

func invalidParam(name, raw, want string) *Error {
	if len(raw) > 64 {
		raw = raw[:64] + "..."
	}
	return &Error{Code: "InvalidParameterValue", Status: http.StatusBadRequest,
		Message: "Value (" + raw + ") for parameter " + name + " is invalid. " + want}
}

// setScalar parses raw into f (a pointer field or a value element) according to s.
func setScalar(f reflect.Value, s *Shape, tsFormat, raw, name string) error {
	if f.Kind() == reflect.Pointer {
		nv := reflect.New(f.Type().Elem())
		if err := setValue(nv.Elem(), s, tsFormat, raw, name); err != nil {
			return err
		}
		f.Set(nv)
		return nil
	}
	return setValue(f, s, tsFormat, raw, name)
}

func setValue(v reflect.Value, s *Shape, tsFormat, raw, name string) error {
	switch s.Kind {
	case KindString:
		v.SetString(raw)
	case KindInteger, KindLong:
		bits := 32
		if s.Kind == KindLong {
			bits = 64
		}
		n, err := strconv.ParseInt(raw, 10, bits)
		if err != nil {
			return invalidParam(name, raw, "It must be an integer.")
		}
		v.SetInt(n)
	case KindBoolean:
		switch strings.ToLower(raw) {
		case "true":
			v.SetBool(true)
		case "false":
			v.SetBool(false)
		default:
			return invalidParam(name, raw, "It must be true or false.")
		}
	case KindDouble, KindFloat:
		x, err := parseFloat(raw)
		if err != nil {
			return invalidParam(name, raw, "It must be a number.")
		}
		v.SetFloat(x)
	case KindTimestamp:
		t, err := parseTimestamp(raw)
		if err != nil {
			return invalidParam(name, raw, "It must be an ISO 8601 date-time or epoch seconds.")
		}
		v.Set(reflect.ValueOf(t))
	case KindBlob:
		b, err := base64.StdEncoding.DecodeString(raw)
		if err != nil {
			return invalidParam(name, raw, "It must be base64 encoded.")
		}
		v.SetBytes(b)
	}
	return nil
}

func parseFloat(raw string) (float64, error) {
	switch raw {
	case "NaN":
		return math.NaN(), nil
	case "Infinity":
		return math.Inf(1), nil
	case "-Infinity":
		return math.Inf(-1), nil
	}
	// ParseFloat would accept "inf", "nan" and hex floats; AWS does not.
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if !(c >= '0' && c <= '9' || c == '.' || c == '-' || c == '+' || c == 'e' || c == 'E') {
			return 0, strconv.ErrSyntax
		}
	}
	return strconv.ParseFloat(raw, 64)
}

// parseTimestamp accepts what AWS accepts in requests: ISO 8601 with or without fractional seconds and with
// a Z or numeric zone, RFC 1123 (rest headers), or epoch seconds with optional fraction.
func parseTimestamp(raw string) (time.Time, error) {
	if raw == "" {
		return time.Time{}, strconv.ErrSyntax
	}
	if c := raw[0]; c >= '0' && c <= '9' && !strings.ContainsAny(raw, "-:T") {
		f, err := strconv.ParseFloat(raw, 64)
		if err != nil || math.IsInf(f, 0) || math.IsNaN(f) || math.Abs(f) > 1e13 {
			return time.Time{}, strconv.ErrSyntax
		}
		sec, frac := math.Modf(f)
		return time.Unix(int64(sec), int64(math.Round(frac*1e9))).UTC(), nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05Z0700", "2006-01-02T15:04:05", time.RFC1123, time.RFC1123Z} {
		if t, err := time.Parse(layout, raw); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, strconv.ErrSyntax
}
