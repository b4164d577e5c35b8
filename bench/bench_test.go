package main

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/iamd/iamd/internal/e2etest"
)

// Every mix runs without a single error against a real iamd: the load tool's requests are correctly
// signed, bench-user's policy allows what the mixes do, and churn pairs leave no users behind.
func TestMixesAgainstIAMD(t *testing.T) {
	s := e2etest.Start(t, e2etest.Options{})
	tg := &target{name: "iamd", endpoint: s.URL, root: aws.Credentials{AccessKeyID: e2etest.RootKeyID, SecretAccessKey: e2etest.RootSecret}}
	var all []string
	for _, m := range mixes {
		all = append(all, m.name)
	}
	e, err := prepare(tg, all)
	if err != nil {
		t.Fatal(err)
	}
	const clients, perClient = 4, 10
	for round, m := range mixes {
		r := run(context.Background(), tg.addr(), m.sources(e, clients, perClient, round+1), 0)
		if r.Errors != 0 || r.Requests != clients*perClient {
			t.Errorf("mix %s: %d requests, %d errors, first failure %s", m.name, r.Requests, r.Errors, r.FirstFail)
		}
		if r.P50 <= 0 || r.P99 < r.P50 || r.Max < r.P99 {
			t.Errorf("mix %s: latencies out of order: %+v", m.name, r)
		}
		writes := 0
		for _, o := range m.ops {
			if o.write {
				writes++
			}
		}
		switch {
		case writes == len(m.ops): // all writes: nothing to split
			if r.Writes.Requests != r.Requests || r.Reads.Requests != 0 {
				t.Errorf("mix %s: %d writes and %d reads of %d requests, want all writes", m.name, r.Writes.Requests, r.Reads.Requests, r.Requests)
			}
		case writes > 0:
			if r.Writes.Requests == 0 || r.Reads.Requests+r.Writes.Requests != r.Requests {
				t.Errorf("mix %s: %d reads + %d writes, want both, adding up to %d", m.name, r.Reads.Requests, r.Writes.Requests, r.Requests)
			}
			if r.Reads.P99 > r.Max || r.Writes.P99 > r.Max || r.Reads.P50 <= 0 || r.Writes.P50 <= 0 {
				t.Errorf("mix %s: split latencies out of range: %+v", m.name, r)
			}
		default:
			if r.Writes.Requests != 0 {
				t.Errorf("mix %s has no writes but counted %d", m.name, r.Writes.Requests)
			}
		}
	}
	w, err := timeWalks(context.Background(), e, "ListUsers", "UserName", 1)
	if err != nil {
		t.Fatal(err)
	}
	if w.Items != 1 {
		t.Errorf("after the mixes the account has %d users, want only bench-user", w.Items)
	}
}

// A request signed by a key the server does not know is counted as an error, with the server's answer.
func TestErrorsAreCounted(t *testing.T) {
	s := e2etest.Start(t, e2etest.Options{})
	tg := &target{name: "iamd", endpoint: s.URL}
	sg, err := newSigner(s.URL, aws.Credentials{AccessKeyID: "AKIAIAMDNOSUCHKEY001", SecretAccessKey: "x"})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: tg, root: sg, user: sg}
	m, _ := mixByName("gci")
	r := run(context.Background(), tg.addr(), m.sources(e, 2, 3, 1), 0)
	if r.Errors != 6 || !strings.Contains(r.FirstFail, "InvalidClientTokenId") {
		t.Fatalf("errors %d, first failure %q", r.Errors, r.FirstFail)
	}
}

// The floor answers every request with the fixed response.
func TestFloor(t *testing.T) {
	f, err := startFloor()
	if err != nil {
		t.Fatal(err)
	}
	defer f.close()
	e, err := prepare(f, []string{"mix"})
	if err != nil {
		t.Fatal(err)
	}
	m, _ := mixByName("mix")
	r := run(context.Background(), f.addr(), m.sources(e, 3, 5, 1), 0)
	if r.Errors != 0 || r.Requests != 15 {
		t.Fatalf("%+v", r)
	}
	st, body, err := once(f.addr(), mustSign(t, e.user, stsCall("GetCallerIdentity")))
	if err != nil || st != 200 || string(body) != floorResponse {
		t.Fatalf("floor answered %d %q %v", st, body, err)
	}
}

