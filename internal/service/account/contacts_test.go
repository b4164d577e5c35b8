package account

import (
	"bytes"
	"context"
	"log/slog"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/iamd/iamd/internal/api/accountapi"
	"github.com/iamd/iamd/internal/protocol"
	"github.com/iamd/iamd/internal/testutil/smtpsink"
)

func str(v string) *string { return &v }

func TestAlternateContactsAreStoredPerType(t *testing.T) {
	s, _, ctx := newService(t, 0)
	for _, typ := range []string{"BILLING", "OPERATIONS", "SECURITY"} {
		_, err := s.GetAlternateContact(ctx, &accountapi.GetAlternateContactRequest{AlternateContactType: str(typ)})
		wantAPIError(t, "get unset "+typ, err, "ResourceNotFoundException", 404, "No contact of the inputted alternate contact type found.")
		_, err = s.DeleteAlternateContact(ctx, &accountapi.DeleteAlternateContactRequest{AlternateContactType: str(typ)})
		wantAPIError(t, "delete unset "+typ, err, "ResourceNotFoundException", 404, "No contact of the inputted alternate contact type found.")
	}
	put := func(typ, name string) {
		t.Helper()
		_, err := s.PutAlternateContact(ctx, &accountapi.PutAlternateContactRequest{AlternateContactType: str(typ),
			Name: str(name), Title: str("CISO"), EmailAddress: str("sec@example.com"), PhoneNumber: str("+1 555 0100")})
		if err != nil {
			t.Fatal(err)
		}
	}
	put("SECURITY", "Ana")
	put("SECURITY", "Bea") // replaces
	put("BILLING", "Cy")
	// A service over the same store sees them: they live in the account row, not in memory.
	s2 := New(Options{Store: s.o.Store})
	out, err := s2.GetAlternateContact(ctx, &accountapi.GetAlternateContactRequest{AlternateContactType: str("SECURITY")})
	if err != nil {
		t.Fatal(err)
	}
	c := out.AlternateContact
	if protocol.ToString(c.AlternateContactType) != "SECURITY" || protocol.ToString(c.Name) != "Bea" || protocol.ToString(c.Title) != "CISO" ||
		protocol.ToString(c.EmailAddress) != "sec@example.com" || protocol.ToString(c.PhoneNumber) != "+1 555 0100" {
		t.Fatalf("got %+v", c)
	}
	if _, err := s.DeleteAlternateContact(ctx, &accountapi.DeleteAlternateContactRequest{AlternateContactType: str("SECURITY")}); err != nil {
		t.Fatal(err)
	}
	_, err = s.GetAlternateContact(ctx, &accountapi.GetAlternateContactRequest{AlternateContactType: str("SECURITY")})
	wantAPIError(t, "get deleted", err, "ResourceNotFoundException", 404, "")
	if _, err := s.GetAlternateContact(ctx, &accountapi.GetAlternateContactRequest{AlternateContactType: str("BILLING")}); err != nil {
		t.Fatalf("BILLING went with SECURITY: %v", err)
	}
	// The other account is untouched.
	_, err = s.GetAlternateContact(callerCtx(otherAccount), &accountapi.GetAlternateContactRequest{AlternateContactType: str("BILLING")})
	wantAPIError(t, "other account", err, "ResourceNotFoundException", 404, "")
}

