package e2etest

import (
	"context"
	"encoding/xml"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/account"
	"github.com/aws/aws-sdk-go-v2/service/iam"
)

// Wire details where iamd answered differently from AWS. The AWS side of each is in the test's comment;
// the tests read the raw answer where the SDK would hide the difference (an empty <Tags/> and a missing one
// both read as no tags).

// The Account API answers under the /global prefix, as IAM and STS do, through the unmodified SDK.
func TestWireAccountAPIUnderGlobal(t *testing.T) {
	ctx := context.Background()
	s := Start(t, Options{})
	for _, base := range []string{s.URL + "/global", s.URL + "/global/"} {
		c := account.NewFromConfig(s.config(RootCreds(), "us-east-1"), func(o *account.Options) { o.BaseEndpoint = aws.String(base) })
		out, err := c.GetRegionOptStatus(ctx, &account.GetRegionOptStatusInput{RegionName: aws.String("af-south-1")})
		ok(t, "GetRegionOptStatus at "+base, err)
		if aws.ToString(out.RegionName) != "af-south-1" {
			t.Errorf("%s: %+v", base, out)
		}
		_, err = c.ListRegions(ctx, &account.ListRegionsInput{MaxResults: aws.Int32(5)})
		ok(t, "ListRegions at "+base, err)
	}
	// IAM and STS there too, for comparison.
	i := iam.NewFromConfig(s.config(RootCreds(), "us-east-1"), func(o *iam.Options) { o.BaseEndpoint = aws.String(s.URL + "/global") })
	_, err := i.GetAccountSummary(ctx, &iam.GetAccountSummaryInput{})
	ok(t, "IAM at /global", err)
	identity(t, s.GlobalSTS(RootCreds()))
}

// SigV4 paths for services other than S3: AWS computes the canonical URI from the path with dot segments
// removed and runs of slashes collapsed (botocore and the JavaScript SDK sign it so), and the endpoint
// (the /global prefix) follows the same normalised path. The first case is HashiCorp Vault's AWS auth
// method: it replays a client's GetCallerIdentity, signed for "/" with Host sts.amazonaws.com, to "//".
func TestWireSigV4NormalisedPaths(t *testing.T) {
	s := Start(t, Options{})
	gci := stsCall
	sts := func(signed, sent, host string, c wireCall) *wireResponse {
		t.Helper()
		c.path = signed
		r := rootSigner().sign(t, s.request(t, c, host), c.body, c.service, "us-east-1", time.Now().UTC())
		setWirePath(t, r, sent)
		return doWire(t, r, c.errNS == "")
	}
	gst := wireCall{name: "query", service: "sts", method: http.MethodPost, contentType: wireFormContentType,
		body: "Action=GetSessionToken&Version=2011-06-15&DurationSeconds=900", errNS: wireNSSTS}
	for _, tc := range []struct {
		signed, sent, host string
		global             bool // the endpoint must be the STS global one (v1 tokens for this account)
	}{
		{"/", "//", "sts.amazonaws.com", true},
		{"/", "//", "", false},
		{"/", "/./", "", false},
		{"/", "/a/../", "", false},
		{"/", "/a/b/../../", "", false},
		{"/global/", "/global//", "", true},
		{"/global", "/global/.", "", true},
		{"/global", "/x/../global", "", true},
		{"/", "/global/..", "", false},
		{"/x/c%20d/", "/x/%2E%2E/../c%20d//", "", false}, // "%2E%2E" is a segment, not ".."
	} {
		got := sts(tc.signed, tc.sent, tc.host, gci)
		if got.status != http.StatusOK {
			t.Errorf("GetCallerIdentity signed for %s, sent to %s (Host %q): %d %s %q", tc.signed, tc.sent, tc.host, got.status, got.code, got.message)
			continue
		}
		got = sts(tc.signed, tc.sent, tc.host, gst)
		var res struct {
			Token string `xml:"GetSessionTokenResult>Credentials>SessionToken"`
		}
		if err := xml.Unmarshal(got.body, &res); err != nil || got.status != http.StatusOK {
			t.Fatalf("GetSessionToken to %s: %d %v %s", tc.sent, got.status, err, got.body)
		}
		if isV1 := strings.HasPrefix(res.Token, prefixV1); isV1 != tc.global {
			t.Errorf("GetSessionToken signed for %s, sent to %s: token %.16s…, global endpoint %v", tc.signed, tc.sent, res.Token, tc.global)
		}
	}
	// A signature over the literal unnormalised path (aws-sdk-go-v2's signer does not normalise) is not
	// AWS's canonical request: refused, as AWS refuses it.
	for _, p := range []string{"//", "/./", "/a/../", "/global//"} {
		sts(p, p, "", gci).expect(t, gci, http.StatusForbidden, "SignatureDoesNotMatch", sigMsgMismatch)
	}
	// The Account API (rest-json, operations found by path) follows the normalised path too.
	acct := accountCall
	for _, sent := range []string{"//listRegions", "/x/../listRegions", "/global//listRegions", "/global/./listRegions"} {
		signed := "/listRegions"
		if strings.HasPrefix(sent, "/global") {
			signed = "/global/listRegions"
		}
		if got := sts(signed, sent, "", acct); got.status != http.StatusOK {
			t.Errorf("ListRegions signed for %s, sent to %s: %d %s %q", signed, sent, got.status, got.code, got.message)
		}
	}
}

// setWirePath makes r go out with exactly the escaped path p (url.Parse would read "//x" as a host).
func setWirePath(t *testing.T, r *http.Request, p string) {
	t.Helper()
	path, err := url.PathUnescape(p)
	if err != nil {
		t.Fatal(err)
	}
	r.URL.Path, r.URL.RawPath = path, p
	if r.URL.EscapedPath() != p {
		t.Fatalf("path %q would go out as %q", p, r.URL.EscapedPath())
	}
}
