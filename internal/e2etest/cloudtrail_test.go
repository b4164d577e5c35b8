package e2etest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/iamd/iamd/internal/api/cloudtrailapi"
	"github.com/iamd/iamd/internal/audit"
	"github.com/iamd/iamd/internal/testutil/audittest"
)

// trailStart is when the events of startWithTrail begin.
var trailStart = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

const trailOtherAccount = "210987654321"

// startWithTrail starts a server whose CloudTrail API reads an in-memory history: 120 events of the test
// account a minute apart (even ones CreateUser, odd ones GetUser) and 3 of another account.
func startWithTrail(t *testing.T) (*Server, *audittest.History) {
	t.Helper()
	h := &audittest.History{}
	for i := range 120 {
		name, ro := "CreateUser", false
		if i%2 == 1 {
			name, ro = "GetUser", true
		}
		h.Add(audit.Event{EventID: fmt.Sprintf("ev-%03d", i), AccountID: AccountID, EventTime: trailStart.Add(time.Duration(i) * time.Minute),
			EventSource: "iam.amazonaws.com", EventName: name, ReadOnly: ro, Username: "alice", AccessKeyID: "AKIAEXAMPLEALICE0001",
			Resources: []audit.Resource{{Type: "AWS::IAM::User", Name: fmt.Sprintf("user-%d", i)}},
			Record:    []byte(fmt.Sprintf(`{"eventVersion":"1.11","eventID":"ev-%03d","eventName":%q}`, i, name))})
	}
	for i := range 3 {
		h.Add(audit.Event{EventID: fmt.Sprintf("other-%d", i), AccountID: trailOtherAccount, EventTime: trailStart,
			EventSource: "iam.amazonaws.com", EventName: "CreateUser", Record: []byte(`{}`)})
	}
	return Start(t, Options{History: h}), h
}

// lookupAll pages through a lookup with the SDK's paginator, returning the event IDs and page sizes.
func lookupAll(t *testing.T, c *cloudtrail.Client, in *cloudtrail.LookupEventsInput) (ids []string, sizes []int) {
	t.Helper()
	p := cloudtrail.NewLookupEventsPaginator(c, in)
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		ok(t, "LookupEvents", err)
		sizes = append(sizes, len(page.Events))
		for _, e := range page.Events {
			ids = append(ids, aws.ToString(e.EventId))
		}
	}
	return ids, sizes
}

func TestCloudTrailLookupEvents(t *testing.T) {
	s, _ := startWithTrail(t)
	c := s.CloudTrail(RootCreds(), "us-east-1")
	ids, sizes := lookupAll(t, c, &cloudtrail.LookupEventsInput{MaxResults: aws.Int32(50)})
	if !slices.Equal(sizes, []int{50, 50, 20}) || len(ids) != 120 || ids[0] != "ev-119" || ids[119] != "ev-000" {
		t.Fatalf("pages %v, %d events from %v", sizes, len(ids), ids[:1])
	}
	ids, _ = lookupAll(t, c, &cloudtrail.LookupEventsInput{LookupAttributes: []cttypes.LookupAttribute{
		{AttributeKey: cttypes.LookupAttributeKeyEventName, AttributeValue: aws.String("CreateUser")}}})
	if len(ids) != 60 || ids[0] != "ev-118" {
		t.Fatalf("CreateUser: %d events from %v", len(ids), ids[:1])
	}
	start, end := trailStart.Add(10*time.Minute), trailStart.Add(12*time.Minute)
	out, err := c.LookupEvents(context.Background(), &cloudtrail.LookupEventsInput{StartTime: &start, EndTime: &end})
	ok(t, "LookupEvents in a range", err)
	if len(out.Events) != 3 || out.NextToken != nil {
		t.Fatalf("%+v", out)
	}
	e := out.Events[0]
	if aws.ToString(e.EventId) != "ev-012" || aws.ToString(e.EventName) != "CreateUser" || aws.ToString(e.ReadOnly) != "false" ||
		!aws.ToTime(e.EventTime).Equal(end) || aws.ToString(e.EventSource) != "iam.amazonaws.com" || aws.ToString(e.Username) != "alice" ||
		aws.ToString(e.AccessKeyId) != "AKIAEXAMPLEALICE0001" || len(e.Resources) != 1 ||
		aws.ToString(e.Resources[0].ResourceType) != "AWS::IAM::User" || aws.ToString(e.Resources[0].ResourceName) != "user-12" {
		t.Fatalf("%+v", e)
	}
	var record map[string]any
	if err := json.Unmarshal([]byte(aws.ToString(e.CloudTrailEvent)), &record); err != nil || record["eventID"] != "ev-012" {
		t.Fatalf("CloudTrailEvent %q: %v", aws.ToString(e.CloudTrailEvent), err)
	}
	// Insights: iamd records none.
	out, err = c.LookupEvents(context.Background(), &cloudtrail.LookupEventsInput{EventCategory: cttypes.EventCategoryInsight})
	ok(t, "LookupEvents insight", err)
	if len(out.Events) != 0 || out.NextToken != nil {
		t.Fatalf("%+v", out)
	}
}