func TestContactInformationAccountNameAndInformation(t *testing.T) {
	s, _, ctx := newService(t, 0)
	_, err := s.GetContactInformation(ctx, &accountapi.GetContactInformationRequest{})
	wantAPIError(t, "unset", err, "ResourceNotFoundException", 404, "")
	ci := &accountapi.ContactInformation{FullName: str("Ana Diaz"), AddressLine1: str("1 Main St"), City: str("Springfield"),
		PostalCode: str("12345"), CountryCode: str("US"), PhoneNumber: str("+15550100"), WebsiteUrl: str("https://example.com")}
	if _, err := s.PutContactInformation(ctx, &accountapi.PutContactInformationRequest{ContactInformation: ci}); err != nil {
		t.Fatal(err)
	}
	out, err := s.GetContactInformation(ctx, &accountapi.GetContactInformationRequest{})
	if err != nil {
		t.Fatal(err)
	}
	got := out.ContactInformation
	if protocol.ToString(got.FullName) != "Ana Diaz" || protocol.ToString(got.WebsiteUrl) != "https://example.com" ||
		protocol.ToString(got.CountryCode) != "US" || got.AddressLine2 != nil || got.CompanyName != nil {
		t.Fatalf("got %+v", got)
	}

	info, err := s.GetAccountInformation(ctx, &accountapi.GetAccountInformationRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if protocol.ToString(info.AccountId) != testAccount || info.AccountName != nil || !info.AccountCreatedDate.Equal(t0) ||
		protocol.ToString(info.AccountState) != "ACTIVE" {
		t.Fatalf("got %+v", info)
	}
	if _, err := s.PutAccountName(ctx, &accountapi.PutAccountNameRequest{AccountName: str("prod")}); err != nil {
		t.Fatal(err)
	}
	info, _ = s.GetAccountInformation(ctx, &accountapi.GetAccountInformationRequest{AccountId: str(testAccount)})
	if protocol.ToString(info.AccountName) != "prod" {
		t.Fatalf("name %v", protocol.ToString(info.AccountName))
	}

	_, err = s.GetGovCloudAccountInformation(ctx, &accountapi.GetGovCloudAccountInformationRequest{})
	wantAPIError(t, "govcloud", err, "ResourceNotFoundException", 404, "")
}

// Every operation refuses another account's ID: AWS accepts AccountId only from an organization's
// management account, and an iamd account is in no organization.
func TestAccountOperationsRefuseOtherAccounts(t *testing.T) {
	s, _, ctx := newService(t, 0)
	o := str(otherAccount)
	calls := map[string]func() error{
		"PutAlternateContact": func() error {
			_, err := s.PutAlternateContact(ctx, &accountapi.PutAlternateContactRequest{AccountId: o, AlternateContactType: str("BILLING"),
				Name: str("a"), Title: str("b"), EmailAddress: str("a@b.co"), PhoneNumber: str("1")})
			return err
		},
		"GetAlternateContact": func() error {
			_, err := s.GetAlternateContact(ctx, &accountapi.GetAlternateContactRequest{AccountId: o, AlternateContactType: str("BILLING")})
			return err
		},
		"DeleteAlternateContact": func() error {
			_, err := s.DeleteAlternateContact(ctx, &accountapi.DeleteAlternateContactRequest{AccountId: o, AlternateContactType: str("BILLING")})
			return err
		},
		"PutContactInformation": func() error {
			_, err := s.PutContactInformation(ctx, &accountapi.PutContactInformationRequest{AccountId: o, ContactInformation: &accountapi.ContactInformation{}})
			return err
		},
		"GetContactInformation": func() error {
			_, err := s.GetContactInformation(ctx, &accountapi.GetContactInformationRequest{AccountId: o})
			return err
		},
		"GetAccountInformation": func() error {
			_, err := s.GetAccountInformation(ctx, &accountapi.GetAccountInformationRequest{AccountId: o})
			return err
		},
		"PutAccountName": func() error {
			_, err := s.PutAccountName(ctx, &accountapi.PutAccountNameRequest{AccountId: o, AccountName: str("x")})
			return err
		},
		"GetPrimaryEmail": func() error {
			_, err := s.GetPrimaryEmail(ctx, &accountapi.GetPrimaryEmailRequest{AccountId: o})
			return err
		},
		"StartPrimaryEmailUpdate": func() error {
			_, err := s.StartPrimaryEmailUpdate(ctx, &accountapi.StartPrimaryEmailUpdateRequest{AccountId: o, PrimaryEmail: str("new@example.com")})
			return err
		},
		"AcceptPrimaryEmailUpdate": func() error {
			_, err := s.AcceptPrimaryEmailUpdate(ctx, &accountapi.AcceptPrimaryEmailUpdateRequest{AccountId: o, PrimaryEmail: str("new@example.com"), Otp: str("ABC123")})
			return err
		},
		"GetGovCloudAccountInformation": func() error {
			_, err := s.GetGovCloudAccountInformation(ctx, &accountapi.GetGovCloudAccountInformationRequest{StandardAccountId: o})
			return err
		},
	}
	for op, call := range calls {
		wantAPIError(t, op, call(), "AccessDeniedException", 403,
			"User: arn:aws:iam::"+testAccount+":root is not authorized to perform: account:"+op+" on resource: arn:aws:account::"+otherAccount+":account")
	}
	a, err := s.account(ctx, otherAccount)
	if err != nil {
		t.Fatal(err)
	}
	if a.Name != "" || a.AlternateContacts != nil || a.PendingEmail != nil {
		t.Fatalf("the other account changed: %+v", a)
	}
}

// mailbox is a Mailer that keeps what it is given.
type mailbox struct {
	mu   sync.Mutex
	msgs []string // "to\nbody"
}

func (m *mailbox) Send(_ context.Context, to, _, body string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.msgs = append(m.msgs, to+"\n"+body)
	return nil
}

var codeRE = regexp.MustCompile(`\b[A-Z0-9]{6}\b`)

func (m *mailbox) lastCode(t *testing.T, to string) string {
	t.Helper()
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.msgs) == 0 {
		t.Fatal("no mail")
	}
	last := m.msgs[len(m.msgs)-1]
	if !strings.HasPrefix(last, to+"\n") {
		t.Fatalf("mail to the wrong address: %q", last)
	}
	c := codeRE.FindString(strings.SplitN(last, "\n", 2)[1])
	if c == "" {
		t.Fatalf("no code in %q", last)
	}
	return c
}

