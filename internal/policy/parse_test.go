package policy

import (
	"errors"
	"strings"
	"testing"
)

func TestParseErrors(t *testing.T) {
	const v = `"Version":"2012-10-17",`
	cases := []struct {
		name string
		kind Kind
		doc  string
		want string // "" means valid
	}{
		{"not json", KindIdentity, `{"Version":`, msgSyntax},
		{"empty", KindIdentity, ``, msgSyntax},
		{"null document", KindIdentity, `null`, msgSyntax},
		{"array document", KindIdentity, `[]`, msgSyntax},
		{"trailing garbage", KindIdentity, `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}} x`, msgSyntax},
		{"trailing comma", KindIdentity, `{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},]}`, msgSyntax},
		{"bad escape", KindIdentity, `{"Statement":{"Effect":"Allow","Action":"\q","Resource":"*"}}`, msgSyntax},
		{"control char in string", KindIdentity, "{\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"a\tb\",\"Resource\":\"*\"}}", msgSyntax},
		{"unknown top field", KindIdentity, `{` + v + `"Foo":1,"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`, msgSyntax},
		{"duplicate top field", KindIdentity, `{` + v + v + `"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`, msgSyntax},
		{"unknown version", KindIdentity, `{"Version":"2012-10-18","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`, msgSyntax},
		{"numeric version", KindIdentity, `{"Version":2012,"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`, msgSyntax},
		{"old version", KindIdentity, `{"Version":"2008-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`, msgVersion},
		{"old version boundary", KindBoundary, `{"Version":"2008-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`, msgVersion},
		{"old version session ok", KindSession, `{"Version":"2008-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`, ""},
		{"no version session ok", KindSession, `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`, ""},
		{"old version trust ok", KindTrust, `{"Version":"2008-10-17","Statement":{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}}`, ""},
		{"no version trust ok", KindTrust, `{"Statement":{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}}`, ""},
		{"old version resource ok", KindResource, `{"Version":"2008-10-17","Statement":{"Effect":"Allow","Principal":"*","Action":"s3:GetObject"}}`, ""},
		{"no version", KindIdentity, `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`, msgVersion},
		{"id ok", KindIdentity, `{` + v + `"Id":"x","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`, ""},
		{"id not string", KindIdentity, `{` + v + `"Id":1,"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`, msgSyntax},
		{"missing statement", KindIdentity, `{` + v[:len(v)-1] + `}`, msgSyntax},
		{"empty statement list", KindIdentity, `{` + v + `"Statement":[]}`, msgSyntax},
		{"statement string", KindIdentity, `{` + v + `"Statement":"x"}`, msgSyntax},
		{"statement element not object", KindIdentity, `{` + v + `"Statement":["x"]}`, msgSyntax},
		{"missing effect", KindIdentity, `{` + v + `"Statement":{"Action":"*","Resource":"*"}}`, msgSyntax},
		{"lowercase effect", KindIdentity, `{` + v + `"Statement":{"Effect":"allow","Action":"*","Resource":"*"}}`, msgLegacy},
		{"effect list", KindIdentity, `{` + v + `"Statement":{"Effect":["Allow"],"Action":"*","Resource":"*"}}`, msgSyntax},
		{"unknown statement field", KindIdentity, `{` + v + `"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Foo":"x"}}`, msgSyntax},
		{"lowercase element name", KindIdentity, `{` + v + `"Statement":{"Effect":"Allow","action":"*","Resource":"*"}}`, msgSyntax},
		{"duplicate statement field", KindIdentity, `{` + v + `"Statement":{"Effect":"Allow","Action":"*","Action":"*","Resource":"*"}}`, msgSyntax},
		{"no action", KindIdentity, `{` + v + `"Statement":{"Effect":"Allow","Resource":"*"}}`, msgNoActions},
		{"empty action list", KindIdentity, `{` + v + `"Statement":{"Effect":"Allow","Action":[],"Resource":"*"}}`, msgNoActions},
		{"action and notaction", KindIdentity, `{` + v + `"Statement":{"Effect":"Allow","Action":"*","NotAction":"*","Resource":"*"}}`, msgSyntax},
		{"action number", KindIdentity, `{` + v + `"Statement":{"Effect":"Allow","Action":[1],"Resource":"*"}}`, msgSyntax},
		{"action object", KindIdentity, `{` + v + `"Statement":{"Effect":"Allow","Action":{"a":"b"},"Resource":"*"}}`, msgSyntax},
		{"action without vendor", KindIdentity, `{` + v + `"Statement":{"Effect":"Allow","Action":"CreateUser","Resource":"*"}}`, msgVendor},
		{"action empty vendor", KindIdentity, `{` + v + `"Statement":{"Effect":"Allow","Action":":CreateUser","Resource":"*"}}`, ""},
		{"action empty", KindIdentity, `{` + v + `"Statement":{"Effect":"Allow","Action":"","Resource":"*"}}`, msgVendor},
		{"action wildcard in vendor", KindIdentity, `{` + v + `"Statement":{"Effect":"Allow","Action":"s*:Get","Resource":"*"}}`, "Vendor s* is not valid"},
		{"action dot in vendor ok", KindIdentity, `{` + v + `"Statement":{"Effect":"Allow","Action":"s3.s:ListBucket","Resource":"*"}}`, ""},
		{"action two colons", KindIdentity, `{` + v + `"Statement":{"Effect":"Allow","Action":"iam:a:b","Resource":"*"}}`, msgOneColon},
		{"action bad vendor", KindIdentity, `{` + v + `"Statement":{"Effect":"Allow","Action":"i am:x","Resource":"*"}}`, "Vendor i am is not valid"},
		{"action wildcard vendor ok", KindIdentity, `{` + v + `"Statement":{"Effect":"Allow","Action":"*:Get*","Resource":"*"}}`, ""},
		{"no resource", KindIdentity, `{` + v + `"Statement":{"Effect":"Allow","Action":"*"}}`, msgNoResources},
		{"no resource boundary", KindBoundary, `{` + v + `"Statement":{"Effect":"Allow","Action":"*"}}`, msgNoResources},
		{"no resource session", KindSession, `{` + v + `"Statement":{"Effect":"Allow","Action":"*"}}`, msgNoResources},
		{"empty resource list", KindIdentity, `{` + v + `"Statement":{"Effect":"Allow","Action":"*","Resource":[]}}`, msgNoResources},
		{"resource and notresource", KindIdentity, `{` + v + `"Statement":{"Effect":"Allow","Action":"*","Resource":"*","NotResource":"*"}}`, msgSyntax},
		{"resource not arn", KindIdentity, `{` + v + `"Statement":{"Effect":"Allow","Action":"*","Resource":"bucket"}}`, `Resource bucket must be in ARN format or "*".`},
		{"principal in identity", KindIdentity, `{` + v + `"Statement":{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}}`, msgNoPrincipalAllowed},
		{"notprincipal in identity", KindIdentity, `{` + v + `"Statement":{"Effect":"Deny","NotPrincipal":{"AWS":"123456789012"},"Action":"*","Resource":"*"}}`, msgNoPrincipalAllowed},
		{"principal in session", KindSession, `{` + v + `"Statement":{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}}`, msgNoPrincipalAllowed},
		{"trust ok", KindTrust, `{` + v + `"Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"}}`, ""},
		{"trust missing principal", KindTrust, `{` + v + `"Statement":{"Effect":"Allow","Action":"sts:AssumeRole"}}`, msgNoPrincipals},
		{"trust with resource", KindTrust, `{` + v + `"Statement":{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole","Resource":"*"}}`, msgResourceProhibited},
		{"trust with notresource", KindTrust, `{` + v + `"Statement":{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole","NotResource":"*"}}`, msgNotResourceProhib},
		{"trust non sts action", KindTrust, `{` + v + `"Statement":{"Effect":"Allow","Principal":"*","Action":"iam:GetUser"}}`, msgTrustActions},
		{"trust tag session ok", KindTrust, `{` + v + `"Statement":{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":["sts:AssumeRole","sts:TagSession"]}}`, ""},
		{"trust principal and notprincipal", KindTrust, `{` + v + `"Statement":{"Effect":"Allow","Principal":"*","NotPrincipal":"*","Action":"sts:AssumeRole"}}`, msgSyntax},
		{"invalid aws principal", KindTrust, `{` + v + `"Statement":{"Effect":"Allow","Principal":{"AWS":"x"},"Action":"sts:AssumeRole"}}`, `Invalid principal in policy: "AWS":"x"`},
		{"wildcard in principal arn", KindTrust, `{` + v + `"Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:user/*"},"Action":"sts:AssumeRole"}}`, `Invalid principal in policy: "AWS":"arn:aws:iam::123456789012:user/*"`},
		{"group principal invalid", KindTrust, `{` + v + `"Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:group/g"},"Action":"sts:AssumeRole"}}`, `Invalid principal in policy: "AWS":"arn:aws:iam::123456789012:group/g"`},
		{"short account principal", KindTrust, `{` + v + `"Statement":{"Effect":"Allow","Principal":{"AWS":"12345"},"Action":"sts:AssumeRole"}}`, `Invalid principal in policy: "AWS":"12345"`},
		{"session arn principal", KindTrust, `{` + v + `"Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:sts::123456789012:assumed-role/r/s"},"Action":"sts:AssumeRole"}}`, ""},
		{"principal string not star", KindTrust, `{` + v + `"Statement":{"Effect":"Allow","Principal":"123456789012","Action":"sts:AssumeRole"}}`, msgSyntax},
		{"principal unknown type", KindTrust, `{` + v + `"Statement":{"Effect":"Allow","Principal":{"Foo":"x"},"Action":"sts:AssumeRole"}}`, msgSyntax},
		{"principal empty object", KindTrust, `{` + v + `"Statement":{"Effect":"Allow","Principal":{},"Action":"sts:AssumeRole"}}`, msgSyntax},
		{"empty service principal", KindTrust, `{` + v + `"Statement":{"Effect":"Allow","Principal":{"Service":""},"Action":"sts:AssumeRole"}}`, `Invalid principal in policy: "Service":""`},
		{"federated principal ok", KindTrust, `{` + v + `"Statement":{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::123456789012:oidc-provider/example.com"},"Action":"sts:AssumeRoleWithWebIdentity"}}`, ""},
		{"resource policy no resource ok", KindResource, `{` + v + `"Statement":{"Effect":"Allow","Principal":"*","Action":"s3:GetObject"}}`, ""},
		{"resource policy missing principal", KindResource, `{` + v + `"Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}}`, msgNoPrincipals},
		{"duplicate sid", KindIdentity, `{` + v + `"Statement":[{"Sid":"A","Effect":"Allow","Action":"*","Resource":"*"},{"Sid":"A","Effect":"Deny","Action":"*","Resource":"*"}]}`, msgSidUnique},
		{"distinct sids", KindIdentity, `{` + v + `"Statement":[{"Sid":"A","Effect":"Allow","Action":"*","Resource":"*"},{"Sid":"B","Effect":"Deny","Action":"*","Resource":"*"}]}`, ""},
		{"empty sids repeat ok", KindIdentity, `{` + v + `"Statement":[{"Sid":"","Effect":"Allow","Action":"*","Resource":"*"},{"Sid":"","Effect":"Deny","Action":"*","Resource":"*"}]}`, ""},
		{"sid not alnum", KindIdentity, `{` + v + `"Statement":{"Sid":"my sid","Effect":"Allow","Action":"*","Resource":"*"}}`, msgSidAlnum},
		{"sid not string", KindIdentity, `{` + v + `"Statement":{"Sid":1,"Effect":"Allow","Action":"*","Resource":"*"}}`, msgSyntax},
		{"unknown operator", KindIdentity, `{` + v + `"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEqualz":{"aws:username":"a"}}}}`, msgSyntax},
		{"operator block not object", KindIdentity, `{` + v + `"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":"a"}}}`, msgSyntax},
		{"missing operator", KindIdentity, `{` + v + `"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"servicecatalog:accountLevel":"self"}}}`, msgSyntax},
		{"condition not object", KindIdentity, `{` + v + `"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":[]}}`, msgSyntax},
		{"condition key without vendor ok", KindIdentity, `{` + v + `"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"username":"a"}}}}`, ""},
		{"unknown operator empty block ok", KindIdentity, `{` + v + `"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEqualz":{}}}}`, ""},
		{"condition value list of lists", KindIdentity, `{` + v + `"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"a":[["b"]]}}}}`, msgSyntax},
		{"null in resource list ok", KindIdentity, `{` + v + `"Statement":{"Effect":"Allow","Action":"*","Resource":["*",null]}}`, ""},
		{"null in action list", KindIdentity, `{` + v + `"Statement":{"Effect":"Allow","Action":["*",null],"Resource":"*"}}`, msgSyntax},
		{"condition value object", KindIdentity, `{` + v + `"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:username":{"a":1}}}}}`, msgSyntax},
		{"condition value null", KindIdentity, `{` + v + `"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:username":null}}}}`, msgSyntax},
		{"condition bool value ok", KindIdentity, `{` + v + `"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":false}}}}`, ""},
		{"condition number value ok", KindIdentity, `{` + v + `"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"NumericLessThan":{"s3:max-keys":10}}}}`, ""},
		{"null ifexists rejected", KindIdentity, `{` + v + `"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"NullIfExists":{"aws:username":"true"}}}}`, msgSyntax},
		{"forallvalues ifexists ok", KindIdentity, `{` + v + `"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"ForAllValues:StringLikeIfExists":{"aws:TagKeys":"a*"}}}}`, ""},
		// Resource formats beyond the checked cases.
		{"iam any resource ok", KindIdentity, `{` + v + `"Statement":{"Effect":"Allow","Action":"iam:*","Resource":"arn:aws:iam::123456789012:*"}}`, ""},
		{"iam root resource", KindIdentity, `{` + v + `"Statement":{"Effect":"Allow","Action":"iam:*","Resource":"arn:aws:iam::123456789012:root"}}`,
			`IAM resource path must either be "*" or start with user/, federated-user/, role/, group/, instance-profile/, mfa/, server-certificate/, policy/, sms-mfa/, saml-provider/, oidc-provider/, report/, access-report/.`},
		{"other partition ok", KindIdentity, `{` + v + `"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws-cn:s3:::b"}}`, ""},
		{"wildcard partition ok", KindIdentity, `{` + v + `"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"arn:*:s3:::b"}}`, ""},
		{"first statement's resource error", KindIdentity, `{` + v + `"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"x"},{"Effect":"Allow","Action":"s3:*","Resource":"y"}]}`, `Resource x must be in ARN format or "*".`},
		{"resource error after sids", KindIdentity, `{` + v + `"Statement":[{"Sid":"a","Effect":"Allow","Action":"s3:*","Resource":"x"},{"Sid":"a","Effect":"Allow","Action":"s3:*","Resource":"*"}]}`, msgSidUnique},
		{"legacy resource error only without format error", KindIdentity, `{` + v + `"Statement":{"Effect":"Allow","Action":"s3:*","Resource":["arn:aws:s3::b","x"]}}`, `Resource x must be in ARN format or "*".`},
		{"date epoch ok", KindIdentity, `{` + v + `"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"DateLessThan":{"aws:CurrentTime":1700000000}}}}`, ""},
		{"date negative offset ok", KindIdentity, `{` + v + `"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"DateLessThan":{"aws:CurrentTime":"2020-01-01T00:00:00-05:00"}}}}`, ""},
		{"date bool", KindIdentity, `{` + v + `"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"DateLessThan":{"aws:CurrentTime":true}}}}`, msgLegacy},
		{"date month 13 in a set operator", KindIdentity, `{` + v + `"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"ForAnyValue:DateEqualsIfExists":{"a":["2020-01-01","2020-13-01"]}}}}`, msgLegacy},
		// The kind's rules come after the common stages.
		{"trust legacy before principal", KindTrust, `{` + v + `"Statement":{"Effect":"allow","Action":"sts:AssumeRole"}}`, msgLegacy},
		{"trust vendor before principal", KindTrust, `{` + v + `"Statement":{"Effect":"Allow","Action":"AssumeRole"}}`, msgVendor},
		{"trust not an object", KindTrust, `"x"`, msgSyntax},
		{"trust not json", KindTrust, `{"Statement":`, msgInvalidJSON},
		{"trust too long", KindTrust, strings.Repeat(" ", maxDocumentBytes+1), msgSyntax},
		{"identity principal after resources", KindIdentity, `{` + v + `"Statement":{"Effect":"Allow","Principal":"*","Action":"s3:*"}}`, msgNoResources},
		{"deep nesting", KindIdentity, strings.Repeat("[", 100) + strings.Repeat("]", 100), msgSyntax},
		{"unicode escapes ok", KindIdentity, `{` + v + `"Statement":{"Effect":"Allow","Action":"\u0069am:*","Resource":"*"}}`, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Parse(tc.doc, tc.kind)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("Parse: %v", err)
				}
				if p == nil || len(p.Statements) == 0 {
					t.Fatal("no statements")
				}
				return
			}
			if err == nil {
				t.Fatalf("Parse accepted the document, want %q", tc.want)
			}
			var me *MalformedError
			if !errors.As(err, &me) || !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %T is not a MalformedError", err)
			}
			if me.Message != tc.want {
				t.Fatalf("message %q, want %q", me.Message, tc.want)
			}
		})
	}
}

