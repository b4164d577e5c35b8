package e2etest

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
)

// Users through the SDK: what Create/Get/List/Update return, tags, permissions boundaries, and every
// error path with AWS's code, status and message.
func TestIAMUsers(t *testing.T) {
	e := newIAMEnv(t)
	c, ctx := e.c, e.ctx
	boundary := "arn:aws:iam::aws:policy/ReadOnlyAccess"

	cu := must[*iam.CreateUserOutput](t, "CreateUser")(c.CreateUser(ctx, &iam.CreateUserInput{
		UserName: aws.String("alice"), Path: aws.String("/eng/dev/"), Tags: tags("team", "core", "Env", ""),
		PermissionsBoundary: aws.String(boundary)}))
	u := cu.User
	checkID(t, "CreateUser", aws.ToString(u.UserId), "AIDA")
	checkRecent(t, "CreateUser", u.CreateDate)
	if aws.ToString(u.Arn) != arn("user/eng/dev/alice") || aws.ToString(u.Path) != "/eng/dev/" || aws.ToString(u.UserName) != "alice" {
		t.Fatalf("CreateUser: %+v", u)
	}
	if u.PermissionsBoundary == nil || aws.ToString(u.PermissionsBoundary.PermissionsBoundaryArn) != boundary ||
		u.PermissionsBoundary.PermissionsBoundaryType != iamtypes.PermissionsBoundaryAttachmentTypePolicy {
		t.Fatalf("CreateUser boundary: %+v", u.PermissionsBoundary)
	}
	if m := tagMap(u.Tags); len(m) != 2 || m["team"] != "core" || m["Env"] != "" {
		t.Fatalf("CreateUser tags: %v", m)
	}
	if u.PasswordLastUsed != nil {
		t.Fatal("a new user has no PasswordLastUsed")
	}

	t.Run("GetUser", func(t *testing.T) {
		g := must[*iam.GetUserOutput](t, "GetUser")(c.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("alice")})).User
		if aws.ToString(g.UserId) != aws.ToString(u.UserId) || aws.ToString(g.Arn) != aws.ToString(u.Arn) ||
			!g.CreateDate.Equal(*u.CreateDate) || g.PermissionsBoundary == nil || len(g.Tags) != 2 {
			t.Fatalf("GetUser: %+v", g)
		}
		// Names are case-insensitive for lookups too; the stored spelling comes back.
		g = must[*iam.GetUserOutput](t, "GetUser ALICE")(c.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("ALICE")})).User
		if aws.ToString(g.UserName) != "alice" {
			t.Fatalf("GetUser ALICE: %+v", g)
		}
		// Root without a name: the account's root user, no name or path.
		r := must[*iam.GetUserOutput](t, "GetUser root")(c.GetUser(ctx, &iam.GetUserInput{})).User
		if aws.ToString(r.Arn) != arn("root") || aws.ToString(r.UserId) != AccountID || r.UserName != nil || r.Path != nil || r.CreateDate == nil {
			t.Fatalf("GetUser root: %+v", r)
		}
		// A user's own credentials without a name: that user.
		creds := newUser(t, e.s, RootCreds(), "selfie")
		allow(t, e.s, RootCreds(), "selfie", "iam:GetUser", "*")
		me := must[*iam.GetUserOutput](t, "GetUser self")(e.s.IAM(creds).GetUser(ctx, &iam.GetUserInput{})).User
		if aws.ToString(me.UserName) != "selfie" || aws.ToString(me.Arn) != arn("user/selfie") {
			t.Fatalf("GetUser self: %+v", me)
		}
	})

	t.Run("ListUsers", func(t *testing.T) {
		for i := range 7 {
			must[*iam.CreateUserOutput](t, "CreateUser")(c.CreateUser(ctx, &iam.CreateUserInput{
				UserName: aws.String(fmt.Sprintf("lu%02d", i)), Path: aws.String("/list/"), Tags: tags("k", "v")}))
		}
		all := must[*iam.ListUsersOutput](t, "ListUsers")(c.ListUsers(ctx, &iam.ListUsersInput{PathPrefix: aws.String("/list/")}))
		if len(all.Users) != 7 || all.IsTruncated || all.Marker != nil {
			t.Fatalf("ListUsers /list/: %d users, truncated %v", len(all.Users), all.IsTruncated)
		}
		var want []string
		for _, lu := range all.Users {
			// Listings leave out Tags and PermissionsBoundary, as AWS documents.
			if lu.Tags != nil || lu.PermissionsBoundary != nil {
				t.Fatalf("ListUsers returned tags or boundary: %+v", lu)
			}
			checkID(t, "ListUsers", aws.ToString(lu.UserId), "AIDA")
			want = append(want, aws.ToString(lu.UserName))
		}
		got, pages := walk(t, 3, func(m *string, n int32) ([]string, bool, *string, error) {
			out, err := c.ListUsers(ctx, &iam.ListUsersInput{PathPrefix: aws.String("/list/"), Marker: m, MaxItems: aws.Int32(n)})
			if err != nil {
				return nil, false, nil, err
			}
			var names []string
			for _, lu := range out.Users {
				names = append(names, aws.ToString(lu.UserName))
			}
			return names, out.IsTruncated, out.Marker, nil
		})
		if pages != 3 || !equalStrings(got, want) {
			t.Fatalf("walk: %d pages %v, want 3 pages %v", pages, got, want)
		}
		// The SDK paginator walks the same listing.
		p := iam.NewListUsersPaginator(c, &iam.ListUsersInput{PathPrefix: aws.String("/list/"), MaxItems: aws.Int32(2)})
		n := 0
		for p.HasMorePages() {
			out := must[*iam.ListUsersOutput](t, "paginator")(p.NextPage(ctx))
			n += len(out.Users)
		}
		if n != 7 {
			t.Fatalf("paginator saw %d users", n)
		}
		// A marker stays valid while the listing changes under it: deleting an item already returned
		// neither repeats nor skips the rest.
		first := must[*iam.ListUsersOutput](t, "page 1")(c.ListUsers(ctx, &iam.ListUsersInput{PathPrefix: aws.String("/list/"), MaxItems: aws.Int32(3)}))
		must[*iam.DeleteUserOutput](t, "DeleteUser lu00")(c.DeleteUser(ctx, &iam.DeleteUserInput{UserName: first.Users[0].UserName}))
		rest := must[*iam.ListUsersOutput](t, "page 2")(c.ListUsers(ctx, &iam.ListUsersInput{PathPrefix: aws.String("/list/"), Marker: first.Marker}))
		if len(rest.Users) != 4 || aws.ToString(rest.Users[0].UserName) != want[3] {
			t.Fatalf("after delete, rest of listing: %d users starting %s", len(rest.Users), aws.ToString(rest.Users[0].UserName))
		}
		// The whole account: alice and selfie are outside /list/.
		every := must[*iam.ListUsersOutput](t, "ListUsers")(c.ListUsers(ctx, &iam.ListUsersInput{}))
		names := []string{}
		for _, lu := range every.Users {
			names = append(names, aws.ToString(lu.UserName))
		}
		if !slices.Contains(names, "alice") || !slices.Contains(names, "selfie") || len(names) != 8 {
			t.Fatalf("ListUsers: %v", names)
		}
	})

	t.Run("UpdateUser", func(t *testing.T) {
		must[*iam.CreateUserOutput](t, "CreateUser")(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("bob")}))
		must[*iam.UpdateUserOutput](t, "UpdateUser")(c.UpdateUser(ctx, &iam.UpdateUserInput{UserName: aws.String("bob"),
			NewUserName: aws.String("robert"), NewPath: aws.String("/ops/")}))
		g := must[*iam.GetUserOutput](t, "GetUser robert")(c.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("robert")})).User
		if aws.ToString(g.Arn) != arn("user/ops/robert") {
			t.Fatalf("renamed user: %+v", g)
		}
		wantError(t, "GetUser bob", call(c.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("bob")})),
			"NoSuchEntity", 404, "The user with name bob cannot be found.")
		// Renaming to the same name in another case is allowed: it is the same user.
		must[*iam.UpdateUserOutput](t, "UpdateUser case")(c.UpdateUser(ctx, &iam.UpdateUserInput{UserName: aws.String("robert"), NewUserName: aws.String("Robert")}))
		g = must[*iam.GetUserOutput](t, "GetUser")(c.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("robert")})).User
		if aws.ToString(g.UserName) != "Robert" {
			t.Fatalf("case rename: %+v", g)
		}
	})

	t.Run("Tags", func(t *testing.T) {
		must[*iam.TagUserOutput](t, "TagUser")(c.TagUser(ctx, &iam.TagUserInput{UserName: aws.String("alice"), Tags: tags("TEAM", "platform", "cost", "42")}))
		lt := must[*iam.ListUserTagsOutput](t, "ListUserTags")(c.ListUserTags(ctx, &iam.ListUserTagsInput{UserName: aws.String("alice")}))
		// A key differing only in case replaces the tag (keys are case-insensitive).
		if m := tagMap(lt.Tags); len(m) != 3 || m["TEAM"] != "platform" || m["cost"] != "42" || lt.IsTruncated {
			t.Fatalf("ListUserTags: %v", m)
		}
		page := must[*iam.ListUserTagsOutput](t, "ListUserTags page")(c.ListUserTags(ctx, &iam.ListUserTagsInput{UserName: aws.String("alice"), MaxItems: aws.Int32(2)}))
		if len(page.Tags) != 2 || !page.IsTruncated || page.Marker == nil {
			t.Fatalf("ListUserTags page 1: %+v", page)
		}
		page2 := must[*iam.ListUserTagsOutput](t, "ListUserTags page 2")(c.ListUserTags(ctx, &iam.ListUserTagsInput{UserName: aws.String("alice"), Marker: page.Marker}))
		if len(page2.Tags) != 1 || page2.IsTruncated {
			t.Fatalf("ListUserTags page 2: %+v", page2)
		}
		must[*iam.UntagUserOutput](t, "UntagUser")(c.UntagUser(ctx, &iam.UntagUserInput{UserName: aws.String("alice"), TagKeys: []string{"team", "absent"}}))
		lt = must[*iam.ListUserTagsOutput](t, "ListUserTags")(c.ListUserTags(ctx, &iam.ListUserTagsInput{UserName: aws.String("alice")}))
		if m := tagMap(lt.Tags); len(m) != 2 || m["cost"] != "42" {
			t.Fatalf("after UntagUser: %v", m)
		}
	})

	t.Run("Boundary", func(t *testing.T) {
		must[*iam.DeleteUserPermissionsBoundaryOutput](t, "DeleteUserPermissionsBoundary")(c.DeleteUserPermissionsBoundary(ctx,
			&iam.DeleteUserPermissionsBoundaryInput{UserName: aws.String("alice")}))
		if g := must[*iam.GetUserOutput](t, "GetUser")(c.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("alice")})).User; g.PermissionsBoundary != nil {
			t.Fatalf("boundary still there: %+v", g.PermissionsBoundary)
		}
		pol := must[*iam.CreatePolicyOutput](t, "CreatePolicy")(c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("ub"),
			Path: aws.String("/b/"), PolicyDocument: aws.String(docAllow("s3:*", "*"))})).Policy
		must[*iam.PutUserPermissionsBoundaryOutput](t, "PutUserPermissionsBoundary")(c.PutUserPermissionsBoundary(ctx,
			&iam.PutUserPermissionsBoundaryInput{UserName: aws.String("alice"), PermissionsBoundary: pol.Arn}))
		g := must[*iam.GetUserOutput](t, "GetUser")(c.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("alice")})).User
		if g.PermissionsBoundary == nil || aws.ToString(g.PermissionsBoundary.PermissionsBoundaryArn) != arn("policy/b/ub") {
			t.Fatalf("boundary: %+v", g.PermissionsBoundary)
		}
		// A policy in use as a boundary counts as attached for ListEntitiesForPolicy's boundary usage.
		le := must[*iam.ListEntitiesForPolicyOutput](t, "ListEntitiesForPolicy")(c.ListEntitiesForPolicy(ctx, &iam.ListEntitiesForPolicyInput{
			PolicyArn: pol.Arn, PolicyUsageFilter: iamtypes.PolicyUsageTypePermissionsBoundary}))
		if len(le.PolicyUsers) != 1 || aws.ToString(le.PolicyUsers[0].UserName) != "alice" || len(le.PolicyRoles) != 0 || len(le.PolicyGroups) != 0 {
			t.Fatalf("ListEntitiesForPolicy boundary: %+v", le)
		}
		le = must[*iam.ListEntitiesForPolicyOutput](t, "ListEntitiesForPolicy")(c.ListEntitiesForPolicy(ctx, &iam.ListEntitiesForPolicyInput{
			PolicyArn: pol.Arn, PolicyUsageFilter: iamtypes.PolicyUsageTypePermissionsPolicy}))
		if len(le.PolicyUsers) != 0 {
			t.Fatalf("boundary listed as permissions policy: %+v", le)
		}
	})

	long := strings.Repeat("x", 65)
	fiftyOne := make([]iamtypes.Tag, 51)
	for i := range fiftyOne {
		fiftyOne[i] = iamtypes.Tag{Key: aws.String(fmt.Sprintf("k%d", i)), Value: aws.String("v")}
	}
	fortyNine := fiftyOne[:49]
	must[*iam.CreateUserOutput](t, "CreateUser tagged")(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("tagged"), Tags: fortyNine}))
	must[*iam.CreateUserOutput](t, "CreateUser keyed")(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("keyed")}))
	must[*iam.CreateAccessKeyOutput](t, "CreateAccessKey")(c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("keyed")}))
	must[*iam.CreateUserOutput](t, "CreateUser withlogin")(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("withlogin")}))
	must[*iam.CreateLoginProfileOutput](t, "CreateLoginProfile")(c.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{UserName: aws.String("withlogin"), Password: aws.String("Str0ng-Passw0rd!")}))
	must[*iam.CreateUserOutput](t, "CreateUser inline")(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("inline")}))
	must[*iam.PutUserPolicyOutput](t, "PutUserPolicy")(c.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("inline"), PolicyName: aws.String("p"), PolicyDocument: aws.String(docAllow("s3:*", "*"))}))
	must[*iam.CreateUserOutput](t, "CreateUser attached")(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("attached")}))
	must[*iam.AttachUserPolicyOutput](t, "AttachUserPolicy")(c.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("attached"), PolicyArn: aws.String(boundary)}))
	must[*iam.CreateUserOutput](t, "CreateUser member")(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("member")}))
	must[*iam.CreateGroupOutput](t, "CreateGroup")(c.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("g")}))
	must[*iam.AddUserToGroupOutput](t, "AddUserToGroup")(c.AddUserToGroup(ctx, &iam.AddUserToGroupInput{UserName: aws.String("member"), GroupName: aws.String("g")}))

	runErrCases(t, []errCase{
		{"create duplicate", func() error { return call(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("alice")})) },
			"EntityAlreadyExists", 409, "User with name alice already exists."},
		{"create duplicate other case", func() error { return call(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("ALICE")})) },
			"EntityAlreadyExists", 409, "User with name ALICE already exists."},
		{"create name too long", func() error { return call(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(long)})) },
			"ValidationError", 400, validation(long, "userName", "Member must have length less than or equal to 64")},
		{"create bad name", func() error { return call(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("a b")})) },
			"ValidationError", 400, validation("a b", "userName", `Member must satisfy regular expression pattern: [\w+=,.@-]+`)},
		{"create bad path", func() error {
			return call(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("p"), Path: aws.String("eng")}))
		}, "ValidationError", 400, validation("eng", "path", `Member must satisfy regular expression pattern: (\u002F)|(\u002F[\u0021-\u007E]+\u002F)`)},
		{"create 51 tags", func() error {
			return call(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("t51"), Tags: fiftyOne}))
		},
			"ValidationError", 400, ""},
		{"create duplicate tag keys", func() error {
			return call(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("dup"), Tags: tags("a", "1", "A", "2")}))
		}, "InvalidInput", 400, "Duplicate tag keys found. Please note that Tag keys are case insensitive."},
		{"create unknown boundary", func() error {
			return call(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("nb"), PermissionsBoundary: aws.String(arn("policy/nope"))}))
		}, "NoSuchEntity", 404, "Policy " + arn("policy/nope") + " does not exist or is not attachable."},
		{"create invalid boundary arn", func() error {
			return call(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("nb"), PermissionsBoundary: aws.String("arn:aws:iam::123456789012:user/x")}))
		}, "InvalidInput", 400, "ARN arn:aws:iam::123456789012:user/x is not valid."},
		{"get missing", func() error { return call(c.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("ghost")})) },
			"NoSuchEntity", 404, "The user with name ghost cannot be found."},
		{"update missing", func() error {
			return call(c.UpdateUser(ctx, &iam.UpdateUserInput{UserName: aws.String("ghost"), NewPath: aws.String("/x/")}))
		}, "NoSuchEntity", 404, "The user with name ghost cannot be found."},
		{"update onto existing", func() error {
			return call(c.UpdateUser(ctx, &iam.UpdateUserInput{UserName: aws.String("keyed"), NewUserName: aws.String("Alice")}))
		}, "EntityAlreadyExists", 409, "User with name Alice already exists."},
		{"delete missing", func() error { return call(c.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("ghost")})) },
			"NoSuchEntity", 404, "The user with name ghost cannot be found."},
		{"delete with login profile", func() error { return call(c.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("withlogin")})) },
			"DeleteConflict", 409, "Cannot delete entity, must delete login profile first."},
		{"delete with access key", func() error { return call(c.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("keyed")})) },
			"DeleteConflict", 409, "Cannot delete entity, must delete access keys first."},
		{"delete with inline policy", func() error { return call(c.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("inline")})) },
			"DeleteConflict", 409, "Cannot delete entity, must delete policies first."},
		{"delete with attached policy", func() error { return call(c.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("attached")})) },
			"DeleteConflict", 409, "Cannot delete entity, must detach all policies first."},
		{"delete in group", func() error { return call(c.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("member")})) },
			"DeleteConflict", 409, "Cannot delete entity, must remove user from group first."},
		{"tag missing user", func() error {
			return call(c.TagUser(ctx, &iam.TagUserInput{UserName: aws.String("ghost"), Tags: tags("a", "b")}))
		},
			"NoSuchEntity", 404, "The user with name ghost cannot be found."},
		{"tag over 50", func() error {
			return call(c.TagUser(ctx, &iam.TagUserInput{UserName: aws.String("tagged"), Tags: tags("x1", "1", "x2", "2")}))
		}, "LimitExceeded", 409, "Cannot exceed quota for TagsPerUser: 50"},
		{"tag duplicate keys", func() error {
			return call(c.TagUser(ctx, &iam.TagUserInput{UserName: aws.String("alice"), Tags: tags("q", "1", "Q", "2")}))
		}, "InvalidInput", 400, "Duplicate tag keys found. Please note that Tag keys are case insensitive."},
		{"tag bad key", func() error {
			return call(c.TagUser(ctx, &iam.TagUserInput{UserName: aws.String("alice"), Tags: tags("a*b", "1")}))
		},
			"ValidationError", 400, ""},
		{"untag missing user", func() error {
			return call(c.UntagUser(ctx, &iam.UntagUserInput{UserName: aws.String("ghost"), TagKeys: []string{"a"}}))
		}, "NoSuchEntity", 404, "The user with name ghost cannot be found."},
		{"list tags missing user", func() error { return call(c.ListUserTags(ctx, &iam.ListUserTagsInput{UserName: aws.String("ghost")})) },
			"NoSuchEntity", 404, "The user with name ghost cannot be found."},
		{"put boundary missing user", func() error {
			return call(c.PutUserPermissionsBoundary(ctx, &iam.PutUserPermissionsBoundaryInput{UserName: aws.String("ghost"), PermissionsBoundary: aws.String(boundary)}))
		}, "NoSuchEntity", 404, "The user with name ghost cannot be found."},
		{"put boundary missing policy", func() error {
			return call(c.PutUserPermissionsBoundary(ctx, &iam.PutUserPermissionsBoundaryInput{UserName: aws.String("alice"), PermissionsBoundary: aws.String("arn:aws:iam::aws:policy/NoSuchPolicy")}))
		}, "NoSuchEntity", 404, "Policy arn:aws:iam::aws:policy/NoSuchPolicy does not exist or is not attachable."},
		{"delete boundary missing user", func() error {
			return call(c.DeleteUserPermissionsBoundary(ctx, &iam.DeleteUserPermissionsBoundaryInput{UserName: aws.String("ghost")}))
		}, "NoSuchEntity", 404, "The user with name ghost cannot be found."},
		{"list bad marker", func() error { return call(c.ListUsers(ctx, &iam.ListUsersInput{Marker: aws.String("!!not-a-marker")})) },
			"InvalidInput", 400, "Invalid Marker."},
		{"list MaxItems 0", func() error { return call(c.ListUsers(ctx, &iam.ListUsersInput{MaxItems: aws.Int32(0)})) },
			"ValidationError", 400, validation("0", "maxItems", "Member must have value greater than or equal to 1")},
		{"list MaxItems 1001", func() error { return call(c.ListUsers(ctx, &iam.ListUsersInput{MaxItems: aws.Int32(1001)})) },
			"ValidationError", 400, validation("1001", "maxItems", "Member must have value less than or equal to 1000")},
		{"list bad path prefix", func() error { return call(c.ListUsers(ctx, &iam.ListUsersInput{PathPrefix: aws.String("eng")})) },
			"ValidationError", 400, ""},
	})

	// Removing what blocked the deletes lets them through, and the user is gone.
	must[*iam.DeleteLoginProfileOutput](t, "DeleteLoginProfile")(c.DeleteLoginProfile(ctx, &iam.DeleteLoginProfileInput{UserName: aws.String("withlogin")}))
	must[*iam.DeleteUserOutput](t, "DeleteUser")(c.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("WITHLOGIN")}))
	wantError(t, "GetUser deleted", call(c.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("withlogin")})),
		"NoSuchEntity", 404, "The user with name withlogin cannot be found.")
}

