package sigv4

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// keyCacheSize bounds the derived signing keys kept: one per (secret, day, region, service) in use.
const keyCacheSize = 4096

// Verify recomputes the signature of req with the secret access key and compares it in constant time.
// The error, if any, is an *Error (SignatureDoesNotMatch).
func (v *Verifier) Verify(req *Request, secret string) error {
	var want [sha256.Size]byte
	if len(req.Signature) != hex.EncodedLen(sha256.Size) {
		return SignatureDoesNotMatch()
	}
	if _, err := hex.Decode(want[:], []byte(req.Signature)); err != nil {
		return SignatureDoesNotMatch()
	}
	var bodyHex [2 * sha256.Size]byte
	sum := sha256.Sum256(req.body)
	hex.Encode(bodyHex[:], sum[:])

	// The payload hash enters the canonical request. A client that sends X-Amz-Content-Sha256 signs with
	// that value; it must then be the real hash of the body (or UNSIGNED-PAYLOAD), or the body is unsigned.
	payloads := [2][]byte{bodyHex[:]}
	n := 1
	if declared := req.http.Header.Get(headerContentSHA256); declared != "" {
		if declared == UnsignedPayload {
			payloads[0] = []byte(UnsignedPayload)
		} else if !strings.EqualFold(declared, string(bodyHex[:])) {
			return SignatureDoesNotMatch()
		} else {
			payloads[0] = []byte(declared)
		}
	} else if req.Presigned {
		// Presigners disagree: botocore signs UNSIGNED-PAYLOAD, aws-sdk-go-v2 the hash of the (empty) body.
		// Both are what AWS accepts, so try both.
		payloads[1] = []byte(UnsignedPayload)
		n = 2
	}

	key := v.keys.get(secret, req.ScopeDate, req.Region, req.Service)
	bp := canonicalPool.Get().(*[]byte)
	defer canonicalPool.Put(bp)
	prefix := req.appendCanonicalPrefix((*bp)[:0])
	for _, payload := range payloads[:n] {
		canonical := append(prefix, payload...)
		*bp = canonical
		got := req.signature(&key, sha256.Sum256(canonical))
		if hmac.Equal(got[:], want[:]) {
			return nil
		}
	}
	return SignatureDoesNotMatch()
}

var canonicalPool = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

// signature computes HMAC(signingKey, stringToSign) without allocating.
func (req *Request) signature(key *[sha256.Size]byte, canonicalHash [sha256.Size]byte) [sha256.Size]byte {
	var buf [256]byte
	sts := append(buf[:0], Algorithm...)
	sts = append(sts, '\n')
	sts = append(sts, req.AmzDate...)
	sts = append(sts, '\n')
	sts = append(sts, req.ScopeDate...)
	sts = append(sts, '/')
	sts = append(sts, req.Region...)
	sts = append(sts, '/')
	sts = append(sts, req.Service...)
	sts = append(sts, '/')
	sts = append(sts, scopeTerminator...)
	sts = append(sts, '\n')
	sts = hex.AppendEncode(sts, canonicalHash[:])
	return hmacSHA256(key, sts)
}

// hmacSHA256 is HMAC-SHA256 for a 32-byte key, written out so the hot path does not allocate.
func hmacSHA256(key *[sha256.Size]byte, msg []byte) [sha256.Size]byte {
	const blockSize = 64
	var buf [blockSize + 512]byte
	b := buf[:0]
	for i := range blockSize {
		var k byte
		if i < len(key) {
			k = key[i]
		}
		b = append(b, k^0x36)
	}
	b = append(b, msg...)
	inner := sha256.Sum256(b)
	b = buf[:0]
	for i := range blockSize {
		var k byte
		if i < len(key) {
			k = key[i]
		}
		b = append(b, k^0x5c)
	}
	b = append(b, inner[:]...)
	return sha256.Sum256(b)
}

// appendCanonicalPrefix appends the canonical request up to (not including) the payload hash.
func (req *Request) appendCanonicalPrefix(b []byte) []byte {
	r := req.http
	b = append(b, r.Method...)
	b = append(b, '\n')
	// Non-S3 services normalise the path as sent and encode it once more: an already encoded "%20"
	// becomes "%2520".
	b = appendURIEncode(b, NormalizePath(r.URL.EscapedPath()), false)
	b = append(b, '\n')
	b = req.appendCanonicalQuery(b)
	b = append(b, '\n')
	for _, name := range req.SignedHeaders {
		b = append(b, name...)
		b = append(b, ':')
		b = req.appendHeaderValues(b, name)
		b = append(b, '\n')
	}
	b = append(b, '\n')
	b = append(b, req.signedHeadersRaw...)
	b = append(b, '\n')
	return b
}

func (req *Request) appendHeaderValues(b []byte, name string) []byte {
	r := req.http
	if name == signedHeaderHost || name == signedHeaderAuthorty {
		host := r.Host
		if host == "" {
			host = r.URL.Host
		}
		return appendTrimmed(b, host)
	}
	first := true
	found := false
	for k, values := range r.Header {
		if !strings.EqualFold(k, name) {
			continue
		}
		found = true
		for _, v := range values {
			if !first {
				b = append(b, ',')
			}
			first = false
			b = appendTrimmed(b, v)
		}
	}
	// Go's server keeps Content-Length in the header map, but a handler may be given a request built in
	// process; fall back on the parsed length so such requests verify too.
	if !found && name == "content-length" && r.ContentLength >= 0 {
		b = strconv.AppendInt(b, r.ContentLength, 10)
	}
	return b
}

