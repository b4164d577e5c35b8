package sts

import (
	"context"
	"fmt"

	"github.com/iamd/iamd/internal/policy"
	"github.com/iamd/iamd/internal/storage"
)

// maxCachedTrust bounds the parsed trust policies kept. AssumeRole evaluates its role's trust policy on
// every call; a document always parses to the same policy, so parsed policies are kept by document text
// (the role's row itself: a changed trust policy is another key) and need no invalidation, only a bound.
const maxCachedTrust = 4096

// trustPolicies parses trust policies once per distinct document.
type trustPolicies struct{ c *policy.Cache }

func newTrustPolicies() *trustPolicies {
	return &trustPolicies{c: policy.NewCache(policy.KindTrust, maxCachedTrust)}
}

// parse returns the parsed trust policy of doc. The parsed policy is shared and never modified by
// evaluation.
func (t *trustPolicies) parse(doc string) (*policy.Policy, error) {
	p, err := t.c.Parse(doc)
	if err != nil {
		return nil, fmt.Errorf("trust policy: %w", err)
	}
	return p, nil
}

// role returns a role of account (a read the store's cache serves once the role has been read). Its
// slices and maps are shared: do not modify them.
func (s *Service) role(ctx context.Context, account, name string) (*storage.Role, error) {
	var r *storage.Role
	err := s.o.Store.View(ctx, func(tx storage.Tx) error {
		var err error
		r, err = tx.GetRole(ctx, account, name)
		return err
	})
	return r, err // a missing role is ErrNotFound, unwrapped by the caller
}
