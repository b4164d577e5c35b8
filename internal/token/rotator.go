package token

import (
	"context"
	"time"
)

// Rotator keeps a KeyRing current on one node: every CheckEvery it reloads the ring from the store (so
// the node learns of other nodes' rotations even without a change notification) and rotates when due.
// Run it on every node; the store's compare-and-swap makes them agree.
type Rotator struct {
	ring       *KeyRing
	checkEvery time.Duration
}

// NewRotator returns a Rotator for ring checking every checkEvery (DefaultCheckEvery if <= 0).
func NewRotator(ring *KeyRing, checkEvery time.Duration) *Rotator {
	if checkEvery <= 0 {
		checkEvery = DefaultCheckEvery
	}
	return &Rotator{ring: ring, checkEvery: checkEvery}
}

// Run checks the ring until ctx is done, then returns ctx's error. Failures (an unreachable store) are
// logged and retried at the next check: the ring keeps working with the keys it has.
func (r *Rotator) Run(ctx context.Context) error {
	t := time.NewTicker(r.checkEvery)
	defer t.Stop()
	for {
		if _, err := r.ring.Rotate(ctx, false); err != nil && ctx.Err() == nil {
			r.ring.log.WarnContext(ctx, "token key rotation failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}
