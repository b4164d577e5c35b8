package server

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"

	"github.com/iamd/iamd/internal/protocol"
)

// stalled sends its bytes, then fails as a connection whose client stopped sending does at the read
// timeout.
type stalled struct{ r io.Reader }

func (s *stalled) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	if err == io.EOF {
		return n, io.ErrUnexpectedEOF
	}
	return n, err
}

// A Content-Length is only a claim: the server holds memory for the bytes that arrived, not for the
// length announced.
func TestReadBodyAllocatesAsBytesArrive(t *testing.T) {
	s := New(Options{MaxBodyBytes: 1 << 20})
	const rounds = 20
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for range rounds {
		r := httptest.NewRequest(http.MethodPost, "/", nil)
		r.Body = io.NopCloser(&stalled{strings.NewReader("Action=GetCallerIdentity")})
		r.ContentLength = 1 << 20
		if _, err := s.readBody(httptest.NewRecorder(), r); !isCode(err, "IncompleteBody") {
			t.Fatalf("got %v, want IncompleteBody", err)
		}
	}
	runtime.ReadMemStats(&after)
	if per := (after.TotalAlloc - before.TotalAlloc) / rounds; per > 4*bodyChunk {
		t.Fatalf("a request announcing 1 MiB and sending 24 bytes made the server allocate %d bytes", per)
	}
}

func TestReadBody(t *testing.T) {
	s := New(Options{MaxBodyBytes: 200 << 10})
	for _, n := range []int{1, 100, bodyChunk - 1, bodyChunk, bodyChunk + 1, 3*bodyChunk + 7, 200 << 10} {
		want := bytes.Repeat([]byte("x"), n)
		for _, chunked := range []bool{false, true} {
			r := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(want))
			if chunked {
				r.ContentLength = -1
			}
			got, err := s.readBody(httptest.NewRecorder(), r)
			if err != nil || !bytes.Equal(got, want) {
				t.Fatalf("%d bytes (chunked %v): got %d bytes, %v", n, chunked, len(got), err)
			}
		}
	}
	for name, tc := range map[string]struct {
		body   string
		length int64
		code   string
	}{
		"over the limit, announced":       {strings.Repeat("x", 10), 200<<10 + 1, "RequestEntityTooLarge"},
		"over the limit, chunked":         {strings.Repeat("x", 200<<10+1), -1, "RequestEntityTooLarge"},
		"shorter than announced":          {"abc", 10, "IncompleteBody"},
		"longer than announced (in-proc)": {strings.Repeat("x", 100), 10, "IncompleteBody"},
	} {
		r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(tc.body))
		r.ContentLength = tc.length
		if _, err := s.readBody(httptest.NewRecorder(), r); !isCode(err, tc.code) {
			t.Errorf("%s: got %v, want %s", name, err, tc.code)
		}
	}
	r := httptest.NewRequest(http.MethodPost, "/", io.NopCloser(&stalled{strings.NewReader("abc")}))
	r.ContentLength = -1
	if _, err := s.readBody(httptest.NewRecorder(), r); !isCode(err, "IncompleteBody") {
		t.Errorf("broken chunked body: got %v", err)
	}
}

func isCode(err error, code string) bool {
	var pe *protocol.Error
	return errors.As(err, &pe) && pe.Code == code
}
