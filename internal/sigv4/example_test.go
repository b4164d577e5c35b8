package sigv4_test

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/iamd/iamd/internal/sigv4"
)

// The server parses first, looks the key up, then verifies with the secret.
func ExampleVerifier() {
	lookup := func(accessKeyID string) (secret string, ok bool) { return "", false } // the auth layer's store
	v := sigv4.NewVerifier(time.Now)

	r, _ := http.NewRequest(http.MethodPost, "https://sts.amazonaws.com/", strings.NewReader("Action=GetCallerIdentity&Version=2011-06-15"))
	body, _ := io.ReadAll(r.Body)
	err := func() error {
		req, err := v.Parse(r, body, sigv4.Expect{Region: "us-east-1", Service: "sts"})
		if err != nil {
			return err
		}
		secret, ok := lookup(req.AccessKeyID)
		if !ok {
			return sigv4.InvalidClientTokenID()
		}
		return v.Verify(req, secret)
	}()
	var e *sigv4.Error
	if errors.As(err, &e) {
		fmt.Println(e.HTTPStatus, e.Code, e.Message)
	}
	// Output: 403 MissingAuthenticationToken Request is missing Authentication Token
}
