package server

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/iamd/iamd/internal/api/accountapi"
	"github.com/iamd/iamd/internal/api/iamapi"
	"github.com/iamd/iamd/internal/api/stsapi"
	"github.com/iamd/iamd/internal/auth"
	"github.com/iamd/iamd/internal/protocol"
	"github.com/iamd/iamd/internal/regions"
)

// Signing names of the services iamd serves.
const (
	serviceIAM     = "iam"
	serviceSTS     = "sts"
	serviceAccount = "account"
	// defaultPartition is the partition of requests whose endpoint does not say otherwise.
	defaultPartition = "aws"
)

// resolve decides which service and endpoint a request is for (brief: "the service comes from the
// credential scope (or the Host)"):
//   - a Host that names an AWS endpoint (sts.amazonaws.com, sts.REGION.amazonaws.com, iam.amazonaws.com, …)
//     decides service and region, and the credential scope must agree with it;
//   - otherwise (a bare host:port) the path prefix /global selects the STS global endpoint, signed as
//     us-east-1; else the credential scope's service and region decide, STS requests being the regional
//     endpoint of their signing region;
//   - unsigned requests (AssumeRoleWithSAML/WebIdentity) are STS.
func (s *Server) resolve(r *http.Request, body []byte) (auth.Endpoint, any, *protocol.ServiceInfo) {
	scopeService, scopeRegion := credentialScope(r)
	var ep auth.Endpoint
	if h, ok := regions.ParseHost(r.Host); ok {
		ep = auth.Endpoint{Service: h.Service, Region: h.Region, Partition: h.Partition, Global: h.Global && h.Service == serviceSTS,
			ExpectRegion: h.Region}
	} else {
		ep.Service = scopeService
		switch scopeService {
		case serviceIAM, serviceSTS, serviceAccount:
		default:
			ep.Service = inferService(r, body)
		}
		switch {
		case ep.Service == serviceSTS && isGlobalPath(r.URL.Path):
			ep.Global = true
			ep.Region = regions.GlobalRegion(defaultPartition)
			ep.ExpectRegion = ep.Region
		case ep.Service == serviceSTS:
			ep.Region = scopeRegion
			if _, ok := regions.Lookup(ep.Region); !ok {
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
	default:
		ep.Service = serviceIAM
		return ep, s.opts.IAM, iamapi.Info
	}
}

// inferService guesses the service of a request whose credential scope does not name one of ours: the
// Account API is rest-json (POST /opName), IAM and STS are awsQuery and their action names do not overlap.
func inferService(r *http.Request, body []byte) string {
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

// credentialScope extracts service and region from the credential of a signed request, without
// validating anything (the authenticator does).
func credentialScope(r *http.Request) (service, region string) {
	cred := ""
	if a := r.Header.Get("Authorization"); a != "" {
		if i := strings.Index(a, "Credential="); i >= 0 {
			cred = a[i+len("Credential="):]
			if j := strings.IndexAny(cred, ", "); j >= 0 {
				cred = cred[:j]
			}
		}
	} else if r.URL.RawQuery != "" {
		cred = r.URL.Query().Get("X-Amz-Credential")
	}
	// AKID/DATE/REGION/SERVICE/aws4_request, cut in place (strings.Split would allocate on every request).
	var parts [4]string
	for i := range parts {
		j := strings.IndexByte(cred, '/')
		if j < 0 {
			return "", ""
		}
		parts[i], cred = cred[:j], cred[j+1:]
	}
	if strings.IndexByte(cred, '/') >= 0 {
		return "", ""
	}
	return parts[3], parts[2]
}
