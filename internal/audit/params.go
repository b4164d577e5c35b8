package audit

import (
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/iamd/iamd/internal/protocol"
)

// appendString appends s as a JSON string.
func appendString(b []byte, s string) []byte { return protocol.AppendJSONString(b, s) }

// appendTime appends t in layout as a JSON string, without the string Format would allocate (the layouts
// hold nothing JSON escapes).
func appendTime(b []byte, t time.Time, layout string) []byte {
	b = append(b, '"')
	return append(t.AppendFormat(b, layout), '"')
}

// secretMembers are members that hold secrets although the models do not mark their shapes sensitive:
// session tokens and the one-time codes of MFA devices. Every member whose shape the models mark
// sensitive (secret keys, passwords, private keys, MFA seeds and QR codes, SAML assertions, web identity
// tokens, service-specific credentials' passwords, the Account API's contact details) is a secret too.
var secretMembers = map[string]bool{
	"SessionToken":        true,
	"AuthenticationCode1": true,
	"AuthenticationCode2": true,
	"TokenCode":           true,
}

// IsSecret reports whether member m of a request or response is a secret the trail never stores.
func IsSecret(m *protocol.Member) bool {
	return m.Shape.Sensitive || secretMembers[m.Name]
}

// maxDepth bounds the nesting the encoder follows (the protocol decoders bound it already).
const maxDepth = 32

// appendParameters writes the members of v (a pointer to the generated struct of shape s) as CloudTrail
// writes requestParameters and responseElements: lowerCamelCase member names, dates as CloudTrail's
// IAM records print them, and secrets redacted: a secret request parameter reads Hidden, a secret
// response element is left out ("Logging IAM and AWS STS API calls with AWS CloudTrail": secret keys
// and session tokens never appear). An input without members is null. When the result would pass
// maxParametersBytes, null is written instead and truncated is true.
func appendParameters(b []byte, op *protocol.Operation, v any, request bool) (_ []byte, truncated bool) {
	if op == nil || v == nil {
		return append(b, "null"...), false
	}
	s := op.Input
	if !request {
		s = op.Output
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() == reflect.Pointer {
		if rv.IsNil() {
			return append(b, "null"...), false
		}
		rv = rv.Elem()
	}
	if s == nil || rv.Kind() != reflect.Struct || (s.Type != nil && rv.Type() != s.Type) || !hasValue(s, rv) {
		return append(b, "null"...), false
	}
	start := len(b)
	b = appendStruct(b, s, rv, request, 0)
	if len(b)-start > maxParametersBytes {
		return append(b[:start], "null"...), true
	}
	return b, false
}

// hasValue reports whether a structure has any member set.
func hasValue(s *protocol.Shape, v reflect.Value) bool {
	for i := range s.Members {
		if !isNil(v.Field(i)) {
			return true
		}
	}
	return false
}

func appendStruct(b []byte, s *protocol.Shape, v reflect.Value, request bool, depth int) []byte {
	b = append(b, '{')
	first := true
	for i := range s.Members {
		m := &s.Members[i]
		f := v.Field(i)
		if isNil(f) {
			continue
		}
		secret := IsSecret(m)
		if secret && !request {
			continue
		}
		if !first {
			b = append(b, ',')
		}
		first = false
		b = appendString(b, camel(m))
		b = append(b, ':')
		if secret {
			b = appendString(b, Hidden)
			continue
		}
		b = appendValue(b, m, f, request, depth+1)
	}
	return append(b, '}')
}

// camel is a member's name as CloudTrail writes it: the model name with a lowercase first letter.
func camel(m *protocol.Member) string {
	if m.Camel != "" {
		return m.Camel
	}
	return m.Name
}

func appendValue(b []byte, m *protocol.Member, v reflect.Value, request bool, depth int) []byte {
	if v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return append(b, "null"...)
		}
		v = v.Elem()
	}
	if depth > maxDepth {
		return append(b, "null"...)
	}
	s := m.Shape
	switch s.Kind {
	case protocol.KindStructure:
		if v.Kind() != reflect.Struct || (s.Type != nil && v.Type() != s.Type) {
			return append(b, "null"...)
		}
		return appendStruct(b, s, v, request, depth)
	case protocol.KindList:
		b = append(b, '[')
		for j := 0; j < v.Len(); j++ {
			if j > 0 {
				b = append(b, ',')
			}
			if IsSecret(s.Elem) {
				b = appendString(b, Hidden)
				continue
			}
			b = appendValue(b, s.Elem, v.Index(j), request, depth+1)
		}
		return append(b, ']')
	case protocol.KindMap:
		keys := make([]string, 0, v.Len())
		for _, k := range v.MapKeys() {
			keys = append(keys, k.String())
		}
		sort.Strings(keys)
		b = append(b, '{')
		for j, k := range keys {
			if j > 0 {
				b = append(b, ',')
			}
			b = appendString(b, k)
			b = append(b, ':')
			if IsSecret(s.Value) {
				b = appendString(b, Hidden)
				continue
			}
			b = appendValue(b, s.Value, v.MapIndex(reflect.ValueOf(k).Convert(v.Type().Key())), request, depth+1)
		}
		return append(b, '}')
	case protocol.KindString:
		return appendString(b, v.String())
	case protocol.KindInteger, protocol.KindLong:
		return strconv.AppendInt(b, v.Int(), 10)
	case protocol.KindBoolean:
		return strconv.AppendBool(b, v.Bool())
	case protocol.KindDouble, protocol.KindFloat:
		return strconv.AppendFloat(b, v.Float(), 'g', -1, 64)
	case protocol.KindTimestamp:
		t, ok := v.Interface().(time.Time)
		if !ok {
			return append(b, "null"...)
		}
		// IAM's and STS's records print dates the way their Java front end formats them.
		return appendTime(b, t.UTC(), "Jan 2, 2006, 3:04:05 PM")
	case protocol.KindBlob:
		// Blobs are certificates' and reports' bytes; their size, not their content, is of use in a trail.
		return strconv.AppendInt(append(b, `{"size":`...), int64(v.Len()), 10)
	}
	return append(b, "null"...)
}

