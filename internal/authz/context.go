package authz

import (
	"context"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/iamd/iamd/internal/ids"
	"github.com/iamd/iamd/internal/policy"
	"github.com/iamd/iamd/internal/reqctx"
	"github.com/iamd/iamd/internal/storage"
)

// ctxBuf is a reusable request context: the map policy.Evaluate reads (lower-case keys) and one backing
// array for the single-value entries, so that building the context of a request allocates nothing once
// the buffer is warm.
type ctxBuf struct {
	m    map[string][]string
	vals []string
	req  policy.Request // the request evaluated, kept here so that it does not need an allocation
	// shown is the resource AccessDenied names when it is not the evaluated ARN (see messageResource).
	shown string
	// resource is a resource-based policy of the resource, nil when none (a delegation request's owner
	// defaults, see delegationResource).
	resource *policy.Attached
}

// ctxBufSize is the number of entries a request context usually holds; maxPooledEntries keeps buffers
// grown by an unusual request (many tags) out of the pool.
const (
	ctxBufSize       = 32
	maxPooledEntries = 128
)

func newCtxBuf() *ctxBuf {
	return &ctxBuf{m: make(map[string][]string, ctxBufSize), vals: make([]string, 0, ctxBufSize)}
}

// set sets a single-valued key.
func (b *ctxBuf) set(k, v string) {
	if len(b.vals) == cap(b.vals) {
		// Earlier entries keep pointing into the old array, which stays valid.
		b.vals = make([]string, 0, 2*cap(b.vals))
	}
	b.vals = append(b.vals, v)
	n := len(b.vals)
	b.m[k] = b.vals[n-1 : n : n]
}

func (a *Authorizer) putBuf(b *ctxBuf) {
	if len(b.m) > maxPooledEntries || cap(b.vals) > maxPooledEntries {
		return
	}
	clear(b.m)
	clear(b.vals)
	b.vals = b.vals[:0]
	b.req = policy.Request{}
	b.shown = ""
	b.resource = nil
	a.ctxPool.Put(b)
}

// clockStrings caches the aws:CurrentTime and aws:EpochTime strings of the current second.
type clockStrings struct{ p atomic.Pointer[clockVal] }

type clockVal struct {
	unix           int64
	current, epoch string
}

func (c *clockStrings) at(t time.Time) *clockVal {
	u := t.Unix()
	if v := c.p.Load(); v != nil && v.unix == u {
		return v
	}
	v := &clockVal{unix: u, current: t.UTC().Format(time.RFC3339), epoch: strconv.FormatInt(u, 10)}
	c.p.Store(v)
	return v
}

// RequestContext returns the global condition keys of the request (keys lower-cased, as policy.Evaluate
// reads them fastest) in a map the caller may change until it calls release, which hands the map back for
// reuse by later requests (AssumeRole builds one per call; a fresh map was 3 % of its CPU).
func (a *Authorizer) RequestContext(ctx context.Context) (map[string][]string, func()) {
	req := reqctx.From(ctx)
	var pe *principalEntry
	if c := req.Caller; c != nil {
		var err error
		switch c.Kind {
		case reqctx.CallerUser, reqctx.CallerFederatedUser:
			pe, err = a.principal(ctx, partition(c), c.AccountID, storage.OwnerUser, c.PrincipalName)
		case reqctx.CallerAssumedRole:
			pe, err = a.principal(ctx, partition(c), c.AccountID, storage.OwnerRole, c.PrincipalName)
		}
		if err != nil {
			a.log.WarnContext(ctx, "loading the principal for the request context", "principal", c.ARN, "err", err)
			pe = nil
		}
	}
	buf := a.ctxPool.Get().(*ctxBuf)
	a.fillRequestContext(buf, req, req.Caller, pe)
	return buf.m, func() { a.putBuf(buf) }
}

// fillRequestContext puts the global condition keys of the request into buf. pe is the principal behind
// the caller (nil for root or when unknown).
func (a *Authorizer) fillRequestContext(buf *ctxBuf, req *reqctx.Request, c *reqctx.Caller, pe *principalEntry) {
	now := req.Time
	if now.IsZero() {
		now = a.o.Now()
	}
	clk := a.clock.at(now)
	buf.set("aws:currenttime", clk.current)
	buf.set("aws:epochtime", clk.epoch)
	if req.SourceIP != "" {
		buf.set("aws:sourceip", req.SourceIP)
	}
	buf.set("aws:securetransport", strconv.FormatBool(req.SecureTransport))
	if req.UserAgent != "" {
		buf.set("aws:useragent", req.UserAgent)
	}
	if req.Region != "" {
		buf.set("aws:requestedregion", req.Region)
	}
	// Requests made by a principal itself, not by an AWS service on its behalf.
	buf.set("aws:viaawsservice", "false")
	buf.set("aws:principalisawsservice", "false")
	if c == nil {
		return
	}
	buf.set("aws:principalaccount", c.AccountID)
	buf.set("aws:principaltype", c.Kind.String())
	buf.set("aws:userid", c.UserID)
	switch {
	case c.Kind == reqctx.CallerAssumedRole && pe != nil && pe.arn != "":
		buf.set("aws:principalarn", pe.arn) // the role's ARN, with its path, as AWS reports it
	case c.Kind == reqctx.CallerAssumedRole:
		buf.set("aws:principalarn", ids.RoleARN(partition(c), c.AccountID, c.PrincipalPath, c.PrincipalName))
	default:
		buf.set("aws:principalarn", c.ARN)
	}
	if c.Kind == reqctx.CallerUser {
		buf.set("aws:username", c.Name)
	}
	if pe != nil {
		for i, k := range pe.tagKeys {
			buf.m[k] = pe.tagVals[i]
		}
	}
	if s := c.Session; s != nil {
		for k, v := range s.Tags { // session tags override the principal's tags of the same key
			buf.set("aws:principaltag/"+strings.ToLower(k), v)
		}
		buf.set("aws:tokenissuetime", s.IssuedAt.UTC().Format(time.RFC3339))
		buf.set("aws:multifactorauthpresent", strconv.FormatBool(s.MFA))
		if s.MFA {
			// Seconds since the code was checked, which for a chained role is before its session's issue.
			at := s.MFAAuthTime
			if at.IsZero() {
				at = s.IssuedAt
			}
			buf.set("aws:multifactorauthage", strconv.FormatInt(max(0, int64(now.Sub(at).Seconds())), 10))
		}
		if s.SourceIdentity != "" {
			buf.set("aws:sourceidentity", s.SourceIdentity)
		}
	}
}
