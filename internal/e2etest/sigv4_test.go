package e2etest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/iamd/iamd/internal/ids"
	"github.com/iamd/iamd/internal/token"
)

// AWS's wording of the authentication failures (docs/aws-behavior.md, "Authentication errors and the
// query protocol"), spelled out here rather than taken
// from the sigv4 package so that a change there cannot silently change what clients see.
const (
	sigMsgMissingAuth   = "Request is missing Authentication Token"
	sigMsgInvalidToken  = "The security token included in the request is invalid."
	sigMsgMismatch      = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
	sigMsgExpiredToken  = "The security token included in the request is expired"
	sigMsgWrongRegion   = "Credential should be scoped to a valid region. "
	wireNSSTS           = "https://sts.amazonaws.com/doc/2011-06-15/"
	wireNSIAM           = "https://iam.amazonaws.com/doc/2010-05-08/"
	wireFormContentType = "application/x-www-form-urlencoded; charset=utf-8"
	wireJSONContentType = "application/x-amz-json-1.1"
	wireAmzDate         = "20060102T150405Z"
	wireUnsignedPayload = "UNSIGNED-PAYLOAD"
	wireHTTPTimeout     = 30 * time.Second
)

// wireCall is one request as a client puts it on the wire: an awsQuery form, a rest-json body or a json
// body with its X-Amz-Target.
type wireCall struct {
	name        string // "query" or "rest-json", for subtest names
	service     string // signing name
	method      string
	path        string
	contentType string
	target      string // X-Amz-Target (json protocol)
	body        string
	// errNS is the XML namespace of query errors; "" for rest-json.
	errNS string
}

// The two wire formats every authentication failure is checked in.
var (
	stsCall = wireCall{name: "query", service: "sts", method: http.MethodPost, path: "/", contentType: wireFormContentType,
		body: "Action=GetCallerIdentity&Version=2011-06-15", errNS: wireNSSTS}
	accountCall = wireCall{name: "rest-json", service: "account", method: http.MethodPost, path: "/listRegions",
		contentType: "application/json", body: "{}"}
	wireCalls = []wireCall{stsCall, accountCall}
)

// reqSigner signs requests as an SDK would, with a chosen time, region and service.
type reqSigner struct {
	id, secret, token string
}

func rootSigner() reqSigner { return reqSigner{id: RootKeyID, secret: RootSecret} }

// request builds a request of c to the server, optionally with a Host that names an AWS endpoint.
func (s *Server) request(t testing.TB, c wireCall, host string) *http.Request {
	t.Helper()
	r, err := http.NewRequest(c.method, s.URL+c.path, strings.NewReader(c.body))
	if err != nil {
		t.Fatal(err)
	}
	if c.contentType != "" {
		r.Header.Set("Content-Type", c.contentType)
	}
	if c.target != "" {
		r.Header.Set("X-Amz-Target", c.target)
	}
	if host != "" {
		r.Host = host
	}
	return r
}

func wirePayloadHash(body string) string {
	h := sha256.Sum256([]byte(body))
	return hex.EncodeToString(h[:])
}

// sign adds a SigV4 Authorization header for service and region at time at.
func (g reqSigner) sign(t testing.TB, r *http.Request, body, service, region string, at time.Time) *http.Request {
	t.Helper()
	creds := aws.Credentials{AccessKeyID: g.id, SecretAccessKey: g.secret, SessionToken: g.token}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, r, wirePayloadHash(body), service, region, at); err != nil {
		t.Fatal(err)
	}
	return r
}

