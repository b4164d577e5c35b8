package reqctx

import (
	"context"
	"log/slog"
)

// LogHandler returns a handler that adds the request ID to every record logged with the context of a
// request (the Logger methods ending in Context), then passes it to h; code that logs during a request need
// not name the request itself. A handler LogHandler already wraps is returned as it is.
//
// The ID is added after the record's own attributes, in the group the logger had at that point.
func LogHandler(h slog.Handler) slog.Handler {
	if _, ok := h.(logHandler); ok {
		return h
	}
	return logHandler{h}
}

// LogKey is the attribute under which LogHandler logs the request ID.
const LogKey = "request_id"

type logHandler struct{ next slog.Handler }

func (h logHandler) Enabled(ctx context.Context, level slog.Level) bool {
	return h.next.Enabled(ctx, level)
}

func (h logHandler) Handle(ctx context.Context, r slog.Record) error {
	if req, ok := ctx.Value(key{}).(*Request); ok && req.ID != "" {
		r.AddAttrs(slog.String(LogKey, req.ID))
	}
	return h.next.Handle(ctx, r)
}

func (h logHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return logHandler{h.next.WithAttrs(attrs)}
}

func (h logHandler) WithGroup(name string) slog.Handler {
	return logHandler{h.next.WithGroup(name)}
}
