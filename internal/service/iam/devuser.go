package iam

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/iamd/iamd/internal/ids"
	"github.com/iamd/iamd/internal/storage"
)

// adminPolicyName is the AWS managed policy that gives dev mode's user every permission.
const adminPolicyName = "AdministratorAccess"

// DevUser returns the user that dev mode's made-up access keys act as in account (the name given by
// --dev-user), making it, with the AWS managed policy AdministratorAccess attached, when it does not
// exist. It is a real user so that everything a test suite does with it works as with any user:
// policy evaluation, trust policies that name it, session tokens bound to its unique ID. A user of that
// name that exists already is used as it is (a suite may have changed its policies on purpose).
//
// Concurrent first requests are safe: the existence check and the creation run in one transaction, and
// a creation that loses a race to another node (ErrAlreadyExists) reads the winner's user.
func (s *Service) DevUser(ctx context.Context, partition, account, name string) (*storage.User, error) {
	u, err := s.getUser(ctx, account, name)
	if err == nil || !errors.Is(err, storage.ErrNotFound) {
		return u, err
	}
	arn := "arn:" + partition + ":iam::" + awsManagedAccount + ":policy/" + adminPolicyName
	if s.managedCatalogue().lookupARN(partition, arn) == nil {
		return nil, fmt.Errorf("dev user: no AWS managed policy %s in partition %s", adminPolicyName, partition)
	}
	for range 2 {
		var made *storage.User
		err = s.store.Update(ctx, func(tx storage.Tx) error {
			made = nil // Update may run fn more than once
			if _, err := tx.GetUser(ctx, account, name); err == nil || !errors.Is(err, storage.ErrNotFound) {
				return err // made by a request that got here first
			}
			nu := &storage.User{AccountID: account, Name: name, Path: "/", ID: ids.NewUniqueID(ids.PrefixUser),
				CreatedAt: s.now().UTC().Truncate(time.Second)}
			if err := tx.CreateUser(ctx, nu); err != nil {
				return err
			}
			if err := tx.AttachPolicy(ctx, account, storage.OwnerUser, name, arn); err != nil {
				return err
			}
			made = nu
			return nil
		})
		if errors.Is(err, storage.ErrAlreadyExists) {
			continue // another node made it between our read and our write: read theirs
		}
		if err != nil {
			return nil, fmt.Errorf("making the dev-mode user %s in account %s: %w", name, account, err)
		}
		if made != nil {
			s.log.InfoContext(ctx, "dev mode: made the administrator user that unknown access keys act as",
				"account", account, "user", name)
			return made, nil
		}
		break
	}
	return s.getUser(ctx, account, name)
}
