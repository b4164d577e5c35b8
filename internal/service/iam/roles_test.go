package iam

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/iamd/iamd/internal/api/iamapi"
	"github.com/iamd/iamd/internal/storage"
)

const testTrustDoc = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`

func createRole(t *testing.T, f *fixture, ctx context.Context, name, path string) *iamapi.Role {
	t.Helper()
	return must(f.svc.CreateRole(ctx, &iamapi.CreateRoleRequest{RoleName: ptr(name), Path: optional(path), AssumeRolePolicyDocument: ptr(testTrustDoc)}))(t).Role
}

func TestCreateGetRole(t *testing.T) {
	f := withCatalogue(t, newFixture(t))
	ctx := f.root()
	r := must(f.svc.CreateRole(ctx, &iamapi.CreateRoleRequest{
		RoleName: ptr("App"), Path: ptr("/svc/"), AssumeRolePolicyDocument: ptr(testTrustDoc), Description: ptr("the app"),
		MaxSessionDuration: ptr(int32(7200)), PermissionsBoundary: ptr(readOnlyARN),
		Tags: []iamapi.Tag{{Key: ptr("team"), Value: ptr("a")}},
	}))(t).Role
	if str(r.Arn) != "arn:aws:iam::"+testAccount+":role/svc/App" || !strings.HasPrefix(str(r.RoleId), "AROA") ||
		decoded(t, r.AssumeRolePolicyDocument) != testTrustDoc || *r.MaxSessionDuration != 7200 || str(r.Description) != "the app" ||
		str(r.PermissionsBoundary.PermissionsBoundaryArn) != readOnlyARN || len(r.Tags) != 1 || !r.CreateDate.Equal(f.now) {
		t.Fatalf("CreateRole = %+v", r)
	}
	if strings.Contains(str(r.AssumeRolePolicyDocument), "{") {
		t.Error("trust policy not URL-encoded")
	}
	_, err := f.svc.CreateRole(ctx, &iamapi.CreateRoleRequest{RoleName: ptr("app"), AssumeRolePolicyDocument: ptr(testTrustDoc)})
	assertAPIError(t, err, "EntityAlreadyExists", 409, "Role with name app already exists.")

	got := must(f.svc.GetRole(ctx, &iamapi.GetRoleRequest{RoleName: ptr("APP")}))(t).Role
	if str(got.RoleName) != "App" || got.RoleLastUsed == nil || got.RoleLastUsed.LastUsedDate != nil || len(got.Tags) != 1 || got.PermissionsBoundary == nil {
		t.Errorf("GetRole = %+v", got)
	}
	_, err = f.svc.GetRole(ctx, &iamapi.GetRoleRequest{RoleName: ptr("ghost")})
	assertAPIError(t, err, "NoSuchEntity", 404, "The role with name ghost cannot be found.")
	_, err = f.svc.GetRole(rootOf(otherTestAccount), &iamapi.GetRoleRequest{RoleName: ptr("App")})
	assertAPIError(t, err, "NoSuchEntity", 404, "The role with name App cannot be found.")

	def := createRole(t, f, ctx, "Default", "")
	if *def.MaxSessionDuration != 3600 || str(def.Path) != "/" || def.Description != nil {
		t.Errorf("defaults = %+v", def)
	}
	if c, err := countsOf(f); err != nil || c.Roles != 2 {
		t.Errorf("Roles count = %+v %v", c, err)
	}
}

func TestCreateRoleValidation(t *testing.T) {
	f := newFixture(t)
	ctx := f.root()
	cases := []struct {
		doc, code, msg string
		status         int
	}{
		{`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole"}]}`, "MalformedPolicyDocument", "Invalid principal in policy: com.amazon.balsa.error.InvalidPolicyException: The passed in policy has a statement with no principals!", 400},
		{`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole","Resource":"*"}]}`, "MalformedPolicyDocument", "Has prohibited field Resource", 400},
		{`not json`, "MalformedPolicyDocument", "This policy contains invalid Json", 400},
		{`"not an object"`, "MalformedPolicyDocument", "Syntax errors in policy.", 400},
		{`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["` + strings.Repeat("arn:aws:iam::123456789012:root\",\"", 70) + `*"]},"Action":"sts:AssumeRole"}]}`,
			"LimitExceeded", "Cannot exceed quota for ACLSizePerRole: 2048", 409},
	}
	for _, c := range cases {
		_, err := f.svc.CreateRole(ctx, &iamapi.CreateRoleRequest{RoleName: ptr("r"), AssumeRolePolicyDocument: ptr(c.doc)})
		assertAPIError(t, err, c.code, c.status, c.msg)
	}
	_, err := f.svc.CreateRole(ctx, &iamapi.CreateRoleRequest{RoleName: ptr("r"), AssumeRolePolicyDocument: ptr(testTrustDoc), MaxSessionDuration: ptr(int32(3599))})
	assertAPIError(t, err, "ValidationError", 400, "1 validation error detected: Value '3599' at 'maxSessionDuration' failed to satisfy constraint: Member must have value greater than or equal to 3600")
	_, err = f.svc.CreateRole(ctx, &iamapi.CreateRoleRequest{RoleName: ptr("r"), AssumeRolePolicyDocument: ptr(testTrustDoc), MaxSessionDuration: ptr(int32(43201))})
	assertAPIError(t, err, "ValidationError", 400, "1 validation error detected: Value '43201' at 'maxSessionDuration' failed to satisfy constraint: Member must have value less than or equal to 43200")
	_, err = f.svc.CreateRole(ctx, &iamapi.CreateRoleRequest{RoleName: ptr("r"), AssumeRolePolicyDocument: ptr(testTrustDoc), PermissionsBoundary: ptr("arn:aws:iam::" + testAccount + ":policy/none")})
	assertAPIError(t, err, "NoSuchEntity", 404, "Policy arn:aws:iam::"+testAccount+":policy/none does not exist or is not attachable.")
	_, err = f.svc.CreateRole(ctx, &iamapi.CreateRoleRequest{RoleName: ptr("r"), AssumeRolePolicyDocument: ptr(testTrustDoc),
		Tags: []iamapi.Tag{{Key: ptr("k"), Value: ptr("")}, {Key: ptr("K"), Value: ptr("")}}})
	assertAPIError(t, err, "InvalidInput", 400, "Duplicate tag keys found. Please note that Tag keys are case insensitive.")
	if c, err := countsOf(f); err != nil || c.Roles != 0 {
		t.Errorf("failed creations left roles: %+v %v", c, err)
	}
}

