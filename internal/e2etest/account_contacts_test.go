package e2etest

import (
	"context"
	"os"
	"regexp"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/account"
	accttypes "github.com/aws/aws-sdk-go-v2/service/account/types"

	"github.com/iamd/iamd/internal/storage/pgtest"
	"github.com/iamd/iamd/internal/testutil/smtpsink"
)

const otherAccountID = "210987654321"

// accountServer starts a server for the Account API tests, on PostgreSQL when IAMD_E2E_IAM_BACKEND=postgres
// (the contacts live in the account row on both backends).
func accountServer(t *testing.T, o Options) *Server {
	t.Helper()
	if os.Getenv(iamBackendEnv) == "postgres" {
		o.DatabaseURL = pgtest.URL(t)
	}
	return Start(t, o)
}

// crossAccountDenied is what an account outside an organization is answered when it names another
// account in AccountId.
func crossAccountDenied(op string) string {
	return "User: arn:aws:iam::" + AccountID + ":root is not authorized to perform: account:" + op +
		" on resource: arn:aws:account::" + otherAccountID + ":account"
}

func TestAccountAlternateContacts(t *testing.T) {
	s := accountServer(t, Options{})
	newAccount(t, s, otherAccountID)
	c, ctx := s.Account(RootCreds()), context.Background()
	for _, typ := range []accttypes.AlternateContactType{accttypes.AlternateContactTypeBilling, accttypes.AlternateContactTypeOperations, accttypes.AlternateContactTypeSecurity} {
		must[*account.PutAlternateContactOutput](t, "put "+string(typ))(c.PutAlternateContact(ctx, &account.PutAlternateContactInput{
			AlternateContactType: typ, Name: aws.String("Name " + string(typ)), Title: aws.String("Lead"),
			EmailAddress: aws.String("ops@example.com"), PhoneNumber: aws.String("+1 (555) 0100")}))
		out := must[*account.GetAlternateContactOutput](t, "get "+string(typ))(c.GetAlternateContact(ctx,
			&account.GetAlternateContactInput{AlternateContactType: typ}))
		ac := out.AlternateContact
		if ac.AlternateContactType != typ || aws.ToString(ac.Name) != "Name "+string(typ) || aws.ToString(ac.Title) != "Lead" ||
			aws.ToString(ac.EmailAddress) != "ops@example.com" || aws.ToString(ac.PhoneNumber) != "+1 (555) 0100" {
			t.Fatalf("%s: %+v", typ, ac)
		}
	}
	must[*account.DeleteAlternateContactOutput](t, "delete")(c.DeleteAlternateContact(ctx,
		&account.DeleteAlternateContactInput{AlternateContactType: accttypes.AlternateContactTypeBilling, AccountId: aws.String(AccountID)}))
	// The other account has none of them.
	other := s.Account(newAccount(t, s, "333333333333"))
	runErrCases(t, []errCase{
		{"get deleted", func() error {
			return call(c.GetAlternateContact(ctx, &account.GetAlternateContactInput{AlternateContactType: accttypes.AlternateContactTypeBilling}))
		}, "ResourceNotFoundException", 404, "No contact of the inputted alternate contact type found."},
		{"delete deleted", func() error {
			return call(c.DeleteAlternateContact(ctx, &account.DeleteAlternateContactInput{AlternateContactType: accttypes.AlternateContactTypeBilling}))
		}, "ResourceNotFoundException", 404, "No contact of the inputted alternate contact type found."},
		{"another account's", func() error {
			return call(other.GetAlternateContact(ctx, &account.GetAlternateContactInput{AlternateContactType: accttypes.AlternateContactTypeSecurity}))
		}, "ResourceNotFoundException", 404, "No contact of the inputted alternate contact type found."},
		{"unknown type", func() error {
			return call(c.GetAlternateContact(ctx, &account.GetAlternateContactInput{AlternateContactType: "LEGAL"}))
		}, "ValidationException", 400, "1 validation error detected: Value 'LEGAL' at 'alternateContactType' failed to satisfy constraint: " +
			"Member must satisfy enum value set: [BILLING, OPERATIONS, SECURITY]"},
		{"bad e-mail", func() error {
			return call(c.PutAlternateContact(ctx, &account.PutAlternateContactInput{AlternateContactType: accttypes.AlternateContactTypeBilling,
				Name: aws.String("a"), Title: aws.String("b"), EmailAddress: aws.String("not-an-address"), PhoneNumber: aws.String("1")}))
		}, "ValidationException", 400, ""},
		{"bad phone", func() error {
			return call(c.PutAlternateContact(ctx, &account.PutAlternateContactInput{AlternateContactType: accttypes.AlternateContactTypeBilling,
				Name: aws.String("a"), Title: aws.String("b"), EmailAddress: aws.String("a@b.co"), PhoneNumber: aws.String("call me")}))
		}, "ValidationException", 400, ""},
		{"put other account", func() error {
			return call(c.PutAlternateContact(ctx, &account.PutAlternateContactInput{AccountId: aws.String(otherAccountID),
				AlternateContactType: accttypes.AlternateContactTypeBilling, Name: aws.String("a"), Title: aws.String("b"),
				EmailAddress: aws.String("a@b.co"), PhoneNumber: aws.String("1")}))
		}, "AccessDeniedException", 403, crossAccountDenied("PutAlternateContact")},
		{"get other account", func() error {
			return call(c.GetAlternateContact(ctx, &account.GetAlternateContactInput{AccountId: aws.String(otherAccountID),
				AlternateContactType: accttypes.AlternateContactTypeSecurity}))
		}, "AccessDeniedException", 403, crossAccountDenied("GetAlternateContact")},
		{"delete other account", func() error {
			return call(c.DeleteAlternateContact(ctx, &account.DeleteAlternateContactInput{AccountId: aws.String(otherAccountID),
				AlternateContactType: accttypes.AlternateContactTypeSecurity}))
		}, "AccessDeniedException", 403, crossAccountDenied("DeleteAlternateContact")},
		{"malformed account ID", func() error {
			return call(c.GetAlternateContact(ctx, &account.GetAlternateContactInput{AccountId: aws.String("12345"),
				AlternateContactType: accttypes.AlternateContactTypeSecurity}))
		}, "ValidationException", 400, "1 validation error detected: Value '12345' at 'accountId' failed to satisfy constraint: " +
			`Member must satisfy regular expression pattern: \d{12}`},
	})
}

