package e2etest

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/account"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go/middleware"

	"github.com/iamd/iamd/internal/audit"
)

// trailEvent waits for the event of request ID reqID in acct's trail (events of reads and refusals are
// written behind) and returns its record. Each event names its request, so no other call matches.
func trailEvent(t *testing.T, s *Server, acct, attr, value, reqID string) map[string]any {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		p, err := s.App.Trail.Lookup(context.Background(), audit.Query{AccountID: acct,
			Attribute: audit.Attribute(attr), Value: value, Limit: 50})
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range p.Events {
			var rec map[string]any
			if err := json.Unmarshal(ev.Record, &rec); err != nil {
				t.Fatalf("record is not JSON: %v\n%s", err, ev.Record)
			}
			if rec["requestID"] == reqID && (rec["errorCode"] != nil || rec["responseElements"] != nil || rec["readOnly"] == true) {
				return rec
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no event of request %s in %s's trail by %s=%s", reqID, acct, attr, value)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// requestIDOf is the request ID of an SDK call's error.
func requestIDOf(t *testing.T, err error) string {
	t.Helper()
	var re *awshttp.ResponseError
	if !errors.As(err, &re) || re.ServiceRequestID() == "" {
		t.Fatalf("no request ID in %v", err)
	}
	return re.ServiceRequestID()
}

func field(rec map[string]any, path string) any {
	var v any = rec
	for _, k := range strings.Split(path, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

func wantField(t *testing.T, rec map[string]any, path string, want any) {
	t.Helper()
	if got := field(rec, path); got != want {
		b, _ := json.MarshalIndent(rec, "", "  ")
		t.Fatalf("%s = %v, want %v\n%s", path, got, want, b)
	}
}

// TestTrailRecordsEveryCall: allowed writes and reads, refused signatures and refused authorizations,
// IAM and STS (global endpoint included) each leave one CloudTrail event, with the fields auditors read.
func TestTrailRecordsEveryCall(t *testing.T) {
	s := Start(t, Options{})
	ctx := context.Background()
	root := s.IAM(RootCreds())

	// A write: its event holds the response, without the secret.
	cu, err := root.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("trail-alice"), Path: aws.String("/audit/")})
	if err != nil {
		t.Fatal(err)
	}
	rid := requestIDFromMeta(t, cu.ResultMetadata)
	rec := trailEvent(t, s, AccountID, "EventName", "CreateUser", rid)
	wantField(t, rec, "eventVersion", "1.11")
	wantField(t, rec, "eventSource", "iam.amazonaws.com")
	wantField(t, rec, "awsRegion", "us-east-1")
	wantField(t, rec, "eventType", "AwsApiCall")
	wantField(t, rec, "eventCategory", "Management")
	wantField(t, rec, "managementEvent", true)
	wantField(t, rec, "readOnly", false)
	wantField(t, rec, "recipientAccountId", AccountID)
	wantField(t, rec, "sourceIPAddress", "127.0.0.1")
	wantField(t, rec, "userIdentity.type", "Root")
	wantField(t, rec, "userIdentity.accessKeyId", RootKeyID)
	wantField(t, rec, "requestParameters.userName", "trail-alice")
	wantField(t, rec, "requestParameters.path", "/audit/")
	wantField(t, rec, "responseElements.user.userName", "trail-alice")
	wantField(t, rec, "responseElements.user.userId", aws.ToString(cu.User.UserId))
	if _, err := time.Parse(time.RFC3339, field(rec, "eventTime").(string)); err != nil {
		t.Fatalf("eventTime: %v", err)
	}

	key, err := root.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("trail-alice")})
	if err != nil {
		t.Fatal(err)
	}
	secret := aws.ToString(key.AccessKey.SecretAccessKey)
	rec = trailEvent(t, s, AccountID, "EventName", "CreateAccessKey", requestIDFromMeta(t, key.ResultMetadata))
	wantField(t, rec, "responseElements.accessKey.accessKeyId", aws.ToString(key.AccessKey.AccessKeyId))
	wantField(t, rec, "responseElements.accessKey.secretAccessKey", nil)
	alice := Creds(aws.ToString(key.AccessKey.AccessKeyId), secret, "")

	// A read, by an IAM user: found by user name and access key.
	gci, err := s.STS(alice, "us-east-2").GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	rec = trailEvent(t, s, AccountID, "Username", "trail-alice", requestIDFromMeta(t, gci.ResultMetadata))
	wantField(t, rec, "eventSource", "sts.amazonaws.com")
	wantField(t, rec, "awsRegion", "us-east-2")
	wantField(t, rec, "readOnly", true)
	wantField(t, rec, "responseElements", nil)
	wantField(t, rec, "userIdentity.type", "IAMUser")
	wantField(t, rec, "userIdentity.userName", "trail-alice")
	wantField(t, rec, "userIdentity.arn", aws.ToString(gci.Arn))
	wantField(t, rec, "additionalEventData", nil)
	trailEvent(t, s, AccountID, "AccessKeyId", aws.ToString(key.AccessKey.AccessKeyId), requestIDFromMeta(t, gci.ResultMetadata))

	// Refused by authorization: alice has no policy.
	_, err = s.IAM(alice).ListUsers(ctx, &iam.ListUsersInput{})
	if err == nil {
		t.Fatal("ListUsers without a policy was allowed")
	}
	rec = trailEvent(t, s, AccountID, "EventName", "ListUsers", requestIDOf(t, err))
	wantField(t, rec, "errorCode", "AccessDenied")
	if msg, _ := field(rec, "errorMessage").(string); !strings.Contains(msg, "iam:ListUsers") {
		t.Fatalf("errorMessage = %q", msg)
	}

	// Refused by authentication: a wrong secret for alice's key, recorded in the key's account.
	_, err = s.STS(Creds(aws.ToString(key.AccessKey.AccessKeyId), "wrong"+secret[5:], ""), "us-east-1").
		GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err == nil {
		t.Fatal("a wrong secret was accepted")
	}
	rec = trailEvent(t, s, AccountID, "AccessKeyId", aws.ToString(key.AccessKey.AccessKeyId), requestIDOf(t, err))
	wantField(t, rec, "errorCode", "SignatureDoesNotMatch")
	wantField(t, rec, "userIdentity.type", "Unknown")

	// The STS global endpoint: how the request arrived and where it was served.
	g, err := s.GlobalSTS(alice).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	rec = trailEvent(t, s, AccountID, "Username", "trail-alice", requestIDFromMeta(t, g.ResultMetadata))
	wantField(t, rec, "additionalEventData.endpointType", "global")
	wantField(t, rec, "additionalEventData.awsServingRegion", "us-east-1")
	wantField(t, rec, "awsRegion", "us-east-1")

	// The Account API.
	ci, err := s.Account(RootCreds()).GetContactInformation(ctx, &account.GetContactInformationInput{})
	if err == nil {
		rec = trailEvent(t, s, AccountID, "EventSource", "account.amazonaws.com", requestIDFromMeta(t, ci.ResultMetadata))
	} else {
		rec = trailEvent(t, s, AccountID, "EventSource", "account.amazonaws.com", requestIDOf(t, err))
	}
	wantField(t, rec, "eventName", "GetContactInformation")

	// A session: AssumedRole identity with its issuer and attributes; the session token never stored.
	if _, err := root.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("trail-role"),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + AccountID + `:root"},"Action":"sts:AssumeRole"}]}`)}); err != nil {
		t.Fatal(err)
	}
	if _, err := root.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("trail-alice"), PolicyName: aws.String("assume"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}`)}); err != nil {
		t.Fatal(err)
	}
	ar, err := s.STS(alice, "us-east-1").AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::" + AccountID + ":role/trail-role"),
		RoleSessionName: aws.String("trail-session")})
	if err != nil {
		t.Fatal(err)
	}
	rec = trailEvent(t, s, AccountID, "EventName", "AssumeRole", requestIDFromMeta(t, ar.ResultMetadata))
	wantField(t, rec, "responseElements.credentials.accessKeyId", aws.ToString(ar.Credentials.AccessKeyId))
	wantField(t, rec, "responseElements.credentials.sessionToken", nil)
	wantField(t, rec, "responseElements.credentials.secretAccessKey", nil)
	sess := Creds(aws.ToString(ar.Credentials.AccessKeyId), aws.ToString(ar.Credentials.SecretAccessKey), aws.ToString(ar.Credentials.SessionToken))
	sg, err := s.STS(sess, "us-east-1").GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	rec = trailEvent(t, s, AccountID, "Username", "trail-session", requestIDFromMeta(t, sg.ResultMetadata))
	wantField(t, rec, "userIdentity.type", "AssumedRole")
	wantField(t, rec, "userIdentity.sessionContext.sessionIssuer.type", "Role")
	wantField(t, rec, "userIdentity.sessionContext.sessionIssuer.userName", "trail-role")
	wantField(t, rec, "userIdentity.sessionContext.sessionIssuer.arn", "arn:aws:iam::"+AccountID+":role/trail-role")
	wantField(t, rec, "userIdentity.sessionContext.attributes.mfaAuthenticated", "false")
	for _, tok := range []string{aws.ToString(ar.Credentials.SessionToken), aws.ToString(ar.Credentials.SecretAccessKey), secret} {
		p, err := s.App.Trail.Lookup(ctx, audit.Query{AccountID: AccountID, Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range p.Events {
			if strings.Contains(string(ev.Record), tok) {
				t.Fatalf("a secret is in the trail: %s", ev.Record)
			}
		}
	}
}

// requestIDFromMeta is the request ID of a successful SDK call.
func requestIDFromMeta(t *testing.T, md middleware.Metadata) string {
	t.Helper()
	id, ok := awsmiddleware.GetRequestIDMetadata(md)
	if !ok || id == "" {
		t.Fatal("no request ID in the result metadata")
	}
	return id
}
