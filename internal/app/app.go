// Package app assembles an iamd server from its configuration: it opens the store, loads the master key,
// has package bootstrap prove the key and make the default account and its root credentials, and builds
// the token key ring, the authenticator, the services and the HTTP server. It holds no logic of its own
// beyond choosing and connecting the parts. cmd/iamd and the end-to-end tests start servers through it.
package app

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"github.com/iamd/iamd/internal/outbound"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"time"

	"github.com/iamd/iamd/internal/audit"
	"github.com/iamd/iamd/internal/auth"
	"github.com/iamd/iamd/internal/authz"
	"github.com/iamd/iamd/internal/bootstrap"
	"github.com/iamd/iamd/internal/config"
	"github.com/iamd/iamd/internal/console"
	"github.com/iamd/iamd/internal/reqctx"
	"github.com/iamd/iamd/internal/secrets"
	"github.com/iamd/iamd/internal/server"
	accountsvc "github.com/iamd/iamd/internal/service/account"
	adminsvc "github.com/iamd/iamd/internal/service/admin"
	cloudtrailsvc "github.com/iamd/iamd/internal/service/cloudtrail"
	iamsvc "github.com/iamd/iamd/internal/service/iam"
	stssvc "github.com/iamd/iamd/internal/service/sts"
	"github.com/iamd/iamd/internal/storage"
	"github.com/iamd/iamd/internal/storage/cache"
	"github.com/iamd/iamd/internal/storage/postgres"
	"github.com/iamd/iamd/internal/storage/sqlite"
	"github.com/iamd/iamd/internal/token"
)

// App is an assembled server.
type App struct {
	Config  *config.Config
	Store   storage.Store
	Sealer  *secrets.Sealer
	Tokens  *token.KeyRing
	Auth    *auth.Authenticator
	IAM     *iamsvc.Service
	STS     *stssvc.Service
	Account *accountsvc.Service
	// CloudTrail is the CloudTrail API's event history, reading the trail through History.
	CloudTrail *cloudtrailsvc.Service
	// History is the trail LookupEvents reads (see WithHistory).
	History audit.History
	Authz   *authz.Authorizer
	Server  *server.Server
	Log     *slog.Logger
	// RootCredentials is set when New generated the default account's root key (print it once).
	RootCredentials *bootstrap.Credentials

	// Outbound holds the accounts' outbound web identity federation issuers; nil when neither
	// --public-listen nor --public-url is set.
	Outbound *outbound.Issuers

	// Trail is the audit trail's store: the history of events the CloudTrail API reads (audit.History),
	// on SQLite and PostgreSQL alike. Recorder records the calls into it; nil with --no-audit.
	Trail    audit.Store
	Recorder *audit.Recorder
	auditLog *audit.FileSink
	started  bool

	rotator  *token.Rotator
	cache    *cache.Store // the store as every service reads it (Store is the same)
	publicLn net.Listener // the public listener of the issuers' documents, bound by New
}

// OpenStore opens the store the configuration names: PostgreSQL for a postgres:// URL, else SQLite in the
// data directory.
func OpenStore(ctx context.Context, cfg *config.Config, log *slog.Logger) (storage.Store, error) {
	if cfg.DatabaseURL != "" {
		if !strings.HasPrefix(cfg.DatabaseURL, "postgres://") && !strings.HasPrefix(cfg.DatabaseURL, "postgresql://") {
			return nil, fmt.Errorf("--database-url must be a postgres:// URL")
		}
		return postgres.Open(ctx, cfg.DatabaseURL, postgres.Options{Logger: log, NoGroupCommit: cfg.DatabaseNoGroupCommit})
	}
	return sqlite.Open(ctx, cfg.DataDir, sqlite.Options{Logger: log})
}

// LoadSealer returns the sealer of secrets at rest, from the configured master key or the key file in the
// data directory (see bootstrap.LoadMasterKey).
func LoadSealer(ctx context.Context, cfg *config.Config, log *slog.Logger) (*secrets.Sealer, error) {
	k, err := bootstrap.LoadMasterKey(ctx, log, cfg.DataDir, cfg.MasterKey)
	if err != nil {
		return nil, err
	}
	return k.Sealer, nil
}

// Option adjusts what New assembles.
type Option func(*options)

type options struct {
	history audit.History
}

// WithHistory makes the CloudTrail API read its event history from h. Without it the store's history is
// read when the store keeps one (implements audit.History), else an empty one.
func WithHistory(h audit.History) Option { return func(o *options) { o.history = h } }

