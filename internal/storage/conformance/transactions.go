package conformance

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/iamd/iamd/internal/storage"
)

func testConcurrentCreate(t *testing.T, s storage.Store) {
	const n = 50
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Different cases of one name: uniqueness is case-insensitive.
			name := "Racer"
			if i%2 == 1 {
				name = "racer"
			}
			errs[i] = update(t, s, func(ctx context.Context, tx storage.Tx) error {
				return tx.CreateUser(ctx, user(Acct, name, 1000+i))
			})
		}()
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case errors.Is(err, storage.ErrAlreadyExists):
		default:
			t.Errorf("unexpected error: %v", err)
		}
	}
	if ok != 1 {
		t.Fatalf("%d creations succeeded, want exactly 1", ok)
	}
	if c := counts(t, s, Acct); c.Users != 1 {
		t.Fatalf("Users = %d, want 1", c.Users)
	}
}

func testRollback(t *testing.T, s storage.Store) {
	boom := errors.New("boom")
	err := update(t, s, func(ctx context.Context, tx storage.Tx) error {
		if err := tx.CreateUser(ctx, user(Acct, "a", 1)); err != nil {
			return err
		}
		if err := tx.CreateGroup(ctx, &storage.Group{AccountID: Acct, Name: "g", Path: "/", ID: "AGPA1"}); err != nil {
			return err
		}
		if err := tx.AddUserToGroup(ctx, Acct, "g", "a"); err != nil {
			return err
		}
		if err := tx.CreateAccessKey(ctx, &storage.AccessKey{ID: "AKIAROOT", AccountID: Acct, Status: storage.StatusActive}); err != nil {
			return err
		}
		if err := tx.PutKeyRing(ctx, 0, []storage.TokenKey{{ID: 1}}); err != nil {
			return err
		}
		return fmt.Errorf("wrapped: %w", boom)
	})
	wantErr(t, err, boom)
	// A failed statement (duplicate) followed by an error also leaves nothing behind.
	err = update(t, s, func(ctx context.Context, tx storage.Tx) error {
		if err := tx.CreateUser(ctx, user(Acct, "b", 2)); err != nil {
			return err
		}
		if err := tx.CreateUser(ctx, user(Acct, "B", 3)); !errors.Is(err, storage.ErrAlreadyExists) {
			return fmt.Errorf("duplicate inside a transaction: %v", err)
		}
		// The transaction must still be usable after ErrAlreadyExists.
		if _, err := tx.GetUser(ctx, Acct, "b"); err != nil {
			return fmt.Errorf("read after ErrAlreadyExists: %w", err)
		}
		return boom
	})
	wantErr(t, err, boom)
	view(t, s, func(ctx context.Context, tx storage.Tx) error {
		for _, n := range []string{"a", "b"} {
			_, err := tx.GetUser(ctx, Acct, n)
			wantErr(t, err, storage.ErrNotFound)
		}
		_, err := tx.GetGroup(ctx, Acct, "g")
		wantErr(t, err, storage.ErrNotFound)
		_, err = tx.GetAccessKey(ctx, "AKIAROOT")
		wantErr(t, err, storage.ErrNotFound)
		r, err := tx.GetKeyRing(ctx)
		must(t, err)
		if r.Generation != 0 {
			t.Fatalf("key ring written by a rolled-back transaction: %+v", r)
		}
		return nil
	})
	if c := counts(t, s, Acct); c != (storage.Counts{}) {
		t.Fatalf("counters changed by rolled-back transactions: %+v", c)
	}
	// Writes inside View fail.
	ctx := context.Background()
	if err := s.View(ctx, func(tx storage.Tx) error { return tx.CreateUser(ctx, user(Acct, "viewer", 9)) }); err == nil {
		t.Fatal("a write inside View succeeded")
	}
}

