package sigv4

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// The expected values are botocore.utils.normalize_url_path's (the normaliser botocore's SigV4Auth signs
// with), computed for each input.
func TestNormalizePath(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", "/"},
		{"/", "/"},
		{"//", "/"},
		{"///", "/"},
		{"/.", "/"},
		{"/./", "/"},
		{"/..", "/"},
		{"/../", "/"},
		{"/a/../", "/"},
		{"/a/..", "/"},
		{"/a/./b", "/a/b"},
		{"/a//b/", "/a/b/"},
		{"/global//", "/global/"},
		{"/global/.", "/global"},
		{"/global/./", "/global/"},
		{"/global/..", "/"},
		{"/x/../global", "/global"},
		{"/x/%2E%2E/a%2Fb/../c%20d//", "/x/%2E%2E/c%20d/"},
		{"/%7Eu/./v/", "/%7Eu/v/"},
		{"a/b/../c", "a/c"},
		{"/a/b/c/../../..//d", "/d"},
		{"/listRegions", "/listRegions"},
		{"/global", "/global"},
		{"/global/", "/global/"},
		{"/...", "/..."},
		{"/a/.../b", "/a/.../b"},
	} {
		if got := NormalizePath(tc.in); got != tc.want {
			t.Errorf("NormalizePath(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// A request signed for its normal path verifies when it arrives at any unnormalised spelling of that path
// (what a forwarding proxy such as HashiCorp Vault's AWS auth method does), and one signed over a literal
// unnormalised path does not, as on AWS: the signature covers the normalised path only.
func TestVerifyNormalisesThePath(t *testing.T) {
	v := NewVerifier(fixedClock(t0))
	for _, tc := range []struct{ signed, sent string }{
		{"/", "//"},
		{"/", "/./"},
		{"/", "/a/../"},
		{"/global/", "/global//"},
		{"/global", "/global/."},
		{"/c%20d/", "/x/../c%20d//"},
	} {
		r := sdkSigned(t, "https://sts.amazonaws.com"+tc.signed, stsBody, "", "us-east-1", "sts", t0, nil)
		setEscapedPath(t, r, tc.sent)
		p, err := v.Parse(r, []byte(stsBody), stsExp)
		if err != nil {
			t.Fatalf("%s: parse: %v", tc.sent, err)
		}
		if err := v.Verify(p, testSecret); err != nil {
			t.Errorf("signed for %s, sent to %s: %v", tc.signed, tc.sent, err)
		}
		// aws-sdk-go-v2's signer does not normalise: signing the unnormalised path literally gives a
		// signature AWS (and iamd) does not accept.
		lit := sdkSigned(t, "https://sts.amazonaws.com"+tc.sent, stsBody, "", "us-east-1", "sts", t0, nil)
		p, err = v.Parse(lit, []byte(stsBody), stsExp)
		if err != nil {
			t.Fatalf("%s: parse: %v", tc.sent, err)
		}
		if err := v.Verify(p, testSecret); !isCode(err, CodeSignatureDoesNotMatch) {
			t.Errorf("signed over the literal %s: %v, want SignatureDoesNotMatch", tc.sent, err)
		}
	}
}

func setEscapedPath(t *testing.T, r *http.Request, escaped string) {
	t.Helper()
	path, err := url.PathUnescape(escaped)
	if err != nil {
		t.Fatal(err)
	}
	r.URL.Path, r.URL.RawPath = path, escaped
	if r.URL.EscapedPath() != escaped {
		t.Fatalf("path %q sent as %q", escaped, r.URL.EscapedPath())
	}
}

// FuzzNormalizePath checks the normal form: idempotent, no empty, "." or ".." segment left, a leading and
// a trailing slash kept as the input had them (the trailing one only if a segment is left), and nothing
// that was not a segment of the input.
func FuzzNormalizePath(f *testing.F) {
	for _, s := range []string{"", "/", "//", "/./", "/a/../", "/global//", "/x/%2E%2E/a%2Fb/../c%20d//", "a/b/../c", "/..."} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		got := NormalizePath(p)
		if again := NormalizePath(got); again != got {
			t.Fatalf("not idempotent: %q -> %q -> %q", p, got, again)
		}
		if got == "" || (got != "/" && strings.Contains(got, "//")) {
			t.Fatalf("%q -> %q", p, got)
		}
		if p != "" && got != "/" && (p[0] == '/') != (got[0] == '/') {
			t.Fatalf("leading slash changed: %q -> %q", p, got)
		}
		in := map[string]bool{}
		for _, s := range strings.Split(p, "/") {
			in[s] = true
		}
		for _, s := range strings.Split(strings.Trim(got, "/"), "/") {
			if s == "." || s == ".." || (s != "" && !in[s]) {
				t.Fatalf("segment %q of %q -> %q", s, p, got)
			}
		}
	})
}
