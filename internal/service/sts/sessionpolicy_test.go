package sts

import (
	"errors"
	"testing"

	"github.com/iamd/iamd/internal/protocol"
	"github.com/iamd/iamd/internal/token"
)

// Session policies are checked as IAM checks documents, with the rules of session policies (2008-10-17 and
// a missing Version allowed, no principal), and answered as STS's MalformedPolicyDocument.
func TestSessionPolicyValidation(t *testing.T) {
	cases := []struct{ doc, want string }{
		{`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`, ""},
		{`{"Version":"2008-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`, ""},
		{`{"Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`, ""},
		{`{"Statement":`, "Syntax errors in policy."},
		{`{"Version":"2012-10-17"}`, "Syntax errors in policy."},
		{`{"Version":"2012-10-17","Statement":[{"Effect":"allow","Action":"s3:GetObject","Resource":"*"}]}`, "The policy failed legacy parsing"},
		{`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"GetObject","Resource":"*"}]}`, "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."},
		{`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*"}]}`, "Policy document should not specify a principal."},
	}
	for _, tc := range cases {
		doc := tc.doc
		err := applySessionPolicies(&token.Claims{}, &doc, nil)
		if tc.want == "" {
			if err != nil {
				t.Errorf("%s: %v", doc, err)
			}
			continue
		}
		var ae protocol.APIError
		if !errors.As(err, &ae) || ae.ErrorCode() != "MalformedPolicyDocument" || ae.HTTPStatus() != 400 || ae.ErrorMessage() != tc.want {
			t.Errorf("%s: %v, want MalformedPolicyDocument %q", doc, err, tc.want)
		}
	}
}
