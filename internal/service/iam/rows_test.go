package iam

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/iamd/iamd/internal/api/iamapi"
	"github.com/iamd/iamd/internal/storage"
	"github.com/iamd/iamd/internal/storage/cache"
)

// getUserOf is GetUser of name as root, failing the test on error.
func getUserOf(t *testing.T, f *fixture, name string) *iamapi.User {
	t.Helper()
	return must(f.svc.GetUser(f.root(), &iamapi.GetUserRequest{UserName: ptr(name)}))(t).User
}

// TestEntityCacheUserFollowsWrites reads a user (so it is cached) before each kind of write of its row and checks
// that the next GetUser shows the write, including writes made straight through the store.
func TestEntityCacheUserFollowsWrites(t *testing.T) {
	f := newFixture(t)
	ctx := f.root()
	if _, ok := f.svc.store.(*cache.Store); !ok {
		t.Fatal("the fixture should read through the store's cache")
	}
	createUser(t, f, ctx, "cached", "/a/")
	if got := getUserOf(t, f, "CACHED"); *got.Path != "/a/" || len(got.Tags) != 0 {
		t.Fatalf("GetUser: %+v", got)
	}

	must(f.svc.TagUser(ctx, &iamapi.TagUserRequest{UserName: ptr("cached"), Tags: []iamapi.Tag{{Key: ptr("k"), Value: ptr("v")}}}))(t)
	if got := getUserOf(t, f, "cached"); len(got.Tags) != 1 || *got.Tags[0].Value != "v" {
		t.Fatalf("GetUser after TagUser: tags %+v", got.Tags)
	}

	boundary := "arn:aws:iam::aws:policy/ReadOnlyAccess"
	must(f.svc.PutUserPermissionsBoundary(ctx, &iamapi.PutUserPermissionsBoundaryRequest{UserName: ptr("cached"), PermissionsBoundary: ptr(boundary)}))(t)
	if got := getUserOf(t, f, "cached"); got.PermissionsBoundary == nil || *got.PermissionsBoundary.PermissionsBoundaryArn != boundary {
		t.Fatalf("GetUser after PutUserPermissionsBoundary: %+v", got.PermissionsBoundary)
	}

	// A write that bypasses the service (another code path, the offline CLI in the same process) must
	// reach the cache through the store's change feed alone.
	err := f.store.Update(context.Background(), func(tx storage.Tx) error {
		u, err := tx.GetUser(context.Background(), testAccount, "cached")
		if err != nil {
			return err
		}
		u.Path = "/b/"
		return tx.UpdateUser(context.Background(), "cached", u)
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := getUserOf(t, f, "cached"); *got.Path != "/b/" {
		t.Fatalf("GetUser after a store write: path %s, want /b/", *got.Path)
	}

	must(f.svc.UpdateUser(ctx, &iamapi.UpdateUserRequest{UserName: ptr("cached"), NewUserName: ptr("renamed")}))(t)
	_, err = f.svc.GetUser(ctx, &iamapi.GetUserRequest{UserName: ptr("cached")})
	assertAPIError(t, err, "NoSuchEntity", 404, "The user with name cached cannot be found.")
	if got := getUserOf(t, f, "renamed"); *got.UserName != "renamed" || *got.Path != "/b/" {
		t.Fatalf("GetUser after rename: %+v", got)
	}

	getUserOf(t, f, "renamed")
	must(f.svc.UntagUser(ctx, &iamapi.UntagUserRequest{UserName: ptr("renamed"), TagKeys: []string{"k"}}))(t)
	if got := getUserOf(t, f, "renamed"); len(got.Tags) != 0 {
		t.Fatalf("GetUser after UntagUser: tags %+v", got.Tags)
	}
	must(f.svc.DeleteUserPermissionsBoundary(ctx, &iamapi.DeleteUserPermissionsBoundaryRequest{UserName: ptr("renamed")}))(t)
	if got := getUserOf(t, f, "renamed"); got.PermissionsBoundary != nil {
		t.Fatalf("GetUser after DeleteUserPermissionsBoundary: %+v", got.PermissionsBoundary)
	}
	must(f.svc.DeleteUser(ctx, &iamapi.DeleteUserRequest{UserName: ptr("renamed")}))(t)
	_, err = f.svc.GetUser(ctx, &iamapi.GetUserRequest{UserName: ptr("renamed")})
	assertAPIError(t, err, "NoSuchEntity", 404, "The user with name renamed cannot be found.")

	// Re-created under the same name: a new ID, not the cached old one.
	again := createUser(t, f, ctx, "renamed", "")
	if got := getUserOf(t, f, "renamed"); *got.UserId != *again.UserId || got.PermissionsBoundary != nil {
		t.Fatalf("GetUser after re-creating: %+v, want ID %s", got, *again.UserId)
	}

	// Accounts are separate: the same name in another account is another user.
	_, err = f.svc.GetUser(rootOf(otherTestAccount), &iamapi.GetUserRequest{UserName: ptr("renamed")})
	assertAPIError(t, err, "NoSuchEntity", 404, "The user with name renamed cannot be found.")
}

// TestEntityCacheUserConcurrentWrites has readers race a writer that retags one user; once the writer is done,
// every reader must see its last write (a load racing a change must not be kept).
func TestEntityCacheUserConcurrentWrites(t *testing.T) {
	f := newFixture(t)
	ctx := f.root()
	createUser(t, f, ctx, "racer", "")
	const writes = 30
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				if _, err := f.svc.GetUser(ctx, &iamapi.GetUserRequest{UserName: ptr("racer")}); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	for i := range writes {
		v := fmt.Sprint(i)
		if _, err := f.svc.TagUser(ctx, &iamapi.TagUserRequest{UserName: ptr("racer"), Tags: []iamapi.Tag{{Key: ptr("n"), Value: &v}}}); err != nil {
			t.Fatal(err)
		}
		if got := getUserOf(t, f, "racer"); len(got.Tags) != 1 || *got.Tags[0].Value != v {
			t.Fatalf("GetUser right after TagUser n=%s: %+v", v, got.Tags)
		}
	}
	close(stop)
	wg.Wait()
	if got := getUserOf(t, f, "racer"); *got.Tags[0].Value != fmt.Sprint(writes-1) {
		t.Fatalf("final tags %+v", got.Tags)
	}
}

// TestEntityCacheRole reads a role (so it is cached) before each kind of write of its row, the write-behind
// last use included, and checks that the next GetRole shows the write and that overlaying a last use
// noted in memory does not alter the cached row.
func TestEntityCacheRole(t *testing.T) {
	f := newFixture(t)
	ctx := f.root()
	createRole(t, f, ctx, "cachedrole", "")
	getRoleOf := func() *iamapi.Role {
		t.Helper()
		return must(f.svc.GetRole(ctx, &iamapi.GetRoleRequest{RoleName: ptr("CachedRole")}))(t).Role
	}
	if got := getRoleOf(); got.Description != nil || got.RoleLastUsed == nil || got.RoleLastUsed.LastUsedDate != nil {
		t.Fatalf("GetRole: %+v", got)
	}

	must(f.svc.UpdateRole(ctx, &iamapi.UpdateRoleRequest{RoleName: ptr("cachedrole"), Description: ptr("d1")}))(t)
	if got := getRoleOf(); got.Description == nil || *got.Description != "d1" {
		t.Fatalf("GetRole after UpdateRole: description %v", got.Description)
	}
	must(f.svc.TagRole(ctx, &iamapi.TagRoleRequest{RoleName: ptr("cachedrole"), Tags: []iamapi.Tag{{Key: ptr("k"), Value: ptr("v")}}}))(t)
	if got := getRoleOf(); len(got.Tags) != 1 {
		t.Fatalf("GetRole after TagRole: tags %+v", got.Tags)
	}

	// A use noted in memory shows at once, without touching the cached row.
	used := f.now.Add(time.Minute)
	if err := f.svc.RecordRoleUse(ctx, testAccount, "cachedrole", "eu-west-1", used); err != nil {
		t.Fatal(err)
	}
	if got := getRoleOf(); got.RoleLastUsed.LastUsedDate == nil || !got.RoleLastUsed.LastUsedDate.Equal(used) {
		t.Fatalf("GetRole after a noted use: %+v", got.RoleLastUsed)
	}
	row, err := f.svc.getCachedRole(context.Background(), testAccount, "cachedrole")
	if err != nil || !row.LastUsedAt.IsZero() {
		t.Fatalf("cached row %+v (%v): want the stored (zero) last use", row, err)
	}

	// The last use written by another path (the flusher, another process's write) reaches the cache
	// through ChangeRoleUsed.
	later := used.Add(time.Hour)
	if err := f.store.Update(context.Background(), func(tx storage.Tx) error {
		return tx.SetRoleLastUsed(context.Background(), testAccount, "cachedrole", later, "ap-south-1")
	}); err != nil {
		t.Fatal(err)
	}
	if got := getRoleOf(); !got.RoleLastUsed.LastUsedDate.Equal(later) || *got.RoleLastUsed.Region != "ap-south-1" {
		t.Fatalf("GetRole after SetRoleLastUsed: %+v", got.RoleLastUsed)
	}

	must(f.svc.UntagRole(ctx, &iamapi.UntagRoleRequest{RoleName: ptr("cachedrole"), TagKeys: []string{"k"}}))(t)
	if got := must(f.svc.ListRoleTags(ctx, &iamapi.ListRoleTagsRequest{RoleName: ptr("cachedrole")}))(t); len(got.Tags) != 0 {
		t.Fatalf("ListRoleTags after UntagRole: %+v", got.Tags)
	}
	must(f.svc.DeleteRole(ctx, &iamapi.DeleteRoleRequest{RoleName: ptr("cachedrole")}))(t)
	_, err = f.svc.GetRole(ctx, &iamapi.GetRoleRequest{RoleName: ptr("cachedrole")})
	assertAPIError(t, err, "NoSuchEntity", 404, "The role with name cachedrole cannot be found.")
}

// TestEntityCacheAttachments lists a user's attached policies (so they are cached) before each change that
// can alter them, including the store's cascades (a renamed or deleted user), and checks
// the next listing.
func TestEntityCacheAttachments(t *testing.T) {
	f := withCatalogue(t, newFixture(t))
	ctx := f.root()
	createUser(t, f, ctx, "att", "")
	local := str(createPolicy(t, f, ctx, "CachedLocal", "/").Arn)
	list := func(user string) ([]string, error) {
		out, err := f.svc.ListAttachedUserPolicies(ctx, &iamapi.ListAttachedUserPoliciesRequest{UserName: ptr(user)})
		if err != nil {
			return nil, err
		}
		var arns []string
		for _, p := range out.AttachedPolicies {
			arns = append(arns, *p.PolicyArn)
		}
		return arns, nil
	}
	want := func(user string, arns ...string) {
		t.Helper()
		got, err := list(user)
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(got) != fmt.Sprint(arns) {
			t.Fatalf("attached to %s: %v, want %v", user, got, arns)
		}
	}
	want("att")
	must(f.svc.AttachUserPolicy(ctx, &iamapi.AttachUserPolicyRequest{UserName: ptr("att"), PolicyArn: ptr(local)}))(t)
	want("ATT", local)
	must(f.svc.AttachUserPolicy(ctx, &iamapi.AttachUserPolicyRequest{UserName: ptr("att"), PolicyArn: ptr(readOnlyARN)}))(t)
	want("att", local, readOnlyARN)
	must(f.svc.DetachUserPolicy(ctx, &iamapi.DetachUserPolicyRequest{UserName: ptr("att"), PolicyArn: ptr(readOnlyARN)}))(t)
	want("att", local)

	// A write straight through the store reaches the cache by its change alone.
	if err := f.store.Update(context.Background(), func(tx storage.Tx) error {
		return tx.DetachPolicy(context.Background(), testAccount, storage.OwnerUser, "att", local)
	}); err != nil {
		t.Fatal(err)
	}
	want("att")

	// Retagging the user changes nothing attached.
	want("att")
	must(f.svc.AttachUserPolicy(ctx, &iamapi.AttachUserPolicyRequest{UserName: ptr("att"), PolicyArn: ptr(local)}))(t)
	want("att", local)
	must(f.svc.TagUser(ctx, &iamapi.TagUserRequest{UserName: ptr("att"), Tags: []iamapi.Tag{{Key: ptr("k"), Value: ptr("v")}}}))(t)
	want("att", local)
	must(f.svc.DetachUserPolicy(ctx, &iamapi.DetachUserPolicyRequest{UserName: ptr("att"), PolicyArn: ptr(local)}))(t)
	want("att")

	// Deleted and re-created (straight through the store) between two lookups: the ID differs, the list
	// is read again.
	must(f.svc.AttachUserPolicy(ctx, &iamapi.AttachUserPolicyRequest{UserName: ptr("att"), PolicyArn: ptr(local)}))(t)
	want("att", local)
	if err := f.store.Update(context.Background(), func(tx storage.Tx) error {
		if err := tx.DeleteUser(context.Background(), testAccount, "att"); err != nil {
			return err
		}
		return tx.CreateUser(context.Background(), &storage.User{AccountID: testAccount, Name: "att", Path: "/",
			ID: "AIDARECREATED00000001", CreatedAt: time.Now()})
	}); err != nil {
		t.Fatal(err)
	}
	want("att")

	// A rename carries the attachments; the old name no longer exists.
	must(f.svc.AttachUserPolicy(ctx, &iamapi.AttachUserPolicyRequest{UserName: ptr("att"), PolicyArn: ptr(readOnlyARN)}))(t)
	want("att", readOnlyARN)
	must(f.svc.UpdateUser(ctx, &iamapi.UpdateUserRequest{UserName: ptr("att"), NewUserName: ptr("att2")}))(t)
	want("att2", readOnlyARN)
	_, err := list("att")
	assertAPIError(t, err, "NoSuchEntity", 404, "The user with name att cannot be found.")

	// Deleting the user (the store cascades its attachments) and re-creating it starts empty.
	if err := f.store.Update(context.Background(), func(tx storage.Tx) error {
		return tx.DeleteUser(context.Background(), testAccount, "att2")
	}); err != nil {
		t.Fatal(err)
	}
	_, err = list("att2")
	assertAPIError(t, err, "NoSuchEntity", 404, "The user with name att2 cannot be found.")
	createUser(t, f, ctx, "att2", "")
	want("att2")
}
