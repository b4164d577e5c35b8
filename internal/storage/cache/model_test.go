package cache_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/iamd/iamd/internal/storage"
	"github.com/iamd/iamd/internal/storage/cache"
	"github.com/iamd/iamd/internal/storage/pgtest"
	"github.com/iamd/iamd/internal/storage/postgres"
	"github.com/iamd/iamd/internal/storage/sqlite"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// The model: one account with a few users, roles, keys, attachments, policy versions and the key ring,
// names drawn from small pools so that writes collide (create after delete, rename onto a freed name).
const acct = "123456789012"

var (
	userNames = []string{"alice", "Bob", "carol"}
	roleNames = []string{"admin", "Reader"}
	keyIDs    = []string{"AKIAAAAAAAAAAAAAAAA1", "AKIAAAAAAAAAAAAAAAA2", "AKIAAAAAAAAAAAAAAAA3", "AKIAAAAAAAAAAAAAAAA4"}
	arns      = []string{"arn:aws:iam::aws:policy/ReadOnlyAccess", "arn:aws:iam::aws:policy/IAMFullAccess"}
	versions  = []string{"v1", "v2", "v3"}
)

const policyName = "Shared"

// probe is one read the cache serves; it renders the answer canonically ("not found" included) so that
// a cached read and a store read compare as strings.
type probe struct {
	name string
	read func(ctx context.Context, tx storage.Tx) (any, error)
}

// probes returns every read of the model. IDs come from the rows present when it is called (by-ID reads
// of IDs that exist, and one that never does).
func probes(ids []string) []probe {
	var ps []probe
	for _, id := range keyIDs {
		ps = append(ps, probe{"key " + id, func(ctx context.Context, tx storage.Tx) (any, error) { return tx.GetAccessKey(ctx, id) }})
	}
	ps = append(ps, probe{"account", func(ctx context.Context, tx storage.Tx) (any, error) { return tx.GetAccount(ctx, acct) }},
		probe{"keyring", func(ctx context.Context, tx storage.Tx) (any, error) { return tx.GetKeyRing(ctx) }})
	for _, n := range userNames {
		ps = append(ps, probe{"user " + n, func(ctx context.Context, tx storage.Tx) (any, error) { return tx.GetUser(ctx, acct, n) }},
			probe{"user-attached " + n, func(ctx context.Context, tx storage.Tx) (any, error) {
				return tx.ListAttachedPolicies(ctx, acct, storage.OwnerUser, n, storage.ListOptions{})
			}})
	}
	// Pages of the user listing: whole, short (truncated), after a name, and under a path prefix that
	// renames and path changes move users in and out of.
	for _, o := range []storage.ListOptions{{Limit: 101}, {Limit: 2}, {After: "ALICE", Limit: 2}, {PathPrefix: "/a", Limit: 3}, {PathPrefix: "/", Limit: 101}} {
		ps = append(ps, probe{fmt.Sprintf("users %+v", o), func(ctx context.Context, tx storage.Tx) (any, error) {
			l, err := tx.ListUsers(ctx, acct, o)
			var out []storage.User // the rows, not the addresses
			for _, u := range l {
				out = append(out, *u)
			}
			return out, err
		}})
	}
	for _, n := range roleNames {
		ps = append(ps, probe{"role " + n, func(ctx context.Context, tx storage.Tx) (any, error) { return tx.GetRole(ctx, acct, n) }},
			probe{"role-attached " + n, func(ctx context.Context, tx storage.Tx) (any, error) {
				return tx.ListAttachedPolicies(ctx, acct, storage.OwnerRole, n, storage.ListOptions{})
			}})
	}
	for _, v := range versions {
		ps = append(ps, probe{"version " + v, func(ctx context.Context, tx storage.Tx) (any, error) {
			return tx.GetPolicyVersion(ctx, acct, policyName, v)
		}})
	}
	for _, id := range append(ids, "AIDANEVER", "AROANEVER") {
		ps = append(ps, probe{"by-id " + id, func(ctx context.Context, tx storage.Tx) (any, error) {
			if id[:4] == "AROA" {
				return tx.GetRoleByID(ctx, id)
			}
			return tx.GetUserByID(ctx, id)
		}})
	}
	return ps
}

