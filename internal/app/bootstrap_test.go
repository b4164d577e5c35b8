package app

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/iamd/iamd/internal/bootstrap"
	"github.com/iamd/iamd/internal/config"
	"github.com/iamd/iamd/internal/secrets"
	iamsvc "github.com/iamd/iamd/internal/service/iam"
	"github.com/iamd/iamd/internal/storage"
	"github.com/iamd/iamd/internal/storage/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

const (
	testAccount = "123456789012"
	presetID    = "AKIAIOSFODNN7EXAMPLE"
	presetKey   = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
)

func newKey(t *testing.T) string {
	t.Helper()
	b := make([]byte, secrets.KeySize)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(b)
}

// backends runs fn on a fresh configuration for SQLite and for PostgreSQL (when installed).
func backends(t *testing.T, fn func(t *testing.T, cfg func(masterKey string) *config.Config)) {
	t.Run("sqlite", func(t *testing.T) {
		dir := t.TempDir()
		fn(t, func(k string) *config.Config {
			return &config.Config{DataDir: dir, AccountID: testAccount, LogFormat: "text", MasterKey: k,
				RootAccessKeyID: presetID, RootSecretAccessKey: presetKey}
		})
	})
	t.Run("postgres", func(t *testing.T) {
		if !pgtest.Available() {
			t.Skip("PostgreSQL not installed")
		}
		url := pgtest.URL(t)
		fn(t, func(k string) *config.Config {
			// Every node has a data directory of its own; they share only the database.
			return &config.Config{DataDir: t.TempDir(), DatabaseURL: url, AccountID: testAccount, LogFormat: "text",
				MasterKey: k, RootAccessKeyID: presetID, RootSecretAccessKey: presetKey}
		})
	})
}

// snapshot is what a start could have written: the preset key's row and the token key ring.
type snapshot struct {
	key  storage.AccessKey
	ring storage.KeyRing
}

