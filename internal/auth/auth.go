// Package auth authenticates API requests: it checks the SigV4 signature, turns the access key (or the
// session token) into the calling principal, and applies the region rules of AWS's security-token
// lifecycle (v1 tokens only in regions enabled by default; nothing at all in a region the account has not
// enabled). Long-term keys and accounts are cached in memory and dropped when the store reports a change
// (on every node, through storage.Store.Subscribe). Session tokens carry everything else needed; the one
// thing a token cannot say, whether the user or role it was issued to still exists with that unique ID, is
// cached the same way, so requests signed with temporary credentials cost no database query once their
// principal has been seen.
package auth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/iamd/iamd/internal/ids"
	"github.com/iamd/iamd/internal/optin"
	"github.com/iamd/iamd/internal/regions"
	"github.com/iamd/iamd/internal/reqctx"
	"github.com/iamd/iamd/internal/sigv4"
	"github.com/iamd/iamd/internal/storage"
	"github.com/iamd/iamd/internal/token"
	"golang.org/x/sync/singleflight"
)

// Options configure an Authenticator.
type Options struct {
	Store storage.Store
	// Tokens opens session tokens.
	Tokens *token.KeyRing
	// OpenSecret returns the secret of a long-term access key (unsealing it with the master key).
	OpenSecret func(k *storage.AccessKey) (string, error)
	// Dev accepts unknown access keys (and unsigned requests) without a signature check, as moto and
	// LocalStack do, and checks no request's signing time (test suites freeze their clock). Such a key acts
	// as the user DevUser returns in DevAccount, or in the account a 12-digit key ID names, or in
	// LocalStack's default account for LocalStack's key "test" (see devAccountOf).
	Dev        bool
	DevAccount string
	// DevUser returns the administrator user dev-mode keys act as in an account, making it when missing;
	// nil makes them the account's root.
	DevUser func(ctx context.Context, partition, account string) (*storage.User, error)
	// CreateAccount makes a dev-mode account on first use; nil disables that.
	CreateAccount func(ctx context.Context, id string) error
	// MaxMissingKeys bounds how many unknown access key IDs are remembered (DefaultMaxMissingKeys if 0).
	MaxMissingKeys int
	Now            func() time.Time
	Logger         *slog.Logger
}

// Authenticator authenticates requests. It is safe for concurrent use.
type Authenticator struct {
	opts     Options
	verifier *sigv4.Verifier
	cache    *cache
	// principals knows which users and roles behind sessions still exist (checkPrincipal).
	principals *principals
	now        func() time.Time
	log        *slog.Logger

	// changes is the store subscription that keeps the cache in step. Every lookup first applies what is
	// pending: the store publishes a change before its Update returns, so a request that starts after a
	// write on this node sees that write (read-your-writes). A background reader alone would race: a
	// client that enables a region or sets the token version and uses it at once would now and then meet
	// the old setting. syncMu makes taking a change off the channel and applying it one step, and
	// applying tells the lock-free fast path that a change is being applied right now.
	// loads lets concurrent cache misses share one database read (lookupKey).
	loads singleflight.Group

	changes  <-chan storage.Change
	closed   atomic.Bool
	syncMu   sync.Mutex
	applying atomic.Bool
}

// New returns an Authenticator; call Run to keep its caches in step with the store.
func New(o Options) *Authenticator {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.MaxMissingKeys <= 0 {
		o.MaxMissingKeys = DefaultMaxMissingKeys
	}
	a := &Authenticator{opts: o, verifier: sigv4.NewVerifier(o.Now), cache: newCache(o.MaxMissingKeys), principals: newPrincipals(),
		now: o.Now, log: o.Logger}
	if o.Store != nil {
		// Subscribed for the store's lifetime (closing the store closes it): lookups drain it too.
		a.changes, _ = o.Store.Subscribe()
	} else {
		a.closed.Store(true)
	}
	return a
}

// syncEvery is how often Run applies pending changes when no request does (so that the key ring is
// reloaded after another node rotated it, and stale entries are dropped, on an idle node too).
const syncEvery = time.Second

// Run keeps the caches in step with the store until ctx ends, also while no request comes in.
func (a *Authenticator) Run(ctx context.Context) {
	t := time.NewTicker(syncEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			a.sync(ctx)
		}
	}
}

