package sigv4

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

const (
	testAKID   = "AKIAIOSFODNN7EXAMPLE"
	testSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	stsBody    = "Action=GetCallerIdentity&Version=2011-06-15"
)

var (
	t0     = time.Date(2024, 1, 1, 0, 30, 0, 0, time.UTC)
	stsExp = Expect{Region: "us-east-1", Service: "sts"}
)

func fixedClock(t time.Time) func() time.Time { return func() time.Time { return t } }

func hashHex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// sdkSigned returns an STS POST signed by aws-sdk-go-v2's own signer.
func sdkSigned(t testing.TB, url, body, token, region, service string, at time.Time, extra http.Header) *http.Request {
	t.Helper()
	r, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	for k, vs := range extra {
		for _, v := range vs {
			r.Header.Add(k, v)
		}
	}
	creds := aws.Credentials{AccessKeyID: testAKID, SecretAccessKey: testSecret, SessionToken: token}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, r, hashHex([]byte(body)), service, region, at); err != nil {
		t.Fatal(err)
	}
	return r
}

// wireServer runs Parse and Verify behind a real HTTP server, so the requests go through Go's wire format
// and server-side header handling, as in production.
type wireResult struct {
	parsed *Request
	err    error
}

func wireServer(t *testing.T, v *Verifier, expect Expect) (*httptest.Server, chan wireResult) {
	t.Helper()
	results := make(chan wireResult, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		req, err := v.Parse(r, body, expect)
		if err == nil {
			err = v.Verify(req, testSecret)
		}
		results <- wireResult{req, err}
	}))
	t.Cleanup(srv.Close)
	return srv, results
}

func send(t *testing.T, r *http.Request, results chan wireResult) wireResult {
	t.Helper()
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return <-results
}

func TestSDKSignedHeaderForm(t *testing.T) {
	v := NewVerifier(fixedClock(t0))
	srv, results := wireServer(t, v, stsExp)
	cases := []struct {
		name  string
		path  string
		body  string
		token string
		extra http.Header
	}{
		{name: "GetCallerIdentity", path: "/", body: stsBody},
		{name: "session token", path: "/", body: stsBody, token: "FwoGZXIvYXdzEXAMPLETOKEN//+=="},
		{name: "empty body", path: "/", body: ""},
		{name: "query order and utf8", path: "/?b=2&a=%E1%88%B4&a=1&c=x+y&d=%7E&e=", body: stsBody},
		{name: "space in path", path: "/example%20space/", body: stsBody},
		{name: "encoded slash in path", path: "/a%2Fb/", body: stsBody},
		{name: "unicode path", path: "/%E1%88%B4", body: stsBody},
		{name: "duplicate headers", path: "/", body: stsBody, extra: http.Header{"My-Header1": {"value2", "value2", "value1"}}},
		{name: "spaces in header", path: "/", body: stsBody, extra: http.Header{"My-Header1": {"  value1  with   spaces  "}}},
		{name: "unicode body", path: "/", body: "Action=GetCallerIdentity&Version=2011-06-15&X=%E1%88%B4"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := sdkSigned(t, srv.URL+c.path, c.body, c.token, "us-east-1", "sts", t0, c.extra)
			res := send(t, r, results)
			if res.err != nil {
				t.Fatalf("verify: %v", res.err)
			}
			p := res.parsed
			if p.AccessKeyID != testAKID || p.Region != "us-east-1" || p.Service != "sts" || p.SecurityToken != c.token ||
				!p.Date.Equal(t0) || p.Presigned || p.ScopeDate != "20240101" {
				t.Errorf("parsed = %+v", p)
			}
		})
	}
}

func TestSDKSignedSkewWindow(t *testing.T) {
	for _, c := range []struct {
		skew time.Duration
		ok   bool
	}{{0, true}, {14 * time.Minute, true}, {-14 * time.Minute, true}, {15 * time.Minute, true}, {16 * time.Minute, false}, {-16 * time.Minute, false}} {
		v := NewVerifier(fixedClock(t0.Add(c.skew)))
		srv, results := wireServer(t, v, stsExp)
		res := send(t, sdkSigned(t, srv.URL+"/", stsBody, "", "us-east-1", "sts", t0, nil), results)
		if (res.err == nil) != c.ok {
			t.Errorf("skew %v: err = %v, want ok=%v", c.skew, res.err, c.ok)
		}
	}
}

