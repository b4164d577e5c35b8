package iam

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/iamd/iamd/internal/api/iamapi"
	"github.com/iamd/iamd/internal/storage"
)

func createUser(t *testing.T, f *fixture, ctx context.Context, name, path string) *iamapi.User {
	t.Helper()
	out := must(f.svc.CreateUser(ctx, &iamapi.CreateUserRequest{UserName: ptr(name), Path: optional(path)}))(t)
	return out.User
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func TestCreateGetUser(t *testing.T) {
	f := newFixture(t)
	ctx := f.root()
	u := must(f.svc.CreateUser(ctx, &iamapi.CreateUserRequest{
		UserName: ptr("Alice"), Path: ptr("/eng/"),
		Tags: []iamapi.Tag{{Key: ptr("team"), Value: ptr("core")}},
	}))(t).User
	if str(u.Arn) != "arn:aws:iam::123456789012:user/eng/Alice" || str(u.Path) != "/eng/" || str(u.UserName) != "Alice" {
		t.Errorf("created %+v", u)
	}
	if id := str(u.UserId); len(id) != 21 || id[:4] != "AIDA" {
		t.Errorf("UserId %q", id)
	}
	if !u.CreateDate.Equal(f.now) || len(u.Tags) != 1 || u.PasswordLastUsed != nil {
		t.Errorf("created %+v", u)
	}

	// Names are unique case-insensitively; the message names the requested spelling.
	_, err := f.svc.CreateUser(ctx, &iamapi.CreateUserRequest{UserName: ptr("ALICE")})
	assertAPIError(t, err, "EntityAlreadyExists", 409, "User with name ALICE already exists.")
	_, err = f.svc.CreateUser(ctx, &iamapi.CreateUserRequest{UserName: ptr("dup"),
		Tags: []iamapi.Tag{{Key: ptr("k"), Value: ptr("1")}, {Key: ptr("K"), Value: ptr("2")}}})
	assertAPIError(t, err, "InvalidInput", 400, "Duplicate tag keys found. Please note that Tag keys are case insensitive.")

	got := must(f.svc.GetUser(ctx, &iamapi.GetUserRequest{UserName: ptr("alice")}))(t).User
	if str(got.UserName) != "Alice" || str(got.UserId) != str(u.UserId) || len(got.Tags) != 1 {
		t.Errorf("GetUser = %+v", got)
	}
	_, err = f.svc.GetUser(ctx, &iamapi.GetUserRequest{UserName: ptr("bob")})
	assertAPIError(t, err, "NoSuchEntity", 404, "The user with name bob cannot be found.")

	// Another account does not see the user.
	_, err = f.svc.GetUser(rootOf(otherTestAccount), &iamapi.GetUserRequest{UserName: ptr("Alice")})
	assertAPIError(t, err, "NoSuchEntity", 404, "The user with name Alice cannot be found.")
	createUser(t, f, rootOf(otherTestAccount), "alice", "")
}

func TestGetUserCaller(t *testing.T) {
	f := newFixture(t)
	root := must(f.svc.GetUser(f.root(), &iamapi.GetUserRequest{}))(t).User
	if str(root.UserId) != testAccount || str(root.Arn) != "arn:aws:iam::123456789012:root" || root.UserName != nil || root.CreateDate == nil {
		t.Errorf("root GetUser = %+v", root)
	}
	createUser(t, f, f.root(), "carol", "/x/")
	me := must(f.svc.GetUser(f.asUser("carol"), &iamapi.GetUserRequest{}))(t).User
	if str(me.UserName) != "carol" || str(me.Arn) != "arn:aws:iam::123456789012:user/x/carol" {
		t.Errorf("user GetUser = %+v", me)
	}
	_, err := f.svc.GetUser(f.asRole(), &iamapi.GetUserRequest{})
	assertAPIError(t, err, "ValidationError", 400, "Must specify userName when calling with non-User credentials")
	_, err = f.svc.GetUser(context.Background(), &iamapi.GetUserRequest{})
	assertAPIError(t, err, "ServiceFailure", 500, "Request has no authenticated caller.")
}

func TestUpdateUser(t *testing.T) {
	f := newFixture(t)
	ctx := f.root()
	createUser(t, f, ctx, "dave", "")
	createUser(t, f, ctx, "erin", "")
	must(f.svc.CreateGroup(ctx, &iamapi.CreateGroupRequest{GroupName: ptr("g")}))(t)
	must(f.svc.AddUserToGroup(ctx, &iamapi.AddUserToGroupRequest{GroupName: ptr("g"), UserName: ptr("dave")}))(t)

	must(f.svc.UpdateUser(ctx, &iamapi.UpdateUserRequest{UserName: ptr("dave"), NewUserName: ptr("David"), NewPath: ptr("/ops/")}))(t)
	got := must(f.svc.GetUser(ctx, &iamapi.GetUserRequest{UserName: ptr("david")}))(t).User
	if str(got.UserName) != "David" || str(got.Path) != "/ops/" {
		t.Errorf("after update %+v", got)
	}
	// Memberships follow the rename.
	members := must(f.svc.GetGroup(ctx, &iamapi.GetGroupRequest{GroupName: ptr("g")}))(t).Users
	if len(members) != 1 || str(members[0].UserName) != "David" {
		t.Errorf("group members after rename: %+v", members)
	}
	_, err := f.svc.UpdateUser(ctx, &iamapi.UpdateUserRequest{UserName: ptr("David"), NewUserName: ptr("ERIN")})
	assertAPIError(t, err, "EntityAlreadyExists", 409, "User with name ERIN already exists.")
	_, err = f.svc.UpdateUser(ctx, &iamapi.UpdateUserRequest{UserName: ptr("dave"), NewPath: ptr("/")})
	assertAPIError(t, err, "NoSuchEntity", 404, "The user with name dave cannot be found.")
	// Changing only the case of a name is allowed.
	must(f.svc.UpdateUser(ctx, &iamapi.UpdateUserRequest{UserName: ptr("erin"), NewUserName: ptr("Erin")}))(t)
}

func TestListUsers(t *testing.T) {
	f := newFixture(t)
	ctx := f.root()
	names := []string{"b", "A", "d", "C", "e"}
	for _, n := range names {
		path := "/team/"
		if n == "e" {
			path = "/other/"
		}
		createUser(t, f, ctx, n, path)
	}
	var walked []string
	var marker *string
	pages := 0
	for {
		out := must(f.svc.ListUsers(ctx, &iamapi.ListUsersRequest{PathPrefix: ptr("/team/"), MaxItems: ptr(int32(2)), Marker: marker}))(t)
		pages++
		for _, u := range out.Users {
			walked = append(walked, str(u.UserName))
			if u.Tags != nil {
				t.Error("ListUsers returned tags")
			}
		}
		if !*out.IsTruncated {
			if out.Marker != nil {
				t.Error("marker on last page")
			}
			break
		}
		marker = out.Marker
	}
	if fmt.Sprint(walked) != "[A b C d]" || pages != 2 {
		t.Errorf("walk %v in %d pages", walked, pages)
	}
	all := must(f.svc.ListUsers(ctx, &iamapi.ListUsersRequest{}))(t)
	if len(all.Users) != 5 || *all.IsTruncated {
		t.Errorf("ListUsers all: %d users", len(all.Users))
	}
	_, err := f.svc.ListUsers(ctx, &iamapi.ListUsersRequest{Marker: ptr("!!")})
	assertAPIError(t, err, "InvalidInput", 400, "Invalid Marker.")
}

func TestUserTags(t *testing.T) {
	f := newFixture(t)
	ctx := f.root()
	createUser(t, f, ctx, "tagged", "")
	must(f.svc.TagUser(ctx, &iamapi.TagUserRequest{UserName: ptr("tagged"), Tags: []iamapi.Tag{
		{Key: ptr("a"), Value: ptr("1")}, {Key: ptr("b"), Value: ptr("2")}, {Key: ptr("c"), Value: ptr("3")}}}))(t)
	must(f.svc.TagUser(ctx, &iamapi.TagUserRequest{UserName: ptr("tagged"), Tags: []iamapi.Tag{{Key: ptr("B"), Value: ptr("two")}}}))(t)
	must(f.svc.UntagUser(ctx, &iamapi.UntagUserRequest{UserName: ptr("tagged"), TagKeys: []string{"a", "zz"}}))(t)
	page1 := must(f.svc.ListUserTags(ctx, &iamapi.ListUserTagsRequest{UserName: ptr("tagged"), MaxItems: ptr(int32(1))}))(t)
	if len(page1.Tags) != 1 || str(page1.Tags[0].Key) != "B" || str(page1.Tags[0].Value) != "two" || !*page1.IsTruncated {
		t.Fatalf("page 1: %+v", page1)
	}
	page2 := must(f.svc.ListUserTags(ctx, &iamapi.ListUserTagsRequest{UserName: ptr("tagged"), Marker: page1.Marker}))(t)
	if len(page2.Tags) != 1 || str(page2.Tags[0].Key) != "c" || *page2.IsTruncated {
		t.Fatalf("page 2: %+v", page2)
	}
	_, err := f.svc.TagUser(ctx, &iamapi.TagUserRequest{UserName: ptr("nobody"), Tags: []iamapi.Tag{{Key: ptr("a"), Value: ptr("")}}})
	assertAPIError(t, err, "NoSuchEntity", 404, "The user with name nobody cannot be found.")
	_, err = f.svc.ListUserTags(ctx, &iamapi.ListUserTagsRequest{UserName: ptr("nobody")})
	assertAPIError(t, err, "NoSuchEntity", 404, "The user with name nobody cannot be found.")
	empty := must(f.svc.ListUserTags(ctx, &iamapi.ListUserTagsRequest{UserName: ptr("tagged"), Marker: page2.Marker}))(t)
	_ = empty
	many := make([]iamapi.Tag, 49)
	for i := range many {
		many[i] = iamapi.Tag{Key: ptr(fmt.Sprintf("k%02d", i)), Value: ptr("")}
	}
	_, err = f.svc.TagUser(ctx, &iamapi.TagUserRequest{UserName: ptr("tagged"), Tags: many})
	assertAPIError(t, err, "LimitExceeded", 409, "Cannot exceed quota for TagsPerUser: 50")
}

func TestUserPermissionsBoundary(t *testing.T) {
	f := newFixture(t)
	ctx := f.root()
	const awsPolicy = "arn:aws:iam::aws:policy/ReadOnlyAccess"
	u := must(f.svc.CreateUser(ctx, &iamapi.CreateUserRequest{UserName: ptr("bounded"), PermissionsBoundary: ptr(awsPolicy)}))(t).User
	if u.PermissionsBoundary == nil || str(u.PermissionsBoundary.PermissionsBoundaryArn) != awsPolicy ||
		str(u.PermissionsBoundary.PermissionsBoundaryType) != "PermissionsBoundaryPolicy" {
		t.Fatalf("boundary %+v", u.PermissionsBoundary)
	}
	missing := "arn:aws:iam::123456789012:policy/nope"
	_, err := f.svc.PutUserPermissionsBoundary(ctx, &iamapi.PutUserPermissionsBoundaryRequest{UserName: ptr("bounded"), PermissionsBoundary: ptr(missing)})
	assertAPIError(t, err, "NoSuchEntity", 404, "Policy "+missing+" does not exist or is not attachable.")
	_, err = f.svc.CreateUser(ctx, &iamapi.CreateUserRequest{UserName: ptr("x"), PermissionsBoundary: ptr("arn:aws:iam::aws:policy/NoSuchAWSPolicy")})
	assertAPIError(t, err, "NoSuchEntity", 404, "Policy arn:aws:iam::aws:policy/NoSuchAWSPolicy does not exist or is not attachable.")
	_, err = f.svc.PutUserPermissionsBoundary(ctx, &iamapi.PutUserPermissionsBoundaryRequest{UserName: ptr("bounded"), PermissionsBoundary: ptr("arn:aws:s3:::bucket")})
	assertAPIError(t, err, "InvalidInput", 400, "ARN arn:aws:s3:::bucket is not valid.")

	// A customer managed policy of the account works (created through the store: policies are F2's part).
	err = f.store.Update(context.Background(), func(tx storage.Tx) error {
		return tx.CreateManagedPolicy(context.Background(), &storage.ManagedPolicy{AccountID: testAccount, Name: "Boundary",
			Path: "/b/", ID: "ANPAAAAAAAAAAAAAAAAAA", DefaultVersionID: "v1", NextVersion: 1, CreatedAt: f.now, UpdatedAt: f.now})
	})
	if err != nil {
		t.Fatal(err)
	}
	custom := "arn:aws:iam::123456789012:policy/b/Boundary"
	must(f.svc.PutUserPermissionsBoundary(ctx, &iamapi.PutUserPermissionsBoundaryRequest{UserName: ptr("bounded"), PermissionsBoundary: ptr(custom)}))(t)
	got := must(f.svc.GetUser(ctx, &iamapi.GetUserRequest{UserName: ptr("bounded")}))(t).User
	if str(got.PermissionsBoundary.PermissionsBoundaryArn) != custom {
		t.Errorf("boundary after put: %+v", got.PermissionsBoundary)
	}
	// Listings leave the boundary out, as AWS documents for ListUsers.
	if listed := must(f.svc.ListUsers(ctx, &iamapi.ListUsersRequest{}))(t).Users; len(listed) != 1 || listed[0].PermissionsBoundary != nil {
		t.Errorf("ListUsers = %+v", listed)
	}
	// Wrong path: not the same policy.
	_, err = f.svc.PutUserPermissionsBoundary(ctx, &iamapi.PutUserPermissionsBoundaryRequest{UserName: ptr("bounded"),
		PermissionsBoundary: ptr("arn:aws:iam::123456789012:policy/Boundary")})
	assertAPIError(t, err, "NoSuchEntity", 404, "Policy arn:aws:iam::123456789012:policy/Boundary does not exist or is not attachable.")
	// Another account's policy cannot be used.
	_, err = f.svc.PutUserPermissionsBoundary(rootOf(otherTestAccount), &iamapi.PutUserPermissionsBoundaryRequest{UserName: ptr("bounded"), PermissionsBoundary: ptr(custom)})
	assertAPIError(t, err, "NoSuchEntity", 404, "The user with name bounded cannot be found.")

	must(f.svc.DeleteUserPermissionsBoundary(ctx, &iamapi.DeleteUserPermissionsBoundaryRequest{UserName: ptr("bounded")}))(t)
	got = must(f.svc.GetUser(ctx, &iamapi.GetUserRequest{UserName: ptr("bounded")}))(t).User
	if got.PermissionsBoundary != nil {
		t.Errorf("boundary after delete: %+v", got.PermissionsBoundary)
	}
	_, err = f.svc.DeleteUserPermissionsBoundary(ctx, &iamapi.DeleteUserPermissionsBoundaryRequest{UserName: ptr("ghost")})
	assertAPIError(t, err, "NoSuchEntity", 404, "The user with name ghost cannot be found.")
}

func TestDeleteUserConflicts(t *testing.T) {
	f := newFixture(t)
	ctx := f.root()
	createUser(t, f, ctx, "victim", "")
	must(f.svc.CreateLoginProfile(ctx, &iamapi.CreateLoginProfileRequest{UserName: ptr("victim"), Password: ptr("Str0ng-Enough!")}))(t)
	key := must(f.svc.CreateAccessKey(ctx, &iamapi.CreateAccessKeyRequest{UserName: ptr("victim")}))(t).AccessKey
	must(f.svc.CreateGroup(ctx, &iamapi.CreateGroupRequest{GroupName: ptr("grp")}))(t)
	must(f.svc.AddUserToGroup(ctx, &iamapi.AddUserToGroupRequest{GroupName: ptr("grp"), UserName: ptr("victim")}))(t)
	err := f.store.Update(context.Background(), func(tx storage.Tx) error {
		return tx.PutInlinePolicy(context.Background(), &storage.InlinePolicy{AccountID: testAccount, OwnerKind: storage.OwnerUser,
			OwnerName: "victim", Name: "p", Document: `{"Version":"2012-10-17","Statement":[]}`})
	})
	if err != nil {
		t.Fatal(err)
	}
	del := func() error {
		_, err := f.svc.DeleteUser(ctx, &iamapi.DeleteUserRequest{UserName: ptr("victim")})
		return err
	}
	assertAPIError(t, del(), "DeleteConflict", 409, "Cannot delete entity, must delete login profile first.")
	must(f.svc.DeleteLoginProfile(ctx, &iamapi.DeleteLoginProfileRequest{UserName: ptr("victim")}))(t)
	assertAPIError(t, del(), "DeleteConflict", 409, "Cannot delete entity, must delete access keys first.")
	must(f.svc.DeleteAccessKey(ctx, &iamapi.DeleteAccessKeyRequest{UserName: ptr("victim"), AccessKeyId: key.AccessKeyId}))(t)
	assertAPIError(t, del(), "DeleteConflict", 409, "Cannot delete entity, must remove user from group first.")
	must(f.svc.RemoveUserFromGroup(ctx, &iamapi.RemoveUserFromGroupRequest{GroupName: ptr("grp"), UserName: ptr("victim")}))(t)
	assertAPIError(t, del(), "DeleteConflict", 409, "Cannot delete entity, must delete policies first.")
	err = f.store.Update(context.Background(), func(tx storage.Tx) error {
		if err := tx.DeleteInlinePolicy(context.Background(), testAccount, storage.OwnerUser, "victim", "p"); err != nil {
			return err
		}
		return tx.AttachPolicy(context.Background(), testAccount, storage.OwnerUser, "victim", "arn:aws:iam::aws:policy/ReadOnlyAccess")
	})
	if err != nil {
		t.Fatal(err)
	}
	assertAPIError(t, del(), "DeleteConflict", 409, "Cannot delete entity, must detach all policies first.")
	err = f.store.Update(context.Background(), func(tx storage.Tx) error {
		return tx.DetachPolicy(context.Background(), testAccount, storage.OwnerUser, "victim", "arn:aws:iam::aws:policy/ReadOnlyAccess")
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := del(); err != nil {
		t.Fatal(err)
	}
	assertAPIError(t, del(), "NoSuchEntity", 404, "The user with name victim cannot be found.")
	c := must(countsOf(f))(t)
	if c.Users != 0 {
		t.Errorf("Users counter = %d after delete", c.Users)
	}
}

func countsOf(f *fixture) (storage.Counts, error) {
	var c storage.Counts
	err := f.store.View(context.Background(), func(tx storage.Tx) error {
		var err error
		c, err = tx.Counts(context.Background(), testAccount)
		return err
	})
	return c, err
}

// MarkerBefore starts a name-ordered list at the first name with a prefix, case-insensitively, skipping
// every name before it (including those one character short of the prefix or just below it).
func TestMarkerBeforeStartsAtPrefix(t *testing.T) {
	f := newFixture(t)
	ctx := f.root()
	for _, n := range []string{"bo", "boa_z", "boa-constrictor", "Bob", "bob2", "Bobby", "boc", "c"} {
		createUser(t, f, ctx, n, "/")
	}
	out := must(f.svc.ListUsers(ctx, &iamapi.ListUsersRequest{Marker: MarkerBefore("BOB"), MaxItems: ptr(int32(3))}))(t)
	var got []string
	for _, u := range out.Users {
		got = append(got, str(u.UserName))
	}
	if fmt.Sprint(got) != "[Bob bob2 Bobby]" || !*out.IsTruncated {
		t.Errorf("from prefix BOB: %v (truncated %v)", got, *out.IsTruncated)
	}
	if MarkerBefore("") != nil {
		t.Error("an empty prefix has a marker")
	}
	// No IAM name holds these characters: the list starts past every name, not with an error.
	for _, p := range []string{"é", "b\xff", "b\x80", "b o"} {
		out, err := f.svc.ListUsers(ctx, &iamapi.ListUsersRequest{Marker: MarkerBefore(p)})
		if err != nil || len(out.Users) != 0 {
			t.Errorf("from prefix %q: %d users, %v", p, len(out.Users), err)
		}
	}
}

// FuzzMarker: pageOf takes any client's marker without panicking and keeps only text keys; every
// MarkerBefore is a marker pageOf takes, whose key sorts below the prefix it starts at.
func FuzzMarker(f *testing.F) {
	for _, s := range []string{"", "Ym9i", "!!", "AA", "Yv5_", "bob", "é", "b\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if p, err := pageOf(&s, nil); err == nil && (!utf8.ValidString(p.after) || strings.IndexByte(p.after, 0) >= 0) {
			t.Fatalf("marker %q kept the key %q", s, p.after)
		}
		m := MarkerBefore(s)
		if m == nil {
			if s != "" {
				t.Fatalf("no marker for %q", s)
			}
			return
		}
		p, err := pageOf(m, nil)
		if err != nil {
			t.Fatalf("MarkerBefore(%q) = %q, refused: %v", s, *m, err)
		}
		if printableASCII(fold(s)) && p.after >= fold(s) {
			t.Fatalf("MarkerBefore(%q) resumes after %q, not below the prefix", s, p.after)
		}
	})
}
