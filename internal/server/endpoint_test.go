package server

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"unsafe"

	"github.com/iamd/iamd/internal/auth"
	"github.com/iamd/iamd/internal/sigv4"
)

func TestResolve(t *testing.T) {
	s := New(Options{})
	auth4 := func(service, region string) string {
		return "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20260101/" + region + "/" + service +
			"/aws4_request, SignedHeaders=host;x-amz-date, Signature=" + strings.Repeat("0", 64)
	}
	cases := []struct {
		name, host, path, authz, body string
		want                          auth.Endpoint
		protocol                      string
	}{
		{"regional STS host", "sts.us-west-2.amazonaws.com", "/", auth4("sts", "eu-west-1"), "",
			auth.Endpoint{Service: "sts", Region: "us-west-2", Partition: "aws", ExpectRegion: "us-west-2"}, "query"},
		{"global STS host", "sts.amazonaws.com", "/", auth4("sts", "us-east-1"), "",
			auth.Endpoint{Service: "sts", Region: "us-east-1", Partition: "aws", Global: true, ExpectRegion: "us-east-1"}, "query"},
		{"IAM host", "iam.amazonaws.com:443", "/", auth4("iam", "us-east-1"), "",
			auth.Endpoint{Service: "iam", Region: "us-east-1", Partition: "aws", ExpectRegion: "us-east-1"}, "query"},
		{"China STS host", "sts.cn-north-1.amazonaws.com.cn", "/", auth4("sts", "cn-north-1"), "",
			auth.Endpoint{Service: "sts", Region: "cn-north-1", Partition: "aws-cn", ExpectRegion: "cn-north-1"}, "query"},
		{"bare host, STS scope", "127.0.0.1:8300", "/", auth4("sts", "eu-west-1"), "",
			auth.Endpoint{Service: "sts", Region: "eu-west-1", Partition: "aws", ExpectRegion: "eu-west-1"}, "query"},
		{"bare host, /global", "127.0.0.1:8300", "/global", auth4("sts", "us-east-1"), "",
			auth.Endpoint{Service: "sts", Region: "us-east-1", Partition: "aws", Global: true, ExpectRegion: "us-east-1"}, "query"},
		{"bare host, IAM signed in another region", "127.0.0.1:8300", "/", auth4("iam", "eu-west-1"), "",
			auth.Endpoint{Service: "iam", Region: "us-east-1", Partition: "aws"}, "query"},
		{"bare host, IAM in China", "127.0.0.1:8300", "/", auth4("iam", "cn-north-1"), "",
			auth.Endpoint{Service: "iam", Region: "cn-north-1", Partition: "aws-cn"}, "query"},
		{"bare host, Account", "localhost", "/listRegions", auth4("account", "us-east-1"), "{}",
			auth.Endpoint{Service: "account", Region: "us-east-1", Partition: "aws"}, "rest-json"},
		{"unsigned web identity", "127.0.0.1:8300", "/", "", "Action=AssumeRoleWithWebIdentity&Version=2011-06-15",
			auth.Endpoint{Service: "sts", Region: "us-east-1", Partition: "aws"}, "query"},
		{"unsigned Account path", "127.0.0.1:8300", "/getContactInformation", "", "{}",
			auth.Endpoint{Service: "account", Region: "us-east-1", Partition: "aws"}, "rest-json"},
		{"unsigned anything else", "127.0.0.1:8300", "/", "", "Action=ListUsers&Version=2010-05-08",
			auth.Endpoint{Service: "iam", Region: "us-east-1", Partition: "aws"}, "query"},
		{"unknown scope service falls back to the action", "127.0.0.1:8300", "/", auth4("s3", "us-east-1"),
			"Action=GetCallerIdentity&Version=2011-06-15",
			auth.Endpoint{Service: "sts", Region: "us-east-1", Partition: "aws", ExpectRegion: "us-east-1"}, "query"},
		{"STS scope naming no region", "127.0.0.1:8300", "/", auth4("sts", "mars-1"), "",
			auth.Endpoint{Service: "sts", Region: "us-east-1", Partition: "aws"}, "query"},
		{"CloudTrail host", "cloudtrail.eu-west-1.amazonaws.com", "/", auth4("cloudtrail", "eu-west-1"), "{}",
			auth.Endpoint{Service: "cloudtrail", Region: "eu-west-1", Partition: "aws", ExpectRegion: "eu-west-1"}, "json"},
		{"CloudTrail FIPS host", "cloudtrail-fips.us-gov-west-1.amazonaws.com", "/", auth4("cloudtrail", "us-gov-west-1"), "{}",
			auth.Endpoint{Service: "cloudtrail", Region: "us-gov-west-1", Partition: "aws-us-gov", ExpectRegion: "us-gov-west-1"}, "json"},
		{"CloudTrail host, another scope", "cloudtrail.us-east-1.amazonaws.com", "/", auth4("iam", "us-east-1"), "{}",
			auth.Endpoint{Service: "cloudtrail", Region: "us-east-1", Partition: "aws", ExpectRegion: "us-east-1"}, "json"},
		{"bare host, CloudTrail scope", "127.0.0.1:8300", "/", auth4("cloudtrail", "ap-south-1"), "{}",
			auth.Endpoint{Service: "cloudtrail", Region: "ap-south-1", Partition: "aws", ExpectRegion: "ap-south-1"}, "json"},
		{"CloudTrail scope naming no region", "127.0.0.1:8300", "/", auth4("cloudtrail", "mars-1"), "{}",
			auth.Endpoint{Service: "cloudtrail", Region: "us-east-1", Partition: "aws"}, "json"},
	}
	for _, tc := range cases {
		r := httptest.NewRequest(http.MethodPost, "http://"+tc.host+tc.path, strings.NewReader(tc.body))
		r.Host = tc.host
		if tc.authz != "" {
			r.Header.Set("Authorization", tc.authz)
		}
		ep, _, info := s.resolve(r, []byte(tc.body))
		if ep != tc.want || info.Protocol != tc.protocol {
			t.Errorf("%s: got %+v (%s), want %+v (%s)", tc.name, ep, info.Protocol, tc.want, tc.protocol)
		}
	}
	// A bare host and a scope naming no service of ours: CloudTrail's X-Amz-Target tells it.
	r := httptest.NewRequest(http.MethodPost, "http://127.0.0.1:8300/", strings.NewReader("{}"))
	r.Header.Set("Authorization", auth4("s3", "us-west-2"))
	r.Header.Set("X-Amz-Target", "CloudTrail_20131101.LookupEvents")
	if ep, impl, info := s.resolve(r, []byte("{}")); ep.Service != "cloudtrail" || info.Name != "CloudTrail" || impl == nil {
		t.Errorf("X-Amz-Target: got %+v %s %v", ep, info.Name, impl)
	}
}