func TestAccountContactInformationNameAndInformation(t *testing.T) {
	s := accountServer(t, Options{})
	newAccount(t, s, otherAccountID)
	c, ctx := s.Account(RootCreds()), context.Background()
	ci := &accttypes.ContactInformation{FullName: aws.String("Ana Diaz"), AddressLine1: aws.String("1 Main St"),
		City: aws.String("Springfield"), PostalCode: aws.String("12345"), CountryCode: aws.String("US"),
		PhoneNumber: aws.String("+1 555 0100"), CompanyName: aws.String("Example Corp")}
	runErrCases(t, []errCase{
		{"no contact information yet", func() error { return call(c.GetContactInformation(ctx, &account.GetContactInformationInput{})) },
			"ResourceNotFoundException", 404, "No contact information found for this account."},
	})
	must[*account.PutContactInformationOutput](t, "put")(c.PutContactInformation(ctx, &account.PutContactInformationInput{ContactInformation: ci}))
	got := must[*account.GetContactInformationOutput](t, "get")(c.GetContactInformation(ctx, &account.GetContactInformationInput{})).ContactInformation
	if aws.ToString(got.FullName) != "Ana Diaz" || aws.ToString(got.CompanyName) != "Example Corp" || aws.ToString(got.PhoneNumber) != "+1 555 0100" ||
		got.AddressLine2 != nil || got.WebsiteUrl != nil {
		t.Fatalf("got %+v", got)
	}

	info := must[*account.GetAccountInformationOutput](t, "info")(c.GetAccountInformation(ctx, &account.GetAccountInformationInput{}))
	if aws.ToString(info.AccountId) != AccountID || info.AccountState != accttypes.AccountStateActive || info.AccountCreatedDate == nil {
		t.Fatalf("info %+v", info)
	}
	checkRecent(t, "AccountCreatedDate", info.AccountCreatedDate)
	must[*account.PutAccountNameOutput](t, "name")(c.PutAccountName(ctx, &account.PutAccountNameInput{AccountName: aws.String("Production")}))
	info = must[*account.GetAccountInformationOutput](t, "info")(c.GetAccountInformation(ctx, &account.GetAccountInformationInput{}))
	if aws.ToString(info.AccountName) != "Production" {
		t.Fatalf("name %q", aws.ToString(info.AccountName))
	}

	bad := *ci
	bad.CountryCode = aws.String("USA")
	runErrCases(t, []errCase{
		{"country code", func() error {
			return call(c.PutContactInformation(ctx, &account.PutContactInformationInput{ContactInformation: &bad}))
		}, "ValidationException", 400, ""},
		{"account name pattern", func() error {
			return call(c.PutAccountName(ctx, &account.PutAccountNameInput{AccountName: aws.String("<prod>")}))
		}, "ValidationException", 400, ""},
		{"put contact other account", func() error {
			return call(c.PutContactInformation(ctx, &account.PutContactInformationInput{AccountId: aws.String(otherAccountID), ContactInformation: ci}))
		}, "AccessDeniedException", 403, crossAccountDenied("PutContactInformation")},
		{"get contact other account", func() error {
			return call(c.GetContactInformation(ctx, &account.GetContactInformationInput{AccountId: aws.String(otherAccountID)}))
		}, "AccessDeniedException", 403, crossAccountDenied("GetContactInformation")},
		{"info other account", func() error {
			return call(c.GetAccountInformation(ctx, &account.GetAccountInformationInput{AccountId: aws.String(otherAccountID)}))
		}, "AccessDeniedException", 403, crossAccountDenied("GetAccountInformation")},
		{"name other account", func() error {
			return call(c.PutAccountName(ctx, &account.PutAccountNameInput{AccountId: aws.String(otherAccountID), AccountName: aws.String("x")}))
		}, "AccessDeniedException", 403, crossAccountDenied("PutAccountName")},
		{"govcloud", func() error {
			return call(c.GetGovCloudAccountInformation(ctx, &account.GetGovCloudAccountInformationInput{}))
		}, "ResourceNotFoundException", 404, "The GovCloud account linked to this account was not found."},
		{"govcloud other account", func() error {
			return call(c.GetGovCloudAccountInformation(ctx, &account.GetGovCloudAccountInformationInput{StandardAccountId: aws.String(otherAccountID)}))
		}, "AccessDeniedException", 403, crossAccountDenied("GetGovCloudAccountInformation")},
	})
}

