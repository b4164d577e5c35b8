// Package authz enforces IAM policies on every API request: it works out the action, the resource ARN and
// the condition-key context of the request, gathers the caller's policies (identity-based, permissions
// boundary, session policies), evaluates them with internal/policy and answers AccessDenied in AWS's
// wording. It reads through the store's cache (internal/storage/cache) and keeps only what it derives:
// compiled policy sets per principal, the condition keys of entities, compiled managed session policies.
//
// Consistency: each derivation notes, before it reads, the versions the store's cache gives what it is
// built from (cache.Store.Version), and is used again only while they are unchanged. The cache applies a
// write's changes before the writing request answers (on the node that wrote) and other nodes' within
// its stated bound, so a changed policy takes effect on the very next request, and a slow build can
// never be used past a change that happened while it read.
package authz

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/golang-lru/v2/simplelru"

	"github.com/iamd/iamd/internal/ids"
	"github.com/iamd/iamd/internal/policy"
	"github.com/iamd/iamd/internal/protocol"
	"github.com/iamd/iamd/internal/reqctx"
	iamsvc "github.com/iamd/iamd/internal/service/iam"
	"github.com/iamd/iamd/internal/storage"
	"github.com/iamd/iamd/internal/storage/cache"
)

// Policies gives the policies that govern a principal, as stored (the IAM service implements it).
type Policies interface {
	// PoliciesForPrincipal collects the identity-based policies and the boundary of a user or role; a
	// missing principal is an error matching storage.ErrNotFound.
	PoliciesForPrincipal(ctx context.Context, account string, kind storage.OwnerKind, name string) (*iamsvc.PrincipalPolicies, error)
	// ManagedPolicyDocument returns the default version of a managed policy (ErrNotFound when none).
	ManagedPolicyDocument(ctx context.Context, account, arn string) (*iamsvc.PrincipalPolicy, error)
}

// Options configure an Authorizer.
type Options struct {
	// Store is the store as the services read it: with its cache, whose versions tell when a
	// derivation is stale. Without them (a bare store) nothing derived is kept.
	Store    storage.Store
	Policies Policies
	Now      func() time.Time
	Logger   *slog.Logger
}

// Authorizer authorizes requests. It is safe for concurrent use.
type Authorizer struct {
	o   Options
	log *slog.Logger
	// versions is the store's cache (nil: keep nothing derived). The concrete type, not an interface:
	// through an interface the version keys every request checks would escape to the heap.
	versions *cache.Store

	// mu guards the caches below (a plain mutex: an LRU lookup moves the entry to the front).
	mu       sync.Mutex
	sets     *simplelru.LRU[principalKey, *principalEntry]
	entities *simplelru.LRU[entityKey, *entity]
	session  *policy.Cache                             // compiled inline session policies by document
	managed  *simplelru.LRU[managedKey, *managedEntry] // compiled managed session policies (PolicyArns)

	actions sync.Map // *protocol.Operation → *actionNames
	clock   clockStrings
	ctxPool sync.Pool // *ctxBuf
}

type managedKey struct{ account, arn string }

// managedEntry is a compiled managed session policy (nil Policy: gone) and the version of the account's
// managed policies it was read at.
type managedEntry struct {
	p   *policy.Attached
	ver uint64
}

type principalKey struct {
	account string
	kind    storage.OwnerKind
	name    string // folded
}

// principalEntry is what authorization needs of a user or role: its compiled policies and, prepared
// once, its aws:PrincipalTag/* context entries and IAM ARN.
type principalEntry struct {
	set  *policy.Set
	tags []storage.Tag
	// tagKeys[i] is "aws:principaltag/" + lower(tags[i].Key); tagVals[i] is []string{tags[i].Value}.
	tagKeys []string
	tagVals [][]string
	name    string // as stored
	arn     string
	// id and boundary are the principal's unique ID and permissions boundary ARN when the set was built.
	id, boundary string
	// vers are the versions the entry was built at (principalVersions). When only the row's moved, the
	// policies are still right if the principal is the same one (same ID) with the same boundary: see
	// revalidate.
	vers principalVers
	checkedAt
}