// Renaming or moving a user carries everything it owns: keys (which then authenticate as the new ARN),
// group memberships, inline and attached policies, login profile, tags and boundary.
func TestIAMUserRenameCarriesEverything(t *testing.T) {
	e := newIAMEnv(t)
	c, ctx := e.c, e.ctx
	must[*iam.CreateUserOutput](t, "CreateUser")(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("old"), Tags: tags("a", "b"),
		PermissionsBoundary: aws.String(readOnlyARN)}))
	creds := func() aws.CredentialsProvider {
		k := must[*iam.CreateAccessKeyOutput](t, "CreateAccessKey")(c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("old")})).AccessKey
		return Creds(aws.ToString(k.AccessKeyId), aws.ToString(k.SecretAccessKey), "")
	}()
	must[*iam.CreateGroupOutput](t, "CreateGroup")(c.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("grp")}))
	must[*iam.AddUserToGroupOutput](t, "AddUserToGroup")(c.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String("grp"), UserName: aws.String("old")}))
	must[*iam.PutUserPolicyOutput](t, "PutUserPolicy")(c.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("old"), PolicyName: aws.String("self"),
		PolicyDocument: aws.String(docAllow("iam:GetUser", "*"))}))
	must[*iam.AttachUserPolicyOutput](t, "AttachUserPolicy")(c.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("old"), PolicyArn: aws.String(adminARN)}))
	must[*iam.CreateLoginProfileOutput](t, "CreateLoginProfile")(c.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{UserName: aws.String("old"), Password: aws.String("Some-Pass-123")}))

	must[*iam.UpdateUserOutput](t, "UpdateUser")(c.UpdateUser(ctx, &iam.UpdateUserInput{UserName: aws.String("old"), NewUserName: aws.String("new"), NewPath: aws.String("/moved/")}))
	u := must[*iam.GetUserOutput](t, "GetUser")(c.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("new")})).User
	if aws.ToString(u.Arn) != arn("user/moved/new") || tagMap(u.Tags)["a"] != "b" || u.PermissionsBoundary == nil {
		t.Fatalf("renamed user: %+v", u)
	}
	if l := must[*iam.ListAccessKeysOutput](t, "ListAccessKeys")(c.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String("new")})); len(l.AccessKeyMetadata) != 1 ||
		aws.ToString(l.AccessKeyMetadata[0].UserName) != "new" {
		t.Fatalf("keys after rename: %+v", l.AccessKeyMetadata)
	}
	if g := must[*iam.ListGroupsForUserOutput](t, "ListGroupsForUser")(c.ListGroupsForUser(ctx, &iam.ListGroupsForUserInput{UserName: aws.String("new")})); len(g.Groups) != 1 {
		t.Fatalf("groups after rename: %+v", g.Groups)
	}
	if gg := must[*iam.GetGroupOutput](t, "GetGroup")(c.GetGroup(ctx, &iam.GetGroupInput{GroupName: aws.String("grp")})); len(gg.Users) != 1 || aws.ToString(gg.Users[0].UserName) != "new" {
		t.Fatalf("group members after rename: %+v", gg.Users)
	}
	if p := must[*iam.ListUserPoliciesOutput](t, "ListUserPolicies")(c.ListUserPolicies(ctx, &iam.ListUserPoliciesInput{UserName: aws.String("new")})); strings.Join(p.PolicyNames, ",") != "self" {
		t.Fatalf("inline policies after rename: %v", p.PolicyNames)
	}
	if a := must[*iam.ListAttachedUserPoliciesOutput](t, "ListAttachedUserPolicies")(c.ListAttachedUserPolicies(ctx, &iam.ListAttachedUserPoliciesInput{UserName: aws.String("new")})); len(a.AttachedPolicies) != 1 {
		t.Fatalf("attached policies after rename: %+v", a.AttachedPolicies)
	}
	le := must[*iam.ListEntitiesForPolicyOutput](t, "ListEntitiesForPolicy")(c.ListEntitiesForPolicy(ctx, &iam.ListEntitiesForPolicyInput{PolicyArn: aws.String(adminARN)}))
	if len(le.PolicyUsers) != 1 || aws.ToString(le.PolicyUsers[0].UserName) != "new" {
		t.Fatalf("ListEntitiesForPolicy after rename: %+v", le.PolicyUsers)
	}
	le = must[*iam.ListEntitiesForPolicyOutput](t, "ListEntitiesForPolicy boundary")(c.ListEntitiesForPolicy(ctx, &iam.ListEntitiesForPolicyInput{PolicyArn: aws.String(readOnlyARN),
		PolicyUsageFilter: iamtypes.PolicyUsageTypePermissionsBoundary}))
	if len(le.PolicyUsers) != 1 || aws.ToString(le.PolicyUsers[0].UserName) != "new" {
		t.Fatalf("boundary users after rename: %+v", le.PolicyUsers)
	}
	must[*iam.GetLoginProfileOutput](t, "GetLoginProfile")(c.GetLoginProfile(ctx, &iam.GetLoginProfileInput{UserName: aws.String("new")}))
	// The key signs as the renamed user, with the policies that followed it.
	me := must[*iam.GetUserOutput](t, "GetUser as the user")(e.s.IAM(creds).GetUser(ctx, &iam.GetUserInput{})).User
	if aws.ToString(me.Arn) != arn("user/moved/new") {
		t.Fatalf("key authenticates as %s", aws.ToString(me.Arn))
	}
	for _, n := range []string{"old", "OLD"} {
		wantError(t, "GetUser "+n, call(c.GetUser(ctx, &iam.GetUserInput{UserName: aws.String(n)})), "NoSuchEntity", 404, "The user with name "+n+" cannot be found.")
	}
	// The old name is free again.
	must[*iam.CreateUserOutput](t, "CreateUser old again")(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("old")}))
	if l := must[*iam.ListAccessKeysOutput](t, "ListAccessKeys")(c.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String("old")})); len(l.AccessKeyMetadata) != 0 {
		t.Fatalf("new user 'old' inherited keys: %+v", l.AccessKeyMetadata)
	}
}
