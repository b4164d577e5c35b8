package e2etest

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/iamd/iamd/internal/api/accountapi"
	"github.com/iamd/iamd/internal/api/cloudtrailapi"
	"github.com/iamd/iamd/internal/api/iamapi"
	"github.com/iamd/iamd/internal/api/stsapi"
	"github.com/iamd/iamd/internal/config"
	"github.com/iamd/iamd/internal/protocol"
)

// Bad input of every kind gets a clear AWS-style 4xx: never a 500, a panic or a hang.
func TestWireBadInput(t *testing.T) {
	s := Start(t, Options{})
	root := rootSigner()
	now := time.Now().UTC()
	const gci = "Action=GetCallerIdentity&Version=2011-06-15"
	query := func(body, contentType string) wireCall {
		return wireCall{name: "query", service: "sts", method: http.MethodPost, path: "/", contentType: contentType, body: body, errNS: wireNSSTS}
	}
	rest := func(path, body, contentType string) wireCall {
		return wireCall{name: "rest-json", service: "account", method: http.MethodPost, path: path, contentType: contentType, body: body}
	}
	cases := []struct {
		what   string
		c      wireCall
		status int
		code   string
		msg    string // "" skips the message check; "~" prefix: regular expression
	}{
		{"bad percent-encoding in a value", query(gci+"&Foo=%zz", wireFormContentType), 400, "MalformedQueryString",
			"Invalid percent-encoding in the value of parameter Foo."},
		{"bad percent-encoding in a name", query(gci+"&F%G1=1", wireFormContentType), 400, "MalformedQueryString",
			"Invalid percent-encoding in parameter name."},
		{"truncated percent-encoding", query(gci+"&Foo=%4", wireFormContentType), 400, "MalformedQueryString", ""},
		{"escaped invalid UTF-8", query(gci+"&Foo=%FF%FE", wireFormContentType), 400, "MalformedQueryString", "Parameters must be valid UTF-8."},
		{"raw invalid UTF-8", query(gci+"&Foo=\xc3\x28", wireFormContentType), 400, "MalformedQueryString", "Parameters must be valid UTF-8."},
		{"duplicate parameter", query(gci+"&Action=GetCallerIdentity", wireFormContentType), 400, "MalformedQueryString",
			"Parameter Action is given more than once."},
		{"unknown Action", query("Action=GetCallerIdentityX&Version=2011-06-15", wireFormContentType), 400, "InvalidAction",
			"Could not find operation GetCallerIdentityX for version 2011-06-15"},
		{"IAM action at STS", query("Action=GetUser&Version=2011-06-15", wireFormContentType), 400, "InvalidAction", ""},
		{"wrong Version", query("Action=GetCallerIdentity&Version=2010-05-08", wireFormContentType), 400, "InvalidAction",
			"Could not find operation GetCallerIdentity for version 2010-05-08"},
		{"no Version", query("Action=GetCallerIdentity", wireFormContentType), 400, "InvalidAction",
			"Could not find operation GetCallerIdentity for version NO_VERSION_SPECIFIED"},
		{"no Action", query("Version=2011-06-15", wireFormContentType), 400, "MissingAction", "Missing Action"},
		{"empty body", query("", wireFormContentType), 400, "MissingAction", "Missing Action"},
		{"form as text/plain", query(gci, "text/plain"), 415, "UnsupportedMediaType", ""},
		{"form as JSON", query(gci, "application/json"), 415, "UnsupportedMediaType", ""},
		{"binary garbage", query("\x00\x01\x02\xff&&==%%", "application/octet-stream"), 415, "UnsupportedMediaType", ""},
		{"garbage form", query("&&&===&=&a=b=c&%", wireFormContentType), 400, "MalformedQueryString", ""},
		{"list index garbage", query("Action=GetSessionToken&Version=2011-06-15&DurationSeconds=abc", wireFormContentType), 400, "", ""},
		{"JSON garbage", rest("/listRegions", "{not json", "application/json"), 400, "SerializationException", ""},
		{"JSON array", rest("/listRegions", "[1,2]", "application/json"), 400, "SerializationException", ""},
		{"JSON wrong type", rest("/listRegions", `{"MaxResults":"ten"}`, "application/json"), 400, "SerializationException", ""},
		{"JSON invalid UTF-8", rest("/getRegionOptStatus", "{\"RegionName\":\"\xff\xfe\"}", "application/json"), 400, "", ""},
		{"JSON deep nesting", rest("/listRegions", strings.Repeat("[", 100000)+strings.Repeat("]", 100000), "application/json"), 400, "", ""},
		{"JSON trailing data", rest("/listRegions", "{}{}", "application/json"), 400, "SerializationException", ""},
		{"unknown REST operation", rest("/noSuchOperation", "{}", "application/json"), 404, "UnknownOperationException", ""},
	}
	for _, tc := range cases {
		t.Run(tc.what, func(t *testing.T) {
			r := root.sign(t, s.request(t, tc.c, ""), tc.c.body, tc.c.service, "us-east-1", now)
			got := doWire(t, r, tc.c.errNS == "")
			if got.status != tc.status || (tc.code != "" && got.code != tc.code) {
				t.Fatalf("got %d %s %q, want %d %s", got.status, got.code, got.message, tc.status, tc.code)
			}
			if tc.status >= 400 && got.message == "" {
				t.Fatalf("%d %s without a message", got.status, got.code)
			}
			if tc.msg != "" {
				got.expect(t, tc.c, tc.status, got.code, tc.msg)
			}
		})
	}
}

