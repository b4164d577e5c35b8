// Package conformance is the behaviour every storage backend must show. A backend's tests call
// RunTests with a constructor of empty stores; the same suite holds SQLite and PostgreSQL to the same
// semantics (uniqueness, atomicity, ordering, counters, change notifications).
package conformance

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/iamd/iamd/internal/storage"
)

// Acct and Acct2 are the account IDs the suite creates.
const (
	Acct  = "123456789012"
	Acct2 = "210987654321"
)

// t0 is a fixed creation time; stores must round-trip times exactly (to the nanosecond, in UTC).
var t0 = time.Date(2026, 11, 23, 1, 2, 3, 456789000, time.UTC)

// RunTests runs the suite; newStore returns an empty store that the test may Close (the constructor
// should also arrange cleanup with t.Cleanup).
func RunTests(t *testing.T, newStore func(t *testing.T) storage.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s storage.Store)
	}{
		{"Accounts", testAccounts},
		{"Users", testUsers},
		{"GroupsAndMembership", testGroups},
		{"Roles", testRoles},
		{"ManagedPolicies", testManagedPolicies},
		{"InlinePolicies", testInlinePolicies},
		{"AccessKeys", testAccessKeys},
		{"LoginProfiles", testLoginProfiles},
		{"UserDependents", testUserDependents},
		{"OwnerDetailsInRange", testOwnerDetailsInRange},
		{"MFADevices", testMFADevices},
		{"InstanceProfiles", testInstanceProfiles},
		{"ResourcesAndCredentials", testResourcesAndCredentials},
		{"KeyRingCAS", testKeyRing},
		{"ConcurrentCreateSameName", testConcurrentCreate},
		{"ConcurrentWriters", testConcurrentWriters},
		{"ConcurrentWritersSomeFail", testConcurrentWritersSomeFail},
		{"NoLostUpdates", testNoLostUpdates},
		{"Rollback", testRollback},
		{"Counters", testCounters},
		{"PaginationWhileDeleting", testPagination},
		{"Changes", testChanges},
		{"DeleteAccount", testDeleteAccount},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newStore(t)
			ctx := context.Background()
			for _, id := range []string{Acct, Acct2} {
				must(t, s.Update(ctx, func(tx storage.Tx) error {
					return tx.CreateAccount(ctx, &storage.Account{ID: id, CreatedAt: t0})
				}))
			}
			tc.fn(t, s)
		})
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func wantErr(t *testing.T, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("got error %v, want %v", err, want)
	}
}

func update(t *testing.T, s storage.Store, fn func(ctx context.Context, tx storage.Tx) error) error {
	t.Helper()
	ctx := context.Background()
	return s.Update(ctx, func(tx storage.Tx) error { return fn(ctx, tx) })
}

func view(t *testing.T, s storage.Store, fn func(ctx context.Context, tx storage.Tx) error) {
	t.Helper()
	ctx := context.Background()
	must(t, s.View(ctx, func(tx storage.Tx) error { return fn(ctx, tx) }))
}

func user(acct, name string, n int) *storage.User {
	return &storage.User{AccountID: acct, Name: name, Path: "/", ID: fmt.Sprintf("AIDA%016d", n), CreatedAt: t0}
}

func counts(t *testing.T, s storage.Store, acct string) storage.Counts {
	t.Helper()
	var c storage.Counts
	view(t, s, func(ctx context.Context, tx storage.Tx) error {
		var err error
		c, err = tx.Counts(ctx, acct)
		return err
	})
	return c
}

func names[T any](xs []*T, name func(*T) string) []string {
	out := make([]string, 0, len(xs))
	for _, x := range xs {
		out = append(out, name(x))
	}
	return out
}

func userNames(us []*storage.User) []string {
	return names(us, func(u *storage.User) string { return u.Name })
}

func eq[T comparable](t *testing.T, what string, got, want []T) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Fatalf("%s = %v, want %v", what, got, want)
	}
}

func testAccounts(t *testing.T, s storage.Store) {
	wantErr(t, update(t, s, func(ctx context.Context, tx storage.Tx) error {
		return tx.CreateAccount(ctx, &storage.Account{ID: Acct})
	}), storage.ErrAlreadyExists)

	a := &storage.Account{ID: "555555555555", Name: "prod", CreatedAt: t0, Aliases: []string{"my-alias"},
		GlobalEndpointTokenVersion: 2,
		PasswordPolicy:             &storage.PasswordPolicy{MinimumPasswordLength: 14, RequireSymbols: true, MaxPasswordAge: 90},
		Regions:                    map[string]storage.RegionState{"af-south-1": {Status: storage.RegionEnabling, Until: t0.Add(time.Hour)}},
		STSRegions:                 map[string]bool{"eu-west-1": false},
	}
	must(t, update(t, s, func(ctx context.Context, tx storage.Tx) error { return tx.CreateAccount(ctx, a) }))
	// Aliases are unique across accounts.
	wantErr(t, update(t, s, func(ctx context.Context, tx storage.Tx) error {
		b, err := tx.GetAccount(ctx, Acct)
		if err != nil {
			return err
		}
		b.Aliases = []string{"MY-ALIAS"}
		return tx.UpdateAccount(ctx, b)
	}), storage.ErrAlreadyExists)

	view(t, s, func(ctx context.Context, tx storage.Tx) error {
		got, err := tx.GetAccount(ctx, a.ID)
		must(t, err)
		if got.Name != "prod" || got.TokenVersion() != 2 || got.PasswordPolicy.MinimumPasswordLength != 14 ||
			!got.CreatedAt.Equal(t0) || got.Regions["af-south-1"].Status != storage.RegionEnabling ||
			!got.Regions["af-south-1"].Until.Equal(t0.Add(time.Hour)) || got.STSRegions["eu-west-1"] {
			t.Fatalf("account did not round-trip: %+v", got)
		}
		got, err = tx.GetAccountByAlias(ctx, "my-alias")
		must(t, err)
		if got.ID != a.ID {
			t.Fatalf("by alias: %s", got.ID)
		}
		_, err = tx.GetAccount(ctx, "999999999999")
		wantErr(t, err, storage.ErrNotFound)
		all, err := tx.ListAccounts(ctx, storage.ListOptions{})
		must(t, err)
		eq(t, "accounts", names(all, func(a *storage.Account) string { return a.ID }), []string{Acct, Acct2, "555555555555"})
		page, err := tx.ListAccounts(ctx, storage.ListOptions{After: Acct, Limit: 1})
		must(t, err)
		eq(t, "accounts page", names(page, func(a *storage.Account) string { return a.ID }), []string{Acct2})
		return nil
	})
	// Dropping the alias frees it.
	must(t, update(t, s, func(ctx context.Context, tx storage.Tx) error {
		a.Aliases, a.PasswordPolicy = nil, nil
		return tx.UpdateAccount(ctx, a)
	}))
	view(t, s, func(ctx context.Context, tx storage.Tx) error {
		_, err := tx.GetAccountByAlias(ctx, "my-alias")
		wantErr(t, err, storage.ErrNotFound)
		got, err := tx.GetAccount(ctx, a.ID)
		must(t, err)
		if got.PasswordPolicy != nil {
			t.Fatal("password policy not cleared")
		}
		return nil
	})
	wantErr(t, update(t, s, func(ctx context.Context, tx storage.Tx) error {
		return tx.UpdateAccount(ctx, &storage.Account{ID: "999999999999"})
	}), storage.ErrNotFound)
	// Entities need their account.
	wantErr(t, update(t, s, func(ctx context.Context, tx storage.Tx) error {
		return tx.CreateUser(ctx, user("999999999999", "bob", 1))
	}), storage.ErrNotFound)
}

func testUsers(t *testing.T, s storage.Store) {
	u := user(Acct, "Bob", 1)
	u.Path = "/eng/"
	u.Tags = []storage.Tag{{Key: "z", Value: "1"}, {Key: "a", Value: "2"}}
	u.PermissionsBoundaryARN = "arn:aws:iam::aws:policy/PowerUserAccess"
	must(t, update(t, s, func(ctx context.Context, tx storage.Tx) error { return tx.CreateUser(ctx, u) }))
	// Case-insensitive uniqueness per account; the same name in another account is fine.
	wantErr(t, update(t, s, func(ctx context.Context, tx storage.Tx) error {
		return tx.CreateUser(ctx, user(Acct, "BOB", 2))
	}), storage.ErrAlreadyExists)
	// IDs are globally unique.
	wantErr(t, update(t, s, func(ctx context.Context, tx storage.Tx) error {
		return tx.CreateUser(ctx, user(Acct2, "other", 1))
	}), storage.ErrAlreadyExists)
	must(t, update(t, s, func(ctx context.Context, tx storage.Tx) error { return tx.CreateUser(ctx, user(Acct2, "bob", 2)) }))

	view(t, s, func(ctx context.Context, tx storage.Tx) error {
		got, err := tx.GetUser(ctx, Acct, "bOb")
		must(t, err)
		if got.Name != "Bob" || got.Path != "/eng/" || got.ID != u.ID || !got.CreatedAt.Equal(t0) ||
			!slices.Equal(got.Tags, u.Tags) || got.PermissionsBoundaryARN != u.PermissionsBoundaryARN {
			t.Fatalf("user did not round-trip: %+v", got)
		}
		got, err = tx.GetUserByID(ctx, u.ID)
		must(t, err)
		if got.AccountID != Acct || got.Name != "Bob" {
			t.Fatalf("by ID: %+v", got)
		}
		_, err = tx.GetUser(ctx, Acct, "alice")
		wantErr(t, err, storage.ErrNotFound)
		_, err = tx.GetUserByID(ctx, "AIDANOPE")
		wantErr(t, err, storage.ErrNotFound)
		return nil
	})

	for i, n := range []string{"carol", "alice", "Dave", "eve"} {
		v := user(Acct, n, 10+i)
		if n == "Dave" || n == "eve" {
			v.Path = "/eng/ops/"
		}
		must(t, update(t, s, func(ctx context.Context, tx storage.Tx) error { return tx.CreateUser(ctx, v) }))
	}
	view(t, s, func(ctx context.Context, tx storage.Tx) error {
		all, err := tx.ListUsers(ctx, Acct, storage.ListOptions{})
		must(t, err)
		eq(t, "users", userNames(all), []string{"alice", "Bob", "carol", "Dave", "eve"})
		eng, err := tx.ListUsers(ctx, Acct, storage.ListOptions{PathPrefix: "/eng/"})
		must(t, err)
		eq(t, "/eng/ users", userNames(eng), []string{"Bob", "Dave", "eve"})
		ops, err := tx.ListUsers(ctx, Acct, storage.ListOptions{PathPrefix: "/eng/ops/", After: "DAVE"})
		must(t, err)
		eq(t, "/eng/ops/ after dave", userNames(ops), []string{"eve"})
		pg, err := tx.ListUsers(ctx, Acct, storage.ListOptions{After: "bob", Limit: 2})
		must(t, err)
		eq(t, "page", userNames(pg), []string{"carol", "Dave"})
		return nil
	})

	// Update: path change, rename (into a taken name fails, case-only rename works).
	must(t, update(t, s, func(ctx context.Context, tx storage.Tx) error {
		g, err := tx.GetUser(ctx, Acct, "carol")
		if err != nil {
			return err
		}
		g.Path = "/x/"
		g.PasswordLastUsed = t0.Add(time.Minute)
		return tx.UpdateUser(ctx, "carol", g)
	}))
	wantErr(t, update(t, s, func(ctx context.Context, tx storage.Tx) error {
		g, _ := tx.GetUser(ctx, Acct, "carol")
		g.Name = "ALICE"
		return tx.UpdateUser(ctx, "carol", g)
	}), storage.ErrAlreadyExists)
	must(t, update(t, s, func(ctx context.Context, tx storage.Tx) error {
		g, _ := tx.GetUser(ctx, Acct, "carol")
		g.Name = "Carol"
		return tx.UpdateUser(ctx, "carol", g)
	}))
	must(t, update(t, s, func(ctx context.Context, tx storage.Tx) error {
		g, _ := tx.GetUser(ctx, Acct, "carol")
		g.Name = "zed"
		return tx.UpdateUser(ctx, "Carol", g)
	}))
	wantErr(t, update(t, s, func(ctx context.Context, tx storage.Tx) error {
		return tx.UpdateUser(ctx, "nobody", user(Acct, "nobody", 99))
	}), storage.ErrNotFound)
	view(t, s, func(ctx context.Context, tx storage.Tx) error {
		z, err := tx.GetUser(ctx, Acct, "zed")
		must(t, err)
		if z.Path != "/x/" || !z.PasswordLastUsed.Equal(t0.Add(time.Minute)) {
			t.Fatalf("updated user: %+v", z)
		}
		_, err = tx.GetUser(ctx, Acct, "carol")
		wantErr(t, err, storage.ErrNotFound)
		return nil
	})
	must(t, update(t, s, func(ctx context.Context, tx storage.Tx) error { return tx.DeleteUser(ctx, Acct, "ZED") }))
	wantErr(t, update(t, s, func(ctx context.Context, tx storage.Tx) error { return tx.DeleteUser(ctx, Acct, "zed") }),
		storage.ErrNotFound)
	if c := counts(t, s, Acct); c.Users != 4 {
		t.Fatalf("Users = %d, want 4", c.Users)
	}
}

