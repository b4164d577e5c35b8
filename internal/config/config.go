// Package config holds the settings of an iamd server and reads them from command-line flags, each of which
// can also be given as an IAMD_* environment variable (the flag wins when both are set).
package config

import (
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/iamd/iamd/internal/audit"
	"github.com/iamd/iamd/internal/ids"
)

// Defaults of the settings that have one.
const (
	DefaultListen = "127.0.0.1:8300"
	// DefaultPublicListen is the address of the unauthenticated listener serving the outbound web
	// identity federation issuers' OpenID documents: none unless configured, as it is a second port.
	DefaultPublicListen = ""
	// DefaultOutboundKeyRotation is how long an outbound federation signing key signs before the next.
	DefaultOutboundKeyRotation   = 7 * 24 * time.Hour
	DefaultDataDir               = "./data"
	DefaultAccountID             = "123456789012"
	DefaultRegionTransitionDelay = 5 * time.Second
	DefaultMaxBodyBytes          = 1 << 20 // AWS rejects query requests over about 1 MB as well
	DefaultShutdownTimeout       = 20 * time.Second
	// DefaultReadTimeout is how long a request, body included, may take to arrive once its first byte
	// has: a client sending its body a byte at a time would otherwise hold its connection forever.
	// AWS's API front ends give a request about as long.
	DefaultReadTimeout = 30 * time.Second
	// DefaultWriteTimeout bounds the time from the end of a request's headers to the end of its response
	// (reading the body, serving it and writing the answer to a client that may not read it).
	DefaultWriteTimeout = 60 * time.Second
	// DefaultIdleTimeout closes a keep-alive connection that sends no new request, as AWS's front ends do
	// after about a minute.
	DefaultIdleTimeout = 60 * time.Second
	// DefaultMaxConnections bounds the client connections open at once, well below the file descriptors
	// a process gets (Go raises the soft limit to the hard one, typically 524288 or more).
	DefaultMaxConnections = 10_000
	// DefaultDevUser is the user unknown keys act as in dev mode: moto answers GetCallerIdentity for made-up
	// keys as user/moto, so suites written for moto that check the caller's name or build ARNs from it
	// work unchanged.
	DefaultDevUser = "moto"
	// DefaultConsolePath is where the web console is served; ConsoleOff switches it off.
	DefaultConsolePath = "/console"
	ConsoleOff         = "off"
	// DefaultUnknownKeyCacheSize is how many unknown access key IDs the authenticator remembers.
	DefaultUnknownKeyCacheSize = 10_000
)

