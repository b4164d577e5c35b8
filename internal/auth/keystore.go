package auth

import (
	"context"
	"errors"
	"fmt"

	"github.com/iamd/iamd/internal/storage"
	"github.com/iamd/iamd/internal/token"
)

// KeyStore keeps the session-token key ring in the store, shared by every node (token.KeyStore).
type KeyStore struct{ Store storage.Store }

// LoadKeys implements token.KeyStore.
func (k KeyStore) LoadKeys(ctx context.Context) (token.KeySet, error) {
	var set token.KeySet
	err := k.Store.View(ctx, func(tx storage.Tx) error {
		r, err := tx.GetKeyRing(ctx)
		if err != nil {
			return err
		}
		set = token.KeySet{Generation: uint64(r.Generation)}
		for _, sk := range r.Keys {
			set.Keys = append(set.Keys, token.StoredKey{ID: sk.ID, State: token.KeyState(sk.State), Sealed: sk.Sealed,
				CreatedAt: sk.CreatedAt, ActivatedAt: sk.ActivatedAt, RetiredAt: sk.RetiredAt})
		}
		return nil
	})
	if err != nil {
		return token.KeySet{}, fmt.Errorf("loading the token key ring: %w", err)
	}
	return set, nil
}

// SwapKeys implements token.KeyStore with the store's compare-and-swap on the ring's generation.
func (k KeyStore) SwapKeys(ctx context.Context, old, next token.KeySet) error {
	keys := make([]storage.TokenKey, 0, len(next.Keys))
	for _, sk := range next.Keys {
		keys = append(keys, storage.TokenKey{ID: sk.ID, State: uint8(sk.State), Sealed: sk.Sealed,
			CreatedAt: sk.CreatedAt, ActivatedAt: sk.ActivatedAt, RetiredAt: sk.RetiredAt})
	}
	err := k.Store.Update(ctx, func(tx storage.Tx) error {
		return tx.PutKeyRing(ctx, int64(old.Generation), keys)
	})
	if errors.Is(err, storage.ErrConflict) {
		return fmt.Errorf("%w: %w", token.ErrKeySetConflict, err)
	}
	return err
}
