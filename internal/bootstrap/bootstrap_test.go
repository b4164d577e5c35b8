package bootstrap

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/iamd/iamd/internal/auth"
	"github.com/iamd/iamd/internal/secrets"
	"github.com/iamd/iamd/internal/storage"
	"github.com/iamd/iamd/internal/storage/sqlite"
	"github.com/iamd/iamd/internal/token"
)

const testAccount = "123456789012"

// The wrong master key is caught by the token key ring alone too (a store whose root keys are gone), and
// by the root key alone (a store whose ring was never made: `iamd accounts create` only).
func TestCheckMasterKeyOpensRingAndRootKeys(t *testing.T) {
	ctx := context.Background()
	store, err := sqlite.Open(ctx, t.TempDir(), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	right, _ := secrets.NewSealer(bytes.Repeat([]byte{1}, secrets.KeySize))
	wrong, _ := secrets.NewSealer(bytes.Repeat([]byte{2}, secrets.KeySize))
	if err := CheckMasterKey(ctx, store, wrong, testAccount, ""); err != nil {
		t.Fatalf("an empty store proves nothing wrong: %v", err)
	}
	creds, err := Account(ctx, nil, store, right, testAccount, "", "")
	if err != nil {
		t.Fatal(err)
	}
	if err := CheckMasterKey(ctx, store, wrong, testAccount, ""); !errors.Is(err, ErrWrongMasterKey) {
		t.Fatalf("root key only: %v", err)
	}
	if _, err := Account(ctx, nil, store, wrong, testAccount, "", ""); !errors.Is(err, ErrWrongMasterKey) {
		t.Fatalf("Account with the wrong key on an existing root key: %v", err)
	}
	if _, err := token.NewKeyRing(ctx, auth.KeyStore{Store: store}, right, token.Options{}); err != nil {
		t.Fatal(err)
	}
	if err := store.Update(ctx, func(tx storage.Tx) error { return tx.DeleteAccessKey(ctx, creds.AccessKeyID) }); err != nil {
		t.Fatal(err)
	}
	if err := CheckMasterKey(ctx, store, wrong, testAccount, ""); !errors.Is(err, ErrWrongMasterKey) {
		t.Fatalf("token key ring only: %v", err)
	}
	if err := CheckMasterKey(ctx, store, right, testAccount, ""); err != nil {
		t.Fatalf("right key: %v", err)
	}
}