// Config is the whole configuration of a server process.
type Config struct {
	Listen string
	// ConsolePath is where the web console is served ("" selects DefaultConsolePath); ConsoleOff
	// switches it off.
	ConsolePath string
	// PublicListen is the address of the public listener (outbound federation issuers' discovery documents
	// and JWKS, no authentication); "off" disables it. PublicURL is its externally visible base URL (the
	// issuers' URLs start with it); empty means http://PublicListen.
	PublicListen string
	PublicURL    string
	// OutboundKeyRotation is how long an outbound federation signing key signs; zero selects the default.
	OutboundKeyRotation time.Duration
	DataDir             string
	DatabaseURL         string // postgres://… selects PostgreSQL; empty means SQLite under DataDir
	AccountID           string // the default account created in a fresh store
	Dev                 bool
	// DevUser names the administrator IAM user that unknown access keys act as in dev mode.
	DevUser string
	// DatabaseNoGroupCommit gives every write on PostgreSQL a transaction of its own instead of batching a
	// node's concurrent writes into one (an escape hatch; batching is the default on both backends).
	DatabaseNoGroupCommit bool

	RootAccessKeyID     string
	RootSecretAccessKey string
	MasterKey           string // base64; empty: DataDir/master.key (created if absent)
	// Files holding the two secrets above, which ReadSecretFiles reads into them: argv (and, less so, the
	// environment) can be read by other local users, a 0600 file cannot.
	RootSecretAccessKeyFile, MasterKeyFile string

	RegionTransitionDelay time.Duration
	MaxBodyBytes          int64
	ShutdownTimeout       time.Duration
	LogLevel              string
	LogFormat             string // text or json
	TLSCert, TLSKey       string

	// ReadTimeout, WriteTimeout and IdleTimeout bound how long a connection may be held (see the
	// defaults); MaxConnections how many are served at once. Zero selects the default.
	ReadTimeout    time.Duration
	WriteTimeout   time.Duration
	IdleTimeout    time.Duration
	MaxConnections int
	// MaxConnectionsPerClient bounds the connections open from one IP address; zero: no bound.
	MaxConnectionsPerClient int
	// UnknownKeyCacheSize bounds the remembered unknown access key IDs; zero selects the default.
	UnknownKeyCacheSize int
	// NoAudit turns the audit trail off (it is on by default: every IAM, STS and Account API call leaves
	// an event). AuditRetention is how long events are kept, AuditQueueSize bounds the events written
	// behind (zero selects the defaults of package audit). AuditFile, when set, also receives every
	// event as a JSON line, rotated past AuditFileMaxBytes with AuditFileKeep rotated files kept.
	NoAudit           bool
	AuditRetention    time.Duration
	AuditQueueSize    int
	AuditFile         string
	AuditFileMaxBytes int
	AuditFileKeep     int
	// SMTPURL (smtp://user:password@host:port?from=address) is where the Account API mails the one-time
	// codes of primary e-mail updates; empty writes them to the log at warn instead.
	SMTPURL string
}

// Flag describes one setting for the README's configuration table.
type Flag struct {
	Name, Env, Default, Usage string
}

