package sts

import (
	"bytes"
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/iamd/iamd/internal/api/stsapi"
	"github.com/iamd/iamd/internal/auth"
	"github.com/iamd/iamd/internal/ids"
	"github.com/iamd/iamd/internal/protocol"
	"github.com/iamd/iamd/internal/reqctx"
	"github.com/iamd/iamd/internal/secrets"
	"github.com/iamd/iamd/internal/storage"
	"github.com/iamd/iamd/internal/storage/cache"
	"github.com/iamd/iamd/internal/storage/sqlite"
	"github.com/iamd/iamd/internal/testutil/apierr"
	"github.com/iamd/iamd/internal/token"
)

const testAccount = "123456789012"

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

type fixture struct {
	svc   *Service
	store storage.Store
	ring  *token.KeyRing
	user  *reqctx.Caller
	role  *storage.Role
}

// newFixture builds the service over a real SQLite store (one account, user "ann", role "r1" trusting
// ann and role "r2" trusting r1), with the authenticator's account cache and no identity policies.
func newFixture(t testing.TB) *fixture {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, t.TempDir(), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	cached := cache.New(st, cache.Options{}) // the services read through the store's cache
	sealer, err := secrets.NewSealer(bytes.Repeat([]byte{9}, 32))
	if err != nil {
		t.Fatal(err)
	}
	ring, err := token.NewKeyRing(ctx, token.NewMemoryKeyStore(), sealer, token.Options{Now: func() time.Time { return t0 }})
	if err != nil {
		t.Fatal(err)
	}
	u := &storage.User{AccountID: testAccount, Name: "ann", Path: "/", ID: ids.NewUniqueID("AIDA"), CreatedAt: t0}
	annARN := "arn:aws:iam::" + testAccount + ":user/ann"
	r1 := &storage.Role{AccountID: testAccount, Name: "r1", Path: "/", ID: ids.NewUniqueID("AROA"), CreatedAt: t0, MaxSessionDuration: 7200,
		AssumeRolePolicyDocument: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"` + annARN + `"},"Action":["sts:AssumeRole","sts:TagSession","sts:SetSourceIdentity"]}]}`}
	r2 := &storage.Role{AccountID: testAccount, Name: "r2", Path: "/", ID: ids.NewUniqueID("AROA"), CreatedAt: t0, MaxSessionDuration: 3600,
		AssumeRolePolicyDocument: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + testAccount + `:role/r1"},"Action":["sts:AssumeRole","sts:TagSession","sts:SetSourceIdentity"]}]}`}
	broken := &storage.Role{AccountID: testAccount, Name: "broken", Path: "/", ID: ids.NewUniqueID("AROA"), CreatedAt: t0,
		AssumeRolePolicyDocument: `{"Statement":`}
	err = st.Update(ctx, func(tx storage.Tx) error {
		if err := tx.CreateAccount(ctx, &storage.Account{ID: testAccount, CreatedAt: t0, GlobalEndpointTokenVersion: 1}); err != nil {
			return err
		}
		if err := tx.CreateUser(ctx, u); err != nil {
			return err
		}
		for _, r := range []*storage.Role{r1, r2, broken} {
			if err := tx.CreateRole(ctx, r); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	accounts := auth.New(auth.Options{Store: cached, Tokens: ring})
	svc := New(Options{Store: cached, Accounts: accounts, Tokens: ring, Now: func() time.Time { return t0 }})
	return &fixture{svc: svc, store: st, ring: ring, user: auth.UserCaller("aws", u), role: r1}
}

// at returns a context of a request by c to the regional endpoint of region ("" = global endpoint).
func at(c *reqctx.Caller, region string) context.Context {
	req := &reqctx.Request{Time: t0, Partition: "aws", Caller: c, Region: region}
	if region == "" {
		req.Region, req.GlobalEndpoint = "us-east-1", true
	}
	return reqctx.With(context.Background(), req)
}

func wantAPIError(t testing.TB, what string, err error, code string, status int, msg string) {
	t.Helper()
	apierr.Want(t, what, err, code, status, msg)
}

// open returns the claims of issued credentials, checking the key and secret they carry.
func (f *fixture) open(t testing.TB, c *stsapi.Credentials) *token.Claims {
	t.Helper()
	cl, err := f.ring.Open(context.Background(), protocol.ToString(c.SessionToken))
	if err != nil {
		t.Fatal(err)
	}
	if cl.AccessKeyID != protocol.ToString(c.AccessKeyId) || cl.SecretAccessKey != protocol.ToString(c.SecretAccessKey) {
		t.Fatal("token does not carry the issued key and secret")
	}
	if !cl.Expiration.Equal(*c.Expiration) {
		t.Fatalf("token expiration %s, response %s", cl.Expiration, c.Expiration)
	}
	return cl
}

func (f *fixture) setAccount(t testing.TB, fn func(*storage.Account)) {
	t.Helper()
	ctx := context.Background()
	err := f.store.Update(ctx, func(tx storage.Tx) error {
		a, err := tx.GetAccount(ctx, testAccount)
		if err != nil {
			return err
		}
		fn(a)
		return tx.UpdateAccount(ctx, a)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestIssueVersionAndRegion: the global endpoint issues the account's version without a region; regional
// endpoints issue v2 naming their region; the version is sealed in the token.
func TestIssueVersionAndRegion(t *testing.T) {
	f := newFixture(t)
	out, err := f.svc.GetSessionToken(at(f.user, ""), &stsapi.GetSessionTokenRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if c := f.open(t, out.Credentials); c.Version != 1 || c.Region != "" || c.Kind != token.KindUserSession || c.PrincipalName != "ann" {
		t.Fatalf("global v1 claims: %+v", c)
	}
	if !out.Credentials.Expiration.Equal(t0.Add(12 * time.Hour)) {
		t.Fatalf("default expiration %s", out.Credentials.Expiration)
	}
	out, err = f.svc.GetSessionToken(at(f.user, "eu-west-1"), &stsapi.GetSessionTokenRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if c := f.open(t, out.Credentials); c.Version != 2 || c.Region != "eu-west-1" {
		t.Fatalf("regional claims: version %d region %q", c.Version, c.Region)
	}
	f.setAccount(t, func(a *storage.Account) { a.GlobalEndpointTokenVersion = 2 })
	out, err = f.svc.GetSessionToken(at(f.user, ""), &stsapi.GetSessionTokenRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if c := f.open(t, out.Credentials); c.Version != 2 || c.Region != "" {
		t.Fatalf("global v2 claims: version %d region %q", c.Version, c.Region)
	}
}

// TestCallerErrors: requests without a caller, and callers that may not call an operation.
func TestCallerErrors(t *testing.T) {
	f := newFixture(t)
	noCaller := at(nil, "us-east-1")
	_, err := f.svc.GetCallerIdentity(noCaller, &stsapi.GetCallerIdentityRequest{})
	wantAPIError(t, "GetCallerIdentity without caller", err, "MissingAuthenticationToken", http.StatusForbidden, "")
	_, err = f.svc.GetSessionToken(noCaller, &stsapi.GetSessionTokenRequest{})
	wantAPIError(t, "GetSessionToken without caller", err, "MissingAuthenticationToken", http.StatusForbidden, "")
	_, err = f.svc.GetFederationToken(noCaller, &stsapi.GetFederationTokenRequest{Name: protocol.String("fed")})
	wantAPIError(t, "GetFederationToken without caller", err, "MissingAuthenticationToken", http.StatusForbidden, "")
	_, err = f.svc.AssumeRole(noCaller, &stsapi.AssumeRoleRequest{RoleArn: protocol.String("arn:aws:iam::123456789012:role/r1"), RoleSessionName: protocol.String("s1")})
	wantAPIError(t, "AssumeRole without caller", err, "MissingAuthenticationToken", http.StatusForbidden, "")

	// MFA: both fields or none.
	_, err = f.svc.GetSessionToken(at(f.user, ""), &stsapi.GetSessionTokenRequest{SerialNumber: protocol.String("arn:aws:iam::123456789012:mfa/ann")})
	wantAPIError(t, "SerialNumber without TokenCode", err, "AccessDenied", http.StatusForbidden, msgMFAIncomplete)
	_, err = f.svc.GetSessionToken(at(f.user, ""), &stsapi.GetSessionTokenRequest{TokenCode: protocol.String("123456")})
	wantAPIError(t, "TokenCode without SerialNumber", err, "AccessDenied", http.StatusForbidden, msgMFAIncomplete)

	// GetAccessKeyInfo decodes the account of a key iamd does not hold; undecodable IDs are refused.
	k, _ := ids.NewAccessKeyID(ids.PrefixAccessKey, "000000000042")
	out, err := f.svc.GetAccessKeyInfo(at(f.user, ""), &stsapi.GetAccessKeyInfoRequest{AccessKeyId: &k})
	if err != nil || protocol.ToString(out.Account) != "000000000042" {
		t.Fatalf("GetAccessKeyInfo: %v %v", out, err)
	}
	_, err = f.svc.GetAccessKeyInfo(at(f.user, ""), &stsapi.GetAccessKeyInfoRequest{AccessKeyId: protocol.String("AKIA0000000000000000")})
	wantAPIError(t, "GetAccessKeyInfo of an undecodable ID", err, "InvalidParameterValue", http.StatusBadRequest, "")
}

// TestRegionDisabled: issuing in a region where STS is not active for the account, including opt-in
// regions that are enabling but not yet enabled.
func TestRegionDisabled(t *testing.T) {
	f := newFixture(t)
	msg := "STS is not activated in this region for account:" + testAccount +
		". Your account administrator can activate STS in this region using the IAM Console."
	f.setAccount(t, func(a *storage.Account) {
		a.STSRegions = map[string]bool{"eu-north-1": false}
		a.Regions = map[string]storage.RegionState{"ap-south-2": {Status: storage.RegionEnabling, Until: t0.Add(time.Minute)},
			"eu-central-2": {Status: storage.RegionEnabled}}
	})
	for _, region := range []string{"eu-north-1", "ap-south-2", "ca-west-1"} {
		_, err := f.svc.GetSessionToken(at(f.user, region), &stsapi.GetSessionTokenRequest{})
		wantAPIError(t, "GetSessionToken in "+region, err, "RegionDisabledException", http.StatusForbidden, msg)
		_, err = f.svc.GetFederationToken(at(f.user, region), &stsapi.GetFederationTokenRequest{Name: protocol.String("fed")})
		wantAPIError(t, "GetFederationToken in "+region, err, "RegionDisabledException", http.StatusForbidden, msg)
		_, err = f.svc.AssumeRole(at(f.user, region), &stsapi.AssumeRoleRequest{RoleArn: protocol.String("arn:aws:iam::123456789012:role/r1"),
			RoleSessionName: protocol.String("s1")})
		wantAPIError(t, "AssumeRole in "+region, err, "RegionDisabledException", http.StatusForbidden, msg)
		if _, err := f.svc.GetCallerIdentity(at(f.user, region), &stsapi.GetCallerIdentityRequest{}); err != nil {
			t.Fatalf("GetCallerIdentity in %s: %v", region, err)
		}
	}
	for _, region := range []string{"", "us-east-1", "eu-central-2", "eu-west-1"} {
		if _, err := f.svc.GetSessionToken(at(f.user, region), &stsapi.GetSessionTokenRequest{}); err != nil {
			t.Fatalf("GetSessionToken in %q: %v", region, err)
		}
	}
}

// TestAssumeRoleErrors: ARNs, trust policies, chains, tags and source identities.
func TestAssumeRoleErrors(t *testing.T) {
	f := newFixture(t)
	ctx := at(f.user, "us-east-2")
	r1 := "arn:aws:iam::" + testAccount + ":role/r1"
	r2 := "arn:aws:iam::" + testAccount + ":role/r2"
	annARN := f.user.ARN
	for _, arn := range []string{"arn:aws:iam::12345:role/r1", "arn:aws:iam::" + testAccount + ":user/ann",
		"arn:aws:iam::" + testAccount + ":role/", "not an arn"} {
		_, err := f.svc.AssumeRole(ctx, &stsapi.AssumeRoleRequest{RoleArn: &arn, RoleSessionName: protocol.String("s1")})
		wantAPIError(t, "RoleArn "+arn, err, "ValidationError", http.StatusBadRequest, "")
	}
	broken := "arn:aws:iam::" + testAccount + ":role/broken"
	_, err := f.svc.AssumeRole(ctx, &stsapi.AssumeRoleRequest{RoleArn: &broken, RoleSessionName: protocol.String("s1")})
	wantAPIError(t, "role whose trust policy does not parse", err, "AccessDenied", http.StatusForbidden,
		"User: "+annARN+" is not authorized to perform: sts:AssumeRole on resource: "+broken)
	_, err = f.svc.AssumeRole(ctx, &stsapi.AssumeRoleRequest{RoleArn: &r2, RoleSessionName: protocol.String("s1")})
	wantAPIError(t, "role not trusting the user", err, "AccessDenied", http.StatusForbidden, "")

	// A chain carries transitive tags and the source identity; neither can be changed on the way.
	out, err := f.svc.AssumeRole(ctx, &stsapi.AssumeRoleRequest{RoleArn: &r1, RoleSessionName: protocol.String("hop1"),
		SourceIdentity: protocol.String("ann@corp"), DurationSeconds: protocol.Int32(7200),
		Tags:              []stsapi.Tag{{Key: protocol.String("Team"), Value: protocol.String("red")}, {Key: protocol.String("Cost"), Value: protocol.String("42")}},
		TransitiveTagKeys: []string{"Team"}})
	if err != nil {
		t.Fatal(err)
	}
	if protocol.ToString(out.SourceIdentity) != "ann@corp" {
		t.Fatalf("SourceIdentity %q", protocol.ToString(out.SourceIdentity))
	}
	hop1 := f.open(t, out.Credentials)
	if hop1.RoleChained || hop1.SourceIdentity != "ann@corp" || len(hop1.Tags) != 2 || hop1.AccountID != testAccount {
		t.Fatalf("hop1 claims: %+v", hop1)
	}
	roleCaller := auth.SessionCaller(hop1)
	ctx2 := at(roleCaller, "us-east-2")
	_, err = f.svc.AssumeRole(ctx2, &stsapi.AssumeRoleRequest{RoleArn: &r2, RoleSessionName: protocol.String("hop2"),
		Tags: []stsapi.Tag{{Key: protocol.String("team"), Value: protocol.String("blue")}}})
	wantAPIError(t, "overriding a transitive tag", err, "AccessDenied", http.StatusForbidden, "")
	_, err = f.svc.AssumeRole(ctx2, &stsapi.AssumeRoleRequest{RoleArn: &r2, RoleSessionName: protocol.String("hop2"),
		SourceIdentity: protocol.String("mallory")})
	wantAPIError(t, "changing the source identity", err, "AccessDenied", http.StatusForbidden, "")
	_, err = f.svc.AssumeRole(ctx2, &stsapi.AssumeRoleRequest{RoleArn: &r2, RoleSessionName: protocol.String("hop2"),
		DurationSeconds: protocol.Int32(3601)})
	wantAPIError(t, "chain beyond 1 h", err, "ValidationError", http.StatusBadRequest,
		"The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.")
	out, err = f.svc.AssumeRole(ctx2, &stsapi.AssumeRoleRequest{RoleArn: &r2, RoleSessionName: protocol.String("hop2"),
		Tags: []stsapi.Tag{{Key: protocol.String("Stage"), Value: protocol.String("2")}}})
	if err != nil {
		t.Fatal(err)
	}
	hop2 := f.open(t, out.Credentials)
	if !hop2.RoleChained || hop2.SourceIdentity != "ann@corp" || hop2.PrincipalName != "r2" {
		t.Fatalf("hop2 claims: %+v", hop2)
	}
	tags := map[string]string{}
	for _, tg := range hop2.Tags {
		tags[tg.Key] = tg.Value
	}
	if len(tags) != 2 || tags["Team"] != "red" || tags["Stage"] != "2" || len(hop2.TransitiveTagKeys) != 1 {
		t.Fatalf("hop2 tags %v transitive %v: want the transitive Team carried and Cost dropped", tags, hop2.TransitiveTagKeys)
	}
	if !out.Credentials.Expiration.Equal(t0.Add(time.Hour)) {
		t.Fatalf("chained default expiration %s", out.Credentials.Expiration)
	}
}

// TestSessionPolicyARNLimit: more than 10 managed session policies are refused before anything is
// sealed (the token holds at most 10: an eleventh used to fail sealing with an internal error).
func TestSessionPolicyARNLimit(t *testing.T) {
	f := newFixture(t)
	r1 := "arn:aws:iam::" + testAccount + ":role/r1"
	arns := make([]stsapi.PolicyDescriptorType, 11)
	for i := range arns {
		arns[i] = stsapi.PolicyDescriptorType{Arn: protocol.String("arn:aws:iam::aws:policy/P" + string(rune('a'+i)))}
	}
	_, err := f.svc.AssumeRole(at(f.user, ""), &stsapi.AssumeRoleRequest{RoleArn: &r1, RoleSessionName: protocol.String("s1"), PolicyArns: arns})
	wantAPIError(t, "AssumeRole with 11 policy ARNs", err, "ValidationError", http.StatusBadRequest, "")
	_, err = f.svc.GetFederationToken(at(f.user, ""), &stsapi.GetFederationTokenRequest{Name: protocol.String("fed"), PolicyArns: arns})
	wantAPIError(t, "GetFederationToken with 11 policy ARNs", err, "ValidationError", http.StatusBadRequest, "")
	out, err := f.svc.AssumeRole(at(f.user, ""), &stsapi.AssumeRoleRequest{RoleArn: &r1, RoleSessionName: protocol.String("s1"), PolicyArns: arns[:10]})
	if err != nil {
		t.Fatalf("10 policy ARNs: %v", err)
	}
	if c := f.open(t, out.Credentials); len(c.PolicyARNs) != 10 {
		t.Fatalf("sealed %d policy ARNs", len(c.PolicyARNs))
	}
}

// TestAssumeRoleOtherPartition: a role ARN of another partition names no role reachable from here.
func TestAssumeRoleOtherPartition(t *testing.T) {
	f := newFixture(t)
	for _, arn := range []string{"arn:aws-cn:iam::" + testAccount + ":role/r1", "arn:aws-us-gov:iam::" + testAccount + ":role/r1"} {
		_, err := f.svc.AssumeRole(at(f.user, ""), &stsapi.AssumeRoleRequest{RoleArn: &arn, RoleSessionName: protocol.String("s1")})
		wantAPIError(t, "AssumeRole of "+arn, err, "AccessDenied", http.StatusForbidden,
			"User: "+f.user.ARN+" is not authorized to perform: sts:AssumeRole on resource: "+arn)
	}
}

// TestPackedPolicySize: the percentage grows with what the session carries and stops at 100.
func TestPackedPolicySize(t *testing.T) {
	f := newFixture(t)
	ctx := at(f.user, "")
	sizes := []int32{}
	for _, n := range []int{0, 5, 20} {
		tags := make([]stsapi.Tag, n)
		for i := range tags {
			tags[i] = stsapi.Tag{Key: protocol.String(strings.Repeat("k", 10) + string(rune('a'+i))), Value: protocol.String(strings.Repeat("v", 40))}
		}
		out, err := f.svc.GetFederationToken(ctx, &stsapi.GetFederationTokenRequest{Name: protocol.String("fed"), Tags: tags})
		if err != nil {
			t.Fatalf("%d tags: %v", n, err)
		}
		if (n == 0) != (out.PackedPolicySize == nil) {
			t.Fatalf("%d tags: PackedPolicySize %v (AWS leaves it out exactly when nothing is packed)", n, out.PackedPolicySize)
		}
		sizes = append(sizes, protocol.ToInt32(out.PackedPolicySize))
	}
	if !(sizes[0] == 0 && sizes[0] < sizes[1] && sizes[1] < sizes[2] && sizes[2] <= 100) {
		t.Fatalf("PackedPolicySize for 0, 5, 20 tags: %v", sizes)
	}
	tags := make([]stsapi.Tag, 50)
	for i := range tags {
		tags[i] = stsapi.Tag{Key: protocol.String(strings.Repeat("k", 126) + string(rune('A'+i/26)) + string(rune('a'+i%26))),
			Value: protocol.String(strings.Repeat("v", 256))}
	}
	_, err := f.svc.GetFederationToken(ctx, &stsapi.GetFederationTokenRequest{Name: protocol.String("fed"), Tags: tags})
	wantAPIError(t, "50 maximal tags", err, "PackedPolicyTooLarge", http.StatusBadRequest, "")
}

// BenchmarkIssue measures issuing credentials in the service (sealing included, no HTTP).
func BenchmarkIssue(b *testing.B) {
	f := newFixture(b)
	r1 := "arn:aws:iam::" + testAccount + ":role/r1"
	b.Run("GetSessionToken", func(b *testing.B) {
		ctx := at(f.user, "us-west-2")
		b.ReportAllocs()
		for b.Loop() {
			if _, err := f.svc.GetSessionToken(ctx, &stsapi.GetSessionTokenRequest{}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("AssumeRole", func(b *testing.B) {
		ctx := at(f.user, "us-west-2")
		in := &stsapi.AssumeRoleRequest{RoleArn: &r1, RoleSessionName: protocol.String("bench")}
		b.ReportAllocs()
		for b.Loop() {
			if _, err := f.svc.AssumeRole(ctx, in); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// TestRoleCacheFollowsChanges: roles (in the store's cache) and their parsed trust policies are cached,
// yet a change of the trust policy, a new path or a deletion takes effect on the very next AssumeRole.
func TestRoleCacheFollowsChanges(t *testing.T) {
	f := newFixture(t)
	ctx := at(f.user, "us-east-2")
	bg := context.Background()
	r1 := "arn:aws:iam::" + testAccount + ":role/r1"
	assume := func() error {
		_, err := f.svc.AssumeRole(ctx, &stsapi.AssumeRoleRequest{RoleArn: &r1, RoleSessionName: protocol.String("s1")})
		return err
	}
	update := func(fn func(r *storage.Role)) {
		t.Helper()
		err := f.store.Update(bg, func(tx storage.Tx) error {
			r, err := tx.GetRole(bg, testAccount, "r1")
			if err != nil {
				return err
			}
			fn(r)
			return tx.UpdateRole(bg, "r1", r)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := assume(); err != nil {
		t.Fatal(err)
	}
	if err := f.store.Update(bg, func(tx storage.Tx) error { return tx.SetRoleLastUsed(bg, testAccount, "r1", t0, "us-east-2") }); err != nil {
		t.Fatal(err)
	}
	if err := assume(); err != nil {
		t.Fatalf("after the role's last use was recorded: %v", err)
	}
	trust := f.role.AssumeRolePolicyDocument
	update(func(r *storage.Role) {
		r.AssumeRolePolicyDocument = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + testAccount + `:role/r2"},"Action":"sts:AssumeRole"}]}`
	})
	wantAPIError(t, "after the trust policy stopped naming the user", assume(), "AccessDenied", http.StatusForbidden, "")
	update(func(r *storage.Role) { r.AssumeRolePolicyDocument = trust })
	if err := assume(); err != nil {
		t.Fatalf("after the trust policy named the user again: %v", err)
	}
	update(func(r *storage.Role) { r.Path = "/moved/" })
	wantAPIError(t, "after the role moved to another path", assume(), "AccessDenied", http.StatusForbidden, "")
	if err := f.store.Update(bg, func(tx storage.Tx) error { return tx.DeleteRole(bg, testAccount, "r1") }); err != nil {
		t.Fatal(err)
	}
	wantAPIError(t, "after the role was deleted", assume(), "AccessDenied", http.StatusForbidden, "")
}

func TestTrustPolicyCacheBounded(t *testing.T) {
	c := newTrustPolicies()
	for i := range maxCachedTrust + 5 {
		doc := `{"Version":"2012-10-17","Statement":[{"Sid":"s` + strconv.Itoa(i) + `","Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole"}]}`
		p, err := c.parse(doc)
		if err != nil || p == nil {
			t.Fatal(err)
		}
		if again, _ := c.parse(doc); again != p {
			t.Fatal("a document parsed twice")
		}
	}
	if n := c.c.Len(); n > maxCachedTrust {
		t.Fatalf("%d trust policies cached, bound %d", n, maxCachedTrust)
	}
	if _, err := c.parse(`{"Statement":`); err == nil {
		t.Fatal("a broken trust policy parsed")
	}
}

// TestAssumeRoleTrustsResolvedIDs: a trust policy whose named user or role was resolved to a unique ID
// when it was saved trusts that principal only, not a namesake created after it was deleted.
func TestAssumeRoleTrustsResolvedIDs(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	annARN := f.user.ARN
	r1ARN := "arn:aws:iam::" + testAccount + ":role/r1"
	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["` + annARN + `","` + r1ARN + `"]},"Action":"sts:AssumeRole"}]}`
	target := &storage.Role{AccountID: testAccount, Name: "target", Path: "/", ID: ids.NewUniqueID("AROA"), CreatedAt: t0,
		AssumeRolePolicyDocument: doc, TrustPrincipalIDs: map[string]string{annARN: f.user.PrincipalID, r1ARN: f.role.ID}}
	if err := f.store.Update(ctx, func(tx storage.Tx) error { return tx.CreateRole(ctx, target) }); err != nil {
		t.Fatal(err)
	}
	targetARN := "arn:aws:iam::" + testAccount + ":role/target"
	assume := func(c *reqctx.Caller) error {
		_, err := f.svc.AssumeRole(at(c, "us-east-2"), &stsapi.AssumeRoleRequest{RoleArn: &targetARN, RoleSessionName: protocol.String("s")})
		return err
	}
	if err := assume(f.user); err != nil {
		t.Fatalf("the user the policy named: %v", err)
	}
	namesake := *f.user
	namesake.PrincipalID, namesake.UserID = ids.NewUniqueID("AIDA"), ""
	wantAPIError(t, "a namesake user", assume(&namesake), "AccessDenied", http.StatusForbidden,
		"User: "+annARN+" is not authorized to perform: sts:AssumeRole on resource: "+targetARN)

	session := func(roleID string) *reqctx.Caller {
		return auth.SessionCaller(&token.Claims{Version: 2, AccountID: testAccount, Partition: "aws", Kind: token.KindAssumedRole,
			PrincipalName: "r1", PrincipalID: roleID, PrincipalPath: "/", SessionName: "s", IssuedAt: t0, Expiration: t0.Add(time.Hour)})
	}
	if err := assume(session(f.role.ID)); err != nil {
		t.Fatalf("a session of the role the policy named: %v", err)
	}
	wantAPIError(t, "a session of a namesake role", assume(session(ids.NewUniqueID("AROA"))), "AccessDenied", http.StatusForbidden, "")
}
