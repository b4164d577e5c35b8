package sts

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/iamd/iamd/internal/api/stsapi"
	"github.com/iamd/iamd/internal/auth"
	"github.com/iamd/iamd/internal/protocol"
	"github.com/iamd/iamd/internal/reqctx"
)

// fakeMFA accepts one code of one device of one owner, once, as IAM's VerifyMFACode does.
type fakeMFA struct {
	acct, user, serial, code string
	spent                    bool
	calls                    int
}

func (m *fakeMFA) VerifyMFACode(_ context.Context, acct, user, serial, code string) (bool, error) {
	m.calls++
	if m.spent || acct != m.acct || user != m.user || serial != m.serial || code != m.code {
		return false, nil
	}
	m.spent = true
	return true, nil
}

const annSerial = "arn:aws:iam::" + testAccount + ":mfa/ann"

func TestGetSessionTokenMFA(t *testing.T) {
	f := newFixture(t)
	mfa := &fakeMFA{acct: testAccount, user: "ann", serial: annSerial, code: "123456"}
	f.svc.o.MFA = mfa
	ctx := at(f.user, "")
	req := func(serial, code string) *stsapi.GetSessionTokenRequest {
		return &stsapi.GetSessionTokenRequest{SerialNumber: protocol.String(serial), TokenCode: protocol.String(code)}
	}
	_, err := f.svc.GetSessionToken(ctx, req(annSerial, "654321"))
	wantAPIError(t, "wrong code", err, "AccessDenied", http.StatusForbidden, msgMFAFailed)
	out, err := f.svc.GetSessionToken(ctx, req(annSerial, "123456"))
	if err != nil {
		t.Fatal(err)
	}
	if c := f.open(t, out.Credentials); !c.MFA || !c.MFAAuthTime.Equal(t0) {
		t.Fatalf("session MFA %v at %v, want true at %v", c.MFA, c.MFAAuthTime, t0)
	}
	_, err = f.svc.GetSessionToken(ctx, req(annSerial, "123456"))
	wantAPIError(t, "replayed code", err, "AccessDenied", http.StatusForbidden, msgMFAFailed)

	// Root's device is root's (user name ""): ann's code is not root's.
	mfa.spent = false
	_, err = f.svc.GetSessionToken(at(auth.RootCaller("aws", testAccount), ""), req(annSerial, "123456"))
	wantAPIError(t, "root with ann's device", err, "AccessDenied", http.StatusForbidden, msgMFAFailed)

	// Without a verifier no code is accepted.
	f.svc.o.MFA = nil
	mfa.spent = false
	_, err = f.svc.GetSessionToken(ctx, req(annSerial, "123456"))
	wantAPIError(t, "no verifier", err, "AccessDenied", http.StatusForbidden, msgMFAFailed)
}

func TestAssumeRoleMFA(t *testing.T) {
	f := newFixture(t)
	mfa := &fakeMFA{acct: testAccount, user: "ann", serial: annSerial, code: "123456"}
	f.svc.o.MFA = mfa
	r1 := protocol.String("arn:aws:iam::" + testAccount + ":role/r1")
	in := &stsapi.AssumeRoleRequest{RoleArn: r1, RoleSessionName: protocol.String("s"),
		SerialNumber: protocol.String(annSerial), TokenCode: protocol.String("000000")}
	_, err := f.svc.AssumeRole(at(f.user, ""), in)
	wantAPIError(t, "wrong code", err, "AccessDenied", http.StatusForbidden, msgMFAFailed)
	in.TokenCode = nil
	_, err = f.svc.AssumeRole(at(f.user, ""), in)
	wantAPIError(t, "serial without code", err, "AccessDenied", http.StatusForbidden, msgMFAIncomplete)
	in.TokenCode = protocol.String("123456")
	out, err := f.svc.AssumeRole(at(f.user, ""), in)
	if err != nil {
		t.Fatal(err)
	}
	first := f.open(t, out.Credentials)
	if !first.MFA || !first.MFAAuthTime.Equal(t0) {
		t.Fatalf("role session MFA %v at %v", first.MFA, first.MFAAuthTime)
	}

	// A role session owns no device: a code it presents is refused without asking IAM.
	session := auth.SessionCaller(first)
	calls := mfa.calls
	_, err = f.svc.AssumeRole(at(session, ""), &stsapi.AssumeRoleRequest{RoleArn: protocol.String("arn:aws:iam::" + testAccount + ":role/r2"),
		RoleSessionName: protocol.String("s2"), SerialNumber: protocol.String(annSerial), TokenCode: protocol.String("123456")})
	wantAPIError(t, "role session presenting a code", err, "AccessDenied", http.StatusForbidden, msgMFAFailed)
	if mfa.calls != calls {
		t.Fatal("a role session's code was checked against a user's device")
	}

	// Role chaining keeps MFA, counted from the first check.
	later := reqctx.With(context.Background(), &reqctx.Request{Time: t0.Add(10 * time.Minute), Partition: "aws", Caller: session,
		Region: "us-east-1", GlobalEndpoint: true})
	out, err = f.svc.AssumeRole(later, &stsapi.AssumeRoleRequest{RoleArn: protocol.String("arn:aws:iam::" + testAccount + ":role/r2"),
		RoleSessionName: protocol.String("s2")})
	if err != nil {
		t.Fatal(err)
	}
	if c := f.open(t, out.Credentials); !c.MFA || !c.MFAAuthTime.Equal(t0) || !c.IssuedAt.Equal(t0.Add(10*time.Minute)) {
		t.Fatalf("chained session MFA %v at %v issued %v", c.MFA, c.MFAAuthTime, c.IssuedAt)
	}
}
