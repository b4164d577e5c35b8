// Package apierr holds the tests' assertions on AWS API errors: on the server side, the
// protocol.APIError a handler returns; on the client side, the error an AWS SDK call returns after the
// response crossed the wire. Only tests import it.
package apierr

import (
	"errors"
	"testing"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"

	"github.com/iamd/iamd/internal/protocol"
)

// Want fails the test unless err is a protocol.APIError with code and HTTP status, and with msg as its
// message unless msg is "". It returns the error for further checks. what names the call in a failure.
func Want(t testing.TB, what string, err error, code string, status int, msg string) protocol.APIError {
	t.Helper()
	var ae protocol.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("%s: got %v (%T), want %s", what, err, err, code)
	}
	if ae.ErrorCode() != code || ae.HTTPStatus() != status || (msg != "" && ae.ErrorMessage() != msg) {
		t.Fatalf("%s: got %d %s %q, want %d %s %q", what, ae.HTTPStatus(), ae.ErrorCode(), ae.ErrorMessage(), status, code, msg)
	}
	return ae
}

// Wire is an error as an AWS SDK client received it.
type Wire struct {
	Code, Message string
	Status        int    // 0 when the SDK kept no HTTP response
	RequestID     string // the x-amzn-RequestId the response carried
}

// FromSDK extracts code, message, HTTP status and request ID from an SDK error, failing the test when err
// is nil or not an API error.
func FromSDK(t testing.TB, err error) Wire {
	t.Helper()
	if err == nil {
		t.Fatal("call succeeded, want an error")
	}
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("not an API error: %v", err)
	}
	w := Wire{Code: ae.ErrorCode(), Message: ae.ErrorMessage()}
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		w.Status, w.RequestID = re.HTTPStatusCode(), re.ServiceRequestID()
	}
	return w
}

// WantSDK fails the test unless err is an SDK API error with code and HTTP status, and with msg as its
// message unless msg is "". what names the call in a failure.
func WantSDK(t testing.TB, what string, err error, code string, status int, msg string) Wire {
	t.Helper()
	got := FromSDK(t, err)
	if got.Code != code || got.Status != status || (msg != "" && got.Message != msg) {
		t.Fatalf("%s: got %d %s %q, want %d %s %q", what, got.Status, got.Code, got.Message, status, code, msg)
	}
	return got
}

// Code returns the AWS error code of an SDK error: "" for nil or an error that is not an API error.
func Code(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}
