package app

import (
	"context"
	"fmt"
	"maps"

	"github.com/iamd/iamd/internal/bootstrap"
)

// memoryHolder is a component that keeps state in memory.
type memoryHolder interface {
	// MemoryHeld reports how much each of its caches and in-memory stores holds, by name.
	MemoryHeld() map[string]int
	// ResetMemory empties all of it.
	ResetMemory()
}

// memoryHolders lists every component that keeps state in memory, by field of App: the store's cache of
// rows (which the storage.ChangeAll a reset publishes empties too), what the packages above it derive
// from rows (opened secrets, compiled policy sets, parsed trust policies), and the IAM service's other
// in-memory stores (credential reports, last uses written behind, password and MFA-code throttles,
// simulator statistics). A reset empties each; the reset tests walk this list.
func (a *App) memoryHolders() map[string]memoryHolder {
	return map[string]memoryHolder{"cache": a.cache, "Auth": a.Auth, "Authz": a.Authz, "IAM": a.IAM, "STS": a.STS}
}

// MemoryHeld reports what every cache and in-memory store of the server holds, by name (tests and the
// reset's own check).
func (a *App) MemoryHeld() map[string]int {
	out := map[string]int{}
	for _, h := range a.memoryHolders() {
		maps.Copy(out, h.MemoryHeld())
	}
	return out
}

// reset returns the server to a fresh state (dev mode only): every account is deleted and the default
// account made again with the configured root key; the token key ring is replaced, so no session token
// issued before opens; and nothing held in memory survives.
func (a *App) reset(ctx context.Context) error {
	// Last uses noted before the reset must not be written into the fresh state by a flush: forget them
	// first (a flush already writing them finds their keys and roles gone).
	a.IAM.ResetMemory()
	// Deleting every account publishes storage.ChangeAll: every cache following the change feed drops
	// everything.
	cfg := a.Config
	root, err := bootstrap.Reset(ctx, a.Log, a.Store, a.Sealer, cfg.AccountID, cfg.RootAccessKeyID, cfg.RootSecretAccessKey)
	if err != nil {
		return err
	}
	// What requests running during the reset put in memory goes too.
	for _, h := range a.memoryHolders() {
		h.ResetMemory()
	}
	if err := a.Tokens.Replace(ctx); err != nil {
		return fmt.Errorf("reset: %w", err)
	}
	if root != nil {
		return bootstrap.WriteRootCredentials(cfg.DataDir, root)
	}
	return nil
}
