package e2etest

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
)

// drCustomer is the customer account the partner (AccountID) delegates with.
const drCustomer = "210987654321"

const drTemplate = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:ListBucket"],"Resource":"arn:aws:s3:::@{Buckets}"}]}`

func drARN(id string) string { return "arn:aws:iam::" + drCustomer + ":delegation-request/" + id }

func drInput(tmpl, workflow string) *iam.CreateDelegationRequestInput {
	return &iam.CreateDelegationRequestInput{
		Description: aws.String("Read the build buckets"), RequestorWorkflowId: aws.String(workflow),
		NotificationChannel: aws.String("arn:aws:sns:us-east-1:" + AccountID + ":delegation"), SessionDuration: aws.Int32(900),
		RedirectUrl: aws.String("https://partner.example.com/return"),
		Permissions: &iamtypes.DelegationPermission{PolicyTemplateArn: aws.String(tmpl), Parameters: []iamtypes.PolicyParameter{
			{Name: aws.String("Buckets"), Type: iamtypes.PolicyParameterTypeEnumStringList, Values: []string{"builds", "logs"}},
		}},
	}
}

// Delegation requests through the SDK: a partner files a request, a customer user claims it, forwards it,
// an administrator accepts it, the owner sends the token; the summary, the listing, every modelled error,
// and authorization (identity policies, the owner's default permissions, an explicit deny).
func TestIAMDelegationRequests(t *testing.T) {
	e := newIAMEnv(t)
	partner, ctx := e.c, e.ctx
	customerRoot := newAccount(t, e.s, drCustomer)
	customer := e.s.IAM(customerRoot)
	alice := newUser(t, e.s, customerRoot, "alice") // claims requests, nothing else allowed
	allow(t, e.s, customerRoot, "alice", "iam:AssociateDelegationRequest", "*")
	admin := newUser(t, e.s, customerRoot, "admin")
	allow(t, e.s, customerRoot, "admin", "iam:*DelegationRequest*", "*")
	bob := newUser(t, e.s, customerRoot, "bob") // no permissions
	aliceARN := "arn:aws:iam::" + drCustomer + ":user/alice"

	tmpl := aws.ToString(must[*iam.CreatePolicyOutput](t, "CreatePolicy")(partner.CreatePolicy(ctx, &iam.CreatePolicyInput{
		PolicyName: aws.String("BuildsTemplate"), PolicyDocument: aws.String(drTemplate)})).Policy.Arn)
	created := must[*iam.CreateDelegationRequestOutput](t, "CreateDelegationRequest")(partner.CreateDelegationRequest(ctx, drInput(tmpl, "workflow-1")))
	id := aws.ToString(created.DelegationRequestId)
	if !strings.HasPrefix(id, "dr-") || !strings.HasSuffix(aws.ToString(created.ConsoleDeepLink), id) {
		t.Fatalf("created: %+v", created)
	}

	// Unassigned: any account can read it; nobody lists it.
	g := must[*iam.GetDelegationRequestOutput](t, "GetDelegationRequest")(customer.GetDelegationRequest(ctx, &iam.GetDelegationRequestInput{DelegationRequestId: &id}))
	d := g.DelegationRequest
	if d.State != iamtypes.StateTypeUnassigned || aws.ToString(d.RequestorId) != AccountID || aws.ToInt32(d.SessionDuration) != 900 ||
		aws.ToString(d.PermissionPolicy) != `{"Statement":[{"Action":["s3:GetObject","s3:ListBucket"],"Effect":"Allow","Resource":["arn:aws:s3:::builds","arn:aws:s3:::logs"]}],"Version":"2012-10-17"}` ||
		aws.ToString(d.Permissions.PolicyTemplateArn) != tmpl || len(d.Permissions.Parameters) != 1 || aws.ToString(d.RedirectUrl) != "https://partner.example.com/return" {
		t.Fatalf("GetDelegationRequest: %+v", d)
	}
	checkRecent(t, "CreateDate", d.CreateDate)
	l := must[*iam.ListDelegationRequestsOutput](t, "List")(customer.ListDelegationRequests(ctx, &iam.ListDelegationRequestsInput{}))
	if len(l.DelegationRequests) != 0 {
		t.Fatalf("unowned request listed: %+v", l.DelegationRequests)
	}

	// Bob may not even read it; alice claims it and, as its owner, reads and forwards it without a policy.
	_, err := e.s.IAM(bob).GetDelegationRequest(ctx, &iam.GetDelegationRequestInput{DelegationRequestId: &id})
	wantDenied(t, err, "AccessDenied", azNotAuthorized("arn:aws:iam::"+drCustomer+":user/bob", "iam:GetDelegationRequest", drARN(id),
		because("identity-based policy", "iam:GetDelegationRequest")))
	ac := e.s.IAM(alice)
	must[*iam.AssociateDelegationRequestOutput](t, "Associate")(ac.AssociateDelegationRequest(ctx, &iam.AssociateDelegationRequestInput{DelegationRequestId: &id}))
	d = must[*iam.GetDelegationRequestOutput](t, "Get as owner")(ac.GetDelegationRequest(ctx, &iam.GetDelegationRequestInput{DelegationRequestId: &id})).DelegationRequest
	if d.State != iamtypes.StateTypeAssigned || aws.ToString(d.OwnerId) != aliceARN || aws.ToString(d.OwnerAccountId) != drCustomer {
		t.Fatalf("after Associate: %+v", d)
	}
	sum := must[*iam.GetHumanReadableSummaryOutput](t, "Summary")(ac.GetHumanReadableSummary(ctx, &iam.GetHumanReadableSummaryInput{EntityArn: aws.String(drARN(id))}))
	if sum.SummaryState != iamtypes.SummaryStateTypeAvailable || !strings.Contains(aws.ToString(sum.SummaryContent),
		"- Allows s3 actions GetObject and ListBucket on arn:aws:s3:::builds or arn:aws:s3:::logs.") ||
		!strings.Contains(aws.ToString(sum.SummaryContent), "for 15 minutes") {
		t.Fatalf("summary: %s %q", sum.SummaryState, aws.ToString(sum.SummaryContent))
	}
	must[*iam.UpdateDelegationRequestOutput](t, "Update")(ac.UpdateDelegationRequest(ctx, &iam.UpdateDelegationRequestInput{
		DelegationRequestId: &id, Notes: aws.String("please approve")}))
	// Accepting needs a policy even for the owner: it hands the partner the acceptor's permissions.
	_, err = ac.AcceptDelegationRequest(ctx, &iam.AcceptDelegationRequestInput{DelegationRequestId: &id})
	wantError(t, "Accept as owner", err, "AccessDenied", 403, "")
	adm := e.s.IAM(admin)
	l = must[*iam.ListDelegationRequestsOutput](t, "List")(adm.ListDelegationRequests(ctx, &iam.ListDelegationRequestsInput{OwnerId: aws.String(aliceARN)}))
	if len(l.DelegationRequests) != 1 || l.DelegationRequests[0].State != iamtypes.StateTypePendingApproval ||
		aws.ToString(l.DelegationRequests[0].Notes) != "please approve" || l.IsTruncated {
		t.Fatalf("ListDelegationRequests: %+v", l)
	}
	must[*iam.AcceptDelegationRequestOutput](t, "Accept")(adm.AcceptDelegationRequest(ctx, &iam.AcceptDelegationRequestInput{DelegationRequestId: &id}))
	// An explicit deny beats the owner's default permission.
	allowDoc := `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"iam:RejectDelegationRequest","Resource":"*"}]}`
	must[*iam.PutUserPolicyOutput](t, "deny")(customer.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("alice"),
		PolicyName: aws.String("no-reject"), PolicyDocument: aws.String(allowDoc)}))
	_, err = ac.RejectDelegationRequest(ctx, &iam.RejectDelegationRequestInput{DelegationRequestId: &id})
	wantDenied(t, err, "AccessDenied", azNotAuthorized(aliceARN, "iam:RejectDelegationRequest", drARN(id),
		"with an explicit deny in an identity-based policy"))
	must[*iam.SendDelegationTokenOutput](t, "Send")(ac.SendDelegationToken(ctx, &iam.SendDelegationTokenInput{DelegationRequestId: &id}))
	d = must[*iam.GetDelegationRequestOutput](t, "Get as partner")(partner.GetDelegationRequest(ctx, &iam.GetDelegationRequestInput{DelegationRequestId: &id})).DelegationRequest
	if d.State != iamtypes.StateTypeFinalized || aws.ToString(d.ApproverId) != "arn:aws:iam::"+drCustomer+":user/admin" {
		t.Fatalf("finalized: %+v", d)
	}

	// A second request, aimed at the customer account, for the error paths.
	in2 := drInput(tmpl, "workflow-2")
	in2.OwnerAccountId = aws.String(drCustomer)
	id2 := aws.ToString(must[*iam.CreateDelegationRequestOutput](t, "Create 2")(partner.CreateDelegationRequest(ctx, in2)).DelegationRequestId)
	stranger := newAccount(t, e.s, "111122223333")
	missing := "dr-0000000000000000"
	runErrCases(t, []errCase{
		{"duplicate workflow", func() error { return call(partner.CreateDelegationRequest(ctx, drInput(tmpl, "workflow-2"))) },
			"EntityAlreadyExists", 409, "A delegation request with RequestorWorkflowId workflow-2 already exists."},
		{"not an SNS topic", func() error {
			in := drInput(tmpl, "workflow-3")
			in.NotificationChannel = aws.String("queue")
			return call(partner.CreateDelegationRequest(ctx, in))
		}, "InvalidInput", 400, "NotificationChannel queue is not a valid SNS topic ARN."},
		{"no such template", func() error {
			return call(partner.CreateDelegationRequest(ctx, drInput("arn:aws:iam::"+AccountID+":policy/Nope", "workflow-4")))
		}, "InvalidInput", 400, "PolicyTemplateArn arn:aws:iam::" + AccountID + ":policy/Nope does not name a policy template."},
		{"session too short", func() error {
			in := drInput(tmpl, "workflow-5")
			in.SessionDuration = aws.Int32(60)
			return call(partner.CreateDelegationRequest(ctx, in))
		}, "ValidationError", 400, ""},
		{"unknown ID", func() error {
			return call(customer.GetDelegationRequest(ctx, &iam.GetDelegationRequestInput{DelegationRequestId: aws.String(missing)}))
		}, "NoSuchEntity", 404, "Delegation request " + missing + " not found."},
		{"other account", func() error {
			return call(e.s.IAM(stranger).AssociateDelegationRequest(ctx, &iam.AssociateDelegationRequestInput{DelegationRequestId: &id2}))
		}, "NoSuchEntity", 404, "Delegation request " + id2 + " not found."},
		{"accept unassigned", func() error {
			return call(customer.AcceptDelegationRequest(ctx, &iam.AcceptDelegationRequestInput{DelegationRequestId: &id2}))
		}, "NoSuchEntity", 404, "Delegation request " + id2 + " not found."},
		{"finalized is final", func() error {
			return call(adm.RejectDelegationRequest(ctx, &iam.RejectDelegationRequestInput{DelegationRequestId: &id}))
		}, "InvalidInput", 400, "Delegation request " + id + " is in state FINALIZED and cannot be rejected."},
		{"associate twice", func() error {
			return call(customer.AssociateDelegationRequest(ctx, &iam.AssociateDelegationRequestInput{DelegationRequestId: &id}))
		}, "InvalidInput", 400, "Delegation request " + id + " is in state FINALIZED and cannot be associated."},
		{"summary of a user", func() error {
			return call(customer.GetHumanReadableSummary(ctx, &iam.GetHumanReadableSummaryInput{EntityArn: aws.String("arn:aws:iam::" + drCustomer + ":user/bob")}))
		}, "InvalidInput", 400, "EntityArn arn:aws:iam::" + drCustomer + ":user/bob is not supported: only delegation-request entities can be summarized."},
	})

	// Rejecting: the customer's root claims and rejects the second request with a reason.
	must[*iam.AssociateDelegationRequestOutput](t, "Associate 2")(customer.AssociateDelegationRequest(ctx, &iam.AssociateDelegationRequestInput{DelegationRequestId: &id2}))
	must[*iam.RejectDelegationRequestOutput](t, "Reject 2")(customer.RejectDelegationRequest(ctx, &iam.RejectDelegationRequestInput{
		DelegationRequestId: &id2, Notes: aws.String("not now")}))
	d = must[*iam.GetDelegationRequestOutput](t, "Get 2")(partner.GetDelegationRequest(ctx, &iam.GetDelegationRequestInput{DelegationRequestId: &id2})).DelegationRequest
	if d.State != iamtypes.StateTypeRejected || aws.ToString(d.RejectionReason) != "not now" {
		t.Fatalf("rejected: %+v", d)
	}
	_, err = customer.AcceptDelegationRequest(ctx, &iam.AcceptDelegationRequestInput{DelegationRequestId: &id2})
	wantError(t, "accept rejected", err, "InvalidInput", 400, "Delegation request "+id2+" is in state REJECTED and cannot be accepted.")
}

