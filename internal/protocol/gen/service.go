package main

import (
	"bytes"
	"fmt"
	"strconv"
)

type opInfo struct {
	name, method, uri string
	code              int
	in, out           string // Go type names
	inVar, outVar     string
	wrapper           string
	errors            []string
}

func generateService(m *obj, pkg string) ([]byte, error) {
	if pkg == "" {
		return nil, fmt.Errorf("-pkg is required")
	}
	md := m.obj("metadata")
	shapes := m.obj("shapes")
	ops := m.obj("operations")
	if md == nil || shapes == nil || ops == nil {
		return nil, fmt.Errorf("model lacks metadata, shapes or operations")
	}
	g := newGen(shapes, "")
	svcID := md.str("serviceId")
	for _, id := range []string{"Service", "Unimplemented", "Info", "Operations"} {
		if err := g.claim(id, "generated "+id); err != nil {
			return nil, err
		}
	}
	var infos []opInfo
	var extra []synthetic
	inputs := map[string]bool{}
	for _, name := range ops.keys {
		o := ops.obj(name)
		h := o.obj("http")
		oi := opInfo{name: name, method: h.str("method"), uri: h.str("requestUri"), code: 200}
		if n, ok := h.num("responseCode"); ok {
			oi.code = int(n)
		}
		if in := o.obj("input"); in != nil {
			if _, err := g.shape(in.str("shape")); err != nil {
				return nil, fmt.Errorf("operation %s: %w", name, err)
			}
			oi.in, oi.inVar = g.names[in.str("shape")], g.varOf(in.str("shape"))
		} else {
			oi.in = name + "Input"
			oi.inVar = g.vprefix + oi.in
			extra = append(extra, synthetic{oi.in})
			if err := g.claim(oi.in, "synthetic input of "+name); err != nil {
				return nil, err
			}
		}
		inputs[oi.in] = true
		if out := o.obj("output"); out != nil {
			if _, err := g.shape(out.str("shape")); err != nil {
				return nil, fmt.Errorf("operation %s: %w", name, err)
			}
			oi.out, oi.outVar = g.names[out.str("shape")], g.varOf(out.str("shape"))
			oi.wrapper = out.str("resultWrapper")
		} else {
			oi.out = name + "Output"
			oi.outVar = g.vprefix + oi.out
			extra = append(extra, synthetic{oi.out})
			if err := g.claim(oi.out, "synthetic output of "+name); err != nil {
				return nil, err
			}
		}
		if errs, ok := o.get("errors").([]any); ok {
			for _, e := range errs {
				if eo, ok := e.(*obj); ok {
					oi.errors = append(oi.errors, g.varOf(eo.str("shape")))
				}
			}
		}
		infos = append(infos, oi)
	}

	g.buf.WriteString(header)
	g.p("// Package %s holds the typed shapes, errors, validators and operation table of the %s API,", pkg, svcID)
	g.p("// generated from internal/api/models. Hand-written services implement Service, embedding Unimplemented.")
	g.p("package %s\n", pkg)
	g.p("import (\n\t\"context\"\n\t\"errors\"\n\t\"reflect\"\n\t\"time\"\n\n\t\"github.com/iamd/iamd/internal/protocol\"\n)\n")
	if err := g.writeTypes(svcID); err != nil {
		return nil, err
	}
	for _, x := range extra {
		g.p("// %s is the empty shape of an operation the model gives none.", x.typeName)
		g.p("type %s struct{}\n", x.typeName)
	}
	for _, name := range sortedKeys(inputs) {
		g.p("// Validate checks the model's constraints, returning the service's validation error.")
		g.p("func (in *%s) Validate() error { return protocol.Validate(Info, %s, in) }\n", name, g.vprefix+name)
	}

	g.p("// Service is the %s API: one method per operation.", svcID)
	g.p("type Service interface {")
	for _, oi := range infos {
		g.p("\t%s(ctx context.Context, in *%s) (*%s, error)", oi.name, oi.in, oi.out)
	}
	g.p("}\n")
	g.p("// Unimplemented answers every operation with a 501 NotImplemented error; services embed it.")
	g.p("type Unimplemented struct{}\n")
	for _, oi := range infos {
		g.p("// %s is not implemented.", oi.name)
		g.p("func (Unimplemented) %s(context.Context, *%s) (*%s, error) {", oi.name, oi.in, oi.out)
		g.p("\treturn nil, protocol.NotImplemented(%q, %q)", svcID, oi.name)
		g.p("}\n")
	}
	g.p("var (")
	g.p("\terrNotService = errors.New(%q)", pkg+": value does not implement Service")
	g.p("\terrBadInput   = errors.New(%q)", pkg+": input of the wrong type")
	g.p(")\n")

	g.p("// Operations is the operation table the server dispatches on, in model order.")
	g.p("var Operations = []*protocol.Operation{")
	for _, oi := range infos {
		g.p("\t{")
		g.p("\t\tName: %q, Method: %q, RequestURI: %q, ResponseCode: %d,", oi.name, oi.method, oi.uri, oi.code)
		g.p("\t\tInput: %s, Output: %s, ResultWrapper: %q,", oi.inVar, oi.outVar, oi.wrapper)
		if len(oi.errors) > 0 {
			g.p("\t\tErrors: []*protocol.Shape{")
			for _, e := range oi.errors {
				g.p("\t\t\t%s,", e)
			}
			g.p("\t\t},")
		}
		g.p("\t\tNewInput: func() any { return new(%s) },", oi.in)
		g.p("\t\tInvoke: func(ctx context.Context, svc any, in any) (any, error) {")
		g.p("\t\t\ts, ok := svc.(Service)")
		g.p("\t\t\tif !ok {\n\t\t\t\treturn nil, errNotService\n\t\t\t}")
		g.p("\t\t\treq, ok := in.(*%s)", oi.in)
		g.p("\t\t\tif !ok {\n\t\t\t\treturn nil, errBadInput\n\t\t\t}")
		g.p("\t\t\tout, err := s.%s(ctx, req)", oi.name)
		g.p("\t\t\tif out == nil {\n\t\t\t\treturn nil, err\n\t\t\t}")
		g.p("\t\t\treturn out, err")
		g.p("\t\t},")
		g.p("\t},")
	}
	g.p("}\n")

	g.p("// Info is the service metadata the server needs.")
	g.p("var Info = &protocol.ServiceInfo{")
	g.p("\tName: %q, ServiceID: %q, SigningName: %q, Protocol: %q,", svcID, svcID, signingName(md), md.str("protocol"))
	g.p("\tAPIVersion: %q, XMLNamespace: %q,", md.str("apiVersion"), md.str("xmlNamespace"))
	g.p("\tEndpointPrefix: %q, GlobalEndpoint: %q,", md.str("endpointPrefix"), md.str("globalEndpoint"))
	if md.str("protocol") == "json" {
		g.p("\tJSONVersion: %q, TargetPrefix: %q,", md.str("jsonVersion"), md.str("targetPrefix"))
	}
	g.p("\tOperations: Operations,")
	g.p("\tErrors: map[string]*protocol.Shape{")
	for _, name := range shapes.keys {
		s := shapes.obj(name)
		if s.bool("exception") || s.obj("error") != nil {
			g.p("\t\t%s: %s,", strconv.Quote(errorCode(name, s)), g.varOf(name))
		}
	}
	g.p("\t},")
	g.p("}\n")
	if err := g.writeDescriptors(extra); err != nil {
		return nil, err
	}
	g.p("func init() {")
	g.p("\tInfo.Link()")
	if hasFieldValidation(shapes) {
		g.p("\t// The model's ValidationException carries the failed fields; validation failures use it.")
		g.p("\tInfo.NewValidationError = func(msg string, fields []protocol.FieldError) error {")
		g.p("\t\te := &ValidationException{Message: &msg, Reason: protocol.String(ValidationExceptionReasonFieldValidationFailed)}")
		g.p("\t\tfor _, f := range fields {")
		g.p("\t\t\te.FieldList = append(e.FieldList, ValidationExceptionField{Name: protocol.String(f.Path), Message: protocol.String(f.Message)})")
		g.p("\t\t}")
		g.p("\t\treturn e")
		g.p("\t}")
	}
	g.p("}")
	return gofmt(dropUnusedTime(g.buf.Bytes()))
}

