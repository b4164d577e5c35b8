package main

import (
	"bufio"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// accountCreators is how many `iamd accounts create` processes run at once.
const accountCreators = 4

// firstBenchAccount is the first of the accounts the accounts phase creates (then +1, +2, …).
const firstBenchAccount = 200_000_000_000

// accountsFigures are the accounts phase's measurements: many accounts of many users each, every user
// read once, and what iamd then holds.
type accountsFigures struct {
	Accounts, UsersPerAccount int
	CreateAccounts            time.Duration
	CreateUser, GetUser       result
	RSSKiB                    int64
	Heap                      heapFigures
	Cache                     []cacheTable
}

// heapFigures are the Go heap of the target after a forced collection (runtime.MemStats as the heap
// profile reports them).
type heapFigures struct{ HeapAlloc, HeapInuse, HeapSys int64 }

// cacheTable is one table of iamd's store cache as /metrics reports it.
type cacheTable struct {
	Name              string
	Entries, Capacity int64
}

// accountsPhase creates accounts accounts with `iamd accounts create` (each with root credentials of its
// own), then users users in each through the API from clients clients (each signed by its account's
// root), then reads every user once with GetUser, so that the store's cache meets more rows than its
// bound, and reads iamd's memory and cache sizes.
func accountsPhase(ctx context.Context, log *slog.Logger, t *target, accounts, users, clients int) (*accountsFigures, error) {
	f := &accountsFigures{Accounts: accounts, UsersPerAccount: users}
	if t.accountCmd == nil {
		return f, fmt.Errorf("the accounts phase needs an iamd this tool started (it creates accounts with its binary)")
	}
	log.Info("accounts phase", "target", t.name, "step", "create accounts", "accounts", accounts)
	start := time.Now()
	roots := make([]*signer, accounts)
	var (
		next     atomic.Int64
		wg       sync.WaitGroup
		errOnce  sync.Once
		firstErr error
	)
	for range accountCreators {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= accounts || ctx.Err() != nil {
					return
				}
				s, err := createAccount(ctx, t, fmt.Sprintf("%012d", firstBenchAccount+i))
				if err != nil {
					errOnce.Do(func() { firstErr = err })
					return
				}
				roots[i] = s
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return f, firstErr
	}
	f.CreateAccounts = time.Since(start)
	addr := t.addr()
	n := accounts * users
	// Account by account: user j of account a is request a*users+j.
	log.Info("accounts phase", "target", t.name, "step", "CreateUser", "requests", n)
	f.CreateUser = run(ctx, addr, workSourcesBy(n, clients, func(i int) (*signer, call) {
		return roots[i/users], iamCall("CreateUser", "UserName", userName(i%users), "Path", "/bench/")
	}), 0)
	if f.CreateUser.Errors > 0 {
		return f, fmt.Errorf("CreateUser on %s: %d errors, first: %s", t.name, f.CreateUser.Errors, f.CreateUser.FirstFail)
	}
	// Every user once, accounts interleaved, so that the cache meets every row.
	log.Info("accounts phase", "target", t.name, "step", "GetUser of every user", "requests", n)
	f.GetUser = run(ctx, addr, workSourcesBy(n, clients, func(i int) (*signer, call) {
		return roots[i%accounts], iamCall("GetUser", "UserName", userName(i/accounts))
	}), 0)
	if f.GetUser.Errors > 0 {
		return f, fmt.Errorf("GetUser on %s: %d errors, first: %s", t.name, f.GetUser.Errors, f.GetUser.FirstFail)
	}
	time.Sleep(restPause)
	f.RSSKiB, _ = rssKiB(t.pid)
	if t.profiling() {
		if err := fetch("http://"+t.pprof+"/debug/pprof/heap?gc=1", filepath.Join(t.profileDir, "heap-accounts.pprof")); err != nil {
			log.Warn("heap profile", "err", err)
		}
	}
	var err error
	if f.Heap, err = heapAfterGC(t); err != nil {
		return f, err
	}
	f.Cache, err = cacheTables(t)
	return f, err
}

// createAccount runs `iamd accounts create` for id and returns a signer of the new account's root.
func createAccount(ctx context.Context, t *target, id string) (*signer, error) {
	out, err := t.accountCmd(ctx, "create", "--account-id", id).CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("iamd accounts create --account-id %s: %w: %s", id, err, truncate(out, 500))
	}
	var creds aws.Credentials
	for _, line := range strings.Split(string(out), "\n") {
		if v, ok := strings.CutPrefix(line, "AWS_ACCESS_KEY_ID="); ok {
			creds.AccessKeyID = v
		}
		if v, ok := strings.CutPrefix(line, "AWS_SECRET_ACCESS_KEY="); ok {
			creds.SecretAccessKey = v
		}
	}
	if creds.AccessKeyID == "" || creds.SecretAccessKey == "" {
		return nil, fmt.Errorf("iamd accounts create --account-id %s printed no credentials: %s", id, truncate(out, 500))
	}
	return newSigner(t.endpoint, creds)
}