func TestUpdateRole(t *testing.T) {
	f := newFixture(t)
	ctx := f.root()
	createRole(t, f, ctx, "r", "")
	must(f.svc.UpdateRole(ctx, &iamapi.UpdateRoleRequest{RoleName: ptr("r"), Description: ptr("d1"), MaxSessionDuration: ptr(int32(43200))}))(t)
	got := must(f.svc.GetRole(ctx, &iamapi.GetRoleRequest{RoleName: ptr("r")}))(t).Role
	if str(got.Description) != "d1" || *got.MaxSessionDuration != 43200 {
		t.Errorf("after UpdateRole: %+v", got)
	}
	_, err := f.svc.UpdateRole(ctx, &iamapi.UpdateRoleRequest{RoleName: ptr("r"), MaxSessionDuration: ptr(int32(100))})
	assertAPIError(t, err, "ValidationError", 400, "1 validation error detected: Value '100' at 'maxSessionDuration' failed to satisfy constraint: Member must have value greater than or equal to 3600")
	_, err = f.svc.UpdateRole(ctx, &iamapi.UpdateRoleRequest{RoleName: ptr("ghost")})
	assertAPIError(t, err, "NoSuchEntity", 404, "The role with name ghost cannot be found.")

	desc := must(f.svc.UpdateRoleDescription(ctx, &iamapi.UpdateRoleDescriptionRequest{RoleName: ptr("r"), Description: ptr("d2")}))(t).Role
	if str(desc.Description) != "d2" || *desc.MaxSessionDuration != 43200 {
		t.Errorf("UpdateRoleDescription = %+v", desc)
	}

	newTrust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + testAccount + `:root"},"Action":"sts:AssumeRole"}]}`
	must(f.svc.UpdateAssumeRolePolicy(ctx, &iamapi.UpdateAssumeRolePolicyRequest{RoleName: ptr("r"), PolicyDocument: ptr(newTrust)}))(t)
	got = must(f.svc.GetRole(ctx, &iamapi.GetRoleRequest{RoleName: ptr("r")}))(t).Role
	if decoded(t, got.AssumeRolePolicyDocument) != newTrust {
		t.Errorf("trust policy = %s", decoded(t, got.AssumeRolePolicyDocument))
	}
	_, err = f.svc.UpdateAssumeRolePolicy(ctx, &iamapi.UpdateAssumeRolePolicyRequest{RoleName: ptr("r"), PolicyDocument: ptr(testPolicyDoc)})
	assertAPIError(t, err, "MalformedPolicyDocument", 400, "Invalid principal in policy: com.amazon.balsa.error.InvalidPolicyException: The passed in policy has a statement with no principals!")
	_, err = f.svc.UpdateAssumeRolePolicy(ctx, &iamapi.UpdateAssumeRolePolicyRequest{RoleName: ptr("ghost"), PolicyDocument: ptr(newTrust)})
	assertAPIError(t, err, "NoSuchEntity", 404, "The role with name ghost cannot be found.")
}