// Bodies over the limit are refused with 413 before anything is parsed, with or without a Content-Length.
func TestWireBodyLimit(t *testing.T) {
	s := Start(t, Options{})
	big := "Action=GetCallerIdentity&Version=2011-06-15&Pad=" + strings.Repeat("a", config.DefaultMaxBodyBytes)
	want := fmt.Sprintf("Request body must be smaller than %d bytes.", config.DefaultMaxBodyBytes)
	for _, c := range []wireCall{stsCall, accountCall} {
		c.body = big
		if c.errNS == "" {
			c.body = `{"Pad":"` + strings.Repeat("a", config.DefaultMaxBodyBytes) + `"}`
		}
		// Signed, with a Content-Length.
		r := rootSigner().sign(t, s.request(t, c, ""), c.body, c.service, "us-east-1", time.Now().UTC())
		doWire(t, r, c.errNS == "").expect(t, c, 413, "RequestEntityTooLarge", want)
		// Unsigned and chunked: the limit is enforced while reading. Nothing tells which query service the
		// request was for, so the error comes in IAM's namespace.
		if c.errNS != "" {
			c.errNS = wireNSIAM
		}
		r, _ = http.NewRequest(c.method, s.URL+c.path, struct{ *strings.Reader }{strings.NewReader(c.body)})
		r.Header.Set("Content-Type", c.contentType)
		r.ContentLength = -1
		doWire(t, r, c.errNS == "").expect(t, c, 413, "RequestEntityTooLarge", want)
	}
	// Exactly at the limit is still read (and then judged on its merits).
	c := stsCall
	c.body = "Action=GetCallerIdentity&Version=2011-06-15&Pad="
	c.body += strings.Repeat("a", config.DefaultMaxBodyBytes-len(c.body))
	r := rootSigner().sign(t, s.request(t, c, ""), c.body, c.service, "us-east-1", time.Now().UTC())
	doWire(t, r, false).ok(t, c)
}

