package secrets

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
)

func testKey(b byte) []byte { return bytes.Repeat([]byte{b}, KeySize) }

func TestSealOpen(t *testing.T) {
	s, err := NewSealer(testKey(1))
	if err != nil {
		t.Fatal(err)
	}
	for _, plain := range [][]byte{nil, []byte("x"), []byte("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"), bytes.Repeat([]byte("z"), 10000)} {
		ad := []byte("accesskey:AKIAIOSFODNN7EXAMPLE")
		sealed, err := s.Seal(plain, ad)
		if err != nil {
			t.Fatal(err)
		}
		if len(plain) > 8 && bytes.Contains(sealed, plain) { // a short value can occur in random bytes by chance
			t.Fatal("plaintext visible in sealed value")
		}
		if sealed[0] != formatVersion || sealed[1] != DefaultKeyID { // the header: format, key ID
			t.Fatalf("header = %d %d", sealed[0], sealed[1])
		}
		got, err := s.Open(sealed, ad)
		if err != nil || !bytes.Equal(got, plain) {
			t.Fatalf("Open = %q, %v", got, err)
		}
		// Wrong associated data, flipped bits anywhere, truncation: all refused.
		if _, err := s.Open(sealed, []byte("accesskey:AKIAOTHER")); !errors.Is(err, ErrOpen) {
			t.Errorf("wrong AD opened: %v", err)
		}
		for i := range sealed {
			bad := bytes.Clone(sealed)
			bad[i] ^= 0x01
			if _, err := s.Open(bad, ad); !errors.Is(err, ErrOpen) {
				t.Fatalf("bit flip at %d opened: %v", i, err)
			}
		}
		if _, err := s.Open(sealed[:len(sealed)-1], ad); !errors.Is(err, ErrOpen) {
			t.Errorf("truncated opened")
		}
	}
	a, _ := s.Seal([]byte("same"), nil)
	b, _ := s.Seal([]byte("same"), nil)
	if bytes.Equal(a, b) {
		t.Error("two seals of the same value are equal: nonce reuse")
	}
	if _, err := s.Open(nil, nil); !errors.Is(err, ErrOpen) {
		t.Error("empty input opened")
	}
}

func TestKeyRotation(t *testing.T) {
	old, _ := NewSealer(testKey(1))
	sealedOld, _ := old.Seal([]byte("secret"), []byte("ad"))
	ring, err := NewKeyring(2, map[byte][]byte{1: testKey(1), 2: testKey(2)})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := ring.Open(sealedOld, []byte("ad")); err != nil || string(got) != "secret" {
		t.Fatalf("ring cannot open old value: %q %v", got, err)
	}
	sealedNew, _ := ring.Seal([]byte("secret"), []byte("ad"))
	if id := sealedNew[1]; id != 2 { // the key ID byte of the header
		t.Fatalf("new value sealed with key %d", id)
	}
	if _, err := old.Open(sealedNew, []byte("ad")); !errors.Is(err, ErrOpen) {
		t.Fatal("old sealer opened a value of an unknown key")
	}
	// Relabelling the key ID byte is caught: the header is authenticated.
	relabel := bytes.Clone(sealedOld)
	relabel[1] = 2
	if _, err := ring.Open(relabel, []byte("ad")); !errors.Is(err, ErrOpen) {
		t.Fatal("relabelled value opened")
	}
	if _, err := NewKeyring(3, map[byte][]byte{1: testKey(1)}); err == nil {
		t.Error("primary outside the ring accepted")
	}
	if _, err := NewSealer(make([]byte, 16)); err == nil {
		t.Error("16-byte key accepted")
	}
}

func discard() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func noEnv(string) string { return "" }

func TestLoadMasterKeyFile(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "data")
	k1, err := LoadMasterKey(ctx, discard(), dir, noEnv)
	if err != nil || len(k1) != KeySize {
		t.Fatalf("create: %v (%d bytes)", err, len(k1))
	}
	st, err := os.Stat(filepath.Join(dir, MasterKeyFile))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v, %v", st.Mode(), err)
	}
	k2, err := LoadMasterKey(ctx, discard(), dir, noEnv)
	if err != nil || !bytes.Equal(k1, k2) {
		t.Fatalf("reload gave another key: %v", err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("data dir holds %d entries, want only the key file", len(entries))
	}
	if err := os.Chmod(filepath.Join(dir, MasterKeyFile), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadMasterKey(ctx, discard(), dir, noEnv); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Errorf("world-readable key accepted: %v", err)
	}
	os.Chmod(filepath.Join(dir, MasterKeyFile), 0o600)
	os.WriteFile(filepath.Join(dir, MasterKeyFile), []byte("bm90IGEga2V5\n"), 0o600)
	if _, err := LoadMasterKey(ctx, discard(), dir, noEnv); err == nil {
		t.Error("short key accepted")
	}
}

