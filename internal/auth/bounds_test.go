package auth

import (
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/iamd/iamd/internal/ids"
	"github.com/iamd/iamd/internal/sigv4"
	"github.com/iamd/iamd/internal/storage"
	"github.com/iamd/iamd/internal/storage/cache"
)

// Key IDs that cannot be AWS access key IDs are refused as AWS refuses an unknown key, before any lookup,
// and leave nothing in any cache.
func TestMalformedKeyIDsRefusedUncached(t *testing.T) {
	e := newEnv(t)
	secret := ids.NewSecretAccessKey()
	for _, id := range []string{"testing", "foobar_key", "AKIAlowercase0000000", strings.Repeat("A", 129),
		strings.Repeat("AKIA", 16<<10), "AKIA-0000000000000000", "123456789012", "AKIA0000000000é"} {
		_, err := e.authenticate(e.request(t, id, secret, "", "us-east-1"), "us-east-1")
		wantCode(t, id[:min(len(id), 24)], err, "InvalidClientTokenId", 403, "The security token included in the request is invalid.")
	}
	if s := e.auth.CacheSizes(); s.MissingKeys != 0 || s.Keys != 0 {
		t.Fatalf("malformed key IDs were cached: %+v", s)
	}
	// A well-formed unknown key is refused the same way, and remembered.
	_, err := e.authenticate(e.request(t, "AKIA0000000000000000", secret, "", "us-east-1"), "us-east-1")
	wantCode(t, "well-formed unknown key", err, "InvalidClientTokenId", 403, "")
	if s := e.auth.CacheSizes(); s.MissingKeys != 1 {
		t.Fatalf("unknown key not remembered: %+v", s)
	}
}

// The negative cache holds at most MaxMissingKeys IDs, the least recently used going first, and a flood
// of unknown IDs does not evict known keys.
func TestUnknownKeysBounded(t *testing.T) {
	e := newEnv(t)
	e.store = cache.New(e.store.(*cache.Store).Store, cache.Options{MaxMissingKeys: 8})
	e.auth = New(Options{Store: e.store, Tokens: e.ring, Now: e.clock.now,
		OpenSecret: func(k *storage.AccessKey) (string, error) { return string(k.SecretSealed), nil }})
	if _, err := e.authenticate(e.request(t, e.rootKey, e.rootSecret, "", "us-east-1"), "us-east-1"); err != nil {
		t.Fatal(err)
	}
	secret := ids.NewSecretAccessKey()
	for i := range 100 {
		id := "AKIA" + strings.Repeat("0", 16-len(strconv.Itoa(i))) + strconv.Itoa(i)
		_, err := e.authenticate(e.request(t, id, secret, "", "us-east-1"), "us-east-1")
		wantCode(t, id, err, "InvalidClientTokenId", 403, "")
		if s := e.auth.CacheSizes(); s.MissingKeys > 8 {
			t.Fatalf("after %d unknown keys the negative cache holds %d, bound 8", i+1, s.MissingKeys)
		}
	}
	if s := e.auth.CacheSizes(); s.Keys != 1 || s.MissingKeys != 8 {
		t.Fatalf("cache sizes %+v, want the root key and 8 unknown IDs", s)
	}
}

// Dev mode still accepts the free-form IDs test suites use, without caching them (as root here, where no
// DevUser is configured); it too refuses
// what no client sends (overlong IDs, control characters).
func TestDevModeKeyIDs(t *testing.T) {
	e := newEnv(t)
	e.auth = New(Options{Store: e.store, Tokens: e.ring, Now: e.clock.now, Dev: true, DevAccount: testAccount,
		OpenSecret: func(k *storage.AccessKey) (string, error) { return string(k.SecretSealed), nil }})
	for _, id := range []string{"testing", "foobar_key", "AKIA0000000000000000", strings.Repeat("x", 128)} {
		res, err := e.authenticate(e.request(t, id, "anything", "", "us-east-1"), "us-east-1")
		if err != nil {
			t.Fatalf("dev mode refused %q: %v", id, err)
		}
		if res.Caller.ARN != "arn:aws:iam::"+testAccount+":root" {
			t.Fatalf("dev key %q: caller %s", id, res.Caller.ARN)
		}
	}
	for _, id := range []string{strings.Repeat("x", 129), strings.Repeat("AKIA", 16<<10), "tab\tkey"} {
		_, err := e.authenticate(e.request(t, id, "anything", "", "us-east-1"), "us-east-1")
		wantCode(t, id[:min(len(id), 24)], err, "InvalidClientTokenId", 403, "")
	}
	if s := e.auth.CacheSizes(); s.MissingKeys != 1 {
		t.Fatalf("cache sizes %+v: only the well-formed unknown ID should be remembered", s)
	}
}

// FuzzKeyIDAdmission: whatever key ID a request names, the answer is an AWS authentication error (or,
// in dev mode, the dev root), and only a well-formed ID can enter the negative cache.
func FuzzKeyIDAdmission(f *testing.F) {
	for _, s := range []string{"AKIA0000000000000000", "testing", "test", "123456789012", strings.Repeat("A", 129), "a b", "a,b", "a/b", "\x00", ""} {
		f.Add(s, false)
		f.Add(s, true)
	}
	e := newEnv(f)
	normal := e.auth
	dev := New(Options{Store: e.store, Tokens: e.ring, Now: e.clock.now, Dev: true, DevAccount: testAccount,
		OpenSecret: func(k *storage.AccessKey) (string, error) { return string(k.SecretSealed), nil }})
	f.Fuzz(func(t *testing.T, id string, devMode bool) {
		a := normal
		if devMode {
			a = dev
		}
		before := a.CacheSizes().MissingKeys
		r := e.request(t, id, "secret", "", "us-east-1")
		res, err := a.Authenticate(t.Context(), r, []byte(testBody), Endpoint{Service: "sts", Region: "us-east-1", Partition: "aws", ExpectRegion: "us-east-1"})
		var se *sigv4.Error
		switch {
		case err == nil && !devMode:
			t.Fatalf("key %q authenticated without its secret", id)
		case err == nil && res.Caller.ARN != "arn:aws:iam::"+devAccountOf(id, testAccount)+":root":
			t.Fatalf("dev key %q: caller %s, want the root of %s", id, res.Caller.ARN, devAccountOf(id, testAccount))
		case err != nil && !errors.As(err, &se):
			t.Fatalf("key %q: %v is not an AWS authentication error", id, err)
		}
		if after := a.CacheSizes().MissingKeys; after > before && !ids.IsAccessKeyIDSyntax(id) {
			t.Fatalf("malformed key %q entered the negative cache", id)
		}
	})
}
