package main

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strconv"
	"time"
)

// Settings of the storage phase.
const (
	// walkPageSize is the largest MaxItems IAM accepts: a full walk takes the fewest round trips.
	walkPageSize = 1000
	// walkRepeats full walks are timed; the median is reported.
	walkRepeats = 3
	// readSpread is how many different users each client's GetUser requests name.
	readSpread = 64
	// restPause lets the target settle (GC, idle connections) before its memory is read.
	restPause = 3 * time.Second
)

// storageFigures are the storage phase's measurements on one target.
type storageFigures struct {
	Users                            int
	CreateUser, CreateKey, AttachPol result
	GetUser                          result
	ListWalk, GAADWalk               walk
	RSSLoadedKiB                     int64
	RSSBeforePopulateKiB             int64
	// RSSReadKiB, Heap and Cache: iamd after GetUser read the users (Cache from /metrics; empty for moto).
	RSSReadKiB int64
	Heap       heapFigures
	Cache      []cacheTable
	// Preexisting users (bench-user) count towards Users; the phase creates the rest.
	Preexisting int
}

// walk is a timed full listing.
type walk struct {
	Median, Best time.Duration
	Pages, Items int
}

// populate creates users × (1 user, 2 keys, 5 attached policies) through the API from many clients, timing
// each kind of write separately, then times reads and full walks over the result.
func storagePhase(ctx context.Context, log *slog.Logger, e *env, users, clients int, d time.Duration) (*storageFigures, error) {
	f := &storageFigures{Users: users}
	f.RSSBeforePopulateKiB, _ = rssKiB(e.t.pid)
	addr := e.t.addr()
	// bench-user (and anything else already there) counts towards the total: AWS's quota of users per
	// account is 5,000, and iamd enforces it.
	existing, err := timeWalks(ctx, e, "ListUsers", "UserName", 1)
	if err != nil {
		return f, err
	}
	users -= existing.Items
	f.Preexisting = existing.Items
	step := func(name string, n int, build func(i int) call) (result, error) {
		log.Info("storage phase", "target", e.t.name, "step", name, "requests", n)
		done := profile(log, e.t, "cpu-storage-"+name)
		r := run(ctx, addr, workSources(e.root, n, clients, build), 0)
		done()
		if r.Errors > 0 {
			return r, fmt.Errorf("%s on %s: %d errors, first: %s", name, e.t.name, r.Errors, r.FirstFail)
		}
		return r, nil
	}
	if f.CreateUser, err = step("CreateUser", users, func(i int) call {
		return iamCall("CreateUser", "UserName", userName(i), "Path", "/bench/")
	}); err != nil {
		return f, err
	}
	if f.CreateKey, err = step("CreateAccessKey", users*keysPerUser, func(i int) call {
		return iamCall("CreateAccessKey", "UserName", userName(i/keysPerUser))
	}); err != nil {
		return f, err
	}
	if f.AttachPol, err = step("AttachUserPolicy", users*attachedPerUser, func(i int) call {
		return iamCall("AttachUserPolicy", "UserName", userName(i/attachedPerUser),
			"PolicyArn", "arn:aws:iam::"+e.account+":policy/"+storagePolicy+strconv.Itoa(i%attachedPerUser))
	}); err != nil {
		return f, err
	}
	time.Sleep(restPause)
	f.RSSLoadedKiB, _ = rssKiB(e.t.pid)

	log.Info("storage phase", "target", e.t.name, "step", "GetUser over all users")
	f.GetUser = run(ctx, addr, cyclingSources(e.user, clients, readSpread, func(rng *rand.Rand) call {
		return iamCall("GetUser", "UserName", userName(rng.IntN(users)))
	}), d)
	if e.t.pprof != "" {
		// Every user and its attachment list read once, so that the cache holds all it would serve.
		r := run(ctx, addr, workSources(e.root, 2*users, clients, func(i int) call {
			if i%2 == 0 {
				return iamCall("GetUser", "UserName", userName(i/2))
			}
			return iamCall("ListAttachedUserPolicies", "UserName", userName(i/2))
		}), 0)
		if r.Errors > 0 {
			return f, fmt.Errorf("reading every user on %s: %d errors, first: %s", e.t.name, r.Errors, r.FirstFail)
		}
		time.Sleep(restPause)
		f.RSSReadKiB, _ = rssKiB(e.t.pid)
		if f.Heap, err = heapAfterGC(e.t); err != nil {
			return f, err
		}
		if f.Cache, err = cacheTables(e.t); err != nil {
			return f, err
		}
	}
	log.Info("storage phase", "target", e.t.name, "step", "ListUsers walks")
	if f.ListWalk, err = timeWalks(ctx, e, "ListUsers", "UserName", walkRepeats); err != nil {
		return f, err
	}
	log.Info("storage phase", "target", e.t.name, "step", "GetAccountAuthorizationDetails walks")
	done := profile(log, e.t, "cpu-storage-GetAccountAuthorizationDetails")
	f.GAADWalk, err = timeWalks(ctx, e, "GetAccountAuthorizationDetails", "UserName", walkRepeats)
	done()
	if err != nil {
		return f, err
	}
	return f, nil
}

// timeWalks walks a paginated listing from start to end repeats times, one page after the other as a
// client must (each page needs the previous page's marker).
func timeWalks(ctx context.Context, e *env, action, itemElem string, repeats int) (walk, error) {
	var w walk
	var times []time.Duration
	for range repeats {
		start := time.Now()
		pages, items := 0, 0
		marker := ""
		for {
			if err := ctx.Err(); err != nil {
				return w, err
			}
			params := []string{"MaxItems", strconv.Itoa(walkPageSize)}
			if marker != "" {
				params = append(params, "Marker", marker)
			}
			body, err := do(e.t, e.root, iamCall(action, params...))
			if err != nil {
				return w, err
			}
			pages++
			items += len(xmlValues(body, itemElem))
			trunc := xmlValues(body, "IsTruncated")
			if len(trunc) == 0 || trunc[0] != "true" {
				break
			}
			m := xmlValues(body, "Marker")
			if len(m) == 0 {
				return w, fmt.Errorf("%s on %s: truncated page without a marker", action, e.t.name)
			}
			marker = m[len(m)-1]
		}
		times = append(times, time.Since(start))
		w.Pages, w.Items = pages, items
	}
	slices.Sort(times)
	w.Median, w.Best = times[len(times)/2], times[0]
	return w, nil
}

// storageProfileSeconds is the length of the CPU profiles taken at the start of storage steps.
const storageProfileSeconds = 4 * time.Second

// profile starts a CPU profile of t (when it is being profiled) and returns a function that waits for it.
func profile(log *slog.Logger, t *target, name string) func() {
	if !t.profiling() {
		return func() {}
	}
	errc := make(chan error, 1)
	go func() {
		errc <- fetchProfile(t.pprof, storageProfileSeconds, filepath.Join(t.profileDir, name+".pprof"))
	}()
	return func() {
		if err := <-errc; err != nil {
			log.Warn("CPU profile", "name", name, "err", err)
		}
	}
}
