// Package app assembles an iamd server from its configuration: it opens the store, loads the master key,
// creates the default account and its root credentials, builds the token key ring, the authenticator, the
// services and the HTTP server. cmd/iamd and the end-to-end tests both start servers through it.
package app

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/iamd/iamd/internal/auth"
	"github.com/iamd/iamd/internal/authz"
	"github.com/iamd/iamd/internal/config"
	"github.com/iamd/iamd/internal/ids"
	"github.com/iamd/iamd/internal/secrets"
	"github.com/iamd/iamd/internal/server"
	accountsvc "github.com/iamd/iamd/internal/service/account"
	iamsvc "github.com/iamd/iamd/internal/service/iam"
	stssvc "github.com/iamd/iamd/internal/service/sts"
	"github.com/iamd/iamd/internal/storage"
	"github.com/iamd/iamd/internal/storage/cache"
	"github.com/iamd/iamd/internal/storage/postgres"
	"github.com/iamd/iamd/internal/storage/sqlite"
	"github.com/iamd/iamd/internal/token"
)

// RootCredentialsFile is the file in the data directory that receives generated root credentials.
const RootCredentialsFile = "root-credentials"

// maxPresetRootKeys bounds the account's record of preset root keys start-up created (the account row
// is read on every request's account lookup); past it the oldest entry goes, and that key, if deleted,
// could be preset again. Operators change the preset key a handful of times at most.
const maxPresetRootKeys = 16

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
	Authz   *authz.Authorizer
	Server  *server.Server
	Log     *slog.Logger
	// Now is the clock of the admin API and of bootstrap (time.Now unless a test sets it).
	Now func() time.Time
	// RootCredentials is set when New generated the default account's root key (print it once).
	RootCredentials *Credentials

	rotator *token.Rotator
	cache   *cache.Store // the store as every service reads it (Store is the same)
}