func testGroups(t *testing.T, s storage.Store) {
	must(t, update(t, s, func(ctx context.Context, tx storage.Tx) error {
		for i, g := range []string{"Admins", "devs", "ops"} {
			if err := tx.CreateGroup(ctx, &storage.Group{AccountID: Acct, Name: g, Path: "/", ID: fmt.Sprintf("AGPA%016d", i), CreatedAt: t0}); err != nil {
				return err
			}
		}
		for i, u := range []string{"bob", "alice"} {
			if err := tx.CreateUser(ctx, user(Acct, u, i)); err != nil {
				return err
			}
		}
		for _, m := range [][2]string{{"admins", "bob"}, {"devs", "bob"}, {"devs", "alice"}} {
			if err := tx.AddUserToGroup(ctx, Acct, m[0], m[1]); err != nil {
				return err
			}
		}
		return nil
	}))
	wantErr(t, update(t, s, func(ctx context.Context, tx storage.Tx) error {
		return tx.CreateGroup(ctx, &storage.Group{AccountID: Acct, Name: "ADMINS", Path: "/", ID: "AGPAX", CreatedAt: t0})
	}), storage.ErrAlreadyExists)
	wantErr(t, update(t, s, func(ctx context.Context, tx storage.Tx) error { return tx.AddUserToGroup(ctx, Acct, "Devs", "BOB") }),
		storage.ErrAlreadyExists)
	wantErr(t, update(t, s, func(ctx context.Context, tx storage.Tx) error { return tx.AddUserToGroup(ctx, Acct, "devs", "nobody") }),
		storage.ErrNotFound)
	wantErr(t, update(t, s, func(ctx context.Context, tx storage.Tx) error { return tx.AddUserToGroup(ctx, Acct, "nogroup", "bob") }),
		storage.ErrNotFound)
	view(t, s, func(ctx context.Context, tx storage.Tx) error {
		gs, err := tx.ListGroupsForUser(ctx, Acct, "BOB", storage.ListOptions{})
		must(t, err)
		eq(t, "groups for bob", names(gs, func(g *storage.Group) string { return g.Name }), []string{"Admins", "devs"})
		us, err := tx.ListUsersInGroup(ctx, Acct, "devs", storage.ListOptions{})
		must(t, err)
		eq(t, "users in devs", userNames(us), []string{"alice", "bob"})
		us, err = tx.ListUsersInGroup(ctx, Acct, "devs", storage.ListOptions{After: "alice"})
		must(t, err)
		eq(t, "users in devs after alice", userNames(us), []string{"bob"})
		_, err = tx.ListUsersInGroup(ctx, Acct, "nogroup", storage.ListOptions{})
		wantErr(t, err, storage.ErrNotFound)
		return nil
	})
	// Renames of users and groups carry their memberships.
	must(t, update(t, s, func(ctx context.Context, tx storage.Tx) error {
		u, _ := tx.GetUser(ctx, Acct, "bob")
		u.Name = "robert"
		if err := tx.UpdateUser(ctx, "bob", u); err != nil {
			return err
		}
		g, _ := tx.GetGroup(ctx, Acct, "devs")
		g.Name, g.Path = "developers", "/eng/"
		return tx.UpdateGroup(ctx, "devs", g)
	}))
	view(t, s, func(ctx context.Context, tx storage.Tx) error {
		gs, err := tx.ListGroupsForUser(ctx, Acct, "robert", storage.ListOptions{})
		must(t, err)
		eq(t, "groups for robert", names(gs, func(g *storage.Group) string { return g.Name }), []string{"Admins", "developers"})
		gs, err = tx.ListGroupsForUser(ctx, Acct, "robert", storage.ListOptions{PathPrefix: "/eng/"})
		must(t, err)
		eq(t, "groups for robert in /eng/", names(gs, func(g *storage.Group) string { return g.Name }), []string{"developers"})
		g, err := tx.GetGroupByID(ctx, "AGPA0000000000000001")
		must(t, err)
		if g.Name != "developers" {
			t.Fatalf("group by ID: %+v", g)
		}
		return nil
	})
	must(t, update(t, s, func(ctx context.Context, tx storage.Tx) error {
		return tx.RemoveUserFromGroup(ctx, Acct, "ADMINS", "Robert")
	}))
	wantErr(t, update(t, s, func(ctx context.Context, tx storage.Tx) error {
		return tx.RemoveUserFromGroup(ctx, Acct, "admins", "robert")
	}),
		storage.ErrNotFound)
	// Deleting a user removes its memberships.
	must(t, update(t, s, func(ctx context.Context, tx storage.Tx) error { return tx.DeleteUser(ctx, Acct, "alice") }))
	view(t, s, func(ctx context.Context, tx storage.Tx) error {
		us, err := tx.ListUsersInGroup(ctx, Acct, "developers", storage.ListOptions{})
		must(t, err)
		eq(t, "users in developers", userNames(us), []string{"robert"})
		all, err := tx.ListGroups(ctx, Acct, storage.ListOptions{})
		must(t, err)
		eq(t, "groups", names(all, func(g *storage.Group) string { return g.Name }), []string{"Admins", "developers", "ops"})
		return nil
	})
	must(t, update(t, s, func(ctx context.Context, tx storage.Tx) error { return tx.DeleteGroup(ctx, Acct, "developers") }))
	view(t, s, func(ctx context.Context, tx storage.Tx) error {
		gs, err := tx.ListGroupsForUser(ctx, Acct, "robert", storage.ListOptions{})
		must(t, err)
		if len(gs) != 0 {
			t.Fatalf("groups after delete: %v", gs)
		}
		return nil
	})
	if c := counts(t, s, Acct); c.Groups != 2 || c.Users != 1 {
		t.Fatalf("counts: %+v", c)
	}
}

func testRoles(t *testing.T, s storage.Store) {
	r := &storage.Role{AccountID: Acct, Name: "Deploy", Path: "/svc/", ID: "AROA0000000000000001", CreatedAt: t0,
		AssumeRolePolicyDocument: `{"Version":"2012-10-17","Statement":[]}`, Description: "d", MaxSessionDuration: 7200,
		Tags:              []storage.Tag{{Key: "k", Value: "v"}},
		TrustPrincipalIDs: map[string]string{"arn:aws:iam::" + Acct + ":user/carol": "AIDA0000000000000001"}}
	must(t, update(t, s, func(ctx context.Context, tx storage.Tx) error { return tx.CreateRole(ctx, r) }))
	wantErr(t, update(t, s, func(ctx context.Context, tx storage.Tx) error {
		return tx.CreateRole(ctx, &storage.Role{AccountID: Acct, Name: "deploy", Path: "/", ID: "AROA2"})
	}), storage.ErrAlreadyExists)
	must(t, update(t, s, func(ctx context.Context, tx storage.Tx) error {
		got, err := tx.GetRole(ctx, Acct, "DEPLOY")
		if err != nil {
			return err
		}
		got.LastUsedAt, got.LastUsedRegion, got.Description = t0.Add(time.Hour), "eu-west-1", "new"
		return tx.UpdateRole(ctx, "deploy", got)
	}))
	view(t, s, func(ctx context.Context, tx storage.Tx) error {
		got, err := tx.GetRoleByID(ctx, r.ID)
		must(t, err)
		if got.Name != "Deploy" || got.MaxSessionDuration != 7200 || got.AssumeRolePolicyDocument != r.AssumeRolePolicyDocument ||
			got.Description != "new" || got.LastUsedRegion != "eu-west-1" || !got.LastUsedAt.Equal(t0.Add(time.Hour)) {
			t.Fatalf("role: %+v", got)
		}
		if !maps.Equal(got.TrustPrincipalIDs, r.TrustPrincipalIDs) {
			t.Fatalf("trust principal IDs: %v, want %v", got.TrustPrincipalIDs, r.TrustPrincipalIDs)
		}
		rs, err := tx.ListRoles(ctx, Acct, storage.ListOptions{PathPrefix: "/svc/"})
		must(t, err)
		if len(rs) != 1 || !maps.Equal(rs[0].TrustPrincipalIDs, r.TrustPrincipalIDs) {
			t.Fatalf("roles: %+v", rs)
		}
		return nil
	})
	// A new trust policy replaces the resolved IDs. A policy that names no user or role (empty) and one
	// never resolved (nil) stay apart.
	trusts := []map[string]string{{"arn:aws:iam::" + Acct2 + ":role/x/app": "AROA0000000000000009", "arn:aws:iam::" + Acct + ":user/gone": ""}, {}, nil}
	for _, ids := range trusts {
		must(t, update(t, s, func(ctx context.Context, tx storage.Tx) error {
			got, err := tx.GetRole(ctx, Acct, "deploy")
			if err != nil {
				return err
			}
			got.TrustPrincipalIDs = ids
			return tx.UpdateRole(ctx, "deploy", got)
		}))
		view(t, s, func(ctx context.Context, tx storage.Tx) error {
			got, err := tx.GetRole(ctx, Acct, "deploy")
			must(t, err)
			if !maps.Equal(got.TrustPrincipalIDs, ids) || (got.TrustPrincipalIDs == nil) != (ids == nil) {
				t.Fatalf("trust principal IDs after update: %v, want %v", got.TrustPrincipalIDs, ids)
			}
			return nil
		})
	}
	must(t, update(t, s, func(ctx context.Context, tx storage.Tx) error { return tx.DeleteRole(ctx, Acct, "deploy") }))
	if c := counts(t, s, Acct); c.Roles != 0 {
		t.Fatalf("Roles = %d", c.Roles)
	}
}

