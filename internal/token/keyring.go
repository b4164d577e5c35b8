package token

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// KeyState is the role of a key in the ring.
type KeyState uint8

// The states of a key. A key is born Next (known to every node, used by none), becomes Current at the
// following rotation (it seals), then Retired (it only opens) until every token it sealed has expired.
// Publishing the next key a whole rotation period before it seals means every node knows a key before it
// meets a token sealed with it.
const (
	KeyNext KeyState = iota + 1
	KeyCurrent
	KeyRetired
)

// StoredKey is one key as the KeyStore keeps it.
type StoredKey struct {
	ID    uint32   `json:"id"`
	State KeyState `json:"state"`
	// Sealed is the 32-byte AES key sealed by the ring's Sealer (additional data: keyAAD(ID)).
	Sealed      []byte    `json:"sealed"`
	CreatedAt   time.Time `json:"created_at"`
	ActivatedAt time.Time `json:"activated_at,omitzero"` // became Current
	RetiredAt   time.Time `json:"retired_at,omitzero"`   // stopped sealing
}

// KeySet is the whole ring as stored. Generation counts the changes; 0 means nothing is stored yet.
type KeySet struct {
	Generation uint64      `json:"generation"`
	Keys       []StoredKey `json:"keys"`
}

func (s KeySet) clone() KeySet {
	s.Keys = slices.Clone(s.Keys)
	for i := range s.Keys {
		s.Keys[i].Sealed = slices.Clone(s.Keys[i].Sealed)
	}
	return s
}

// ErrKeySetConflict is returned by KeyStore.SwapKeys when the stored generation is not the expected one.
var ErrKeySetConflict = errors.New("token: key set changed concurrently")

// KeyStore persists the key ring, shared by every node.
type KeyStore interface {
	// LoadKeys returns the stored set, or a KeySet with Generation 0 if there is none.
	LoadKeys(ctx context.Context) (KeySet, error)
	// SwapKeys replaces the stored set with next if its generation still equals old.Generation
	// (compare-and-swap), else returns an error wrapping ErrKeySetConflict; so several nodes rotating at
	// once agree on one ring.
	SwapKeys(ctx context.Context, old, next KeySet) error
}

// Sealer protects key material at rest (the master key; internal/secrets provides it).
type Sealer interface {
	Seal(plaintext, aad []byte) ([]byte, error)
	Open(sealed, aad []byte) ([]byte, error)
}

// keyAAD binds sealed key material to its key ID, so keys cannot be swapped around in the store.
func keyAAD(id uint32) []byte {
	return binary.BigEndian.AppendUint32([]byte("iamd/token-key/"), id)
}

// Options tune a KeyRing; zero values take the defaults.
type Options struct {
	Now    func() time.Time
	Logger *slog.Logger
	// RotateEvery is how long a key seals before the next one takes over (DefaultRotateEvery).
	RotateEvery time.Duration
	// RetireGrace is kept beyond MaxTokenLifetime before a retired key is dropped (DefaultRetireGrace).
	RetireGrace time.Duration
	// MinRefreshInterval rate-limits reloads caused by unknown key IDs (DefaultMinRefreshInterval).
	MinRefreshInterval time.Duration
}

// ringState is an immutable snapshot of the ring; readers load it without locks.
type ringState struct {
	set     KeySet
	current *ringKey
	keys    map[uint32]*ringKey
}

// KeyRing seals tokens with its current key and opens them with any key it holds. Seal and Open are safe
// for concurrent use and take no lock: the ring is an immutable snapshot swapped atomically on change.
type KeyRing struct {
	store  KeyStore
	sealer Sealer
	now    func() time.Time
	log    *slog.Logger
	opts   Options

	state atomic.Pointer[ringState]

	mu                 sync.Mutex // serialises reloads and rotations
	lastUnknownRefresh time.Time
}

// maxCASAttempts bounds the retries of a compare-and-swap lost to other nodes.
const maxCASAttempts = 8

