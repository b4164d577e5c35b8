package server_test

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"sync/atomic"
	"testing"
	"time"
)

// The loopback benchmarks send the same signed GetCallerIdentity request over real TCP connections, to iamd
// and to a bare net/http handler that answers a fixed response of the same size (the floor: what net/http
// and the client cost by themselves). Compare their req/s in one run:
//
//	go test ./internal/server -run XXX -bench 'Loopback|Floor' -benchtime 3s
//
// The request is signed once per client goroutine (a signature stays valid for 15 minutes), so the
// client's signing cost is the same zero on both sides and the difference is the server's work.

// BenchmarkLoopbackGetCallerIdentity is signed GetCallerIdentity through the whole server over loopback.
func BenchmarkLoopbackGetCallerIdentity(b *testing.B) {
	a := newApp(b, false)
	srv := httptest.NewServer(a.Server)
	defer srv.Close()
	loopback(b, srv.URL)
}

// BenchmarkFloor is the same client loop against a handler that does nothing but answer.
func BenchmarkFloor(b *testing.B) {
	srv := floorServer(b)
	defer srv.Close()
	loopback(b, srv.URL)
}

// BenchmarkLoopbackVsFloor alternates the two, request by request, so that the noise of a shared machine
// hits both alike, and reports iamd's throughput as a percentage of the floor's (target: at least 60).
func BenchmarkLoopbackVsFloor(b *testing.B) {
	a := newApp(b, false)
	iamd := httptest.NewServer(a.Server)
	defer iamd.Close()
	floor := floorServer(b)
	defer floor.Close()
	tr := &http.Transport{MaxIdleConnsPerHost: 64, MaxIdleConns: 128}
	defer tr.CloseIdleConnections()
	c := &http.Client{Transport: tr}
	body := []byte(gciBody)
	var iamdNanos, floorNanos, iamdN, floorN atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		reqs := [2]*http.Request{signedGCI(b, iamd.URL+"/"), signedGCI(b, floor.URL+"/")}
		rd := bytes.NewReader(body)
		for i := 0; pb.Next(); i++ {
			r := reqs[i%2]
			rd.Reset(body)
			r.Body = io.NopCloser(rd)
			start := time.Now()
			resp, err := c.Do(r)
			if err != nil {
				b.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			d := time.Since(start).Nanoseconds()
			if i%2 == 0 {
				iamdNanos.Add(d)
				iamdN.Add(1)
			} else {
				floorNanos.Add(d)
				floorN.Add(1)
			}
			if resp.StatusCode != http.StatusOK {
				b.Errorf("status %d", resp.StatusCode)
				return
			}
		}
	})
	if iamdN.Load() == 0 || floorN.Load() == 0 {
		return
	}
	// In a closed loop with the same concurrency, throughput is inversely proportional to latency.
	iamdLat := float64(iamdNanos.Load()) / float64(iamdN.Load())
	floorLat := float64(floorNanos.Load()) / float64(floorN.Load())
	par := float64(testingParallelism())
	b.ReportMetric(par*1e9/iamdLat, "iamd-req/s")
	b.ReportMetric(par*1e9/floorLat, "floor-req/s")
	b.ReportMetric(100*floorLat/iamdLat, "%-of-floor")
}

// testingParallelism is the number of client goroutines RunParallel starts (GOMAXPROCS, parallelism 1).
func testingParallelism() int { return runtime.GOMAXPROCS(0) }

// floorServer answers every request with iamd's own GetCallerIdentity response bytes, so both sides move
// the same amount of data.
func floorServer(b *testing.B) *httptest.Server {
	a := newApp(b, false)
	// The fixed answer is iamd's own, so both sides move the same bytes.
	rec := httptest.NewRecorder()
	a.Server.ServeHTTP(rec, signedGCI(b, "http://127.0.0.1/"))
	if rec.Code != http.StatusOK {
		b.Fatalf("GetCallerIdentity: %d %s", rec.Code, rec.Body)
	}
	fixed := rec.Body.Bytes()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		h := w.Header()
		h["Content-Type"] = []string{"text/xml"}
		h["X-Amzn-Requestid"] = []string{"00000000-0000-0000-0000-000000000000"}
		_, _ = w.Write(fixed)
	}))
	return srv
}

func signedGCI(tb testing.TB, url string) *http.Request {
	r, err := http.NewRequest(http.MethodPost, url, bytes.NewReader([]byte(gciBody)))
	if err != nil {
		tb.Fatal(err)
	}
	r.Header.Set("Content-Type", formType)
	sign(tb, r, []byte(gciBody), "sts", time.Now().UTC())
	return r
}

// loopback runs the client loop on every P and reports requests per second.
func loopback(b *testing.B, url string) {
	tr := &http.Transport{MaxIdleConnsPerHost: 64, MaxIdleConns: 64}
	defer tr.CloseIdleConnections()
	c := &http.Client{Transport: tr}
	body := []byte(gciBody)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		r := signedGCI(b, url+"/")
		rd := bytes.NewReader(body)
		for pb.Next() {
			rd.Reset(body)
			r.Body = io.NopCloser(rd)
			resp, err := c.Do(r)
			if err != nil {
				b.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				b.Errorf("status %d", resp.StatusCode)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
}

// BenchmarkServeHTTPGetCallerIdentity is the server's own cost per request, without sockets: its allocs/op
// are the server's alone (the loopback benchmarks count the client's too).
func BenchmarkServeHTTPGetCallerIdentity(b *testing.B) {
	a := newApp(b, false)
	// As net/http hands requests over: a Host with its port and the client's address.
	r := signedGCI(b, "http://127.0.0.1:8300/")
	r.RemoteAddr = "127.0.0.1:50000"
	b.ReportAllocs()
	b.ResetTimer()
	serveN(b, a.Server, r, []byte(gciBody), b.N)
}

// serveN serves the signed request r, whose body is body, n times to h, each answered 200, writing the
// responses nowhere.
func serveN(b *testing.B, h http.Handler, r *http.Request, body []byte, n int) {
	rd := bytes.NewReader(body)
	w := &discardWriter{h: http.Header{}}
	for range n {
		rd.Reset(body)
		r.Body = io.NopCloser(rd)
		clear(w.h)
		w.code = 0
		h.ServeHTTP(w, r)
		if w.code != http.StatusOK {
			b.Fatalf("status %d", w.code)
		}
	}
}

// discardWriter is a ResponseWriter that keeps only the status, so the benchmark measures the server.
type discardWriter struct {
	h    http.Header
	code int
}

func (w *discardWriter) Header() http.Header { return w.h }
func (w *discardWriter) Write(p []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return len(p), nil
}
func (w *discardWriter) WriteHeader(code int) { w.code = code }