func testManagedPolicies(t *testing.T, s storage.Store) {
	const arn = "arn:aws:iam::" + Acct + ":policy/team/ReadAll"
	const awsARN = "arn:aws:iam::aws:policy/ReadOnlyAccess"
	must(t, update(t, s, func(ctx context.Context, tx storage.Tx) error {
		p := &storage.ManagedPolicy{AccountID: Acct, Name: "ReadAll", Path: "/team/", ID: "ANPA0000000000000001",
			Description: "read", DefaultVersionID: "v1", CreatedAt: t0, UpdatedAt: t0}
		if err := tx.CreateManagedPolicy(ctx, p); err != nil {
			return err
		}
		v := &storage.PolicyVersion{Document: `{"v":1}`, CreatedAt: t0}
		if err := tx.CreatePolicyVersion(ctx, Acct, "ReadAll", v); err != nil {
			return err
		}
		if v.VersionID != "v1" {
			return fmt.Errorf("first version %q", v.VersionID)
		}
		for i, u := range []string{"u1", "u2"} {
			if err := tx.CreateUser(ctx, user(Acct, u, i)); err != nil {
				return err
			}
		}
		if err := tx.CreateRole(ctx, &storage.Role{AccountID: Acct, Name: "r1", Path: "/", ID: "AROA1", PermissionsBoundaryARN: arn}); err != nil {
			return err
		}
		if err := tx.CreateGroup(ctx, &storage.Group{AccountID: Acct, Name: "g1", Path: "/", ID: "AGPA1"}); err != nil {
			return err
		}
		for _, o := range []storage.Owner{{Kind: storage.OwnerUser, Name: "u2"}, {Kind: storage.OwnerUser, Name: "u1"},
			{Kind: storage.OwnerRole, Name: "r1"}, {Kind: storage.OwnerGroup, Name: "g1"}} {
			if err := tx.AttachPolicy(ctx, Acct, o.Kind, o.Name, arn); err != nil {
				return err
			}
		}
		return tx.AttachPolicy(ctx, Acct, storage.OwnerUser, "u1", awsARN)
	}))
	wantErr(t, update(t, s, func(ctx context.Context, tx storage.Tx) error {
		return tx.AttachPolicy(ctx, Acct, storage.OwnerUser, "U1", arn)
	}), storage.ErrAlreadyExists)
	wantErr(t, update(t, s, func(ctx context.Context, tx storage.Tx) error {
		return tx.AttachPolicy(ctx, Acct, storage.OwnerUser, "nobody", arn)
	}), storage.ErrNotFound)
	wantErr(t, update(t, s, func(ctx context.Context, tx storage.Tx) error {
		return tx.CreateManagedPolicy(ctx, &storage.ManagedPolicy{AccountID: Acct, Name: "READALL", Path: "/other/", ID: "ANPA2"})
	}), storage.ErrAlreadyExists)

	// Versions: IDs are never reused, even when a caller writes back a stale policy copy.
	must(t, update(t, s, func(ctx context.Context, tx storage.Tx) error {
		stale, err := tx.GetManagedPolicy(ctx, Acct, "readall")
		if err != nil {
			return err
		}
		for i := 2; i <= 3; i++ {
			if err := tx.CreatePolicyVersion(ctx, Acct, "ReadAll", &storage.PolicyVersion{Document: fmt.Sprintf(`{"v":%d}`, i), CreatedAt: t0}); err != nil {
				return err
			}
		}
		if err := tx.DeletePolicyVersion(ctx, Acct, "ReadAll", "v3"); err != nil {
			return err
		}
		stale.DefaultVersionID = "v2"
		if err := tx.UpdateManagedPolicy(ctx, "ReadAll", stale); err != nil {
			return err
		}
		v := &storage.PolicyVersion{Document: `{"v":4}`, CreatedAt: t0}
		if err := tx.CreatePolicyVersion(ctx, Acct, "ReadAll", v); err != nil {
			return err
		}
		if v.VersionID != "v4" {
			return fmt.Errorf("version after delete = %s, want v4", v.VersionID)
		}
		return nil
	}))
	view(t, s, func(ctx context.Context, tx storage.Tx) error {
		p, err := tx.GetManagedPolicy(ctx, Acct, "READALL")
		must(t, err)
		if p.DefaultVersionID != "v2" || p.AttachmentCount != 4 || p.PermissionsBoundaryUsageCount != 1 || p.Path != "/team/" {
			t.Fatalf("policy: %+v", p)
		}
		p2, err := tx.GetManagedPolicyByID(ctx, "ANPA0000000000000001")
		must(t, err)
		if p2.AttachmentCount != 4 {
			t.Fatalf("policy by ID: %+v", p2)
		}
		vs, err := tx.ListPolicyVersions(ctx, Acct, "ReadAll")
		must(t, err)
		eq(t, "versions", names(vs, func(v *storage.PolicyVersion) string { return v.VersionID }), []string{"v4", "v2", "v1"})
		v, err := tx.GetPolicyVersion(ctx, Acct, "ReadAll", "v2")
		must(t, err)
		if v.Document != `{"v":2}` {
			t.Fatalf("v2: %+v", v)
		}
		_, err = tx.GetPolicyVersion(ctx, Acct, "ReadAll", "v3")
		wantErr(t, err, storage.ErrNotFound)
		_, err = tx.GetPolicyVersion(ctx, Acct, "ReadAll", "bogus")
		wantErr(t, err, storage.ErrNotFound)

		ents, err := tx.ListEntitiesForPolicy(ctx, Acct, arn, storage.ListOptions{})
		must(t, err)
		eq(t, "entities", ents, []storage.Owner{{Kind: storage.OwnerGroup, Name: "g1"}, {Kind: storage.OwnerRole, Name: "r1"},
			{Kind: storage.OwnerUser, Name: "u1"}, {Kind: storage.OwnerUser, Name: "u2"}})
		ents, err = tx.ListEntitiesForPolicy(ctx, Acct, arn, storage.ListOptions{After: ents[1].Key(), Limit: 1})
		must(t, err)
		eq(t, "entities page", ents, []storage.Owner{{Kind: storage.OwnerUser, Name: "u1"}})

		bs, err := tx.ListBoundaryEntities(ctx, Acct, arn, storage.ListOptions{})
		must(t, err)
		eq(t, "boundary entities", bs, []storage.Owner{{Kind: storage.OwnerRole, Name: "r1"}})
		bs, err = tx.ListBoundaryEntities(ctx, Acct, arn, storage.ListOptions{PathPrefix: "/nowhere/"})
		must(t, err)
		eq(t, "boundary entities in /nowhere/", bs, nil)

		att, err := tx.ListAttachedPolicies(ctx, Acct, storage.OwnerUser, "U1", storage.ListOptions{})
		must(t, err)
		eq(t, "attached to u1", att, []string{arn, awsARN})
		att, err = tx.ListAttachedPolicies(ctx, Acct, storage.OwnerUser, "u1", storage.ListOptions{PathPrefix: "/team/"})
		must(t, err)
		eq(t, "attached to u1 in /team/", att, []string{arn})
		att, err = tx.ListAttachedPolicies(ctx, Acct, storage.OwnerUser, "u1", storage.ListOptions{After: arn})
		must(t, err)
		eq(t, "attached to u1 after", att, []string{awsARN})

		u, err := tx.PolicyUsage(ctx, Acct, awsARN)
		must(t, err)
		if u.Attachments != 1 || u.BoundaryUses != 0 {
			t.Fatalf("aws usage: %+v", u)
		}
		all, err := tx.ListPolicyUsage(ctx, Acct)
		must(t, err)
		eq(t, "usage", all, []storage.PolicyUsage{{ARN: arn, Attachments: 4, BoundaryUses: 1}, {ARN: awsARN, Attachments: 1}})
		// Attachments are per account.
		u, err = tx.PolicyUsage(ctx, Acct2, awsARN)
		must(t, err)
		if u.Attachments != 0 {
			t.Fatalf("other account usage: %+v", u)
		}
		ps, err := tx.ListManagedPolicies(ctx, Acct, storage.ListOptions{PathPrefix: "/team/"})
		must(t, err)
		if len(ps) != 1 || ps[0].AttachmentCount != 4 {
			t.Fatalf("list policies: %+v", ps)
		}
		return nil
	})
	if c := counts(t, s, Acct); c.Policies != 1 || c.PolicyVersionsInUse != 3 {
		t.Fatalf("counts: %+v", c)
	}
	// Moving r1's boundary to another policy moves its use (one boundary per owner).
	boundaryUses := func() int64 {
		var n int64
		view(t, s, func(ctx context.Context, tx storage.Tx) error {
			p, err := tx.GetManagedPolicy(ctx, Acct, "ReadAll")
			n = p.PermissionsBoundaryUsageCount
			return err
		})
		return n
	}
	before := boundaryUses()
	for _, b := range []string{awsARN, arn} {
		must(t, update(t, s, func(ctx context.Context, tx storage.Tx) error {
			r, err := tx.GetRole(ctx, Acct, "r1")
			if err != nil {
				return err
			}
			r.PermissionsBoundaryARN = b
			return tx.UpdateRole(ctx, "r1", r)
		}))
		view(t, s, func(ctx context.Context, tx storage.Tx) error {
			r, err := tx.GetRole(ctx, Acct, "r1")
			if err == nil && r.PermissionsBoundaryARN != b {
				t.Fatalf("r1 boundary %q, want %q", r.PermissionsBoundaryARN, b)
			}
			return err
		})
		if got := boundaryUses(); b == awsARN && got != before-1 {
			t.Fatalf("ReadAll boundary uses after moving r1's away: %d, want %d", got, before-1)
		}
	}
	if got := boundaryUses(); got != before {
		t.Fatalf("ReadAll boundary uses after moving r1's back: %d, want %d", got, before)
	}
	// Detach, delete owners, delete the policy: counts follow.
	must(t, update(t, s, func(ctx context.Context, tx storage.Tx) error {
		if err := tx.DetachPolicy(ctx, Acct, storage.OwnerUser, "u2", arn); err != nil {
			return err
		}
		if err := tx.DeleteUser(ctx, Acct, "u1"); err != nil {
			return err
		}
		r, _ := tx.GetRole(ctx, Acct, "r1")
		r.PermissionsBoundaryARN = ""
		return tx.UpdateRole(ctx, "r1", r)
	}))
	wantErr(t, update(t, s, func(ctx context.Context, tx storage.Tx) error {
		return tx.DetachPolicy(ctx, Acct, storage.OwnerUser, "u2", arn)
	}), storage.ErrNotFound)
	view(t, s, func(ctx context.Context, tx storage.Tx) error {
		p, err := tx.GetManagedPolicy(ctx, Acct, "ReadAll")
		must(t, err)
		if p.AttachmentCount != 2 || p.PermissionsBoundaryUsageCount != 0 {
			t.Fatalf("policy counts: %+v", p)
		}
		return nil
	})
	must(t, update(t, s, func(ctx context.Context, tx storage.Tx) error { return tx.DeleteManagedPolicy(ctx, Acct, "readall") }))
	if c := counts(t, s, Acct); c.Policies != 0 || c.PolicyVersionsInUse != 0 {
		t.Fatalf("counts after delete: %+v", c)
	}
}

