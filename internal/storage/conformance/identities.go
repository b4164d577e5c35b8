package conformance

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/iamd/iamd/internal/storage"
)

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
