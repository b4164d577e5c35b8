package server

import (
	"context"
	"crypto/tls"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/iamd/iamd/internal/api/iamapi"
	"github.com/iamd/iamd/internal/audit"
	"github.com/iamd/iamd/internal/ids"
	"github.com/iamd/iamd/internal/protocol"
	"github.com/iamd/iamd/internal/reqctx"
	"github.com/iamd/iamd/internal/sigv4"
)

// exchange is one request on its way through the pipeline every API shares (the AWS APIs and the admin
// API): it carries the request's context, and it writes the error, counts the request and logs it in one
// place whatever API the request was for.
type exchange struct {
	s     *Server
	w     http.ResponseWriter
	ctx   context.Context
	req   *reqctx.Request
	start time.Time
	// svc is the AWS API whose protocol errors are written in (IAM's until the request tells); admin
	// marks a request to the admin API, whose errors are JSON.
	svc    *protocol.ServiceInfo
	admin  bool
	status int
	code   string // the error code answered, "" for success
	// cause is the error behind a 5xx answer: the client is told only InternalFailure, the log says why.
	cause error

	// What the audit trail records of the call: the operation, its input and output, the message of the
	// error answered, the access key a refused signature claimed, the TLS connection.
	op      *protocol.Operation
	in, out any
	message string
	keyID   string
	tls     *tls.ConnectionState
	host    string
	body    int // the request body's size: the trail's queue bounds the inputs it holds by it
	call    *audit.Call
	pending *audit.Pending
}

// begin starts the exchange of r: a request ID, the request's context, the in-flight gauge. The caller
// defers x.end().
func (s *Server) begin(w http.ResponseWriter, r *http.Request) exchange {
	start := s.now()
	req := &reqctx.Request{ID: ids.NewRequestID(), Time: start.UTC(), UserAgent: r.UserAgent(),
		SecureTransport: r.TLS != nil, SourceIP: sourceIP(r)}
	s.metrics.inflight.Inc()
	return exchange{s: s, w: w, ctx: reqctx.With(r.Context(), req), req: req, start: start, status: http.StatusOK,
		tls: r.TLS, host: r.Host}
}

// auditCall is the call as the trail records it, so far.
func (x *exchange) auditCall() audit.Call {
	c := audit.Call{Req: x.req, Op: x.op, In: x.in, Host: x.host, BodyBytes: x.body}
	if x.tls != nil {
		c.TLSVersion = tlsVersionName(x.tls.Version)
		c.CipherSuite = tls.CipherSuiteName(x.tls.CipherSuite)
	}
	return c
}

// tlsVersionName is a TLS version as CloudTrail's tlsDetails writes it ("TLSv1.3").
func tlsVersionName(v uint16) string {
	return strings.Replace(tls.VersionName(v), "TLS 1.", "TLSv1.", 1)
}

// beginAudit is the exchange's hook into invoke: once the call is allowed, its pending event rides on the
// context its service runs in, so the call's writes store it in their own transaction (see audit.Pending).
func (x *exchange) beginAudit(ctx context.Context) context.Context {
	if x.s.opts.Audit == nil {
		return ctx
	}
	x.pending = x.s.opts.Audit.Begin(x.auditCall())
	x.call = x.pending.Call()
	return audit.WithPending(ctx, x.pending)
}

// record writes the call's event in the trail: every IAM, STS and Account API request, allowed or refused
// (the admin API is iamd's own, not AWS's).
func (x *exchange) record() {
	rec := x.s.opts.Audit
	if rec == nil || x.admin {
		return
	}
	switch x.req.Service {
	case "iam", "sts", "account":
	default:
		return
	}
	c := x.call
	if c == nil {
		call := x.auditCall()
		c = &call
	}
	c.Out, c.ErrorCode, c.ErrorMessage, c.AccessKeyID = x.out, x.code, x.message, x.keyID
	if x.code != "" {
		c.Out = nil
	}
	rec.End(c, x.pending)
}

// end counts the request and logs it: one record per request, carrying the request ID (LogHandler), the
// caller, the error code answered and, for a server-side failure, its cause.
func (x *exchange) end() {
	s := x.s
	x.record()
	s.metrics.inflight.Dec()
	end := s.now()
	d := end.Sub(x.start)
	req := x.req
	s.metrics.observe(req.Service, req.Operation, x.status, d)
	level := slog.LevelInfo
	switch {
	case x.status == http.StatusNotImplemented:
		// An operation iamd does not implement yet: worth an operator's eye (this line names it), but no
		// fault of the server's.
		level = slog.LevelWarn
	case x.status >= 500:
		level = slog.LevelError
	}
	h := s.log.Handler()
	if !h.Enabled(x.ctx, level) {
		return
	}
	// A fixed array: the access log costs no allocation of its own.
	var buf [7]slog.Attr
	attrs := append(buf[:0], slog.String("service", req.Service), slog.String("operation", req.Operation),
		slog.Int("status", x.status), slog.Duration("duration", d))
	if x.code != "" {
		attrs = append(attrs, slog.String("error", x.code))
	}
	if req.Caller != nil {
		attrs = append(attrs, slog.String("caller", req.Caller.ARN))
	}
	if x.cause != nil {
		attrs = append(attrs, slog.Any("err", x.cause))
	}
	// Straight to the handler, with the time already read and no source position: Logger.LogAttrs would
	// walk the stack for a caller nobody logs (runtime.Callers, a third of its cost here).
	rec := slog.NewRecord(end, level, "request", 0)
	rec.AddAttrs(attrs...)
	_ = h.Handle(x.ctx, rec)
}

// fail answers err in the wire format of the request's API. An error that is not an API error (a storage
// failure, a bug: handlers return them wrapped, as they come) is answered as AWS words an unknown failure
// (ServiceFailure for IAM, InternalFailure for the others) and its cause kept for the log.
func (x *exchange) fail(err error) {
	var se *sigv4.Error
	if errors.As(err, &se) {
		err = &protocol.Error{Code: se.Code, Status: se.HTTPStatus, Message: se.Message}
	}
	var ae protocol.APIError
	if x.admin {
		ae = writeAdminError(x.w, protocol.AsAPIError(nil, err), x.req.ID)
	} else {
		if x.svc == nil {
			x.svc = iamapi.Info
		}
		ae = protocol.WriteError(x.w, x.svc, err, x.req.ID)
	}
	x.status, x.code, x.message = ae.HTTPStatus(), ae.ErrorCode(), ae.ErrorMessage()
	if x.status >= 500 && x.status != http.StatusNotImplemented { // the request line says enough of a 501
		x.cause = err
	}
}
