package token

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/iamd/iamd/internal/secrets"
)

// newGCMSealer returns the master-key sealer the server uses (internal/secrets) with a random key.
func newGCMSealer(t testing.TB) Sealer {
	key := make([]byte, secrets.KeySize)
	if _, err := rand.Read(key); err != nil {
		t.Fatal(err)
	}
	s, err := secrets.NewSealer(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// clock is a settable clock shared by the rings of a test.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

var quietLog = slog.New(slog.NewTextHandler(io.Discard, nil))

func newRing(t testing.TB, store KeyStore, sealer Sealer, clk *clock) *KeyRing {
	t.Helper()
	r, err := NewKeyRing(context.Background(), store, sealer, Options{Now: clk.Now, Logger: quietLog})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// assumeRoleClaims is a typical AssumeRole session.
func assumeRoleClaims(now time.Time, version int) *Claims {
	return &Claims{
		Version:         version,
		AccessKeyID:     "ASIAQAAAAAAAAHUHM4GX",
		SecretAccessKey: "8uH1Qv8yBvG5Fh9X5rH0T7kN3bJ1zWq2nE4mYc6d",
		AccountID:       "123456789012",
		Partition:       "aws",
		Kind:            KindAssumedRole,
		Issuer:          "AssumeRole",
		PrincipalName:   "deploy",
		PrincipalID:     "AROAQAAAAAAAAKLMNOPQR",
		PrincipalPath:   "/",
		SessionName:     "ci-build-1234",
		IssuedAt:        now,
		Expiration:      now.Add(time.Hour),
	}
}

// fullClaims sets every field.
func fullClaims(now time.Time) *Claims {
	return &Claims{
		Version:           2,
		AccessKeyID:       "ASIAQAAAAAAAAHUHM4GX",
		SecretAccessKey:   "8uH1Qv8yBvG5Fh9X5rH0T7kN3bJ1zWq2nE4mYc6d",
		AccountID:         "123456789012",
		Partition:         "aws-cn",
		Kind:              KindFederatedUser,
		Issuer:            "GetFederationToken",
		PrincipalName:     "alice",
		PrincipalID:       "AIDAQAAAAAAAAABCDEFGH",
		PrincipalPath:     "/engineering/",
		SessionName:       "bob@example.com",
		SourceIdentity:    "alice-src",
		IssuedAt:          now,
		Expiration:        now.Add(36 * time.Hour),
		MFA:               true,
		MFAAuthTime:       now.Add(-25 * time.Minute), // a chained session's first MFA check
		RoleChained:       true,
		Region:            "cn-north-1",
		SessionPolicy:     `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`,
		PolicyARNs:        []string{"arn:aws-cn:iam::aws:policy/ReadOnlyAccess", "arn:aws-cn:iam::123456789012:policy/x"},
		Tags:              []Tag{{"Project", "Blue"}, {"cost-center", "42"}, {"Empty", ""}},
		TransitiveTagKeys: []string{"Project"},
	}
}

func TestRoundTrip(t *testing.T) {
	clk := newClock()
	ring := newRing(t, NewMemoryKeyStore(), newGCMSealer(t), clk)
	now := clk.Now()
	cases := map[string]*Claims{
		"full v2":            fullClaims(now),
		"assume role v1":     assumeRoleClaims(now, 1),
		"assume role v2":     assumeRoleClaims(now, 2),
		"root session v1":    {Version: 1, AccessKeyID: "ASIAX", SecretAccessKey: "s", AccountID: "123456789012", Partition: "aws", Kind: KindRootSession, Issuer: "GetSessionToken", PrincipalID: "123456789012", IssuedAt: now, Expiration: now.Add(time.Hour)},
		"user session mfa":   {Version: 2, AccessKeyID: "ASIAY", SecretAccessKey: "s", AccountID: "123456789012", Partition: "aws", Kind: KindUserSession, Issuer: "GetSessionToken", PrincipalName: "u", PrincipalID: "AIDAX", PrincipalPath: "/", MFA: true, MFAAuthTime: now, IssuedAt: now, Expiration: now.Add(MaxTokenLifetime)},
		"max lists and tags": bigClaims(now),
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			tok, err := ring.Seal(c)
			if err != nil {
				t.Fatal(err)
			}
			got, err := ring.Open(context.Background(), tok)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, c) {
				t.Errorf("round trip:\n got %+v\nwant %+v", got, c)
			}
			if p, err := parse(tok); err != nil || p.version != c.Version {
				t.Errorf("parsed version = %d, %v; want %d", p.version, err, c.Version)
			}
			if len(tok)%4 != 0 || strings.Contains(tok, "=") {
				t.Errorf("token of %d characters has base64 padding", len(tok))
			}
		})
	}
}

