package iam

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/iamd/iamd/internal/api/iamapi"
	"github.com/iamd/iamd/internal/reqctx"
	"github.com/iamd/iamd/internal/storage"
)

// drApproved files a request, has a real user of the customer account (its unique ID known) claim,
// accept and release it, and returns the request's ID and the partner's exchange token.
func (f *fixture) drApproved(tmpl, workflow string, approver context.Context) (string, string) {
	f.t.Helper()
	id := f.drCreate(tmpl, workflow)
	must(f.svc.AssociateDelegationRequest(approver, &iamapi.AssociateDelegationRequestRequest{DelegationRequestId: &id}))(f.t)
	must(f.svc.AcceptDelegationRequest(approver, &iamapi.AcceptDelegationRequestRequest{DelegationRequestId: &id}))(f.t)
	must(f.svc.SendDelegationToken(approver, &iamapi.SendDelegationTokenRequest{DelegationRequestId: &id}))(f.t)
	tok := must(f.svc.CollectDelegationToken(f.root(), id))(f.t)
	return id, tok
}

// customerUser creates a user in the customer account and returns its caller context.
func (f *fixture) customerUser(name string) context.Context {
	u := must(f.svc.CreateUser(rootOf(otherTestAccount), &iamapi.CreateUserRequest{UserName: &name}))(f.t).User
	return callerCtx(&reqctx.Caller{Kind: reqctx.CallerUser, AccountID: otherTestAccount, Partition: "aws",
		ARN: *u.Arn, Name: name, PrincipalName: name, PrincipalPath: "/", PrincipalID: *u.UserId, UserID: *u.UserId})
}

func grantOK(*DelegatedGrant) error { return nil }

func TestDelegationTokenExchange(t *testing.T) {
	f := newFixture(t)
	admin := f.customerUser("admin")
	id, tok := f.drApproved(f.drTemplate(), "workflow-1", admin)
	if !strings.HasPrefix(tok, id+".") || len(tok) > MaxDelegationTokenLen {
		t.Fatalf("token %q", tok)
	}
	// The row holds no token in clear.
	var raw []byte
	must(0, f.store.View(context.Background(), func(tx storage.Tx) error {
		r, err := tx.GetResourceByID(context.Background(), storage.ResourceDelegationRequest, id)
		if err == nil {
			raw = r.Data
		}
		return err
	}))(t)
	if strings.Contains(string(raw), tok[len(id)+1:]) {
		t.Fatal("the stored request holds the exchange token in clear")
	}
	// Another account does not see it; the customer cannot collect it.
	_, err := f.svc.CollectDelegationToken(rootOf(otherTestAccount), id)
	assertAPIError(t, err, "NoSuchEntity", 404, "Delegation request "+id+" not found.")

	// Refused before it is spent: a callback error leaves it usable.
	refuse := errors.New("refused")
	if _, err := f.svc.RedeemDelegationToken(context.Background(), tok, testAccount, f.now, func(*DelegatedGrant) error { return refuse }); !errors.Is(err, refuse) {
		t.Fatalf("refused by accept: %v", err)
	}
	// Wrong account, wrong secret: invalid.
	if _, err := f.svc.RedeemDelegationToken(context.Background(), tok, otherTestAccount, f.now, grantOK); !errors.Is(err, ErrTradeInTokenInvalid) {
		t.Fatalf("other account: %v", err)
	}
	i := len(id) + 1 // the secret's first character: six bits of data
	flipped := tok[:i] + map[bool]string{true: "B", false: "A"}[tok[i] == 'A'] + tok[i+1:]
	if _, err := f.svc.RedeemDelegationToken(context.Background(), flipped, testAccount, f.now, grantOK); !errors.Is(err, ErrTradeInTokenInvalid) {
		t.Fatalf("wrong secret: %v", err)
	}
	// The same secret spelled with stray bits in its last character is not the token either.
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	last := strings.IndexByte(alphabet, tok[len(tok)-1])
	stray := tok[:len(tok)-1] + string(alphabet[last^1])
	if _, err := f.svc.RedeemDelegationToken(context.Background(), stray, testAccount, f.now, grantOK); !errors.Is(err, ErrTradeInTokenInvalid) {
		t.Fatalf("stray bits: %v", err)
	}
	// Past the delegation period (SessionDuration 3600 from release): expired.
	if _, err := f.svc.RedeemDelegationToken(context.Background(), tok, testAccount, f.now.Add(time.Hour), grantOK); !errors.Is(err, ErrTradeInTokenExpired) {
		t.Fatalf("after the delegation period: %v", err)
	}
	g, err := f.svc.RedeemDelegationToken(context.Background(), tok, testAccount, f.now.Add(time.Hour-time.Second), grantOK)
	if err != nil || g.User == nil || g.User.Name != "admin" || g.Account != otherTestAccount || g.RequestID != id ||
		!g.Expires.Equal(f.now.Add(time.Hour)) || !strings.Contains(g.PermissionPolicy, "s3:GetObject") {
		t.Fatalf("redeem: %+v %v", g, err)
	}
	if _, err := f.svc.RedeemDelegationToken(context.Background(), tok, testAccount, f.now, grantOK); !errors.Is(err, ErrTradeInTokenExpired) {
		t.Fatalf("second redeem: %v", err)
	}
	_, err = f.svc.CollectDelegationToken(f.root(), id)
	assertAPIError(t, err, "InvalidInput", 400, "The exchange token of delegation request "+id+" was already exchanged.")
}