func TestLoadMasterKeyConcurrentCreate(t *testing.T) {
	dir := t.TempDir()
	keys := make([][]byte, 8)
	var wg sync.WaitGroup
	for i := range keys {
		wg.Go(func() {
			k, err := LoadMasterKey(context.Background(), discard(), dir, noEnv)
			if err != nil {
				t.Error(err)
			}
			keys[i] = k
		})
	}
	wg.Wait()
	for _, k := range keys[1:] {
		if !bytes.Equal(k, keys[0]) {
			t.Fatal("concurrent loaders got different keys")
		}
	}
}

func TestLoadMasterKeyEnv(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	want := testKey(7)
	env := func(k string) string {
		if k == EnvMasterKey {
			return base64.StdEncoding.EncodeToString(want)
		}
		return ""
	}
	got, err := LoadMasterKey(ctx, discard(), dir, env)
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("env key: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, MasterKeyFile)); !errors.Is(err, os.ErrNotExist) {
		t.Error("a key file was created although the env var is set")
	}
	for _, bad := range []string{"!!!", base64.StdEncoding.EncodeToString(make([]byte, 31))} {
		if _, err := LoadMasterKey(ctx, discard(), dir, func(string) string { return bad }); err == nil {
			t.Errorf("bad env key %q accepted", bad)
		}
	}
}

func TestPasswords(t *testing.T) {
	const iter = 1000 // the real work factor is exercised once below; this keeps the suite fast
	h, err := hashPassword("correct horse", iter)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$pbkdf2-sha256$i=1000$") || strings.Contains(h, "correct") {
		t.Fatalf("hash %q", h)
	}
	if ok, err := VerifyPassword(h, "correct horse"); !ok || err != nil {
		t.Fatalf("right password refused: %v", err)
	}
	for _, wrong := range []string{"", "correct horsE", "correct horse ", strings.Repeat("x", MaxPasswordLength+1)} {
		if ok, err := VerifyPassword(h, wrong); ok || err != nil {
			t.Errorf("wrong password %q: ok=%v err=%v", wrong, ok, err)
		}
	}
	h2, _ := hashPassword("correct horse", iter)
	if h2 == h {
		t.Error("same salt used twice")
	}
	for _, bad := range []string{"", "plain", "$pbkdf2-sha256$i=0$AAAA$" + b64.EncodeToString(make([]byte, 32)),
		"$pbkdf2-sha256$i=99999999999$AAAA$" + b64.EncodeToString(make([]byte, 32)), "$md5$i=1$AAAA$AAAA",
		"$pbkdf2-sha256$i=10$AAAA$short", "$pbkdf2-sha256$i=10$$" + b64.EncodeToString(make([]byte, 32))} {
		if _, err := VerifyPassword(bad, "x"); !errors.Is(err, ErrBadPasswordHash) {
			t.Errorf("VerifyPassword(%q) err = %v", bad, err)
		}
	}
	if _, err := HashPassword(strings.Repeat("x", MaxPasswordLength+1)); err == nil {
		t.Error("overlong password hashed")
	}
	full, err := HashPassword("p@ssw0rd!")
	if err != nil {
		t.Fatal(err)
	}
	if ok, _ := VerifyPassword(full, "p@ssw0rd!"); !ok || !strings.HasPrefix(full, "$pbkdf2-sha256$i="+strconv.Itoa(PasswordIterations)+"$") {
		t.Errorf("full-strength hash %q does not verify or has a weaker work factor", full)
	}
}

func BenchmarkSealOpen(b *testing.B) {
	s, _ := NewSealer(testKey(1))
	plain := []byte("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
	ad := []byte("accesskey:AKIAIOSFODNN7EXAMPLE")
	b.ReportAllocs()
	for b.Loop() {
		sealed, _ := s.Seal(plain, ad)
		if _, err := s.Open(sealed, ad); err != nil {
			b.Fatal(err)
		}
	}
}
