package iam

import (
	"context"
	"errors"
	"fmt"

	"github.com/iamd/iamd/internal/api/iamapi"
	"github.com/iamd/iamd/internal/protocol"
	"github.com/iamd/iamd/internal/reqctx"
	"github.com/iamd/iamd/internal/storage"
)

func noSuchLoginProfile(user string) error {
	return iamapi.NewNoSuchEntityException("Login Profile for User " + user + " cannot be found.")
}

// profileUser resolves the user a login-profile operation addresses: the named user, or the calling IAM
// user when no name is given.
func profileUser(sc scope, name *string) (string, error) {
	if name != nil && *name != "" {
		return *name, nil
	}
	if c := sc.caller; c != nil && c.Kind == reqctx.CallerUser {
		if c.PrincipalName != "" {
			return c.PrincipalName, nil
		}
		return c.Name, nil
	}
	return "", protocol.NewError("ValidationError", 400, "Must specify userName when calling with non-User credentials")
}

// hashPassword checks pw against the account's policy and hashes it. Hashing is slow on purpose, so it
// runs before the transaction (which may be retried) with the policy read first.
func (s *Service) hashPassword(ctx context.Context, sc scope, pw string) ([]byte, error) {
	a, err := s.account(ctx, sc)
	if err != nil {
		return nil, err
	}
	if err := checkPassword(a.PasswordPolicy, pw); err != nil {
		return nil, err
	}
	h, err := s.hasher.Hash(pw)
	if err != nil {
		return nil, fmt.Errorf("hashing password: %w", err)
	}
	return []byte(h), nil
}