// Query requests work as GET with the parameters in the URL, and other methods get a 4xx, not a crash.
func TestWireMethods(t *testing.T) {
	s := Start(t, Options{})
	now := time.Now().UTC()
	r, _ := http.NewRequest(http.MethodGet, s.URL+"/?Action=GetCallerIdentity&Version=2011-06-15", nil)
	doWire(t, rootSigner().sign(t, r, "", "sts", "us-east-1", now), false).ok(t, stsCall)
	r, _ = http.NewRequest(http.MethodGet, s.URL+"/?Action=GetAccountSummary&Version=2010-05-08", nil)
	doWire(t, rootSigner().sign(t, r, "", "iam", "us-east-1", now), false).ok(t, stsCall)
	// Unclean paths are answered by the API, never redirected.
	for _, path := range []string{"/.", "//", "/./", "/global/.", "/a/../"} {
		c := stsCall
		c.path = path
		got := doWire(t, rootSigner().sign(t, s.request(t, c, ""), c.body, c.service, "us-east-1", now), false)
		if got.status >= 300 && got.status < 400 || got.status >= 500 {
			t.Errorf("POST %s: %d", path, got.status)
		}
	}
	for _, m := range []string{http.MethodPut, http.MethodDelete, http.MethodPatch} {
		c := stsCall
		c.method = m
		got := doWire(t, rootSigner().sign(t, s.request(t, c, ""), c.body, c.service, "us-east-1", now), false)
		if got.status >= 500 {
			t.Errorf("%s: %d", m, got.status)
		}
		c = accountCall
		c.method = m
		got = doWire(t, rootSigner().sign(t, s.request(t, c, ""), c.body, c.service, "us-east-1", now), true)
		if got.status != 404 || got.code != "UnknownOperationException" {
			t.Errorf("%s %s: %d %s", m, c.path, got.status, got.code)
		}
	}
}

// The x-amzn-RequestId header is the RequestId of the body, for results and errors, and fresh per request.
func TestWireRequestID(t *testing.T) {
	s := Start(t, Options{})
	seen := map[string]bool{}
	for i := 0; i < 3; i++ {
		r := rootSigner().sign(t, s.request(t, stsCall, ""), stsCall.body, "sts", "us-east-1", time.Now().UTC())
		got := doWire(t, r, false)
		got.ok(t, stsCall)
		var res struct {
			RequestID string `xml:"ResponseMetadata>RequestId"`
		}
		if err := xml.Unmarshal(got.body, &res); err != nil {
			t.Fatal(err)
		}
		hdr := got.header.Get("X-Amzn-Requestid")
		if res.RequestID == "" || res.RequestID != hdr {
			t.Fatalf("RequestId %q in the body, %q in the header", res.RequestID, hdr)
		}
		if seen[hdr] {
			t.Fatalf("request ID %s reused", hdr)
		}
		seen[hdr] = true
	}
	// Errors: parseError checks body against header; rest-json has only the header.
	got := doWire(t, s.request(t, stsCall, ""), false)
	if got.requestID == "" || seen[got.requestID] {
		t.Fatalf("error request ID %q", got.requestID)
	}
	got = doWire(t, s.request(t, accountCall, ""), true)
	if got.requestID == "" {
		t.Fatal("rest-json error without x-amzn-RequestId")
	}
}

// updateCompat regenerates docs/compatibility.md. The flag is registered only if no other test file of
// the package registered one by that name.
func updateCompat() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

func init() {
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "rewrite generated files (docs/compatibility.md)")
	}
}

// opCall is one operation of a model put on the wire.
type opCall struct {
	svc *protocol.ServiceInfo
	op  *protocol.Operation
}

func allOperations() []opCall {
	var out []opCall
	for _, svc := range []*protocol.ServiceInfo{iamapi.Info, stsapi.Info, accountapi.Info, cloudtrailapi.Info} {
		for _, op := range svc.Operations {
			out = append(out, opCall{svc: svc, op: op})
		}
	}
	return out
}

