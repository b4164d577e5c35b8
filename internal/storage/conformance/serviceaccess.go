package conformance

import (
	"context"
	"testing"
	"time"

	"github.com/iamd/iamd/internal/storage"
)

// testServiceAccess checks access advisor rows: later wins per action, rows follow a rename, vanish with
// their owner, and an absent owner records nothing.
func testServiceAccess(t *testing.T, s storage.Store) {
	acc := func(kind storage.OwnerKind, id, ns, action string, at time.Time, region string) storage.ServiceAccess {
		return storage.ServiceAccess{Kind: kind, OwnerID: id, Namespace: ns, Action: action, At: at, Region: region}
	}
	list := func(kind storage.OwnerKind, owner string) []storage.ServiceAccess {
		var out []storage.ServiceAccess
		view(t, s, func(ctx context.Context, tx storage.Tx) error {
			var err error
			out, err = tx.ListServiceAccess(ctx, Acct, kind, owner)
			return err
		})
		return out
	}
	must(t, update(t, s, func(ctx context.Context, tx storage.Tx) error {
		if err := tx.CreateUser(ctx, user(Acct, "alice", 1)); err != nil {
			return err
		}
		if err := tx.CreateRole(ctx, &storage.Role{AccountID: Acct, Name: "ops", Path: "/", ID: "AROA0000000000000001", CreatedAt: t0}); err != nil {
			return err
		}
		for _, a := range []storage.ServiceAccess{
			acc(storage.OwnerUser, "AIDA0000000000000001", "sts", "GetCallerIdentity", t0.Add(2*time.Second), "eu-west-1"),
			acc(storage.OwnerUser, "AIDA0000000000000001", "iam", "ListUsers", t0, "us-east-1"),
			// An earlier access than the stored one changes nothing.
			acc(storage.OwnerUser, "AIDA0000000000000001", "sts", "GetCallerIdentity", t0, "us-west-2"),
			acc(storage.OwnerRole, "AROA0000000000000001", "iam", "GetRole", t0.Add(time.Second), "us-east-1"),
			// An unknown ID: nothing is recorded, no error.
			acc(storage.OwnerUser, "AIDA0000000000000009", "iam", "GetUser", t0, "us-east-1"),
		} {
			if err := tx.RecordServiceAccess(ctx, Acct, a); err != nil {
				return err
			}
		}
		// Groups never sign requests.
		if err := tx.RecordServiceAccess(ctx, Acct, acc(storage.OwnerGroup, "AGPA0000000000000001", "iam", "GetUser", t0, "us-east-1")); err == nil {
			t.Error("RecordServiceAccess accepted a group")
		}
		return nil
	}))
	got := list(storage.OwnerUser, "alice")
	if len(got) != 2 || got[0].Namespace != "iam" || got[0].Action != "ListUsers" || !got[0].At.Equal(t0) ||
		got[1].Namespace != "sts" || !got[1].At.Equal(t0.Add(2*time.Second)) || got[1].Region != "eu-west-1" {
		t.Fatalf("alice's accesses = %+v", got)
	}
	// A later access replaces the row; a rename keeps the rows; deleting the owner drops them.
	must(t, update(t, s, func(ctx context.Context, tx storage.Tx) error {
		if err := tx.RecordServiceAccess(ctx, Acct, acc(storage.OwnerUser, "AIDA0000000000000001", "iam", "ListUsers", t0.Add(time.Hour), "ap-south-1")); err != nil {
			return err
		}
		u, err := tx.GetUser(ctx, Acct, "alice")
		if err != nil {
			return err
		}
		u.Name = "alicia"
		return tx.UpdateUser(ctx, "alice", u)
	}))
	got = list(storage.OwnerUser, "alicia")
	if len(got) != 2 || !got[0].At.Equal(t0.Add(time.Hour)) || got[0].Region != "ap-south-1" {
		t.Fatalf("after rename = %+v", got)
	}
	must(t, update(t, s, func(ctx context.Context, tx storage.Tx) error { return tx.DeleteRole(ctx, Acct, "ops") }))
	must(t, update(t, s, func(ctx context.Context, tx storage.Tx) error {
		if err := tx.CreateRole(ctx, &storage.Role{AccountID: Acct, Name: "ops", Path: "/", ID: "AROA0000000000000002", CreatedAt: t0}); err != nil {
			return err
		}
		// An access of the deleted role, written late, does not land on its successor.
		return tx.RecordServiceAccess(ctx, Acct, acc(storage.OwnerRole, "AROA0000000000000001", "iam", "GetRole", t0.Add(time.Hour), "us-east-1"))
	}))
	if got := list(storage.OwnerRole, "ops"); len(got) != 0 {
		t.Fatalf("a recreated role inherits accesses: %+v", got)
	}
}
