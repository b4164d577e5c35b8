package e2etest

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// Admin API requests go through the server's pipeline like those of the AWS APIs: each is counted in
// /metrics under service "iamd" and its operation, logged once with the request ID its answer carries,
// the caller and the error code, whether it succeeds, is refused by the operation or fails to
// authenticate.
func TestAdminRequestsCountedAndLogged(t *testing.T) {
	a, logs, cancel := newOpsApp(t, "127.0.0.1:0")
	hs := httptest.NewServer(a.Server)
	t.Cleanup(func() { hs.Close(); cancel(); _ = a.Close() })
	s := &Server{URL: hs.URL, App: a}
	rootARN := "arn:aws:iam::" + AccountID + ":root"

	type want struct {
		op, code, caller string
		status           int
	}
	cases := map[string]want{}
	root, wrongSecret := RootCreds(), Creds(RootKeyID, "x"+RootSecret[1:], "")
	call := func(creds aws.CredentialsProvider, method, path string, w want) {
		t.Helper()
		resp, body := adminCall(t, s, creds, method, path, "us-east-1")
		id := resp.Header.Get("X-Amzn-Requestid")
		if resp.StatusCode != w.status || id == "" {
			t.Fatalf("%s %s: %d (request ID %q) %s", method, path, resp.StatusCode, id, body)
		}
		if w.code != "" && !strings.Contains(string(body), `"code":"`+w.code+`"`) {
			t.Fatalf("%s %s: %s, want %s", method, path, body, w.code)
		}
		cases[id] = w
	}
	call(root, http.MethodGet, "/iamd/admin/sts-regions", want{op: "GetSTSRegionStatus", caller: rootARN, status: 200})
	call(root, http.MethodPost, "/iamd/admin/sts-regions/eu-west-1/deactivate", want{op: "SetSTSRegionStatus", caller: rootARN, status: 200})
	call(root, http.MethodPost, "/iamd/admin/sts-regions/us-east-1/deactivate",
		want{op: "SetSTSRegionStatus", caller: rootARN, status: 400, code: "InvalidRegion"})
	call(root, http.MethodPost, "/iamd/admin/sts-regions/eu-west-1/frobnicate",
		want{op: "SetSTSRegionStatus", caller: rootARN, status: 404, code: "NotFound"})
	call(wrongSecret, http.MethodGet, "/iamd/admin/sts-regions", want{op: "GetSTSRegionStatus", status: 403, code: "SignatureDoesNotMatch"})

	// Counted: one series per operation and status, as for the AWS APIs.
	_, metrics := get(t, s.URL+"/metrics")
	for _, series := range []string{
		`iamd_requests_total{operation="GetSTSRegionStatus",service="iamd",status="200"} 1`,
		`iamd_requests_total{operation="GetSTSRegionStatus",service="iamd",status="403"} 1`,
		`iamd_requests_total{operation="SetSTSRegionStatus",service="iamd",status="200"} 1`,
		`iamd_requests_total{operation="SetSTSRegionStatus",service="iamd",status="400"} 1`,
		`iamd_requests_total{operation="SetSTSRegionStatus",service="iamd",status="404"} 1`,
		`iamd_request_duration_seconds_count{operation="SetSTSRegionStatus",service="iamd"} 3`,
	} {
		if !strings.Contains(metrics, series) {
			t.Errorf("/metrics lacks %s", series)
		}
	}

	// Logged: one request record per request, under the ID the client was given.
	type entry struct {
		Msg, Level, Service, Operation, Error, Caller string
		RequestID                                     string `json:"request_id"`
		Status                                        int
	}
	seen := map[string]int{}
	for _, e := range logLines[entry](t, logs.String()) {
		w, ok := cases[e.RequestID]
		if e.Msg != "request" || !ok {
			continue
		}
		seen[e.RequestID]++
		if e.Service != "iamd" || e.Operation != w.op || e.Status != w.status || e.Error != w.code || e.Caller != w.caller {
			t.Errorf("log of request %s: %+v, want %+v", e.RequestID, e, w)
		}
	}
	for id, w := range cases {
		if seen[id] != 1 {
			t.Errorf("%s (%d) logged %d times, want once", w.op, w.status, seen[id])
		}
	}
}

// The admin API works in the partition of the endpoint a request reached: signed for cn-north-1 it lists
// the regions of aws-cn and knows no region of aws.
func TestAdminAPIPartitionOfEndpoint(t *testing.T) {
	s := Start(t, Options{})
	resp, body := adminCall(t, s, RootCreds(), http.MethodGet, "/iamd/admin/sts-regions", "cn-north-1")
	var list []struct{ Region string }
	if err := json.Unmarshal(body, &list); resp.StatusCode != 200 || err != nil || len(list) == 0 {
		t.Fatalf("listing in cn-north-1: %d %s", resp.StatusCode, body)
	}
	for _, r := range list {
		if !strings.HasPrefix(r.Region, "cn-") {
			t.Errorf("listing in cn-north-1 holds %s", r.Region)
		}
	}
	resp, body = adminCall(t, s, RootCreds(), http.MethodPost, "/iamd/admin/sts-regions/eu-west-1/deactivate", "cn-north-1")
	if resp.StatusCode != 400 || !strings.Contains(string(body), `"code":"InvalidRegion"`) {
		t.Fatalf("deactivating eu-west-1 through cn-north-1: %d %s", resp.StatusCode, body)
	}
	resp, body = adminCall(t, s, RootCreds(), http.MethodPost, "/iamd/admin/sts-regions/cn-northwest-1/deactivate", "cn-north-1")
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"region":"cn-northwest-1","active":false`) {
		t.Fatalf("deactivating cn-northwest-1 through cn-north-1: %d %s", resp.StatusCode, body)
	}
}
