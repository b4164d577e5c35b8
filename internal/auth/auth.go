// Package auth authenticates API requests: it checks the SigV4 signature, turns the access key (or the
// session token) into the calling principal, and applies the region rules of AWS's security-token
// lifecycle (v1 tokens only in regions enabled by default; nothing at all in a region the account has not
// enabled). It reads keys, users, accounts and the principals behind sessions through the store, whose
// cache (internal/storage/cache) serves them from memory and follows every node's changes; what the
// authenticator keeps itself is derived from those rows (opened secrets, checked against the sealed
// secret they came from; the token key ring, reloaded when the stored ring's generation moves).
package auth

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/iamd/iamd/internal/ids"
	"github.com/iamd/iamd/internal/optin"
	"github.com/iamd/iamd/internal/regions"
	"github.com/iamd/iamd/internal/reqctx"
	"github.com/iamd/iamd/internal/sigv4"
	"github.com/iamd/iamd/internal/storage"
	"github.com/iamd/iamd/internal/storage/cache"
	"github.com/iamd/iamd/internal/token"
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
	Now           func() time.Time
	Logger        *slog.Logger
}

// Authenticator authenticates requests. It is safe for concurrent use.
type Authenticator struct {
	opts     Options
	verifier *sigv4.Verifier
	secrets  *openedSecrets
	now      func() time.Time
	log      *slog.Logger
	keyReads sync.Pool // *keyRead
	// seq is the store's cache, when the store is one (cache.Store): the number of the last change it
	// applied, at which the rows of a key's opened secret were current (openedSecrets).
	seq interface{ Seq() (uint64, bool) }
}

// New returns an Authenticator. Give it the store as the services read it (the cache over it):
// every request reads its key, user and account through it.
func New(o Options) *Authenticator {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	a := &Authenticator{opts: o, verifier: sigv4.NewVerifier(o.Now), secrets: newOpenedSecrets(maxOpenedSecrets),
		now: o.Now, log: o.Logger}
	a.keyReads.New = newKeyRead
	if s, ok := o.Store.(interface{ Seq() (uint64, bool) }); ok {
		a.seq = s
	}
	return a
}

// keyRingCheckEvery is how often Run compares the stored key ring's generation with the loaded one, so
// that an idle node adopts another node's rotation (for the keys it seals new tokens with, too) well
// within a second. The comparison is a read the store's cache serves from memory.
const keyRingCheckEvery = 250 * time.Millisecond

// Run keeps the token key ring in step with the stored one until ctx ends, also while no request comes
// in (requests with session tokens check it themselves).
func (a *Authenticator) Run(ctx context.Context) {
	if a.opts.Tokens == nil {
		return
	}
	t := time.NewTicker(keyRingCheckEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			a.refreshKeyRing(ctx)
		}
	}
}

// refreshKeyRing reloads the token key ring when the stored ring's generation moved past the one
// loaded (another node rotated it): tokens sealed with a key retired there must stop opening here. The
// stored ring is a cached read.
func (a *Authenticator) refreshKeyRing(ctx context.Context) {
	if a.opts.Store == nil {
		return
	}
	var gen int64
	err := a.opts.Store.View(ctx, func(tx storage.Tx) error {
		r, err := tx.GetKeyRing(ctx)
		if err == nil {
			gen = r.Generation
		}
		return err
	})
	if err != nil {
		a.log.WarnContext(ctx, "reading the token key ring", "err", err)
		return
	}
	if uint64(gen) > a.opts.Tokens.Generation() {
		if err := a.opts.Tokens.Refresh(context.WithoutCancel(ctx)); err != nil {
			a.log.WarnContext(ctx, "reloading the token key ring", "err", err)
		}
	}
}

// Endpoint is what the server resolved about the endpoint a request reached.
type Endpoint struct {
	Service   string // iam, sts, account, cloudtrail
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
	c, err := a.openToken(ctx, p.AccessKeyID, p.SecurityToken)
	if err != nil {
		return nil, err
	}
	if err := a.verifier.Verify(p, c.SecretAccessKey); err != nil {
		return nil, err
	}
	if err := a.checkSession(ctx, c); err != nil {
		return nil, err
	}
	return &Result{Caller: SessionCaller(c)}, nil
}

