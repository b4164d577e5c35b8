package e2etest

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// Token prefixes (base64 of AWS's clear token headers; docs/aws-behavior.md, "Global-endpoint token
// versions").
const (
	prefixV1 = "FwoGZXIvYXdz"
	prefixV2 = "IQoJb3JpZ2luX2Vj"
)

// tokenVersion is the version a session token's clear prefix shows: 1, 2, or 0 for neither.
func tokenVersion(tok string) int {
	switch {
	case strings.HasPrefix(tok, prefixV1):
		return 1
	case strings.HasPrefix(tok, prefixV2):
		return 2
	}
	return 0
}

// TestTokenStory walks the token story with the unmodified SDK: global-endpoint token versions,
// opt-in regions, regional tokens, the v2 preference, disabling a region and deactivating STS in a
// default region.
func TestTokenStory(t *testing.T) {
	ctx := context.Background()
	s := Start(t, Options{})
	root := RootCreds()
	userARN := "arn:aws:iam::" + AccountID + ":user/alice"

	// A new account reports version 1.
	if v := summaryTokenVersion(t, s, root); v != 1 {
		t.Fatalf("fresh account: GlobalEndpointTokenVersion %d, want 1", v)
	}
	alice := newUser(t, s, root, "alice")

	// A global-endpoint session token (v1) works in a default region.
	gst, err := s.GlobalSTS(alice).GetSessionToken(ctx, &sts.GetSessionTokenInput{})
	ok(t, "global GetSessionToken", err)
	v1 := gst.Credentials
	if tok := aws.ToString(v1.SessionToken); !strings.HasPrefix(tok, prefixV1) {
		t.Fatalf("global token with preference v1 does not look like v1: %.20s…", tok)
	}
	if !strings.HasPrefix(aws.ToString(v1.AccessKeyId), "ASIA") || len(aws.ToString(v1.SecretAccessKey)) != 40 {
		t.Fatalf("temporary credentials: %s / %d-char secret", aws.ToString(v1.AccessKeyId), len(aws.ToString(v1.SecretAccessKey)))
	}
	v1Creds := sessionCreds(v1)
	if id := identity(t, s.STS(v1Creds, "us-west-2")); aws.ToString(id.Arn) != userARN {
		t.Fatalf("v1 session in us-west-2: %s", aws.ToString(id.Arn))
	}

	// ap-east-1 is an opt-in region the account has not enabled: nothing is accepted there.
	_, err = s.STS(v1Creds, "ap-east-1").GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	wantError(t, "v1 token in a region not enabled", err, "InvalidClientTokenId", http.StatusForbidden, msgInvalidToken)
	_, err = s.STS(alice, "ap-east-1").GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	wantError(t, "long-term key in a region not enabled", err, "InvalidClientTokenId", http.StatusForbidden, msgInvalidToken)
	_, err = s.STS(alice, "ap-east-1").GetSessionToken(ctx, &sts.GetSessionTokenInput{})
	wantError(t, "issuing in a region not enabled", err, "InvalidClientTokenId", http.StatusForbidden, msgInvalidToken)

	// Once enabled, long-term keys work there but the v1 token still does not.
	setRegion(t, s, root, "ap-east-1", true)
	identity(t, s.STS(alice, "ap-east-1"))
	_, err = s.STS(v1Creds, "ap-east-1").GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	wantError(t, "v1 token in an enabled opt-in region", err, "InvalidClientTokenId", http.StatusForbidden, msgInvalidToken)

	// A regional token is v2 and works in the opt-in region.
	rst, err := s.STS(alice, "us-west-2").GetSessionToken(ctx, &sts.GetSessionTokenInput{})
	ok(t, "regional GetSessionToken", err)
	regional := sessionCreds(rst.Credentials)
	if tok := aws.ToString(rst.Credentials.SessionToken); !strings.HasPrefix(tok, prefixV2) {
		t.Fatalf("regional token is not v2: %.20s…", tok)
	}
	if id := identity(t, s.STS(regional, "ap-east-1")); aws.ToString(id.Arn) != userARN {
		t.Fatalf("regional token in ap-east-1: %s", aws.ToString(id.Arn))
	}
	// A token issued in the opt-in region itself is v2 too.
	hst, err := s.STS(alice, "ap-east-1").GetSessionToken(ctx, &sts.GetSessionTokenInput{})
	ok(t, "GetSessionToken in ap-east-1", err)
	identity(t, s.STS(sessionCreds(hst.Credentials), "eu-west-1"))

	// v2Token: the summary says 2, new global tokens are v2, longer, and work in ap-east-1.
	_, err = s.IAM(root).SetSecurityTokenServicePreferences(ctx, &iam.SetSecurityTokenServicePreferencesInput{
		GlobalEndpointTokenVersion: "v2Token"})
	ok(t, "SetSecurityTokenServicePreferences", err)
	if v := summaryTokenVersion(t, s, root); v != 2 {
		t.Fatalf("after v2Token: GlobalEndpointTokenVersion %d, want 2", v)
	}
	gst2, err := s.GlobalSTS(alice).GetSessionToken(ctx, &sts.GetSessionTokenInput{})
	ok(t, "global GetSessionToken (v2)", err)
	tok1, tok2 := aws.ToString(v1.SessionToken), aws.ToString(gst2.Credentials.SessionToken)
	if !strings.HasPrefix(tok2, prefixV2) || len(tok2) <= len(tok1) {
		t.Fatalf("v2 global token: %d chars starting %.16s, v1 was %d chars", len(tok2), tok2, len(tok1))
	}
	t.Logf("token sizes: v1 %d, v2 %d characters", len(tok1), len(tok2))
	v2Creds := sessionCreds(gst2.Credentials)
	identity(t, s.STS(v2Creds, "ap-east-1"))
	_, err = s.STS(v1Creds, "ap-east-1").GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	wantError(t, "old v1 token after v2Token", err, "InvalidClientTokenId", http.StatusForbidden, msgInvalidToken)
	identity(t, s.STS(v1Creds, "eu-central-1")) // and still fine in default regions

	// Back to v1: new global tokens are v1 again, the v2 one stays v2.
	_, err = s.IAM(root).SetSecurityTokenServicePreferences(ctx, &iam.SetSecurityTokenServicePreferencesInput{
		GlobalEndpointTokenVersion: "v1Token"})
	ok(t, "SetSecurityTokenServicePreferences v1", err)
	gst3, err := s.GlobalSTS(alice).GetSessionToken(ctx, &sts.GetSessionTokenInput{})
	ok(t, "global GetSessionToken (v1 again)", err)
	if !strings.HasPrefix(aws.ToString(gst3.Credentials.SessionToken), prefixV1) {
		t.Fatal("global token after returning to v1Token is not v1")
	}
	identity(t, s.STS(v2Creds, "ap-east-1"))

	// Disabling the region shuts every credential out of it: root and user keys, v1 and v2 tokens.
	setRegion(t, s, root, "ap-east-1", false)
	for name, c := range map[string]aws.CredentialsProvider{"root key": root, "user key": alice, "v2 global token": v2Creds,
		"regional token": regional, "v1 token": v1Creds} {
		_, err = s.STS(c, "ap-east-1").GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		wantError(t, name+" in a disabled region", err, "InvalidClientTokenId", http.StatusForbidden, msgInvalidToken)
		identity(t, s.STS(c, "us-west-2")) // elsewhere nothing changed
	}

	// Deactivating STS in us-west-2: issuing there is refused, identity calls keep working.
	status, body := adminSTSRegion(t, s, root, "us-west-2", "deactivate")
	if status != http.StatusOK || body.(map[string]any)["active"] != false {
		t.Fatalf("deactivate us-west-2: %d %v", status, body)
	}
	west := s.STS(alice, "us-west-2")
	_, err = west.GetSessionToken(ctx, &sts.GetSessionTokenInput{})
	wantError(t, "GetSessionToken where STS is deactivated", err, "RegionDisabledException", http.StatusForbidden, msgRegionDisabled(AccountID))
	_, err = s.STS(root, "us-west-2").GetFederationToken(ctx, &sts.GetFederationTokenInput{Name: aws.String("fed")})
	wantError(t, "GetFederationToken where STS is deactivated", err, "RegionDisabledException", http.StatusForbidden, msgRegionDisabled(AccountID))
	identity(t, west)
	identity(t, s.STS(regional, "us-west-2"))
	// GetAccessKeyInfo needs sts:GetAccessKeyInfo (alice has none); root calls it in the deactivated region.
	_, err = west.GetAccessKeyInfo(ctx, &sts.GetAccessKeyInfoInput{AccessKeyId: v1.AccessKeyId})
	wantError(t, "GetAccessKeyInfo without permission", err, "AccessDenied", http.StatusForbidden, "")
	ki, err := s.STS(root, "us-west-2").GetAccessKeyInfo(ctx, &sts.GetAccessKeyInfoInput{AccessKeyId: v1.AccessKeyId})
	ok(t, "GetAccessKeyInfo where STS is deactivated", err)
	if aws.ToString(ki.Account) != AccountID {
		t.Fatalf("GetAccessKeyInfo: %s", aws.ToString(ki.Account))
	}
	// The global endpoint and other regions still issue.
	_, err = s.GlobalSTS(alice).GetSessionToken(ctx, &sts.GetSessionTokenInput{})
	ok(t, "global GetSessionToken while us-west-2 is deactivated", err)
	_, err = s.STS(alice, "us-east-2").GetSessionToken(ctx, &sts.GetSessionTokenInput{})
	ok(t, "us-east-2 GetSessionToken while us-west-2 is deactivated", err)

	// us-east-1 and opt-in regions cannot be toggled by hand.
	for _, r := range []string{"us-east-1", "ap-east-1"} {
		if status, body := adminSTSRegion(t, s, root, r, "deactivate"); status != http.StatusBadRequest {
			t.Fatalf("deactivate %s: %d %v", r, status, body)
		}
	}
	// A user without the iamd admin permission is refused.
	if status, body := adminSTSRegion(t, s, alice, "us-west-2", "activate"); status != http.StatusForbidden {
		t.Fatalf("admin call by a user without permission: %d %v", status, body)
	}
	status, body = adminSTSRegion(t, s, root, "us-west-2", "activate")
	if status != http.StatusOK || body.(map[string]any)["active"] != true {
		t.Fatalf("activate us-west-2: %d %v", status, body)
	}
	_, err = west.GetSessionToken(ctx, &sts.GetSessionTokenInput{})
	ok(t, "GetSessionToken after reactivation", err)
}

