package e2etest

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/go-jose/go-jose/v4"
)

// An approval belongs to the principal that gave it, by unique ID: when the approver is deleted and a
// user of the same name (and the same permissions) is created, the released exchange token no longer
// yields credentials. Were the approver bound by ARN, the namesake would hand the partner its own
// permissions without ever having approved anything.
func TestAdversarialDelegationApprovalNotInheritedByNamesake(t *testing.T) {
	e := newDelegationEnv(t)
	id := e.approved(t, "workflow-namesake")
	status, tok, _ := e.collect(t, e.partner, id)
	if status != http.StatusOK {
		t.Fatalf("collecting the token: %d", status)
	}

	root := e.s.IAM(e.customer)
	keys := must[*iam.ListAccessKeysOutput](t, "ListAccessKeys")(root.ListAccessKeys(e.ctx, &iam.ListAccessKeysInput{UserName: aws.String("approver")}))
	for _, k := range keys.AccessKeyMetadata {
		must[*iam.DeleteAccessKeyOutput](t, "DeleteAccessKey")(root.DeleteAccessKey(e.ctx, &iam.DeleteAccessKeyInput{UserName: aws.String("approver"), AccessKeyId: k.AccessKeyId}))
	}
	must[*iam.DeleteUserPolicyOutput](t, "DeleteUserPolicy")(root.DeleteUserPolicy(e.ctx, &iam.DeleteUserPolicyInput{UserName: aws.String("approver"), PolicyName: aws.String("allow-iam-all")}))
	must[*iam.DeleteUserOutput](t, "DeleteUser")(root.DeleteUser(e.ctx, &iam.DeleteUserInput{UserName: aws.String("approver")}))
	newUser(t, e.s, e.customer, "approver")
	allow(t, e.s, e.customer, "approver", "iam:*", "*")

	_, err := e.s.STS(e.partner, "us-east-1").GetDelegatedAccessToken(e.ctx, &sts.GetDelegatedAccessTokenInput{TradeInToken: &tok})
	wantError(t, "trade-in after the approver was recreated", err, "AccessDenied", http.StatusForbidden, msgApproverInvalid)
}

// The verified-token cache remembers only tokens whose signature verified, holds one entry per token and
// account however often it is presented, and makes no request to the issuer while it holds.
func TestAdversarialWebIdentityRefusedTokensAreNeverRemembered(t *testing.T) {
	e := newWIEnv(t, nil)
	good := e.is.sign(t, "rsa1", nil)
	// Every refusal before or at the signature leaves nothing behind.
	forged := good[:strings.LastIndexByte(good, '.')+1] + base64.RawURLEncoding.EncodeToString(make([]byte, 256))
	_, err := e.assume(forged)
	refused(t, "bad signature", err, "InvalidIdentityToken", "could not be validated")
	rogue, _ := rsa.GenerateKey(rand.Reader, 2048)
	_, err = e.assume(signWith(t, rogue, jose.RS256, "rsa1", e.is.fill(nil)))
	refused(t, "foreign key", err, "InvalidIdentityToken", "could not be validated")
	if n := e.s.App.STS.VerifiedWebIdentityTokens(); n != 0 {
		t.Fatalf("%d tokens remembered after refusals, want 0", n)
	}
	e.accepts(good)
	before := e.is.requests.Load()
	for range 5 {
		e.accepts(good)
	}
	if n := e.s.App.STS.VerifiedWebIdentityTokens(); n != 1 {
		t.Fatalf("%d tokens remembered, want 1", n)
	}
	if n := e.is.requests.Load() - before; n != 0 {
		t.Fatalf("%d requests to the issuer for a remembered token", n)
	}
	// A verified token still meets every later check on each call: an audience no longer listed refuses it.
	provARN := aws.String(e.is.ProviderARN(AccountID))
	c := e.s.IAM(RootCreds())
	must[*iam.AddClientIDToOpenIDConnectProviderOutput](t, "AddClientID")(c.AddClientIDToOpenIDConnectProvider(context.Background(),
		&iam.AddClientIDToOpenIDConnectProviderInput{OpenIDConnectProviderArn: provARN, ClientID: aws.String("keep")}))
	must[*iam.RemoveClientIDFromOpenIDConnectProviderOutput](t, "RemoveClientID")(c.RemoveClientIDFromOpenIDConnectProvider(context.Background(),
		&iam.RemoveClientIDFromOpenIDConnectProviderInput{OpenIDConnectProviderArn: provARN, ClientID: aws.String("sts.amazonaws.com")}))
	_, err = e.assume(good)
	refused(t, "removed client ID", err, "InvalidIdentityToken", "Incorrect token audience")
}

// A remembered verification ends when the provider's row changes: a thumbprint that no longer matches the
// issuer's certificate refuses the very token verified a moment before, as a fresh verification would.
func TestAdversarialWebIdentityRememberedTokenFollowsProviderChanges(t *testing.T) {
	e := newWIEnv(t, nil)
	tok := e.is.sign(t, "rsa1", nil)
	e.accepts(tok)
	e.accepts(tok)
	if _, err := e.s.IAM(RootCreds()).UpdateOpenIDConnectProviderThumbprint(context.Background(), &iam.UpdateOpenIDConnectProviderThumbprintInput{
		OpenIDConnectProviderArn: aws.String(e.is.ProviderARN(AccountID)), ThumbprintList: []string{strings.Repeat("ab", 20)}}); err != nil {
		t.Fatal(err)
	}
	_, err := e.assume(tok)
	refused(t, "thumbprint changed", err, "IDPCommunicationError", "could not be reached")
}

// A remembered token dies at its exp: past it the token is verified afresh (accepted within the clock
// skew, as before) and not remembered again.
func TestAdversarialWebIdentityRememberedTokenDiesAtExpiry(t *testing.T) {
	e := newWIEnv(t, nil)
	tok := e.is.sign(t, "rsa1", claims{"exp": time.Now().Add(2 * time.Second).Unix()})
	e.accepts(tok)
	if n := e.s.App.STS.VerifiedWebIdentityTokens(); n != 1 {
		t.Fatalf("%d tokens remembered, want 1", n)
	}
	time.Sleep(3 * time.Second)
	e.accepts(tok)
	if n := e.s.App.STS.VerifiedWebIdentityTokens(); n != 0 {
		t.Fatalf("%d tokens remembered past their exp, want 0", n)
	}
}

// An exchange token yields credentials once, even to a partner that races itself: the check and the
// marking happen in one transaction.
func TestAdversarialTradeInTokenExchangesOnce(t *testing.T) {
	e := newDelegationEnv(t)
	id := e.approved(t, "workflow-race")
	_, tok, _ := e.collect(t, e.partner, id)
	const racers = 8
	errs := make(chan error, racers)
	for range racers {
		go func() {
			_, err := e.s.STS(e.partner, "us-east-1").GetDelegatedAccessToken(e.ctx, &sts.GetDelegatedAccessTokenInput{TradeInToken: &tok})
			errs <- err
		}()
	}
	won := 0
	for range racers {
		if err := <-errs; err == nil {
			won++
		} else {
			wantError(t, "a losing trade-in", err, "ExpiredTradeInTokenException", http.StatusBadRequest, msgTradeInExpired)
		}
	}
	if won != 1 {
		t.Fatalf("%d of %d concurrent trade-ins got credentials, want exactly 1", won, racers)
	}
}
