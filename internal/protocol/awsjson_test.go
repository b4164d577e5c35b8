package protocol_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"

	"github.com/iamd/iamd/internal/api/cloudtrailapi"
	"github.com/iamd/iamd/internal/protocol"
)

// The awsJson1_1 wire rules, case by case (the shared reference holds the SDKs' conformance vectors for the
// query and rest-json protocols only, so these cases restate the json protocol's rules as botocore's
// json.json suites test them, against the real CloudTrail shapes): the operation from X-Amz-Target, the
// input as one JSON object, timestamps as epoch seconds (a fraction allowed) or ISO 8601 strings, lists
// of structures, and errors as {"__type","message"}.

func jsonRequest(target, body string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/x-amz-json-1.1")
	if target != "" {
		r.Header.Set("X-Amz-Target", target)
	}
	return r
}

func TestJSONTargets(t *testing.T) {
	for _, tc := range []struct {
		method, target string
		want           string // operation, or "" for UnknownOperationException
	}{
		{http.MethodPost, "CloudTrail_20131101.LookupEvents", "LookupEvents"},
		{http.MethodPost, "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents", "LookupEvents"},
		{http.MethodPost, "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.GetTrail", "GetTrail"},
		{http.MethodPost, "CloudTrail_20131101.NoSuchOperation", ""},
		{http.MethodPost, "Other_20131101.LookupEvents", ""},
		{http.MethodPost, "v20131101.CloudTrail_20131101.LookupEvents", ""},
		{http.MethodPost, "LookupEvents", ""},
		{http.MethodPost, "CloudTrail_20131101.", ""},
		{http.MethodPost, "", ""},
		{http.MethodGet, "CloudTrail_20131101.LookupEvents", ""},
	} {
		op, err := protocol.FindJSONOperation(cloudtrailapi.Info, tc.method, tc.target)
		if tc.want == "" {
			var pe *protocol.Error
			if !errors.As(err, &pe) || pe.Code != "UnknownOperationException" || pe.HTTPStatus() != 400 {
				t.Errorf("%s %q: got %v, %v", tc.method, tc.target, op, err)
			}
			continue
		}
		if err != nil || op.Name != tc.want {
			t.Errorf("%s %q: got %v, %v", tc.method, tc.target, op, err)
		}
	}
}