// sync applies the changes already published, without waiting for more: called before every cache read.
// Its fast path (nothing pending, nothing being applied) takes no lock.
func (a *Authenticator) sync(ctx context.Context) {
	if a.closed.Load() {
		// Without a subscription nothing tells the cache about changes: keep nothing.
		a.apply(storage.Change{Kind: storage.ChangeAll})
		return
	}
	if len(a.changes) == 0 && !a.applying.Load() {
		return
	}
	a.syncMu.Lock()
	defer a.syncMu.Unlock()
	a.applying.Store(true)
	defer a.applying.Store(false)
	for {
		select {
		case ch, ok := <-a.changes:
			if !ok {
				a.closed.Store(true)
				a.apply(storage.Change{Kind: storage.ChangeAll})
				return
			}
			a.apply(ch)
			if (ch.Kind == storage.ChangeKeyRing || ch.Kind == storage.ChangeAll) && a.opts.Tokens != nil {
				if err := a.opts.Tokens.Refresh(context.WithoutCancel(ctx)); err != nil {
					a.log.WarnContext(ctx, "reloading the token key ring", "err", err)
				}
			}
		default:
			return
		}
	}
}

// apply drops what a change may have made stale from every cache.
func (a *Authenticator) apply(ch storage.Change) {
	a.cache.apply(ch)
	a.principals.apply(ch)
}

// Endpoint is what the server resolved about the endpoint a request reached.
type Endpoint struct {
	Service   string // iam, sts, account
	Region    string // the endpoint's region (us-east-1 for the global endpoints)
	Partition string
	Global    bool // the STS global endpoint
	// ExpectRegion is the region the credential scope must name; "" accepts any region of the catalogue
	// (requests to a bare host:port, where the client chose the signing region).
	ExpectRegion string
}

// Result is an authenticated request.
type Result struct {
	Caller *reqctx.Caller
	// LongTermKey is set when a long-term access key signed the request (for last-used tracking).
	LongTermKey string
	// Region is the signing region of the credential scope.
	Region string
}

// Authenticate verifies the request's signature and returns its caller. body is the whole request body,
// already read. Errors are *sigv4.Error values with AWS's code, status and message.
func (a *Authenticator) Authenticate(ctx context.Context, r *http.Request, body []byte, ep Endpoint) (*Result, error) {
	parsed, err := a.verifier.Parse(r, body, sigv4.Expect{Region: ep.ExpectRegion, Service: ep.Service, AnyTime: a.opts.Dev})
	if err != nil {
		if a.opts.Dev && isMissingAuthentication(err) {
			return a.unsignedDevRequest(ctx, ep)
		}
		return nil, err
	}
	// The canonical name from the catalogue, not the string sliced from the request: it is kept past the
	// request (last-used records).
	region, ok := regions.Lookup(parsed.Region)
	if ep.ExpectRegion == "" && (!ok || ep.Partition != "" && region.Partition != ep.Partition) {
		// A bare host:port: the client chose the signing region, and the endpoint was resolved from the
		// same credential scope, so they agree unless the scope names no region of the catalogue.
		return nil, &sigv4.Error{Code: sigv4.CodeSignatureDoesNotMatch, HTTPStatus: http.StatusForbidden,
			Message: "Credential should be scoped to a valid region. "}
	}
	if !ok {
		region.Name = strings.Clone(parsed.Region) // an endpoint outside the catalogue, which Parse checked it names
	}
	// A key ID that cannot be one is refused before anything is looked up or cached (AWS answers an
	// unknown or malformed key alike).
	if !ids.IsAccessKeyIDSyntax(parsed.AccessKeyID) && !(a.opts.Dev && devKeyID(parsed.AccessKeyID)) {
		return nil, sigv4.InvalidClientTokenID()
	}
	var res *Result
	if strings.HasPrefix(parsed.AccessKeyID, ids.PrefixTemporaryAccessKey) {
		res, err = a.session(ctx, parsed)
	} else {
		res, err = a.longTerm(ctx, parsed, endpointPartition(ep))
	}
	if err != nil {
		return nil, err
	}
	res.Region = region.Name
	if err := a.checkRegion(ctx, res.Caller, ep); err != nil {
		return nil, err
	}
	return res, nil
}

