package iam

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/iamd/iamd/internal/api/iamapi"
	"github.com/iamd/iamd/internal/reqctx"
)

// In these tests testAccount is the partner that files requests and otherTestAccount the customer.

const drTemplateDoc = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:ListBucket","ec2:DescribeInstances"],"Resource":["arn:aws:s3:::@{BucketName}","arn:aws:s3:::@{BucketName}/*"]},{"Effect":"Allow","Action":"logs:*","Resource":"arn:aws:logs:*:*:log-group:@{LogGroups}","Condition":{"Bool":{"aws:SecureTransport":"true"}}}]}`

func userOf(acct, name string) context.Context {
	return callerCtx(&reqctx.Caller{Kind: reqctx.CallerUser, AccountID: acct, Partition: "aws",
		ARN: "arn:aws:iam::" + acct + ":user/" + name, Name: name, PrincipalName: name, PrincipalPath: "/"})
}

// drTemplate creates the partner's policy template and returns its ARN.
func (f *fixture) drTemplate() string {
	out := must(f.svc.CreatePolicy(f.root(), &iamapi.CreatePolicyRequest{PolicyName: ptr("PartnerTemplate"), PolicyDocument: ptr(drTemplateDoc)}))(f.t)
	return *out.Policy.Arn
}

func drCreateInput(tmpl, workflow string) *iamapi.CreateDelegationRequestRequest {
	return &iamapi.CreateDelegationRequestRequest{
		Description: ptr("Read the build bucket"), RequestorWorkflowId: ptr(workflow),
		NotificationChannel: ptr("arn:aws:sns:us-east-1:" + testAccount + ":delegation"), SessionDuration: ptr(int32(3600)),
		Permissions: &iamapi.DelegationPermission{PolicyTemplateArn: ptr(tmpl), Parameters: []iamapi.PolicyParameter{
			{Name: ptr("BucketName"), Type: ptr("string"), Values: []string{"builds"}},
			{Name: ptr("LogGroups"), Type: ptr("stringList"), Values: []string{"a", "b"}},
		}},
	}
}

func (f *fixture) drCreate(tmpl, workflow string) string {
	out := must(f.svc.CreateDelegationRequest(f.root(), drCreateInput(tmpl, workflow)))(f.t)
	return *out.DelegationRequestId
}

func (f *fixture) drState(ctx context.Context, id string) string {
	out := must(f.svc.GetDelegationRequest(ctx, &iamapi.GetDelegationRequestRequest{DelegationRequestId: &id}))(f.t)
	return *out.DelegationRequest.State
}

func TestDelegationRequestHappyPath(t *testing.T) {
	f := newFixture(t)
	tmpl := f.drTemplate()
	id := f.drCreate(tmpl, "workflow-1")
	if !strings.HasPrefix(id, "dr-") || len(id) < 16 {
		t.Fatalf("ID %q", id)
	}
	alice := userOf(otherTestAccount, "alice")
	got := must(f.svc.GetDelegationRequest(alice, &iamapi.GetDelegationRequestRequest{DelegationRequestId: &id}))(t).DelegationRequest
	if *got.State != drUnassigned || *got.RequestorId != testAccount || got.OwnerAccountId != nil || got.OwnerId != nil {
		t.Fatalf("created: %+v", got)
	}
	wantPolicy := `{"Statement":[{"Action":["s3:GetObject","s3:ListBucket","ec2:DescribeInstances"],"Effect":"Allow","Resource":["arn:aws:s3:::builds","arn:aws:s3:::builds/*"]},{"Action":"logs:*","Condition":{"Bool":{"aws:SecureTransport":"true"}},"Effect":"Allow","Resource":["arn:aws:logs:*:*:log-group:a","arn:aws:logs:*:*:log-group:b"]}],"Version":"2012-10-17"}`
	if *got.PermissionPolicy != wantPolicy {
		t.Fatalf("policy:\n%s\nwant\n%s", *got.PermissionPolicy, wantPolicy)
	}
	if !got.ExpirationTime.Equal(f.now.Add(7 * 24 * time.Hour)) {
		t.Fatalf("expiration %v", got.ExpirationTime)
	}

	must(f.svc.AssociateDelegationRequest(alice, &iamapi.AssociateDelegationRequestRequest{DelegationRequestId: &id}))(t)
	got = must(f.svc.GetDelegationRequest(alice, &iamapi.GetDelegationRequestRequest{DelegationRequestId: &id}))(t).DelegationRequest
	if *got.State != drAssigned || *got.OwnerAccountId != otherTestAccount || *got.OwnerId != "arn:aws:iam::"+otherTestAccount+":user/alice" {
		t.Fatalf("associated: %+v", got)
	}
	f.now = f.now.Add(time.Hour)
	must(f.svc.UpdateDelegationRequest(alice, &iamapi.UpdateDelegationRequestRequest{DelegationRequestId: &id, Notes: ptr("please approve")}))(t)
	if s := f.drState(alice, id); s != drPendingApproval {
		t.Fatalf("after update: %s", s)
	}
	admin := userOf(otherTestAccount, "admin")
	must(f.svc.AcceptDelegationRequest(admin, &iamapi.AcceptDelegationRequestRequest{DelegationRequestId: &id}))(t)
	got = must(f.svc.GetDelegationRequest(admin, &iamapi.GetDelegationRequestRequest{DelegationRequestId: &id}))(t).DelegationRequest
	if *got.State != drAccepted || *got.ApproverId != "arn:aws:iam::"+otherTestAccount+":user/admin" || *got.Notes != "please approve" {
		t.Fatalf("accepted: %+v", got)
	}
	must(f.svc.SendDelegationToken(admin, &iamapi.SendDelegationTokenRequest{DelegationRequestId: &id}))(t)
	got = must(f.svc.GetDelegationRequest(f.root(), &iamapi.GetDelegationRequestRequest{DelegationRequestId: &id}))(t).DelegationRequest
	if *got.State != drFinalized || !got.ExpirationTime.Equal(f.now.Add(time.Hour)) {
		t.Fatalf("finalized (seen by the partner): %+v", got)
	}
	// FINALIZED cannot be rolled back, and does not turn EXPIRED when the delegation period ends.
	assertAPIError(t, f.svc.rejectErr(admin, id), "InvalidInput", 400, "Delegation request "+id+" is in state FINALIZED and cannot be rejected.")
	f.now = f.now.Add(48 * time.Hour)
	if s := f.drState(admin, id); s != drFinalized {
		t.Fatalf("after the session: %s", s)
	}
}

func (s *Service) rejectErr(ctx context.Context, id string) error {
	_, err := s.RejectDelegationRequest(ctx, &iamapi.RejectDelegationRequestRequest{DelegationRequestId: &id, Notes: ptr("no")})
	return err
}

// Every operation against every state it does not accept answers InvalidInput naming the state.
func TestDelegationRequestRefusedTransitions(t *testing.T) {
	f := newFixture(t)
	tmpl := f.drTemplate()
	alice := userOf(otherTestAccount, "alice")
	n := 0
	// reach builds a request in the given state.
	reach := func(state string) string {
		n++
		id := f.drCreate(tmpl, fmt.Sprintf("workflow-%d", n))
		step := func(err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
		}
		if state == drUnassigned {
			return id
		}
		_, err := f.svc.AssociateDelegationRequest(alice, &iamapi.AssociateDelegationRequestRequest{DelegationRequestId: &id})
		step(err)
		switch state {
		case drPendingApproval:
			_, err = f.svc.UpdateDelegationRequest(alice, &iamapi.UpdateDelegationRequestRequest{DelegationRequestId: &id})
		case drAccepted, drFinalized:
			_, err = f.svc.AcceptDelegationRequest(alice, &iamapi.AcceptDelegationRequestRequest{DelegationRequestId: &id})
			if err == nil && state == drFinalized {
				_, err = f.svc.SendDelegationToken(alice, &iamapi.SendDelegationTokenRequest{DelegationRequestId: &id})
			}
		case drRejected:
			err = f.svc.rejectErr(alice, id)
		}
		step(err)
		return id
	}
	ops := map[string]struct {
		verb  string
		call  func(id string) error
		allow []string
	}{
		"Associate": {"associated", func(id string) error {
			_, err := f.svc.AssociateDelegationRequest(alice, &iamapi.AssociateDelegationRequestRequest{DelegationRequestId: &id})
			return err
		}, []string{drUnassigned}},
		"Update": {"updated", func(id string) error {
			_, err := f.svc.UpdateDelegationRequest(alice, &iamapi.UpdateDelegationRequestRequest{DelegationRequestId: &id})
			return err
		}, []string{drAssigned, drPendingApproval}},
		"Accept": {"accepted", func(id string) error {
			_, err := f.svc.AcceptDelegationRequest(alice, &iamapi.AcceptDelegationRequestRequest{DelegationRequestId: &id})
			return err
		}, []string{drAssigned, drPendingApproval}},
		"Reject": {"rejected", func(id string) error { return f.svc.rejectErr(alice, id) }, []string{drAssigned, drPendingApproval, drAccepted}},
		"Send": {"finalized", func(id string) error {
			_, err := f.svc.SendDelegationToken(alice, &iamapi.SendDelegationTokenRequest{DelegationRequestId: &id})
			return err
		}, []string{drAccepted}},
	}
	states := []string{drUnassigned, drAssigned, drPendingApproval, drAccepted, drFinalized, drRejected}
	for name, op := range ops {
		for _, st := range states {
			id := reach(st)
			err := op.call(id)
			allowed := false
			for _, a := range op.allow {
				allowed = allowed || a == st
			}
			switch {
			case allowed && err != nil:
				t.Errorf("%s from %s: %v", name, st, err)
			case !allowed && st == drUnassigned:
				// Unassigned requests have no owner: to the customer's owner-only operations they do not exist.
				assertAPIError(t, err, "NoSuchEntity", 404, "Delegation request "+id+" not found.")
			case !allowed:
				assertAPIError(t, err, "InvalidInput", 400, "Delegation request "+id+" is in state "+st+" and cannot be "+op.verb+".")
			}
		}
	}
}

func TestDelegationRequestExpiry(t *testing.T) {
	f := newFixture(t)
	tmpl := f.drTemplate()
	alice := userOf(otherTestAccount, "alice")
	open := f.drCreate(tmpl, "workflow-open")
	rejected := f.drCreate(tmpl, "workflow-rejected")
	must(f.svc.AssociateDelegationRequest(alice, &iamapi.AssociateDelegationRequestRequest{DelegationRequestId: &rejected}))(t)
	f.now = f.now.Add(6 * 24 * time.Hour)
	if err := f.svc.rejectErr(alice, rejected); err != nil {
		t.Fatal(err)
	}
	f.now = f.now.Add(24 * time.Hour)
	if s := f.drState(alice, open); s != drExpired {
		t.Fatalf("open request after 7 days: %s", s)
	}
	if s := f.drState(alice, rejected); s != drRejected {
		t.Fatalf("rejected a day ago: %s", s)
	}
	_, err := f.svc.AssociateDelegationRequest(alice, &iamapi.AssociateDelegationRequestRequest{DelegationRequestId: &open})
	assertAPIError(t, err, "InvalidInput", 400, "Delegation request "+open+" is in state EXPIRED and cannot be associated.")
	f.now = f.now.Add(6 * 24 * time.Hour)
	if s := f.drState(alice, rejected); s != drExpired {
		t.Fatalf("rejected 7 days ago: %s", s)
	}
	// The partner's next request removes its expired unassigned ones, and may reuse their workflow IDs.
	f.drCreate(tmpl, "workflow-open")
	_, err = f.svc.GetDelegationRequest(alice, &iamapi.GetDelegationRequestRequest{DelegationRequestId: &open})
	assertAPIError(t, err, "NoSuchEntity", 404, "Delegation request "+open+" not found.")
}

func TestDelegationRequestVisibility(t *testing.T) {
	f := newFixture(t)
	tmpl := f.drTemplate()
	in := drCreateInput(tmpl, "targeted")
	in.OwnerAccountId = ptr(otherTestAccount)
	id := *must(f.svc.CreateDelegationRequest(f.root(), in))(t).DelegationRequestId
	stranger := userOf("111122223333", "mallory")
	_, err := f.svc.GetDelegationRequest(stranger, &iamapi.GetDelegationRequestRequest{DelegationRequestId: &id})
	assertAPIError(t, err, "NoSuchEntity", 404, "Delegation request "+id+" not found.")
	_, err = f.svc.AssociateDelegationRequest(stranger, &iamapi.AssociateDelegationRequestRequest{DelegationRequestId: &id})
	assertAPIError(t, err, "NoSuchEntity", 404, "Delegation request "+id+" not found.")
	_, err = f.svc.GetHumanReadableSummary(stranger, &iamapi.GetHumanReadableSummaryRequest{EntityArn: ptr(DelegationRequestARN("aws", otherTestAccount, id))})
	assertAPIError(t, err, "NoSuchEntity", 404, "Delegation request "+id+" not found.")
	// An unowned request is in nobody's list; once associated it is in its owner account's.
	alice := userOf(otherTestAccount, "alice")
	list := must(f.svc.ListDelegationRequests(alice, &iamapi.ListDelegationRequestsRequest{}))(t)
	if len(list.DelegationRequests) != 0 {
		t.Fatalf("unowned request listed: %+v", list.DelegationRequests)
	}
	must(f.svc.AssociateDelegationRequest(alice, &iamapi.AssociateDelegationRequestRequest{DelegationRequestId: &id}))(t)
	// The partner still sees its request but cannot act for the customer.
	if s := f.drState(f.root(), id); s != drAssigned {
		t.Fatalf("partner sees %s", s)
	}
	_, err = f.svc.AcceptDelegationRequest(f.root(), &iamapi.AcceptDelegationRequestRequest{DelegationRequestId: &id})
	assertAPIError(t, err, "NoSuchEntity", 404, "Delegation request "+id+" not found.")
	list = must(f.svc.ListDelegationRequests(f.root(), &iamapi.ListDelegationRequestsRequest{}))(t)
	if len(list.DelegationRequests) != 0 {
		t.Fatalf("partner lists the customer's request: %+v", list.DelegationRequests)
	}
}

func TestDelegationRequestListPagination(t *testing.T) {
	f := newFixture(t)
	tmpl := f.drTemplate()
	alice, bob := userOf(otherTestAccount, "alice"), userOf(otherTestAccount, "bob")
	want := map[string]bool{}
	for i := range 5 {
		id := f.drCreate(tmpl, fmt.Sprintf("workflow-%d", i))
		who := alice
		if i%2 == 1 {
			who = bob
		} else {
			want[id] = true
		}
		must(f.svc.AssociateDelegationRequest(who, &iamapi.AssociateDelegationRequestRequest{DelegationRequestId: &id}))(t)
	}
	var marker *string
	seen := map[string]bool{}
	for range 5 {
		out := must(f.svc.ListDelegationRequests(alice, &iamapi.ListDelegationRequestsRequest{
			OwnerId: ptr("arn:aws:iam::" + otherTestAccount + ":user/alice"), MaxItems: ptr(int32(2)), Marker: marker}))(t)
		for _, d := range out.DelegationRequests {
			seen[*d.DelegationRequestId] = true
		}
		if !*out.IsTruncated {
			break
		}
		marker = out.Marker
	}
	if len(seen) != len(want) {
		t.Fatalf("listed %v, want %v", seen, want)
	}
	for id := range want {
		if !seen[id] {
			t.Fatalf("missing %s", id)
		}
	}
	all := must(f.svc.ListDelegationRequests(alice, &iamapi.ListDelegationRequestsRequest{}))(t)
	if len(all.DelegationRequests) != 5 || *all.IsTruncated {
		t.Fatalf("all: %d", len(all.DelegationRequests))
	}
}

func TestCreateDelegationRequestErrors(t *testing.T) {
	f := newFixture(t)
	tmpl := f.drTemplate()
	f.drCreate(tmpl, "workflow-1")
	_, err := f.svc.CreateDelegationRequest(f.root(), drCreateInput(tmpl, "workflow-1"))
	assertAPIError(t, err, "EntityAlreadyExists", 409, "A delegation request with RequestorWorkflowId workflow-1 already exists.")

	bad := drCreateInput(tmpl, "w-channel")
	bad.NotificationChannel = ptr("https-endpoint")
	_, err = f.svc.CreateDelegationRequest(f.root(), bad)
	assertAPIError(t, err, "InvalidInput", 400, "NotificationChannel https-endpoint is not a valid SNS topic ARN.")

	bad = drCreateInput("arn:aws:iam::"+testAccount+":policy/Missing", "w-missing")
	_, err = f.svc.CreateDelegationRequest(f.root(), bad)
	assertAPIError(t, err, "InvalidInput", 400, "PolicyTemplateArn arn:aws:iam::"+testAccount+":policy/Missing does not name a policy template.")

	bad = drCreateInput(tmpl, "w-unused")
	bad.Permissions.Parameters = append(bad.Permissions.Parameters, iamapi.PolicyParameter{Name: ptr("Unused"), Values: []string{"x"}})
	_, err = f.svc.CreateDelegationRequest(f.root(), bad)
	assertAPIError(t, err, "InvalidInput", 400, "Policy parameter Unused is not used by the policy template.")

	bad = drCreateInput(tmpl, "w-missing-param")
	bad.Permissions.Parameters = bad.Permissions.Parameters[:1]
	_, err = f.svc.CreateDelegationRequest(f.root(), bad)
	assertAPIError(t, err, "InvalidInput", 400, "Policy template parameter LogGroups has no value.")

	bad = drCreateInput(tmpl, "w-two-values")
	bad.Permissions.Parameters[0].Values = []string{"a", "b"}
	_, err = f.svc.CreateDelegationRequest(f.root(), bad)
	assertAPIError(t, err, "InvalidInput", 400, "Policy parameter BucketName of type string must have exactly one value.")

	// stringList values multiply: past maxTemplateExpansion strings the request is refused before the
	// strings are built.
	bad = drCreateInput(tmpl, "w-explode")
	many := make([]string, 40)
	for i := range many {
		many[i] = fmt.Sprint(i)
	}
	bad.Permissions.Parameters = []iamapi.PolicyParameter{
		{Name: ptr("BucketName"), Type: ptr("string"), Values: []string{"b"}},
		{Name: ptr("LogGroups"), Type: ptr("stringList"), Values: many},
	}
	explode := `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"logs:*","Resource":"arn:aws:logs:*:*:log-group:@{LogGroups}-@{LogGroups2}-@{BucketName}"}}`
	tmpl2 := *must(f.svc.CreatePolicy(f.root(), &iamapi.CreatePolicyRequest{PolicyName: ptr("Explode"), PolicyDocument: ptr(explode)}))(t).Policy.Arn
	bad.Permissions.PolicyTemplateArn = &tmpl2
	bad.Permissions.Parameters = append(bad.Permissions.Parameters, iamapi.PolicyParameter{Name: ptr("LogGroups2"), Type: ptr("stringList"), Values: many})
	_, err = f.svc.CreateDelegationRequest(f.root(), bad)
	assertAPIError(t, err, "LimitExceeded", 409, "Cannot exceed quota for PolicySize: 6144")

	// An AWS managed policy is a template too.
	aws := drCreateInput("arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess", "w-aws")
	aws.Permissions.Parameters = nil
	must(f.svc.CreateDelegationRequest(f.root(), aws))(t)
}

func TestDelegationRequestQuota(t *testing.T) {
	f := newFixture(t)
	tmpl := f.drTemplate()
	for i := range maxUnassignedDelegationRequests {
		f.drCreate(tmpl, fmt.Sprintf("workflow-%d", i))
	}
	_, err := f.svc.CreateDelegationRequest(f.root(), drCreateInput(tmpl, "one-too-many"))
	assertAPIError(t, err, "LimitExceeded", 409, fmt.Sprintf("Cannot exceed quota for UnassignedDelegationRequestsPerAccount: %d", maxUnassignedDelegationRequests))
	// Expired requests stop counting (and are removed).
	f.now = f.now.Add(delegationOpenLifetime)
	f.drCreate(tmpl, "after-expiry")
}

func TestSendDelegationTokenOnlySendByOwner(t *testing.T) {
	f := newFixture(t)
	tmpl := f.drTemplate()
	in := drCreateInput(tmpl, "owner-only")
	in.OnlySendByOwner = ptr(true)
	id := *must(f.svc.CreateDelegationRequest(f.root(), in))(t).DelegationRequestId
	alice, admin := userOf(otherTestAccount, "alice"), userOf(otherTestAccount, "admin")
	must(f.svc.AssociateDelegationRequest(alice, &iamapi.AssociateDelegationRequestRequest{DelegationRequestId: &id}))(t)
	must(f.svc.AcceptDelegationRequest(admin, &iamapi.AcceptDelegationRequestRequest{DelegationRequestId: &id}))(t)
	_, err := f.svc.SendDelegationToken(admin, &iamapi.SendDelegationTokenRequest{DelegationRequestId: &id})
	assertAPIError(t, err, "AccessDenied", 403, "Only the owner arn:aws:iam::"+otherTestAccount+":user/alice of delegation request "+id+" can send its delegation token.")
	must(f.svc.SendDelegationToken(alice, &iamapi.SendDelegationTokenRequest{DelegationRequestId: &id}))(t)
}

func TestGetHumanReadableSummary(t *testing.T) {
	f := newFixture(t)
	tmpl := f.drTemplate()
	id := f.drCreate(tmpl, "summary")
	alice := userOf(otherTestAccount, "alice")
	arn := DelegationRequestARN("aws", otherTestAccount, id)
	out := must(f.svc.GetHumanReadableSummary(alice, &iamapi.GetHumanReadableSummaryRequest{EntityArn: &arn}))(t)
	want := "Account " + testAccount + " requests temporary access to your account for 1 hour after you send the delegation token.\n\n" +
		"- Allows ec2 action DescribeInstances; s3 actions GetObject and ListBucket on arn:aws:s3:::builds or arn:aws:s3:::builds/*.\n\n" +
		"- Allows all logs actions on arn:aws:logs:*:*:log-group:a or arn:aws:logs:*:*:log-group:b, only when aws:SecureTransport satisfies Bool true.\n"
	if *out.SummaryState != "AVAILABLE" || *out.Locale != "en-US" || *out.SummaryContent != want {
		t.Fatalf("summary %s %s:\n%s\nwant\n%s", *out.SummaryState, *out.Locale, *out.SummaryContent, want)
	}
	again := must(f.svc.GetHumanReadableSummary(alice, &iamapi.GetHumanReadableSummaryRequest{EntityArn: &arn}))(t)
	if *again.SummaryContent != want {
		t.Fatal("summary is not deterministic")
	}
	fr := must(f.svc.GetHumanReadableSummary(alice, &iamapi.GetHumanReadableSummaryRequest{EntityArn: &arn, Locale: ptr("fr-FR")}))(t)
	if *fr.SummaryState != "NOT_SUPPORTED" || *fr.SummaryContent != "" || *fr.Locale != "fr-FR" {
		t.Fatalf("fr-FR: %+v", fr)
	}
	_, err := f.svc.GetHumanReadableSummary(alice, &iamapi.GetHumanReadableSummaryRequest{EntityArn: ptr("arn:aws:iam::" + testAccount + ":user/bob")})
	assertAPIError(t, err, "InvalidInput", 400, "EntityArn arn:aws:iam::"+testAccount+":user/bob is not supported: only delegation-request entities can be summarized.")
	_, err = f.svc.GetHumanReadableSummary(alice, &iamapi.GetHumanReadableSummaryRequest{EntityArn: ptr(DelegationRequestARN("aws", otherTestAccount, "dr-00000000000000000000"))})
	assertAPIError(t, err, "NoSuchEntity", 404, "Delegation request dr-00000000000000000000 not found.")
}

func TestSummaryIsBounded(t *testing.T) {
	d := &delegationRequest{RequestorID: testAccount, PermissionPolicy: `{"Statement":[` + strings.Repeat(`{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::`+strings.Repeat("b", 200)+`"},`, 100) + `{"Effect":"Deny","NotAction":"iam:*","NotResource":"x"}]}`}
	s, err := summarizeDelegation(d)
	if err != nil {
		t.Fatal(err)
	}
	if len(s) > maxSummaryLength || !strings.HasSuffix(s, summaryCut) {
		t.Fatalf("length %d", len(s))
	}
}

// FuzzFillTemplate: any template and parameters either fill to a valid policy or are refused, without
// panicking and without building more than maxTemplateExpansion strings from one.
func FuzzFillTemplate(f *testing.F) {
	f.Add(drTemplateDoc, "BucketName", "b", "LogGroups", "x,y")
	f.Add(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":["@{A}","arn:aws:s3:::@{B}"]}}`, "A", "arn:aws:s3:::a", "B", "1,2,3")
	f.Fuzz(func(t *testing.T, doc, n1, v1, n2, v2 string) {
		params := []delegationParam{{Name: n1, Type: "string", Values: []string{v1}}, {Name: n2, Type: "stringList", Values: strings.Split(v2, ",")}}
		out, err := fillTemplate(doc, params)
		if err == nil && policySize(out) > maxManagedPolicySize {
			t.Fatalf("filled policy of %d characters", policySize(out))
		}
	})
}

// A request may be claimed inside the partner's own account (a self-hosted deployment trying the flow
// with one account): the partner's users then act as the customer.
func TestDelegationRequestWithinOneAccount(t *testing.T) {
	f := newFixture(t)
	tmpl := f.drTemplate()
	id := f.drCreate(tmpl, "same-account")
	alice := userOf(testAccount, "alice")
	must(f.svc.AssociateDelegationRequest(alice, &iamapi.AssociateDelegationRequestRequest{DelegationRequestId: &id}))(t)
	must(f.svc.AcceptDelegationRequest(f.root(), &iamapi.AcceptDelegationRequestRequest{DelegationRequestId: &id}))(t)
	if s := f.drState(alice, id); s != drAccepted {
		t.Fatalf("state %s", s)
	}
	list := must(f.svc.ListDelegationRequests(f.root(), &iamapi.ListDelegationRequestsRequest{}))(t)
	if len(list.DelegationRequests) != 1 {
		t.Fatalf("listed %d", len(list.DelegationRequests))
	}
}

// The owner is an identity, not a name: a user created again under the owner's name (same ARN, another
// unique ID) cannot send the token of an OnlySendByOwner request.
func TestDelegationOwnerIsTheIdentity(t *testing.T) {
	f := newFixture(t)
	tmpl := f.drTemplate()
	in := drCreateInput(tmpl, "owner-identity")
	in.OnlySendByOwner = ptr(true)
	id := *must(f.svc.CreateDelegationRequest(f.root(), in))(t).DelegationRequestId
	as := func(uid string) context.Context {
		return callerCtx(&reqctx.Caller{Kind: reqctx.CallerUser, AccountID: otherTestAccount, Partition: "aws",
			ARN: "arn:aws:iam::" + otherTestAccount + ":user/alice", Name: "alice", PrincipalName: "alice", PrincipalPath: "/", PrincipalID: uid})
	}
	alice, namesake := as("AIDAALICEORIGINAL0001"), as("AIDAALICERECREATED001")
	must(f.svc.AssociateDelegationRequest(alice, &iamapi.AssociateDelegationRequestRequest{DelegationRequestId: &id}))(t)
	must(f.svc.AcceptDelegationRequest(rootOf(otherTestAccount), &iamapi.AcceptDelegationRequestRequest{DelegationRequestId: &id}))(t)
	_, err := f.svc.SendDelegationToken(namesake, &iamapi.SendDelegationTokenRequest{DelegationRequestId: &id})
	assertAPIError(t, err, "AccessDenied", 403, "Only the owner arn:aws:iam::"+otherTestAccount+":user/alice of delegation request "+id+" can send its delegation token.")
	must(f.svc.SendDelegationToken(alice, &iamapi.SendDelegationTokenRequest{DelegationRequestId: &id}))(t)
}
