package protocol_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"reflect"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/account"
	accounttypes "github.com/aws/aws-sdk-go-v2/service/account/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"

	"github.com/iamd/iamd/internal/api/accountapi"
	"github.com/iamd/iamd/internal/api/cloudtrailapi"
	"github.com/iamd/iamd/internal/api/iamapi"
	"github.com/iamd/iamd/internal/api/stsapi"
	"github.com/iamd/iamd/internal/protocol"
	"github.com/iamd/iamd/internal/testutil/apierr"
)

// These tests put the runtime behind a real HTTP server and talk to it with the unmodified AWS SDK for Go
// v2: the point of iamd is that SDKs parse what we write.

func serve(t *testing.T, svc *protocol.ServiceInfo, impl any) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			protocol.WriteError(w, svc, err, "rid")
			return
		}
		op, in, err := protocol.Decode(svc, r, body)
		if err == nil {
			err = protocol.ValidateInput(in)
		}
		var out any
		if err == nil {
			out, err = op.Invoke(r.Context(), impl, in)
		}
		if err != nil {
			protocol.WriteError(w, svc, err, "rid")
			return
		}
		if err := protocol.WriteResult(w, op, out, "rid"); err != nil {
			t.Error(err)
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func sdkConfig(url string) aws.Config {
	return aws.Config{
		Region:           "us-east-1",
		Credentials:      credentials.NewStaticCredentialsProvider("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", ""),
		BaseEndpoint:     aws.String(url),
		RetryMaxAttempts: 1,
	}
}

var sdkTime = time.Date(2030, 5, 6, 7, 8, 9, 0, time.UTC)

type fakeSTS struct{ stsapi.Unimplemented }

func (fakeSTS) GetCallerIdentity(context.Context, *stsapi.GetCallerIdentityRequest) (*stsapi.GetCallerIdentityResponse, error) {
	return &stsapi.GetCallerIdentityResponse{UserId: protocol.String("AIDAEXAMPLE"), Account: protocol.String("123456789012"),
		Arn: protocol.String("arn:aws:iam::123456789012:user/alice")}, nil
}

func (fakeSTS) AssumeRole(_ context.Context, in *stsapi.AssumeRoleRequest) (*stsapi.AssumeRoleResponse, error) {
	return &stsapi.AssumeRoleResponse{
		Credentials: &stsapi.Credentials{AccessKeyId: protocol.String("ASIAEXAMPLE"), SecretAccessKey: protocol.String("s"),
			SessionToken: protocol.String("tok"), Expiration: &sdkTime},
		AssumedRoleUser: &stsapi.AssumedRoleUser{AssumedRoleId: protocol.String("AROAEXAMPLE:" + *in.RoleSessionName),
			Arn: protocol.String("arn:aws:sts::123456789012:assumed-role/r/" + *in.RoleSessionName)},
		PackedPolicySize: protocol.Int32(int32(len(in.PolicyArns))),
	}, nil
}

func TestSDKSTS(t *testing.T) {
	c := sts.NewFromConfig(sdkConfig(serve(t, stsapi.Info, fakeSTS{})))
	ctx := context.Background()
	id, err := c.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(id.Account) != "123456789012" || aws.ToString(id.Arn) != "arn:aws:iam::123456789012:user/alice" {
		t.Fatalf("%+v", id)
	}
	ar, err := c.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::123456789012:role/r"),
		RoleSessionName: aws.String("sess"), PolicyArns: []ststypes.PolicyDescriptorType{{Arn: aws.String("arn:aws:iam::aws:policy/ReadOnlyAccess")}}})
	if err != nil {
		t.Fatal(err)
	}
	if !ar.Credentials.Expiration.Equal(sdkTime) || aws.ToString(ar.AssumedRoleUser.AssumedRoleId) != "AROAEXAMPLE:sess" ||
		aws.ToInt32(ar.PackedPolicySize) != 1 {
		t.Fatalf("%+v %+v", ar.Credentials, ar.AssumedRoleUser)
	}
	_, err = c.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::123456789012:role/r"),
		RoleSessionName: aws.String("bad name")})
	wantAPIError(t, err, "ValidationError", 400,
		`1 validation error detected: Value 'bad name' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w+=,.@-]*`)
	_, err = c.GetSessionToken(ctx, &sts.GetSessionTokenInput{})
	wantAPIError(t, err, "NotImplemented", 501, "iamd does not implement STS operation GetSessionToken yet")
}

func wantAPIError(t *testing.T, err error, code string, status int, msg string) {
	t.Helper()
	if w := apierr.WantSDK(t, "", err, code, status, msg); w.Message != msg || w.RequestID != "rid" {
		t.Fatalf("got %+v, want message %q and request ID rid", w, msg)
	}
}

