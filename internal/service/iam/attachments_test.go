package iam

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/iamd/iamd/internal/api/iamapi"
	"github.com/iamd/iamd/internal/policy"
	"github.com/iamd/iamd/internal/storage"
)

func TestAttachDetachPolicies(t *testing.T) {
	f := withCatalogue(t, newFixture(t))
	ctx := f.root()
	createUser(t, f, ctx, "alice", "")
	must(f.svc.CreateGroup(ctx, &iamapi.CreateGroupRequest{GroupName: ptr("devs")}))(t)
	createRole(t, f, ctx, "app", "")
	local := str(createPolicy(t, f, ctx, "Local", "/team/").Arn)

	must(f.svc.AttachUserPolicy(ctx, &iamapi.AttachUserPolicyRequest{UserName: ptr("ALICE"), PolicyArn: ptr(readOnlyARN)}))(t)
	must(f.svc.AttachUserPolicy(ctx, &iamapi.AttachUserPolicyRequest{UserName: ptr("alice"), PolicyArn: ptr(local)}))(t)
	// Attaching twice is accepted and changes nothing.
	must(f.svc.AttachUserPolicy(ctx, &iamapi.AttachUserPolicyRequest{UserName: ptr("alice"), PolicyArn: ptr(local)}))(t)
	must(f.svc.AttachGroupPolicy(ctx, &iamapi.AttachGroupPolicyRequest{GroupName: ptr("devs"), PolicyArn: ptr(local)}))(t)
	must(f.svc.AttachRolePolicy(ctx, &iamapi.AttachRolePolicyRequest{RoleName: ptr("app"), PolicyArn: ptr(local)}))(t)

	list := must(f.svc.ListAttachedUserPolicies(ctx, &iamapi.ListAttachedUserPoliciesRequest{UserName: ptr("alice")}))(t)
	if len(list.AttachedPolicies) != 2 || str(list.AttachedPolicies[0].PolicyArn) != local || str(list.AttachedPolicies[0].PolicyName) != "Local" ||
		str(list.AttachedPolicies[1].PolicyName) != "ReadOnlyAccess" || *list.IsTruncated {
		t.Fatalf("ListAttachedUserPolicies = %+v", list)
	}
	team := must(f.svc.ListAttachedUserPolicies(ctx, &iamapi.ListAttachedUserPoliciesRequest{UserName: ptr("alice"), PathPrefix: ptr("/team/")}))(t)
	if len(team.AttachedPolicies) != 1 || str(team.AttachedPolicies[0].PolicyArn) != local {
		t.Errorf("PathPrefix /team/ = %+v", team.AttachedPolicies)
	}
	page := must(f.svc.ListAttachedUserPolicies(ctx, &iamapi.ListAttachedUserPoliciesRequest{UserName: ptr("alice"), MaxItems: ptr(int32(1))}))(t)
	page2 := must(f.svc.ListAttachedUserPolicies(ctx, &iamapi.ListAttachedUserPoliciesRequest{UserName: ptr("alice"), Marker: page.Marker}))(t)
	if len(page.AttachedPolicies) != 1 || !*page.IsTruncated || len(page2.AttachedPolicies) != 1 || *page2.IsTruncated ||
		str(page2.AttachedPolicies[0].PolicyName) != "ReadOnlyAccess" {
		t.Errorf("paged attachments: %+v / %+v", page, page2)
	}
	g := must(f.svc.ListAttachedGroupPolicies(ctx, &iamapi.ListAttachedGroupPoliciesRequest{GroupName: ptr("devs")}))(t)
	r := must(f.svc.ListAttachedRolePolicies(ctx, &iamapi.ListAttachedRolePoliciesRequest{RoleName: ptr("app")}))(t)
	if len(g.AttachedPolicies) != 1 || len(r.AttachedPolicies) != 1 {
		t.Errorf("group %+v role %+v", g, r)
	}
	p := must(f.svc.GetPolicy(ctx, &iamapi.GetPolicyRequest{PolicyArn: ptr(local)}))(t).Policy
	if *p.AttachmentCount != 3 {
		t.Errorf("AttachmentCount = %d, want 3", *p.AttachmentCount)
	}

	// Errors.
	missing := "arn:aws:iam::" + testAccount + ":policy/missing"
	_, err := f.svc.AttachUserPolicy(ctx, &iamapi.AttachUserPolicyRequest{UserName: ptr("alice"), PolicyArn: ptr(missing)})
	assertAPIError(t, err, "NoSuchEntity", 404, "Policy "+missing+" does not exist or is not attachable.")
	_, err = f.svc.AttachUserPolicy(ctx, &iamapi.AttachUserPolicyRequest{UserName: ptr("ghost"), PolicyArn: ptr(local)})
	assertAPIError(t, err, "NoSuchEntity", 404, "The user with name ghost cannot be found.")
	_, err = f.svc.AttachGroupPolicy(ctx, &iamapi.AttachGroupPolicyRequest{GroupName: ptr("ghost"), PolicyArn: ptr(local)})
	assertAPIError(t, err, "NoSuchEntity", 404, "The group with name ghost cannot be found.")
	_, err = f.svc.AttachRolePolicy(ctx, &iamapi.AttachRolePolicyRequest{RoleName: ptr("ghost"), PolicyArn: ptr(local)})
	assertAPIError(t, err, "NoSuchEntity", 404, "The role with name ghost cannot be found.")
	_, err = f.svc.AttachUserPolicy(ctx, &iamapi.AttachUserPolicyRequest{UserName: ptr("alice"), PolicyArn: ptr("not-an-arn-at-all-really")})
	assertAPIError(t, err, "InvalidInput", 400, "ARN not-an-arn-at-all-really is not valid.")
	// Another account's policy cannot be attached.
	_, err = f.svc.AttachUserPolicy(rootOf(otherTestAccount), &iamapi.AttachUserPolicyRequest{UserName: ptr("alice"), PolicyArn: ptr(local)})
	assertAPIError(t, err, "NoSuchEntity", 404, "The user with name alice cannot be found.")
	_, err = f.svc.DetachUserPolicy(ctx, &iamapi.DetachUserPolicyRequest{UserName: ptr("alice"), PolicyArn: ptr(missing)})
	assertAPIError(t, err, "NoSuchEntity", 404, "Policy "+missing+" was not found.")
	_, err = f.svc.ListAttachedRolePolicies(ctx, &iamapi.ListAttachedRolePoliciesRequest{RoleName: ptr("ghost")})
	assertAPIError(t, err, "NoSuchEntity", 404, "The role with name ghost cannot be found.")

	_, err = f.svc.DetachGroupPolicy(ctx, &iamapi.DetachGroupPolicyRequest{GroupName: ptr("ghost"), PolicyArn: ptr(local)})
	assertAPIError(t, err, "NoSuchEntity", 404, "The group with name ghost cannot be found.")
	_, err = f.svc.DetachUserPolicy(ctx, &iamapi.DetachUserPolicyRequest{UserName: ptr("alice"), PolicyArn: ptr("arn:aws:iam::123456789012:role/x")})
	assertAPIError(t, err, "InvalidInput", 400, "ARN arn:aws:iam::123456789012:role/x is not valid.")
	_, err = f.svc.ListAttachedUserPolicies(ctx, &iamapi.ListAttachedUserPoliciesRequest{UserName: ptr("ghost")})
	assertAPIError(t, err, "NoSuchEntity", 404, "The user with name ghost cannot be found.")
	_, err = f.svc.ListAttachedGroupPolicies(ctx, &iamapi.ListAttachedGroupPoliciesRequest{GroupName: ptr("ghost")})
	assertAPIError(t, err, "NoSuchEntity", 404, "The group with name ghost cannot be found.")
	_, err = f.svc.ListAttachedUserPolicies(ctx, &iamapi.ListAttachedUserPoliciesRequest{UserName: ptr("alice"), Marker: ptr("!!")})
	assertAPIError(t, err, "InvalidInput", 400, "Invalid Marker.")

	must(f.svc.DetachUserPolicy(ctx, &iamapi.DetachUserPolicyRequest{UserName: ptr("alice"), PolicyArn: ptr(local)}))(t)
	must(f.svc.DetachGroupPolicy(ctx, &iamapi.DetachGroupPolicyRequest{GroupName: ptr("devs"), PolicyArn: ptr(local)}))(t)
	must(f.svc.DetachRolePolicy(ctx, &iamapi.DetachRolePolicyRequest{RoleName: ptr("app"), PolicyArn: ptr(local)}))(t)
	_, err = f.svc.DetachRolePolicy(ctx, &iamapi.DetachRolePolicyRequest{RoleName: ptr("app"), PolicyArn: ptr(local)})
	assertAPIError(t, err, "NoSuchEntity", 404, "Policy "+local+" was not found.")
	p = must(f.svc.GetPolicy(ctx, &iamapi.GetPolicyRequest{PolicyArn: ptr(local)}))(t).Policy
	if *p.AttachmentCount != 0 {
		t.Errorf("AttachmentCount after detach = %d", *p.AttachmentCount)
	}
}

