package iam

import (
	"net/url"
	"strings"
	"testing"

	"github.com/iamd/iamd/internal/api/iamapi"
)

func TestInstanceProfiles(t *testing.T) {
	f := newFixture(t)
	ctx := f.root()
	p := must(f.svc.CreateInstanceProfile(ctx, &iamapi.CreateInstanceProfileRequest{InstanceProfileName: ptr("Web"), Path: ptr("/web/"),
		Tags: []iamapi.Tag{{Key: ptr("k"), Value: ptr("v")}}}))(t).InstanceProfile
	if str(p.Arn) != "arn:aws:iam::"+testAccount+":instance-profile/web/Web" || !strings.HasPrefix(str(p.InstanceProfileId), "AIPA") ||
		p.Roles == nil || len(p.Roles) != 0 || len(p.Tags) != 1 || !p.CreateDate.Equal(f.now) {
		t.Fatalf("CreateInstanceProfile = %+v", p)
	}
	_, err := f.svc.CreateInstanceProfile(ctx, &iamapi.CreateInstanceProfileRequest{InstanceProfileName: ptr("web")})
	assertAPIError(t, err, "EntityAlreadyExists", 409, "Instance Profile web already exists.")
	_, err = f.svc.GetInstanceProfile(ctx, &iamapi.GetInstanceProfileRequest{InstanceProfileName: ptr("ghost")})
	assertAPIError(t, err, "NoSuchEntity", 404, "Instance Profile ghost cannot be found.")

	createRole(t, f, ctx, "app", "")
	createRole(t, f, ctx, "other", "")
	must(f.svc.AddRoleToInstanceProfile(ctx, &iamapi.AddRoleToInstanceProfileRequest{InstanceProfileName: ptr("web"), RoleName: ptr("APP")}))(t)
	_, err = f.svc.AddRoleToInstanceProfile(ctx, &iamapi.AddRoleToInstanceProfileRequest{InstanceProfileName: ptr("web"), RoleName: ptr("other")})
	assertAPIError(t, err, "LimitExceeded", 409, "Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1")
	_, err = f.svc.AddRoleToInstanceProfile(ctx, &iamapi.AddRoleToInstanceProfileRequest{InstanceProfileName: ptr("web"), RoleName: ptr("app")})
	assertAPIError(t, err, "LimitExceeded", 409, "Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1")
	_, err = f.svc.AddRoleToInstanceProfile(ctx, &iamapi.AddRoleToInstanceProfileRequest{InstanceProfileName: ptr("web"), RoleName: ptr("ghost")})
	assertAPIError(t, err, "NoSuchEntity", 404, "The role with name ghost cannot be found.")
	_, err = f.svc.AddRoleToInstanceProfile(ctx, &iamapi.AddRoleToInstanceProfileRequest{InstanceProfileName: ptr("ghost"), RoleName: ptr("app")})
	assertAPIError(t, err, "NoSuchEntity", 404, "Instance Profile ghost cannot be found.")

	got := must(f.svc.GetInstanceProfile(ctx, &iamapi.GetInstanceProfileRequest{InstanceProfileName: ptr("WEB")}))(t).InstanceProfile
	if len(got.Roles) != 1 || str(got.Roles[0].RoleName) != "app" || len(got.Tags) != 1 {
		t.Fatalf("GetInstanceProfile = %+v", got)
	}
	if doc, err := url.PathUnescape(str(got.Roles[0].AssumeRolePolicyDocument)); err != nil || doc != testTrustDoc {
		t.Errorf("role trust policy in profile = %q", str(got.Roles[0].AssumeRolePolicyDocument))
	}

	must(f.svc.CreateInstanceProfile(ctx, &iamapi.CreateInstanceProfileRequest{InstanceProfileName: ptr("batch")}))(t)
	must(f.svc.AddRoleToInstanceProfile(ctx, &iamapi.AddRoleToInstanceProfileRequest{InstanceProfileName: ptr("batch"), RoleName: ptr("app")}))(t)
	forRole := must(f.svc.ListInstanceProfilesForRole(ctx, &iamapi.ListInstanceProfilesForRoleRequest{RoleName: ptr("app"), MaxItems: ptr(int32(1))}))(t)
	if len(forRole.InstanceProfiles) != 1 || str(forRole.InstanceProfiles[0].InstanceProfileName) != "batch" || !*forRole.IsTruncated {
		t.Fatalf("ListInstanceProfilesForRole page 1 = %+v", forRole)
	}
	forRole = must(f.svc.ListInstanceProfilesForRole(ctx, &iamapi.ListInstanceProfilesForRoleRequest{RoleName: ptr("app"), Marker: forRole.Marker}))(t)
	if len(forRole.InstanceProfiles) != 1 || str(forRole.InstanceProfiles[0].InstanceProfileName) != "Web" || *forRole.IsTruncated {
		t.Fatalf("ListInstanceProfilesForRole page 2 = %+v", forRole)
	}
	_, err = f.svc.ListInstanceProfilesForRole(ctx, &iamapi.ListInstanceProfilesForRoleRequest{RoleName: ptr("ghost")})
	assertAPIError(t, err, "NoSuchEntity", 404, "The role with name ghost cannot be found.")

	all := must(f.svc.ListInstanceProfiles(ctx, &iamapi.ListInstanceProfilesRequest{}))(t)
	if len(all.InstanceProfiles) != 2 || all.InstanceProfiles[1].Tags != nil || len(all.InstanceProfiles[1].Roles) != 1 {
		t.Errorf("ListInstanceProfiles = %+v", all)
	}
	web := must(f.svc.ListInstanceProfiles(ctx, &iamapi.ListInstanceProfilesRequest{PathPrefix: ptr("/web/")}))(t)
	if len(web.InstanceProfiles) != 1 {
		t.Errorf("PathPrefix /web/ = %d", len(web.InstanceProfiles))
	}

	_, err = f.svc.DeleteInstanceProfile(ctx, &iamapi.DeleteInstanceProfileRequest{InstanceProfileName: ptr("web")})
	assertAPIError(t, err, "DeleteConflict", 409, "Cannot delete entity, must remove roles from instance profile first.")
	_, err = f.svc.RemoveRoleFromInstanceProfile(ctx, &iamapi.RemoveRoleFromInstanceProfileRequest{InstanceProfileName: ptr("web"), RoleName: ptr("other")})
	assertAPIError(t, err, "NoSuchEntity", 404, "Role other in Instance Profile web cannot be found.")
	_, err = f.svc.RemoveRoleFromInstanceProfile(ctx, &iamapi.RemoveRoleFromInstanceProfileRequest{InstanceProfileName: ptr("ghost"), RoleName: ptr("app")})
	assertAPIError(t, err, "NoSuchEntity", 404, "Instance Profile ghost cannot be found.")
	_, err = f.svc.RemoveRoleFromInstanceProfile(ctx, &iamapi.RemoveRoleFromInstanceProfileRequest{InstanceProfileName: ptr("web"), RoleName: ptr("ghost")})
	assertAPIError(t, err, "NoSuchEntity", 404, "The role with name ghost cannot be found.")
	must(f.svc.RemoveRoleFromInstanceProfile(ctx, &iamapi.RemoveRoleFromInstanceProfileRequest{InstanceProfileName: ptr("web"), RoleName: ptr("app")}))(t)
	must(f.svc.AddRoleToInstanceProfile(ctx, &iamapi.AddRoleToInstanceProfileRequest{InstanceProfileName: ptr("web"), RoleName: ptr("other")}))(t)
	must(f.svc.RemoveRoleFromInstanceProfile(ctx, &iamapi.RemoveRoleFromInstanceProfileRequest{InstanceProfileName: ptr("web"), RoleName: ptr("other")}))(t)
	must(f.svc.DeleteInstanceProfile(ctx, &iamapi.DeleteInstanceProfileRequest{InstanceProfileName: ptr("web")}))(t)
	_, err = f.svc.DeleteInstanceProfile(ctx, &iamapi.DeleteInstanceProfileRequest{InstanceProfileName: ptr("web")})
	assertAPIError(t, err, "NoSuchEntity", 404, "Instance Profile web cannot be found.")
	if c, err := countsOf(f); err != nil || c.InstanceProfiles != 1 {
		t.Errorf("InstanceProfiles count = %+v %v", c, err)
	}
}

