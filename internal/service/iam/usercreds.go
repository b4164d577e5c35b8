package iam

import (
	"context"
	"slices"
	"strings"

	"github.com/iamd/iamd/internal/storage"
)

// credentialUser resolves the owner of a user credential (signing certificate, SSH public key,
// service-specific credential): "" is the root user, otherwise the user as stored (names are unique
// case-insensitively). A missing user is AWS's NoSuchEntity for the user.
func credentialUser(ctx context.Context, tx storage.Tx, acct, name string) (string, error) {
	if name == "" {
		return "", nil
	}
	u, err := tx.GetUser(ctx, acct, name)
	if err != nil {
		return "", notFound(err, func() error { return noSuchUser(name) })
	}
	return u.Name, nil
}

// listUserCredentials returns a principal's credentials of a kind oldest first (the order AWS lists them
// and the credential report's cert 1 / cert 2), whatever order the store returns.
func listUserCredentials(ctx context.Context, tx storage.Tx, acct string, kind storage.CredentialKind, user string) ([]*storage.Credential, error) {
	cs, err := tx.ListCredentials(ctx, acct, kind, user)
	if err != nil {
		return nil, err
	}
	slices.SortStableFunc(cs, func(a, b *storage.Credential) int {
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return cs, nil
}

// ownedCredential returns the credential with id if it belongs to owner in the caller's account; anything
// else is nse() ("cannot be found"), so that credentials of other users and accounts are not disclosed.
func ownedCredential(ctx context.Context, tx storage.Tx, acct string, kind storage.CredentialKind, owner, id string, nse func() error) (*storage.Credential, error) {
	c, err := tx.GetCredential(ctx, kind, id)
	if err != nil {
		return nil, notFound(err, nse)
	}
	if c.AccountID != acct || fold(c.UserName) != fold(owner) {
		return nil, nse()
	}
	return c, nil
}

// listOwnCredentials lists the credentials of a kind of the user a request names (the caller itself when
// it names none), oldest first.
func (s *Service) listOwnCredentials(ctx context.Context, kind storage.CredentialKind, userName *string) (scope, []*storage.Credential, error) {
	sc, err := s.scopeOf(ctx)
	if err != nil {
		return sc, nil, err
	}
	owner, err := keyOwner(sc, userName)
	if err != nil {
		return sc, nil, err
	}
	var cs []*storage.Credential
	err = s.store.View(ctx, func(tx storage.Tx) error {
		// fn may run more than once (storage.Store.View): it must not change what it was given.
		user, err := credentialUser(ctx, tx, sc.account, owner)
		if err != nil {
			return err
		}
		cs, err = listUserCredentials(ctx, tx, sc.account, kind, user)
		return err
	})
	return sc, cs, err
}

// modifyUserCredential finds the credential id of a kind of the user a request names (the caller itself
// when it names none) and runs fn on it in one transaction; a credential that is missing or another
// principal's is nse().
func (s *Service) modifyUserCredential(ctx context.Context, kind storage.CredentialKind, userName *string, id string, nse func() error,
	fn func(tx storage.Tx, c *storage.Credential) error) error {
	sc, err := s.scopeOf(ctx)
	if err != nil {
		return err
	}
	owner, err := keyOwner(sc, userName)
	if err != nil {
		return err
	}
	return s.store.Update(ctx, func(tx storage.Tx) error {
		// fn may run more than once (storage.Store.Update): it must not change what it was given.
		user, err := credentialUser(ctx, tx, sc.account, owner)
		if err != nil {
			return err
		}
		c, err := ownedCredential(ctx, tx, sc.account, kind, user, id, nse)
		if err != nil {
			return err
		}
		return notFound(fn(tx, c), nse)
	})
}
