package e2etest

import (
	"context"
	"crypto/sha256"
	"encoding/base32"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// Answers of GetDelegatedAccessToken (docs/aws-behavior.md, "Temporary delegation").
const (
	msgTradeInInvalid  = "The trade-in token is not valid."
	msgTradeInExpired  = "The trade-in token has expired and can no longer be exchanged for credentials."
	msgApproverInvalid = "The principal that approved the delegation request no longer exists or cannot be delegated."
)

// delegationTemplate lets the delegated session read users, nothing else.
const delegationTemplate = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:ListUsers","iam:GetUser"],"Resource":"*"}]}`

// delegationEnv is a partner (the server's account, signing as root) and a customer account with an
// administrator user, "approver", who claims, accepts and releases delegation requests.
type delegationEnv struct {
	s        *Server
	ctx      context.Context
	partner  aws.CredentialsProvider
	customer aws.CredentialsProvider // the customer's root
	approver aws.CredentialsProvider
	template string
}

func newDelegationEnv(t *testing.T) *delegationEnv {
	t.Helper()
	e := &delegationEnv{s: Start(t, Options{}), ctx: context.Background(), partner: RootCreds()}
	e.customer = newAccount(t, e.s, drCustomer)
	e.approver = newUser(t, e.s, e.customer, "approver")
	allow(t, e.s, e.customer, "approver", "iam:*", "*")
	e.template = aws.ToString(must[*iam.CreatePolicyOutput](t, "CreatePolicy")(e.s.IAM(e.partner).CreatePolicy(e.ctx, &iam.CreatePolicyInput{
		PolicyName: aws.String("ReadUsers"), PolicyDocument: aws.String(delegationTemplate)})).Policy.Arn)
	return e
}

// approved files a request, has approver claim, accept and release it, and returns its ID.
func (e *delegationEnv) approved(t *testing.T, workflow string) string {
	t.Helper()
	out := must[*iam.CreateDelegationRequestOutput](t, "CreateDelegationRequest")(e.s.IAM(e.partner).CreateDelegationRequest(e.ctx, &iam.CreateDelegationRequestInput{
		OwnerAccountId: aws.String(drCustomer), Description: aws.String("Read users"), RequestorWorkflowId: aws.String(workflow),
		NotificationChannel: aws.String("arn:aws:sns:us-east-1:" + AccountID + ":delegation"), SessionDuration: aws.Int32(900),
		Permissions: &iamtypes.DelegationPermission{PolicyTemplateArn: aws.String(e.template)}}))
	id := out.DelegationRequestId
	c := e.s.IAM(e.approver)
	must[*iam.AssociateDelegationRequestOutput](t, "Associate")(c.AssociateDelegationRequest(e.ctx, &iam.AssociateDelegationRequestInput{DelegationRequestId: id}))
	must[*iam.AcceptDelegationRequestOutput](t, "Accept")(c.AcceptDelegationRequest(e.ctx, &iam.AcceptDelegationRequestInput{DelegationRequestId: id}))
	must[*iam.SendDelegationTokenOutput](t, "Send")(c.SendDelegationToken(e.ctx, &iam.SendDelegationTokenInput{DelegationRequestId: id}))
	return aws.ToString(id)
}

// collect fetches a request's exchange token through the admin API as creds; it returns the HTTP status,
// the token (on success) and the error code (otherwise).
func (e *delegationEnv) collect(t *testing.T, creds aws.CredentialsProvider, id string) (int, string, string) {
	t.Helper()
	resp, b := adminCall(t, e.s, creds, http.MethodPost, "/iamd/admin/delegation-requests/"+id+"/token", "us-east-1")
	var v struct {
		ID    string `json:"delegationRequestId"`
		Token string `json:"tradeInToken"`
		Code  string `json:"code"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("admin answer is not JSON: %s", b)
	}
	if resp.StatusCode == http.StatusOK && v.ID != id {
		t.Fatalf("collected the token of %q, asked for %q", v.ID, id)
	}
	return resp.StatusCode, v.Token, v.Code
}

// The whole temporary delegation exchange through the SDK: the partner collects the exchange token of an
// approved request and trades it in once for credentials of the approver narrowed by the request's
// permission policy; every refusal on the way.
func TestGetDelegatedAccessToken(t *testing.T) {
	e := newDelegationEnv(t)
	id := e.approved(t, "workflow-1")

	// Only the partner can collect the token: to the customer the request's token does not exist.
	if status, _, code := e.collect(t, e.customer, id); status != http.StatusNotFound || code != "NoSuchEntity" {
		t.Fatalf("customer collecting the token: %d %s", status, code)
	}
	status, tok, _ := e.collect(t, e.partner, id)
	if status != http.StatusOK || !strings.HasPrefix(tok, id+".") {
		t.Fatalf("partner collecting the token: %d %q", status, tok)
	}

	partnerSTS := e.s.STS(e.partner, "us-east-1")
	// Another account cannot trade it in, nor can a token with another secret or none at all.
	_, err := e.s.STS(e.customer, "us-east-1").GetDelegatedAccessToken(e.ctx, &sts.GetDelegatedAccessTokenInput{TradeInToken: &tok})
	wantError(t, "trade-in by the customer", err, "AccessDenied", http.StatusForbidden, msgTradeInInvalid)
	forged := id + ".AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	for _, bad := range []string{forged, id, "dr-00000000000000000000000000000000.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		"not a token", strings.Repeat("A", 4096)} {
		_, err = partnerSTS.GetDelegatedAccessToken(e.ctx, &sts.GetDelegatedAccessTokenInput{TradeInToken: aws.String(bad)})
		wantError(t, "trade-in of "+bad[:min(len(bad), 40)], err, "AccessDenied", http.StatusForbidden, msgTradeInInvalid)
	}

	// The partner trades it in: the approver's session in the customer account, narrowed to reading users.
	out := must[*sts.GetDelegatedAccessTokenOutput](t, "GetDelegatedAccessToken")(partnerSTS.GetDelegatedAccessToken(e.ctx, &sts.GetDelegatedAccessTokenInput{TradeInToken: &tok}))
	approverARN := "arn:aws:iam::" + drCustomer + ":user/approver"
	if aws.ToString(out.AssumedPrincipal) != approverARN || out.Credentials == nil {
		t.Fatalf("GetDelegatedAccessToken: %+v", out)
	}
	// The credentials last until the end of the delegation period (SessionDuration, 900 s, from release).
	if left := time.Until(aws.ToTime(out.Credentials.Expiration)); left < 840*time.Second || left > 901*time.Second {
		t.Fatalf("credentials expire in %v", left)
	}
	delegated := sessionCreds(out.Credentials)
	who := identity(t, e.s.STS(delegated, "us-east-1"))
	if aws.ToString(who.Arn) != approverARN || aws.ToString(who.Account) != drCustomer {
		t.Fatalf("delegated identity: %+v", who)
	}
	dc := e.s.IAM(delegated)
	must[*iam.ListUsersOutput](t, "ListUsers as the partner")(dc.ListUsers(e.ctx, &iam.ListUsersInput{}))
	_, err = dc.CreateUser(e.ctx, &iam.CreateUserInput{UserName: aws.String("intruder")})
	wantError(t, "CreateUser beyond the request's permissions", err, "AccessDenied", http.StatusForbidden, "")

	// Once: the second trade-in, and collecting the spent token, are refused.
	_, err = partnerSTS.GetDelegatedAccessToken(e.ctx, &sts.GetDelegatedAccessTokenInput{TradeInToken: &tok})
	wantError(t, "second trade-in", err, "ExpiredTradeInTokenException", http.StatusBadRequest, msgTradeInExpired)
	if status, _, code := e.collect(t, e.partner, id); status != http.StatusBadRequest || code != "InvalidInput" {
		t.Fatalf("collecting a spent token: %d %s", status, code)
	}

	// A request not yet released has no token to collect.
	out2 := must[*iam.CreateDelegationRequestOutput](t, "CreateDelegationRequest")(e.s.IAM(e.partner).CreateDelegationRequest(e.ctx, &iam.CreateDelegationRequestInput{
		OwnerAccountId: aws.String(drCustomer), Description: aws.String("Read users"), RequestorWorkflowId: aws.String("workflow-2"),
		NotificationChannel: aws.String("arn:aws:sns:us-east-1:" + AccountID + ":delegation"), SessionDuration: aws.Int32(900),
		Permissions: &iamtypes.DelegationPermission{PolicyTemplateArn: aws.String(e.template)}}))
	if status, _, code := e.collect(t, e.partner, aws.ToString(out2.DelegationRequestId)); status != http.StatusBadRequest || code != "InvalidInput" {
		t.Fatalf("collecting an unreleased token: %d %s", status, code)
	}
}

// The approver may act through a role session: the delegated session is then one of that role, named by
// the request. A refused exchange (STS deactivated where the partner calls, a permission policy too large
// to pack) leaves the token unspent.
func TestGetDelegatedAccessTokenRoleApproverAndRefusals(t *testing.T) {
	e := newDelegationEnv(t)
	roleARN := newRole(t, e.s, e.customer, "Approvers", trustPolicy("arn:aws:iam::"+drCustomer+":user/approver", ""), 0)
	must[*iam.PutRolePolicyOutput](t, "PutRolePolicy")(e.s.IAM(e.customer).PutRolePolicy(e.ctx, &iam.PutRolePolicyInput{
		RoleName: aws.String("Approvers"), PolicyName: aws.String("iam"), PolicyDocument: aws.String(docAllow("iam:*", "*"))}))
	as := must[*sts.AssumeRoleOutput](t, "AssumeRole")(e.s.STS(e.approver, "us-east-1").AssumeRole(e.ctx, &sts.AssumeRoleInput{
		RoleArn: &roleARN, RoleSessionName: aws.String("reviewer")}))
	e.approver = sessionCreds(as.Credentials)
	id := e.approved(t, "workflow-role")
	_, tok, _ := e.collect(t, e.partner, id)

	// STS deactivated in us-west-2 for the customer account, whose credentials would be issued there.
	if status, body := adminSTSRegion(t, e.s, e.customer, "us-west-2", "deactivate"); status != http.StatusOK {
		t.Fatalf("deactivate: %d %v", status, body)
	}
	_, err := e.s.STS(e.partner, "us-west-2").GetDelegatedAccessToken(e.ctx, &sts.GetDelegatedAccessTokenInput{TradeInToken: &tok})
	wantError(t, "trade-in where STS is deactivated", err, "RegionDisabledException", http.StatusForbidden, msgRegionDisabled(drCustomer))

	out := must[*sts.GetDelegatedAccessTokenOutput](t, "GetDelegatedAccessToken")(e.s.STS(e.partner, "us-east-1").GetDelegatedAccessToken(e.ctx,
		&sts.GetDelegatedAccessTokenInput{TradeInToken: &tok}))
	if aws.ToString(out.AssumedPrincipal) != roleARN {
		t.Fatalf("AssumedPrincipal %q, want %q", aws.ToString(out.AssumedPrincipal), roleARN)
	}
	who := identity(t, e.s.STS(sessionCreds(out.Credentials), "us-east-1"))
	if want := "arn:aws:sts::" + drCustomer + ":assumed-role/Approvers/" + id; aws.ToString(who.Arn) != want {
		t.Fatalf("delegated identity %q, want %q", aws.ToString(who.Arn), want)
	}

	// A permission policy whose packed form exceeds the limit: PackedPolicyTooLarge.
	var names []string
	for i := range 90 {
		names = append(names, strings.ToLower(strings.ReplaceAll(ids36(i), "=", "")))
	}
	big := aws.ToString(must[*iam.CreatePolicyOutput](t, "CreatePolicy")(e.s.IAM(e.partner).CreatePolicy(e.ctx, &iam.CreatePolicyInput{
		PolicyName: aws.String("Big"), PolicyDocument: aws.String(
			`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:GetUser","Resource":"arn:aws:iam::*:user/@{Names}"}]}`)})).Policy.Arn)
	req := must[*iam.CreateDelegationRequestOutput](t, "CreateDelegationRequest")(e.s.IAM(e.partner).CreateDelegationRequest(e.ctx, &iam.CreateDelegationRequestInput{
		OwnerAccountId: aws.String(drCustomer), Description: aws.String("Read many users"), RequestorWorkflowId: aws.String("workflow-big"),
		NotificationChannel: aws.String("arn:aws:sns:us-east-1:" + AccountID + ":delegation"), SessionDuration: aws.Int32(900),
		Permissions: &iamtypes.DelegationPermission{PolicyTemplateArn: &big, Parameters: []iamtypes.PolicyParameter{
			{Name: aws.String("Names"), Type: iamtypes.PolicyParameterTypeEnumStringList, Values: names}}}}))
	c := e.s.IAM(e.approver)
	must[*iam.AssociateDelegationRequestOutput](t, "Associate")(c.AssociateDelegationRequest(e.ctx, &iam.AssociateDelegationRequestInput{DelegationRequestId: req.DelegationRequestId}))
	must[*iam.AcceptDelegationRequestOutput](t, "Accept")(c.AcceptDelegationRequest(e.ctx, &iam.AcceptDelegationRequestInput{DelegationRequestId: req.DelegationRequestId}))
	must[*iam.SendDelegationTokenOutput](t, "Send")(c.SendDelegationToken(e.ctx, &iam.SendDelegationTokenInput{DelegationRequestId: req.DelegationRequestId}))
	_, bigTok, _ := e.collect(t, e.partner, aws.ToString(req.DelegationRequestId))
	_, err = e.s.STS(e.partner, "us-east-1").GetDelegatedAccessToken(e.ctx, &sts.GetDelegatedAccessTokenInput{TradeInToken: &bigTok})
	if errorOf(t, err).Code != "PackedPolicyTooLarge" {
		t.Fatalf("oversized permission policy: %v", err)
	}
}

// ids36 is a 40-character pseudo-random name for i, so that names do not compress.
func ids36(i int) string {
	h := sha256.Sum256([]byte{byte(i), byte(i >> 8)})
	return base32.StdEncoding.EncodeToString(h[:25])[:40]
}