// NewKeyRing loads the ring from the store, creating the first keys if the store holds none.
func NewKeyRing(ctx context.Context, store KeyStore, sealer Sealer, opts Options) (*KeyRing, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.RotateEvery <= 0 {
		opts.RotateEvery = DefaultRotateEvery
	}
	if opts.RetireGrace <= 0 {
		opts.RetireGrace = DefaultRetireGrace
	}
	if opts.MinRefreshInterval <= 0 {
		opts.MinRefreshInterval = DefaultMinRefreshInterval
	}
	r := &KeyRing{store: store, sealer: sealer, now: opts.Now, log: opts.Logger, opts: opts}
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.refreshLocked(ctx); err != nil {
		return nil, err
	}
	if r.state.Load().current == nil {
		if _, err := r.updateLocked(ctx, false); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// CheckKeys opens every key stored in the ring without installing or writing anything, and returns how
// many it opened. A key that does not open means the sealer holds another master key than the one that
// sealed the ring: start-up calls it before its first write, so that a node given the wrong master key
// stops without re-sealing anything shared with the nodes that have the right one.
func CheckKeys(ctx context.Context, store KeyStore, sealer Sealer) (int, error) {
	set, err := store.LoadKeys(ctx)
	if err != nil {
		return 0, fmt.Errorf("token: load keys: %w", err)
	}
	for _, sk := range set.Keys {
		if _, err := sealer.Open(sk.Sealed, keyAAD(sk.ID)); err != nil {
			return 0, fmt.Errorf("token: unseal key %08x: %w", sk.ID, err)
		}
	}
	return len(set.Keys), nil
}

// Seal encrypts claims into a session token with the current key.
func (r *KeyRing) Seal(c *Claims) (string, error) {
	return seal(r.state.Load().current, c)
}

// Open authenticates a session token and returns its claims; it does not check expiry. A token sealed
// with a key this node does not know yet makes it reload the ring (at most once per MinRefreshInterval).
func (r *KeyRing) Open(ctx context.Context, tok string) (*Claims, error) {
	p, err := parse(tok)
	if err != nil {
		return nil, err
	}
	k := r.state.Load().keys[p.keyID]
	if k == nil {
		k = r.refreshForUnknown(ctx, p.keyID)
		if k == nil {
			return nil, ErrUnknownKey
		}
	}
	return open(k, p)
}

func (r *KeyRing) refreshForUnknown(ctx context.Context, id uint32) *ringKey {
	r.mu.Lock()
	defer r.mu.Unlock()
	if k := r.state.Load().keys[id]; k != nil {
		return k // another goroutine reloaded meanwhile
	}
	now := r.now()
	if !r.lastUnknownRefresh.IsZero() && now.Sub(r.lastUnknownRefresh) < r.opts.MinRefreshInterval {
		return nil
	}
	r.lastUnknownRefresh = now
	if err := r.refreshLocked(ctx); err != nil {
		r.log.WarnContext(ctx, "token key ring reload failed", "err", err)
		return nil
	}
	return r.state.Load().keys[id]
}

// Refresh reloads the ring from the store; call it when the store reports a change made by another node.
func (r *KeyRing) Refresh(ctx context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.refreshLocked(ctx)
}

// Generation is the generation of the key set the ring holds.
func (r *KeyRing) Generation() uint64 { return r.state.Load().set.Generation }

// KeyIDs returns the ID of the current key and of every key the ring holds, sorted.
func (r *KeyRing) KeyIDs() (current uint32, all []uint32) {
	st := r.state.Load()
	for id := range st.keys {
		all = append(all, id)
	}
	slices.Sort(all)
	if st.current != nil {
		current = st.current.id
	}
	return current, all
}

func (r *KeyRing) refreshLocked(ctx context.Context) error {
	set, err := r.store.LoadKeys(ctx)
	if err != nil {
		return fmt.Errorf("token: load keys: %w", err)
	}
	return r.installLocked(set)
}

// installLocked makes set the ring's snapshot, unsealing only keys it does not hold yet (a key's material
// never changes under its ID).
func (r *KeyRing) installLocked(set KeySet) error {
	old := r.state.Load()
	if old != nil && set.Generation <= old.set.Generation {
		return nil // unchanged, or an older view than ours
	}
	st := &ringState{set: set.clone(), keys: make(map[uint32]*ringKey, len(set.Keys))}
	for _, sk := range set.Keys {
		k := (*ringKey)(nil)
		if old != nil {
			k = old.keys[sk.ID]
		}
		if k == nil {
			var err error
			if k, err = r.unseal(sk); err != nil {
				return err
			}
		}
		st.keys[sk.ID] = k
		if sk.State == KeyCurrent {
			st.current = k
		}
	}
	if st.current == nil && set.Generation > 0 {
		return fmt.Errorf("token: key set generation %d has no current key", set.Generation)
	}
	r.state.Store(st)
	return nil
}

func (r *KeyRing) unseal(sk StoredKey) (*ringKey, error) {
	material, err := r.sealer.Open(sk.Sealed, keyAAD(sk.ID))
	if err != nil {
		return nil, fmt.Errorf("token: unseal key %08x: %w", sk.ID, err)
	}
	return newRingKey(sk.ID, material)
}

func newRingKey(id uint32, material []byte) (*ringKey, error) {
	if len(material) != 32 {
		return nil, fmt.Errorf("token: key %08x has %d bytes, want 32", id, len(material))
	}
	block, err := aes.NewCipher(material)
	if err != nil {
		return nil, fmt.Errorf("token: key %08x: %w", id, err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("token: key %08x: %w", id, err)
	}
	return &ringKey{id: id, aead: aead}, nil
}

// Rotate brings the ring up to date: it creates the keys of an empty store, promotes the next key when
// the current one has sealed for RotateEvery (or at once with force), and drops retired keys whose tokens
// have all expired. It reports whether it changed the stored set. Nodes rotating at once agree through
// the store's compare-and-swap: the losers reload and find nothing left to do.
func (r *KeyRing) Rotate(ctx context.Context, force bool) (bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.refreshLocked(ctx); err != nil {
		return false, err
	}
	return r.updateLocked(ctx, force)
}

func (r *KeyRing) updateLocked(ctx context.Context, force bool) (bool, error) {
	for range maxCASAttempts {
		cur := r.state.Load().set
		next, changed, err := r.plan(cur, force)
		if err != nil || !changed {
			return false, err
		}
		err = r.store.SwapKeys(ctx, cur, next)
		if err == nil {
			if err := r.installLocked(next); err != nil {
				return false, err
			}
			current, all := r.KeyIDs()
			r.log.InfoContext(ctx, "token key ring updated", "generation", next.Generation,
				"current_key", fmt.Sprintf("%08x", current), "keys", len(all))
			return true, nil
		}
		if !errors.Is(err, ErrKeySetConflict) {
			return false, fmt.Errorf("token: store keys: %w", err)
		}
		// Another node changed the set first: look at its version and decide again, without forcing
		// a second rotation on top of the one that just happened.
		force = false
		if err := r.refreshLocked(ctx); err != nil {
			return false, err
		}
	}
	return false, fmt.Errorf("token: key set update lost %d races: %w", maxCASAttempts, ErrKeySetConflict)
}

// plan computes the next key set from cur at the current time.
func (r *KeyRing) plan(cur KeySet, force bool) (KeySet, bool, error) {
	now := r.now().UTC()
	next := cur.clone()
	next.Generation = cur.Generation + 1
	changed := false

	currentIdx, nextIdx := -1, -1
	for i, k := range next.Keys {
		switch k.State {
		case KeyCurrent:
			currentIdx = i
		case KeyNext:
			nextIdx = i
		}
	}
	if currentIdx < 0 || force || !now.Before(next.Keys[currentIdx].ActivatedAt.Add(r.opts.RotateEvery)) {
		if currentIdx >= 0 {
			next.Keys[currentIdx].State = KeyRetired
			next.Keys[currentIdx].RetiredAt = now
		}
		if nextIdx < 0 {
			k, err := r.newKey(next, now)
			if err != nil {
				return cur, false, err
			}
			next.Keys = append(next.Keys, k)
			nextIdx = len(next.Keys) - 1
		}
		next.Keys[nextIdx].State = KeyCurrent
		next.Keys[nextIdx].ActivatedAt = now
		nextIdx = -1
		changed = true
	}
	if nextIdx < 0 {
		k, err := r.newKey(next, now)
		if err != nil {
			return cur, false, err
		}
		next.Keys = append(next.Keys, k)
		changed = true
	}
	// A retired key may have sealed a token just before retiring; keep it until that token expires,
	// plus a grace for nodes that sealed with it a little longer and for clock skew.
	keep := MaxTokenLifetime + r.opts.RetireGrace
	n := len(next.Keys)
	next.Keys = slices.DeleteFunc(next.Keys, func(k StoredKey) bool {
		return k.State == KeyRetired && !now.Before(k.RetiredAt.Add(keep))
	})
	changed = changed || len(next.Keys) != n
	return next, changed, nil
}

func (r *KeyRing) newKey(set KeySet, now time.Time) (StoredKey, error) {
	var material [32]byte
	if _, err := rand.Read(material[:]); err != nil {
		return StoredKey{}, fmt.Errorf("token: new key: %w", err)
	}
	var id uint32
	for id == 0 || slices.ContainsFunc(set.Keys, func(k StoredKey) bool { return k.ID == id }) {
		var b [4]byte
		if _, err := rand.Read(b[:]); err != nil {
			return StoredKey{}, fmt.Errorf("token: new key ID: %w", err)
		}
		id = binary.BigEndian.Uint32(b[:])
	}
	sealed, err := r.sealer.Seal(material[:], keyAAD(id))
	if err != nil {
		return StoredKey{}, fmt.Errorf("token: seal key %08x: %w", id, err)
	}
	return StoredKey{ID: id, State: KeyNext, Sealed: sealed, CreatedAt: now}, nil
}