func TestPrimaryEmailUpdate(t *testing.T) {
	s, clk, ctx := newService(t, 0)
	mb := &mailbox{}
	s.o.Mailer = mb
	_, err := s.GetPrimaryEmail(ctx, &accountapi.GetPrimaryEmailRequest{AccountId: str(testAccount)})
	wantAPIError(t, "no e-mail yet", err, "ResourceNotFoundException", 404, "")

	accept := func(email, otp string) error {
		_, err := s.AcceptPrimaryEmailUpdate(ctx, &accountapi.AcceptPrimaryEmailUpdateRequest{AccountId: str(testAccount), PrimaryEmail: str(email), Otp: str(otp)})
		return err
	}
	start := func(email string) string {
		t.Helper()
		out, err := s.StartPrimaryEmailUpdate(ctx, &accountapi.StartPrimaryEmailUpdateRequest{AccountId: str(testAccount), PrimaryEmail: str(email)})
		if err != nil {
			t.Fatal(err)
		}
		if protocol.ToString(out.Status) != "PENDING" {
			t.Fatalf("status %v", protocol.ToString(out.Status))
		}
		return mb.lastCode(t, email)
	}
	wantAPIError(t, "nothing pending", accept("a@example.com", "ABC123"), "ResourceNotFoundException", 404, "No pending primary email update was found.")
	_, err = s.StartPrimaryEmailUpdate(ctx, &accountapi.StartPrimaryEmailUpdateRequest{AccountId: str(testAccount), PrimaryEmail: str("Eve <a@example.com>")})
	wantAPIError(t, "display name", err, "ValidationException", 400, "")

	code := start("a@example.com")
	// The row holds the code sealed, never in the clear.
	a, _ := s.account(ctx, testAccount)
	if a.PendingEmail == nil || bytes.Contains(a.PendingEmail.SealedCode, []byte(code)) {
		t.Fatalf("pending %+v", a.PendingEmail)
	}
	wrong := "000000"
	if code == wrong {
		wrong = "111111"
	}
	wantAPIError(t, "other address", accept("b@example.com", code), "ValidationException", 400, "")
	ve := wantAPIError(t, "wrong code", accept("a@example.com", wrong), "ValidationException", 400, "The OTP is not valid.").(*accountapi.ValidationException)
	if protocol.ToString(ve.Reason) != "fieldValidationFailed" || len(ve.FieldList) != 1 || protocol.ToString(ve.FieldList[0].Name) != "otp" {
		t.Fatalf("reason %v fields %+v", protocol.ToString(ve.Reason), ve.FieldList)
	}
	if _, err := s.AcceptPrimaryEmailUpdate(ctx, &accountapi.AcceptPrimaryEmailUpdateRequest{AccountId: str(testAccount),
		PrimaryEmail: str("a@example.com"), Otp: str(strings.ToLower(code))}); err != nil {
		t.Fatalf("right code: %v", err)
	}
	out, err := s.GetPrimaryEmail(ctx, &accountapi.GetPrimaryEmailRequest{AccountId: str(testAccount)})
	if err != nil || protocol.ToString(out.PrimaryEmail) != "a@example.com" {
		t.Fatalf("e-mail %v %v", out, err)
	}
	wantAPIError(t, "code used twice", accept("a@example.com", code), "ResourceNotFoundException", 404, "")
	_, err = s.StartPrimaryEmailUpdate(ctx, &accountapi.StartPrimaryEmailUpdateRequest{AccountId: str(testAccount), PrimaryEmail: str("A@example.com")})
	wantAPIError(t, "current address", err, "ConflictException", 409, "")

	// maxOTPAttempts wrong codes drop the update: the right code no longer works.
	code = start("b@example.com")
	// A second start within startInterval is refused and sends nothing; after it, it replaces the first.
	mb.mu.Lock()
	sent := len(mb.msgs)
	mb.mu.Unlock()
	_, err = s.StartPrimaryEmailUpdate(ctx, &accountapi.StartPrimaryEmailUpdateRequest{AccountId: str(testAccount), PrimaryEmail: str("x@example.com")})
	wantAPIError(t, "start again at once", err, "TooManyRequestsException", 429, "")
	mb.mu.Lock()
	if len(mb.msgs) != sent {
		t.Fatal("a refused start sent mail")
	}
	mb.mu.Unlock()
	clk.add(startInterval)
	code = start("b@example.com")
	if code == wrong {
		wrong = "222222"
	}
	for i := 0; i < maxOTPAttempts; i++ {
		wantAPIError(t, "guess", accept("b@example.com", wrong), "ValidationException", 400, "The OTP is not valid.")
	}
	wantAPIError(t, "after the guesses", accept("b@example.com", code), "ResourceNotFoundException", 404, "")

	// A code expires.
	clk.add(startInterval)
	code = start("c@example.com")
	clk.add(otpLifetime)
	wantAPIError(t, "expired", accept("c@example.com", code), "ResourceNotFoundException", 404, "")
	out, _ = s.GetPrimaryEmail(ctx, &accountapi.GetPrimaryEmailRequest{AccountId: str(testAccount)})
	if protocol.ToString(out.PrimaryEmail) != "a@example.com" {
		t.Fatalf("e-mail changed to %s", protocol.ToString(out.PrimaryEmail))
	}
}