// emptyCall is op with no parameters at all.
func emptyCall(svc *protocol.ServiceInfo, op *protocol.Operation) wireCall {
	if svc.Protocol == "json" {
		return wireCall{name: op.Name, service: svc.SigningName, method: http.MethodPost, path: "/",
			contentType: "application/x-amz-json-" + svc.JSONVersion, target: svc.TargetPrefix + "." + op.Name, body: "{}"}
	}
	if svc.Protocol == "rest-json" {
		return wireCall{name: op.Name, service: svc.SigningName, method: op.Method, path: op.RequestURI,
			contentType: "application/json", body: "{}"}
	}
	return wireCall{name: op.Name, service: svc.SigningName, method: http.MethodPost, path: "/", contentType: wireFormContentType,
		body: "Action=" + op.Name + "&Version=" + svc.APIVersion, errNS: svc.XMLNamespace}
}

// Every operation of the three models answers either its result or a well-formed error: with no input at
// all, and with the smallest input the model accepts.
func TestEveryOperationAnswers(t *testing.T) {
	s := Start(t, Options{})
	// A user without any permission: every operation must refuse it (or answer) without a server error.
	ctx := context.Background()
	if _, err := s.IAM(RootCreds()).CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("nobody")}); err != nil {
		t.Fatal(err)
	}
	k, err := s.IAM(RootCreds()).CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("nobody")})
	if err != nil {
		t.Fatal(err)
	}
	nobody := reqSigner{id: aws.ToString(k.AccessKey.AccessKeyId), secret: aws.ToString(k.AccessKey.SecretAccessKey)}
	counts := map[string]int{}
	for _, oc := range allOperations() {
		counts[oc.svc.Name]++
		minimal := minimalCall(t, oc.svc, oc.op)
		for _, c := range []wireCall{emptyCall(oc.svc, oc.op), minimal} {
			checkAnswer(t, s, oc, c)
		}
		restJSON := oc.svc.Protocol != "query"
		got := doWire(t, nobody.sign(t, s.request(t, minimal, ""), minimal.body, minimal.service, "us-east-1", time.Now().UTC()), restJSON)
		if authFailure[got.code] {
			t.Errorf("%s as a user: %d %s", oc.op.Name, got.status, got.code)
		}
		// Unsigned, only the two federation operations get past authentication.
		got = doWire(t, s.request(t, minimal, ""), restJSON)
		missing := got.code == "MissingAuthenticationToken" || got.code == "MissingAuthenticationTokenException"
		if unsigned := oc.op.Name == "AssumeRoleWithSAML" || oc.op.Name == "AssumeRoleWithWebIdentity"; unsigned == missing {
			t.Errorf("%s unsigned: %d %s", oc.op.Name, got.status, got.code)
		}
	}
	if counts["IAM"] != 176 || counts["STS"] != 11 || counts["Account"] != 15 || counts["CloudTrail"] != 60 {
		t.Errorf("operations per service: %v, want IAM 176, STS 11, Account 15, CloudTrail 60", counts)
	}
}

// authFailure are the codes of failed authentication, in the query and rest-json protocols and in the
// json protocol.
var authFailure = map[string]bool{"MissingAuthenticationToken": true, "InvalidClientTokenId": true, "SignatureDoesNotMatch": true,
	"MissingAuthenticationTokenException": true, "UnrecognizedClientException": true, "InvalidSignatureException": true}

