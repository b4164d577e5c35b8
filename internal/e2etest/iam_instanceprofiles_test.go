package e2etest

import (
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
)

// Instance profiles through the SDK: fields, the role they hold (one at most), listings, tags and every
// error path.
func TestIAMInstanceProfiles(t *testing.T) {
	e := newIAMEnv(t)
	c, ctx := e.c, e.ctx
	ip := must[*iam.CreateInstanceProfileOutput](t, "CreateInstanceProfile")(c.CreateInstanceProfile(ctx, &iam.CreateInstanceProfileInput{
		InstanceProfileName: aws.String("web"), Path: aws.String("/ec2/"), Tags: tags("env", "prod")})).InstanceProfile
	checkID(t, "CreateInstanceProfile", aws.ToString(ip.InstanceProfileId), "AIPA")
	checkRecent(t, "CreateInstanceProfile", ip.CreateDate)
	if aws.ToString(ip.Arn) != arn("instance-profile/ec2/web") || aws.ToString(ip.Path) != "/ec2/" || len(ip.Roles) != 0 || tagMap(ip.Tags)["env"] != "prod" {
		t.Fatalf("CreateInstanceProfile: %+v", ip)
	}
	must[*iam.CreateRoleOutput](t, "CreateRole")(c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("web-role"), Path: aws.String("/svc/"),
		AssumeRolePolicyDocument: aws.String(trustEC2), Tags: tags("t", "v")}))
	must[*iam.CreateRoleOutput](t, "CreateRole")(c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("other-role"), AssumeRolePolicyDocument: aws.String(trustEC2)}))
	must[*iam.AddRoleToInstanceProfileOutput](t, "AddRoleToInstanceProfile")(c.AddRoleToInstanceProfile(ctx, &iam.AddRoleToInstanceProfileInput{
		InstanceProfileName: aws.String("WEB"), RoleName: aws.String("WEB-ROLE")}))

	g := must[*iam.GetInstanceProfileOutput](t, "GetInstanceProfile")(c.GetInstanceProfile(ctx, &iam.GetInstanceProfileInput{InstanceProfileName: aws.String("web")})).InstanceProfile
	if aws.ToString(g.InstanceProfileId) != aws.ToString(ip.InstanceProfileId) || len(g.Roles) != 1 || len(g.Tags) != 1 {
		t.Fatalf("GetInstanceProfile: %+v", g)
	}
	role := g.Roles[0]
	if aws.ToString(role.RoleName) != "web-role" || aws.ToString(role.Arn) != arn("role/svc/web-role") || decoded(t, role.AssumeRolePolicyDocument) != trustEC2 {
		t.Fatalf("profile's role: %+v", role)
	}
	checkID(t, "profile role", aws.ToString(role.RoleId), "AROA")

	for i := range 4 {
		must[*iam.CreateInstanceProfileOutput](t, "CreateInstanceProfile")(c.CreateInstanceProfile(ctx, &iam.CreateInstanceProfileInput{InstanceProfileName: aws.String(fmt.Sprintf("ip%d", i)), Path: aws.String("/many/")}))
	}
	must[*iam.AddRoleToInstanceProfileOutput](t, "AddRoleToInstanceProfile")(c.AddRoleToInstanceProfile(ctx, &iam.AddRoleToInstanceProfileInput{InstanceProfileName: aws.String("ip2"), RoleName: aws.String("web-role")}))
	all := must[*iam.ListInstanceProfilesOutput](t, "ListInstanceProfiles")(c.ListInstanceProfiles(ctx, &iam.ListInstanceProfilesInput{}))
	if len(all.InstanceProfiles) != 5 || all.IsTruncated {
		t.Fatalf("ListInstanceProfiles: %d", len(all.InstanceProfiles))
	}
	for _, p := range all.InstanceProfiles {
		if p.Tags != nil {
			t.Fatalf("ListInstanceProfiles carries tags: %+v", p)
		}
	}
	many, pages := walk(t, 3, func(m *string, n int32) ([]string, bool, *string, error) {
		out, err := c.ListInstanceProfiles(ctx, &iam.ListInstanceProfilesInput{PathPrefix: aws.String("/many/"), Marker: m, MaxItems: aws.Int32(n)})
		if err != nil {
			return nil, false, nil, err
		}
		var a []string
		for _, p := range out.InstanceProfiles {
			a = append(a, aws.ToString(p.InstanceProfileName))
		}
		return a, out.IsTruncated, out.Marker, nil
	})
	if pages != 2 || strings.Join(many, ",") != "ip0,ip1,ip2,ip3" {
		t.Fatalf("ListInstanceProfiles /many/: %d pages %v", pages, many)
	}
	fr := must[*iam.ListInstanceProfilesForRoleOutput](t, "ListInstanceProfilesForRole")(c.ListInstanceProfilesForRole(ctx, &iam.ListInstanceProfilesForRoleInput{RoleName: aws.String("web-role")}))
	var names []string
	for _, p := range fr.InstanceProfiles {
		names = append(names, aws.ToString(p.InstanceProfileName))
		if len(p.Roles) != 1 || aws.ToString(p.Roles[0].RoleName) != "web-role" {
			t.Fatalf("ListInstanceProfilesForRole roles: %+v", p.Roles)
		}
	}
	if strings.Join(names, ",") != "ip2,web" || fr.IsTruncated {
		t.Fatalf("ListInstanceProfilesForRole: %v", names)
	}
	p1 := must[*iam.ListInstanceProfilesForRoleOutput](t, "page 1")(c.ListInstanceProfilesForRole(ctx, &iam.ListInstanceProfilesForRoleInput{RoleName: aws.String("web-role"), MaxItems: aws.Int32(1)}))
	p2 := must[*iam.ListInstanceProfilesForRoleOutput](t, "page 2")(c.ListInstanceProfilesForRole(ctx, &iam.ListInstanceProfilesForRoleInput{RoleName: aws.String("web-role"), Marker: p1.Marker}))
	if !p1.IsTruncated || len(p1.InstanceProfiles) != 1 || len(p2.InstanceProfiles) != 1 || p2.IsTruncated {
		t.Fatalf("ListInstanceProfilesForRole pages: %+v / %+v", p1, p2)
	}

	must[*iam.TagInstanceProfileOutput](t, "TagInstanceProfile")(c.TagInstanceProfile(ctx, &iam.TagInstanceProfileInput{InstanceProfileName: aws.String("web"), Tags: tags("ENV", "dev", "team", "x")}))
	lt := must[*iam.ListInstanceProfileTagsOutput](t, "ListInstanceProfileTags")(c.ListInstanceProfileTags(ctx, &iam.ListInstanceProfileTagsInput{InstanceProfileName: aws.String("web")}))
	if m := tagMap(lt.Tags); len(m) != 2 || m["ENV"] != "dev" {
		t.Fatalf("ListInstanceProfileTags: %v", m)
	}
	must[*iam.UntagInstanceProfileOutput](t, "UntagInstanceProfile")(c.UntagInstanceProfile(ctx, &iam.UntagInstanceProfileInput{InstanceProfileName: aws.String("web"), TagKeys: []string{"env"}}))
	lt = must[*iam.ListInstanceProfileTagsOutput](t, "ListInstanceProfileTags")(c.ListInstanceProfileTags(ctx, &iam.ListInstanceProfileTagsInput{InstanceProfileName: aws.String("web")}))
	if m := tagMap(lt.Tags); len(m) != 1 || m["team"] != "x" {
		t.Fatalf("after UntagInstanceProfile: %v", m)
	}

	runErrCases(t, []errCase{
		{"create duplicate other case", func() error {
			return call(c.CreateInstanceProfile(ctx, &iam.CreateInstanceProfileInput{InstanceProfileName: aws.String("Web")}))
		}, "EntityAlreadyExists", 409, "Instance Profile Web already exists."},
		{"create name too long", func() error {
			return call(c.CreateInstanceProfile(ctx, &iam.CreateInstanceProfileInput{InstanceProfileName: aws.String(strings.Repeat("i", 129))}))
		}, "ValidationError", 400, validation(strings.Repeat("i", 129), "instanceProfileName", "Member must have length less than or equal to 128")},
		{"get missing", func() error {
			return call(c.GetInstanceProfile(ctx, &iam.GetInstanceProfileInput{InstanceProfileName: aws.String("ghost")}))
		}, "NoSuchEntity", 404, "Instance Profile ghost cannot be found."},
		{"delete missing", func() error {
			return call(c.DeleteInstanceProfile(ctx, &iam.DeleteInstanceProfileInput{InstanceProfileName: aws.String("ghost")}))
		}, "NoSuchEntity", 404, "Instance Profile ghost cannot be found."},
		{"delete with role", func() error {
			return call(c.DeleteInstanceProfile(ctx, &iam.DeleteInstanceProfileInput{InstanceProfileName: aws.String("web")}))
		}, "DeleteConflict", 409, "Cannot delete entity, must remove roles from instance profile first."},
		{"second role", func() error {
			return call(c.AddRoleToInstanceProfile(ctx, &iam.AddRoleToInstanceProfileInput{InstanceProfileName: aws.String("web"), RoleName: aws.String("other-role")}))
		}, "LimitExceeded", 409, "Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1"},
		{"same role twice", func() error {
			return call(c.AddRoleToInstanceProfile(ctx, &iam.AddRoleToInstanceProfileInput{InstanceProfileName: aws.String("web"), RoleName: aws.String("web-role")}))
		}, "LimitExceeded", 409, "Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1"},
		{"add missing role", func() error {
			return call(c.AddRoleToInstanceProfile(ctx, &iam.AddRoleToInstanceProfileInput{InstanceProfileName: aws.String("ip0"), RoleName: aws.String("ghost")}))
		}, "NoSuchEntity", 404, "The role with name ghost cannot be found."},
		{"add to missing profile", func() error {
			return call(c.AddRoleToInstanceProfile(ctx, &iam.AddRoleToInstanceProfileInput{InstanceProfileName: aws.String("ghost"), RoleName: aws.String("web-role")}))
		}, "NoSuchEntity", 404, "Instance Profile ghost cannot be found."},
		{"remove role not in profile", func() error {
			return call(c.RemoveRoleFromInstanceProfile(ctx, &iam.RemoveRoleFromInstanceProfileInput{InstanceProfileName: aws.String("ip0"), RoleName: aws.String("other-role")}))
		}, "NoSuchEntity", 404, "Role other-role in Instance Profile ip0 cannot be found."},
		{"remove from missing profile", func() error {
			return call(c.RemoveRoleFromInstanceProfile(ctx, &iam.RemoveRoleFromInstanceProfileInput{InstanceProfileName: aws.String("ghost"), RoleName: aws.String("web-role")}))
		}, "NoSuchEntity", 404, "Instance Profile ghost cannot be found."},
		{"profiles for missing role", func() error {
			return call(c.ListInstanceProfilesForRole(ctx, &iam.ListInstanceProfilesForRoleInput{RoleName: aws.String("ghost")}))
		}, "NoSuchEntity", 404, "The role with name ghost cannot be found."},
		{"tag missing", func() error {
			return call(c.TagInstanceProfile(ctx, &iam.TagInstanceProfileInput{InstanceProfileName: aws.String("ghost"), Tags: tags("a", "b")}))
		}, "NoSuchEntity", 404, "Instance Profile ghost cannot be found."},
		{"untag missing", func() error {
			return call(c.UntagInstanceProfile(ctx, &iam.UntagInstanceProfileInput{InstanceProfileName: aws.String("ghost"), TagKeys: []string{"a"}}))
		}, "NoSuchEntity", 404, "Instance Profile ghost cannot be found."},
		{"list tags missing", func() error {
			return call(c.ListInstanceProfileTags(ctx, &iam.ListInstanceProfileTagsInput{InstanceProfileName: aws.String("ghost")}))
		}, "NoSuchEntity", 404, "Instance Profile ghost cannot be found."},
		{"tag duplicate keys", func() error {
			return call(c.TagInstanceProfile(ctx, &iam.TagInstanceProfileInput{InstanceProfileName: aws.String("web"), Tags: tags("a", "1", "A", "2")}))
		}, "InvalidInput", 400, "Duplicate tag keys found. Please note that Tag keys are case insensitive."},
	})

	// Taken out of its profiles, the role and the profile delete; deleting a role removes it from listings.
	must[*iam.RemoveRoleFromInstanceProfileOutput](t, "RemoveRoleFromInstanceProfile")(c.RemoveRoleFromInstanceProfile(ctx, &iam.RemoveRoleFromInstanceProfileInput{InstanceProfileName: aws.String("web"), RoleName: aws.String("web-role")}))
	if g := must[*iam.GetInstanceProfileOutput](t, "GetInstanceProfile")(c.GetInstanceProfile(ctx, &iam.GetInstanceProfileInput{InstanceProfileName: aws.String("web")})).InstanceProfile; len(g.Roles) != 0 {
		t.Fatalf("role still in profile: %+v", g.Roles)
	}
	must[*iam.DeleteInstanceProfileOutput](t, "DeleteInstanceProfile")(c.DeleteInstanceProfile(ctx, &iam.DeleteInstanceProfileInput{InstanceProfileName: aws.String("web")}))
	wantError(t, "GetInstanceProfile deleted", call(c.GetInstanceProfile(ctx, &iam.GetInstanceProfileInput{InstanceProfileName: aws.String("web")})),
		"NoSuchEntity", 404, "Instance Profile web cannot be found.")
}
