package authz

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/iamd/iamd/internal/api/accountapi"
	"github.com/iamd/iamd/internal/api/iamapi"
	"github.com/iamd/iamd/internal/api/stsapi"
	"github.com/iamd/iamd/internal/protocol"
	"github.com/iamd/iamd/internal/reqctx"
	iamsvc "github.com/iamd/iamd/internal/service/iam"
	"github.com/iamd/iamd/internal/storage"
	"github.com/iamd/iamd/internal/storage/cache"
	"github.com/iamd/iamd/internal/storage/sqlite"
)

const acct = "123456789012"

// fixture is an Authorizer over a real SQLite store and IAM service.
type fixture struct {
	t     testing.TB
	store storage.Store
	iam   *iamsvc.Service
	az    *Authorizer
	now   time.Time
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, t.TempDir(), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	// Through the store's cache, as in the server: its versions let the authorizer keep compiled sets.
	f := &fixture{t: t, store: cache.New(st, cache.Options{}), now: time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)}
	if err := st.Update(ctx, func(tx storage.Tx) error {
		return tx.CreateAccount(ctx, &storage.Account{ID: acct, CreatedAt: f.now.Add(-time.Hour)})
	}); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	f.iam = iamsvc.New(iamsvc.Options{Store: f.store, Now: func() time.Time { return f.now }, Logger: log})
	f.az = New(Options{Store: f.store, Policies: f.iam, Now: func() time.Time { return f.now }, Logger: log})
	return f
}

// ctx is a request by c. Callers made by userCaller and roleCaller get the unique ID of the user or role
// of their name, as the authenticator gives them (a caller whose ID is not its principal's gets no
// permission).
func (f *fixture) ctx(c *reqctx.Caller) context.Context {
	c = f.identify(c)
	return reqctx.With(context.Background(), &reqctx.Request{ID: "t", Time: f.now, Partition: "aws", Region: "us-east-1",
		SourceIP: "10.1.2.3", UserAgent: "test", SecureTransport: true, Caller: c})
}

func (f *fixture) root() context.Context {
	return f.ctx(&reqctx.Caller{Kind: reqctx.CallerRoot, AccountID: acct, Partition: "aws", ARN: "arn:aws:iam::" + acct + ":root",
		UserID: acct, PrincipalID: acct, PrincipalPath: "/"})
}

// identify returns c with the unique ID of its user or role filled in when it has none and the principal
// exists.
func (f *fixture) identify(c *reqctx.Caller) *reqctx.Caller {
	if c.PrincipalID != "" || (c.Kind != reqctx.CallerUser && c.Kind != reqctx.CallerAssumedRole) {
		return c
	}
	ctx := context.Background()
	var id string
	_ = f.store.View(ctx, func(tx storage.Tx) error {
		if c.Kind == reqctx.CallerUser {
			if u, err := tx.GetUser(ctx, c.AccountID, c.PrincipalName); err == nil {
				id = u.ID
			}
		} else if r, err := tx.GetRole(ctx, c.AccountID, c.PrincipalName); err == nil {
			id = r.ID
		}
		return nil
	})
	cp := *c
	cp.PrincipalID = id
	return &cp
}

func userCaller(name, path string) *reqctx.Caller {
	return &reqctx.Caller{Kind: reqctx.CallerUser, AccountID: acct, Partition: "aws",
		ARN: "arn:aws:iam::" + acct + ":user" + path + name, UserID: "AIDA" + strings.ToUpper(name), Name: name,
		PrincipalName: name, PrincipalPath: path}
}

func roleCaller(role, path, session string) *reqctx.Caller {
	return &reqctx.Caller{Kind: reqctx.CallerAssumedRole, AccountID: acct, Partition: "aws",
		ARN: "arn:aws:sts::" + acct + ":assumed-role/" + role + "/" + session, UserID: "AROAX:" + session, Name: role,
		PrincipalName: role, PrincipalPath: path, SessionName: session,
		Session: &reqctx.Session{Issuer: "AssumeRole", IssuedAt: time.Date(2026, 3, 4, 5, 0, 0, 0, time.UTC)}}
}

func must[T any](t testing.TB) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

func s(v string) *string { return &v }

func op(t testing.TB, list []*protocol.Operation, name string) *protocol.Operation {
	for _, o := range list {
		if o.Name == name {
			return o
		}
	}
	t.Fatalf("no operation %s", name)
	return nil
}

