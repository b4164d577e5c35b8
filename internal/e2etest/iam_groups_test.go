package e2etest

import (
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
)

// Groups through the SDK: fields, membership, listings and paging, quotas and every error path.
func TestIAMGroups(t *testing.T) {
	e := newIAMEnv(t)
	c, ctx := e.c, e.ctx

	g := must[*iam.CreateGroupOutput](t, "CreateGroup")(c.CreateGroup(ctx, &iam.CreateGroupInput{
		GroupName: aws.String("Admins"), Path: aws.String("/ops/")})).Group
	checkID(t, "CreateGroup", aws.ToString(g.GroupId), "AGPA")
	checkRecent(t, "CreateGroup", g.CreateDate)
	if aws.ToString(g.Arn) != arn("group/ops/Admins") || aws.ToString(g.Path) != "/ops/" || aws.ToString(g.GroupName) != "Admins" {
		t.Fatalf("CreateGroup: %+v", g)
	}
	for i := range 5 {
		must[*iam.CreateUserOutput](t, "CreateUser")(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(fmt.Sprintf("m%d", i)), Tags: tags("a", "b")}))
		must[*iam.AddUserToGroupOutput](t, "AddUserToGroup")(c.AddUserToGroup(ctx, &iam.AddUserToGroupInput{
			GroupName: aws.String("admins"), UserName: aws.String(fmt.Sprintf("M%d", i))}))
	}
	// Adding a member twice is not an error.
	must[*iam.AddUserToGroupOutput](t, "AddUserToGroup again")(c.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String("Admins"), UserName: aws.String("m0")}))

	t.Run("GetGroup", func(t *testing.T) {
		out := must[*iam.GetGroupOutput](t, "GetGroup")(c.GetGroup(ctx, &iam.GetGroupInput{GroupName: aws.String("Admins")}))
		if aws.ToString(out.Group.GroupId) != aws.ToString(g.GroupId) || len(out.Users) != 5 || out.IsTruncated {
			t.Fatalf("GetGroup: %+v, %d users", out.Group, len(out.Users))
		}
		for _, u := range out.Users {
			if u.Tags != nil || u.PermissionsBoundary != nil {
				t.Fatalf("GetGroup member carries tags or boundary: %+v", u)
			}
			checkID(t, "member", aws.ToString(u.UserId), "AIDA")
		}
		got, pages := walk(t, 2, func(m *string, n int32) ([]string, bool, *string, error) {
			out, err := c.GetGroup(ctx, &iam.GetGroupInput{GroupName: aws.String("Admins"), Marker: m, MaxItems: aws.Int32(n)})
			if err != nil {
				return nil, false, nil, err
			}
			var names []string
			for _, u := range out.Users {
				names = append(names, aws.ToString(u.UserName))
			}
			return names, out.IsTruncated, out.Marker, nil
		})
		if pages != 3 || strings.Join(got, ",") != "m0,m1,m2,m3,m4" {
			t.Fatalf("GetGroup pages: %d %v", pages, got)
		}
	})

	t.Run("ListGroups", func(t *testing.T) {
		for _, n := range []string{"dev", "qa", "sec"} {
			must[*iam.CreateGroupOutput](t, "CreateGroup")(c.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String(n)}))
		}
		all := must[*iam.ListGroupsOutput](t, "ListGroups")(c.ListGroups(ctx, &iam.ListGroupsInput{}))
		if len(all.Groups) != 4 {
			t.Fatalf("ListGroups: %d", len(all.Groups))
		}
		ops := must[*iam.ListGroupsOutput](t, "ListGroups /ops/")(c.ListGroups(ctx, &iam.ListGroupsInput{PathPrefix: aws.String("/ops")}))
		if len(ops.Groups) != 1 || aws.ToString(ops.Groups[0].GroupName) != "Admins" {
			t.Fatalf("ListGroups /ops: %+v", ops.Groups)
		}
		var want []string
		for _, gr := range all.Groups {
			want = append(want, aws.ToString(gr.GroupName))
		}
		got, _ := walk(t, 1, func(m *string, n int32) ([]string, bool, *string, error) {
			out, err := c.ListGroups(ctx, &iam.ListGroupsInput{Marker: m, MaxItems: aws.Int32(n)})
			if err != nil {
				return nil, false, nil, err
			}
			var names []string
			for _, gr := range out.Groups {
				names = append(names, aws.ToString(gr.GroupName))
			}
			return names, out.IsTruncated, out.Marker, nil
		})
		if !equalStrings(got, want) {
			t.Fatalf("ListGroups walk %v, want %v", got, want)
		}
		must[*iam.AddUserToGroupOutput](t, "AddUserToGroup")(c.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String("qa"), UserName: aws.String("m1")}))
		fu := must[*iam.ListGroupsForUserOutput](t, "ListGroupsForUser")(c.ListGroupsForUser(ctx, &iam.ListGroupsForUserInput{UserName: aws.String("m1")}))
		if len(fu.Groups) != 2 || fu.IsTruncated {
			t.Fatalf("ListGroupsForUser: %+v", fu.Groups)
		}
		p1 := must[*iam.ListGroupsForUserOutput](t, "ListGroupsForUser page")(c.ListGroupsForUser(ctx, &iam.ListGroupsForUserInput{UserName: aws.String("m1"), MaxItems: aws.Int32(1)}))
		p2 := must[*iam.ListGroupsForUserOutput](t, "ListGroupsForUser page 2")(c.ListGroupsForUser(ctx, &iam.ListGroupsForUserInput{UserName: aws.String("m1"), Marker: p1.Marker}))
		if !p1.IsTruncated || len(p1.Groups) != 1 || len(p2.Groups) != 1 || p2.IsTruncated || aws.ToString(p1.Groups[0].GroupName) == aws.ToString(p2.Groups[0].GroupName) {
			t.Fatalf("ListGroupsForUser pages: %+v / %+v", p1.Groups, p2.Groups)
		}
		must[*iam.RemoveUserFromGroupOutput](t, "RemoveUserFromGroup")(c.RemoveUserFromGroup(ctx, &iam.RemoveUserFromGroupInput{GroupName: aws.String("QA"), UserName: aws.String("M1")}))
		fu = must[*iam.ListGroupsForUserOutput](t, "ListGroupsForUser")(c.ListGroupsForUser(ctx, &iam.ListGroupsForUserInput{UserName: aws.String("m1")}))
		if len(fu.Groups) != 1 || aws.ToString(fu.Groups[0].GroupName) != "Admins" {
			t.Fatalf("after remove: %+v", fu.Groups)
		}
	})

	t.Run("UpdateGroup", func(t *testing.T) {
		must[*iam.UpdateGroupOutput](t, "UpdateGroup")(c.UpdateGroup(ctx, &iam.UpdateGroupInput{GroupName: aws.String("sec"),
			NewGroupName: aws.String("security"), NewPath: aws.String("/x/y/")}))
		out := must[*iam.GetGroupOutput](t, "GetGroup")(c.GetGroup(ctx, &iam.GetGroupInput{GroupName: aws.String("security")}))
		if aws.ToString(out.Group.Arn) != arn("group/x/y/security") {
			t.Fatalf("renamed group: %+v", out.Group)
		}
		// Membership follows a rename.
		fu := must[*iam.ListGroupsForUserOutput](t, "ListGroupsForUser")(c.ListGroupsForUser(ctx, &iam.ListGroupsForUserInput{UserName: aws.String("m0")}))
		must[*iam.UpdateGroupOutput](t, "UpdateGroup Admins")(c.UpdateGroup(ctx, &iam.UpdateGroupInput{GroupName: aws.String("Admins"), NewGroupName: aws.String("Administrators")}))
		fu = must[*iam.ListGroupsForUserOutput](t, "ListGroupsForUser")(c.ListGroupsForUser(ctx, &iam.ListGroupsForUserInput{UserName: aws.String("m0")}))
		if len(fu.Groups) != 1 || aws.ToString(fu.Groups[0].GroupName) != "Administrators" {
			t.Fatalf("membership after rename: %+v", fu.Groups)
		}
	})

	// Groups per user quota: 10.
	must[*iam.CreateUserOutput](t, "CreateUser joiner")(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("joiner")}))
	for i := range 10 {
		n := fmt.Sprintf("q%02d", i)
		must[*iam.CreateGroupOutput](t, "CreateGroup")(c.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String(n)}))
		must[*iam.AddUserToGroupOutput](t, "AddUserToGroup")(c.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String(n), UserName: aws.String("joiner")}))
	}
	must[*iam.CreateGroupOutput](t, "CreateGroup inl")(c.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("inl")}))
	must[*iam.PutGroupPolicyOutput](t, "PutGroupPolicy")(c.PutGroupPolicy(ctx, &iam.PutGroupPolicyInput{GroupName: aws.String("inl"), PolicyName: aws.String("p"), PolicyDocument: aws.String(docAllow("s3:*", "*"))}))
	must[*iam.CreateGroupOutput](t, "CreateGroup att")(c.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("att")}))
	must[*iam.AttachGroupPolicyOutput](t, "AttachGroupPolicy")(c.AttachGroupPolicy(ctx, &iam.AttachGroupPolicyInput{GroupName: aws.String("att"), PolicyArn: aws.String("arn:aws:iam::aws:policy/ReadOnlyAccess")}))

	long := strings.Repeat("g", 129)
	runErrCases(t, []errCase{
		{"create duplicate other case", func() error { return call(c.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("DEV")})) },
			"EntityAlreadyExists", 409, "Group with name DEV already exists."},
		{"create name too long", func() error { return call(c.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String(long)})) },
			"ValidationError", 400, validation(long, "groupName", "Member must have length less than or equal to 128")},
		{"create bad path", func() error {
			return call(c.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("pp"), Path: aws.String("/no-end")}))
		}, "ValidationError", 400, ""},
		{"get missing", func() error { return call(c.GetGroup(ctx, &iam.GetGroupInput{GroupName: aws.String("ghost")})) },
			"NoSuchEntity", 404, "The group with name ghost cannot be found."},
		{"update missing", func() error {
			return call(c.UpdateGroup(ctx, &iam.UpdateGroupInput{GroupName: aws.String("ghost"), NewGroupName: aws.String("x")}))
		}, "NoSuchEntity", 404, "The group with name ghost cannot be found."},
		{"update onto existing", func() error {
			return call(c.UpdateGroup(ctx, &iam.UpdateGroupInput{GroupName: aws.String("dev"), NewGroupName: aws.String("Qa")}))
		}, "EntityAlreadyExists", 409, "Group with name Qa already exists."},
		{"delete missing", func() error { return call(c.DeleteGroup(ctx, &iam.DeleteGroupInput{GroupName: aws.String("ghost")})) },
			"NoSuchEntity", 404, "The group with name ghost cannot be found."},
		{"delete with members", func() error {
			return call(c.DeleteGroup(ctx, &iam.DeleteGroupInput{GroupName: aws.String("Administrators")}))
		},
			"DeleteConflict", 409, "Cannot delete entity, must remove users from group first."},
		{"delete with inline policy", func() error { return call(c.DeleteGroup(ctx, &iam.DeleteGroupInput{GroupName: aws.String("inl")})) },
			"DeleteConflict", 409, "Cannot delete entity, must delete policies first."},
		{"delete with attached policy", func() error { return call(c.DeleteGroup(ctx, &iam.DeleteGroupInput{GroupName: aws.String("att")})) },
			"DeleteConflict", 409, "Cannot delete entity, must detach all policies first."},
		{"add missing user", func() error {
			return call(c.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String("dev"), UserName: aws.String("ghost")}))
		}, "NoSuchEntity", 404, "The user with name ghost cannot be found."},
		{"add to missing group", func() error {
			return call(c.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String("ghost"), UserName: aws.String("m0")}))
		}, "NoSuchEntity", 404, "The group with name ghost cannot be found."},
		{"add 11th group", func() error {
			return call(c.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String("dev"), UserName: aws.String("joiner")}))
		}, "LimitExceeded", 409, "Cannot exceed quota for GroupsPerUser: 10"},
		{"remove non-member", func() error {
			return call(c.RemoveUserFromGroup(ctx, &iam.RemoveUserFromGroupInput{GroupName: aws.String("dev"), UserName: aws.String("m2")}))
		}, "NoSuchEntity", 404, "User m2 not in group dev"},
		{"remove missing user from missing group", func() error {
			return call(c.RemoveUserFromGroup(ctx, &iam.RemoveUserFromGroupInput{GroupName: aws.String("ghost"), UserName: aws.String("ghost")}))
		}, "NoSuchEntity", 404, "The user with name ghost cannot be found."},
		{"remove from missing group", func() error {
			return call(c.RemoveUserFromGroup(ctx, &iam.RemoveUserFromGroupInput{GroupName: aws.String("ghost"), UserName: aws.String("m2")}))
		}, "NoSuchEntity", 404, "The group with name ghost cannot be found."},
		{"groups for missing user", func() error {
			return call(c.ListGroupsForUser(ctx, &iam.ListGroupsForUserInput{UserName: aws.String("ghost")}))
		}, "NoSuchEntity", 404, "The user with name ghost cannot be found."},
		{"get bad marker", func() error {
			return call(c.GetGroup(ctx, &iam.GetGroupInput{GroupName: aws.String("dev"), Marker: aws.String("%%%")}))
		}, "InvalidInput", 400, "Invalid Marker."},
	})

	// Emptied, the group deletes; its former members no longer list it.
	for i := range 5 {
		must[*iam.RemoveUserFromGroupOutput](t, "RemoveUserFromGroup")(c.RemoveUserFromGroup(ctx, &iam.RemoveUserFromGroupInput{GroupName: aws.String("Administrators"), UserName: aws.String(fmt.Sprintf("m%d", i))}))
	}
	must[*iam.DeleteGroupOutput](t, "DeleteGroup")(c.DeleteGroup(ctx, &iam.DeleteGroupInput{GroupName: aws.String("administrators")}))
	fu := must[*iam.ListGroupsForUserOutput](t, "ListGroupsForUser")(c.ListGroupsForUser(ctx, &iam.ListGroupsForUserInput{UserName: aws.String("m0")}))
	if len(fu.Groups) != 0 {
		t.Fatalf("deleted group still listed: %+v", fu.Groups)
	}
}
