package iam

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/iamd/iamd/internal/api/iamapi"
	"github.com/iamd/iamd/internal/reqctx"
)

// countingHasher stands in for PBKDF2 and counts the hashes and verifications asked of it.
type countingHasher struct{ hashes, verifies atomic.Int64 }

func (h *countingHasher) Hash(pw string) (string, error) { h.hashes.Add(1); return "h:" + pw, nil }
func (h *countingHasher) Verify(hash, pw string) bool {
	h.verifies.Add(1)
	return hash == "h:"+pw
}

func fromSource(ctx context.Context, ip string) context.Context {
	r := *reqctx.From(ctx)
	r.SourceIP = ip
	return reqctx.With(context.Background(), &r)
}

// ChangePassword guesses are refused with Throttling before the old password is verified or the new one
// hashed: the call past the burst costs no PBKDF2 run; the bucket refills with time.
func TestChangePasswordThrottledBeforeHashing(t *testing.T) {
	f := newFixture(t)
	h := &countingHasher{}
	f.svc.hasher = h
	createUser(t, f, f.root(), "pat", "")
	must(f.svc.CreateLoginProfile(f.root(), &iamapi.CreateLoginProfileRequest{UserName: ptr("pat"), Password: ptr("Right-Pass-1")}))(t)

	guess := func(i int) error {
		_, err := f.svc.ChangePassword(fromSource(f.asUser("pat"), fmt.Sprintf("192.0.2.%d", i)),
			&iamapi.ChangePasswordRequest{OldPassword: ptr(fmt.Sprintf("guess-%d", i)), NewPassword: ptr("New-Pass-22")})
		return err
	}
	for i := range passwordVerifyBurst {
		assertAPIError(t, guess(i), "AccessDenied", 403, "The old password is incorrect.")
	}
	verifies := h.verifies.Load()
	// Each guess from another address: the per-user bucket alone refuses.
	assertAPIError(t, guess(passwordVerifyBurst), "Throttling", 400, "Rate exceeded")
	if got := h.verifies.Load(); got != verifies {
		t.Fatalf("the throttled call verified a password (%d verifications, want %d)", got, verifies)
	}
	f.now = f.now.Add(passwordVerifyInterval)
	assertAPIError(t, guess(passwordVerifyBurst+1), "AccessDenied", 403, "The old password is incorrect.")
	assertAPIError(t, guess(passwordVerifyBurst+2), "Throttling", 400, "Rate exceeded")
}

// CreateLoginProfile and UpdateLoginProfile hash too: a principal (and an address) past its burst is
// refused before hashing.
func TestLoginProfileHashingThrottled(t *testing.T) {
	f := newFixture(t)
	h := &countingHasher{}
	f.svc.hasher = h
	ctx := fromSource(f.root(), "198.51.100.7")
	n := passwordHashBurstPerPrincipal + 1
	for i := range n {
		createUser(t, f, f.root(), fmt.Sprintf("u%02d", i), "")
	}
	for i := range passwordHashBurstPerPrincipal {
		must(f.svc.CreateLoginProfile(ctx, &iamapi.CreateLoginProfileRequest{UserName: ptr(fmt.Sprintf("u%02d", i)), Password: ptr("Some-Pass-1")}))(t)
	}
	hashes := h.hashes.Load()
	_, err := f.svc.CreateLoginProfile(ctx, &iamapi.CreateLoginProfileRequest{UserName: ptr(fmt.Sprintf("u%02d", n-1)), Password: ptr("Some-Pass-1")})
	assertAPIError(t, err, "Throttling", 400, "Rate exceeded")
	_, err = f.svc.UpdateLoginProfile(ctx, &iamapi.UpdateLoginProfileRequest{UserName: ptr("u00"), Password: ptr("Other-Pass-2")})
	assertAPIError(t, err, "Throttling", 400, "Rate exceeded")
	if got := h.hashes.Load(); got != hashes {
		t.Fatalf("throttled calls hashed: %d hashes, want %d", got, hashes)
	}
	// Changing only the reset flag hashes nothing and is not throttled.
	must(f.svc.UpdateLoginProfile(ctx, &iamapi.UpdateLoginProfileRequest{UserName: ptr("u00"), PasswordResetRequired: ptr(true)}))(t)

	// Other principals from the same address share the address's bucket: it admits what the root's calls
	// left of it, one call per principal, then refuses.
	left := passwordHashBurstPerSource - passwordHashBurstPerPrincipal
	for i := range left + 1 {
		p := fromSource(f.asUser(fmt.Sprintf("p%02d", i)), "198.51.100.7")
		_, err := f.svc.UpdateLoginProfile(p, &iamapi.UpdateLoginProfileRequest{UserName: ptr("u00"), Password: ptr("Other-Pass-2")})
		if i < left && err != nil {
			t.Fatalf("principal %d: %v", i, err)
		}
		if i == left {
			assertAPIError(t, err, "Throttling", 400, "Rate exceeded")
		}
	}
}

// The limiter's maps stay bounded: refilled buckets are dropped, and past the bound a new key is refused
// rather than the map grown.
func TestRateLimiterBounded(t *testing.T) {
	const bound = 50
	l := newRateLimiter(2, time.Second, bound)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range bound {
		if !l.allow(fmt.Sprint(i), now) {
			t.Fatalf("key %d refused below the bound", i)
		}
	}
	if l.allow("one-more", now) {
		t.Fatal("a new key was admitted past the bound while every bucket is live")
	}
	if l.size() != bound {
		t.Fatalf("size %d, want %d", l.size(), bound)
	}
	// Once the buckets have refilled they are dropped to make room.
	if !l.allow("one-more", now.Add(2*time.Second)) {
		t.Fatal("refilled buckets were not dropped")
	}
	if l.size() != 1 {
		t.Fatalf("size after the sweep %d, want 1", l.size())
	}
	// A clock stepping back refills nothing.
	l.allow("k", now)
	l.allow("k", now)
	if l.allow("k", now.Add(-time.Hour)) {
		t.Fatal("a clock stepped back refilled the bucket")
	}
}

func FuzzRateLimiter(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 200, 255})
	f.Fuzz(func(t *testing.T, ops []byte) {
		const bound = 8
		l := newRateLimiter(3, time.Second, bound)
		now := time.Unix(0, 0)
		for _, op := range ops {
			now = now.Add(time.Duration(op>>4) * 100 * time.Millisecond)
			l.allow(fmt.Sprint(op&0x0f), now)
			if l.size() > bound {
				t.Fatalf("size %d over the bound %d", l.size(), bound)
			}
		}
	})
}