// checkedAt notes the cache's Seq at which a derivation's versions were last found current: while the
// Seq stays there no version can have moved, and a request takes the derivation without looking its
// versions up (an atomic load instead of a lock and a map lookup per version).
type checkedAt struct {
	checked atomic.Uint64 // 1 + that Seq; 0: never
}

// current reports whether no change was applied since the versions were last found current.
func (c *checkedAt) current(v *cache.Store) bool {
	seq, ok := v.Seq()
	return ok && c.checked.Load() == seq+1
}

// markChecked notes that the versions were current at Seq seq (0: the cache follows no changes, and
// nothing is noted).
func (c *checkedAt) markChecked(seq uint64) {
	if seq != 0 {
		c.checked.Store(seq + 1)
	}
}

// principalVers are the versions a principal's set depends on: its row (path, tags, boundary ARN) and
// what holds its policies.
type principalVers struct {
	row uint64
	// pols: the principal's inline policies and attachments; for users those of every group, group
	// memberships and groups themselves; managed policies of the account (their default versions).
	pols [7]uint64
}

type entityKey struct {
	account string
	kind    string // user, role, group, instance-profile, policy
	name    string // folded
}

// entity is what authorization needs of a resource: its path (for the ARN) and its tags.
type entity struct {
	name      string // as stored
	path      string
	boundary  string // permissions boundary ARN of a user or role
	exists    bool
	partition string
	arn       string // built from partition, name and path
	// Prepared condition keys: aws:ResourceTag/k and iam:ResourceTag/k for each tag.
	tagKeys []string
	tagVals [][]string
	ver     uint64 // the version of the entity's row when read
	checkedAt
}

// Cache bounds and timing.
const (
	// maxSessionPolicyCache bounds the compiled session policies kept (inline and managed, each). Past
	// it the least recently used go: a caller who mints sessions with distinct policies evicts only
	// policies nobody uses.
	maxSessionPolicyCache = 4096
	// maxCachedEntries bounds cached principals and entities each, least recently used going first.
	maxCachedEntries = 100_000
)

// New returns an Authorizer.
func New(o Options) *Authorizer {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	a := &Authorizer{o: o, log: o.Logger, sets: newLRU[principalKey, *principalEntry](maxCachedEntries),
		entities: newLRU[entityKey, *entity](maxCachedEntries),
		session:  policy.NewCache(policy.KindSession, maxSessionPolicyCache),
		managed:  newLRU[managedKey, *managedEntry](maxSessionPolicyCache)}
	a.versions, _ = o.Store.(*cache.Store)
	a.ctxPool.New = func() any { return newCtxBuf() }
	return a
}

// principalVersions returns the versions a principal's set depends on (ok false without a cache). A
// user's or role's row changes alone on TagUser and the like: the set is then revalidated, not rebuilt.
// Inline policies and attachments of a group, memberships and groups concern every user of the account
// (which users are members is not tracked here), managed policies every principal (which sets name a
// policy is not tracked: an attachment may name a policy that no longer exists and is created again).
func (a *Authorizer) principalVersions(account string, kind storage.OwnerKind, folded string) (principalVers, bool) {
	if a.versions == nil {
		return principalVers{}, false
	}
	pv, _ := a.principalVersionsAt(account, kind, folded)
	return pv, true
}

// principalVersionsAt is principalVersions with the cache's Seq they were read at (a.versions is set).
func (a *Authorizer) principalVersionsAt(account string, kind storage.OwnerKind, folded string) (principalVers, uint64) {
	k := func(kind storage.ChangeKind, key string) cache.VersionKey {
		return cache.VersionKey{Kind: kind, Account: account, Key: key}
	}
	owner := string(kind) + ":" + folded
	var pv principalVers
	if kind == storage.OwnerRole {
		var out [4]uint64
		seq := a.versions.Versions(out[:], k(storage.ChangeRole, folded), k(storage.ChangeInlinePolicy, owner),
			k(storage.ChangeAttachment, owner), k(storage.ChangePolicy, cache.AnyKey))
		pv.row = out[0]
		copy(pv.pols[:], out[1:])
		return pv, seq
	}
	group := string(storage.OwnerGroup) + ":" + cache.AnyKey
	var out [8]uint64
	seq := a.versions.Versions(out[:], k(storage.ChangeUser, folded), k(storage.ChangeInlinePolicy, owner),
		k(storage.ChangeAttachment, owner), k(storage.ChangePolicy, cache.AnyKey), k(storage.ChangeInlinePolicy, group),
		k(storage.ChangeAttachment, group), k(storage.ChangeGroup, cache.AnyKey), k(storage.ChangeMembership, cache.AnyKey))
	pv.row = out[0]
	copy(pv.pols[:], out[1:])
	return pv, seq
}