func bigClaims(now time.Time) *Claims {
	c := fullClaims(now)
	c.PolicyARNs = nil
	for i := range maxPolicyARNs {
		c.PolicyARNs = append(c.PolicyARNs, fmt.Sprintf("arn:aws:iam::123456789012:policy/p%d", i))
	}
	c.Tags, c.TransitiveTagKeys = nil, nil
	for i := range maxTags {
		k := fmt.Sprintf("k%02d-%s", i, strings.Repeat("x", 120))
		c.Tags = append(c.Tags, Tag{k, strings.Repeat("v", 256)})
		c.TransitiveTagKeys = append(c.TransitiveTagKeys, k)
	}
	c.SessionPolicy = strings.Repeat(`{"Effect":"Allow","Action":"s3:*","Resource":"*"},`, 40)
	return c
}

func TestTimesTruncatedToSeconds(t *testing.T) {
	clk := newClock()
	ring := newRing(t, NewMemoryKeyStore(), newGCMSealer(t), clk)
	c := assumeRoleClaims(clk.Now().Add(700*time.Millisecond), 1)
	c.Expiration = c.IssuedAt.Add(time.Hour + 300*time.Millisecond)
	tok, err := ring.Seal(c)
	if err != nil {
		t.Fatal(err)
	}
	got, err := ring.Open(context.Background(), tok)
	if err != nil {
		t.Fatal(err)
	}
	if !got.IssuedAt.Equal(c.IssuedAt.Truncate(time.Second)) || !got.Expiration.Equal(c.Expiration.Truncate(time.Second)) {
		t.Errorf("times %v %v, want %v %v", got.IssuedAt, got.Expiration, c.IssuedAt, c.Expiration)
	}
	if got.Expired(got.Expiration.Add(-time.Second)) || !got.Expired(got.Expiration) {
		t.Error("Expired wrong at the expiration boundary")
	}
}

func TestSizesAndPrefixes(t *testing.T) {
	clk := newClock()
	ring := newRing(t, NewMemoryKeyStore(), newGCMSealer(t), clk)
	v1, err := ring.Seal(assumeRoleClaims(clk.Now(), 1))
	if err != nil {
		t.Fatal(err)
	}
	c2 := assumeRoleClaims(clk.Now(), 2)
	c2.Region = "eu-west-1"
	v2, err := ring.Seal(c2)
	if err != nil {
		t.Fatal(err)
	}
	v2global, err := ring.Seal(assumeRoleClaims(clk.Now(), 2))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("v1 %d characters, v2 %d (regional) and %d (global)", len(v1), len(v2), len(v2global))
	if !strings.HasPrefix(v1, "FwoGZXIvYXdz") {
		t.Errorf("v1 token starts %q", v1[:16])
	}
	for _, v := range []string{v2, v2global} {
		if !strings.HasPrefix(v, "IQoJb3JpZ2luX2Vj") {
			t.Errorf("v2 token starts %q", v[:16])
		}
	}
	if len(v1) < 356 || len(v1) > 400 {
		t.Errorf("v1 token has %d characters, want about 360", len(v1))
	}
	if len(v2) < 750 || len(v2global) < 750 || len(v2) < len(v1)+300 {
		t.Errorf("v2 tokens have %d and %d characters, want 750 or more", len(v2), len(v2global))
	}
	raw, _ := base64.StdEncoding.DecodeString(v2)
	if !strings.Contains(string(raw[:40]), "origin_ec\x1a\teu-west-1") {
		t.Errorf("v2 token does not name its region in clear: %q", raw[:40])
	}
	raw, _ = base64.StdEncoding.DecodeString(v2global)
	if !strings.Contains(string(raw[:40]), "origin_ec\x1a\tus-east-1") {
		t.Errorf("global v2 token does not name us-east-1 in clear: %q", raw[:40])
	}
	// Short differences in names do not show in the length.
	c := assumeRoleClaims(clk.Now(), 1)
	c.SessionName = "x"
	short, err := ring.Seal(c)
	if err != nil {
		t.Fatal(err)
	}
	if len(short) != len(v1) {
		t.Errorf("v1 token with a short session name has %d characters, typical %d", len(short), len(v1))
	}
}

