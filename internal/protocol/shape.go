package protocol

import (
	"context"
	"reflect"
	"regexp"
	"strings"
	"sync"
)

// Kind is the model type of a shape.
type Kind uint8

// The shape kinds of the AWS JSON service models. Character is folded into String.
const (
	KindStructure Kind = iota + 1
	KindList
	KindMap
	KindString
	KindInteger
	KindLong
	KindBoolean
	KindDouble
	KindFloat
	KindTimestamp
	KindBlob
	KindDocument
)

// Timestamp formats a model may ask for.
const (
	TimestampISO8601  = "iso8601"
	TimestampUnix     = "unixTimestamp"
	TimestampRFC822   = "rfc822"
	timestampDefault  = ""
	defaultErrorState = 400
)

// Shape describes one model shape. Generated packages declare one per model shape and link them in init.
// For a structure the Go struct's fields are in member order, one field per member, so the runtime addresses
// member i as field i without any name lookup. (An error shape whose model has no message member keeps its
// message in one unexported field after the members; nothing addresses it by index.)
type Shape struct {
	Name    string
	Kind    Kind
	Members []Member // structure
	Elem    *Member  // list element
	Key     *Member  // map key
	Value   *Member  // map value

	Flattened       bool
	Min, Max        *float64
	Pattern         *Pattern
	Enum            []string
	Sensitive       bool
	TimestampFormat string
	Union           bool
	Payload         string // rest-json: name of the member that is the whole body
	Streaming       bool
	ResultWrapper   string

	// Errors only.
	Exception bool
	Code      string // wire error code
	Status    int    // HTTP status
	Receiver  bool   // server fault

	// Type is the Go type of a structure shape (set for structures so errors and nested values can be made).
	Type reflect.Type

	once    sync.Once
	byName  map[string]int // structure: wire name → member index (lazy)
	payload int
}

// Member is a structure member, list element or map key/value reference.
type Member struct {
	Name            string // model name (Go field name is its exported form)
	Camel           string // lowerCamelCase name used in validation messages
	Shape           *Shape
	LocationName    string
	Location        string // rest-json: "", "uri", "querystring", "header", "headers", "statusCode"
	Flattened       bool
	Required        bool
	TimestampFormat string
	XMLAttribute    bool
	XMLNamespace    string
	JSONValue       bool
	HostLabel       bool
	IdempotencyTok  bool
}

// WireName is the member's name on the wire: its locationName if the model gives one.
func (m *Member) WireName() string {
	if m.LocationName != "" {
		return m.LocationName
	}
	return m.Name
}

// flattened reports whether a list or map member is flattened; the trait may sit on either the member or
// the shape.
func (m *Member) flattened() bool { return m.Flattened || m.Shape.Flattened }

func (m *Member) tsFormat() string {
	if m.TimestampFormat != "" {
		return m.TimestampFormat
	}
	return m.Shape.TimestampFormat
}

// Pattern is a model pattern: the text AWS prints in messages (Java syntax) and its RE2 translation.
type Pattern struct {
	Java string
	RE2  string // already anchored
	// Forbid is a substring that must not occur: what remains of a negative lookahead RE2 cannot express.
	Forbid string

	once sync.Once
	re   *regexp.Regexp
	run  *charRun // set instead of re when the pattern is one character class, repeated
}

// Match reports whether s matches the whole pattern.
func (p *Pattern) Match(s string) bool {
	p.once.Do(func() {
		if p.run = compileCharRun(p.RE2); p.run != nil {
			return
		}
		// The generator compiled every pattern already; a failure here would be a generator bug, and
		// accepting the value is safer than failing every request.
		p.re, _ = regexp.Compile(p.RE2)
	})
	switch {
	case p.run != nil:
		if !p.run.match(s) {
			return false
		}
	case p.re != nil:
		if !p.re.MatchString(s) {
			return false
		}
	}
	return p.Forbid == "" || !strings.Contains(s, p.Forbid)
}

// Operation is one entry of a generated operation table.
type Operation struct {
	Name          string
	Method        string
	RequestURI    string
	ResponseCode  int
	Input         *Shape // always a structure (synthetic and empty when the model has none)
	Output        *Shape // always a structure
	ResultWrapper string
	Errors        []*Shape
	// NewInput returns a pointer to a fresh zero input struct.
	NewInput func() any
	// Invoke calls the typed Service method on svc.
	Invoke func(ctx context.Context, svc any, in any) (any, error)
	// Service is the service the operation belongs to.
	Service *ServiceInfo
}

// ServiceInfo is the generated, ARN-free metadata of a service the server needs.
type ServiceInfo struct {
	Name           string // e.g. "IAM"
	ServiceID      string
	SigningName    string
	EndpointPrefix string
	GlobalEndpoint string // e.g. "iam.amazonaws.com"; empty for regional-only services
	Protocol       string // "query", "rest-json" or "json"
	APIVersion     string
	XMLNamespace   string
	// JSONVersion and TargetPrefix are the json protocol's: the version of its Content-Type
	// (application/x-amz-json-1.1) and the prefix of X-Amz-Target ("Prefix.Operation").
	JSONVersion  string
	TargetPrefix string
	Operations   []*Operation
	ByName       map[string]*Operation
	// Errors maps wire codes to error shapes.
	Errors map[string]*Shape
	// NewValidationError builds the service's validation error; nil means the query-protocol
	// ValidationError.
	NewValidationError func(msg string, fields []FieldError) error
}

// Link finishes a ServiceInfo: indexes operations and points them back at the service. Generated init calls it.
func (s *ServiceInfo) Link() {
	s.ByName = make(map[string]*Operation, len(s.Operations))
	for _, op := range s.Operations {
		op.Service = s
		s.ByName[op.Name] = op
	}
}

func (s *Shape) memberIndex(wire string) (int, bool) {
	s.once.Do(func() {
		s.byName = make(map[string]int, len(s.Members))
		s.payload = -1
		for i := range s.Members {
			s.byName[s.Members[i].WireName()] = i
			if s.Payload != "" && s.Members[i].Name == s.Payload {
				s.payload = i
			}
		}
	})
	i, ok := s.byName[wire]
	return i, ok
}

func (s *Shape) payloadIndex() int {
	s.memberIndex("")
	return s.payload
}

// Float returns a pointer to f; generated descriptors use it for min and max.
func Float(f float64) *float64 { return &f }
