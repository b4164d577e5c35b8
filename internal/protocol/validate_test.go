package protocol_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/iamd/iamd/internal/api/iamapi"
	"github.com/iamd/iamd/internal/api/stsapi"
	"github.com/iamd/iamd/internal/protocol"
)

func decodeAndValidate(t *testing.T, svc *protocol.ServiceInfo, body string) error {
	t.Helper()
	_, in, err := protocol.Decode(svc, formRequest(body), []byte(body))
	if err != nil {
		return err
	}
	return protocol.ValidateInput(in)
}

func TestValidationMessages(t *testing.T) {
	cases := []struct {
		svc  *protocol.ServiceInfo
		body string
		want string
	}{
		{stsapi.Info, "Action=AssumeRole&Version=2011-06-15&RoleSessionName=bad+name!&DurationSeconds=10",
			`3 validation errors detected: Value null at 'roleArn' failed to satisfy constraint: Member must not be null; ` +
				`Value 'bad name!' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w+=,.@-]*; ` +
				`Value '10' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900`},
		{stsapi.Info, "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fr&RoleSessionName=x",
			`1 validation error detected: Value 'x' at 'roleSessionName' failed to satisfy constraint: Member must have length greater than or equal to 2`},
		{iamapi.Info, "Action=SetSecurityTokenServicePreferences&Version=2010-05-08&GlobalEndpointTokenVersion=v3Token",
			`1 validation error detected: Value 'v3Token' at 'globalEndpointTokenVersion' failed to satisfy constraint: Member must satisfy enum value set: [v1Token, v2Token]`},
		{iamapi.Info, "Action=CreateUser&Version=2010-05-08&UserName=" + strings.Repeat("a", 65),
			`1 validation error detected: Value '` + strings.Repeat("a", 65) + `' at 'userName' failed to satisfy constraint: Member must have length less than or equal to 64`},
		{iamapi.Info, "Action=GetUser&Version=2010-05-08", ""},
		{iamapi.Info, "Action=CreateUser&Version=2010-05-08",
			`1 validation error detected: Value null at 'userName' failed to satisfy constraint: Member must not be null`},
		{iamapi.Info, "Action=CreateUser&Version=2010-05-08&UserName=bob&Tags.member.1.Value=v",
			`1 validation error detected: Value null at 'tags.1.member.key' failed to satisfy constraint: Member must not be null`},
		// Sensitive values are left out of the message.
		{iamapi.Info, "Action=CreateLoginProfile&Version=2010-05-08&UserName=bob&Password=%C4%80",
			`1 validation error detected: Value at 'password' failed to satisfy constraint: Member must satisfy regular expression pattern: [\u0009\u000A\u000D\u0020-\u00FF]+`},
	}
	for _, c := range cases {
		err := decodeAndValidate(t, c.svc, c.body)
		if c.want == "" {
			if err != nil {
				t.Errorf("%s: %v", c.body, err)
			}
			continue
		}
		var ae protocol.APIError
		if !errors.As(err, &ae) {
			t.Errorf("%s: no API error: %v", c.body, err)
			continue
		}
		if ae.ErrorCode() != "ValidationError" || ae.HTTPStatus() != 400 || ae.Fault() != "Sender" || ae.ErrorMessage() != c.want {
			t.Errorf("%s:\n got %s %d %s\nwant %s", c.body, ae.ErrorCode(), ae.HTTPStatus(), ae.ErrorMessage(), c.want)
		}
	}
}

