package protocol_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"math"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/iamd/iamd/internal/protocol"
)

// This file converts between Go values of generated types and the plain JSON-like values the AWS test
// vectors use (timestamps as epoch seconds, blobs as their text), independently of the runtime's encoders.

func toGeneric(m *protocol.Member, v reflect.Value) any {
	if v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface {
		if v.IsNil() {
			return nil
		}
		v = v.Elem()
	}
	s := m.Shape
	switch s.Kind {
	case protocol.KindStructure:
		out := map[string]any{}
		for i := range s.Members {
			f := v.Field(i)
			if isNilValue(f) {
				continue
			}
			out[s.Members[i].Name] = toGeneric(&s.Members[i], f)
		}
		return out
	case protocol.KindList:
		out := []any{}
		for j := 0; j < v.Len(); j++ {
			out = append(out, toGeneric(s.Elem, v.Index(j)))
		}
		return out
	case protocol.KindMap:
		out := map[string]any{}
		iter := v.MapRange()
		for iter.Next() {
			out[iter.Key().String()] = toGeneric(s.Value, iter.Value())
		}
		return out
	case protocol.KindString:
		if m.JSONValue {
			var x any
			if json.Unmarshal([]byte(v.String()), &x) == nil {
				return x
			}
		}
		return v.String()
	case protocol.KindInteger, protocol.KindLong:
		return float64(v.Int())
	case protocol.KindDouble, protocol.KindFloat:
		return v.Float()
	case protocol.KindBoolean:
		return v.Bool()
	case protocol.KindTimestamp:
		t := v.Interface().(time.Time)
		return float64(t.UnixNano()) / 1e9
	case protocol.KindBlob:
		return string(v.Bytes())
	case protocol.KindDocument:
		return normalize(v.Interface())
	}
	return fmt.Sprintf("unknown kind %v", s.Kind)
}

func isNilValue(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Pointer, reflect.Slice, reflect.Map, reflect.Interface:
		return v.IsNil()
	}
	return false
}

// fromGeneric builds a Go value of type t from a vector value.
func fromGeneric(m *protocol.Member, t reflect.Type, g any) (reflect.Value, error) {
	if t.Kind() == reflect.Pointer && m.Shape.Kind != protocol.KindDocument {
		inner, err := fromGeneric(m, t.Elem(), g)
		if err != nil {
			return reflect.Value{}, err
		}
		p := reflect.New(t.Elem())
		p.Elem().Set(inner)
		return p, nil
	}
	v := reflect.New(t).Elem()
	s := m.Shape
	switch s.Kind {
	case protocol.KindStructure:
		obj, ok := g.(map[string]any)
		if !ok {
			return v, fmt.Errorf("want object for %s, got %T", s.Name, g)
		}
		for i := range s.Members {
			gv, ok := obj[s.Members[i].Name]
			if !ok || gv == nil {
				continue
			}
			fv, err := fromGeneric(&s.Members[i], v.Field(i).Type(), gv)
			if err != nil {
				return v, err
			}
			v.Field(i).Set(fv)
		}
	case protocol.KindList:
		arr, ok := g.([]any)
		if !ok {
			return v, fmt.Errorf("want list, got %T", g)
		}
		sl := reflect.MakeSlice(t, 0, len(arr))
		for _, e := range arr {
			ev, err := fromGeneric(s.Elem, t.Elem(), e)
			if err != nil {
				return v, err
			}
			sl = reflect.Append(sl, ev)
		}
		v.Set(sl)
	case protocol.KindMap:
		obj, ok := g.(map[string]any)
		if !ok {
			return v, fmt.Errorf("want map, got %T", g)
		}
		mv := reflect.MakeMap(t)
		for k, e := range obj {
			if e == nil {
				continue
			}
			ev, err := fromGeneric(s.Value, t.Elem(), e)
			if err != nil {
				return v, err
			}
			mv.SetMapIndex(reflect.ValueOf(k), ev)
		}
		v.Set(mv)
	case protocol.KindString:
		if m.JSONValue {
			b, _ := json.Marshal(g)
			v.SetString(string(b))
			break
		}
		v.SetString(fmt.Sprint(g))
	case protocol.KindInteger, protocol.KindLong:
		v.SetInt(int64(g.(float64)))
	case protocol.KindDouble, protocol.KindFloat:
		v.SetFloat(g.(float64))
	case protocol.KindBoolean:
		v.SetBool(g.(bool))
	case protocol.KindTimestamp:
		f := g.(float64)
		sec, frac := math.Modf(f)
		v.Set(reflect.ValueOf(time.Unix(int64(sec), int64(math.Round(frac*1e9))).UTC()))
	case protocol.KindBlob:
		v.SetBytes([]byte(g.(string)))
	case protocol.KindDocument:
		if g != nil {
			v.Set(reflect.ValueOf(g))
		}
	}
	return v, nil
}

// normalize makes numbers float64 so values from different decoders compare equal.
func normalize(v any) any {
	switch t := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, e := range t {
			if e != nil { // an explicit null is the same as absent
				out[k] = normalize(e)
			}
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = normalize(e)
		}
		return out
	case int:
		return float64(t)
	case int32:
		return float64(t)
	case int64:
		return float64(t)
	case json.Number:
		f, _ := t.Float64()
		return f
	}
	return v
}

// xmlNode is a parsed XML element.
type xmlNode struct {
	name     string
	text     string
	children []*xmlNode
}

