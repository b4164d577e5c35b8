package server

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/iamd/iamd/internal/service/admin"
)

func TestRouteAdmin(t *testing.T) {
	for _, tc := range []struct {
		method, path   string
		op, code       string
		region, action string
	}{
		{"GET", "/iamd/admin/sts-regions", admin.OpGetSTSRegionStatus, "", "", ""},
		{"POST", "/iamd/admin/sts-regions/us-west-2/activate", admin.OpSetSTSRegionStatus, "", "us-west-2", "activate"},
		{"POST", "/iamd/admin/sts-regions/us-west-2/deactivate", admin.OpSetSTSRegionStatus, "", "us-west-2", "deactivate"},
		{"POST", "/iamd/admin/sts-regions/us-west-2/frobnicate", admin.OpSetSTSRegionStatus, "NotFound", "", ""},
		{"POST", "/iamd/admin/sts-regions", admin.OpGetSTSRegionStatus, "MethodNotAllowed", "", ""},
		{"GET", "/iamd/admin/sts-regions/us-west-2/activate", admin.OpSetSTSRegionStatus, "MethodNotAllowed", "", ""},
		{"POST", "/iamd/admin/sts-regions//activate", "", "NotFound", "", ""},
		{"POST", "/iamd/admin/sts-regions/us-west-2/activate/x", "", "NotFound", "", ""},
		{"GET", "/iamd/admin/", "", "NotFound", "", ""},
		{"GET", "/iamd/admin/users", "", "NotFound", "", ""},
	} {
		rt, err := routeAdmin(httptest.NewRequest(tc.method, tc.path, nil))
		if rt.op != tc.op || (tc.code == "" && err != nil) || (tc.code != "" && !isCode(err, tc.code)) {
			t.Errorf("%s %s: %+v, %v; want %s %s", tc.method, tc.path, rt, err, tc.op, tc.code)
		}
		if tc.code == "" && (rt.region != tc.region || rt.action != tc.action) {
			t.Errorf("%s %s: %+v", tc.method, tc.path, rt)
		}
	}
}

// The admin API's partition is the endpoint's: the Host when it names an AWS endpoint, else the region
// the request was signed for.
func TestAdminEndpointPartition(t *testing.T) {
	for _, tc := range []struct{ host, credential, partition, region string }{
		{"127.0.0.1:8300", "AKIA/20260101/us-west-2/iamd/aws4_request", "aws", "us-east-1"},
		{"127.0.0.1:8300", "AKIA/20260101/cn-north-1/iamd/aws4_request", "aws-cn", "cn-north-1"},
		{"127.0.0.1:8300", "AKIA/20260101/us-gov-east-1/iamd/aws4_request", "aws-us-gov", "us-gov-west-1"},
		{"127.0.0.1:8300", "AKIA/20260101/nowhere-1/iamd/aws4_request", "aws", "us-east-1"},
		{"iam.cn-north-1.amazonaws.com.cn", "AKIA/20260101/us-east-1/iamd/aws4_request", "aws-cn", "cn-north-1"},
	} {
		r := httptest.NewRequest(http.MethodGet, "http://"+tc.host+"/iamd/admin/sts-regions", nil)
		r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+tc.credential+", SignedHeaders=host, Signature=00")
		ep := adminEndpoint(r)
		if ep.Service != adminService || ep.Partition != tc.partition || ep.Region != tc.region {
			t.Errorf("%s signed as %s: %+v", tc.host, tc.credential, ep)
		}
	}
}
