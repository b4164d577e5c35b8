package protocol_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/iamd/iamd/internal/api/accountapi"
	"github.com/iamd/iamd/internal/api/iamapi"
	"github.com/iamd/iamd/internal/api/stsapi"
	"github.com/iamd/iamd/internal/protocol"
)

// FuzzQueryDecode feeds arbitrary form bodies to every query service: decoding, validating and writing the
// resulting error must never panic, and any error must be an APIError with a 4xx status.
func FuzzQueryDecode(f *testing.F) {
	for _, s := range []string{
		"Action=GetCallerIdentity&Version=2011-06-15",
		"Action=CreateUser&Version=2010-05-08&UserName=bob&Tags.member.1.Key=a&Tags.member.1.Value=b",
		"Action=AssumeRole&Version=2011-06-15&RoleArn=x&RoleSessionName=s&PolicyArns.member.1.arn=y&Tags.member.2.Key=k",
		"Action=CreateUser&Version=2010-05-08&Tags=&Tags.member.1=x",
		"Action=UpdateAccountPasswordPolicy&Version=2010-05-08&MinimumPasswordLength=-1&RequireSymbols=true",
		"%zz=1&Action=%ff",
		"Action=CreateUser&Action=CreateUser",
		"Action=PutUserPolicy&Version=2010-05-08&PolicyDocument=%7B%22a%22%3A1%7D&UserName=a&PolicyName=b",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		for _, svc := range []*protocol.ServiceInfo{iamapi.Info, stsapi.Info} {
			op, in, err := protocol.Decode(svc, formRequest(body), []byte(body))
			if err == nil {
				err = protocol.ValidateInput(in)
				if err == nil {
					// Round trip the decoded input through the XML encoder as if it were an output.
					_ = protocol.AppendQueryResult(nil, &protocol.Operation{Name: op.Name, Output: op.Input, Service: svc}, in, "r")
					continue
				}
			}
			ae := protocol.AsAPIError(svc, err)
			if ae.HTTPStatus() < 400 || ae.HTTPStatus() >= 500 {
				t.Fatalf("%q: status %d for %v", body, ae.HTTPStatus(), err)
			}
			rec := httptest.NewRecorder()
			protocol.WriteError(rec, svc, err, "r")
			if _, perr := parseXML(rec.Body.Bytes()); perr != nil {
				t.Fatalf("error document does not parse: %v\n%s", perr, rec.Body.String())
			}
		}
	})
}

// FuzzXMLRoundTrip encodes a User with arbitrary strings and checks the document parses back to them.
func FuzzXMLRoundTrip(f *testing.F) {
	f.Add("bob", "/", "k", "v")
	f.Add("a<b>&c", "/\r\n/", "\x00", "\xff\xfe")
	f.Add("]]>", "'\"", "\u2028", "\U0001F600")
	f.Fuzz(func(t *testing.T, name, path, key, value string) {
		op := iamapi.Info.ByName["GetUser"]
		out := &iamapi.GetUserResponse{User: &iamapi.User{UserName: &name, Path: &path,
			Tags: []iamapi.Tag{{Key: &key, Value: &value}}}}
		rec := httptest.NewRecorder()
		if err := protocol.WriteResult(rec, op, out, "r"); err != nil {
			t.Fatal(err)
		}
		root, err := parseXML(rec.Body.Bytes())
		if err != nil {
			t.Fatalf("%v\n%q", err, rec.Body.String())
		}
		res := root.child("GetUserResult")
		if res == nil {
			t.Fatalf("no result in %s", rec.Body.String())
		}
		got := xmlStruct(op.Output, res)["User"].(map[string]any)
		if got["UserName"] != xmlSafe(name) || got["Path"] != xmlSafe(path) {
			t.Fatalf("got %q %q want %q %q", got["UserName"], got["Path"], xmlSafe(name), xmlSafe(path))
		}
		tags := got["Tags"].([]any)
		tag := tags[0].(map[string]any)
		if tag["Key"] != xmlSafe(key) || tag["Value"] != xmlSafe(value) {
			t.Fatalf("tag %q", tag)
		}
	})
}

// xmlSafe is what survives an XML round trip: characters XML cannot carry become U+FFFD.
func xmlSafe(s string) string {
	var b strings.Builder
	for len(s) > 0 {
		r, size := utf8.DecodeRuneInString(s)
		s = s[size:]
		if r < 0x20 && r != '\t' && r != '\n' && r != '\r' || r == 0xFFFE || r == 0xFFFF {
			r = utf8.RuneError // invalid bytes decode to RuneError one byte at a time, as the encoder sees them
		}
		b.WriteRune(r)
	}
	return b.String()
}

// FuzzJSONRoundTrip decodes arbitrary Account request bodies; whatever decodes must encode to JSON that
// decodes again to the same value.
func FuzzJSONRoundTrip(f *testing.F) {
	f.Add(`{"AccountId":"123456789012","AlternateContactType":"BILLING","EmailAddress":"a@b.c","Name":"n","PhoneNumber":"+1","Title":"t"}`)
	f.Add(`{"RegionName":"af-south-1"}`)
	f.Add(`{"MaxResults":5,"NextToken":"x","RegionOptStatusContains":["ENABLED","DISABLED"]}`)
	f.Add(`{"RegionName":"\u00e9\ud800"}`)
	f.Add(`[`)
	f.Fuzz(func(t *testing.T, body string) {
		for _, name := range []string{"PutAlternateContact", "ListRegions", "EnableRegion"} {
			op := accountapi.Info.ByName[name]
			r := httptest.NewRequest(http.MethodPost, op.RequestURI, strings.NewReader(body))
			_, in, err := protocol.Decode(accountapi.Info, r, []byte(body))
			if err != nil {
				if ae := protocol.AsAPIError(accountapi.Info, err); ae.HTTPStatus() != 400 {
					t.Fatalf("%q: %v", body, err)
				}
				continue
			}
			_ = protocol.ValidateInput(in)
			// Encode the input as if it were an output, decode it again, compare.
			rec := httptest.NewRecorder()
			if err := protocol.WriteResult(rec, &protocol.Operation{Name: name, Output: op.Input, Service: accountapi.Info}, in, "r"); err != nil {
				t.Fatal(err)
			}
			if !json.Valid(rec.Body.Bytes()) {
				t.Fatalf("invalid JSON %q", rec.Body.String())
			}
			again := op.NewInput()
			if err := protocol.DecodeRESTJSONInto(op.Input, nil, &protocol.RESTRequest{Body: bytes.Clone(rec.Body.Bytes())}, again); err != nil {
				t.Fatalf("re-decode %q: %v", rec.Body.String(), err)
			}
			if !reflect.DeepEqual(in, again) {
				t.Fatalf("round trip changed %q:\n%+v\n%+v", body, in, again)
			}
		}
	})
}