func TestPositions(t *testing.T) {
	doc := "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {\"Effect\": \"Allow\", \"Action\": \"*\", \"Resource\": \"*\"},\n    {\n      \"Effect\": \"Deny\",\n      \"Action\": \"iam:*\",\n      \"Resource\": \"*\"\n    }\n  ]\n}"
	p, err := Parse(doc, KindIdentity)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct{ start, end Position }{
		{Position{4, 5}, Position{4, 56}},
		{Position{5, 5}, Position{9, 6}},
	}
	for i, w := range want {
		st := p.Statements[i]
		if st.Start != w.start || st.End != w.end {
			t.Errorf("statement %d: %v-%v, want %v-%v", i, st.Start, st.End, w.start, w.end)
		}
	}
}

func TestSize(t *testing.T) {
	cases := []struct {
		doc  string
		want int
	}{
		{`{"a":"b"}`, 9},
		{"{\n  \"a\" : \"b\"\n}", 9},
		{`{"a":"b c"}`, 11},
		{"{\t\"a\":\r\n\"é\"}", 9},
		{`{"a":"\" x"}`, 12},
		{``, 0},
	}
	for _, tc := range cases {
		if got := Size(tc.doc); got != tc.want {
			t.Errorf("Size(%q) = %d, want %d", tc.doc, got, tc.want)
		}
	}
}

