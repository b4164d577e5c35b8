package protocol_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/iamd/iamd/internal/api/iamapi"
	"github.com/iamd/iamd/internal/api/stsapi"
	"github.com/iamd/iamd/internal/protocol"
)

// discard is a ResponseWriter that keeps nothing, so benchmarks measure the protocol layer alone.
type discard struct{ h http.Header }

func (d *discard) Header() http.Header         { return d.h }
func (d *discard) WriteHeader(int)             {}
func (d *discard) Write(b []byte) (int, error) { return len(b), nil }

func BenchmarkGetCallerIdentity(b *testing.B) {
	body := []byte("Action=GetCallerIdentity&Version=2011-06-15")
	r := formRequest(string(body))
	out := &stsapi.GetCallerIdentityResponse{UserId: protocol.String("AIDACKCEVSQ6C2EXAMPLE"),
		Account: protocol.String("123456789012"), Arn: protocol.String("arn:aws:iam::123456789012:user/alice")}
	w := &discard{h: http.Header{}}
	b.ReportAllocs()
	for b.Loop() {
		op, in, err := protocol.Decode(stsapi.Info, r, body)
		if err != nil {
			b.Fatal(err)
		}
		if err := protocol.ValidateInput(in); err != nil {
			b.Fatal(err)
		}
		if err := protocol.WriteResult(w, op, out, "7a62c49f-347e-4fc4-9331-6e8eEXAMPLE"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCreateUser(b *testing.B) {
	body := []byte("Action=CreateUser&Version=2010-05-08&UserName=bob&Path=%2Fdev%2F" +
		"&Tags.member.1.Key=env&Tags.member.1.Value=prod&Tags.member.2.Key=team&Tags.member.2.Value=core")
	r := formRequest(string(body))
	created := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	w := &discard{h: http.Header{}}
	b.ReportAllocs()
	for b.Loop() {
		op, in, err := protocol.Decode(iamapi.Info, r, body)
		if err != nil {
			b.Fatal(err)
		}
		if err := protocol.ValidateInput(in); err != nil {
			b.Fatal(err)
		}
		req := in.(*iamapi.CreateUserRequest)
		out := &iamapi.CreateUserResponse{User: &iamapi.User{Path: req.Path, UserName: req.UserName,
			UserId: protocol.String("AIDAEXAMPLE"), Arn: protocol.String("arn:aws:iam::123456789012:user/dev/bob"),
			CreateDate: &created, Tags: req.Tags}}
		if err := protocol.WriteResult(w, op, out, "rid"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkQueryError(b *testing.B) {
	w := &discard{h: http.Header{}}
	err := iamapi.NewNoSuchEntityException("The user with name bob cannot be found.")
	b.ReportAllocs()
	for b.Loop() {
		protocol.WriteError(w, iamapi.Info, err, "rid")
	}
}