// Credentials is an access key pair.
type Credentials struct {
	AccountID       string
	AccessKeyID     string
	SecretAccessKey string
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
// data directory.
func LoadSealer(ctx context.Context, cfg *config.Config, log *slog.Logger) (*secrets.Sealer, error) {
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	getenv := func(name string) string {
		if name == secrets.EnvMasterKey && cfg.MasterKey != "" {
			return cfg.MasterKey
		}
		return os.Getenv(name)
	}
	key, err := secrets.LoadMasterKey(ctx, log, cfg.DataDir, getenv)
	if err != nil {
		return nil, err
	}
	return secrets.NewSealer(key)
}

// New assembles a server. The caller runs it with Run (or uses Server as a handler after Start) and closes
// it with Close.
func New(ctx context.Context, cfg *config.Config, log *slog.Logger) (*App, error) {
	if err := cfg.ReadSecretFiles(); err != nil {
		return nil, err
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.Default()
	}
	a := &App{Config: cfg, Log: log, Now: time.Now}
	// Whether this start generates the master key file: if the store then turns out to hold secrets
	// sealed with another key, the new file is removed again, so that restoring the right one is all
	// the operator has to do.
	keyFile := filepath.Join(cfg.DataDir, secrets.MasterKeyFile)
	_, statErr := os.Stat(keyFile)
	newKeyFile := cfg.MasterKey == "" && os.Getenv(secrets.EnvMasterKey) == "" && errors.Is(statErr, fs.ErrNotExist)
	sealer, err := LoadSealer(ctx, cfg, log)
	if err != nil {
		return nil, err
	}
	a.Sealer = sealer
	if cfg.DatabaseURL != "" && cfg.MasterKey == "" && os.Getenv(secrets.EnvMasterKey) == "" {
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
		_ = store.Close()
		return nil, err
	}
	// Nothing may be written before the master key is proven right (see CheckMasterKey).
	if err := CheckMasterKey(ctx, store, sealer, cfg.AccountID, cfg.RootAccessKeyID); err != nil {
		if newKeyFile && errors.Is(err, ErrWrongMasterKey) {
			_ = os.Remove(keyFile)
			err = fmt.Errorf("no master key was configured and %s did not exist, but the store holds sealed secrets: "+
				"restore the master key file or set IAMD_MASTER_KEY (the key generated just now was removed again): %w", keyFile, err)
		}
		return fail(err)
	}
	root, err := Bootstrap(ctx, log, store, sealer, cfg.AccountID, cfg.RootAccessKeyID, cfg.RootSecretAccessKey)
	if err != nil {
		return fail(err)
	}
	a.RootCredentials = root
	if root != nil {
		if err := writeRootCredentials(cfg.DataDir, root); err != nil {
			return fail(err)
		}
	}
	a.Tokens, err = token.NewKeyRing(ctx, auth.KeyStore{Store: store}, sealer, token.Options{Logger: log})
	if err != nil {
		return fail(fmt.Errorf("token key ring: %w", err))
	}
	a.rotator = token.NewRotator(a.Tokens, 0)

	a.IAM = iamsvc.New(iamsvc.Options{Store: store, Sealer: sealer, Logger: log})
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
		CreateAccount: func(ctx context.Context, id string) error {
			_, err := Bootstrap(ctx, log, store, sealer, id, "", "")
			return err
		},
		Logger: log,
	})
	a.Authz = authz.New(authz.Options{Store: store, Policies: a.IAM, Logger: log})
	a.STS = stssvc.New(stssvc.Options{Store: store, Accounts: a.Auth, Tokens: a.Tokens, Policies: a.Authz, Logger: log,
		RoleUsed: func(ctx context.Context, account, role, region string, t time.Time) {
			if err := a.IAM.RecordRoleUse(context.WithoutCancel(ctx), account, role, region, t); err != nil {
				log.Warn("recording role use", "role", role, "err", err)
			}
		}})
	a.Account = accountsvc.New(accountsvc.Options{Store: store, TransitionDelay: cfg.RegionTransitionDelay, Logger: log})
	a.Server = server.New(server.Options{
		// The store itself, not the cache: readiness pings it, metrics read its statistics.
		Store: raw, Auth: a.Auth, IAM: a.IAM, STS: a.STS, Account: a.Account, Authorizer: a.Authz,
		Admin:        NewAdmin(a),
		MaxBodyBytes: cfg.MaxBodyBytes,
		Dev:          cfg.Dev,
		Reset:        a.reset,
		KeyUsed: func(ctx context.Context, keyID, service, region string, t time.Time) {
			if err := a.IAM.RecordAccessKeyUse(context.WithoutCancel(ctx), keyID, service, region, t); err != nil {
				log.Warn("recording access key use", "err", err)
			}
		},
		Logger: log,
	})
	return a, nil
}

// Start runs the background work (cache invalidation, key rotation, writing key and role uses) until ctx
// ends.
func (a *App) Start(ctx context.Context) {
	go a.cache.Run(ctx)
	go a.Auth.Run(ctx)
	go a.IAM.RunUseFlusher(ctx)
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
	return a.Store.Close()
}

// reset returns the server to a fresh state: every account is deleted and the default account is made
// again with the configured root key (dev mode only).
func (a *App) reset(ctx context.Context) error {
	err := a.Store.Update(ctx, func(tx storage.Tx) error {
		for {
			accts, err := tx.ListAccounts(ctx, storage.ListOptions{Limit: 100})
			if err != nil {
				return err
			}
			if len(accts) == 0 {
				return nil
			}
			for _, acct := range accts {
				if err := tx.DeleteAccount(ctx, acct.ID); err != nil {
					return err
				}
			}
		}
	})
	if err != nil {
		return fmt.Errorf("reset: %w", err)
	}
	root, err := Bootstrap(ctx, a.Log, a.Store, a.Sealer, a.Config.AccountID, a.Config.RootAccessKeyID, a.Config.RootSecretAccessKey)
	if err != nil {
		return err
	}
	if root != nil {
		return writeRootCredentials(a.Config.DataDir, root)
	}
	return nil
}

// accessKeyAAD binds a sealed secret to its key ID, as the IAM service seals them.
func accessKeyAAD(keyID string) []byte { return iamsvc.AccessKeyAssociatedData(keyID) }

// ErrWrongMasterKey is returned when the master key does not open what the store already holds sealed.
var ErrWrongMasterKey = errors.New("the master key does not open the secrets already in the store")