func TestJSONDecode(t *testing.T) {
	body := `{"LookupAttributes":[{"AttributeKey":"EventName","AttributeValue":"Create\u0055ser"}],
		"StartTime":1.5,"EndTime":"2030-05-06T07:08:09Z","MaxResults":7,"NextToken":"tok","Unknown":{"x":[1]}}`
	op, in, err := protocol.Decode(cloudtrailapi.Info, jsonRequest("CloudTrail_20131101.LookupEvents", body), []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	req := in.(*cloudtrailapi.LookupEventsRequest)
	if op.Name != "LookupEvents" || len(req.LookupAttributes) != 1 ||
		protocol.ToString(req.LookupAttributes[0].AttributeKey) != "EventName" ||
		protocol.ToString(req.LookupAttributes[0].AttributeValue) != "CreateUser" ||
		!req.StartTime.Equal(time.Unix(1, 5e8)) || !req.EndTime.Equal(sdkTime) ||
		protocol.ToInt32(req.MaxResults) != 7 || protocol.ToString(req.NextToken) != "tok" || req.EventCategory != nil {
		t.Fatalf("%+v", req)
	}
	// An empty body and an empty object are both the empty input.
	for _, b := range []string{"", "{}", " \n"} {
		_, in, err := protocol.Decode(cloudtrailapi.Info, jsonRequest("CloudTrail_20131101.LookupEvents", b), []byte(b))
		if err != nil || !reflect.DeepEqual(in, &cloudtrailapi.LookupEventsRequest{}) {
			t.Errorf("%q: %+v %v", b, in, err)
		}
	}
}

func TestJSONDecodeRefusesMalformedBodies(t *testing.T) {
	for _, b := range []string{
		`{`, `[]`, `"x"`, `{} {}`, `{"MaxResults":"7"}`, `{"MaxResults":1e400}`, `{"MaxResults":2147483648}`,
		`{"StartTime":true}`, `{"StartTime":"yesterday"}`, `{"LookupAttributes":{"AttributeKey":"EventName"}}`,
		`{"LookupAttributes":[{"AttributeKey":7}]}`, `{"NextToken":{}}`, `{"NextToken":"\ud800"x}`,
	} {
		_, _, err := protocol.Decode(cloudtrailapi.Info, jsonRequest("CloudTrail_20131101.LookupEvents", b), []byte(b))
		var pe *protocol.Error
		if !errors.As(err, &pe) || pe.Code != "SerializationException" || pe.HTTPStatus() != 400 {
			t.Errorf("%.60q: got %v", b, err)
		}
	}
}

func TestJSONWriteResult(t *testing.T) {
	op := cloudtrailapi.Info.ByName["LookupEvents"]
	at := time.Date(2030, 5, 6, 7, 8, 9, 250e6, time.UTC)
	out := &cloudtrailapi.LookupEventsResponse{Events: []cloudtrailapi.Event{
		{EventId: protocol.String("e1"), EventTime: &at, ReadOnly: protocol.String("false"),
			Resources:       []cloudtrailapi.Resource{{ResourceType: protocol.String("AWS::IAM::User"), ResourceName: protocol.String("bob")}},
			CloudTrailEvent: protocol.String(`{"eventName":"CreateUser","x":"<&>"}`)},
		{EventId: protocol.String("e2"), EventTime: &sdkTime},
	}, NextToken: protocol.String("n")}
	rec := httptest.NewRecorder()
	if err := protocol.WriteResult(rec, op, out, "rid"); err != nil {
		t.Fatal(err)
	}
	if rec.Code != 200 || rec.Header().Get("Content-Type") != "application/x-amz-json-1.1" || rec.Header().Get("X-Amzn-Requestid") != "rid" {
		t.Fatalf("%d %v", rec.Code, rec.Header())
	}
	var got map[string]any
	dec := json.NewDecoder(rec.Body)
	dec.UseNumber()
	if err := dec.Decode(&got); err != nil {
		t.Fatal(err)
	}
	events := got["Events"].([]any)
	e1, e2 := events[0].(map[string]any), events[1].(map[string]any)
	// Timestamps are epoch seconds, a fraction only when there is one.
	if e1["EventTime"] != json.Number("1904281689.25") || e2["EventTime"] != json.Number("1904281689") {
		t.Errorf("times %v %v", e1["EventTime"], e2["EventTime"])
	}
	if e1["CloudTrailEvent"] != `{"eventName":"CreateUser","x":"<&>"}` || got["NextToken"] != "n" ||
		e1["Resources"].([]any)[0].(map[string]any)["ResourceName"] != "bob" {
		t.Errorf("%v", got)
	}
	if _, ok := e2["Resources"]; ok {
		t.Errorf("absent members are left out: %v", e2)
	}
	// A nil output is an empty object.
	rec = httptest.NewRecorder()
	if err := protocol.WriteResult(rec, cloudtrailapi.Info.ByName["StartLogging"], (*cloudtrailapi.StartLoggingResponse)(nil), "rid"); err != nil {
		t.Fatal(err)
	}
	if rec.Body.String() != "{}" {
		t.Errorf("nil output: %s", rec.Body)
	}
}

func TestJSONWriteError(t *testing.T) {
	for _, tc := range []struct {
		err    error
		status int
		body   string
	}{
		{cloudtrailapi.NewInvalidTimeRangeException("bad \"range\""), 400,
			`{"__type":"InvalidTimeRangeException","message":"bad \"range\""}`},
		{cloudtrailapi.NewTrailNotFoundException("Unknown trail"), 400, `{"__type":"TrailNotFoundException","message":"Unknown trail"}`},
		{protocol.NotImplemented("CloudTrail", "GetTrail"), 501,
			`{"__type":"NotImplemented","message":"iamd does not implement CloudTrail operation GetTrail yet"}`},
		{&protocol.Error{Code: "InvalidClientTokenId", Status: 403, Message: "The security token included in the request is invalid."}, 400,
			`{"__type":"UnrecognizedClientException","message":"The security token included in the request is invalid."}`},
		{&protocol.Error{Code: "SignatureDoesNotMatch", Status: 403, Message: "no match"}, 400,
			`{"__type":"InvalidSignatureException","message":"no match"}`},
		{errors.New("disk on fire"), 500,
			`{"__type":"InternalFailure","message":"The request processing has failed because of an unknown error, exception or failure."}`},
	} {
		rec := httptest.NewRecorder()
		ae := protocol.WriteError(rec, cloudtrailapi.Info, tc.err, "rid")
		if rec.Code != tc.status || ae.HTTPStatus() != tc.status || rec.Body.String() != tc.body ||
			rec.Header().Get("Content-Type") != "application/x-amz-json-1.1" {
			t.Errorf("%v: %d %s %v", tc.err, rec.Code, rec.Body, rec.Header())
		}
	}
}

// TestJSONValidationError: a model constraint failure of a json-protocol service is ValidationException.
func TestJSONValidationError(t *testing.T) {
	svc := &protocol.ServiceInfo{Name: "Test", Protocol: "json"}
	in := &cloudtrailapi.LookupEventsRequest{LookupAttributes: []cloudtrailapi.LookupAttribute{{AttributeKey: protocol.String("EventName")}}}
	err := protocol.Validate(svc, cloudtrailapi.Info.ByName["LookupEvents"].Input, in)
	var pe *protocol.Error
	if !errors.As(err, &pe) || pe.Code != "ValidationException" || pe.Message != "1 validation error detected: "+
		"Value null at 'lookupAttributes.1.member.attributeValue' failed to satisfy constraint: Member must not be null" {
		t.Fatalf("got %v", err)
	}
}

type fakeCloudTrail struct{ cloudtrailapi.Unimplemented }

func (fakeCloudTrail) LookupEvents(_ context.Context, in *cloudtrailapi.LookupEventsRequest) (*cloudtrailapi.LookupEventsResponse, error) {
	if len(in.LookupAttributes) > 1 {
		return nil, cloudtrailapi.NewInvalidLookupAttributesException("one at a time")
	}
	name := ""
	if len(in.LookupAttributes) == 1 {
		name = protocol.ToString(in.LookupAttributes[0].AttributeValue)
	}
	out := &cloudtrailapi.LookupEventsResponse{Events: []cloudtrailapi.Event{{EventId: protocol.String("e-" + protocol.ToString(in.NextToken)),
		EventName: protocol.String(name), EventTime: in.EndTime, ReadOnly: protocol.String("true"),
		Resources: []cloudtrailapi.Resource{{ResourceType: protocol.String("AWS::IAM::User"), ResourceName: protocol.String("bob")}}}}}
	if in.NextToken == nil {
		out.NextToken = protocol.String("page2")
	}
	return out, nil
}

// TestSDKCloudTrail talks to the runtime with the unmodified SDK for Go v2 CloudTrail client, its paginator
// included.
func TestSDKCloudTrail(t *testing.T) {
	c := cloudtrail.NewFromConfig(sdkConfig(serve(t, cloudtrailapi.Info, fakeCloudTrail{})))
	ctx := context.Background()
	p := cloudtrail.NewLookupEventsPaginator(c, &cloudtrail.LookupEventsInput{EndTime: aws.Time(sdkTime),
		LookupAttributes: []cttypes.LookupAttribute{{AttributeKey: cttypes.LookupAttributeKeyEventName, AttributeValue: aws.String("CreateUser")}}})
	var ids []string
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range page.Events {
			if aws.ToString(e.EventName) != "CreateUser" || !aws.ToTime(e.EventTime).Equal(sdkTime) ||
				len(e.Resources) != 1 || aws.ToString(e.Resources[0].ResourceName) != "bob" {
				t.Fatalf("%+v", e)
			}
			ids = append(ids, aws.ToString(e.EventId))
		}
	}
	if strings.Join(ids, ",") != "e-,e-page2" {
		t.Errorf("pages %v", ids)
	}
	_, err := c.LookupEvents(ctx, &cloudtrail.LookupEventsInput{LookupAttributes: []cttypes.LookupAttribute{
		{AttributeKey: cttypes.LookupAttributeKeyEventName, AttributeValue: aws.String("a")},
		{AttributeKey: cttypes.LookupAttributeKeyUsername, AttributeValue: aws.String("b")}}})
	var ila *cttypes.InvalidLookupAttributesException
	if !errors.As(err, &ila) || ila.ErrorMessage() != "one at a time" {
		t.Fatalf("got %v", err)
	}
	wantAPIError(t, err, "InvalidLookupAttributesException", 400, "one at a time")
	_, err = c.GetTrail(ctx, &cloudtrail.GetTrailInput{Name: aws.String("t")})
	wantAPIError(t, err, "NotImplemented", 501, "iamd does not implement CloudTrail operation GetTrail yet")
}

