package audit

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/iamd/iamd/internal/api/accountapi"
	"github.com/iamd/iamd/internal/api/iamapi"
	"github.com/iamd/iamd/internal/api/stsapi"
	"github.com/iamd/iamd/internal/protocol"
	"github.com/iamd/iamd/internal/reqctx"
)

// goldenRecords is the SHA-256 of the records goldenCalls give: the records as iamd wrote them before
// their building moved and was made cheaper. A change of what a record holds changes it; update it
// only for a change of content meant as such (the test writes the records it made to a file to diff).
const goldenRecords = "746021e666f4741d668cd8e8a2f7c64e39de2575329ad0a4ac22001ba8c630b8"

// TestRecordsUnchanged: every operation of the three models, with every member of its input and output
// set, as each kind of caller, succeeding and refused, over TLS and not, at the global endpoint and
// across accounts, gives the records (and the lookup fields) it gave before.
func TestRecordsUnchanged(t *testing.T) {
	var all []byte
	for _, c := range goldenCalls() {
		for _, final := range []bool{false, true} {
			recipients := c.Recipients("999999999999")
			x := IDs{Accounts: recipients}
			for i := range recipients {
				x.Events = append(x.Events, fmt.Sprintf("0190e0a0-0000-7000-8000-%012d", i))
			}
			if len(recipients) > 1 {
				x.Shared = "5f0c2d1e-0000-4000-8000-000000000001"
			}
			for _, ev := range Build(c, x, final) {
				all = append(all, ev.Record...)
				all = fmt.Appendf(all, "\n%s %s %s %s %s %v %s %s %v\n", ev.EventID, ev.AccountID,
					ev.EventTime.Format(time.RFC3339Nano), ev.EventSource, ev.EventName, ev.ReadOnly, ev.Username,
					ev.AccessKeyID, ev.Resources)
			}
		}
	}
	sum := sha256.Sum256(all)
	if got := hex.EncodeToString(sum[:]); got != goldenRecords {
		path := filepath.Join(t.TempDir(), "records.txt")
		_ = os.WriteFile(path, all, 0o600)
		t.Fatalf("the records changed: sha256 %s, want %s (records in %s)", got, goldenRecords, path)
	}
}

// goldenCalls are the calls TestRecordsUnchanged records.
func goldenCalls() []*Call {
	at := time.Date(2026, 12, 6, 7, 30, 15, 123456789, time.UTC)
	issued := time.Date(2026, 12, 6, 6, 0, 0, 0, time.FixedZone("x", 3600))
	callers := []*reqctx.Caller{
		nil,
		{Kind: reqctx.CallerUser, AccountID: "123456789012", ARN: "arn:aws:iam::123456789012:user/p/bob",
			UserID: "AIDAEXAMPLE", Name: "bob", AccessKeyID: "AKIAEXAMPLE"},
		{Kind: reqctx.CallerRoot, AccountID: "123456789012", ARN: "arn:aws:iam::123456789012:root",
			UserID: "123456789012", AccessKeyID: "AKIAROOT"},
		{Kind: reqctx.CallerAssumedRole, AccountID: "123456789012", ARN: "arn:aws:sts::123456789012:assumed-role/r/s\"1",
			UserID: "AROAEXAMPLE:s1", Name: "r", SessionName: "s\"1", AccessKeyID: "ASIAEXAMPLE", Partition: "aws",
			PrincipalPath: "/svc/", PrincipalName: "r", PrincipalID: "AROAEXAMPLE",
			Session: &reqctx.Session{IssuedAt: issued, MFA: true, SourceIdentity: "alice<>"}},
		{Kind: reqctx.CallerFederatedUser, AccountID: "123456789012", ARN: "arn:aws:sts::123456789012:federated-user/fed",
			UserID: "123456789012:fed", Name: "fed", AccessKeyID: "ASIAFED", Partition: "aws",
			PrincipalPath: "/", PrincipalName: "bob", PrincipalID: "AIDAEXAMPLE",
			Session: &reqctx.Session{IssuedAt: issued}},
	}
	var calls []*Call
	n := 0
	for _, svc := range []*protocol.ServiceInfo{iamapi.Info, stsapi.Info, accountapi.Info} {
		for _, op := range svc.Operations {
			f := &filler{secret: map[string]bool{}}
			in, out := filled(op.Input, f), filled(op.Output, f)
			for ci, caller := range callers {
				n++
				req := &reqctx.Request{ID: fmt.Sprintf("req-%d", n), Time: at, Service: svc.SigningName,
					Region: "eu-west-1", SourceIP: "192.0.2.7", UserAgent: "aws-cli/2 \u00e9\x01", Caller: caller,
					GlobalEndpoint: svc == stsapi.Info && ci%2 == 0}
				c := &Call{Req: req, Op: op, In: in, Out: out}
				switch n % 4 {
				case 1:
					c.ErrorCode, c.ErrorMessage, c.Out = "AccessDenied", "User: bob is not \"authorized\"", nil
				case 2:
					c.TLSVersion, c.CipherSuite, c.Host = "TLSv1.3", "TLS_AES_128_GCM_SHA256", "iam.example.test"
				}
				if caller == nil && n%3 == 0 {
					c.AccessKeyID = "AKIAYVP4CIPPERUVIFXG"
				}
				calls = append(calls, c)
			}
		}
	}
	// A call no operation was found for, and one without a body.
	calls = append(calls, &Call{Req: &reqctx.Request{ID: "none", Time: at, Service: "iam", Caller: callers[1]},
		ErrorCode: "InvalidAction", ErrorMessage: "Could not find operation X"})
	return calls
}