func TestRoleTagsAndBoundary(t *testing.T) {
	f := withCatalogue(t, newFixture(t))
	ctx := f.root()
	createRole(t, f, ctx, "r", "")
	must(f.svc.TagRole(ctx, &iamapi.TagRoleRequest{RoleName: ptr("r"), Tags: []iamapi.Tag{{Key: ptr("a"), Value: ptr("1")}, {Key: ptr("b"), Value: ptr("2")}, {Key: ptr("c"), Value: ptr("3")}}}))(t)
	must(f.svc.UntagRole(ctx, &iamapi.UntagRoleRequest{RoleName: ptr("r"), TagKeys: []string{"B"}}))(t)
	page := must(f.svc.ListRoleTags(ctx, &iamapi.ListRoleTagsRequest{RoleName: ptr("r"), MaxItems: ptr(int32(1))}))(t)
	if len(page.Tags) != 1 || str(page.Tags[0].Key) != "a" || !*page.IsTruncated {
		t.Fatalf("ListRoleTags page 1 = %+v", page)
	}
	page = must(f.svc.ListRoleTags(ctx, &iamapi.ListRoleTagsRequest{RoleName: ptr("r"), Marker: page.Marker}))(t)
	if len(page.Tags) != 1 || str(page.Tags[0].Key) != "c" || *page.IsTruncated {
		t.Fatalf("ListRoleTags page 2 = %+v", page)
	}
	_, err := f.svc.ListRoleTags(ctx, &iamapi.ListRoleTagsRequest{RoleName: ptr("ghost")})
	assertAPIError(t, err, "NoSuchEntity", 404, "The role with name ghost cannot be found.")
	_, err = f.svc.TagRole(ctx, &iamapi.TagRoleRequest{RoleName: ptr("ghost"), Tags: []iamapi.Tag{{Key: ptr("a"), Value: ptr("1")}}})
	assertAPIError(t, err, "NoSuchEntity", 404, "The role with name ghost cannot be found.")

	must(f.svc.PutRolePermissionsBoundary(ctx, &iamapi.PutRolePermissionsBoundaryRequest{RoleName: ptr("r"), PermissionsBoundary: ptr(readOnlyARN)}))(t)
	got := must(f.svc.GetRole(ctx, &iamapi.GetRoleRequest{RoleName: ptr("r")}))(t).Role
	if got.PermissionsBoundary == nil || str(got.PermissionsBoundary.PermissionsBoundaryType) != "PermissionsBoundaryPolicy" {
		t.Fatalf("boundary = %+v", got.PermissionsBoundary)
	}
	ro := must(f.svc.GetPolicy(ctx, &iamapi.GetPolicyRequest{PolicyArn: ptr(readOnlyARN)}))(t).Policy
	if *ro.PermissionsBoundaryUsageCount != 1 || *ro.AttachmentCount != 0 {
		t.Errorf("boundary usage of ReadOnlyAccess = %d/%d", *ro.PermissionsBoundaryUsageCount, *ro.AttachmentCount)
	}
	_, err = f.svc.PutRolePermissionsBoundary(ctx, &iamapi.PutRolePermissionsBoundaryRequest{RoleName: ptr("r"), PermissionsBoundary: ptr("arn:aws:iam::aws:policy/Nope")})
	assertAPIError(t, err, "NoSuchEntity", 404, "Policy arn:aws:iam::aws:policy/Nope does not exist or is not attachable.")
	must(f.svc.DeleteRolePermissionsBoundary(ctx, &iamapi.DeleteRolePermissionsBoundaryRequest{RoleName: ptr("r")}))(t)
	got = must(f.svc.GetRole(ctx, &iamapi.GetRoleRequest{RoleName: ptr("r")}))(t).Role
	if got.PermissionsBoundary != nil {
		t.Errorf("boundary after delete = %+v", got.PermissionsBoundary)
	}
}