// A token whose request is no longer FINALIZED (a stored state iamd never writes after release, but a
// restored or edited row might hold) is refused as expired; so is one approved by root, whose sessions no
// session policy narrows, and one approved before approvers were recorded by unique ID.
func TestDelegationTokenRefusesUnfinalizedAndUnboundApprovals(t *testing.T) {
	f := newFixture(t)
	admin := f.customerUser("admin")
	edit := func(id string, fn func(d *delegationRequest)) {
		t.Helper()
		must(0, f.store.Update(context.Background(), func(tx storage.Tx) error {
			r, err := tx.GetResourceByID(context.Background(), storage.ResourceDelegationRequest, id)
			if err != nil {
				return err
			}
			d, err := decodeDelegation(r)
			if err != nil {
				return err
			}
			fn(d)
			r.Data, err = json.Marshal(d)
			if err != nil {
				return err
			}
			return tx.UpdateResource(context.Background(), r.Name, r)
		}))(t)
	}
	tmpl := f.drTemplate()
	id, tok := f.drApproved(tmpl, "workflow-rejected", admin)
	edit(id, func(d *delegationRequest) { d.State = drRejected })
	if _, err := f.svc.RedeemDelegationToken(context.Background(), tok, testAccount, f.now, grantOK); !errors.Is(err, ErrTradeInTokenExpired) {
		t.Fatalf("rejected request: %v", err)
	}
	for _, approver := range []string{otherTestAccount, ""} {
		id, tok := f.drApproved(tmpl, "workflow-root-"+approver, admin)
		edit(id, func(d *delegationRequest) { d.ApproverPrincipalID = approver })
		if _, err := f.svc.RedeemDelegationToken(context.Background(), tok, testAccount, f.now, grantOK); !errors.Is(err, ErrDelegationApproverGone) {
			t.Fatalf("approver %q: %v", approver, err)
		}
	}
}

func FuzzParseDelegationToken(f *testing.F) {
	f.Add("dr-0123456789abcdef0123456789abcdef.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
	f.Add("dr-.")
	f.Add(strings.Repeat("x", 300))
	f.Fuzz(func(t *testing.T, s string) {
		id, secret, ok := parseDelegationToken(s)
		if !ok {
			return
		}
		if len(s) > MaxDelegationTokenLen || !strings.HasPrefix(id, "dr-") || len(secret) != delegationSecretBytes {
			t.Fatalf("accepted %q: %q %d", s, id, len(secret))
		}
	})
}
