package auth

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/iamd/iamd/internal/sigv4"
	"github.com/iamd/iamd/internal/storage"
	"github.com/iamd/iamd/internal/token"
)

// maxCachedPrincipals bounds the unique IDs the principal cache holds (live and gone together); past it
// the cache starts over. Only IDs sealed in genuine session tokens ever get in, but a busy server sees
// many principals, and the deleted ones are never dropped otherwise.
const maxCachedPrincipals = 100_000

// principalRef is where a live unique ID lives, as the store's changes name it: account, kind and
// folded name.
type principalRef struct {
	account string
	kind    storage.ChangeKind // ChangeUser or ChangeRole
	name    string
}

// principals caches, by unique ID, whether the user or role a session was issued to still exists.
// Credentials stop working once their principal is deleted (docs/aws-behavior.md, "Identity is the unique
// ID, not the name"): the session token alone cannot say so, and a user or role created again under the same name is another principal, with another
// ID. Live IDs are dropped when the store reports a change of the name holding them (deletion among
// others); gone IDs stay gone, since IDs are never reused. Consistency follows cache: a load stores its
// answer only if no change was applied while it read (gen).
type principals struct {
	mu     sync.RWMutex
	gen    uint64
	live   map[string]principalRef // unique ID → its principal
	byName map[principalRef]string // the reverse of live, to apply changes, which name principals
	gone   map[string]struct{}     // unique IDs no principal has
}

func newPrincipals() *principals {
	p := &principals{}
	p.reset()
	return p
}

func (p *principals) reset() {
	p.live = map[string]principalRef{}
	p.byName = map[principalRef]string{}
	p.gone = map[string]struct{}{}
}

// lookup returns what is cached of id: its principal and whether it exists; ok is false on a miss.
func (p *principals) lookup(id string) (ref principalRef, exists, ok bool) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	if ref, ok := p.live[id]; ok {
		return ref, true, true
	}
	if _, ok := p.gone[id]; ok {
		return principalRef{}, false, true
	}
	return principalRef{}, false, false
}

func (p *principals) generation() uint64 {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return p.gen
}

// put caches a load's answer (ref is nil for a gone ID) unless a change was applied since gen.
func (p *principals) put(gen uint64, id string, ref *principalRef) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.gen != gen {
		return
	}
	if len(p.live)+len(p.gone) >= maxCachedPrincipals {
		p.reset()
	}
	if ref == nil {
		p.gone[id] = struct{}{}
		return
	}
	p.live[id] = *ref
	p.byName[*ref] = id
}

// len returns how many unique IDs the cache holds.
func (p *principals) len() int {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return len(p.live) + len(p.gone)
}

// apply drops what a change may have made stale: the ID a changed user or role name held (deleted,
// renamed, or replaced).
func (p *principals) apply(ch storage.Change) {
	switch ch.Kind {
	case storage.ChangeAll, storage.ChangeUser, storage.ChangeRole:
	default:
		// An account's settings say nothing of its principals; deleting an account publishes ChangeAll.
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.gen++
	switch ch.Kind {
	case storage.ChangeAll:
		p.reset()
	default:
		ref := principalRef{ch.AccountID, ch.Kind, ch.Key}
		if id, ok := p.byName[ref]; ok {
			delete(p.byName, ref)
			delete(p.live, id)
		}
	}
}

// checkPrincipal refuses a session whose user or role no longer exists with the unique ID it was issued
// to, as AWS refuses credentials of a deleted principal: InvalidClientTokenId. Root sessions (and a root
// user's federated users) stand for the account and have nothing to check here.
func (a *Authenticator) checkPrincipal(ctx context.Context, c *token.Claims) error {
	var kind storage.ChangeKind
	switch c.Kind {
	case token.KindAssumedRole:
		kind = storage.ChangeRole
	case token.KindUserSession, token.KindFederatedUser:
		if c.PrincipalName == "" {
			return nil // GetFederationToken called by root
		}
		kind = storage.ChangeUser
	default:
		return nil
	}
	if c.PrincipalID == "" {
		return sigv4.InvalidClientTokenID()
	}
	if a.opts.Store == nil {
		return nil // nothing to look principals up in (tests of token handling alone)
	}
	a.sync(ctx)
	ref, exists, ok := a.principals.lookup(c.PrincipalID)
	if !ok {
		var err error
		if ref, exists, err = a.loadPrincipal(ctx, kind, c.PrincipalID); err != nil {
			return err
		}
	}
	if !exists || ref.kind != kind || ref.account != c.AccountID {
		return sigv4.InvalidClientTokenID()
	}
	return nil
}

// principalLoad is what loadPrincipal reads.
type principalLoad struct {
	ref    principalRef
	exists bool
}

// loadPrincipal reads whether a user or role with unique ID id exists (shared among concurrent callers,
// as lookupKey's loads).
func (a *Authenticator) loadPrincipal(ctx context.Context, kind storage.ChangeKind, id string) (principalRef, bool, error) {
	gen := a.principals.generation()
	v, err, _ := a.loads.Do(loadName('p', gen, string(kind)+":"+id), func() (any, error) {
		ctx := context.WithoutCancel(ctx) // shared: one caller going away must not fail the others
		var l principalLoad
		err := a.opts.Store.View(ctx, func(tx storage.Tx) error {
			l = principalLoad{}
			var account, name string
			var err error
			if kind == storage.ChangeRole {
				var r *storage.Role
				if r, err = tx.GetRoleByID(ctx, id); err == nil {
					account, name = r.AccountID, r.Name
				}
			} else {
				var u *storage.User
				if u, err = tx.GetUserByID(ctx, id); err == nil {
					account, name = u.AccountID, u.Name
				}
			}
			if errors.Is(err, storage.ErrNotFound) {
				return nil
			}
			if err != nil {
				return err
			}
			l = principalLoad{ref: principalRef{account, kind, storage.Fold(name)}, exists: true}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("looking up the principal of a session, %s: %w", id, err)
		}
		if l.exists {
			a.principals.put(gen, id, &l.ref)
		} else {
			a.principals.put(gen, id, nil)
		}
		return l, nil
	})
	if err != nil {
		return principalRef{}, false, err
	}
	l := v.(principalLoad)
	return l.ref, l.exists, nil
}
