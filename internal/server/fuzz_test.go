package server_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// FuzzServeAPI throws arbitrary methods, paths, content types, headers and bodies at the whole server,
// signed by the root where the fuzzer asks (so that the input reaches the decoders, validators and
// services, and the admin API) and unsigned otherwise. Whatever comes in, the answer is never a server error (501
// NotImplemented aside) and never a panic.
func FuzzServeAPI(f *testing.F) {
	seeds := []struct {
		method, path, ctype, hname, hval, body string
		signAs                                 uint8
	}{
		{"POST", "/", formType, "", "", gciBody, 1},
		{"POST", "/global", formType, "", "", gciBody, 1},
		{"POST", "/x/%2E%2E/../global//", formType, "", "", gciBody, 1},
		{"POST", "/global//./listRegions", "application/json", "", "", `{"MaxResults":5}`, 3},
		{"GET", "/?" + gciBody, "", "", "", "", 1},
		{"POST", "/", formType, "", "", "Action=CreateUser&Version=2010-05-08&UserName=fuzz&Tags.member.1.Key=k&Tags.member.1.Value=v", 2},
		{"POST", "/", formType, "", "", "Action=PutUserPolicy&Version=2010-05-08&UserName=fuzz&PolicyName=p&PolicyDocument=%7B%7D", 2},
		{"POST", "/", formType, "", "", "Action=CreatePolicy&Version=2010-05-08&PolicyName=p&PolicyDocument=%7B%22Version%22%3A%222012-10-17%22%7D", 2},
		{"POST", "/", formType, "", "", "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fr&RoleSessionName=s1&DurationSeconds=99999999999", 1},
		{"POST", "/", formType, "", "", "Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=x&RoleSessionName=s1&WebIdentityToken=tttt", 0},
		{"POST", "/", formType, "", "", "Action=ListUsers&Version=2010-05-08&MaxItems=0&Marker=%FF", 2},
		{"POST", "/", formType, "", "", "Action=GetAccountAuthorizationDetails&Version=2010-05-08&Filter.member.99999999=User", 2},
		{"POST", "/listRegions", "application/json", "", "", `{"MaxResults":5,"RegionOptStatusContains":["ENABLED"]}`, 3},
		{"POST", "/getRegionOptStatus", "application/json", "", "", `{"RegionName":"af-south-1"}`, 3},
		{"POST", "/putContactInformation", "application/json", "", "", `{"ContactInformation":{"FullName":null}}`, 3},
		{"POST", "/enableRegion", "application/json", "X-Amz-Target", "x", `{"RegionName":"` + strings.Repeat("a", 100) + `"}`, 3},
		{"POST", "/", "text/plain", "Content-Encoding", "gzip", "\x1f\x8b\x08\x00", 1},
		{"POST", "/", formType, "Authorization", "AWS4-HMAC-SHA256 Credential=/////, SignedHeaders=, Signature=", gciBody, 0},
		{"POST", "/?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=a%2Fb&X-Amz-Signature=00", formType, "", "", gciBody, 0},
		{"PUT", "/%zz", "", "X-Amz-Security-Token", "\x00", "", 1},
		{"GET", "/iamd/admin/sts-regions", "", "", "", "", 4},
		{"POST", "/iamd/admin/sts-regions/us-west-2/deactivate", "", "", "", "", 4},
		{"POST", "/iamd/admin/sts-regions/%2F%2E%2E/activate", "", "", "", "", 4},
		{"GET", "/iamd/admin/sts-regions/us-west-2/activate", "", "", "", "x", 4},
		{"DELETE", "/iamd/admin/", "", "", "", "", 2},
	}
	for _, s := range seeds {
		f.Add(s.method, s.path, s.ctype, s.hname, s.hval, []byte(s.body), s.signAs)
	}
	a := newApp(f, false)
	h := a.Server
	now := time.Now().UTC()
	f.Fuzz(func(t *testing.T, method, path, ctype, hname, hval string, body []byte, signAs uint8) {
		if !validMethod(method) || !strings.HasPrefix(path, "/") || strings.ContainsAny(path, " \r\n\t#") {
			return // net/http would never hand such a request to a handler
		}
		r, err := http.NewRequest(method, "http://127.0.0.1:8300"+path, bytes.NewReader(body))
		if err != nil {
			return
		}
		if ctype != "" {
			r.Header.Set("Content-Type", ctype)
		}
		if hname != "" && validHeaderName(hname) {
			r.Header.Set(hname, hval)
		}
		service := [...]string{"", "sts", "iam", "account", "iamd"}[signAs%5]
		if service != "" {
			sign(t, r, body, service, now)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code >= 500 && w.Code != http.StatusNotImplemented {
			t.Fatalf("%s %s (%s, signed for %q): status %d: %s", method, path, ctype, service, w.Code, w.Body.String())
		}
		// The admin API answers through the same pipeline (ServeMux's redirects of unclean paths aside).
		admin := strings.HasPrefix(path, "/iamd/admin/") && w.Code/100 != 3
		if w.Header().Get("X-Amzn-Requestid") == "" && (admin || w.Code != http.StatusNotFound && w.Code != http.StatusMethodNotAllowed &&
			!strings.HasPrefix(path, "/healthz") && !strings.HasPrefix(path, "/readyz") && !strings.HasPrefix(path, "/metrics") &&
			!strings.HasPrefix(path, "/iamd/")) {
			t.Fatalf("%s %s: status %d without x-amzn-RequestId", method, path, w.Code)
		}
	})
}

func validMethod(m string) bool {
	switch m {
	case http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodPatch, http.MethodHead, http.MethodOptions:
		return true
	}
	return false
}

// validHeaderName is the token syntax of RFC 9110 (net/http refuses other names on the wire).
func validHeaderName(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte("\"(),/:;<=>?@[\\]{}", c) >= 0 {
			return false
		}
	}
	return s != ""
}