// session authenticates temporary credentials from the token, and checks that the user or role it was
// issued to still exists (a cached answer, see checkPrincipal).
func (a *Authenticator) session(ctx context.Context, p *sigv4.Request) (*Result, error) {
	if p.SecurityToken == "" {
		return nil, sigv4.InvalidClientTokenID()
	}
	if a.opts.Tokens == nil {
		return nil, sigv4.InvalidClientTokenID()
	}
	c, err := a.opts.Tokens.Open(ctx, p.SecurityToken)
	if err != nil || c.AccessKeyID != p.AccessKeyID {
		return nil, sigv4.InvalidClientTokenID()
	}
	if err := a.verifier.Verify(p, c.SecretAccessKey); err != nil {
		return nil, err
	}
	if c.Expired(a.now()) {
		return nil, sigv4.ExpiredToken()
	}
	if err := a.checkPrincipal(ctx, c); err != nil {
		return nil, err
	}
	return &Result{Caller: SessionCaller(c)}, nil
}

// longTerm authenticates an AKIA key from the cache or the store.
func (a *Authenticator) longTerm(ctx context.Context, p *sigv4.Request, partition string) (*Result, error) {
	if !ids.IsAccessKeyIDSyntax(p.AccessKeyID) {
		// Dev mode's free-form IDs ("testing") cannot name a stored key: no lookup, nothing cached.
		return a.devCaller(ctx, p.AccessKeyID, partition)
	}
	e, user, err := a.lookupKey(ctx, p.AccessKeyID)
	if err != nil {
		return nil, err
	}
	if e == nil {
		if a.opts.Dev {
			return a.devCaller(ctx, p.AccessKeyID, partition)
		}
		return nil, sigv4.InvalidClientTokenID()
	}
	// A session token sent with a long-term key (typically a stale AWS_SESSION_TOKEN) is not ignored:
	// AWS refuses the request as InvalidClientTokenId.
	if p.SecurityToken != "" {
		return nil, sigv4.InvalidClientTokenID()
	}
	if e.key.Status != storage.StatusActive {
		return nil, sigv4.InvalidClientTokenID()
	}
	if err := a.verifier.Verify(p, e.secret); err != nil {
		return nil, err
	}
	var c *reqctx.Caller
	if user == nil {
		c = RootCaller(partition, e.key.AccountID)
	} else {
		c = UserCaller(partition, user)
	}
	// The stored ID, not the request's: the last-used record keeps it.
	c.AccessKeyID = e.key.ID
	return &Result{Caller: c, LongTermKey: e.key.ID}, nil
}

// devCaller makes an unknown key the dev user (or, without Options.DevUser, the root) of the account
// devAccountOf selects, creating that account on first use.
func (a *Authenticator) devCaller(ctx context.Context, keyID, partition string) (*Result, error) {
	acct := devAccountOf(keyID, a.opts.DevAccount)
	if acct != a.opts.DevAccount {
		if _, err := a.Account(ctx, acct); errors.Is(err, storage.ErrNotFound) && a.opts.CreateAccount != nil {
			if err := a.opts.CreateAccount(ctx, acct); err != nil && !errors.Is(err, storage.ErrAlreadyExists) {
				return nil, fmt.Errorf("creating dev-mode account %s: %w", acct, err)
			}
		}
	}
	var c *reqctx.Caller
	if a.opts.DevUser == nil {
		c = RootCaller(partition, strings.Clone(acct))
	} else {
		u, err := a.opts.DevUser(ctx, partition, acct)
		if err != nil {
			return nil, fmt.Errorf("dev-mode user of account %s: %w", acct, err)
		}
		c = UserCaller(partition, u)
	}
	c.AccessKeyID = strings.Clone(keyID)
	return &Result{Caller: c}, nil
}

// devKeyID reports whether dev mode accepts id as a free-form key ID: 1 to maxDevKeyIDLength printable
// ASCII characters (test suites use "testing", "foobar_key", account numbers).
func devKeyID(id string) bool {
	if id == "" || len(id) > maxDevKeyIDLength {
		return false
	}
	for i := 0; i < len(id); i++ {
		if id[i] <= ' ' || id[i] > '~' {
			return false
		}
	}
	return true
}

// CacheSizes returns how many entries each cache holds.
func (a *Authenticator) CacheSizes() CacheSizes { return a.cache.sizes() }

// MaxMissingKeys returns the bound of the negative cache.
func (a *Authenticator) MaxMissingKeys() int { return a.opts.MaxMissingKeys }

