package auth

import (
	"context"
	"errors"
	"fmt"

	"github.com/iamd/iamd/internal/sigv4"
	"github.com/iamd/iamd/internal/storage"
	"github.com/iamd/iamd/internal/token"
)

// checkPrincipal refuses a session whose user or role no longer exists with the unique ID it was issued
// to, as AWS refuses credentials of a deleted principal: InvalidClientTokenId. A user or role created
// again under the same name is another principal, with another ID. Root sessions (and a root user's
// federated users) stand for the account and have nothing to check here. The lookup by ID is served by
// the store's cache once the principal has been seen.
func (a *Authenticator) checkPrincipal(ctx context.Context, c *token.Claims) error {
	var role bool
	switch c.Kind {
	case token.KindAssumedRole:
		role = true
	case token.KindUserSession, token.KindFederatedUser:
		if c.PrincipalName == "" {
			return nil // GetFederationToken called by root
		}
	default:
		return nil
	}
	if c.PrincipalID == "" {
		return sigv4.InvalidClientTokenID()
	}
	if a.opts.Store == nil {
		return nil // nothing to look principals up in (tests of token handling alone)
	}
	var account string
	err := a.opts.Store.View(ctx, func(tx storage.Tx) error {
		account = ""
		if role {
			r, err := tx.GetRoleByID(ctx, c.PrincipalID)
			if err == nil {
				account = r.AccountID
			}
			return err
		}
		u, err := tx.GetUserByID(ctx, c.PrincipalID)
		if err == nil {
			account = u.AccountID
		}
		return err
	})
	if errors.Is(err, storage.ErrNotFound) {
		return sigv4.InvalidClientTokenID()
	}
	if err != nil {
		return fmt.Errorf("looking up the principal of a session, %s: %w", c.PrincipalID, err)
	}
	if account != c.AccountID {
		return sigv4.InvalidClientTokenID()
	}
	return nil
}
