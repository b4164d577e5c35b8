package protocol

import (
	"net/http"
	"reflect"
	"strings"
)

// The json protocol (awsJson1_0, awsJson1_1), as CloudTrail speaks it: every request is a POST to / whose
// X-Amz-Target header names the operation ("Prefix.Operation") and whose body is the input as one JSON
// object; a result is the output's JSON object; an error is {"__type": code, "message": text} with the
// error's status. Timestamps are epoch seconds unless the model says otherwise; members have no locations.

// jsonContentTypePrefix is the media type of json-protocol bodies, completed by the model's jsonVersion.
const jsonContentTypePrefix = "application/x-amz-json-"

// FindJSONOperation returns the operation an X-Amz-Target header names. The prefix is the model's
// targetPrefix or its last dotted segment: SDKs generated from Smithy models send the service's full shape
// ID ("com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101"), older ones only its name
// ("CloudTrail_20131101"), and AWS answers both.
func FindJSONOperation(svc *ServiceInfo, method, target string) (*Operation, error) {
	i := strings.LastIndexByte(target, '.')
	if method == http.MethodPost && i > 0 {
		prefix, name := target[:i], target[i+1:]
		short := svc.TargetPrefix[strings.LastIndexByte(svc.TargetPrefix, '.')+1:]
		if prefix == svc.TargetPrefix || prefix == short {
			if op := svc.ByName[name]; op != nil {
				return op, nil
			}
		}
	}
	return nil, &Error{Code: "UnknownOperationException", Status: http.StatusBadRequest,
		Message: "The requested operation is not recognized by the service."}
}

// DecodeJSONInto decodes a json-protocol request body into in, a pointer to the struct of structure shape
// s. Unknown members are ignored; an empty body is an empty input.
func DecodeJSONInto(s *Shape, body []byte, in any) error {
	rv := reflect.ValueOf(in)
	if rv.Kind() != reflect.Pointer || rv.IsNil() || rv.Elem().Kind() != reflect.Struct {
		return &Error{Code: "InternalFailure", Status: http.StatusInternalServerError, Message: "bad decode target"}
	}
	return decodeJSONMembers(s, rv.Elem(), body)
}

func decodeJSON(svc *ServiceInfo, r *http.Request, body []byte) (*Operation, any, error) {
	op, err := FindJSONOperation(svc, r.Method, r.Header.Get("X-Amz-Target"))
	if err != nil {
		return nil, nil, err
	}
	in := op.NewInput()
	if err := DecodeJSONInto(op.Input, body, in); err != nil {
		return op, nil, err
	}
	return op, in, nil
}

// jsonContentType is the Content-Type of svc's json-protocol bodies.
func jsonProtocolContentType(svc *ServiceInfo) string {
	v := svc.JSONVersion
	if v == "" {
		v = "1.0"
	}
	return jsonContentTypePrefix + v
}

// AppendJSONResult appends the body of a json-protocol result: the output's members as one JSON object.
func AppendJSONResult(buf []byte, op *Operation, out any) []byte {
	rv := reflect.ValueOf(out)
	if !rv.IsValid() || rv.Kind() != reflect.Pointer || rv.IsNil() || op.Output == nil ||
		op.Output.Type != nil && rv.Elem().Type() != op.Output.Type {
		return append(buf, "{}"...)
	}
	return AppendJSONMembers(buf, op.Output, rv.Elem(), nil)
}

// AppendJSONError appends the body of a json-protocol error: "__type" (the code), "message", and the
// members the error's shape models.
func AppendJSONError(buf []byte, svc *ServiceInfo, e APIError) []byte {
	s, v, ok := errorShape(svc, e)
	head := func(b []byte, message bool) []byte {
		b = append(b, `"__type":`...)
		b = appendJSONString(b, e.ErrorCode())
		if message {
			b = append(b, `,"message":`...)
			b = appendJSONString(b, e.ErrorMessage())
		}
		return b
	}
	if !ok {
		return append(head(append(buf, '{'), true), '}')
	}
	hasMessage := false
	for i := range s.Members {
		if strings.EqualFold(s.Members[i].Name, "message") && !isNil(v.Field(i)) {
			hasMessage = true
		}
	}
	return AppendJSONMembers(buf, s, v, func(b []byte) []byte { return head(b, !hasMessage) })
}

// jsonAuthCodes are the codes the json-protocol services give the authentication failures the query
// protocol calls InvalidClientTokenId, SignatureDoesNotMatch and so on; they answer them 400, keeping the
// message (observed: `{"__type":"UnrecognizedClientException","message":"The security token included in
// the request is invalid."}` with 400 from CloudTrail, Kinesis, CloudWatch Logs, Cognito).
var jsonAuthCodes = map[string]string{
	"InvalidClientTokenId":       "UnrecognizedClientException",
	"SignatureDoesNotMatch":      "InvalidSignatureException",
	"IncompleteSignature":        "IncompleteSignatureException",
	"MissingAuthenticationToken": "MissingAuthenticationTokenException",
	"ExpiredToken":               "ExpiredTokenException",
}

// asJSONError returns e as a json-protocol service words it: authentication failures under their json
// codes, everything else as it is.
func asJSONError(e APIError) APIError {
	if code, ok := jsonAuthCodes[e.ErrorCode()]; ok {
		return &Error{Code: code, Status: http.StatusBadRequest, Message: e.ErrorMessage()}
	}
	return e
}
