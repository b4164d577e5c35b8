package protocol_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/iamd/iamd/internal/protocol"
	"github.com/iamd/iamd/internal/protocol/internal/vectors"
)

type vsuite struct {
	Description string                     `json:"description"`
	Metadata    map[string]any             `json:"metadata"`
	Shapes      map[string]json.RawMessage `json:"shapes"`
	Cases       []vcase                    `json:"cases"`
}

type vcase struct {
	Given struct {
		Name  string `json:"name"`
		Input *struct {
			Shape   string `json:"shape"`
			Payload string `json:"payload"`
		} `json:"input"`
		Output *struct {
			Shape         string `json:"shape"`
			ResultWrapper string `json:"resultWrapper"`
		} `json:"output"`
		HTTP struct {
			Method       string `json:"method"`
			RequestURI   string `json:"requestUri"`
			ResponseCode int    `json:"responseCode"`
		} `json:"http"`
	} `json:"given"`
	Params     map[string]any `json:"params"`
	Serialized struct {
		URI     string            `json:"uri"`
		Headers map[string]string `json:"headers"`
		Body    string            `json:"body"`
		Method  string            `json:"method"`
	} `json:"serialized"`
	Result       map[string]any `json:"result"`
	Error        map[string]any `json:"error"`
	ErrorCode    string         `json:"errorCode"`
	ErrorMessage string         `json:"errorMessage"`
	Response     struct {
		StatusCode int               `json:"status_code"`
		Headers    map[string]string `json:"headers"`
		Body       string            `json:"body"`
	} `json:"response"`
}

func loadSuites(t *testing.T, file string) []vsuite {
	t.Helper()
	b, err := os.ReadFile("testdata/" + file)
	if err != nil {
		t.Fatal(err)
	}
	var s []vsuite
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	return s
}

func structMember(s *protocol.Shape) *protocol.Member {
	return &protocol.Member{Name: s.Name, Shape: s}
}

func equalGeneric(t *testing.T, got, want any) {
	t.Helper()
	g, w := normalize(got), normalize(want)
	if !reflect.DeepEqual(g, w) {
		gj, _ := json.Marshal(g)
		wj, _ := json.Marshal(w)
		t.Errorf("mismatch\n got: %s\nwant: %s", gj, wj)
	}
}

func TestQueryInputVectors(t *testing.T) {
	for i, su := range loadSuites(t, "query-input.json") {
		for j, c := range su.Cases {
			t.Run(fmt.Sprintf("%d_%s/%d", i, su.Description, j), func(t *testing.T) {
				s := vectors.QIShapes[fmt.Sprintf("%d/%s", i, c.Given.Input.Shape)]
				p, err := protocol.ParseParams(c.Serialized.Body)
				if err != nil {
					t.Fatal(err)
				}
				in := reflect.New(s.Type)
				if err := protocol.DecodeQueryInto(s, p, in.Interface()); err != nil {
					t.Fatal(err)
				}
				equalGeneric(t, toGeneric(structMember(s), in), c.Params)
			})
		}
	}
}

func TestQueryOutputVectors(t *testing.T) {
	for i, su := range loadSuites(t, "query-output.json") {
		for j, c := range su.Cases {
			t.Run(fmt.Sprintf("%d_%s/%d", i, su.Description, j), func(t *testing.T) {
				svc := &protocol.ServiceInfo{Name: "Test", Protocol: "query", Errors: map[string]*protocol.Shape{}}
				for name := range su.Shapes {
					if s := vectors.QOShapes[fmt.Sprintf("%d/%s", i, name)]; s.Exception {
						svc.Errors[s.Code] = s
					}
				}
				if c.ErrorCode != "" {
					queryErrorCase(t, svc, c)
					return
				}
				s := vectors.QOShapes[fmt.Sprintf("%d/%s", i, c.Given.Output.Shape)]
				wrapper := c.Given.Output.ResultWrapper
				if wrapper == "" {
					wrapper = s.ResultWrapper
				}
				op := &protocol.Operation{Name: c.Given.Name, Output: s, ResultWrapper: wrapper, Service: svc}
				out, err := fromGeneric(structMember(s), reflect.PointerTo(s.Type), c.Result)
				if err != nil {
					t.Fatal(err)
				}
				body := protocol.AppendQueryResult(nil, op, out.Interface(), "request-id")
				root, err := parseXML(body)
				if err != nil {
					t.Fatalf("%v\n%s", err, body)
				}
				if root.name != c.Given.Name+"Response" {
					t.Errorf("root %s", root.name)
				}
				node := root
				if wrapper != "" {
					if node = root.child(wrapper); node == nil {
						t.Fatalf("no %s in %s", wrapper, body)
					}
				}
				equalGeneric(t, xmlStruct(s, node), c.Result)
				if md := root.child("ResponseMetadata"); md == nil || md.child("RequestId") == nil || md.child("RequestId").text != "request-id" {
					t.Errorf("no request ID in %s", body)
				}
			})
		}
	}
}

