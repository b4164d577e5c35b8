package protocol

import (
	"encoding/base64"
	"errors"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"sync"
)

// Content types of responses.
const (
	ContentTypeXML  = "text/xml"
	ContentTypeJSON = "application/json"
)

// netHTTPBufferedBody is how much of a response body net/http buffers before it must choose between a
// Content-Length it computes and chunked encoding.
const netHTTPBufferedBody = 2048

// maxPooledBuffer keeps one huge response (a big ListPolicies page) from pinning its buffer in the pool.
const maxPooledBuffer = 1 << 20

// Shared header values: net/http only reads them, and sharing saves an allocation per response. Content-Length
// is left to net/http, which sets it for bodies written in one piece.
var (
	xmlContentType  = []string{ContentTypeXML}
	jsonContentType = []string{ContentTypeJSON}
)

var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

func getBuf() *[]byte { return bufPool.Get().(*[]byte) }

func putBuf(b *[]byte) {
	if cap(*b) > maxPooledBuffer {
		return
	}
	*b = (*b)[:0]
	bufPool.Put(b)
}

// WriteResult writes the successful response of op: an awsQuery XML document, a rest-json response
// (status, header members, JSON body or payload) or a json-protocol body. It sets x-amzn-RequestId.
func WriteResult(w http.ResponseWriter, op *Operation, out any, requestID string) error {
	h := w.Header()
	h["X-Amzn-Requestid"] = []string{requestID}
	bp := getBuf()
	defer putBuf(bp)
	if op.Service != nil && op.Service.Protocol == "json" {
		*bp = AppendJSONResult((*bp)[:0], op, out)
		h["Content-Type"] = []string{jsonProtocolContentType(op.Service)}
		if len(*bp) > netHTTPBufferedBody {
			h["Content-Length"] = []string{strconv.Itoa(len(*bp))}
		}
		w.WriteHeader(http.StatusOK)
		_, err := w.Write(*bp)
		return err
	}
	if op.Service != nil && op.Service.Protocol == "rest-json" {
		status, ct, body := appendRESTResult((*bp)[:0], op, out, h)
		*bp = body
		if ct != "" {
			h["Content-Type"] = []string{ct}
		}
		if len(body) > netHTTPBufferedBody {
			h["Content-Length"] = []string{strconv.Itoa(len(body))}
		}
		w.WriteHeader(status)
		_, err := w.Write(body)
		return err
	}
	*bp = AppendQueryResult((*bp)[:0], op, out, requestID)
	h["Content-Type"] = xmlContentType
	if len(*bp) > netHTTPBufferedBody {
		// As AWS does: a Content-Length, never chunked. net/http sets it itself, at no cost, for a body that
		// fits its buffer; past that it would chunk.
		h["Content-Length"] = []string{strconv.Itoa(len(*bp))}
	}
	w.WriteHeader(http.StatusOK)
	_, err := w.Write(*bp)
	return err
}

// AsAPIError returns err as the APIError the client sees. Errors that are not APIErrors (storage failures,
// bugs) become 500 InternalFailure (ServiceFailure for IAM) without their cause, which the server logs.
func AsAPIError(svc *ServiceInfo, err error) APIError {
	var ae APIError
	if errors.As(err, &ae) {
		if rv := reflect.ValueOf(ae); rv.Kind() != reflect.Pointer || !rv.IsNil() {
			return ae
		}
	}
	return internalFailure(svc)
}

// WriteError writes err in svc's protocol and returns the APIError written (for logs and metrics).
func WriteError(w http.ResponseWriter, svc *ServiceInfo, err error, requestID string) APIError {
	ae := AsAPIError(svc, err)
	h := w.Header()
	h["X-Amzn-Requestid"] = []string{requestID}
	bp := getBuf()
	defer putBuf(bp)
	switch {
	case svc != nil && svc.Protocol == "json":
		ae = asJSONError(ae)
		*bp = AppendJSONError((*bp)[:0], svc, ae)
		h["Content-Type"] = []string{jsonProtocolContentType(svc)}
	case svc != nil && svc.Protocol == "rest-json":
		*bp = appendRESTError((*bp)[:0], svc, ae, h)
		h["Content-Type"] = jsonContentType
	default:
		*bp = AppendQueryError((*bp)[:0], svc, ae, requestID)
		h["Content-Type"] = xmlContentType
	}
	w.WriteHeader(ae.HTTPStatus())
	_, _ = w.Write(*bp)
	return ae
}