// TestCloudTrailLookupEventsIsAuthorized: an IAM user needs cloudtrail:LookupEvents.
func TestCloudTrailLookupEventsIsAuthorized(t *testing.T) {
	s, _ := startWithTrail(t)
	user := newUser(t, s, RootCreds(), "auditor")
	c := s.CloudTrail(user, "us-east-1")
	_, err := c.LookupEvents(context.Background(), &cloudtrail.LookupEventsInput{})
	wantError(t, "without a policy", err, "AccessDeniedException", 400, "User: arn:aws:iam::"+AccountID+
		":user/auditor is not authorized to perform: cloudtrail:LookupEvents because no identity-based policy allows the cloudtrail:LookupEvents action")
	allow(t, s, RootCreds(), "auditor", "iam:*", "*")
	_, err = c.LookupEvents(context.Background(), &cloudtrail.LookupEventsInput{})
	wantError(t, "with IAM permissions only", err, "AccessDeniedException", 400, "")
	allow(t, s, RootCreds(), "auditor", "cloudtrail:LookupEvents", "*")
	ids, _ := lookupAll(t, c, &cloudtrail.LookupEventsInput{})
	if len(ids) != 120 {
		t.Fatalf("%d events", len(ids))
	}
	// Access advisor names the service and when the user last reached it.
	_, report := accessReport(t, &iamEnv{t: t, s: s, c: s.IAM(RootCreds()), ctx: context.Background()},
		"arn:aws:iam::"+AccountID+":user/auditor", iamtypes.AccessAdvisorUsageGranularityTypeServiceLevel)
	if r, found := report["cloudtrail"]; !found || aws.ToString(r.ServiceName) != "AWS CloudTrail" || r.LastAuthenticated == nil {
		t.Fatalf("access advisor: %+v", report)
	}
	// An explicit deny wins.
	_, err = s.IAM(RootCreds()).PutUserPolicy(context.Background(), &iam.PutUserPolicyInput{UserName: aws.String("auditor"),
		PolicyName: aws.String("deny"), PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"cloudtrail:Lookup*","Resource":"*"}]}`)})
	ok(t, "PutUserPolicy", err)
	_, err = c.LookupEvents(context.Background(), &cloudtrail.LookupEventsInput{})
	wantError(t, "denied", err, "AccessDeniedException", 400, "User: arn:aws:iam::"+AccountID+
		":user/auditor is not authorized to perform: cloudtrail:LookupEvents with an explicit deny in an identity-based policy")
}

func TestCloudTrailLookupEventsRefusals(t *testing.T) {
	s, _ := startWithTrail(t)
	c := s.CloudTrail(RootCreds(), "us-east-1")
	ctx := context.Background()
	attr := func(k cttypes.LookupAttributeKey, v string) cttypes.LookupAttribute {
		return cttypes.LookupAttribute{AttributeKey: k, AttributeValue: aws.String(v)}
	}
	_, err := c.LookupEvents(ctx, &cloudtrail.LookupEventsInput{LookupAttributes: []cttypes.LookupAttribute{
		attr(cttypes.LookupAttributeKeyEventName, "CreateUser"), attr(cttypes.LookupAttributeKeyUsername, "alice")}})
	wantError(t, "two attributes", err, "InvalidLookupAttributesException", 400, "You can specify only one lookup attribute.")
	_, err = c.LookupEvents(ctx, &cloudtrail.LookupEventsInput{LookupAttributes: []cttypes.LookupAttribute{attr("Colour", "red")}})
	wantError(t, "unknown key", err, "InvalidLookupAttributesException", 400, "")
	_, err = c.LookupEvents(ctx, &cloudtrail.LookupEventsInput{LookupAttributes: []cttypes.LookupAttribute{attr(cttypes.LookupAttributeKeyEventName, "")}})
	wantError(t, "empty value", err, "InvalidLookupAttributesException", 400, "")
	later := trailStart.Add(time.Hour)
	_, err = c.LookupEvents(ctx, &cloudtrail.LookupEventsInput{StartTime: &later, EndTime: &trailStart})
	wantError(t, "start after end", err, "InvalidTimeRangeException", 400, "Start time must be equal to or earlier than end time.")
	_, err = c.LookupEvents(ctx, &cloudtrail.LookupEventsInput{MaxResults: aws.Int32(51)})
	wantError(t, "51 results", err, "InvalidMaxResultsException", 400,
		"1 validation error detected: Value '51' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 50")
	_, err = c.LookupEvents(ctx, &cloudtrail.LookupEventsInput{EventCategory: "management"})
	wantError(t, "category", err, "InvalidEventCategoryException", 400, "")
	page, err := c.LookupEvents(ctx, &cloudtrail.LookupEventsInput{MaxResults: aws.Int32(5),
		LookupAttributes: []cttypes.LookupAttribute{attr(cttypes.LookupAttributeKeyEventName, "GetUser")}})
	ok(t, "LookupEvents", err)
	_, err = c.LookupEvents(ctx, &cloudtrail.LookupEventsInput{NextToken: page.NextToken,
		LookupAttributes: []cttypes.LookupAttribute{attr(cttypes.LookupAttributeKeyEventName, "CreateUser")}})
	wantError(t, "another query's token", err, "InvalidNextTokenException", 400, "Invalid NextToken.")
	_, err = c.LookupEvents(ctx, &cloudtrail.LookupEventsInput{NextToken: aws.String("pos:ev-100")})
	wantError(t, "forged token", err, "InvalidNextTokenException", 400, "Invalid NextToken.")
	// Every other operation of the CloudTrail API is NotImplemented.
	_, err = c.DescribeTrails(ctx, &cloudtrail.DescribeTrailsInput{})
	wantError(t, "DescribeTrails", err, "NotImplemented", 501, "iamd does not implement CloudTrail operation DescribeTrails yet")
}

// TestCloudTrailEndpointHost: a client of cloudtrail.REGION.amazonaws.com (the SDK's own endpoint, dialled
// to the test server) reaches the CloudTrail API, and the signature must name that region.
func TestCloudTrailEndpointHost(t *testing.T) {
	s, _ := startWithTrail(t)
	u, err := url.Parse(s.URL)
	ok(t, "server URL", err)
	dialer := &net.Dialer{}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.DialContext = func(ctx context.Context, network, _ string) (net.Conn, error) {
		return dialer.DialContext(ctx, network, u.Host)
	}
	t.Cleanup(tr.CloseIdleConnections)
	client := func(region, host string) *cloudtrail.Client {
		return cloudtrail.NewFromConfig(aws.Config{Region: region, Credentials: RootCreds(), RetryMaxAttempts: 1,
			HTTPClient: &http.Client{Transport: readOnlyBodies{tr}}}, func(o *cloudtrail.Options) {
			o.BaseEndpoint = aws.String("http://" + host)
		})
	}
	out, err := client("eu-west-1", "cloudtrail.eu-west-1.amazonaws.com").LookupEvents(context.Background(), &cloudtrail.LookupEventsInput{MaxResults: aws.Int32(1)})
	ok(t, "LookupEvents at cloudtrail.eu-west-1.amazonaws.com", err)
	if len(out.Events) != 1 {
		t.Fatalf("%+v", out)
	}
	// Signed for another region than the host's.
	_, err = client("us-west-2", "cloudtrail.eu-west-1.amazonaws.com").LookupEvents(context.Background(), &cloudtrail.LookupEventsInput{})
	wantError(t, "signed for another region", err, "InvalidSignatureException", 400, "Credential should be scoped to a valid region. ")
}

// TestCloudTrailBoto3AndCLI pages through the history with boto3's paginator and the AWS CLI, unmodified.
// Skipped where they are not installed.
func TestCloudTrailBoto3AndCLI(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Python")
	}
	s, _ := startWithTrail(t)
	env := append(os.Environ(), "AWS_ACCESS_KEY_ID="+RootKeyID, "AWS_SECRET_ACCESS_KEY="+RootSecret, "AWS_DEFAULT_REGION=us-east-1",
		"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_PAGER=", "AWS_EC2_METADATA_DISABLED=true")
	env = slices.DeleteFunc(env, func(v string) bool {
		return strings.HasPrefix(v, "AWS_SESSION_TOKEN=") || strings.HasPrefix(v, "AWS_PROFILE=")
	})
	run := func(name string, args ...string) []byte {
		t.Helper()
		cmd := exec.Command(name, args...)
		cmd.Env = env
		out, err := cmd.Output()
		if err != nil {
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				t.Fatalf("%s: %v\n%s", name, err, ee.Stderr)
			}
			t.Fatalf("%s: %v", name, err)
		}
		return out
	}
	if exec.Command("python3", "-c", "import boto3").Run() == nil {
		script := `
