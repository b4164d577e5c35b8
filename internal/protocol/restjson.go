package protocol

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"math"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// RESTRequest is what the rest-json decoder reads from an HTTP request; the server fills it once (it
// already holds the body for signature verification).
type RESTRequest struct {
	Method   string
	Path     string // raw (escaped) path
	RawQuery string
	Header   http.Header
	Body     []byte
}

// FindRESTOperation returns the operation whose method and request URI template match, with the label
// values it captured. An unmatched request is a 404 UnknownOperationException, as AWS rest services answer.
func FindRESTOperation(svc *ServiceInfo, method, path string) (*Operation, map[string]string, error) {
	for _, op := range svc.Operations {
		if op.Method != method {
			continue
		}
		if labels, ok := MatchURI(op.RequestURI, path); ok {
			return op, labels, nil
		}
	}
	return nil, nil, &Error{Code: "UnknownOperationException", Status: http.StatusNotFound,
		Message: "The requested operation is not recognized by the service."}
}

// MatchURI matches an escaped request path against a model template such as /a/{Id}/b/{Key+}; labels are
// unescaped. A static query in the template ("/path?abc=mno") is not part of the match.
func MatchURI(template, path string) (map[string]string, bool) {
	template, _, _ = strings.Cut(template, "?")
	var labels map[string]string
	for {
		i := strings.IndexByte(template, '{')
		if i < 0 {
			return labels, template == path || template+"/" == path && template != "/"
		}
		if !strings.HasPrefix(path, template[:i]) {
			return nil, false
		}
		path = path[i:]
		j := strings.IndexByte(template, '}')
		if j < i {
			return nil, false
		}
		name := template[i+1 : j]
		template = template[j+1:]
		var raw string
		if strings.HasSuffix(name, "+") {
			name = name[:len(name)-1]
			// Greedy: everything up to the template's remaining literal suffix.
			if !strings.HasSuffix(path, template) || strings.Contains(template, "{") {
				return nil, false
			}
			raw = path[:len(path)-len(template)]
			path = path[len(raw):]
		} else {
			k := strings.IndexByte(path, '/')
			if k < 0 {
				k = len(path)
			}
			raw, path = path[:k], path[k:]
		}
		if raw == "" {
			return nil, false
		}
		v, err := url.PathUnescape(raw)
		if err != nil {
			return nil, false
		}
		if labels == nil {
			labels = map[string]string{}
		}
		labels[name] = v
	}
}

func serialization(msg string) *Error {
	return &Error{Code: "SerializationException", Status: http.StatusBadRequest, Message: msg}
}

// DecodeRESTJSON decodes req into a fresh input of op: URI labels, query string, headers and the JSON body
// (or payload member). It does not validate.
func DecodeRESTJSON(op *Operation, labels map[string]string, req *RESTRequest) (any, error) {
	in := op.NewInput()
	if err := DecodeRESTJSONInto(op.Input, labels, req, in); err != nil {
		return nil, err
	}
	return in, nil
}

// DecodeRESTJSONInto decodes req into in, a pointer to the struct of structure shape s.
func DecodeRESTJSONInto(s *Shape, labels map[string]string, req *RESTRequest, in any) error {
	rv := reflect.ValueOf(in)
	if rv.Kind() != reflect.Pointer || rv.IsNil() || rv.Elem().Kind() != reflect.Struct {
		return &Error{Code: "InternalFailure", Status: 500, Message: "bad decode target"}
	}
	v := rv.Elem()
	var query url.Values
	if req.RawQuery != "" {
		q, err := url.ParseQuery(req.RawQuery)
		if err != nil {
			return serialization("Invalid query string.")
		}
		query = q
	}
	bound := map[string]bool{} // query names claimed by named members, so a query map gets the rest
	for i := range s.Members {
		if s.Members[i].Location == "querystring" && s.Members[i].Shape.Kind != KindMap {
			bound[s.Members[i].WireName()] = true
		}
	}
	payload := s.payloadIndex()
	hasBodyMembers := false
	for i := range s.Members {
		m := &s.Members[i]
		f := v.Field(i)
		var err error
		switch m.Location {
		case "uri":
			if raw, ok := labels[m.WireName()]; ok {
				err = setText(f, m, raw, m.Name)
			}
		case "querystring":
			err = decodeQueryMember(m, f, query, bound)
		case "header":
			err = decodeHeader(m, f, req.Header)
		case "headers":
			decodeHeaderMap(m, f, req.Header)
		case "statusCode":
		default:
			if i == payload {
				err = decodePayload(m, f, req.Body)
			} else {
				hasBodyMembers = true
			}
		}
		if err != nil {
			return err
		}
	}
	if payload >= 0 || !hasBodyMembers {
		return nil
	}
	return decodeJSONMembers(s, v, req.Body)
}

