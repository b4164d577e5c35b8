// Command bench is iamd's load tool. In one invocation it starts its targets — iamd (built from this
// module and started on a fresh SQLite data directory at its default settings, or an endpoint you give
// it), moto_server, and the floor: a bare net/http handler that answers every request with a fixed
// GetCallerIdentity response, run in a process of its own like the others ("floor") and, for reference,
// inside the load tool's own process ("floor-inproc") — and drives each with the same correctly
// SigV4-signed requests from N concurrent clients: GetCallerIdentity, GetUser, CreateUser+DeleteUser, GetSessionToken, AssumeRole and a
// realistic mix with 90% reads. Then a storage phase creates users × 2 access keys × 5 attached managed
// policies through the API on iamd and moto, and times GetUser over all of them and full ListUsers and
// GetAccountAuthorizationDetails walks; iamd's resident memory is read at rest and fully loaded. It
// prints Markdown tables with requests/s, p50/p99/max latency, errors and the ratios the performance
// targets are set on.
//
//	go run ./bench                              # everything, defaults: 16 clients, 5 s per mix and target
//	go run ./bench -mixes gci,getuser -users 0  # two mixes, no storage phase
//	go run ./bench -profile /tmp/prof           # also CPU profiles of iamd per mix (iamd --pprof)
//	go run ./bench -targets iamd -database-url postgres://…   # iamd on PostgreSQL
//
// The client side is kept cheap so that the targets are what is measured: one persistent HTTP/1.1
// connection per client, requests written as pre-built bytes, and requests that are the same every time
// signed once per client and replayed (re-signed each minute, far inside SigV4's 15-minute window; iamd
// verifies every replay in full). Requests whose body changes (CreateUser names, markers) are signed one by
// one with aws-sdk-go-v2's v4 signer. See docs/benchmarks.md for figures.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

type options struct {
	duration, warmup time.Duration
	clients, count   int
	mixes, targets   []string
	users            int
	accounts         int
	accountUsers     int
	iamdEndpoint     string
	iamdKey          string
	iamdSecret       string
	iamdPID          int
	iamdBin          string
	databaseURL      string
	motoBin          string
	profileDir       string
	jsonOut          string
	keep             bool
	iamdLogLevel     string
	iamdNoAudit      bool
	targetProcs      int
	clientProfile    string
}

