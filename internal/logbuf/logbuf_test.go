package logbuf

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer that counts the Write calls it receives.
type syncBuffer struct {
	mu     sync.Mutex
	b      bytes.Buffer
	writes int
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.writes++
	return s.b.Write(p)
}

func (s *syncBuffer) snapshot() (string, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String(), s.writes
}

func TestEveryRecordArrivesInOrderAndBatched(t *testing.T) {
	var out syncBuffer
	w := New(&out, time.Hour) // nothing is written before Close or MaxPending
	const writers, each = 8, 500
	var wg sync.WaitGroup
	for g := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				fmt.Fprintf(w, "g%d n%d\n", g, i)
			}
		}()
	}
	wg.Wait()
	if s, _ := out.snapshot(); s != "" {
		t.Fatalf("written before the delay: %q", s[:min(len(s), 40)])
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	s, writes := out.snapshot()
	if writes != 1 {
		t.Errorf("%d writes to the underlying writer, want 1", writes)
	}
	lines := strings.Split(strings.TrimSuffix(s, "\n"), "\n")
	if len(lines) != writers*each {
		t.Fatalf("%d lines, want %d", len(lines), writers*each)
	}
	next := make([]int, writers)
	for _, l := range lines {
		var g, n int
		if _, err := fmt.Sscanf(l, "g%d n%d", &g, &n); err != nil {
			t.Fatalf("torn line %q: %v", l, err)
		}
		if n != next[g] {
			t.Fatalf("writer %d: line %d after %d", g, n, next[g]-1)
		}
		next[g]++
	}
}

func TestWrittenWithinTheDelay(t *testing.T) {
	var out syncBuffer
	w := New(&out, 5*time.Millisecond)
	defer w.Close()
	io.WriteString(w, "one\n")
	deadline := time.Now().Add(5 * time.Second)
	for {
		if s, _ := out.snapshot(); s == "one\n" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("a record was not written within 5 s of a 5 ms delay")
		}
		time.Sleep(time.Millisecond)
	}
	// A second record after the first was written is written too (the flusher was woken again).
	io.WriteString(w, "two\n")
	for {
		if s, _ := out.snapshot(); s == "one\ntwo\n" {
			return
		}
		if time.Now().After(deadline) {
			s, _ := out.snapshot()
			t.Fatalf("second record not written: %q", s)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestMaxPendingWritesThrough(t *testing.T) {
	var out syncBuffer
	w := New(&out, time.Hour)
	defer w.Close()
	line := strings.Repeat("x", 1023) + "\n"
	for range MaxPending / len(line) {
		io.WriteString(w, line)
	}
	s, writes := out.snapshot()
	if writes != 1 || len(s) != MaxPending {
		t.Fatalf("after MaxPending bytes: %d writes of %d bytes in all, want 1 of %d", writes, len(s), MaxPending)
	}
}

func TestWritesAfterCloseGoStraightThrough(t *testing.T) {
	var out syncBuffer
	w := New(&out, time.Hour)
	io.WriteString(w, "before\n")
	w.Close()
	w.Close()
	io.WriteString(w, "after\n")
	if s, _ := out.snapshot(); s != "before\nafter\n" {
		t.Fatalf("got %q", s)
	}
}

// BenchmarkRequestLog compares a slog text handler writing each record to a file directly with the same
// handler writing through a Writer.
func BenchmarkRequestLog(b *testing.B) {
	for _, batched := range []bool{false, true} {
		name := "direct"
		if batched {
			name = "batched"
		}
		b.Run(name, func(b *testing.B) {
			f, err := openTemp(b)
			if err != nil {
				b.Fatal(err)
			}
			var out io.Writer = f
			var w *Writer
			if batched {
				w = New(f, 0)
				out = w
			}
			log := slog.New(slog.NewTextHandler(out, nil))
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					log.LogAttrs(b.Context(), slog.LevelInfo, "request", slog.String("request_id", "c9a1c2f4-0000-4000-8000-000000000000"),
						slog.String("service", "sts"), slog.String("operation", "GetCallerIdentity"), slog.Int("status", 200),
						slog.Duration("duration", 41*time.Microsecond))
				}
			})
			if w != nil {
				w.Close()
			}
		})
	}
}

func openTemp(b *testing.B) (io.Writer, error) {
	f, err := os.CreateTemp(b.TempDir(), "log")
	if err != nil {
		return nil, err
	}
	b.Cleanup(func() { f.Close() })
	return f, nil
}
