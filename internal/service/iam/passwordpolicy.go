package iam

import (
	"context"

	"github.com/iamd/iamd/internal/api/iamapi"
	"github.com/iamd/iamd/internal/storage"
)

// noPasswordPolicy is AWS's answer when the account has no password policy.
func noPasswordPolicy(account string) error {
	return iamapi.NewNoSuchEntityException("The Password Policy with domain name " + account + " cannot be found.")
}

// rulesOf returns the rules a new password must meet under p (nil: AWS's default policy).
func rulesOf(p *storage.PasswordPolicy) func(pw string) string {
	if p == nil {
		return defaultViolation
	}
	r := passwordRules{
		minLength: p.MinimumPasswordLength,
		symbols:   p.RequireSymbols,
		numbers:   p.RequireNumbers,
		upper:     p.RequireUppercaseCharacters,
		lower:     p.RequireLowercaseCharacters,
	}
	return r.violation
}

// checkPassword returns PasswordPolicyViolation when pw breaks the account's policy.
func checkPassword(p *storage.PasswordPolicy, pw string) error {
	if msg := rulesOf(p)(pw); msg != "" {
		return iamapi.NewPasswordPolicyViolationException(msg)
	}
	return nil
}

// UpdateAccountPasswordPolicy sets the account's password policy. As in AWS, a parameter left out takes its
// default value rather than keeping the previous one.
func (s *Service) UpdateAccountPasswordPolicy(ctx context.Context, in *iamapi.UpdateAccountPasswordPolicyRequest) (*iamapi.UpdateAccountPasswordPolicyOutput, error) {
	sc, err := s.scopeOf(ctx)
	if err != nil {
		return nil, err
	}
	p := &storage.PasswordPolicy{
		MinimumPasswordLength:      defaultPolicyMinLengthNoRule,
		RequireSymbols:             deref(in.RequireSymbols),
		RequireNumbers:             deref(in.RequireNumbers),
		RequireUppercaseCharacters: deref(in.RequireUppercaseCharacters),
		RequireLowercaseCharacters: deref(in.RequireLowercaseCharacters),
		AllowUsersToChangePassword: deref(in.AllowUsersToChangePassword),
		MaxPasswordAge:             int(deref(in.MaxPasswordAge)),
		PasswordReusePrevention:    int(deref(in.PasswordReusePrevention)),
		HardExpiry:                 deref(in.HardExpiry),
	}
	if in.MinimumPasswordLength != nil {
		p.MinimumPasswordLength = int(*in.MinimumPasswordLength)
	}
	err = s.updateAccount(ctx, sc, func(a *storage.Account) error {
		a.PasswordPolicy = p
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.UpdateAccountPasswordPolicyOutput{}, nil
}

// GetAccountPasswordPolicy returns the account's password policy.
func (s *Service) GetAccountPasswordPolicy(ctx context.Context, _ *iamapi.GetAccountPasswordPolicyInput) (*iamapi.GetAccountPasswordPolicyResponse, error) {
	sc, err := s.scopeOf(ctx)
	if err != nil {
		return nil, err
	}
	a, err := s.account(ctx, sc)
	if err != nil {
		return nil, err
	}
	p := a.PasswordPolicy
	if p == nil {
		return nil, noPasswordPolicy(sc.account)
	}
	out := &iamapi.PasswordPolicy{
		MinimumPasswordLength:      ptr(int32(p.MinimumPasswordLength)),
		RequireSymbols:             ptr(p.RequireSymbols),
		RequireNumbers:             ptr(p.RequireNumbers),
		RequireUppercaseCharacters: ptr(p.RequireUppercaseCharacters),
		RequireLowercaseCharacters: ptr(p.RequireLowercaseCharacters),
		AllowUsersToChangePassword: ptr(p.AllowUsersToChangePassword),
		ExpirePasswords:            ptr(p.MaxPasswordAge > 0),
	}
	if p.MaxPasswordAge > 0 {
		out.MaxPasswordAge = ptr(int32(p.MaxPasswordAge))
		out.HardExpiry = ptr(p.HardExpiry)
	} else if p.HardExpiry {
		out.HardExpiry = ptr(true)
	}
	if p.PasswordReusePrevention > 0 {
		out.PasswordReusePrevention = ptr(int32(p.PasswordReusePrevention))
	}
	return &iamapi.GetAccountPasswordPolicyResponse{PasswordPolicy: out}, nil
}

// DeleteAccountPasswordPolicy removes the account's password policy (the default policy applies again).
func (s *Service) DeleteAccountPasswordPolicy(ctx context.Context, _ *iamapi.DeleteAccountPasswordPolicyInput) (*iamapi.DeleteAccountPasswordPolicyOutput, error) {
	sc, err := s.scopeOf(ctx)
	if err != nil {
		return nil, err
	}
	err = s.updateAccount(ctx, sc, func(a *storage.Account) error {
		if a.PasswordPolicy == nil {
			// Not GetAccountPasswordPolicy's "The Password Policy with domain name …" wording: AWS answers
			// a delete of no policy with a sentence of its own.
			return iamapi.NewNoSuchEntityException("The account policy with name PasswordPolicy cannot be found.")
		}
		a.PasswordPolicy = nil
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.DeleteAccountPasswordPolicyOutput{}, nil
}

// account reads the caller's account.
func (s *Service) account(ctx context.Context, sc scope) (*storage.Account, error) {
	var a *storage.Account
	err := s.store.View(ctx, func(tx storage.Tx) error {
		var err error
		a, err = tx.GetAccount(ctx, sc.account)
		return err
	})
	return a, err
}

// updateAccount read-modify-writes the caller's account in one transaction.
func (s *Service) updateAccount(ctx context.Context, sc scope, fn func(a *storage.Account) error) error {
	return s.store.Update(ctx, func(tx storage.Tx) error {
		a, err := tx.GetAccount(ctx, sc.account)
		if err != nil {
			return err
		}
		if err := fn(a); err != nil {
			return err
		}
		return tx.UpdateAccount(ctx, a)
	})
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
