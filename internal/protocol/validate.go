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
	c.structure(shape, rv.Elem(), "")
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
	return &Error{Code: "ValidationError", Status: 400, Message: msg, Fields: errs}
}

type validator struct {
	errs []FieldError
}

func join(parent, name string) string {
	if parent == "" {
		return name
	}
	return parent + "." + name
}

func (c *validator) fail(path, shown string, sensitive bool, constraint string) {
	if len(c.errs) >= maxValidationErrors {
		return
	}
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

func (c *validator) structure(s *Shape, v reflect.Value, path string) {
	if s.Type != nil && v.Type() != s.Type {
		return // descriptor and value disagree: nothing safe to check
	}
	for i := range s.Members {
		m := &s.Members[i]
		f := v.Field(i)
		p := join(path, m.Camel)
		if isNil(f) {
			if m.Required {
				c.fail(p, "\x00null", false, "Member must not be null")
			}
			continue
		}
		c.value(m.Shape, f, p)
	}
}

func fmtBound(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

func (c *validator) length(s *Shape, n int, path, shown string) {
	if s.Min != nil && float64(n) < *s.Min {
		c.fail(path, shown, s.Sensitive, "Member must have length greater than or equal to "+fmtBound(*s.Min))
	}
	if s.Max != nil && float64(n) > *s.Max {
		c.fail(path, shown, s.Sensitive, "Member must have length less than or equal to "+fmtBound(*s.Max))
	}
}

func (c *validator) rangeCheck(s *Shape, f float64, path, shown string) {
	if s.Min != nil && f < *s.Min {
		c.fail(path, shown, s.Sensitive, "Member must have value greater than or equal to "+fmtBound(*s.Min))
	}
	if s.Max != nil && f > *s.Max {
		c.fail(path, shown, s.Sensitive, "Member must have value less than or equal to "+fmtBound(*s.Max))
	}
}

// value checks one non-nil value of shape s; v is the field (pointer for scalars, value inside lists).
func (c *validator) value(s *Shape, v reflect.Value, path string) {
	if v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return
		}
		v = v.Elem()
	}
	switch s.Kind {
	case KindStructure:
		if v.Kind() == reflect.Struct {
			c.structure(s, v, path)
		}
	case KindString:
		str := v.String()
		c.length(s, utf16Len(str), path, str)
		if s.Pattern != nil && !s.Pattern.Match(str) {
			c.fail(path, str, s.Sensitive, "Member must satisfy regular expression pattern: "+s.Pattern.Java)
		}
		if len(s.Enum) > 0 && !inEnum(s.Enum, str) {
			c.fail(path, str, s.Sensitive, "Member must satisfy enum value set: ["+strings.Join(s.Enum, ", ")+"]")
		}
	case KindInteger, KindLong:
		n := v.Int()
		c.rangeCheck(s, float64(n), path, strconv.FormatInt(n, 10))
	case KindDouble, KindFloat:
		f := v.Float()
		c.rangeCheck(s, f, path, strconv.FormatFloat(f, 'g', -1, 64))
	case KindBlob:
		c.length(s, v.Len(), path, "java.nio.HeapByteBuffer")
	case KindList:
		c.length(s, v.Len(), path, listString(v))
		for i := 0; i < v.Len() && len(c.errs) < maxValidationErrors; i++ {
			c.value(s.Elem.Shape, v.Index(i), path+"."+strconv.Itoa(i+1)+".member")
		}
	case KindMap:
		c.length(s, v.Len(), path, "{...}")
		iter := v.MapRange()
		for iter.Next() && len(c.errs) < maxValidationErrors {
			k := iter.Key().String()
			c.value(s.Key.Shape, iter.Key(), path+".key")
			c.value(s.Value.Shape, iter.Value(), path+"."+k+".value")
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