// CreateLoginProfile gives a user a console password.
func (s *Service) CreateLoginProfile(ctx context.Context, in *iamapi.CreateLoginProfileRequest) (*iamapi.CreateLoginProfileResponse, error) {
	sc, err := s.scopeOf(ctx)
	if err != nil {
		return nil, err
	}
	user, err := profileUser(sc, in.UserName)
	if err != nil {
		return nil, err
	}
	if in.Password == nil {
		return nil, protocol.NewError("ValidationError", 400, "1 validation error detected: Value null at 'password' failed to satisfy constraint: Member must not be null")
	}
	if err := s.throttlePassword(ctx, sc, ""); err != nil {
		return nil, err
	}
	hash, err := s.hashPassword(ctx, sc, *in.Password)
	if err != nil {
		return nil, err
	}
	p := &storage.LoginProfile{
		AccountID:             sc.account,
		PasswordHash:          hash,
		PasswordResetRequired: deref(in.PasswordResetRequired),
		CreatedAt:             sc.now,
		PasswordChangedAt:     sc.now,
	}
	err = s.store.Update(ctx, func(tx storage.Tx) error {
		u, err := tx.GetUser(ctx, sc.account, user)
		if err != nil {
			return notFound(err, func() error { return noSuchUser(user) })
		}
		p.UserName = u.Name
		err = tx.CreateLoginProfile(ctx, p)
		if errors.Is(err, storage.ErrAlreadyExists) {
			return iamapi.NewEntityAlreadyExistsException("Login Profile for user " + u.Name + " already exists.")
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.CreateLoginProfileResponse{LoginProfile: profileOut(p)}, nil
}

func profileOut(p *storage.LoginProfile) *iamapi.LoginProfile {
	return &iamapi.LoginProfile{
		UserName:              ptr(p.UserName),
		CreateDate:            timePtr(p.CreatedAt),
		PasswordResetRequired: ptr(p.PasswordResetRequired),
	}
}

// GetLoginProfile returns a user's login profile (never the password).
func (s *Service) GetLoginProfile(ctx context.Context, in *iamapi.GetLoginProfileRequest) (*iamapi.GetLoginProfileResponse, error) {
	sc, err := s.scopeOf(ctx)
	if err != nil {
		return nil, err
	}
	user, err := profileUser(sc, in.UserName)
	if err != nil {
		return nil, err
	}
	var p *storage.LoginProfile
	err = s.store.View(ctx, func(tx storage.Tx) error {
		u, err := tx.GetUser(ctx, sc.account, user)
		if err != nil {
			return notFound(err, func() error { return noSuchUser(user) })
		}
		p, err = tx.GetLoginProfile(ctx, sc.account, u.Name)
		return notFound(err, func() error { return noSuchLoginProfile(u.Name) })
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.GetLoginProfileResponse{LoginProfile: profileOut(p)}, nil
}

// UpdateLoginProfile changes a user's password and/or its reset-required flag.
func (s *Service) UpdateLoginProfile(ctx context.Context, in *iamapi.UpdateLoginProfileRequest) (*iamapi.UpdateLoginProfileOutput, error) {
	sc, err := s.scopeOf(ctx)
	if err != nil {
		return nil, err
	}
	user := str(in.UserName)
	var hash []byte
	if in.Password != nil {
		if err := s.throttlePassword(ctx, sc, ""); err != nil {
			return nil, err
		}
		if hash, err = s.hashPassword(ctx, sc, *in.Password); err != nil {
			return nil, err
		}
	}
	err = s.store.Update(ctx, func(tx storage.Tx) error {
		u, err := tx.GetUser(ctx, sc.account, user)
		if err != nil {
			return notFound(err, func() error { return noSuchUser(user) })
		}
		p, err := tx.GetLoginProfile(ctx, sc.account, u.Name)
		if err != nil {
			return notFound(err, func() error { return noSuchLoginProfile(u.Name) })
		}
		if hash != nil {
			p.PasswordHash, p.PasswordChangedAt = hash, sc.now
		}
		if in.PasswordResetRequired != nil {
			p.PasswordResetRequired = *in.PasswordResetRequired
		}
		return notFound(tx.UpdateLoginProfile(ctx, p), func() error { return noSuchLoginProfile(u.Name) })
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.UpdateLoginProfileOutput{}, nil
}

// DeleteLoginProfile removes a user's console password.
func (s *Service) DeleteLoginProfile(ctx context.Context, in *iamapi.DeleteLoginProfileRequest) (*iamapi.DeleteLoginProfileOutput, error) {
	sc, err := s.scopeOf(ctx)
	if err != nil {
		return nil, err
	}
	user, err := profileUser(sc, in.UserName)
	if err != nil {
		return nil, err
	}
	err = s.store.Update(ctx, func(tx storage.Tx) error {
		u, err := tx.GetUser(ctx, sc.account, user)
		if err != nil {
			return notFound(err, func() error { return noSuchUser(user) })
		}
		return notFound(tx.DeleteLoginProfile(ctx, sc.account, u.Name), func() error { return noSuchLoginProfile(u.Name) })
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.DeleteLoginProfileOutput{}, nil
}

// ChangePassword lets an IAM user change their own console password.
func (s *Service) ChangePassword(ctx context.Context, in *iamapi.ChangePasswordRequest) (*iamapi.ChangePasswordOutput, error) {
	sc, err := s.scopeOf(ctx)
	if err != nil {
		return nil, err
	}
	c := sc.caller
	if c == nil || c.Kind != reqctx.CallerUser {
		return nil, iamapi.NewInvalidUserTypeException("Only IAM Users can change their own password.")
	}
	user := c.PrincipalName
	if user == "" {
		user = c.Name
	}
	// Before the old password is verified and the new one hashed: both cost a PBKDF2 run.
	if err := s.throttlePassword(ctx, sc, user); err != nil {
		return nil, err
	}
	var old *storage.LoginProfile
	err = s.store.View(ctx, func(tx storage.Tx) error {
		var err error
		old, err = tx.GetLoginProfile(ctx, sc.account, user)
		return notFound(err, func() error { return noSuchLoginProfile(user) })
	})
	if err != nil {
		return nil, err
	}
	if !s.hasher.Verify(string(old.PasswordHash), str(in.OldPassword)) {
		return nil, protocol.NewError("AccessDenied", 403, "The old password is incorrect.")
	}
	hash, err := s.hashPassword(ctx, sc, str(in.NewPassword))
	if err != nil {
		return nil, err
	}
	err = s.store.Update(ctx, func(tx storage.Tx) error {
		p, err := tx.GetLoginProfile(ctx, sc.account, user)
		if err != nil {
			return notFound(err, func() error { return noSuchLoginProfile(user) })
		}
		if string(p.PasswordHash) != string(old.PasswordHash) {
			// Changed concurrently since the old password was verified: the check no longer holds.
			return iamapi.NewEntityTemporarilyUnmodifiableException("Login Profile for User " + user + " was modified concurrently; try again.")
		}
		p.PasswordHash, p.PasswordChangedAt = hash, sc.now
		p.PasswordResetRequired = false
		return tx.UpdateLoginProfile(ctx, p)
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.ChangePasswordOutput{}, nil
}
