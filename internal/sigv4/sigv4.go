// Package sigv4 verifies AWS Signature Version 4 on incoming requests, in the Authorization header form and
// the presigned query form, with AWS's error codes and wording.
//
// Verification is split in two so the server can look the key up in between: Parse checks everything that
// needs no secret (syntax, date, clock skew, credential scope against the endpoint's region and service) and
// returns the access key ID and session token; the caller then looks the key up (answering
// InvalidClientTokenID or ExpiredToken itself) and calls Verify with the secret, which recomputes the
// signature. Parse needs the whole request body, already read (and size-limited) by the caller.
package sigv4

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Algorithm is the only signing algorithm accepted.
const Algorithm = "AWS4-HMAC-SHA256"

// Limits and fixed values of the protocol.
const (
	// MaxSkew is how far X-Amz-Date may be from the server clock, in either direction.
	MaxSkew = 15 * time.Minute
	// MaxPresignExpires is the largest X-Amz-Expires AWS accepts (one week, in seconds).
	MaxPresignExpires = 604800
	// scopeTerminator ends every credential scope.
	scopeTerminator = "aws4_request"
	// UnsignedPayload is the payload hash clients send when they do not sign the body.
	UnsignedPayload = "UNSIGNED-PAYLOAD"
	amzDateFormat   = "20060102T150405Z"
	// credentialParts is the number of slash-separated elements of a credential.
	credentialParts = 5
	// maxSignedHeaders bounds the work a client can ask for in SignedHeaders.
	maxSignedHeaders = 64
	// maxQueryParams bounds the query pairs parsed for the canonical query string.
	maxQueryParams = 1024
)

// Header and query parameter names.
const (
	headerAuthorization  = "Authorization"
	headerAmzDate        = "X-Amz-Date"
	headerDate           = "Date"
	headerSecurityToken  = "X-Amz-Security-Token"
	headerContentSHA256  = "X-Amz-Content-Sha256"
	queryAlgorithm       = "X-Amz-Algorithm"
	queryCredential      = "X-Amz-Credential"
	queryDate            = "X-Amz-Date"
	queryExpires         = "X-Amz-Expires"
	querySignedHeaders   = "X-Amz-SignedHeaders"
	querySignature       = "X-Amz-Signature"
	querySecurityToken   = "X-Amz-Security-Token"
	signedHeaderHost     = "host"
	signedHeaderAuthorty = ":authority"
)

// Expect names the region and service the endpoint serves; the credential scope must match them.
// An empty field is not checked.
type Expect struct {
	Region  string
	Service string
	// AnyTime accepts any signing time: neither the clock skew nor a presigned request's expiry is
	// checked (dev mode, where test suites sign with a frozen clock).
	AnyTime bool
}

// Request is a parsed, not yet verified, signed request.
type Request struct {
	AccessKeyID   string
	Date          time.Time // the signing time (X-Amz-Date, or the Date header)
	AmzDate       string    // the signing time in ISO 8601 basic format, as it enters the string to sign
	ScopeDate     string    // YYYYMMDD of the credential scope
	Region        string
	Service       string
	SignedHeaders []string
	Signature     string // hex, as sent
	SecurityToken string // X-Amz-Security-Token, empty for long-term keys
	Presigned     bool
	Expires       time.Duration // X-Amz-Expires of a presigned request; 0 if absent
	hasExpires    bool
	terminator    string // last element of the credential scope; must be aws4_request

	signedHeadersRaw string
	query            []queryPair // decoded query parameters
	http             *http.Request
	body             []byte
}

// Verifier parses and verifies signed requests. It is safe for concurrent use.
type Verifier struct {
	now  func() time.Time
	keys *keyCache
}

// NewVerifier returns a Verifier using now as its clock.
func NewVerifier(now func() time.Time) *Verifier {
	return &Verifier{now: now, keys: newKeyCache(keyCacheSize)}
}