func TestAttachedPoliciesQuota(t *testing.T) {
	f := newFixture(t)
	ctx := f.root()
	createRole(t, f, ctx, "busy", "")
	for i := range maxAttachedPoliciesPerEntity {
		arn := str(createPolicy(t, f, ctx, fmt.Sprintf("p%02d", i), "").Arn)
		must(f.svc.AttachRolePolicy(ctx, &iamapi.AttachRolePolicyRequest{RoleName: ptr("busy"), PolicyArn: ptr(arn)}))(t)
	}
	extra := str(createPolicy(t, f, ctx, "extra", "").Arn)
	_, err := f.svc.AttachRolePolicy(ctx, &iamapi.AttachRolePolicyRequest{RoleName: ptr("busy"), PolicyArn: ptr(extra)})
	assertAPIError(t, err, "LimitExceeded", 409, "Cannot exceed quota for PoliciesPerRole: 10")
	// Re-attaching one already attached at the quota is still fine.
	must(f.svc.AttachRolePolicy(ctx, &iamapi.AttachRolePolicyRequest{RoleName: ptr("busy"), PolicyArn: ptr("arn:aws:iam::" + testAccount + ":policy/p03")}))(t)
	createUser(t, f, ctx, "u", "")
	for i := range maxAttachedPoliciesPerEntity {
		must(f.svc.AttachUserPolicy(ctx, &iamapi.AttachUserPolicyRequest{UserName: ptr("u"), PolicyArn: ptr(fmt.Sprintf("arn:aws:iam::%s:policy/p%02d", testAccount, i))}))(t)
	}
	_, err = f.svc.AttachUserPolicy(ctx, &iamapi.AttachUserPolicyRequest{UserName: ptr("u"), PolicyArn: ptr(extra)})
	assertAPIError(t, err, "LimitExceeded", 409, "Cannot exceed quota for PoliciesPerUser: 10")
}