func TestInstanceProfileTags(t *testing.T) {
	f := newFixture(t)
	ctx := f.root()
	must(f.svc.CreateInstanceProfile(ctx, &iamapi.CreateInstanceProfileRequest{InstanceProfileName: ptr("ip")}))(t)
	must(f.svc.TagInstanceProfile(ctx, &iamapi.TagInstanceProfileRequest{InstanceProfileName: ptr("ip"), Tags: []iamapi.Tag{{Key: ptr("a"), Value: ptr("1")}, {Key: ptr("b"), Value: ptr("2")}}}))(t)
	must(f.svc.UntagInstanceProfile(ctx, &iamapi.UntagInstanceProfileRequest{InstanceProfileName: ptr("ip"), TagKeys: []string{"A"}}))(t)
	tags := must(f.svc.ListInstanceProfileTags(ctx, &iamapi.ListInstanceProfileTagsRequest{InstanceProfileName: ptr("ip")}))(t)
	if len(tags.Tags) != 1 || str(tags.Tags[0].Key) != "b" || *tags.IsTruncated {
		t.Errorf("tags = %+v", tags)
	}
	_, err := f.svc.TagInstanceProfile(ctx, &iamapi.TagInstanceProfileRequest{InstanceProfileName: ptr("ghost"), Tags: []iamapi.Tag{{Key: ptr("a"), Value: ptr("1")}}})
	assertAPIError(t, err, "NoSuchEntity", 404, "Instance Profile ghost cannot be found.")
	_, err = f.svc.ListInstanceProfileTags(ctx, &iamapi.ListInstanceProfileTagsRequest{InstanceProfileName: ptr("ghost")})
	assertAPIError(t, err, "NoSuchEntity", 404, "Instance Profile ghost cannot be found.")
	many := make([]iamapi.Tag, 51)
	for i := range many {
		many[i] = iamapi.Tag{Key: ptr(strings.Repeat("k", i+1)), Value: ptr("")}
	}
	_, err = f.svc.TagInstanceProfile(ctx, &iamapi.TagInstanceProfileRequest{InstanceProfileName: ptr("ip"), Tags: many})
	assertAPIError(t, err, "LimitExceeded", 409, "Cannot exceed quota for TagsPerInstanceProfile: 50")
}