// Parse reads the signature of r (body is the request body, already read by the caller) and checks what
// needs no secret. The error, if any, is an *Error.
func (v *Verifier) Parse(r *http.Request, body []byte, expect Expect) (*Request, error) {
	req := &Request{http: r, body: body}
	var err *Error
	req.query, err = parseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, err
	}
	auth := r.Header.Get(headerAuthorization)
	_, hasQueryAuth := findQuery(req.query, queryAlgorithm)
	if !hasQueryAuth {
		_, hasQueryAuth = findQuery(req.query, querySignature)
	}
	switch {
	case auth != "" && hasQueryAuth:
		return nil, incomplete(msgOneAuthMechanism)
	case auth != "":
		err = req.parseHeaderForm(auth)
	case hasQueryAuth:
		err = req.parseQueryForm()
	default:
		return nil, missingAuthenticationToken()
	}
	if err != nil {
		return nil, err
	}
	if err := req.check(v.now(), expect); err != nil {
		return nil, err
	}
	return req, nil
}

func (req *Request) parseHeaderForm(auth string) *Error {
	r := req.http
	alg, rest, _ := strings.Cut(auth, " ")
	if alg != Algorithm {
		if strings.HasPrefix(alg, "AWS4-") {
			return incomplete(fmt.Sprintf("Unsupported AWS 'algorithm': '%s'.", alg))
		}
		// Not SigV4 at all (Basic, Bearer, SigV2 "AWS key:sig"): AWS reports every part as missing.
		return missingParts(true, true, true, !hasDateHeader(r), auth)
	}
	p, bad := headerParams(rest)
	if bad != "" {
		return incomplete(fmt.Sprintf("'%s' not a valid key=value pair (missing equal-sign) in Authorization header: '%s'.", bad, auth))
	}
	credential, signedHeaders, signature := p.credential, p.signedHeaders, p.signature
	haveCred, haveSH, haveSig := p.haveCred, p.haveSH, p.haveSig
	hasDate := hasDateHeader(r)
	if !haveCred || !haveSH || !haveSig || !hasDate {
		return missingParts(!haveCred, !haveSig, !haveSH, !hasDate, auth)
	}
	if err := req.setCredential(credential); err != nil {
		return err
	}
	if err := req.setSignedHeaders(signedHeaders); err != nil {
		return err
	}
	req.Signature = signature
	req.SecurityToken = r.Header.Get(headerSecurityToken)
	if d := r.Header.Get(headerAmzDate); d != "" {
		return req.setAmzDate(d)
	}
	d := r.Header.Get(headerDate)
	t, perr := http.ParseTime(d)
	if perr != nil {
		return badDate(d)
	}
	req.Date = t.UTC()
	req.AmzDate = req.Date.Format(amzDateFormat)
	return nil
}

// authParams are the parameters of a SigV4 Authorization header.
type authParams struct {
	credential, signedHeaders, signature string
	haveCred, haveSH, haveSig            bool
}

// headerParams reads the comma-separated key=value parameters that follow the algorithm in an
// Authorization header; bad is the first part without an equal sign. A repeated parameter's last value
// wins and unknown parameters are ignored. Parse and Scope both read the header through it, so the
// endpoint a request is routed to is the one its signature is checked against.
func headerParams(rest string) (p authParams, bad string) {
	for part := range strings.SplitSeq(rest, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		k, val, ok := strings.Cut(part, "=")
		if !ok {
			return p, part
		}
		switch k {
		case "Credential":
			p.credential, p.haveCred = val, true
		case "SignedHeaders":
			p.signedHeaders, p.haveSH = val, true
		case "Signature":
			p.signature, p.haveSig = val, true
		}
	}
	return p, ""
}