func testInlinePolicies(t *testing.T, s storage.Store) {
	must(t, update(t, s, func(ctx context.Context, tx storage.Tx) error {
		if err := tx.CreateUser(ctx, user(Acct, "bob", 1)); err != nil {
			return err
		}
		for _, n := range []string{"S3", "ec2", "Iam"} {
			if err := tx.PutInlinePolicy(ctx, &storage.InlinePolicy{AccountID: Acct, OwnerKind: storage.OwnerUser, OwnerName: "bob", Name: n, Document: n + "-doc"}); err != nil {
				return err
			}
		}
		// Put replaces (case-insensitively).
		return tx.PutInlinePolicy(ctx, &storage.InlinePolicy{AccountID: Acct, OwnerKind: storage.OwnerUser, OwnerName: "BOB", Name: "s3", Document: "new"})
	}))
	wantErr(t, update(t, s, func(ctx context.Context, tx storage.Tx) error {
		return tx.PutInlinePolicy(ctx, &storage.InlinePolicy{AccountID: Acct, OwnerKind: storage.OwnerRole, OwnerName: "bob", Name: "x", Document: "x"})
	}), storage.ErrNotFound)
	view(t, s, func(ctx context.Context, tx storage.Tx) error {
		p, err := tx.GetInlinePolicy(ctx, Acct, storage.OwnerUser, "Bob", "S3")
		must(t, err)
		if p.Document != "new" || p.Name != "s3" || p.OwnerName != "bob" {
			t.Fatalf("inline: %+v", p)
		}
		ps, err := tx.ListInlinePolicies(ctx, Acct, storage.OwnerUser, "bob", storage.ListOptions{})
		must(t, err)
		eq(t, "inline", names(ps, func(p *storage.InlinePolicy) string { return p.Name }), []string{"ec2", "Iam", "s3"})
		ps, err = tx.ListInlinePolicies(ctx, Acct, storage.OwnerUser, "bob", storage.ListOptions{After: "ec2", Limit: 1})
		must(t, err)
		eq(t, "inline page", names(ps, func(p *storage.InlinePolicy) string { return p.Name }), []string{"Iam"})
		_, err = tx.GetInlinePolicy(ctx, Acct, storage.OwnerGroup, "bob", "S3")
		wantErr(t, err, storage.ErrNotFound)
		return nil
	})
	must(t, update(t, s, func(ctx context.Context, tx storage.Tx) error {
		return tx.DeleteInlinePolicy(ctx, Acct, storage.OwnerUser, "bob", "EC2")
	}))
	wantErr(t, update(t, s, func(ctx context.Context, tx storage.Tx) error {
		return tx.DeleteInlinePolicy(ctx, Acct, storage.OwnerUser, "bob", "EC2")
	}),
		storage.ErrNotFound)
	// Deleting the owner deletes its inline policies: recreate and find none.
	must(t, update(t, s, func(ctx context.Context, tx storage.Tx) error {
		if err := tx.DeleteUser(ctx, Acct, "bob"); err != nil {
			return err
		}
		return tx.CreateUser(ctx, user(Acct, "bob", 2))
	}))
	view(t, s, func(ctx context.Context, tx storage.Tx) error {
		ps, err := tx.ListInlinePolicies(ctx, Acct, storage.OwnerUser, "bob", storage.ListOptions{})
		must(t, err)
		if len(ps) != 0 {
			t.Fatalf("inline policies survived their user: %v", ps)
		}
		return nil
	})
}

func testAccessKeys(t *testing.T, s storage.Store) {
	must(t, update(t, s, func(ctx context.Context, tx storage.Tx) error {
		if err := tx.CreateUser(ctx, user(Acct, "bob", 1)); err != nil {
			return err
		}
		for i, k := range []*storage.AccessKey{
			{ID: "AKIAROOT000000000001", AccountID: Acct},
			{ID: "AKIABOB0000000000002", AccountID: Acct, UserName: "Bob"},
			{ID: "AKIABOB0000000000001", AccountID: Acct, UserName: "bob"},
		} {
			k.SecretSealed, k.Status, k.CreatedAt = []byte{0, 1, 2, byte(i)}, storage.StatusActive, t0
			if err := tx.CreateAccessKey(ctx, k); err != nil {
				return err
			}
		}
		return nil
	}))
	wantErr(t, update(t, s, func(ctx context.Context, tx storage.Tx) error {
		return tx.CreateAccessKey(ctx, &storage.AccessKey{ID: "AKIAROOT000000000001", AccountID: Acct2})
	}), storage.ErrAlreadyExists)
	wantErr(t, update(t, s, func(ctx context.Context, tx storage.Tx) error {
		return tx.CreateAccessKey(ctx, &storage.AccessKey{ID: "AKIANEW", AccountID: Acct, UserName: "nobody"})
	}), storage.ErrNotFound)
	if c := counts(t, s, Acct); c.RootAccessKeys != 1 {
		t.Fatalf("RootAccessKeys = %d", c.RootAccessKeys)
	}
	must(t, update(t, s, func(ctx context.Context, tx storage.Tx) error {
		k, err := tx.GetAccessKey(ctx, "AKIABOB0000000000001")
		if err != nil {
			return err
		}
		k.Status = storage.StatusInactive
		k.LastUsed = storage.AccessKeyLastUsed{Date: t0.Add(time.Second), Service: "iam", Region: "us-east-1"}
		if err := tx.UpdateAccessKey(ctx, k); err != nil {
			return err
		}
		// Renaming the user keeps its keys.
		u, _ := tx.GetUser(ctx, Acct, "bob")
		u.Name = "robert"
		return tx.UpdateUser(ctx, "bob", u)
	}))
	view(t, s, func(ctx context.Context, tx storage.Tx) error {
		k, err := tx.GetAccessKey(ctx, "AKIABOB0000000000001")
		must(t, err)
		if k.AccountID != Acct || k.UserName != "robert" || k.Status != storage.StatusInactive || k.LastUsed.Service != "iam" ||
			!k.LastUsed.Date.Equal(t0.Add(time.Second)) || !slices.Equal(k.SecretSealed, []byte{0, 1, 2, 2}) {
			t.Fatalf("key: %+v", k)
		}
		root, err := tx.GetAccessKey(ctx, "AKIAROOT000000000001")
		must(t, err)
		if root.UserName != "" {
			t.Fatalf("root key user %q", root.UserName)
		}
		ks, err := tx.ListAccessKeys(ctx, Acct, "ROBERT")
		must(t, err)
		eq(t, "keys", names(ks, func(k *storage.AccessKey) string { return k.ID }), []string{"AKIABOB0000000000001", "AKIABOB0000000000002"})
		ks, err = tx.ListAccessKeys(ctx, Acct, "")
		must(t, err)
		eq(t, "root keys", names(ks, func(k *storage.AccessKey) string { return k.ID }), []string{"AKIAROOT000000000001"})
		_, err = tx.GetAccessKey(ctx, "AKIANOPE")
		wantErr(t, err, storage.ErrNotFound)
		return nil
	})
	// Deleting the user deletes its keys; deleting the root key clears the counter.
	must(t, update(t, s, func(ctx context.Context, tx storage.Tx) error {
		if err := tx.DeleteUser(ctx, Acct, "robert"); err != nil {
			return err
		}
		return tx.DeleteAccessKey(ctx, "AKIAROOT000000000001")
	}))
	wantErr(t, update(t, s, func(ctx context.Context, tx storage.Tx) error { return tx.DeleteAccessKey(ctx, "AKIAROOT000000000001") }),
		storage.ErrNotFound)
	view(t, s, func(ctx context.Context, tx storage.Tx) error {
		_, err := tx.GetAccessKey(ctx, "AKIABOB0000000000001")
		wantErr(t, err, storage.ErrNotFound)
		return nil
	})
	if c := counts(t, s, Acct); c.RootAccessKeys != 0 {
		t.Fatalf("RootAccessKeys = %d", c.RootAccessKeys)
	}
}

func testLoginProfiles(t *testing.T, s storage.Store) {
	must(t, update(t, s, func(ctx context.Context, tx storage.Tx) error {
		if err := tx.CreateUser(ctx, user(Acct, "bob", 1)); err != nil {
			return err
		}
		return tx.CreateLoginProfile(ctx, &storage.LoginProfile{AccountID: Acct, UserName: "BOB", PasswordHash: []byte("h"), CreatedAt: t0, PasswordResetRequired: true})
	}))
	wantErr(t, update(t, s, func(ctx context.Context, tx storage.Tx) error {
		return tx.CreateLoginProfile(ctx, &storage.LoginProfile{AccountID: Acct, UserName: "bob"})
	}), storage.ErrAlreadyExists)
	wantErr(t, update(t, s, func(ctx context.Context, tx storage.Tx) error {
		return tx.CreateLoginProfile(ctx, &storage.LoginProfile{AccountID: Acct, UserName: "nobody"})
	}), storage.ErrNotFound)
	must(t, update(t, s, func(ctx context.Context, tx storage.Tx) error {
		p, err := tx.GetLoginProfile(ctx, Acct, "bob")
		if err != nil {
			return err
		}
		p.PasswordResetRequired, p.PasswordHash = false, []byte("h2")
		return tx.UpdateLoginProfile(ctx, p)
	}))
	view(t, s, func(ctx context.Context, tx storage.Tx) error {
		p, err := tx.GetLoginProfile(ctx, Acct, "Bob")
		must(t, err)
		if p.UserName != "bob" || p.PasswordResetRequired || string(p.PasswordHash) != "h2" || !p.CreatedAt.Equal(t0) {
			t.Fatalf("login profile: %+v", p)
		}
		return nil
	})
	must(t, update(t, s, func(ctx context.Context, tx storage.Tx) error { return tx.DeleteLoginProfile(ctx, Acct, "bob") }))
	wantErr(t, update(t, s, func(ctx context.Context, tx storage.Tx) error { return tx.DeleteLoginProfile(ctx, Acct, "bob") }),
		storage.ErrNotFound)
}

func testMFADevices(t *testing.T, s storage.Store) {
	must(t, update(t, s, func(ctx context.Context, tx storage.Tx) error {
		if err := tx.CreateUser(ctx, user(Acct, "bob", 1)); err != nil {
			return err
		}
		for _, d := range []*storage.MFADevice{
			{Name: "bob-phone", UserName: "bob", EnableDate: t0},
			{Name: "spare"},
			{Name: "root-key", Root: true, EnableDate: t0},
		} {
			d.AccountID, d.Path, d.SeedSealed, d.CreatedAt = Acct, "/", []byte("seed"), t0
			if err := tx.CreateMFADevice(ctx, d); err != nil {
				return err
			}
		}
		return nil
	}))
	wantErr(t, update(t, s, func(ctx context.Context, tx storage.Tx) error {
		return tx.CreateMFADevice(ctx, &storage.MFADevice{AccountID: Acct, Name: "SPARE", Path: "/"})
	}), storage.ErrAlreadyExists)
	if c := counts(t, s, Acct); c.MFADevices != 3 || c.MFADevicesInUse != 2 || c.RootMFADevices != 1 {
		t.Fatalf("MFA counts: %+v", c)
	}
	yes, no := true, false
	view(t, s, func(ctx context.Context, tx storage.Tx) error {
		for _, tc := range []struct {
			f    storage.MFAFilter
			want []string
		}{
			{storage.MFAFilter{}, []string{"bob-phone", "root-key", "spare"}},
			{storage.MFAFilter{UserName: "BOB"}, []string{"bob-phone"}},
			{storage.MFAFilter{Root: true}, []string{"root-key"}},
			{storage.MFAFilter{Assigned: &yes}, []string{"bob-phone", "root-key"}},
			{storage.MFAFilter{Assigned: &no}, []string{"spare"}},
		} {
			ds, err := tx.ListMFADevices(ctx, Acct, tc.f, storage.ListOptions{})
			must(t, err)
			eq(t, fmt.Sprintf("MFA %+v", tc.f), names(ds, func(d *storage.MFADevice) string { return d.Name }), tc.want)
		}
		d, err := tx.GetMFADevice(ctx, Acct, "BOB-PHONE")
		must(t, err)
		if d.UserName != "bob" || string(d.SeedSealed) != "seed" || !d.EnableDate.Equal(t0) {
			t.Fatalf("device: %+v", d)
		}
		return nil
	})
	// Assign the spare, then delete bob: his device becomes unassigned but stays.
	must(t, update(t, s, func(ctx context.Context, tx storage.Tx) error {
		d, err := tx.GetMFADevice(ctx, Acct, "spare")
		if err != nil {
			return err
		}
		d.UserName = "bob"
		return tx.UpdateMFADevice(ctx, d)
	}))
	if c := counts(t, s, Acct); c.MFADevicesInUse != 3 {
		t.Fatalf("MFADevicesInUse = %d", c.MFADevicesInUse)
	}
	must(t, update(t, s, func(ctx context.Context, tx storage.Tx) error { return tx.DeleteUser(ctx, Acct, "bob") }))
	view(t, s, func(ctx context.Context, tx storage.Tx) error {
		d, err := tx.GetMFADevice(ctx, Acct, "bob-phone")
		must(t, err)
		if d.Assigned() {
			t.Fatalf("device of deleted user still assigned: %+v", d)
		}
		return nil
	})
	must(t, update(t, s, func(ctx context.Context, tx storage.Tx) error { return tx.DeleteMFADevice(ctx, Acct, "root-key") }))
	if c := counts(t, s, Acct); c.MFADevices != 2 || c.MFADevicesInUse != 0 || c.RootMFADevices != 0 {
		t.Fatalf("MFA counts: %+v", c)
	}
}