func main() {
	o := options{}
	var mixList, targetList string
	flag.DurationVar(&o.duration, "duration", 5*time.Second, "how long each mix runs against each target")
	flag.DurationVar(&o.warmup, "warmup", time.Second, "unmeasured run before each measured one (connections, caches, JIT-free but GC-warm)")
	flag.IntVar(&o.clients, "clients", 16, "concurrent clients, each with its own connection")
	flag.IntVar(&o.count, "count", 0, "requests per mix and target instead of -duration (0: use -duration)")
	flag.StringVar(&mixList, "mixes", "gci,getuser,createdelete,sessiontoken,assumerole,webidentity,mix", "mixes to run, comma-separated")
	flag.StringVar(&targetList, "targets", "floor,floor-inproc,iamd,moto", "targets, comma-separated: floor (own process), floor-inproc (in the load tool), iamd, iamd-noaudit (iamd with --no-audit beside it), moto")
	flag.IntVar(&o.users, "users", 5000, "users of the storage phase (each gets 2 keys and 5 attached policies); 0 skips it")
	flag.IntVar(&o.accounts, "accounts", 0, "accounts of the accounts phase, created with iamd's accounts command (0 skips it; iamd only, started by this tool)")
	flag.IntVar(&o.accountUsers, "account-users", 1000, "users of each account of the accounts phase, each read once with GetUser")
	flag.StringVar(&o.iamdEndpoint, "iamd-endpoint", "", "use a running iamd at this URL instead of starting one (with -iamd-key/-iamd-secret of a root key)")
	flag.StringVar(&o.iamdKey, "iamd-key", os.Getenv("AWS_ACCESS_KEY_ID"), "root access key ID of -iamd-endpoint")
	flag.StringVar(&o.iamdSecret, "iamd-secret", os.Getenv("AWS_SECRET_ACCESS_KEY"), "root secret access key of -iamd-endpoint")
	flag.IntVar(&o.iamdPID, "iamd-pid", 0, "process ID of -iamd-endpoint's server, for memory figures")
	flag.StringVar(&o.iamdBin, "iamd-bin", "", "iamd binary to start (default: go build ./cmd/iamd)")
	flag.StringVar(&o.databaseURL, "database-url", "", "start iamd on this PostgreSQL database instead of SQLite")
	flag.StringVar(&o.motoBin, "moto-bin", "moto_server", "moto_server command")
	flag.StringVar(&o.profileDir, "profile", "", "write CPU profiles of iamd for each mix and a heap profile after the storage phase here")
	flag.StringVar(&o.jsonOut, "json", "", "also write every figure as JSON to this file")
	flag.BoolVar(&o.keep, "keep", false, "keep the work directory (data, logs) instead of removing it")
	flag.IntVar(&o.targetProcs, "target-procs", 0, "GOMAXPROCS of the Go targets started (iamd, floor); 0 leaves Go's default (every core)")
	flag.BoolVar(&o.iamdNoAudit, "iamd-no-audit", false, "start target iamd with its audit trail off (--no-audit); target iamd-noaudit is such an iamd beside it")
	flag.StringVar(&o.iamdLogLevel, "iamd-log-level", "info", "--log-level of the iamd started (info, its default, writes a log line per request)")
	flag.StringVar(&o.clientProfile, "client-profile", "", "write a CPU profile of the load tool itself (the client) to this file")
	serveFloorAddr := flag.String("serve-floor", "", "internal: serve the floor on this address (the child process of target floor)")
	flag.Parse()
	if *serveFloorAddr != "" {
		if err := serveFloor(*serveFloorAddr); err != nil {
			fmt.Fprintln(os.Stderr, "bench: floor:", err)
			os.Exit(1)
		}
		return
	}
	o.mixes, o.targets = split(mixList), split(targetList)
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if o.clientProfile != "" {
		f, err := os.Create(o.clientProfile)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench: -client-profile:", err)
			os.Exit(1)
		}
		defer pprof.StopCPUProfile()
	}
	if err := benchmark(ctx, log, o, os.Stdout); err != nil {
		pprof.StopCPUProfile()
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func split(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// report is everything one invocation measured.
type report struct {
	Date     time.Time
	Machine  string
	Clients  int
	Duration time.Duration
	Count    int
	Targets  []string
	Mixes    []string
	Load     map[string]map[string]result // mix → target → result
	Storage  map[string]*storageFigures   // target → figures
	Accounts *accountsFigures             // iamd with -accounts
	RSSRest  map[string]int64             // target → KiB after setup
	RSSWarm  map[string]int64             // target → KiB after the load mixes
	Notes    []string
	// LoadBefore and LoadAfter are the machine's load averages (/proc/loadavg) around the run: other work on
	// a shared machine takes CPU from the targets and the client alike.
	LoadBefore, LoadAfter string
}

func benchmark(ctx context.Context, log *slog.Logger, o options, out io.Writer) error {
	for _, m := range o.mixes {
		if _, ok := mixByName(m); !ok {
			return fmt.Errorf("unknown mix %q", m)
		}
	}
	work, err := os.MkdirTemp("", "iamd-bench-")
	if err != nil {
		return err
	}
	if o.keep {
		log.Info("work directory kept", "dir", work)
	} else {
		defer os.RemoveAll(work)
	}
	if o.profileDir != "" {
		if err := os.MkdirAll(o.profileDir, 0o755); err != nil {
			return err
		}
	}

	// Start every target first (moto takes seconds to import), then set them up.
	var targets []*target
	defer func() {
		for _, t := range targets {
			t.close()
		}
	}()
	for _, name := range o.targets {
		var t *target
		switch name {
		case "floor":
			t, err = startFloorProcess(ctx, work, o.targetProcs)
		case "floor-inproc":
			t, err = startFloor()
		case "iamd":
			if o.iamdEndpoint != "" {
				t = externalIAMD(o.iamdEndpoint, o.iamdKey, o.iamdSecret, o.iamdPID)
			} else {
				var extra []string
				if o.iamdNoAudit {
					extra = append(extra, "--no-audit")
				}
				t, err = startIAMD(ctx, log, "iamd", work, o.iamdBin, o.databaseURL, o.iamdLogLevel, o.targetProcs, extra...)
			}
		case "iamd-noaudit":
			// The same iamd with its audit trail off, to measure what the trail costs in the same run.
			t, err = startIAMD(ctx, log, "iamd-noaudit", work, o.iamdBin, o.databaseURL, o.iamdLogLevel, o.targetProcs, "--no-audit")
		case "moto":
			t, err = startMoto(ctx, work, o.motoBin)
		default:
			err = fmt.Errorf("unknown target %q", name)
		}
		if err != nil {
			return err
		}
		t.profileDir = o.profileDir
		log.Info("target up", "target", t.name, "endpoint", t.endpoint, "pid", t.pid)
		targets = append(targets, t)
	}
	envs := map[string]*env{}
	rep := &report{Date: time.Now().UTC(), Machine: machine(), Clients: o.clients, Duration: o.duration, Count: o.count,
		Targets: o.targets, Mixes: o.mixes, Load: map[string]map[string]result{}, Storage: map[string]*storageFigures{},
		RSSRest: map[string]int64{}, RSSWarm: map[string]int64{}, LoadBefore: loadavg()}
	for _, t := range targets {
		e, err := prepare(t, o.mixes)
		if err != nil {
			return err
		}
		envs[t.name] = e
	}
	time.Sleep(restPause)
	for _, t := range targets {
		if !t.floor {
			rep.RSSRest[t.name], _ = rssKiB(t.pid)
		}
	}

	for round, name := range o.mixes {
		m, _ := mixByName(name)
		rep.Load[name] = map[string]result{}
		for _, t := range targets {
			e := envs[t.name]
			perClient := 0
			if o.count > 0 {
				perClient = max(1, o.count/o.clients)
			}
			if o.warmup > 0 {
				run(ctx, t.addr(), m.sources(e, o.clients, 0, 2*round+1), o.warmup)
			}
			var prof chan error
			if t.profiling() && o.count == 0 {
				prof = make(chan error, 1)
				go func() { prof <- fetchProfile(t.pprof, o.duration, filepath.Join(o.profileDir, "cpu-"+name+".pprof")) }()
			}
			srv0, srvErr := processCPU(t.pid)
			cli0 := selfCPU()
			r := run(ctx, t.addr(), m.sources(e, o.clients, perClient, 2*round+2), o.duration*time.Duration(boolInt(o.count == 0)))
			r.ClientCPU = selfCPU() - cli0
			if srv1, err := processCPU(t.pid); err == nil && srvErr == nil && t.pid != os.Getpid() {
				r.ServerCPU = srv1 - srv0
			}
			if prof != nil {
				if err := <-prof; err != nil {
					log.Warn("CPU profile", "mix", name, "err", err)
				}
			}
			rep.Load[name][t.name] = r
			log.Info("mix done", "mix", name, "target", t.name, "rps", int(r.RPS()), "p50", r.P50, "p99", r.P99, "errors", r.Errors)
			if r.Errors > 0 {
				log.Warn("errors", "mix", name, "target", t.name, "first", r.FirstFail)
			}
			if ctx.Err() != nil {
				return ctx.Err()
			}
		}
	}
	for _, t := range targets {
		if !t.floor {
			rep.RSSWarm[t.name], _ = rssKiB(t.pid)
		}
	}

	if o.users > 0 {
		for _, t := range targets {
			if t.floor {
				continue
			}
			f, err := storagePhase(ctx, log, envs[t.name], o.users, o.clients, o.duration)
			rep.Storage[t.name] = f
			if err != nil {
				rep.Notes = append(rep.Notes, "storage phase on "+t.name+": "+err.Error())
				log.Error("storage phase", "target", t.name, "err", err)
				continue
			}
			if t.profiling() {
				if err := fetch("http://"+t.pprof+"/debug/pprof/heap", filepath.Join(o.profileDir, "heap-loaded.pprof")); err != nil {
					log.Warn("heap profile", "err", err)
				}
			}
		}
	}
	if o.accounts > 0 {
		for _, t := range targets {
			if t.name != "iamd" {
				continue
			}
			f, err := accountsPhase(ctx, log, t, o.accounts, o.accountUsers, o.clients)
			rep.Accounts = f
			if err != nil {
				rep.Notes = append(rep.Notes, "accounts phase: "+err.Error())
				log.Error("accounts phase", "err", err)
			}
		}
	}
	rep.LoadAfter = loadavg()
	writeMarkdown(out, rep)
	if o.jsonOut != "" {
		b, err := json.MarshalIndent(rep, "", "  ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(o.jsonOut, b, 0o644); err != nil {
			return err
		}
	}
	return nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// prepare sets a target up for the mixes: the floor needs nothing but signers; the others get bench-user,
// bench-role and policies, and every mix is tried once.
func prepare(t *target, mixNames []string) (*env, error) {
	if t.floor {
		s, err := newSigner(t.endpoint, aws.Credentials{AccessKeyID: benchRootKeyID, SecretAccessKey: benchRootSecret})
		if err != nil {
			return nil, err
		}
		return &env{t: t, account: "123456789012", root: s, user: s, roleARN: "arn:aws:iam::123456789012:role/" + benchRole}, nil
	}
	e, err := setUp(t, mixNames)
	if err != nil {
		return nil, fmt.Errorf("setting up %s: %w", t.name, err)
	}
	if err := e.check(mixNames); err != nil {
		return nil, fmt.Errorf("checking %s: %w", t.name, err)
	}
	return e, nil
}

// fetchProfile records a CPU profile of d from a pprof listener.
func fetchProfile(addr string, d time.Duration, path string) error {
	secs := max(1, int(d.Seconds()))
	return fetch(fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", addr, secs), path)
}

func fetch(url, path string) error {
	resp, err := http.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: HTTP %d", url, resp.StatusCode)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	_, err = io.Copy(f, resp.Body)
	return errors.Join(err, f.Close())
}

// machine describes where the figures were measured.
func machine() string {
	cpu := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(l, "model name"); ok {
				cpu = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), ":"))
				break
			}
		}
	}
	mem := ""
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(l, "MemTotal:"); ok {
				var kb int64
				fmt.Sscan(strings.TrimSpace(v), &kb)
				mem = fmt.Sprintf(", %.1f GiB RAM", float64(kb)/(1<<20))
			}
		}
	}
	return fmt.Sprintf("%d CPUs (%s)%s, %s/%s, %s", runtime.NumCPU(), cpu, mem, runtime.GOOS, runtime.GOARCH, runtime.Version())
}

