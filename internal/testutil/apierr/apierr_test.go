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

func TestWant(t *testing.T) {
	err := fmt.Errorf("wrapped: %w", protocol.NewError("NoSuchEntity", 404, "The user with name bob cannot be found."))
	for name, c := range map[string]struct {
		err    error
		code   string
		status int
		msg    string
		fail   bool
	}{
		"match":         {err, "NoSuchEntity", 404, "The user with name bob cannot be found.", false},
		"any message":   {err, "NoSuchEntity", 404, "", false},
		"other code":    {err, "EntityAlreadyExists", 404, "", true},
		"other status":  {err, "NoSuchEntity", 400, "", true},
		"other message": {err, "NoSuchEntity", 404, "The user with name ann cannot be found.", true},
		"not API error": {errors.New("boom"), "NoSuchEntity", 404, "", true},
		"nil error":     {nil, "NoSuchEntity", 404, "", true},
	} {
		if got := fails(func(tb testing.TB) { Want(tb, name, c.err, c.code, c.status, c.msg) }); got != c.fail {
			t.Errorf("%s: failed = %v, want %v", name, got, c.fail)
		}
	}
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
	for name, c := range map[string]struct {
		err    error
		code   string
		status int
		msg    string
		fail   bool
	}{
		"match":         {err, "AccessDenied", 403, "User is not authorized", false},
		"any message":   {err, "AccessDenied", 403, "", false},
		"other code":    {err, "InvalidInput", 403, "", true},
		"other status":  {err, "AccessDenied", 400, "", true},
		"other message": {err, "AccessDenied", 403, "no", true},
		"not API error": {errors.New("boom"), "AccessDenied", 403, "", true},
		"nil error":     {nil, "AccessDenied", 403, "", true},
	} {
		if got := fails(func(tb testing.TB) { WantSDK(tb, name, c.err, c.code, c.status, c.msg) }); got != c.fail {
			t.Errorf("%s: failed = %v, want %v", name, got, c.fail)
		}
	}
}
