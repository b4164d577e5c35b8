package iam

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/iamd/iamd/internal/api/iamapi"
	"github.com/iamd/iamd/internal/storage"
)

func TestUseRecorder(t *testing.T) {
	var r useRecorder
	r.init()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	id := keyUseID("AKIA1")
	r.record(id, use{at: t0, service: "iam", region: "us-east-1"})
	r.record(id, use{at: t0.Add(-time.Second), service: "sts", region: "eu-west-1"}) // older: ignored
	due := r.due(t0, false)
	if len(due) != 1 || due[0].id != id || due[0].u.service != "iam" {
		t.Fatalf("due = %+v", due)
	}
	// Still visible while being written.
	if u, ok := r.latest(id); !ok || u.service != "iam" {
		t.Fatalf("latest while written = %+v %v", u, ok)
	}
	// A use that arrives while the batch is written survives its completion.
	r.record(id, use{at: t0.Add(time.Second), service: "sts", region: "eu-west-1"})
	r.done(due, t0)
	if u, ok := r.latest(id); !ok || u.service != "sts" {
		t.Fatalf("latest after a racing use = %+v %v", u, ok)
	}
	// The key was just written: a use of another service or region waits for the interval…
	if due := r.due(t0.Add(30*time.Second), false); len(due) != 0 {
		t.Fatalf("due within the interval = %+v", due)
	}
	// …unless everything is flushed, or the interval has passed.
	if due := r.due(t0.Add(30*time.Second), true); len(due) != 1 {
		t.Fatalf("due when flushing all = %+v", due)
	}
	due = r.due(t0.Add(useWriteInterval), false)
	if len(due) != 1 {
		t.Fatalf("due after the interval = %+v", due)
	}
	r.done(due, t0.Add(useWriteInterval))
	if _, ok := r.latest(id); ok {
		t.Fatal("written use still pending")
	}
	// A clock that went back does not hold writes off for ever.
	r.record(id, use{at: t0.Add(2 * useWriteInterval)})
	if due := r.due(t0, false); len(due) != 1 {
		t.Fatalf("due after the clock went back = %+v", due)
	}
	r.forget(id)
	if _, ok := r.latest(id); ok {
		t.Fatal("forgotten key still pending")
	}
	// Roles are told apart by account and folded name.
	r.record(roleUseID(testAccount, "App"), use{at: t0})
	if _, ok := r.latest(roleUseID(testAccount, "APP")); !ok {
		t.Error("role use not found under another spelling")
	}
	if _, ok := r.latest(roleUseID(otherTestAccount, "App")); ok {
		t.Error("role use found in another account")
	}
}

// TestRepeatedUseSharesTheLock: a use that repeats the pending one (every request of a key within the
// same second) is told under the shared lock, so the requests of concurrent clients do not queue for the
// exclusive one; a new use still waits for it and is recorded.
func TestRepeatedUseSharesTheLock(t *testing.T) {
	var r useRecorder
	r.init()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	id := keyUseID("AKIA1")
	u := use{at: t0, service: "iam", region: "us-east-1"}
	r.record(id, u)
	r.mu.RLock() // another request reading
	repeated := make(chan struct{})
	go func() { r.record(id, u); close(repeated) }()
	select {
	case <-repeated:
	case <-time.After(10 * time.Second):
		t.Error("a repeated use waited for the exclusive lock")
	}
	later := use{at: t0.Add(time.Second), service: "sts", region: "eu-west-1"}
	recorded := make(chan struct{})
	go func() { r.record(id, later); close(recorded) }()
	r.mu.RUnlock()
	<-repeated
	<-recorded
	if got, ok := r.latest(id); !ok || got != later {
		t.Fatalf("latest = %+v %v, want %+v", got, ok, later)
	}
}

func TestUseRecorderBounded(t *testing.T) {
	var r useRecorder
	r.init()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range useMaxTracked + 10 {
		r.record(useID{kind: useOfKey, name: strconv.Itoa(i)}, use{at: t0})
	}
	if len(r.pending) != useMaxTracked {
		t.Fatalf("%d pending uses, bound %d", len(r.pending), useMaxTracked)
	}
}

