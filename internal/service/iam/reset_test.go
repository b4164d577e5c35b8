package iam

import (
	"context"
	"reflect"
	"sync"
	"testing"

	"github.com/iamd/iamd/internal/api/iamapi"
	"github.com/iamd/iamd/internal/storage"
)

// Every field of Service that holds state is registered in memory(), so that a dev-mode reset empties
// it and the reset tests see it. A new field fails this test until it is registered (or, if it holds
// no state, listed below).
func TestEveryMemoryStoreIsRegistered(t *testing.T) {
	// Dependencies and settings New is given: no state of their own. The managed-policy catalogue is
	// read-only data compiled into the binary. The outbound federation issuers keep everything in the store.
	// The pool of getUser's View functions holds nothing between calls (each is cleared when put back).
	stateless := map[string]bool{"Unimplemented": true, "store": true, "sealer": true, "hasher": true, "managed": true,
		"now": true, "log": true, "outbound": true, "userReads": true}
	f := newFixture(t)
	mem := f.svc.memory()
	typ := reflect.TypeOf(f.svc).Elem()
	for i := range typ.NumField() {
		name := typ.Field(i).Name
		if _, ok := mem[name]; !ok && !stateless[name] {
			t.Errorf("Service.%s is neither registered in memory() nor stateless: register it with a reset "+
				"(or, for a cache of stored rows that follows the change feed, with held only)", name)
		}
	}
	for name, m := range mem {
		if _, ok := typ.FieldByName(name); !ok {
			t.Errorf("memory() registers %q, which is no field of Service", name)
		}
		if m.held == nil {
			t.Errorf("memory() registers %q without held", name)
		}
	}
}

// After ResetMemory and a ChangeAll from the store (a reset deletes every account, which publishes
// one), nothing the service held survives.
func TestResetMemoryForgetsEverything(t *testing.T) {
	f := newFixture(t)
	ctx := f.root()
	must(f.svc.CreateUser(ctx, &iamapi.CreateUserRequest{UserName: ptr("pat")}))(t)
	k := must(f.svc.CreateAccessKey(ctx, &iamapi.CreateAccessKeyRequest{UserName: ptr("pat")}))(t)
	if err := f.svc.RecordAccessKeyUse(context.Background(), str(k.AccessKey.AccessKeyId), "iam", "us-east-1", f.now); err != nil {
		t.Fatal(err)
	}
	must(f.svc.GetUser(ctx, &iamapi.GetUserRequest{UserName: ptr("pat")}))(t)
	must(f.svc.CreateLoginProfile(ctx, &iamapi.CreateLoginProfileRequest{UserName: ptr("pat"), Password: ptr("Good-Pass-1")}))(t)
	must(f.svc.GenerateCredentialReport(ctx, &iamapi.GenerateCredentialReportInput{}))(t)
	vm := must(f.svc.CreateVirtualMFADevice(ctx, &iamapi.CreateVirtualMFADeviceRequest{VirtualMFADeviceName: ptr("pat-mfa")}))(t)
	// A code check takes a bucket of the MFA throttle, whatever its outcome.
	_, _ = f.svc.EnableMFADevice(ctx, &iamapi.EnableMFADeviceRequest{UserName: ptr("pat"), SerialNumber: vm.VirtualMFADevice.SerialNumber,
		AuthenticationCode1: ptr("000000"), AuthenticationCode2: ptr("000000")})
	must(f.svc.GenerateServiceLastAccessedDetails(ctx, &iamapi.GenerateServiceLastAccessedDetailsRequest{Arn: ptr("arn:aws:iam::" + testAccount + ":user/pat")}))(t)
	must(f.svc.SimulateCustomPolicy(ctx, &iamapi.SimulateCustomPolicyRequest{ActionNames: []string{"iam:GetUser"},
		PolicyInputList: []string{`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`}}))(t)
	for name, n := range f.svc.MemoryHeld() {
		if n == 0 {
			t.Fatalf("%s holds nothing before the reset: the test does not exercise it", name)
		}
	}
	f.svc.ResetMemory()
	err := f.store.Update(context.Background(), func(tx storage.Tx) error { return tx.DeleteAccount(context.Background(), testAccount) })
	if err != nil {
		t.Fatal(err)
	}
	for name, n := range f.svc.MemoryHeld() {
		if n != 0 {
			t.Errorf("%s still holds %d after the reset", name, n)
		}
	}
}

// DevUser makes the dev user once, with AdministratorAccess, however many requests ask at once.
func TestDevUser(t *testing.T) {
	f := newFixture(t)
	const n = 8
	got := make([]*storage.User, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			u, err := f.svc.DevUser(context.Background(), "aws", testAccount, "moto")
			if err != nil {
				t.Error(err)
			}
			got[i] = u
		}()
	}
	wg.Wait()
	for _, u := range got {
		if u == nil || u.ID != got[0].ID || u.Name != "moto" || u.AccountID != testAccount {
			t.Fatalf("dev users %+v and %+v", u, got[0])
		}
	}
	users := must(f.svc.ListUsers(f.root(), &iamapi.ListUsersRequest{}))(t)
	if len(users.Users) != 1 {
		t.Fatalf("users: %+v", users.Users)
	}
	att := must(f.svc.ListAttachedUserPolicies(f.root(), &iamapi.ListAttachedUserPoliciesRequest{UserName: ptr("moto")}))(t)
	if len(att.AttachedPolicies) != 1 || str(att.AttachedPolicies[0].PolicyArn) != "arn:aws:iam::aws:policy/AdministratorAccess" {
		t.Fatalf("attached: %+v", att.AttachedPolicies)
	}
	// A suite's changes to the user stay: it is used as it is.
	must(f.svc.DetachUserPolicy(f.root(), &iamapi.DetachUserPolicyRequest{UserName: ptr("moto"), PolicyArn: ptr("arn:aws:iam::aws:policy/AdministratorAccess")}))(t)
	if u, err := f.svc.DevUser(context.Background(), "aws", testAccount, "moto"); err != nil || u.ID != got[0].ID {
		t.Fatalf("second call: %v %+v", err, u)
	}
	att = must(f.svc.ListAttachedUserPolicies(f.root(), &iamapi.ListAttachedUserPoliciesRequest{UserName: ptr("moto")}))(t)
	if len(att.AttachedPolicies) != 0 {
		t.Fatalf("policy attached again: %+v", att.AttachedPolicies)
	}
}