func TestSDKPresigned(t *testing.T) {
	v := NewVerifier(fixedClock(t0.Add(time.Minute)))
	srv, results := wireServer(t, v, stsExp)
	for _, token := range []string{"", "IQoJb3JpZ2luX2VjEXAMPLE/+="} {
		r, _ := http.NewRequest(http.MethodGet, srv.URL+"/?Action=GetCallerIdentity&Version=2011-06-15", nil)
		creds := aws.Credentials{AccessKeyID: testAKID, SecretAccessKey: testSecret, SessionToken: token}
		u, hdr, err := v4.NewSigner().PresignHTTP(context.Background(), creds, r, hashHex(nil), "sts", "us-east-1", t0)
		if err != nil {
			t.Fatal(err)
		}
		pr, _ := http.NewRequest(http.MethodGet, u, nil)
		for k, vs := range hdr {
			if k != "Host" {
				pr.Header[k] = vs
			}
		}
		res := send(t, pr, results)
		if res.err != nil {
			t.Fatalf("presigned (token %q): %v\nurl %s", token, res.err, u)
		}
		if !res.parsed.Presigned || res.parsed.SecurityToken != token || res.parsed.AccessKeyID != testAKID {
			t.Errorf("parsed = %+v", res.parsed)
		}
		// Tampering with a signed query parameter breaks the signature.
		tampered, _ := http.NewRequest(http.MethodGet, strings.Replace(u, "GetCallerIdentity", "GetSessionToken", 1), nil)
		if res := send(t, tampered, results); !isCode(res.err, CodeSignatureDoesNotMatch) {
			t.Errorf("tampered presigned URL: %v", res.err)
		}
	}
}

func isCode(err error, code string) bool {
	var e *Error
	return errors.As(err, &e) && e.Code == code
}

// refSign is an independent, literal implementation of the SigV4 steps, used to make requests the SDK
// signer cannot (botocore-style UNSIGNED-PAYLOAD presigning, exotic header sets).
func refSign(method, canonicalURI, canonicalQuery string, headers [][2]string, payloadHash, amzDate, scope, secret string) string {
	var ch, sh []string
	for _, h := range headers {
		ch = append(ch, h[0]+":"+h[1]+"\n")
		sh = append(sh, h[0])
	}
	creq := method + "\n" + canonicalURI + "\n" + canonicalQuery + "\n" + strings.Join(ch, "") + "\n" + strings.Join(sh, ";") + "\n" + payloadHash
	sts := "AWS4-HMAC-SHA256\n" + amzDate + "\n" + scope + "\n" + hashHex([]byte(creq))
	parts := strings.Split(scope, "/")
	key := deriveKey(secret, parts[0], parts[1], parts[2])
	sig := hmacSHA256(&key, []byte(sts))
	return hex.EncodeToString(sig[:])
}

// TestAWSTestSuiteVanilla checks the get-vanilla case of AWS's published SigV4 test suite, signature included.
func TestAWSTestSuiteVanilla(t *testing.T) {
	const secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
	at := time.Date(2015, 8, 30, 12, 36, 0, 0, time.UTC)
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.Host = "example.amazonaws.com"
	r.Header.Set("X-Amz-Date", "20150830T123600Z")
	r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "+
		"SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31")
	v := NewVerifier(fixedClock(at))
	p, err := v.Parse(r, nil, Expect{Region: "us-east-1", Service: "service"})
	if err != nil {
		t.Fatal(err)
	}
	if err := v.Verify(p, secret); err != nil {
		t.Fatalf("get-vanilla: %v", err)
	}
	if err := v.Verify(p, secret+"x"); !isCode(err, CodeSignatureDoesNotMatch) {
		t.Fatalf("wrong secret: %v", err)
	}
}