// unauthorized are operations policies do not control: GetCallerIdentity can never be denied,
// GetSessionToken is an authentication operation (docs/aws-behavior.md, "STS rules"), and AssumeRole* are authorized by the
// STS service itself against the role's trust policy together with the caller's identity policies.
var unauthorized = map[string]bool{
	"sts:GetCallerIdentity": true, "sts:GetSessionToken": true, "sts:AssumeRole": true,
	"sts:AssumeRoleWithSAML": true, "sts:AssumeRoleWithWebIdentity": true,
}

// actionNames are an operation's action as AWS words it ("iam:CreateUser") and lower-cased, which is
// how policy.Evaluate compares it (handing it over lower-cased saves a conversion per request).
type actionNames struct {
	name, lower string
	free        bool // in unauthorized
}

// actionOf returns the action names of op, built once per operation.
func (a *Authorizer) actionOf(op *protocol.Operation) *actionNames {
	if v, ok := a.actions.Load(op); ok {
		return v.(*actionNames)
	}
	s := op.Service.SigningName + ":" + op.Name
	n := &actionNames{name: s, lower: strings.ToLower(s), free: unauthorized[s]}
	a.actions.Store(op, n)
	return n
}

// Authorize implements server.Authorizer.
func (a *Authorizer) Authorize(ctx context.Context, op *protocol.Operation, in any) error {
	req := reqctx.From(ctx)
	c := req.Caller
	if c == nil || c.Kind == reqctx.CallerRoot {
		return nil // root is allowed everything in its own account (there are no SCPs)
	}
	action := a.actionOf(op)
	if action.free {
		return nil
	}
	set, pe, err := a.callerSet(ctx, c, false)
	if err != nil {
		return a.failed(ctx, action.name, c, err)
	}
	buf := a.ctxPool.Get().(*ctxBuf)
	defer a.putBuf(buf)
	a.fillRequestContext(buf, req, c, pe)
	res, err := a.resource(ctx, c, pe, op.Service.SigningName, op.Name, in, buf)
	if err != nil {
		return a.failed(ctx, action.name, c, err)
	}
	addRequestTags(buf.m, in)
	buf.req = policy.Request{Action: action.lower, Resource: res, Principal: principalOf(c), Context: buf.m, ContextKeysLower: true}
	if c.Kind == reqctx.CallerAssumedRole {
		if pe.arn != "" {
			buf.req.Principal.RoleARN = pe.arn // built once per role, with its path
		} else {
			buf.req.Principal = principalWithRole(c)
		}
	}
	if set, err = a.withAccountGrants(ctx, c, action.lower, set); err != nil {
		return a.failed(ctx, action.name, c, err)
	}
	if buf.resource != nil {
		own := *set
		own.Resource = buf.resource
		set = &own
	}
	d := policy.Evaluate(&buf.req, set)
	if !d.Allowed() {
		return denied(op.Service, policy.AccessDeniedMessage(c.ARN, action.name, messageResource(action.name, op.Name, in, res, buf.shown), &d))
	}
	target, err := a.renameTarget(ctx, c, op.Name, in)
	if err != nil {
		return a.failed(ctx, action.name, c, err)
	}
	if target == "" {
		return nil
	}
	buf.req.Resource = target
	if d := policy.Evaluate(&buf.req, set); !d.Allowed() {
		return denied(op.Service, policy.AccessDeniedMessage(c.ARN, action.name, target, &d))
	}
	return nil
}

