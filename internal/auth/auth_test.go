package auth

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/iamd/iamd/internal/ids"
	"github.com/iamd/iamd/internal/reqctx"
	"github.com/iamd/iamd/internal/secrets"
	"github.com/iamd/iamd/internal/sigv4"
	"github.com/iamd/iamd/internal/storage"
	"github.com/iamd/iamd/internal/storage/cache"
	"github.com/iamd/iamd/internal/storage/sqlite"
	"github.com/iamd/iamd/internal/token"
)

const (
	testAccount = "123456789012"
	testBody    = "Action=GetCallerIdentity&Version=2011-06-15"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// clock is a settable time source shared by the authenticator and the key ring.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

type env struct {
	store storage.Store
	auth  *Authenticator
	ring  *token.KeyRing
	clock *clock
	// rootKey and rootSecret are a long-term key of the root user.
	rootKey, rootSecret string
	// opened counts the secrets OpenSecret opened.
	opened atomic.Int64
}

// newEnv builds an authenticator over a real SQLite store with one account and its root key. Secrets
// are stored as they are (OpenSecret returns them): sealing at rest is the IAM service's business.
func newEnv(t testing.TB) *env {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, t.TempDir(), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	sealer, err := secrets.NewSealer(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	clk := &clock{t: t0}
	ring, err := token.NewKeyRing(ctx, token.NewMemoryKeyStore(), sealer, token.Options{Now: clk.now})
	if err != nil {
		t.Fatal(err)
	}
	// The authenticator reads through the store's cache, as in the server.
	e := &env{store: cache.New(st, cache.Options{}), ring: ring, clock: clk}
	e.rootKey, err = ids.NewAccessKeyID(ids.PrefixAccessKey, testAccount)
	if err != nil {
		t.Fatal(err)
	}
	e.rootSecret = ids.NewSecretAccessKey()
	err = e.store.Update(ctx, func(tx storage.Tx) error {
		if err := tx.CreateAccount(ctx, &storage.Account{ID: testAccount, CreatedAt: t0, GlobalEndpointTokenVersion: 1}); err != nil {
			return err
		}
		return tx.CreateAccessKey(ctx, &storage.AccessKey{ID: e.rootKey, AccountID: testAccount, SecretSealed: []byte(e.rootSecret),
			Status: storage.StatusActive, CreatedAt: t0})
	})
	if err != nil {
		t.Fatal(err)
	}
	e.auth = New(Options{Store: e.store, Tokens: ring, Now: clk.now,
		OpenSecret: func(k *storage.AccessKey) (string, error) { e.opened.Add(1); return string(k.SecretSealed), nil }})
	return e
}

// userKey creates the user name (unique ID id) in the test account with an active long-term key, and
// returns the key.
func (e *env) userKey(t testing.TB, name, id string) (keyID, secret string) {
	t.Helper()
	ctx := context.Background()
	keyID, err := ids.NewAccessKeyID(ids.PrefixAccessKey, testAccount)
	if err != nil {
		t.Fatal(err)
	}
	secret = ids.NewSecretAccessKey()
	err = e.store.Update(ctx, func(tx storage.Tx) error {
		if err := tx.CreateUser(ctx, &storage.User{AccountID: testAccount, Name: name, Path: "/", ID: id, CreatedAt: t0}); err != nil {
			return err
		}
		return tx.CreateAccessKey(ctx, &storage.AccessKey{ID: keyID, AccountID: testAccount, UserName: name,
			SecretSealed: []byte(secret), Status: storage.StatusActive, CreatedAt: t0})
	})
	if err != nil {
		t.Fatal(err)
	}
	return keyID, secret
}

// session seals a root session of the test account valid for d from now.
func (e *env) session(t testing.TB, version int, d time.Duration) (key, secret, tok string) {
	t.Helper()
	key, err := ids.NewAccessKeyID(ids.PrefixTemporaryAccessKey, testAccount)
	if err != nil {
		t.Fatal(err)
	}
	secret = ids.NewSecretAccessKey()
	now := e.clock.now()
	tok, err = e.ring.Seal(&token.Claims{Version: version, AccessKeyID: key, SecretAccessKey: secret, AccountID: testAccount,
		Partition: "aws", Kind: token.KindRootSession, Issuer: "GetSessionToken", PrincipalID: testAccount,
		IssuedAt: now, Expiration: now.Add(d)})
	if err != nil {
		t.Fatal(err)
	}
	return key, secret, tok
}

// request signs a GetCallerIdentity request for region at the clock's time.
func (e *env) request(t testing.TB, key, secret, tok, region string) *http.Request {
	t.Helper()
	r, err := http.NewRequest(http.MethodPost, "http://127.0.0.1:1/", strings.NewReader(testBody))
	if err != nil {
		t.Fatal(err)
	}
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	sum := sha256.Sum256([]byte(testBody))
	creds := aws.Credentials{AccessKeyID: key, SecretAccessKey: secret, SessionToken: tok}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, r, hex.EncodeToString(sum[:]), "sts", region, e.clock.now()); err != nil {
		t.Fatal(err)
	}
	return r
}

func (e *env) authenticate(r *http.Request, region string) (*Result, error) {
	return e.auth.Authenticate(context.Background(), r, []byte(testBody),
		Endpoint{Service: "sts", Region: region, Partition: "aws", ExpectRegion: region})
}

// wantCode checks that err is a sigv4 error with code and status (and the message when msg is not "").
func wantCode(t testing.TB, what string, err error, code string, status int, msg string) {
	t.Helper()
	var se *sigv4.Error
	if !errors.As(err, &se) {
		t.Fatalf("%s: got %v, want %s", what, err, code)
	}
	if se.Code != code || se.HTTPStatus != status || (msg != "" && se.Message != msg) {
		t.Fatalf("%s: got %d %s %q, want %d %s %q", what, se.HTTPStatus, se.Code, se.Message, status, code, msg)
	}
}

func (e *env) updateAccount(t testing.TB, fn func(a *storage.Account)) {
	t.Helper()
	ctx := context.Background()
	err := e.store.Update(ctx, func(tx storage.Tx) error {
		a, err := tx.GetAccount(ctx, testAccount)
		if err != nil {
			return err
		}
		fn(a)
		return tx.UpdateAccount(ctx, a)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestSessionExpiry: a session is good until its expiration (exclusive) and answers ExpiredToken after,
// with AWS's message; the clock is injected, nothing waits.
func TestSessionExpiry(t *testing.T) {
	e := newEnv(t)
	key, secret, tok := e.session(t, 1, 900*time.Second)

	e.clock.add(899 * time.Second)
	res, err := e.authenticate(e.request(t, key, secret, tok, "us-east-1"), "us-east-1")
	if err != nil {
		t.Fatalf("one second before expiry: %v", err)
	}
	if c := res.Caller; c.Kind != reqctx.CallerRoot || c.Session == nil || c.ARN != "arn:aws:iam::"+testAccount+":root" {
		t.Fatalf("caller: %+v", c)
	}
	e.clock.add(time.Second)
	_, err = e.authenticate(e.request(t, key, secret, tok, "us-east-1"), "us-east-1")
	wantCode(t, "at expiry", err, sigv4.CodeExpiredToken, http.StatusForbidden, "The security token included in the request is expired")
	e.clock.add(36 * time.Hour)
	_, err = e.authenticate(e.request(t, key, secret, tok, "us-east-1"), "us-east-1")
	wantCode(t, "long after expiry", err, sigv4.CodeExpiredToken, http.StatusForbidden, "")
	// A bad signature is reported as such even on an expired token: the token is not trusted before the
	// signature is.
	wrong := "x" + secret[1:]
	if wrong == secret { // the secret is random: one in 64 starts with x
		wrong = "y" + secret[1:]
	}
	_, err = e.authenticate(e.request(t, key, wrong, tok, "us-east-1"), "us-east-1")
	wantCode(t, "expired token, wrong secret", err, sigv4.CodeSignatureDoesNotMatch, http.StatusForbidden, "")
}

// TestRegionRules: v1 tokens only in default regions, v2 everywhere the account enabled, nothing in an
// opt-in region the account has not enabled, and changes take effect on the next request without Run.
func TestRegionRules(t *testing.T) {
	e := newEnv(t)
	k1, s1, tok1 := e.session(t, 1, time.Hour)
	k2, s2, tok2 := e.session(t, 2, time.Hour)
	const invalid = "The security token included in the request is invalid."
	try := func(key, secret, tok, region string) error {
		_, err := e.authenticate(e.request(t, key, secret, tok, region), region)
		return err
	}
	for _, region := range []string{"us-east-1", "eu-west-3", "sa-east-1"} {
		for _, c := range [][3]string{{k1, s1, tok1}, {k2, s2, tok2}, {e.rootKey, e.rootSecret, ""}} {
			if err := try(c[0], c[1], c[2], region); err != nil {
				t.Fatalf("default region %s: %v", region, err)
			}
		}
	}
	for _, c := range [][3]string{{k1, s1, tok1}, {k2, s2, tok2}, {e.rootKey, e.rootSecret, ""}} {
		wantCode(t, "region not enabled", try(c[0], c[1], c[2], "af-south-1"), sigv4.CodeInvalidClientTokenID, http.StatusForbidden, invalid)
	}
	// Enabling takes effect at the next request, although Run is not running: lookups apply pending
	// changes themselves.
	if _, err := e.auth.Account(context.Background(), testAccount); err != nil { // cache the account
		t.Fatal(err)
	}
	e.updateAccount(t, func(a *storage.Account) {
		a.Regions = map[string]storage.RegionState{"af-south-1": {Status: storage.RegionEnabled}}
	})
	wantCode(t, "v1 token in an enabled opt-in region", try(k1, s1, tok1, "af-south-1"), sigv4.CodeInvalidClientTokenID, http.StatusForbidden, invalid)
	if err := try(k2, s2, tok2, "af-south-1"); err != nil {
		t.Fatalf("v2 token in an enabled opt-in region: %v", err)
	}
	if err := try(e.rootKey, e.rootSecret, "", "af-south-1"); err != nil {
		t.Fatalf("long-term key in an enabled opt-in region: %v", err)
	}
	// ENABLING is not enabled yet; DISABLING is still usable until it completes.
	e.updateAccount(t, func(a *storage.Account) {
		a.Regions["af-south-1"] = storage.RegionState{Status: storage.RegionDisabling, Until: t0.Add(time.Minute)}
	})
	if err := try(k2, s2, tok2, "af-south-1"); err != nil {
		t.Fatalf("v2 token while the region is disabling: %v", err)
	}
	e.clock.add(time.Minute)
	wantCode(t, "after disabling completed", try(k2, s2, tok2, "af-south-1"), sigv4.CodeInvalidClientTokenID, http.StatusForbidden, invalid)
	e.updateAccount(t, func(a *storage.Account) {
		a.Regions["af-south-1"] = storage.RegionState{Status: storage.RegionEnabling, Until: e.clock.now().Add(time.Minute)}
	})
	wantCode(t, "while enabling", try(e.rootKey, e.rootSecret, "", "af-south-1"), sigv4.CodeInvalidClientTokenID, http.StatusForbidden, invalid)
	e.clock.add(time.Minute)
	if err := try(e.rootKey, e.rootSecret, "", "af-south-1"); err != nil {
		t.Fatalf("once enabling completed: %v", err)
	}
}

// TestKeyChangesSeenAtOnce: deactivating or deleting a long-term key locks it out at the next request.
func TestKeyChangesSeenAtOnce(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	if _, err := e.authenticate(e.request(t, e.rootKey, e.rootSecret, "", "us-east-1"), "us-east-1"); err != nil {
		t.Fatal(err)
	}
	err := e.store.Update(ctx, func(tx storage.Tx) error {
		k, err := tx.GetAccessKey(ctx, e.rootKey)
		if err != nil {
			return err
		}
		k.Status = storage.StatusInactive
		return tx.UpdateAccessKey(ctx, k)
	})
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.authenticate(e.request(t, e.rootKey, e.rootSecret, "", "us-east-1"), "us-east-1")
	wantCode(t, "deactivated key", err, sigv4.CodeInvalidClientTokenID, http.StatusForbidden, "")
}

// TestTokenRefusals: tokens that do not open, or do not belong to the key that signed.
func TestTokenRefusals(t *testing.T) {
	e := newEnv(t)
	key, secret, tok := e.session(t, 2, time.Hour)
	otherKey, _, otherTok := e.session(t, 2, time.Hour)
	raw := []byte(tok)
	raw[len(raw)/2] ^= 1
	for name, c := range map[string][3]string{
		"flipped":     {key, secret, string(raw)},
		"truncated":   {key, secret, tok[:len(tok)-4]},
		"other key":   {otherKey, secret, tok},
		"other token": {key, secret, otherTok},
		"no token":    {key, secret, ""},
		"garbage":     {key, secret, strings.Repeat("A", 800)},
		"huge":        {key, secret, strings.Repeat("A", 100<<10)},
	} {
		_, err := e.authenticate(e.request(t, c[0], c[1], c[2], "us-east-1"), "us-east-1")
		wantCode(t, name, err, sigv4.CodeInvalidClientTokenID, http.StatusForbidden, "")
	}
}

// BenchmarkAuthenticate measures the cost of authenticating one request (signature check included) with
// a long-term key (cached) and with session tokens of each version: the token is opened on every request,
// no database query.
func BenchmarkAuthenticate(b *testing.B) {
	e := newEnv(b)
	k1, s1, tok1 := e.session(b, 1, time.Hour)
	k2, s2, tok2 := e.session(b, 2, time.Hour)
	e.updateAccount(b, func(a *storage.Account) {
		a.Regions = map[string]storage.RegionState{"ap-east-1": {Status: storage.RegionEnabled}}
	})
	for _, bc := range []struct {
		name, key, secret, tok, region string
	}{
		{"long-term-key", e.rootKey, e.rootSecret, "", "us-east-1"},
		{"session-v1", k1, s1, tok1, "us-east-1"},
		{"session-v2", k2, s2, tok2, "us-east-1"},
		{"session-v2-opt-in-region", k2, s2, tok2, "ap-east-1"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			r := e.request(b, bc.key, bc.secret, bc.tok, bc.region)
			body := []byte(testBody)
			ep := Endpoint{Service: "sts", Region: bc.region, Partition: "aws", ExpectRegion: bc.region}
			ctx := context.Background()
			if _, err := e.auth.Authenticate(ctx, r, body, ep); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if _, err := e.auth.Authenticate(ctx, r, body, ep); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestKeyUseKeepsCache: recording a key's last use (every request does, write-behind) must not drop the
// key from the cache, while a real change of the key still does.
func TestKeyUseKeepsCache(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	if _, err := e.authenticate(e.request(t, e.rootKey, e.rootSecret, "", "us-east-1"), "us-east-1"); err != nil {
		t.Fatal(err)
	}
	err := e.store.Update(ctx, func(tx storage.Tx) error {
		return tx.SetAccessKeyLastUsed(ctx, e.rootKey, storage.AccessKeyLastUsed{Date: t0, Service: "sts", Region: "us-east-1"})
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.authenticate(e.request(t, e.rootKey, e.rootSecret, "", "us-east-1"), "us-east-1"); err != nil {
		t.Fatal(err)
	}
	if n := e.opened.Load(); n != 1 {
		t.Fatalf("the secret was opened %d times; a recorded use changes the row, not its secret", n)
	}
	err = e.store.Update(ctx, func(tx storage.Tx) error {
		k, err := tx.GetAccessKey(ctx, e.rootKey)
		if err != nil {
			return err
		}
		k.Status = storage.StatusInactive
		return tx.UpdateAccessKey(ctx, k)
	})
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.authenticate(e.request(t, e.rootKey, e.rootSecret, "", "us-east-1"), "us-east-1")
	wantCode(t, "deactivated key", err, sigv4.CodeInvalidClientTokenID, http.StatusForbidden, "")
}

// TestSecretFollowsRow: an opened secret is used only with the sealed secret it was opened from; a row
// with other sealed bytes under the same key ID is opened again.
func TestSecretFollowsRow(t *testing.T) {
	s := newOpenedSecrets(4)
	open := func(k *storage.AccessKey) (string, error) { return string(k.SecretSealed), nil }
	k := &storage.AccessKey{ID: "AKIA0000000000000001", SecretSealed: []byte("one")}
	if got, _ := s.open(k, nil, 0, false, open); got != "one" {
		t.Fatal(got)
	}
	k2 := &storage.AccessKey{ID: k.ID, SecretSealed: []byte("two")}
	if got, _ := s.open(k2, nil, 0, false, open); got != "two" {
		t.Fatalf("a changed row was paired with the secret of the old one: %q", got)
	}
	// The rows are noted only with a Seq they were current at; another read of the same row (a new copy
	// from the store) keeps the entry as it is without one, and replaces its rows with one.
	entry := func() *openedSecret { e, _ := s.m.Peek(k.ID); return e }
	before := entry()
	k3 := *k2
	if got, _ := s.open(&k3, nil, 0, false, open); got != "two" || entry() != before {
		t.Fatalf("a read without a Seq changed the entry (%q)", got)
	}
	if got, _ := s.open(&k3, nil, 7, true, open); got != "two" {
		t.Fatal(got)
	}
	if e := s.current(k.ID, 7); e == nil || e.key != &k3 {
		t.Fatal("rows read at Seq 7 not current at 7")
	}
	if s.current(k.ID, 8) != nil {
		t.Fatal("rows read at Seq 7 taken as current at 8")
	}
	for i := range 10 {
		_, _ = s.open(&storage.AccessKey{ID: strconv.Itoa(i), SecretSealed: []byte{byte(i)}}, nil, 0, false, open)
	}
	if n := s.len(); n > 4 {
		t.Fatalf("%d opened secrets, bound 4", n)
	}
}

// TestUserChangeKeepsKey: a change to a key's user (its path here) is seen by the next request, without
// opening the key's secret again. A renamed user keeps its key, and a new user with the old name never
// inherits it.
func TestUserChangeKeepsKey(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	keyID, secret := e.userKey(t, "alice", "AIDAALICE0000000000001")
	update := func(fn func(tx storage.Tx) error) {
		t.Helper()
		if err := e.store.Update(ctx, fn); err != nil {
			t.Fatal(err)
		}
	}
	callerARN := func() string {
		t.Helper()
		res, err := e.authenticate(e.request(t, keyID, secret, "", "us-east-1"), "us-east-1")
		if err != nil {
			t.Fatal(err)
		}
		return res.Caller.ARN
	}
	if got := callerARN(); got != "arn:aws:iam::123456789012:user/alice" {
		t.Fatalf("caller %s", got)
	}
	setUser := func(name string, fn func(u *storage.User)) {
		update(func(tx storage.Tx) error {
			u, err := tx.GetUser(ctx, testAccount, name)
			if err != nil {
				return err
			}
			fn(u)
			return tx.UpdateUser(ctx, name, u)
		})
	}
	setUser("alice", func(u *storage.User) { u.Path = "/team/" })
	if got := callerARN(); got != "arn:aws:iam::123456789012:user/team/alice" {
		t.Fatalf("after the path change the caller is %s", got)
	}
	if n := e.opened.Load(); n != 1 {
		t.Fatalf("a change to the user opened the key's secret again (%d opens)", n)
	}

	setUser("alice", func(u *storage.User) { u.Name = "bob" })
	update(func(tx storage.Tx) error {
		return tx.CreateUser(ctx, &storage.User{AccountID: testAccount, Name: "alice", Path: "/", ID: "AIDAALICE0000000000002", CreatedAt: t0})
	})
	if got := callerARN(); got != "arn:aws:iam::123456789012:user/team/bob" {
		t.Fatalf("after the rename the caller is %s", got)
	}
}

// TestConcurrentLookupsDuringUserChanges: many requests racing with changes to their user all get the
// right principal, never an error (run with -race: the shared loads).
func TestConcurrentLookupsDuringUserChanges(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	keyID, secret := e.userKey(t, "carol", "AIDACAROL0000000000001")
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // retag carol again and again
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			err := e.store.Update(ctx, func(tx storage.Tx) error {
				u, err := tx.GetUser(ctx, testAccount, "carol")
				if err != nil {
					return err
				}
				u.Tags = []storage.Tag{{Key: "n", Value: strconv.Itoa(i)}}
				return tx.UpdateUser(ctx, "carol", u)
			})
			if err != nil {
				t.Error(err)
				return
			}
		}
	}()
	var callers sync.WaitGroup
	for range 8 {
		callers.Add(1)
		go func() {
			defer callers.Done()
			for range 50 {
				res, err := e.authenticate(e.request(t, keyID, secret, "", "us-east-1"), "us-east-1")
				if err != nil {
					t.Error(err)
					return
				}
				if res.Caller.ARN != "arn:aws:iam::123456789012:user/carol" {
					t.Errorf("caller %s", res.Caller.ARN)
					return
				}
			}
		}()
	}
	callers.Wait()
	close(stop)
	wg.Wait()
}