func TestReferenceSignedCases(t *testing.T) {
	const amzDate = "20240101T003000Z"
	scope := "20240101/us-east-1/sts/aws4_request"
	v := NewVerifier(fixedClock(t0))
	cases := []struct {
		name      string
		method    string
		target    string // request target as sent
		canonURI  string
		canonQ    string
		headers   [][2]string // canonical (lowercase, trimmed); host first
		send      http.Header
		body      string
		payload   string
		presigned bool
	}{
		{name: "get-vanilla-query-order-key-case", method: "GET", target: "/?Param2=value2&Param1=value1",
			canonURI: "/", canonQ: "Param1=value1&Param2=value2",
			headers: [][2]string{{"host", "example.amazonaws.com"}, {"x-amz-date", amzDate}}},
		{name: "get-vanilla-query-order-value", method: "GET", target: "/?Param1=value2&Param1=Value1",
			canonURI: "/", canonQ: "Param1=Value1&Param1=value2",
			headers: [][2]string{{"host", "example.amazonaws.com"}, {"x-amz-date", amzDate}}},
		{name: "get-vanilla-utf8-query", method: "GET", target: "/?%E1%88%B4=bar",
			canonURI: "/", canonQ: "%E1%88%B4=bar",
			headers: [][2]string{{"host", "example.amazonaws.com"}, {"x-amz-date", amzDate}}},
		{name: "get-vanilla-query-unreserved", method: "GET",
			target:   "/?-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz=-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
			canonURI: "/", canonQ: "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz=-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
			headers: [][2]string{{"host", "example.amazonaws.com"}, {"x-amz-date", amzDate}}},
		{name: "get-space (double encoded)", method: "GET", target: "/example%20space/",
			canonURI: "/example%2520space/",
			headers:  [][2]string{{"host", "example.amazonaws.com"}, {"x-amz-date", amzDate}}},
		{name: "query spaces and plus", method: "GET", target: "/?a=b+c&d=e%20f&g=%2B",
			canonURI: "/", canonQ: "a=b%20c&d=e%20f&g=%2B",
			headers: [][2]string{{"host", "example.amazonaws.com"}, {"x-amz-date", amzDate}}},
		{name: "empty query value", method: "GET", target: "/?flag&x=",
			canonURI: "/", canonQ: "flag=&x=",
			headers: [][2]string{{"host", "example.amazonaws.com"}, {"x-amz-date", amzDate}}},
		{name: "get-header-key-duplicate", method: "GET", target: "/",
			canonURI: "/", send: http.Header{"My-Header1": {"value2", "value2", "value1"}},
			headers: [][2]string{{"host", "example.amazonaws.com"}, {"my-header1", "value2,value2,value1"}, {"x-amz-date", amzDate}}},
		{name: "get-header-value-trim", method: "GET", target: "/",
			canonURI: "/", send: http.Header{"My-Header1": {" value1"}, "My-Header2": {" \"a   b   c\" "}},
			headers: [][2]string{{"host", "example.amazonaws.com"}, {"my-header1", "value1"}, {"my-header2", "\"a b c\""}, {"x-amz-date", amzDate}}},
		{name: "post-x-www-form-urlencoded", method: "POST", target: "/", body: stsBody,
			canonURI: "/", send: http.Header{"Content-Type": {"application/x-www-form-urlencoded"}},
			headers: [][2]string{{"content-type", "application/x-www-form-urlencoded"}, {"host", "example.amazonaws.com"}, {"x-amz-date", amzDate}}},
		{name: "unsigned payload header", method: "POST", target: "/", body: stsBody, payload: UnsignedPayload,
			canonURI: "/", send: http.Header{"X-Amz-Content-Sha256": {UnsignedPayload}},
			headers: [][2]string{{"host", "example.amazonaws.com"}, {"x-amz-content-sha256", UnsignedPayload}, {"x-amz-date", amzDate}}},
		{name: "botocore presign UNSIGNED-PAYLOAD", method: "GET", presigned: true, payload: UnsignedPayload,
			target:   "/?Action=GetCallerIdentity&Version=2011-06-15&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=" + testAKID + "%2F20240101%2Fus-east-1%2Fsts%2Faws4_request&X-Amz-Date=" + amzDate + "&X-Amz-Expires=900&X-Amz-SignedHeaders=host",
			canonURI: "/", canonQ: "Action=GetCallerIdentity&Version=2011-06-15&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=" + testAKID + "%2F20240101%2Fus-east-1%2Fsts%2Faws4_request&X-Amz-Date=" + amzDate + "&X-Amz-Expires=900&X-Amz-SignedHeaders=host",
			headers: [][2]string{{"host", "example.amazonaws.com"}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			payload := c.payload
			if payload == "" {
				payload = hashHex([]byte(c.body))
			}
			sig := refSign(c.method, c.canonURI, c.canonQ, c.headers, payload, amzDate, scope, testSecret)
			target := c.target
			if c.presigned {
				target += "&X-Amz-Signature=" + sig
			}
			r := httptest.NewRequest(c.method, target, strings.NewReader(c.body))
			r.Host = "example.amazonaws.com"
			for k, vs := range c.send {
				r.Header[k] = vs
			}
			if !c.presigned {
				var names []string
				for _, h := range c.headers {
					names = append(names, h[0])
				}
				r.Header.Set("X-Amz-Date", amzDate)
				r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+testAKID+"/"+scope+", SignedHeaders="+strings.Join(names, ";")+", Signature="+sig)
			}
			p, err := v.Parse(r, []byte(c.body), stsExp)
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			if err := v.Verify(p, testSecret); err != nil {
				t.Fatalf("verify: %v", err)
			}
			// The same request with a different body or secret must fail.
			if c.payload != UnsignedPayload {
				if err := v.Verify(&Request{
					AccessKeyID: p.AccessKeyID, Date: p.Date, AmzDate: p.AmzDate, ScopeDate: p.ScopeDate, Region: p.Region, Service: p.Service,
					SignedHeaders: p.SignedHeaders, Signature: p.Signature, Presigned: p.Presigned,
					signedHeadersRaw: p.signedHeadersRaw, query: p.query, http: p.http, body: append([]byte(c.body), 'x'),
				}, testSecret); !isCode(err, CodeSignatureDoesNotMatch) {
					t.Errorf("changed body verified: %v", err)
				}
			}
			if err := v.Verify(p, strings.ToUpper(testSecret)); !isCode(err, CodeSignatureDoesNotMatch) {
				t.Errorf("wrong secret verified: %v", err)
			}
		})
	}
}