func TestContextKeys(t *testing.T) {
	doc := `{"Version":"2012-10-17","Statement":[
	 {"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b/${aws:username}/*",
	  "Condition":{"StringEquals":{"aws:PrincipalTag/team":"${aws:RequestTag/team}","AWS:USERNAME":"x"},
	  "IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}]}`
	p, err := Parse(doc, KindIdentity)
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(p.ContextKeys(), ",")
	want := "aws:username,aws:PrincipalTag/team,aws:RequestTag/team,aws:SourceIp"
	if got != want {
		t.Fatalf("ContextKeys = %s, want %s", got, want)
	}
	// 2008-10-17 has no policy variables.
	p, err = Parse(`{"Version":"2008-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b/${aws:username}"}}`, KindSession)
	if err != nil {
		t.Fatal(err)
	}
	if k := p.ContextKeys(); len(k) != 0 {
		t.Fatalf("2008 policy keys %v", k)
	}
}

func TestPrincipalARNs(t *testing.T) {
	p, err := Parse(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["123456789012","arn:aws:iam::123456789012:user/u"],"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"},{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:role/r"},"Action":"sts:AssumeRole"}]}`, KindTrust)
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(p.PrincipalARNs(), ",")
	if want := "123456789012,arn:aws:iam::123456789012:user/u,arn:aws:iam::123456789012:role/r"; got != want {
		t.Fatalf("PrincipalARNs = %s, want %s", got, want)
	}
}

// Documents longer than any IAM operation accepts are refused before they are read.
func TestParseDocumentSizeLimit(t *testing.T) {
	body := `"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`
	fit := "{" + strings.Repeat(" ", maxDocumentBytes-1-len(body)) + body
	if _, err := Parse(fit, KindIdentity); err != nil {
		t.Fatalf("a document of %d bytes: %v", len(fit), err)
	}
	if _, err := Parse(" "+fit, KindIdentity); err == nil || err.Error() != msgSyntax {
		t.Fatalf("a document of %d bytes: %v", len(fit)+1, err)
	}
}

// TestParseChecked runs the documents whose answers were checked against AWS one by one.
func TestParseChecked(t *testing.T) {
	for i, tc := range checkedInvalid {
		_, err := Parse(tc.doc, KindIdentity)
		var me *MalformedError
		if !errors.As(err, &me) || me.Message != tc.want {
			t.Errorf("invalid %d: %s\ngot  %v\nwant %s", i, tc.doc, err, tc.want)
		}
	}
	for i, doc := range checkedValid {
		if _, err := Parse(doc, KindIdentity); err != nil {
			t.Errorf("valid %d: %s\n%v", i, doc, err)
		}
	}
}

// ParseStored compiles what Parse accepts and what earlier rules let through, and refuses what evaluation
// cannot give a meaning to.
func TestParseStored(t *testing.T) {
	cases := []struct {
		name string
		kind Kind
		doc  string
		want string // "" means it compiles
	}{
		{"no version", KindIdentity, `{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}`, ""},
		{"short arn", KindIdentity, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3::b"}}`, ""},
		{"iam arn with region", KindBoundary, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"iam:*","Resource":"arn:aws:iam:*:1:x"}}`, ""},
		{"wildcard vendor", KindIdentity, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s*:Get","Resource":"*"}}`, ""},
		{"date that does not parse", KindSession, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"DateLessThan":{"a":"x"}}}}`, ""},
		{"syntax", KindIdentity, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Foo":1}}`, msgSyntax},
		{"no actions", KindIdentity, `{"Statement":{"Effect":"Deny","Resource":"*"}}`, msgNoActions},
		{"empty NotAction", KindIdentity, `{"Statement":{"Effect":"Deny","NotAction":[],"Resource":"*"}}`, msgNoActions},
		{"no resources", KindIdentity, `{"Statement":{"Effect":"Allow","Action":"*"}}`, msgNoResources},
		{"trust without principal", KindTrust, `{"Statement":{"Effect":"Allow","Action":"sts:AssumeRole"}}`, msgNoPrincipals},
		{"trust with resource", KindTrust, `{"Statement":{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole","Resource":"*"}}`, msgResourceProhibited},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, err := ParseStored(tc.doc, tc.kind)
			if tc.want == "" {
				if err != nil || len(p.Statements) == 0 {
					t.Fatalf("ParseStored: %v", err)
				}
				return
			}
			var me *MalformedError
			if !errors.As(err, &me) || me.Message != tc.want {
				t.Fatalf("got %v, want %q", err, tc.want)
			}
		})
	}
	// Lowercase Effect, which Parse refuses, keeps its meaning.
	p, err := ParseStored(`{"Statement":{"Effect":"deny","Action":"*","Resource":"*"}}`, KindIdentity)
	if err != nil || p.Statements[0].Effect != Deny {
		t.Fatalf("lowercase deny: %v", err)
	}
}
