package sigv4

import (
	"encoding/json"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
)

// TestBotocoreSigned verifies requests signed by botocore (the signer of boto3 and the AWS CLI), recorded in
// testdata/botocore.json by testdata/gen_botocore.py with the clock fixed at t0.
func TestBotocoreSigned(t *testing.T) {
	raw, err := os.ReadFile("testdata/botocore.json")
	if err != nil {
		t.Fatal(err)
	}
	var fixtures []struct {
		Name, Method, URL, Body, Region, Service, Token string
		Headers                                         map[string]string
	}
	if err := json.Unmarshal(raw, &fixtures); err != nil {
		t.Fatal(err)
	}
	if len(fixtures) < 6 {
		t.Fatalf("only %d fixtures", len(fixtures))
	}
	v := NewVerifier(fixedClock(t0))
	for _, f := range fixtures {
		t.Run(f.Name, func(t *testing.T) {
			r := httptest.NewRequest(f.Method, f.URL, strings.NewReader(f.Body))
			for k, val := range f.Headers {
				r.Header.Set(k, val)
			}
			p, err := v.Parse(r, []byte(f.Body), Expect{Region: f.Region, Service: f.Service})
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			if p.SecurityToken != f.Token || p.AccessKeyID != testAKID {
				t.Errorf("parsed token %q key %q", p.SecurityToken, p.AccessKeyID)
			}
			if err := v.Verify(p, testSecret); err != nil {
				t.Fatalf("verify: %v", err)
			}
			if err := v.Verify(p, testSecret[1:]); !isCode(err, CodeSignatureDoesNotMatch) {
				t.Errorf("wrong secret: %v", err)
			}
		})
	}
}