type fakeIAM struct{ iamapi.Unimplemented }

func (fakeIAM) CreateUser(_ context.Context, in *iamapi.CreateUserRequest) (*iamapi.CreateUserResponse, error) {
	return &iamapi.CreateUserResponse{User: &iamapi.User{Path: protocol.String("/"), UserName: in.UserName,
		UserId: protocol.String("AIDAEXAMPLE"), Arn: protocol.String("arn:aws:iam::123456789012:user/" + *in.UserName),
		CreateDate: &sdkTime, Tags: in.Tags}}, nil
}

func (fakeIAM) GetUser(_ context.Context, in *iamapi.GetUserRequest) (*iamapi.GetUserResponse, error) {
	return nil, iamapi.NewNoSuchEntityException("The user with name " + protocol.ToString(in.UserName) + " cannot be found.")
}

func (fakeIAM) ListUsers(context.Context, *iamapi.ListUsersRequest) (*iamapi.ListUsersResponse, error) {
	return &iamapi.ListUsersResponse{Users: []iamapi.User{
		{Path: protocol.String("/"), UserName: protocol.String("a"), UserId: protocol.String("AIDA1"), Arn: protocol.String("arn:1"), CreateDate: &sdkTime},
		{Path: protocol.String("/"), UserName: protocol.String("b"), UserId: protocol.String("AIDA2"), Arn: protocol.String("arn:2"), CreateDate: &sdkTime},
	}, IsTruncated: protocol.Bool(true), Marker: protocol.String("m")}, nil
}

func (fakeIAM) GetAccountSummary(context.Context, *iamapi.GetAccountSummaryInput) (*iamapi.GetAccountSummaryResponse, error) {
	return &iamapi.GetAccountSummaryResponse{SummaryMap: map[string]int32{"Users": 2, iamapi.SummaryKeyTypeGlobalEndpointTokenVersion: 1}}, nil
}

func (fakeIAM) DeleteUser(context.Context, *iamapi.DeleteUserRequest) (*iamapi.DeleteUserOutput, error) {
	return nil, errors.New("database on fire")
}

func TestSDKIAM(t *testing.T) {
	c := iam.NewFromConfig(sdkConfig(serve(t, iamapi.Info, fakeIAM{})))
	ctx := context.Background()
	cu, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("bob"),
		Tags: []iamtypes.Tag{{Key: aws.String("k1"), Value: aws.String("v1")}, {Key: aws.String("k2"), Value: aws.String("")}}})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(cu.User.UserName) != "bob" || !cu.User.CreateDate.Equal(sdkTime) || len(cu.User.Tags) != 2 ||
		aws.ToString(cu.User.Tags[1].Key) != "k2" || aws.ToString(cu.User.Tags[1].Value) != "" {
		t.Fatalf("%+v", cu.User)
	}
	_, err = c.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("nobody")})
	var nse *iamtypes.NoSuchEntityException
	if !errors.As(err, &nse) || aws.ToString(nse.Message) != "The user with name nobody cannot be found." {
		t.Fatalf("got %v", err)
	}
	wantAPIError(t, err, "NoSuchEntity", 404, "The user with name nobody cannot be found.")
	lu, err := c.ListUsers(ctx, &iam.ListUsersInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(lu.Users) != 2 || !lu.IsTruncated || aws.ToString(lu.Marker) != "m" || aws.ToString(lu.Users[1].UserName) != "b" {
		t.Fatalf("%+v", lu)
	}
	sum, err := c.GetAccountSummary(ctx, &iam.GetAccountSummaryInput{})
	if err != nil {
		t.Fatal(err)
	}
	if sum.SummaryMap["Users"] != 2 || sum.SummaryMap["GlobalEndpointTokenVersion"] != 1 {
		t.Fatalf("%+v", sum.SummaryMap)
	}
	_, err = c.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("bob")})
	wantAPIError(t, err, "ServiceFailure", 500, "Request processing has failed due to some unknown error, exception or failure.")
}

type fakeAccount struct{ accountapi.Unimplemented }

func (fakeAccount) GetRegionOptStatus(_ context.Context, in *accountapi.GetRegionOptStatusRequest) (*accountapi.GetRegionOptStatusResponse, error) {
	return &accountapi.GetRegionOptStatusResponse{RegionName: in.RegionName, RegionOptStatus: protocol.String(accountapi.RegionOptStatusEnabledByDefault)}, nil
}

func (fakeAccount) ListRegions(_ context.Context, in *accountapi.ListRegionsRequest) (*accountapi.ListRegionsResponse, error) {
	return &accountapi.ListRegionsResponse{Regions: []accountapi.Region{
		{RegionName: protocol.String("af-south-1"), RegionOptStatus: protocol.String(accountapi.RegionOptStatusDisabled)},
	}, NextToken: protocol.String("n")}, nil
}