// TestTokenAssumeRoleWhereSTSDeactivated: AssumeRole needs STS active for the role's account, not the
// caller's (docs/aws-behavior.md, "STS activation per Region").
func TestTokenAssumeRoleWhereSTSDeactivated(t *testing.T) {
	ctx := context.Background()
	s := Start(t, Options{})
	root := RootCreds()
	const other = "210987654321"
	otherRoot := newAccount(t, s, other)
	bob := newUser(t, s, root, "bob")
	bobARN := "arn:aws:iam::" + AccountID + ":user/bob"
	localRole := newRole(t, s, root, "local", trustPolicy(bobARN, ""), 0)
	remoteRole := newRole(t, s, otherRoot, "remote", trustPolicy(bobARN, ""), 0)
	allow(t, s, root, "bob", "sts:AssumeRole", "*")

	// Deactivate STS in eu-west-1 for the role's account only.
	if status, body := adminSTSRegion(t, s, otherRoot, "eu-west-1", "deactivate"); status != http.StatusOK {
		t.Fatalf("deactivate: %d %v", status, body)
	}
	c := s.STS(bob, "eu-west-1")
	_, err := c.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: &remoteRole, RoleSessionName: aws.String("s1")})
	wantError(t, "AssumeRole of a role whose account deactivated STS", err, "RegionDisabledException", http.StatusForbidden, msgRegionDisabled(other))
	_, err = c.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: &localRole, RoleSessionName: aws.String("s1")})
	ok(t, "AssumeRole of a role of the caller's account", err)

	// Now the caller's account deactivates and the role's account reactivates: the role's account decides.
	if status, _ := adminSTSRegion(t, s, root, "eu-west-1", "deactivate"); status != http.StatusOK {
		t.Fatal("deactivate caller's account")
	}
	if status, _ := adminSTSRegion(t, s, otherRoot, "eu-west-1", "activate"); status != http.StatusOK {
		t.Fatal("activate role's account")
	}
	_, err = c.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: &remoteRole, RoleSessionName: aws.String("s1")})
	ok(t, "AssumeRole of a role whose account has STS active", err)
	_, err = c.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: &localRole, RoleSessionName: aws.String("s1")})
	wantError(t, "AssumeRole in the caller's deactivated account", err, "RegionDisabledException", http.StatusForbidden, msgRegionDisabled(AccountID))
}

