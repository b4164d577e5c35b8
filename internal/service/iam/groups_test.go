package iam

import (
	"fmt"
	"testing"

	"github.com/iamd/iamd/internal/api/iamapi"
)

func TestGroups(t *testing.T) {
	f := newFixture(t)
	ctx := f.root()
	g := must(f.svc.CreateGroup(ctx, &iamapi.CreateGroupRequest{GroupName: ptr("Admins"), Path: ptr("/corp/")}))(t).Group
	if str(g.Arn) != "arn:aws:iam::123456789012:group/corp/Admins" || str(g.GroupId)[:4] != "AGPA" || !g.CreateDate.Equal(f.now) {
		t.Errorf("CreateGroup = %+v", g)
	}
	_, err := f.svc.CreateGroup(ctx, &iamapi.CreateGroupRequest{GroupName: ptr("admins")})
	assertAPIError(t, err, "EntityAlreadyExists", 409, "Group with name admins already exists.")
	_, err = f.svc.GetGroup(ctx, &iamapi.GetGroupRequest{GroupName: ptr("nope")})
	assertAPIError(t, err, "NoSuchEntity", 404, "The group with name nope cannot be found.")

	for _, u := range []string{"u3", "u1", "u2"} {
		createUser(t, f, ctx, u, "")
		must(f.svc.AddUserToGroup(ctx, &iamapi.AddUserToGroupRequest{GroupName: ptr("admins"), UserName: ptr(u)}))(t)
	}
	// Adding a member again succeeds and changes nothing.
	must(f.svc.AddUserToGroup(ctx, &iamapi.AddUserToGroupRequest{GroupName: ptr("Admins"), UserName: ptr("U1")}))(t)
	_, err = f.svc.AddUserToGroup(ctx, &iamapi.AddUserToGroupRequest{GroupName: ptr("Admins"), UserName: ptr("ghost")})
	assertAPIError(t, err, "NoSuchEntity", 404, "The user with name ghost cannot be found.")
	_, err = f.svc.AddUserToGroup(ctx, &iamapi.AddUserToGroupRequest{GroupName: ptr("ghosts"), UserName: ptr("u1")})
	assertAPIError(t, err, "NoSuchEntity", 404, "The group with name ghosts cannot be found.")

	p1 := must(f.svc.GetGroup(ctx, &iamapi.GetGroupRequest{GroupName: ptr("admins"), MaxItems: ptr(int32(2))}))(t)
	if str(p1.Group.GroupName) != "Admins" || len(p1.Users) != 2 || !*p1.IsTruncated || str(p1.Users[0].UserName) != "u1" {
		t.Fatalf("GetGroup page 1: %+v", p1)
	}
	p2 := must(f.svc.GetGroup(ctx, &iamapi.GetGroupRequest{GroupName: ptr("admins"), Marker: p1.Marker}))(t)
	if len(p2.Users) != 1 || str(p2.Users[0].UserName) != "u3" || *p2.IsTruncated {
		t.Fatalf("GetGroup page 2: %+v", p2)
	}

	_, err = f.svc.DeleteGroup(ctx, &iamapi.DeleteGroupRequest{GroupName: ptr("admins")})
	assertAPIError(t, err, "DeleteConflict", 409, "Cannot delete entity, must remove users from group first.")

	must(f.svc.UpdateGroup(ctx, &iamapi.UpdateGroupRequest{GroupName: ptr("admins"), NewGroupName: ptr("Operators"), NewPath: ptr("/")}))(t)
	gs := must(f.svc.ListGroupsForUser(ctx, &iamapi.ListGroupsForUserRequest{UserName: ptr("u2")}))(t).Groups
	if len(gs) != 1 || str(gs[0].GroupName) != "Operators" || str(gs[0].Arn) != "arn:aws:iam::123456789012:group/Operators" {
		t.Errorf("ListGroupsForUser after rename: %+v", gs)
	}
	must(f.svc.CreateGroup(ctx, &iamapi.CreateGroupRequest{GroupName: ptr("other")}))(t)
	_, err = f.svc.UpdateGroup(ctx, &iamapi.UpdateGroupRequest{GroupName: ptr("operators"), NewGroupName: ptr("OTHER")})
	assertAPIError(t, err, "EntityAlreadyExists", 409, "Group with name OTHER already exists.")
	_, err = f.svc.UpdateGroup(ctx, &iamapi.UpdateGroupRequest{GroupName: ptr("admins"), NewPath: ptr("/x/")})
	assertAPIError(t, err, "NoSuchEntity", 404, "The group with name admins cannot be found.")
	_, err = f.svc.ListGroupsForUser(ctx, &iamapi.ListGroupsForUserRequest{UserName: ptr("ghost")})
	assertAPIError(t, err, "NoSuchEntity", 404, "The user with name ghost cannot be found.")

	_, err = f.svc.RemoveUserFromGroup(ctx, &iamapi.RemoveUserFromGroupRequest{GroupName: ptr("other"), UserName: ptr("u1")})
	assertAPIError(t, err, "NoSuchEntity", 404, "User u1 not in group other")
	_, err = f.svc.RemoveUserFromGroup(ctx, &iamapi.RemoveUserFromGroupRequest{GroupName: ptr("ghosts"), UserName: ptr("nobody")})
	assertAPIError(t, err, "NoSuchEntity", 404, "The user with name nobody cannot be found.")
	_, err = f.svc.RemoveUserFromGroup(ctx, &iamapi.RemoveUserFromGroupRequest{GroupName: ptr("ghosts"), UserName: ptr("u1")})
	assertAPIError(t, err, "NoSuchEntity", 404, "The group with name ghosts cannot be found.")
	for _, u := range []string{"u1", "u2", "u3"} {
		must(f.svc.RemoveUserFromGroup(ctx, &iamapi.RemoveUserFromGroupRequest{GroupName: ptr("operators"), UserName: ptr(u)}))(t)
	}
	must(f.svc.DeleteGroup(ctx, &iamapi.DeleteGroupRequest{GroupName: ptr("operators")}))(t)
	_, err = f.svc.DeleteGroup(ctx, &iamapi.DeleteGroupRequest{GroupName: ptr("operators")})
	assertAPIError(t, err, "NoSuchEntity", 404, "The group with name operators cannot be found.")

	list := must(f.svc.ListGroups(ctx, &iamapi.ListGroupsRequest{}))(t)
	if len(list.Groups) != 1 || str(list.Groups[0].GroupName) != "other" || *list.IsTruncated {
		t.Errorf("ListGroups = %+v", list)
	}
	if c := must(countsOf(f))(t); c.Groups != 1 {
		t.Errorf("Groups counter = %d", c.Groups)
	}
}

