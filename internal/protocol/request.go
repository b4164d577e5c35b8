package protocol

import (
	"net/http"
	"strings"
)

// Decode reads the operation and its input from an HTTP request to svc, whose body the caller has already
// read (the server needs it for the signature): awsQuery from the form body and URL query, rest-json from
// method + path, query string, headers and JSON body, json from X-Amz-Target and the JSON body. The input is not yet validated; call
// ValidateInput after authentication. On error the operation is returned when it is known.
func Decode(svc *ServiceInfo, r *http.Request, body []byte) (*Operation, any, error) {
	if svc.Protocol == "json" {
		return decodeJSON(svc, r, body)
	}
	if svc.Protocol == "rest-json" {
		op, labels, err := FindRESTOperation(svc, r.Method, r.URL.EscapedPath())
		if err != nil {
			return nil, nil, err
		}
		in, err := DecodeRESTJSON(op, labels, &RESTRequest{Method: r.Method, Path: r.URL.EscapedPath(),
			RawQuery: r.URL.RawQuery, Header: r.Header, Body: body})
		return op, in, err
	}
	form := ""
	if r.Method == http.MethodPost && len(body) > 0 {
		if ct := r.Header.Get("Content-Type"); ct != "" {
			mt, _, _ := strings.Cut(ct, ";")
			if !strings.EqualFold(strings.TrimSpace(mt), "application/x-www-form-urlencoded") {
				return nil, nil, &Error{Code: "UnsupportedMediaType", Status: http.StatusUnsupportedMediaType,
					Message: "Content-Type must be application/x-www-form-urlencoded."}
			}
		}
		form = string(body)
	}
	p, err := ParseParams(form, r.URL.RawQuery)
	if err != nil {
		return nil, nil, err
	}
	return DecodeQuery(svc, p)
}

// Validator is implemented by every generated input type.
type Validator interface{ Validate() error }

// ValidateInput runs in's generated Validate, if it has one.
func ValidateInput(in any) error {
	if v, ok := in.(Validator); ok {
		return v.Validate()
	}
	return nil
}
