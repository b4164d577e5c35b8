package e2etest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// Bounds of the adversarial tests of resource limits. They assert what the server holds (cache entries on
// /metrics, connections it closes), never how fast it answers; the waits are generous ceilings for a
// loaded machine, far below "forever".
const (
	advHugeKeyIDs       = 300      // requests with 64 KiB key IDs
	advHugeKeyIDLen     = 64 << 10 // the size of each
	advUnknownKeyIDs    = 2000     // requests with distinct well-formed unknown key IDs
	advUnknownKeyBound  = 200      // --unknown-key-cache-size for the test, well below advUnknownKeyIDs
	advWorkers          = 4
	advCloseWait        = 40 * time.Second // how long a test waits for the server to close a connection
	advShortTimeout     = "2s"             // --read-timeout / --idle-timeout in the timeout tests
	advMaxConnections   = 3
	advRefusedCloseWait = 8 * time.Second // below the 10 s the held connections' headers may take
)

// signRequest adds a SigV4 Authorization header as the SDK writes it (usable from any goroutine).
func signRequest(r *http.Request, body, id, secret, service, region string, at time.Time) error {
	creds := aws.Credentials{AccessKeyID: id, SecretAccessKey: secret}
	return v4.NewSigner().SignHTTP(context.Background(), creds, r, wirePayloadHash(body), service, region, at)
}

// advSend signs an STS GetCallerIdentity with key id (any secret) and returns the status and error code.
func advSend(client *http.Client, url, id string) (int, string, error) {
	body := "Action=GetCallerIdentity&Version=2011-06-15"
	r, err := http.NewRequest(http.MethodPost, url+"/", strings.NewReader(body))
	if err != nil {
		return 0, "", err
	}
	r.Header.Set("Content-Type", wireFormContentType)
	if err := signRequest(r, body, id, "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "sts", "us-east-1", time.Now()); err != nil {
		return 0, "", err
	}
	resp, err := client.Do(r)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, "", err
	}
	var e xmlErrorResponse
	_ = xml.Unmarshal(raw, &e)
	return resp.StatusCode, e.Error.Code, nil
}