// wrongMasterKey explains ErrWrongMasterKey to the operator: what did not open and where the key came from.
func wrongMasterKey(what string, err error) error {
	return fmt.Errorf("%w (%s: %w): this is most likely the wrong master key (IAMD_MASTER_KEY, --master-key, "+
		"--master-key-file or DATA-DIR/%s); every node sharing a database must use the same one; nothing was written",
		ErrWrongMasterKey, what, err, secrets.MasterKeyFile)
}

// CheckMasterKey proves the master key right before start-up writes anything: it opens every sealed
// token key and the sealed secrets of the account's root access keys (and of the preset key, wherever it
// is). A store holding nothing sealed yet (a fresh one) passes. Start-up must not write first: a node given
// the wrong key would otherwise re-seal shared secrets with it and break every node that has the right one.
func CheckMasterKey(ctx context.Context, store storage.Store, sealer *secrets.Sealer, accountID, presetID string) error {
	if _, err := token.CheckKeys(ctx, auth.KeyStore{Store: store}, sealer); err != nil {
		if errors.Is(err, secrets.ErrOpen) {
			return wrongMasterKey("token key ring", err)
		}
		return err
	}
	var keys []*storage.AccessKey
	err := store.View(ctx, func(tx storage.Tx) error {
		keys = nil
		if presetID != "" {
			k, err := tx.GetAccessKey(ctx, presetID)
			if err == nil {
				keys = append(keys, k)
			} else if !errors.Is(err, storage.ErrNotFound) {
				return err
			}
		}
		root, err := tx.ListAccessKeys(ctx, accountID, "")
		if errors.Is(err, storage.ErrNotFound) {
			return nil // no such account yet
		}
		keys = append(keys, root...)
		return err
	})
	if err != nil {
		return fmt.Errorf("checking the master key: %w", err)
	}
	for _, k := range keys {
		if _, err := sealer.Open(k.SecretSealed, accessKeyAAD(k.ID)); err != nil {
			return wrongMasterKey("secret of access key "+k.ID, err)
		}
	}
	return nil
}