// decodeJSONMembers decodes a JSON object body into the body members of structure s (those with no
// location; there is no payload member): the rest-json body, and the whole input of the json protocol.
// An empty body is an empty object.
func decodeJSONMembers(s *Shape, v reflect.Value, body []byte) error {
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return nil
	}
	doc, err := parseJSON(body)
	if err != nil {
		return err
	}
	obj, ok := doc.(map[string]any)
	if !ok {
		return serialization("The request body must be a JSON object.")
	}
	for i := range s.Members {
		m := &s.Members[i]
		if m.Location != "" {
			continue
		}
		if jv, ok := obj[m.WireName()]; ok {
			if err := fromJSON(m, v.Field(i), jv, m.Name, 0); err != nil {
				return err
			}
		}
	}
	return nil
}

func parseJSON(body []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return nil, serialization("Malformed JSON in the request body.")
	}
	if dec.More() {
		return nil, serialization("Malformed JSON in the request body: trailing data.")
	}
	return doc, nil
}

func decodePayload(m *Member, f reflect.Value, body []byte) error {
	switch m.Shape.Kind {
	case KindBlob:
		if len(body) > 0 {
			f.SetBytes(append([]byte(nil), body...))
		}
		return nil
	case KindString:
		if len(body) > 0 {
			s := string(body)
			f.Set(reflect.ValueOf(&s))
		}
		return nil
	}
	body = bytes.TrimSpace(body)
	if len(body) == 0 || string(body) == "{}" {
		// Clients send {} for an absent structure payload; an empty structure would be indistinguishable
		// to the service anyway.
		return nil
	}
	doc, err := parseJSON(body)
	if err != nil {
		return err
	}
	return fromJSON(m, f, doc, m.Name, 0)
}

func decodeQueryMember(m *Member, f reflect.Value, q url.Values, bound map[string]bool) error {
	switch m.Shape.Kind {
	case KindList:
		vals, ok := q[m.WireName()]
		if !ok {
			return nil
		}
		sl := reflect.MakeSlice(f.Type(), len(vals), len(vals))
		for j, raw := range vals {
			if err := setText(sl.Index(j), m.Shape.Elem, raw, m.Name); err != nil {
				return err
			}
		}
		f.Set(sl)
	case KindMap:
		mv := reflect.MakeMap(f.Type())
		for k, vals := range q {
			if bound[k] || len(vals) == 0 {
				continue
			}
			ev := reflect.New(f.Type().Elem()).Elem()
			if m.Shape.Value.Shape.Kind == KindList {
				sl := reflect.MakeSlice(ev.Type(), len(vals), len(vals))
				for j, raw := range vals {
					if err := setText(sl.Index(j), m.Shape.Value.Shape.Elem, raw, m.Name); err != nil {
						return err
					}
				}
				ev.Set(sl)
			} else if err := setText(ev, m.Shape.Value, vals[0], m.Name); err != nil {
				return err
			}
			mv.SetMapIndex(reflect.ValueOf(k), ev)
		}
		if mv.Len() > 0 {
			f.Set(mv)
		}
	default:
		vals, ok := q[m.WireName()]
		if !ok || len(vals) == 0 {
			return nil
		}
		return setText(f, m, vals[0], m.Name)
	}
	return nil
}

func decodeHeader(m *Member, f reflect.Value, h http.Header) error {
	vals := h.Values(m.WireName())
	if len(vals) == 0 {
		return nil
	}
	raw := strings.Join(vals, ",")
	if m.Shape.Kind == KindList {
		parts := strings.Split(raw, ",")
		sl := reflect.MakeSlice(f.Type(), len(parts), len(parts))
		for j, p := range parts {
			if err := setText(sl.Index(j), m.Shape.Elem, strings.TrimSpace(p), m.Name); err != nil {
				return err
			}
		}
		f.Set(sl)
		return nil
	}
	if m.JSONValue {
		b, err := base64.StdEncoding.DecodeString(raw)
		if err != nil || !json.Valid(b) {
			return serialization("Header " + m.WireName() + " must be base64-encoded JSON.")
		}
		raw = string(b)
	}
	return setText(f, m, raw, m.Name)
}

func decodeHeaderMap(m *Member, f reflect.Value, h http.Header) {
	prefix := strings.ToLower(m.LocationName)
	mv := reflect.MakeMap(f.Type())
	for k, vals := range h {
		if len(vals) == 0 || !strings.HasPrefix(strings.ToLower(k), prefix) {
			continue
		}
		mv.SetMapIndex(reflect.ValueOf(k[len(prefix):]), reflect.ValueOf(strings.Join(vals, ",")))
	}
	if mv.Len() > 0 {
		f.Set(mv)
	}
}

