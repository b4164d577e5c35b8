package authz

import (
	"context"
	"strings"
	"testing"

	"github.com/iamd/iamd/internal/api/iamapi"
	"github.com/iamd/iamd/internal/ids"
	"github.com/iamd/iamd/internal/storage"
)

// allowAllBut gives alice every IAM permission except the listed denies ("action resource" pairs).
func (f *fixture) allowAllBut(denies ...string) {
	var st []string
	st = append(st, `{"Effect":"Allow","Action":"iam:*","Resource":"*"}`)
	for _, d := range denies {
		action, res, _ := strings.Cut(d, " ")
		st = append(st, `{"Effect":"Deny","Action":"`+action+`","Resource":"`+res+`"}`)
	}
	f.alicePolicy(`{"Version":"2012-10-17","Statement":[` + strings.Join(st, ",") + `]}`)
}

func (f *fixture) alicePolicy(doc string) {
	must[*iamapi.PutUserPolicyOutput](f.t)(f.iam.PutUserPolicy(f.root(), &iamapi.PutUserPolicyRequest{UserName: s("alice"),
		PolicyName: s("p"), PolicyDocument: s(doc)}))
}

// A request naming an entity in another case than stored is evaluated against the stored ARN: a Deny on
// user/bob stops UserName=BOB, on role/svc/app stops RoleName=APP, on a user named by ARN (with any path,
// which the service ignores) stops that ARN. The message names the entity as requested.
func TestEntitiesEvaluatedAsStored(t *testing.T) {
	f := newFixture(t)
	f.setup()
	const a = "arn:aws:iam::123456789012:"
	f.allowAllBut("iam:CreateAccessKey "+a+"user/bob", "iam:GetRole "+a+"role/svc/app",
		"iam:SimulatePrincipalPolicy "+a+"user/bob", "iam:UpdateUser "+a+"user/ok/bob", "iam:AddUserToGroup "+a+"group/g/devs")
	ctx := f.ctx(userCaller("alice", "/eng/"))
	denied := []struct {
		op    string
		in    any
		shown string
	}{
		{"CreateAccessKey", &iamapi.CreateAccessKeyRequest{UserName: s("BOB")}, a + "user/BOB"},
		{"CreateAccessKey", &iamapi.CreateAccessKeyRequest{UserName: s("Bob")}, a + "user/Bob"},
		{"GetRole", &iamapi.GetRoleRequest{RoleName: s("APP")}, a + "role/svc/APP"},
		{"AddUserToGroup", &iamapi.AddUserToGroupRequest{GroupName: s("DEVS"), UserName: s("bob")}, a + "group/g/DEVS"},
		{"SimulatePrincipalPolicy", &iamapi.SimulatePrincipalPolicyRequest{PolicySourceArn: s(a + "user/elsewhere/BOB")}, a + "user/elsewhere/BOB"},
		// A move keeps the stored name: the target is user/ok/bob, not user/ok/BOB.
		{"UpdateUser", &iamapi.UpdateUserRequest{UserName: s("BOB"), NewPath: s("/ok/")}, a + "user/ok/bob"},
	}
	for _, c := range denied {
		err := f.az.Authorize(ctx, op(t, iamapi.Operations, c.op), c.in)
		want := "User: " + a + "user/eng/alice is not authorized to perform: iam:" + c.op + " on resource: " + c.shown + " with an explicit deny"
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s %+v: %v\nwant %s", c.op, c.in, err, want)
		}
	}
	// The stored spelling is denied as well, and what the Deny does not name stays allowed.
	allowed := []struct {
		op string
		in any
	}{
		{"CreateAccessKey", &iamapi.CreateAccessKeyRequest{UserName: s("ALICE")}},
		{"GetRole", &iamapi.GetRoleRequest{RoleName: s("nothing")}}, // no such role: the ARN as requested
		{"SimulatePrincipalPolicy", &iamapi.SimulatePrincipalPolicyRequest{PolicySourceArn: s(a + "user/ALICE")}},
		{"UpdateUser", &iamapi.UpdateUserRequest{UserName: s("BOB"), NewPath: s("/other/")}},
	}
	for _, c := range allowed {
		if err := f.az.Authorize(ctx, op(t, iamapi.Operations, c.op), c.in); err != nil {
			t.Errorf("%s %+v: %v", c.op, c.in, err)
		}
	}
	if err := f.az.Authorize(ctx, op(t, iamapi.Operations, "CreateAccessKey"), &iamapi.CreateAccessKeyRequest{UserName: s("bob")}); err == nil {
		t.Error("CreateAccessKey bob allowed")
	}
	// Resource tags of the stored entity come with a differently-cased name too.
	buf := newCtxBuf()
	got, err := f.az.resource(context.Background(), userCaller("alice", "/eng/"), nil, "iam", "ListInstanceProfilesForRole",
		&iamapi.ListInstanceProfilesForRoleRequest{RoleName: s("aPp")}, buf)
	if err != nil || got != a+"role/svc/app" || strings.Join(buf.m["aws:resourcetag/env"], ",") != "prod" || buf.shown != a+"role/svc/aPp" {
		t.Fatalf("resource %s (%v), tags %v, shown %s", got, err, buf.m, buf.shown)
	}
}