func testInstanceProfiles(t *testing.T, s storage.Store) {
	must(t, update(t, s, func(ctx context.Context, tx storage.Tx) error {
		if err := tx.CreateRole(ctx, &storage.Role{AccountID: Acct, Name: "web", Path: "/", ID: "AROA1"}); err != nil {
			return err
		}
		for i, n := range []string{"web-profile", "batch"} {
			if err := tx.CreateInstanceProfile(ctx, &storage.InstanceProfile{AccountID: Acct, Name: n, Path: "/", ID: fmt.Sprintf("AIPA%d", i), CreatedAt: t0}); err != nil {
				return err
			}
		}
		return tx.AddRoleToInstanceProfile(ctx, Acct, "WEB-PROFILE", "Web")
	}))
	wantErr(t, update(t, s, func(ctx context.Context, tx storage.Tx) error {
		return tx.AddRoleToInstanceProfile(ctx, Acct, "web-profile", "web")
	}),
		storage.ErrAlreadyExists)
	wantErr(t, update(t, s, func(ctx context.Context, tx storage.Tx) error {
		return tx.AddRoleToInstanceProfile(ctx, Acct, "web-profile", "nope")
	}),
		storage.ErrNotFound)
	view(t, s, func(ctx context.Context, tx storage.Tx) error {
		p, err := tx.GetInstanceProfile(ctx, Acct, "web-profile")
		must(t, err)
		eq(t, "roles", p.Roles, []string{"web"})
		p, err = tx.GetInstanceProfileByID(ctx, "AIPA1")
		must(t, err)
		if p.Name != "batch" || len(p.Roles) != 0 {
			t.Fatalf("by ID: %+v", p)
		}
		ps, err := tx.ListInstanceProfilesForRole(ctx, Acct, "WEB", storage.ListOptions{})
		must(t, err)
		if len(ps) != 1 || ps[0].Name != "web-profile" || !slices.Equal(ps[0].Roles, []string{"web"}) {
			t.Fatalf("for role: %+v", ps)
		}
		ps, err = tx.ListInstanceProfiles(ctx, Acct, storage.ListOptions{})
		must(t, err)
		eq(t, "profiles", names(ps, func(p *storage.InstanceProfile) string { return p.Name }), []string{"batch", "web-profile"})
		return nil
	})
	must(t, update(t, s, func(ctx context.Context, tx storage.Tx) error {
		return tx.RemoveRoleFromInstanceProfile(ctx, Acct, "web-profile", "web")
	}))
	wantErr(t, update(t, s, func(ctx context.Context, tx storage.Tx) error {
		return tx.RemoveRoleFromInstanceProfile(ctx, Acct, "web-profile", "web")
	}),
		storage.ErrNotFound)
	must(t, update(t, s, func(ctx context.Context, tx storage.Tx) error { return tx.DeleteInstanceProfile(ctx, Acct, "batch") }))
	if c := counts(t, s, Acct); c.InstanceProfiles != 1 {
		t.Fatalf("InstanceProfiles = %d", c.InstanceProfiles)
	}
}

func testResourcesAndCredentials(t *testing.T, s storage.Store) {
	must(t, update(t, s, func(ctx context.Context, tx storage.Tx) error {
		for i, r := range []*storage.Resource{
			{Kind: storage.ResourceOIDCProvider, Name: "token.actions.githubusercontent.com"},
			{Kind: storage.ResourceSAMLProvider, Name: "Okta"},
			{Kind: storage.ResourceServerCertificate, Name: "web-cert"},
		} {
			r.AccountID, r.Path, r.ID, r.CreatedAt, r.Data = Acct, "/", fmt.Sprintf("ID%d", i), t0, []byte(`{"x":1}`)
			if err := tx.CreateResource(ctx, r); err != nil {
				return err
			}
		}
		if err := tx.CreateUser(ctx, user(Acct, "bob", 1)); err != nil {
			return err
		}
		for _, c := range []*storage.Credential{
			{ID: "ASCA1", Kind: storage.CredentialSigningCertificate},
			{ID: "ASCA2", Kind: storage.CredentialSigningCertificate, UserName: "bob"},
			{ID: "APKA1", Kind: storage.CredentialSSHPublicKey, UserName: "bob"},
		} {
			c.AccountID, c.Status, c.CreatedAt, c.Data = Acct, storage.StatusActive, t0, []byte(`"body"`)
			if err := tx.CreateCredential(ctx, c); err != nil {
				return err
			}
		}
		return nil
	}))
	wantErr(t, update(t, s, func(ctx context.Context, tx storage.Tx) error {
		return tx.CreateResource(ctx, &storage.Resource{AccountID: Acct, Kind: storage.ResourceSAMLProvider, Name: "OKTA", Path: "/", ID: "X"})
	}), storage.ErrAlreadyExists)
	if err := update(t, s, func(ctx context.Context, tx storage.Tx) error {
		return tx.CreateResource(ctx, &storage.Resource{AccountID: Acct, Kind: "user", Name: "sneaky", Path: "/", ID: "X"})
	}); err == nil {
		t.Fatal("a resource of kind user was accepted")
	}
	c := counts(t, s, Acct)
	if c.Providers != 2 || c.ServerCertificates != 1 || c.RootSigningCertificates != 1 {
		t.Fatalf("counts: %+v", c)
	}
	view(t, s, func(ctx context.Context, tx storage.Tx) error {
		r, err := tx.GetResource(ctx, Acct, storage.ResourceSAMLProvider, "okta")
		must(t, err)
		if r.Name != "Okta" || string(r.Data) != `{"x":1}` {
			t.Fatalf("resource: %+v", r)
		}
		r, err = tx.GetResourceByID(ctx, storage.ResourceServerCertificate, "ID2")
		must(t, err)
		if r.Name != "web-cert" {
			t.Fatalf("by ID: %+v", r)
		}
		rs, err := tx.ListResources(ctx, Acct, storage.ResourceOIDCProvider, storage.ListOptions{})
		must(t, err)
		if len(rs) != 1 {
			t.Fatalf("OIDC providers: %d", len(rs))
		}
		cs, err := tx.ListCredentials(ctx, Acct, storage.CredentialSigningCertificate, "bob")
		must(t, err)
		eq(t, "bob certs", names(cs, func(c *storage.Credential) string { return c.ID }), []string{"ASCA2"})
		cr, err := tx.GetCredential(ctx, storage.CredentialSSHPublicKey, "APKA1")
		must(t, err)
		if cr.UserName != "bob" || string(cr.Data) != `"body"` {
			t.Fatalf("credential: %+v", cr)
		}
		return nil
	})
	must(t, update(t, s, func(ctx context.Context, tx storage.Tx) error {
		cr, _ := tx.GetCredential(ctx, storage.CredentialSSHPublicKey, "APKA1")
		cr.Status = storage.StatusInactive
		if err := tx.UpdateCredential(ctx, cr); err != nil {
			return err
		}
		r, _ := tx.GetResource(ctx, Acct, storage.ResourceSAMLProvider, "okta")
		r.Data = []byte(`{"x":2}`)
		if err := tx.UpdateResource(ctx, "okta", r); err != nil {
			return err
		}
		if err := tx.DeleteCredential(ctx, storage.CredentialSigningCertificate, "ASCA1"); err != nil {
			return err
		}
		return tx.DeleteResource(ctx, Acct, storage.ResourceOIDCProvider, "token.actions.githubusercontent.com")
	}))
	c = counts(t, s, Acct)
	if c.Providers != 1 || c.RootSigningCertificates != 0 {
		t.Fatalf("counts: %+v", c)
	}
	view(t, s, func(ctx context.Context, tx storage.Tx) error {
		cr, err := tx.GetCredential(ctx, storage.CredentialSSHPublicKey, "APKA1")
		must(t, err)
		if cr.Status != storage.StatusInactive {
			t.Fatalf("credential not updated: %+v", cr)
		}
		r, err := tx.GetResource(ctx, Acct, storage.ResourceSAMLProvider, "okta")
		must(t, err)
		if string(r.Data) != `{"x":2}` {
			t.Fatalf("resource not updated: %s", r.Data)
		}
		_, err = tx.GetCredential(ctx, storage.CredentialSigningCertificate, "ASCA1")
		wantErr(t, err, storage.ErrNotFound)
		return nil
	})
}

func testKeyRing(t *testing.T, s storage.Store) {
	var ring *storage.KeyRing
	view(t, s, func(ctx context.Context, tx storage.Tx) error {
		var err error
		ring, err = tx.GetKeyRing(ctx)
		return err
	})
	if ring.Generation != 0 || len(ring.Keys) != 0 {
		t.Fatalf("initial ring: %+v", ring)
	}
	k1 := storage.TokenKey{ID: 1, Sealed: []byte("k1"), CreatedAt: t0, NotAfter: t0.Add(time.Hour), RetireAfter: t0.Add(48 * time.Hour)}
	must(t, update(t, s, func(ctx context.Context, tx storage.Tx) error { return tx.PutKeyRing(ctx, 0, []storage.TokenKey{k1}) }))
	// A second writer that also saw generation 0 loses.
	wantErr(t, update(t, s, func(ctx context.Context, tx storage.Tx) error { return tx.PutKeyRing(ctx, 0, nil) }), storage.ErrConflict)
	k2 := storage.TokenKey{ID: 2, Sealed: []byte("k2"), CreatedAt: t0.Add(time.Hour)}
	must(t, update(t, s, func(ctx context.Context, tx storage.Tx) error {
		return tx.PutKeyRing(ctx, 1, []storage.TokenKey{k1, k2})
	}))
	wantErr(t, update(t, s, func(ctx context.Context, tx storage.Tx) error { return tx.PutKeyRing(ctx, 1, nil) }), storage.ErrConflict)
	view(t, s, func(ctx context.Context, tx storage.Tx) error {
		r, err := tx.GetKeyRing(ctx)
		must(t, err)
		if r.Generation != 2 || len(r.Keys) != 2 || r.Keys[1].ID != 2 || string(r.Keys[0].Sealed) != "k1" ||
			!r.Keys[0].RetireAfter.Equal(k1.RetireAfter) {
			t.Fatalf("ring: %+v", r)
		}
		return nil
	})
	// Concurrent rotations from the same generation: exactly one wins.
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins, conflicts := 0, 0
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := update(t, s, func(ctx context.Context, tx storage.Tx) error {
				return tx.PutKeyRing(ctx, 2, []storage.TokenKey{{ID: uint32(10 + i)}})
			})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				wins++
			case errors.Is(err, storage.ErrConflict):
				conflicts++
			default:
				t.Errorf("rotation: %v", err)
			}
		}()
	}
	wg.Wait()
	if wins != 1 || conflicts != 7 {
		t.Fatalf("wins %d conflicts %d, want 1 and 7", wins, conflicts)
	}
}

