package token

import (
	"context"
	"errors"
	"fmt"
	"slices"
)

// Replace swaps every key of the ring for new ones, so that no token sealed before opens any more (a
// dev-mode reset: a fresh server knows no session). Other nodes learn of it as of any rotation.
func (r *KeyRing) Replace(ctx context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.refreshLocked(ctx); err != nil {
		return err
	}
	for range maxCASAttempts {
		cur := r.state.Load().set
		next, err := r.freshSet(cur)
		if err != nil {
			return err
		}
		err = r.store.SwapKeys(ctx, cur, next)
		if err == nil {
			if err := r.installLocked(next); err != nil {
				return err
			}
			r.log.InfoContext(ctx, "token key ring replaced", "generation", next.Generation)
			return nil
		}
		if !errors.Is(err, ErrKeySetConflict) {
			return fmt.Errorf("token: store keys: %w", err)
		}
		if err := r.refreshLocked(ctx); err != nil {
			return err
		}
	}
	return fmt.Errorf("token: key set replacement lost %d races: %w", maxCASAttempts, ErrKeySetConflict)
}

// freshSet plans the set that follows cur with none of its keys. A new key never takes the ID of an old
// one: the ring keeps an unsealed key by ID (installLocked), so a reused ID would bring the old key back.
func (r *KeyRing) freshSet(cur KeySet) (KeySet, error) {
	for {
		next, _, err := r.plan(KeySet{Generation: cur.Generation}, false)
		if err != nil {
			return KeySet{}, err
		}
		if !slices.ContainsFunc(next.Keys, func(k StoredKey) bool {
			return slices.ContainsFunc(cur.Keys, func(o StoredKey) bool { return o.ID == k.ID })
		}) {
			return next, nil
		}
	}
}