// advFlood sends one request per ID from advWorkers goroutines and checks each is refused as an unknown key.
func advFlood(t *testing.T, url string, n int, id func(i int) string) {
	t.Helper()
	client := &http.Client{Timeout: wireHTTPTimeout}
	var wg sync.WaitGroup
	errs := make(chan error, advWorkers)
	for w := range advWorkers {
		wg.Go(func() {
			for i := w; i < n; i += advWorkers {
				status, code, err := advSend(client, url, id(i))
				if err == nil && (status != http.StatusForbidden || code != "InvalidClientTokenId") {
					err = fmt.Errorf("request %d: %d %s, want 403 InvalidClientTokenId", i, status, code)
				}
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

// metricValue reads one sample from /metrics: name with its labels as Prometheus prints them
// (`iamd_auth_cache_entries{cache="missing_keys"}`).
func metricValue(t *testing.T, url, series string) float64 {
	t.Helper()
	resp, err := wireClient.Get(url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), series+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatalf("%s: %v", series, err)
			}
			return f
		}
	}
	t.Fatalf("/metrics has no %s", series)
	return 0
}

const (
	missingKeysSeries  = `iamd_auth_cache_entries{cache="missing_keys"}`
	missingKeysCapSeri = `iamd_auth_cache_capacity{cache="missing_keys"}`
)

// An unauthenticated client cannot grow the server by naming access keys that do not exist: malformed IDs
// (64 KiB of them here) are refused before any cache, and well-formed unknown IDs are remembered up to a
// bound, whatever their number. Checked against the real binary, in normal and in dev mode.
func TestAdversarialUnknownKeyIDsDoNotGrowMemory(t *testing.T) {
	for _, dev := range []bool{false, true} {
		t.Run("dev="+strconv.FormatBool(dev), func(t *testing.T) {
			args := []string{"--unknown-key-cache-size", strconv.Itoa(advUnknownKeyBound), "--data-dir", t.TempDir()}
			if dev {
				args = append(args, "--dev")
			}
			p := startIamd(t, nil, args...)
			if c := metricValue(t, p.URL, missingKeysCapSeri); c != advUnknownKeyBound {
				t.Fatalf("capacity gauge %v, want %d", c, advUnknownKeyBound)
			}
			huge := strings.Repeat("A", advHugeKeyIDLen-8)
			advFlood(t, p.URL, advHugeKeyIDs, func(i int) string { return huge + fmt.Sprintf("%08d", i) })
			if n := metricValue(t, p.URL, missingKeysSeries); n != 0 {
				t.Fatalf("%d malformed key IDs entered the negative cache", int(n))
			}
			if dev {
				// Dev mode accepts unknown well-formed keys as root: only the size bound is left to check,
				// with free-form and well-formed IDs alike.
				client := &http.Client{Timeout: wireHTTPTimeout}
				for i := range advUnknownKeyIDs / 4 {
					for _, id := range []string{fmt.Sprintf("AKIA%016d", i), fmt.Sprintf("dev_key_%d", i)} {
						if status, code, err := advSend(client, p.URL, id); err != nil || status != http.StatusOK {
							t.Fatalf("dev mode, key %s: %d %s %v", id, status, code, err)
						}
					}
				}
			} else {
				advFlood(t, p.URL, advUnknownKeyIDs, func(i int) string { return fmt.Sprintf("AKIA%016d", i) })
			}
			if n := metricValue(t, p.URL, missingKeysSeries); n > advUnknownKeyBound || n == 0 {
				t.Fatalf("negative cache holds %v entries after %d distinct unknown IDs, bound %d", n, advUnknownKeyIDs, advUnknownKeyBound)
			}
			// The bound did not cost the real keys anything.
			if _, err := p.server().STS(RootCreds(), "us-east-1").GetCallerIdentity(t.Context(), nil); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// A request signed for one region cannot make the STS regional endpoint of another issue its tokens by
// putting a decoy Credential= in the Authorization header: the endpoint is the signed scope's.
func TestAdversarialSignedRegionIsTheEndpointRegion(t *testing.T) {
	p := startIamd(t, nil, "--data-dir", t.TempDir())
	body := "Action=GetSessionToken&Version=2011-06-15&DurationSeconds=900"
	now := time.Now().UTC()
	decoy := "Credential=" + RootKeyID + "/" + now.Format("20060102") + "/eu-west-1/sts/aws4_request"
	for name, rewrite := range map[string]func(authz string) string{
		"decoy parameter": func(a string) string {
			return strings.Replace(a, "AWS4-HMAC-SHA256 ", "AWS4-HMAC-SHA256 Decoy="+decoy+", ", 1)
		},
		"repeated Credential": func(a string) string {
			return strings.Replace(a, "AWS4-HMAC-SHA256 ", "AWS4-HMAC-SHA256 "+decoy+", ", 1)
		},
	} {
		t.Run(name, func(t *testing.T) {
			r, err := http.NewRequest(http.MethodPost, p.URL+"/", strings.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			r.Header.Set("Content-Type", wireFormContentType)
			if err := signRequest(r, body, RootKeyID, RootSecret, "sts", "us-west-2", now); err != nil {
				t.Fatal(err)
			}
			r.Header.Set("Authorization", rewrite(r.Header.Get("Authorization")))
			resp := doWire(t, r, false)
			if resp.status != http.StatusOK {
				return // refusing the request is as good: no eu-west-1 token came out
			}
			var out struct {
				Token string `xml:"GetSessionTokenResult>Credentials>SessionToken"`
			}
			if err := xml.Unmarshal(resp.body, &out); err != nil {
				t.Fatal(err)
			}
			if region := tokenRegion(t, out.Token); region != "us-west-2" {
				t.Fatalf("a request signed for us-west-2 got a token of %s", region)
			}
		})
	}
}

// tokenRegion reads the clear region of a v2 session token (the "origin_ec" header AWS's tokens carry).
func tokenRegion(t *testing.T, tok string) string {
	t.Helper()
	raw, err := base64.StdEncoding.DecodeString(tok)
	if err != nil {
		t.Fatalf("token is not base64: %v", err)
	}
	rest, ok := bytes.CutPrefix(raw, []byte("!\n\torigin_ec"))
	if !ok || len(rest) < 2 || rest[0] != 0x1a || len(rest) < 2+int(rest[1]) {
		t.Fatalf("not a v2 token with a region: %q", raw[:min(len(raw), 24)])
	}
	return string(rest[2 : 2+int(rest[1])])
}

// advWaitClosed reads from c until the server closes it and fails if it is still open after
// advCloseWait. What the server wrote first (an error response) does not matter.
func advWaitClosed(t *testing.T, c net.Conn, what string) {
	t.Helper()
	if err := c.SetReadDeadline(time.Now().Add(advCloseWait)); err != nil {
		t.Fatal(err)
	}
	_, err := io.Copy(io.Discard, c)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("%s: the server still holds the connection after %v", what, advCloseWait)
	}
}

// No client can hold a connection forever: a body sent too slowly, headers never finished and an idle
// keep-alive connection are all closed by the server (timeouts configured short for the test).
func TestAdversarialSlowAndIdleConnectionsAreClosed(t *testing.T) {
	p := startIamd(t, nil, "--data-dir", t.TempDir(), "--read-timeout", advShortTimeout, "--idle-timeout", advShortTimeout)
	addr := strings.TrimPrefix(p.URL, "http://")
	dial := func() net.Conn {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	t.Run("slow body", func(t *testing.T) {
		c := dial()
		if _, err := io.WriteString(c, "POST / HTTP/1.1\r\nHost: "+addr+"\r\nContent-Type: "+wireFormContentType+
			"\r\nContent-Length: 1000\r\n\r\nAction=Get"); err != nil {
			t.Fatal(err)
		}
		advWaitClosed(t, c, "a body that never completes")
	})
	t.Run("unfinished headers", func(t *testing.T) {
		c := dial()
		if _, err := io.WriteString(c, "POST / HTTP/1.1\r\nHost: "+addr+"\r\nX-Slow: "); err != nil {
			t.Fatal(err)
		}
		advWaitClosed(t, c, "headers that never end")
	})
	t.Run("idle keep-alive", func(t *testing.T) {
		c := dial()
		if _, err := io.WriteString(c, "GET /healthz HTTP/1.1\r\nHost: "+addr+"\r\n\r\n"); err != nil {
			t.Fatal(err)
		}
		br := bufio.NewReader(c)
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || resp.Close {
			t.Fatalf("healthz: %d, close %v", resp.StatusCode, resp.Close)
		}
		advWaitClosed(t, c, "an idle keep-alive connection")
	})
}

// Connections beyond --max-connections are closed on accept, while those already open are served, and
// the limit frees up as connections close.
func TestAdversarialConnectionsAreCapped(t *testing.T) {
	p := startIamd(t, nil, "--data-dir", t.TempDir(), "--max-connections", strconv.Itoa(advMaxConnections))
	addr := strings.TrimPrefix(p.URL, "http://")
	var held []net.Conn
	for range advMaxConnections {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, c)
	}
	defer func() {
		for _, c := range held {
			c.Close()
		}
	}()
	extra, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer extra.Close()
	if err := extra.SetReadDeadline(time.Now().Add(advRefusedCloseWait)); err != nil {
		t.Fatal(err)
	}
	_, _ = io.WriteString(extra, "GET /healthz HTTP/1.1\r\nHost: "+addr+"\r\n\r\n")
	if _, err := io.Copy(io.Discard, extra); errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("connection %d of %d allowed was not closed", advMaxConnections+1, advMaxConnections)
	}
	// A held connection is still served.
	if _, err := io.WriteString(held[0], "GET /healthz HTTP/1.1\r\nHost: "+addr+"\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(held[0]), nil)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("held connection not served: %v", err)
	}
	resp.Body.Close()
	for _, c := range held {
		c.Close()
	}
	held = nil
	// Once they are closed, new connections get in again (the server notices the closes asynchronously).
	deadline := time.Now().Add(advCloseWait)
	for {
		resp, err := wireClient.Get(p.URL + "/healthz")
		if err == nil {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no connection accepted after the held ones closed: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if n := metricValue(t, p.URL, "iamd_connections_refused_total"); n < 1 {
		t.Fatalf("iamd_connections_refused_total = %v", n)
	}
}

// One client address cannot take every connection: past --max-connections-per-client its connections
// are closed on accept while another address is still served.
func TestAdversarialConnectionsPerClientAreCapped(t *testing.T) {
	p := startIamd(t, nil, "--data-dir", t.TempDir(), "--max-connections-per-client", "2")
	_, port, err := net.SplitHostPort(strings.TrimPrefix(p.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	dialFrom := func(src string) (net.Conn, error) {
		d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}}
		return d.Dial("tcp", "127.0.0.1:"+port)
	}
	for range 2 {
		c, err := dialFrom("127.0.0.1")
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
	}
	extra, err := dialFrom("127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	defer extra.Close()
	if err := extra.SetReadDeadline(time.Now().Add(advRefusedCloseWait)); err != nil {
		t.Fatal(err)
	}
	_, _ = io.WriteString(extra, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
	if _, err := io.Copy(io.Discard, extra); errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatal("a third connection from one address was not closed")
	}
	other, err := dialFrom("127.0.0.2")
	if err != nil {
		t.Skipf("cannot dial from 127.0.0.2 here: %v", err)
	}
	defer other.Close()
	if _, err := io.WriteString(other, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	if err := other.SetReadDeadline(time.Now().Add(advCloseWait)); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(other), nil)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("another address was not served: %v", err)
	}
	resp.Body.Close()
}
