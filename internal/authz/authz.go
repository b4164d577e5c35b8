// Package authz enforces IAM policies on every API request: it works out the action, the resource ARN and
// the condition-key context of the request, gathers the caller's policies (identity-based, permissions
// boundary, session policies), evaluates them with internal/policy and answers AccessDenied in AWS's
// wording. Compiled policy sets are cached per principal and dropped when the store reports a change of
// anything they were built from (on every node).
package authz

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/iamd/iamd/internal/ids"
	"github.com/iamd/iamd/internal/policy"
	"github.com/iamd/iamd/internal/protocol"
	"github.com/iamd/iamd/internal/reqctx"
	iamsvc "github.com/iamd/iamd/internal/service/iam"
	"github.com/iamd/iamd/internal/storage"
)

// Options configure an Authorizer.
type Options struct {
	Store  storage.Store
	IAM    *iamsvc.Service
	Now    func() time.Time
	Logger *slog.Logger
}

// Authorizer authorizes requests. It is safe for concurrent use.
type Authorizer struct {
	o   Options
	log *slog.Logger

	mu       sync.RWMutex
	sets     map[principalKey]*principalEntry
	entities map[entityKey]*entity
	session  map[string]*policy.Policy // compiled inline session policies by document
}

type principalKey struct {
	account string
	kind    storage.OwnerKind
	name    string // folded
}

type principalEntry struct {
	set  *policy.Set
	tags []storage.Tag
}

type entityKey struct {
	account string
	kind    string // user, role, group, instance-profile
	name    string // folded
}

// entity is what authorization needs of a resource: its path (for the ARN) and its tags.
type entity struct {
	path   string
	tags   []storage.Tag
	exists bool
}

// maxSessionPolicyCache bounds the compiled session policies kept; past it the cache starts over.
const maxSessionPolicyCache = 4096

// New returns an Authorizer; call Run to keep its caches in step with the store.
func New(o Options) *Authorizer {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return &Authorizer{o: o, log: o.Logger, sets: map[principalKey]*principalEntry{}, entities: map[entityKey]*entity{},
		session: map[string]*policy.Policy{}}
}

// Run drops cached policy sets and entities as the store reports changes, until ctx ends. Any change to
// users, groups, roles, policies, inline policies, attachments or memberships of an account drops the
// account's cached sets: they are cheap to rebuild and this can never keep a stale permission.
func (a *Authorizer) Run(ctx context.Context) {
	changes, cancel := a.o.Store.Subscribe()
	defer cancel()
	for {
		select {
		case <-ctx.Done():
			return
		case ch, ok := <-changes:
			if !ok {
				a.apply(storage.Change{Kind: storage.ChangeAll})
				return
			}
			a.apply(ch)
		}
	}
}

func (a *Authorizer) apply(ch storage.Change) {
	a.mu.Lock()
	defer a.mu.Unlock()
	switch ch.Kind {
	case storage.ChangeAll:
		a.sets = map[principalKey]*principalEntry{}
		a.entities = map[entityKey]*entity{}
		return
	case storage.ChangeUser, storage.ChangeGroup, storage.ChangeRole, storage.ChangePolicy, storage.ChangeInlinePolicy,
		storage.ChangeAttachment, storage.ChangeMembership:
		for k := range a.sets {
			if k.account == ch.AccountID {
				delete(a.sets, k)
			}
		}
	}
	switch ch.Kind {
	case storage.ChangeUser:
		delete(a.entities, entityKey{ch.AccountID, "user", ch.Key})
	case storage.ChangeRole:
		delete(a.entities, entityKey{ch.AccountID, "role", ch.Key})
	case storage.ChangeGroup:
		delete(a.entities, entityKey{ch.AccountID, "group", ch.Key})
	case storage.ChangeInstanceProfile:
		delete(a.entities, entityKey{ch.AccountID, "instance-profile", ch.Key})
	}
}

// unauthorized are operations policies do not control: GetCallerIdentity can never be denied,
// GetSessionToken is an authentication operation (aws-behavior §6), and AssumeRole* are authorized by the
// STS service itself against the role's trust policy together with the caller's identity policies.
var unauthorized = map[string]bool{
	"sts:GetCallerIdentity": true, "sts:GetSessionToken": true, "sts:AssumeRole": true,
	"sts:AssumeRoleWithSAML": true, "sts:AssumeRoleWithWebIdentity": true,
}