// Bind registers the serve flags on fs, with defaults taken from the environment, and returns the config
// they fill in and the list of settings (for documentation).
func Bind(fs *flag.FlagSet) (*Config, []Flag) {
	c := &Config{}
	var flags []Flag
	str := func(p *string, name, def, usage string) {
		env := envName(name)
		flags = append(flags, Flag{name, env, def, usage})
		fs.StringVar(p, name, getenv(env, def), usage+" (env "+env+")")
	}
	boolean := func(p *bool, name string, usage string) {
		env := envName(name)
		flags = append(flags, Flag{name, env, "false", usage})
		v, _ := strconv.ParseBool(os.Getenv(env))
		fs.BoolVar(p, name, v, usage+" (env "+env+")")
	}
	duration := func(p *time.Duration, name string, def time.Duration, usage string) {
		env := envName(name)
		flags = append(flags, Flag{name, env, def.String(), usage})
		if v, err := time.ParseDuration(os.Getenv(env)); err == nil {
			def = v
		}
		fs.DurationVar(p, name, def, usage+" (env "+env+")")
	}
	str(&c.Listen, "listen", DefaultListen, "address to listen on")
	str(&c.ConsolePath, "console-path", DefaultConsolePath, "path the web console is served under; \"off\" switches the console off")
	str(&c.PublicListen, "public-listen", DefaultPublicListen, "address of the unauthenticated listener serving outbound web identity federation issuers (OpenID discovery and JWKS); empty: none, and the federation operations answer NotImplemented unless --public-url is set")
	str(&c.PublicURL, "public-url", "", "externally visible https base URL of --public-listen, prefix of every issuer URL (default http://PUBLIC-LISTEN)")
	str(&c.DataDir, "data-dir", DefaultDataDir, "directory of the embedded SQLite store, the master key and the root credentials file")
	str(&c.DatabaseURL, "database-url", "", "postgres://… URL: use PostgreSQL instead of SQLite (several nodes may share it)")
	boolean(&c.DatabaseNoGroupCommit, "database-no-group-commit", "PostgreSQL: commit each write in a transaction of its own instead of batching a node's concurrent writes into one")
	str(&c.AccountID, "account-id", DefaultAccountID, "ID of the default account created in a fresh store")
	boolean(&c.Dev, "dev", "development mode (moto/LocalStack style): unknown access keys are accepted unsigned as an administrator user, request times are not checked, POST /moto-api/reset wipes all state; never in production")
	str(&c.DevUser, "dev-user", DefaultDevUser, "dev mode: name of the administrator IAM user unknown access keys act as (created with AdministratorAccess in each account on first use)")
	str(&c.RootAccessKeyID, "root-access-key-id", "", "preset access key ID of the default account's root (CI and scripts)")
	str(&c.RootSecretAccessKey, "root-secret-access-key", "", "preset secret access key of the default account's root")
	str(&c.MasterKey, "master-key", "", "master key sealing secrets at rest, base64 of 32 bytes; default: DATA-DIR/master.key, created if absent (several nodes must share one)")
	str(&c.RootSecretAccessKeyFile, "root-secret-access-key-file", "", "file holding the preset root secret (prefer it, or the variable, to the flag: other local users can read a process's arguments)")
	str(&c.MasterKeyFile, "master-key-file", "", "file holding the master key (prefer it, or the variable, to --master-key: other local users can read a process's arguments)")
	duration(&c.RegionTransitionDelay, "region-transition-delay", DefaultRegionTransitionDelay, "how long an opt-in region stays ENABLING/DISABLING (0 for immediate)")
	str(&c.LogLevel, "log-level", "info", "debug, info, warn or error")
	str(&c.LogFormat, "log-format", "text", "text or json")
	str(&c.TLSCert, "tls-cert", "", "PEM certificate: serve HTTPS")
	str(&c.TLSKey, "tls-key", "", "PEM private key for --tls-cert")
	str(&c.SMTPURL, "smtp-url", "", "smtp://[user:password@]host[:port]?from=address: mail the Account API's primary e-mail update codes (STARTTLS when offered); unset: write them to the log at warn")
	duration(&c.ShutdownTimeout, "shutdown-timeout", DefaultShutdownTimeout, "how long in-flight requests may run after SIGTERM")
	duration(&c.ReadTimeout, "read-timeout", DefaultReadTimeout, "how long a request, body included, may take to arrive")
	duration(&c.WriteTimeout, "write-timeout", DefaultWriteTimeout, "how long from the end of a request's headers to the end of its response")
	duration(&c.IdleTimeout, "idle-timeout", DefaultIdleTimeout, "how long an idle keep-alive connection stays open")
	duration(&c.OutboundKeyRotation, "outbound-key-rotation", DefaultOutboundKeyRotation, "how long an outbound web identity federation signing key signs before a new one takes over (retired keys stay in the JWKS until their tokens expire)")
	integer := func(p *int, name string, def int, usage string) {
		env := envName(name)
		flags = append(flags, Flag{name, env, strconv.Itoa(def), usage})
		if v, err := strconv.Atoi(os.Getenv(env)); err == nil && v > 0 {
			def = v
		}
		fs.IntVar(p, name, def, usage+" (env "+env+")")
	}
	integer(&c.MaxConnections, "max-connections", DefaultMaxConnections, "most client connections open at once; more are closed on accept")
	integer(&c.MaxConnectionsPerClient, "max-connections-per-client", 0, "most connections open at once from one IP address (0: no bound; leave it off behind a proxy, whose address every client shares)")
	boolean(&c.NoAudit, "no-audit", "turn the audit trail off (by default every IAM, STS and Account API call, allowed or refused, is recorded as a CloudTrail event)")
	duration(&c.AuditRetention, "audit-retention", audit.DefaultRetention, "how long audit events are kept (CloudTrail's event history keeps 90 days)")
	integer(&c.AuditQueueSize, "audit-queue-size", audit.DefaultQueueSize, "most audit events waiting to be written behind; when full, new events of reads and refusals are dropped and counted (iamd_audit_events_dropped_total)")
	str(&c.AuditFile, "audit-file", "", "also append every audit event to this file as a JSON line (CloudTrail record), for log shippers")
	integer(&c.AuditFileMaxBytes, "audit-file-max-bytes", audit.DefaultFileMaxBytes, "size past which --audit-file is rotated to FILE.1, FILE.2, …")
	integer(&c.AuditFileKeep, "audit-file-keep", audit.DefaultFileKeep, "rotated audit files kept (the oldest beyond are deleted)")
	integer(&c.UnknownKeyCacheSize, "unknown-key-cache-size", DefaultUnknownKeyCacheSize, "how many unknown access key IDs are remembered (saves a store read per repeated bad key)")
	{
		env := envName("max-body-bytes")
		def := int64(DefaultMaxBodyBytes)
		if v, err := strconv.ParseInt(os.Getenv(env), 10, 64); err == nil && v > 0 {
			def = v
		}
		usage := "largest request body accepted, in bytes (larger ones get 413 RequestEntityTooLarge)"
		flags = append(flags, Flag{"max-body-bytes", env, strconv.Itoa(DefaultMaxBodyBytes), usage})
		fs.Int64Var(&c.MaxBodyBytes, "max-body-bytes", def, usage+" (env "+env+")")
	}
	return c, flags
}