func take(t *testing.T, s storage.Store) snapshot {
	t.Helper()
	var snap snapshot
	err := s.View(context.Background(), func(tx storage.Tx) error {
		k, err := tx.GetAccessKey(context.Background(), presetID)
		if err != nil {
			return err
		}
		r, err := tx.GetKeyRing(context.Background())
		if err != nil {
			return err
		}
		snap = snapshot{key: *k, ring: *r}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return snap
}

func sameSnapshot(a, b snapshot) bool {
	if !bytes.Equal(a.key.SecretSealed, b.key.SecretSealed) || a.key.Status != b.key.Status ||
		a.ring.Generation != b.ring.Generation || len(a.ring.Keys) != len(b.ring.Keys) {
		return false
	}
	for i := range a.ring.Keys {
		if !bytes.Equal(a.ring.Keys[i].Sealed, b.ring.Keys[i].Sealed) {
			return false
		}
	}
	return true
}

func start(t *testing.T, cfg *config.Config) (*App, error) {
	t.Helper()
	a, err := New(context.Background(), cfg, slog.New(slog.DiscardHandler))
	if err == nil {
		t.Cleanup(func() { _ = a.Close() })
	}
	return a, err
}

// A start with the wrong master key is refused before it writes: the secrets sealed with the right key
// stay as they were (on PostgreSQL: the other nodes keep working), and the right key still starts.
func TestWrongMasterKeyRefusedBeforeAnyWrite(t *testing.T) {
	backends(t, func(t *testing.T, cfg func(string) *config.Config) {
		right, wrong := newKey(t), newKey(t)
		a, err := start(t, cfg(right))
		if err != nil {
			t.Fatal(err)
		}
		before := take(t, a.Store)

		_, err = start(t, cfg(wrong))
		if !errors.Is(err, bootstrap.ErrWrongMasterKey) || !strings.Contains(err.Error(), "wrong master key") {
			t.Fatalf("start with the wrong master key: %v, want bootstrap.ErrWrongMasterKey", err)
		}
		if after := take(t, a.Store); !sameSnapshot(before, after) {
			t.Fatalf("a refused start wrote to the store:\nbefore %+v\nafter  %+v", before, after)
		}
		// The node with the right key still opens the root secret.
		if _, err := openRootSecret(a, presetID); err != nil {
			t.Fatalf("right key after the refused start: %v", err)
		}
		if _, err := start(t, cfg(right)); err != nil {
			t.Fatalf("restart with the right key: %v", err)
		}
	})
}

// openRootSecret opens a stored root key's secret with the app's sealer.
func openRootSecret(a *App, id string) (string, error) {
	var secret []byte
	err := a.Store.View(context.Background(), func(tx storage.Tx) error {
		k, err := tx.GetAccessKey(context.Background(), id)
		if err != nil {
			return err
		}
		secret, err = a.Sealer.Open(k.SecretSealed, iamsvc.AccessKeyAssociatedData(id))
		return err
	})
	return string(secret), err
}

func setStatus(t *testing.T, s storage.Store, status storage.AccessKeyStatus) {
	t.Helper()
	err := s.Update(context.Background(), func(tx storage.Tx) error {
		k, err := tx.GetAccessKey(context.Background(), presetID)
		if err != nil {
			return err
		}
		k.Status = status
		return tx.UpdateAccessKey(context.Background(), k)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// A preset root key is created once and then left alone: a deactivated one stays inactive, a deleted one
// stays deleted, and a preset secret that differs from the stored one refuses the start instead of
// overwriting it.
func TestPresetRootKeyIsCreatedOnlyOnce(t *testing.T) {
	backends(t, func(t *testing.T, cfg func(string) *config.Config) {
		ctx := context.Background()
		mk := newKey(t)
		a, err := start(t, cfg(mk))
		if err != nil {
			t.Fatal(err)
		}
		setStatus(t, a.Store, storage.StatusInactive)
		if _, err := start(t, cfg(mk)); err != nil {
			t.Fatal(err)
		}
		if st := take(t, a.Store).key.Status; st != storage.StatusInactive {
			t.Fatalf("restart set the deactivated preset key to %s", st)
		}

		other := cfg(mk)
		other.RootSecretAccessKey = strings.Repeat("x", 40)
		before := take(t, a.Store)
		if _, err := start(t, other); err == nil || !strings.Contains(err.Error(), "does not match") {
			t.Fatalf("start with another preset secret: %v", err)
		}
		if after := take(t, a.Store); !sameSnapshot(before, after) {
			t.Fatal("a start with another preset secret changed the stored key")
		}

		if err := a.Store.Update(ctx, func(tx storage.Tx) error { return tx.DeleteAccessKey(ctx, presetID) }); err != nil {
			t.Fatal(err)
		}
		if _, err := start(t, cfg(mk)); err != nil {
			t.Fatal(err)
		}
		err = a.Store.View(ctx, func(tx storage.Tx) error { _, err := tx.GetAccessKey(ctx, presetID); return err })
		if !errors.Is(err, storage.ErrNotFound) {
			t.Fatalf("the deleted preset key came back on restart: %v", err)
		}

		// A preset key the account never had is created on an existing account.
		next := cfg(mk)
		next.RootAccessKeyID = "AKIAI44QH8DHBEXAMPLE"
		b, err := start(t, next)
		if err != nil {
			t.Fatal(err)
		}
		if secret, err := openRootSecret(b, next.RootAccessKeyID); err != nil || secret != presetKey {
			t.Fatalf("new preset key on an existing account: %q, %v", secret, err)
		}
	})
}

// A data directory whose master key file went missing (a restore that forgot it) is refused, and the key
// generated in its place is removed again: putting the right file back is all it takes.
func TestMissingMasterKeyFileRefusedAndNotReplaced(t *testing.T) {
	dir := t.TempDir()
	cfg := func() *config.Config { return &config.Config{DataDir: dir, AccountID: testAccount, LogFormat: "text"} }
	a, err := New(context.Background(), cfg(), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(dir, secrets.MasterKeyFile)
	saved := keyFile + ".saved"
	if err := os.Rename(keyFile, saved); err != nil {
		t.Fatal(err)
	}
	_, err = start(t, cfg())
	if !errors.Is(err, bootstrap.ErrWrongMasterKey) || !strings.Contains(err.Error(), "restore the master key file") {
		t.Fatalf("start without the key file: %v", err)
	}
	if _, err := os.Stat(keyFile); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("a new master key file was left behind: %v", err)
	}
	if err := os.Rename(saved, keyFile); err != nil {
		t.Fatal(err)
	}
	if _, err := start(t, cfg()); err != nil {
		t.Fatalf("start with the key file restored: %v", err)
	}
}
