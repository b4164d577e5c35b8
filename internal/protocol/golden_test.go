package protocol_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/iamd/iamd/internal/api/accountapi"
	"github.com/iamd/iamd/internal/api/iamapi"
	"github.com/iamd/iamd/internal/api/stsapi"
	"github.com/iamd/iamd/internal/protocol"
)

func formRequest(body string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	return r
}

func TestGoldenGetCallerIdentity(t *testing.T) {
	body := "Action=GetCallerIdentity&Version=2011-06-15"
	op, in, err := protocol.Decode(stsapi.Info, formRequest(body), []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if op.Name != "GetCallerIdentity" || op.ResultWrapper != "GetCallerIdentityResult" {
		t.Fatalf("op %+v", op)
	}
	if _, ok := in.(*stsapi.GetCallerIdentityRequest); !ok {
		t.Fatalf("input %T", in)
	}
	if err := protocol.ValidateInput(in); err != nil {
		t.Fatal(err)
	}
	out := &stsapi.GetCallerIdentityResponse{
		UserId:  protocol.String("AIDACKCEVSQ6C2EXAMPLE"),
		Account: protocol.String("123456789012"),
		Arn:     protocol.String("arn:aws:iam::123456789012:user/alice"),
	}
	rec := httptest.NewRecorder()
	if err := protocol.WriteResult(rec, op, out, "7a62c49f-347e-4fc4-9331-6e8eEXAMPLE"); err != nil {
		t.Fatal(err)
	}
	want := `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult>` +
		`<UserId>AIDACKCEVSQ6C2EXAMPLE</UserId><Account>123456789012</Account><Arn>arn:aws:iam::123456789012:user/alice</Arn>` +
		`</GetCallerIdentityResult><ResponseMetadata><RequestId>7a62c49f-347e-4fc4-9331-6e8eEXAMPLE</RequestId>` +
		`</ResponseMetadata></GetCallerIdentityResponse>`
	if got := rec.Body.String(); got != want {
		t.Errorf("body\n got %s\nwant %s", got, want)
	}
	if rec.Code != 200 || rec.Header().Get("Content-Type") != "text/xml" ||
		rec.Header().Get("x-amzn-RequestId") != "7a62c49f-347e-4fc4-9331-6e8eEXAMPLE" {
		t.Errorf("status %d headers %v", rec.Code, rec.Header())
	}
}

func TestGoldenCreateUser(t *testing.T) {
	body := "Action=CreateUser&Version=2010-05-08&UserName=bob&Path=%2Fdev%2F&Tags.member.2.Key=team&Tags.member.2.Value=a+%2Bb" +
		"&Tags.member.1.Key=env&Tags.member.1.Value=prod&PermissionsBoundary=arn%3Aaws%3Aiam%3A%3A123456789012%3Apolicy%2Fb&Unknown=1"
	op, in, err := protocol.Decode(iamapi.Info, formRequest(body), []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	req := in.(*iamapi.CreateUserRequest)
	if protocol.ToString(req.UserName) != "bob" || protocol.ToString(req.Path) != "/dev/" || len(req.Tags) != 2 ||
		protocol.ToString(req.Tags[0].Key) != "env" || protocol.ToString(req.Tags[1].Value) != "a +b" {
		t.Fatalf("decoded %+v", req)
	}
	if err := req.Validate(); err != nil {
		t.Fatal(err)
	}
	created := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	out := &iamapi.CreateUserResponse{User: &iamapi.User{
		Path: req.Path, UserName: req.UserName, UserId: protocol.String("AIDAEXAMPLE"),
		Arn: protocol.String("arn:aws:iam::123456789012:user/dev/bob"), CreateDate: &created,
		PermissionsBoundary: &iamapi.AttachedPermissionsBoundary{
			PermissionsBoundaryType: protocol.String(iamapi.PermissionsBoundaryAttachmentTypePermissionsBoundaryPolicy),
			PermissionsBoundaryArn:  req.PermissionsBoundary,
		},
		Tags: req.Tags,
	}}
	rec := httptest.NewRecorder()
	if err := protocol.WriteResult(rec, op, out, "rid"); err != nil {
		t.Fatal(err)
	}
	want := `<CreateUserResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><CreateUserResult><User>` +
		`<Path>/dev/</Path><UserName>bob</UserName><UserId>AIDAEXAMPLE</UserId><Arn>arn:aws:iam::123456789012:user/dev/bob</Arn>` +
		`<CreateDate>2024-01-02T03:04:05Z</CreateDate><PermissionsBoundary><PermissionsBoundaryType>PermissionsBoundaryPolicy</PermissionsBoundaryType>` +
		`<PermissionsBoundaryArn>arn:aws:iam::123456789012:policy/b</PermissionsBoundaryArn></PermissionsBoundary>` +
		`<Tags><member><Key>env</Key><Value>prod</Value></member><member><Key>team</Key><Value>a +b</Value></member></Tags>` +
		`</User></CreateUserResult><ResponseMetadata><RequestId>rid</RequestId></ResponseMetadata></CreateUserResponse>`
	if got := rec.Body.String(); got != want {
		t.Errorf("body\n got %s\nwant %s", got, want)
	}
}

func TestGoldenQueryErrors(t *testing.T) {
	cases := []struct {
		svc    *protocol.ServiceInfo
		err    error
		status int
		want   string
	}{
		{iamapi.Info, iamapi.NewNoSuchEntityException("The user with name bob cannot be found."), 404,
			`<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error><Type>Sender</Type><Code>NoSuchEntity</Code>` +
				`<Message>The user with name bob cannot be found.</Message></Error><RequestId>rid</RequestId></ErrorResponse>`},
		{iamapi.Info, iamapi.NewLimitExceededException("Cannot exceed quota for AccessKeysPerUser: 2"), 409,
			`<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error><Type>Sender</Type><Code>LimitExceeded</Code>` +
				`<Message>Cannot exceed quota for AccessKeysPerUser: 2</Message></Error><RequestId>rid</RequestId></ErrorResponse>`},
		{iamapi.Info, iamapi.NewServiceFailureException("x"), 500,
			`<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error><Type>Receiver</Type><Code>ServiceFailure</Code>` +
				`<Message>x</Message></Error><RequestId>rid</RequestId></ErrorResponse>`},
		// A plain Go error never leaks its text.
		{iamapi.Info, errors.New("pq: connection refused"), 500,
			`<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error><Type>Receiver</Type><Code>ServiceFailure</Code>` +
				`<Message>Request processing has failed due to some unknown error, exception or failure.</Message></Error><RequestId>rid</RequestId></ErrorResponse>`},
		{stsapi.Info, errors.New("boom"), 500,
			`<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Receiver</Type><Code>InternalFailure</Code>` +
				`<Message>The request processing has failed because of an unknown error, exception or failure.</Message></Error><RequestId>rid</RequestId></ErrorResponse>`},
		{stsapi.Info, stsapi.NewRegionDisabledException("STS is not activated in this region for account:123456789012. Your account administrator can activate STS in this region using the IAM Console."), 403,
			`<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>RegionDisabledException</Code>` +
				`<Message>STS is not activated in this region for account:123456789012. Your account administrator can activate STS in this region using the IAM Console.</Message></Error><RequestId>rid</RequestId></ErrorResponse>`},
	}
	for _, c := range cases {
		rec := httptest.NewRecorder()
		protocol.WriteError(rec, c.svc, c.err, "rid")
		if rec.Code != c.status || rec.Body.String() != c.want || rec.Header().Get("Content-Type") != "text/xml" {
			t.Errorf("%v: got %d %s\nwant %d %s", c.err, rec.Code, rec.Body.String(), c.status, c.want)
		}
	}
}

func TestGoldenAccount(t *testing.T) {
	body := `{"RegionName":"af-south-1","Unknown":{"x":1}}`
	r := httptest.NewRequest(http.MethodPost, "/enableRegion", strings.NewReader(body))
	op, in, err := protocol.Decode(accountapi.Info, r, []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if op.Name != "EnableRegion" || protocol.ToString(in.(*accountapi.EnableRegionRequest).RegionName) != "af-south-1" {
		t.Fatalf("%s %+v", op.Name, in)
	}
	if err := protocol.ValidateInput(in); err != nil {
		t.Fatal(err)
	}

	// Output.
	gop := accountapi.Info.ByName["GetRegionOptStatus"]
	rec := httptest.NewRecorder()
	out := &accountapi.GetRegionOptStatusResponse{RegionName: protocol.String("af-south-1"),
		RegionOptStatus: protocol.String(accountapi.RegionOptStatusEnabling)}
	if err := protocol.WriteResult(rec, gop, out, "rid"); err != nil {
		t.Fatal(err)
	}
	if want := `{"RegionName":"af-south-1","RegionOptStatus":"ENABLING"}`; rec.Body.String() != want || rec.Code != 200 ||
		rec.Header().Get("Content-Type") != "application/json" {
		t.Errorf("got %d %s", rec.Code, rec.Body.String())
	}

	// Validation: a required member missing, with the model's ValidationException and its fieldList.
	body = `{}`
	r = httptest.NewRequest(http.MethodPost, "/enableRegion", strings.NewReader(body))
	_, in, err = protocol.Decode(accountapi.Info, r, []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	verr := protocol.ValidateInput(in)
	rec = httptest.NewRecorder()
	protocol.WriteError(rec, accountapi.Info, verr, "rid")
	want := `{"message":"1 validation error detected: Value null at 'regionName' failed to satisfy constraint: Member must not be null",` +
		`"reason":"fieldValidationFailed","fieldList":[{"name":"regionName","message":"Value null at 'regionName' failed to satisfy constraint: Member must not be null"}]}`
	if rec.Code != 400 || rec.Body.String() != want || rec.Header().Get("X-Amzn-ErrorType") != "ValidationException" {
		t.Errorf("got %d %v %s", rec.Code, rec.Header(), rec.Body.String())
	}

	// Errors.
	rec = httptest.NewRecorder()
	protocol.WriteError(rec, accountapi.Info, accountapi.NewResourceNotFoundException("nope"), "rid")
	if rec.Code != 404 || rec.Body.String() != `{"message":"nope"}` || rec.Header().Get("X-Amzn-ErrorType") != "ResourceNotFoundException" {
		t.Errorf("got %d %v %s", rec.Code, rec.Header(), rec.Body.String())
	}

	// Unknown route and malformed JSON.
	for _, c := range []struct {
		path, body, code string
		status           int
	}{
		{"/noSuchOp", `{}`, "UnknownOperationException", 404},
		{"/enableRegion", `{"RegionName":`, "SerializationException", 400},
		{"/enableRegion", `{"RegionName":5}`, "SerializationException", 400},
		{"/enableRegion", `[1]`, "SerializationException", 400},
	} {
		r := httptest.NewRequest(http.MethodPost, c.path, strings.NewReader(c.body))
		_, _, err := protocol.Decode(accountapi.Info, r, []byte(c.body))
		var ae protocol.APIError
		if !errors.As(err, &ae) || ae.ErrorCode() != c.code || ae.HTTPStatus() != c.status {
			t.Errorf("%s %s: %v", c.path, c.body, err)
		}
	}
}

type stsService struct{ stsapi.Unimplemented }

func (stsService) GetCallerIdentity(context.Context, *stsapi.GetCallerIdentityRequest) (*stsapi.GetCallerIdentityResponse, error) {
	return &stsapi.GetCallerIdentityResponse{Account: protocol.String("123456789012")}, nil
}

func TestInvokeAndUnimplemented(t *testing.T) {
	svc := stsService{}
	out, err := stsapi.Info.ByName["GetCallerIdentity"].Invoke(context.Background(), svc, &stsapi.GetCallerIdentityRequest{})
	if err != nil || protocol.ToString(out.(*stsapi.GetCallerIdentityResponse).Account) != "123456789012" {
		t.Fatalf("%v %v", out, err)
	}
	out, err = stsapi.Info.ByName["AssumeRole"].Invoke(context.Background(), svc, &stsapi.AssumeRoleRequest{})
	var ae protocol.APIError
	if out != nil || !errors.As(err, &ae) || ae.HTTPStatus() != 501 || ae.ErrorCode() != "NotImplemented" ||
		ae.ErrorMessage() != "iamd does not implement STS operation AssumeRole yet" {
		t.Fatalf("%v %v", out, err)
	}
	if _, err := stsapi.Info.ByName["AssumeRole"].Invoke(context.Background(), struct{}{}, &stsapi.AssumeRoleRequest{}); err == nil {
		t.Fatal("a value that is not a Service was invoked")
	}
}