// TestTokenOptInRegionsBothAccounts: an assumed-role session of another account is usable in an opt-in
// region only when the role's account enabled it; the session belongs to the role's account.
func TestTokenOptInRegionsBothAccounts(t *testing.T) {
	ctx := context.Background()
	s := Start(t, Options{})
	root := RootCreds()
	const other = "210987654321"
	otherRoot := newAccount(t, s, other)
	bob := newUser(t, s, root, "bob")
	bobARN := "arn:aws:iam::" + AccountID + ":user/bob"
	remoteRole := newRole(t, s, otherRoot, "remote", trustPolicy(bobARN, ""), 0)
	allow(t, s, root, "bob", "sts:AssumeRole", remoteRole)

	setRegion(t, s, root, "me-south-1", true)
	out, err := s.STS(bob, "us-east-2").AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: &remoteRole, RoleSessionName: aws.String("x1")})
	ok(t, "AssumeRole", err)
	rc := sessionCreds(out.Credentials)
	_, err = s.STS(rc, "me-south-1").GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	wantError(t, "role session in a region its account has not enabled", err, "InvalidClientTokenId", http.StatusForbidden, msgInvalidToken)
	// Issuing in me-south-1 for the other account: the role's account has not enabled it.
	_, err = s.STS(bob, "me-south-1").AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: &remoteRole, RoleSessionName: aws.String("x1")})
	wantError(t, "AssumeRole in an opt-in region the role's account has not enabled", err, "RegionDisabledException",
		http.StatusForbidden, msgRegionDisabled(other))
	setRegion(t, s, otherRoot, "me-south-1", true)
	id := identity(t, s.STS(rc, "me-south-1"))
	if aws.ToString(id.Account) != other {
		t.Fatalf("assumed role account %s", aws.ToString(id.Account))
	}
	_, err = s.STS(bob, "me-south-1").AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: &remoteRole, RoleSessionName: aws.String("x1")})
	ok(t, "AssumeRole in me-south-1 once both accounts enabled it", err)
}