// The primary e-mail update end to end: the code crosses a real SMTP dialogue to a loopback server.
func TestAccountPrimaryEmailUpdate(t *testing.T) {
	sink := smtpsink.Start(t)
	s := accountServer(t, Options{SMTPURL: "smtp://" + sink.Addr() + "?from=iamd@example.org"})
	newAccount(t, s, otherAccountID)
	c, ctx := s.Account(RootCreds()), context.Background()
	acct := aws.String(AccountID)
	accept := func(email, otp string) error {
		return call(c.AcceptPrimaryEmailUpdate(ctx, &account.AcceptPrimaryEmailUpdateInput{AccountId: acct, PrimaryEmail: aws.String(email), Otp: aws.String(otp)}))
	}
	runErrCases(t, []errCase{
		{"no primary e-mail yet", func() error { return call(c.GetPrimaryEmail(ctx, &account.GetPrimaryEmailInput{AccountId: acct})) },
			"ResourceNotFoundException", 404, "No primary email found for this account."},
		{"nothing pending", func() error { return accept("new-root@example.com", "ABC123") },
			"ResourceNotFoundException", 404, "No pending primary email update was found."},
	})
	start := must[*account.StartPrimaryEmailUpdateOutput](t, "start")(c.StartPrimaryEmailUpdate(ctx,
		&account.StartPrimaryEmailUpdateInput{AccountId: acct, PrimaryEmail: aws.String("new-root@example.com")}))
	if start.Status != accttypes.PrimaryEmailUpdateStatusPending {
		t.Fatalf("status %v", start.Status)
	}
	msgs := sink.Messages()
	if len(msgs) != 1 {
		t.Fatalf("%d messages", len(msgs))
	}
	m := regexp.MustCompile(`RCPT TO:<new-root@example.com>(?s:.*)\n    ([A-Z0-9]{6})\r\n`).FindStringSubmatch(msgs[0])
	if m == nil {
		t.Fatalf("no code in %q", msgs[0])
	}
	code := m[1]
	wrong := "ZZZZZZ"
	if code == wrong {
		wrong = "YYYYYY"
	}
	runErrCases(t, []errCase{
		{"wrong code", func() error { return accept("new-root@example.com", wrong) }, "ValidationException", 400, "The OTP is not valid."},
		{"code pattern", func() error { return accept("new-root@example.com", "12-45!") }, "ValidationException", 400,
			"1 validation error detected: Value at 'otp' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9]{6}"},
		{"other address", func() error { return accept("else@example.com", code) }, "ValidationException", 400,
			"The primary email does not match the pending update."},
		{"not an address", func() error {
			return call(c.StartPrimaryEmailUpdate(ctx, &account.StartPrimaryEmailUpdateInput{AccountId: acct, PrimaryEmail: aws.String("nobody")}))
		}, "ValidationException", 400, "Invalid email address."},
		{"start other account", func() error {
			return call(c.StartPrimaryEmailUpdate(ctx, &account.StartPrimaryEmailUpdateInput{AccountId: aws.String(otherAccountID), PrimaryEmail: aws.String("x@example.com")}))
		}, "AccessDeniedException", 403, crossAccountDenied("StartPrimaryEmailUpdate")},
		{"accept other account", func() error {
			return call(c.AcceptPrimaryEmailUpdate(ctx, &account.AcceptPrimaryEmailUpdateInput{AccountId: aws.String(otherAccountID),
				PrimaryEmail: aws.String("new-root@example.com"), Otp: aws.String(code)}))
		}, "AccessDeniedException", 403, crossAccountDenied("AcceptPrimaryEmailUpdate")},
		{"get other account", func() error {
			return call(c.GetPrimaryEmail(ctx, &account.GetPrimaryEmailInput{AccountId: aws.String(otherAccountID)}))
		}, "AccessDeniedException", 403, crossAccountDenied("GetPrimaryEmail")},
	})
	out := must[*account.AcceptPrimaryEmailUpdateOutput](t, "accept")(c.AcceptPrimaryEmailUpdate(ctx,
		&account.AcceptPrimaryEmailUpdateInput{AccountId: acct, PrimaryEmail: aws.String("new-root@example.com"), Otp: aws.String(code)}))
	if out.Status != accttypes.PrimaryEmailUpdateStatusAccepted {
		t.Fatalf("status %v", out.Status)
	}
	got := must[*account.GetPrimaryEmailOutput](t, "get")(c.GetPrimaryEmail(ctx, &account.GetPrimaryEmailInput{AccountId: acct}))
	if aws.ToString(got.PrimaryEmail) != "new-root@example.com" {
		t.Fatalf("primary e-mail %q", aws.ToString(got.PrimaryEmail))
	}
	runErrCases(t, []errCase{
		{"code used", func() error { return accept("new-root@example.com", code) }, "ResourceNotFoundException", 404,
			"No pending primary email update was found."},
		{"current address", func() error {
			return call(c.StartPrimaryEmailUpdate(ctx, &account.StartPrimaryEmailUpdateInput{AccountId: acct, PrimaryEmail: aws.String("new-root@example.com")}))
		}, "ConflictException", 409, "The email address is already in use."},
	})
}

