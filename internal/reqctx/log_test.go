package reqctx_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"testing"

	"github.com/iamd/iamd/internal/reqctx"
)

func TestLogHandlerAddsRequestID(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(reqctx.LogHandler(slog.NewJSONHandler(&buf, nil))).With("component", "test")
	ctx := reqctx.With(context.Background(), &reqctx.Request{ID: "c9a1c2f4-0000-4000-8000-000000000001"})

	log.InfoContext(ctx, "inside a request", "n", 1)
	log.InfoContext(context.Background(), "outside")
	log.Info("no context")
	log.InfoContext(reqctx.With(context.Background(), &reqctx.Request{}), "request without an ID")

	var lines []map[string]any
	dec := json.NewDecoder(&buf)
	for dec.More() {
		var m map[string]any
		if err := dec.Decode(&m); err != nil {
			t.Fatal(err)
		}
		lines = append(lines, m)
	}
	if len(lines) != 4 {
		t.Fatalf("%d records, want 4", len(lines))
	}
	if lines[0][reqctx.LogKey] != "c9a1c2f4-0000-4000-8000-000000000001" || lines[0]["component"] != "test" || lines[0]["n"] != 1.0 {
		t.Errorf("record logged in a request: %v", lines[0])
	}
	for _, m := range lines[1:] {
		if _, has := m[reqctx.LogKey]; has {
			t.Errorf("record logged outside a request carries a request ID: %v", m)
		}
	}
}

// Wrapping twice adds the ID once.
func TestLogHandlerWrapsOnce(t *testing.T) {
	var buf bytes.Buffer
	h := reqctx.LogHandler(slog.NewTextHandler(&buf, nil))
	if reqctx.LogHandler(h) != h {
		t.Fatal("LogHandler wrapped its own handler again")
	}
	slog.New(reqctx.LogHandler(h)).InfoContext(reqctx.With(context.Background(), &reqctx.Request{ID: "r1"}), "m")
	if got := bytes.Count(buf.Bytes(), []byte("request_id=r1")); got != 1 {
		t.Fatalf("request ID logged %d times: %s", got, buf.String())
	}
}