func testCounters(t *testing.T, s storage.Store) {
	// A transaction sees its own changes to the counters, before and after it writes more.
	must(t, update(t, s, func(ctx context.Context, tx storage.Tx) error {
		for i := range 3 {
			c, err := tx.Counts(ctx, Acct)
			if err != nil {
				return err
			}
			if c.Users != int64(i) {
				t.Fatalf("Counts inside the transaction after %d CreateUser: %d users", i, c.Users)
			}
			if err := tx.CreateUser(ctx, user(Acct, fmt.Sprintf("tx%d", i), 100+i)); err != nil {
				return err
			}
		}
		for i := range 3 {
			if err := tx.DeleteUser(ctx, Acct, fmt.Sprintf("tx%d", i)); err != nil {
				return err
			}
		}
		c, err := tx.Counts(ctx, Acct)
		if err == nil && (c.Users != 0 || c.Groups != 0) {
			t.Fatalf("Counts inside the transaction after deleting its users: %+v", c)
		}
		return err
	}))
	// Counters of an account created and deleted in one transaction go with it.
	must(t, update(t, s, func(ctx context.Context, tx storage.Tx) error {
		const gone = "333333333333"
		if err := tx.CreateAccount(ctx, &storage.Account{ID: gone, CreatedAt: t0}); err != nil {
			return err
		}
		if err := tx.CreateUser(ctx, user(gone, "bob", 200)); err != nil {
			return err
		}
		return tx.DeleteAccount(ctx, gone)
	}))
	check := func() {
		t.Helper()
		var c storage.Counts
		var users, groups, roles int
		view(t, s, func(ctx context.Context, tx storage.Tx) error {
			var err error
			if c, err = tx.Counts(ctx, Acct); err != nil {
				return err
			}
			us, err := tx.ListUsers(ctx, Acct, storage.ListOptions{})
			if err != nil {
				return err
			}
			gs, err := tx.ListGroups(ctx, Acct, storage.ListOptions{})
			if err != nil {
				return err
			}
			rs, err := tx.ListRoles(ctx, Acct, storage.ListOptions{})
			users, groups, roles = len(us), len(gs), len(rs)
			return err
		})
		if c.Users != int64(users) || c.Groups != int64(groups) || c.Roles != int64(roles) {
			t.Fatalf("counters %+v disagree with listings: %d users %d groups %d roles", c, users, groups, roles)
		}
	}
	check()
	for i := range 30 {
		must(t, update(t, s, func(ctx context.Context, tx storage.Tx) error {
			if err := tx.CreateUser(ctx, user(Acct, fmt.Sprintf("u%02d", i), i)); err != nil {
				return err
			}
			if i%3 == 0 {
				return tx.CreateGroup(ctx, &storage.Group{AccountID: Acct, Name: fmt.Sprintf("g%02d", i), Path: "/", ID: fmt.Sprintf("AGPA%d", i)})
			}
			if i%5 == 0 {
				return tx.CreateRole(ctx, &storage.Role{AccountID: Acct, Name: fmt.Sprintf("r%02d", i), Path: "/", ID: fmt.Sprintf("AROA%d", i)})
			}
			return nil
		}))
	}
	check()
	// Failed creations and deletions must not move counters.
	for i := range 30 {
		_ = update(t, s, func(ctx context.Context, tx storage.Tx) error {
			return tx.CreateUser(ctx, user(Acct, fmt.Sprintf("U%02d", i), 100+i))
		})
		if i%2 == 0 {
			must(t, update(t, s, func(ctx context.Context, tx storage.Tx) error {
				return tx.DeleteUser(ctx, Acct, fmt.Sprintf("u%02d", i))
			}))
		}
		_ = update(t, s, func(ctx context.Context, tx storage.Tx) error { return tx.DeleteRole(ctx, Acct, "nonexistent") })
	}
	check()
	if c := counts(t, s, Acct); c.Users != 15 {
		t.Fatalf("Users = %d, want 15", c.Users)
	}
	// Counters are per account.
	if c := counts(t, s, Acct2); c.Users != 0 {
		t.Fatalf("other account Users = %d", c.Users)
	}
}