func TestSealRejectsInvalidClaims(t *testing.T) {
	clk := newClock()
	ring := newRing(t, NewMemoryKeyStore(), newGCMSealer(t), clk)
	now := clk.Now()
	for name, mutate := range map[string]func(*Claims){
		"version 0":           func(c *Claims) { c.Version = 0 },
		"version 3":           func(c *Claims) { c.Version = 3 },
		"v1 regional":         func(c *Claims) { c.Version, c.Region = 1, "eu-west-1" },
		"kind 0":              func(c *Claims) { c.Kind = 0 },
		"kind 9":              func(c *Claims) { c.Kind = 9 },
		"no key":              func(c *Claims) { c.AccessKeyID = "" },
		"no secret":           func(c *Claims) { c.SecretAccessKey = "" },
		"no account":          func(c *Claims) { c.AccountID = "" },
		"expires before":      func(c *Claims) { c.Expiration = c.IssuedAt.Add(-time.Second) },
		"zero issued":         func(c *Claims) { c.IssuedAt = time.Time{} },
		"long field":          func(c *Claims) { c.SessionName = strings.Repeat("a", maxFieldLen+1) },
		"too many tags":       func(c *Claims) { c.Tags = make([]Tag, maxTags+1) },
		"too many ARNs":       func(c *Claims) { c.PolicyARNs = make([]string, maxPolicyARNs+1) },
		"huge policy":         func(c *Claims) { c.SessionPolicy = strings.Repeat(" ", maxPolicyLen+1) },
		"long tag value":      func(c *Claims) { c.Tags = []Tag{{"k", strings.Repeat("v", maxFieldLen+1)}} },
		"long transitive key": func(c *Claims) { c.TransitiveTagKeys = []string{strings.Repeat("k", maxFieldLen+1)} },
	} {
		c := assumeRoleClaims(now, 2)
		mutate(c)
		if _, err := ring.Seal(c); !errors.Is(err, ErrInvalidClaims) {
			t.Errorf("%s: Seal error %v, want ErrInvalidClaims", name, err)
		}
	}
}

func TestTamperEveryByte(t *testing.T) {
	clk := newClock()
	ring := newRing(t, NewMemoryKeyStore(), newGCMSealer(t), clk)
	for _, version := range []int{1, 2} {
		c := fullClaims(clk.Now())
		c.Version = version
		if version == 1 {
			c.Region = ""
		}
		tok, err := ring.Seal(c)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := base64.StdEncoding.DecodeString(tok)
		p, err := parse(tok)
		if err != nil {
			t.Fatal(err)
		}
		hdr := len(p.aad)
		for i := range raw {
			for _, mask := range []byte{0x01, 0x80} {
				bad := append([]byte(nil), raw...)
				bad[i] ^= mask
				_, err := ring.Open(context.Background(), base64.StdEncoding.EncodeToString(bad))
				switch {
				case err == nil:
					t.Fatalf("v%d: flipping bit %#x of byte %d went unnoticed", version, mask, i)
				case i >= hdr-keyIDLen && i < hdr:
					if !errors.Is(err, ErrUnknownKey) {
						t.Errorf("v%d byte %d (key ID): %v, want ErrUnknownKey", version, i, err)
					}
				case i >= hdr:
					if !errors.Is(err, ErrTampered) {
						t.Errorf("v%d byte %d (sealed): %v, want ErrTampered", version, i, err)
					}
				default:
					// A flipped region length shifts the fields after it: what is read as the key ID may
					// then be any four bytes (an unknown key) when the shifted format byte happens to be valid,
					// as it is for one key ID in 256.
					if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrTampered) && !errors.Is(err, ErrUnknownKey) {
						t.Errorf("v%d byte %d (header): %v, want ErrMalformed, ErrTampered or ErrUnknownKey", version, i, err)
					}
				}
			}
		}
	}
}

