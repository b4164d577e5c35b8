package sts

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/hashicorp/golang-lru/v2/simplelru"

	"github.com/iamd/iamd/internal/service/iam"
	"github.com/iamd/iamd/internal/storage"
	"github.com/iamd/iamd/internal/storage/cache"
)

// maxCachedProviders bounds the decoded OIDC providers kept. AssumeRoleWithWebIdentity reads its token's
// provider on every call; the decoded provider is derived data, kept by the version the store's cache
// gives the provider's row (a changed provider, thumbprints or client IDs, is read again), so only its
// count needs a bound.
const maxCachedProviders = 1024

// versioned is the store's cache, whose versions tell when a provider changed.
type versioned interface {
	Version(k cache.VersionKey) uint64
}

type providerKey struct{ account, folded string }

// oidcProvider is a registered provider as AssumeRoleWithWebIdentity uses it.
type oidcProvider struct {
	version uint64
	name    string // as stored: the issuer without https://, in the case it was registered
	data    iam.OIDCProviderData
}

type providerCache struct {
	mu  sync.Mutex
	lru *simplelru.LRU[providerKey, *oidcProvider]
}

func newProviderCache() *providerCache {
	l, _ := simplelru.NewLRU[providerKey, *oidcProvider](maxCachedProviders, nil) // only a size < 1 fails
	return &providerCache{lru: l}
}

// oidcProvider returns the provider named name in account, or nil when there is none. Without the store's
// cache (tests of the service alone) it reads the store every time.
func (s *Service) oidcProvider(ctx context.Context, account, name string) (*oidcProvider, error) {
	k := providerKey{account, storage.Fold(name)}
	v, cached := s.o.Store.(versioned)
	var ver uint64
	if cached {
		// The version is noted before the read: a change that lands during it makes the entry stale, never
		// a stale entry current.
		ver = v.Version(cache.VersionKey{Kind: storage.ChangeResource, Account: account, Key: string(storage.ResourceOIDCProvider) + ":" + k.folded})
		s.providers.mu.Lock()
		p, ok := s.providers.lru.Get(k)
		s.providers.mu.Unlock()
		if ok && p.version == ver {
			return p, nil
		}
	}
	var res *storage.Resource
	err := s.o.Store.View(ctx, func(tx storage.Tx) error {
		var err error
		res, err = tx.GetResource(ctx, account, storage.ResourceOIDCProvider, name)
		return err
	})
	if errors.Is(err, storage.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("loading OIDC provider: %w", err)
	}
	d, err := iam.DecodeOIDCProvider(res)
	if err != nil {
		return nil, fmt.Errorf("decoding OIDC provider: %w", err)
	}
	p := &oidcProvider{version: ver, name: res.Name, data: d}
	if cached {
		s.providers.mu.Lock()
		s.providers.lru.Add(k, p)
		s.providers.mu.Unlock()
	}
	return p, nil
}
