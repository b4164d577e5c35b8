package authz

import (
	"context"
	"testing"

	"github.com/iamd/iamd/internal/api/iamapi"
	"github.com/iamd/iamd/internal/ids"
	"github.com/iamd/iamd/internal/storage"
)

// TestCurrentPrincipalAllocatesNothing: every request of a user or role looks up its compiled policy
// set; when the set is current that costs no allocation, whether the cache's Seq shows nothing changed
// since the set was checked or its versions are looked up one by one (after a change elsewhere).
func TestCurrentPrincipalAllocatesNothing(t *testing.T) {
	f := newFixture(t)
	f.setup()
	f.alicePolicy(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:GetUser","Resource":"*"}]}`)
	ctx := context.Background()
	a := f.az
	e, err := a.principal(ctx, "aws", acct, storage.OwnerUser, "alice")
	if err != nil || e.id == "" {
		t.Fatalf("alice: %+v %v", e, err)
	}
	lookup := func() {
		got, err := a.principal(ctx, "aws", acct, storage.OwnerUser, "alice")
		if err != nil || got != e {
			t.Fatalf("the current set was not served: %v", err)
		}
	}
	if n := testing.AllocsPerRun(100, lookup); n != 0 {
		t.Errorf("%v allocations per lookup at an unchanged Seq, want 0", n)
	}
	if n := testing.AllocsPerRun(100, func() { e.checked.Store(0); lookup() }); n != 0 {
		t.Errorf("%v allocations per lookup of the versions, want 0", n)
	}
}

// TestSeqShortcutSeesChanges: a set checked at the cache's current Seq is not served once a change of
// its principal's policies is applied (the shortcut is never taken past a change).
func TestSeqShortcutSeesChanges(t *testing.T) {
	f := newFixture(t)
	f.setup()
	ctx := context.Background()
	a := f.az
	before, err := a.principal(ctx, "aws", acct, storage.OwnerUser, "alice")
	if err != nil {
		t.Fatal(err)
	}
	if again, _ := a.principal(ctx, "aws", acct, storage.OwnerUser, "alice"); again != before || before.checked.Load() == 0 {
		t.Fatal("the set was not kept and checked")
	}
	f.alicePolicy(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:GetUser","Resource":"*"}]}`)
	after, err := a.principal(ctx, "aws", acct, storage.OwnerUser, "alice")
	if err != nil {
		t.Fatal(err)
	}
	if after == before || len(after.set.Identity) == len(before.set.Identity) {
		t.Fatalf("the set from before PutUserPolicy was served after it (%d policies, then %d)",
			len(before.set.Identity), len(after.set.Identity))
	}
}

// TestEntityShortcutSeesChanges: an entity's path and tags checked at the cache's current Seq are not
// served once its row changes.
func TestEntityShortcutSeesChanges(t *testing.T) {
	f := newFixture(t)
	f.setup()
	ctx := context.Background()
	a := f.az
	before, err := a.entity(ctx, "aws", acct, ids.KindUser, "alice")
	if err != nil {
		t.Fatal(err)
	}
	if again, _ := a.entity(ctx, "aws", acct, ids.KindUser, "alice"); again != before || before.checked.Load() == 0 {
		t.Fatal("the entity was not kept and checked")
	}
	must[*iamapi.TagUserOutput](t)(f.iam.TagUser(f.root(), &iamapi.TagUserRequest{UserName: s("alice"),
		Tags: []iamapi.Tag{{Key: s("Stage"), Value: s("prod")}}}))
	after, err := a.entity(ctx, "aws", acct, ids.KindUser, "alice")
	if err != nil {
		t.Fatal(err)
	}
	if after == before || len(after.tagKeys) != len(before.tagKeys)+2 {
		t.Fatalf("the entity from before TagUser was served after it (%v, then %v)", before.tagKeys, after.tagKeys)
	}
}
