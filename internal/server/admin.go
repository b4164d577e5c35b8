package server

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/iamd/iamd/internal/auth"
	"github.com/iamd/iamd/internal/protocol"
	"github.com/iamd/iamd/internal/regions"
	"github.com/iamd/iamd/internal/reqctx"
	"github.com/iamd/iamd/internal/service/admin"
	"github.com/iamd/iamd/internal/sigv4"
)

// adminService is the admin API's signing name: the service its requests are signed for, counted and
// logged under, and the prefix of its actions in IAM policies (iamd:SetSTSRegionStatus).
const adminService = auth.AdminService

// adminPrefix is the path under which the admin API is served.
const adminPrefix = "/iamd/admin/"

// AdminService is the admin API's operations (package service/admin): what AWS keeps in its console.
type AdminService interface {
	STSRegions(ctx context.Context) ([]admin.STSRegionStatus, error)
	SetSTSRegion(ctx context.Context, region string, active bool) (*admin.STSRegionStatus, error)
}

// adminRoute is what an admin request's method and path ask for.
type adminRoute struct {
	op             string // admin.Op…
	region, action string // of SetSTSRegionStatus
}

// routeAdmin reads the operation of an admin request from its method and path:
//
//	GET  /iamd/admin/sts-regions                   → GetSTSRegionStatus: [STSRegionStatus]
//	POST /iamd/admin/sts-regions/REGION/activate   → SetSTSRegionStatus: STSRegionStatus
//	POST /iamd/admin/sts-regions/REGION/deactivate → SetSTSRegionStatus: STSRegionStatus
//
// The operation is named even when the request is refused, so that it is counted and logged as what it
// tried to do.
func routeAdmin(r *http.Request) (adminRoute, error) {
	rest := strings.TrimPrefix(r.URL.Path, adminPrefix)
	var rt adminRoute
	method := http.MethodGet
	switch parts := strings.Split(rest, "/"); {
	case rest == "sts-regions":
		rt.op = admin.OpGetSTSRegionStatus
	case len(parts) == 3 && parts[0] == "sts-regions" && parts[1] != "" && parts[2] != "":
		rt.op, rt.region, rt.action = admin.OpSetSTSRegionStatus, parts[1], parts[2]
		method = http.MethodPost
	default:
		return rt, &protocol.Error{Code: "NotFound", Status: http.StatusNotFound, Message: "no admin operation at " + r.URL.Path}
	}
	if r.Method != method {
		return rt, &protocol.Error{Code: "MethodNotAllowed", Status: http.StatusMethodNotAllowed,
			Message: rt.op + " takes " + method + ", not " + r.Method}
	}
	if rt.action != "" && rt.action != "activate" && rt.action != "deactivate" {
		return rt, &protocol.Error{Code: "NotFound", Status: http.StatusNotFound,
			Message: "unknown action " + rt.action + ": use activate or deactivate"}
	}
	return rt, nil
}

// adminEndpoint is the endpoint an admin request reached. The admin API, like IAM, is global to a
// partition: a Host naming an AWS endpoint tells the partition, else the region the client signed for
// does (any region of the catalogue is accepted).
func adminEndpoint(r *http.Request) auth.Endpoint {
	var p string
	if h, ok := regions.ParseHost(r.Host); ok {
		p = h.Partition
	} else {
		_, region := sigv4.Scope(r)
		p = regions.PartitionOf(region)
	}
	if p == "" {
		p = defaultPartition
	}
	return auth.Endpoint{Service: adminService, Region: regions.GlobalRegion(p), Partition: p}
}

// serveAdmin serves one admin API request through the same pipeline as the AWS APIs: the same body
// limits, request context, authentication, limits on temporary credentials, policy evaluation, metrics
// and request log. Its wire format is JSON: the result, or {"code": …, "message": …} with the status.
func (s *Server) serveAdmin(w http.ResponseWriter, r *http.Request) {
	x := s.begin(w, r)
	defer x.end()
	x.admin = true
	req, ctx := x.req, x.ctx
	req.Service = adminService

	body, err := s.readBody(w, r)
	if err != nil {
		x.fail(err)
		return
	}
	ep := adminEndpoint(r)
	req.Region, req.Partition = ep.Region, ep.Partition
	rt, routeErr := routeAdmin(r)
	req.Operation = rt.op
	res, err := s.opts.Auth.Authenticate(ctx, r, body, ep)
	if err != nil {
		x.fail(err)
		return
	}
	req.Caller = res.Caller
	if routeErr != nil {
		x.fail(routeErr)
		return
	}
	var in any = &admin.GetSTSRegionStatusInput{}
	if rt.op == admin.OpSetSTSRegionStatus {
		in = &admin.SetSTSRegionStatusInput{Region: rt.region, Active: rt.action == "activate"}
	}
	out, err := s.invokeAdmin(ctx, req, in)
	if err != nil {
		x.fail(err)
		return
	}
	writeAdminJSON(w, http.StatusOK, out, req.ID)
}

// invokeAdmin runs an admin operation for an authenticated caller: the admin API's requests (serveAdmin)
// and the web console (Invoke) both go through it. The same limits on temporary credentials as the AWS
// APIs apply (a federated user's or an MFA-less GetSessionToken session cannot reach what only IAM may
// change), then the caller's policies decide on the action (iamd:SetSTSRegionStatus) over the account's
// root, whose settings these are. in is the operation's input (*admin.GetSTSRegionStatusInput or
// *admin.SetSTSRegionStatusInput); req is the request ctx carries, with its caller and operation.
func (s *Server) invokeAdmin(ctx context.Context, req *reqctx.Request, in any) (any, error) {
	if s.opts.Admin == nil {
		return nil, &protocol.Error{Code: "NotFound", Status: http.StatusNotFound, Message: "the admin API is disabled"}
	}
	if err := auth.SessionScope(req.Caller, adminService, req.Operation); err != nil {
		return nil, err
	}
	if s.opts.Authorizer != nil {
		action := adminService + ":" + req.Operation
		allowed, msg, err := s.opts.Authorizer.Decide(ctx, action, "arn:"+req.Partition+":iam::"+req.Caller.AccountID+":root")
		if err != nil {
			return nil, err
		}
		if !allowed {
			return nil, &protocol.Error{Code: "AccessDenied", Status: http.StatusForbidden, Message: msg}
		}
	}
	switch in := in.(type) {
	case *admin.GetSTSRegionStatusInput:
		if req.Operation == admin.OpGetSTSRegionStatus {
			return s.opts.Admin.STSRegions(ctx)
		}
	case *admin.SetSTSRegionStatusInput:
		if req.Operation == admin.OpSetSTSRegionStatus {
			return s.opts.Admin.SetSTSRegion(ctx, in.Region, in.Active)
		}
	}
	return nil, &protocol.Error{Code: "InvalidAction", Status: http.StatusBadRequest,
		Message: "Could not find operation " + req.Operation + " with this input"}
}

// adminError is the admin API's error body.
type adminError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// writeAdminError writes ae as the admin API answers errors and returns it.
func writeAdminError(w http.ResponseWriter, ae protocol.APIError, requestID string) protocol.APIError {
	writeAdminJSON(w, ae.HTTPStatus(), adminError{Code: ae.ErrorCode(), Message: ae.ErrorMessage()}, requestID)
	return ae
}

func writeAdminJSON(w http.ResponseWriter, status int, v any, requestID string) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h["X-Amzn-Requestid"] = []string{requestID}
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
