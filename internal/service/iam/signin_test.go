package iam

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/iamd/iamd/internal/api/iamapi"
	"github.com/iamd/iamd/internal/protocol"
)

// A console password check answers a wrong password, an unknown user and a user without a login profile
// alike, verifies a hash for each, reports the flag and the MFA devices of a good one, and is throttled
// per user before anything is verified.
func TestVerifyConsolePassword(t *testing.T) {
	f := newFixture(t)
	h := &countingHasher{}
	f.svc.hasher = h
	ctx := context.Background()
	must(f.svc.CreateUser(f.root(), &iamapi.CreateUserRequest{UserName: ptr("bob")}))(t)
	must(f.svc.CreateUser(f.root(), &iamapi.CreateUserRequest{UserName: ptr("nopw")}))(t)
	must(f.svc.CreateLoginProfile(f.root(), &iamapi.CreateLoginProfileRequest{UserName: ptr("bob"), Password: ptr("Good-Password-1"),
		PasswordResetRequired: ptr(true)}))(t)
	serial, seed := newMFADevice(t, f, "bob-phone")
	if err := enable(t, f, "bob", serial, seed); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ acct, user, pw string }{
		{testAccount, "bob", "Wrong-Password-1"}, {testAccount, "nobody", "Good-Password-1"},
		{testAccount, "nopw", "Good-Password-1"}, {"999999999999", "bob", "Good-Password-1"},
	} {
		before := h.verifies.Load()
		got, err := f.svc.VerifyConsolePassword(ctx, "aws", c.acct, c.user, c.pw)
		if err != nil || got.OK || got.User != nil || h.verifies.Load() != before+1 {
			t.Errorf("%+v: %+v, %v, %d verifications", c, got, err, h.verifies.Load()-before)
		}
		f.now = f.now.Add(time.Minute) // refill the throttle
	}
	got, err := f.svc.VerifyConsolePassword(ctx, "aws", testAccount, "BOB", "Good-Password-1")
	if err != nil || !got.OK || got.User.Name != "bob" || !got.PasswordResetRequired || len(got.MFASerials) != 1 || got.MFASerials[0] != serial {
		t.Fatalf("good password: %+v, %v", got, err)
	}
	for i := 0; i < passwordVerifyBurst; i++ {
		_, _ = f.svc.VerifyConsolePassword(ctx, "aws", testAccount, "bob", "Wrong-Password-1")
	}
	before := h.verifies.Load()
	_, err = f.svc.VerifyConsolePassword(ctx, "aws", testAccount, "bob", "Good-Password-1")
	var ae protocol.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "Throttling" || h.verifies.Load() != before {
		t.Fatalf("over the rate: %v, %d verifications", err, h.verifies.Load()-before)
	}
}

// The root password: AWS's rules when set, hashed, checked like a login profile's; an account without
// one signs no root in.
func TestRootPassword(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if got, err := f.svc.VerifyRootPassword(ctx, "aws", testAccount, ""); err != nil || got.OK {
		t.Fatalf("no root password set: %+v %v", got, err)
	}
	for _, bad := range []string{"short1A", "alllowercaseletters", string(make([]rune, 129))} {
		var pe *iamapi.PasswordPolicyViolationException
		if err := f.svc.SetRootPassword(ctx, testAccount, bad); !errors.As(err, &pe) {
			t.Errorf("%q: %v", bad, err)
		}
	}
	if err := f.svc.SetRootPassword(ctx, testAccount, "Root-Password-123"); err != nil {
		t.Fatal(err)
	}
	for pw, want := range map[string]bool{"Root-Password-123": true, "Root-Password-124": false} {
		f.now = f.now.Add(time.Minute)
		if got, err := f.svc.VerifyRootPassword(ctx, "aws", testAccount, pw); err != nil || got.OK != want || got.User != nil {
			t.Errorf("%q: %+v %v", pw, got, err)
		}
	}
	if got, err := f.svc.VerifyRootPassword(ctx, "aws", otherTestAccount, "Root-Password-123"); err != nil || got.OK {
		t.Errorf("another account's root: %+v %v", got, err)
	}
}