// The owner's default permissions belong to the identity that claimed the request: a user deleted and
// created again under the same name (same ARN, new unique ID) does not inherit them.
func TestDelegationOwnerDefaultsFollowTheIdentity(t *testing.T) {
	e := newIAMEnv(t)
	ctx := e.ctx
	customerRoot := newAccount(t, e.s, drCustomer)
	customer := e.s.IAM(customerRoot)
	alice := newUser(t, e.s, customerRoot, "alice")
	allow(t, e.s, customerRoot, "alice", "iam:AssociateDelegationRequest", "*")
	tmpl := aws.ToString(must[*iam.CreatePolicyOutput](t, "CreatePolicy")(e.c.CreatePolicy(ctx, &iam.CreatePolicyInput{
		PolicyName: aws.String("BuildsTemplate"), PolicyDocument: aws.String(drTemplate)})).Policy.Arn)
	id := aws.ToString(must[*iam.CreateDelegationRequestOutput](t, "Create")(e.c.CreateDelegationRequest(ctx, drInput(tmpl, "workflow-1"))).DelegationRequestId)
	must[*iam.AssociateDelegationRequestOutput](t, "Associate")(e.s.IAM(alice).AssociateDelegationRequest(ctx, &iam.AssociateDelegationRequestInput{DelegationRequestId: &id}))
	must[*iam.GetDelegationRequestOutput](t, "Get as owner")(e.s.IAM(alice).GetDelegationRequest(ctx, &iam.GetDelegationRequestInput{DelegationRequestId: &id}))

	keys := must[*iam.ListAccessKeysOutput](t, "ListAccessKeys")(customer.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String("alice")}))
	for _, k := range keys.AccessKeyMetadata {
		must[*iam.DeleteAccessKeyOutput](t, "DeleteAccessKey")(customer.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: aws.String("alice"), AccessKeyId: k.AccessKeyId}))
	}
	must[*iam.DeleteUserPolicyOutput](t, "DeleteUserPolicy")(customer.DeleteUserPolicy(ctx, &iam.DeleteUserPolicyInput{UserName: aws.String("alice"),
		PolicyName: aws.String("allow-iam-AssociateDelegationRequest")}))
	must[*iam.DeleteUserOutput](t, "DeleteUser")(customer.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("alice")}))
	namesake := newUser(t, e.s, customerRoot, "alice")
	_, err := e.s.IAM(namesake).GetDelegationRequest(ctx, &iam.GetDelegationRequestInput{DelegationRequestId: &id})
	wantDenied(t, err, "AccessDenied", azNotAuthorized("arn:aws:iam::"+drCustomer+":user/alice", "iam:GetDelegationRequest", drARN(id),
		because("identity-based policy", "iam:GetDelegationRequest")))
}