// Scope returns the service and region of the request's credential scope, read exactly as Parse reads
// them (the Authorization header if present, else X-Amz-Credential), or "" when the request carries no
// well-formed credential. It validates nothing else; the server resolves the endpoint from it, and Parse
// then checks the same scope against that endpoint.
func Scope(r *http.Request) (service, region string) {
	c, _ := credential(r)
	return c.Service, c.Region
}

// ClaimedAccessKeyID returns the access key ID of the request's credential, read as Scope reads it, or ""
// when the request carries no well-formed credential. Nothing vouches for it: the audit trail records a
// refused signature in the account the claimed key names.
func ClaimedAccessKeyID(r *http.Request) string {
	c, _ := credential(r)
	return c.AccessKeyID
}

// credential is the request's credential, read as Parse reads it, and whether it is well formed.
func credential(r *http.Request) (Request, bool) {
	var cred string
	if auth := r.Header.Get(headerAuthorization); auth != "" {
		alg, rest, _ := strings.Cut(auth, " ")
		if alg != Algorithm {
			return Request{}, false
		}
		p, bad := headerParams(rest)
		if bad != "" || !p.haveCred {
			return Request{}, false
		}
		cred = p.credential
	} else if r.URL.RawQuery != "" {
		q, err := parseQuery(r.URL.RawQuery)
		if err != nil {
			return Request{}, false
		}
		cred, _ = findQuery(q, queryCredential)
	}
	var req Request
	if req.setCredential(cred) != nil {
		return Request{}, false
	}
	return req, true
}

func hasDateHeader(r *http.Request) bool {
	return r.Header.Get(headerAmzDate) != "" || r.Header.Get(headerDate) != ""
}

func (req *Request) parseQueryForm() *Error {
	req.Presigned = true
	alg, hasAlg := findQuery(req.query, queryAlgorithm)
	cred, hasCred := findQuery(req.query, queryCredential)
	sig, hasSig := findQuery(req.query, querySignature)
	sh, hasSH := findQuery(req.query, querySignedHeaders)
	date, hasDate := findQuery(req.query, queryDate)
	if !hasAlg || !hasCred || !hasSig || !hasSH || !hasDate {
		var b strings.Builder
		for _, m := range []struct {
			name    string
			present bool
		}{{queryAlgorithm, hasAlg}, {queryCredential, hasCred}, {querySignature, hasSig}, {querySignedHeaders, hasSH}, {queryDate, hasDate}} {
			if !m.present {
				fmt.Fprintf(&b, "AWS query-string parameters must include '%s'. ", m.name)
			}
		}
		b.WriteString("Re-examine the query-string parameters.")
		return incomplete(b.String())
	}
	if alg != Algorithm {
		return incomplete(fmt.Sprintf("X-Amz-Algorithm only supports \"%s\"", Algorithm))
	}
	if err := req.setCredential(cred); err != nil {
		return err
	}
	if err := req.setSignedHeaders(sh); err != nil {
		return err
	}
	req.Signature = sig
	req.SecurityToken, _ = findQuery(req.query, querySecurityToken)
	if exp, ok := findQuery(req.query, queryExpires); ok {
		n, err := strconv.ParseInt(exp, 10, 64)
		switch {
		case err != nil:
			return incomplete("X-Amz-Expires should be a number")
		case n < 0:
			return incomplete("X-Amz-Expires must be non-negative")
		case n > MaxPresignExpires:
			return incomplete(fmt.Sprintf("X-Amz-Expires must be less than a week (in seconds) that is %d", MaxPresignExpires))
		}
		req.Expires, req.hasExpires = time.Duration(n)*time.Second, true
	}
	return req.setAmzDate(date)
}

func (req *Request) setCredential(cred string) *Error {
	// AKID/YYYYMMDD/REGION/SERVICE/aws4_request; the key ID cannot hold '/', so a plain split is exact.
	var parts [credentialParts]string
	rest := cred
	for i := range credentialParts - 1 {
		var ok bool
		parts[i], rest, ok = strings.Cut(rest, "/")
		if !ok {
			return badCredential(cred)
		}
	}
	if strings.Contains(rest, "/") {
		return badCredential(cred)
	}
	parts[credentialParts-1] = rest
	req.AccessKeyID, req.ScopeDate, req.Region, req.Service, req.terminator = parts[0], parts[1], parts[2], parts[3], parts[4]
	return nil
}