func TestGetAccountAuthorizationDetails(t *testing.T) {
	f := withCatalogue(t, newFixture(t))
	ctx := f.root()
	createUser(t, f, ctx, "alice", "")
	createUser(t, f, ctx, "bob", "")
	must(f.svc.TagUser(ctx, &iamapi.TagUserRequest{UserName: ptr("alice"), Tags: []iamapi.Tag{{Key: ptr("team"), Value: ptr("a")}}}))(t)
	must(f.svc.CreateGroup(ctx, &iamapi.CreateGroupRequest{GroupName: ptr("devs")}))(t)
	must(f.svc.AddUserToGroup(ctx, &iamapi.AddUserToGroupRequest{GroupName: ptr("devs"), UserName: ptr("alice")}))(t)
	must(f.svc.PutGroupPolicy(ctx, &iamapi.PutGroupPolicyRequest{GroupName: ptr("devs"), PolicyName: ptr("g"), PolicyDocument: ptr(testPolicyDoc)}))(t)
	must(f.svc.PutUserPolicy(ctx, &iamapi.PutUserPolicyRequest{UserName: ptr("alice"), PolicyName: ptr("u"), PolicyDocument: ptr(testPolicyDoc)}))(t)
	local := str(createPolicy(t, f, ctx, "Local", "").Arn)
	must(f.svc.CreatePolicyVersion(ctx, &iamapi.CreatePolicyVersionRequest{PolicyArn: ptr(local), PolicyDocument: ptr(testPolicyV2)}))(t)
	createPolicy(t, f, ctx, "Unused", "")
	must(f.svc.AttachUserPolicy(ctx, &iamapi.AttachUserPolicyRequest{UserName: ptr("alice"), PolicyArn: ptr(local)}))(t)
	must(f.svc.PutUserPermissionsBoundary(ctx, &iamapi.PutUserPermissionsBoundaryRequest{UserName: ptr("bob"), PermissionsBoundary: ptr(local)}))(t)
	must(f.svc.AttachGroupPolicy(ctx, &iamapi.AttachGroupPolicyRequest{GroupName: ptr("devs"), PolicyArn: ptr(readOnlyARN)}))(t)
	createRole(t, f, ctx, "app", "")
	must(f.svc.PutRolePolicy(ctx, &iamapi.PutRolePolicyRequest{RoleName: ptr("app"), PolicyName: ptr("r"), PolicyDocument: ptr(testPolicyDoc)}))(t)
	must(f.svc.AttachRolePolicy(ctx, &iamapi.AttachRolePolicyRequest{RoleName: ptr("app"), PolicyArn: ptr("arn:aws:iam::aws:policy/AdministratorAccess")}))(t)
	must(f.svc.CreateInstanceProfile(ctx, &iamapi.CreateInstanceProfileRequest{InstanceProfileName: ptr("ip")}))(t)
	must(f.svc.AddRoleToInstanceProfile(ctx, &iamapi.AddRoleToInstanceProfileRequest{InstanceProfileName: ptr("ip"), RoleName: ptr("app")}))(t)

	d := must(f.svc.GetAccountAuthorizationDetails(ctx, &iamapi.GetAccountAuthorizationDetailsRequest{}))(t)
	if len(d.UserDetailList) != 2 || len(d.GroupDetailList) != 1 || len(d.RoleDetailList) != 1 || len(d.Policies) != 4 || *d.IsTruncated {
		t.Fatalf("sections: %d users, %d groups, %d roles, %d policies", len(d.UserDetailList), len(d.GroupDetailList), len(d.RoleDetailList), len(d.Policies))
	}
	alice := d.UserDetailList[0]
	if str(alice.UserName) != "alice" || strings.Join(alice.GroupList, ",") != "devs" || len(alice.UserPolicyList) != 1 ||
		decoded(t, alice.UserPolicyList[0].PolicyDocument) != testPolicyDoc || len(alice.AttachedManagedPolicies) != 1 || len(alice.Tags) != 1 {
		t.Errorf("alice = %+v", alice)
	}
	if bob := d.UserDetailList[1]; bob.PermissionsBoundary == nil || str(bob.PermissionsBoundary.PermissionsBoundaryArn) != local || bob.GroupList == nil {
		t.Errorf("bob = %+v", bob)
	}
	if g := d.GroupDetailList[0]; len(g.GroupPolicyList) != 1 || len(g.AttachedManagedPolicies) != 1 || str(g.AttachedManagedPolicies[0].PolicyArn) != readOnlyARN {
		t.Errorf("group = %+v", g)
	}
	r := d.RoleDetailList[0]
	if len(r.InstanceProfileList) != 1 || str(r.InstanceProfileList[0].InstanceProfileName) != "ip" || len(r.InstanceProfileList[0].Roles) != 1 ||
		len(r.RolePolicyList) != 1 || len(r.AttachedManagedPolicies) != 1 || decoded(t, r.AssumeRolePolicyDocument) != testTrustDoc || r.RoleLastUsed == nil {
		t.Errorf("role = %+v", r)
	}
	// AWS managed policies in use come first (AdministratorAccess, ReadOnlyAccess), then every customer policy.
	var names []string
	for _, p := range d.Policies {
		names = append(names, str(p.PolicyName))
	}
	if strings.Join(names, ",") != "AdministratorAccess,ReadOnlyAccess,Local,Unused" {
		t.Errorf("policies = %v", names)
	}
	lp := d.Policies[2]
	if len(lp.PolicyVersionList) != 2 || str(lp.PolicyVersionList[0].VersionId) != "v2" || *lp.PolicyVersionList[1].IsDefaultVersion != true ||
		decoded(t, lp.PolicyVersionList[1].Document) != testPolicyDoc || *lp.AttachmentCount != 1 || *lp.PermissionsBoundaryUsageCount != 1 {
		t.Errorf("Local detail = %+v", lp)
	}
	if ro := d.Policies[1]; len(ro.PolicyVersionList) != 1 || !*ro.PolicyVersionList[0].IsDefaultVersion || *ro.AttachmentCount != 1 {
		t.Errorf("ReadOnlyAccess detail = %+v", ro)
	}

	// Filters.
	only := must(f.svc.GetAccountAuthorizationDetails(ctx, &iamapi.GetAccountAuthorizationDetailsRequest{Filter: []string{"Role", "LocalManagedPolicy"}}))(t)
	if len(only.UserDetailList) != 0 || only.UserDetailList == nil || len(only.RoleDetailList) != 1 || len(only.Policies) != 2 {
		t.Errorf("filtered = %d users, %d roles, %d policies", len(only.UserDetailList), len(only.RoleDetailList), len(only.Policies))
	}
	aws := must(f.svc.GetAccountAuthorizationDetails(ctx, &iamapi.GetAccountAuthorizationDetailsRequest{Filter: []string{"AWSManagedPolicy"}}))(t)
	if len(aws.Policies) != 2 {
		t.Errorf("AWSManagedPolicy = %d policies", len(aws.Policies))
	}

	// Paging across sections, two items at a time, sees all eight items once.
	var seen []string
	var marker *string
	for range 20 {
		page := must(f.svc.GetAccountAuthorizationDetails(ctx, &iamapi.GetAccountAuthorizationDetailsRequest{MaxItems: ptr(int32(2)), Marker: marker}))(t)
		n := len(page.UserDetailList) + len(page.GroupDetailList) + len(page.RoleDetailList) + len(page.Policies)
		if n > 2 || (n < 2 && *page.IsTruncated) {
			t.Fatalf("page of %d items, truncated %v", n, *page.IsTruncated)
		}
		for _, u := range page.UserDetailList {
			seen = append(seen, str(u.UserName))
		}
		for _, g := range page.GroupDetailList {
			seen = append(seen, str(g.GroupName))
		}
		for _, r := range page.RoleDetailList {
			seen = append(seen, str(r.RoleName))
		}
		for _, p := range page.Policies {
			seen = append(seen, str(p.PolicyName))
		}
		if !*page.IsTruncated {
			break
		}
		marker = page.Marker
	}
	if got := strings.Join(seen, ","); got != "alice,bob,devs,app,AdministratorAccess,ReadOnlyAccess,Local,Unused" {
		t.Errorf("paged walk = %s", got)
	}
	_, err := f.svc.GetAccountAuthorizationDetails(ctx, &iamapi.GetAccountAuthorizationDetailsRequest{Marker: ptr("eHl6")})
	assertAPIError(t, err, "InvalidInput", 400, "Invalid Marker.")
	// Another account sees an empty account.
	empty := must(f.svc.GetAccountAuthorizationDetails(rootOf(otherTestAccount), &iamapi.GetAccountAuthorizationDetailsRequest{}))(t)
	if len(empty.UserDetailList)+len(empty.RoleDetailList)+len(empty.Policies) != 0 {
		t.Errorf("other account = %+v", empty)
	}
}
