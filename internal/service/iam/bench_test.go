package iam

import (
	"fmt"
	"testing"

	"github.com/iamd/iamd/internal/api/iamapi"
)

// BenchmarkCreateUser measures a durable CreateUser (one SQLite write transaction).
func BenchmarkCreateUser(b *testing.B) {
	f := newFixture(b)
	ctx := f.root()
	i := 0
	for b.Loop() {
		if _, err := f.svc.CreateUser(ctx, &iamapi.CreateUserRequest{UserName: ptr(fmt.Sprintf("u%07d", i))}); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkGetUser measures a GetUser read.
func BenchmarkGetUser(b *testing.B) {
	f := newFixture(b)
	ctx := f.root()
	if _, err := f.svc.CreateUser(ctx, &iamapi.CreateUserRequest{UserName: ptr("reader")}); err != nil {
		b.Fatal(err)
	}
	in := &iamapi.GetUserRequest{UserName: ptr("reader")}
	for b.Loop() {
		if _, err := f.svc.GetUser(ctx, in); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCredentialReport measures building the report of an account with 500 users.
func BenchmarkCredentialReport(b *testing.B) {
	f := newFixture(b)
	ctx := f.root()
	for i := range 500 {
		if _, err := f.svc.CreateUser(ctx, &iamapi.CreateUserRequest{UserName: ptr(fmt.Sprintf("u%04d", i))}); err != nil {
			b.Fatal(err)
		}
	}
	sc, err := f.svc.scopeOf(ctx)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := f.svc.credentialReport(ctx, sc); err != nil {
			b.Fatal(err)
		}
	}
}