func TestListRoles(t *testing.T) {
	f := newFixture(t)
	ctx := f.root()
	for _, r := range []struct{ name, path string }{{"b", "/x/"}, {"A", "/"}, {"c", "/x/y/"}} {
		createRole(t, f, ctx, r.name, r.path)
	}
	must(f.svc.TagRole(ctx, &iamapi.TagRoleRequest{RoleName: ptr("A"), Tags: []iamapi.Tag{{Key: ptr("k"), Value: ptr("v")}}}))(t)
	page := must(f.svc.ListRoles(ctx, &iamapi.ListRolesRequest{MaxItems: ptr(int32(2))}))(t)
	if len(page.Roles) != 2 || str(page.Roles[0].RoleName) != "A" || str(page.Roles[1].RoleName) != "b" || !*page.IsTruncated {
		t.Fatalf("ListRoles page 1 = %+v", page)
	}
	if page.Roles[0].Tags != nil || page.Roles[0].RoleLastUsed != nil || page.Roles[0].AssumeRolePolicyDocument == nil {
		t.Errorf("ListRoles members = %+v", page.Roles[0])
	}
	page = must(f.svc.ListRoles(ctx, &iamapi.ListRolesRequest{Marker: page.Marker}))(t)
	if len(page.Roles) != 1 || str(page.Roles[0].RoleName) != "c" || *page.IsTruncated {
		t.Fatalf("ListRoles page 2 = %+v", page)
	}
	x := must(f.svc.ListRoles(ctx, &iamapi.ListRolesRequest{PathPrefix: ptr("/x/")}))(t)
	if len(x.Roles) != 2 {
		t.Errorf("PathPrefix /x/ = %d roles", len(x.Roles))
	}
}

func TestDeleteRoleConflicts(t *testing.T) {
	f := withCatalogue(t, newFixture(t))
	ctx := f.root()
	createRole(t, f, ctx, "r", "")
	must(f.svc.CreateInstanceProfile(ctx, &iamapi.CreateInstanceProfileRequest{InstanceProfileName: ptr("ip")}))(t)
	must(f.svc.AddRoleToInstanceProfile(ctx, &iamapi.AddRoleToInstanceProfileRequest{InstanceProfileName: ptr("ip"), RoleName: ptr("r")}))(t)
	must(f.svc.PutRolePolicy(ctx, &iamapi.PutRolePolicyRequest{RoleName: ptr("r"), PolicyName: ptr("p"), PolicyDocument: ptr(testPolicyDoc)}))(t)
	must(f.svc.AttachRolePolicy(ctx, &iamapi.AttachRolePolicyRequest{RoleName: ptr("r"), PolicyArn: ptr(readOnlyARN)}))(t)
	steps := []struct {
		msg   string
		clear func()
	}{
		{"Cannot delete entity, must remove roles from instance profile first.", func() {
			must(f.svc.RemoveRoleFromInstanceProfile(ctx, &iamapi.RemoveRoleFromInstanceProfileRequest{InstanceProfileName: ptr("ip"), RoleName: ptr("r")}))(t)
		}},
		{"Cannot delete entity, must delete policies first.", func() {
			must(f.svc.DeleteRolePolicy(ctx, &iamapi.DeleteRolePolicyRequest{RoleName: ptr("r"), PolicyName: ptr("p")}))(t)
		}},
		{"Cannot delete entity, must detach all policies first.", func() {
			must(f.svc.DetachRolePolicy(ctx, &iamapi.DetachRolePolicyRequest{RoleName: ptr("r"), PolicyArn: ptr(readOnlyARN)}))(t)
		}},
	}
	for _, s := range steps {
		_, err := f.svc.DeleteRole(ctx, &iamapi.DeleteRoleRequest{RoleName: ptr("r")})
		assertAPIError(t, err, "DeleteConflict", 409, s.msg)
		s.clear()
	}
	must(f.svc.DeleteRole(ctx, &iamapi.DeleteRoleRequest{RoleName: ptr("r")}))(t)
	_, err := f.svc.DeleteRole(ctx, &iamapi.DeleteRoleRequest{RoleName: ptr("r")})
	assertAPIError(t, err, "NoSuchEntity", 404, "The role with name r cannot be found.")
	if c, err := countsOf(f); err != nil || c.Roles != 0 {
		t.Errorf("counts after delete: %+v %v", c, err)
	}
}