func (fakeAccount) EnableRegion(context.Context, *accountapi.EnableRegionRequest) (*accountapi.EnableRegionOutput, error) {
	return nil, accountapi.NewConflictException("region is being disabled")
}

func TestSDKAccount(t *testing.T) {
	c := account.NewFromConfig(sdkConfig(serve(t, accountapi.Info, fakeAccount{})))
	ctx := context.Background()
	st, err := c.GetRegionOptStatus(ctx, &account.GetRegionOptStatusInput{RegionName: aws.String("us-east-1")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(st.RegionName) != "us-east-1" || st.RegionOptStatus != accounttypes.RegionOptStatusEnabledByDefault {
		t.Fatalf("%+v", st)
	}
	lr, err := c.ListRegions(ctx, &account.ListRegionsInput{MaxResults: aws.Int32(5)})
	if err != nil {
		t.Fatal(err)
	}
	if len(lr.Regions) != 1 || lr.Regions[0].RegionOptStatus != accounttypes.RegionOptStatusDisabled || aws.ToString(lr.NextToken) != "n" {
		t.Fatalf("%+v", lr)
	}
	_, err = c.ListRegions(ctx, &account.ListRegionsInput{MaxResults: aws.Int32(100)})
	var ve *accounttypes.ValidationException
	if !errors.As(err, &ve) || ve.Reason != accounttypes.ValidationExceptionReasonFieldValidationFailed ||
		len(ve.FieldList) != 1 || aws.ToString(ve.FieldList[0].Name) != "maxResults" {
		t.Fatalf("got %v", err)
	}
	_, err = c.EnableRegion(ctx, &account.EnableRegionInput{RegionName: aws.String("af-south-1")})
	var ce *accounttypes.ConflictException
	if !errors.As(err, &ce) || aws.ToString(ce.Message) != "region is being disabled" {
		t.Fatalf("got %v", err)
	}
	_, err = c.GetContactInformation(ctx, &account.GetContactInformationInput{})
	wantAPIError(t, err, "NotImplemented", 501, "iamd does not implement Account operation GetContactInformation yet")
}

// TestBoto3 runs the same conversation with boto3, the other SDK iamd must satisfy. It is skipped where
// Python or boto3 is not installed.
func TestBoto3(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a Python interpreter")
	}
	if err := exec.Command("python3", "-c", "import boto3").Run(); err != nil {
		t.Skip("python3 with boto3 is not available")
	}
	cmd := exec.Command("python3", "testdata/boto3_client.py")
	cmd.Env = append(os.Environ(),
		"STS_URL="+serve(t, stsapi.Info, fakeSTS{}),
		"IAM_URL="+serve(t, iamapi.Info, fakeIAM{}),
		"ACCOUNT_URL="+serve(t, accountapi.Info, fakeAccount{}),
		"CLOUDTRAIL_URL="+serve(t, cloudtrailapi.Info, fakeCloudTrail{}),
		"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null")
	outb, err := cmd.Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("%v\n%s", err, ee.Stderr)
		}
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(outb, &got); err != nil {
		t.Fatalf("%v: %s", err, outb)
	}
	want := map[string]any{
		"caller":        "arn:aws:iam::123456789012:user/alice",
		"expiration":    "2030-05-06T07:08:09+00:00",
		"sts_error":     []any{"ValidationError", `1 validation error detected: Value 'bad name' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w+=,.@-]*`, 400.0},
		"user":          []any{"bob", "2030-05-06T07:08:09+00:00", []any{map[string]any{"Key": "k", "Value": "v"}}},
		"list":          []any{[]any{"a", "b"}, true, "m"},
		"summary":       map[string]any{"Users": 2.0, "GlobalEndpointTokenVersion": 1.0},
		"iam_error":     []any{"NoSuchEntity", "The user with name nobody cannot be found.", 404.0},
		"region":        "ENABLED_BY_DEFAULT",
		"account_error": []any{"ValidationException", "fieldValidationFailed", []any{"maxResults"}},
		"trail": []any{
			[]any{"e-", "CreateUser", "2030-05-06T07:08:09+00:00", []any{map[string]any{"ResourceType": "AWS::IAM::User", "ResourceName": "bob"}}},
			[]any{"e-page2", "CreateUser", "2030-05-06T07:08:09+00:00", []any{map[string]any{"ResourceType": "AWS::IAM::User", "ResourceName": "bob"}}},
		},
		"trail_error": []any{"InvalidLookupAttributesException", "one at a time", 400.0},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("boto3 parsed\n%v\nwant\n%v", got, want)
	}
}
