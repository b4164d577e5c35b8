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
