package apierr

import (
	"errors"
	"fmt"
	"net/http"
	"testing"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/iamd/iamd/internal/protocol"
)

// recorder is a testing.TB whose Fatal ends only the assertion under test, so that a test can check that
// an assertion fails. The assertions call nothing else of it.
type recorder struct {
	testing.TB
	failed bool
}

type fatal struct{}

func (r *recorder) Helper()               {}
func (r *recorder) Fatal(...any)          { r.failed = true; panic(fatal{}) }
func (r *recorder) Fatalf(string, ...any) { r.failed = true; panic(fatal{}) }

// fails reports whether fn failed the recorder.
func fails(fn func(t testing.TB)) (failed bool) {
	r := &recorder{}
	defer func() {
		if p := recover(); p != nil {
			if _, ok := p.(fatal); !ok {
				panic(p)
			}
		}
		failed = r.failed
	}()
	fn(r)
	return r.failed
}

// checkAssertion runs assert against err, an error with code, status and msg, and checks that it
// passes on the error's own code, status and message (or none) and fails on any other, on an error that
// is not an API error and on nil.
func checkAssertion(t *testing.T, err error, code string, status int, msg string,
	assert func(tb testing.TB, what string, err error, code string, status int, msg string)) {
	t.Helper()
	for name, c := range map[string]struct {
		err    error
		code   string
		status int
		msg    string
		fail   bool
	}{
		"match":         {err, code, status, msg, false},
		"any message":   {err, code, status, "", false},
		"other code":    {err, "Other" + code, status, "", true},
		"other status":  {err, code, status + 1, "", true},
		"other message": {err, code, status, msg + ".", true},
		"not API error": {errors.New("boom"), code, status, "", true},
		"nil error":     {nil, code, status, "", true},
	} {
		if got := fails(func(tb testing.TB) { assert(tb, name, c.err, c.code, c.status, c.msg) }); got != c.fail {
			t.Errorf("%s: failed = %v, want %v", name, got, c.fail)
		}
	}
}

func TestWant(t *testing.T) {
	err := fmt.Errorf("wrapped: %w", protocol.NewError("NoSuchEntity", 404, "The user with name bob cannot be found."))
	checkAssertion(t, err, "NoSuchEntity", 404, "The user with name bob cannot be found.",
		func(tb testing.TB, what string, err error, code string, status int, msg string) {
			Want(tb, what, err, code, status, msg)
		})
}

func TestWantSDK(t *testing.T) {
	resp := &smithyhttp.Response{Response: &http.Response{StatusCode: 403, Header: http.Header{}}}
	err := &smithy.OperationError{ServiceID: "IAM", OperationName: "GetUser", Err: &awshttp.ResponseError{
		ResponseError: &smithyhttp.ResponseError{Response: resp,
			Err: &smithy.GenericAPIError{Code: "AccessDenied", Message: "User is not authorized"}},
		RequestID: "rid"}}
	if w := FromSDK(t, err); w != (Wire{Code: "AccessDenied", Message: "User is not authorized", Status: 403, RequestID: "rid"}) {
		t.Errorf("FromSDK = %+v", w)
	}
	if Code(err) != "AccessDenied" || Code(nil) != "" || Code(errors.New("x")) != "" {
		t.Error("Code")
	}
	checkAssertion(t, err, "AccessDenied", 403, "User is not authorized",
		func(tb testing.TB, what string, err error, code string, status int, msg string) {
			WantSDK(tb, what, err, code, status, msg)
		})
}