// The endpoint follows the Credential= parameter the signature check reads, never a decoy elsewhere in
// the header.
func TestResolveReadsTheSignedScope(t *testing.T) {
	s := New(Options{})
	for _, authz := range []string{
		"AWS4-HMAC-SHA256 Decoy=Credential=AKID/20260101/eu-west-1/sts/aws4_request, Credential=AKIAIOSFODNN7EXAMPLE/20260101/us-west-2/sts/aws4_request, SignedHeaders=host, Signature=00",
		"AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20260101/eu-west-1/sts/aws4_request, Credential=AKIAIOSFODNN7EXAMPLE/20260101/us-west-2/sts/aws4_request, SignedHeaders=host, Signature=00",
		"AWS4-HMAC-SHA256 SignedHeaders=host;x-Credential=AKID/20260101/eu-west-1/sts/aws4_request, Credential=AKIAIOSFODNN7EXAMPLE/20260101/us-west-2/sts/aws4_request, Signature=00",
	} {
		r := httptest.NewRequest(http.MethodPost, "http://127.0.0.1:8300/", nil)
		r.Header.Set("Authorization", authz)
		ep, _, _ := s.resolve(r, nil)
		want := auth.Endpoint{Service: "sts", Region: "us-west-2", Partition: "aws", ExpectRegion: "us-west-2"}
		if ep != want {
			t.Errorf("%s: got %+v, want %+v", authz, ep, want)
		}
	}
}