// appendTrimmed appends v without leading and trailing whitespace and with runs of spaces collapsed.
func appendTrimmed(b []byte, v string) []byte {
	v = strings.Trim(v, " \t")
	space := false
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c == ' ' {
			if space {
				continue
			}
			space = true
		} else {
			space = false
		}
		b = append(b, c)
	}
	return b
}

// queryPair is one decoded query parameter.
type queryPair struct{ key, value string }

func parseQuery(raw string) ([]queryPair, *Error) {
	if raw == "" {
		return nil, nil
	}
	n := strings.Count(raw, "&") + 1
	if n > maxQueryParams {
		return nil, incomplete("Too many query parameters.")
	}
	pairs := make([]queryPair, 0, n)
	for part := range strings.SplitSeq(raw, "&") {
		if part == "" {
			continue
		}
		k, v, _ := strings.Cut(part, "=")
		pairs = append(pairs, queryPair{unescape(k), unescape(v)})
	}
	return pairs, nil
}

// unescape decodes a query component; an invalid escape is kept as sent (and encoded again, like any '%').
func unescape(s string) string {
	if !strings.ContainsAny(s, "%+") {
		return s
	}
	if u, err := url.QueryUnescape(s); err == nil {
		return u
	}
	return s
}

func findQuery(pairs []queryPair, key string) (string, bool) {
	for _, p := range pairs {
		if p.key == key {
			return p.value, true
		}
	}
	return "", false
}

// appendCanonicalQuery appends the parameters URI-encoded and sorted by key then value, without the
// signature of a presigned request. All encoded text goes into one scratch buffer to keep allocations flat.
func (req *Request) appendCanonicalQuery(b []byte) []byte {
	if len(req.query) == 0 {
		return b
	}
	type span struct{ keyStart, keyEnd, valueEnd int }
	spans := make([]span, 0, len(req.query))
	scratch := make([]byte, 0, 2*len(req.http.URL.RawQuery))
	for _, p := range req.query {
		if req.Presigned && p.key == querySignature {
			continue
		}
		start := len(scratch)
		scratch = appendURIEncode(scratch, p.key, true)
		keyEnd := len(scratch)
		scratch = appendURIEncode(scratch, p.value, true)
		spans = append(spans, span{start, keyEnd, len(scratch)})
	}
	slices.SortFunc(spans, func(x, y span) int {
		if c := bytes.Compare(scratch[x.keyStart:x.keyEnd], scratch[y.keyStart:y.keyEnd]); c != 0 {
			return c
		}
		return bytes.Compare(scratch[x.keyEnd:x.valueEnd], scratch[y.keyEnd:y.valueEnd])
	})
	for i, sp := range spans {
		if i > 0 {
			b = append(b, '&')
		}
		b = append(b, scratch[sp.keyStart:sp.keyEnd]...)
		b = append(b, '=')
		b = append(b, scratch[sp.keyEnd:sp.valueEnd]...)
	}
	return b
}

// appendURIEncode encodes every byte but the RFC 3986 unreserved characters (and '/' when encodeSlash is
// false) as %XX with upper-case hex, the encoding SigV4 prescribes.
func appendURIEncode(b []byte, s string, encodeSlash bool) []byte {
	const upperhex = "0123456789ABCDEF"
	for i := 0; i < len(s); i++ {
		c := s[i]
		if unreserved(c) || (c == '/' && !encodeSlash) {
			b = append(b, c)
			continue
		}
		b = append(b, '%', upperhex[c>>4], upperhex[c&0xf])
	}
	return b
}

func unreserved(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~'
}

// keyCache keeps derived signing keys so that the four HMACs of the derivation run once per key and day.
type keyCache struct {
	mu   sync.RWMutex
	max  int
	keys map[cacheKey][sha256.Size]byte
}

type cacheKey struct{ secret, date, region, service string }

func newKeyCache(max int) *keyCache {
	return &keyCache{max: max, keys: make(map[cacheKey][sha256.Size]byte)}
}

func (c *keyCache) get(secret, date, region, service string) [sha256.Size]byte {
	ck := cacheKey{secret, date, region, service}
	c.mu.RLock()
	k, ok := c.keys[ck]
	c.mu.RUnlock()
	if ok {
		return k
	}
	k = deriveKey(secret, date, region, service)
	// Copy the strings: they may be slices of a large request header we should not keep alive.
	ck = cacheKey{strings.Clone(secret), strings.Clone(date), strings.Clone(region), strings.Clone(service)}
	c.mu.Lock()
	if len(c.keys) >= c.max {
		for old := range c.keys { // map order is random: this evicts an arbitrary entry
			delete(c.keys, old)
			break
		}
	}
	c.keys[ck] = k
	c.mu.Unlock()
	return k
}

// deriveKey computes the SigV4 signing key for a day, region and service.
func deriveKey(secret, date, region, service string) [sha256.Size]byte {
	mac := func(key []byte, data string) []byte {
		h := hmac.New(sha256.New, key)
		h.Write([]byte(data))
		return h.Sum(nil)
	}
	k := mac([]byte("AWS4"+secret), date)
	k = mac(k, region)
	k = mac(k, service)
	k = mac(k, scopeTerminator)
	var out [sha256.Size]byte
	copy(out[:], k)
	return out
}