// headerReq builds a request with the given Authorization and X-Amz-Date.
func headerReq(auth, amzDate string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(stsBody))
	r.Host = "sts.amazonaws.com"
	if amzDate != "" {
		r.Header.Set("X-Amz-Date", amzDate)
	}
	if auth != "" {
		r.Header.Set("Authorization", auth)
	}
	return r
}

func TestParseErrors(t *testing.T) {
	const good = "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20240101/us-east-1/sts/aws4_request, SignedHeaders=host;x-amz-date, Signature=0000000000000000000000000000000000000000000000000000000000000000"
	cases := []struct {
		name    string
		req     *http.Request
		expect  Expect
		code    string
		status  int
		message string // exact, or prefix when it ends with "…"
	}{
		{"no auth", headerReq("", "20240101T003000Z"), stsExp, CodeMissingAuthenticationToken, 403, "Request is missing Authentication Token"},
		{"not sigv4", headerReq("Bearer abc", ""), stsExp, CodeIncompleteSignature, 400,
			"Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. " +
				"Authorization header requires 'SignedHeaders' parameter. Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. " +
				"Authorization=Bearer abc"},
		{"only credential", headerReq("AWS4-HMAC-SHA256 Credential=ABCDEF", "20240101T003000Z"), stsExp, CodeIncompleteSignature, 400,
			"Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. Authorization=AWS4-HMAC-SHA256 Credential=ABCDEF"},
		{"no date", headerReq(good, ""), stsExp, CodeIncompleteSignature, 400,
			"Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=" + good},
		{"missing equal sign", headerReq("AWS4-HMAC-SHA256 AKID/20240101/us-east-1/sts/aws4_request, SignedHeaders=host, Signature=00", "20240101T003000Z"), stsExp, CodeIncompleteSignature, 400,
			"'AKID/20240101/us-east-1/sts/aws4_request' not a valid key=value pair (missing equal-sign) in Authorization header: 'AWS4-HMAC-SHA256 AKID/20240101/us-east-1/sts/aws4_request, SignedHeaders=host, Signature=00'."},
		{"unsupported algorithm", headerReq(strings.Replace(good, "SHA256", "SHA512", 1), "20240101T003000Z"), stsExp, CodeIncompleteSignature, 400,
			"Unsupported AWS 'algorithm': 'AWS4-HMAC-SHA512'."},
		{"short credential", headerReq(strings.Replace(good, "/sts/aws4_request", "", 1), "20240101T003000Z"), stsExp, CodeIncompleteSignature, 400,
			"Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got 'AKIAIOSFODNN7EXAMPLE/20240101/us-east-1'"},
		{"long credential", headerReq(strings.Replace(good, "aws4_request", "aws4_request/x", 1), "20240101T003000Z"), stsExp, CodeIncompleteSignature, 400,
			"Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got 'AKIAIOSFODNN7EXAMPLE/20240101/us-east-1/sts/aws4_request/x'"},
		{"bad date", headerReq(good, "2024-01-01T00:30:00Z"), stsExp, CodeIncompleteSignature, 400,
			"Date must be in ISO-8601 'basic format'. Got '2024-01-01T00:30:00Z'. See http://en.wikipedia.org/wiki/ISO_8601"},
		{"short date", headerReq(good, "20240101T30000Z"), stsExp, CodeIncompleteSignature, 400,
			"Date must be in ISO-8601 'basic format'. Got '20240101T30000Z'. See http://en.wikipedia.org/wiki/ISO_8601"},
		{"host not signed", headerReq(strings.Replace(good, "host;", "", 1), "20240101T003000Z"), stsExp, CodeIncompleteSignature, 400,
			"'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."},
		{"scope date", headerReq(good, "20240102T003000Z"), stsExp, CodeSignatureDoesNotMatch, 403,
			"Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '20240101' != '20240102', from '20240102T003000Z'."},
		{"wrong region", headerReq(good, "20240101T003000Z"), Expect{Region: "eu-west-1", Service: "sts"}, CodeSignatureDoesNotMatch, 403,
			"Credential should be scoped to a valid region. "},
		{"wrong service", headerReq(good, "20240101T003000Z"), Expect{Region: "us-east-1", Service: "iam"}, CodeSignatureDoesNotMatch, 403,
			"Credential should be scoped to correct service: 'iam'. "},
		{"wrong region and service", headerReq(good, "20240101T003000Z"), Expect{Region: "eu-west-1", Service: "iam"}, CodeSignatureDoesNotMatch, 403,
			"Credential should be scoped to a valid region. Credential should be scoped to correct service: 'iam'. "},
		{"bad terminator", headerReq(strings.Replace(good, "aws4_request", "aws5_request", 1), "20240101T003000Z"), stsExp, CodeSignatureDoesNotMatch, 403,
			"Credential should be scoped with a valid terminator: 'aws4_request', not 'aws5_request'. "},
		{"expired", headerReq(good, "20240101T000000Z"), stsExp, CodeSignatureDoesNotMatch, 403,
			"Signature expired: 20240101T000000Z is now earlier than 20240101T001500Z (20240101T003000Z - 15 min.)"},
		{"not yet current", headerReq(good, "20240101T010000Z"), stsExp, CodeSignatureDoesNotMatch, 403,
			"Signature not yet current: 20240101T010000Z is still later than 20240101T004500Z (20240101T003000Z + 15 min.)"},
		{"two mechanisms", func() *http.Request {
			r := headerReq(good, "20240101T003000Z")
			r.URL.RawQuery = "X-Amz-Algorithm=AWS4-HMAC-SHA256"
			return r
		}(), stsExp, CodeIncompleteSignature, 400, msgOneAuthMechanism},
		{"presign missing params", httptest.NewRequest("GET", "/?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=20240101T003000Z", nil), stsExp, CodeIncompleteSignature, 400,
			"AWS query-string parameters must include 'X-Amz-Credential'. AWS query-string parameters must include 'X-Amz-Signature'. " +
				"AWS query-string parameters must include 'X-Amz-SignedHeaders'. Re-examine the query-string parameters."},
		{"presign bad algorithm", httptest.NewRequest("GET", presignQuery("AWS4-HMAC-SHA1", "20240101T003000Z", "900"), nil), stsExp, CodeIncompleteSignature, 400,
			"X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\""},
		{"presign expires NaN", httptest.NewRequest("GET", presignQuery(Algorithm, "20240101T003000Z", "abc"), nil), stsExp, CodeIncompleteSignature, 400,
			"X-Amz-Expires should be a number"},
		{"presign expires negative", httptest.NewRequest("GET", presignQuery(Algorithm, "20240101T003000Z", "-1"), nil), stsExp, CodeIncompleteSignature, 400,
			"X-Amz-Expires must be non-negative"},
		{"presign expires too long", httptest.NewRequest("GET", presignQuery(Algorithm, "20240101T003000Z", "604801"), nil), stsExp, CodeIncompleteSignature, 400,
			"X-Amz-Expires must be less than a week (in seconds) that is 604800"},
		{"presign expired by X-Amz-Expires", httptest.NewRequest("GET", presignQuery(Algorithm, "20240101T002500Z", "60"), nil), stsExp, CodeSignatureDoesNotMatch, 403,
			"Signature expired: 20240101T002500Z is now earlier than 20240101T002900Z (20240101T003000Z - 60 sec.)"},
		{"presign expired by skew", httptest.NewRequest("GET", presignQuery(Algorithm, "20240101T000000Z", "3600"), nil), stsExp, CodeSignatureDoesNotMatch, 403,
			"Signature expired: 20240101T000000Z is now earlier than 20240101T001500Z (20240101T003000Z - 15 min.)"},
	}
	v := NewVerifier(fixedClock(t0))
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := v.Parse(c.req, []byte(stsBody), c.expect)
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("err = %v, want *Error", err)
			}
			if e.Code != c.code || e.HTTPStatus != c.status || e.Message != c.message {
				t.Errorf("got %s %d %q\nwant %s %d %q", e.Code, e.HTTPStatus, e.Message, c.code, c.status, c.message)
			}
		})
	}
}