func TestCredentialScope(t *testing.T) {
	cases := []struct{ authz, query, service, region string }{
		{"AWS4-HMAC-SHA256 Credential=AKID/20260101/eu-west-1/sts/aws4_request, SignedHeaders=host, Signature=00", "", "sts", "eu-west-1"},
		{"AWS4-HMAC-SHA256 Credential=AKID/20260101/eu-west-1/sts/aws4_request", "", "sts", "eu-west-1"},
		{"AWS4-HMAC-SHA256 Credential=AKID/20260101/eu-west-1/sts", "", "", ""},
		{"AWS4-HMAC-SHA256 Credential=AKID/20260101/eu-west-1/sts/aws4_request/extra", "", "", ""},
		{"AWS4-HMAC-SHA256 Credential=", "", "", ""},
		{"garbage", "", "", ""},
		{"AWS4-HMAC-SHA256 X=Credential=AKID/20260101/eu-west-1/sts/aws4_request", "", "", ""},
		{"AWS4-HMAC-SHA256 Credential=AKID/20260101/eu-west-1/sts/aws4_request, Credential=AKID/20260101/us-west-2/iam/aws4_request", "", "iam", "us-west-2"},
		{"", "X-Amz-Credential=AKID%2F20260101%2Fus-west-2%2Fiam%2Faws4_request&X-Amz-Signature=00", "iam", "us-west-2"},
		{"", "Action=GetCallerIdentity", "", ""},
	}
	for _, tc := range cases {
		r := httptest.NewRequest(http.MethodGet, "http://localhost/?"+tc.query, nil)
		if tc.authz != "" {
			r.Header.Set("Authorization", tc.authz)
		}
		if svc, region := sigv4.Scope(r); svc != tc.service || region != tc.region {
			t.Errorf("%q %q: got %q %q, want %q %q", tc.authz, tc.query, svc, region, tc.service, tc.region)
		}
	}
}

func TestIsGlobalPath(t *testing.T) {
	for p, want := range map[string]bool{"/global": true, "/global/": true, "/global/x": true, "/globalx": false,
		"/": false, "": false, "/x/global": false} {
		if isGlobalPath(p) != want {
			t.Errorf("isGlobalPath(%q) != %v", p, want)
		}
	}
}

func TestStatusLabel(t *testing.T) {
	for _, st := range []int{0, 200, 403, 599, 600, -1, 1000} {
		if got := statusLabel(st); got != strconv.Itoa(st) && st >= 0 {
			t.Errorf("statusLabel(%d) = %q", st, got)
		}
	}
	if statusLabel(-1) != "-1" {
		t.Errorf("statusLabel(-1) = %q", statusLabel(-1))
	}
}

// The endpoint's names outlive the request (last-used records keep them): none may be a slice of the
// Authorization header, which would keep the whole header alive.
func TestResolvedNamesAreNotSlicesOfTheRequest(t *testing.T) {
	s := New(Options{})
	for _, service := range []string{"sts", "iam", "account", "cloudtrail"} {
		authz := "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20260101/us-west-2/" + service +
			"/aws4_request, SignedHeaders=host, Signature=" + strings.Repeat("0", 64<<10)
		r := httptest.NewRequest(http.MethodPost, "http://127.0.0.1:8300/", nil)
		r.Header.Set("Authorization", authz)
		ep, _, _ := s.resolve(r, nil)
		start := uintptr(unsafe.Pointer(unsafe.StringData(authz)))
		for _, name := range []string{ep.Service, ep.Region, ep.Partition, ep.ExpectRegion} {
			if p := uintptr(unsafe.Pointer(unsafe.StringData(name))); name != "" && p >= start && p < start+uintptr(len(authz)) {
				t.Errorf("%s: %q is a slice of the Authorization header", service, name)
			}
		}
	}
}
