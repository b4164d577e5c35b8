// Package server is iamd's HTTP front: it resolves which service and endpoint a request is for, reads and
// bounds its body, authenticates it, decodes it through the generated operation tables, calls the typed
// service, and writes the result or the error in the service's wire protocol. It also serves health,
// readiness, Prometheus metrics, the admin API and, in dev mode, the reset endpoints.
package server

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/iamd/iamd/internal/api/accountapi"
	"github.com/iamd/iamd/internal/api/cloudtrailapi"
	"github.com/iamd/iamd/internal/api/iamapi"
	"github.com/iamd/iamd/internal/api/stsapi"
	"github.com/iamd/iamd/internal/audit"
	"github.com/iamd/iamd/internal/auth"
	"github.com/iamd/iamd/internal/ids"
	"github.com/iamd/iamd/internal/protocol"
	"github.com/iamd/iamd/internal/reqctx"
	"github.com/iamd/iamd/internal/sigv4"
	"github.com/iamd/iamd/internal/storage"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Authorizer decides whether the caller may run an operation (IAM policy evaluation). It returns an
// APIError (AccessDenied) to refuse.
type Authorizer interface {
	Authorize(ctx context.Context, op *protocol.Operation, in any) error
	// Decide evaluates the caller's policies for one action on one resource, for the admin API, which no
	// operation table describes: whether it is allowed, and AWS's AccessDenied message if not.
	Decide(ctx context.Context, action, resource string) (allowed bool, denied string, err error)
}

// Options configure a Server.
type Options struct {
	Store storage.Store
	// Cache is the store's cache, whose tables' sizes and bounds /metrics exports; nil exports none.
	Cache   CacheTables
	Auth    *auth.Authenticator
	IAM     iamapi.Service
	STS     stsapi.Service
	Account accountapi.Service
	// CloudTrail serves the CloudTrail API (LookupEvents); nil answers every operation NotImplemented.
	CloudTrail cloudtrailapi.Service
	// Authorizer enforces IAM policies; nil allows every authenticated request.
	Authorizer Authorizer
	// Admin is served under /iamd/admin/ (STS regional activation and other settings AWS keeps in its
	// console); nil disables the admin API.
	Admin AdminService
	// Reset returns the server to a fresh state (dev mode only); nil disables the reset endpoints.
	Reset func(ctx context.Context) error
	// KeyUsed is told about every request a long-term access key signed (GetAccessKeyLastUsed).
	KeyUsed func(ctx context.Context, keyID, service, region string, t time.Time)
	// Accessed is told about every authenticated request to an operation, allowed or not (access advisor
	// reports attempts: IAM User Guide, "Refining permissions in AWS using last accessed information").
	Accessed func(ctx context.Context, caller *reqctx.Caller, service, operation, region string, t time.Time)
	// Audit records every AWS API call (the trail); nil records nothing.
	Audit        *audit.Recorder
	MaxBodyBytes int64
	Dev          bool
	Now          func() time.Time
	Logger       *slog.Logger
}

// Server is the HTTP handler of iamd.
type Server struct {
	opts    Options
	metrics *metrics
	mux     *http.ServeMux
	now     func() time.Time
	log     *slog.Logger
}

