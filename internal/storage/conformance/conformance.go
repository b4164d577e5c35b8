// Package conformance is the behaviour every storage backend must show. A backend's tests call
// RunTests with a constructor of empty stores; the same suite holds SQLite and PostgreSQL to the same
// semantics (uniqueness, atomicity, ordering, counters, change notifications). The tests live by
// subject: identities.go, policies.go and credentials.go the entities, transactions.go atomicity,
// isolation and counters, changes.go the change feed.
package conformance

import (
	"context"
	"errors"
	"fmt"
	"slices"
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
		{"DelegationRequests", testDelegationRequests},
		{"ServiceAccess", testServiceAccess},
		{"ConsoleSessions", testConsoleSessions},
		{"OutboundIssuers", testOutboundIssuers},
		{"KeyRingCAS", testKeyRing},
		{"ConcurrentCreateSameName", testConcurrentCreate},
		{"ConcurrentWriters", testConcurrentWriters},
		{"ConcurrentWritersSomeFail", testConcurrentWritersSomeFail},
		{"NoLostUpdates", testNoLostUpdates},
		{"NoLostUpdatesSomeFail", testNoLostUpdatesSomeFail},
		{"Rollback", testRollback},
		{"Counters", testCounters},
		{"PaginationWhileDeleting", testPagination},
		{"Changes", testChanges},
		{"DeleteAccount", testDeleteAccount},
		{"Events", testEvents},
		{"EventsInWriteTransaction", testEventsInWriteTransaction},
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