// render is a probe's answer as a string: the row's fields, or "not found".
func render(v any, err error) (string, error) {
	if errors.Is(err, storage.ErrNotFound) {
		return "not found", nil
	}
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%+v", v), nil
}

// readAll runs every probe in one View of st.
func readAll(ctx context.Context, st storage.Store, ps []probe) (map[string]string, error) {
	var out map[string]string
	err := st.View(ctx, func(tx storage.Tx) error {
		out = map[string]string{}
		for _, p := range ps {
			s, err := render(p.read(ctx, tx))
			if err != nil {
				return fmt.Errorf("%s: %w", p.name, err)
			}
			out[p.name] = s
		}
		return nil
	})
	return out, err
}

// readOne runs one probe in a View of its own (the way requests read).
func readOne(ctx context.Context, st storage.Store, p probe) (string, error) {
	var s string
	err := st.View(ctx, func(tx storage.Tx) error {
		var err error
		s, err = render(p.read(ctx, tx))
		return err
	})
	return s, err
}

// model draws writes. Its counter makes unique IDs and distinct field values.
type model struct {
	mu  sync.Mutex
	rnd *rand.Rand
	n   int
}

func (m *model) next() (int, *rand.Rand) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.n++
	return m.n, rand.New(rand.NewPCG(uint64(m.n), m.rnd.Uint64()))
}

// write performs one random write in tx. Expected failures (creating what exists, deleting what does
// not) are part of the model: the write is then a no-op.
func (m *model) write(ctx context.Context, tx storage.Tx) error {
	n, r := m.next()
	pick := func(xs []string) string { return xs[r.IntN(len(xs))] }
	now := time.Unix(1_700_000_000+int64(n), 0).UTC()
	var err error
	switch r.IntN(16) {
	case 0:
		err = tx.CreateUser(ctx, &storage.User{AccountID: acct, Name: pick(userNames), Path: "/", ID: fmt.Sprintf("AIDA%06d", n), CreatedAt: now})
	case 1:
		err = tx.DeleteUser(ctx, acct, pick(userNames))
	case 2, 3:
		name := pick(userNames)
		var u *storage.User
		if u, err = tx.GetUser(ctx, acct, name); err == nil {
			u2 := *u
			if r.IntN(3) == 0 {
				u2.Name = pick(userNames) // a rename (or a case change, or none)
			}
			u2.Path = fmt.Sprintf("/%c%d/", 'a'+r.IntN(2), n) // into or out of the listing under /a
			u2.Tags = []storage.Tag{{Key: "n", Value: fmt.Sprint(n)}}
			err = tx.UpdateUser(ctx, name, &u2)
		}
	case 4:
		err = tx.CreateRole(ctx, &storage.Role{AccountID: acct, Name: pick(roleNames), Path: "/", ID: fmt.Sprintf("AROA%06d", n),
			AssumeRolePolicyDocument: "{}", MaxSessionDuration: 3600, CreatedAt: now, TrustPrincipalIDs: map[string]string{}})
	case 5:
		err = tx.DeleteRole(ctx, acct, pick(roleNames))
	case 6:
		name := pick(roleNames)
		var ro *storage.Role
		if ro, err = tx.GetRole(ctx, acct, name); err == nil {
			r2 := *ro
			r2.Description = fmt.Sprint("d", n)
			err = tx.UpdateRole(ctx, name, &r2)
		}
	case 7:
		err = tx.SetRoleLastUsed(ctx, acct, pick(roleNames), now, "us-east-1")
	case 8:
		user := ""
		if r.IntN(2) == 0 {
			user = pick(userNames)
		}
		err = tx.CreateAccessKey(ctx, &storage.AccessKey{ID: pick(keyIDs), AccountID: acct, UserName: user,
			SecretSealed: []byte{byte(n)}, Status: storage.StatusActive, CreatedAt: now})
	case 9:
		var k *storage.AccessKey
		if k, err = tx.GetAccessKey(ctx, pick(keyIDs)); err == nil {
			k2 := *k
			k2.Status = storage.StatusInactive
			if k.Status == storage.StatusInactive {
				k2.Status = storage.StatusActive
			}
			err = tx.UpdateAccessKey(ctx, &k2)
		}
	case 10:
		err = tx.DeleteAccessKey(ctx, pick(keyIDs))
	case 11:
		err = tx.SetAccessKeyLastUsed(ctx, pick(keyIDs), storage.AccessKeyLastUsed{Date: now, Service: "iam", Region: "us-east-1"})
	case 12:
		kind, owner := storage.OwnerUser, pick(userNames)
		if r.IntN(2) == 0 {
			kind, owner = storage.OwnerRole, pick(roleNames)
		}
		if r.IntN(2) == 0 {
			err = tx.AttachPolicy(ctx, acct, kind, owner, pick(arns))
		} else {
			err = tx.DetachPolicy(ctx, acct, kind, owner, pick(arns))
		}
	case 13:
		if r.IntN(2) == 0 {
			err = tx.CreatePolicyVersion(ctx, acct, policyName, &storage.PolicyVersion{Document: fmt.Sprint(`{"n":`, n, `}`), CreatedAt: now})
		} else {
			err = tx.DeletePolicyVersion(ctx, acct, policyName, pick(versions))
		}
	case 14:
		var a *storage.Account
		if a, err = tx.GetAccount(ctx, acct); err == nil {
			a2 := *a
			a2.GlobalEndpointTokenVersion = 3 - a.TokenVersion()
			a2.Name = fmt.Sprint("acct", n)
			err = tx.UpdateAccount(ctx, &a2)
		}
	case 15:
		var kr *storage.KeyRing
		if kr, err = tx.GetKeyRing(ctx); err == nil {
			err = tx.PutKeyRing(ctx, kr.Generation, []storage.TokenKey{{ID: uint32(n), Sealed: []byte{1}, CreatedAt: now}})
		}
	}
	if errors.Is(err, storage.ErrNotFound) || errors.Is(err, storage.ErrAlreadyExists) {
		return nil
	}
	return err
}