func TestGroupsPerUserQuota(t *testing.T) {
	f := newFixture(t)
	ctx := f.root()
	createUser(t, f, ctx, "joiner", "")
	for i := range maxGroupsPerUser + 1 {
		name := fmt.Sprintf("g%02d", i)
		must(f.svc.CreateGroup(ctx, &iamapi.CreateGroupRequest{GroupName: ptr(name), Path: ptr("/q/")}))(t)
		_, err := f.svc.AddUserToGroup(ctx, &iamapi.AddUserToGroupRequest{GroupName: ptr(name), UserName: ptr("joiner")})
		if i < maxGroupsPerUser {
			if err != nil {
				t.Fatalf("group %d: %v", i, err)
			}
			continue
		}
		assertAPIError(t, err, "LimitExceeded", 409, "Cannot exceed quota for GroupsPerUser: 10")
	}
	// Re-adding to a group the user is already in still succeeds at the quota.
	must(f.svc.AddUserToGroup(ctx, &iamapi.AddUserToGroupRequest{GroupName: ptr("g00"), UserName: ptr("joiner")}))(t)
	page := must(f.svc.ListGroups(ctx, &iamapi.ListGroupsRequest{PathPrefix: ptr("/q/"), MaxItems: ptr(int32(10))}))(t)
	if len(page.Groups) != 10 || !*page.IsTruncated {
		t.Errorf("ListGroups page: %d, truncated %v", len(page.Groups), *page.IsTruncated)
	}
	rest := must(f.svc.ListGroups(ctx, &iamapi.ListGroupsRequest{PathPrefix: ptr("/q/"), Marker: page.Marker}))(t)
	if len(rest.Groups) != 1 || str(rest.Groups[0].GroupName) != "g10" {
		t.Errorf("ListGroups rest: %+v", rest.Groups)
	}
	_, err := f.svc.DeleteUser(ctx, &iamapi.DeleteUserRequest{UserName: ptr("joiner")})
	assertAPIError(t, err, "DeleteConflict", 409, "Cannot delete entity, must remove user from group first.")
}
