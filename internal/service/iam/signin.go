package iam

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/iamd/iamd/internal/api/iamapi"
	"github.com/iamd/iamd/internal/storage"
)

// ConsoleLogin is the outcome of a console password check (VerifyConsolePassword).
type ConsoleLogin struct {
	// OK is true when the user exists, has a login profile and the password matches it.
	OK   bool
	User *storage.User
	// PasswordResetRequired is the login profile's flag: the user must choose a new password before
	// anything else (ChangePassword clears it).
	PasswordResetRequired bool
	// PasswordExpired is true when the password is older than the account password policy's
	// MaxPasswordAge: the user must choose a new one before anything else, as with
	// PasswordResetRequired. HardExpiry is the policy's flag: then the user may not, and cannot sign in
	// to the console until an administrator sets a new password (the API's ChangePassword still works).
	PasswordExpired, HardExpiry bool
	// MFASerials are the serial ARNs of the MFA devices enabled for the user: with any, the sign-in
	// asks for a code (VerifyMFACode).
	MFASerials []string
}

// dummyHash is verified against when the user or its login profile does not exist, so that a sign-in
// for a user without a password costs what one with a wrong password costs and does not tell them apart.
var dummyHash = sync.OnceValue(func() string {
	h, _ := secretsHasher{}.Hash("iamd: no such login profile")
	return h
})

// VerifyConsolePassword checks an IAM user's console password against its login profile, as the AWS
// sign-in page does, for the web console. It runs under the password throttle (the user's verification
// bucket, which ChangePassword's guesses of the old password share, and the source address's hashing
// bucket): over the rate it returns AWS's Throttling error without verifying anything. A wrong password,
// an unknown user and a user without a login profile are the same answer, OK false.
func (s *Service) VerifyConsolePassword(ctx context.Context, partition, acct, userName, password string) (ConsoleLogin, error) {
	sc := scope{account: acct, partition: partition, now: s.now()}
	if err := s.throttlePassword(ctx, sc, userName); err != nil {
		return ConsoleLogin{}, err
	}
	var (
		u *storage.User
		p *storage.LoginProfile
		d []*storage.MFADevice
		a *storage.Account
	)
	err := s.store.View(ctx, func(tx storage.Tx) error {
		u, p, d, a = nil, nil, nil, nil
		var err error
		if a, err = tx.GetAccount(ctx, acct); err != nil {
			return err
		}
		if u, err = tx.GetUser(ctx, acct, userName); err != nil {
			return err
		}
		if p, err = tx.GetLoginProfile(ctx, acct, u.Name); err != nil {
			return err
		}
		d, err = tx.ListMFADevices(ctx, acct, storage.MFAFilter{UserName: u.Name}, storage.ListOptions{Limit: maxMFADevicesPerUser})
		return err
	})
	if err != nil && !errors.Is(err, storage.ErrNotFound) {
		return ConsoleLogin{}, fmt.Errorf("reading the login profile of %s: %w", userName, err)
	}
	var hash []byte
	if err == nil {
		hash = p.PasswordHash
	}
	out := s.checkLogin(sc, hash, password, d)
	if out.OK {
		out.User, out.PasswordResetRequired = u, p.PasswordResetRequired
		out.PasswordExpired = a.PasswordPolicy.PasswordExpired(p, sc.now)
		out.HardExpiry = out.PasswordExpired && a.PasswordPolicy.HardExpiry
	}
	return out, nil
}

// checkLogin verifies password against hash (nil: no password to sign in with, which still costs a
// verification so as not to tell itself apart), with the principal's MFA devices d.
func (s *Service) checkLogin(sc scope, hash []byte, password string, d []*storage.MFADevice) ConsoleLogin {
	if len(hash) == 0 {
		s.hasher.Verify(dummyHash(), password)
		return ConsoleLogin{}
	}
	if !s.hasher.Verify(string(hash), password) {
		return ConsoleLogin{}
	}
	out := ConsoleLogin{OK: true}
	for _, dev := range d {
		out.MFASerials = append(out.MFASerials, sc.mfaSerial(dev))
	}
	return out
}

// rootThrottleUser is the name under which root sign-ins share the per-user verification bucket: "#"
// is not a character of IAM user names, so no user's bucket is the root's.
const rootThrottleUser = "#root"

// maxRootPasswordLength is the longest root password AWS accepts (AWS Account Management Reference,
// "Change the password for the root user": 8 to 128 characters).
const maxRootPasswordLength = 128

// SetRootPassword sets the console password of account acct's root user (iamd accounts
// root-password). The password must be 8 to 128 characters of at least three of the four character
// classes, as AWS requires of a root password; it is stored hashed as login profiles are.
func (s *Service) SetRootPassword(ctx context.Context, acct, password string) error {
	if v := defaultViolation(password); v != "" {
		return iamapi.NewPasswordPolicyViolationException(v)
	}
	if len([]rune(password)) > maxRootPasswordLength {
		return iamapi.NewPasswordPolicyViolationException("Password should have a maximum length of 128")
	}
	h, err := s.hasher.Hash(password)
	if err != nil {
		return fmt.Errorf("hashing password: %w", err)
	}
	return s.store.Update(ctx, func(tx storage.Tx) error {
		a, err := tx.GetAccount(ctx, acct)
		if err != nil {
			return fmt.Errorf("account %s: %w", acct, err)
		}
		a.RootPasswordHash = []byte(h)
		return tx.UpdateAccount(ctx, a)
	})
}

// VerifyRootPassword checks the root user's console password of account acct, under the password
// throttle as VerifyConsolePassword; OK is false for a wrong password, an unknown account and an account
// without a root password alike. MFASerials are the root's enabled MFA devices.
func (s *Service) VerifyRootPassword(ctx context.Context, partition, acct, password string) (ConsoleLogin, error) {
	sc := scope{account: acct, partition: partition, now: s.now()}
	if err := s.throttlePassword(ctx, sc, rootThrottleUser); err != nil {
		return ConsoleLogin{}, err
	}
	var (
		a *storage.Account
		d []*storage.MFADevice
	)
	err := s.store.View(ctx, func(tx storage.Tx) error {
		a, d = nil, nil
		var err error
		if a, err = tx.GetAccount(ctx, acct); err != nil {
			return err
		}
		d, err = tx.ListMFADevices(ctx, acct, storage.MFAFilter{Root: true}, storage.ListOptions{Limit: maxMFADevicesPerUser})
		return err
	})
	if err != nil && !errors.Is(err, storage.ErrNotFound) {
		return ConsoleLogin{}, fmt.Errorf("reading the root password of %s: %w", acct, err)
	}
	var hash []byte
	if err == nil {
		hash = a.RootPasswordHash
	}
	return s.checkLogin(sc, hash, password, d), nil
}