// Validate checks the settings that cannot be checked flag by flag.
func (c *Config) Validate() error {
	if c.PublicURL != "" {
		u, err := url.Parse(c.PublicURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
			return fmt.Errorf("--public-url must be an http(s)://HOST[:PORT][/PATH] URL without query or fragment, got %q", c.PublicURL)
		}
	}
	if c.ConsolePath != "" && c.ConsolePath != ConsoleOff && !validConsolePath(c.ConsolePath) {
		return fmt.Errorf("--console-path must be \"off\" or a path such as /console (letters, digits and -_./, not ending in /, not under a path the server serves itself), got %q", c.ConsolePath)
	}
	if c.AuditRetention < 0 || c.AuditQueueSize < 0 || c.AuditFileMaxBytes < 0 || c.AuditFileKeep < 0 {
		return fmt.Errorf("--audit-retention, --audit-queue-size, --audit-file-max-bytes and --audit-file-keep must not be negative")
	}
	if c.OutboundKeyRotation < 0 {
		return fmt.Errorf("--outbound-key-rotation must not be negative")
	}
	if len(c.AccountID) != 12 || strings.Trim(c.AccountID, "0123456789") != "" {
		return fmt.Errorf("--account-id must be 12 digits, got %q", c.AccountID)
	}
	// Empty selects DefaultDevUser (configurations built in code often leave it out).
	if c.DevUser != "" && !validUserName(c.DevUser) {
		return fmt.Errorf("--dev-user must be an IAM user name (1 to 64 of A-Z a-z 0-9 and +=,.@_-), got %q", c.DevUser)
	}
	if (c.RootAccessKeyID == "") != (c.RootSecretAccessKey == "") {
		return fmt.Errorf("IAMD_ROOT_ACCESS_KEY_ID and IAMD_ROOT_SECRET_ACCESS_KEY must be given together")
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		return fmt.Errorf("--tls-cert and --tls-key must be given together")
	}
	// Zero is left to the server's default (configurations built in code often leave it out).
	if c.MaxBodyBytes < 0 {
		return fmt.Errorf("--max-body-bytes must not be negative, got %d", c.MaxBodyBytes)
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"read-timeout", c.ReadTimeout}, {"write-timeout", c.WriteTimeout}, {"idle-timeout", c.IdleTimeout}} {
		if d.v < 0 {
			return fmt.Errorf("--%s must not be negative, got %v", d.name, d.v)
		}
	}
	if c.MaxConnections < 0 {
		return fmt.Errorf("--max-connections must not be negative, got %d", c.MaxConnections)
	}
	if c.MaxConnectionsPerClient < 0 {
		return fmt.Errorf("--max-connections-per-client must not be negative, got %d", c.MaxConnectionsPerClient)
	}
	if c.UnknownKeyCacheSize < 0 {
		return fmt.Errorf("--unknown-key-cache-size must not be negative, got %d", c.UnknownKeyCacheSize)
	}
	// The authenticator refuses any other key ID before looking it up, so such a root key could never sign.
	if c.RootAccessKeyID != "" && !ids.IsAccessKeyIDSyntax(c.RootAccessKeyID) {
		return fmt.Errorf("--root-access-key-id must be %d to %d characters of A-Z and 0-9, got %q",
			ids.MinAccessKeyIDLength, ids.MaxAccessKeyIDLength, c.RootAccessKeyID)
	}
	if c.RegionTransitionDelay < 0 {
		return fmt.Errorf("--region-transition-delay must not be negative")
	}
	switch c.LogFormat {
	case "text", "json":
	default:
		return fmt.Errorf("--log-format must be text or json, got %q", c.LogFormat)
	}
	return nil
}