// lookupKey returns the cached entry of a long-term key and its user (nil for a root key), loading what
// is missing; a nil entry when the key does not exist.
//
// Concurrent misses share one load (the first request after a change to a busy user would otherwise send
// every client connection to the database at once). A load is shared only among requests that saw the
// same generation of changes, so a request that starts after a change never gets a load begun before it.
func (a *Authenticator) lookupKey(ctx context.Context, id string) (*keyEntry, *storage.User, error) {
	a.sync(ctx)
	e, ok := a.cache.key(id)
	if ok && (e == nil || e.key.UserName == "") {
		return e, nil, nil
	}
	if ok {
		u, cached := a.cache.user(e.userRef())
		if !cached {
			var err error
			if u, err = a.loadUser(ctx, e); err != nil && !errors.Is(err, storage.ErrNotFound) {
				return nil, nil, err
			}
		}
		if u != nil && u.ID == e.userID {
			return e, u, nil
		}
		// Renamed or deleted since the key was cached, perhaps with another user holding the name now:
		// read the key again.
	}
	return a.loadKey(ctx, id)
}

// loadUser reads the user of a cached key (shared among concurrent callers, see lookupKey).
func (a *Authenticator) loadUser(ctx context.Context, e *keyEntry) (*storage.User, error) {
	gen := a.cache.generation()
	ref := e.userRef()
	v, err, _ := a.loads.Do(loadName('u', gen, ref.account+"/"+ref.name), func() (any, error) {
		ctx := context.WithoutCancel(ctx) // shared: one caller going away must not fail the others
		var u *storage.User
		err := a.opts.Store.View(ctx, func(tx storage.Tx) error {
			var err error
			u, err = tx.GetUser(ctx, e.key.AccountID, e.key.UserName)
			return err
		})
		if err != nil {
			return nil, err
		}
		a.cache.putUser(gen, ref, u) // dropped if a change arrived during the load
		return u, nil
	})
	if err != nil {
		if errors.Is(err, storage.ErrNotFound) {
			return nil, err
		}
		return nil, fmt.Errorf("looking up the user of access key %s: %w", e.key.ID, err)
	}
	return v.(*storage.User), nil
}

// keyLoad is what loadKey reads: the key (nil when it does not exist) and its user.
type keyLoad struct {
	e    *keyEntry
	user *storage.User
}

