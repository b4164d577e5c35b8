package ids

import (
	"errors"
	"regexp"
	"strings"
	"testing"
)

var (
	reKey      = regexp.MustCompile(`^A[KS]IA[A-Z2-7]{16}$`)
	reUnique   = regexp.MustCompile(`^[A-Z]{4}[A-Z2-7]{17}$`)
	reSecret   = regexp.MustCompile(`^[A-Za-z0-9+/]{40}$`)
	reUUIDv4   = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	knownPairs = []struct{ key, account string }{
		// Public example from research on AWS key IDs; checked against the formula in
		// docs/aws-behavior.md, "Identifiers".
		{"ASIAY34FZKBOKMUTVV7A", "609629065308"},
	}
)

func TestAccountFromKnownAccessKeyIDs(t *testing.T) {
	for _, p := range knownPairs {
		got, err := AccountFromAccessKeyID(p.key)
		if err != nil || got != p.account {
			t.Errorf("AccountFromAccessKeyID(%s) = %q, %v; want %s", p.key, got, err, p.account)
		}
	}
}

func TestAccessKeyIDRoundTrip(t *testing.T) {
	accounts := []string{"000000000000", "000000000001", "123456789012", "609629065308", "999999999999", "1099511627775"[:12]}
	for _, acct := range accounts {
		for _, prefix := range []string{PrefixAccessKey, PrefixTemporaryAccessKey} {
			for range 20 {
				id, err := NewAccessKeyID(prefix, acct)
				if err != nil {
					t.Fatalf("NewAccessKeyID(%s, %s): %v", prefix, acct, err)
				}
				if !reKey.MatchString(id) || !strings.HasPrefix(id, prefix) {
					t.Fatalf("bad key ID %q", id)
				}
				got, err := AccountFromAccessKeyID(id)
				if err != nil || got != acct {
					t.Fatalf("AccountFromAccessKeyID(%s) = %q, %v; want %s", id, got, err, acct)
				}
			}
		}
	}
}

func TestAccessKeyIDKeepsRandomBits(t *testing.T) {
	var zero, ones [keyBodyBytes]byte
	for i := range ones {
		ones[i] = 0xff
	}
	a, _ := AccessKeyIDFrom(PrefixAccessKey, "123456789012", zero)
	b, _ := AccessKeyIDFrom(PrefixAccessKey, "123456789012", ones)
	if a == b {
		t.Fatalf("random bits are ignored: %s", a)
	}
	// The reverse direction of the known example: the account bits of its body are replaced exactly.
	id, err := AccessKeyIDFrom(PrefixTemporaryAccessKey, "609629065308", bodyOf(t, "ASIAY34FZKBOKMUTVV7A"))
	if err != nil || id != "ASIAY34FZKBOKMUTVV7A" {
		t.Fatalf("rebuilding the known key gave %q, %v", id, err)
	}
}

func bodyOf(t *testing.T, id string) [keyBodyBytes]byte {
	t.Helper()
	raw, err := b32.DecodeString(id[4:])
	if err != nil {
		t.Fatal(err)
	}
	var out [keyBodyBytes]byte
	copy(out[:], raw)
	return out
}

func TestAccessKeyIDErrors(t *testing.T) {
	for _, acct := range []string{"", "12345678901", "1234567890123", "12345678901a", "-12345678901"} {
		if _, err := NewAccessKeyID(PrefixAccessKey, acct); !errors.Is(err, ErrInvalid) {
			t.Errorf("account %q: err = %v, want ErrInvalid", acct, err)
		}
	}
	// 40 bits hold at most 1099511627775: a 12-digit account above it cannot be encoded.
	if _, err := NewAccessKeyID(PrefixAccessKey, "999999999999"); err != nil {
		t.Errorf("999999999999 should fit: %v", err)
	}
	if _, err := NewAccessKeyID("AKI", "123456789012"); !errors.Is(err, ErrInvalid) {
		t.Errorf("short prefix accepted")
	}
	for _, id := range []string{"AKIA7777777777777777", "", "AKIA", "AKIAIOSFODNN7EXAMPL", "AKIAIOSFODNN7EXAMPLE1", "AKIA0OSFODNN7EXAMPLE", "AKIAiosfodnn7example"} {
		if _, err := AccountFromAccessKeyID(id); !errors.Is(err, ErrInvalid) {
			t.Errorf("AccountFromAccessKeyID(%q) err = %v, want ErrInvalid", id, err)
		}
	}
}