// openToken opens a session token issued with the access key keyID ("" accepts any).
func (a *Authenticator) openToken(ctx context.Context, keyID, tok string) (*token.Claims, error) {
	if a.opts.Tokens == nil || tok == "" {
		return nil, sigv4.InvalidClientTokenID()
	}
	a.refreshKeyRing(ctx)
	c, err := a.opts.Tokens.Open(ctx, tok)
	if err != nil || keyID != "" && c.AccessKeyID != keyID {
		return nil, sigv4.InvalidClientTokenID()
	}
	return c, nil
}

// checkSession refuses an expired session and one whose principal is gone.
func (a *Authenticator) checkSession(ctx context.Context, c *token.Claims) error {
	if c.Expired(a.now()) {
		return sigv4.ExpiredToken()
	}
	return a.checkPrincipal(ctx, c)
}

// SessionCredentials authenticates temporary credentials given whole rather than as a signature (the
// console's federation endpoint receives them so): the token must open, be the access key's, hold the
// secret, be unexpired and name a principal that still exists, exactly as for a signed request. Errors
// are *sigv4.Error values (InvalidClientTokenId, ExpiredToken).
func (a *Authenticator) SessionCredentials(ctx context.Context, keyID, secret, tok string) (*token.Claims, error) {
	c, err := a.openToken(ctx, keyID, tok)
	if err != nil {
		return nil, err
	}
	if subtle.ConstantTimeCompare([]byte(c.SecretAccessKey), []byte(secret)) != 1 {
		return nil, &sigv4.Error{Code: sigv4.CodeSignatureDoesNotMatch, HTTPStatus: http.StatusForbidden,
			Message: "The request signature we calculated does not match the signature you provided."}
	}
	if err := a.checkSession(ctx, c); err != nil {
		return nil, err
	}
	return c, nil
}

// TokenCaller returns the caller of a session token it opens and checks as for a signed request (unexpired,
// principal still there): the web console acts so for a sign-in that came through its federation endpoint.
func (a *Authenticator) TokenCaller(ctx context.Context, tok string) (*reqctx.Caller, error) {
	c, err := a.openToken(ctx, "", tok)
	if err != nil {
		return nil, err
	}
	if err := a.checkSession(ctx, c); err != nil {
		return nil, err
	}
	return SessionCaller(c), nil
}

