package audit

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
)

// FileSink appends every event's record to a file as a JSON line, for log shippers. When the file passes
// MaxBytes it is renamed PATH.1 (PATH.1 becoming PATH.2, and so on) and a new one started; only Keep
// rotated files are kept.
type FileSink struct {
	path     string
	maxBytes int64
	keep     int

	mu   sync.Mutex
	f    *os.File
	w    *bufio.Writer // over f, reused from batch to batch
	size int64
}

// OpenFileSink opens (or creates) path for appending. maxBytes and keep default to DefaultFileMaxBytes
// and DefaultFileKeep when zero.
func OpenFileSink(path string, maxBytes int64, keep int) (*FileSink, error) {
	if maxBytes <= 0 {
		maxBytes = DefaultFileMaxBytes
	}
	if keep <= 0 {
		keep = DefaultFileKeep
	}
	s := &FileSink{path: path, maxBytes: maxBytes, keep: keep}
	if err := s.open(); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *FileSink) open() error {
	// 0600: records name users, keys and addresses; they are for the operator's shipper, not everyone.
	f, err := os.OpenFile(s.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("audit file: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		_ = f.Close()
		return fmt.Errorf("audit file: %w", err)
	}
	s.f, s.size = f, st.Size()
	return nil
}

// Write appends the events' records, one line each, rotating first when the file is full.
func (s *FileSink) Write(evs []Event) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.f == nil {
		return fmt.Errorf("audit file: closed")
	}
	size := int64(0)
	for _, ev := range evs {
		size += int64(len(ev.Record)) + 1
	}
	if s.size > 0 && s.size+size > s.maxBytes {
		if err := s.rotate(); err != nil {
			return err
		}
	}
	// Through a buffer kept from batch to batch, not a copy of the whole batch (up to a few MiB).
	if s.w == nil {
		s.w = bufio.NewWriterSize(s.f, fileBufferBytes)
	} else {
		s.w.Reset(s.f)
	}
	for _, ev := range evs {
		_, _ = s.w.Write(ev.Record)
		_ = s.w.WriteByte('\n')
	}
	err := s.w.Flush()
	s.size += size - int64(s.w.Buffered())
	if err != nil {
		return fmt.Errorf("audit file: %w", err)
	}
	return nil
}

// rotate shifts PATH.i to PATH.i+1 (dropping the oldest beyond keep), PATH to PATH.1, and reopens PATH.
func (s *FileSink) rotate() error {
	if err := s.f.Close(); err != nil {
		return fmt.Errorf("audit file: %w", err)
	}
	s.f = nil
	name := func(i int) string { return s.path + "." + strconv.Itoa(i) }
	_ = os.Remove(name(s.keep))
	for i := s.keep - 1; i >= 1; i-- {
		if err := os.Rename(name(i), name(i+1)); err != nil && !os.IsNotExist(err) {
			return fmt.Errorf("audit file: %w", err)
		}
	}
	if err := os.Rename(s.path, name(1)); err != nil {
		return fmt.Errorf("audit file: %w", err)
	}
	return s.open()
}

// Rotated lists the rotated files present, newest first (for tests and operators).
func (s *FileSink) Rotated() []string {
	var out []string
	for i := 1; ; i++ {
		p := s.path + "." + strconv.Itoa(i)
		if _, err := os.Stat(p); err != nil {
			return out
		}
		out = append(out, filepath.Clean(p))
	}
}

// Close closes the file.
func (s *FileSink) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.f == nil {
		return nil
	}
	err := s.f.Close()
	s.f = nil
	return err
}
