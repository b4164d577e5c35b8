package iam

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/iamd/iamd/internal/api/iamapi"
	"github.com/iamd/iamd/internal/reqctx"
	"github.com/iamd/iamd/internal/storage"
)

// A request is one pending entry per principal and action, written behind; root and federated users
// record nothing; a report sees both the written and the pending accesses.
func TestServiceAccessWrittenBehind(t *testing.T) {
	f := newFixture(t)
	ctx := f.root()
	u := must(f.svc.CreateUser(ctx, &iamapi.CreateUserRequest{UserName: ptr("Alice")}))(t).User
	bg := context.Background()
	alice := &reqctx.Caller{Kind: reqctx.CallerUser, AccountID: testAccount, PrincipalName: "Alice", PrincipalID: str(u.UserId)}
	t1 := f.now.Add(time.Minute)
	for i := 0; i < 3; i++ { // the same action again: still one entry, the latest
		f.svc.RecordServiceAccess(bg, alice, "iam", "ListUsers", "us-east-1", t1.Add(time.Duration(i)*time.Second))
	}
	f.svc.RecordServiceAccess(bg, &reqctx.Caller{Kind: reqctx.CallerRoot, AccountID: testAccount}, "iam", "ListUsers", "us-east-1", t1)
	f.svc.RecordServiceAccess(bg, &reqctx.Caller{Kind: reqctx.CallerFederatedUser, AccountID: testAccount, PrincipalName: "Alice"}, "sts", "GetCallerIdentity", "us-east-1", t1)
	if n := len(f.svc.uses.pending); n != 1 {
		t.Fatalf("pending entries = %d, want 1", n)
	}
	stored := func() []storage.ServiceAccess {
		var rows []storage.ServiceAccess
		if err := f.store.View(bg, func(tx storage.Tx) error {
			var err error
			rows, err = tx.ListServiceAccess(bg, testAccount, storage.OwnerUser, "alice")
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return rows
	}
	if rows := stored(); len(rows) != 0 {
		t.Fatalf("written before the flush: %+v", rows)
	}
	// The report reads the pending access (alice has no policy: allow iam through one).
	must(f.svc.PutUserPolicy(ctx, &iamapi.PutUserPolicyRequest{UserName: ptr("Alice"), PolicyName: ptr("p"),
		PolicyDocument: ptr(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:List*","Resource":"*"}]}`)}))(t)
	job := must(f.svc.GenerateServiceLastAccessedDetails(ctx, &iamapi.GenerateServiceLastAccessedDetailsRequest{Arn: ptr("arn:aws:iam::" + testAccount + ":user/Alice")}))(t)
	rep := must(f.svc.GetServiceLastAccessedDetails(ctx, &iamapi.GetServiceLastAccessedDetailsRequest{JobId: job.JobId}))(t)
	if len(rep.ServicesLastAccessed) != 1 || rep.ServicesLastAccessed[0].LastAuthenticated == nil ||
		!rep.ServicesLastAccessed[0].LastAuthenticated.Equal(t1.Add(2*time.Second).Truncate(time.Second)) {
		t.Fatalf("report before the flush: %+v", rep.ServicesLastAccessed)
	}
	if err := f.svc.FlushUses(bg); err != nil {
		t.Fatal(err)
	}
	if rows := stored(); len(rows) != 1 || rows[0].Action != "ListUsers" || !rows[0].At.Equal(t1.Add(2*time.Second).Truncate(time.Second)) {
		t.Fatalf("written = %+v", rows)
	}
}

// The reports held in memory are bounded, expire, and belong to their account.
func TestAccessJobsBounded(t *testing.T) {
	var j accessJobs
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; i < accessJobsMax+10; i++ {
		j.put(strconv.Itoa(i), &accessJob{account: testAccount, owner: "me", created: t0.Add(time.Duration(i) * time.Millisecond)}, t0)
	}
	if n := j.held(); n != accessJobsMax {
		t.Fatalf("jobs held = %d, want %d", n, accessJobsMax)
	}
	if _, ok := j.get("0", testAccount, "me", t0); ok {
		t.Fatal("the oldest job survived the bound")
	}
	last := strconv.Itoa(accessJobsMax + 9)
	if _, ok := j.get(last, testAccount, "me", t0); !ok {
		t.Fatal("the newest job is gone")
	}
	if _, ok := j.get(last, "999999999999", "me", t0); ok {
		t.Fatal("another account reads the job")
	}
	if _, ok := j.get(last, testAccount, "someone else", t0); ok {
		t.Fatal("another caller reads the job")
	}
	if _, ok := j.get(last, testAccount, "me", t0.Add(accessJobTTL+time.Minute)); ok {
		t.Fatal("an expired job answers")
	}
	j.put("new", &accessJob{account: testAccount, created: t0.Add(accessJobTTL + time.Hour)}, t0.Add(accessJobTTL+time.Hour))
	if n := j.held(); n != 1 {
		t.Fatalf("expired jobs kept: %d", n)
	}
}

// BenchmarkRecordServiceAccess is what every authenticated request of a user or role adds to the request
// path: one coalescing map update.
func BenchmarkRecordServiceAccess(b *testing.B) {
	f := newFixture(b)
	c := &reqctx.Caller{Kind: reqctx.CallerUser, AccountID: testAccount, PrincipalName: "alice"}
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	bg := context.Background()
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		f.svc.RecordServiceAccess(bg, c, "sts", "GetCallerIdentity", "us-east-1", at)
	}
}

// Accesses older than the tracking period count as none.
func TestServiceAccessTrackingPeriod(t *testing.T) {
	f := newFixture(t)
	ctx := f.root()
	u := must(f.svc.CreateUser(ctx, &iamapi.CreateUserRequest{UserName: ptr("bob")}))(t).User
	must(f.svc.PutUserPolicy(ctx, &iamapi.PutUserPolicyRequest{UserName: ptr("bob"), PolicyName: ptr("p"),
		PolicyDocument: ptr(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:*","sts:*"],"Resource":"*"}]}`)}))(t)
	bob := &reqctx.Caller{Kind: reqctx.CallerUser, AccountID: testAccount, PrincipalName: "bob", PrincipalID: str(u.UserId)}
	bg := context.Background()
	f.svc.RecordServiceAccess(bg, bob, "iam", "GetUser", "us-east-1", f.now.Add(-accessTrackingPeriod-time.Hour))
	f.svc.RecordServiceAccess(bg, bob, "sts", "GetCallerIdentity", "us-east-1", f.now.Add(-accessTrackingPeriod+time.Hour))
	if err := f.svc.FlushUses(bg); err != nil {
		t.Fatal(err)
	}
	job := must(f.svc.GenerateServiceLastAccessedDetails(ctx, &iamapi.GenerateServiceLastAccessedDetailsRequest{Arn: u.Arn}))(t)
	rep := must(f.svc.GetServiceLastAccessedDetails(ctx, &iamapi.GetServiceLastAccessedDetailsRequest{JobId: job.JobId}))(t)
	got := map[string]iamapi.ServiceLastAccessed{}
	for _, s := range rep.ServicesLastAccessed {
		got[str(s.ServiceNamespace)] = s
	}
	if got["iam"].LastAuthenticated != nil || *got["iam"].TotalAuthenticatedEntities != 0 {
		t.Errorf("iam, accessed before the tracking period: %+v", got["iam"])
	}
	if got["sts"].LastAuthenticated == nil || *got["sts"].TotalAuthenticatedEntities != 1 {
		t.Errorf("sts, accessed within the tracking period: %+v", got["sts"])
	}
}
