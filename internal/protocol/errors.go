package protocol

import (
	"fmt"
	"net/http"
)

// APIError is an error the client sees: a wire code, an HTTP status, a fault side and a message.
// Generated error types implement it; so does *Error for protocol-level errors.
type APIError interface {
	error
	ErrorCode() string
	HTTPStatus() int
	Fault() string // "Sender" or "Receiver"
	ErrorMessage() string
}

// Fault sides as AWS writes them in <Type>.
const (
	FaultSender   = "Sender"
	FaultReceiver = "Receiver"
)

// Error is a protocol-level API error that has no model shape (ValidationError, InvalidAction,
// MalformedQueryString, NotImplemented, InternalFailure …).
type Error struct {
	Code    string
	Status  int
	Message string
	// Fields are the validation failures, kept for services whose validation error lists them.
	Fields []FieldError
}

// FieldError is one failed constraint: the lowerCamelCase member path and the message for it.
type FieldError struct {
	Path    string
	Message string
}

func (e *Error) Error() string        { return e.Code + ": " + e.Message }
func (e *Error) ErrorCode() string    { return e.Code }
func (e *Error) ErrorMessage() string { return e.Message }

// HTTPStatus returns the status, 400 when unset.
func (e *Error) HTTPStatus() int {
	if e.Status == 0 {
		return http.StatusBadRequest
	}
	return e.Status
}

// Fault is Receiver for 5xx statuses, Sender otherwise.
func (e *Error) Fault() string {
	if e.HTTPStatus() >= 500 {
		return FaultReceiver
	}
	return FaultSender
}

// NewError returns an *Error.
func NewError(code string, status int, format string, args ...any) *Error {
	msg := format
	if len(args) > 0 {
		msg = fmt.Sprintf(format, args...)
	}
	return &Error{Code: code, Status: status, Message: msg}
}

// NotImplemented is the error of operations iamd does not implement; generated Unimplemented types return it.
func NotImplemented(service, op string) *Error {
	return &Error{Code: "NotImplemented", Status: http.StatusNotImplemented,
		Message: "iamd does not implement " + service + " operation " + op + " yet"}
}

// internalFailure is what a client sees for an error that is not an APIError; the cause is logged by the
// server, never sent.
func internalFailure(svc *ServiceInfo) *Error {
	if svc != nil && svc.Protocol == "query" && svc.Name == "IAM" {
		return &Error{Code: "ServiceFailure", Status: http.StatusInternalServerError,
			Message: "Request processing has failed due to some unknown error, exception or failure."}
	}
	return &Error{Code: "InternalFailure", Status: http.StatusInternalServerError,
		Message: "The request processing has failed because of an unknown error, exception or failure."}
}