// FuzzJSONDecode feeds arbitrary X-Amz-Target headers and bodies to the json runtime: decoding,
// validating and writing the result or error never panics, a refusal is a 4xx APIError, and every body
// written is JSON.
func FuzzJSONDecode(f *testing.F) {
	for _, s := range [][2]string{
		{"CloudTrail_20131101.LookupEvents", `{"LookupAttributes":[{"AttributeKey":"EventName","AttributeValue":"x"}],"MaxResults":3}`},
		{"CloudTrail_20131101.LookupEvents", `{"StartTime":1e12,"EndTime":"2030-01-01T00:00:00Z","EventCategory":"insight"}`},
		{"com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.CreateTrail", `{"Name":"t","S3BucketName":"b","TagsList":[{"Key":"k"}]}`},
		{"CloudTrail_20131101.PutEventSelectors", `{"EventSelectors":[{"DataResources":[{"Values":["a"]}]}]}`},
		{"CloudTrail_20131101.LookupEvents", `{"MaxResults":-1}`},
		{"x", `[`},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, target, body string) {
		svc := cloudtrailapi.Info
		op, in, err := protocol.Decode(svc, jsonRequest("", body), []byte(body))
		if err == nil {
			t.Fatalf("decoded without a target: %v", op)
		}
		r := jsonRequest("", body)
		r.Header["X-Amz-Target"] = []string{target}
		op, in, err = protocol.Decode(svc, r, []byte(body))
		rec := httptest.NewRecorder()
		if err == nil {
			if err = protocol.ValidateInput(in); err == nil {
				// Encode the decoded input as if it were an output.
				b := protocol.AppendJSONResult(nil, &protocol.Operation{Name: op.Name, Output: op.Input, Service: svc}, in)
				if !json.Valid(b) {
					t.Fatalf("invalid JSON %s", b)
				}
				return
			}
		}
		if ae := protocol.WriteError(rec, svc, err, "r"); ae.HTTPStatus() < 400 || ae.HTTPStatus() >= 500 {
			t.Fatalf("%q %q: status %d for %v", target, body, ae.HTTPStatus(), err)
		}
		if !json.Valid(rec.Body.Bytes()) {
			t.Fatalf("error body is not JSON: %s", rec.Body)
		}
	})
}