func testConcurrentCreate(t *testing.T, s storage.Store) {
	const n = 50
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Different cases of one name: uniqueness is case-insensitive.
			name := "Racer"
			if i%2 == 1 {
				name = "racer"
			}
			errs[i] = update(t, s, func(ctx context.Context, tx storage.Tx) error {
				return tx.CreateUser(ctx, user(Acct, name, 1000+i))
			})
		}()
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case errors.Is(err, storage.ErrAlreadyExists):
		default:
			t.Errorf("unexpected error: %v", err)
		}
	}
	if ok != 1 {
		t.Fatalf("%d creations succeeded, want exactly 1", ok)
	}
	if c := counts(t, s, Acct); c.Users != 1 {
		t.Fatalf("Users = %d, want 1", c.Users)
	}
}

func testRollback(t *testing.T, s storage.Store) {
	boom := errors.New("boom")
	err := update(t, s, func(ctx context.Context, tx storage.Tx) error {
		if err := tx.CreateUser(ctx, user(Acct, "a", 1)); err != nil {
			return err
		}
		if err := tx.CreateGroup(ctx, &storage.Group{AccountID: Acct, Name: "g", Path: "/", ID: "AGPA1"}); err != nil {
			return err
		}
		if err := tx.AddUserToGroup(ctx, Acct, "g", "a"); err != nil {
			return err
		}
		if err := tx.CreateAccessKey(ctx, &storage.AccessKey{ID: "AKIAROOT", AccountID: Acct, Status: storage.StatusActive}); err != nil {
			return err
		}
		if err := tx.PutKeyRing(ctx, 0, []storage.TokenKey{{ID: 1}}); err != nil {
			return err
		}
		return fmt.Errorf("wrapped: %w", boom)
	})
	wantErr(t, err, boom)
	// A failed statement (duplicate) followed by an error also leaves nothing behind.
	err = update(t, s, func(ctx context.Context, tx storage.Tx) error {
		if err := tx.CreateUser(ctx, user(Acct, "b", 2)); err != nil {
			return err
		}
		if err := tx.CreateUser(ctx, user(Acct, "B", 3)); !errors.Is(err, storage.ErrAlreadyExists) {
			return fmt.Errorf("duplicate inside a transaction: %v", err)
		}
		// The transaction must still be usable after ErrAlreadyExists.
		if _, err := tx.GetUser(ctx, Acct, "b"); err != nil {
			return fmt.Errorf("read after ErrAlreadyExists: %w", err)
		}
		return boom
	})
	wantErr(t, err, boom)
	view(t, s, func(ctx context.Context, tx storage.Tx) error {
		for _, n := range []string{"a", "b"} {
			_, err := tx.GetUser(ctx, Acct, n)
			wantErr(t, err, storage.ErrNotFound)
		}
		_, err := tx.GetGroup(ctx, Acct, "g")
		wantErr(t, err, storage.ErrNotFound)
		_, err = tx.GetAccessKey(ctx, "AKIAROOT")
		wantErr(t, err, storage.ErrNotFound)
		r, err := tx.GetKeyRing(ctx)
		must(t, err)
		if r.Generation != 0 {
			t.Fatalf("key ring written by a rolled-back transaction: %+v", r)
		}
		return nil
	})
	if c := counts(t, s, Acct); c != (storage.Counts{}) {
		t.Fatalf("counters changed by rolled-back transactions: %+v", c)
	}
	// Writes inside View fail.
	ctx := context.Background()
	if err := s.View(ctx, func(tx storage.Tx) error { return tx.CreateUser(ctx, user(Acct, "viewer", 9)) }); err == nil {
		t.Fatal("a write inside View succeeded")
	}
}

func testCounters(t *testing.T, s storage.Store) {
	// A transaction sees its own changes to the counters, before and after it writes more.
	must(t, update(t, s, func(ctx context.Context, tx storage.Tx) error {
		for i := range 3 {
			c, err := tx.Counts(ctx, Acct)
			if err != nil {
				return err
			}
			if c.Users != int64(i) {
				t.Fatalf("Counts inside the transaction after %d CreateUser: %d users", i, c.Users)
			}
			if err := tx.CreateUser(ctx, user(Acct, fmt.Sprintf("tx%d", i), 100+i)); err != nil {
				return err
			}
		}
		for i := range 3 {
			if err := tx.DeleteUser(ctx, Acct, fmt.Sprintf("tx%d", i)); err != nil {
				return err
			}
		}
		c, err := tx.Counts(ctx, Acct)
		if err == nil && (c.Users != 0 || c.Groups != 0) {
			t.Fatalf("Counts inside the transaction after deleting its users: %+v", c)
		}
		return err
	}))
	// Counters of an account created and deleted in one transaction go with it.
	must(t, update(t, s, func(ctx context.Context, tx storage.Tx) error {
		const gone = "333333333333"
		if err := tx.CreateAccount(ctx, &storage.Account{ID: gone, CreatedAt: t0}); err != nil {
			return err
		}
		if err := tx.CreateUser(ctx, user(gone, "bob", 200)); err != nil {
			return err
		}
		return tx.DeleteAccount(ctx, gone)
	}))
	check := func() {
		t.Helper()
		var c storage.Counts
		var users, groups, roles int
		view(t, s, func(ctx context.Context, tx storage.Tx) error {
			var err error
			if c, err = tx.Counts(ctx, Acct); err != nil {
				return err
			}
			us, err := tx.ListUsers(ctx, Acct, storage.ListOptions{})
			if err != nil {
				return err
			}
			gs, err := tx.ListGroups(ctx, Acct, storage.ListOptions{})
			if err != nil {
				return err
			}
			rs, err := tx.ListRoles(ctx, Acct, storage.ListOptions{})
			users, groups, roles = len(us), len(gs), len(rs)
			return err
		})
		if c.Users != int64(users) || c.Groups != int64(groups) || c.Roles != int64(roles) {
			t.Fatalf("counters %+v disagree with listings: %d users %d groups %d roles", c, users, groups, roles)
		}
	}
	check()
	for i := range 30 {
		must(t, update(t, s, func(ctx context.Context, tx storage.Tx) error {
			if err := tx.CreateUser(ctx, user(Acct, fmt.Sprintf("u%02d", i), i)); err != nil {
				return err
			}
			if i%3 == 0 {
				return tx.CreateGroup(ctx, &storage.Group{AccountID: Acct, Name: fmt.Sprintf("g%02d", i), Path: "/", ID: fmt.Sprintf("AGPA%d", i)})
			}
			if i%5 == 0 {
				return tx.CreateRole(ctx, &storage.Role{AccountID: Acct, Name: fmt.Sprintf("r%02d", i), Path: "/", ID: fmt.Sprintf("AROA%d", i)})
			}
			return nil
		}))
	}
	check()
	// Failed creations and deletions must not move counters.
	for i := range 30 {
		_ = update(t, s, func(ctx context.Context, tx storage.Tx) error {
			return tx.CreateUser(ctx, user(Acct, fmt.Sprintf("U%02d", i), 100+i))
		})
		if i%2 == 0 {
			must(t, update(t, s, func(ctx context.Context, tx storage.Tx) error {
				return tx.DeleteUser(ctx, Acct, fmt.Sprintf("u%02d", i))
			}))
		}
		_ = update(t, s, func(ctx context.Context, tx storage.Tx) error { return tx.DeleteRole(ctx, Acct, "nonexistent") })
	}
	check()
	if c := counts(t, s, Acct); c.Users != 15 {
		t.Fatalf("Users = %d, want 15", c.Users)
	}
	// Counters are per account.
	if c := counts(t, s, Acct2); c.Users != 0 {
		t.Fatalf("other account Users = %d", c.Users)
	}
}

func testPagination(t *testing.T, s storage.Store) {
	const total, pageSize, batch = 2500, 100, 250
	for b := 0; b < total; b += batch {
		must(t, update(t, s, func(ctx context.Context, tx storage.Tx) error {
			for i := b; i < b+batch; i++ {
				name := fmt.Sprintf("user%05d", i)
				if i%2 == 1 {
					name = fmt.Sprintf("USER%05d", i) // mixed case must not change the order
				}
				if err := tx.CreateUser(ctx, user(Acct, name, i)); err != nil {
					return err
				}
			}
			return nil
		}))
	}
	deleted := map[string]bool{}
	seen := map[string]bool{}
	var order []string
	after := ""
	for pageNo := 0; ; pageNo++ {
		var us []*storage.User
		view(t, s, func(ctx context.Context, tx storage.Tx) error {
			var err error
			us, err = tx.ListUsers(ctx, Acct, storage.ListOptions{After: after, Limit: pageSize})
			return err
		})
		for _, u := range us {
			k := storage.Fold(u.Name)
			if seen[k] {
				t.Fatalf("page %d: %s listed twice", pageNo, u.Name)
			}
			if deleted[k] {
				t.Fatalf("page %d: deleted %s listed", pageNo, u.Name)
			}
			seen[k] = true
			order = append(order, k)
		}
		if len(us) < pageSize {
			break
		}
		after = us[len(us)-1].Name
		// Between pages delete some users behind the cursor, ahead of it, and the cursor itself.
		must(t, update(t, s, func(ctx context.Context, tx storage.Tx) error {
			for _, i := range []int{pageNo*pageSize + 7, pageNo*pageSize + 150, pageNo*pageSize + 199} {
				if i >= total {
					continue
				}
				name := fmt.Sprintf("user%05d", i)
				if deleted[name] {
					continue
				}
				if err := tx.DeleteUser(ctx, Acct, name); err != nil {
					return err
				}
				deleted[name] = true
			}
			return tx.DeleteUser(ctx, Acct, after)
		}))
		deleted[storage.Fold(after)] = true
	}
	if !slices.IsSorted(order) {
		t.Fatal("listing is not in folded-name order")
	}
	// Every user that survived the walk was listed exactly once.
	for i := range total {
		k := fmt.Sprintf("user%05d", i)
		if !deleted[k] && !seen[k] {
			t.Fatalf("surviving %s was skipped", k)
		}
	}
	if c := counts(t, s, Acct); c.Users != int64(total-len(deleted)) {
		t.Fatalf("Users = %d, want %d", c.Users, total-len(deleted))
	}
}

func testChanges(t *testing.T, s storage.Store) {
	ch, cancel := s.Subscribe()
	defer cancel()
	must(t, update(t, s, func(ctx context.Context, tx storage.Tx) error { return tx.CreateUser(ctx, user(Acct, "Bob", 1)) }))
	// A rolled-back transaction notifies nothing.
	_ = update(t, s, func(ctx context.Context, tx storage.Tx) error {
		if err := tx.CreateUser(ctx, user(Acct, "ghost", 2)); err != nil {
			return err
		}
		return errors.New("abort")
	})
	must(t, update(t, s, func(ctx context.Context, tx storage.Tx) error {
		return tx.CreateAccessKey(ctx, &storage.AccessKey{ID: "AKIACHANGE", AccountID: Acct, UserName: "bob", Status: storage.StatusActive})
	}))
	must(t, update(t, s, func(ctx context.Context, tx storage.Tx) error { return tx.DeleteUser(ctx, Acct, "bob") }))
	want := []storage.Change{
		{Kind: storage.ChangeUser, AccountID: Acct, Key: "bob"},
		{Kind: storage.ChangeAccessKey, AccountID: Acct, Key: "AKIACHANGE"},
		{Kind: storage.ChangeAccessKey, AccountID: Acct, Key: "AKIACHANGE"}, // the user's keys went with it
		{Kind: storage.ChangeUser, AccountID: Acct, Key: "bob"},
	}
	// Changes are delivered after commit; a slow machine may deliver them late but never drop them, so
	// wait without a deadline of our own (the test binary's -timeout bounds it).
	for i, w := range want {
		got, ok := <-ch
		if !ok {
			t.Fatal("subscription closed")
		}
		if got != w {
			t.Fatalf("change %d = %+v, want %+v", i, got, w)
		}
	}
	select {
	case c := <-ch:
		t.Fatalf("unexpected change %+v", c)
	default:
	}
	cancel()
	if _, ok := <-ch; ok {
		t.Fatal("channel still open after cancel")
	}
}