// loadKey reads a key, opens its secret and reads its user (shared among concurrent callers).
func (a *Authenticator) loadKey(ctx context.Context, id string) (*keyEntry, *storage.User, error) {
	gen := a.cache.generation()
	v, err, _ := a.loads.Do(loadName('k', gen, id), func() (any, error) {
		ctx := context.WithoutCancel(ctx) // shared: one caller going away must not fail the others
		var l keyLoad
		err := a.opts.Store.View(ctx, func(tx storage.Tx) error {
			l = keyLoad{} // View may run fn more than once
			k, err := tx.GetAccessKey(ctx, id)
			if errors.Is(err, storage.ErrNotFound) {
				return nil
			}
			if err != nil {
				return err
			}
			l.e = &keyEntry{key: k}
			if k.UserName != "" {
				if l.user, err = tx.GetUser(ctx, k.AccountID, k.UserName); err != nil {
					return fmt.Errorf("user of access key: %w", err)
				}
				l.e.userID = l.user.ID
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("looking up access key: %w", err)
		}
		if l.e != nil {
			secret, err := a.opts.OpenSecret(l.e.key)
			if err != nil {
				return nil, fmt.Errorf("opening the secret of access key %s: %w", id, err)
			}
			l.e.secret = secret
			if l.user != nil {
				a.cache.putUser(gen, l.e.userRef(), l.user)
			}
		}
		a.cache.putKey(gen, id, l.e) // dropped if a change arrived during the load
		return l, nil
	})
	if err != nil {
		return nil, nil, err
	}
	l := v.(keyLoad)
	return l.e, l.user, nil
}

// loadName is the singleflight key of a load: its kind, the generation it starts from and what it reads.
func loadName(kind byte, gen uint64, what string) string {
	return string(kind) + strconv.FormatUint(gen, 10) + ":" + what
}

// Account returns the account, from the cache when possible. The result must not be modified.
func (a *Authenticator) Account(ctx context.Context, id string) (*storage.Account, error) {
	a.sync(ctx)
	if acct, ok := a.cache.account(id); ok {
		return acct, nil
	}
	gen := a.cache.generation()
	var acct *storage.Account
	err := a.opts.Store.View(ctx, func(tx storage.Tx) error {
		var err error
		acct, err = tx.GetAccount(ctx, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	a.cache.putAccount(gen, acct)
	return acct, nil
}

// checkRegion applies the region rules to a caller at an endpoint: the account must have the endpoint's
// region enabled, and a v1 session token is good only in regions enabled by default (docs/aws-behavior.md,
// "Global-endpoint token versions").
func (a *Authenticator) checkRegion(ctx context.Context, c *reqctx.Caller, ep Endpoint) error {
	r, ok := regions.Lookup(ep.Region)
	if !ok || !r.OptIn {
		return nil // default regions are enabled for every account and accept every token version
	}
	acct, err := a.Account(ctx, c.AccountID)
	if errors.Is(err, storage.ErrNotFound) {
		return sigv4.InvalidClientTokenID()
	}
	if err != nil {
		return err
	}
	if !optin.Enabled(acct, r, a.now()) {
		return sigv4.InvalidClientTokenID()
	}
	if c.Session != nil && !optin.TokenAccepted(c.Session.TokenVersion, r) {
		return sigv4.InvalidClientTokenID()
	}
	return nil
}

// endpointPartition is the partition of the ARNs built for a long-term key's caller: the partition of the
// endpoint the request reached (arn:aws-cn:… at cn-north-1), aws when the endpoint does not say. Session
// tokens carry the partition they were issued in.
func endpointPartition(ep Endpoint) string {
	if ep.Partition != "" {
		return ep.Partition
	}
	return "aws"
}

// RootCaller is the root user of an account.
func RootCaller(partition, account string) *reqctx.Caller {
	return &reqctx.Caller{Kind: reqctx.CallerRoot, AccountID: account, Partition: partition,
		ARN: ids.RootARN(partition, account), UserID: account, PrincipalID: account, PrincipalPath: "/"}
}

// UserCaller is an IAM user signing with a long-term key.
func UserCaller(partition string, u *storage.User) *reqctx.Caller {
	return &reqctx.Caller{Kind: reqctx.CallerUser, AccountID: u.AccountID, Partition: partition,
		ARN: ids.UserARN(partition, u.AccountID, u.Path, u.Name), UserID: u.ID, Name: u.Name,
		PrincipalName: u.Name, PrincipalPath: u.Path, PrincipalID: u.ID}
}

// SessionCaller is the caller behind session-token claims.
func SessionCaller(c *token.Claims) *reqctx.Caller {
	s := &reqctx.Session{Issuer: c.Issuer, TokenVersion: c.Version, IssuedAt: c.IssuedAt, Expiration: c.Expiration,
		IssuerRegion: c.Region, MFA: c.MFA, RoleChained: c.RoleChained, SourceIdentity: c.SourceIdentity,
		TransitiveTagKeys: c.TransitiveTagKeys, SessionPolicy: c.SessionPolicy, PolicyARNs: c.PolicyARNs}
	if len(c.Tags) > 0 {
		s.Tags = make(map[string]string, len(c.Tags))
		for _, t := range c.Tags {
			s.Tags[t.Key] = t.Value
		}
	}
	caller := &reqctx.Caller{AccountID: c.AccountID, Partition: c.Partition, AccessKeyID: c.AccessKeyID, Session: s,
		PrincipalName: c.PrincipalName, PrincipalPath: c.PrincipalPath, PrincipalID: c.PrincipalID}
	if caller.PrincipalPath == "" {
		caller.PrincipalPath = "/"
	}
	switch c.Kind {
	case token.KindAssumedRole:
		caller.Kind = reqctx.CallerAssumedRole
		caller.Name = c.PrincipalName
		caller.SessionName = c.SessionName
		caller.ARN = ids.AssumedRoleARN(c.Partition, c.AccountID, c.PrincipalName, c.SessionName)
		caller.UserID = ids.AssumedRoleID(c.PrincipalID, c.SessionName)
	case token.KindFederatedUser:
		caller.Kind = reqctx.CallerFederatedUser
		caller.Name = c.SessionName
		caller.ARN = ids.FederatedUserARN(c.Partition, c.AccountID, c.SessionName)
		caller.UserID = ids.FederatedUserID(c.AccountID, c.SessionName)
	case token.KindUserSession:
		caller.Kind = reqctx.CallerUser
		caller.Name = c.PrincipalName
		caller.ARN = ids.UserARN(c.Partition, c.AccountID, c.PrincipalPath, c.PrincipalName)
		caller.UserID = c.PrincipalID
	default: // token.KindRootSession
		caller.Kind = reqctx.CallerRoot
		caller.ARN = ids.RootARN(c.Partition, c.AccountID)
		caller.UserID = c.AccountID
		caller.PrincipalID = c.AccountID
	}
	return caller
}