// testConcurrentWriters: many writers creating and deleting different users in one account all succeed
// (retried as needed) and the counters match the listing afterwards.
func testConcurrentWriters(t *testing.T, s storage.Store) {
	const writers, each = 10, 20
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				n := w*1000 + i
				err := update(t, s, func(ctx context.Context, tx storage.Tx) error {
					return tx.CreateUser(ctx, user(Acct, fmt.Sprintf("w%02d-%03d", w, i), n))
				})
				if err != nil {
					t.Errorf("create: %v", err)
					return
				}
				if i%4 == 0 {
					err := update(t, s, func(ctx context.Context, tx storage.Tx) error {
						return tx.DeleteUser(ctx, Acct, fmt.Sprintf("w%02d-%03d", w, i))
					})
					if err != nil {
						t.Errorf("delete: %v", err)
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	var listed int
	view(t, s, func(ctx context.Context, tx storage.Tx) error {
		us, err := tx.ListUsers(ctx, Acct, storage.ListOptions{})
		listed = len(us)
		return err
	})
	want := writers * (each - each/4)
	if c := counts(t, s, Acct); listed != want || c.Users != int64(want) {
		t.Fatalf("listed %d, counted %d, want %d", listed, c.Users, want)
	}
}

// testConcurrentWritersSomeFail: many concurrent writers, some of whose transactions fail half-way (an
// error of their own, a duplicate name, a cancelled context, a panic). Backends may run concurrent
// transactions together (SQLite's group commit), so this checks that the outcomes stay separate: every
// acknowledged write is there with all its parts, no part of a failed one is, each caller gets its own
// error, the counters match the listing and the changes published are exactly those of acknowledged
// writes.
func testConcurrentWritersSomeFail(t *testing.T, s storage.Store) {
	const writers, each = 16, 15
	errBoom := errors.New("boom")
	must(t, update(t, s, func(ctx context.Context, tx storage.Tx) error { return tx.CreateUser(ctx, user(Acct, "taken", 1)) }))
	changes, unsubscribe := s.Subscribe()
	defer unsubscribe()
	var (
		mu               sync.Mutex
		acked, failed    []string
		changed          = map[string]bool{}
		flushed, drained = false, make(chan struct{})
	)
	go func() {
		defer close(drained)
		for c := range changes {
			if c.Kind == storage.ChangeAll {
				flushed = true
			}
			if c.Kind == storage.ChangeUser {
				changed[c.Key] = true
			}
		}
	}()
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				n := 10_000 + w*100 + i
				name := fmt.Sprintf("m%02d-%03d", w, i)
				key := &storage.AccessKey{ID: fmt.Sprintf("AKIA%016d", n), AccountID: Acct, UserName: name}
				ctx := context.Background()
				var want error
				mode := (w + i) % 5
				if mode == 3 {
					c, cancel := context.WithCancel(ctx)
					cancel()
					ctx = c
				}
				err := func() (err error) {
					defer func() {
						if p := recover(); p != nil {
							err = fmt.Errorf("panic: %v", p)
						}
					}()
					return s.Update(ctx, func(tx storage.Tx) error {
						if err := tx.CreateUser(ctx, user(Acct, name, n)); err != nil {
							return err
						}
						if err := tx.CreateAccessKey(ctx, key); err != nil {
							return err
						}
						g := &storage.Group{AccountID: Acct, Name: "g-" + name, Path: "/", ID: fmt.Sprintf("AGPA%016d", n), CreatedAt: t0}
						if err := tx.CreateGroup(ctx, g); err != nil {
							return err
						}
						switch mode {
						case 1:
							return errBoom
						case 2:
							return tx.CreateUser(ctx, user(Acct, "TAKEN", n+1_000_000))
						case 4:
							panic("member panics")
						}
						return nil
					})
				}()
				switch mode {
				case 0:
					want = nil
				case 1:
					want = errBoom
				case 2:
					want = storage.ErrAlreadyExists
				case 3:
					want = context.Canceled
				}
				switch {
				case mode == 4:
					if err == nil || err.Error() != "panic: member panics" {
						t.Errorf("%s: got %v, want the panic of fn in the caller", name, err)
					}
				case want == nil && err != nil, want != nil && !errors.Is(err, want):
					t.Errorf("%s: got error %v, want %v", name, err, want)
				}
				mu.Lock()
				if err == nil {
					acked = append(acked, name)
				} else {
					failed = append(failed, name)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	view(t, s, func(ctx context.Context, tx storage.Tx) error {
		for _, name := range acked {
			if _, err := tx.GetUser(ctx, Acct, name); err != nil {
				t.Errorf("acknowledged %s: %v", name, err)
			}
			if ks, err := tx.ListAccessKeys(ctx, Acct, name); err != nil || len(ks) != 1 {
				t.Errorf("acknowledged %s: %d access keys, %v", name, len(ks), err)
			}
			if _, err := tx.GetGroup(ctx, Acct, "g-"+name); err != nil {
				t.Errorf("acknowledged %s: group: %v", name, err)
			}
		}
		for _, name := range failed {
			if _, err := tx.GetUser(ctx, Acct, name); !errors.Is(err, storage.ErrNotFound) {
				t.Errorf("failed %s: GetUser = %v, want not found", name, err)
			}
			if _, err := tx.GetGroup(ctx, Acct, "g-"+name); !errors.Is(err, storage.ErrNotFound) {
				t.Errorf("failed %s: GetGroup = %v, want not found", name, err)
			}
		}
		return nil
	})
	want := 1 + len(acked)
	if len(acked) != writers*each/5 {
		t.Errorf("%d writes acknowledged, want %d", len(acked), writers*each/5)
	}
	var listed int
	view(t, s, func(ctx context.Context, tx storage.Tx) error {
		us, err := tx.ListUsers(ctx, Acct, storage.ListOptions{})
		listed = len(us)
		return err
	})
	if c := counts(t, s, Acct); listed != want || c.Users != int64(want) || c.Groups != int64(len(acked)) {
		t.Fatalf("listed %d users, counted %d users and %d groups, want %d and %d", listed, c.Users, c.Groups, want, len(acked))
	}
	unsubscribe()
	<-drained
	if flushed {
		t.Log("subscriber overflowed; change check skipped")
		return
	}
	for _, name := range acked {
		if !changed[storage.Fold(name)] {
			t.Errorf("no change published for acknowledged %s", name)
		}
	}
	for _, name := range failed {
		if changed[storage.Fold(name)] {
			t.Errorf("change published for failed %s", name)
		}
	}
}

// testNoLostUpdatesSomeFail: concurrent read-modify-write transactions on one entity, some of which fail
// after their update: exactly the increments of the acknowledged ones remain. Backends that run
// concurrent transactions together may hold back a repeated update of one row until the transaction's
// next statement (sqlstore's deferred update): the update of a member that then fails must not replace
// the one before it, nor be committed.
func testNoLostUpdatesSomeFail(t *testing.T, s storage.Store) {
	must(t, update(t, s, func(ctx context.Context, tx storage.Tx) error {
		return tx.CreateRole(ctx, &storage.Role{AccountID: Acct, Name: "rf", Path: "/", ID: "AROA2", MaxSessionDuration: 3600})
	}))
	errBoom := errors.New("boom")
	const writers, each = 8, 10
	var acked atomic.Int64
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				fail := (w+i)%3 == 0
				err := update(t, s, func(ctx context.Context, tx storage.Tx) error {
					r, err := tx.GetRole(ctx, Acct, "rf")
					if err != nil {
						return err
					}
					r.MaxSessionDuration++
					if err := tx.UpdateRole(ctx, "rf", r); err != nil {
						return err
					}
					if fail {
						return errBoom
					}
					return nil
				})
				switch {
				case fail && !errors.Is(err, errBoom):
					t.Errorf("failing increment: got %v, want %v", err, errBoom)
					return
				case !fail && err != nil:
					t.Errorf("increment: %v", err)
					return
				case !fail:
					acked.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	view(t, s, func(ctx context.Context, tx storage.Tx) error {
		r, err := tx.GetRole(ctx, Acct, "rf")
		must(t, err)
		if want := 3600 + int32(acked.Load()); r.MaxSessionDuration != want {
			t.Fatalf("MaxSessionDuration = %d, want %d (%d acknowledged increments)", r.MaxSessionDuration, want, acked.Load())
		}
		return nil
	})
}

// testNoLostUpdates: concurrent read-modify-write transactions on one entity behave as if run one after
// another (the backend serialises or retries them).
func testNoLostUpdates(t *testing.T, s storage.Store) {
	noLostUpdates(t, s)
	// A cancelled context stops Update without running fn to completion.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.Update(ctx, func(tx storage.Tx) error { return tx.DeleteRole(ctx, Acct, "r") }); err == nil {
		t.Fatal("Update with a cancelled context succeeded")
	}
	view(t, s, func(ctx context.Context, tx storage.Tx) error {
		_, err := tx.GetRole(ctx, Acct, "r")
		return err
	})
}

// NoLostUpdatesAcrossNodes: read-modify-writes of one entity spread over several nodes (stores over one
// database) at once behave as if run one after another: the nodes conflict, and every increment lands
// exactly once. It creates the account Acct on the first node.
func NoLostUpdatesAcrossNodes(t *testing.T, nodes ...storage.Store) {
	must(t, update(t, nodes[0], func(ctx context.Context, tx storage.Tx) error {
		return tx.CreateAccount(ctx, &storage.Account{ID: Acct, CreatedAt: t0})
	}))
	noLostUpdates(t, nodes...)
}

// noLostUpdates creates role r and increments it concurrently from writers spread over nodes, then
// checks on every node that no increment was lost.
func noLostUpdates(t *testing.T, nodes ...storage.Store) {
	must(t, update(t, nodes[0], func(ctx context.Context, tx storage.Tx) error {
		return tx.CreateRole(ctx, &storage.Role{AccountID: Acct, Name: "r", Path: "/", ID: "AROA1", MaxSessionDuration: 3600})
	}))
	const writersPerNode, each = 8, 10
	writers := writersPerNode * len(nodes)
	var wg sync.WaitGroup
	for i := range writers {
		s := nodes[i%len(nodes)]
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range each {
				err := update(t, s, func(ctx context.Context, tx storage.Tx) error {
					r, err := tx.GetRole(ctx, Acct, "r")
					if err != nil {
						return err
					}
					r.MaxSessionDuration++
					return tx.UpdateRole(ctx, "r", r)
				})
				if err != nil {
					t.Errorf("increment: %v", err)
					return
				}
			}
		}()
	}
	wg.Wait()
	for _, s := range nodes {
		view(t, s, func(ctx context.Context, tx storage.Tx) error {
			r, err := tx.GetRole(ctx, Acct, "r")
			must(t, err)
			if want := 3600 + int32(writers*each); r.MaxSessionDuration != want {
				t.Fatalf("MaxSessionDuration = %d, want %d: updates were lost", r.MaxSessionDuration, want)
			}
			return nil
		})
	}
}
