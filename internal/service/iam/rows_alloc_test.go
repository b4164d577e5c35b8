package iam

import (
	"testing"

	"github.com/iamd/iamd/internal/api/iamapi"
)

// TestCachedGetUserReadAllocates: GetUser reads its user through the store's cache; once cached that
// costs the one copy of the row the cache hands out, nothing for the read itself.
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
	if n := testing.AllocsPerRun(100, read); n > 1 {
		t.Errorf("%v allocations per cached user read, want at most 1 (the cache's copy of the row)", n)
	}
}
