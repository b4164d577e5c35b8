package token

import (
	"context"
	"fmt"
	"sync"
)

// MemoryKeyStore is a KeyStore in memory, for tests and single-process development only: its keys die
// with the process, and every token with them.
type MemoryKeyStore struct {
	mu  sync.Mutex
	set KeySet
}

// NewMemoryKeyStore returns an empty store.
func NewMemoryKeyStore() *MemoryKeyStore { return &MemoryKeyStore{} }

// LoadKeys implements KeyStore.
func (m *MemoryKeyStore) LoadKeys(ctx context.Context) (KeySet, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.set.clone(), nil
}

// SwapKeys implements KeyStore.
func (m *MemoryKeyStore) SwapKeys(ctx context.Context, old, next KeySet) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.set.Generation != old.Generation {
		return fmt.Errorf("stored generation %d, expected %d: %w", m.set.Generation, old.Generation, ErrKeySetConflict)
	}
	if next.Generation <= old.Generation {
		return fmt.Errorf("token: new generation %d not after %d", next.Generation, old.Generation)
	}
	m.set = next.clone()
	return nil
}