// New returns a Server.
func New(o Options) *Server {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	// Every record logged with a request's context names the request.
	o.Logger = slog.New(reqctx.LogHandler(o.Logger.Handler()))
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = 1 << 20
	}
	if o.CloudTrail == nil {
		o.CloudTrail = cloudtrailapi.Unimplemented{}
	}
	s := &Server{opts: o, metrics: newMetrics(o.Store, o.Auth, o.Audit, o.Cache), mux: http.NewServeMux(), now: o.Now, log: o.Logger}
	s.mux.HandleFunc("GET /healthz", s.healthz)
	s.mux.HandleFunc("GET /readyz", s.readyz)
	s.mux.Handle("GET /metrics", promhttp.HandlerFor(s.metrics.registry, promhttp.HandlerOpts{}))
	if o.Admin != nil {
		s.mux.HandleFunc(adminPrefix, s.serveAdmin)
	}
	if o.Dev && o.Reset != nil {
		s.mux.HandleFunc("/moto-api/reset", s.reset)
		s.mux.HandleFunc("/iamd/reset", s.reset)
		s.mux.HandleFunc("/_localstack/state/reset", s.reset)
		s.mux.HandleFunc("GET /_localstack/health", localStackHealth)
	} else {
		// Without dev mode the reset endpoints do not exist; say so plainly instead of letting the API
		// handler answer MissingAuthenticationToken, which would send a test suite looking for a
		// credentials problem.
		s.mux.HandleFunc("/moto-api/", resetDisabled)
		s.mux.HandleFunc("/iamd/reset", resetDisabled)
	}
	s.mux.HandleFunc("/", s.serveAPI)
	return s
}

// Handle serves pattern (http.ServeMux syntax) with h beside the API, as the web console is mounted.
// Requests it does not match still reach the API handler.
func (s *Server) Handle(pattern string, h http.Handler) { s.mux.Handle(pattern, h) }

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// API requests go straight to the API handler whatever their path: ServeMux answers an unclean path
	// ("/.", "//x") with a redirect, which no AWS endpoint does and no SDK follows for a signed POST.
	if _, pattern := s.mux.Handler(r); pattern == "/" {
		s.serveAPI(w, r)
		return
	}
	s.mux.ServeHTTP(w, r)
}

func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = io.WriteString(w, "ok\n")
}

// readyz reports whether the store answers: a node whose database is down is taken out of rotation.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if err := s.opts.Store.Ping(ctx); err != nil {
		s.log.WarnContext(ctx, "readiness check failed", "err", err)
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = io.WriteString(w, "store unavailable\n")
		return
	}
	_, _ = io.WriteString(w, "ready\n")
}

func (s *Server) reset(w http.ResponseWriter, r *http.Request) {
	// Registered for every method so that a GET is told to POST instead of reaching the API handler.
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "reset takes POST", http.StatusMethodNotAllowed)
		return
	}
	if err := s.opts.Reset(r.Context()); err != nil {
		s.log.ErrorContext(r.Context(), "reset failed", "err", err)
		http.Error(w, "reset failed", http.StatusInternalServerError)
		return
	}
	s.log.WarnContext(r.Context(), "dev mode: state reset to a fresh server")
	w.Header().Set("Content-Type", "application/json")
	_, _ = io.WriteString(w, "{\"status\":\"ok\"}\n")
}

func resetDisabled(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusNotFound)
	_, _ = io.WriteString(w, "{\"message\":\"the reset endpoints exist only in dev mode (iamd serve --dev)\"}\n")
}

// unsignedOperations may be called without credentials (the caller proves itself with a SAML assertion or
// a web identity token instead).
var unsignedOperations = map[string]bool{"AssumeRoleWithSAML": true, "AssumeRoleWithWebIdentity": true}

