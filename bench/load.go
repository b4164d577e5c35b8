package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// Limits of the load generator.
const (
	// resignAfter bounds how long a pre-signed request is replayed: well inside SigV4's 15-minute clock
	// skew window, so long runs stay correctly signed.
	resignAfter = time.Minute
	// dialTimeout and ioTimeout keep a dead target from hanging a run.
	dialTimeout = 5 * time.Second
	ioTimeout   = 30 * time.Second
	// errorSampleBytes is how much of the first failed response is kept for the report.
	errorSampleBytes = 300
	// signingRegion is the region every request is signed for (IAM is global and signed as us-east-1;
	// STS goes to the regional endpoint of us-east-1).
	signingRegion = "us-east-1"
)

// call is one AWS query-protocol request: the service it is signed for and its form body.
type call struct {
	service string // "iam" or "sts"
	body    string // Action=…&Version=…&…
	// unsigned calls (AssumeRoleWithWebIdentity) go without a signature, as the SDKs send them.
	unsigned bool
}

func iamCall(action string, params ...string) call {
	return call{service: "iam", body: queryBody(action, "2010-05-08", params)}
}

func stsCall(action string, params ...string) call {
	return call{service: "sts", body: queryBody(action, "2011-06-15", params)}
}

// queryBody encodes Action, Version and name/value pairs in order (the order the SDKs use).
func queryBody(action, version string, params []string) string {
	var b strings.Builder
	b.WriteString("Action=")
	b.WriteString(action)
	b.WriteString("&Version=")
	b.WriteString(version)
	for i := 0; i+1 < len(params); i += 2 {
		b.WriteByte('&')
		b.WriteString(url.QueryEscape(params[i]))
		b.WriteByte('=')
		b.WriteString(url.QueryEscape(params[i+1]))
	}
	return b.String()
}

// signer turns calls into complete, SigV4-signed HTTP/1.1 requests (bytes ready to write on a connection).
type signer struct {
	host  string // host:port of the target
	creds aws.Credentials
	s     *v4.Signer
	now   func() time.Time
}

func newSigner(endpoint string, creds aws.Credentials) (*signer, error) {
	u, err := url.Parse(endpoint)
	if err != nil {
		return nil, fmt.Errorf("endpoint %q: %w", endpoint, err)
	}
	return &signer{host: u.Host, creds: creds, s: v4.NewSigner(), now: time.Now}, nil
}

