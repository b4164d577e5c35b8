package iam

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/iamd/iamd/internal/api/iamapi"
	"github.com/iamd/iamd/internal/storage"
	"github.com/iamd/iamd/internal/storage/sqlite"
)

// newBenchFixture is newFixture for benchmarks: a Service over SQLite in b's temporary directory.
func newBenchFixture(b *testing.B) *fixture {
	b.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, b.TempDir(), sqlite.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	f := &fixture{store: st, now: time.Date(2026, 2, 3, 4, 5, 6, 0, time.UTC)}
	err = st.Update(ctx, func(tx storage.Tx) error {
		return tx.CreateAccount(ctx, &storage.Account{ID: testAccount, CreatedAt: f.now})
	})
	if err != nil {
		b.Fatal(err)
	}
	f.svc = New(Options{Store: st, Now: func() time.Time { return f.now }, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	return f
}

// BenchmarkPoliciesForPrincipal measures collecting a user's policies (own inline and managed, two groups'
// inline and managed, a boundary): the read authorization makes on a cache miss.
func BenchmarkPoliciesForPrincipal(b *testing.B) {
	f := newBenchFixture(b)
	ctx := f.root()
	if _, err := f.svc.CreateUser(ctx, &iamapi.CreateUserRequest{UserName: ptr("bench")}); err != nil {
		b.Fatal(err)
	}
	local := must(f.svc.CreatePolicy(ctx, &iamapi.CreatePolicyRequest{PolicyName: ptr("p"), PolicyDocument: ptr(testPolicyDoc)}))(b).Policy.Arn
	must(f.svc.PutUserPolicy(ctx, &iamapi.PutUserPolicyRequest{UserName: ptr("bench"), PolicyName: ptr("own"), PolicyDocument: ptr(testPolicyDoc)}))(b)
	must(f.svc.AttachUserPolicy(ctx, &iamapi.AttachUserPolicyRequest{UserName: ptr("bench"), PolicyArn: local}))(b)
	must(f.svc.PutUserPermissionsBoundary(ctx, &iamapi.PutUserPermissionsBoundaryRequest{UserName: ptr("bench"), PermissionsBoundary: ptr(readOnlyARN)}))(b)
	for _, g := range []string{"g1", "g2"} {
		must(f.svc.CreateGroup(ctx, &iamapi.CreateGroupRequest{GroupName: ptr(g)}))(b)
		must(f.svc.AddUserToGroup(ctx, &iamapi.AddUserToGroupRequest{GroupName: ptr(g), UserName: ptr("bench")}))(b)
		must(f.svc.PutGroupPolicy(ctx, &iamapi.PutGroupPolicyRequest{GroupName: ptr(g), PolicyName: ptr("gp"), PolicyDocument: ptr(testPolicyDoc)}))(b)
		must(f.svc.AttachGroupPolicy(ctx, &iamapi.AttachGroupPolicyRequest{GroupName: ptr(g), PolicyArn: ptr(readOnlyARN)}))(b)
	}
	b.ResetTimer()
	for b.Loop() {
		pp, err := f.svc.PoliciesForPrincipal(context.Background(), testAccount, storage.OwnerUser, "bench")
		if err != nil || len(pp.Identity) != 6 {
			b.Fatalf("%v, %d policies", err, len(pp.Identity))
		}
	}
}

// BenchmarkEncodeDocument measures URL-encoding a large document (ReadOnlyAccess, about 80 kB).
func BenchmarkEncodeDocument(b *testing.B) {
	m, err := LoadManagedPolicies()
	if err != nil {
		b.Fatal(err)
	}
	doc := m.byName["ReadOnlyAccess"].Document
	b.SetBytes(int64(len(doc)))
	for b.Loop() {
		if enc := encodeDocument(doc); !strings.HasPrefix(enc, "%7B") {
			b.Fatal(enc[:10])
		}
	}
}

// BenchmarkListPoliciesAWS measures one page of ListPolicies Scope=AWS, which walks the catalogue.
func BenchmarkListPoliciesAWS(b *testing.B) {
	f := newBenchFixture(b)
	ctx := f.root()
	for b.Loop() {
		out, err := f.svc.ListPolicies(ctx, &iamapi.ListPoliciesRequest{Scope: ptr("AWS"), MaxItems: ptr(int32(100))})
		if err != nil || len(out.Policies) != 100 {
			b.Fatal(err)
		}
	}
}
