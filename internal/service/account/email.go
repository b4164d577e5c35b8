package account

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"fmt"
	"math/big"
	"net/mail"
	"strings"

	"github.com/iamd/iamd/internal/api/accountapi"
	"github.com/iamd/iamd/internal/protocol"
	"github.com/iamd/iamd/internal/storage"
)

// otpAlphabet is what one-time codes are drawn from: within the model's [a-zA-Z0-9]{6}, upper case only
// so that a retyped code is not mistaken (AcceptPrimaryEmailUpdate folds the code it is given to upper case).
const otpAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

// newOTP returns a uniformly random code of otpLength characters.
func newOTP() (string, error) {
	b := make([]byte, otpLength)
	max := big.NewInt(int64(len(otpAlphabet)))
	for i := range b {
		n, err := rand.Int(rand.Reader, max)
		if err != nil {
			return "", fmt.Errorf("one-time code: %w", err)
		}
		b[i] = otpAlphabet[n.Int64()]
	}
	return string(b), nil
}

// otpAAD binds a sealed code to its account and new address, so that it cannot be moved to another.
func otpAAD(acct, email string) []byte {
	return []byte("primaryemail:" + acct + ":" + strings.ToLower(email))
}

// checkEmail accepts a plain address (no display name, no comment: what will be written to the account
// and to a mail header).
func checkEmail(email string) error {
	a, err := mail.ParseAddress(email)
	if err != nil || a.Address != email {
		return validation(reasonFieldValidationFailed, "Invalid email address.", "primaryEmail")
	}
	return nil
}

// GetPrimaryEmail returns the account's primary (root user) e-mail address. An iamd account made without
// one has none, and is answered ResourceNotFoundException.
func (s *Service) GetPrimaryEmail(ctx context.Context, in *accountapi.GetPrimaryEmailRequest) (*accountapi.GetPrimaryEmailResponse, error) {
	acct, err := target(ctx, in.AccountId, "GetPrimaryEmail")
	if err != nil {
		return nil, err
	}
	a, err := s.account(ctx, acct)
	if err != nil {
		return nil, err
	}
	if a.Email == "" {
		return nil, accountapi.NewResourceNotFoundException("No primary email found for this account.")
	}
	return &accountapi.GetPrimaryEmailResponse{PrimaryEmail: protocol.String(a.Email)}, nil
}

// StartPrimaryEmailUpdate starts changing the account's primary e-mail address: it makes a one-time code,
// keeps it sealed in the account's row with its expiry, and sends it to the new address (by SMTP when a
// mailer is configured, otherwise to the log). A new start replaces an update in progress, once
// startInterval has passed since it began.
func (s *Service) StartPrimaryEmailUpdate(ctx context.Context, in *accountapi.StartPrimaryEmailUpdateRequest) (*accountapi.StartPrimaryEmailUpdateResponse, error) {
	acct, err := target(ctx, in.AccountId, "StartPrimaryEmailUpdate")
	if err != nil {
		return nil, err
	}
	email := protocol.ToString(in.PrimaryEmail)
	if err := checkEmail(email); err != nil {
		return nil, err
	}
	if s.o.Sealer == nil {
		return nil, errors.New("StartPrimaryEmailUpdate: no sealer configured")
	}
	code, err := newOTP()
	if err != nil {
		return nil, err
	}
	sealed, err := s.o.Sealer.Seal([]byte(code), otpAAD(acct, email))
	if err != nil {
		return nil, fmt.Errorf("sealing the one-time code: %w", err)
	}
	now := s.now(ctx)
	expires := now.Add(otpLifetime)
	err = s.update(ctx, acct, "StartPrimaryEmailUpdate", func(a *storage.Account) error {
		if strings.EqualFold(a.Email, email) {
			return accountapi.NewConflictException("The email address is already in use.")
		}
		if p := a.PendingEmail; p != nil && now.Before(p.Expires.Add(-otpLifetime).Add(startInterval)) {
			return accountapi.NewTooManyRequestsException("A primary email update was started less than " +
				startInterval.String() + " ago; wait before starting another.")
		}
		a.PendingEmail = &storage.PendingEmailUpdate{Email: email, SealedCode: sealed, Expires: expires}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if err := s.deliver(ctx, acct, email, code); err != nil {
		return nil, err
	}
	return &accountapi.StartPrimaryEmailUpdateResponse{Status: protocol.String(accountapi.PrimaryEmailUpdateStatusPending)}, nil
}

func (s *Service) deliver(ctx context.Context, acct, email, code string) error {
	if s.o.Mailer == nil {
		s.o.Logger.WarnContext(ctx, "no --smtp-url is set, so the one-time code of this primary e-mail update is "+
			"written here instead of being mailed; set --smtp-url to mail it to the new address",
			"account", acct, "email", email, "code", code, "expires_in", otpLifetime.String())
		return nil
	}
	body := "The one-time code to confirm " + email + " as the primary e-mail address of account " + acct +
		" is:\n\n    " + code + "\n\nIt expires in " + otpLifetime.String() + ".\n"
	if err := s.o.Mailer.Send(ctx, email, "Confirm your new primary e-mail address", body); err != nil {
		return fmt.Errorf("mailing the one-time code to %s: %w", email, err)
	}
	return nil
}

// AcceptPrimaryEmailUpdate completes a primary e-mail update with its one-time code. The code is compared
// in constant time; each wrong code counts, and the update is dropped after maxOTPAttempts of them or when
// it expires, so the code cannot be guessed.
func (s *Service) AcceptPrimaryEmailUpdate(ctx context.Context, in *accountapi.AcceptPrimaryEmailUpdateRequest) (*accountapi.AcceptPrimaryEmailUpdateResponse, error) {
	acct, err := target(ctx, in.AccountId, "AcceptPrimaryEmailUpdate")
	if err != nil {
		return nil, err
	}
	email := protocol.ToString(in.PrimaryEmail)
	otp := strings.ToUpper(protocol.ToString(in.Otp))
	now := s.now(ctx)
	// refusal is the answer when the row changes (a wrong code counted, an expired update dropped) but the
	// request fails: the transaction must still commit.
	var refusal error
	err = s.update(ctx, acct, "AcceptPrimaryEmailUpdate", func(a *storage.Account) error {
		refusal = nil // the store may run this again
		p := a.PendingEmail
		if p == nil {
			return errNoPendingUpdate()
		}
		if !now.Before(p.Expires) {
			a.PendingEmail = nil
			refusal = errNoPendingUpdate()
			return nil
		}
		if !strings.EqualFold(p.Email, email) {
			return validation(reasonFieldValidationFailed, "The primary email does not match the pending update.", "primaryEmail")
		}
		want, err := s.o.Sealer.Open(p.SealedCode, otpAAD(acct, p.Email))
		if err != nil {
			return fmt.Errorf("opening the one-time code: %w", err)
		}
		if subtle.ConstantTimeCompare(want, []byte(otp)) != 1 {
			p.Attempts++
			if p.Attempts >= maxOTPAttempts {
				a.PendingEmail = nil
			}
			refusal = validation(reasonFieldValidationFailed, "The OTP is not valid.", "otp")
			return nil
		}
		a.Email = p.Email
		a.PendingEmail = nil
		return nil
	})
	if err != nil {
		return nil, err
	}
	if refusal != nil {
		return nil, refusal
	}
	return &accountapi.AcceptPrimaryEmailUpdateResponse{Status: protocol.String(accountapi.PrimaryEmailUpdateStatusAccepted)}, nil
}

func errNoPendingUpdate() error {
	return accountapi.NewResourceNotFoundException("No pending primary email update was found.")
}