// appendRESTResult encodes a rest-json output: header members into h, status, and the body.
func appendRESTResult(buf []byte, op *Operation, out any, h http.Header) (status int, contentType string, body []byte) {
	status = op.ResponseCode
	if status == 0 {
		status = http.StatusOK
	}
	rv := reflect.ValueOf(out)
	if !rv.IsValid() || rv.Kind() != reflect.Pointer || rv.IsNil() || op.Output == nil {
		return status, ContentTypeJSON, append(buf, "{}"...)
	}
	v := rv.Elem()
	s := op.Output
	if s.Type != nil && v.Type() != s.Type {
		return status, ContentTypeJSON, append(buf, "{}"...)
	}
	if code := encodeRESTHeaders(s, v, h); code != 0 {
		status = code
	}
	body, ct := appendRESTBody(buf, s, v, nil)
	return status, ct, body
}

// appendRESTBody writes the payload member, or the JSON object of the body members.
func appendRESTBody(buf []byte, s *Shape, v reflect.Value, extra func([]byte) []byte) ([]byte, string) {
	if p := s.payloadIndex(); p >= 0 {
		m := &s.Members[p]
		f := v.Field(p)
		switch m.Shape.Kind {
		case KindBlob:
			return append(buf, f.Bytes()...), "application/octet-stream"
		case KindString:
			if !f.IsNil() {
				buf = append(buf, f.Elem().String()...)
			}
			return buf, "text/plain"
		}
		if isNil(f) {
			return append(buf, "{}"...), ContentTypeJSON
		}
		return appendJSONValue(buf, m, f, 0), ContentTypeJSON
	}
	return AppendJSONMembers(buf, s, v, extra), ContentTypeJSON
}

// encodeRESTHeaders writes header and prefix-header members into h and returns a statusCode member's value.
func encodeRESTHeaders(s *Shape, v reflect.Value, h http.Header) int {
	status := 0
	for i := range s.Members {
		m := &s.Members[i]
		f := v.Field(i)
		if isNil(f) {
			continue
		}
		switch m.Location {
		case "statusCode":
			if f.Kind() == reflect.Pointer {
				status = int(f.Elem().Int())
			}
		case "header":
			h.Set(m.WireName(), headerText(m, f))
		case "headers":
			iter := f.MapRange()
			for iter.Next() {
				h.Set(m.LocationName+iter.Key().String(), iter.Value().String())
			}
		}
	}
	return status
}

func headerText(m *Member, f reflect.Value) string {
	if m.Shape.Kind == KindList {
		parts := make([]string, f.Len())
		for j := range parts {
			parts[j] = string(appendRawText(nil, m.Shape.Elem, f.Index(j), TimestampRFC822))
		}
		return strings.Join(parts, ",")
	}
	if f.Kind() == reflect.Pointer {
		f = f.Elem()
	}
	if m.JSONValue && f.Kind() == reflect.String {
		return base64.StdEncoding.EncodeToString([]byte(f.String()))
	}
	return string(appendRawText(nil, m, f, TimestampRFC822))
}

// appendRawText writes a scalar unescaped (for headers).
func appendRawText(buf []byte, m *Member, v reflect.Value, defTS string) []byte {
	if v.Kind() == reflect.Pointer {
		v = v.Elem()
	}
	if m.Shape.Kind == KindString {
		return append(buf, v.String()...)
	}
	return appendScalarText(buf, m.Shape, m.tsFormat(), v, defTS)
}

// appendRESTError writes a rest-json error body, {"message": …, members…}, and sets X-Amzn-ErrorType.
func appendRESTError(buf []byte, svc *ServiceInfo, e APIError, h http.Header) []byte {
	h["X-Amzn-Errortype"] = []string{e.ErrorCode()}
	s, v, ok := errorShape(svc, e)
	if !ok {
		buf = append(buf, `{"message":`...)
		buf = appendJSONString(buf, e.ErrorMessage())
		return append(buf, '}')
	}
	encodeRESTHeaders(s, v, h)
	hasMessage := false
	for i := range s.Members {
		if strings.EqualFold(s.Members[i].Name, "message") && !isNil(v.Field(i)) {
			hasMessage = true
		}
	}
	var extra func([]byte) []byte
	if !hasMessage {
		extra = func(b []byte) []byte {
			b = append(b, `"message":`...)
			return appendJSONString(b, e.ErrorMessage())
		}
	}
	buf, _ = appendRESTBody(buf, s, v, extra)
	return buf
}