// Authorize implements server.Authorizer.
func (a *Authorizer) Authorize(ctx context.Context, op *protocol.Operation, in any) error {
	req := reqctx.From(ctx)
	c := req.Caller
	if c == nil || c.Kind == reqctx.CallerRoot {
		return nil // root is allowed everything in its own account (there are no SCPs)
	}
	prefix := op.Service.SigningName
	action := prefix + ":" + op.Name
	if unauthorized[action] {
		return nil
	}
	res, extra, err := a.resource(ctx, c, prefix, op.Name, in)
	if err != nil {
		return err
	}
	set, err := a.CallerSet(ctx, c)
	if err != nil {
		return err
	}
	rc := a.RequestContext(ctx)
	for k, v := range extra {
		rc[k] = v
	}
	addRequestTags(rc, in)
	d := policy.Evaluate(&policy.Request{Action: action, Resource: res, Principal: principalOf(c), Context: rc}, set)
	if d.Allowed() {
		return nil
	}
	return denied(op.Service, policy.AccessDeniedMessage(c.ARN, action, res, &d))
}

// Decide evaluates one action on one resource for the caller, for callers that authorize outside the
// operation table (the admin API).
func (a *Authorizer) Decide(ctx context.Context, action, resource string) (bool, string, error) {
	c := reqctx.From(ctx).Caller
	if c == nil {
		return false, "", errors.New("no caller")
	}
	if c.Kind == reqctx.CallerRoot {
		return true, "", nil
	}
	set, err := a.CallerSet(ctx, c)
	if err != nil {
		return false, "", err
	}
	d := policy.Evaluate(&policy.Request{Action: action, Resource: resource, Principal: principalOf(c), Context: a.RequestContext(ctx)}, set)
	return d.Allowed(), policy.AccessDeniedMessage(c.ARN, action, resource, &d), nil
}

func denied(svc *protocol.ServiceInfo, msg string) error {
	if svc != nil && svc.Protocol == "rest-json" {
		return &protocol.Error{Code: "AccessDeniedException", Status: http.StatusForbidden, Message: msg}
	}
	return &protocol.Error{Code: "AccessDenied", Status: http.StatusForbidden, Message: msg}
}

func principalOf(c *reqctx.Caller) policy.Principal {
	p := policy.Principal{ARN: c.ARN, AccountID: c.AccountID, IsRoot: c.Kind == reqctx.CallerRoot}
	if c.Kind == reqctx.CallerAssumedRole {
		p.RoleARN = ids.RoleARN(partition(c), c.AccountID, c.PrincipalPath, c.PrincipalName)
	}
	return p
}

func partition(c *reqctx.Caller) string {
	if c.Partition != "" {
		return c.Partition
	}
	return "aws"
}

// CallerSet returns the policies that govern the caller: the identity policies and boundary of the user
// or role behind it (cached), plus the session policies of temporary credentials. The result is the
// caller's own copy.
func (a *Authorizer) CallerSet(ctx context.Context, c *reqctx.Caller) (*policy.Set, error) {
	var set policy.Set
	switch c.Kind {
	case reqctx.CallerRoot:
		return &set, nil
	case reqctx.CallerUser, reqctx.CallerFederatedUser:
		e, err := a.principal(ctx, c.AccountID, storage.OwnerUser, c.PrincipalName)
		if err != nil {
			return nil, err
		}
		set = *e.set
	case reqctx.CallerAssumedRole:
		e, err := a.principal(ctx, c.AccountID, storage.OwnerRole, c.PrincipalName)
		if err != nil {
			return nil, err
		}
		set = *e.set
	}
	if c.Session != nil {
		sess, err := a.sessionPolicies(ctx, c)
		if err != nil {
			return nil, err
		}
		set.Session = sess
		if c.Kind == reqctx.CallerFederatedUser && len(sess) == 0 {
			// A federated user without session policies has no permissions (AWS: the session policies
			// are the only way to grant them). An explicit empty policy denies everything.
			set.Session = []policy.Attached{{Policy: denyAll, ID: "no-session-policy", Source: policy.SourceNone}}
		}
	}
	return &set, nil
}