// presign moves the signature into the query string (X-Amz-Expires seconds, 0 for none).
func (g reqSigner) presign(t testing.TB, r *http.Request, body, service, region string, at time.Time, expires int) *http.Request {
	t.Helper()
	if expires > 0 {
		q := r.URL.Query()
		q.Set("X-Amz-Expires", wireItoa(expires))
		r.URL.RawQuery = q.Encode()
	}
	creds := aws.Credentials{AccessKeyID: g.id, SecretAccessKey: g.secret, SessionToken: g.token}
	u, hdr, err := v4.NewSigner().PresignHTTP(context.Background(), creds, r, wirePayloadHash(body), service, region, at)
	if err != nil {
		t.Fatal(err)
	}
	out, err := http.NewRequest(r.Method, u, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	out.Host = r.Host
	for k, v := range hdr {
		if !strings.EqualFold(k, "Host") {
			out.Header[k] = v
		}
	}
	return out
}

func wireItoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// wireResponse is what came back, with the error parsed from either wire format.
type wireResponse struct {
	status int
	header http.Header
	body   []byte
	// Error fields; empty for a success.
	code, message, fault, requestID, xmlNS string
}

// wireClient never follows redirects: AWS endpoints do not redirect API calls, so a 3xx is a finding.
var wireClient = &http.Client{Timeout: wireHTTPTimeout,
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// do sends r and parses the answer; it fails the test on anything that is not a well-formed AWS wireResponse
// for the protocol of c (errNS set: awsQuery XML; else rest-json).
func doWire(t testing.TB, r *http.Request, restJSON bool) *wireResponse {
	t.Helper()
	resp, err := wireClient.Do(r)
	if err != nil {
		t.Fatalf("%s %s: %v", r.Method, r.URL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	out := &wireResponse{status: resp.StatusCode, header: resp.Header, body: body}
	if resp.StatusCode >= 500 && resp.StatusCode != http.StatusNotImplemented {
		t.Errorf("%s %s: status %d (a server error): %s", r.Method, r.URL.Path, resp.StatusCode, body)
	}
	if resp.StatusCode < 300 {
		return out
	}
	if err := out.parseError(restJSON); err != nil {
		t.Errorf("%s %s: status %d, malformed error (%v): %q", r.Method, r.URL.Path, resp.StatusCode, err, body)
	}
	return out
}

type xmlErrorResponse struct {
	XMLName xml.Name `xml:"ErrorResponse"`
	Error   struct {
		Type    string `xml:"Type"`
		Code    string `xml:"Code"`
		Message string `xml:"Message"`
	} `xml:"Error"`
	RequestID string `xml:"RequestId"`
}

// parseError reads an awsQuery ErrorResponse, a rest-json error (X-Amzn-ErrorType + {"message"}) or,
// when restJSON is set and the body says so by its Content-Type, a json-protocol error ({"__type",
// "message"}).
func (r *wireResponse) parseError(restJSON bool) error {
	hdrID := r.header.Get("X-Amzn-Requestid")
	if hdrID == "" {
		return wireErrorf("no x-amzn-RequestId header")
	}
	if restJSON && strings.HasPrefix(r.header.Get("Content-Type"), "application/x-amz-json-") {
		var body struct {
			Type    string `json:"__type"`
			Message string `json:"message"`
		}
		if err := json.Unmarshal(r.body, &body); err != nil {
			return err
		}
		if body.Type == "" {
			return wireErrorf("no __type")
		}
		r.code, r.message, r.requestID = body.Type, body.Message, hdrID
		return nil
	}
	if restJSON {
		if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
			return wireErrorf("content type %q", ct)
		}
		code, _, _ := strings.Cut(r.header.Get("X-Amzn-Errortype"), ":")
		var body map[string]any
		if err := json.Unmarshal(r.body, &body); err != nil {
			return err
		}
		msg, _ := body["message"].(string)
		if msg == "" {
			msg, _ = body["Message"].(string)
		}
		if code == "" {
			return wireErrorf("no X-Amzn-ErrorType")
		}
		r.code, r.message, r.requestID = code, msg, hdrID
		return nil
	}
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/xml") {
		return wireErrorf("content type %q", ct)
	}
	var e xmlErrorResponse
	if err := xml.Unmarshal(r.body, &e); err != nil {
		return err
	}
	r.code, r.message, r.fault, r.requestID, r.xmlNS = e.Error.Code, e.Error.Message, e.Error.Type, e.RequestID, e.XMLName.Space
	if r.code == "" {
		return wireErrorf("no Code")
	}
	if r.requestID != hdrID {
		return wireErrorf("RequestId %q in the body, %q in the header", r.requestID, hdrID)
	}
	wantFault := "Sender"
	if r.status >= 500 {
		wantFault = "Receiver"
	}
	if r.fault != wantFault {
		return wireErrorf("Type %q for status %d", r.fault, r.status)
	}
	return nil
}

func wireErrorf(format string, args ...any) error { return fmt.Errorf(format, args...) }

// expect checks code, status and message; a message starting with "~" is a regular expression.
func (r *wireResponse) expect(t testing.TB, c wireCall, status int, code, message string) {
	t.Helper()
	if r.status != status || r.code != code {
		t.Fatalf("%s: got %d %s (%q), want %d %s", c.name, r.status, r.code, r.message, status, code)
	}
	if strings.HasPrefix(message, "~") {
		if !regexp.MustCompile(message[1:]).MatchString(r.message) {
			t.Fatalf("%s: message %q does not match %s", c.name, r.message, message[1:])
		}
	} else if r.message != message {
		t.Fatalf("%s: message %q, want %q", c.name, r.message, message)
	}
	if c.errNS != "" && r.xmlNS != c.errNS {
		t.Fatalf("%s: error namespace %q, want %q", c.name, r.xmlNS, c.errNS)
	}
}

func (r *wireResponse) ok(t testing.TB, c wireCall) {
	t.Helper()
	if r.status != http.StatusOK {
		t.Fatalf("%s: status %d: %s", c.name, r.status, r.body)
	}
}

// Every SigV4 failure of docs/aws-behavior.md ("Authentication errors and the query protocol"), through the real server, in both wire formats.
func TestSigV4Failures(t *testing.T) {
	s := Start(t, Options{})
	root := rootSigner()
	now := time.Now().UTC()
	// The clock-skew messages name the request's date and the server's window: match the shape, not the
	// server's exact second.
	amz := `\d{8}T\d{6}Z`

	// An expired session token of the root, sealed with the server's own key ring.
	expired := sealSession(t, s, now.Add(-2*time.Hour), now.Add(-time.Hour))
	live := sealSession(t, s, now.Add(-time.Minute), now.Add(time.Hour))

	for _, c := range wireCalls {
		t.Run(c.name, func(t *testing.T) {
			restJSON := c.errNS == ""
			run := func(r *http.Request) *wireResponse { t.Helper(); return doWire(t, r, restJSON) }

			// The control: a good signature works.
			run(root.sign(t, s.request(t, c, ""), c.body, c.service, "us-east-1", now)).ok(t, c)
			run(reqSigner{id: live.id, secret: live.secret, token: live.token}.
				sign(t, s.request(t, c, ""), c.body, c.service, "us-east-1", now)).ok(t, c)

			run(s.request(t, c, "")).expect(t, c, 403, "MissingAuthenticationToken", sigMsgMissingAuth)

			r := s.request(t, c, "")
			r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+RootKeyID+"/"+now.Format("20060102")+"/us-east-1/"+c.service+"/aws4_request")
			r.Header.Set("X-Amz-Date", now.Format(wireAmzDate))
			run(r).expect(t, c, 400, "IncompleteSignature",
				"~^Authorization header requires 'Signature' parameter\\. Authorization header requires 'SignedHeaders' parameter\\. Authorization=AWS4-HMAC-SHA256 Credential=")

			r = s.request(t, c, "")
			r.Header.Set("Authorization", "garbage")
			run(r).expect(t, c, 400, "IncompleteSignature", "~Authorization=garbage$")

			// A signature cut short (a proxy truncating the header) no longer matches.
			r = root.sign(t, s.request(t, c, ""), c.body, c.service, "us-east-1", now)
			a := r.Header.Get("Authorization")
			r.Header.Set("Authorization", a[:len(a)-10])
			run(r).expect(t, c, 403, "SignatureDoesNotMatch", sigMsgMismatch)

			unknown, err := ids.NewAccessKeyID(ids.PrefixAccessKey, AccountID)
			if err != nil {
				t.Fatal(err)
			}
			run(reqSigner{id: unknown, secret: RootSecret}.sign(t, s.request(t, c, ""), c.body, c.service, "us-east-1", now)).
				expect(t, c, 403, "InvalidClientTokenId", sigMsgInvalidToken)

			// The ASIA key of a live session, without its token.
			run(reqSigner{id: live.id, secret: live.secret}.sign(t, s.request(t, c, ""), c.body, c.service, "us-east-1", now)).
				expect(t, c, 403, "InvalidClientTokenId", sigMsgInvalidToken)
			// … and with another session's token.
			run(reqSigner{id: live.id, secret: live.secret, token: expired.token}.sign(t, s.request(t, c, ""), c.body, c.service, "us-east-1", now)).
				expect(t, c, 403, "InvalidClientTokenId", sigMsgInvalidToken)

			// A long-term key with a session token (a stale AWS_SESSION_TOKEN), even a real one.
			run(reqSigner{id: RootKeyID, secret: RootSecret, token: live.token}.sign(t, s.request(t, c, ""), c.body, c.service, "us-east-1", now)).
				expect(t, c, 403, "InvalidClientTokenId", sigMsgInvalidToken)

			run(reqSigner{id: RootKeyID, secret: "not" + RootSecret[3:]}.sign(t, s.request(t, c, ""), c.body, c.service, "us-east-1", now)).
				expect(t, c, 403, "SignatureDoesNotMatch", sigMsgMismatch)

			// The body is signed: changing it after signing breaks the signature.
			r = root.sign(t, s.request(t, c, ""), c.body, c.service, "us-east-1", now)
			r.Body = io.NopCloser(strings.NewReader(c.body + " "))
			r.ContentLength++
			run(r).expect(t, c, 403, "SignatureDoesNotMatch", sigMsgMismatch)

			run(reqSigner{id: expired.id, secret: expired.secret, token: expired.token}.
				sign(t, s.request(t, c, ""), c.body, c.service, "us-east-1", now)).
				expect(t, c, 403, "ExpiredToken", sigMsgExpiredToken)

			run(root.sign(t, s.request(t, c, ""), c.body, c.service, "us-east-1", now.Add(-16*time.Minute))).
				expect(t, c, 403, "SignatureDoesNotMatch", "~^Signature expired: "+amz+" is now earlier than "+amz+" \\("+amz+" - 15 min\\.\\)$")
			run(root.sign(t, s.request(t, c, ""), c.body, c.service, "us-east-1", now.Add(16*time.Minute))).
				expect(t, c, 403, "SignatureDoesNotMatch", "~^Signature not yet current: "+amz+" is still later than "+amz+" \\("+amz+" \\+ 15 min\\.\\)$")

			// A region that does not exist, to the bare host:port.
			run(root.sign(t, s.request(t, c, ""), c.body, c.service, "xx-nowhere-1", now)).
				expect(t, c, 403, "SignatureDoesNotMatch", sigMsgWrongRegion)

			// Presigned: valid, expired by the 15-minute window, expired by a shorter X-Amz-Expires.
			run(root.presign(t, s.request(t, c, ""), c.body, c.service, "us-east-1", now, 0)).ok(t, c)
			run(root.presign(t, s.request(t, c, ""), c.body, c.service, "us-east-1", now, 300)).ok(t, c)
			run(root.presign(t, s.request(t, c, ""), c.body, c.service, "us-east-1", now.Add(-16*time.Minute), 0)).
				expect(t, c, 403, "SignatureDoesNotMatch", "~^Signature expired: "+amz+" is now earlier than")
			run(root.presign(t, s.request(t, c, ""), c.body, c.service, "us-east-1", now.Add(-2*time.Minute), 60)).
				expect(t, c, 403, "SignatureDoesNotMatch", "~^Signature expired: "+amz+" is now earlier than "+amz+" \\("+amz+" - 60 sec\\.\\)$")
			pr := root.presign(t, s.request(t, c, ""), c.body, c.service, "us-east-1", now, 0)
			q := pr.URL.Query()
			q.Set("X-Amz-Signature", strings.Repeat("0", 64))
			pr.URL.RawQuery = q.Encode()
			run(pr).expect(t, c, 403, "SignatureDoesNotMatch", sigMsgMismatch)
		})
	}
}

// The Host names an AWS endpoint; the credential scope must agree with it.
func TestSigV4ScopeAgainstHost(t *testing.T) {
	s := Start(t, Options{})
	root := rootSigner()
	now := time.Now().UTC()
	cases := []struct {
		c               wireCall
		host            string
		service, region string
		status          int
		code, message   string
	}{
		{stsCall, "sts.us-west-2.amazonaws.com", "sts", "us-west-2", 200, "", ""},
		{stsCall, "sts.us-west-2.amazonaws.com", "sts", "eu-west-1", 403, "SignatureDoesNotMatch", sigMsgWrongRegion},
		{stsCall, "sts.amazonaws.com", "sts", "us-east-1", 200, "", ""},
		{stsCall, "sts.amazonaws.com", "sts", "eu-west-1", 403, "SignatureDoesNotMatch", sigMsgWrongRegion},
		{stsCall, "sts.us-west-2.amazonaws.com", "iam", "us-west-2", 403, "SignatureDoesNotMatch",
			"Credential should be scoped to correct service: 'sts'. "},
		{stsCall, "sts.us-west-2.amazonaws.com", "iam", "eu-west-1", 403, "SignatureDoesNotMatch",
			sigMsgWrongRegion + "Credential should be scoped to correct service: 'sts'. "},
		{accountCall, "account.us-east-1.amazonaws.com", "account", "us-east-1", 200, "", ""},
		{accountCall, "account.us-east-1.amazonaws.com", "account", "eu-west-1", 403, "SignatureDoesNotMatch", sigMsgWrongRegion},
		{accountCall, "account.us-east-1.amazonaws.com", "sts", "us-east-1", 403, "SignatureDoesNotMatch",
			"Credential should be scoped to correct service: 'account'. "},
		{wireCall{name: "query", service: "iam", method: http.MethodPost, path: "/", contentType: wireFormContentType,
			body: "Action=GetAccountSummary&Version=2010-05-08", errNS: wireNSIAM}, "iam.amazonaws.com", "sts", "us-east-1",
			403, "SignatureDoesNotMatch", "Credential should be scoped to correct service: 'iam'. "},
	}
	for _, tc := range cases {
		r := root.sign(t, s.request(t, tc.c, tc.host), tc.c.body, tc.service, tc.region, now)
		got := doWire(t, r, tc.c.errNS == "")
		if tc.status == 200 {
			if got.status != 200 {
				t.Errorf("%s signed %s/%s: %d %s %q", tc.host, tc.service, tc.region, got.status, got.code, got.message)
			}
			continue
		}
		if got.status != tc.status || got.code != tc.code || got.message != tc.message {
			t.Errorf("%s signed %s/%s: got %d %s %q, want %d %s %q", tc.host, tc.service, tc.region,
				got.status, got.code, got.message, tc.status, tc.code, tc.message)
		}
	}
	// To a bare host:port the scope's service decides; an unknown one falls back to the protocol's guess,
	// which then insists on its own name.
	r := root.sign(t, s.request(t, stsCall, ""), stsCall.body, "s3", "us-east-1", now)
	doWire(t, r, false).expect(t, stsCall, 403, "SignatureDoesNotMatch", "Credential should be scoped to correct service: 'sts'. ")
}

// AssumeRoleWithWebIdentity and AssumeRoleWithSAML are called without credentials: the request reaches
// STS, which answers with its own verdict, never MissingAuthenticationToken.
func TestUnsignedFederationReachesSTS(t *testing.T) {
	s := Start(t, Options{})
	forms := []string{
		"Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fweb" +
			"&RoleSessionName=session&WebIdentityToken=eyJhbGciOiJIUzI1NiJ9.e30.c2lnbmF0dXJl",
		"Action=AssumeRoleWithSAML&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fsaml" +
			"&PrincipalArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Asaml-provider%2Fidp&SAMLAssertion=" +
			strings.Repeat("PHNhbWw+", 1),
	}
	for _, path := range []string{"/", "/global"} {
		for _, form := range forms {
			c := stsCall
			c.path, c.body = path, form
			got := doWire(t, s.request(t, c, ""), false)
			if got.code == "MissingAuthenticationToken" || got.code == "IncompleteSignature" {
				t.Errorf("%s %s: %d %s: the unsigned call did not reach STS", path, form[:40], got.status, got.code)
			}
			if got.code == "NotImplemented" && got.status != 501 {
				t.Errorf("NotImplemented with status %d", got.status)
			}
			if got.status == 200 {
				t.Errorf("%s: a made-up token was accepted: %s", form[:40], got.body)
			}
			t.Logf("%s %s → %d %s: %s", path, form[7:32], got.status, got.code, got.message)
		}
	}
	// Any other STS operation unsigned is refused before it runs.
	c := stsCall
	c.body = "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fr&RoleSessionName=s1"
	doWire(t, s.request(t, c, ""), false).expect(t, c, 403, "MissingAuthenticationToken", sigMsgMissingAuth)
}

// A key stops working as soon as it is deactivated or deleted, and works again when reactivated.
func TestSigV4DeactivatedAndDeletedKeys(t *testing.T) {
	s := Start(t, Options{})
	ctx := context.Background()
	c := s.IAM(RootCreds())
	if _, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("alice")}); err != nil {
		t.Fatal(err)
	}
	k, err := c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("alice")})
	if err != nil {
		t.Fatal(err)
	}
	alice := reqSigner{id: aws.ToString(k.AccessKey.AccessKeyId), secret: aws.ToString(k.AccessKey.SecretAccessKey)}
	// The caches of the authenticator follow the store's change notifications, which arrive shortly after
	// the commit: wait (boundedly) for the expected verdict rather than assuming it is immediate.
	eventually := func(call wireCall, wantCode string) {
		t.Helper()
		var got *wireResponse
		for i := 0; i < 200; i++ {
			r := alice.sign(t, s.request(t, call, ""), call.body, call.service, "us-east-1", time.Now().UTC())
			got = doWire(t, r, call.errNS == "")
			if got.code == wantCode {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		switch wantCode {
		case "":
			if got.status != 200 {
				t.Fatalf("%s: %d %s %q", call.name, got.status, got.code, got.message)
			}
		default:
			got.expect(t, call, 403, wantCode, sigMsgInvalidToken)
		}
	}
	eventually(stsCall, "")
	set := func(st iamtypes.StatusType) {
		t.Helper()
		if _, err := c.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{UserName: aws.String("alice"),
			AccessKeyId: aws.String(alice.id), Status: st}); err != nil {
			t.Fatal(err)
		}
	}
	set(iamtypes.StatusTypeInactive)
	eventually(stsCall, "InvalidClientTokenId")
	eventually(accountCall, "InvalidClientTokenId")
	set(iamtypes.StatusTypeActive)
	eventually(stsCall, "")
	if _, err := c.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: aws.String("alice"), AccessKeyId: aws.String(alice.id)}); err != nil {
		t.Fatal(err)
	}
	eventually(stsCall, "InvalidClientTokenId")
	eventually(accountCall, "InvalidClientTokenId")
}

// sealedSession is a sealed root session of the test account.
type sealedSession struct{ id, secret, token string }

func sealSession(t testing.TB, s *Server, issued, expires time.Time) sealedSession {
	t.Helper()
	id, err := ids.NewAccessKeyID(ids.PrefixTemporaryAccessKey, AccountID)
	if err != nil {
		t.Fatal(err)
	}
	secret := ids.NewSecretAccessKey()
	tok, err := s.App.Tokens.Seal(&token.Claims{Version: 2, AccessKeyID: id, SecretAccessKey: secret, AccountID: AccountID,
		Partition: "aws", Kind: token.KindRootSession, Issuer: "GetSessionToken", PrincipalID: AccountID,
		IssuedAt: issued, Expiration: expires})
	if err != nil {
		t.Fatal(err)
	}
	return sealedSession{id: id, secret: secret, token: tok}
}