func TestUniqueIDsSecretsRequestIDs(t *testing.T) {
	seen := map[string]bool{}
	for _, p := range []string{PrefixUser, PrefixRole, PrefixGroup, PrefixManagedPolicy, PrefixInstanceProfile, PrefixPublicKey, PrefixCertificate} {
		for range 50 {
			id := NewUniqueID(p)
			if !reUnique.MatchString(id) || !strings.HasPrefix(id, p) || seen[id] {
				t.Fatalf("bad or repeated unique ID %q", id)
			}
			seen[id] = true
		}
	}
	for range 50 {
		s := NewSecretAccessKey()
		if !reSecret.MatchString(s) || seen[s] {
			t.Fatalf("bad or repeated secret %q", s)
		}
		seen[s] = true
		r := NewRequestID()
		if !reUUIDv4.MatchString(r) || seen[r] {
			t.Fatalf("bad or repeated request ID %q", r)
		}
		seen[r] = true
	}
}

func TestIsAccountID(t *testing.T) {
	for s, want := range map[string]bool{"123456789012": true, "000000000000": true, "12345678901": false, "12345678901x": false, "": false} {
		if IsAccountID(s) != want {
			t.Errorf("IsAccountID(%q) != %v", s, want)
		}
	}
}

func TestARNs(t *testing.T) {
	cases := []struct{ got, want string }{
		{UserARN("aws", "123456789012", "/", "alice"), "arn:aws:iam::123456789012:user/alice"},
		{UserARN("aws", "123456789012", "", "alice"), "arn:aws:iam::123456789012:user/alice"},
		{UserARN("aws-cn", "123456789012", "/dev/ops/", "bob"), "arn:aws-cn:iam::123456789012:user/dev/ops/bob"},
		{RoleARN("aws", "123456789012", "/service-role/", "r"), "arn:aws:iam::123456789012:role/service-role/r"},
		{GroupARN("aws", "123456789012", "/", "g"), "arn:aws:iam::123456789012:group/g"},
		{PolicyARN("aws", "aws", "/", "ReadOnlyAccess"), "arn:aws:iam::aws:policy/ReadOnlyAccess"},
		{InstanceProfileARN("aws", "123456789012", "/", "ip"), "arn:aws:iam::123456789012:instance-profile/ip"},
		{RootARN("aws-us-gov", "123456789012"), "arn:aws-us-gov:iam::123456789012:root"},
		{AssumedRoleARN("aws", "123456789012", "r", "s1"), "arn:aws:sts::123456789012:assumed-role/r/s1"},
		{FederatedUserARN("aws", "123456789012", "fed"), "arn:aws:sts::123456789012:federated-user/fed"},
		{AssumedRoleID("AROAEXAMPLEEXAMPLE123", "s1"), "AROAEXAMPLEEXAMPLE123:s1"},
		{FederatedUserID("123456789012", "fed"), "123456789012:fed"},
	}
	for _, c := range cases {
		if c.got != c.want {
			t.Errorf("got %s, want %s", c.got, c.want)
		}
		if strings.HasPrefix(c.want, "arn:") {
			a, err := ParseARN(c.want)
			if err != nil || a.String() != c.want {
				t.Errorf("ParseARN(%s) = %+v, %v", c.want, a, err)
			}
		}
	}
	a, err := ParseARN("arn:aws:sqs:us-east-1:123456789012:queue:with:colons")
	if err != nil || a.Region != "us-east-1" || a.Resource != "queue:with:colons" || a.Service != "sqs" {
		t.Errorf("ParseARN with colons = %+v, %v", a, err)
	}
	for _, bad := range []string{"", "arn", "arn:aws:iam::123456789012", "arm:aws:iam::1:root", "arn::iam::1:root", "arn:aws:iam::1:"} {
		if _, err := ParseARN(bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("ParseARN(%q) err = %v", bad, err)
		}
	}
}