func isNil(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Pointer, reflect.Slice, reflect.Map, reflect.Interface:
		return v.IsNil()
	}
	return false
}

// inputString is the string member name of v (a generated struct of shape s), "" when unset.
func inputString(s *protocol.Shape, v any, name string) string {
	if s == nil || v == nil {
		return ""
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() == reflect.Pointer {
		if rv.IsNil() {
			return ""
		}
		rv = rv.Elem()
	}
	if rv.Kind() != reflect.Struct || (s.Type != nil && rv.Type() != s.Type) {
		return ""
	}
	for i := range s.Members {
		if s.Members[i].Name != name {
			continue
		}
		f := rv.Field(i)
		if f.Kind() == reflect.Pointer && !f.IsNil() && f.Elem().Kind() == reflect.String {
			return f.Elem().String()
		}
		return ""
	}
	return ""
}

// resourceMembers maps the input members that name an IAM entity to CloudTrail's resource types
// (LookupEvents' ResourceType and ResourceName).
var resourceMembers = map[string]string{
	"UserName":                 "AWS::IAM::User",
	"GroupName":                "AWS::IAM::Group",
	"RoleName":                 "AWS::IAM::Role",
	"RoleArn":                  "AWS::IAM::Role",
	"PolicyArn":                "AWS::IAM::Policy",
	"PermissionsBoundary":      "AWS::IAM::Policy",
	"InstanceProfileName":      "AWS::IAM::InstanceProfile",
	"ServerCertificateName":    "AWS::IAM::ServerCertificate",
	"SAMLProviderArn":          "AWS::IAM::SAMLProvider",
	"PrincipalArn":             "AWS::IAM::SAMLProvider",
	"OpenIDConnectProviderArn": "AWS::IAM::OIDCProvider",
	"AccessKeyId":              "AWS::IAM::AccessKey",
	"SerialNumber":             "AWS::IAM::MFADevice",
	"VirtualMFADeviceName":     "AWS::IAM::MFADevice",
}

// resourceFields are, per input shape, the members that name entities (resourceMembers), found once.
var resourceFields sync.Map // *protocol.Shape → []resourceField

type resourceField struct {
	index int
	typ   string
}

func resourceFieldsOf(s *protocol.Shape) []resourceField {
	if v, ok := resourceFields.Load(s); ok {
		return v.([]resourceField)
	}
	var fs []resourceField
	for i := range s.Members {
		m := &s.Members[i]
		typ, ok := resourceMembers[m.Name]
		if !ok || m.Shape.Kind != protocol.KindString || (m.Name == "PrincipalArn" && s.Name != "AssumeRoleWithSAMLRequest") {
			continue
		}
		fs = append(fs, resourceField{i, typ})
	}
	resourceFields.Store(s, fs)
	return fs
}

// appendResources appends the entities the input names to out, sorted (the writer reuses one slice).
func appendResources(out []Resource, s *protocol.Shape, in any) []Resource {
	fs := resourceFieldsOf(s)
	if len(fs) == 0 {
		return out
	}
	rv := reflect.ValueOf(in)
	if rv.Kind() != reflect.Pointer || rv.IsNil() || rv.Elem().Kind() != reflect.Struct || (s.Type != nil && rv.Elem().Type() != s.Type) {
		return out
	}
	rv = rv.Elem()
	start := len(out)
	for _, f := range fs {
		v := rv.Field(f.index)
		if v.Kind() == reflect.Pointer && !v.IsNil() && v.Elem().Kind() == reflect.String && v.Elem().String() != "" {
			out = append(out, Resource{Type: f.typ, Name: v.Elem().String()})
		}
	}
	// slices.SortFunc, not sort.Slice: no allocation per event for its swapper.
	slices.SortFunc(out[start:], func(a, b Resource) int {
		if c := strings.Compare(a.Type, b.Type); c != 0 {
			return c
		}
		return strings.Compare(a.Name, b.Name)
	})
	return out
}

// appendOutputResources appends what a call made that its input could not name: the access key of
// CreateAccessKey and the temporary credentials' key of the STS calls.
func appendOutputResources(dst []Resource, s *protocol.Shape, out any) []Resource {
	for _, member := range [...]string{"AccessKey", "Credentials"} {
		sub, shape := nested(s, out, member)
		if id := inputString(shape, sub, "AccessKeyId"); id != "" {
			return append(dst, Resource{Type: "AWS::IAM::AccessKey", Name: id})
		}
	}
	return dst
}

// nested is the structure member name of v and its shape.
func nested(s *protocol.Shape, v any, name string) (any, *protocol.Shape) {
	rv := reflect.ValueOf(v)
	if s == nil || rv.Kind() != reflect.Pointer || rv.IsNil() || rv.Elem().Kind() != reflect.Struct {
		return nil, nil
	}
	rv = rv.Elem()
	for i := range s.Members {
		m := &s.Members[i]
		if m.Name == name && m.Shape.Kind == protocol.KindStructure {
			f := rv.Field(i)
			if f.Kind() == reflect.Pointer && !f.IsNil() {
				return f.Interface(), m.Shape
			}
		}
	}
	return nil, nil
}