func TestServiceLinkedRoles(t *testing.T) {
	f := withCatalogue(t, newFixture(t))
	ctx := f.root()
	r := must(f.svc.CreateServiceLinkedRole(ctx, &iamapi.CreateServiceLinkedRoleRequest{AWSServiceName: ptr("autoscaling.amazonaws.com"), Description: ptr("asg")}))(t).Role
	if str(r.RoleName) != "AWSServiceRoleForAutoScaling" || str(r.Path) != "/aws-service-role/autoscaling.amazonaws.com/" ||
		str(r.Arn) != "arn:aws:iam::"+testAccount+":role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling" ||
		!strings.Contains(decoded(t, r.AssumeRolePolicyDocument), `"Service":["autoscaling.amazonaws.com"]`) {
		t.Fatalf("CreateServiceLinkedRole = %+v", r)
	}
	att := must(f.svc.ListAttachedRolePolicies(ctx, &iamapi.ListAttachedRolePoliciesRequest{RoleName: r.RoleName}))(t).AttachedPolicies
	if len(att) != 1 || str(att[0].PolicyArn) != "arn:aws:iam::aws:policy/aws-service-role/AutoScalingServiceRolePolicy" {
		t.Errorf("attached = %+v", att)
	}
	_, err := f.svc.CreateServiceLinkedRole(ctx, &iamapi.CreateServiceLinkedRoleRequest{AWSServiceName: ptr("autoscaling.amazonaws.com")})
	assertAPIError(t, err, "InvalidInput", 400, "Service role name AWSServiceRoleForAutoScaling has been taken in this account, please try a different suffix.")
	sfx := must(f.svc.CreateServiceLinkedRole(ctx, &iamapi.CreateServiceLinkedRoleRequest{AWSServiceName: ptr("autoscaling.amazonaws.com"), CustomSuffix: ptr("blue")}))(t).Role
	if str(sfx.RoleName) != "AWSServiceRoleForAutoScaling_blue" {
		t.Errorf("suffixed name = %s", str(sfx.RoleName))
	}
	_, err = f.svc.CreateServiceLinkedRole(ctx, &iamapi.CreateServiceLinkedRoleRequest{AWSServiceName: ptr("ecs.amazonaws.com"), CustomSuffix: ptr("x")})
	assertAPIError(t, err, "InvalidInput", 400, "Custom suffix is not allowed for ecs.amazonaws.com")
	_, err = f.svc.CreateServiceLinkedRole(ctx, &iamapi.CreateServiceLinkedRoleRequest{AWSServiceName: ptr("example.com")})
	assertAPIError(t, err, "InvalidInput", 400, "Invalid service name: example.com")
	derived := must(f.svc.CreateServiceLinkedRole(ctx, &iamapi.CreateServiceLinkedRoleRequest{AWSServiceName: ptr("new-thing.amazonaws.com")}))(t).Role
	if str(derived.RoleName) != "AWSServiceRoleForNewThing" {
		t.Errorf("derived name = %s", str(derived.RoleName))
	}

	// Only AWS may change a service-linked role.
	name := "AWSServiceRoleForAutoScaling"
	protected := "Cannot perform the operation on the protected role '" + name + "' - this role is only modifiable by AWS"
	_, err = f.svc.DeleteRole(ctx, &iamapi.DeleteRoleRequest{RoleName: ptr(name)})
	assertAPIError(t, err, "UnmodifiableEntity", 400, protected)
	_, err = f.svc.UpdateAssumeRolePolicy(ctx, &iamapi.UpdateAssumeRolePolicyRequest{RoleName: ptr(name), PolicyDocument: ptr(testTrustDoc)})
	assertAPIError(t, err, "UnmodifiableEntity", 400, protected)
	_, err = f.svc.PutRolePolicy(ctx, &iamapi.PutRolePolicyRequest{RoleName: ptr(name), PolicyName: ptr("p"), PolicyDocument: ptr(testPolicyDoc)})
	assertAPIError(t, err, "UnmodifiableEntity", 400, protected)
	_, err = f.svc.DetachRolePolicy(ctx, &iamapi.DetachRolePolicyRequest{RoleName: ptr(name), PolicyArn: att[0].PolicyArn})
	assertAPIError(t, err, "UnmodifiableEntity", 400, protected)
	must(f.svc.UpdateRoleDescription(ctx, &iamapi.UpdateRoleDescriptionRequest{RoleName: ptr(name), Description: ptr("mine")}))(t)
	// A customer role cannot take a service role policy.
	createRole(t, f, ctx, "custom", "")
	_, err = f.svc.AttachRolePolicy(ctx, &iamapi.AttachRolePolicyRequest{RoleName: ptr("custom"), PolicyArn: att[0].PolicyArn})
	assertAPIError(t, err, "PolicyNotAttachable", 400, "Cannot attach a Service Role Policy to a Customer Role.")
	_, err = f.svc.CreateRole(ctx, &iamapi.CreateRoleRequest{RoleName: ptr("sneaky"), Path: ptr("/aws-service-role/x.amazonaws.com/"), AssumeRolePolicyDocument: ptr(testTrustDoc)})
	assertAPIError(t, err, "InvalidInput", 400, "Path /aws-service-role/x.amazonaws.com/ is reserved for service-linked roles.")

	_, err = f.svc.DeleteServiceLinkedRole(ctx, &iamapi.DeleteServiceLinkedRoleRequest{RoleName: ptr("custom")})
	assertAPIError(t, err, "InvalidInput", 400, "Role custom is not a service-linked role.")
	_, err = f.svc.DeleteServiceLinkedRole(ctx, &iamapi.DeleteServiceLinkedRoleRequest{RoleName: ptr("ghost")})
	assertAPIError(t, err, "NoSuchEntity", 404, "The role with name ghost cannot be found.")
	task := str(must(f.svc.DeleteServiceLinkedRole(ctx, &iamapi.DeleteServiceLinkedRoleRequest{RoleName: ptr(name)}))(t).DeletionTaskId)
	if !strings.HasPrefix(task, "task/aws-service-role/autoscaling.amazonaws.com/"+name+"/") {
		t.Errorf("task id = %s", task)
	}
	st := must(f.svc.GetServiceLinkedRoleDeletionStatus(ctx, &iamapi.GetServiceLinkedRoleDeletionStatusRequest{DeletionTaskId: ptr(task)}))(t)
	if str(st.Status) != "SUCCEEDED" {
		t.Errorf("status = %s", str(st.Status))
	}
	_, err = f.svc.GetRole(ctx, &iamapi.GetRoleRequest{RoleName: ptr(name)})
	assertAPIError(t, err, "NoSuchEntity", 404, "The role with name "+name+" cannot be found.")
	_, err = f.svc.GetServiceLinkedRoleDeletionStatus(ctx, &iamapi.GetServiceLinkedRoleDeletionStatusRequest{DeletionTaskId: ptr("task/bogus")})
	assertAPIError(t, err, "InvalidInput", 400, "Invalid deletion task id: task/bogus")
	// The managed policy is no longer attached anywhere.
	ents := must(f.svc.ListEntitiesForPolicy(ctx, &iamapi.ListEntitiesForPolicyRequest{PolicyArn: att[0].PolicyArn}))(t)
	if len(ents.PolicyRoles) != 1 || str(ents.PolicyRoles[0].RoleName) != "AWSServiceRoleForAutoScaling_blue" {
		t.Errorf("entities after delete = %+v", ents.PolicyRoles)
	}
}