func TestOTPIsRandomWithinTheModelPattern(t *testing.T) {
	seen := map[string]bool{}
	pat := regexp.MustCompile(`^[a-zA-Z0-9]{6}$`)
	for i := 0; i < 200; i++ {
		c, err := newOTP()
		if err != nil {
			t.Fatal(err)
		}
		if !pat.MatchString(c) {
			t.Fatalf("code %q", c)
		}
		seen[c] = true
	}
	if len(seen) < 199 {
		t.Fatalf("only %d distinct codes of 200", len(seen))
	}
}

func TestPrimaryEmailCodeGoesToTheLogWithoutSMTP(t *testing.T) {
	s, _, ctx := newService(t, 0)
	var buf bytes.Buffer
	s.o.Logger = slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelWarn}))
	if _, err := s.StartPrimaryEmailUpdate(ctx, &accountapi.StartPrimaryEmailUpdateRequest{AccountId: str(testAccount), PrimaryEmail: str("a@example.com")}); err != nil {
		t.Fatal(err)
	}
	line := buf.String()
	m := regexp.MustCompile(`code=([A-Z0-9]{6})`).FindStringSubmatch(line)
	if !strings.Contains(line, "level=WARN") || !strings.Contains(line, "--smtp-url") || m == nil {
		t.Fatalf("log %q", line)
	}
	if _, err := s.AcceptPrimaryEmailUpdate(ctx, &accountapi.AcceptPrimaryEmailUpdateRequest{AccountId: str(testAccount), PrimaryEmail: str("a@example.com"), Otp: str(m[1])}); err != nil {
		t.Fatal(err)
	}
}

func TestPrimaryEmailCodeIsMailedBySMTP(t *testing.T) {
	sink := smtpsink.Start(t)
	m, err := NewSMTPMailer("smtp://iamd:s3cret@" + sink.Addr() + "?from=iamd@example.org")
	if err != nil {
		t.Fatal(err)
	}
	s, clk, ctx := newService(t, 0)
	m.Now = clk.now
	s.o.Mailer = m
	if _, err := s.StartPrimaryEmailUpdate(ctx, &accountapi.StartPrimaryEmailUpdateRequest{AccountId: str(testAccount), PrimaryEmail: str("new@example.com")}); err != nil {
		t.Fatal(err)
	}
	msgs, auth := sink.Messages(), sink.Auths()
	if len(msgs) != 1 || len(auth) != 1 {
		t.Fatalf("msgs %q auth %q", msgs, auth)
	}
	msg := msgs[0]
	if !strings.Contains(msg, "MAIL FROM:<iamd@example.org>") || !strings.Contains(msg, "RCPT TO:<new@example.com>") ||
		!strings.Contains(msg, "To: new@example.com") || !strings.Contains(msg, "Date: Sun, 01 Mar 2026 12:00:00 +0000") {
		t.Fatalf("message %q", msg)
	}
	code := regexp.MustCompile(`\n    ([A-Z0-9]{6})\r\n`).FindStringSubmatch(msg)
	if code == nil {
		t.Fatalf("no code in %q", msg)
	}
	if _, err := s.AcceptPrimaryEmailUpdate(ctx, &accountapi.AcceptPrimaryEmailUpdateRequest{AccountId: str(testAccount), PrimaryEmail: str("new@example.com"), Otp: str(code[1])}); err != nil {
		t.Fatal(err)
	}
}

func TestSMTPURLIsChecked(t *testing.T) {
	for _, u := range []string{"http://h?from=a@b.co", "smtp://?from=a@b.co", "smtp://h", "smtp://h?from=Eve <a@b.co>", "smtp://u:pa ss@h:25%"} {
		_, err := NewSMTPMailer(u)
		if err == nil {
			t.Errorf("%q accepted", u)
		} else if strings.Contains(err.Error(), "pa ss") {
			t.Errorf("%q: the error shows the password: %v", u, err)
		}
	}
	if _, err := NewSMTPMailer("smtp://mail.example.org?from=iamd@example.org"); err != nil {
		t.Fatal(err)
	}
}