// AnyTime (dev mode) accepts a signing time however far from the clock, and a presigned request past its
// X-Amz-Expires; everything else is still checked.
func TestParseAnyTime(t *testing.T) {
	v := NewVerifier(fixedClock(t0))
	anyTime := Expect{Region: "us-east-1", Service: "sts", AnyTime: true}
	good := "AWS4-HMAC-SHA256 Credential=" + testAKID + "/20200101/us-east-1/sts/aws4_request, SignedHeaders=host;x-amz-date, Signature=00"
	for name, r := range map[string]*http.Request{
		"years before":            headerReq(good, "20200101T000000Z"),
		"years after":             headerReq(strings.ReplaceAll(good, "20200101", "20300101"), "20300101T000000Z"),
		"presign past its expiry": httptest.NewRequest("GET", presignQuery(Algorithm, "20240101T002500Z", "60"), nil),
	} {
		if _, err := v.Parse(r, []byte(stsBody), anyTime); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		if _, err := v.Parse(r, []byte(stsBody), Expect{Region: "us-east-1", Service: "sts"}); err == nil {
			t.Errorf("%s: accepted without AnyTime", name)
		}
	}
	if _, err := v.Parse(headerReq(good, "20200102T000000Z"), []byte(stsBody), anyTime); err == nil {
		t.Error("a scope date that is not the signing date: accepted with AnyTime")
	}
	if _, err := v.Parse(headerReq(good, "20200101T000000Z"), []byte(stsBody), Expect{Region: "eu-west-1", Service: "sts", AnyTime: true}); err == nil {
		t.Error("wrong region: accepted with AnyTime")
	}
}