// failed logs why a request could not be authorized (the store failed, a stored policy no longer
// parses); the client gets InternalFailure without the details.
func (a *Authorizer) failed(ctx context.Context, action string, c *reqctx.Caller, err error) error {
	if ctx.Err() == nil {
		a.log.ErrorContext(ctx, "authorizing a request", "request_id", reqctx.From(ctx).ID, "action", action, "caller", c.ARN, "err", err)
	}
	return fmt.Errorf("authorizing %s for %s: %w", action, c.ARN, err)
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
	set, pe, err := a.callerSet(ctx, c, false)
	if err != nil {
		return false, "", err
	}
	buf := newCtxBuf()
	a.fillRequestContext(buf, reqctx.From(ctx), c, pe)
	d := policy.Evaluate(&policy.Request{Action: action, Resource: resource, Principal: principalWithRole(c), Context: buf.m, ContextKeysLower: true}, set)
	return d.Allowed(), policy.AccessDeniedMessage(c.ARN, action, resource, &d), nil
}

func denied(svc *protocol.ServiceInfo, msg string) error {
	if svc != nil && svc.Protocol == "rest-json" {
		return &protocol.Error{Code: "AccessDeniedException", Status: http.StatusForbidden, Message: msg}
	}
	if svc != nil && svc.Protocol == "json" {
		// The json-protocol services (CloudTrail) answer a policy refusal as a client error, 400.
		return &protocol.Error{Code: "AccessDeniedException", Status: http.StatusBadRequest, Message: msg}
	}
	return &protocol.Error{Code: "AccessDenied", Status: http.StatusForbidden, Message: msg}
}

func principalOf(c *reqctx.Caller) policy.Principal {
	p := policy.Principal{ARN: c.ARN, AccountID: c.AccountID, IsRoot: c.Kind == reqctx.CallerRoot}
	if c.Kind == reqctx.CallerUser || c.Kind == reqctx.CallerAssumedRole {
		// The unique ID of the user, or of the role behind the session: resource policies whose named
		// principals were resolved when they were saved match by it.
		p.ID = c.PrincipalID
	}
	return p
}