// setup creates the entities the resource tests name.
func (f *fixture) setup() {
	t, ctx := f.t, f.root()
	must[*iamapi.CreateUserResponse](t)(f.iam.CreateUser(ctx, &iamapi.CreateUserRequest{UserName: s("alice"), Path: s("/eng/"),
		Tags: []iamapi.Tag{{Key: s("Team"), Value: s("blue")}}}))
	must[*iamapi.CreateUserResponse](t)(f.iam.CreateUser(ctx, &iamapi.CreateUserRequest{UserName: s("bob")}))
	must[*iamapi.PutUserPermissionsBoundaryOutput](t)(f.iam.PutUserPermissionsBoundary(ctx, &iamapi.PutUserPermissionsBoundaryRequest{
		UserName: s("bob"), PermissionsBoundary: s("arn:aws:iam::aws:policy/ReadOnlyAccess")}))
	must[*iamapi.CreateRoleResponse](t)(f.iam.CreateRole(ctx, &iamapi.CreateRoleRequest{RoleName: s("app"), Path: s("/svc/"),
		AssumeRolePolicyDocument: s(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"}]}`),
		Tags:                     []iamapi.Tag{{Key: s("env"), Value: s("prod")}}}))
	must[*iamapi.CreateGroupResponse](t)(f.iam.CreateGroup(ctx, &iamapi.CreateGroupRequest{GroupName: s("devs"), Path: s("/g/")}))
	must[*iamapi.CreateInstanceProfileResponse](t)(f.iam.CreateInstanceProfile(ctx, &iamapi.CreateInstanceProfileRequest{
		InstanceProfileName: s("prof"), Path: s("/ip/")}))
}

// The resource ARN of every kind of IAM operation, as the IAM service authorization reference names it, with
// the entity's stored path.
func TestResourceARNs(t *testing.T) {
	f := newFixture(t)
	f.setup()
	const a = "arn:aws:iam::123456789012:"
	alice := userCaller("alice", "/eng/")
	cases := []struct {
		caller  *reqctx.Caller
		list    []*protocol.Operation
		op      string
		in      any
		want    string
		wantCtx map[string]string
	}{
		{alice, iamapi.Operations, "GetUser", &iamapi.GetUserRequest{UserName: s("alice")}, a + "user/eng/alice",
			map[string]string{"aws:resourcetag/team": "blue", "iam:resourcetag/team": "blue"}},
		{alice, iamapi.Operations, "GetUser", &iamapi.GetUserRequest{}, a + "user/eng/alice", nil},
		{alice, iamapi.Operations, "ListAccessKeys", &iamapi.ListAccessKeysRequest{}, a + "user/eng/alice", nil},
		{alice, iamapi.Operations, "GetUser", &iamapi.GetUserRequest{UserName: s("ALICE")}, a + "user/eng/alice", nil},
		{alice, iamapi.Operations, "DeleteUser", &iamapi.DeleteUserRequest{UserName: s("nobody")}, a + "user/nobody", nil},
		{alice, iamapi.Operations, "CreateUser", &iamapi.CreateUserRequest{UserName: s("carol"), Path: s("/x/y/"),
			PermissionsBoundary: s("arn:aws:iam::123456789012:policy/b")}, a + "user/x/y/carol",
			map[string]string{"iam:permissionsboundary": "arn:aws:iam::123456789012:policy/b"}},
		{alice, iamapi.Operations, "CreateUser", &iamapi.CreateUserRequest{UserName: s("carol")}, a + "user/carol", nil},
		{alice, iamapi.Operations, "CreateRole", &iamapi.CreateRoleRequest{RoleName: s("r"), Path: s("/p/")}, a + "role/p/r", nil},
		{alice, iamapi.Operations, "CreateGroup", &iamapi.CreateGroupRequest{GroupName: s("g")}, a + "group/g", nil},
		{alice, iamapi.Operations, "CreatePolicy", &iamapi.CreatePolicyRequest{PolicyName: s("p"), Path: s("/pp/")}, a + "policy/pp/p", nil},
		{alice, iamapi.Operations, "CreateInstanceProfile", &iamapi.CreateInstanceProfileRequest{InstanceProfileName: s("i")}, a + "instance-profile/i", nil},
		{alice, iamapi.Operations, "CreateServiceLinkedRole", &iamapi.CreateServiceLinkedRoleRequest{AWSServiceName: s("autoscaling.amazonaws.com")},
			a + "role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling",
			map[string]string{"iam:awsservicename": "autoscaling.amazonaws.com"}},
		{alice, iamapi.Operations, "AddUserToGroup", &iamapi.AddUserToGroupRequest{GroupName: s("devs"), UserName: s("alice")}, a + "group/g/devs", nil},
		{alice, iamapi.Operations, "RemoveUserFromGroup", &iamapi.RemoveUserFromGroupRequest{GroupName: s("devs"), UserName: s("alice")}, a + "group/g/devs", nil},
		{alice, iamapi.Operations, "ListGroupsForUser", &iamapi.ListGroupsForUserRequest{UserName: s("alice")}, a + "user/eng/alice", nil},
		{alice, iamapi.Operations, "AddRoleToInstanceProfile", &iamapi.AddRoleToInstanceProfileRequest{InstanceProfileName: s("prof"), RoleName: s("app")}, a + "instance-profile/ip/prof", nil},
		{alice, iamapi.Operations, "ListInstanceProfilesForRole", &iamapi.ListInstanceProfilesForRoleRequest{RoleName: s("app")}, a + "role/svc/app",
			map[string]string{"aws:resourcetag/env": "prod"}},
		{alice, iamapi.Operations, "AttachUserPolicy", &iamapi.AttachUserPolicyRequest{UserName: s("bob"), PolicyArn: s("arn:aws:iam::aws:policy/X")}, a + "user/bob",
			map[string]string{"iam:policyarn": "arn:aws:iam::aws:policy/X", "iam:permissionsboundary": "arn:aws:iam::aws:policy/ReadOnlyAccess"}},
		{alice, iamapi.Operations, "PutUserPolicy", &iamapi.PutUserPolicyRequest{UserName: s("bob"), PolicyName: s("p")}, a + "user/bob",
			map[string]string{"iam:permissionsboundary": "arn:aws:iam::aws:policy/ReadOnlyAccess"}},
		{alice, iamapi.Operations, "AttachGroupPolicy", &iamapi.AttachGroupPolicyRequest{GroupName: s("devs"), PolicyArn: s("arn:aws:iam::aws:policy/X")}, a + "group/g/devs",
			map[string]string{"iam:policyarn": "arn:aws:iam::aws:policy/X"}},
		{alice, iamapi.Operations, "DetachRolePolicy", &iamapi.DetachRolePolicyRequest{RoleName: s("app"), PolicyArn: s("arn:aws:iam::aws:policy/X")}, a + "role/svc/app", nil},
		{alice, iamapi.Operations, "GetPolicy", &iamapi.GetPolicyRequest{PolicyArn: s("arn:aws:iam::aws:policy/ReadOnlyAccess")}, "arn:aws:iam::aws:policy/ReadOnlyAccess", nil},
		{alice, iamapi.Operations, "ListEntitiesForPolicy", &iamapi.ListEntitiesForPolicyRequest{PolicyArn: s(a + "policy/p")}, a + "policy/p", nil},
		{alice, iamapi.Operations, "DeletePolicyVersion", &iamapi.DeletePolicyVersionRequest{PolicyArn: s(a + "policy/p"), VersionId: s("v1")}, a + "policy/p", nil},
		{alice, iamapi.Operations, "ListUsers", &iamapi.ListUsersRequest{}, a + "user/", nil},
		{alice, iamapi.Operations, "ListRoles", &iamapi.ListRolesRequest{PathPrefix: s("/svc/")}, a + "role/svc/", nil},
		{alice, iamapi.Operations, "ListGroups", &iamapi.ListGroupsRequest{}, a + "group/", nil},
		{alice, iamapi.Operations, "ListInstanceProfiles", &iamapi.ListInstanceProfilesRequest{}, a + "instance-profile/", nil},
		{alice, iamapi.Operations, "ListPolicies", &iamapi.ListPoliciesRequest{}, a + "policy/", nil},
		{alice, iamapi.Operations, "ListPolicies", &iamapi.ListPoliciesRequest{PathPrefix: s("/team/")}, a + "policy/team/", nil},
		{alice, iamapi.Operations, "GetAccountSummary", &iamapi.GetAccountSummaryInput{}, "*", nil},
		{alice, iamapi.Operations, "SimulateCustomPolicy", &iamapi.SimulateCustomPolicyRequest{}, "*", nil},
		{alice, iamapi.Operations, "SimulatePrincipalPolicy", &iamapi.SimulatePrincipalPolicyRequest{PolicySourceArn: s(a + "role/svc/app")}, a + "role/svc/app", nil},
		{alice, iamapi.Operations, "GetContextKeysForPrincipalPolicy", &iamapi.GetContextKeysForPrincipalPolicyRequest{PolicySourceArn: s(a + "group/g/devs")}, a + "group/g/devs", nil},
		{alice, iamapi.Operations, "TagUser", &iamapi.TagUserRequest{UserName: s("alice"), Tags: []iamapi.Tag{{Key: s("Cost"), Value: s("42")}}}, a + "user/eng/alice",
			map[string]string{"aws:requesttag/cost": "42", "aws:tagkeys": "Cost", "aws:resourcetag/team": "blue"}},
		{alice, iamapi.Operations, "UntagRole", &iamapi.UntagRoleRequest{RoleName: s("app"), TagKeys: []string{"env"}}, a + "role/svc/app",
			map[string]string{"aws:tagkeys": "env"}},
		{roleCaller("app", "/svc/", "s1"), iamapi.Operations, "GetRole", &iamapi.GetRoleRequest{RoleName: s("app")}, a + "role/svc/app", nil},
		{alice, stsapi.Operations, "GetFederationToken", &stsapi.GetFederationTokenRequest{Name: s("fed")}, "arn:aws:sts::123456789012:federated-user/fed", nil},
		{alice, stsapi.Operations, "GetAccessKeyInfo", &stsapi.GetAccessKeyInfoRequest{AccessKeyId: s("AKIAX")}, "*", nil},
		{alice, accountapi.Operations, "EnableRegion", &accountapi.EnableRegionRequest{RegionName: s("af-south-1")}, "arn:aws:account::123456789012:account",
			map[string]string{"account:targetregion": "af-south-1"}},
		{alice, accountapi.Operations, "ListRegions", &accountapi.ListRegionsRequest{}, "arn:aws:account::123456789012:account", nil},
	}
	for _, c := range cases {
		t.Run(c.op, func(t *testing.T) {
			o := op(t, c.list, c.op)
			buf := newCtxBuf()
			got, err := f.az.resource(context.Background(), c.caller, nil, o.Service.SigningName, o.Name, c.in, buf)
			if err != nil {
				t.Fatal(err)
			}
			addRequestTags(buf.m, c.in)
			if got != c.want {
				t.Errorf("resource = %s, want %s", got, c.want)
			}
			for k, v := range c.wantCtx {
				if g := strings.Join(buf.m[k], ","); g != v {
					t.Errorf("context %s = %q, want %q", k, g, v)
				}
			}
		})
	}
}

// Every IAM operation names a resource: only the operations the service authorization reference lists
// with "*" may answer "*" when the caller is not a user (which would make the caller's own user the
// default).
func TestEveryIAMOperationHasAResource(t *testing.T) {
	f := newFixture(t)
	caller := roleCaller("app", "/", "s")
	// Fill every string member authorization reads with a value of the right form.
	values := map[string]string{
		"UserName": "u", "RoleName": "r", "GroupName": "g", "InstanceProfileName": "i", "PolicyArn": "arn:aws:iam::123456789012:policy/p",
		"PolicyName": "p", "AWSServiceName": "autoscaling.amazonaws.com", "PolicySourceArn": "arn:aws:iam::123456789012:user/u",
		"Arn": "arn:aws:iam::123456789012:user/u", "SAMLProviderArn": "arn:aws:iam::123456789012:saml-provider/s",
		"OpenIDConnectProviderArn": "arn:aws:iam::123456789012:oidc-provider/o", "SerialNumber": "arn:aws:iam::123456789012:mfa/m",
		"ServerCertificateName": "c", "VirtualMFADeviceName": "m",
	}
	for _, o := range iamapi.Operations {
		in := o.NewInput()
		x := inputOf(in)
		if x.s != nil {
			for i, name := range fieldNames {
				if j := x.s.idx[i]; j >= 0 {
					if v, ok := values[name]; ok && x.v.Field(j).Type() == reflect.TypeOf((*string)(nil)) {
						x.v.Field(j).Set(reflect.ValueOf(&v))
					}
				}
			}
		}
		got, err := f.az.resource(context.Background(), caller, nil, "iam", o.Name, in, newCtxBuf())
		if err != nil {
			t.Fatalf("%s: %v", o.Name, err)
		}
		switch {
		case accountWide[o.Name]:
			if got != "*" {
				t.Errorf("%s: resource %s, want *", o.Name, got)
			}
		case got == "*" && !noResource[o.Name]:
			t.Errorf("%s: resource *", o.Name)
		case got != "*" && !strings.HasPrefix(got, "arn:aws:iam::"):
			t.Errorf("%s: resource %s", o.Name, got)
		}
	}
}

// noResource are IAM operations of the model that act on the caller's own user (resource "*" for a role
// caller, which AWS then rejects in the service) or on resources iamd does not keep.
var noResource = map[string]bool{
	"GetUser": true, "ListAccessKeys": true, "CreateAccessKey": true, "DeleteAccessKey": true, "UpdateAccessKey": true,
	"ChangePassword": true, "ListSigningCertificates": true, "ListSSHPublicKeys": true,
	"ListMFADevices": true, "ListServiceSpecificCredentials": true, "UploadSigningCertificate": true,
	"DeleteSigningCertificate": true, "UpdateSigningCertificate": true, "ListUserTags": false,
	"GetLoginProfile": true, "CreateLoginProfile": true, "DeleteLoginProfile": true, "UpdateLoginProfile": true,
	"GetMFADevice": true, "ListMFADeviceTags": false, "GetSSHPublicKey": true, "UpdateSSHPublicKey": true,
	"DeleteSSHPublicKey": true, "UploadSSHPublicKey": true, "ResetServiceSpecificCredential": true,
	"CreateServiceSpecificCredential": true, "DeleteServiceSpecificCredential": true, "UpdateServiceSpecificCredential": true,
	"GetServiceLastAccessedDetails": true, "UploadServerCertificate": true,
	"CreateSAMLProvider": true, "DisableOrganizationsRootCredentialsManagement": true,
	"DisableOrganizationsRootSessions": true, "EnableOrganizationsRootCredentialsManagement": true,
	"EnableOrganizationsRootSessions": true, "ListOrganizationsFeatures": true, "GenerateOrganizationsAccessReport": true,
	"SetSecurityTokenServicePreferences": true, "GetAccountEmailAddress": true,
	"EnableOutboundWebIdentityFederation": true, "DisableOutboundWebIdentityFederation": true,
	"GetOutboundWebIdentityFederationInfo": true,
}

// A change committed by one request is in force on the next request, before the background loop (not
// running here) applies it.
func TestPolicyChangeTakesEffectOnNextRequest(t *testing.T) {
	f := newFixture(t)
	f.setup()
	ctx := f.ctx(userCaller("alice", "/eng/"))
	getUser := op(t, iamapi.Operations, "GetUser")
	in := &iamapi.GetUserRequest{UserName: s("bob")}
	if err := f.az.Authorize(ctx, getUser, in); err == nil {
		t.Fatal("allowed without a policy")
	}
	for i := 0; i < 4; i++ { // ends with a policy that does not allow GetUser
		doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:GetUser","Resource":"*"}]}`
		if i%2 == 1 {
			doc = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:ListUsers","Resource":"*"}]}`
		}
		must[*iamapi.PutUserPolicyOutput](t)(f.iam.PutUserPolicy(f.root(), &iamapi.PutUserPolicyRequest{UserName: s("alice"),
			PolicyName: s("p"), PolicyDocument: s(doc)}))
		err := f.az.Authorize(ctx, getUser, in)
		if allowed := err == nil; allowed != (i%2 == 0) {
			t.Fatalf("step %d: allowed=%v (%v)", i, allowed, err)
		}
	}
	// Group membership and group policies too.
	must[*iamapi.PutGroupPolicyOutput](t)(f.iam.PutGroupPolicy(f.root(), &iamapi.PutGroupPolicyRequest{GroupName: s("devs"),
		PolicyName: s("gp"), PolicyDocument: s(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:GetUser","Resource":"*"}]}`)}))
	if err := f.az.Authorize(ctx, getUser, in); err == nil {
		t.Fatal("allowed before joining the group")
	}
	must[*iamapi.AddUserToGroupOutput](t)(f.iam.AddUserToGroup(f.root(), &iamapi.AddUserToGroupRequest{GroupName: s("devs"), UserName: s("alice")}))
	if err := f.az.Authorize(ctx, getUser, in); err != nil {
		t.Fatalf("after joining the group: %v", err)
	}
}

// A set read before a change but stored after it must not be used: it carries the versions read before
// the change.
func TestStaleFillIsNotCached(t *testing.T) {
	f := newFixture(t)
	f.setup()
	ctx := f.ctx(userCaller("alice", "/eng/"))
	a := f.az
	getUser := op(t, iamapi.Operations, "GetUser")
	in := &iamapi.GetUserRequest{UserName: s("alice")}
	if err := a.Authorize(ctx, getUser, in); err == nil {
		t.Fatal("allowed before any policy")
	}
	// A build that read its versions, then the store before the write below, stores its set after it.
	vers, _ := a.principalVersions(acct, storage.OwnerUser, "alice")
	e, err := a.buildPrincipal(context.Background(), "aws", acct, storage.OwnerUser, "alice")
	if err != nil {
		t.Fatal(err)
	}
	f.alicePolicy(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:GetUser","Resource":"*"}]}`)
	e.vers = vers
	a.store(principalKey{acct, storage.OwnerUser, "alice"}, e)
	if err := a.Authorize(ctx, getUser, in); err != nil {
		t.Fatalf("the set built before the policy was used after it: %v", err)
	}
	// Changes of other kinds keep policy sets.
	pe, _ := a.principal(context.Background(), "aws", acct, storage.OwnerUser, "alice")
	if err := f.store.Update(context.Background(), func(tx storage.Tx) error {
		return tx.SetAccessKeyLastUsed(context.Background(), "AKIA0000000000000001", storage.AccessKeyLastUsed{Date: f.now})
	}); err != nil && !errors.Is(err, storage.ErrNotFound) {
		t.Fatal(err)
	}
	if again, _ := a.principal(context.Background(), "aws", acct, storage.OwnerUser, "alice"); again != pe {
		t.Fatal("an access key change dropped the policy set")
	}
}

func TestRequestContext(t *testing.T) {
	f := newFixture(t)
	f.setup()
	c := roleCaller("app", "/svc/", "s1")
	c.Session.Tags = map[string]string{"Env": "dev", "Project": "x"}
	c.Session.MFA = true
	// A role chained from an MFA session: the age counts from the code's check, before this session.
	c.Session.MFAAuthTime = c.Session.IssuedAt.Add(-10 * time.Minute)
	c.Session.SourceIdentity = "me"
	m, release := f.az.RequestContext(f.ctx(c))
	want := map[string]string{
		"aws:currenttime": "2026-03-04T05:06:07Z", "aws:epochtime": fmt.Sprint(f.now.Unix()), "aws:sourceip": "10.1.2.3",
		"aws:securetransport": "true", "aws:useragent": "test", "aws:requestedregion": "us-east-1",
		"aws:principalaccount": acct, "aws:principaltype": "AssumedRole", "aws:userid": "AROAX:s1",
		"aws:principalarn": "arn:aws:iam::123456789012:role/svc/app", "aws:principaltag/env": "dev",
		"aws:principaltag/project": "x", "aws:tokenissuetime": "2026-03-04T05:00:00Z",
		"aws:multifactorauthpresent": "true", "aws:multifactorauthage": "967", "aws:sourceidentity": "me",
	}
	for k, v := range want {
		if g := strings.Join(m[k], ","); g != v {
			t.Errorf("%s = %q, want %q", k, g, v)
		}
	}
	if _, ok := m["aws:username"]; ok {
		t.Error("aws:username set for a role session")
	}
	// Authorize tells the evaluator the keys are lower case (policy.Request.ContextKeysLower).
	for k := range m {
		if k != strings.ToLower(k) {
			t.Errorf("context key %q is not lower case", k)
		}
	}
	// Released maps are reused: the next request's context must carry none of the session's keys.
	release()
	m, release2 := f.az.RequestContext(f.ctx(userCaller("alice", "/eng/")))
	defer release2()
	for k, v := range map[string]string{"aws:username": "alice", "aws:principaltype": "User",
		"aws:principalarn": "arn:aws:iam::123456789012:user/eng/alice", "aws:principaltag/team": "blue"} {
		if g := strings.Join(m[k], ","); g != v {
			t.Errorf("user: %s = %q, want %q", k, g, v)
		}
	}
	for _, k := range []string{"aws:multifactorauthpresent", "aws:tokenissuetime", "aws:sourceidentity", "aws:principaltag/env"} {
		if _, ok := m[k]; ok {
			t.Errorf("long-term credentials carry %s", k)
		}
	}
}

// AccessDenied in AWS's words, AccessDeniedException for rest-json services; root and GetCallerIdentity
// are never denied.
func TestAuthorizeDenials(t *testing.T) {
	f := newFixture(t)
	f.setup()
	alice := f.ctx(userCaller("alice", "/eng/"))
	err := f.az.Authorize(alice, op(t, iamapi.Operations, "CreateUser"), &iamapi.CreateUserRequest{UserName: s("zed")})
	var pe *protocol.Error
	if !errors.As(err, &pe) || pe.Code != "AccessDenied" || pe.Status != 403 ||
		pe.Message != "User: arn:aws:iam::123456789012:user/eng/alice is not authorized to perform: iam:CreateUser on resource: arn:aws:iam::123456789012:user/zed because no identity-based policy allows the iam:CreateUser action" {
		t.Fatalf("CreateUser: %#v", err)
	}
	err = f.az.Authorize(alice, op(t, iamapi.Operations, "ListPolicies"), &iamapi.ListPoliciesRequest{})
	if !errors.As(err, &pe) ||
		pe.Message != "User: arn:aws:iam::123456789012:user/eng/alice is not authorized to perform: iam:ListPolicies on resource: policy path / because no identity-based policy allows the iam:ListPolicies action" {
		t.Fatalf("ListPolicies: %#v", err)
	}
	err = f.az.Authorize(alice, op(t, accountapi.Operations, "ListRegions"), &accountapi.ListRegionsRequest{})
	if !errors.As(err, &pe) || pe.Code != "AccessDeniedException" {
		t.Fatalf("ListRegions: %#v", err)
	}
	if err := f.az.Authorize(alice, op(t, stsapi.Operations, "GetCallerIdentity"), &stsapi.GetCallerIdentityRequest{}); err != nil {
		t.Fatalf("GetCallerIdentity: %v", err)
	}
	if err := f.az.Authorize(f.root(), op(t, iamapi.Operations, "CreateUser"), &iamapi.CreateUserRequest{UserName: s("zed")}); err != nil {
		t.Fatalf("root: %v", err)
	}
	// A session whose role was deleted has no permission at all.
	gone := f.ctx(roleCaller("gone", "/", "s"))
	if err := f.az.Authorize(gone, op(t, iamapi.Operations, "ListUsers"), &iamapi.ListUsersRequest{}); err == nil {
		t.Fatal("session of a deleted role allowed")
	}
}

// Managed session policies (AssumeRole PolicyArns) are compiled once and follow changes of the policy.
func TestManagedSessionPolicies(t *testing.T) {
	f := newFixture(t)
	f.setup()
	must[*iamapi.PutRolePolicyOutput](t)(f.iam.PutRolePolicy(f.root(), &iamapi.PutRolePolicyRequest{RoleName: s("app"), PolicyName: s("all"),
		PolicyDocument: s(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:*","Resource":"*"}]}`)}))
	must[*iamapi.CreatePolicyResponse](t)(f.iam.CreatePolicy(f.root(), &iamapi.CreatePolicyRequest{PolicyName: s("sess"),
		PolicyDocument: s(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:GetRole","Resource":"*"}]}`)}))
	const arn = "arn:aws:iam::123456789012:policy/sess"
	c := roleCaller("app", "/svc/", "s1")
	c.Session.PolicyARNs = []string{arn}
	ctx := f.ctx(c)
	getRole, listRoles := op(t, iamapi.Operations, "GetRole"), op(t, iamapi.Operations, "ListRoles")
	if err := f.az.Authorize(ctx, getRole, &iamapi.GetRoleRequest{RoleName: s("app")}); err != nil {
		t.Fatal(err)
	}
	err := f.az.Authorize(ctx, listRoles, &iamapi.ListRolesRequest{})
	want := "User: arn:aws:sts::123456789012:assumed-role/app/s1 is not authorized to perform: iam:ListRoles on resource: arn:aws:iam::123456789012:role/ because no session policy allows the iam:ListRoles action"
	if err == nil || err.Error() != want && !strings.Contains(err.Error(), want) {
		t.Fatalf("ListRoles: %v", err)
	}
	must[*iamapi.CreatePolicyVersionResponse](t)(f.iam.CreatePolicyVersion(f.root(), &iamapi.CreatePolicyVersionRequest{PolicyArn: s(arn), SetAsDefault: ptrBool(true),
		PolicyDocument: s(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:List*","Resource":"*"}]}`)}))
	if err := f.az.Authorize(ctx, listRoles, &iamapi.ListRolesRequest{}); err != nil {
		t.Fatalf("after the new default version: %v", err)
	}
	if err := f.az.Authorize(ctx, getRole, &iamapi.GetRoleRequest{RoleName: s("app")}); err == nil {
		t.Fatal("old version still in force")
	}
	// A deleted managed session policy grants nothing (and the session has no other).
	must[*iamapi.DeletePolicyVersionOutput](t)(f.iam.DeletePolicyVersion(f.root(), &iamapi.DeletePolicyVersionRequest{PolicyArn: s(arn), VersionId: s("v1")}))
	must[*iamapi.DeletePolicyOutput](t)(f.iam.DeletePolicy(f.root(), &iamapi.DeletePolicyRequest{PolicyArn: s(arn)}))
	if err := f.az.Authorize(ctx, listRoles, &iamapi.ListRolesRequest{}); err == nil {
		t.Fatal("allowed by a deleted session policy")
	}
}

func ptrBool(b bool) *bool { return &b }

// Requests authorizing while policies change and the store cache's loop runs: no race, and once the writes
// are done every request sees the last state.
func TestConcurrentAuthorizeAndChanges(t *testing.T) {
	f := newFixture(t)
	f.setup()
	runCtx, stop := context.WithCancel(context.Background())
	defer stop()
	go f.store.(*cache.Store).Run(runCtx)
	ctx := f.ctx(userCaller("alice", "/eng/"))
	getUser := op(t, iamapi.Operations, "GetUser")
	in := &iamapi.GetUserRequest{UserName: s("bob")}
	done := make(chan struct{})
	errs := make(chan error, 4)
	for w := 0; w < 4; w++ {
		go func() {
			for {
				select {
				case <-done:
					errs <- nil
					return
				default:
				}
				if _, _, err := f.az.callerSet(ctx, f.identify(userCaller("alice", "/eng/")), false); err != nil {
					errs <- err
					return
				}
				_ = f.az.Authorize(ctx, getUser, in)
			}
		}()
	}
	allowDoc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:GetUser","Resource":"*"}]}`
	denyDoc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:ListUsers","Resource":"*"}]}`
	for i := 0; i < 20; i++ {
		doc := allowDoc
		if i%2 == 1 {
			doc = denyDoc
		}
		must[*iamapi.PutUserPolicyOutput](t)(f.iam.PutUserPolicy(f.root(), &iamapi.PutUserPolicyRequest{UserName: s("alice"),
			PolicyName: s("p"), PolicyDocument: s(doc)}))
	}
	close(done)
	for w := 0; w < 4; w++ {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if err := f.az.Authorize(ctx, getUser, in); err == nil {
		t.Fatal("the last policy does not allow GetUser")
	}
}

// Renaming or moving a user or group needs the permission on the entity as it is and as it will be.
func TestRenameNeedsBothResources(t *testing.T) {
	f := newFixture(t)
	f.setup()
	must[*iamapi.PutUserPolicyOutput](t)(f.iam.PutUserPolicy(f.root(), &iamapi.PutUserPolicyRequest{UserName: s("alice"), PolicyName: s("p"),
		PolicyDocument: s(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:UpdateUser","Resource":["arn:aws:iam::123456789012:user/bob","arn:aws:iam::123456789012:user/ok/*"]}]}`)}))
	ctx := f.ctx(userCaller("alice", "/eng/"))
	update := op(t, iamapi.Operations, "UpdateUser")
	if err := f.az.Authorize(ctx, update, &iamapi.UpdateUserRequest{UserName: s("bob"), NewPath: s("/ok/")}); err != nil {
		t.Fatalf("move into an allowed path: %v", err)
	}
	err := f.az.Authorize(ctx, update, &iamapi.UpdateUserRequest{UserName: s("bob"), NewUserName: s("robert")})
	want := "User: arn:aws:iam::123456789012:user/eng/alice is not authorized to perform: iam:UpdateUser on resource: arn:aws:iam::123456789012:user/robert because no identity-based policy allows the iam:UpdateUser action"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("rename to a name not allowed: %v", err)
	}
	if err := f.az.Authorize(ctx, update, &iamapi.UpdateUserRequest{UserName: s("bob")}); err != nil {
		t.Fatalf("no change: %v", err)
	}
}

// Customer managed policies bring their tags as aws:ResourceTag/*, kept current.
func TestPolicyResourceTags(t *testing.T) {
	f := newFixture(t)
	f.setup()
	must[*iamapi.CreatePolicyResponse](t)(f.iam.CreatePolicy(f.root(), &iamapi.CreatePolicyRequest{PolicyName: s("tagged"), Path: s("/p/"),
		PolicyDocument: s(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`),
		Tags:           []iamapi.Tag{{Key: s("Owner"), Value: s("alice")}}}))
	const arn = "arn:aws:iam::123456789012:policy/p/tagged"
	getPolicy := op(t, iamapi.Operations, "GetPolicy")
	res := func() map[string][]string {
		buf := newCtxBuf()
		got, err := f.az.resource(context.Background(), userCaller("alice", "/eng/"), nil, "iam", "GetPolicy", &iamapi.GetPolicyRequest{PolicyArn: s(arn)}, buf)
		if err != nil || got != arn {
			t.Fatalf("resource %s, %v", got, err)
		}
		return buf.m
	}
	if g := strings.Join(res()["aws:resourcetag/owner"], ","); g != "alice" {
		t.Fatalf("aws:ResourceTag/owner = %q", g)
	}
	must[*iamapi.TagPolicyOutput](t)(f.iam.TagPolicy(f.root(), &iamapi.TagPolicyRequest{PolicyArn: s(arn), Tags: []iamapi.Tag{{Key: s("Owner"), Value: s("bob")}}}))
	if g := strings.Join(res()["aws:resourcetag/owner"], ","); g != "bob" {
		t.Fatalf("after TagPolicy: aws:ResourceTag/owner = %q", g)
	}
	// Through Authorize: a condition on the policy's tag.
	must[*iamapi.PutUserPolicyOutput](t)(f.iam.PutUserPolicy(f.root(), &iamapi.PutUserPolicyRequest{UserName: s("alice"), PolicyName: s("p"),
		PolicyDocument: s(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:GetPolicy","Resource":"*","Condition":{"StringEquals":{"aws:ResourceTag/Owner":"${aws:username}"}}}]}`)}))
	ctx := f.ctx(userCaller("alice", "/eng/"))
	if err := f.az.Authorize(ctx, getPolicy, &iamapi.GetPolicyRequest{PolicyArn: s(arn)}); err == nil {
		t.Fatal("allowed on a policy owned by bob")
	}
	must[*iamapi.TagPolicyOutput](t)(f.iam.TagPolicy(f.root(), &iamapi.TagPolicyRequest{PolicyArn: s(arn), Tags: []iamapi.Tag{{Key: s("Owner"), Value: s("alice")}}}))
	if err := f.az.Authorize(ctx, getPolicy, &iamapi.GetPolicyRequest{PolicyArn: s(arn)}); err != nil {
		t.Fatalf("denied on her own policy: %v", err)
	}
}

// TestInvalidationGranularity: a change drops the sets it can affect and keeps the others (a
// CreateUser or TagUser of one principal used to drop every set of the account).
func TestInvalidationGranularity(t *testing.T) {
	f := newFixture(t)
	f.setup()
	root := f.root()
	a := f.az
	doc := s(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:GetUser","Resource":"*"}]}`)
	must[*iamapi.PutUserPolicyOutput](t)(f.iam.PutUserPolicy(root, &iamapi.PutUserPolicyRequest{UserName: s("alice"), PolicyName: s("p"), PolicyDocument: doc}))
	pol := must[*iamapi.CreatePolicyResponse](t)(f.iam.CreatePolicy(root, &iamapi.CreatePolicyRequest{PolicyName: s("mp"), PolicyDocument: doc}))
	must[*iamapi.AttachRolePolicyOutput](t)(f.iam.AttachRolePolicy(root, &iamapi.AttachRolePolicyRequest{RoleName: s("app"), PolicyArn: pol.Policy.Arn}))
	must[*iamapi.AddUserToGroupOutput](t)(f.iam.AddUserToGroup(root, &iamapi.AddUserToGroupRequest{GroupName: s("devs"), UserName: s("alice")}))
	alice := principalKey{acct, storage.OwnerUser, "alice"}
	bob := principalKey{acct, storage.OwnerUser, "bob"}
	app := principalKey{acct, storage.OwnerRole, "app"}
	load := func() {
		t.Helper()
		for _, k := range []principalKey{alice, bob, app} {
			if _, err := a.principal(context.Background(), "aws", acct, k.kind, k.name); err != nil {
				t.Fatal(err)
			}
		}
	}
	cached := func(step string, want map[principalKey]bool) {
		t.Helper()
		for k, w := range want {
			// A set whose versions moved (its principal's row, say) is not used before revalidation.
			vers, _ := a.principalVersions(k.account, k.kind, k.name)
			a.mu.Lock()
			e, ok := a.sets.Peek(k)
			a.mu.Unlock()
			if fresh := ok && e.vers == vers; fresh != w {
				t.Errorf("%s: %s %s cached = %v, want %v", step, k.kind, k.name, fresh, w)
			}
		}
	}
	all := map[principalKey]bool{alice: true, bob: true, app: true}
	load()
	cached("loaded", all)

	// Writes about other principals, and last-use records, keep alice's, bob's and app's sets.
	must[*iamapi.CreateUserResponse](t)(f.iam.CreateUser(root, &iamapi.CreateUserRequest{UserName: s("carol")}))
	must[*iamapi.TagUserOutput](t)(f.iam.TagUser(root, &iamapi.TagUserRequest{UserName: s("carol"), Tags: []iamapi.Tag{{Key: s("k"), Value: s("v")}}}))
	must[*iamapi.PutUserPolicyOutput](t)(f.iam.PutUserPolicy(root, &iamapi.PutUserPolicyRequest{UserName: s("carol"), PolicyName: s("p"), PolicyDocument: doc}))
	must[*iamapi.DeleteUserPolicyOutput](t)(f.iam.DeleteUserPolicy(root, &iamapi.DeleteUserPolicyRequest{UserName: s("carol"), PolicyName: s("p")}))
	must[*iamapi.DeleteUserOutput](t)(f.iam.DeleteUser(root, &iamapi.DeleteUserRequest{UserName: s("carol")}))
	if err := f.iam.RecordRoleUse(context.Background(), acct, "app", "us-east-1", f.now); err != nil {
		t.Fatal(err)
	}
	if err := f.iam.FlushUses(context.Background()); err != nil {
		t.Fatal(err)
	}
	cached("other principals changed", all)

	// A change of a user or role drops its own set only.
	must[*iamapi.TagUserOutput](t)(f.iam.TagUser(root, &iamapi.TagUserRequest{UserName: s("bob"), Tags: []iamapi.Tag{{Key: s("k"), Value: s("v")}}}))
	cached("TagUser bob", map[principalKey]bool{alice: true, bob: false, app: true})
	load()
	must[*iamapi.TagRoleOutput](t)(f.iam.TagRole(root, &iamapi.TagRoleRequest{RoleName: s("app"), Tags: []iamapi.Tag{{Key: s("k"), Value: s("v")}}}))
	cached("TagRole app", map[principalKey]bool{alice: true, bob: true, app: false})
	load()
	must[*iamapi.PutUserPolicyOutput](t)(f.iam.PutUserPolicy(root, &iamapi.PutUserPolicyRequest{UserName: s("alice"), PolicyName: s("p2"), PolicyDocument: doc}))
	cached("PutUserPolicy alice", map[principalKey]bool{alice: false, bob: true, app: true})
	load()
	must[*iamapi.DetachRolePolicyOutput](t)(f.iam.DetachRolePolicy(root, &iamapi.DetachRolePolicyRequest{RoleName: s("app"), PolicyArn: pol.Policy.Arn}))
	cached("DetachRolePolicy app", map[principalKey]bool{alice: true, bob: true, app: false})
	must[*iamapi.AttachRolePolicyOutput](t)(f.iam.AttachRolePolicy(root, &iamapi.AttachRolePolicyRequest{RoleName: s("app"), PolicyArn: pol.Policy.Arn}))
	load()

	// Group changes drop every user's set, not the roles'.
	must[*iamapi.PutGroupPolicyOutput](t)(f.iam.PutGroupPolicy(root, &iamapi.PutGroupPolicyRequest{GroupName: s("devs"), PolicyName: s("gp"), PolicyDocument: doc}))
	cached("PutGroupPolicy", map[principalKey]bool{alice: false, bob: false, app: true})
	load()
	must[*iamapi.RemoveUserFromGroupOutput](t)(f.iam.RemoveUserFromGroup(root, &iamapi.RemoveUserFromGroupRequest{GroupName: s("devs"), UserName: s("alice")}))
	cached("RemoveUserFromGroup", map[principalKey]bool{alice: false, bob: false, app: true})
	load()

	// A managed policy change drops every set of the account.
	must[*iamapi.CreatePolicyVersionResponse](t)(f.iam.CreatePolicyVersion(root, &iamapi.CreatePolicyVersionRequest{PolicyArn: pol.Policy.Arn,
		PolicyDocument: doc, SetAsDefault: ptrBool(true)}))
	cached("CreatePolicyVersion", map[principalKey]bool{alice: false, bob: false, app: false})
}

// TestStaleSetRevalidation: after a change of the principal's own row, its compiled policies are reused
// when it is the same principal with the same boundary (only the tags and path are re-read), and rebuilt
// otherwise.
func TestStaleSetRevalidation(t *testing.T) {
	f := newFixture(t)
	f.setup()
	root := f.root()
	a := f.az
	bg := context.Background()
	doc := s(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:GetUser","Resource":"*"}]}`)
	must[*iamapi.PutUserPolicyOutput](t)(f.iam.PutUserPolicy(root, &iamapi.PutUserPolicyRequest{UserName: s("alice"), PolicyName: s("p"), PolicyDocument: doc}))
	first := must[*principalEntry](t)(a.principal(bg, "aws", acct, storage.OwnerUser, "alice"))

	// New tags: same compiled set, new principal tags.
	must[*iamapi.TagUserOutput](t)(f.iam.TagUser(root, &iamapi.TagUserRequest{UserName: s("alice"), Tags: []iamapi.Tag{{Key: s("Level"), Value: s("7")}}}))
	second := must[*principalEntry](t)(a.principal(bg, "aws", acct, storage.OwnerUser, "alice"))
	if second.set != first.set {
		t.Error("tagging rebuilt the policy set")
	}
	if !slicesContain(second.tagKeys, "aws:principaltag/level") || !slicesContain(second.tagKeys, "aws:principaltag/team") {
		t.Errorf("principal tags after TagUser = %v", second.tagKeys)
	}
	if again := must[*principalEntry](t)(a.principal(bg, "aws", acct, storage.OwnerUser, "alice")); again != second {
		t.Error("revalidated entry not cached")
	}

	// A new boundary: rebuilt, with the boundary.
	must[*iamapi.PutUserPermissionsBoundaryOutput](t)(f.iam.PutUserPermissionsBoundary(root, &iamapi.PutUserPermissionsBoundaryRequest{
		UserName: s("alice"), PermissionsBoundary: s("arn:aws:iam::aws:policy/ReadOnlyAccess")}))
	third := must[*principalEntry](t)(a.principal(bg, "aws", acct, storage.OwnerUser, "alice"))
	if third.set == second.set || third.set.Boundary == nil {
		t.Errorf("boundary change: set reused or without boundary (%+v)", third.set.Boundary)
	}

	// Deleted and made again under the same name, without policies: rebuilt, with nothing.
	must[*iamapi.DeleteUserPermissionsBoundaryOutput](t)(f.iam.DeleteUserPermissionsBoundary(root, &iamapi.DeleteUserPermissionsBoundaryRequest{UserName: s("alice")}))
	must[*iamapi.DeleteUserPolicyOutput](t)(f.iam.DeleteUserPolicy(root, &iamapi.DeleteUserPolicyRequest{UserName: s("alice"), PolicyName: s("p")}))
	must[*iamapi.PutUserPolicyOutput](t)(f.iam.PutUserPolicy(root, &iamapi.PutUserPolicyRequest{UserName: s("alice"), PolicyName: s("p"), PolicyDocument: doc}))
	before := must[*principalEntry](t)(a.principal(bg, "aws", acct, storage.OwnerUser, "alice"))
	if len(before.set.Identity) != 1 {
		t.Fatalf("alice's set has %d policies, want 1", len(before.set.Identity))
	}
	// Straight through the store, which takes the user's inline policy with it and reports the user alone.
	err := f.store.Update(bg, func(tx storage.Tx) error {
		if err := tx.DeleteUser(bg, acct, "alice"); err != nil {
			return err
		}
		return tx.CreateUser(bg, &storage.User{AccountID: acct, Name: "alice", Path: "/", ID: "AIDANEWALICE0000000001", CreatedAt: f.now})
	})
	if err != nil {
		t.Fatal(err)
	}
	after := must[*principalEntry](t)(a.principal(bg, "aws", acct, storage.OwnerUser, "alice"))
	if after.set == before.set || len(after.set.Identity) != 0 || after.id != "AIDANEWALICE0000000001" {
		t.Errorf("re-created user: set reused or with %d policies (id %s)", len(after.set.Identity), after.id)
	}

	// Deleted: no permissions.
	must[*iamapi.DeleteUserOutput](t)(f.iam.DeleteUser(root, &iamapi.DeleteUserRequest{UserName: s("alice")}))
	gone := must[*principalEntry](t)(a.principal(bg, "aws", acct, storage.OwnerUser, "alice"))
	if len(gone.set.Identity) != 0 || gone.set.Boundary != nil {
		t.Errorf("deleted user keeps policies: %+v", gone.set)
	}
}

func slicesContain(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// TestNamesakeGetsNoPermission: credentials of a user or role that was deleted get none of the
// permissions of a principal created later under the same name (a new unique ID), whatever the cache
// holds.
func TestNamesakeGetsNoPermission(t *testing.T) {
	f := newFixture(t)
	f.setup()
	admin := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`
	listUsers, in := op(t, iamapi.Operations, "ListUsers"), &iamapi.ListUsersRequest{}
	oldAlice := f.ctx(userCaller("alice", "/eng/"))
	oldApp := f.ctx(roleCaller("app", "/svc/", "s1"))
	for _, ctx := range []context.Context{oldAlice, oldApp} {
		if err := f.az.Authorize(ctx, listUsers, in); err == nil {
			t.Fatal("allowed without a policy") // and the principal's entry is now cached
		}
	}
	root := f.root()
	must[*iamapi.DeleteUserOutput](t)(f.iam.DeleteUser(root, &iamapi.DeleteUserRequest{UserName: s("alice")}))
	must[*iamapi.DeleteRoleOutput](t)(f.iam.DeleteRole(root, &iamapi.DeleteRoleRequest{RoleName: s("app")}))
	must[*iamapi.CreateUserResponse](t)(f.iam.CreateUser(root, &iamapi.CreateUserRequest{UserName: s("alice"), Path: s("/eng/")}))
	must[*iamapi.CreateRoleResponse](t)(f.iam.CreateRole(root, &iamapi.CreateRoleRequest{RoleName: s("app"), Path: s("/svc/"),
		AssumeRolePolicyDocument: s(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"}]}`)}))
	must[*iamapi.PutUserPolicyOutput](t)(f.iam.PutUserPolicy(root, &iamapi.PutUserPolicyRequest{UserName: s("alice"), PolicyName: s("admin"), PolicyDocument: s(admin)}))
	must[*iamapi.PutRolePolicyOutput](t)(f.iam.PutRolePolicy(root, &iamapi.PutRolePolicyRequest{RoleName: s("app"), PolicyName: s("admin"), PolicyDocument: s(admin)}))
	for what, ctx := range map[string]context.Context{"old alice": oldAlice, "old app session": oldApp} {
		if err := f.az.Authorize(ctx, listUsers, in); err == nil {
			t.Errorf("%s got its namesake's permissions", what)
		}
		set, err := f.az.CallerSet(ctx, reqctx.From(ctx).Caller)
		if err != nil || len(set.Identity) != 0 {
			t.Errorf("%s: caller set %+v, %v", what, set, err)
		}
	}
	// The namesakes themselves have them.
	for what, ctx := range map[string]context.Context{"new alice": f.ctx(userCaller("alice", "/eng/")), "new app session": f.ctx(roleCaller("app", "/svc/", "s2"))} {
		if err := f.az.Authorize(ctx, listUsers, in); err != nil {
			t.Errorf("%s: %v", what, err)
		}
	}
}
