package iam

import (
	"context"
	"errors"
	"fmt"
	"sync"

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
	)
	err := s.store.View(ctx, func(tx storage.Tx) error {
		u, p, d = nil, nil, nil
		var err error
		if u, err = tx.GetUser(ctx, acct, userName); err != nil {
			return err
		}
		if p, err = tx.GetLoginProfile(ctx, acct, u.Name); err != nil {
			return err
		}
		d, err = tx.ListMFADevices(ctx, acct, storage.MFAFilter{UserName: u.Name}, storage.ListOptions{Limit: maxMFADevicesPerUser})
		return err
	})
	if errors.Is(err, storage.ErrNotFound) {
		s.hasher.Verify(dummyHash(), password)
		return ConsoleLogin{}, nil
	}
	if err != nil {
		return ConsoleLogin{}, fmt.Errorf("reading the login profile of %s: %w", userName, err)
	}
	if !s.hasher.Verify(string(p.PasswordHash), password) {
		return ConsoleLogin{}, nil
	}
	out := ConsoleLogin{OK: true, User: u, PasswordResetRequired: p.PasswordResetRequired}
	for _, dev := range d {
		out.MFASerials = append(out.MFASerials, sc.mfaSerial(dev))
	}
	return out, nil
}