func queryErrorCase(t *testing.T, svc *protocol.ServiceInfo, c vcase) {
	var e protocol.APIError
	if s := svc.Errors[c.ErrorCode]; s != nil {
		v, err := fromGeneric(structMember(s), reflect.PointerTo(s.Type), c.Error)
		if err != nil {
			t.Fatal(err)
		}
		e = v.Interface().(protocol.APIError)
	} else {
		e = &protocol.Error{Code: c.ErrorCode, Message: c.ErrorMessage}
	}
	body := protocol.AppendQueryError(nil, svc, e, "request-id")
	root, err := parseXML(body)
	if err != nil {
		t.Fatal(err)
	}
	en := root.child("Error")
	if root.name != "ErrorResponse" || en == nil {
		t.Fatalf("bad error document %s", body)
	}
	if en.child("Code").text != c.ErrorCode || en.child("Type").text != "Sender" {
		t.Errorf("code/type in %s", body)
	}
	// A modelled error without a message member has no message to write: the vector's message comes
	// from the wire, which the server produces from the error value.
	if e.ErrorMessage() != "" && en.child("Message").text != c.ErrorMessage {
		t.Errorf("message in %s", body)
	}
	if s := svc.Errors[c.ErrorCode]; s != nil {
		got := xmlStruct(s, en)
		for k := range got {
			if strings.EqualFold(k, "message") {
				delete(got, k)
			}
		}
		want := map[string]any{}
		for k, v := range c.Error {
			if !strings.EqualFold(k, "message") {
				want[k] = v
			}
		}
		equalGeneric(t, got, want)
	}
	if e.HTTPStatus() != c.Response.StatusCode {
		t.Errorf("status %d, want %d", e.HTTPStatus(), c.Response.StatusCode)
	}
}

func TestRESTJSONInputVectors(t *testing.T) {
	for i, su := range loadSuites(t, "rest-json-input.json") {
		for j, c := range su.Cases {
			t.Run(fmt.Sprintf("%d_%s/%d", i, su.Description, j), func(t *testing.T) {
				if c.Given.Input == nil {
					// Nothing to decode; the request still has to route.
					if _, ok := protocol.MatchURI(c.Given.HTTP.RequestURI, c.Serialized.URI); !ok {
						t.Errorf("%s does not match %s", c.Serialized.URI, c.Given.HTTP.RequestURI)
					}
					return
				}
				s := vectors.RIShapes[fmt.Sprintf("%d/%s", i, c.Given.Input.Shape)]
				if c.Given.Input.Payload != "" {
					// These vectors put the payload trait on the operation's input reference; botocore's
					// real models put it on the shape, where the runtime reads it.
					s.Payload = c.Given.Input.Payload
				}
				path, rawQuery, _ := strings.Cut(c.Serialized.URI, "?")
				labels, ok := protocol.MatchURI(c.Given.HTTP.RequestURI, path)
				if !ok {
					t.Fatalf("%s does not match %s", path, c.Given.HTTP.RequestURI)
				}
				h := http.Header{}
				for k, v := range c.Serialized.Headers {
					h.Add(k, v)
				}
				req := &protocol.RESTRequest{Method: c.Given.HTTP.Method, Path: path, RawQuery: rawQuery, Header: h, Body: []byte(c.Serialized.Body)}
				// A static query in the template is the client's, not a member.
				if _, tq, ok := strings.Cut(c.Given.HTTP.RequestURI, "?"); ok {
					q, _ := url.ParseQuery(rawQuery)
					tv, _ := url.ParseQuery(tq)
					for k := range tv {
						q.Del(k)
					}
					req.RawQuery = q.Encode()
				}
				in := reflect.New(s.Type)
				if err := protocol.DecodeRESTJSONInto(s, labels, req, in.Interface()); err != nil {
					t.Fatal(err)
				}
				want := c.Params
				if want == nil {
					want = map[string]any{}
				}
				equalGeneric(t, toGeneric(structMember(s), in), want)
			})
		}
	}
}

