package e2etest

import (
	"context"
	"regexp"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/account"

	"github.com/iamd/iamd/internal/storage"
	"github.com/iamd/iamd/internal/testutil/smtpsink"
)

// A caller who can call AcceptPrimaryEmailUpdate but cannot read the new address's mail must not guess the
// code: after five wrong codes the update is gone, and the right code no longer works.
func TestAdversarialPrimaryEmailCodeGuessesAreBounded(t *testing.T) {
	sink := smtpsink.Start(t)
	s := Start(t, Options{SMTPURL: "smtp://" + sink.Addr() + "?from=iamd@example.org"})
	c, ctx := s.Account(RootCreds()), context.Background()
	acct, email := aws.String(AccountID), aws.String("attacker@example.com")
	must[*account.StartPrimaryEmailUpdateOutput](t, "start")(c.StartPrimaryEmailUpdate(ctx, &account.StartPrimaryEmailUpdateInput{AccountId: acct, PrimaryEmail: email}))
	code := regexp.MustCompile(`\n    ([A-Z0-9]{6})\r\n`).FindStringSubmatch(sink.Messages()[0])[1]

	// The code is not in the account's row in the clear.
	var row *storage.Account
	ok(t, "read account", s.App.Store.View(ctx, func(tx storage.Tx) error {
		var err error
		row, err = tx.GetAccount(ctx, AccountID)
		return err
	}))
	if row.PendingEmail == nil || regexp.MustCompile(code).Match(row.PendingEmail.SealedCode) {
		t.Fatalf("pending update %+v", row.PendingEmail)
	}

	guesses := []string{"AAAAAA", "BBBBBB", "CCCCCC", "DDDDDD", "EEEEEE", "FFFFFF"}
	n := 0
	for _, g := range guesses {
		if g == code || n == 5 {
			continue
		}
		n++
		_, err := c.AcceptPrimaryEmailUpdate(ctx, &account.AcceptPrimaryEmailUpdateInput{AccountId: acct, PrimaryEmail: email, Otp: aws.String(g)})
		wantError(t, "guess", err, "ValidationException", 400, "The OTP is not valid.")
	}
	_, err := c.AcceptPrimaryEmailUpdate(ctx, &account.AcceptPrimaryEmailUpdateInput{AccountId: acct, PrimaryEmail: email, Otp: aws.String(code)})
	wantError(t, "right code after five guesses", err, "ResourceNotFoundException", 404, "No pending primary email update was found.")
	if _, err := c.GetPrimaryEmail(ctx, &account.GetPrimaryEmailInput{AccountId: acct}); err == nil {
		t.Fatal("the primary e-mail changed")
	}
}

// An address that would add headers or recipients to the mail is refused before anything is sent.
func TestAdversarialPrimaryEmailCannotInjectMailHeaders(t *testing.T) {
	sink := smtpsink.Start(t)
	s := Start(t, Options{SMTPURL: "smtp://" + sink.Addr() + "?from=iamd@example.org"})
	c, ctx := s.Account(RootCreds()), context.Background()
	for _, e := range []string{"a@example.com\r\nBcc: x@evil.test", "a@example.com, x@evil.test", "Eve <x@evil.test>", "a@example.com>\r\nRCPT TO:<x@evil.test"} {
		_, err := c.StartPrimaryEmailUpdate(ctx, &account.StartPrimaryEmailUpdateInput{AccountId: aws.String(AccountID), PrimaryEmail: aws.String(e)})
		wantError(t, e, err, "ValidationException", 400, "")
	}
	if m := sink.Messages(); len(m) != 0 {
		t.Fatalf("mail was sent: %q", m)
	}
}

// Every start mails a code to an address the caller chooses: a caller allowed to start updates must not
// turn iamd into a source of a stream of mail. A second start while the first is pending is refused
// within the interval, and sends nothing.
func TestAdversarialPrimaryEmailStartsCannotFloodMail(t *testing.T) {
	sink := smtpsink.Start(t)
	s := Start(t, Options{SMTPURL: "smtp://" + sink.Addr() + "?from=iamd@example.org"})
	c, ctx := s.Account(RootCreds()), context.Background()
	for i := 0; i < 5; i++ {
		_, err := c.StartPrimaryEmailUpdate(ctx, &account.StartPrimaryEmailUpdateInput{AccountId: aws.String(AccountID),
			PrimaryEmail: aws.String("victim@example.com")})
		if i == 0 {
			ok(t, "first start", err)
			continue
		}
		wantError(t, "start again", err, "TooManyRequestsException", 429,
			"A primary email update was started less than 1m0s ago; wait before starting another.")
	}
	if n := len(sink.Messages()); n != 1 {
		t.Fatalf("%d messages sent", n)
	}
}
