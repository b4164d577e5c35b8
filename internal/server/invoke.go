package server

import (
	"context"
	"errors"
	"net/http"

	"github.com/iamd/iamd/internal/api/accountapi"
	"github.com/iamd/iamd/internal/api/iamapi"
	"github.com/iamd/iamd/internal/api/stsapi"
	"github.com/iamd/iamd/internal/audit"
	"github.com/iamd/iamd/internal/auth"
	"github.com/iamd/iamd/internal/protocol"
	"github.com/iamd/iamd/internal/regions"
	"github.com/iamd/iamd/internal/reqctx"
	"github.com/iamd/iamd/internal/sigv4"
)

// invoke runs an operation for an authenticated request: it validates the input, records the attempt
// for access advisor, applies what the caller's session may do at all (auth.SessionScope), evaluates the
// caller's policies (Authorizer) and calls the typed service. It is the one path from a request to the
// services after authentication: the AWS APIs (serveAPI) and the web console (Invoke) both go through it,
// so neither can do what the other's checks would refuse. req is the request ctx carries. begin, when
// not nil, is called once the call is allowed, just before the service runs: it returns the context the
// service runs in (the audit trail's pending event rides on it, so the call's writes store it).
func (s *Server) invoke(ctx context.Context, req *reqctx.Request, op *protocol.Operation, impl, in any,
	begin func(context.Context) context.Context) (any, error) {
	if err := protocol.ValidateInput(in); err != nil {
		return nil, err
	}
	if req.Caller != nil {
		if s.opts.Accessed != nil {
			s.opts.Accessed(ctx, req.Caller, req.Service, op.Name, req.Region, req.Time)
		}
		if err := auth.SessionScope(req.Caller, req.Service, op.Name); err != nil {
			return nil, err
		}
		if s.opts.Authorizer != nil {
			if err := s.opts.Authorizer.Authorize(ctx, op, in); err != nil {
				return nil, err
			}
		}
	}
	if begin != nil {
		ctx = begin(ctx)
	}
	return op.Invoke(ctx, impl, in)
}

// Invoke runs operation of service ("iam", "sts", "account", or "iamd" for the admin operations) with the
// typed input in (a pointer to the operation's request struct, as iamapi.ListUsersRequest, or
// admin.SetSTSRegionStatusInput) as caller, through the same checks as an API
// request signed by that caller (see invoke). The request ctx carries (reqctx.From: its ID, time, source
// address) is copied and completed with the service's global endpoint of the caller's partition.
// Refusals and failures are the API's errors (protocol.APIError), such as AccessDenied with AWS's text.
func (s *Server) Invoke(ctx context.Context, caller *reqctx.Caller, service, operation string, in any) (any, error) {
	if caller == nil {
		return nil, &protocol.Error{Code: "MissingAuthenticationToken", Status: http.StatusForbidden,
			Message: "Request is missing Authentication Token"}
	}
	var (
		info *protocol.ServiceInfo
		impl any
	)
	req := *reqctx.From(ctx)
	if req.Time.IsZero() {
		req.Time = s.now().UTC()
	}
	partition := caller.Partition
	if partition == "" {
		partition = defaultPartition
	}
	req.Service, req.Operation, req.Partition, req.Caller = service, operation, partition, caller
	req.Region, req.GlobalEndpoint = regions.GlobalRegion(partition), service == serviceSTS
	switch service {
	case adminService:
		// iamd's admin operations (the settings AWS keeps in its console), authorized as the admin API's.
		return wordAsAPIError(s.invokeAdmin(reqctx.With(ctx, &req), &req, in))
	case serviceIAM:
		info, impl = iamapi.Info, s.opts.IAM
	case serviceSTS:
		info, impl = stsapi.Info, s.opts.STS
	case serviceAccount:
		info, impl = accountapi.Info, s.opts.Account
	default:
		return nil, &protocol.Error{Code: "UnknownService", Status: http.StatusBadRequest,
			Message: "Unknown service " + service + "."}
	}
	op, ok := info.ByName[operation]
	if !ok {
		return nil, &protocol.Error{Code: "InvalidAction", Status: http.StatusBadRequest,
			Message: "Could not find operation " + operation + " for version " + info.APIVersion}
	}
	// The console's calls are the principal's calls: the trail records them as it records the API's.
	var (
		call    *audit.Call
		pending *audit.Pending
	)
	begin := func(ctx context.Context) context.Context {
		if s.opts.Audit == nil {
			return ctx
		}
		pending = s.opts.Audit.Begin(audit.Call{Req: &req, Op: op, In: in})
		call = pending.Call()
		return audit.WithPending(ctx, pending)
	}
	out, err := wordAsAPIError(s.invoke(reqctx.With(ctx, &req), &req, op, impl, in, begin))
	if s.opts.Audit != nil {
		if call == nil {
			call = &audit.Call{Req: &req, Op: op, In: in}
		}
		call.Out = out
		if err != nil {
			ae := protocol.AsAPIError(info, err)
			call.Out, call.ErrorCode, call.ErrorMessage = nil, ae.ErrorCode(), ae.ErrorMessage()
		}
		s.opts.Audit.End(call, pending)
	}
	return out, err
}

// wordAsAPIError returns an operation's result with the session-scope refusals, which are worded as the
// authenticator's, turned into API errors: the console shows API errors.
func wordAsAPIError(out any, err error) (any, error) {
	var se *sigv4.Error
	if errors.As(err, &se) {
		err = &protocol.Error{Code: se.Code, Status: se.HTTPStatus, Message: se.Message}
	}
	return out, err
}