func TestTruncatedAndMalformed(t *testing.T) {
	clk := newClock()
	ring := newRing(t, NewMemoryKeyStore(), newGCMSealer(t), clk)
	tok, err := ring.Seal(fullClaims(clk.Now()))
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := base64.StdEncoding.DecodeString(tok)
	for n := range len(raw) {
		_, err := ring.Open(context.Background(), base64.StdEncoding.EncodeToString(raw[:n]))
		if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrTampered) {
			t.Fatalf("truncated to %d bytes: %v", n, err)
		}
	}
	for n := range len(tok) {
		if _, err := ring.Open(context.Background(), tok[:n]); err == nil {
			t.Fatalf("token truncated to %d characters opened", n)
		}
	}
	if _, err := ring.Open(context.Background(), tok+"AAAA"); !errors.Is(err, ErrTampered) {
		t.Errorf("token with bytes appended: %v, want ErrTampered", err)
	}
	for _, bad := range []string{"", "not base64!", "FwoGZXIvYXdz", "IQoJb3JpZ2luX2Vj",
		base64.StdEncoding.EncodeToString([]byte("hello, world, this is not a token at all")),
		strings.Repeat("A", maxTokenChars+4), tok[:len(tok)-4] + "===="} {
		if _, err := ring.Open(context.Background(), bad); !errors.Is(err, ErrMalformed) {
			t.Errorf("Open(%.40q): %v, want ErrMalformed", bad, err)
		}
	}
	// A v2 token whose clear region length points past the end.
	v2 := append([]byte(nil), prefixV2...)
	v2 = append(v2, regionTag, 200)
	if _, err := ring.Open(context.Background(), base64.StdEncoding.EncodeToString(v2)); !errors.Is(err, ErrMalformed) {
		t.Errorf("bad region length: %v", err)
	}
}

func TestUnknownKey(t *testing.T) {
	clk := newClock()
	ring := newRing(t, NewMemoryKeyStore(), newGCMSealer(t), clk)
	foreign := newRing(t, NewMemoryKeyStore(), newGCMSealer(t), clk)
	tok, err := foreign.Seal(assumeRoleClaims(clk.Now(), 1))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ring.Open(context.Background(), tok); !errors.Is(err, ErrUnknownKey) {
		t.Errorf("foreign token: %v, want ErrUnknownKey", err)
	}
}

