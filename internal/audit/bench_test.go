package audit

import (
	"testing"
	"time"

	"github.com/iamd/iamd/internal/api/iamapi"
	"github.com/iamd/iamd/internal/api/stsapi"
	"github.com/iamd/iamd/internal/protocol"
	"github.com/iamd/iamd/internal/reqctx"
)

// BenchmarkBuild: the cost a call's record adds to its request (GetCallerIdentity, GetUser).
func BenchmarkBuild(b *testing.B) {
	caller := &reqctx.Caller{Kind: reqctx.CallerUser, AccountID: "123456789012", ARN: "arn:aws:iam::123456789012:user/bench-user",
		UserID: "AIDAEXAMPLEEXAMPLE01", Name: "bench-user", AccessKeyID: "AKIAEXAMPLEEXAMPLE01"}
	req := &reqctx.Request{ID: "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0", Time: time.Now(), Service: "sts", Region: "us-east-1",
		SourceIP: "127.0.0.1", UserAgent: "aws-sdk-go-v2/1.30.0 os/linux lang/go#1.26 md/GOOS#linux", Caller: caller}
	for _, tc := range []struct {
		name string
		op   *protocol.Operation
		in   any
	}{
		{"GetCallerIdentity", stsapi.Info.ByName["GetCallerIdentity"], &stsapi.GetCallerIdentityRequest{}},
		{"GetUser", iamapi.Info.ByName["GetUser"], &iamapi.GetUserRequest{UserName: protocol.String("bench-user")}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			r := NewRecorder(Options{QueueSize: 1})
			b.ReportAllocs()
			for b.Loop() {
				c := &Call{Req: req, Op: tc.op, In: tc.in}
				r.End(c, nil)
			}
		})
	}
}

// BenchmarkEncodeEvent: the writer's cost of one event (GetCallerIdentity of an IAM user): its parts
// and their stored form, against writing its record as JSON.
func BenchmarkEncodeEvent(b *testing.B) {
	caller := &reqctx.Caller{Kind: reqctx.CallerUser, AccountID: "123456789012", ARN: "arn:aws:iam::123456789012:user/bench-user",
		UserID: "AIDAEXAMPLEEXAMPLE01", Name: "bench-user", AccessKeyID: "AKIAEXAMPLEEXAMPLE01"}
	req := &reqctx.Request{ID: "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0", Time: time.Now(), Service: "sts", Region: "us-east-1",
		SourceIP: "127.0.0.1", UserAgent: "aws-sdk-go-v2/1.30.0 os/linux lang/go#1.26 md/GOOS#linux", Caller: caller}
	c := &Call{Req: req, Op: stsapi.Info.ByName["GetCallerIdentity"], In: &stsapi.GetCallerIdentityRequest{}}
	id := NewEventID(req.Time)
	var p eventParts
	b.Run("stored", func(b *testing.B) {
		var e blockEncoder
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			if i%maxBatch == 0 {
				e.reset("123456789012")
			}
			c.fillParts(&p, "123456789012", id, "", true)
			e.add(&p)
		}
	})
	b.Run("json", func(b *testing.B) {
		var buf []byte
		b.ReportAllocs()
		for b.Loop() {
			c.fillParts(&p, "123456789012", id, "", true)
			buf = p.appendRecord(buf[:0])
		}
	})
}
