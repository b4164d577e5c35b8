package iam

import (
	"context"

	"github.com/iamd/iamd/internal/storage"
)

// The hottest IAM reads (GetUser, GetRole, ListAttached*Policies) read single rows in a View of their
// own: the store's cache (internal/storage/cache) serves them from memory once read, on SQLite and
// PostgreSQL alike, under its consistency contract.

// getUser returns a user of account. Its Tags are shared with the store's cache: do not modify them.
func (s *Service) getUser(ctx context.Context, account, name string) (*storage.User, error) {
	r := s.userReads.Get().(*userRead)
	r.ctx, r.account, r.name = ctx, account, name
	err := s.store.View(ctx, r.fn)
	u := r.u
	*r = userRead{fn: r.fn}
	s.userReads.Put(r)
	return u, err
}

// userRead is getUser's View function and what it reads. Every GetUser runs it: pooled, with the
// function bound once, it costs no allocation (a closure handed to View escapes, and the variables it
// sets with it).
type userRead struct {
	ctx           context.Context
	account, name string
	u             *storage.User
	fn            func(tx storage.Tx) error // r.read
}

func newUserRead() any {
	r := &userRead{}
	r.fn = r.read
	return r
}

func (r *userRead) read(tx storage.Tx) error {
	var err error
	r.u, err = tx.GetUser(r.ctx, r.account, r.name)
	return err
}

// getCachedRole returns a role of account. The caller may set its fields (the last use is overlaid on
// it); its Tags and TrustPrincipalIDs are shared with the store's cache: do not modify them.
func (s *Service) getCachedRole(ctx context.Context, account, name string) (*storage.Role, error) {
	var r *storage.Role
	err := s.store.View(ctx, func(tx storage.Tx) error {
		var err error
		r, err = tx.GetRole(ctx, account, name)
		return err
	})
	if err != nil {
		return nil, err
	}
	cp := *r
	return &cp, nil
}

// attachedPolicies returns the ARNs of every managed policy attached to owner, after checking that owner
// exists (NoSuchEntity otherwise). The slice is shared: do not modify it.
func (s *Service) attachedPolicies(ctx context.Context, account string, kind storage.OwnerKind, owner string) ([]string, error) {
	var arns []string
	err := s.store.View(ctx, func(tx storage.Tx) error {
		if _, err := checkOwner(ctx, tx, account, kind, owner, true); err != nil {
			return err
		}
		// At most maxAttachedPoliciesPerEntity: read all, callers filter.
		var err error
		arns, err = tx.ListAttachedPolicies(ctx, account, kind, owner, storage.ListOptions{})
		return notFound(err, func() error { return noSuchOwner(kind, owner) })
	})
	return arns, err
}