// Bootstrap makes sure the account exists and has a root access key, and proves the master key on the
// key it finds (in the same transaction as any write, so that nodes starting at once cannot seal with
// different keys).
//
// With a preset key (ID and secret): the key is created when no key with that ID exists and the account
// never had it; an existing one must hold the preset secret (else start-up is refused rather than the stored
// secret overwritten) and keeps its status, so a key the operator deactivated stays inactive. A preset key
// that Bootstrap created once and that is gone since was deleted through the API: like AWS, which never
// brings back a deleted key, it is not made again (log says so).
//
// Without a preset key, when the root has no key at all, one is generated and returned so that the caller
// can hand it out once. log may be nil (slog.Default).
func Bootstrap(ctx context.Context, log *slog.Logger, store storage.Store, sealer *secrets.Sealer, accountID, presetID, presetSecret string) (*Credentials, error) {
	if !ids.IsAccountID(accountID) {
		return nil, fmt.Errorf("account ID %q is not 12 digits", accountID)
	}
	if log == nil {
		log = slog.Default()
	}
	var (
		generated     *Credentials
		presetDeleted bool
	)
	err := store.Update(ctx, func(tx storage.Tx) error {
		generated, presetDeleted = nil, false
		acct, err := tx.GetAccount(ctx, accountID)
		if errors.Is(err, storage.ErrNotFound) {
			acct = &storage.Account{ID: accountID, CreatedAt: time.Now().UTC().Truncate(time.Second), GlobalEndpointTokenVersion: 1}
			if err := tx.CreateAccount(ctx, acct); err != nil {
				return err
			}
		} else if err != nil {
			return err
		}
		if presetID != "" {
			return bootstrapPreset(ctx, tx, sealer, acct, presetID, presetSecret, &presetDeleted)
		}
		keys, err := tx.ListAccessKeys(ctx, accountID, "")
		if err != nil {
			return err
		}
		if len(keys) > 0 {
			if _, err := sealer.Open(keys[0].SecretSealed, accessKeyAAD(keys[0].ID)); err != nil {
				return wrongMasterKey("secret of access key "+keys[0].ID, err)
			}
			return nil
		}
		id, err := ids.NewAccessKeyID(ids.PrefixAccessKey, accountID)
		if err != nil {
			return err
		}
		secret := ids.NewSecretAccessKey()
		sealed, err := sealer.Seal([]byte(secret), accessKeyAAD(id))
		if err != nil {
			return err
		}
		if err := tx.CreateAccessKey(ctx, &storage.AccessKey{ID: id, AccountID: accountID, SecretSealed: sealed,
			Status: storage.StatusActive, CreatedAt: time.Now().UTC().Truncate(time.Second)}); err != nil {
			return err
		}
		generated = &Credentials{AccountID: accountID, AccessKeyID: id, SecretAccessKey: secret}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("bootstrapping account %s: %w", accountID, err)
	}
	if presetDeleted {
		log.WarnContext(ctx, "the preset root access key was deleted through the API and is not created again; "+
			"unset IAMD_ROOT_ACCESS_KEY_ID/--root-access-key-id or preset a new key", "account", accountID, "access_key_id", presetID)
	}
	return generated, nil
}

// bootstrapPreset is Bootstrap's part for a preset root key, inside its transaction.
func bootstrapPreset(ctx context.Context, tx storage.Tx, sealer *secrets.Sealer, acct *storage.Account, presetID, presetSecret string, deleted *bool) error {
	k, err := tx.GetAccessKey(ctx, presetID)
	switch {
	case errors.Is(err, storage.ErrNotFound):
		if slices.Contains(acct.PresetRootKeys, presetID) {
			*deleted = true
			return nil
		}
		sealed, err := sealer.Seal([]byte(presetSecret), accessKeyAAD(presetID))
		if err != nil {
			return err
		}
		if err := tx.CreateAccessKey(ctx, &storage.AccessKey{ID: presetID, AccountID: acct.ID, SecretSealed: sealed,
			Status: storage.StatusActive, CreatedAt: time.Now().UTC().Truncate(time.Second)}); err != nil {
			return err
		}
		if len(acct.PresetRootKeys) >= maxPresetRootKeys {
			acct.PresetRootKeys = acct.PresetRootKeys[1:]
		}
		acct.PresetRootKeys = append(acct.PresetRootKeys, presetID)
		return tx.UpdateAccount(ctx, acct)
	case err != nil:
		return err
	case k.AccountID != acct.ID || k.UserName != "":
		return fmt.Errorf("preset root access key %s already belongs to another principal", presetID)
	}
	stored, err := sealer.Open(k.SecretSealed, accessKeyAAD(k.ID))
	if err != nil {
		return wrongMasterKey("secret of access key "+k.ID, err)
	}
	if subtle.ConstantTimeCompare(stored, []byte(presetSecret)) != 1 {
		return fmt.Errorf("the preset secret access key does not match the one stored for root access key %s; "+
			"refusing to overwrite it (give the key's current secret, or preset another key ID)", presetID)
	}
	return nil
}

// writeRootCredentials writes generated root credentials to a 0600 file in the AWS shared-credentials
// format, so `AWS_SHARED_CREDENTIALS_FILE=DATA/root-credentials AWS_PROFILE=iamd` works.
func writeRootCredentials(dataDir string, c *Credentials) error {
	path := filepath.Join(dataDir, RootCredentialsFile)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("writing root credentials: %w", err)
	}
	_, err = fmt.Fprintf(f, "# root user of account %s, generated by iamd\n[iamd]\naws_access_key_id = %s\naws_secret_access_key = %s\n",
		c.AccountID, c.AccessKeyID, c.SecretAccessKey)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// PrintRootCredentials tells the operator the generated root credentials, once.
func PrintRootCredentials(w io.Writer, dataDir string, c *Credentials) {
	fmt.Fprintf(w, "Generated root credentials for account %s (also in %s, mode 0600):\n  AWS_ACCESS_KEY_ID=%s\n  AWS_SECRET_ACCESS_KEY=%s\n",
		c.AccountID, filepath.Join(dataDir, RootCredentialsFile), c.AccessKeyID, c.SecretAccessKey)
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
	errc := make(chan error, 1)
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
	return srv.Shutdown(sctx)
}

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