func parseXML(body []byte) (*xmlNode, error) {
	dec := xml.NewDecoder(bytes.NewReader(body))
	var stack []*xmlNode
	var root *xmlNode
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			n := &xmlNode{name: t.Name.Local}
			if len(stack) > 0 {
				p := stack[len(stack)-1]
				p.children = append(p.children, n)
			} else {
				root = n
			}
			stack = append(stack, n)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) > 0 {
				stack[len(stack)-1].text += string(t)
			}
		}
	}
	if root == nil {
		return nil, fmt.Errorf("empty document")
	}
	return root, nil
}

func (n *xmlNode) child(name string) *xmlNode {
	for _, c := range n.children {
		if c.name == name {
			return c
		}
	}
	return nil
}

func (n *xmlNode) all(name string) []*xmlNode {
	var out []*xmlNode
	for _, c := range n.children {
		if c.name == name {
			out = append(out, c)
		}
	}
	return out
}

// xmlStruct reads the members of structure s from the children of n, the way botocore's query parser does.
func xmlStruct(s *protocol.Shape, n *xmlNode) map[string]any {
	out := map[string]any{}
	for i := range s.Members {
		m := &s.Members[i]
		name := m.WireName()
		flat := m.Flattened || m.Shape.Flattened
		switch m.Shape.Kind {
		case protocol.KindList:
			if flat {
				en := name
				if m.Shape.Elem.LocationName != "" {
					en = m.Shape.Elem.LocationName
				}
				nodes := n.all(en)
				if len(nodes) == 0 {
					continue
				}
				var l []any
				for _, c := range nodes {
					l = append(l, xmlValue(m.Shape.Elem, c))
				}
				out[m.Name] = l
				continue
			}
			c := n.child(name)
			if c == nil {
				continue
			}
			en := "member"
			if m.Shape.Elem.LocationName != "" {
				en = m.Shape.Elem.LocationName
			}
			l := []any{}
			for _, e := range c.all(en) {
				l = append(l, xmlValue(m.Shape.Elem, e))
			}
			out[m.Name] = l
		case protocol.KindMap:
			kn, vn := "key", "value"
			if m.Shape.Key.LocationName != "" {
				kn = m.Shape.Key.LocationName
			}
			if m.Shape.Value.LocationName != "" {
				vn = m.Shape.Value.LocationName
			}
			var entries []*xmlNode
			if flat {
				entries = n.all(name)
			} else if c := n.child(name); c != nil {
				entries = c.all("entry")
			}
			if entries == nil {
				continue
			}
			mv := map[string]any{}
			for _, e := range entries {
				k, v := e.child(kn), e.child(vn)
				if k == nil || v == nil {
					continue
				}
				mv[k.text] = xmlValue(m.Shape.Value, v)
			}
			out[m.Name] = mv
		default:
			c := n.child(name)
			if c == nil {
				continue
			}
			out[m.Name] = xmlValue(m, c)
		}
	}
	return out
}

func xmlValue(m *protocol.Member, n *xmlNode) any {
	s := m.Shape
	switch s.Kind {
	case protocol.KindStructure:
		return xmlStruct(s, n)
	case protocol.KindList, protocol.KindMap:
		wrapper := &xmlNode{children: []*xmlNode{{name: "x", children: n.children}}}
		inner := &protocol.Shape{Kind: protocol.KindStructure, Members: []protocol.Member{{Name: "x", Shape: s}}}
		return xmlStruct(inner, wrapper)["x"]
	}
	return scalarFromText(m, n.text)
}

func scalarFromText(m *protocol.Member, text string) any {
	s := m.Shape
	switch s.Kind {
	case protocol.KindInteger, protocol.KindLong, protocol.KindDouble, protocol.KindFloat:
		f, err := strconv.ParseFloat(text, 64)
		if err != nil {
			return "bad number " + text
		}
		return f
	case protocol.KindBoolean:
		return text == "true"
	case protocol.KindTimestamp:
		return timeText(text)
	case protocol.KindBlob:
		b, err := base64.StdEncoding.DecodeString(text)
		if err != nil {
			return "bad base64 " + text
		}
		return string(b)
	}
	return text
}

func timeText(text string) any {
	if f, err := strconv.ParseFloat(text, 64); err == nil {
		return f
	}
	for _, l := range []string{time.RFC3339Nano, time.RFC1123} {
		if t, err := time.Parse(l, text); err == nil {
			return float64(t.UnixNano()) / 1e9
		}
	}
	return "bad time " + text
}

// jsonToGeneric converts a parsed JSON body value through shape m (timestamps to epoch, blobs decoded).
func jsonToGeneric(m *protocol.Member, j any) any {
	if j == nil {
		return nil
	}
	s := m.Shape
	switch s.Kind {
	case protocol.KindStructure:
		obj, _ := j.(map[string]any)
		out := map[string]any{}
		for i := range s.Members {
			if v, ok := obj[s.Members[i].WireName()]; ok && s.Members[i].Location == "" {
				out[s.Members[i].Name] = jsonToGeneric(&s.Members[i], v)
			}
		}
		return out
	case protocol.KindList:
		arr, _ := j.([]any)
		out := []any{}
		for _, e := range arr {
			out = append(out, jsonToGeneric(s.Elem, e))
		}
		return out
	case protocol.KindMap:
		obj, _ := j.(map[string]any)
		out := map[string]any{}
		for k, e := range obj {
			out[k] = jsonToGeneric(s.Value, e)
		}
		return out
	case protocol.KindTimestamp:
		switch t := j.(type) {
		case float64:
			return t
		case string:
			return timeText(t)
		}
	case protocol.KindBlob:
		b, _ := base64.StdEncoding.DecodeString(j.(string))
		return string(b)
	}
	return j
}

var _ = strings.Cut