// principalWithRole is principalOf with the IAM ARN of the role behind an assumed-role session.
func principalWithRole(c *reqctx.Caller) policy.Principal {
	p := principalOf(c)
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
// caller's own copy, which it may change.
func (a *Authorizer) CallerSet(ctx context.Context, c *reqctx.Caller) (*policy.Set, error) {
	set, _, err := a.callerSet(ctx, c, true)
	return set, err
}

// callerSet returns the caller's policy set and the cached entry of the principal behind it (nil for
// root). Unless own is set, the set may be the cached one and must not be modified.
func (a *Authorizer) callerSet(ctx context.Context, c *reqctx.Caller, own bool) (*policy.Set, *principalEntry, error) {
	var pe *principalEntry
	var err error
	switch c.Kind {
	case reqctx.CallerRoot:
		return &policy.Set{}, nil, nil
	case reqctx.CallerUser, reqctx.CallerFederatedUser:
		pe, err = a.principal(ctx, partition(c), c.AccountID, storage.OwnerUser, c.PrincipalName)
	case reqctx.CallerAssumedRole:
		pe, err = a.principal(ctx, partition(c), c.AccountID, storage.OwnerRole, c.PrincipalName)
	default:
		return &policy.Set{}, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	if pe.id != c.PrincipalID {
		// The user or role of that name is not the one the credentials were issued to: it was deleted,
		// and perhaps created again. Its namesake's policies, tags and ARN are not the caller's. The
		// authenticator refuses such credentials already; this keeps a caller from ever getting another
		// principal's permissions should one slip through (a cache, a race).
		pe = &principalEntry{set: &policy.Set{}}
	}
	sessionPolicies := c.Session != nil && (c.Session.SessionPolicy != "" || len(c.Session.PolicyARNs) > 0 ||
		c.Kind == reqctx.CallerFederatedUser)
	if !own && !sessionPolicies {
		return pe.set, pe, nil
	}
	set := *pe.set
	if sessionPolicies {
		sess, err := a.sessionPolicies(ctx, c)
		if err != nil {
			return nil, nil, err
		}
		set.Session = sess
		if c.Kind == reqctx.CallerFederatedUser && len(sess) == 0 {
			// A federated user without session policies has no permissions (AWS: the session policies
			// are the only way to grant them). An empty session policy list would not restrict, so
			// put one that allows nothing.
			set.Session = []policy.Attached{{Policy: allowNothing, ID: "session-policy", Source: policy.SourceNone}}
		}
	}
	return &set, pe, nil
}

// allowNothing is a session policy that allows no action: a session restricted by it has no permission.
var allowNothing = func() *policy.Policy {
	p, err := policy.Parse(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","NotAction":"*","Resource":"*"}]}`, policy.KindSession)
	if err != nil {
		panic(err)
	}
	return p
}()

// principal returns the cached policy set of a user or role, building it when what it was built from
// changed.
func (a *Authorizer) principal(ctx context.Context, part, account string, kind storage.OwnerKind, name string) (*principalEntry, error) {
	key := principalKey{account, kind, storage.Fold(name)}
	if a.versions == nil {
		return a.buildPrincipal(ctx, part, account, kind, name)
	}
	a.mu.Lock()
	e, _ := a.sets.Get(key)
	a.mu.Unlock()
	if e != nil && e.current(a.versions) {
		return e, nil
	}
	vers, seq := a.principalVersionsAt(account, kind, key.name)
	if e != nil && e.vers == vers {
		e.markChecked(seq)
		return e, nil
	}
	if e != nil && e.vers.pols == vers.pols {
		fresh, err := a.revalidate(ctx, part, account, kind, name, e)
		if err != nil {
			return nil, err
		}
		if fresh != nil {
			fresh.vers = vers
			fresh.markChecked(seq)
			a.store(key, fresh)
			return fresh, nil
		}
		// Another principal by that name, another boundary, or none: build the set anew.
	}
	// The versions were read before the build reads: a change meanwhile makes the entry stale at once.
	e, err := a.buildPrincipal(ctx, part, account, kind, name)
	if err != nil || e.id == "" {
		return e, err
	}
	e.vers = vers
	e.markChecked(seq)
	a.store(key, e)
	return e, nil
}

// buildPrincipal reads and compiles the policies of a user or role.
func (a *Authorizer) buildPrincipal(ctx context.Context, part, account string, kind storage.OwnerKind, name string) (*principalEntry, error) {
	pp, err := a.o.Policies.PoliciesForPrincipal(ctx, account, kind, name)
	if errors.Is(err, storage.ErrNotFound) {
		// The user or role is gone: its credentials (a session outliving its role) get no permission.
		// Not cached: it costs one read, and a principal of that name may be created again.
		return &principalEntry{set: &policy.Set{}}, nil
	}
	if err != nil {
		return nil, err
	}
	set, err := pp.Set()
	if err != nil {
		return nil, err
	}
	boundary := ""
	if pp.Boundary != nil {
		boundary = pp.Boundary.ARN
	}
	return newPrincipalEntry(set, part, account, kind, pp.Name, pp.Path, pp.ID, boundary, pp.Tags), nil
}

// newPrincipalEntry prepares the cached form of a principal's set: its tags as condition keys, its ARN.
func newPrincipalEntry(set *policy.Set, part, account string, kind storage.OwnerKind, name, path, id, boundary string, tags []storage.Tag) *principalEntry {
	e := &principalEntry{set: set, tags: tags, name: name, id: id, boundary: boundary}
	for _, t := range tags {
		e.tagKeys = append(e.tagKeys, "aws:principaltag/"+strings.ToLower(t.Key))
		e.tagVals = append(e.tagVals, []string{t.Value})
	}
	if kind == storage.OwnerRole {
		e.arn = ids.RoleARN(part, account, path, name)
	} else {
		e.arn = ids.UserARN(part, account, path, name)
	}
	return e
}

// store caches e under key (copies of its strings: the name may be a slice of the request body).
func (a *Authorizer) store(key principalKey, e *principalEntry) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.sets.Add(principalKey{strings.Clone(key.account), key.kind, strings.Clone(key.name)}, e)
}

// revalidate re-reads the row of a principal whose row changed since its set was built. When it is still the same principal (same
// unique ID: not deleted and made again) with the same permissions boundary ARN, the compiled policies
// still hold and only the name, path and tags are taken from the row; otherwise it returns nil and the
// caller rebuilds the set from scratch.
func (a *Authorizer) revalidate(ctx context.Context, part, account string, kind storage.OwnerKind, name string, e *principalEntry) (*principalEntry, error) {
	if a.o.Store == nil || e.id == "" {
		return nil, nil
	}
	var id, rname, path, boundary string
	var tags []storage.Tag
	err := a.o.Store.View(ctx, func(tx storage.Tx) error {
		switch kind {
		case storage.OwnerUser:
			u, err := tx.GetUser(ctx, account, name)
			if err != nil {
				return err
			}
			id, rname, path, boundary, tags = u.ID, u.Name, u.Path, u.PermissionsBoundaryARN, u.Tags
		case storage.OwnerRole:
			r, err := tx.GetRole(ctx, account, name)
			if err != nil {
				return err
			}
			id, rname, path, boundary, tags = r.ID, r.Name, r.Path, r.PermissionsBoundaryARN, r.Tags
		}
		return nil
	})
	if errors.Is(err, storage.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("re-reading %s %s: %w", kind, name, err)
	}
	if id != e.id || boundary != e.boundary {
		return nil, nil
	}
	return newPrincipalEntry(e.set, part, account, kind, rname, path, id, boundary, tags), nil
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
		m, err := a.managedSessionPolicy(ctx, c.AccountID, arn)
		if err != nil {
			return nil, err
		}
		if m.Policy == nil {
			continue // a deleted managed session policy grants nothing
		}
		out = append(out, *m)
	}
	if len(out) == 0 {
		// Every session policy was a managed policy that is gone: the session may do nothing.
		out = append(out, policy.Attached{Policy: allowNothing, ID: "session-policy", Source: policy.SourceNone})
	}
	return out, nil
}

// managedSessionPolicy returns a managed policy passed as a session policy (PolicyArns), compiled and
// kept while the account's managed policies are unchanged; a policy that does not exist has a nil Policy.
func (a *Authorizer) managedSessionPolicy(ctx context.Context, account, arn string) (*policy.Attached, error) {
	key := managedKey{account, arn}
	var ver uint64
	if a.versions != nil {
		ver = a.versions.Version(cache.VersionKey{Kind: storage.ChangePolicy, Account: account, Key: cache.AnyKey})
		a.mu.Lock()
		m, _ := a.managed.Get(key)
		a.mu.Unlock()
		if m != nil && m.ver == ver {
			return m.p, nil
		}
	}
	var m *policy.Attached
	doc, err := a.o.Policies.ManagedPolicyDocument(ctx, account, arn)
	switch {
	case errors.Is(err, storage.ErrNotFound):
		m = &policy.Attached{ID: arn, ARN: arn}
	case err != nil:
		return nil, err
	default:
		p, err := policy.Parse(doc.Document, policy.KindSession)
		if err != nil {
			return nil, fmt.Errorf("managed session policy %s: %w", arn, err)
		}
		m = &policy.Attached{Policy: p, ID: arn, ARN: arn, Source: doc.Source}
	}
	if a.versions != nil {
		a.mu.Lock()
		a.managed.Add(managedKey{strings.Clone(account), strings.Clone(arn)}, &managedEntry{p: m, ver: ver})
		a.mu.Unlock()
	}
	return m, nil
}

func (a *Authorizer) compileSession(doc string) (*policy.Policy, error) {
	p, err := a.session.Parse(doc)
	if err != nil {
		return nil, fmt.Errorf("session policy: %w", err)
	}
	return p, nil
}

// newLRU returns an LRU of size entries (the sizes here are constants above one).
func newLRU[K comparable, V any](size int) *simplelru.LRU[K, V] {
	l, err := simplelru.NewLRU[K, V](size, nil)
	if err != nil {
		panic(err)
	}
	return l
}