// checkAnswer sends c signed by the root and checks the answer is the operation's result or a well-formed
// error of its protocol; it returns the response.
func checkAnswer(t *testing.T, s *Server, oc opCall, c wireCall) *wireResponse {
	t.Helper()
	r := rootSigner().sign(t, s.request(t, c, ""), c.body, c.service, "us-east-1", time.Now().UTC())
	restJSON := oc.svc.Protocol != "query"
	got := doWire(t, r, restJSON)
	switch {
	case got.status < 300 && restJSON:
		if len(got.body) > 0 && !json.Valid(got.body) {
			t.Errorf("%s: result is not JSON: %q", oc.op.Name, got.body)
		}
	case got.status < 300:
		var root struct {
			XMLName   xml.Name
			RequestID string `xml:"ResponseMetadata>RequestId"`
		}
		if err := xml.Unmarshal(got.body, &root); err != nil || root.XMLName.Local != oc.op.Name+"Response" ||
			root.XMLName.Space != oc.svc.XMLNamespace || root.RequestID == "" {
			t.Errorf("%s: malformed result (%v): %.300s", oc.op.Name, err, got.body)
		}
	case got.code == "NotImplemented":
		if got.status != http.StatusNotImplemented || !strings.Contains(got.message, oc.op.Name) {
			t.Errorf("%s: NotImplemented as %d %q", oc.op.Name, got.status, got.message)
		}
	case authFailure[got.code] || got.code == "InvalidAction" || got.code == "UnknownOperationException":
		t.Errorf("%s: not routed: %d %s %q", oc.op.Name, got.status, got.code, got.message)
	}
	return got
}

// minimalCall is op with every required member set to the smallest value the model accepts. It is checked
// against the model's validation here, so that an answer of the server is about the operation, not about
// the input.
func minimalCall(t *testing.T, svc *protocol.ServiceInfo, op *protocol.Operation) wireCall {
	t.Helper()
	c := emptyCall(svc, op)
	v := minimalStruct(t, op.Name, op.Input, 0)
	if svc.Protocol != "query" {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		c.body = string(b)
	} else {
		form := url.Values{}
		flattenQuery(form, "", op.Input, v)
		c.body += "&" + form.Encode()
	}
	// The model must accept it.
	r := httptest.NewRequest(c.method, c.path, strings.NewReader(c.body))
	r.Header.Set("Content-Type", c.contentType)
	if c.target != "" {
		r.Header.Set("X-Amz-Target", c.target)
	}
	_, in, err := protocol.Decode(svc, r, []byte(c.body))
	if err == nil {
		err = protocol.ValidateInput(in)
	}
	if err != nil {
		t.Errorf("%s: the minimal input %q does not pass the model: %v", op.Name, c.body, err)
	}
	return c
}

// minimalStruct fills the required members of a structure shape.
func minimalStruct(t *testing.T, where string, s *protocol.Shape, depth int) map[string]any {
	out := map[string]any{}
	if depth > 8 {
		return out
	}
	for i := range s.Members {
		m := &s.Members[i]
		if m.Required {
			out[m.WireName()] = minimalValue(t, where+"."+m.Name, m.Shape, depth+1)
		}
	}
	// A nested structure must not be empty, or the query protocol would not send it at all.
	if len(out) == 0 && depth > 0 && len(s.Members) > 0 {
		m := &s.Members[0]
		out[m.WireName()] = minimalValue(t, where+"."+m.Name, m.Shape, depth+1)
	}
	return out
}

// Candidates for string values: the first that fits a member's length, pattern and enum is used.
var stringCandidates = []string{
	"a", "aaaa", "123456789012", "v1", "o-aaaaaaaaaa/r-aaaa", "+1 206 555 0100", "arn:aws:iam::123456789012:role/example", "/", "us-east-1", "US", "123456",
	"someone@example.com", "AKIAIOSFODNN7EXAMPLE", "ExampleName", "example.com", "https://example.com", "iam.amazonaws.com",
	`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`,
}

