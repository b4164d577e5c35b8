package auth

import (
	"bytes"
	"sync"
	"sync/atomic"

	"github.com/hashicorp/golang-lru/v2/simplelru"

	"github.com/iamd/iamd/internal/storage"
)

// openedSecrets keeps the opened secrets of long-term access keys: opening one unseals it with the
// master key, which costs more than the rest of a request's authentication. The rows themselves come
// from the store's cache (internal/storage/cache); an opened secret is used only with the row it was
// opened from, the same sealed bytes, so a key whose row changed can never be paired with a stale secret.
//
// An entry also notes the key's row and its user's row as a lookup last found them, and the cache's Seq
// it found them at (checkedAt): while the Seq stays there no change was applied, so the next request
// with that key takes both rows from the entry instead of looking them up again (one atomic load against
// a View of the cache, a lock and an LRU lookup per row). Any applied change moves the Seq, and the next
// request looks the rows up again, as the cache's consistency contract has them.
type openedSecrets struct {
	mu sync.Mutex // an LRU lookup moves the entry to the front
	m  *simplelru.LRU[string, *openedSecret]
}

// openedSecret is an entry: set once, apart from checked.
type openedSecret struct {
	sealed  []byte // the row's SecretSealed this was opened from
	secret  string
	key     *storage.AccessKey
	user    *storage.User // nil for a root key
	checked atomic.Uint64 // 1 + the cache's Seq at which key and user were current; 0: never
}

func newOpenedSecrets(size int) *openedSecrets {
	l, err := simplelru.NewLRU[string, *openedSecret](max(size, 1), nil)
	if err != nil {
		panic(err) // only for a size below 1, which max rules out
	}
	return &openedSecrets{m: l}
}

// current returns the entry of key ID id when its rows were current at Seq seq (the present one), nil
// when they must be looked up.
func (s *openedSecrets) current(id string, seq uint64) *openedSecret {
	s.mu.Lock()
	e, ok := s.m.Get(id)
	s.mu.Unlock()
	if !ok || e.checked.Load() != seq+1 {
		return nil
	}
	return e
}

// open returns the secret of k, opened once per sealed secret, and notes k and its user u as current at
// Seq seq when fresh (a lookup read them after reading that Seq).
func (s *openedSecrets) open(k *storage.AccessKey, u *storage.User, seq uint64, fresh bool,
	open func(*storage.AccessKey) (string, error)) (string, error) {
	s.mu.Lock()
	e, ok := s.m.Get(k.ID)
	s.mu.Unlock()
	var secret string
	if ok && bytes.Equal(e.sealed, k.SecretSealed) {
		if !fresh {
			return e.secret, nil // no Seq to note the rows at: the entry stays as it is
		}
		if e.key == k && e.user == u {
			e.checked.Store(seq + 1)
			return e.secret, nil
		}
		secret = e.secret
	} else {
		var err error
		if secret, err = open(k); err != nil {
			return "", err
		}
	}
	// The row's ID and bytes, never the request's: the key is kept past the request.
	n := &openedSecret{sealed: k.SecretSealed, secret: secret, key: k, user: u}
	if fresh {
		n.checked.Store(seq + 1)
	}
	s.mu.Lock()
	s.m.Add(k.ID, n)
	s.mu.Unlock()
	return secret, nil
}

func (s *openedSecrets) len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.m.Len()
}