// dropUnusedTime removes the time import from a file that has no timestamp fields.
func dropUnusedTime(src []byte) []byte {
	if bytes.Count(src, []byte("time.")) > 0 {
		return src
	}
	return bytes.Replace(src, []byte("\t\"time\"\n"), nil, 1)
}

func signingName(md *obj) string {
	if s := md.str("signingName"); s != "" {
		return s
	}
	return md.str("endpointPrefix")
}

// hasFieldValidation reports whether the model has Account's ValidationException shape (reason + fieldList).
func hasFieldValidation(shapes *obj) bool {
	ve := shapes.obj("ValidationException")
	f := shapes.obj("ValidationExceptionField")
	r := shapes.obj("ValidationExceptionReason")
	return ve != nil && f != nil && r != nil && ve.obj("members").obj("fieldList") != nil &&
		ve.obj("members").obj("reason") != nil && contains(r.get("enum"), "fieldValidationFailed")
}

// generateVectors writes the shapes of every protocol-test suite into one package, prefixing each suite's
// type names with prefix and its index, and a Shapes map keyed "index/ShapeName".
func generateVectors(suites []any, pkg, prefix string) ([]byte, error) {
	var body []byte
	type entry struct{ key, v string }
	var entries []entry
	var all []byte
	for i, su := range suites {
		s, ok := su.(*obj)
		if !ok {
			return nil, fmt.Errorf("suite %d is not an object", i)
		}
		shapes := s.obj("shapes")
		g := newGen(shapes, fmt.Sprintf("%s%d", prefix, i))
		if err := g.writeTypes(""); err != nil {
			return nil, fmt.Errorf("suite %d: %w", i, err)
		}
		if err := g.writeDescriptors(nil); err != nil {
			return nil, fmt.Errorf("suite %d: %w", i, err)
		}
		all = append(all, g.buf.Bytes()...)
		for _, n := range shapes.keys {
			entries = append(entries, entry{fmt.Sprintf("%d/%s", i, n), g.varOf(n)})
		}
	}
	g := &gen{}
	g.buf.WriteString(header)
	g.p("package %s\n", pkg)
	g.p("import (\n\t\"reflect\"\n\t\"time\"\n\n\t\"github.com/iamd/iamd/internal/protocol\"\n)\n")
	g.buf.Write(all)
	g.p("// %sShapes maps \"suite/ShapeName\" to the suite's shape descriptors.", prefix)
	g.p("var %sShapes = map[string]*protocol.Shape{", prefix)
	for _, e := range entries {
		g.p("\t%q: %s,", e.key, e.v)
	}
	g.p("}")
	body = g.buf.Bytes()
	return gofmt(dropUnusedTime(body))
}
