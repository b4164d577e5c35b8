package audit

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/iamd/iamd/internal/api/accountapi"
	"github.com/iamd/iamd/internal/api/iamapi"
	"github.com/iamd/iamd/internal/api/stsapi"
	"github.com/iamd/iamd/internal/protocol"
	"github.com/iamd/iamd/internal/reqctx"
)

// filler sets every member of a generated value to a distinct marker and remembers which markers sit
// at or under a secret member.
type filler struct {
	n       int
	secret  map[string]bool // marker → whether it is (part of) a secret
	markers []string
}

func (f *filler) mark(secret bool) string {
	f.n++
	m := fmt.Sprintf("MARK%05dX", f.n)
	f.secret[m] = secret
	f.markers = append(f.markers, m)
	return m
}

// fill sets v (a settable value of member m's shape) and returns it.
func (f *filler) fill(s *protocol.Shape, v reflect.Value, secret bool, depth int) {
	if depth > 8 {
		return
	}
	if v.Kind() == reflect.Pointer {
		v.Set(reflect.New(v.Type().Elem()))
		v = v.Elem()
	}
	switch s.Kind {
	case protocol.KindStructure:
		for i := range s.Members {
			m := &s.Members[i]
			f.fill(m.Shape, v.Field(i), secret || IsSecret(m), depth+1)
		}
	case protocol.KindList:
		l := reflect.MakeSlice(v.Type(), 1, 1)
		f.fill(s.Elem.Shape, l.Index(0), secret || IsSecret(s.Elem), depth+1)
		v.Set(l)
	case protocol.KindMap:
		mp := reflect.MakeMap(v.Type())
		val := reflect.New(v.Type().Elem()).Elem()
		f.fill(s.Value.Shape, val, secret || IsSecret(s.Value), depth+1)
		// Map keys are names (tag keys), never secrets in the models.
		mp.SetMapIndex(reflect.ValueOf(f.mark(false)).Convert(v.Type().Key()), val)
		v.Set(mp)
	case protocol.KindString:
		v.SetString(f.mark(secret))
	case protocol.KindBlob:
		v.SetBytes([]byte(f.mark(secret)))
	case protocol.KindInteger, protocol.KindLong:
		v.SetInt(7)
	case protocol.KindBoolean:
		v.SetBool(true)
	case protocol.KindDouble, protocol.KindFloat:
		v.SetFloat(1.5)
	case protocol.KindTimestamp:
		v.Set(reflect.ValueOf(time.Date(2026, 12, 6, 7, 0, 0, 0, time.UTC)))
	}
}

func filled(s *protocol.Shape, f *filler) any {
	if s.Type == nil {
		return nil
	}
	p := reflect.New(s.Type)
	f.fill(s, p.Elem(), false, 0)
	return p.Interface()
}

// TestRecordsHoldNoSecret: for every operation of the IAM, STS and Account models, an input and an
// output with every member set (each to a value of its own) give a record with none of the secret
// values, while every other value of the input is there (so the test would see a redaction that
// dropped everything, and a secret that slipped through).
func TestRecordsHoldNoSecret(t *testing.T) {
	caller := &reqctx.Caller{Kind: reqctx.CallerUser, AccountID: "123456789012", ARN: "arn:aws:iam::123456789012:user/bob",
		UserID: "AIDAEXAMPLE", Name: "bob", AccessKeyID: "AKIAEXAMPLE"}
	ops := 0
	for _, svc := range []*protocol.ServiceInfo{iamapi.Info, stsapi.Info, accountapi.Info} {
		for _, op := range svc.Operations {
			ops++
			f := &filler{secret: map[string]bool{}}
			in, out := filled(op.Input, f), filled(op.Output, f)
			c := &Call{Req: &reqctx.Request{ID: "r", Time: time.Now(), Service: svc.SigningName, Region: "us-east-1", Caller: caller},
				Op: op, In: in, Out: out}
			x := NewIDs([]string{"123456789012"}, time.Now())
			rec := Build(c, x, true)[0].Record
			// The response is checked whether or not the operation's records carry one.
			resp, _ := appendParameters(nil, op, out, false)
			// And what is stored: the stored form of the final event and the preliminary one.
			var p eventParts
			e := blockEncoder{}
			e.reset("123456789012")
			c.fillParts(&p, "123456789012", x.Events[0], "", true)
			e.add(&p)
			stored := string(e.block().Data) + string(buildPrelim(c, x)[0].Data)
			all := string(rec) + string(resp) + stored
			if !json.Valid(rec) {
				t.Fatalf("%s: record is not JSON: %s", op.Name, rec)
			}
			for _, m := range f.markers {
				if f.secret[m] && strings.Contains(all, m) {
					t.Errorf("%s: secret value %s is in the record or its stored form:\n%s\n%s\n%q", op.Name, m, rec, resp, stored)
				}
			}
			// Every value of the input that is not a secret is recorded (request parameters are written
			// whole unless too large).
			reqPart, _ := appendParameters(nil, op, in, true)
			if len(reqPart) < maxParametersBytes {
				inMarks := &filler{secret: map[string]bool{}}
				filled(op.Input, inMarks)
				for _, m := range inMarks.markers {
					if !inMarks.secret[m] && !strings.Contains(string(rec), m) {
						t.Errorf("%s: request value %s is missing from the record:\n%s", op.Name, m, rec)
					}
				}
			}
		}
	}
	if ops < 190 {
		t.Fatalf("only %d operations walked", ops)
	}
}