func minimalValue(t *testing.T, where string, s *protocol.Shape, depth int) any {
	switch s.Kind {
	case protocol.KindStructure:
		return minimalStruct(t, where, s, depth)
	case protocol.KindList:
		n := 1
		if s.Min != nil && int(*s.Min) > n {
			n = int(*s.Min)
		}
		l := make([]any, n)
		for i := range l {
			l[i] = minimalValue(t, where, s.Elem.Shape, depth+1)
		}
		return l
	case protocol.KindMap:
		return map[string]any{"k": minimalValue(t, where, s.Value.Shape, depth+1)}
	case protocol.KindInteger, protocol.KindLong:
		n := 1
		if s.Min != nil && int(*s.Min) > n {
			n = int(*s.Min)
		}
		return n
	case protocol.KindDouble, protocol.KindFloat:
		return 1.0
	case protocol.KindBoolean:
		return false
	case protocol.KindTimestamp:
		return "2026-01-01T00:00:00Z"
	case protocol.KindBlob:
		return "YWFhYQ==" // "aaaa"
	}
	if len(s.Enum) > 0 {
		return s.Enum[0]
	}
	lo, hi := 0, 1<<30
	if s.Min != nil {
		lo = int(*s.Min)
	}
	if s.Max != nil {
		hi = int(*s.Max)
	}
	for _, base := range stringCandidates {
		v := base
		if n := len([]rune(v)); n < lo {
			v += strings.Repeat(v[len(v)-1:], lo-n)
		}
		if n := len([]rune(v)); n > hi || n < lo {
			continue
		}
		if s.Pattern == nil || s.Pattern.Match(v) {
			return v
		}
	}
	pattern := ""
	if s.Pattern != nil {
		pattern = s.Pattern.Java
	}
	t.Errorf("%s: no candidate string fits length [%d,%d] pattern %q", where, lo, hi, pattern)
	return "a"
}

// flattenQuery writes v (of shape s) as awsQuery parameters named name: nested members as A.b, lists as
// A.member.N, maps as A.entry.N.key/value.
func flattenQuery(form url.Values, name string, s *protocol.Shape, v any) {
	join := func(a, b string) string {
		if a == "" {
			return b
		}
		return a + "." + b
	}
	switch s.Kind {
	case protocol.KindStructure:
		m := v.(map[string]any)
		for i := range s.Members {
			mem := &s.Members[i]
			if mv, ok := m[mem.WireName()]; ok {
				flattenQuery(form, join(name, mem.WireName()), mem.Shape, mv)
			}
		}
	case protocol.KindList:
		for i, e := range v.([]any) {
			flattenQuery(form, join(name, "member."+strconv.Itoa(i+1)), s.Elem.Shape, e)
		}
	case protocol.KindMap:
		i := 0
		for k, e := range v.(map[string]any) {
			i++
			p := join(name, "entry."+strconv.Itoa(i))
			form.Set(p+".key", k)
			flattenQuery(form, p+".value", s.Value.Shape, e)
		}
	default:
		form.Set(name, fmt.Sprint(v))
	}
}

// compatibilityPath is the generated table of implemented operations.
var compatibilityPath = filepath.Join("..", "..", "docs", "compatibility.md")

// compatibilityHandWritten starts the part of docs/compatibility.md written by hand, which TestCompatibility
// keeps below the generated tables.
const compatibilityHandWritten = "<!-- Written by hand from here on: TestCompatibility keeps it. -->"