// Each operation is authorized as account:<Operation> on the account's ARN, with the condition keys the
// Service Authorization Reference lists.
func TestAccountContactsAuthorization(t *testing.T) {
	e := newAuthzEnv(t)
	acctARN := "arn:aws:account::" + AccountID + ":account"
	creds := e.user("contacts", azDoc(
		`{"Effect":"Allow","Action":["account:GetAlternateContact","account:PutAlternateContact"],"Resource":"`+acctARN+`","Condition":{"StringEquals":{"account:AlternateContactTypes":"SECURITY"}}}`,
		`{"Effect":"Allow","Action":"account:StartPrimaryEmailUpdate","Resource":"*","Condition":{"StringLike":{"account:EmailTargetDomain":"example.com"}}}`,
		azAllow("account:GetAccountInformation", acctARN)))
	c := e.s.Account(creds)
	put := func(typ accttypes.AlternateContactType) error {
		return call(c.PutAlternateContact(e.ctx, &account.PutAlternateContactInput{AlternateContactType: typ, Name: aws.String("a"),
			Title: aws.String("b"), EmailAddress: aws.String("a@example.com"), PhoneNumber: aws.String("+1 555")}))
	}
	if err := put(accttypes.AlternateContactTypeSecurity); err != nil {
		t.Fatal(err)
	}
	must[*account.GetAlternateContactOutput](t, "get")(c.GetAlternateContact(e.ctx, &account.GetAlternateContactInput{AlternateContactType: accttypes.AlternateContactTypeSecurity}))
	must[*account.GetAccountInformationOutput](t, "info")(c.GetAccountInformation(e.ctx, &account.GetAccountInformationInput{}))
	must[*account.StartPrimaryEmailUpdateOutput](t, "start")(c.StartPrimaryEmailUpdate(e.ctx,
		&account.StartPrimaryEmailUpdateInput{AccountId: aws.String(AccountID), PrimaryEmail: aws.String("root@example.com")}))

	user := azARN + "user/contacts"
	wantDenied(t, put(accttypes.AlternateContactTypeBilling), "AccessDeniedException",
		azNotAuthorized(user, "account:PutAlternateContact", acctARN, because("identity-based policy", "account:PutAlternateContact")))
	_, err := c.DeleteAlternateContact(e.ctx, &account.DeleteAlternateContactInput{AlternateContactType: accttypes.AlternateContactTypeSecurity})
	wantDenied(t, err, "AccessDeniedException",
		azNotAuthorized(user, "account:DeleteAlternateContact", acctARN, because("identity-based policy", "account:DeleteAlternateContact")))
	_, err = c.StartPrimaryEmailUpdate(e.ctx, &account.StartPrimaryEmailUpdateInput{AccountId: aws.String(AccountID), PrimaryEmail: aws.String("root@example.org")})
	wantDenied(t, err, "AccessDeniedException",
		azNotAuthorized(user, "account:StartPrimaryEmailUpdate", acctARN, because("identity-based policy", "account:StartPrimaryEmailUpdate")))
	for op, f := range map[string]func() error{
		"PutAccountName": func() error {
			return call(c.PutAccountName(e.ctx, &account.PutAccountNameInput{AccountName: aws.String("x")}))
		},
		"GetContactInformation": func() error {
			return call(c.GetContactInformation(e.ctx, &account.GetContactInformationInput{}))
		},
		"GetPrimaryEmail": func() error {
			return call(c.GetPrimaryEmail(e.ctx, &account.GetPrimaryEmailInput{AccountId: aws.String(AccountID)}))
		},
		"GetGovCloudAccountInformation": func() error {
			return call(c.GetGovCloudAccountInformation(e.ctx, &account.GetGovCloudAccountInformationInput{}))
		},
	} {
		wantDenied(t, f(), "AccessDeniedException", azNotAuthorized(user, "account:"+op, acctARN, because("identity-based policy", "account:"+op)))
	}
}