func badCredential(cred string) *Error {
	return incomplete(fmt.Sprintf("Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '%s'", cred))
}

func badDate(d string) *Error {
	return incomplete(fmt.Sprintf("Date must be in ISO-8601 'basic format'. Got '%s'. See http://en.wikipedia.org/wiki/ISO_8601", d))
}

func (req *Request) setSignedHeaders(sh string) *Error {
	req.signedHeadersRaw = sh
	n := strings.Count(sh, ";") + 1
	if n > maxSignedHeaders {
		return incomplete(fmt.Sprintf("Too many SignedHeaders: %d, at most %d are allowed.", n, maxSignedHeaders))
	}
	req.SignedHeaders = make([]string, 0, n)
	host := false
	for h := range strings.SplitSeq(sh, ";") {
		req.SignedHeaders = append(req.SignedHeaders, h)
		if h == signedHeaderHost || h == signedHeaderAuthorty {
			host = true
		}
	}
	if !host {
		return incomplete(msgHostNotSigned)
	}
	return nil
}

func (req *Request) setAmzDate(d string) *Error {
	t, err := time.Parse(amzDateFormat, d)
	if err != nil || len(d) != len(amzDateFormat) {
		return badDate(d)
	}
	req.Date, req.AmzDate = t, d
	return nil
}

// check validates the credential scope against the date and the endpoint, then the clock skew.
func (req *Request) check(now time.Time, expect Expect) *Error {
	if req.ScopeDate != req.AmzDate[:8] {
		return doesNotMatch(fmt.Sprintf("Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '%s' != '%s', from '%s'.",
			req.ScopeDate, req.AmzDate[:8], req.AmzDate))
	}
	var msg string
	if expect.Region != "" && req.Region != expect.Region {
		msg += "Credential should be scoped to a valid region. "
	}
	if expect.Service != "" && req.Service != expect.Service {
		msg += fmt.Sprintf("Credential should be scoped to correct service: '%s'. ", expect.Service)
	}
	if req.terminator != scopeTerminator {
		msg += fmt.Sprintf("Credential should be scoped with a valid terminator: '%s', not '%s'. ", scopeTerminator, req.terminator)
	}
	if msg != "" {
		return doesNotMatch(msg)
	}
	if expect.AnyTime {
		return nil
	}
	now = now.UTC()
	if req.Date.Before(now.Add(-MaxSkew)) {
		return doesNotMatch(fmt.Sprintf("Signature expired: %s is now earlier than %s (%s - 15 min.)",
			req.AmzDate, now.Add(-MaxSkew).Format(amzDateFormat), now.Format(amzDateFormat)))
	}
	if req.Date.After(now.Add(MaxSkew)) {
		return doesNotMatch(fmt.Sprintf("Signature not yet current: %s is still later than %s (%s + 15 min.)",
			req.AmzDate, now.Add(MaxSkew).Format(amzDateFormat), now.Format(amzDateFormat)))
	}
	// Non-S3 services never let a presigned request live longer than the 15-minute window above (a larger
	// X-Amz-Expires is ignored); a shorter one is honoured so a client asking for 60 s gets 60 s.
	if req.hasExpires && req.Expires < MaxSkew && now.Sub(req.Date) > req.Expires {
		return doesNotMatch(fmt.Sprintf("Signature expired: %s is now earlier than %s (%s - %d sec.)",
			req.AmzDate, now.Add(-req.Expires).Format(amzDateFormat), now.Format(amzDateFormat), int64(req.Expires/time.Second)))
	}
	return nil
}
