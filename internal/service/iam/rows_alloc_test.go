package iam

import (
	"context"
	"testing"

	"github.com/iamd/iamd/internal/api/iamapi"
	"github.com/iamd/iamd/internal/storage"
)

// TestCachedGetUserReadAllocates: GetUser reads its user through the store's cache; once cached that
// costs no allocation (neither the read nor a copy of the row).
func TestCachedGetUserReadAllocates(t *testing.T) {
	f := newFixture(t)
	ctx := f.root()
	must(f.svc.CreateUser(ctx, &iamapi.CreateUserRequest{UserName: ptr("pat")}))(t)
	read := func() {
		if u, err := f.svc.getUser(ctx, testAccount, "pat"); err != nil || u.Name != "pat" {
			t.Fatalf("pat: %v", err)
		}
	}
	read()
	if n := testing.AllocsPerRun(100, read); n != 0 {
		t.Errorf("%v allocations per cached user read, want 0", n)
	}
}

// TestLastUseOverlayLeavesCachedKey: GetAccessKeyLastUsed shows a use noted but not yet written by
// overlaying it on the key it read, which is the store cache's own row: the overlay goes on a copy, and
// the cached key keeps what is stored.
func TestLastUseOverlayLeavesCachedKey(t *testing.T) {
	f := newFixture(t)
	ctx := f.root()
	createUser(t, f, ctx, "user", "")
	id := str(must(f.svc.CreateAccessKey(ctx, &iamapi.CreateAccessKeyRequest{UserName: ptr("user")}))(t).AccessKey.AccessKeyId)
	cached := func() *storage.AccessKey {
		t.Helper()
		var k *storage.AccessKey
		err := f.svc.store.View(context.Background(), func(tx storage.Tx) error {
			var err error
			k, err = tx.GetAccessKey(context.Background(), id)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	cached() // now in the cache
	if err := f.svc.RecordAccessKeyUse(context.Background(), id, "s3", "us-east-1", f.now); err != nil {
		t.Fatal(err)
	}
	if got := must(f.svc.GetAccessKeyLastUsed(ctx, &iamapi.GetAccessKeyLastUsedRequest{AccessKeyId: ptr(id)}))(t); got.AccessKeyLastUsed.LastUsedDate == nil {
		t.Fatal("the pending use was not shown")
	}
	if k := cached(); !k.LastUsed.Date.IsZero() {
		t.Fatalf("the cached key took the overlaid use: %+v", k.LastUsed)
	}
}