// TestDecodeRejectsInconsistentPlaintext covers what only a key holder could produce: sealed data that
// authenticates but does not decode.
func TestDecodeRejectsInconsistentPlaintext(t *testing.T) {
	now := newClock().Now()
	good, err := fullClaims(now).encode(nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := decode(good, 2); err != nil {
		t.Fatal(err)
	}
	for n := range len(good) {
		if _, err := decode(good[:n], 2); !errors.Is(err, ErrMalformed) {
			t.Fatalf("claims truncated to %d bytes: %v", n, err)
		}
	}
	for name, b := range map[string][]byte{
		"nonzero padding": append(append([]byte(nil), good...), 0, 1),
		"bad kind":        append([]byte{0}, good[1:]...),
		"bad flags":       append([]byte{good[0], 0x80}, good[2:]...),
	} {
		if _, err := decode(b, 2); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := unpackPolicy([]byte{0xff, 0xff, 0xff}); !errors.Is(err, ErrMalformed) {
		t.Errorf("bad DEFLATE: %v", err)
	}
}

func TestPackedPolicySize(t *testing.T) {
	now := newClock().Now()
	c := assumeRoleClaims(now, 2)
	if n, err := PackedPolicySize(c); err != nil || n != 0 {
		t.Errorf("no session policy: %d, %v", n, err)
	}
	c.SessionPolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`
	small, _ := PackedPolicySize(c)
	if small < 1 || small > 10 {
		t.Errorf("small policy: %d%%", small)
	}
	// Compression: a repetitive policy packs into far less than its length.
	c.SessionPolicy = strings.Repeat(`{"Effect":"Allow","Action":"s3:*","Resource":"*"},`, 40)
	rep, _ := PackedPolicySize(c)
	if plain := len(c.SessionPolicy) * 100 / packedPolicyLimit; rep >= plain/2 {
		t.Errorf("repetitive policy of %d characters: %d%%, no better than plain %d%%", len(c.SessionPolicy), rep, plain)
	}
	if n, _ := PackedPolicySize(bigClaims(now)); n <= 100 {
		t.Errorf("50 maximal tags: %d%%, want over 100", n)
	}
}

// countingStore counts loads of a real MemoryKeyStore.
type countingStore struct {
	*MemoryKeyStore
	loads atomic.Int32
}

func (s *countingStore) LoadKeys(ctx context.Context) (KeySet, error) {
	s.loads.Add(1)
	return s.MemoryKeyStore.LoadKeys(ctx)
}

func TestRotationKeepsTokensUntilRetirement(t *testing.T) {
	ctx := context.Background()
	clk := newClock()
	ring := newRing(t, NewMemoryKeyStore(), newGCMSealer(t), clk)
	first, _ := ring.KeyIDs()
	// A GetSessionToken session of the longest lifetime, sealed just before the rotation.
	c := assumeRoleClaims(clk.Now(), 1)
	c.Expiration = c.IssuedAt.Add(MaxTokenLifetime)
	old, err := ring.Seal(c)
	if err != nil {
		t.Fatal(err)
	}
	if rotated, err := ring.Rotate(ctx, false); err != nil || rotated {
		t.Fatalf("rotation before it is due: %v, %v", rotated, err)
	}
	clk.Advance(DefaultRotateEvery)
	if rotated, err := ring.Rotate(ctx, false); err != nil || !rotated {
		t.Fatalf("rotation when due: %v, %v", rotated, err)
	}
	second, _ := ring.KeyIDs()
	if second == first {
		t.Fatal("current key unchanged by rotation")
	}
	fresh, err := ring.Seal(assumeRoleClaims(clk.Now(), 1))
	if err != nil {
		t.Fatal(err)
	}
	// Rotate daily through the old token's lifetime: it keeps opening.
	for clk.Now().Before(c.Expiration.Add(DefaultRetireGrace)) {
		if _, err := ring.Open(ctx, old); err != nil {
			t.Fatalf("%v after sealing: old token refused: %v", clk.Now().Sub(c.IssuedAt), err)
		}
		clk.Advance(time.Hour)
		if _, err := ring.Rotate(ctx, false); err != nil {
			t.Fatal(err)
		}
	}
	// The first key retired at IssuedAt+24h; it goes MaxTokenLifetime+grace later.
	clk.Advance(DefaultRotateEvery)
	if _, err := ring.Rotate(ctx, false); err != nil {
		t.Fatal(err)
	}
	_, all := ring.KeyIDs()
	for _, id := range all {
		if id == first {
			t.Fatalf("first key still held at %v: keys %v", clk.Now().Sub(c.IssuedAt), all)
		}
	}
	if _, err := ring.Open(ctx, old); !errors.Is(err, ErrUnknownKey) {
		t.Errorf("token of a dropped key: %v, want ErrUnknownKey", err)
	}
	// The second key sealed fresh from day 1 to day 2 and retired 13 hours ago: it is still held.
	if _, err := ring.Open(ctx, fresh); err != nil {
		t.Errorf("token of the second key: %v", err)
	}
	if len(all) > 5 {
		t.Errorf("ring holds %d keys; retired keys are not dropped", len(all))
	}
}

func TestTwoRingsConverge(t *testing.T) {
	ctx := context.Background()
	clk := newClock()
	store := &countingStore{MemoryKeyStore: NewMemoryKeyStore()}
	sealer := newGCMSealer(t)

	// Two nodes start at once on an empty store: they must agree on one ring.
	rings := make([]*KeyRing, 2)
	var wg sync.WaitGroup
	for i := range rings {
		wg.Go(func() { rings[i] = newRing(t, store, sealer, clk) })
	}
	wg.Wait()
	a, b := rings[0], rings[1]
	if err := b.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if err := a.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	ca, alla := a.KeyIDs()
	cb, allb := b.KeyIDs()
	if ca != cb || !reflect.DeepEqual(alla, allb) || a.Generation() != b.Generation() {
		t.Fatalf("rings differ: %x %v gen %d / %x %v gen %d", ca, alla, a.Generation(), cb, allb, b.Generation())
	}
	if a.Generation() != 1 {
		t.Errorf("generation %d after start, want 1 (one node created the ring)", a.Generation())
	}

	// Both rotate at once when due: one rotation happens.
	clk.Advance(DefaultRotateEvery)
	results := make([]bool, 2)
	for i, r := range rings {
		wg.Go(func() {
			rotated, err := r.Rotate(ctx, false)
			if err != nil {
				t.Error(err)
			}
			results[i] = rotated
		})
	}
	wg.Wait()
	if results[0] == results[1] {
		t.Errorf("rotated = %v: want exactly one node to rotate", results)
	}
	if a.Generation() != 2 || b.Generation() != 2 {
		t.Errorf("generations %d, %d after one rotation, want 2", a.Generation(), b.Generation())
	}

	// A rotates again (forced) and B is not told: B knew A's new current key as the next key, so it
	// opens A's tokens without reloading.
	if _, err := a.Rotate(ctx, true); err != nil {
		t.Fatal(err)
	}
	tok, err := a.Seal(assumeRoleClaims(clk.Now(), 2))
	if err != nil {
		t.Fatal(err)
	}
	loads := store.loads.Load()
	if _, err := b.Open(ctx, tok); err != nil {
		t.Fatalf("B opening A's token after A's rotation: %v", err)
	}
	if store.loads.Load() != loads {
		t.Errorf("B reloaded the ring for a key it should have known")
	}

	// Two more forced rotations: A now seals with a key B has never seen; B reloads once and opens it.
	for range 2 {
		if _, err := a.Rotate(ctx, true); err != nil {
			t.Fatal(err)
		}
	}
	tok, err = a.Seal(assumeRoleClaims(clk.Now(), 2))
	if err != nil {
		t.Fatal(err)
	}
	loads = store.loads.Load()
	if _, err := b.Open(ctx, tok); err != nil {
		t.Fatalf("B opening a token of a key it never saw: %v", err)
	}
	if got := store.loads.Load() - loads; got != 1 {
		t.Errorf("B reloaded %d times, want 1", got)
	}
	if b.Generation() != a.Generation() {
		t.Errorf("B at generation %d, A at %d", b.Generation(), a.Generation())
	}

	// Unknown key IDs reload the ring at most once per MinRefreshInterval.
	foreign := newRing(t, NewMemoryKeyStore(), sealer, clk)
	bad, _ := foreign.Seal(assumeRoleClaims(clk.Now(), 2))
	clk.Advance(DefaultMinRefreshInterval)
	loads = store.loads.Load()
	for range 10 {
		if _, err := b.Open(ctx, bad); !errors.Is(err, ErrUnknownKey) {
			t.Fatalf("foreign token: %v", err)
		}
	}
	if got := store.loads.Load() - loads; got != 1 {
		t.Errorf("10 foreign tokens caused %d reloads, want 1", got)
	}
	clk.Advance(DefaultMinRefreshInterval)
	b.Open(ctx, bad)
	if got := store.loads.Load() - loads; got != 2 {
		t.Errorf("after the interval: %d reloads, want 2", got)
	}
}

// failingSealer refuses everything, as a master key that cannot be reached.
type failingSealer struct{}

func (failingSealer) Seal([]byte, []byte) ([]byte, error) { return nil, errors.New("sealer down") }
func (failingSealer) Open([]byte, []byte) ([]byte, error) { return nil, errors.New("sealer down") }

func TestKeyMaterialSealed(t *testing.T) {
	ctx := context.Background()
	clk := newClock()
	store := NewMemoryKeyStore()
	if _, err := NewKeyRing(ctx, store, failingSealer{}, Options{Now: clk.Now, Logger: quietLog}); err == nil {
		t.Fatal("ring created with a failing sealer")
	}
	newRing(t, store, newGCMSealer(t), clk)
	// A node with another master key cannot read the ring.
	if _, err := NewKeyRing(ctx, store, newGCMSealer(t), Options{Now: clk.Now, Logger: quietLog}); err == nil {
		t.Fatal("ring opened with the wrong master key")
	}
	// Key material is bound to its ID: swapping two sealed keys breaks unsealing.
	set, _ := store.LoadKeys(ctx)
	swapped := set.clone()
	swapped.Generation++
	swapped.Keys[0].Sealed, swapped.Keys[1].Sealed = swapped.Keys[1].Sealed, swapped.Keys[0].Sealed
	if err := store.SwapKeys(ctx, set, swapped); err != nil {
		t.Fatal(err)
	}
	if _, err := NewKeyRing(ctx, store, failingSealer{}, Options{Now: clk.Now, Logger: quietLog}); err == nil {
		t.Fatal("swapped key material accepted")
	}
}

func TestMemoryKeyStoreCAS(t *testing.T) {
	ctx := context.Background()
	s := NewMemoryKeyStore()
	empty, _ := s.LoadKeys(ctx)
	one := KeySet{Generation: 1, Keys: []StoredKey{{ID: 7, State: KeyCurrent, Sealed: []byte{1}}}}
	if err := s.SwapKeys(ctx, empty, one); err != nil {
		t.Fatal(err)
	}
	if err := s.SwapKeys(ctx, empty, KeySet{Generation: 1}); !errors.Is(err, ErrKeySetConflict) {
		t.Errorf("stale swap: %v", err)
	}
	if err := s.SwapKeys(ctx, one, one); err == nil {
		t.Error("swap to the same generation accepted")
	}
	one.Keys[0].Sealed[0] = 9 // the store must have kept its own copy
	got, _ := s.LoadKeys(ctx)
	if got.Keys[0].Sealed[0] != 1 {
		t.Error("store shares memory with its caller")
	}
}

func TestRotatorStops(t *testing.T) {
	clk := newClock()
	ring := newRing(t, NewMemoryKeyStore(), newGCMSealer(t), clk)
	clk.Advance(DefaultRotateEvery)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- NewRotator(ring, time.Hour).Run(ctx) }()
	// Run rotates at once when due; wait for it through the generation.
	for ring.Generation() < 2 {
		time.Sleep(time.Millisecond)
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("Run returned %v", err)
	}
}

func FuzzOpen(f *testing.F) {
	clk := newClock()
	ring := newRing(f, NewMemoryKeyStore(), newGCMSealer(f), clk)
	for _, c := range []*Claims{assumeRoleClaims(clk.Now(), 1), fullClaims(clk.Now())} {
		tok, err := ring.Seal(c)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(tok)
		f.Add(tok[:len(tok)/2])
	}
	f.Add("")
	f.Add("IQoJb3JpZ2luX2VjGgl1cy1lYXN0LTEB")
	f.Fuzz(func(t *testing.T, tok string) {
		c, err := ring.Open(context.Background(), tok)
		if err == nil && c == nil {
			t.Fatal("nil claims without error")
		}
		if err != nil && !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrUnknownKey) && !errors.Is(err, ErrTampered) {
			t.Fatalf("unexpected error class: %v", err)
		}
		if p, err := parse(tok); err == nil && p.version != 1 && p.version != 2 {
			t.Fatalf("parsed version %d", p.version)
		}
	})
}

// FuzzDecode feeds the claims decoder directly, since random tokens never get past the AEAD.
func FuzzDecode(f *testing.F) {
	b, _ := fullClaims(newClock().Now()).encode(nil)
	f.Add(b)
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := decode(b, 2)
		if err == nil && c == nil {
			t.Fatal("nil claims without error")
		}
	})
}

func benchRing(b *testing.B) (*KeyRing, *clock) {
	clk := newClock()
	return newRing(b, NewMemoryKeyStore(), newGCMSealer(b), clk), clk
}

func BenchmarkSeal(b *testing.B) {
	for _, version := range []int{1, 2} {
		b.Run(fmt.Sprintf("v%d", version), func(b *testing.B) {
			ring, clk := benchRing(b)
			c := assumeRoleClaims(clk.Now(), version)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := ring.Seal(c); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("session-policy", func(b *testing.B) {
		ring, clk := benchRing(b)
		c := fullClaims(clk.Now())
		b.ReportAllocs()
		for b.Loop() {
			if _, err := ring.Seal(c); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkOpen(b *testing.B) {
	for _, version := range []int{1, 2} {
		b.Run(fmt.Sprintf("v%d", version), func(b *testing.B) {
			ring, clk := benchRing(b)
			tok, _ := ring.Seal(assumeRoleClaims(clk.Now(), version))
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := ring.Open(ctx, tok); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("session-policy", func(b *testing.B) {
		ring, clk := benchRing(b)
		tok, _ := ring.Seal(fullClaims(clk.Now()))
		ctx := context.Background()
		b.ReportAllocs()
		for b.Loop() {
			if _, err := ring.Open(ctx, tok); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func TestSetWithoutCurrentKeyRefused(t *testing.T) {
	ctx := context.Background()
	store := NewMemoryKeyStore()
	if err := store.SwapKeys(ctx, KeySet{}, KeySet{Generation: 3}); err != nil {
		t.Fatal(err)
	}
	if _, err := NewKeyRing(ctx, store, newGCMSealer(t), Options{Now: newClock().Now, Logger: quietLog}); err == nil {
		t.Fatal("ring built from a stored set without a current key")
	}
}

// Replace leaves no key of the old ring: tokens sealed before it no longer open, on this node and on
// another sharing the store; tokens sealed after it do.
func TestReplace(t *testing.T) {
	ctx := context.Background()
	clk := newClock()
	store, sealer := NewMemoryKeyStore(), newGCMSealer(t)
	ring, other := newRing(t, store, sealer, clk), newRing(t, store, sealer, clk)
	old, err := ring.Seal(assumeRoleClaims(clk.Now(), 1))
	if err != nil {
		t.Fatal(err)
	}
	_, before := ring.KeyIDs()
	if err := ring.Replace(ctx); err != nil {
		t.Fatal(err)
	}
	_, after := ring.KeyIDs()
	for _, id := range after {
		if slices.Contains(before, id) {
			t.Fatalf("key %08x survived the replacement", id)
		}
	}
	if _, err := ring.Open(ctx, old); err == nil {
		t.Fatal("a token sealed before the replacement still opens")
	}
	if err := other.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := other.Open(ctx, old); err == nil {
		t.Fatal("another node still opens a token sealed before the replacement")
	}
	fresh, err := ring.Seal(assumeRoleClaims(clk.Now(), 1))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.Open(ctx, fresh); err != nil {
		t.Fatalf("another node refuses a token sealed after the replacement: %v", err)
	}
}
