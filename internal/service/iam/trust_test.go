package iam

import (
	"context"
	"maps"
	"testing"

	"github.com/iamd/iamd/internal/api/iamapi"
	"github.com/iamd/iamd/internal/storage"
)

func trustDocFor(arns ...string) string {
	list := ""
	for i, a := range arns {
		if i > 0 {
			list += ","
		}
		list += `"` + a + `"`
	}
	return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":[` + list + `]},"Action":"sts:AssumeRole"}]}`
}

func storedRole(t *testing.T, f *fixture, name string) *storage.Role {
	t.Helper()
	var r *storage.Role
	err := f.store.View(context.Background(), func(tx storage.Tx) error {
		var err error
		r, err = tx.GetRole(context.Background(), testAccount, name)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestTrustPrincipalsResolved checks that saving a trust policy resolves the users and roles it names to
// their unique IDs, and that GetRole, ListRoles, GetAccountAuthorizationDetails and instance profiles
// show a renamed user under its new ARN and a deleted one as its unique ID, also once a namesake exists.
func TestTrustPrincipalsResolved(t *testing.T) {
	f := newFixture(t)
	ctx := f.root()
	carolARN := "arn:aws:iam::" + testAccount + ":user/carol"
	appARN := "arn:aws:iam::" + testAccount + ":role/app"
	carol := createUser(t, f, ctx, "carol", "")
	app := createRole(t, f, ctx, "app", "")
	other := "arn:aws:iam::999999999999:user/zed" // an account this server does not hold: not resolved
	doc := trustDocFor(carolARN, appARN, other, "111122223333")
	must(f.svc.CreateRole(ctx, &iamapi.CreateRoleRequest{RoleName: ptr("target"), AssumeRolePolicyDocument: ptr(doc)}))(t)
	want := map[string]string{carolARN: str(carol.UserId), appARN: str(app.RoleId)}
	if got := storedRole(t, f, "target").TrustPrincipalIDs; !maps.Equal(got, want) {
		t.Fatalf("resolved %v, want %v", got, want)
	}
	_, err := f.svc.CreateInstanceProfile(ctx, &iamapi.CreateInstanceProfileRequest{InstanceProfileName: ptr("p")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.AddRoleToInstanceProfile(ctx, &iamapi.AddRoleToInstanceProfileRequest{InstanceProfileName: ptr("p"), RoleName: ptr("target")}); err != nil {
		t.Fatal(err)
	}

	shown := func(when, want string) {
		t.Helper()
		if got := decoded(t, must(f.svc.GetRole(ctx, &iamapi.GetRoleRequest{RoleName: ptr("target")}))(t).Role.AssumeRolePolicyDocument); got != want {
			t.Errorf("%s: GetRole shows\n%s\nwant\n%s", when, got, want)
		}
		for _, r := range must(f.svc.ListRoles(ctx, &iamapi.ListRolesRequest{}))(t).Roles {
			if str(r.RoleName) == "target" && decoded(t, r.AssumeRolePolicyDocument) != want {
				t.Errorf("%s: ListRoles shows %s", when, decoded(t, r.AssumeRolePolicyDocument))
			}
		}
		d := must(f.svc.GetAccountAuthorizationDetails(ctx, &iamapi.GetAccountAuthorizationDetailsRequest{}))(t)
		for _, r := range d.RoleDetailList {
			if str(r.RoleName) == "target" && decoded(t, r.AssumeRolePolicyDocument) != want {
				t.Errorf("%s: GetAccountAuthorizationDetails shows %s", when, decoded(t, r.AssumeRolePolicyDocument))
			}
		}
		p := must(f.svc.GetInstanceProfile(ctx, &iamapi.GetInstanceProfileRequest{InstanceProfileName: ptr("p")}))(t).InstanceProfile
		if got := decoded(t, p.Roles[0].AssumeRolePolicyDocument); got != want {
			t.Errorf("%s: GetInstanceProfile shows %s", when, got)
		}
	}
	shown("as saved", doc)

	// Renamed: the policy still trusts that user, under its new name.
	if _, err := f.svc.UpdateUser(ctx, &iamapi.UpdateUserRequest{UserName: ptr("carol"), NewUserName: ptr("carol2"), NewPath: ptr("/x/")}); err != nil {
		t.Fatal(err)
	}
	shown("renamed", trustDocFor("arn:aws:iam::"+testAccount+":user/x/carol2", appARN, other, "111122223333"))

	// Deleted, and a namesake made: the policy names the old user's ID, not the new user.
	if _, err := f.svc.DeleteUser(ctx, &iamapi.DeleteUserRequest{UserName: ptr("carol2")}); err != nil {
		t.Fatal(err)
	}
	createUser(t, f, ctx, "carol", "")
	shown("deleted", trustDocFor(str(carol.UserId), appARN, other, "111122223333"))
	if _, err := f.svc.DeleteRole(ctx, &iamapi.DeleteRoleRequest{RoleName: ptr("app")}); err != nil {
		t.Fatal(err)
	}
	createRole(t, f, ctx, "app", "")
	shown("role deleted", trustDocFor(str(carol.UserId), str(app.RoleId), other, "111122223333"))

	// The stored document is the one saved; IAM does not take a unique ID as a principal.
	if got := storedRole(t, f, "target").AssumeRolePolicyDocument; got != doc {
		t.Errorf("stored document changed: %s", got)
	}
	_, err = f.svc.UpdateAssumeRolePolicy(ctx, &iamapi.UpdateAssumeRolePolicyRequest{RoleName: ptr("target"), PolicyDocument: ptr(trustDocFor(str(carol.UserId)))})
	assertAPIError(t, err, "MalformedPolicyDocument", 400, `Invalid principal in policy: "AWS":"`+str(carol.UserId)+`"`)

	// Saving the policy again resolves the names to the principals that hold them now.
	if _, err := f.svc.UpdateAssumeRolePolicy(ctx, &iamapi.UpdateAssumeRolePolicyRequest{RoleName: ptr("target"), PolicyDocument: ptr(doc)}); err != nil {
		t.Fatal(err)
	}
	newCarol := must(f.svc.GetUser(ctx, &iamapi.GetUserRequest{UserName: ptr("carol")}))(t).User
	newApp := must(f.svc.GetRole(ctx, &iamapi.GetRoleRequest{RoleName: ptr("app")}))(t).Role
	want = map[string]string{carolARN: str(newCarol.UserId), appARN: str(newApp.RoleId)}
	if got := storedRole(t, f, "target").TrustPrincipalIDs; !maps.Equal(got, want) {
		t.Fatalf("resolved again %v, want %v", got, want)
	}
	shown("saved again", doc)
}

// TestResolveStoredTrustPolicies: roles stored before trust policies were resolved get the IDs their named
// principals have at upgrade; a principal already gone resolves to nothing, so a namesake made later is
// not trusted. Roles already resolved are left alone.
func TestResolveStoredTrustPolicies(t *testing.T) {
	f := newFixture(t)
	ctx := f.root()
	carol := createUser(t, f, ctx, "carol", "")
	createRole(t, f, ctx, "resolved", "")
	carolARN := "arn:aws:iam::" + testAccount + ":user/carol"
	goneARN := "arn:aws:iam::" + testAccount + ":user/gone"
	legacy := &storage.Role{AccountID: testAccount, Name: "legacy", Path: "/", ID: "AROALEGACY0000000001", CreatedAt: f.now,
		AssumeRolePolicyDocument: trustDocFor(carolARN, goneARN, "111122223333"), MaxSessionDuration: 3600}
	bg := context.Background()
	if err := f.store.Update(bg, func(tx storage.Tx) error { return tx.CreateRole(bg, legacy) }); err != nil {
		t.Fatal(err)
	}
	n, err := f.svc.ResolveStoredTrustPolicies(bg)
	if err != nil || n != 1 {
		t.Fatalf("ResolveStoredTrustPolicies = %d, %v; want 1 role", n, err)
	}
	want := map[string]string{carolARN: str(carol.UserId), goneARN: ""}
	if got := storedRole(t, f, "legacy").TrustPrincipalIDs; !maps.Equal(got, want) {
		t.Fatalf("resolved %v, want %v", got, want)
	}
	if got := storedRole(t, f, "resolved").TrustPrincipalIDs; got == nil || len(got) != 0 {
		t.Fatalf("a role trusting a service: %#v", got)
	}
	if n, err := f.svc.ResolveStoredTrustPolicies(bg); err != nil || n != 0 {
		t.Fatalf("second run = %d, %v", n, err)
	}
}