// longTerm authenticates an AKIA key from the cache or the store.
func (a *Authenticator) longTerm(ctx context.Context, p *sigv4.Request, partition string) (*Result, error) {
	if !ids.IsAccessKeyIDSyntax(p.AccessKeyID) {
		// Dev mode's free-form IDs ("testing") cannot name a stored key: no lookup, nothing cached.
		return a.devCaller(ctx, p.AccessKeyID, partition)
	}
	// The Seq before the rows: rows found current at it are taken from the opened secret's entry while
	// it stays there (openedSecrets).
	seq, fresh := a.rowsSeq()
	var (
		k      *storage.AccessKey
		user   *storage.User
		secret string
		e      *openedSecret
	)
	if fresh {
		e = a.secrets.current(p.AccessKeyID, seq)
	}
	if e != nil {
		k, user, secret = e.key, e.user, e.secret
	} else {
		var err error
		if k, user, err = a.lookupKey(ctx, p.AccessKeyID); err != nil {
			return nil, err
		}
		if k == nil {
			if a.opts.Dev {
				return a.devCaller(ctx, p.AccessKeyID, partition)
			}
			return nil, sigv4.InvalidClientTokenID()
		}
	}
	// A session token sent with a long-term key (typically a stale AWS_SESSION_TOKEN) is not ignored:
	// AWS refuses the request as InvalidClientTokenId.
	if p.SecurityToken != "" {
		return nil, sigv4.InvalidClientTokenID()
	}
	if k.Status != storage.StatusActive {
		return nil, sigv4.InvalidClientTokenID()
	}
	if e == nil {
		var err error
		if secret, err = a.secrets.open(k, user, seq, fresh, a.opts.OpenSecret); err != nil {
			return nil, fmt.Errorf("opening the secret of access key %s: %w", k.ID, err)
		}
	}
	if err := a.verifier.Verify(p, secret); err != nil {
		return nil, err
	}
	var c *reqctx.Caller
	if user == nil {
		c = RootCaller(partition, k.AccountID)
	} else {
		c = UserCaller(partition, user)
	}
	// The stored ID, not the request's: the last-used record keeps it.
	c.AccessKeyID = k.ID
	return &Result{Caller: c, LongTermKey: k.ID}, nil
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

// CacheSizes are the number of entries the caches of the authenticator's rows hold (exported as
// metrics): those of the store's cache, and the opened secrets.
type CacheSizes struct{ Keys, MissingKeys, Users, Accounts, OpenedSecrets int }

// sizer is the store's cache (internal/storage/cache.Store).
type sizer interface {
	Sizes() cache.Sizes
	MaxMissingKeys() int
}

// CacheSizes returns how many entries each cache holds (zero for a store without a cache).
func (a *Authenticator) CacheSizes() CacheSizes {
	out := CacheSizes{OpenedSecrets: a.secrets.len()}
	if c, ok := a.opts.Store.(sizer); ok {
		s := c.Sizes()
		out.Keys, out.MissingKeys, out.Users, out.Accounts = s.Keys, s.MissingKeys, s.Users, s.Accounts
	}
	return out
}

// MaxMissingKeys returns the bound of the negative key cache (0 for a store without a cache).
func (a *Authenticator) MaxMissingKeys() int {
	if c, ok := a.opts.Store.(sizer); ok {
		return c.MaxMissingKeys()
	}
	return 0
}

// rowsSeq returns the store's cache's Seq (see cache.Store.Seq), after applying the changes published
// so far; false when the store has none or its cache follows no changes any more.
func (a *Authenticator) rowsSeq() (uint64, bool) {
	if a.seq == nil {
		return 0, false
	}
	return a.seq.Seq()
}

// lookupKey returns a long-term key and its user (nil for a root key); a nil key when it does not
// exist. Both are read through the store's cache: unknown key IDs are remembered there too, so a flood
// of requests with a bad key does not become a flood of queries.
func (a *Authenticator) lookupKey(ctx context.Context, id string) (*storage.AccessKey, *storage.User, error) {
	r := a.keyReads.Get().(*keyRead)
	r.ctx, r.id = ctx, id
	err := a.opts.Store.View(ctx, r.fn)
	k, u := r.k, r.u
	*r = keyRead{fn: r.fn}
	a.keyReads.Put(r)
	if err != nil {
		return nil, nil, fmt.Errorf("looking up access key: %w", err)
	}
	return k, u, nil
}

// keyRead is lookupKey's View function and what it reads. Every request runs it: pooled, with the
// function bound once, it costs no allocation (a closure handed to View escapes, and the variables it
// sets with it).
type keyRead struct {
	ctx context.Context
	id  string
	k   *storage.AccessKey
	u   *storage.User
	fn  func(tx storage.Tx) error // r.read
}

func newKeyRead() any {
	r := &keyRead{}
	r.fn = r.read
	return r
}

func (r *keyRead) read(tx storage.Tx) error {
	var err error
	r.k, r.u = nil, nil // fn may run more than once
	if r.k, err = tx.GetAccessKey(r.ctx, r.id); errors.Is(err, storage.ErrNotFound) {
		r.k = nil
		return nil
	} else if err != nil {
		return err
	}
	if r.k.UserName != "" {
		if r.u, err = tx.GetUser(r.ctx, r.k.AccountID, r.k.UserName); err != nil {
			return fmt.Errorf("user of access key: %w", err)
		}
	}
	return nil
}

// Account returns the account (a cached read). Its slices and maps must not be modified.
func (a *Authenticator) Account(ctx context.Context, id string) (*storage.Account, error) {
	var acct *storage.Account
	err := a.opts.Store.View(ctx, func(tx storage.Tx) error {
		var err error
		acct, err = tx.GetAccount(ctx, id)
		return err
	})
	if err != nil {
		return nil, err
	}
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
	version := optin.LongTermKey
	if c.Session != nil {
		version = max(c.Session.TokenVersion, 1) // a session token is never read as a long-term key
	}
	if !optin.Accepted(acct, r, version, a.now()) {
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
		IssuerRegion: c.Region, MFA: c.MFA, MFAAuthTime: c.MFAAuthTime, RoleChained: c.RoleChained, SourceIdentity: c.SourceIdentity,
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
