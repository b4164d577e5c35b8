package server

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/iamd/iamd/internal/api/accountapi"
	"github.com/iamd/iamd/internal/api/cloudtrailapi"
	"github.com/iamd/iamd/internal/api/iamapi"
	"github.com/iamd/iamd/internal/api/stsapi"
	"github.com/iamd/iamd/internal/auth"
	"github.com/iamd/iamd/internal/protocol"
	"github.com/iamd/iamd/internal/regions"
	"github.com/iamd/iamd/internal/sigv4"
)

// Signing names of the services iamd serves.
const (
	serviceIAM     = "iam"
	serviceSTS     = "sts"
	serviceAccount = "account"
	// serviceCloudTrail is the CloudTrail API (its event history), a regional service.
	serviceCloudTrail = "cloudtrail"
	// defaultPartition is the partition of requests whose endpoint does not say otherwise.
	defaultPartition = "aws"
)

// resolve decides which service and endpoint a request is for (the service comes from the
// credential scope, or the Host):
//   - a Host that names an AWS endpoint (sts.amazonaws.com, sts.REGION.amazonaws.com, iam.amazonaws.com,
//     cloudtrail.REGION.amazonaws.com, …) decides service and region, and the credential scope must agree
//     with it;
//   - otherwise (a bare host:port) the path prefix /global selects the STS global endpoint, signed as
//     us-east-1; else the credential scope's service and region decide, STS and CloudTrail requests being
//     the regional endpoint of their signing region;
//   - unsigned requests (AssumeRoleWithSAML/WebIdentity) are STS.
//
// The scope is read by sigv4.Scope, the reader the signature check uses: were the two to read different
// Credential= parameters, a request signed for one region could make a regional endpoint of another
// issue its tokens. The STS regional endpoint also names its region as the one the scope must carry.
func (s *Server) resolve(r *http.Request, body []byte) (auth.Endpoint, any, *protocol.ServiceInfo) {
	scopeService, scopeRegion := sigv4.Scope(r)
	var ep auth.Endpoint
	if h, ok := regions.ParseHost(r.Host); ok {
		ep = auth.Endpoint{Service: h.Service, Region: h.Region, Partition: h.Partition, Global: h.Global && h.Service == serviceSTS,
			ExpectRegion: h.Region}
	} else {
		// The constant, not the scope's bytes: the service name outlives the request (last-used records).
		switch scopeService {
		case serviceIAM:
			ep.Service = serviceIAM
		case serviceSTS:
			ep.Service = serviceSTS
		case serviceAccount:
			ep.Service = serviceAccount
		case serviceCloudTrail:
			ep.Service = serviceCloudTrail
		default:
			ep.Service = inferService(r, body)
		}
		switch {
		case ep.Service == serviceSTS && isGlobalPath(r.URL.Path):
			ep.Global = true
			ep.Region = regions.GlobalRegion(defaultPartition)
			ep.ExpectRegion = ep.Region
		case ep.Service == serviceSTS || ep.Service == serviceCloudTrail:
			if reg, ok := regions.Lookup(scopeRegion); ok {
				ep.Region = reg.Name
				ep.ExpectRegion = reg.Name
			} else {
				ep.Region = regions.GlobalRegion(defaultPartition) // the authenticator refuses the scope
			}
		default:
			// IAM and the Account API are global services: their requests run in the partition's global
			// region whatever region the client signed for.
			p := regions.PartitionOf(scopeRegion)
			if p == "" {
				p = defaultPartition
			}
			ep.Region = regions.GlobalRegion(p)
		}
		ep.Partition = regions.PartitionOf(ep.Region)
		if ep.Partition == "" {
			ep.Partition = defaultPartition
		}
	}
	switch ep.Service {
	case serviceSTS:
		return ep, s.opts.STS, stsapi.Info
	case serviceAccount:
		return ep, s.opts.Account, accountapi.Info
	case serviceCloudTrail:
		return ep, s.opts.CloudTrail, cloudtrailapi.Info
	default:
		ep.Service = serviceIAM
		return ep, s.opts.IAM, iamapi.Info
	}
}

// inferService guesses the service of a request whose credential scope does not name one of ours: the
// CloudTrail API names its operation in X-Amz-Target, the Account API is rest-json (POST /opName), IAM and
// STS are awsQuery and their action names do not overlap.
func inferService(r *http.Request, body []byte) string {
	if _, err := protocol.FindJSONOperation(cloudtrailapi.Info, http.MethodPost, r.Header.Get("X-Amz-Target")); err == nil {
		return serviceCloudTrail
	}
	path := strings.TrimPrefix(r.URL.Path, "/global")
	if path != "" && path != "/" {
		for _, op := range accountapi.Info.Operations {
			if op.RequestURI == path {
				return serviceAccount
			}
		}
	}
	action := r.URL.Query().Get("Action")
	if action == "" && len(body) > 0 {
		if q, err := url.ParseQuery(string(body)); err == nil {
			action = q.Get("Action")
		}
	}
	if _, ok := stsapi.Info.ByName[action]; ok {
		return serviceSTS
	}
	return serviceIAM
}

// withNormalPath returns r with its path in the normal form SigV4 signs for services other than S3
// (sigv4.NormalizePath: dot segments removed, runs of slashes collapsed), or r itself when it is already
// normal. The signature check computes the canonical URI from that form, so the endpoint (the /global
// prefix), the service and the operation are chosen from the same path the signature covers: "/x/../global"
// is the global endpoint for both, and a request signed for "/" and forwarded to "//" is served as "/".
func withNormalPath(r *http.Request) *http.Request {
	escaped := r.URL.EscapedPath()
	normal := sigv4.NormalizePath(escaped)
	if normal == escaped {
		return r
	}
	path, err := url.PathUnescape(normal)
	if err != nil {
		return r // not reached: normal is made of the segments of a path Go already unescaped
	}
	r = r.WithContext(r.Context()) // a shallow copy, with a URL of its own
	u := *r.URL
	u.Path, u.RawPath = path, normal
	r.URL = &u
	return r
}

// decode decodes the request of an operation of svc. The rest-json Account API finds its operation by
// path, so the /global prefix that selects the global endpoint (which IAM and STS, whose operations travel
// in the body, simply ignore) is taken off first: the Account API answers under /global as they do.
func decode(svc *protocol.ServiceInfo, r *http.Request, body []byte) (*protocol.Operation, any, error) {
	if svc.Protocol == "rest-json" && isGlobalPath(r.URL.Path) {
		u := *r.URL
		u.Path = strings.TrimPrefix(u.Path, "/global")
		if strings.HasPrefix(u.RawPath, "/global") {
			u.RawPath = strings.TrimPrefix(u.RawPath, "/global")
		} else {
			u.RawPath = ""
		}
		r = r.WithContext(r.Context())
		r.URL = &u
	}
	return protocol.Decode(svc, r, body)
}