func mustSign(t *testing.T, s *signer, c call) []byte {
	t.Helper()
	w, err := s.sign(c)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func TestProcessFigures(t *testing.T) {
	if _, err := os.Stat("/proc/self/status"); err != nil {
		t.Skip("no /proc")
	}
	rss, err := rssKiB(os.Getpid())
	if err != nil || rss <= 0 {
		t.Fatalf("rss %d %v", rss, err)
	}
	x := 0
	for i := range 20_000_000 {
		x += i
	}
	_ = x
	cpu, err := processCPU(os.Getpid())
	if err != nil || cpu <= 0 {
		t.Fatalf("cpu %v %v", cpu, err)
	}
	if selfCPU() <= 0 {
		t.Fatal("no CPU time for this process")
	}
}

func TestQueryBody(t *testing.T) {
	got := queryBody("CreateUser", "2010-05-08", []string{"UserName", "a b", "Path", "/x/"})
	if want := "Action=CreateUser&Version=2010-05-08&UserName=a+b&Path=%2Fx%2F"; got != want {
		t.Fatalf("got %s, want %s", got, want)
	}
}

// The report states each performance target from the figures, by throughput and by CPU per request.
func TestReportTargets(t *testing.T) {
	res := func(rps float64, cpuMicros float64, p99 time.Duration) result {
		n := int(rps)
		return result{Requests: n, Elapsed: time.Second, P50: p99 / 4, P99: p99, Max: 2 * p99,
			ServerCPU: time.Duration(cpuMicros * float64(n) * float64(time.Microsecond))}
	}
	rep := &report{Clients: 16, Duration: time.Second, Targets: []string{"floor", "floor-inproc", "iamd", "moto"},
		Mixes: []string{"gci", "getuser", "mix"}, Load: map[string]map[string]result{
			"gci": {"floor": res(30000, 27, 3*time.Millisecond), "floor-inproc": res(40000, 0, 3*time.Millisecond),
				"iamd": res(24000, 36, 4*time.Millisecond), "moto": res(300, 3500, 90*time.Millisecond)},
			"getuser": {"floor": res(30000, 27, 3*time.Millisecond), "iamd": res(9000, 90, 6*time.Millisecond)},
			"mix":     {"iamd": res(10000, 100, 7*time.Millisecond)},
		}, Storage: map[string]*storageFigures{}, RSSRest: map[string]int64{}, RSSWarm: map[string]int64{}}
	r := rep.Load["mix"]["iamd"]
	r.Reads, r.Writes = latencies{Requests: 9000, P99: 4 * time.Millisecond}, latencies{Requests: 1000, P99: 9 * time.Millisecond}
	rep.Load["mix"]["iamd"] = r
	var out strings.Builder
	writeMarkdown(&out, rep)
	for _, want := range []string{
		"| GetCallerIdentity ≥ 70% of floor | 80% | yes |",
		"| GetCallerIdentity ≥ 70% of floor, by CPU per request | 75% | yes |",
		"| (reference) GetCallerIdentity ≥ 70% of floor-inproc | 60% | no |",
		"| GetCallerIdentity ≥ 50x moto | 80.0x | yes |",
		"| GetUser (enforced) ≥ 40% of floor | 30% | no |",
		"| GetUser (enforced) ≥ 40% of floor, by CPU per request | 30% | no |",
		"| p99 < 5 ms, realistic mix, 90% reads, all requests, 16 clients | 7.00 ms | no |",
		"| p99 < 5 ms, realistic mix, 90% reads, its reads, 16 clients | 4.00 ms | yes |",
		"| GetCallerIdentity | 0.80x | 0.75x | 80x | 0.60x | 0.75x |",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q", want)
		}
	}
	if t.Failed() {
		t.Log(out.String())
	}
}