func TestParseIAMResource(t *testing.T) {
	cases := map[string]IAMResource{
		"user/alice":          {KindUser, "/", "alice"},
		"user/dev/ops/alice":  {KindUser, "/dev/ops/", "alice"},
		"role/service-role/x": {KindRole, "/service-role/", "x"},
		"root":                {"root", "", ""},
	}
	for in, want := range cases {
		got, err := ParseIAMResource(in)
		if err != nil || got != want {
			t.Errorf("ParseIAMResource(%q) = %+v, %v; want %+v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "user", "user/", "user/a/", "/alice"} {
		if _, err := ParseIAMResource(bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("ParseIAMResource(%q) err = %v", bad, err)
		}
	}
}

// accessKeyIDShape is the shape of the IDs this package issues: a prefix, then 16 base32 characters.
var accessKeyIDShape = regexp.MustCompile(`^(AKIA|ASIA)[A-Z2-7]{16}$`)

func TestGeneratedKeyIDsHaveTheirShape(t *testing.T) {
	for _, prefix := range []string{PrefixAccessKey, PrefixTemporaryAccessKey} {
		for range 20 {
			id, err := NewAccessKeyID(prefix, "123456789012")
			if err != nil || !accessKeyIDShape.MatchString(id) || id[:len(prefix)] != prefix {
				t.Fatalf("NewAccessKeyID(%s) = %q, %v", prefix, id, err)
			}
		}
	}
}

func FuzzParsers(f *testing.F) {
	f.Add("ASIAY34FZKBOKMUTVV7A")
	f.Add("arn:aws:iam::123456789012:user/a/b/c")
	f.Add("user/")
	f.Fuzz(func(t *testing.T, s string) {
		if acct, err := AccountFromAccessKeyID(s); err == nil && !IsAccountID(acct) {
			t.Fatalf("account %q from %q", acct, s)
		}
		if a, err := ParseARN(s); err == nil && a.String() != s {
			t.Fatalf("ParseARN(%q).String() = %q", s, a.String())
		}
		if r, err := ParseIAMResource(s); err == nil && r.Kind != "root" && (r.Name == "" || r.Path[0] != '/' || r.Path[len(r.Path)-1] != '/') {
			t.Fatalf("ParseIAMResource(%q) = %+v", s, r)
		}
	})
}

var accessKeyIDSyntax = regexp.MustCompile(`^[A-Z0-9]{16,128}$`)

// FuzzAccessKeyIDSyntax: the check the authenticator applies before any lookup is exactly 16 to 128
// characters of A-Z0-9, and every ID this package issues meets it.
func FuzzAccessKeyIDSyntax(f *testing.F) {
	for _, s := range []string{"AKIAIOSFODNN7EXAMPLE", "ASIAY34FZKBOKMUTVV7A", "testing", "foobar_key", "123456789012",
		"AKIA000000000000", "AKIA00000000000", strings.Repeat("A", 128), strings.Repeat("A", 129), "AKIAIOSFODNN7EXAMPLe",
		"AKIAIOSFODNN7EXAMPL\u00c9", "AKIAIOSFODNN7EXAMPLE\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := IsAccessKeyIDSyntax(s), accessKeyIDSyntax.MatchString(s); got != want {
			t.Fatalf("IsAccessKeyIDSyntax(%q) = %v, want %v", s, got, want)
		}
		if accessKeyIDShape.MatchString(s) && !IsAccessKeyIDSyntax(s) {
			t.Fatalf("%q has the shape of an issued key ID but fails the syntax check", s)
		}
	})
}

func TestGeneratedKeyIDsPassTheSyntaxCheck(t *testing.T) {
	for _, prefix := range []string{PrefixAccessKey, PrefixTemporaryAccessKey} {
		id, err := NewAccessKeyID(prefix, "123456789012")
		if err != nil || !IsAccessKeyIDSyntax(id) {
			t.Fatalf("%q (%v) fails the syntax check", id, err)
		}
	}
}