// TestCompatibility calls every operation of the four models through the server with its minimal input:
// an answer of 501 NotImplemented means "not yet", anything else "implemented". With -update it writes
// docs/compatibility.md; otherwise it fails when that file is stale.
func TestCompatibility(t *testing.T) {
	s := Start(t, Options{})
	type row struct{ svc, op, status string }
	var rows []row
	implemented := map[string]int{}
	total := map[string]int{}
	for _, oc := range allOperations() {
		got := checkAnswer(t, s, oc, minimalCall(t, oc.svc, oc.op))
		st := "implemented"
		if got.code == "NotImplemented" {
			st = "not yet"
		} else {
			implemented[oc.svc.Name]++
		}
		total[oc.svc.Name]++
		rows = append(rows, row{oc.svc.Name, oc.op.Name, st})
	}
	if t.Failed() {
		return
	}
	var b bytes.Buffer
	b.WriteString("# API compatibility\n\n")
	b.WriteString("Every operation of the AWS service models iamd serves (IAM 2010-05-08, STS 2011-06-15, Account\n")
	b.WriteString("2021-02-01, CloudTrail 2013-11-01), and whether iamd implements it. Every operation is routed,\n")
	b.WriteString("validated against the model and answers AWS-style errors; one that is \"not yet\" implemented answers\n")
	b.WriteString("`501 NotImplemented` naming it.\n\n")
	b.WriteString("This file is generated: `TestCompatibility` (internal/e2etest/wire_test.go) starts a real server, calls\n")
	b.WriteString("every operation signed by the root with the smallest input the model accepts, and records \"not yet\"\n")
	b.WriteString("when the answer is `NotImplemented`. Regenerate it with\n\n")
	b.WriteString("    go test ./internal/e2etest -run TestCompatibility -update\n\n")
	b.WriteString("A normal test run fails when this file is stale.\n\n")
	b.WriteString("| service | implemented | operations |\n|---|---|---|\n")
	names := []string{"IAM", "STS", "Account", "CloudTrail"}
	for _, n := range names {
		fmt.Fprintf(&b, "| %s | %d | %d |\n", n, implemented[n], total[n])
	}
	for _, n := range names {
		fmt.Fprintf(&b, "\n## %s\n\n| operation | status |\n|---|---|\n", n)
		var svcRows []row
		for _, r := range rows {
			if r.svc == n {
				svcRows = append(svcRows, r)
			}
		}
		sort.Slice(svcRows, func(i, j int) bool { return svcRows[i].op < svcRows[j].op })
		for _, r := range svcRows {
			fmt.Fprintf(&b, "| %s | %s |\n", r.op, r.status)
		}
	}
	// The hand-written part after the marker line is kept as it is.
	if cur, err := os.ReadFile(compatibilityPath); err == nil {
		if i := bytes.Index(cur, []byte(compatibilityHandWritten)); i >= 0 {
			b.WriteString("\n")
			b.Write(cur[i:])
		}
	}
	if updateCompat() {
		if err := os.WriteFile(compatibilityPath, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s", compatibilityPath)
		return
	}
	old, err := os.ReadFile(compatibilityPath)
	if err != nil {
		t.Fatalf("%v (generate it with: go test ./internal/e2etest -run TestCompatibility -update)", err)
	}
	if !bytes.Equal(old, b.Bytes()) {
		t.Fatalf("%s is stale: regenerate it with: go test ./internal/e2etest -run TestCompatibility -update\n%s",
			compatibilityPath, lineDiff(string(old), b.String()))
	}
}

// lineDiff lists the lines that differ (enough to see which operations changed status).
func lineDiff(old, cur string) string {
	in := func(s string) map[string]bool {
		m := map[string]bool{}
		for _, l := range strings.Split(s, "\n") {
			m[l] = true
		}
		return m
	}
	o, c := in(old), in(cur)
	var b strings.Builder
	for _, l := range strings.Split(old, "\n") {
		if !c[l] {
			b.WriteString("- " + l + "\n")
		}
	}
	for _, l := range strings.Split(cur, "\n") {
		if !o[l] {
			b.WriteString("+ " + l + "\n")
		}
	}
	return b.String()
}

// Responses carry a Content-Length, as AWS's do, small and large alike: never chunked.
func TestWireContentLength(t *testing.T) {
	s := Start(t, Options{})
	for _, c := range []wireCall{stsCall, {name: "query", service: "iam", method: http.MethodPost, path: "/",
		contentType: wireFormContentType, body: "Action=ListPolicies&Version=2010-05-08&Scope=AWS&MaxItems=200", errNS: wireNSIAM}} {
		r := rootSigner().sign(t, s.request(t, c, ""), c.body, c.service, "us-east-1", time.Now().UTC())
		resp, err := wireClient.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d %v", c.body, resp.StatusCode, err)
		}
		if len(resp.TransferEncoding) != 0 || resp.ContentLength != int64(len(body)) {
			t.Errorf("%s: Transfer-Encoding %v, Content-Length %d for a body of %d bytes", c.body, resp.TransferEncoding, resp.ContentLength, len(body))
		}
	}
}
