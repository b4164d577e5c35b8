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

// BenchmarkAppendEvent: the writer's cost of one record (GetCallerIdentity of an IAM user).
func BenchmarkAppendEvent(b *testing.B) {
	caller := &reqctx.Caller{Kind: reqctx.CallerUser, AccountID: "123456789012", ARN: "arn:aws:iam::123456789012:user/bench-user",
		UserID: "AIDAEXAMPLEEXAMPLE01", Name: "bench-user", AccessKeyID: "AKIAEXAMPLEEXAMPLE01"}
	req := &reqctx.Request{ID: "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0", Time: time.Now(), Service: "sts", Region: "us-east-1",
		SourceIP: "127.0.0.1", UserAgent: "aws-sdk-go-v2/1.30.0 os/linux lang/go#1.26 md/GOOS#linux", Caller: caller}
	c := &Call{Req: req, Op: stsapi.Info.ByName["GetCallerIdentity"], In: &stsapi.GetCallerIdentityRequest{}}
	id := NewEventID(req.Time)
	var buf []byte
	b.ReportAllocs()
	for b.Loop() {
		buf, _ = c.appendEvent(buf[:0], "123456789012", id, "", true)
	}
}
