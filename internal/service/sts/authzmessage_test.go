package sts

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/iamd/iamd/internal/api/stsapi"
	"github.com/iamd/iamd/internal/auth"
	"github.com/iamd/iamd/internal/policy"
	"github.com/iamd/iamd/internal/protocol"
	"github.com/iamd/iamd/internal/secrets"
)

func testSealer(t testing.TB, b byte) *secrets.Sealer {
	t.Helper()
	s, err := secrets.NewSealer(bytes.Repeat([]byte{b}, 32))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// deniedFailure evaluates a request against a policy with an explicit Deny and describes the failure.
func deniedFailure(t testing.TB, account string) *AuthorizationFailure {
	t.Helper()
	p, err := policy.Parse(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"},`+
		`{"Sid":"NoDeletes","Effect":"Deny","Action":"s3:DeleteObject","Resource":"*"}]}`, policy.KindIdentity)
	if err != nil {
		t.Fatal(err)
	}
	ctx := map[string][]string{"aws:sourceip": {"10.0.0.1"}, "aws:principaltag/team": {"a", "b"}}
	req := &policy.Request{Action: "s3:DeleteObject", Resource: "arn:aws:s3:::bucket/key", MaxMatched: 4, Context: ctx,
		Principal: policy.Principal{ARN: "arn:aws:iam::" + account + ":user/ann", AccountID: account}}
	d := policy.Evaluate(req, &policy.Set{Identity: []policy.Attached{{Policy: p, ID: "p", Source: policy.SourceUser}}})
	return &AuthorizationFailure{Account: account, PrincipalID: "AIDAEXAMPLE", PrincipalARN: req.Principal.ARN,
		Action: "s3:DeleteObject", Resource: req.Resource, Decision: &d, Conditions: ctx}
}

// decodeFixture is a service with a sealer, a message encoded for its account, and that message decoded.
func decodeFixture(t testing.TB) (f *fixture, sealer *secrets.Sealer, enc, decoded string) {
	t.Helper()
	f = newFixture(t)
	sealer = testSealer(t, 7)
	f.svc.o.Sealer = sealer
	enc, err := EncodeAuthorizationMessage(sealer, deniedFailure(t, testAccount))
	if err != nil {
		t.Fatal(err)
	}
	out, err := f.svc.DecodeAuthorizationMessage(at(f.user, ""), &stsapi.DecodeAuthorizationMessageRequest{EncodedMessage: &enc})
	if err != nil {
		t.Fatal(err)
	}
	return f, sealer, enc, protocol.ToString(out.DecodedMessage)
}

func TestDecodeAuthorizationMessage(t *testing.T) {
	_, _, _, decoded := decodeFixture(t)
	var m map[string]any
	if err := json.Unmarshal([]byte(decoded), &m); err != nil {
		t.Fatal(err)
	}
	want := `{"allowed":false,"explicitDeny":true,"matchedStatements":{"items":[{"statementId":"","effect":"ALLOW"},{"statementId":"NoDeletes","effect":"DENY"}]},` +
		`"failures":{"items":[]},"context":{"principal":{"id":"AIDAEXAMPLE","arn":"arn:aws:iam::123456789012:user/ann"},` +
		`"action":"s3:DeleteObject","resource":"arn:aws:s3:::bucket/key","conditions":{"items":[` +
		`{"key":"aws:principaltag/team","values":{"items":[{"value":"a"},{"value":"b"}]}},` +
		`{"key":"aws:sourceip","values":{"items":[{"value":"10.0.0.1"}]}}]}}}`
	var w map[string]any
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatal(err)
	}
	gotJSON, _ := json.Marshal(m)
	wantJSON, _ := json.Marshal(w)
	if string(gotJSON) != string(wantJSON) {
		t.Fatalf("DecodedMessage\n got %s\nwant %s", gotJSON, wantJSON)
	}
}

// Only messages iamd sealed for the caller's account decode: garbage, altered, re-encoded or line-broken
// messages, messages of another account and messages of another master key are all refused alike.
func TestDecodeAuthorizationMessageRefuses(t *testing.T) {
	f, sealer, enc, _ := decodeFixture(t)
	other, err := EncodeAuthorizationMessage(sealer, deniedFailure(t, "210987654321"))
	if err != nil {
		t.Fatal(err)
	}
	foreignKey, err := EncodeAuthorizationMessage(testSealer(t, 8), deniedFailure(t, testAccount))
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := base64.RawURLEncoding.DecodeString(enc)
	raw[len(raw)-1] ^= 1
	altered := base64.RawURLEncoding.EncodeToString(raw)
	plainJSON := base64.RawURLEncoding.EncodeToString([]byte(`{"allowed":true}`))
	for what, msg := range map[string]string{
		"garbage": "not a message", "altered": altered, "another account's": other, "another key's": foreignKey,
		"line break": enc[:40] + "\n" + enc[40:], "unsealed JSON": plainJSON, "too long": strings.Repeat("A", maxEncodedMessage+1),
	} {
		_, err := f.svc.DecodeAuthorizationMessage(at(f.user, ""), &stsapi.DecodeAuthorizationMessageRequest{EncodedMessage: &msg})
		wantAPIError(t, what, err, "InvalidAuthorizationMessageException", http.StatusBadRequest, "The encoded authorization message is not valid.")
	}
	// Root of the account decodes it.
	if _, err := f.svc.DecodeAuthorizationMessage(at(auth.RootCaller("aws", testAccount), ""),
		&stsapi.DecodeAuthorizationMessageRequest{EncodedMessage: &enc}); err != nil {
		t.Fatal(err)
	}
	f.svc.o.Sealer = nil
	_, err = f.svc.DecodeAuthorizationMessage(at(f.user, ""), &stsapi.DecodeAuthorizationMessageRequest{EncodedMessage: &enc})
	wantAPIError(t, "without a sealer", err, "InvalidAuthorizationMessageException", http.StatusBadRequest, "")
}

// A request with condition values too large for the API's bound is encoded with fewer condition keys,
// never into a message DecodeAuthorizationMessage would refuse.
func TestEncodeAuthorizationMessageFitsTheBound(t *testing.T) {
	sealer := testSealer(t, 7)
	fl := deniedFailure(t, testAccount)
	for i := range 40 {
		fl.Conditions["aws:principaltag/k"+strings.Repeat("x", i)] = []string{strings.Repeat("v", 256)}
	}
	enc, err := EncodeAuthorizationMessage(sealer, fl)
	if err != nil {
		t.Fatal(err)
	}
	if len(enc) > maxEncodedMessage {
		t.Fatalf("encoded message of %d characters", len(enc))
	}
}

// FuzzDecodeAuthorizationMessage: no input panics, and nothing but a message sealed with the key decodes
// (the only plaintext ever sealed here is the seed's).
func FuzzDecodeAuthorizationMessage(f *testing.F) {
	fx, _, enc, sealed := decodeFixture(f)
	f.Add(enc)
	f.Add(enc[:len(enc)-1])
	f.Add("")
	f.Add("AAAA")
	f.Fuzz(func(t *testing.T, msg string) {
		out, err := fx.svc.DecodeAuthorizationMessage(at(fx.user, ""), &stsapi.DecodeAuthorizationMessageRequest{EncodedMessage: &msg})
		if err == nil && protocol.ToString(out.DecodedMessage) != sealed {
			t.Fatalf("decoded %q into %s", msg, protocol.ToString(out.DecodedMessage))
		}
	})
}