var denyAll = func() *policy.Policy {
	p, err := policy.Parse(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","NotAction":"*","Resource":"*"}]}`, policy.KindSession)
	if err != nil {
		panic(err)
	}
	return p
}()

// principal returns the cached policy set of a user or role, building it on a miss.
func (a *Authorizer) principal(ctx context.Context, account string, kind storage.OwnerKind, name string) (*principalEntry, error) {
	key := principalKey{account, kind, storage.Fold(name)}
	a.mu.RLock()
	e := a.sets[key]
	a.mu.RUnlock()
	if e != nil {
		return e, nil
	}
	pp, err := a.o.IAM.PoliciesForPrincipal(ctx, account, kind, name)
	if errors.Is(err, storage.ErrNotFound) {
		// The user or role is gone: its credentials (a session outliving its role) get no permission.
		return &principalEntry{set: &policy.Set{}}, nil
	}
	if err != nil {
		return nil, err
	}
	set, err := pp.Set()
	if err != nil {
		return nil, err
	}
	e = &principalEntry{set: set, tags: pp.Tags}
	a.mu.Lock()
	a.sets[key] = e
	a.mu.Unlock()
	return e, nil
}

// sessionPolicies compiles the session policies carried by temporary credentials.
func (a *Authorizer) sessionPolicies(ctx context.Context, c *reqctx.Caller) ([]policy.Attached, error) {
	s := c.Session
	if s.SessionPolicy == "" && len(s.PolicyARNs) == 0 {
		return nil, nil
	}
	var out []policy.Attached
	if s.SessionPolicy != "" {
		p, err := a.compileSession(s.SessionPolicy)
		if err != nil {
			return nil, err
		}
		out = append(out, policy.Attached{Policy: p, ID: "session-policy", Source: policy.SourceNone})
	}
	for _, arn := range s.PolicyARNs {
		doc, err := a.o.IAM.ManagedPolicyDocument(ctx, c.AccountID, arn)
		if errors.Is(err, storage.ErrNotFound) {
			continue // a deleted managed session policy grants nothing
		}
		if err != nil {
			return nil, err
		}
		p, err := a.compileSession(doc.Document)
		if err != nil {
			return nil, err
		}
		out = append(out, policy.Attached{Policy: p, ID: arn, ARN: arn, Source: doc.Source})
	}
	if len(out) == 0 {
		out = append(out, policy.Attached{Policy: denyAll, ID: "session-policy", Source: policy.SourceNone})
	}
	return out, nil
}

func (a *Authorizer) compileSession(doc string) (*policy.Policy, error) {
	a.mu.RLock()
	p := a.session[doc]
	a.mu.RUnlock()
	if p != nil {
		return p, nil
	}
	p, err := policy.Parse(doc, policy.KindSession)
	if err != nil {
		return nil, fmt.Errorf("session policy: %w", err)
	}
	a.mu.Lock()
	if len(a.session) >= maxSessionPolicyCache {
		a.session = map[string]*policy.Policy{}
	}
	a.session[doc] = p
	a.mu.Unlock()
	return p, nil
}

// RequestContext returns the global condition keys of the request (keys lower-cased, as policy.Evaluate
// reads them fastest).
func (a *Authorizer) RequestContext(ctx context.Context) map[string][]string {
	req := reqctx.From(ctx)
	now := req.Time
	if now.IsZero() {
		now = a.o.Now().UTC()
	}
	m := make(map[string][]string, 24)
	m["aws:currenttime"] = []string{now.UTC().Format(time.RFC3339)}
	m["aws:epochtime"] = []string{strconv.FormatInt(now.Unix(), 10)}
	if req.SourceIP != "" {
		m["aws:sourceip"] = []string{req.SourceIP}
	}
	m["aws:securetransport"] = []string{strconv.FormatBool(req.SecureTransport)}
	if req.UserAgent != "" {
		m["aws:useragent"] = []string{req.UserAgent}
	}
	if req.Region != "" {
		m["aws:requestedregion"] = []string{req.Region}
	}
	c := req.Caller
	if c == nil {
		return m
	}
	m["aws:principalaccount"] = []string{c.AccountID}
	m["aws:principaltype"] = []string{c.Kind.String()}
	m["aws:userid"] = []string{c.UserID}
	switch c.Kind {
	case reqctx.CallerAssumedRole:
		m["aws:principalarn"] = []string{ids.RoleARN(partition(c), c.AccountID, c.PrincipalPath, c.PrincipalName)}
	default:
		m["aws:principalarn"] = []string{c.ARN}
	}
	if c.Kind == reqctx.CallerUser {
		m["aws:username"] = []string{c.Name}
	}
	var principalTags []storage.Tag
	switch c.Kind {
	case reqctx.CallerUser, reqctx.CallerFederatedUser:
		if e, err := a.principal(ctx, c.AccountID, storage.OwnerUser, c.PrincipalName); err == nil {
			principalTags = e.tags
		}
	case reqctx.CallerAssumedRole:
		if e, err := a.principal(ctx, c.AccountID, storage.OwnerRole, c.PrincipalName); err == nil {
			principalTags = e.tags
		}
	}
	for _, t := range principalTags {
		m["aws:principaltag/"+strings.ToLower(t.Key)] = []string{t.Value}
	}
	if s := c.Session; s != nil {
		for k, v := range s.Tags { // session tags override the principal's tags of the same key
			m["aws:principaltag/"+strings.ToLower(k)] = []string{v}
		}
		m["aws:tokenissuetime"] = []string{s.IssuedAt.UTC().Format(time.RFC3339)}
		m["aws:multifactorauthpresent"] = []string{strconv.FormatBool(s.MFA)}
		if s.MFA {
			m["aws:multifactorauthage"] = []string{strconv.FormatInt(int64(now.Sub(s.IssuedAt).Seconds()), 10)}
		}
		if s.SourceIdentity != "" {
			m["aws:sourceidentity"] = []string{s.SourceIdentity}
		}
	}
	return m
}
