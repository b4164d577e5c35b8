package auth

import (
	"context"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/iamd/iamd/internal/sigv4"
	"github.com/iamd/iamd/internal/storage"
	"github.com/iamd/iamd/internal/storage/cache"
)

// TestCachedKeyLookupAllocates: every request with a long-term key looks the key up (and its user); once
// cached that costs no allocation (neither the lookup nor a copy of the row).
func TestCachedKeyLookupAllocates(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	lookup := func() {
		k, _, err := e.auth.lookupKey(ctx, e.rootKey)
		if err != nil || k == nil {
			t.Fatalf("root key: %v", err)
		}
	}
	lookup()
	if n := testing.AllocsPerRun(100, lookup); n != 0 {
		t.Errorf("%v allocations per cached key lookup, want 0", n)
	}
}

// viewCounter is the store's cache with its Views counted.
type viewCounter struct {
	*cache.Store
	views atomic.Int64
}

func (v *viewCounter) View(ctx context.Context, fn func(tx storage.Tx) error) error {
	v.views.Add(1)
	return v.Store.View(ctx, fn)
}

// TestCurrentKeyTakesNoLookup: a request with a key whose rows were found current at the cache's present
// Seq takes them from the key's opened secret without a View of the cache; the first change applied after
// that (here the key's deactivation, then its reactivation and a change to its user) is seen by the next
// request.
func TestCurrentKeyTakesNoLookup(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	vc := &viewCounter{Store: e.store.(*cache.Store)}
	e.store = vc
	e.auth = New(Options{Store: vc, Tokens: e.ring, Now: e.clock.now,
		OpenSecret: func(k *storage.AccessKey) (string, error) { e.opened.Add(1); return string(k.SecretSealed), nil }})
	keyID, secret := e.userKey(t, "dave", "AIDADAVE00000000000001")
	update := func(fn func(tx storage.Tx) error) {
		t.Helper()
		if err := e.store.Update(ctx, fn); err != nil {
			t.Fatal(err)
		}
	}
	callerARN := func() (string, error) {
		res, err := e.authenticate(e.request(t, keyID, secret, "", "us-east-1"), "us-east-1")
		if err != nil {
			return "", err
		}
		return res.Caller.ARN, nil
	}
	if _, err := callerARN(); err != nil {
		t.Fatal(err)
	}
	before := vc.views.Load()
	for range 10 {
		if _, err := callerARN(); err != nil {
			t.Fatal(err)
		}
	}
	if n := vc.views.Load() - before; n != 0 {
		t.Errorf("10 requests with a key whose rows are current made %d Views of the cache, want 0", n)
	}
	setStatus := func(s storage.AccessKeyStatus) {
		update(func(tx storage.Tx) error {
			k, err := tx.GetAccessKey(ctx, keyID)
			if err != nil {
				return err
			}
			k.Status = s
			return tx.UpdateAccessKey(ctx, k)
		})
	}
	setStatus(storage.StatusInactive)
	_, err := callerARN()
	wantCode(t, "deactivated key", err, sigv4.CodeInvalidClientTokenID, http.StatusForbidden, "")
	setStatus(storage.StatusActive)
	if _, err := callerARN(); err != nil {
		t.Fatalf("reactivated key: %v", err)
	}
	update(func(tx storage.Tx) error {
		u, err := tx.GetUser(ctx, testAccount, "dave")
		if err != nil {
			return err
		}
		u.Path = "/ops/"
		return tx.UpdateUser(ctx, "dave", u)
	})
	if got, err := callerARN(); err != nil || got != "arn:aws:iam::123456789012:user/ops/dave" {
		t.Fatalf("after the user's path changed the caller is %q (%v)", got, err)
	}
	update(func(tx storage.Tx) error { return tx.DeleteAccessKey(ctx, keyID) })
	_, err = callerARN()
	wantCode(t, "deleted key", err, sigv4.CodeInvalidClientTokenID, http.StatusForbidden, "")
}