// noHistory is the event history of a store that keeps none: every lookup finds nothing.
type noHistory struct{}

func (noHistory) Lookup(context.Context, audit.Query) (audit.Page, error) { return audit.Page{}, nil }

// New assembles a server. The caller runs it with Run (or uses Server as a handler after Start) and closes
// it with Close.
func New(ctx context.Context, cfg *config.Config, log *slog.Logger, opts ...Option) (*App, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	if err := cfg.ReadSecretFiles(); err != nil {
		return nil, err
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.Default()
	}
	// Every record logged with a request's context names the request.
	log = slog.New(reqctx.LogHandler(log.Handler()))
	a := &App{Config: cfg, Log: log}
	key, err := bootstrap.LoadMasterKey(ctx, log, cfg.DataDir, cfg.MasterKey)
	if err != nil {
		return nil, err
	}
	sealer := key.Sealer
	a.Sealer = sealer
	if cfg.DatabaseURL != "" && !key.Configured {
		log.Warn("PostgreSQL without IAMD_MASTER_KEY: every node sharing this database must use the same master key; copy " +
			filepath.Join(cfg.DataDir, secrets.MasterKeyFile) + " to the others or set IAMD_MASTER_KEY")
	}
	raw, err := OpenStore(ctx, cfg, log)
	if err != nil {
		return nil, err
	}
	// Every service reads through one cache, the only follower of the store's change feed (see
	// internal/storage/cache for its consistency contract, the same on SQLite and PostgreSQL).
	a.cache = cache.New(raw, cache.Options{MaxMissingKeys: cfg.UnknownKeyCacheSize, Logger: log})
	store := storage.Store(a.cache)
	a.Store = store
	fail := func(err error) (*App, error) {
		if a.publicLn != nil {
			_ = a.publicLn.Close()
		}
		_ = store.Close()
		return nil, err
	}
	// Nothing may be written before the master key is proven right.
	if err := key.Prove(ctx, store, cfg.AccountID, cfg.RootAccessKeyID); err != nil {
		return fail(err)
	}
	root, err := bootstrap.Account(ctx, log, store, sealer, cfg.AccountID, cfg.RootAccessKeyID, cfg.RootSecretAccessKey)
	if err != nil {
		return fail(err)
	}
	a.RootCredentials = root
	if root != nil {
		if err := bootstrap.WriteRootCredentials(cfg.DataDir, root); err != nil {
			return fail(err)
		}
	}
	if cfg.PublicListen != "" {
		// Bound here, so that the issuer URL can name the port actually bound (--public-listen HOST:0).
		if a.publicLn, err = listen(cfg.PublicListen); err != nil {
			return fail(err)
		}
	}
	if a.publicLn != nil || cfg.PublicURL != "" {
		public := cfg.PublicURL
		if public == "" {
			public = "http://" + a.publicLn.Addr().String()
		}
		a.Outbound = outbound.New(outbound.Options{Store: store, Sealer: sealer, PublicURL: public,
			RotateEvery: cfg.OutboundKeyRotation, Logger: log})
	}
	a.Tokens, err = token.NewKeyRing(ctx, auth.KeyStore{Store: store}, sealer, token.Options{Logger: log})
	if err != nil {
		return fail(fmt.Errorf("token key ring: %w", err))
	}
	a.rotator = token.NewRotator(a.Tokens, 0)

	a.IAM = iamsvc.New(iamsvc.Options{Store: store, Sealer: sealer, Logger: log, Outbound: a.Outbound})
	// Roles stored by an iamd that matched trust policies by name get their named principals resolved to
	// unique IDs before any request is served.
	if n, err := a.IAM.ResolveStoredTrustPolicies(ctx); err != nil {
		return fail(err)
	} else if n > 0 {
		log.Info("resolved the principals of stored trust policies to unique IDs", "roles", n)
	}
	a.Auth = auth.New(auth.Options{
		Store:      store,
		Tokens:     a.Tokens,
		OpenSecret: func(k *storage.AccessKey) (string, error) { return iamsvc.OpenAccessKeySecret(sealer, k) },
		Dev:        cfg.Dev,
		DevAccount: cfg.AccountID,
		DevUser: func(ctx context.Context, partition, account string) (*storage.User, error) {
			return a.IAM.DevUser(ctx, partition, account, cmp.Or(cfg.DevUser, config.DefaultDevUser))
		},
		CreateAccount: func(ctx context.Context, id string) error {
			_, err := bootstrap.Account(ctx, log, store, sealer, id, "", "")
			return err
		},
		Logger: log,
	})
	a.Authz = authz.New(authz.Options{Store: store, Policies: a.IAM, Logger: log})
	a.STS = stssvc.New(stssvc.Options{Store: store, Accounts: a.Auth, Tokens: a.Tokens, Policies: a.Authz, Logger: log,
		Outbound: a.Outbound, MFA: a.IAM, Sealer: sealer, Delegations: a.IAM,
		RoleUsed: func(ctx context.Context, account, role, region string, t time.Time) {
			if err := a.IAM.RecordRoleUse(context.WithoutCancel(ctx), account, role, region, t); err != nil {
				log.WarnContext(ctx, "recording role use", "role", role, "err", err)
			}
		}})
	var mailer accountsvc.Mailer
	if cfg.SMTPURL != "" {
		m, err := accountsvc.NewSMTPMailer(cfg.SMTPURL)
		if err != nil {
			return fail(fmt.Errorf("--smtp-url: %w", err))
		}
		mailer = m
	}
	a.Account = accountsvc.New(accountsvc.Options{Store: store, TransitionDelay: cfg.RegionTransitionDelay, Logger: log,
		Sealer: sealer, Mailer: mailer})
	if t, ok := raw.(audit.Store); ok {
		a.Trail = t
	}
	if !cfg.NoAudit && a.Trail != nil {
		if cfg.AuditFile != "" {
			if a.auditLog, err = audit.OpenFileSink(cfg.AuditFile, int64(cfg.AuditFileMaxBytes), cfg.AuditFileKeep); err != nil {
				return fail(fmt.Errorf("--audit-file: %w", err))
			}
		}
		a.Recorder = audit.NewRecorder(audit.Options{Store: a.Trail, FallbackAccount: cfg.AccountID,
			Retention: cfg.AuditRetention, QueueSize: cfg.AuditQueueSize, File: a.auditLog, Logger: log})
	}
	a.History = o.history
	if a.History == nil {
		// The bare store, not the cache: events are read where they are written, never cached.
		if a.Trail != nil {
			a.History = a.Trail
		} else {
			a.History = noHistory{}
		}
	}
	a.CloudTrail = cloudtrailsvc.New(cloudtrailsvc.Options{History: a.History, Sealer: sealer, Logger: log})
	a.Server = server.New(server.Options{
		// The store itself, not the cache: readiness pings it, metrics read its statistics.
		Store: raw, Cache: a.cache, Auth: a.Auth, IAM: a.IAM, STS: a.STS, Account: a.Account, CloudTrail: a.CloudTrail, Authorizer: a.Authz,
		Admin:        adminsvc.New(adminsvc.Options{Store: store, Delegations: a.IAM, Logger: log}),
		MaxBodyBytes: cfg.MaxBodyBytes,
		Dev:          cfg.Dev,
		Reset:        a.reset,
		KeyUsed: func(ctx context.Context, keyID, service, region string, t time.Time) {
			if err := a.IAM.RecordAccessKeyUse(context.WithoutCancel(ctx), keyID, service, region, t); err != nil {
				log.WarnContext(ctx, "recording access key use", "err", err)
			}
		},
		Accessed: a.IAM.RecordServiceAccess,
		Audit:    a.Recorder,
		Logger:   log,
	})
	if p := cfg.Console(); p != "" {
		con, err := console.New(console.Options{Path: p, Store: store, Invoker: a.Server, Passwords: a.IAM,
			Sessions: a.Auth, Logger: log})
		if err != nil {
			return fail(err)
		}
		a.Server.Handle(p+"/", con)
		a.Server.Handle(p, con)
		a.Server.Handle(console.FederationPath, con)
	}
	return a, nil
}

