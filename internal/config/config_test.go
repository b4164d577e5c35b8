package config

import (
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func bind(t *testing.T, args ...string) (*Config, []Flag, error) {
	t.Helper()
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	c, flags := Bind(fs)
	return c, flags, fs.Parse(args)
}

func TestDefaults(t *testing.T) {
	for _, f := range []string{"IAMD_LISTEN", "IAMD_DATA_DIR", "IAMD_ACCOUNT_ID", "IAMD_DEV", "IAMD_MAX_BODY_BYTES",
		"IAMD_REGION_TRANSITION_DELAY", "IAMD_LOG_FORMAT", "IAMD_READ_TIMEOUT", "IAMD_WRITE_TIMEOUT", "IAMD_IDLE_TIMEOUT",
		"IAMD_MAX_CONNECTIONS", "IAMD_UNKNOWN_KEY_CACHE_SIZE", "IAMD_MAX_CONNECTIONS_PER_CLIENT"} {
		t.Setenv(f, "")
	}
	c, _, err := bind(t)
	if err != nil {
		t.Fatal(err)
	}
	if c.Listen != "" && c.Listen != DefaultListen {
		t.Errorf("listen %q", c.Listen)
	}
	if c.MaxBodyBytes != DefaultMaxBodyBytes || c.Dev || c.RegionTransitionDelay != DefaultRegionTransitionDelay ||
		c.ShutdownTimeout != DefaultShutdownTimeout {
		t.Errorf("defaults: %+v", c)
	}
	if c.ReadTimeout != 30*time.Second || c.IdleTimeout != 60*time.Second || c.WriteTimeout != DefaultWriteTimeout ||
		c.MaxConnections != DefaultMaxConnections || c.UnknownKeyCacheSize != DefaultUnknownKeyCacheSize {
		t.Errorf("connection and cache defaults: %+v", c)
	}
}

// Every flag can be set by its IAMD_* variable, and the flag wins over the variable.
func TestEnvironmentAndFlags(t *testing.T) {
	t.Setenv("IAMD_LISTEN", "0.0.0.0:9000")
	t.Setenv("IAMD_DATA_DIR", "/var/lib/iamd")
	t.Setenv("IAMD_ACCOUNT_ID", "111122223333")
	t.Setenv("IAMD_DEV", "true")
	t.Setenv("IAMD_MAX_BODY_BYTES", "2048")
	t.Setenv("IAMD_REGION_TRANSITION_DELAY", "0s")
	t.Setenv("IAMD_SHUTDOWN_TIMEOUT", "3s")
	t.Setenv("IAMD_LOG_FORMAT", "json")
	t.Setenv("IAMD_DATABASE_NO_GROUP_COMMIT", "true")
	t.Setenv("IAMD_READ_TIMEOUT", "2s")
	t.Setenv("IAMD_WRITE_TIMEOUT", "3s")
	t.Setenv("IAMD_IDLE_TIMEOUT", "4s")
	t.Setenv("IAMD_MAX_CONNECTIONS", "50")
	t.Setenv("IAMD_UNKNOWN_KEY_CACHE_SIZE", "60")
	t.Setenv("IAMD_MAX_CONNECTIONS_PER_CLIENT", "70")
	c, _, err := bind(t)
	if err != nil {
		t.Fatal(err)
	}
	if c.Listen != "0.0.0.0:9000" || c.DataDir != "/var/lib/iamd" || c.AccountID != "111122223333" || !c.Dev ||
		c.MaxBodyBytes != 2048 || c.RegionTransitionDelay != 0 || c.ShutdownTimeout != 3*time.Second || c.LogFormat != "json" ||
		!c.DatabaseNoGroupCommit || c.ReadTimeout != 2*time.Second || c.WriteTimeout != 3*time.Second ||
		c.IdleTimeout != 4*time.Second || c.MaxConnections != 50 || c.UnknownKeyCacheSize != 60 ||
		c.MaxConnectionsPerClient != 70 {
		t.Fatalf("from the environment: %+v", c)
	}
	c, _, err = bind(t, "--listen", "127.0.0.1:1", "--max-body-bytes", "4096", "--dev=false", "--account-id", "444455556666",
		"--read-timeout", "5s", "--idle-timeout", "6s", "--max-connections", "7", "--unknown-key-cache-size", "8")
	if err != nil {
		t.Fatal(err)
	}
	if c.Listen != "127.0.0.1:1" || c.MaxBodyBytes != 4096 || c.Dev || c.AccountID != "444455556666" ||
		c.ReadTimeout != 5*time.Second || c.IdleTimeout != 6*time.Second || c.MaxConnections != 7 || c.UnknownKeyCacheSize != 8 {
		t.Fatalf("flags over the environment: %+v", c)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
}

// The documentation table lists every flag with its variable.
func TestFlagsDocumented(t *testing.T) {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	_, flags := Bind(fs)
	documented := map[string]string{}
	for _, f := range flags {
		documented[f.Name] = f.Env
	}
	fs.VisitAll(func(f *flag.Flag) {
		env, ok := documented[f.Name]
		if !ok {
			t.Errorf("flag --%s is not in the settings list", f.Name)
		}
		if env != "IAMD_"+strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_")) {
			t.Errorf("flag --%s: variable %q", f.Name, env)
		}
	})
}

func TestValidate(t *testing.T) {
	good := func() *Config {
		return &Config{AccountID: DefaultAccountID, LogFormat: "text", MaxBodyBytes: DefaultMaxBodyBytes}
	}
	if err := good().Validate(); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"moto", "test-user_1+=,.@", strings.Repeat("u", 64)} {
		c := good()
		c.DevUser = name
		if err := c.Validate(); err != nil {
			t.Errorf("dev user %q: %v", name, err)
		}
	}
	for _, u := range []string{"https://issuer.example.com", "https://example.com:8443/iamd/", "http://127.0.0.1:8301"} {
		c := good()
		c.PublicURL = u
		if err := c.Validate(); err != nil {
			t.Errorf("public URL %q: %v", u, err)
		}
	}
	cases := map[string]func(c *Config){
		"public-url relative":        func(c *Config) { c.PublicURL = "issuer.example.com/x" },
		"public-url scheme":          func(c *Config) { c.PublicURL = "ftp://issuer.example.com" },
		"public-url query":           func(c *Config) { c.PublicURL = "https://issuer.example.com/?a=b" },
		"public-url fragment":        func(c *Config) { c.PublicURL = "https://issuer.example.com/#x" },
		"public-url user":            func(c *Config) { c.PublicURL = "https://u:p@issuer.example.com" },
		"negative outbound rotation": func(c *Config) { c.OutboundKeyRotation = -time.Second },
		"account-id":                 func(c *Config) { c.AccountID = "12345" },
		"account-id letters":         func(c *Config) { c.AccountID = "12345678901a" },
		"root key without secret":    func(c *Config) { c.RootAccessKeyID = "AKIAIAMDTESTROOT0001" },
		"tls-cert without key":       func(c *Config) { c.TLSCert = "cert.pem" },
		"negative transition":        func(c *Config) { c.RegionTransitionDelay = -time.Second },
		"log format":                 func(c *Config) { c.LogFormat = "xml" },
		"max-body-bytes":             func(c *Config) { c.MaxBodyBytes = -1 },
		"negative read timeout":      func(c *Config) { c.ReadTimeout = -time.Second },
		"negative write timeout":     func(c *Config) { c.WriteTimeout = -time.Second },
		"negative idle timeout":      func(c *Config) { c.IdleTimeout = -time.Second },
		"negative connections":       func(c *Config) { c.MaxConnections = -1 },
		"negative per client":        func(c *Config) { c.MaxConnectionsPerClient = -1 },
		"negative key cache":         func(c *Config) { c.UnknownKeyCacheSize = -1 },
		"root key ID lowercase":      func(c *Config) { c.RootAccessKeyID, c.RootSecretAccessKey = "akiaiamdtestroot0001", "s" },
		"root key ID too short":      func(c *Config) { c.RootAccessKeyID, c.RootSecretAccessKey = "AKIA1", "s" },
		"dev user with a slash":      func(c *Config) { c.DevUser = "dev/user" },
		"dev user too long":          func(c *Config) { c.DevUser = strings.Repeat("u", 65) },
	}
	for name, mutate := range cases {
		c := good()
		mutate(c)
		if err := c.Validate(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// Secrets can come from files (flag or IAMD_*_FILE), trailing newline trimmed; a secret given both ways
// is refused.
func TestSecretFiles(t *testing.T) {
	for _, v := range []string{"IAMD_MASTER_KEY", "IAMD_MASTER_KEY_FILE", "IAMD_ROOT_SECRET_ACCESS_KEY", "IAMD_ROOT_SECRET_ACCESS_KEY_FILE"} {
		t.Setenv(v, "")
	}
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	secret, key := write("secret", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n"), write("key", "a2V5\r\n")
	c, _, err := bind(t, "--root-secret-access-key-file", secret)
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("IAMD_MASTER_KEY_FILE", key)
	c2, _, err := bind(t)
	if err != nil {
		t.Fatal(err)
	}
	c.MasterKeyFile = c2.MasterKeyFile
	if err := c.ReadSecretFiles(); err != nil {
		t.Fatal(err)
	}
	if c.RootSecretAccessKey != "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" || c.MasterKey != "a2V5" {
		t.Fatalf("read %q and %q", c.RootSecretAccessKey, c.MasterKey)
	}
	if err := c.ReadSecretFiles(); err != nil { // read once: a second call changes nothing
		t.Fatalf("second call: %v", err)
	}

	for name, c := range map[string]*Config{
		"both":    {MasterKey: "a2V5", MasterKeyFile: key},
		"missing": {RootSecretAccessKeyFile: filepath.Join(dir, "nope")},
		"empty":   {MasterKeyFile: write("empty", "\n")},
		"large":   {MasterKeyFile: write("large", strings.Repeat("k", maxSecretFileBytes+1))},
	} {
		if err := c.ReadSecretFiles(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