// maxSecretFileBytes bounds what is read from a secret file: a secret access key is 40 characters and a
// master key 44; anything near this size is the wrong file.
const maxSecretFileBytes = 4096

// ReadSecretFiles reads --root-secret-access-key-file and --master-key-file (or their IAMD_*_FILE
// variables) into the settings they stand for, trimming the file's trailing newline, and clears them, so
// a second call does nothing. A secret given both directly and as a file is refused.
func (c *Config) ReadSecretFiles() error {
	for _, s := range []struct {
		value, file *string
		name        string
	}{{&c.RootSecretAccessKey, &c.RootSecretAccessKeyFile, "root-secret-access-key"}, {&c.MasterKey, &c.MasterKeyFile, "master-key"}} {
		if *s.file == "" {
			continue
		}
		if *s.value != "" {
			return fmt.Errorf("--%s (%s) and --%s-file (%s_FILE) are both set: give one", s.name, envName(s.name), s.name, envName(s.name))
		}
		f, err := os.Open(*s.file)
		if err != nil {
			return fmt.Errorf("--%s-file: %w", s.name, err)
		}
		b, err := io.ReadAll(io.LimitReader(f, maxSecretFileBytes+1))
		f.Close()
		if err != nil {
			return fmt.Errorf("--%s-file: %w", s.name, err)
		}
		v := strings.TrimRight(string(b), "\r\n")
		if len(b) > maxSecretFileBytes || v == "" {
			return fmt.Errorf("--%s-file %s: must hold the secret alone (it is empty or larger than %d bytes)", s.name, *s.file, maxSecretFileBytes)
		}
		*s.value, *s.file = v, ""
	}
	return nil
}

func envName(flagName string) string {
	return "IAMD_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

func getenv(name, def string) string {
	if v, ok := os.LookupEnv(name); ok {
		return v
	}
	return def
}

// validUserName reports whether s is an IAM user name: 1 to 64 of the characters CreateUser accepts.
func validUserName(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("+=,.@_-", c) >= 0) {
			return false
		}
	}
	return true
}

// validConsolePath reports whether p can be the console's path: a clean absolute path below the root
// that none of the server's own endpoints (health, metrics, admin API, reset endpoints) lies under.
func validConsolePath(p string) bool {
	if len(p) < 2 || p[0] != '/' || strings.HasSuffix(p, "/") || path.Clean(p) != p || len(p) > 100 {
		return false
	}
	for _, r := range p {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./", r)) {
			return false
		}
	}
	first := strings.SplitN(p[1:], "/", 2)[0]
	switch first {
	case "healthz", "readyz", "metrics", "iamd", "moto-api", "_localstack", "global", "federation":
		return false
	}
	return true
}

// Console returns the console's path, "" when it is off.
func (c *Config) Console() string {
	switch c.ConsolePath {
	case ConsoleOff:
		return ""
	case "":
		return DefaultConsolePath
	}
	return c.ConsolePath
}