func presignQuery(alg, date, expires string) string {
	return "/?Action=GetCallerIdentity&X-Amz-Algorithm=" + alg + "&X-Amz-Credential=" + testAKID + "%2F" + date[:8] +
		"%2Fus-east-1%2Fsts%2Faws4_request&X-Amz-Date=" + date + "&X-Amz-Expires=" + expires + "&X-Amz-SignedHeaders=host&X-Amz-Signature=00"
}

func TestVerifyErrors(t *testing.T) {
	v := NewVerifier(fixedClock(t0))
	parse := func(r *http.Request, body string) *Request {
		t.Helper()
		p, err := v.Parse(r, []byte(body), stsExp)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	r := sdkSigned(t, "https://sts.amazonaws.com/", stsBody, "", "us-east-1", "sts", t0, nil)
	if err := v.Verify(parse(r, stsBody), testSecret); err != nil {
		t.Fatalf("in-process request: %v", err)
	}
	for name, mutate := range map[string]func(r *http.Request){
		"host changed":       func(r *http.Request) { r.Host = "sts.us-east-2.amazonaws.com" },
		"method changed":     func(r *http.Request) { r.Method = http.MethodPut },
		"path changed":       func(r *http.Request) { r.URL.Path = "/x" },
		"query added":        func(r *http.Request) { r.URL.RawQuery = "a=b" },
		"signed hdr changed": func(r *http.Request) { r.Header.Set("Content-Type", "text/plain") },
		"short signature": func(r *http.Request) {
			r.Header.Set("Authorization", r.Header.Get("Authorization")[:len(r.Header.Get("Authorization"))-2])
		},
		"non-hex signature": func(r *http.Request) {
			a := r.Header.Get("Authorization")
			r.Header.Set("Authorization", a[:len(a)-2]+"zz")
		},
		"content sha mismatch": func(r *http.Request) { r.Header.Set("X-Amz-Content-Sha256", hashHex([]byte("other"))) },
	} {
		r := sdkSigned(t, "https://sts.amazonaws.com/", stsBody, "", "us-east-1", "sts", t0, nil)
		mutate(r)
		err := v.Verify(parse(r, stsBody), testSecret)
		var e *Error
		if !errors.As(err, &e) || e.Code != CodeSignatureDoesNotMatch || e.HTTPStatus != 403 || e.Message != msgSignatureDoesNotMatch {
			t.Errorf("%s: err = %v", name, err)
		}
	}
	// A body other than the signed one.
	if err := v.Verify(parse(sdkSigned(t, "https://sts.amazonaws.com/", stsBody, "", "us-east-1", "sts", t0, nil), stsBody+"&X=1"), testSecret); !isCode(err, CodeSignatureDoesNotMatch) {
		t.Errorf("changed body: %v", err)
	}
	// X-Amz-Content-Sha256 equal to the body hash is accepted.
	r = sdkSigned(t, "https://sts.amazonaws.com/", stsBody, "", "us-east-1", "sts", t0, http.Header{"X-Amz-Content-Sha256": {hashHex([]byte(stsBody))}})
	if err := v.Verify(parse(r, stsBody), testSecret); err != nil {
		t.Errorf("declared body hash: %v", err)
	}
}

func TestDateHeaderFallback(t *testing.T) {
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.Host = "example.amazonaws.com"
	r.Header.Set("Date", t0.Format(http.TimeFormat))
	amz := t0.Format(amzDateFormat)
	sig := refSign("GET", "/", "", [][2]string{{"date", t0.Format(http.TimeFormat)}, {"host", "example.amazonaws.com"}}, hashHex(nil), amz, "20240101/us-east-1/sts/aws4_request", testSecret)
	r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+testAKID+"/20240101/us-east-1/sts/aws4_request, SignedHeaders=date;host, Signature="+sig)
	v := NewVerifier(fixedClock(t0))
	p, err := v.Parse(r, nil, stsExp)
	if err != nil {
		t.Fatal(err)
	}
	if err := v.Verify(p, testSecret); err != nil {
		t.Fatal(err)
	}
}

