package protocol

import (
	"reflect"
	"strconv"
	"strings"
)

// maxValidationErrors caps how many failures one message lists, so a hostile request with thousands of bad
// list elements cannot make us build a huge message.
const maxValidationErrors = 100

// Validate checks v (a pointer to the Go struct of shape) against the model's constraints: required
// members, lengths, value ranges, patterns and enums. It returns nil, or the service's validation error
// worded as AWS words it: "1 validation error detected: Value 'x' at 'roleSessionName' failed to satisfy
// constraint: Member must …", several joined with "; ".
func Validate(svc *ServiceInfo, shape *Shape, v any) error {
	rv := reflect.ValueOf(v)
	if !rv.IsValid() || rv.Kind() != reflect.Pointer || rv.IsNil() {
		return nil
	}
	var c validator
	c.structure(shape, rv.Elem())
	if len(c.errs) == 0 {
		return nil
	}
	return validationError(svc, c.errs)
}

func validationError(svc *ServiceInfo, errs []FieldError) error {
	var b strings.Builder
	b.WriteString(strconv.Itoa(len(errs)))
	if len(errs) == 1 {
		b.WriteString(" validation error detected: ")
	} else {
		b.WriteString(" validation errors detected: ")
	}
	for i, e := range errs {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(e.Message)
	}
	msg := b.String()
	if svc != nil && svc.NewValidationError != nil {
		return svc.NewValidationError(msg, errs)
	}
	if svc != nil && svc.Protocol == "json" {
		// The json-protocol services answer a model constraint failure as ValidationException.
		return &Error{Code: "ValidationException", Status: 400, Message: msg, Fields: errs}
	}
	return &Error{Code: "ValidationError", Status: 400, Message: msg, Fields: errs}
}

// validator walks a value keeping the member path as a stack of segments; the path string is only built
// for a failure, so valid requests (nearly all) cost no allocations here.
type validator struct {
	errs []FieldError
	path []pathSeg
}

// pathSeg is a member name, or a 1-based list index (written "N.member") when name is "".
type pathSeg struct {
	name string
	idx  int
}

func (c *validator) push(name string, idx int) { c.path = append(c.path, pathSeg{name, idx}) }
func (c *validator) pop()                      { c.path = c.path[:len(c.path)-1] }

func (c *validator) pathString() string {
	var b strings.Builder
	for i, s := range c.path {
		if i > 0 {
			b.WriteByte('.')
		}
		if s.name != "" {
			b.WriteString(s.name)
			continue
		}
		b.WriteString(strconv.Itoa(s.idx))
		b.WriteString(".member")
	}
	return b.String()
}

func (c *validator) fail(shown string, sensitive bool, constraint string) {
	if len(c.errs) >= maxValidationErrors {
		return
	}
	path := c.pathString()
	var b strings.Builder
	switch {
	case shown == "\x00null":
		b.WriteString("Value null at '")
	case sensitive:
		// AWS leaves sensitive values out of messages entirely.
		b.WriteString("Value at '")
	default:
		b.WriteString("Value '")
		b.WriteString(shown)
		b.WriteString("' at '")
	}
	b.WriteString(path)
	b.WriteString("' failed to satisfy constraint: ")
	b.WriteString(constraint)
	c.errs = append(c.errs, FieldError{Path: path, Message: b.String()})
}

func isNil(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Pointer, reflect.Slice, reflect.Map, reflect.Interface:
		return v.IsNil()
	}
	return false
}

func (c *validator) structure(s *Shape, v reflect.Value) {
	if s.Type != nil && v.Type() != s.Type {
		return // descriptor and value disagree: nothing safe to check
	}
	for i := range s.Members {
		m := &s.Members[i]
		f := v.Field(i)
		if isNil(f) && !m.Required {
			continue
		}
		c.push(m.Camel, 0)
		if isNil(f) {
			c.fail("\x00null", false, "Member must not be null")
		} else {
			c.value(m.Shape, f)
		}
		c.pop()
	}
}