func TestInlinePolicies(t *testing.T) {
	f := newFixture(t)
	ctx := f.root()
	createUser(t, f, ctx, "alice", "")
	must(f.svc.CreateGroup(ctx, &iamapi.CreateGroupRequest{GroupName: ptr("devs")}))(t)
	createRole(t, f, ctx, "app", "")

	pretty := "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": {\"Effect\": \"Allow\", \"Action\": \"s3:*\", \"Resource\": \"*\"}\n}"
	must(f.svc.PutUserPolicy(ctx, &iamapi.PutUserPolicyRequest{UserName: ptr("alice"), PolicyName: ptr("s3"), PolicyDocument: ptr(pretty)}))(t)
	got := must(f.svc.GetUserPolicy(ctx, &iamapi.GetUserPolicyRequest{UserName: ptr("ALICE"), PolicyName: ptr("s3")}))(t)
	if str(got.UserName) != "alice" || str(got.PolicyName) != "s3" || decoded(t, got.PolicyDocument) != pretty || !strings.HasPrefix(str(got.PolicyDocument), "%7B%0A%20%20%22Version%22") {
		t.Fatalf("GetUserPolicy = %+v", got)
	}
	// Put replaces.
	must(f.svc.PutUserPolicy(ctx, &iamapi.PutUserPolicyRequest{UserName: ptr("alice"), PolicyName: ptr("s3"), PolicyDocument: ptr(testPolicyDoc)}))(t)
	got = must(f.svc.GetUserPolicy(ctx, &iamapi.GetUserPolicyRequest{UserName: ptr("alice"), PolicyName: ptr("s3")}))(t)
	if decoded(t, got.PolicyDocument) != testPolicyDoc {
		t.Errorf("after replace: %s", decoded(t, got.PolicyDocument))
	}
	for _, n := range []string{"b", "a", "c"} {
		must(f.svc.PutRolePolicy(ctx, &iamapi.PutRolePolicyRequest{RoleName: ptr("app"), PolicyName: ptr(n), PolicyDocument: ptr(testPolicyDoc)}))(t)
	}
	must(f.svc.PutGroupPolicy(ctx, &iamapi.PutGroupPolicyRequest{GroupName: ptr("devs"), PolicyName: ptr("g"), PolicyDocument: ptr(testPolicyDoc)}))(t)
	page := must(f.svc.ListRolePolicies(ctx, &iamapi.ListRolePoliciesRequest{RoleName: ptr("app"), MaxItems: ptr(int32(2))}))(t)
	if strings.Join(page.PolicyNames, ",") != "a,b" || !*page.IsTruncated {
		t.Fatalf("ListRolePolicies page 1 = %+v", page)
	}
	page = must(f.svc.ListRolePolicies(ctx, &iamapi.ListRolePoliciesRequest{RoleName: ptr("app"), Marker: page.Marker}))(t)
	if strings.Join(page.PolicyNames, ",") != "c" || *page.IsTruncated {
		t.Fatalf("ListRolePolicies page 2 = %+v", page)
	}
	gl := must(f.svc.ListGroupPolicies(ctx, &iamapi.ListGroupPoliciesRequest{GroupName: ptr("devs")}))(t)
	ul := must(f.svc.ListUserPolicies(ctx, &iamapi.ListUserPoliciesRequest{UserName: ptr("alice")}))(t)
	if len(gl.PolicyNames) != 1 || len(ul.PolicyNames) != 1 {
		t.Errorf("group %v user %v", gl.PolicyNames, ul.PolicyNames)
	}
	gg := must(f.svc.GetGroupPolicy(ctx, &iamapi.GetGroupPolicyRequest{GroupName: ptr("devs"), PolicyName: ptr("G")}))(t)
	rr := must(f.svc.GetRolePolicy(ctx, &iamapi.GetRolePolicyRequest{RoleName: ptr("app"), PolicyName: ptr("a")}))(t)
	if str(gg.GroupName) != "devs" || str(rr.RoleName) != "app" || decoded(t, rr.PolicyDocument) != testPolicyDoc {
		t.Errorf("GetGroupPolicy %+v GetRolePolicy %+v", gg, rr)
	}

	// Errors.
	_, err := f.svc.GetUserPolicy(ctx, &iamapi.GetUserPolicyRequest{UserName: ptr("alice"), PolicyName: ptr("nope")})
	assertAPIError(t, err, "NoSuchEntity", 404, "The user policy with name nope cannot be found.")
	_, err = f.svc.GetRolePolicy(ctx, &iamapi.GetRolePolicyRequest{RoleName: ptr("app"), PolicyName: ptr("nope")})
	assertAPIError(t, err, "NoSuchEntity", 404, "The role policy with name nope cannot be found.")
	_, err = f.svc.DeleteGroupPolicy(ctx, &iamapi.DeleteGroupPolicyRequest{GroupName: ptr("devs"), PolicyName: ptr("nope")})
	assertAPIError(t, err, "NoSuchEntity", 404, "The group policy with name nope cannot be found.")
	_, err = f.svc.PutUserPolicy(ctx, &iamapi.PutUserPolicyRequest{UserName: ptr("ghost"), PolicyName: ptr("p"), PolicyDocument: ptr(testPolicyDoc)})
	assertAPIError(t, err, "NoSuchEntity", 404, "The user with name ghost cannot be found.")
	_, err = f.svc.ListGroupPolicies(ctx, &iamapi.ListGroupPoliciesRequest{GroupName: ptr("ghost")})
	assertAPIError(t, err, "NoSuchEntity", 404, "The group with name ghost cannot be found.")
	_, err = f.svc.PutRolePolicy(ctx, &iamapi.PutRolePolicyRequest{RoleName: ptr("app"), PolicyName: ptr("p"), PolicyDocument: ptr(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*"}]}`)})
	assertAPIError(t, err, "MalformedPolicyDocument", 400, "Policy statement must contain resources.")

	_, err = f.svc.ListUserPolicies(ctx, &iamapi.ListUserPoliciesRequest{UserName: ptr("ghost")})
	assertAPIError(t, err, "NoSuchEntity", 404, "The user with name ghost cannot be found.")
	_, err = f.svc.ListRolePolicies(ctx, &iamapi.ListRolePoliciesRequest{RoleName: ptr("ghost")})
	assertAPIError(t, err, "NoSuchEntity", 404, "The role with name ghost cannot be found.")
	_, err = f.svc.DeleteUserPolicy(ctx, &iamapi.DeleteUserPolicyRequest{UserName: ptr("ghost"), PolicyName: ptr("s3")})
	assertAPIError(t, err, "NoSuchEntity", 404, "The user with name ghost cannot be found.")
	_, err = f.svc.GetGroupPolicy(ctx, &iamapi.GetGroupPolicyRequest{GroupName: ptr("ghost"), PolicyName: ptr("g")})
	assertAPIError(t, err, "NoSuchEntity", 404, "The group with name ghost cannot be found.")
	must(f.svc.DeleteGroupPolicy(ctx, &iamapi.DeleteGroupPolicyRequest{GroupName: ptr("devs"), PolicyName: ptr("g")}))(t)
	must(f.svc.DeleteRolePolicy(ctx, &iamapi.DeleteRolePolicyRequest{RoleName: ptr("app"), PolicyName: ptr("b")}))(t)
	_, err = f.svc.DeleteRolePolicy(ctx, &iamapi.DeleteRolePolicyRequest{RoleName: ptr("app"), PolicyName: ptr("b")})
	assertAPIError(t, err, "NoSuchEntity", 404, "The role policy with name b cannot be found.")
	must(f.svc.DeleteUserPolicy(ctx, &iamapi.DeleteUserPolicyRequest{UserName: ptr("alice"), PolicyName: ptr("S3")}))(t)
	ul = must(f.svc.ListUserPolicies(ctx, &iamapi.ListUserPoliciesRequest{UserName: ptr("alice")}))(t)
	if ul.PolicyNames == nil || len(ul.PolicyNames) != 0 {
		t.Errorf("names after delete = %#v", ul.PolicyNames)
	}
}

// inlineDocOfSize returns a valid identity policy of exactly n counted characters.
func inlineDocOfSize(t *testing.T, n int) string {
	t.Helper()
	head := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::`
	tail := `"}]}`
	pad := n - len(head) - len(tail)
	if pad < 1 {
		t.Fatalf("size %d too small", n)
	}
	doc := head + strings.Repeat("b", pad) + tail
	if policySize(doc) != n {
		t.Fatalf("built %d, want %d", policySize(doc), n)
	}
	return doc
}

func TestInlinePolicySizeQuotas(t *testing.T) {
	f := newFixture(t)
	ctx := f.root()
	createUser(t, f, ctx, "u", "")
	must(f.svc.CreateGroup(ctx, &iamapi.CreateGroupRequest{GroupName: ptr("g")}))(t)
	createRole(t, f, ctx, "r", "")

	// The quota is per entity, over all its inline policies; whitespace does not count.
	must(f.svc.PutUserPolicy(ctx, &iamapi.PutUserPolicyRequest{UserName: ptr("u"), PolicyName: ptr("one"), PolicyDocument: ptr(inlineDocOfSize(t, 1000))}))(t)
	spaced := strings.Replace(inlineDocOfSize(t, 1048), ",", ",    ", -1)
	must(f.svc.PutUserPolicy(ctx, &iamapi.PutUserPolicyRequest{UserName: ptr("u"), PolicyName: ptr("two"), PolicyDocument: ptr(spaced)}))(t)
	_, err := f.svc.PutUserPolicy(ctx, &iamapi.PutUserPolicyRequest{UserName: ptr("u"), PolicyName: ptr("three"), PolicyDocument: ptr(inlineDocOfSize(t, 200))})
	assertAPIError(t, err, "LimitExceeded", 409, "Maximum policy size of 2048 bytes exceeded for user u")
	// Replacing a policy counts its new size, not old plus new.
	must(f.svc.PutUserPolicy(ctx, &iamapi.PutUserPolicyRequest{UserName: ptr("u"), PolicyName: ptr("ONE"), PolicyDocument: ptr(inlineDocOfSize(t, 1000))}))(t)

	must(f.svc.PutGroupPolicy(ctx, &iamapi.PutGroupPolicyRequest{GroupName: ptr("g"), PolicyName: ptr("p"), PolicyDocument: ptr(inlineDocOfSize(t, 5120))}))(t)
	_, err = f.svc.PutGroupPolicy(ctx, &iamapi.PutGroupPolicyRequest{GroupName: ptr("g"), PolicyName: ptr("q"), PolicyDocument: ptr(inlineDocOfSize(t, 150))})
	assertAPIError(t, err, "LimitExceeded", 409, "Maximum policy size of 5120 bytes exceeded for group g")
	must(f.svc.PutRolePolicy(ctx, &iamapi.PutRolePolicyRequest{RoleName: ptr("r"), PolicyName: ptr("p"), PolicyDocument: ptr(inlineDocOfSize(t, 10240))}))(t)
	_, err = f.svc.PutRolePolicy(ctx, &iamapi.PutRolePolicyRequest{RoleName: ptr("r"), PolicyName: ptr("q"), PolicyDocument: ptr(inlineDocOfSize(t, 150))})
	assertAPIError(t, err, "LimitExceeded", 409, "Maximum policy size of 10240 bytes exceeded for role r")
}

func TestPoliciesForPrincipal(t *testing.T) {
	f := withCatalogue(t, newFixture(t))
	ctx := f.root()
	createUser(t, f, ctx, "alice", "")
	must(f.svc.CreateGroup(ctx, &iamapi.CreateGroupRequest{GroupName: ptr("devs")}))(t)
	must(f.svc.AddUserToGroup(ctx, &iamapi.AddUserToGroupRequest{GroupName: ptr("devs"), UserName: ptr("alice")}))(t)
	local := str(createPolicy(t, f, ctx, "Local", "").Arn)
	must(f.svc.CreatePolicyVersion(ctx, &iamapi.CreatePolicyVersionRequest{PolicyArn: ptr(local), PolicyDocument: ptr(testPolicyV2), SetAsDefault: ptr(true)}))(t)
	must(f.svc.PutUserPolicy(ctx, &iamapi.PutUserPolicyRequest{UserName: ptr("alice"), PolicyName: ptr("own"), PolicyDocument: ptr(testPolicyDoc)}))(t)
	must(f.svc.AttachUserPolicy(ctx, &iamapi.AttachUserPolicyRequest{UserName: ptr("alice"), PolicyArn: ptr(local)}))(t)
	must(f.svc.PutGroupPolicy(ctx, &iamapi.PutGroupPolicyRequest{GroupName: ptr("devs"), PolicyName: ptr("team"), PolicyDocument: ptr(testPolicyDoc)}))(t)
	must(f.svc.AttachGroupPolicy(ctx, &iamapi.AttachGroupPolicyRequest{GroupName: ptr("devs"), PolicyArn: ptr(readOnlyARN)}))(t)
	must(f.svc.PutUserPermissionsBoundary(ctx, &iamapi.PutUserPermissionsBoundaryRequest{UserName: ptr("alice"), PermissionsBoundary: ptr(local)}))(t)

	pp, err := f.svc.PoliciesForPrincipal(ctx, testAccount, "user", "Alice")
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, p := range pp.Identity {
		ids = append(ids, p.ID+"="+string(p.Source))
	}
	want := "user/alice/own=user," + local + "=user-managed,group/devs/team=group," + readOnlyARN + "=aws-managed"
	if strings.Join(ids, ",") != want {
		t.Errorf("identity policies:\n got %s\nwant %s", strings.Join(ids, ","), want)
	}
	if pp.Identity[1].Document != testPolicyV2 {
		t.Errorf("managed policy document is not the default version: %s", pp.Identity[1].Document)
	}
	if pp.Boundary == nil || pp.Boundary.ARN != local || pp.Name != "alice" || !strings.HasPrefix(pp.ID, "AIDA") {
		t.Errorf("boundary/principal = %+v", pp)
	}
	set, err := pp.Set()
	if err != nil || len(set.Identity) != 4 || set.Boundary == nil {
		t.Fatalf("Set = %+v, %v", set, err)
	}

	createRole(t, f, ctx, "app", "")
	must(f.svc.AttachRolePolicy(ctx, &iamapi.AttachRolePolicyRequest{RoleName: ptr("app"), PolicyArn: ptr(readOnlyARN)}))(t)
	rp, err := f.svc.PoliciesForPrincipal(ctx, testAccount, "role", "app")
	if err != nil || len(rp.Identity) != 1 || rp.Boundary != nil || rp.Identity[0].ARN != readOnlyARN {
		t.Errorf("role policies = %+v, %v", rp, err)
	}
	if _, err := f.svc.PoliciesForPrincipal(ctx, testAccount, "role", "ghost"); err == nil || !strings.Contains(err.Error(), "not found") {
		t.Errorf("missing role: %v", err)
	}
	if _, err := f.svc.PoliciesForPrincipal(ctx, testAccount, "group", "devs"); err == nil {
		t.Error("a group was accepted as a principal")
	}

	// ManagedPolicyDocument serves session policies passed by ARN: default versions, AWS managed ones too.
	md, err := f.svc.ManagedPolicyDocument(ctx, testAccount, local)
	if err != nil || md.Document != testPolicyV2 || md.Source != policy.SourceUserManaged {
		t.Errorf("ManagedPolicyDocument(local) = %+v, %v", md, err)
	}
	md, err = f.svc.ManagedPolicyDocument(ctx, testAccount, readOnlyARN)
	if err != nil || !strings.Contains(md.Document, "a4b:Get*") || md.Source != policy.SourceAWSManaged {
		t.Errorf("ManagedPolicyDocument(ReadOnlyAccess) = %.80v, %v", md, err)
	}
	for _, missing := range []string{"arn:aws:iam::" + testAccount + ":policy/none", "arn:aws:iam::" + otherTestAccount + ":policy/Local", "arn:aws:iam::aws:policy/None", "junk"} {
		if _, err := f.svc.ManagedPolicyDocument(ctx, testAccount, missing); !errors.Is(err, storage.ErrNotFound) {
			t.Errorf("ManagedPolicyDocument(%s) = %v, want ErrNotFound", missing, err)
		}
	}

	// A boundary whose policy left the catalogue allows nothing; the principal is still found.
	gone := "arn:aws:iam::aws:policy/RetiredPolicy"
	err = f.store.Update(context.Background(), func(tx storage.Tx) error {
		r, err := tx.GetRole(context.Background(), testAccount, "app")
		if err != nil {
			return err
		}
		r.PermissionsBoundaryARN = gone
		return tx.UpdateRole(context.Background(), "app", r)
	})
	if err != nil {
		t.Fatal(err)
	}
	rp, err = f.svc.PoliciesForPrincipal(ctx, testAccount, "role", "app")
	if err != nil || rp.Boundary == nil || rp.Boundary.ARN != gone {
		t.Fatalf("role with a retired boundary = %+v, %v", rp, err)
	}
	set, err = rp.Set()
	if err != nil || set.Boundary == nil {
		t.Fatalf("Set with a retired boundary = %+v, %v", set, err)
	}
	d := policy.Evaluate(&policy.Request{Action: "s3:GetObject", Resource: "arn:aws:s3:::b/k", Principal: policy.Principal{
		ARN: "arn:aws:sts::" + testAccount + ":assumed-role/app/s", AccountID: testAccount, RoleARN: "arn:aws:iam::" + testAccount + ":role/app"}}, set)
	if d.Result != policy.ImplicitDeny {
		t.Errorf("retired boundary decision = %v, want implicitDeny", d.Result)
	}
	set.Boundary = nil // the same request without the boundary is allowed by ReadOnlyAccess
	if d := policy.Evaluate(&policy.Request{Action: "s3:GetObject", Resource: "arn:aws:s3:::b/k", Principal: policy.Principal{
		ARN: "arn:aws:sts::" + testAccount + ":assumed-role/app/s", AccountID: testAccount}}, set); d.Result != policy.Allowed {
		t.Errorf("decision without boundary = %v, want allowed", d.Result)
	}
}

// TestAttachQuotaConcurrent checks that the attachment quota holds when attachments race: the count and the
// insert are one transaction.
func TestAttachQuotaConcurrent(t *testing.T) {
	f := newFixture(t)
	ctx := f.root()
	createRole(t, f, ctx, "racer", "")
	const n = 14
	arns := make([]string, n)
	for i := range arns {
		arns[i] = str(createPolicy(t, f, ctx, fmt.Sprintf("race%02d", i), "").Arn)
	}
	errs := make(chan error, n)
	for _, arn := range arns {
		go func() {
			_, err := f.svc.AttachRolePolicy(ctx, &iamapi.AttachRolePolicyRequest{RoleName: ptr("racer"), PolicyArn: ptr(arn)})
			errs <- err
		}()
	}
	ok, limited := 0, 0
	for range n {
		err := <-errs
		if err == nil {
			ok++
			continue
		}
		assertAPIError(t, err, "LimitExceeded", 409, "Cannot exceed quota for PoliciesPerRole: 10")
		limited++
	}
	att := must(f.svc.ListAttachedRolePolicies(ctx, &iamapi.ListAttachedRolePoliciesRequest{RoleName: ptr("racer")}))(t).AttachedPolicies
	if ok != maxAttachedPoliciesPerEntity || limited != n-maxAttachedPoliciesPerEntity || len(att) != maxAttachedPoliciesPerEntity {
		t.Fatalf("%d attached, %d refused, %d stored", ok, limited, len(att))
	}
}