func TestKeyCacheBounded(t *testing.T) {
	c := newKeyCache(8)
	want := deriveKey("s", "20240101", "us-east-1", "sts")
	for i := range 100 {
		c.get("secret"+string(rune('a'+i%26))+strings.Repeat("x", i), "20240101", "us-east-1", "sts")
	}
	if len(c.keys) > 8 {
		t.Fatalf("cache holds %d keys, limit 8", len(c.keys))
	}
	if got := c.get("s", "20240101", "us-east-1", "sts"); got != want {
		t.Fatal("cached key differs from derived key")
	}
	if got := c.get("s", "20240101", "us-east-1", "sts"); got != want {
		t.Fatal("cache hit returns a different key")
	}
}

func TestErrorString(t *testing.T) {
	if got := InvalidClientTokenID().Error(); got != "InvalidClientTokenId: The security token included in the request is invalid." {
		t.Errorf("got %q", got)
	}
	if e := ExpiredToken(); e.HTTPStatus != 403 || e.Message != "The security token included in the request is expired" {
		t.Errorf("got %+v", e)
	}
}

func FuzzParse(f *testing.F) {
	f.Add("AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20240101/us-east-1/sts/aws4_request, SignedHeaders=host;x-amz-date, Signature=00", "20240101T003000Z", "a=b")
	f.Add("AWS4-HMAC-SHA256 Credential=/////, SignedHeaders=;;;, Signature=", "x", "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=a%2F20240101%2Fus-east-1%2Fsts%2Faws4_request&X-Amz-Date=20240101T003000Z&X-Amz-SignedHeaders=host&X-Amz-Signature=00&X-Amz-Expires=5")
	f.Add("", "", "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=a/20240101/us-east-1/sts/aws4_request&X-Amz-Date=20240101T003000Z&X-Amz-SignedHeaders=host;x&X-Amz-Signature=%zz")
	f.Add("AWS4-HMAC-SHA256 ,,,=,Credential==", "20240101T003000Z", "%%%&&&==")
	v := NewVerifier(fixedClock(t0))
	f.Fuzz(func(t *testing.T, auth, date, query string) {
		r := &http.Request{Method: "POST", Host: "sts.amazonaws.com", Header: http.Header{}, URL: mustURL(query)}
		if auth != "" {
			r.Header.Set("Authorization", auth)
		}
		if date != "" {
			r.Header.Set("X-Amz-Date", date)
		}
		p, err := v.Parse(r, []byte(stsBody), stsExp)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Code == "" || e.HTTPStatus == 0 {
				t.Fatalf("error not an *Error: %v", err)
			}
			return
		}
		if err := v.Verify(p, testSecret); err != nil && !isCode(err, CodeSignatureDoesNotMatch) {
			t.Fatalf("verify error %v", err)
		}
	})
}

func mustURL(rawQuery string) *url.URL { return &url.URL{Path: "/", RawQuery: rawQuery} }