// loadavg returns the 1, 5 and 15 minute load averages.
func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond)) }

func ratio(a, b float64) string {
	if a == 0 || b == 0 {
		return "–"
	}
	r := a / b
	if r >= 10 {
		return fmt.Sprintf("%.0fx", r)
	}
	return fmt.Sprintf("%.2fx", r)
}

func mib(kib int64) string {
	if kib == 0 {
		return "–"
	}
	return fmt.Sprintf("%.1f MiB", float64(kib)/1024)
}

// cpuPerRequest is a target process's CPU time per request in µs (0 when unknown: the in-process floor).
func cpuPerRequest(r result) float64 {
	if r.ServerCPU <= 0 {
		return 0
	}
	return r.CPUPerRequest(r.ServerCPU)
}

func writeMarkdown(w io.Writer, rep *report) {
	p := func(format string, args ...any) { fmt.Fprintf(w, format+"\n", args...) }
	run := fmt.Sprintf("%s per mix and target", rep.Duration)
	if rep.Count > 0 {
		run = fmt.Sprintf("%d requests per mix and target", rep.Count)
	}
	p("Measured %s on %s; %d clients, %s. Load average (1/5/15 min) before: %s, after: %s.",
		rep.Date.Format("2006-01-02 15:04 MST"), rep.Machine, rep.Clients, run, rep.LoadBefore, rep.LoadAfter)
	p("")
	p("### Load mixes")
	p("")
	p("CPU/req is CPU time per request: the target process's (from /proc), and this process's (the client; for the floor, client and floor together). Unlike req/s it hardly depends on what else the machine runs.")
	p("")
	p("| mix | target | req/s | p50 | p99 | max | errors | target CPU/req | client CPU/req |")
	p("|---|---|---:|---:|---:|---:|---:|---:|---:|")
	for _, name := range rep.Mixes {
		m, _ := mixByName(name)
		for _, t := range rep.Targets {
			r, ok := rep.Load[name][t]
			if !ok {
				continue
			}
			srv := "–"
			if r.ServerCPU > 0 {
				srv = fmt.Sprintf("%.0f µs", r.CPUPerRequest(r.ServerCPU))
			}
			p("| %s | %s | %.0f | %s | %s | %s | %d | %s | %.0f µs |", m.desc, t, r.RPS(), ms(r.P50), ms(r.P99), ms(r.Max), r.Errors,
				srv, r.CPUPerRequest(r.ClientCPU))
		}
	}
	p("")
	p("### Ratios (throughput)")
	p("")
	p("floor is the bare handler in a process of its own, as iamd and moto run; floor-inproc is the same handler inside the load tool, where client and server share one Go runtime and no wake-up crosses processes. floor/floor-inproc is what that process boundary alone costs.")
	p("")
	p("By CPU is the same ratio read from CPU time per request instead of throughput (floor's CPU/req over iamd's): the requests each would serve per CPU-second, which other jobs on the machine hardly move.")
	p("")
	p("| mix | iamd/floor | iamd/floor by CPU | iamd/moto | iamd/floor-inproc | floor/floor-inproc |")
	p("|---|---:|---:|---:|---:|---:|")
	for _, name := range rep.Mixes {
		m, _ := mixByName(name)
		l := rep.Load[name]
		p("| %s | %s | %s | %s | %s | %s |", m.desc, ratio(l["iamd"].RPS(), l["floor"].RPS()), ratio(cpuPerRequest(l["floor"]), cpuPerRequest(l["iamd"])),
			ratio(l["iamd"].RPS(), l["moto"].RPS()), ratio(l["iamd"].RPS(), l["floor-inproc"].RPS()), ratio(l["floor"].RPS(), l["floor-inproc"].RPS()))
	}
	if slices.Contains(rep.Targets, "iamd-noaudit") {
		p("")
		p("### What the audit trail costs")
		p("")
		p("iamd (trail on, its default) over iamd-noaudit (the same binary with --no-audit), in the same run: 1.00x means the trail costs nothing.")
		p("")
		p("| mix | iamd/iamd-noaudit | by CPU |")
		p("|---|---:|---:|")
		for _, name := range rep.Mixes {
			m, _ := mixByName(name)
			l := rep.Load[name]
			p("| %s | %s | %s |", m.desc, ratio(l["iamd"].RPS(), l["iamd-noaudit"].RPS()), ratio(cpuPerRequest(l["iamd-noaudit"]), cpuPerRequest(l["iamd"])))
		}
	}
	split := false
	for _, name := range rep.Mixes {
		for _, t := range rep.Targets {
			if rep.Load[name][t].Writes.Requests > 0 && rep.Load[name][t].Reads.Requests > 0 {
				if !split {
					p("")
					p("### Reads and writes within mixes")
					p("")
					p("The latencies of a mix with both, apart. On iamd a write is answered after its durable commit (an fsync; group commit shares one among concurrent writes).")
					p("")
					p("| mix | target | reads | reads p50 / p99 | writes | writes p50 / p99 |")
					p("|---|---|---:|---:|---:|---:|")
					split = true
				}
				m, _ := mixByName(name)
				r := rep.Load[name][t]
				p("| %s | %s | %d | %s / %s | %d | %s / %s |", m.desc, t, r.Reads.Requests, ms(r.Reads.P50), ms(r.Reads.P99),
					r.Writes.Requests, ms(r.Writes.P50), ms(r.Writes.P99))
			}
		}
	}
	if len(rep.Storage) > 0 {
		p("")
		var users int
		for _, f := range rep.Storage {
			users = f.Users
		}
		p("### Storage phase: %d users × %d keys × %d attached policies, written through the API by %d clients", users, keysPerUser, attachedPerUser, rep.Clients)
		p("")
		p("bench-user, made by the setup, is one of the %d (AWS's and iamd's quota of users per account is 5,000); the phase creates the others, then their keys, then their attachments.", users)
		p("")
		p("| figure | iamd | moto | iamd/moto |")
		p("|---|---:|---:|---:|")
		i, m := rep.Storage["iamd"], rep.Storage["moto"]
		if i == nil {
			i = &storageFigures{}
		}
		if m == nil {
			m = &storageFigures{}
		}
		rps := func(label string, a, b result) {
			p("| %s | %.0f req/s | %.0f req/s | %s |", label, a.RPS(), b.RPS(), ratio(a.RPS(), b.RPS()))
		}
		rps("CreateUser (iamd: durable commit)", i.CreateUser, m.CreateUser)
		rps("CreateAccessKey", i.CreateKey, m.CreateKey)
		rps("AttachUserPolicy", i.AttachPol, m.AttachPol)
		rps(fmt.Sprintf("GetUser, random among %d users", users), i.GetUser, m.GetUser)
		p("| GetUser p50 / p99 | %s / %s | %s / %s | |", ms(i.GetUser.P50), ms(i.GetUser.P99), ms(m.GetUser.P50), ms(m.GetUser.P99))
		walkRow := func(label string, a, b walk) {
			p("| %s (%d pages of ≤ %d), median of %d | %s | %s | %s |", label, a.Pages, walkPageSize, walkRepeats, ms(a.Median), ms(b.Median),
				ratio(float64(b.Median), float64(a.Median)))
		}
		walkRow("full ListUsers walk", i.ListWalk, m.ListWalk)
		walkRow("full GetAccountAuthorizationDetails walk", i.GAADWalk, m.GAADWalk)
	}
	if i := rep.Storage["iamd"]; i != nil && i.Heap.HeapAlloc > 0 {
		p("")
		p("### iamd's memory with %d users × %d keys × %d attached policies", i.Users, keysPerUser, attachedPerUser)
		p("")
		p("After the GetUser run and one GetUser and ListAttachedUserPolicies of every user, 3 s of rest; the Go heap after a forced collection (live data), the store cache's tables from /metrics (entries/bound).")
		p("")
		p("| VmRSS | Go heap in use (live) | heap in spans | cache tables |")
		p("|---:|---:|---:|---|")
		p("| %s | %s | %s | %s |", mib(i.RSSReadKiB), mib(i.Heap.HeapAlloc/1024), mib(i.Heap.HeapInuse/1024), cacheSummary(i.Cache))
	}
	if a := rep.Accounts; a != nil {
		p("")
		p("### Accounts phase: %d accounts × %d users, every user read once", a.Accounts, a.UsersPerAccount)
		p("")
		p("Accounts made with `iamd accounts create` (%s for all), users with CreateUser signed by each account's root (%d clients), then one GetUser of every user, accounts interleaved; 3 s of rest before memory is read.", a.CreateAccounts.Round(time.Millisecond), rep.Clients)
		p("")
		p("| CreateUser | GetUser (each user once) | VmRSS | Go heap in use (live) | heap in spans | cache tables |")
		p("|---:|---:|---:|---:|---:|---|")
		p("| %.0f req/s | %.0f req/s, p99 %s | %s | %s | %s | %s |", a.CreateUser.RPS(), a.GetUser.RPS(), ms(a.GetUser.P99), mib(a.RSSKiB),
			mib(a.Heap.HeapAlloc/1024), mib(a.Heap.HeapInuse/1024), cacheSummary(a.Cache))
	}
	p("")
	p("### Resident memory (VmRSS)")
	p("")
	p("| moment | iamd | moto |")
	p("|---|---:|---:|")
	p("| at rest after setup | %s | %s |", mib(rep.RSSRest["iamd"]), mib(rep.RSSRest["moto"]))
	p("| after the load mixes | %s | %s |", mib(rep.RSSWarm["iamd"]), mib(rep.RSSWarm["moto"]))
	if len(rep.Storage) > 0 {
		i, m := rep.Storage["iamd"], rep.Storage["moto"]
		if i == nil {
			i = &storageFigures{}
		}
		if m == nil {
			m = &storageFigures{}
		}
		p("| with %d users × %d keys × %d attached policies | %s | %s |", i.Users, keysPerUser, attachedPerUser, mib(i.RSSLoadedKiB), mib(m.RSSLoadedKiB))
	}
	p("")
	p("### Performance targets")
	p("")
	p("| target | measured | met |")
	p("|---|---:|---|")
	check := func(label string, have, want float64, format string, ok bool) {
		if have == 0 {
			p("| %s | not measured | – |", label)
			return
		}
		met := "no"
		if ok {
			met = "yes"
		}
		p("| %s | "+format+" | %s |", label, have, met)
	}
	gci, gu, ar := rep.Load["gci"], rep.Load["getuser"], rep.Load["assumerole"]
	q := func(a, b float64) float64 {
		if a == 0 || b == 0 {
			return 0
		}
		return a / b
	}
	v := q(gci["iamd"].RPS(), gci["floor"].RPS())
	check("GetCallerIdentity ≥ 70% of floor", 100*v, 70, "%.0f%%", v >= 0.70)
	v = q(cpuPerRequest(gci["floor"]), cpuPerRequest(gci["iamd"]))
	check("GetCallerIdentity ≥ 70% of floor, by CPU per request", 100*v, 70, "%.0f%%", v >= 0.70)
	v = q(gci["iamd"].RPS(), gci["floor-inproc"].RPS())
	check("(reference) GetCallerIdentity ≥ 70% of floor-inproc", 100*v, 70, "%.0f%%", v >= 0.70)
	v = q(gci["iamd"].RPS(), gci["moto"].RPS())
	check("GetCallerIdentity ≥ 50x moto", v, 50, "%.1fx", v >= 50)
	v = q(gu["iamd"].RPS(), gu["floor"].RPS())
	check("GetUser (enforced) ≥ 40% of floor", 100*v, 40, "%.0f%%", v >= 0.40)
	v = q(cpuPerRequest(gu["floor"]), cpuPerRequest(gu["iamd"]))
	check("GetUser (enforced) ≥ 40% of floor, by CPU per request", 100*v, 40, "%.0f%%", v >= 0.40)
	if i, m := rep.Storage["iamd"], rep.Storage["moto"]; i != nil && m != nil {
		v = q(i.CreateUser.RPS(), m.CreateUser.RPS())
		check("durable CreateUser ≥ 10x moto", v, 10, "%.1fx", v >= 10)
	}
	v = q(ar["iamd"].RPS(), ar["moto"].RPS())
	check("AssumeRole ≥ 20x moto", v, 20, "%.1fx", v >= 20)
	for _, name := range rep.Mixes {
		m, _ := mixByName(name)
		if r, ok := rep.Load[name]["iamd"]; ok && m.read {
			p99 := float64(r.P99) / float64(time.Millisecond)
			label := m.desc
			if r.Writes.Requests > 0 {
				label += ", all requests"
			}
			check(fmt.Sprintf("p99 < 5 ms, %s, %d clients", label, rep.Clients), p99, 5, "%.2f ms", p99 < 5)
			if r.Writes.Requests > 0 && r.Reads.Requests > 0 {
				p99 = float64(r.Reads.P99) / float64(time.Millisecond)
				check(fmt.Sprintf("p99 < 5 ms, %s, its reads, %d clients", m.desc, rep.Clients), p99, 5, "%.2f ms", p99 < 5)
			}
		}
	}
	for _, n := range rep.Notes {
		p("")
		p("Note: %s", n)
	}
	for _, name := range rep.Mixes {
		for _, t := range slices.Sorted(func(yield func(string) bool) {
			for k := range rep.Load[name] {
				if !yield(k) {
					return
				}
			}
		}) {
			if r := rep.Load[name][t]; r.FirstFail != "" {
				p("")
				p("First failure, %s on %s: `%s`", name, t, r.FirstFail)
			}
		}
	}
}