// setText parses a textual (URI, query or header) value. Timestamps are accepted in every format AWS
// clients send (ISO 8601, RFC 1123, epoch), whatever the location's default.
func setText(f reflect.Value, m *Member, raw, name string) error {
	if err := setScalar(f, m.Shape, m.tsFormat(), raw, name); err != nil {
		return serialization("Invalid value for " + name + ".")
	}
	return nil
}

// fromJSON sets f from a decoded JSON value according to m's shape.
func fromJSON(m *Member, f reflect.Value, jv any, path string, depth int) error {
	if jv == nil {
		return nil
	}
	if depth > maxNestingLevels {
		return serialization("The request body is nested too deeply.")
	}
	s := m.Shape
	bad := func() error { return serialization("Invalid value for " + path + ".") }
	if f.Kind() == reflect.Pointer && s.Kind != KindStructure {
		nv := reflect.New(f.Type().Elem())
		if err := fromJSON(&Member{Shape: s, TimestampFormat: m.tsFormat()}, nv.Elem(), jv, path, depth); err != nil {
			return err
		}
		f.Set(nv)
		return nil
	}
	switch s.Kind {
	case KindStructure:
		o, ok := jv.(map[string]any)
		if !ok {
			return bad()
		}
		target := f
		if f.Kind() == reflect.Pointer {
			nv := reflect.New(f.Type().Elem())
			f.Set(nv)
			target = nv.Elem()
		}
		if s.Type != nil && target.Type() != s.Type {
			return bad()
		}
		for i := range s.Members {
			sm := &s.Members[i]
			if v, ok := o[sm.WireName()]; ok {
				if err := fromJSON(sm, target.Field(i), v, path+"."+sm.Name, depth+1); err != nil {
					return err
				}
			}
		}
	case KindList:
		a, ok := jv.([]any)
		if !ok {
			return bad()
		}
		sl := reflect.MakeSlice(f.Type(), 0, len(a))
		for j, e := range a {
			if e == nil {
				continue // sparse lists are not modelled here; nulls are dropped
			}
			ev := reflect.New(f.Type().Elem()).Elem()
			if err := fromJSON(s.Elem, ev, e, path+"."+strconv.Itoa(j), depth+1); err != nil {
				return err
			}
			sl = reflect.Append(sl, ev)
		}
		f.Set(sl)
	case KindMap:
		o, ok := jv.(map[string]any)
		if !ok {
			return bad()
		}
		mv := reflect.MakeMapWithSize(f.Type(), len(o))
		for k, e := range o {
			if e == nil {
				continue
			}
			ev := reflect.New(f.Type().Elem()).Elem()
			if err := fromJSON(s.Value, ev, e, path+"."+k, depth+1); err != nil {
				return err
			}
			mv.SetMapIndex(reflect.ValueOf(k), ev)
		}
		f.Set(mv)
	case KindString:
		str, ok := jv.(string)
		if !ok {
			return bad()
		}
		f.SetString(str)
	case KindBoolean:
		b, ok := jv.(bool)
		if !ok {
			return bad()
		}
		f.SetBool(b)
	case KindInteger, KindLong:
		n, ok := jv.(json.Number)
		if !ok {
			return bad()
		}
		bits := 32
		if s.Kind == KindLong {
			bits = 64
		}
		i, err := strconv.ParseInt(string(n), 10, bits)
		if err != nil {
			return bad()
		}
		f.SetInt(i)
	case KindDouble, KindFloat:
		switch t := jv.(type) {
		case json.Number:
			x, err := t.Float64()
			if err != nil {
				return bad()
			}
			f.SetFloat(x)
		case string:
			x, err := parseFloat(t)
			if err != nil || !(math.IsNaN(x) || math.IsInf(x, 0)) {
				return bad()
			}
			f.SetFloat(x)
		default:
			return bad()
		}
	case KindTimestamp:
		var t time.Time
		var err error
		switch x := jv.(type) {
		case json.Number:
			t, err = parseTimestamp(string(x))
		case string:
			t, err = parseTimestamp(x)
		default:
			return bad()
		}
		if err != nil {
			return bad()
		}
		f.Set(reflect.ValueOf(t))
	case KindBlob:
		str, ok := jv.(string)
		if !ok {
			return bad()
		}
		b, err := base64.StdEncoding.DecodeString(str)
		if err != nil {
			return bad()
		}
		f.SetBytes(b)
	case KindDocument:
		f.Set(reflect.ValueOf(plainJSON(jv)))
	}
	return nil
}

// plainJSON turns json.Number into float64 or int64 so documents hold ordinary Go values.
func plainJSON(v any) any {
	switch t := v.(type) {
	case json.Number:
		if i, err := strconv.ParseInt(string(t), 10, 64); err == nil {
			return i
		}
		f, _ := t.Float64()
		return f
	case map[string]any:
		for k, e := range t {
			t[k] = plainJSON(e)
		}
	case []any:
		for i, e := range t {
			t[i] = plainJSON(e)
		}
	}
	return v
}