func TestValidationListLength(t *testing.T) {
	var b strings.Builder
	b.WriteString("Action=CreateUser&Version=2010-05-08&UserName=bob")
	for i := 1; i <= 51; i++ {
		b.WriteString("&Tags.member." + itoa(i) + ".Key=k" + itoa(i) + "&Tags.member." + itoa(i) + ".Value=v")
	}
	err := decodeAndValidate(t, iamapi.Info, b.String())
	if err == nil || !strings.Contains(err.Error(), "at 'tags' failed to satisfy constraint: Member must have length less than or equal to 50") {
		t.Fatalf("got %v", err)
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

func TestQueryDecodeErrors(t *testing.T) {
	cases := []struct {
		body, code, msg string
		status          int
	}{
		{"Action=GetCallerIdentity&Version=2011-06-16", "InvalidAction", "Could not find operation GetCallerIdentity for version 2011-06-16", 400},
		{"Action=GetCallerIdentity", "InvalidAction", "Could not find operation GetCallerIdentity for version NO_VERSION_SPECIFIED", 400},
		{"Action=Nope&Version=2011-06-15", "InvalidAction", "Could not find operation Nope for version 2011-06-15", 400},
		{"Version=2011-06-15", "MissingAction", "Missing Action", 400},
		{"Action=GetCallerIdentity&Version=2011-06-15&Bad=%zz", "MalformedQueryString", "Invalid percent-encoding in the value of parameter Bad.", 400},
		{"Action=GetCallerIdentity&Version=2011-06-15&Bad=%f", "MalformedQueryString", "", 400},
		{"Action=GetCallerIdentity&Version=2011-06-15&Bad=%ff", "MalformedQueryString", "Parameters must be valid UTF-8.", 400},
		{"Action=GetCallerIdentity&Version=2011-06-15&Action=GetCallerIdentity", "MalformedQueryString", "Parameter Action is given more than once.", 400},
		{"Action=AssumeRole&Version=2011-06-15&DurationSeconds=12x", "InvalidParameterValue", "Value (12x) for parameter DurationSeconds is invalid. It must be an integer.", 400},
		{"Action=AssumeRole&Version=2011-06-15&DurationSeconds=99999999999", "InvalidParameterValue", "", 400},
		{"Action=CreateRole&Version=2010-05-08&MaxSessionDuration=1.5", "InvalidParameterValue", "", 400},
		{"Action=UpdateAccountPasswordPolicy&Version=2010-05-08&RequireSymbols=yes", "InvalidParameterValue", "Value (yes) for parameter RequireSymbols is invalid. It must be true or false.", 400},
	}
	for _, c := range cases {
		svc := stsapi.Info
		if strings.Contains(c.body, "2010-05-08") {
			svc = iamapi.Info
		}
		_, _, err := protocol.Decode(svc, formRequest(c.body), []byte(c.body))
		var ae protocol.APIError
		if !errors.As(err, &ae) || ae.ErrorCode() != c.code || ae.HTTPStatus() != c.status || (c.msg != "" && ae.ErrorMessage() != c.msg) {
			t.Errorf("%s: got %v", c.body, err)
		}
	}
}

func TestQueryDecodeShapes(t *testing.T) {
	// Gaps and order: elements come in numeric order, whatever the parameter order; non-numeric and
	// absurd indices are unknown parameters.
	body := "Action=CreateUser&Version=2010-05-08&UserName=bob&Tags.member.10.Key=ten&Tags.member.10.Value=x" +
		"&Tags.member.2.Key=two&Tags.member.2.Value=y&Tags.member.x.Key=no&Tags.member.0.Key=zero&Tags.member.99999999999.Key=big"
	_, in, err := protocol.Decode(iamapi.Info, formRequest(body), []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	tags := in.(*iamapi.CreateUserRequest).Tags
	if len(tags) != 2 || *tags[0].Key != "two" || *tags[1].Key != "ten" {
		t.Fatalf("tags %+v", tags)
	}
	// "Name=" is an explicitly empty list.
	body = "Action=AssumeRole&Version=2011-06-15&PolicyArns=&RoleArn=a"
	_, in, err = protocol.Decode(stsapi.Info, formRequest(body), []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if pa := in.(*stsapi.AssumeRoleRequest).PolicyArns; pa == nil || len(pa) != 0 {
		t.Fatalf("policy arns %#v", pa)
	}
	// GET with the query string; booleans, integers.
	r := httptest.NewRequest(http.MethodGet, "/?Action=UpdateAccountPasswordPolicy&Version=2010-05-08&RequireSymbols=TRUE&MinimumPasswordLength=12", nil)
	_, in, err = protocol.Decode(iamapi.Info, r, nil)
	if err != nil {
		t.Fatal(err)
	}
	pp := in.(*iamapi.UpdateAccountPasswordPolicyRequest)
	if !protocol.ToBool(pp.RequireSymbols) || protocol.ToInt32(pp.MinimumPasswordLength) != 12 || pp.RequireNumbers != nil {
		t.Fatalf("%+v", pp)
	}
	// A query request with a body that is not a form is refused.
	r = httptest.NewRequest(http.MethodPost, "/", strings.NewReader(`{"a":1}`))
	r.Header.Set("Content-Type", "application/json")
	if _, _, err := protocol.Decode(iamapi.Info, r, []byte(`{"a":1}`)); err == nil {
		t.Fatal("JSON body accepted by a query service")
	}
}

func TestXMLEscaping(t *testing.T) {
	rec := httptest.NewRecorder()
	protocol.WriteError(rec, iamapi.Info, iamapi.NewMalformedPolicyDocumentException("bad <\"&'>\r\x01\xff"), "r")
	want := `<Message>bad &lt;&quot;&amp;&apos;&gt;&#xD;` + "\uFFFD\uFFFD" + `</Message>`
	if !strings.Contains(rec.Body.String(), want) {
		t.Fatalf("got %s", rec.Body.String())
	}
	if _, err := parseXML(rec.Body.Bytes()); err != nil {
		t.Fatal(err)
	}
}