func testDeleteAccount(t *testing.T, s storage.Store) {
	must(t, update(t, s, func(ctx context.Context, tx storage.Tx) error {
		if err := tx.CreateUser(ctx, user(Acct, "bob", 1)); err != nil {
			return err
		}
		if err := tx.CreateGroup(ctx, &storage.Group{AccountID: Acct, Name: "g", Path: "/", ID: "AGPA1"}); err != nil {
			return err
		}
		if err := tx.AddUserToGroup(ctx, Acct, "g", "bob"); err != nil {
			return err
		}
		if err := tx.CreateAccessKey(ctx, &storage.AccessKey{ID: "AKIAUSER", AccountID: Acct, UserName: "bob"}); err != nil {
			return err
		}
		if err := tx.CreateAccessKey(ctx, &storage.AccessKey{ID: "AKIAROOT", AccountID: Acct}); err != nil {
			return err
		}
		if err := tx.CreateManagedPolicy(ctx, &storage.ManagedPolicy{AccountID: Acct, Name: "p", Path: "/", ID: "ANPA1"}); err != nil {
			return err
		}
		if err := tx.CreatePolicyVersion(ctx, Acct, "p", &storage.PolicyVersion{Document: "{}"}); err != nil {
			return err
		}
		if err := tx.AttachPolicy(ctx, Acct, storage.OwnerGroup, "g", "arn:aws:iam::"+Acct+":policy/p"); err != nil {
			return err
		}
		if err := tx.CreateMFADevice(ctx, &storage.MFADevice{AccountID: Acct, Name: "m", Path: "/", UserName: "bob"}); err != nil {
			return err
		}
		return tx.CreateUser(ctx, user(Acct2, "bob", 2))
	}))
	must(t, update(t, s, func(ctx context.Context, tx storage.Tx) error { return tx.DeleteAccount(ctx, Acct) }))
	view(t, s, func(ctx context.Context, tx storage.Tx) error {
		_, err := tx.GetAccessKey(ctx, "AKIAUSER")
		wantErr(t, err, storage.ErrNotFound)
		_, err = tx.GetAccessKey(ctx, "AKIAROOT")
		wantErr(t, err, storage.ErrNotFound)
		_, err = tx.GetUserByID(ctx, "AIDA0000000000000001")
		wantErr(t, err, storage.ErrNotFound)
		_, err = tx.GetUser(ctx, Acct2, "bob")
		must(t, err)
		c, err := tx.Counts(ctx, Acct)
		must(t, err)
		if c != (storage.Counts{}) {
			t.Fatalf("counts of a deleted account: %+v", c)
		}
		return nil
	})
	// The account and its names can be created again from scratch.
	must(t, update(t, s, func(ctx context.Context, tx storage.Tx) error {
		if err := tx.CreateAccount(ctx, &storage.Account{ID: Acct}); err != nil {
			return err
		}
		return tx.CreateUser(ctx, user(Acct, "bob", 1))
	}))
}

// testConcurrentWriters: many writers creating and deleting different users in one account all succeed
// (retried as needed) and the counters match the listing afterwards.
func testConcurrentWriters(t *testing.T, s storage.Store) {
	const writers, each = 10, 20
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				n := w*1000 + i
				err := update(t, s, func(ctx context.Context, tx storage.Tx) error {
					return tx.CreateUser(ctx, user(Acct, fmt.Sprintf("w%02d-%03d", w, i), n))
				})
				if err != nil {
					t.Errorf("create: %v", err)
					return
				}
				if i%4 == 0 {
					err := update(t, s, func(ctx context.Context, tx storage.Tx) error {
						return tx.DeleteUser(ctx, Acct, fmt.Sprintf("w%02d-%03d", w, i))
					})
					if err != nil {
						t.Errorf("delete: %v", err)
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	var listed int
	view(t, s, func(ctx context.Context, tx storage.Tx) error {
		us, err := tx.ListUsers(ctx, Acct, storage.ListOptions{})
		listed = len(us)
		return err
	})
	want := writers * (each - each/4)
	if c := counts(t, s, Acct); listed != want || c.Users != int64(want) {
		t.Fatalf("listed %d, counted %d, want %d", listed, c.Users, want)
	}
}

// testConcurrentWritersSomeFail: many concurrent writers, some of whose transactions fail half-way (an
// error of their own, a duplicate name, a cancelled context, a panic). Backends may run concurrent
// transactions together (SQLite's group commit), so this checks that the outcomes stay separate: every
// acknowledged write is there with all its parts, no part of a failed one is, each caller gets its own
// error, the counters match the listing and the changes published are exactly those of acknowledged
// writes.
func testConcurrentWritersSomeFail(t *testing.T, s storage.Store) {
	const writers, each = 16, 15
	errBoom := errors.New("boom")
	must(t, update(t, s, func(ctx context.Context, tx storage.Tx) error { return tx.CreateUser(ctx, user(Acct, "taken", 1)) }))
	changes, unsubscribe := s.Subscribe()
	defer unsubscribe()
	var (
		mu               sync.Mutex
		acked, failed    []string
		changed          = map[string]bool{}
		flushed, drained = false, make(chan struct{})
	)
	go func() {
		defer close(drained)
		for c := range changes {
			if c.Kind == storage.ChangeAll {
				flushed = true
			}
			if c.Kind == storage.ChangeUser {
				changed[c.Key] = true
			}
		}
	}()
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				n := 10_000 + w*100 + i
				name := fmt.Sprintf("m%02d-%03d", w, i)
				key := &storage.AccessKey{ID: fmt.Sprintf("AKIA%016d", n), AccountID: Acct, UserName: name}
				ctx := context.Background()
				var want error
				mode := (w + i) % 5
				if mode == 3 {
					c, cancel := context.WithCancel(ctx)
					cancel()
					ctx = c
				}
				err := func() (err error) {
					defer func() {
						if p := recover(); p != nil {
							err = fmt.Errorf("panic: %v", p)
						}
					}()
					return s.Update(ctx, func(tx storage.Tx) error {
						if err := tx.CreateUser(ctx, user(Acct, name, n)); err != nil {
							return err
						}
						if err := tx.CreateAccessKey(ctx, key); err != nil {
							return err
						}
						g := &storage.Group{AccountID: Acct, Name: "g-" + name, Path: "/", ID: fmt.Sprintf("AGPA%016d", n), CreatedAt: t0}
						if err := tx.CreateGroup(ctx, g); err != nil {
							return err
						}
						switch mode {
						case 1:
							return errBoom
						case 2:
							return tx.CreateUser(ctx, user(Acct, "TAKEN", n+1_000_000))
						case 4:
							panic("member panics")
						}
						return nil
					})
				}()
				switch mode {
				case 0:
					want = nil
				case 1:
					want = errBoom
				case 2:
					want = storage.ErrAlreadyExists
				case 3:
					want = context.Canceled
				}
				switch {
				case mode == 4:
					if err == nil || err.Error() != "panic: member panics" {
						t.Errorf("%s: got %v, want the panic of fn in the caller", name, err)
					}
				case want == nil && err != nil, want != nil && !errors.Is(err, want):
					t.Errorf("%s: got error %v, want %v", name, err, want)
				}
				mu.Lock()
				if err == nil {
					acked = append(acked, name)
				} else {
					failed = append(failed, name)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	view(t, s, func(ctx context.Context, tx storage.Tx) error {
		for _, name := range acked {
			if _, err := tx.GetUser(ctx, Acct, name); err != nil {
				t.Errorf("acknowledged %s: %v", name, err)
			}
			if ks, err := tx.ListAccessKeys(ctx, Acct, name); err != nil || len(ks) != 1 {
				t.Errorf("acknowledged %s: %d access keys, %v", name, len(ks), err)
			}
			if _, err := tx.GetGroup(ctx, Acct, "g-"+name); err != nil {
				t.Errorf("acknowledged %s: group: %v", name, err)
			}
		}
		for _, name := range failed {
			if _, err := tx.GetUser(ctx, Acct, name); !errors.Is(err, storage.ErrNotFound) {
				t.Errorf("failed %s: GetUser = %v, want not found", name, err)
			}
			if _, err := tx.GetGroup(ctx, Acct, "g-"+name); !errors.Is(err, storage.ErrNotFound) {
				t.Errorf("failed %s: GetGroup = %v, want not found", name, err)
			}
		}
		return nil
	})
	want := 1 + len(acked)
	if len(acked) != writers*each/5 {
		t.Errorf("%d writes acknowledged, want %d", len(acked), writers*each/5)
	}
	var listed int
	view(t, s, func(ctx context.Context, tx storage.Tx) error {
		us, err := tx.ListUsers(ctx, Acct, storage.ListOptions{})
		listed = len(us)
		return err
	})
	if c := counts(t, s, Acct); listed != want || c.Users != int64(want) || c.Groups != int64(len(acked)) {
		t.Fatalf("listed %d users, counted %d users and %d groups, want %d and %d", listed, c.Users, c.Groups, want, len(acked))
	}
	unsubscribe()
	<-drained
	if flushed {
		t.Log("subscriber overflowed; change check skipped")
		return
	}
	for _, name := range acked {
		if !changed[storage.Fold(name)] {
			t.Errorf("no change published for acknowledged %s", name)
		}
	}
	for _, name := range failed {
		if changed[storage.Fold(name)] {
			t.Errorf("change published for failed %s", name)
		}
	}
}

// testNoLostUpdates: concurrent read-modify-write transactions on one entity behave as if run one after
// another (the backend serialises or retries them).
func testNoLostUpdates(t *testing.T, s storage.Store) {
	must(t, update(t, s, func(ctx context.Context, tx storage.Tx) error {
		return tx.CreateRole(ctx, &storage.Role{AccountID: Acct, Name: "r", Path: "/", ID: "AROA1", MaxSessionDuration: 3600})
	}))
	const writers, each = 8, 10
	var wg sync.WaitGroup
	for range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range each {
				err := update(t, s, func(ctx context.Context, tx storage.Tx) error {
					r, err := tx.GetRole(ctx, Acct, "r")
					if err != nil {
						return err
					}
					r.MaxSessionDuration++
					return tx.UpdateRole(ctx, "r", r)
				})
				if err != nil {
					t.Errorf("increment: %v", err)
					return
				}
			}
		}()
	}
	wg.Wait()
	view(t, s, func(ctx context.Context, tx storage.Tx) error {
		r, err := tx.GetRole(ctx, Acct, "r")
		must(t, err)
		if r.MaxSessionDuration != 3600+writers*each {
			t.Fatalf("MaxSessionDuration = %d, want %d: updates were lost", r.MaxSessionDuration, 3600+writers*each)
		}
		return nil
	})
	// A cancelled context stops Update without running fn to completion.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.Update(ctx, func(tx storage.Tx) error { return tx.DeleteRole(ctx, Acct, "r") }); err == nil {
		t.Fatal("Update with a cancelled context succeeded")
	}
	view(t, s, func(ctx context.Context, tx storage.Tx) error {
		_, err := tx.GetRole(ctx, Acct, "r")
		return err
	})
}

