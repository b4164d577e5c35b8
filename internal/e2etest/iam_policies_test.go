package e2etest

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
)

const (
	readOnlyARN = "arn:aws:iam::aws:policy/ReadOnlyAccess"
	adminARN    = "arn:aws:iam::aws:policy/AdministratorAccess"
)

// Customer managed policies and their versions and tags through the SDK, with every error path.
func TestIAMManagedPolicies(t *testing.T) {
	e := newIAMEnv(t)
	c, ctx := e.c, e.ctx
	doc1 := docAllow("s3:GetObject", "arn:aws:s3:::bucket/*")
	doc2 := docAllow("s3:*", "*")

	p := must[*iam.CreatePolicyOutput](t, "CreatePolicy")(c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("S3Read"),
		Path: aws.String("/team/"), PolicyDocument: aws.String(doc1), Description: aws.String("reads"), Tags: tags("owner", "ops")})).Policy
	pARN := arn("policy/team/S3Read")
	checkID(t, "CreatePolicy", aws.ToString(p.PolicyId), "ANPA")
	checkRecent(t, "CreatePolicy", p.CreateDate)
	if aws.ToString(p.Arn) != pARN || aws.ToString(p.DefaultVersionId) != "v1" || aws.ToInt32(p.AttachmentCount) != 0 ||
		aws.ToInt32(p.PermissionsBoundaryUsageCount) != 0 || !p.IsAttachable || aws.ToString(p.Path) != "/team/" ||
		p.UpdateDate == nil || !p.UpdateDate.Equal(*p.CreateDate) || tagMap(p.Tags)["owner"] != "ops" {
		t.Fatalf("CreatePolicy: %+v", p)
	}
	g := must[*iam.GetPolicyOutput](t, "GetPolicy")(c.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(pARN)})).Policy
	if aws.ToString(g.PolicyId) != aws.ToString(p.PolicyId) || aws.ToString(g.Description) != "reads" || len(g.Tags) != 1 {
		t.Fatalf("GetPolicy: %+v", g)
	}
	v1 := must[*iam.GetPolicyVersionOutput](t, "GetPolicyVersion")(c.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: aws.String(pARN), VersionId: aws.String("v1")})).PolicyVersion
	if !v1.IsDefaultVersion || aws.ToString(v1.VersionId) != "v1" || decoded(t, v1.Document) != doc1 || v1.CreateDate == nil {
		t.Fatalf("GetPolicyVersion v1: %+v", v1)
	}

	t.Run("Versions", func(t *testing.T) {
		v2 := must[*iam.CreatePolicyVersionOutput](t, "CreatePolicyVersion")(c.CreatePolicyVersion(ctx, &iam.CreatePolicyVersionInput{
			PolicyArn: aws.String(pARN), PolicyDocument: aws.String(doc2), SetAsDefault: true})).PolicyVersion
		if aws.ToString(v2.VersionId) != "v2" || !v2.IsDefaultVersion || v2.Document != nil {
			t.Fatalf("CreatePolicyVersion: %+v", v2)
		}
		for range 3 {
			must[*iam.CreatePolicyVersionOutput](t, "CreatePolicyVersion")(c.CreatePolicyVersion(ctx, &iam.CreatePolicyVersionInput{PolicyArn: aws.String(pARN), PolicyDocument: aws.String(doc1)}))
		}
		wantError(t, "sixth version", call(c.CreatePolicyVersion(ctx, &iam.CreatePolicyVersionInput{PolicyArn: aws.String(pARN), PolicyDocument: aws.String(doc1)})),
			"LimitExceeded", 409, "A managed policy can have up to 5 versions. Before you create a new version, you must delete an existing version.")
		lv := must[*iam.ListPolicyVersionsOutput](t, "ListPolicyVersions")(c.ListPolicyVersions(ctx, &iam.ListPolicyVersionsInput{PolicyArn: aws.String(pARN)}))
		var ids []string
		for _, v := range lv.Versions {
			ids = append(ids, aws.ToString(v.VersionId))
			if v.Document != nil {
				t.Fatalf("ListPolicyVersions returned a document: %+v", v)
			}
			if v.IsDefaultVersion != (aws.ToString(v.VersionId) == "v2") {
				t.Fatalf("default flag wrong: %+v", v)
			}
		}
		// AWS lists the newest version first.
		if strings.Join(ids, ",") != "v5,v4,v3,v2,v1" {
			t.Fatalf("ListPolicyVersions order: %v", ids)
		}
		pg := must[*iam.ListPolicyVersionsOutput](t, "ListPolicyVersions page")(c.ListPolicyVersions(ctx, &iam.ListPolicyVersionsInput{PolicyArn: aws.String(pARN), MaxItems: aws.Int32(2)}))
		if len(pg.Versions) != 2 || !pg.IsTruncated || pg.Marker == nil {
			t.Fatalf("ListPolicyVersions page: %+v", pg)
		}
		wantError(t, "delete default version", call(c.DeletePolicyVersion(ctx, &iam.DeletePolicyVersionInput{PolicyArn: aws.String(pARN), VersionId: aws.String("v2")})),
			"DeleteConflict", 409, "Cannot delete the default version of a policy.")
		must[*iam.SetDefaultPolicyVersionOutput](t, "SetDefaultPolicyVersion")(c.SetDefaultPolicyVersion(ctx, &iam.SetDefaultPolicyVersionInput{PolicyArn: aws.String(pARN), VersionId: aws.String("v4")}))
		if g := must[*iam.GetPolicyOutput](t, "GetPolicy")(c.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(pARN)})).Policy; aws.ToString(g.DefaultVersionId) != "v4" {
			t.Fatalf("DefaultVersionId %s", aws.ToString(g.DefaultVersionId))
		}
		wantError(t, "delete policy with versions", call(c.DeletePolicy(ctx, &iam.DeletePolicyInput{PolicyArn: aws.String(pARN)})),
			"DeleteConflict", 409, "This policy has more than one version. Before you delete a policy, you must delete the policy's versions. The default version is deleted with the policy.")
		for _, v := range []string{"v1", "v2", "v3", "v5"} {
			must[*iam.DeletePolicyVersionOutput](t, "DeletePolicyVersion "+v)(c.DeletePolicyVersion(ctx, &iam.DeletePolicyVersionInput{PolicyArn: aws.String(pARN), VersionId: aws.String(v)}))
		}
		// Version numbers are not reused.
		v6 := must[*iam.CreatePolicyVersionOutput](t, "CreatePolicyVersion")(c.CreatePolicyVersion(ctx, &iam.CreatePolicyVersionInput{PolicyArn: aws.String(pARN), PolicyDocument: aws.String(doc2)})).PolicyVersion
		if aws.ToString(v6.VersionId) != "v6" || v6.IsDefaultVersion {
			t.Fatalf("version after deletes: %+v", v6)
		}
		wantError(t, "GetPolicyVersion deleted", call(c.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: aws.String(pARN), VersionId: aws.String("v1")})),
			"NoSuchEntity", 404, "Policy "+pARN+" version v1 does not exist or is not attachable.")
		must[*iam.DeletePolicyVersionOutput](t, "DeletePolicyVersion v6")(c.DeletePolicyVersion(ctx, &iam.DeletePolicyVersionInput{PolicyArn: aws.String(pARN), VersionId: aws.String("v6")}))
	})

	t.Run("Tags", func(t *testing.T) {
		must[*iam.TagPolicyOutput](t, "TagPolicy")(c.TagPolicy(ctx, &iam.TagPolicyInput{PolicyArn: aws.String(pARN), Tags: tags("cost", "1", "OWNER", "sec")}))
		lt := must[*iam.ListPolicyTagsOutput](t, "ListPolicyTags")(c.ListPolicyTags(ctx, &iam.ListPolicyTagsInput{PolicyArn: aws.String(pARN)}))
		if m := tagMap(lt.Tags); len(m) != 2 || m["OWNER"] != "sec" || m["cost"] != "1" {
			t.Fatalf("ListPolicyTags: %v", m)
		}
		must[*iam.UntagPolicyOutput](t, "UntagPolicy")(c.UntagPolicy(ctx, &iam.UntagPolicyInput{PolicyArn: aws.String(pARN), TagKeys: []string{"owner"}}))
		lt = must[*iam.ListPolicyTagsOutput](t, "ListPolicyTags")(c.ListPolicyTags(ctx, &iam.ListPolicyTagsInput{PolicyArn: aws.String(pARN)}))
		if m := tagMap(lt.Tags); len(m) != 1 || m["cost"] != "1" {
			t.Fatalf("after UntagPolicy: %v", m)
		}
		awsTags := must[*iam.ListPolicyTagsOutput](t, "ListPolicyTags AWS")(c.ListPolicyTags(ctx, &iam.ListPolicyTagsInput{PolicyArn: aws.String(readOnlyARN)}))
		if len(awsTags.Tags) != 0 {
			t.Fatalf("AWS managed policy tags: %+v", awsTags.Tags)
		}
	})

	t.Run("ListEntitiesForPolicy", func(t *testing.T) {
		for _, u := range []string{"u1", "u2", "u3"} {
			must[*iam.CreateUserOutput](t, "CreateUser")(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(u), Path: aws.String("/p" + u + "/")}))
			must[*iam.AttachUserPolicyOutput](t, "AttachUserPolicy")(c.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String(u), PolicyArn: aws.String(pARN)}))
		}
		must[*iam.CreateGroupOutput](t, "CreateGroup")(c.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("g1")}))
		must[*iam.AttachGroupPolicyOutput](t, "AttachGroupPolicy")(c.AttachGroupPolicy(ctx, &iam.AttachGroupPolicyInput{GroupName: aws.String("g1"), PolicyArn: aws.String(pARN)}))
		must[*iam.CreateRoleOutput](t, "CreateRole")(c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("r1"), AssumeRolePolicyDocument: aws.String(trustEC2), PermissionsBoundary: aws.String(pARN)}))
		le := must[*iam.ListEntitiesForPolicyOutput](t, "ListEntitiesForPolicy")(c.ListEntitiesForPolicy(ctx, &iam.ListEntitiesForPolicyInput{PolicyArn: aws.String(pARN)}))
		if len(le.PolicyUsers) != 3 || len(le.PolicyGroups) != 1 || len(le.PolicyRoles) != 1 || le.IsTruncated {
			t.Fatalf("ListEntitiesForPolicy: %+v", le)
		}
		checkID(t, "PolicyUser", aws.ToString(le.PolicyUsers[0].UserId), "AIDA")
		checkID(t, "PolicyGroup", aws.ToString(le.PolicyGroups[0].GroupId), "AGPA")
		checkID(t, "PolicyRole", aws.ToString(le.PolicyRoles[0].RoleId), "AROA")
		gp := must[*iam.GetPolicyOutput](t, "GetPolicy")(c.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(pARN)})).Policy
		if aws.ToInt32(gp.AttachmentCount) != 4 || aws.ToInt32(gp.PermissionsBoundaryUsageCount) != 1 {
			t.Fatalf("counts: %d attachments %d boundaries", aws.ToInt32(gp.AttachmentCount), aws.ToInt32(gp.PermissionsBoundaryUsageCount))
		}
		for _, c2 := range []struct {
			filter       iamtypes.EntityType
			usage        iamtypes.PolicyUsageType
			prefix       string
			users, group int
			roles        int
		}{
			{filter: iamtypes.EntityTypeUser, users: 3},
			{filter: iamtypes.EntityTypeGroup, group: 1},
			{filter: iamtypes.EntityTypeRole, roles: 1},
			{filter: iamtypes.EntityTypeLocalManagedPolicy},
			{usage: iamtypes.PolicyUsageTypePermissionsPolicy, users: 3, group: 1},
			{usage: iamtypes.PolicyUsageTypePermissionsBoundary, roles: 1},
			{prefix: "/pu2/", users: 1},
		} {
			in := &iam.ListEntitiesForPolicyInput{PolicyArn: aws.String(pARN), EntityFilter: c2.filter, PolicyUsageFilter: c2.usage}
			if c2.prefix != "" {
				in.PathPrefix = aws.String(c2.prefix)
			}
			le := must[*iam.ListEntitiesForPolicyOutput](t, "ListEntitiesForPolicy")(c.ListEntitiesForPolicy(ctx, in))
			if len(le.PolicyUsers) != c2.users || len(le.PolicyGroups) != c2.group || len(le.PolicyRoles) != c2.roles {
				t.Fatalf("ListEntitiesForPolicy %+v: %d users %d groups %d roles", c2, len(le.PolicyUsers), len(le.PolicyGroups), len(le.PolicyRoles))
			}
		}
		got, pages := walk(t, 2, func(m *string, n int32) ([]string, bool, *string, error) {
			out, err := c.ListEntitiesForPolicy(ctx, &iam.ListEntitiesForPolicyInput{PolicyArn: aws.String(pARN), Marker: m, MaxItems: aws.Int32(n)})
			if err != nil {
				return nil, false, nil, err
			}
			var names []string
			for _, x := range out.PolicyGroups {
				names = append(names, "g:"+aws.ToString(x.GroupName))
			}
			for _, x := range out.PolicyRoles {
				names = append(names, "r:"+aws.ToString(x.RoleName))
			}
			for _, x := range out.PolicyUsers {
				names = append(names, "u:"+aws.ToString(x.UserName))
			}
			return names, out.IsTruncated, out.Marker, nil
		})
		slices.Sort(got)
		if pages != 3 || strings.Join(got, ",") != "g:g1,r:r1,u:u1,u:u2,u:u3" {
			t.Fatalf("ListEntitiesForPolicy walk: %d pages %v", pages, got)
		}
		wantError(t, "DeletePolicy attached", call(c.DeletePolicy(ctx, &iam.DeletePolicyInput{PolicyArn: aws.String(pARN)})),
			"DeleteConflict", 409, "Cannot delete a policy attached to entities.")
	})

	tooBig := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":["arn:aws:s3:::` + strings.Repeat("b", 6200) + `"]}]}`
	withPrincipal := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"}]}`
	noStatement := `{"Version":"2012-10-17"}`
	noVendor := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"GetObject","Resource":"*"}]}`
	create := func(name, doc string) func() error {
		return func() error {
			return call(c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String(name), PolicyDocument: aws.String(doc)}))
		}
	}
	missing := arn("policy/Nope")
	runErrCases(t, []errCase{
		{"create duplicate other case", create("s3read", doc1), "EntityAlreadyExists", 409, "A policy called s3read already exists. Duplicate names are not allowed."},
		{"create too large", create("big", tooBig), "LimitExceeded", 409, "Cannot exceed quota for PolicySize: 6144"},
		{"create with principal", create("pr", withPrincipal), "MalformedPolicyDocument", 400, "Policy document should not specify a principal."},
		{"create without statement", create("ns", noStatement), "MalformedPolicyDocument", 400, "Syntax errors in policy."},
		{"create action without vendor", create("nv", noVendor), "MalformedPolicyDocument", 400, "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."},
		{"create not JSON", create("nj", "not json"), "MalformedPolicyDocument", 400, "Syntax errors in policy."},
		{"create bad name", create("a/b", doc1), "ValidationError", 400, validation("a/b", "policyName", `Member must satisfy regular expression pattern: [\w+=,.@-]+`)},
		{"create bad path", func() error {
			return call(c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("bp"), Path: aws.String("/a b/"), PolicyDocument: aws.String(doc1)}))
		}, "ValidationError", 400, validation("/a b/", "path", `Member must satisfy regular expression pattern: ((/[A-Za-z0-9\.,\+@=_-]+)*)/`)},
		{"get missing", func() error { return call(c.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(missing)})) },
			"NoSuchEntity", 404, "Policy " + missing + " was not found."},
		{"get wrong path", func() error {
			return call(c.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(arn("policy/S3Read"))}))
		},
			"NoSuchEntity", 404, "Policy " + arn("policy/S3Read") + " was not found."},
		{"get invalid arn", func() error {
			return call(c.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String("arn:aws:iam::123456789012:user/bob")}))
		},
			"InvalidInput", 400, "ARN arn:aws:iam::123456789012:user/bob is not valid."},
		{"get arn too short", func() error { return call(c.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String("x")})) },
			"ValidationError", 400, validation("x", "policyArn", "Member must have length greater than or equal to 20")},
		{"delete missing", func() error { return call(c.DeletePolicy(ctx, &iam.DeletePolicyInput{PolicyArn: aws.String(missing)})) },
			"NoSuchEntity", 404, "Policy " + missing + " was not found."},
		{"delete AWS managed", func() error {
			return call(c.DeletePolicy(ctx, &iam.DeletePolicyInput{PolicyArn: aws.String(readOnlyARN)}))
		},
			"AccessDenied", 403, "User: arn:aws:iam::123456789012:root is not authorized to perform: iam:DeletePolicy on resource: policy " + readOnlyARN},
		{"new version of AWS managed", func() error {
			return call(c.CreatePolicyVersion(ctx, &iam.CreatePolicyVersionInput{PolicyArn: aws.String(readOnlyARN), PolicyDocument: aws.String(doc1)}))
		}, "AccessDenied", 403, "User: arn:aws:iam::123456789012:root is not authorized to perform: iam:CreatePolicyVersion on resource: policy " + readOnlyARN},
		{"new version malformed", func() error {
			return call(c.CreatePolicyVersion(ctx, &iam.CreatePolicyVersionInput{PolicyArn: aws.String(pARN), PolicyDocument: aws.String(withPrincipal)}))
		}, "MalformedPolicyDocument", 400, "Policy document should not specify a principal."},
		{"new version missing policy", func() error {
			return call(c.CreatePolicyVersion(ctx, &iam.CreatePolicyVersionInput{PolicyArn: aws.String(missing), PolicyDocument: aws.String(doc1)}))
		}, "NoSuchEntity", 404, "Policy " + missing + " was not found."},
		{"get version missing", func() error {
			return call(c.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: aws.String(pARN), VersionId: aws.String("v9")}))
		}, "NoSuchEntity", 404, "Policy " + pARN + " version v9 does not exist or is not attachable."},
		{"get version bad id", func() error {
			return call(c.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: aws.String(pARN), VersionId: aws.String("1")}))
		}, "ValidationError", 400, validation("1", "versionId", `Member must satisfy regular expression pattern: v[1-9][0-9]*(\.[A-Za-z0-9-]*)?`)},
		{"set default missing version", func() error {
			return call(c.SetDefaultPolicyVersion(ctx, &iam.SetDefaultPolicyVersionInput{PolicyArn: aws.String(pARN), VersionId: aws.String("v9")}))
		}, "NoSuchEntity", 404, "Policy " + pARN + " version v9 does not exist or is not attachable."},
		{"delete version missing", func() error {
			return call(c.DeletePolicyVersion(ctx, &iam.DeletePolicyVersionInput{PolicyArn: aws.String(pARN), VersionId: aws.String("v9")}))
		}, "NoSuchEntity", 404, "Policy " + pARN + " version v9 does not exist or is not attachable."},
		{"list versions missing policy", func() error {
			return call(c.ListPolicyVersions(ctx, &iam.ListPolicyVersionsInput{PolicyArn: aws.String(missing)}))
		}, "NoSuchEntity", 404, "Policy " + missing + " was not found."},
		{"tag missing policy", func() error {
			return call(c.TagPolicy(ctx, &iam.TagPolicyInput{PolicyArn: aws.String(missing), Tags: tags("a", "b")}))
		}, "NoSuchEntity", 404, "Policy " + missing + " was not found."},
		{"untag missing policy", func() error {
			return call(c.UntagPolicy(ctx, &iam.UntagPolicyInput{PolicyArn: aws.String(missing), TagKeys: []string{"a"}}))
		}, "NoSuchEntity", 404, "Policy " + missing + " was not found."},
		{"list tags missing policy", func() error {
			return call(c.ListPolicyTags(ctx, &iam.ListPolicyTagsInput{PolicyArn: aws.String(missing)}))
		}, "NoSuchEntity", 404, "Policy " + missing + " was not found."},
		{"entities of missing policy", func() error {
			return call(c.ListEntitiesForPolicy(ctx, &iam.ListEntitiesForPolicyInput{PolicyArn: aws.String(missing)}))
		}, "NoSuchEntity", 404, "Policy " + missing + " was not found."},
		{"list bad scope", func() error { return call(c.ListPolicies(ctx, &iam.ListPoliciesInput{Scope: "Mine"})) },
			"ValidationError", 400, validation("Mine", "scope", "Member must satisfy enum value set: [All, AWS, Local]")},
		{"list bad marker", func() error {
			return call(c.ListPolicies(ctx, &iam.ListPoliciesInput{Marker: aws.String("bm90LWEta2V5")}))
		},
			"InvalidInput", 400, "Invalid Marker."},
	})

	// Detached everywhere, the policy deletes and is gone.
	for _, u := range []string{"u1", "u2", "u3"} {
		must[*iam.DetachUserPolicyOutput](t, "DetachUserPolicy")(c.DetachUserPolicy(ctx, &iam.DetachUserPolicyInput{UserName: aws.String(u), PolicyArn: aws.String(pARN)}))
	}
	must[*iam.DetachGroupPolicyOutput](t, "DetachGroupPolicy")(c.DetachGroupPolicy(ctx, &iam.DetachGroupPolicyInput{GroupName: aws.String("g1"), PolicyArn: aws.String(pARN)}))
	wantError(t, "DeletePolicy used as boundary", call(c.DeletePolicy(ctx, &iam.DeletePolicyInput{PolicyArn: aws.String(pARN)})),
		"DeleteConflict", 409, "Cannot delete a policy attached to entities.")
	must[*iam.DeleteRolePermissionsBoundaryOutput](t, "DeleteRolePermissionsBoundary")(c.DeleteRolePermissionsBoundary(ctx, &iam.DeleteRolePermissionsBoundaryInput{RoleName: aws.String("r1")}))
	must[*iam.DeletePolicyOutput](t, "DeletePolicy")(c.DeletePolicy(ctx, &iam.DeletePolicyInput{PolicyArn: aws.String(pARN)}))
	wantError(t, "GetPolicy deleted", call(c.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(pARN)})), "NoSuchEntity", 404, "Policy "+pARN+" was not found.")
}

// AWS managed policies: readable, listable with Scope/OnlyAttached/PolicyUsageFilter, attachable to users,
// groups and roles, and their usage counted per account.
func TestIAMAWSManagedPolicies(t *testing.T) {
	e := newIAMEnv(t)
	c, ctx := e.c, e.ctx
	for _, n := range []string{"ReadOnlyAccess", "AdministratorAccess"} {
		p := must[*iam.GetPolicyOutput](t, "GetPolicy "+n)(c.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String("arn:aws:iam::aws:policy/" + n)})).Policy
		checkID(t, n, aws.ToString(p.PolicyId), "ANPA")
		if aws.ToString(p.PolicyName) != n || aws.ToString(p.Path) != "/" || !p.IsAttachable || aws.ToInt32(p.AttachmentCount) != 0 ||
			p.CreateDate == nil || p.UpdateDate == nil || !strings.HasPrefix(aws.ToString(p.DefaultVersionId), "v") {
			t.Fatalf("GetPolicy %s: %+v", n, p)
		}
		v := must[*iam.GetPolicyVersionOutput](t, "GetPolicyVersion "+n)(c.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{
			PolicyArn: p.Arn, VersionId: p.DefaultVersionId})).PolicyVersion
		var doc struct {
			Version   string
			Statement []map[string]any
		}
		if err := json.Unmarshal([]byte(decoded(t, v.Document)), &doc); err != nil || doc.Version != "2012-10-17" || len(doc.Statement) == 0 || !v.IsDefaultVersion {
			t.Fatalf("GetPolicyVersion %s: %v %+v", n, err, v)
		}
		lv := must[*iam.ListPolicyVersionsOutput](t, "ListPolicyVersions "+n)(c.ListPolicyVersions(ctx, &iam.ListPolicyVersionsInput{PolicyArn: p.Arn}))
		if len(lv.Versions) == 0 {
			t.Fatalf("ListPolicyVersions %s: none", n)
		}
	}
	admin := must[*iam.GetPolicyVersionOutput](t, "GetPolicyVersion admin")(c.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: aws.String(adminARN), VersionId: aws.String("v1")})).PolicyVersion
	if !strings.Contains(decoded(t, admin.Document), `"Action":"*"`) {
		t.Fatalf("AdministratorAccess document: %s", decoded(t, admin.Document))
	}

	must[*iam.CreateUserOutput](t, "CreateUser")(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("u")}))
	must[*iam.CreateGroupOutput](t, "CreateGroup")(c.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("g")}))
	must[*iam.CreateRoleOutput](t, "CreateRole")(c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("r"), AssumeRolePolicyDocument: aws.String(trustEC2)}))
	for _, a := range []string{readOnlyARN, adminARN} {
		must[*iam.AttachUserPolicyOutput](t, "AttachUserPolicy")(c.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("u"), PolicyArn: aws.String(a)}))
		must[*iam.AttachGroupPolicyOutput](t, "AttachGroupPolicy")(c.AttachGroupPolicy(ctx, &iam.AttachGroupPolicyInput{GroupName: aws.String("g"), PolicyArn: aws.String(a)}))
		must[*iam.AttachRolePolicyOutput](t, "AttachRolePolicy")(c.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("r"), PolicyArn: aws.String(a)}))
	}
	must[*iam.PutUserPermissionsBoundaryOutput](t, "PutUserPermissionsBoundary")(c.PutUserPermissionsBoundary(ctx, &iam.PutUserPermissionsBoundaryInput{UserName: aws.String("u"), PermissionsBoundary: aws.String("arn:aws:iam::aws:policy/PowerUserAccess")}))
	ro := must[*iam.GetPolicyOutput](t, "GetPolicy")(c.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(readOnlyARN)})).Policy
	if aws.ToInt32(ro.AttachmentCount) != 3 {
		t.Fatalf("ReadOnlyAccess AttachmentCount %d", aws.ToInt32(ro.AttachmentCount))
	}
	le := must[*iam.ListEntitiesForPolicyOutput](t, "ListEntitiesForPolicy")(c.ListEntitiesForPolicy(ctx, &iam.ListEntitiesForPolicyInput{PolicyArn: aws.String(adminARN)}))
	if len(le.PolicyUsers) != 1 || len(le.PolicyGroups) != 1 || len(le.PolicyRoles) != 1 {
		t.Fatalf("ListEntitiesForPolicy AdministratorAccess: %+v", le)
	}
	must[*iam.CreatePolicyOutput](t, "CreatePolicy")(c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("Mine"), PolicyDocument: aws.String(docAllow("s3:*", "*"))}))
	must[*iam.CreatePolicyOutput](t, "CreatePolicy")(c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("Deep"), Path: aws.String("/deep/"), PolicyDocument: aws.String(docAllow("s3:*", "*"))}))
	must[*iam.AttachRolePolicyOutput](t, "AttachRolePolicy Mine")(c.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("r"), PolicyArn: aws.String(arn("policy/Mine"))}))

	names := func(in *iam.ListPoliciesInput) []string {
		t.Helper()
		var out []string
		p := iam.NewListPoliciesPaginator(c, in)
		for p.HasMorePages() {
			pg := must[*iam.ListPoliciesOutput](t, "ListPolicies")(p.NextPage(ctx))
			for _, x := range pg.Policies {
				if x.Tags != nil || x.Description != nil {
					t.Fatalf("ListPolicies carries tags or description: %+v", x)
				}
				out = append(out, aws.ToString(x.Arn))
			}
		}
		return out
	}
	local := names(&iam.ListPoliciesInput{Scope: iamtypes.PolicyScopeTypeLocal})
	if strings.Join(local, ",") != arn("policy/deep/Deep")+","+arn("policy/Mine") && strings.Join(local, ",") != arn("policy/Mine")+","+arn("policy/deep/Deep") {
		t.Fatalf("Scope=Local: %v", local)
	}
	awsAll := names(&iam.ListPoliciesInput{Scope: iamtypes.PolicyScopeTypeAws, MaxItems: aws.Int32(1000)})
	if len(awsAll) < 500 || !slices.Contains(awsAll, readOnlyARN) || slices.Contains(awsAll, arn("policy/Mine")) {
		t.Fatalf("Scope=AWS: %d policies", len(awsAll))
	}
	all := names(&iam.ListPoliciesInput{MaxItems: aws.Int32(1000)})
	if len(all) != len(awsAll)+2 {
		t.Fatalf("Scope=All: %d, want %d", len(all), len(awsAll)+2)
	}
	// Walking All in small pages crosses from AWS to local policies without loss or repeats.
	walked, _ := walk(t, 400, func(m *string, n int32) ([]string, bool, *string, error) {
		out, err := c.ListPolicies(ctx, &iam.ListPoliciesInput{Marker: m, MaxItems: aws.Int32(n)})
		if err != nil {
			return nil, false, nil, err
		}
		var a []string
		for _, x := range out.Policies {
			a = append(a, aws.ToString(x.Arn))
		}
		return a, out.IsTruncated, out.Marker, nil
	})
	if !equalStrings(walked, all) {
		t.Fatalf("paged ListPolicies differs from one page: %d vs %d", len(walked), len(all))
	}
	attached := names(&iam.ListPoliciesInput{OnlyAttached: true})
	slices.Sort(attached)
	want := []string{readOnlyARN, adminARN, "arn:aws:iam::aws:policy/PowerUserAccess", arn("policy/Mine")}
	slices.Sort(want)
	if !equalStrings(attached, want) {
		t.Fatalf("OnlyAttached: %v, want %v", attached, want)
	}
	if got := names(&iam.ListPoliciesInput{OnlyAttached: true, Scope: iamtypes.PolicyScopeTypeLocal}); strings.Join(got, ",") != arn("policy/Mine") {
		t.Fatalf("OnlyAttached Local: %v", got)
	}
	if got := names(&iam.ListPoliciesInput{OnlyAttached: true, PolicyUsageFilter: iamtypes.PolicyUsageTypePermissionsBoundary}); strings.Join(got, ",") != "arn:aws:iam::aws:policy/PowerUserAccess" {
		t.Fatalf("OnlyAttached boundary: %v", got)
	}
	if got := names(&iam.ListPoliciesInput{OnlyAttached: true, PolicyUsageFilter: iamtypes.PolicyUsageTypePermissionsPolicy}); len(got) != 3 || slices.Contains(got, "arn:aws:iam::aws:policy/PowerUserAccess") {
		t.Fatalf("OnlyAttached permissions: %v", got)
	}
	if got := names(&iam.ListPoliciesInput{Scope: iamtypes.PolicyScopeTypeLocal, PathPrefix: aws.String("/deep/")}); strings.Join(got, ",") != arn("policy/deep/Deep") {
		t.Fatalf("PathPrefix /deep/: %v", got)
	}
	sr := names(&iam.ListPoliciesInput{Scope: iamtypes.PolicyScopeTypeAws, PathPrefix: aws.String("/service-role/")})
	if len(sr) == 0 {
		t.Fatal("no AWS policies under /service-role/")
	}
	for _, a := range sr {
		if !strings.HasPrefix(a, "arn:aws:iam::aws:policy/service-role/") {
			t.Fatalf("PathPrefix /service-role/ listed %s", a)
		}
	}
}