// serveAPI serves one AWS API request.
func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request) {
	r = withNormalPath(r) // routing follows the path the signature covers
	x := s.begin(w, r)
	defer x.end()
	req, ctx := x.req, x.ctx

	body, err := s.readBody(w, r)
	if err != nil {
		// The error still goes out in the protocol of the service the request was for, which the Host
		// and the credential scope tell without the body.
		ep, _, info := s.resolve(r, nil)
		x.svc, req.Service = info, ep.Service
		x.fail(err)
		return
	}
	x.body = len(body)
	ep, impl, info := s.resolve(r, body)
	x.svc = info
	req.Service, req.Region, req.Partition, req.GlobalEndpoint = ep.Service, ep.Region, ep.Partition, ep.Global

	op, in, decodeErr := decode(info, r, body)
	if op != nil {
		req.Operation = op.Name
	}
	x.op = op
	if decodeErr == nil {
		x.in = in
	}
	signed := r.Header.Get("Authorization") != "" || r.URL.Query().Has("X-Amz-Signature") || r.URL.Query().Has("X-Amz-Credential")
	if !(op != nil && unsignedOperations[op.Name] && !signed) {
		res, err := s.opts.Auth.Authenticate(ctx, r, body, ep)
		if err != nil {
			// A refused signature is recorded in the account its key names.
			x.keyID = presentedKeyID(r)
			x.fail(err)
			return
		}
		req.Caller = res.Caller
		if res.LongTermKey != "" && s.opts.KeyUsed != nil {
			s.opts.KeyUsed(ctx, res.LongTermKey, ep.Service, res.Region, req.Time)
		}
	}
	if decodeErr != nil {
		x.fail(decodeErr)
		return
	}
	out, err := s.invoke(ctx, req, op, impl, in, x.beginAudit)
	if err != nil {
		x.fail(err)
		return
	}
	x.out = out
	if err := protocol.WriteResult(w, op, out, req.ID); err != nil {
		s.log.DebugContext(ctx, "writing response", "err", err)
	}
}

// bodyChunk is the most readBody allocates before bytes arrive: a Content-Length is only a claim, and
// a client that announces a megabyte and sends nothing must not make the server hold a megabyte per
// connection. Almost every AWS API request fits in it, so it costs them nothing.
const bodyChunk = 16 << 10

// readBody reads the whole body within the size limit, growing its buffer only as bytes arrive.
func (s *Server) readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	if r.ContentLength > s.opts.MaxBodyBytes {
		return nil, requestTooLarge(s.opts.MaxBodyBytes)
	}
	if r.ContentLength == 0 {
		return nil, nil
	}
	size := int64(bodyChunk)
	var rd io.Reader = r.Body
	if r.ContentLength > 0 {
		// net/http stops the body at its Content-Length (at most the limit here); one byte more than that
		// lets the last read see the end without growing the buffer.
		size = min(r.ContentLength+1, bodyChunk)
	} else {
		rd = http.MaxBytesReader(w, r.Body, s.opts.MaxBodyBytes)
	}
	body := make([]byte, 0, size)
	for {
		if len(body) == cap(body) {
			body = append(body, 0)[:len(body)] // grow by append's policy, now that the bytes are coming
		}
		n, err := rd.Read(body[len(body):cap(body)])
		body = body[:len(body)+n]
		if r.ContentLength > 0 && int64(len(body)) > r.ContentLength {
			return nil, incompleteBody() // only a request built in process can carry more than it says
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				return nil, requestTooLarge(s.opts.MaxBodyBytes)
			}
			return nil, incompleteBody()
		}
	}
	if r.ContentLength > 0 && int64(len(body)) != r.ContentLength {
		return nil, incompleteBody()
	}
	return body, nil
}

func incompleteBody() error {
	return &protocol.Error{Code: "IncompleteBody", Status: http.StatusBadRequest,
		Message: "The request body could not be read completely."}
}

func requestTooLarge(limit int64) error {
	return &protocol.Error{Code: "RequestEntityTooLarge", Status: http.StatusRequestEntityTooLarge,
		Message: "Request body must be smaller than " + strconv.FormatInt(limit, 10) + " bytes."}
}

// presentedKeyID is the access key ID a request claims to be signed with (sigv4 reads it as the
// signature check does), "" when it claims none or one that could not be an access key ID.
func presentedKeyID(r *http.Request) string {
	if id := sigv4.ClaimedAccessKeyID(r); ids.IsAccessKeyIDSyntax(id) {
		return id
	}
	return ""
}

// sourceIP is the client's address (aws:SourceIp). Proxies are not trusted: X-Forwarded-For is a
// client-controlled header.
func sourceIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// isGlobalPath reports whether the path addresses the STS global endpoint (the /global convention).
func isGlobalPath(p string) bool {
	return p == "/global" || strings.HasPrefix(p, "/global/") || strings.HasPrefix(p, "/global?")
}
