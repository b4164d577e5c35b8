// Package logbuf batches log output: a Writer collects the records a logger writes and hands them to the
// underlying writer together, a short moment after the first of them, so that a busy server does not
// pay one write system call per request log line. At 20,000–25,000 requests a second, logging each
// request cost iamd 5–11 µs of CPU per request with a write each (a seventh to a fifth of the whole) and
// 2–6 µs batched (docs/benchmarks.md): one write every FlushDelay.
//
// Records are never dropped: when the pending output reaches MaxPending bytes (the underlying writer is
// slower than the logger, say a blocked pipe), Write hands it over itself and so waits for it, exactly as
// an unbuffered logger would. Close hands over what is pending; a process killed outright loses at most
// FlushDelay of log lines, never anything else.
//
// No library does this for log/slog (slog's handlers write each record in one Write call, and bufio.Writer
// needs a flusher and a lock of its own), so it is written here; it is small.
package logbuf

import (
	"io"
	"sync"
	"time"
)

const (
	// FlushDelay is how long a record may wait for others to join it before it is written.
	FlushDelay = 20 * time.Millisecond
	// MaxPending is how many bytes may wait; a Write that reaches it writes them out itself.
	MaxPending = 256 << 10
)

// Writer is an io.Writer that batches writes to another writer. Its methods are safe for concurrent use.
type Writer struct {
	out   io.Writer
	delay time.Duration

	mu      sync.Mutex // guards pending, closed
	pending []byte
	closed  bool

	outMu sync.Mutex // serialises writes to out and owns spare
	spare []byte

	wake chan struct{}
	stop chan struct{}
	done chan struct{}
}

// New returns a Writer that writes to out at most delay after a record arrives (FlushDelay if delay ≤ 0).
// Close it to write what is pending and stop its goroutine.
func New(out io.Writer, delay time.Duration) *Writer {
	if delay <= 0 {
		delay = FlushDelay
	}
	w := &Writer{out: out, delay: delay, wake: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	go w.loop()
	return w
}

// Write queues a copy of p. It reports len(p) and no error: a failure of the underlying writer is not the
// logger's to handle (an unbuffered slog handler ignores it too, as callers of Log cannot act on it).
func (w *Writer) Write(p []byte) (int, error) {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		w.outMu.Lock()
		defer w.outMu.Unlock()
		return w.out.Write(p)
	}
	first := len(w.pending) == 0
	w.pending = append(w.pending, p...)
	full := len(w.pending) >= MaxPending
	w.mu.Unlock()
	if full {
		w.Flush()
	} else if first {
		select {
		case w.wake <- struct{}{}:
		default:
		}
	}
	return len(p), nil
}

// Flush writes what is pending now.
func (w *Writer) Flush() {
	w.outMu.Lock()
	defer w.outMu.Unlock()
	w.mu.Lock()
	data := w.pending
	w.pending = w.spare[:0]
	w.mu.Unlock()
	if len(data) > 0 {
		_, _ = w.out.Write(data)
	}
	// Keep the buffer for the next swap unless one burst made it large.
	if cap(data) <= 2*MaxPending {
		w.spare = data[:0]
	} else {
		w.spare = nil
	}
}

// Close writes what is pending and makes later writes go straight through. It is safe to call twice.
func (w *Writer) Close() error {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return nil
	}
	w.closed = true
	w.mu.Unlock()
	close(w.stop)
	<-w.done
	w.Flush()
	return nil
}

func (w *Writer) loop() {
	defer close(w.done)
	timer := time.NewTimer(w.delay)
	timer.Stop()
	for {
		select {
		case <-w.stop:
			return
		case <-w.wake:
		}
		// Let the records of the next moment join this one.
		timer.Reset(w.delay)
		select {
		case <-w.stop:
			timer.Stop()
			return
		case <-timer.C:
		}
		w.Flush()
	}
}