// TestSecretBearingOperations: the operations that carry secrets, each with the secret members the trail
// must never store. A model update that renamed or unmarked one would fail here.
func TestSecretBearingOperations(t *testing.T) {
	for _, tc := range []struct {
		svc     *protocol.ServiceInfo
		op      string
		in, out []string
	}{
		{iamapi.Info, "CreateAccessKey", nil, []string{"AccessKey.SecretAccessKey"}},
		{iamapi.Info, "CreateLoginProfile", []string{"Password"}, nil},
		{iamapi.Info, "UpdateLoginProfile", []string{"Password"}, nil},
		{iamapi.Info, "ChangePassword", []string{"OldPassword", "NewPassword"}, nil},
		{iamapi.Info, "CreateVirtualMFADevice", nil, []string{"VirtualMFADevice.Base32StringSeed", "VirtualMFADevice.QRCodePNG"}},
		{iamapi.Info, "EnableMFADevice", []string{"AuthenticationCode1", "AuthenticationCode2"}, nil},
		{iamapi.Info, "ResyncMFADevice", []string{"AuthenticationCode1", "AuthenticationCode2"}, nil},
		{iamapi.Info, "UploadServerCertificate", []string{"PrivateKey"}, nil},
		{iamapi.Info, "CreateServiceSpecificCredential", nil, []string{"ServiceSpecificCredential.ServicePassword"}},
		{iamapi.Info, "ResetServiceSpecificCredential", nil, []string{"ServiceSpecificCredential.ServicePassword"}},
		{iamapi.Info, "CreateSAMLProvider", []string{"AddPrivateKey"}, nil},
		{iamapi.Info, "UpdateSAMLProvider", []string{"AddPrivateKey"}, nil},
		{stsapi.Info, "AssumeRole", []string{"TokenCode"}, []string{"Credentials.SecretAccessKey", "Credentials.SessionToken"}},
		{stsapi.Info, "GetSessionToken", []string{"TokenCode"}, []string{"Credentials.SecretAccessKey", "Credentials.SessionToken"}},
		{stsapi.Info, "GetFederationToken", nil, []string{"Credentials.SecretAccessKey", "Credentials.SessionToken"}},
		{stsapi.Info, "AssumeRoleWithSAML", []string{"SAMLAssertion"}, []string{"Credentials.SecretAccessKey", "Credentials.SessionToken"}},
		{stsapi.Info, "AssumeRoleWithWebIdentity", []string{"WebIdentityToken"}, []string{"Credentials.SecretAccessKey", "Credentials.SessionToken"}},
		{stsapi.Info, "AssumeRoot", nil, []string{"Credentials.SecretAccessKey", "Credentials.SessionToken"}},
		{stsapi.Info, "GetWebIdentityToken", nil, []string{"WebIdentityToken"}},
		{accountapi.Info, "AcceptPrimaryEmailUpdate", []string{"Otp"}, nil},
	} {
		op := tc.svc.ByName[tc.op]
		if op == nil {
			t.Errorf("%s: no such operation", tc.op)
			continue
		}
		for _, path := range tc.in {
			if m := memberAt(op.Input, path); m == nil || !IsSecret(m) {
				t.Errorf("%s: input %s is not treated as a secret", tc.op, path)
			}
		}
		for _, path := range tc.out {
			if m := memberAt(op.Output, path); m == nil || !IsSecret(m) {
				t.Errorf("%s: output %s is not treated as a secret", tc.op, path)
			}
		}
	}
}

func memberAt(s *protocol.Shape, path string) *protocol.Member {
	var m *protocol.Member
	for _, name := range strings.Split(path, ".") {
		m = nil
		for i := range s.Members {
			if s.Members[i].Name == name {
				m = &s.Members[i]
			}
		}
		if m == nil {
			return nil
		}
		s = m.Shape
	}
	return m
}