// seed creates the account and the managed policy whose versions the model writes.
func seed(t *testing.T, st storage.Store) {
	t.Helper()
	ctx := context.Background()
	err := st.Update(ctx, func(tx storage.Tx) error {
		if err := tx.CreateAccount(ctx, &storage.Account{ID: acct}); err != nil {
			return err
		}
		return tx.CreateManagedPolicy(ctx, &storage.ManagedPolicy{AccountID: acct, Name: policyName, Path: "/", ID: "ANPA000001",
			DefaultVersionID: "v1", NextVersion: 1})
	})
	if err != nil {
		t.Fatal(err)
	}
}

// liveIDs returns the unique IDs of the users and roles that exist now.
func liveIDs(t *testing.T, st storage.Store) []string {
	t.Helper()
	ctx := context.Background()
	var ids []string
	err := st.View(ctx, func(tx storage.Tx) error {
		ids = nil
		us, err := tx.ListUsers(ctx, acct, storage.ListOptions{})
		if err != nil {
			return err
		}
		rs, err := tx.ListRoles(ctx, acct, storage.ListOptions{})
		if err != nil {
			return err
		}
		for _, u := range us {
			ids = append(ids, u.ID)
		}
		for _, r := range rs {
			ids = append(ids, r.ID)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

func openSQLite(t *testing.T) storage.Store {
	st, err := sqlite.Open(context.Background(), t.TempDir(), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func openPostgres(t *testing.T, url string) storage.Store {
	st, err := postgres.Open(context.Background(), url, postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// backends runs f on SQLite and on PostgreSQL.
func backends(t *testing.T, f func(t *testing.T, open func(t *testing.T) storage.Store)) {
	t.Run("sqlite", func(t *testing.T) { f(t, openSQLite) })
	t.Run("postgres", func(t *testing.T) {
		f(t, func(t *testing.T) storage.Store { return openPostgres(t, pgtest.URL(t)) })
	})
}

// TestModelSequential: on one node, after every random write, every read through the cache equals the
// same read from the store (read-your-writes: nothing may be stale once Update has returned).
func TestModelSequential(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) storage.Store) {
		ctx := context.Background()
		st := open(t)
		seed(t, st)
		c := cache.New(st, cache.Options{})
		m := &model{rnd: rand.New(rand.NewPCG(1, 2))}
		steps := 300
		if testing.Short() {
			steps = 100
		}
		for i := 0; i < steps; i++ {
			if err := c.Update(ctx, func(tx storage.Tx) error { return m.write(ctx, tx) }); err != nil {
				t.Fatalf("step %d: %v", i, err)
			}
			ps := probes(liveIDs(t, st))
			want, err := readAll(ctx, st, ps)
			if err != nil {
				t.Fatal(err)
			}
			// Twice: the first run loads what is missing, the second serves it from memory.
			for round := 0; round < 2; round++ {
				for _, p := range slices.Backward(ps) {
					got, err := readOne(ctx, c, p)
					if err != nil {
						t.Fatalf("step %d: %s: %v", i, p.name, err)
					}
					if got != want[p.name] {
						t.Fatalf("step %d, round %d: %s: cached %s, store %s", i, round, p.name, got, want[p.name])
					}
				}
			}
		}
		if s := c.Sizes(); s.Users == 0 && s.Keys == 0 && s.Roles == 0 {
			t.Fatalf("nothing was cached: %+v", s)
		}
	})
}

// history records, for every probe, the values writes committed and when (the writer reads them inside
// its transaction, after writing).
type history struct {
	mu     sync.Mutex
	writes []committed
}

type committed struct {
	start, end time.Time
	// prior and values are the probes' values before and after the write: a read overlapping the
	// write may see either (the write takes effect at some instant between start and end).
	prior, values map[string]string
}

// allowed reports whether v is a value probe p had at some instant within [from, to]: the store's value
// read just before (before), just after (after), or one a write overlapping the window found or left.
func (h *history) allowed(p, v, before, after string, from, to time.Time) bool {
	if v == before || v == after {
		return true
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, w := range h.writes {
		if !w.end.Before(from) && !w.start.After(to) && (w.values[p] == v || w.prior[p] == v) {
			return true
		}
	}
	return false
}

// observation is one cached read with the store's values just before and after it.
type observation struct {
	probe, got, before, after string
	from, to                  time.Time
}

// TestModelConcurrent: writers and readers at once on one node. Every cached read must equal the
// store's value at some instant between the read's start and end: the value just before, just after,
// or one written by a write that committed meanwhile. A stale row put back by a slow load fails it.
func TestModelConcurrent(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) storage.Store) {
		ctx := context.Background()
		st := open(t)
		seed(t, st)
		c := cache.New(st, cache.Options{})
		m := &model{rnd: rand.New(rand.NewPCG(3, 4))}
		h := &history{}
		ps := probes(nil) // by-ID reads are covered sequentially: IDs come and go here
		const writers, readers = 3, 4
		writes := 150
		if testing.Short() {
			writes = 50
		}
		var wg sync.WaitGroup
		errs := make(chan error, writers+readers)
		done := make(chan struct{})
		for w := 0; w < writers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < writes; i++ {
					var prior, values map[string]string
					read := func(tx storage.Tx) (map[string]string, error) {
						out := map[string]string{}
						for _, p := range ps {
							s, err := render(p.read(ctx, tx))
							if err != nil {
								return nil, err
							}
							out[p.name] = s
						}
						return out, nil
					}
					start := time.Now()
					err := c.Update(ctx, func(tx storage.Tx) error {
						var err error
						if prior, err = read(tx); err != nil {
							return err
						}
						if err := m.write(ctx, tx); err != nil {
							return err
						}
						values, err = read(tx)
						return err
					})
					if err != nil {
						errs <- err
						return
					}
					h.mu.Lock()
					h.writes = append(h.writes, committed{start: start, end: time.Now(), prior: prior, values: values})
					h.mu.Unlock()
				}
			}()
		}
		var (
			rwg   sync.WaitGroup
			obsMu sync.Mutex
			obs   []observation
		)
		for r := 0; r < readers; r++ {
			rwg.Add(1)
			go func() {
				defer rwg.Done()
				rnd := rand.New(rand.NewPCG(uint64(r), 9))
				for {
					select {
					case <-done:
						return
					default:
					}
					p := ps[rnd.IntN(len(ps))]
					from := time.Now()
					before, err1 := readOne(ctx, st, p)
					got, err2 := readOne(ctx, c, p)
					after, err3 := readOne(ctx, st, p)
					to := time.Now()
					if err := errors.Join(err1, err2, err3); err != nil {
						errs <- err
						return
					}
					// Checked once every write is logged: one overlapping this read may not have returned yet.
					obsMu.Lock()
					obs = append(obs, observation{p.name, got, before, after, from, to})
					obsMu.Unlock()
				}
			}()
		}
		wg.Wait()
		close(done)
		rwg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		for _, o := range obs {
			if !h.allowed(o.probe, o.got, o.before, o.after, o.from, o.to) {
				t.Fatalf("%s: cached %s was never the stored value during the read (before %s, after %s)", o.probe, o.got, o.before, o.after)
			}
		}
		t.Logf("%d writes, %d cached reads checked", len(h.writes), len(obs))
		// Quiesced: everything cached equals the store.
		c.Sync()
		want, err := readAll(ctx, st, ps)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range ps {
			if got, err := readOne(ctx, c, p); err != nil || got != want[p.name] {
				t.Fatalf("after the writes: %s: cached %s (%v), store %s", p.name, got, err, want[p.name])
			}
		}
	})
}

// TestModelThreeNodes: three nodes, each with its cache, over one PostgreSQL. After every random write
// on a random node, every node's cached reads reach the store's values (the contract's cross-node
// bound), and until then show only the value before the write or after it. It measures how long the
// other nodes took.
func TestModelThreeNodes(t *testing.T) {
	ctx := context.Background()
	url := pgtest.URL(t)
	var nodes []*cache.Store
	for i := 0; i < 3; i++ {
		st := openPostgres(t, url)
		if i == 0 {
			seed(t, st)
		}
		nodes = append(nodes, cache.New(st, cache.Options{}))
	}
	m := &model{rnd: rand.New(rand.NewPCG(5, 6))}
	ps := probes(nil)
	steps := 120
	if testing.Short() {
		steps = 40
	}
	// bound is what the test tolerates; the contract's figure is measured and logged.
	const bound = 2 * time.Second
	var lags []time.Duration
	prior, err := readAll(ctx, nodes[0].Store, ps)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < steps; i++ {
		// Warm every node's cache, so that staleness would show.
		for _, n := range nodes {
			if _, err := readAll(ctx, n, ps); err != nil {
				t.Fatal(err)
			}
		}
		w := m.rnd.IntN(len(nodes))
		if err := nodes[w].Update(ctx, func(tx storage.Tx) error { return m.write(ctx, tx) }); err != nil {
			t.Fatal(err)
		}
		written := time.Now()
		want, err := readAll(ctx, nodes[w].Store, ps)
		if err != nil {
			t.Fatal(err)
		}
		for j, n := range nodes {
			for {
				got, err := readAll(ctx, n, ps)
				if err != nil {
					t.Fatal(err)
				}
				stale := ""
				for _, p := range ps {
					switch got[p.name] {
					case want[p.name]:
					case prior[p.name]:
						stale = p.name
					default:
						t.Fatalf("step %d, node %d: %s: cached %s is neither the value before the write (%s) nor after (%s)",
							i, j, p.name, got[p.name], prior[p.name], want[p.name])
					}
				}
				if stale == "" {
					break
				}
				if j == w {
					t.Fatalf("step %d: the writing node reads %s stale after its own write", i, stale)
				}
				if time.Since(written) > bound {
					t.Fatalf("step %d, node %d: %s still stale %v after the write", i, j, stale, time.Since(written))
				}
				time.Sleep(100 * time.Microsecond)
			}
			if j != w {
				lags = append(lags, time.Since(written))
			}
		}
		prior = want
	}
	slices.Sort(lags)
	t.Logf("cross-node visibility over %d writes: median %v, p99 %v, max %v", steps,
		lags[len(lags)/2], lags[len(lags)*99/100], lags[len(lags)-1])
}