// Start runs the background work (cache invalidation, key rotation, writing key and role uses) until ctx
// ends.
func (a *App) Start(ctx context.Context) {
	a.started = true
	go a.cache.Run(ctx)
	go a.Auth.Run(ctx)
	go a.IAM.RunUseFlusher(ctx)
	if a.Recorder != nil {
		go a.Recorder.Run(ctx)
	}
	go func() {
		if err := a.rotator.Run(ctx); err != nil && !errors.Is(err, context.Canceled) {
			a.Log.Error("token key rotation stopped", "err", err)
		}
	}()
}

// Close writes the access key and role uses still held in memory (they are written behind), then
// releases the store.
func (a *App) Close() error {
	if err := a.IAM.FlushUses(context.Background()); err != nil {
		a.Log.Warn("writing the last access key and role uses", "err", err)
	}
	if a.publicLn != nil {
		_ = a.publicLn.Close()
	}
	if a.Recorder != nil {
		// The events still queued are written before the store closes (Run was started by Start; without
		// it, nothing drains the queue and nothing is waited for).
		a.Recorder.Close()
		if a.started {
			a.Recorder.Wait()
		}
	}
	if a.auditLog != nil {
		_ = a.auditLog.Close()
	}
	return a.Store.Close()
}

// ListenAndServe serves HTTP (or HTTPS) on the configured address until ctx ends, then shuts down
// gracefully: in-flight requests finish within the shutdown timeout.
func (a *App) ListenAndServe(ctx context.Context, ready func(addr string)) error {
	srv := a.HTTPServer()
	ln, err := listen(a.Config.Listen)
	if err != nil {
		return err
	}
	ln = a.Server.WrapListener(ln, orDefault(a.Config.MaxConnections, config.DefaultMaxConnections), a.Config.MaxConnectionsPerClient)
	if ready != nil {
		ready(ln.Addr().String())
	}
	errc := make(chan error, 2)
	var public *http.Server
	if a.publicLn != nil {
		public = a.publicServer()
		a.Log.Info("iamd public listening", "addr", a.publicLn.Addr().String())
		// Unauthenticated clients get the same bounds on connections as the API's, counted apart.
		pln := a.Server.WrapListener(a.publicLn, orDefault(a.Config.MaxConnections, config.DefaultMaxConnections), a.Config.MaxConnectionsPerClient)
		go func() { errc <- public.Serve(pln) }()
	}
	go func() {
		if a.Config.TLSCert != "" {
			errc <- srv.ServeTLS(ln, a.Config.TLSCert, a.Config.TLSKey)
		} else {
			errc <- srv.Serve(ln)
		}
	}()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	a.Log.Info("shutting down: finishing in-flight requests", "timeout", a.Config.ShutdownTimeout)
	sctx, cancel := context.WithTimeout(context.Background(), a.Config.ShutdownTimeout)
	defer cancel()
	if public != nil {
		_ = public.Shutdown(sctx)
	}
	return srv.Shutdown(sctx)
}

