package auth

import (
	"bytes"
	"sync"

	"github.com/hashicorp/golang-lru/v2/simplelru"

	"github.com/iamd/iamd/internal/storage"
)

// openedSecrets keeps the opened secrets of long-term access keys: opening one unseals it with the
// master key, which costs more than the rest of a request's authentication. The rows themselves come
// from the store's cache (internal/storage/cache); an opened secret is used only with the row it was
// opened from, the same sealed bytes, so a key whose row changed can never be paired with a stale secret.
type openedSecrets struct {
	mu sync.Mutex // an LRU lookup moves the entry to the front
	m  *simplelru.LRU[string, *openedSecret]
}

type openedSecret struct {
	sealed []byte // the row's SecretSealed this was opened from
	secret string
}

func newOpenedSecrets(size int) *openedSecrets {
	l, err := simplelru.NewLRU[string, *openedSecret](max(size, 1), nil)
	if err != nil {
		panic(err) // only for a size below 1, which max rules out
	}
	return &openedSecrets{m: l}
}

// open returns the secret of k, opened once per sealed secret.
func (s *openedSecrets) open(k *storage.AccessKey, open func(*storage.AccessKey) (string, error)) (string, error) {
	s.mu.Lock()
	e, ok := s.m.Get(k.ID)
	s.mu.Unlock()
	if ok && bytes.Equal(e.sealed, k.SecretSealed) {
		return e.secret, nil
	}
	secret, err := open(k)
	if err != nil {
		return "", err
	}
	// The row's ID and bytes, never the request's: the key is kept past the request.
	s.mu.Lock()
	s.m.Add(k.ID, &openedSecret{sealed: k.SecretSealed, secret: secret})
	s.mu.Unlock()
	return secret, nil
}

func (s *openedSecrets) len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.m.Len()
}