func BenchmarkParseVerifySTS(b *testing.B) {
	v := NewVerifier(fixedClock(t0))
	r := sdkSigned(b, "https://sts.amazonaws.com/", stsBody, "", "us-east-1", "sts", t0, nil)
	r.Header.Set("User-Agent", "aws-sdk-go-v2/1.47.7 os/linux lang/go#1.26 md/GOOS#linux md/GOARCH#amd64 api/sts#1.51.8")
	body := []byte(stsBody)
	b.ReportAllocs()
	for b.Loop() {
		p, err := v.Parse(r, body, stsExp)
		if err != nil {
			b.Fatal(err)
		}
		if err := v.Verify(p, testSecret); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseVerifyPresigned(b *testing.B) {
	v := NewVerifier(fixedClock(t0))
	r, _ := http.NewRequest(http.MethodGet, "https://sts.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15", nil)
	u, _, err := v4.NewSigner().PresignHTTP(context.Background(), aws.Credentials{AccessKeyID: testAKID, SecretAccessKey: testSecret}, r, hashHex(nil), "sts", "us-east-1", t0)
	if err != nil {
		b.Fatal(err)
	}
	pr := httptest.NewRequest(http.MethodGet, u, nil)
	b.ReportAllocs()
	for b.Loop() {
		p, err := v.Parse(pr, nil, stsExp)
		if err != nil {
			b.Fatal(err)
		}
		if err := v.Verify(p, testSecret); err != nil {
			b.Fatal(err)
		}
	}
}

// TestConcurrentVerify shares one Verifier (and its key cache) between goroutines, with more distinct keys
// than the cache holds, as a busy server does; run with -race.
func TestConcurrentVerify(t *testing.T) {
	v := NewVerifier(fixedClock(t0))
	v.keys = newKeyCache(4)
	regions := []string{"us-east-1", "eu-west-1", "ap-south-1", "sa-east-1", "ca-central-1", "eu-north-1"}
	reqs := make([]*http.Request, len(regions))
	for i, region := range regions {
		reqs[i] = sdkSigned(t, "https://sts."+region+".amazonaws.com/", stsBody, "", region, "sts", t0, nil)
	}
	errs := make(chan error, 8*len(regions)*20)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for n := range 20 {
				for i, r := range reqs {
					p, err := v.Parse(r, []byte(stsBody), Expect{Region: regions[i], Service: "sts"})
					if err == nil {
						secret := testSecret
						if n%2 == 1 {
							secret = "wrong" // a wrong secret must fail even when the right key is cached
						}
						err = v.Verify(p, secret)
						if n%2 == 1 {
							if isCode(err, CodeSignatureDoesNotMatch) {
								err = nil
							} else {
								err = errors.New("wrong secret verified")
							}
						}
					}
					if err != nil {
						errs <- err
					}
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

// FuzzScope: whatever the Authorization header or query holds, Scope never panics, and when Parse accepts
// the request Scope names the very service and region Parse checked the signature against (the server
// routes by Scope, so any difference would let a request signed for one region act in another), and
// ClaimedAccessKeyID the very key Parse checked (the trail records a refusal under it).
func FuzzScope(f *testing.F) {
	f.Add("AWS4-HMAC-SHA256 Credential="+testAKID+"/20240101/us-west-2/sts/aws4_request, SignedHeaders=host;x-amz-date, Signature=00", "")
	f.Add("AWS4-HMAC-SHA256 Decoy=Credential="+testAKID+"/20240101/eu-west-1/sts/aws4_request, Credential="+testAKID+"/20240101/us-west-2/sts/aws4_request, SignedHeaders=host, Signature=00", "")
	f.Add("AWS4-HMAC-SHA256 Credential="+testAKID+"/20240101/eu-west-1/iam/aws4_request, Credential="+testAKID+"/20240101/us-west-2/sts/aws4_request, SignedHeaders=host, Signature=00", "")
	f.Add("AWS4-HMAC-SHA256 SignedHeaders=host;x-Credential=a/20240101/eu-west-1/sts/aws4_request, Credential="+testAKID+"/20240101/us-west-2/sts/aws4_request, Signature=00", "")
	f.Add("", "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential="+testAKID+"%2F20240101%2Fus-west-2%2Fsts%2Faws4_request&X-Amz-Date=20240101T003000Z&X-Amz-SignedHeaders=host&X-Amz-Signature=00&X-Amz-Credential=a%2F20240101%2Feu-west-1%2Fsts%2Faws4_request")
	f.Add("AWS4-HMAC-SHA256 Credential=a/b/c/d/e/f, ,=,", "X-Amz-Credential=%2F%2F%2F%2F")
	v := NewVerifier(fixedClock(t0))
	f.Fuzz(func(t *testing.T, auth, query string) {
		r := &http.Request{Method: "POST", Host: "127.0.0.1:8300", Header: http.Header{}, URL: mustURL(query)}
		if auth != "" {
			r.Header.Set("Authorization", auth)
		}
		r.Header.Set("X-Amz-Date", "20240101T003000Z")
		service, region := Scope(r)
		keyID := ClaimedAccessKeyID(r)
		p, err := v.Parse(r, []byte(stsBody), Expect{})
		if err != nil {
			return
		}
		if service != p.Service || region != p.Region {
			t.Fatalf("Scope read %q %q, Parse checked %q %q", service, region, p.Service, p.Region)
		}
		if keyID != p.AccessKeyID {
			t.Fatalf("ClaimedAccessKeyID read %q, Parse checked %q", keyID, p.AccessKeyID)
		}
	})
}
