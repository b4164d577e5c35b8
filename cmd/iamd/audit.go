package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/iamd/iamd/internal/app"
	"github.com/iamd/iamd/internal/audit"
)

// auditCommand runs `iamd audit export`: the trail's events as JSON lines (one CloudTrail record per
// line), read from the store directly (it may run beside a serving iamd).
func auditCommand(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "export" {
		return errors.New("audit: export is the only command (iamd audit export --since TIME --until TIME)")
	}
	fs, cfg := storeFlags("iamd audit export", stderr)
	since := fs.String("since", "", "export events at or after this time (RFC 3339, or YYYY-MM-DD); default: the oldest kept")
	until := fs.String("until", "", "export events before this time (RFC 3339, or YYYY-MM-DD); default: now")
	out := fs.String("out", "", "write to this file instead of standard output")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	from, err := parseTime(*since, time.Unix(0, 0))
	if err != nil {
		return fmt.Errorf("--since: %w", err)
	}
	to, err := parseTime(*until, time.Now())
	if err != nil {
		return fmt.Errorf("--until: %w", err)
	}
	ctx := context.Background()
	store, err := app.OpenStore(ctx, cfg, newLogger(cfg, stderr))
	if err != nil {
		return err
	}
	defer store.Close()
	trail, ok := store.(audit.Store)
	if !ok {
		return errors.New("audit: this store keeps no trail")
	}
	w := stdout
	var file *os.File
	if *out != "" {
		if file, err = os.OpenFile(*out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600); err != nil {
			return err
		}
		defer file.Close() // on the error paths; the export's end closes it and reports its error
		w = file
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	n := 0
	err = trail.ExportEvents(ctx, from, to, func(ev audit.Event) error {
		n++
		if _, err := bw.Write(ev.Record); err != nil {
			return err
		}
		return bw.WriteByte('\n')
	})
	if err != nil {
		return fmt.Errorf("audit export: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("audit export: %w", err)
	}
	if file != nil {
		// A failed close may mean the file lacks what was written: the export did not succeed.
		if err := file.Close(); err != nil {
			return fmt.Errorf("audit export: %w", err)
		}
	}
	fmt.Fprintf(stderr, "exported %d events\n", n)
	return nil
}

// parseTime reads an RFC 3339 time or a date (midnight UTC); "" gives def.
func parseTime(s string, def time.Time) (time.Time, error) {
	if s == "" {
		return def, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	return time.Parse(time.DateOnly, s)
}