func fmtBound(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

func (c *validator) length(s *Shape, n int, shown string) {
	if s.Min != nil && float64(n) < *s.Min {
		c.fail(shown, s.Sensitive, "Member must have length greater than or equal to "+fmtBound(*s.Min))
	}
	if s.Max != nil && float64(n) > *s.Max {
		c.fail(shown, s.Sensitive, "Member must have length less than or equal to "+fmtBound(*s.Max))
	}
}

func (c *validator) rangeCheck(s *Shape, f float64, shown string) {
	if s.Min != nil && f < *s.Min {
		c.fail(shown, s.Sensitive, "Member must have value greater than or equal to "+fmtBound(*s.Min))
	}
	if s.Max != nil && f > *s.Max {
		c.fail(shown, s.Sensitive, "Member must have value less than or equal to "+fmtBound(*s.Max))
	}
}

// value checks one non-nil value of shape s; v is the field (pointer for scalars, value inside lists).
func (c *validator) value(s *Shape, v reflect.Value) {
	if v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return
		}
		v = v.Elem()
	}
	switch s.Kind {
	case KindStructure:
		if v.Kind() == reflect.Struct {
			c.structure(s, v)
		}
	case KindString:
		str := v.String()
		c.length(s, utf16Len(str), str)
		if s.Pattern != nil && !s.Pattern.Match(str) {
			c.fail(str, s.Sensitive, "Member must satisfy regular expression pattern: "+s.Pattern.Java)
		}
		if len(s.Enum) > 0 && !inEnum(s.Enum, str) {
			c.fail(str, s.Sensitive, "Member must satisfy enum value set: ["+strings.Join(s.Enum, ", ")+"]")
		}
	case KindInteger, KindLong:
		n := v.Int()
		if s.Min != nil || s.Max != nil {
			c.rangeCheck(s, float64(n), strconv.FormatInt(n, 10))
		}
	case KindDouble, KindFloat:
		f := v.Float()
		if s.Min != nil || s.Max != nil {
			c.rangeCheck(s, f, strconv.FormatFloat(f, 'g', -1, 64))
		}
	case KindBlob:
		c.length(s, v.Len(), "java.nio.HeapByteBuffer")
	case KindList:
		if (s.Min != nil && float64(v.Len()) < *s.Min) || (s.Max != nil && float64(v.Len()) > *s.Max) {
			c.length(s, v.Len(), listString(v))
		}
		for i := 0; i < v.Len() && len(c.errs) < maxValidationErrors; i++ {
			c.push("", i+1)
			c.value(s.Elem.Shape, v.Index(i))
			c.pop()
		}
	case KindMap:
		c.length(s, v.Len(), "{...}")
		iter := v.MapRange()
		for iter.Next() && len(c.errs) < maxValidationErrors {
			c.push("key", 0)
			c.value(s.Key.Shape, iter.Key())
			c.pop()
			c.push(iter.Key().String(), 0)
			c.push("value", 0)
			c.value(s.Value.Shape, iter.Value())
			c.pop()
			c.pop()
		}
	}
}

func inEnum(enum []string, s string) bool {
	for _, e := range enum {
		if e == s {
			return true
		}
	}
	return false
}

// listString renders a list the way Java's List.toString does, which is what AWS prints.
func listString(v reflect.Value) string {
	var b strings.Builder
	b.WriteByte('[')
	for i := 0; i < v.Len(); i++ {
		if i > 0 {
			b.WriteString(", ")
		}
		e := v.Index(i)
		switch e.Kind() {
		case reflect.String:
			b.WriteString(e.String())
		case reflect.Int32, reflect.Int64:
			b.WriteString(strconv.FormatInt(e.Int(), 10))
		default:
			b.WriteString("...")
		}
	}
	b.WriteByte(']')
	return b.String()
}

// utf16Len is the length Java's String.length() gives, which is what AWS's limits count: characters outside
// the Basic Multilingual Plane count twice.
func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n++
		if r > 0xFFFF {
			n++
		}
	}
	return n
}