func TestRecordRoleUse(t *testing.T) {
	f := newFixture(t)
	ctx := f.root()
	createRole(t, f, ctx, "used", "")
	at := f.now.Add(90 * time.Minute)
	if err := f.svc.RecordRoleUse(context.Background(), testAccount, "USED", "eu-west-1", at); err != nil {
		t.Fatal(err)
	}
	lu := must(f.svc.GetRole(ctx, &iamapi.GetRoleRequest{RoleName: ptr("used")}))(t).Role.RoleLastUsed
	if lu == nil || lu.LastUsedDate == nil || !lu.LastUsedDate.Equal(at) || str(lu.Region) != "eu-west-1" {
		t.Fatalf("RoleLastUsed = %+v", lu)
	}
	// A use in another region is written even within the throttle interval.
	if err := f.svc.RecordRoleUse(context.Background(), testAccount, "used", "us-east-2", at.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	lu = must(f.svc.GetRole(ctx, &iamapi.GetRoleRequest{RoleName: ptr("used")}))(t).Role.RoleLastUsed
	if str(lu.Region) != "us-east-2" {
		t.Errorf("region after second use = %s", str(lu.Region))
	}
	if err := f.svc.RecordRoleUse(context.Background(), testAccount, "deleted-meanwhile", "us-east-1", at); err != nil {
		t.Errorf("use of a missing role: %v", err)
	}
	details := must(f.svc.GetAccountAuthorizationDetails(ctx, &iamapi.GetAccountAuthorizationDetailsRequest{Filter: []string{"Role"}}))(t)
	if len(details.RoleDetailList) != 1 || str(details.RoleDetailList[0].RoleLastUsed.Region) != "us-east-2" {
		t.Errorf("RoleLastUsed in authorization details = %+v", details.RoleDetailList)
	}
	var stored *storage.Role
	f.store.View(context.Background(), func(tx storage.Tx) error {
		var err error
		stored, err = tx.GetRole(context.Background(), testAccount, "used")
		return err
	})
	if stored == nil || stored.LastUsedAt.Nanosecond() != 0 {
		t.Errorf("stored last use = %+v", stored)
	}
}

func TestTrustPolicyPrincipalsMustExist(t *testing.T) {
	f := newFixture(t)
	ctx := f.root()
	createUser(t, f, ctx, "alice", "/staff/")
	trust := func(principal string) *string {
		return ptr(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["` + principal + `"]},"Action":"sts:AssumeRole"}]}`)
	}
	for _, p := range []string{
		"arn:aws:iam::" + testAccount + ":user/staff/alice",
		"arn:aws:iam::" + testAccount + ":root",
		testAccount,
		"arn:aws:iam::999999999999:role/somewhere-else", // an account this server does not hold
		"arn:aws:sts::" + testAccount + ":assumed-role/r/s",
	} {
		if _, err := f.svc.CreateRole(ctx, &iamapi.CreateRoleRequest{RoleName: ptr("ok"), AssumeRolePolicyDocument: trust(p)}); err != nil {
			t.Fatalf("principal %s refused: %v", p, err)
		}
		must(f.svc.DeleteRole(ctx, &iamapi.DeleteRoleRequest{RoleName: ptr("ok")}))(t)
	}
	for _, p := range []string{
		"arn:aws:iam::" + testAccount + ":user/ghost",
		"arn:aws:iam::" + testAccount + ":user/alice", // wrong path
		"arn:aws:iam::" + otherTestAccount + ":role/missing",
	} {
		_, err := f.svc.CreateRole(ctx, &iamapi.CreateRoleRequest{RoleName: ptr("bad"), AssumeRolePolicyDocument: trust(p)})
		assertAPIError(t, err, "MalformedPolicyDocument", 400, `Invalid principal in policy: "AWS":"`+p+`"`)
	}
	createRole(t, f, ctx, "target", "")
	_, err := f.svc.UpdateAssumeRolePolicy(ctx, &iamapi.UpdateAssumeRolePolicyRequest{RoleName: ptr("target"), PolicyDocument: trust("arn:aws:iam::" + testAccount + ":role/ghost")})
	assertAPIError(t, err, "MalformedPolicyDocument", 400, `Invalid principal in policy: "AWS":"arn:aws:iam::`+testAccount+`:role/ghost"`)
	must(f.svc.UpdateAssumeRolePolicy(ctx, &iamapi.UpdateAssumeRolePolicyRequest{RoleName: ptr("target"), PolicyDocument: trust("arn:aws:iam::" + testAccount + ":role/target")}))(t)
}

// TestAccountQuotas fills the account to the role, managed policy and instance profile quotas (written
// straight to storage, in one transaction each) and checks that the next creation is refused.
func TestAccountQuotas(t *testing.T) {
	f := newFixture(t)
	ctx := f.root()
	bg := context.Background()
	err := f.store.Update(bg, func(tx storage.Tx) error {
		for i := range maxRolesPerAccount {
			r := &storage.Role{AccountID: testAccount, Name: fmt.Sprintf("r%04d", i), Path: "/", ID: fmt.Sprintf("AROAQUOTA%012d", i),
				CreatedAt: f.now, AssumeRolePolicyDocument: testTrustDoc, MaxSessionDuration: 3600}
			if err := tx.CreateRole(bg, r); err != nil {
				return err
			}
		}
		for i := range maxPoliciesPerAccount {
			p := &storage.ManagedPolicy{AccountID: testAccount, Name: fmt.Sprintf("p%04d", i), Path: "/", ID: fmt.Sprintf("ANPAQUOTA%012d", i),
				DefaultVersionID: "v1", NextVersion: 1, CreatedAt: f.now, UpdatedAt: f.now}
			if err := tx.CreateManagedPolicy(bg, p); err != nil {
				return err
			}
		}
		for i := range maxInstanceProfilesPerAccount {
			p := &storage.InstanceProfile{AccountID: testAccount, Name: fmt.Sprintf("ip%04d", i), Path: "/", ID: fmt.Sprintf("AIPAQUOTA%012d", i), CreatedAt: f.now}
			if err := tx.CreateInstanceProfile(bg, p); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.svc.CreateRole(ctx, &iamapi.CreateRoleRequest{RoleName: ptr("one-too-many"), AssumeRolePolicyDocument: ptr(testTrustDoc)})
	assertAPIError(t, err, "LimitExceeded", 409, "Cannot exceed quota for RolesPerAccount: 1000")
	_, err = f.svc.CreateServiceLinkedRole(ctx, &iamapi.CreateServiceLinkedRoleRequest{AWSServiceName: ptr("ecs.amazonaws.com")})
	assertAPIError(t, err, "LimitExceeded", 409, "Cannot exceed quota for RolesPerAccount: 1000")
	_, err = f.svc.CreatePolicy(ctx, &iamapi.CreatePolicyRequest{PolicyName: ptr("one-too-many"), PolicyDocument: ptr(testPolicyDoc)})
	assertAPIError(t, err, "LimitExceeded", 409, "Cannot exceed quota for PoliciesPerAccount: 1500")
	_, err = f.svc.CreateInstanceProfile(ctx, &iamapi.CreateInstanceProfileRequest{InstanceProfileName: ptr("one-too-many")})
	assertAPIError(t, err, "LimitExceeded", 409, "Cannot exceed quota for InstanceProfilesPerAccount: 1000")
	// Quotas are per account.
	must(f.svc.CreateRole(rootOf(otherTestAccount), &iamapi.CreateRoleRequest{RoleName: ptr("fine"), AssumeRolePolicyDocument: ptr(testTrustDoc)}))(t)
}