// publicServer serves the outbound federation issuers' public documents (no authentication: they hold
// public keys only) with the API's timeouts. TLS is left to a proxy in front, whose URL is --public-url.
func (a *App) publicServer() *http.Server {
	read := orDefault(a.Config.ReadTimeout, config.DefaultReadTimeout)
	return &http.Server{Handler: a.Outbound.Handler(),
		ReadHeaderTimeout: min(maxHeaderWait, read),
		ReadTimeout:       read,
		WriteTimeout:      orDefault(a.Config.WriteTimeout, config.DefaultWriteTimeout),
		IdleTimeout:       orDefault(a.Config.IdleTimeout, config.DefaultIdleTimeout),
		MaxHeaderBytes:    publicMaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(a.Log.Handler(), slog.LevelWarn)}
}

// publicMaxHeaderBytes bounds a request's headers on the public listener: its GET requests need none
// beyond a few standard ones.
const publicMaxHeaderBytes = 8 << 10

// maxHeaderWait bounds the time a request's headers may take to arrive (the read timeout, if shorter,
// bounds it too): SDKs send them in one write.
const maxHeaderWait = 10 * time.Second

// HTTPServer is the http.Server of the API with the configured timeouts: a request must arrive whole
// within the read timeout, be answered within the write timeout, and an idle keep-alive connection is
// closed after the idle timeout, so that no client can hold a connection (and its file descriptor) forever.
func (a *App) HTTPServer() *http.Server {
	read := orDefault(a.Config.ReadTimeout, config.DefaultReadTimeout)
	return &http.Server{Addr: a.Config.Listen, Handler: a.Server,
		ReadHeaderTimeout: min(maxHeaderWait, read),
		ReadTimeout:       read,
		WriteTimeout:      orDefault(a.Config.WriteTimeout, config.DefaultWriteTimeout),
		IdleTimeout:       orDefault(a.Config.IdleTimeout, config.DefaultIdleTimeout),
		ErrorLog:          slog.NewLogLogger(a.Log.Handler(), slog.LevelWarn)}
}

// orDefault is v, or def when v is zero (configurations built in code leave settings out).
func orDefault[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

func listen(addr string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listening on %s: %w", addr, err)
	}
	return ln, nil
}