func TestRESTJSONOutputVectors(t *testing.T) {
	for i, su := range loadSuites(t, "rest-json-output.json") {
		for j, c := range su.Cases {
			t.Run(fmt.Sprintf("%d_%s/%d", i, su.Description, j), func(t *testing.T) {
				svc := &protocol.ServiceInfo{Name: "Test", Protocol: "rest-json", Errors: map[string]*protocol.Shape{}}
				for name := range su.Shapes {
					if s := vectors.ROShapes[fmt.Sprintf("%d/%s", i, name)]; s.Exception {
						svc.Errors[s.Code] = s
					}
				}
				rec := newRecorder()
				var s *protocol.Shape
				want := c.Result
				if c.ErrorCode != "" {
					s = svc.Errors[c.ErrorCode]
					if s == nil {
						// An unmodelled code: the runtime writes {"message": …} and the type header.
						protocol.WriteError(rec, svc, &protocol.Error{Code: c.ErrorCode, Message: c.ErrorMessage}, "request-id")
						var body map[string]any
						if err := json.Unmarshal(rec.body.Bytes(), &body); err != nil {
							t.Fatal(err)
						}
						if rec.h.Get("X-Amzn-Errortype") != c.ErrorCode || rec.status != c.Response.StatusCode ||
							(c.ErrorMessage != "" && body["message"] != c.ErrorMessage) {
							t.Errorf("got %d %v %s", rec.status, rec.h, rec.body.String())
						}
						return
					}
					v, err := fromGeneric(structMember(s), reflect.PointerTo(s.Type), c.Error)
					if err != nil {
						t.Fatal(err)
					}
					protocol.WriteError(rec, svc, v.Interface().(error), "request-id")
					want = c.Error
					if got := rec.h.Get("X-Amzn-Errortype"); got != c.ErrorCode {
						t.Errorf("error type header %q", got)
					}
				} else {
					s = vectors.ROShapes[fmt.Sprintf("%d/%s", i, c.Given.Output.Shape)]
					op := &protocol.Operation{Name: c.Given.Name, Output: s, Service: svc, ResponseCode: c.Given.HTTP.ResponseCode}
					out, err := fromGeneric(structMember(s), reflect.PointerTo(s.Type), c.Result)
					if err != nil {
						t.Fatal(err)
					}
					if err := protocol.WriteResult(rec, op, out.Interface(), "request-id"); err != nil {
						t.Fatal(err)
					}
				}
				if rec.status != c.Response.StatusCode {
					t.Errorf("status %d, want %d", rec.status, c.Response.StatusCode)
				}
				equalGeneric(t, readRESTResponse(t, s, rec, want), want)
			})
		}
	}
}

// readRESTResponse parses a rest-json response the way a client does, through shape s.
func readRESTResponse(t *testing.T, s *protocol.Shape, rec *recorder, wantHeaders map[string]any) map[string]any {
	t.Helper()
	out := map[string]any{}
	payload := -1
	if s.Payload != "" {
		for i := range s.Members {
			if s.Members[i].Name == s.Payload {
				payload = i
			}
		}
	}
	var body any
	if payload < 0 || (s.Members[payload].Shape.Kind != protocol.KindBlob && s.Members[payload].Shape.Kind != protocol.KindString) {
		if err := json.Unmarshal(rec.body.Bytes(), &body); err != nil {
			t.Fatalf("body %q: %v", rec.body.String(), err)
		}
	}
	for i := range s.Members {
		m := &s.Members[i]
		switch m.Location {
		case "header":
			v := rec.h.Get(m.WireName())
			if v == "" {
				continue
			}
			switch {
			case m.JSONValue:
				var x any
				b, _ := base64Decode(v)
				_ = json.Unmarshal(b, &x)
				out[m.Name] = x
			case m.Shape.Kind == protocol.KindList:
				var l []any
				for _, p := range strings.Split(v, ",") {
					l = append(l, scalarFromText(m.Shape.Elem, strings.TrimSpace(p)))
				}
				out[m.Name] = l
			default:
				out[m.Name] = scalarFromText(m, v)
			}
		case "headers":
			// HTTP header names are case-insensitive and the vectors' expected maps hold only the headers
			// the vector's server sent (a real server adds Content-Type, Content-Length and the request ID,
			// and computes Content-Length itself), so compare the expected names case-insensitively.
			mv := map[string]any{}
			want, _ := wantHeaders[m.Name].(map[string]any)
			for k, vals := range rec.h {
				if !strings.HasPrefix(strings.ToLower(k), strings.ToLower(m.LocationName)) {
					continue
				}
				for wk, wv := range want {
					if strings.EqualFold(wk, k[len(m.LocationName):]) {
						if strings.EqualFold(wk, "Content-Length") {
							mv[wk] = wv
						} else {
							mv[wk] = vals[0]
						}
					}
				}
			}
			if len(mv) > 0 {
				out[m.Name] = mv
			}
		case "statusCode":
			out[m.Name] = float64(rec.status)
		case "":
			if i == payload {
				switch m.Shape.Kind {
				case protocol.KindBlob, protocol.KindString:
					if rec.body.Len() > 0 {
						out[m.Name] = rec.body.String()
					}
				default:
					out[m.Name] = jsonToGeneric(m, body)
				}
				continue
			}
			if payload >= 0 {
				continue
			}
			if obj, ok := body.(map[string]any); ok {
				if v, ok := obj[m.WireName()]; ok {
					out[m.Name] = jsonToGeneric(m, v)
				}
			}
		}
	}
	return out
}