// GetAccessKeyLastUsed is authorized against the key's owner: a user allowed it on its own ARN reads its
// own keys only; another user's key, root's key, an unknown key and another account's key are all denied
// alike, the message naming the key and not its owner.
func TestAccessKeyLastUsedOwner(t *testing.T) {
	f := newFixture(t)
	f.setup()
	ctx := context.Background()
	key := func(account, user string) string {
		id, err := ids.NewAccessKeyID(ids.PrefixAccessKey, account)
		if err != nil {
			t.Fatal(err)
		}
		if err := f.store.Update(ctx, func(tx storage.Tx) error {
			return tx.CreateAccessKey(ctx, &storage.AccessKey{ID: id, AccountID: account, UserName: user, Status: storage.StatusActive, CreatedAt: f.now})
		}); err != nil {
			t.Fatal(err)
		}
		return id
	}
	if err := f.store.Update(ctx, func(tx storage.Tx) error {
		return tx.CreateAccount(ctx, &storage.Account{ID: "210987654321", CreatedAt: f.now})
	}); err != nil {
		t.Fatal(err)
	}
	own, bobs, roots, foreign := key(acct, "alice"), key(acct, "bob"), key(acct, ""), key("210987654321", "")
	unknown, _ := ids.NewAccessKeyID(ids.PrefixAccessKey, acct)
	const a = "arn:aws:iam::123456789012:"
	for id, want := range map[string]string{own: a + "user/eng/alice", bobs: a + "user/bob", roots: a + "root", foreign: a + "user/", unknown: a + "user/"} {
		buf := newCtxBuf()
		got, err := f.az.resource(ctx, userCaller("alice", "/eng/"), nil, "iam", "GetAccessKeyLastUsed", &iamapi.GetAccessKeyLastUsedRequest{AccessKeyId: s(id)}, buf)
		if err != nil || got != want || buf.shown != "access key "+id {
			t.Errorf("resource of %s: %s (%v), shown %q; want %s", id, got, err, buf.shown, want)
		}
	}
	f.alicePolicy(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:GetAccessKeyLastUsed","Resource":"arn:aws:iam::123456789012:user/${aws:username}"},{"Effect":"Allow","Action":"iam:GetAccessKeyLastUsed","Resource":"arn:aws:iam::123456789012:user/eng/*"}]}`)
	alice := f.ctx(userCaller("alice", "/eng/"))
	lastUsed := op(t, iamapi.Operations, "GetAccessKeyLastUsed")
	if err := f.az.Authorize(alice, lastUsed, &iamapi.GetAccessKeyLastUsedRequest{AccessKeyId: s(own)}); err != nil {
		t.Fatalf("own key: %v", err)
	}
	for _, id := range []string{bobs, roots, foreign, unknown} {
		err := f.az.Authorize(alice, lastUsed, &iamapi.GetAccessKeyLastUsedRequest{AccessKeyId: s(id)})
		want := "User: " + a + "user/eng/alice is not authorized to perform: iam:GetAccessKeyLastUsed on resource: access key " + id +
			" because no identity-based policy allows the iam:GetAccessKeyLastUsed action"
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("key %s: %v", id, err)
		}
	}
	// A caller allowed on every user reads bob's key and is told that an unknown key does not exist; root's
	// key needs the root ARN.
	f.alicePolicy(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:GetAccessKeyLastUsed","Resource":"arn:aws:iam::123456789012:user/*"}]}`)
	for id, ok := range map[string]bool{bobs: true, unknown: true, roots: false} {
		if err := f.az.Authorize(alice, lastUsed, &iamapi.GetAccessKeyLastUsedRequest{AccessKeyId: s(id)}); (err == nil) != ok {
			t.Errorf("user/* on %s: %v", id, err)
		}
	}
}

// GetServiceLinkedRoleDeletionStatus is authorized against the role its task ID names.
func TestDeletionStatusRole(t *testing.T) {
	f := newFixture(t)
	f.setup()
	const a = "arn:aws:iam::123456789012:"
	const task = "task/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling/0f1e2d3c"
	for in, want := range map[string]string{
		task:                    a + "role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling",
		"task/other/x/y/z":      a + "role/",
		"":                      a + "role/",
		task + "/extra":         a + "role/",
		"task/aws-service-role": a + "role/",
	} {
		got, err := f.az.resource(context.Background(), userCaller("alice", "/eng/"), nil, "iam", "GetServiceLinkedRoleDeletionStatus",
			&iamapi.GetServiceLinkedRoleDeletionStatusRequest{DeletionTaskId: s(in)}, newCtxBuf())
		if err != nil || got != want {
			t.Errorf("%q: %s (%v), want %s", in, got, err, want)
		}
	}
	f.alicePolicy(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:GetServiceLinkedRoleDeletionStatus","Resource":"arn:aws:iam::123456789012:role/aws-service-role/elasticbeanstalk.amazonaws.com/*"}]}`)
	status := op(t, iamapi.Operations, "GetServiceLinkedRoleDeletionStatus")
	alice := f.ctx(userCaller("alice", "/eng/"))
	if err := f.az.Authorize(alice, status, &iamapi.GetServiceLinkedRoleDeletionStatusRequest{DeletionTaskId: s(task)}); err == nil {
		t.Fatal("allowed on another service's role")
	}
	ok := "task/aws-service-role/elasticbeanstalk.amazonaws.com/AWSServiceRoleForElasticBeanstalk/0f1e2d3c"
	if err := f.az.Authorize(alice, status, &iamapi.GetServiceLinkedRoleDeletionStatusRequest{DeletionTaskId: s(ok)}); err != nil {
		t.Fatalf("denied on an allowed role: %v", err)
	}
}

// Documents stored under the rules of an earlier release (no Version, an IAM ARN with a region: both
// refused by IAM's validation today) keep their meaning when read back: the Allow still allows and the
// Deny still denies, rather than the principal's every request failing.
func TestPoliciesStoredUnderOlderRulesStillApply(t *testing.T) {
	f := newFixture(t)
	f.setup()
	doc := `{"Statement":[{"Effect":"Allow","Action":"iam:*","Resource":"*"},` +
		`{"Effect":"Deny","Action":"iam:ListUsers","Resource":"arn:aws:iam:*:123456789012:*"}]}`
	ctx := context.Background()
	if err := f.store.Update(ctx, func(tx storage.Tx) error {
		return tx.PutInlinePolicy(ctx, &storage.InlinePolicy{AccountID: acct, OwnerKind: storage.OwnerUser, OwnerName: "alice", Name: "old", Document: doc})
	}); err != nil {
		t.Fatal(err)
	}
	alice := f.ctx(userCaller("alice", "/eng/"))
	if err := f.az.Authorize(alice, op(t, iamapi.Operations, "GetUser"), &iamapi.GetUserRequest{UserName: s("bob")}); err != nil {
		t.Errorf("GetUser: %v", err)
	}
	err := f.az.Authorize(alice, op(t, iamapi.Operations, "ListUsers"), &iamapi.ListUsersRequest{})
	if err == nil || !strings.Contains(err.Error(), "with an explicit deny") {
		t.Errorf("ListUsers: %v, want an explicit deny", err)
	}
}