func TestAccessKeyLastUsed(t *testing.T) {
	f := newFixture(t)
	ctx := f.root()
	createUser(t, f, ctx, "user", "")
	id := str(must(f.svc.CreateAccessKey(ctx, &iamapi.CreateAccessKeyRequest{UserName: ptr("user")}))(t).AccessKey.AccessKeyId)
	lastUsed := func() *iamapi.AccessKeyLastUsed {
		t.Helper()
		return must(f.svc.GetAccessKeyLastUsed(ctx, &iamapi.GetAccessKeyLastUsedRequest{AccessKeyId: ptr(id)}))(t).AccessKeyLastUsed
	}
	stored := func() storage.AccessKeyLastUsed {
		t.Helper()
		var k *storage.AccessKey
		err := f.store.View(context.Background(), func(tx storage.Tx) error {
			var err error
			k, err = tx.GetAccessKey(context.Background(), id)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return k.LastUsed
	}
	if used := lastUsed(); used.LastUsedDate != nil || str(used.ServiceName) != "N/A" || str(used.Region) != "N/A" {
		t.Fatalf("never used: %+v", used)
	}
	changes, unsubscribe := f.store.Subscribe()
	defer unsubscribe()

	// A use is reported at once, from memory, before anything is written.
	t1 := f.now.Add(time.Hour)
	if err := f.svc.RecordAccessKeyUse(context.Background(), id, "iam", "us-east-1", t1.Add(300*time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	if used := lastUsed(); !used.LastUsedDate.Equal(t1) || str(used.ServiceName) != "iam" || str(used.Region) != "us-east-1" {
		t.Fatalf("after use: %+v", used)
	}
	if s := stored(); !s.Date.IsZero() {
		t.Fatalf("written in the request path: %+v", s)
	}
	// The flusher writes it; the write publishes a last-use change only.
	f.now = t1
	if err := f.svc.flushUses(context.Background(), false); err != nil {
		t.Fatal(err)
	}
	if s := stored(); !s.Date.Equal(t1) || s.Service != "iam" || s.Region != "us-east-1" {
		t.Fatalf("stored after flush: %+v", s)
	}
	select {
	case ch := <-changes:
		if ch.Kind != storage.ChangeAccessKeyUsed || ch.Key != id || ch.AccountID != testAccount {
			t.Fatalf("change = %+v, want %s of %s", ch, storage.ChangeAccessKeyUsed, id)
		}
	default:
		t.Fatal("no change published")
	}
	// A later use of another service, within the per-key interval: reported, not yet written.
	t2 := t1.Add(20 * time.Second)
	if err := f.svc.RecordAccessKeyUse(context.Background(), id, "sts", "eu-west-1", t2); err != nil {
		t.Fatal(err)
	}
	f.now = t2
	if err := f.svc.flushUses(context.Background(), false); err != nil {
		t.Fatal(err)
	}
	if s := stored(); !s.Date.Equal(t1) {
		t.Fatalf("written within the interval: %+v", s)
	}
	if used := lastUsed(); !used.LastUsedDate.Equal(t2) || str(used.ServiceName) != "sts" || str(used.Region) != "eu-west-1" {
		t.Fatalf("after second use: %+v", used)
	}
	// FlushUses (shutdown) writes it whatever the interval.
	if err := f.svc.FlushUses(context.Background()); err != nil {
		t.Fatal(err)
	}
	if s := stored(); !s.Date.Equal(t2) || s.Service != "sts" {
		t.Fatalf("stored after FlushUses: %+v", s)
	}
	// An older use recorded by another node does not overwrite a later one.
	err := f.store.Update(context.Background(), func(tx storage.Tx) error {
		return tx.SetAccessKeyLastUsed(context.Background(), id, storage.AccessKeyLastUsed{Date: t1, Service: "iam", Region: "us-east-1"})
	})
	if err != nil {
		t.Fatal(err)
	}
	if s := stored(); !s.Date.Equal(t2) {
		t.Fatalf("older use overwrote a later one: %+v", s)
	}
	// Unknown keys (deleted between authentication and the flush) are skipped.
	if err := f.svc.RecordAccessKeyUse(context.Background(), "AKIAAAAAAAAAAAAAAAAA", "iam", "us-east-1", t2); err != nil {
		t.Errorf("unknown key: %v", err)
	}
	if err := f.svc.FlushUses(context.Background()); err != nil {
		t.Errorf("flushing the use of an unknown key: %v", err)
	}
	_, err = f.svc.GetAccessKeyLastUsed(ctx, &iamapi.GetAccessKeyLastUsedRequest{AccessKeyId: ptr("AKIAAAAAAAAAAAAAAAAA")})
	assertAPIError(t, err, "NoSuchEntity", 404, "The Access Key with id AKIAAAAAAAAAAAAAAAAA cannot be found.")
}

func TestRoleUseWriteBehind(t *testing.T) {
	f := newFixture(t)
	ctx := f.root()
	createRole(t, f, ctx, "used", "")
	changes, unsubscribe := f.store.Subscribe()
	defer unsubscribe()
	at := f.now.Add(time.Hour)
	if err := f.svc.RecordRoleUse(context.Background(), testAccount, "USED", "eu-west-1", at); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.FlushUses(context.Background()); err != nil {
		t.Fatal(err)
	}
	var r *storage.Role
	err := f.store.View(context.Background(), func(tx storage.Tx) error {
		var err error
		r, err = tx.GetRole(context.Background(), testAccount, "used")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if !r.LastUsedAt.Equal(at) || r.LastUsedRegion != "eu-west-1" {
		t.Fatalf("stored RoleLastUsed = %v %q", r.LastUsedAt, r.LastUsedRegion)
	}
	select {
	case ch := <-changes:
		if ch.Kind != storage.ChangeRoleUsed || ch.Key != "used" {
			t.Fatalf("change = %+v, want %s", ch, storage.ChangeRoleUsed)
		}
	default:
		t.Fatal("no change published")
	}
	// A role deleted before the flush is skipped.
	if err := f.svc.RecordRoleUse(context.Background(), testAccount, "gone", "eu-west-1", at); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.FlushUses(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func BenchmarkRecordAccessKeyUse(b *testing.B) {
	f := newFixture(b)
	t0 := time.Now()
	for b.Loop() {
		_ = f.svc.RecordAccessKeyUse(context.Background(), "AKIAEXAMPLE", "iam", "us-east-1", t0)
	}
}