import boto3, json, sys
ct = boto3.client("cloudtrail", endpoint_url=sys.argv[1])
pages = list(ct.get_paginator("lookup_events").paginate(
    LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "CreateUser"}], PaginationConfig={"PageSize": 25}))
print(json.dumps([[e["EventId"] for e in p["Events"]] for p in pages]))
`
		var pages [][]string
		if err := json.Unmarshal(run("python3", "-c", script, s.URL), &pages); err != nil {
			t.Fatal(err)
		}
		var sizes []int
		for _, p := range pages {
			sizes = append(sizes, len(p))
		}
		if !slices.Equal(sizes, []int{25, 25, 10}) || pages[0][0] != "ev-118" || pages[2][9] != "ev-000" {
			t.Errorf("boto3 pages %v", sizes)
		}
	}
	if _, err := exec.LookPath("aws"); err == nil {
		var out struct {
			Events []struct{ EventId, EventName string }
		}
		b := run("aws", "--endpoint-url", s.URL, "--output", "json", "cloudtrail", "lookup-events",
			"--lookup-attributes", "AttributeKey=EventName,AttributeValue=CreateUser")
		if err := json.Unmarshal(b, &out); err != nil {
			t.Fatalf("%v: %s", err, b)
		}
		if len(out.Events) != 60 || out.Events[0].EventId != "ev-118" || out.Events[59].EventName != "CreateUser" {
			t.Errorf("aws cloudtrail lookup-events: %d events", len(out.Events))
		}
	}
}

// TestCloudTrailAuthenticationErrors: the CloudTrail API words authentication failures as the json-protocol
// services do, 400 with their own codes and the usual messages.
func TestCloudTrailAuthenticationErrors(t *testing.T) {
	s, _ := startWithTrail(t)
	ctx := context.Background()
	_, err := s.CloudTrail(Creds("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", ""), "us-east-1").
		LookupEvents(ctx, &cloudtrail.LookupEventsInput{})
	wantError(t, "unknown key", err, "UnrecognizedClientException", 400, msgInvalidToken)
	_, err = s.CloudTrail(Creds(RootKeyID, "not-the-secret", ""), "us-east-1").LookupEvents(ctx, &cloudtrail.LookupEventsInput{})
	wantError(t, "wrong secret", err, "InvalidSignatureException", 400, "")
	c := emptyCall(cloudtrailapi.Info, cloudtrailapi.Info.ByName["LookupEvents"])
	got := doWire(t, s.request(t, c, ""), true)
	if got.status != 400 || got.code != "MissingAuthenticationTokenException" || got.message != "Request is missing Authentication Token" {
		t.Fatalf("unsigned: %d %s %q", got.status, got.code, got.message)
	}
}
