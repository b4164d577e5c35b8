package server_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/iamd/iamd/internal/app"
	"github.com/iamd/iamd/internal/config"
)

// BenchmarkTrailServeHTTP is what the audit trail costs a request, without sockets: the same signed
// requests served by an app with the trail on and one with it off (--no-audit). cpu-ns/op is the
// process's CPU per request, the writer's goroutine and the garbage collector included (ns/op misses
// the work done behind on another core); it moves far less than ns/op on a shared machine.
//
//	go test ./internal/server -run '^$' -bench TrailServeHTTP -count 3
func BenchmarkTrailServeHTTP(b *testing.B) {
	for _, op := range []string{"GetCallerIdentity", "GetUser", "CreateDeleteUser", "CreateDeleteUser16"} {
		for _, trail := range []string{"off", "on"} {
			b.Run(op+"/trail="+trail, func(b *testing.B) {
				a := newAppWith(b, func(c *config.Config) { c.NoAudit = trail == "off" })
				benchServe(b, a, op)
			})
		}
	}
}

// benchServe serves op b.N times in-process (CreateDeleteUser: a CreateUser and its DeleteUser;
// CreateDeleteUser16: the same from 16 clients at once, whose writes the store commits in groups, as under
// the load tool).
func benchServe(b *testing.B, a *app.App, op string) {
	clients := 1
	if op == "CreateDeleteUser16" {
		op, clients = "CreateDeleteUser", 16
	}
	if op == "GetUser" {
		if w := serveForm(b, a, "iam", "Action=CreateUser&Version=2010-05-08&UserName=bench-user"); w.code != http.StatusOK {
			b.Fatalf("CreateUser: status %d", w.code)
		}
	}
	bodies := map[string][]string{
		"GetCallerIdentity": {gciBody},
		"GetUser":           {"Action=GetUser&Version=2010-05-08&UserName=bench-user"},
		"CreateDeleteUser": {"Action=CreateUser&Version=2010-05-08&UserName=u%d&Path=%%2Fbench%%2F",
			"Action=DeleteUser&Version=2010-05-08&UserName=u%d"},
	}[op]
	service := "iam"
	if op == "GetCallerIdentity" {
		service = "sts"
	}
	// Signed once: a signature stays valid for minutes, and the server does not refuse a replay.
	reqs := make([]*http.Request, len(bodies))
	for i, body := range bodies {
		if strings.Contains(body, "%d") {
			continue
		}
		reqs[i] = signedForm(b, service, body)
	}
	b.ReportAllocs()
	b.ResetTimer()
	cpu, wrote := benchCPU(), benchWritten()
	var next atomic.Int64
	var wg sync.WaitGroup
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := &discardWriter{h: http.Header{}}
			for i := int(next.Add(1)) - 1; i < b.N; i = int(next.Add(1)) - 1 {
				for j, body := range bodies {
					r := reqs[j]
					if r == nil {
						r = signedForm(b, service, fmt.Sprintf(body, i))
					} else if clients > 1 {
						r = r.Clone(r.Context())
					}
					r.Body = io.NopCloser(strings.NewReader(bodyOf(r)))
					clear(w.h)
					w.code = 0
					a.Server.ServeHTTP(w, r)
					if w.code != http.StatusOK {
						b.Errorf("%s: status %d", op, w.code)
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
	b.ReportMetric(float64(benchCPU()-cpu)/float64(b.N), "cpu-ns/op")
	if wrote >= 0 {
		b.ReportMetric(float64(benchWritten()-wrote)/float64(b.N), "written-B/op")
	}
}

type bodyKey struct{}

// signedForm is a signed POST of a query-protocol form to service, its body kept in its context.
func signedForm(tb testing.TB, service, body string) *http.Request {
	r, err := http.NewRequestWithContext(context.WithValue(context.Background(), bodyKey{}, body),
		http.MethodPost, "http://127.0.0.1:8300/", bytes.NewReader([]byte(body)))
	if err != nil {
		tb.Fatal(err)
	}
	r.Header.Set("Content-Type", formType)
	r.RemoteAddr = "127.0.0.1:50000"
	sign(tb, r, []byte(body), service, time.Now().UTC())
	return r
}

func bodyOf(r *http.Request) string { return r.Context().Value(bodyKey{}).(string) }

// serveForm serves one signed form request.
func serveForm(tb testing.TB, a *app.App, service, body string) *discardWriter {
	w := &discardWriter{h: http.Header{}}
	a.Server.ServeHTTP(w, signedForm(tb, service, body))
	return w
}

// benchWritten is what the process has written to files so far (wchar of /proc/self/io: the bytes its
// write system calls were given, the store's WAL frames and checkpoints among them), or -1 where the
// kernel does not tell. Unlike CPU time, another process on the machine does not change it: it tells how
// many pages a request costs the single writer, whose commits a durable write waits for.
func benchWritten() int64 {
	b, err := os.ReadFile("/proc/self/io")
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "wchar: "); ok {
			if n, err := strconv.ParseInt(v, 10, 64); err == nil {
				return n
			}
		}
	}
	return -1
}

// benchCPU is the process's CPU time, user and system.
func benchCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