// TestTokenConcurrentIssue issues tokens from several clients while the account's preference flips and a
// region is enabled and disabled: every token is a v1 or v2 token that authenticates, and once the flips
// stop, the next token has the final version (the caches converge on the last write).
func TestTokenConcurrentIssue(t *testing.T) {
	ctx := context.Background()
	s := Start(t, Options{})
	root := RootCreds()
	user := newUser(t, s, root, "many")
	const workers, perWorker = 4, 15
	errs := make(chan error, workers*perWorker+1)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 10 {
			v := iamtypesVersion(i % 2)
			if _, err := s.IAM(root).SetSecurityTokenServicePreferences(ctx, &iam.SetSecurityTokenServicePreferencesInput{
				GlobalEndpointTokenVersion: v}); err != nil {
				errs <- err
				return
			}
		}
	}()
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := s.GlobalSTS(user)
			for range perWorker {
				out, err := c.GetSessionToken(ctx, &sts.GetSessionTokenInput{})
				if err != nil {
					errs <- err
					return
				}
				tok := aws.ToString(out.Credentials.SessionToken)
				if !strings.HasPrefix(tok, prefixV1) && !strings.HasPrefix(tok, prefixV2) {
					errs <- fmt.Errorf("token of no known version: %.16s", tok)
					return
				}
				if _, err := s.STS(sessionCreds(out.Credentials), "us-west-2").GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	<-done
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	// The last write was v2Token (i = 9).
	out, err := s.GlobalSTS(user).GetSessionToken(ctx, &sts.GetSessionTokenInput{})
	ok(t, "GetSessionToken after the flips", err)
	if !strings.HasPrefix(aws.ToString(out.Credentials.SessionToken), prefixV2) {
		t.Fatal("token after the last SetSecurityTokenServicePreferences(v2Token) is not v2")
	}
}

func iamtypesVersion(i int) iamtypes.GlobalEndpointTokenVersion {
	if i == 0 {
		return iamtypes.GlobalEndpointTokenVersionV1Token
	}
	return iamtypes.GlobalEndpointTokenVersionV2Token
}