// testUserDependents: each kind of subordinate entity shows in its own flag, only for its own user (found
// case-insensitively), and a missing user is ErrNotFound.
func testUserDependents(t *testing.T, s storage.Store) {
	deps := func(name string) (storage.UserDependents, error) {
		var d storage.UserDependents
		err := update(t, s, func(ctx context.Context, tx storage.Tx) error {
			var err error
			d, err = tx.UserDependents(ctx, Acct, name)
			return err
		})
		return d, err
	}
	for i, u := range []string{"Bob", "bobby"} {
		must(t, update(t, s, func(ctx context.Context, tx storage.Tx) error {
			return tx.CreateUser(ctx, &storage.User{AccountID: Acct, Name: u, Path: "/", ID: fmt.Sprintf("AIDADEP%d", i), CreatedAt: t0})
		}))
	}
	must(t, update(t, s, func(ctx context.Context, tx storage.Tx) error {
		return tx.CreateGroup(ctx, &storage.Group{AccountID: Acct, Name: "g", Path: "/", ID: "AGPADEP", CreatedAt: t0})
	}))
	// bobby, whose folded name extends bob's, has everything: none of it may show for bob.
	steps := []struct {
		name string
		add  func(ctx context.Context, tx storage.Tx, user string) error
		flag func(d *storage.UserDependents) *bool
	}{
		{"login profile", func(ctx context.Context, tx storage.Tx, user string) error {
			return tx.CreateLoginProfile(ctx, &storage.LoginProfile{AccountID: Acct, UserName: user, PasswordHash: []byte("h"), CreatedAt: t0})
		}, func(d *storage.UserDependents) *bool { return &d.LoginProfile }},
		{"access key", func(ctx context.Context, tx storage.Tx, user string) error {
			return tx.CreateAccessKey(ctx, &storage.AccessKey{ID: "AKIADEP" + storage.Fold(user), AccountID: Acct, UserName: user, CreatedAt: t0})
		}, func(d *storage.UserDependents) *bool { return &d.AccessKeys }},
		{"signing certificate", func(ctx context.Context, tx storage.Tx, user string) error {
			return tx.CreateCredential(ctx, &storage.Credential{ID: "CERT" + storage.Fold(user), AccountID: Acct, Kind: storage.CredentialSigningCertificate, UserName: user, CreatedAt: t0})
		}, func(d *storage.UserDependents) *bool { return &d.SigningCertificates }},
		{"SSH public key", func(ctx context.Context, tx storage.Tx, user string) error {
			return tx.CreateCredential(ctx, &storage.Credential{ID: "SSH" + storage.Fold(user), AccountID: Acct, Kind: storage.CredentialSSHPublicKey, UserName: user, CreatedAt: t0})
		}, func(d *storage.UserDependents) *bool { return &d.SSHPublicKeys }},
		{"service-specific credential", func(ctx context.Context, tx storage.Tx, user string) error {
			return tx.CreateCredential(ctx, &storage.Credential{ID: "SSC" + storage.Fold(user), AccountID: Acct, Kind: storage.CredentialServiceSpecific, UserName: user, CreatedAt: t0})
		}, func(d *storage.UserDependents) *bool { return &d.ServiceSpecificCredentials }},
		{"MFA device", func(ctx context.Context, tx storage.Tx, user string) error {
			return tx.CreateMFADevice(ctx, &storage.MFADevice{AccountID: Acct, Name: "mfa-" + storage.Fold(user), Path: "/", UserName: user, CreatedAt: t0})
		}, func(d *storage.UserDependents) *bool { return &d.MFADevices }},
		{"group", func(ctx context.Context, tx storage.Tx, user string) error {
			return tx.AddUserToGroup(ctx, Acct, "g", user)
		}, func(d *storage.UserDependents) *bool { return &d.Groups }},
		{"inline policy", func(ctx context.Context, tx storage.Tx, user string) error {
			return tx.PutInlinePolicy(ctx, &storage.InlinePolicy{AccountID: Acct, OwnerKind: storage.OwnerUser, OwnerName: user, Name: "p", Document: "{}"})
		}, func(d *storage.UserDependents) *bool { return &d.InlinePolicies }},
		{"attached policy", func(ctx context.Context, tx storage.Tx, user string) error {
			return tx.AttachPolicy(ctx, Acct, storage.OwnerUser, user, "arn:aws:iam::aws:policy/ReadOnlyAccess")
		}, func(d *storage.UserDependents) *bool { return &d.AttachedPolicies }},
	}
	for _, st := range steps {
		must(t, update(t, s, func(ctx context.Context, tx storage.Tx) error { return st.add(ctx, tx, "bobby") }))
	}
	var want storage.UserDependents
	for _, st := range steps {
		d, err := deps("BOB")
		must(t, err)
		if d != want {
			t.Fatalf("before adding a %s: %+v, want %+v", st.name, d, want)
		}
		must(t, update(t, s, func(ctx context.Context, tx storage.Tx) error { return st.add(ctx, tx, "bob") }))
		*st.flag(&want) = true
	}
	d, err := deps("bob")
	must(t, err)
	if d != want {
		t.Fatalf("with everything: %+v, want %+v", d, want)
	}
	_, err = deps("nobody")
	wantErr(t, err, storage.ErrNotFound)
}

// OwnerDetailsInRange gives, for the owners of one kind in a range of folded names, what the per-owner
// listings give, in their orders; nothing of owners outside the range or of another kind.
func testOwnerDetailsInRange(t *testing.T, s storage.Store) {
	aws := func(n string) string { return "arn:aws:iam::aws:policy/" + n }
	must(t, update(t, s, func(ctx context.Context, tx storage.Tx) error {
		for i, u := range []string{"Ann", "bob", "Carl", "dave", "eve"} {
			if err := tx.CreateUser(ctx, user(Acct, u, i)); err != nil {
				return err
			}
		}
		if err := tx.CreateUser(ctx, user(Acct2, "bob", 9)); err != nil {
			return err
		}
		for i, g := range []string{"g2", "G1"} {
			if err := tx.CreateGroup(ctx, &storage.Group{AccountID: Acct, Name: g, Path: "/", ID: fmt.Sprintf("AGPA%016d", i), CreatedAt: t0}); err != nil {
				return err
			}
		}
		if err := tx.CreateRole(ctx, &storage.Role{AccountID: Acct, Name: "bob", Path: "/", ID: "AROABOB"}); err != nil {
			return err
		}
		for _, m := range [][2]string{{"g2", "Ann"}, {"g1", "ann"}, {"g1", "bob"}, {"g1", "eve"}} {
			if err := tx.AddUserToGroup(ctx, Acct, m[0], m[1]); err != nil {
				return err
			}
		}
		for _, p := range []*storage.InlinePolicy{
			{AccountID: Acct, OwnerKind: storage.OwnerUser, OwnerName: "Ann", Name: "zeta", Document: "z"},
			{AccountID: Acct, OwnerKind: storage.OwnerUser, OwnerName: "Ann", Name: "Alpha", Document: "a"},
			{AccountID: Acct, OwnerKind: storage.OwnerUser, OwnerName: "Carl", Name: "c", Document: "c"},
			{AccountID: Acct, OwnerKind: storage.OwnerUser, OwnerName: "eve", Name: "e", Document: "e"},
			{AccountID: Acct, OwnerKind: storage.OwnerRole, OwnerName: "bob", Name: "role-inline", Document: "r"},
			{AccountID: Acct2, OwnerKind: storage.OwnerUser, OwnerName: "bob", Name: "other-account", Document: "x"},
		} {
			if err := tx.PutInlinePolicy(ctx, p); err != nil {
				return err
			}
		}
		for _, a := range []struct {
			acct string
			kind storage.OwnerKind
			name string
			arn  string
		}{
			{Acct, storage.OwnerUser, "bob", aws("ReadOnlyAccess")}, {Acct, storage.OwnerUser, "bob", aws("IAMReadOnlyAccess")},
			{Acct, storage.OwnerUser, "Carl", aws("ReadOnlyAccess")}, {Acct, storage.OwnerUser, "dave", aws("X")},
			{Acct, storage.OwnerRole, "bob", aws("RoleOnly")}, {Acct2, storage.OwnerUser, "bob", aws("OtherAccount")},
		} {
			if err := tx.AttachPolicy(ctx, a.acct, a.kind, a.name, a.arn); err != nil {
				return err
			}
		}
		return nil
	}))
	view(t, s, func(ctx context.Context, tx storage.Tx) error {
		got, through, err := tx.OwnerDetailsInRange(ctx, Acct, storage.OwnerUser, storage.Fold("Ann"), storage.Fold("Carl"), 0)
		must(t, err)
		if through != "carl" {
			t.Errorf("through %q without a byte limit", through)
		}
		users, err := tx.ListUsers(ctx, Acct, storage.ListOptions{})
		must(t, err)
		for _, u := range users {
			d := got[storage.Fold(u.Name)]
			if k := storage.Fold(u.Name); k < "ann" || k > "carl" {
				if d != nil {
					t.Errorf("%s is outside the range but has details %+v", u.Name, d)
				}
				continue
			}
			if d == nil {
				d = &storage.OwnerDetails{}
			}
			inline, err := tx.ListInlinePolicies(ctx, Acct, storage.OwnerUser, u.Name, storage.ListOptions{})
			must(t, err)
			attached, err := tx.ListAttachedPolicies(ctx, Acct, storage.OwnerUser, u.Name, storage.ListOptions{})
			must(t, err)
			groups, err := tx.ListGroupsForUser(ctx, Acct, u.Name, storage.ListOptions{})
			must(t, err)
			inlineOf := func(ps []*storage.InlinePolicy) []string {
				return names(ps, func(p *storage.InlinePolicy) string { return p.OwnerName + "/" + p.Name + "=" + p.Document })
			}
			eq(t, u.Name+" inline", inlineOf(d.Inline), inlineOf(inline))
			eq(t, u.Name+" attached", d.Attached, attached)
			groupNames := func(gs []*storage.Group) []string {
				return names(gs, func(g *storage.Group) string { return g.Name + " " + g.ID })
			}
			eq(t, u.Name+" groups", groupNames(d.Groups), groupNames(groups))
		}
		// Spot checks, so that an implementation and the per-owner listings cannot agree on nothing.
		if d := got["ann"]; d == nil || len(d.Inline) != 2 || len(d.Groups) != 2 || d.Inline[0].Name != "Alpha" {
			t.Errorf("Ann's details: %+v", d)
		}
		if d := got["bob"]; d == nil || len(d.Attached) != 2 || len(d.Inline) != 0 || len(d.Groups) != 1 {
			t.Errorf("bob's details (the role bob and the other account's bob must not mix in): %+v", d)
		}
		roles, through, err := tx.OwnerDetailsInRange(ctx, Acct, storage.OwnerRole, "a", "z", 0)
		must(t, err)
		if d := roles["bob"]; len(roles) != 1 || d == nil || len(d.Inline) != 1 || len(d.Attached) != 1 || d.Groups != nil || through != "z" {
			t.Errorf("roles' details: %+v through %q", roles, through)
		}

		// A byte limit stops before the next owner's inline policies once the documents read reach it: Ann's
		// two one-byte documents reach 1, so the details end with Ann (bob's attachments and groups too),
		// and a limit above what there is changes nothing.
		cut, through, err := tx.OwnerDetailsInRange(ctx, Acct, storage.OwnerUser, "ann", "eve", 1)
		must(t, err)
		if d := cut["ann"]; through != "ann" || len(cut) != 1 || d == nil || len(d.Inline) != 2 || len(d.Groups) != 2 {
			t.Errorf("details cut at 1 byte: %+v through %q", cut, through)
		}
		cut, through, err = tx.OwnerDetailsInRange(ctx, Acct, storage.OwnerUser, "ann", "eve", 3)
		must(t, err)
		if through != "carl" || len(cut) != 3 || cut["bob"] == nil || cut["carl"] == nil || cut["eve"] != nil {
			t.Errorf("details cut at 3 bytes: %+v through %q", cut, through)
		}
		all, through, err := tx.OwnerDetailsInRange(ctx, Acct, storage.OwnerUser, "ann", "eve", 100)
		must(t, err)
		if through != "eve" || len(all) != 5 {
			t.Errorf("details under a limit above them: %d owners through %q", len(all), through)
		}
		return nil
	})
}