// sign returns the wire bytes of c signed now, exactly as an SDK would send it.
func (s *signer) sign(c call) ([]byte, error) {
	req, err := http.NewRequest(http.MethodPost, "http://"+s.host+"/", strings.NewReader(c.body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	req.Header.Set("User-Agent", "iamd-bench/1")
	sum := sha256.Sum256([]byte(c.body))
	if !c.unsigned {
		if err := s.s.SignHTTP(context.Background(), s.creds, req, hex.EncodeToString(sum[:]), c.service, signingRegion, s.now()); err != nil {
			return nil, fmt.Errorf("signing %s: %w", c.body, err)
		}
	}
	var buf bytes.Buffer
	buf.Grow(len(c.body) + 768)
	if err := req.Write(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// presigned is a request signed once and replayed until it is resignAfter old. The server verifies every
// replay in full (iamd keeps no cache of verified signatures), so replaying only saves the client's work.
type presigned struct {
	c      call
	wire   []byte
	signed time.Time
}

func (p *presigned) get(s *signer) ([]byte, error) {
	if p.wire == nil || s.now().Sub(p.signed) > resignAfter {
		w, err := s.sign(p.c)
		if err != nil {
			return nil, err
		}
		p.wire, p.signed = w, s.now()
	}
	return p.wire, nil
}

// conn is one client's persistent HTTP/1.1 connection. Requests are written as pre-built bytes and
// responses parsed with net/http's reader: the client does as little as it can so that the target, not
// the load tool, is measured.
type conn struct {
	addr string
	c    net.Conn
	br   *bufio.Reader
	body bytes.Buffer
}

// do sends one request and returns the status and, for failures, the start of the body.
func (k *conn) do(wire []byte, keepBody bool) (int, []byte, error) {
	if k.c == nil {
		c, err := net.DialTimeout("tcp", k.addr, dialTimeout)
		if err != nil {
			return 0, nil, err
		}
		if tc, ok := c.(*net.TCPConn); ok {
			_ = tc.SetNoDelay(true)
		}
		k.c = c
		if k.br == nil {
			k.br = bufio.NewReaderSize(c, 64<<10)
		} else {
			k.br.Reset(c)
		}
	}
	_ = k.c.SetDeadline(time.Now().Add(ioTimeout))
	if _, err := k.c.Write(wire); err != nil {
		k.close()
		return 0, nil, err
	}
	resp, err := http.ReadResponse(k.br, nil)
	if err != nil {
		k.close()
		return 0, nil, err
	}
	var body []byte
	if keepBody || resp.StatusCode != http.StatusOK {
		k.body.Reset()
		_, err = k.body.ReadFrom(resp.Body)
		body = k.body.Bytes()
	} else {
		_, err = io.Copy(io.Discard, resp.Body)
	}
	resp.Body.Close()
	if err != nil || resp.Close {
		k.close()
	}
	return resp.StatusCode, body, err
}

func (k *conn) close() {
	if k.c != nil {
		_ = k.c.Close()
		k.c = nil
	}
}

// source yields the next request of one client; ok is false when the client has no more work. stopping
// says the run's time is up: a source then ends, unless it is in the middle of a unit of work that must be
// completed (a CreateUser whose DeleteUser is still to come), so that a timed run leaves no debris.
// write says the request changes state (a durable commit on iamd): the mixes report the latency of reads
// and writes apart as well as together.
type source func(stopping bool) (wire []byte, write, ok bool, err error)

// result is what one run of one mix against one target measured.
type result struct {
	Requests int
	Errors   int
	Elapsed  time.Duration
	P50, P99 time.Duration
	Max      time.Duration
	// Reads and Writes split the latencies of a mix with both (Writes.Requests == 0 when it has none).
	Reads, Writes latencies
	FirstFail     string // status and body start of the first failure
	// ServerCPU is the CPU time the target process used during the run (0: unknown, or the floor, which
	// shares this process); ClientCPU is this process's (for the floor: client and floor together).
	ServerCPU, ClientCPU time.Duration
}

// latencies summarises the latencies of one class of requests in a run.
type latencies struct {
	Requests      int
	P50, P99, Max time.Duration
}

// summarise sorts ds and reads its percentiles.
func summarise(ds []time.Duration) latencies {
	if len(ds) == 0 {
		return latencies{}
	}
	slices.Sort(ds)
	return latencies{Requests: len(ds), P50: ds[len(ds)*50/100], P99: ds[min(len(ds)-1, len(ds)*99/100)], Max: ds[len(ds)-1]}
}

// CPUPerRequest returns d per request in microseconds.
func (r result) CPUPerRequest(d time.Duration) float64 {
	if r.Requests == 0 {
		return 0
	}
	return float64(d) / float64(time.Microsecond) / float64(r.Requests)
}

// RPS is the throughput of successful and failed requests alike.
func (r result) RPS() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Requests) / r.Elapsed.Seconds()
}

// run drives addr from len(sources) concurrent clients until every source is exhausted or d has passed
// (d == 0: no time limit).
func run(ctx context.Context, addr string, sources []source, d time.Duration) result {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var stop atomic.Bool
	if d > 0 {
		t := time.AfterFunc(d, func() { stop.Store(true) })
		defer t.Stop()
	}
	go func() { <-ctx.Done(); stop.Store(true) }()

	lat := make([][]time.Duration, len(sources))
	wlat := make([][]time.Duration, len(sources)) // the writes' share of lat, again
	errs := make([]int, len(sources))
	var firstFail atomic.Pointer[string]
	var wg sync.WaitGroup
	start := time.Now()
	for i, src := range sources {
		wg.Add(1)
		go func() {
			defer wg.Done()
			k := &conn{addr: addr}
			defer k.close()
			l := make([]time.Duration, 0, 4096)
			var wl []time.Duration
			for {
				wire, write, ok, err := src(stop.Load())
				if err != nil {
					fail := "client: " + err.Error()
					firstFail.CompareAndSwap(nil, &fail)
					errs[i]++
					break
				}
				if !ok {
					break
				}
				t0 := time.Now()
				status, body, err := k.do(wire, false)
				took := time.Since(t0)
				l = append(l, took)
				if write {
					wl = append(wl, took)
				}
				if err != nil || status != http.StatusOK {
					errs[i]++
					fail := fmt.Sprintf("HTTP %d %v %s", status, err, truncate(body, errorSampleBytes))
					firstFail.CompareAndSwap(nil, &fail)
				}
			}
			lat[i], wlat[i] = l, wl
		}()
	}
	wg.Wait()
	r := result{Elapsed: time.Since(start)}
	var all, writes []time.Duration
	for i := range lat {
		all = append(all, lat[i]...)
		writes = append(writes, wlat[i]...)
		r.Errors += errs[i]
	}
	if f := firstFail.Load(); f != nil {
		r.FirstFail = *f
	}
	r.Writes = summarise(writes)
	if len(writes) > 0 {
		// The reads are what is left of all once the writes' latencies are taken out (a multiset difference
		// of two sorted lists).
		slices.Sort(all)
		reads := make([]time.Duration, 0, len(all)-len(writes))
		j := 0
		for _, d := range all {
			if j < len(writes) && writes[j] == d {
				j++
				continue
			}
			reads = append(reads, d)
		}
		r.Reads = summarise(reads)
	}
	whole := summarise(all)
	r.Requests, r.P50, r.P99, r.Max = whole.Requests, whole.P50, whole.P99, whole.Max
	return r
}

func truncate(b []byte, n int) string {
	s := strings.Join(strings.Fields(string(b)), " ")
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// once sends a single request on a fresh connection and returns the status and body (setup and walks).
func once(addr string, wire []byte) (int, []byte, error) {
	k := &conn{addr: addr}
	defer k.close()
	st, body, err := k.do(wire, true)
	return st, bytes.Clone(body), err
}
