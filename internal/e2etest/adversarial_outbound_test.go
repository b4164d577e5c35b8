package e2etest

import (
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"testing"
	"time"
)

// The unauthenticated public listener (outbound federation issuers' documents) is bounded like the API
// listener: past --max-connections its connections are closed on accept, so anyone on the network cannot
// hold an unbounded number of file descriptors through it.
func TestAdversarialPublicListenerConnectionsAreCapped(t *testing.T) {
	p := startIamd(t, nil, "--data-dir", t.TempDir(), "--public-listen", "127.0.0.1:0",
		"--max-connections", strconv.Itoa(advMaxConnections))
	addr := publicAddr(t, p)
	var held []net.Conn
	defer func() {
		for _, c := range held {
			c.Close()
		}
	}()
	for range advMaxConnections {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, c)
	}
	extra, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer extra.Close()
	if err := extra.SetReadDeadline(time.Now().Add(advRefusedCloseWait)); err != nil {
		t.Fatal(err)
	}
	_, _ = io.WriteString(extra, "GET /oidc/x HTTP/1.1\r\nHost: "+addr+"\r\n\r\n")
	if _, err := io.Copy(io.Discard, extra); errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("public connection %d of %d allowed was not closed", advMaxConnections+1, advMaxConnections)
	}
	// The API listener keeps its own budget.
	resp, err := wireClient.Get(p.URL + "/healthz")
	if err != nil {
		t.Fatalf("API listener refused while the public one is full: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("healthz: %d", resp.StatusCode)
	}
}
