package e2etest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/account"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"

	"github.com/iamd/iamd/internal/auth"
	"github.com/iamd/iamd/internal/bootstrap"
	"github.com/iamd/iamd/internal/ids"
	"github.com/iamd/iamd/internal/testutil/apierr"
)

// Messages the token story checks verbatim (docs/aws-behavior.md: "Global-endpoint token versions", "STS
// activation per Region", "STS rules", "Authentication errors and the query protocol").
const (
	msgInvalidToken = "The security token included in the request is invalid."
	msgExpiredToken = "The security token included in the request is expired"
)

func msgRegionDisabled(account string) string {
	return "STS is not activated in this region for account:" + account +
		". Your account administrator can activate STS in this region using the IAM Console."
}

// errorOf extracts code, message and HTTP status from an SDK error, failing the test when err is nil or
// not an API error.
func errorOf(t testing.TB, err error) apierr.Wire {
	t.Helper()
	return apierr.FromSDK(t, err)
}

// wantError checks an error's code and status, and its message unless msg is "".
func wantError(t testing.TB, what string, err error, code string, status int, msg string) {
	t.Helper()
	apierr.WantSDK(t, what, err, code, status, msg)
}

func ok(t testing.TB, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// sessionCreds turns STS credentials into a provider.
func sessionCreds(c *ststypes.Credentials) aws.CredentialsProvider {
	return Creds(aws.ToString(c.AccessKeyId), aws.ToString(c.SecretAccessKey), aws.ToString(c.SessionToken))
}

// newUser creates an IAM user with an access key (as root) and returns the key's credentials.
func newUser(t testing.TB, s *Server, root aws.CredentialsProvider, name string) aws.CredentialsProvider {
	t.Helper()
	ctx := context.Background()
	c := s.IAM(root)
	_, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name)})
	ok(t, "CreateUser "+name, err)
	k, err := c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(name)})
	ok(t, "CreateAccessKey "+name, err)
	return Creds(aws.ToString(k.AccessKey.AccessKeyId), aws.ToString(k.AccessKey.SecretAccessKey), "")
}

// allow attaches an inline identity policy allowing action on resource to a user.
func allow(t testing.TB, s *Server, root aws.CredentialsProvider, user, action, resource string) {
	t.Helper()
	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"` + action + `","Resource":"` + resource + `"}]}`
	_, err := s.IAM(root).PutUserPolicy(context.Background(), &iam.PutUserPolicyInput{UserName: aws.String(user),
		PolicyName: aws.String("allow-" + strings.NewReplacer(":", "-", "*", "all").Replace(action)), PolicyDocument: aws.String(doc)})
	ok(t, "PutUserPolicy", err)
}

// trustPolicy names principal (an ARN or account ID) as allowed to assume the role, with optional
// condition JSON.
func trustPolicy(principal, condition string) string {
	st := `{"Effect":"Allow","Principal":{"AWS":"` + principal + `"},"Action":"sts:AssumeRole"`
	if condition != "" {
		st += `,"Condition":` + condition
	}
	return `{"Version":"2012-10-17","Statement":[` + st + `}]}`
}

// newRole creates a role with a trust policy (as root of the account root signs for); maxSession 0 keeps
// the default.
func newRole(t testing.TB, s *Server, root aws.CredentialsProvider, name, trust string, maxSession int32) string {
	t.Helper()
	in := &iam.CreateRoleInput{RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(trust)}
	if maxSession > 0 {
		in.MaxSessionDuration = aws.Int32(maxSession)
	}
	out, err := s.IAM(root).CreateRole(context.Background(), in)
	ok(t, "CreateRole "+name, err)
	return aws.ToString(out.Role.Arn)
}

// newAccount bootstraps a second account in the server's store and returns its root credentials.
func newAccount(t testing.TB, s *Server, id string) aws.CredentialsProvider {
	t.Helper()
	keyID, err := ids.NewAccessKeyID(ids.PrefixAccessKey, id)
	ok(t, "key ID", err)
	secret := ids.NewSecretAccessKey()
	_, err = bootstrap.Account(context.Background(), nil, s.App.Store, s.App.Sealer, id, keyID, secret)
	ok(t, "Bootstrap "+id, err)
	return Creds(keyID, secret, "")
}

// identity calls GetCallerIdentity through c.
func identity(t testing.TB, c *sts.Client) *sts.GetCallerIdentityOutput {
	t.Helper()
	out, err := c.GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
	ok(t, "GetCallerIdentity", err)
	return out
}

// summaryTokenVersion reads GlobalEndpointTokenVersion from GetAccountSummary.
func summaryTokenVersion(t testing.TB, s *Server, root aws.CredentialsProvider) int32 {
	t.Helper()
	out, err := s.IAM(root).GetAccountSummary(context.Background(), &iam.GetAccountSummaryInput{})
	ok(t, "GetAccountSummary", err)
	v, found := out.SummaryMap["GlobalEndpointTokenVersion"]
	if !found {
		t.Fatalf("SummaryMap has no GlobalEndpointTokenVersion: %v", out.SummaryMap)
	}
	return v
}

// setRegion enables or disables an opt-in region through the Account API and waits until the
// transition is over (the test servers have no transition delay, so this is one call).
func setRegion(t testing.TB, s *Server, root aws.CredentialsProvider, region string, enable bool) {
	t.Helper()
	ctx := context.Background()
	c := s.Account(root)
	var err error
	if enable {
		_, err = c.EnableRegion(ctx, &account.EnableRegionInput{RegionName: aws.String(region)})
	} else {
		_, err = c.DisableRegion(ctx, &account.DisableRegionInput{RegionName: aws.String(region)})
	}
	ok(t, "Enable/DisableRegion "+region, err)
	st, err := c.GetRegionOptStatus(ctx, &account.GetRegionOptStatusInput{RegionName: aws.String(region)})
	ok(t, "GetRegionOptStatus", err)
	want := "DISABLED"
	if enable {
		want = "ENABLED"
	}
	if string(st.RegionOptStatus) != want {
		t.Fatalf("%s: status %s, want %s", region, st.RegionOptStatus, want)
	}
}

// adminSTSRegion calls the admin API (activate, deactivate or "" to list) signed with creds, returning
// the status and the decoded JSON body.
func adminSTSRegion(t testing.TB, s *Server, creds aws.CredentialsProvider, region, action string) (int, any) {
	t.Helper()
	method, path := http.MethodGet, "/iamd/admin/sts-regions"
	if action != "" {
		method, path = http.MethodPost, path+"/"+region+"/"+action
	}
	resp, b := adminCall(t, s, creds, method, path, "us-east-1")
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("admin answer is not JSON: %s", b)
	}
	return resp.StatusCode, v
}

// adminCall sends one admin API request signed with creds for signingRegion and returns the response
// (its body already read) and the body.
func adminCall(t testing.TB, s *Server, creds aws.CredentialsProvider, method, path, signingRegion string) (*http.Response, []byte) {
	t.Helper()
	ctx := context.Background()
	req, err := http.NewRequestWithContext(ctx, method, s.URL+path, nil)
	ok(t, "admin request", err)
	cr, err := creds.Retrieve(ctx)
	ok(t, "credentials", err)
	empty := sha256.Sum256(nil)
	err = v4.NewSigner().SignHTTP(ctx, cr, req, hex.EncodeToString(empty[:]), auth.AdminService, signingRegion, time.Now())
	ok(t, "signing", err)
	resp, err := http.DefaultClient.Do(req)
	ok(t, "admin call", err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	ok(t, "admin body", err)
	return resp, b
}