// heapAfterGC reads the target's Go heap after a collection, from its pprof listener (the heap profile
// with gc=1 collects first; debug=1 ends with runtime.MemStats).
func heapAfterGC(t *target) (heapFigures, error) {
	var h heapFigures
	if t.pprof == "" {
		return h, fmt.Errorf("%s has no pprof listener", t.name)
	}
	resp, err := http.Get("http://" + t.pprof + "/debug/pprof/heap?gc=1&debug=1")
	if err != nil {
		return h, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return h, fmt.Errorf("heap profile: HTTP %d", resp.StatusCode)
	}
	fields := map[string]*int64{"HeapAlloc": &h.HeapAlloc, "HeapInuse": &h.HeapInuse, "HeapSys": &h.HeapSys}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for sc.Scan() {
		name, value, ok := strings.Cut(strings.TrimPrefix(sc.Text(), "# "), " = ")
		if p, want := fields[name]; ok && want {
			*p, _ = strconv.ParseInt(value, 10, 64)
		}
	}
	if h.HeapAlloc == 0 {
		return h, fmt.Errorf("heap profile of %s: no HeapAlloc", t.name)
	}
	return h, sc.Err()
}

// cacheTables reads the entries and bound of every table of iamd's store cache from /metrics.
func cacheTables(t *target) ([]cacheTable, error) {
	resp, err := http.Get(t.endpoint + "/metrics")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	byName := map[string]*cacheTable{}
	var out []*cacheTable
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	for sc.Scan() {
		line := sc.Text()
		var dst func(*cacheTable) *int64
		switch {
		case strings.HasPrefix(line, `iamd_cache_entries{table="`):
			dst = func(c *cacheTable) *int64 { return &c.Entries }
		case strings.HasPrefix(line, `iamd_cache_capacity{table="`):
			dst = func(c *cacheTable) *int64 { return &c.Capacity }
		default:
			continue
		}
		_, rest, _ := strings.Cut(line, `{table="`)
		name, value, ok := strings.Cut(rest, `"} `)
		if !ok {
			continue
		}
		c := byName[name]
		if c == nil {
			c = &cacheTable{Name: name}
			byName[name] = c
			out = append(out, c)
		}
		v, _ := strconv.ParseFloat(value, 64)
		*dst(c) = int64(v)
	}
	tables := make([]cacheTable, len(out))
	for i, c := range out {
		tables[i] = *c
	}
	return tables, sc.Err()
}

// cacheSummary lists the tables that hold anything as "name entries/bound".
func cacheSummary(tables []cacheTable) string {
	var parts []string
	for _, c := range tables {
		if c.Entries > 0 {
			parts = append(parts, fmt.Sprintf("%s %d/%d", c.Name, c.Entries, c.Capacity))
		}
	}
	if len(parts) == 0 {
		return "–"
	}
	return strings.Join(parts, ", ")
}
