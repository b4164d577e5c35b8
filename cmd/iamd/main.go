// Command iamd is a self-hosted, AWS-compatible IAM, STS and Account API server.
//
//	iamd serve [flags]                      run the server (SQLite under --data-dir, or --database-url)
//	iamd accounts create|list [flags]       manage accounts in the store directly
//	iamd accounts root-password [flags]     set the root user's console password (read from stdin)
//	iamd sts regions|activate|deactivate    STS regional activation through the admin API
//	iamd backup --out FILE [flags]          online backup of the SQLite store
//	iamd version                            print the version
package main

import (
	"bufio"
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"golang.org/x/term"

	"github.com/iamd/iamd/internal/api/iamapi"
	"github.com/iamd/iamd/internal/app"
	"github.com/iamd/iamd/internal/bootstrap"
	"github.com/iamd/iamd/internal/config"
	"github.com/iamd/iamd/internal/ids"
	"github.com/iamd/iamd/internal/logbuf"
	iamsvc "github.com/iamd/iamd/internal/service/iam"
	"github.com/iamd/iamd/internal/storage"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

const usage = `iamd: a self-hosted, AWS-compatible IAM, STS and Account API server

Usage:
  iamd serve [--listen ADDR] [--data-dir DIR] [--database-url URL] [--dev] [...]
  iamd accounts create [--account-id ID] [--data-dir DIR | --database-url URL]
  iamd accounts list [--data-dir DIR | --database-url URL]
  iamd accounts root-password [--account-id ID] [--data-dir DIR | --database-url URL]  (password from stdin)
  iamd sts regions|activate REGION|deactivate REGION [--endpoint URL]
  iamd backup --out FILE [--data-dir DIR]
  iamd version

Every flag can also be set as an IAMD_* environment variable (--data-dir: IAMD_DATA_DIR).
Run "iamd serve -h" for the server's flags.
`

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "iamd:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errors.New("a command is required")
	}
	switch args[0] {
	case "serve":
		return serve(args[1:], stdout, stderr)
	case "accounts":
		return accounts(args[1:], stdout, stderr)
	case "sts":
		return stsCommand(args[1:], stdout, stderr)
	case "backup":
		return backup(args[1:], stdout, stderr)
	case "version", "--version", "-v":
		fmt.Fprintln(stdout, "iamd", version)
		return nil
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", args[0])
}

func newLogger(cfg *config.Config, w io.Writer) *slog.Logger {
	var level slog.Level
	if err := level.UnmarshalText([]byte(cfg.LogLevel)); err != nil {
		level = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

func serve(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("iamd serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg, _ := config.Bind(fs)
	pprofAddr := fs.String("pprof", os.Getenv("IAMD_PPROF"), "address of a separate listener serving Go runtime profiles (/debug/pprof/); off when empty (env IAMD_PPROF)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := cfg.ReadSecretFiles(); err != nil {
		return err
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	// Request logs are batched: one write per FlushDelay instead of one per request (package logbuf).
	// Deferred first, so it runs last and also writes what the shutdown logs.
	logOut := logbuf.New(stderr, 0)
	defer logOut.Close()
	log := newLogger(cfg, logOut)
	slog.SetDefault(log)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if *pprofAddr != "" {
		if err := servePprof(ctx, *pprofAddr, log); err != nil {
			return fmt.Errorf("--pprof: %w", err)
		}
	}

	a, err := app.New(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer func() {
		if err := a.Close(); err != nil {
			log.Error("closing the store", "err", err)
		}
	}()
	if a.RootCredentials != nil {
		bootstrap.PrintRootCredentials(stdout, cfg.DataDir, a.RootCredentials)
	}
	if cfg.Dev {
		log.Warn("DEV MODE: unknown access keys and unsigned requests are accepted WITHOUT signature checks as the "+
			"administrator user "+cmp.Or(cfg.DevUser, config.DefaultDevUser)+"; request times are not checked; "+
			"POST /moto-api/reset wipes all state. Never expose this server.", "dev_user", cmp.Or(cfg.DevUser, config.DefaultDevUser))
	}
	a.Start(ctx)
	store := "sqlite:" + cfg.DataDir
	if cfg.DatabaseURL != "" {
		store = "postgres"
	}
	return a.ListenAndServe(ctx, func(addr string) {
		log.Info("iamd listening", "addr", addr, "version", version, "store", store, "account", cfg.AccountID)
	})
}

// storeFlags binds the flags that locate a store (for the offline admin commands).
func storeFlags(name string, stderr io.Writer) (*flag.FlagSet, *config.Config) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg, _ := config.Bind(fs)
	return fs, cfg
}

func accounts(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errors.New("accounts: create, list or root-password")
	}
	fs, cfg := storeFlags("iamd accounts "+args[0], stderr)
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if err := cfg.ReadSecretFiles(); err != nil {
		return err
	}
	log := newLogger(cfg, stderr)
	ctx := context.Background()
	switch args[0] {
	case "create":
		if !ids.IsAccountID(cfg.AccountID) {
			return fmt.Errorf("--account-id must be 12 digits")
		}
		sealer, err := app.LoadSealer(ctx, cfg, log)
		if err != nil {
			return err
		}
		store, err := app.OpenStore(ctx, cfg, log)
		if err != nil {
			return err
		}
		defer store.Close()
		if err := bootstrap.CheckMasterKey(ctx, store, sealer, cfg.AccountID, ""); err != nil {
			return err
		}
		creds, err := bootstrap.Account(ctx, log, store, sealer, cfg.AccountID, "", "")
		if err != nil {
			return err
		}
		if creds == nil {
			fmt.Fprintf(stdout, "account %s already exists and has root credentials\n", cfg.AccountID)
			return nil
		}
		fmt.Fprintf(stdout, "created account %s\nAWS_ACCESS_KEY_ID=%s\nAWS_SECRET_ACCESS_KEY=%s\n",
			creds.AccountID, creds.AccessKeyID, creds.SecretAccessKey)
		return nil
	case "list":
		store, err := app.OpenStore(ctx, cfg, log)
		if err != nil {
			return err
		}
		defer store.Close()
		return store.View(ctx, func(tx storage.Tx) error {
			after := ""
			for {
				page, err := tx.ListAccounts(ctx, storage.ListOptions{After: after, Limit: 500})
				if err != nil {
					return err
				}
				for _, a := range page {
					alias := ""
					if len(a.Aliases) > 0 {
						alias = a.Aliases[0]
					}
					fmt.Fprintf(stdout, "%s\t%s\ttoken-version=v%d\t%s\n", a.ID, a.CreatedAt.Format("2006-01-02T15:04:05Z"), a.TokenVersion(), alias)
				}
				if len(page) < 500 {
					return nil
				}
				after = page[len(page)-1].ID
			}
		})
	case "root-password":
		return rootPassword(ctx, cfg, log, stderr)
	}
	return fmt.Errorf("accounts: unknown command %q (create, list or root-password)", args[0])
}

// maxPasswordInput bounds what root-password reads from a pipe: a root password has at most 128
// characters, of up to 4 bytes each.
const maxPasswordInput = 1024

// rootPassword sets the console password of the account's root user, read from the terminal (asked
// twice, not echoed) or from the first line of stdin; it is never printed.
func rootPassword(ctx context.Context, cfg *config.Config, log *slog.Logger, stderr io.Writer) error {
	if !ids.IsAccountID(cfg.AccountID) {
		return fmt.Errorf("--account-id must be 12 digits")
	}
	pw, err := readPassword(os.Stdin, stderr, "root password for account "+cfg.AccountID)
	if err != nil {
		return err
	}
	store, err := app.OpenStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer store.Close()
	svc := iamsvc.New(iamsvc.Options{Store: store, Logger: log})
	if err := svc.SetRootPassword(ctx, cfg.AccountID, pw); err != nil {
		var pe *iamapi.PasswordPolicyViolationException
		if errors.As(err, &pe) {
			return fmt.Errorf("the root password is refused: %s", pe.ErrorMessage())
		}
		if errors.Is(err, storage.ErrNotFound) {
			return fmt.Errorf("account %s does not exist (iamd accounts create)", cfg.AccountID)
		}
		return err
	}
	fmt.Fprintf(stderr, "root password set for account %s: sign in at the console as the root user\n", cfg.AccountID)
	return nil
}

// readPassword reads a password: from a terminal with a prompt, twice and without echo; else the first
// line of in.
func readPassword(in *os.File, prompt io.Writer, what string) (string, error) {
	if fd := int(in.Fd()); term.IsTerminal(fd) {
		fmt.Fprintf(prompt, "New %s: ", what)
		a, err := term.ReadPassword(fd)
		fmt.Fprintln(prompt)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(prompt, "Repeat it: ")
		b, err := term.ReadPassword(fd)
		fmt.Fprintln(prompt)
		if err != nil {
			return "", err
		}
		if string(a) != string(b) {
			return "", errors.New("the passwords differ")
		}
		return string(a), nil
	}
	line, err := bufio.NewReader(io.LimitReader(in, maxPasswordInput)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", errors.New("no password on stdin")
	}
	return line, nil
}

func backup(args []string, stdout, stderr io.Writer) error {
	fs, cfg := storeFlags("iamd backup", stderr)
	out := fs.String("out", "", "file to write the backup to (a SQLite database usable as iamd.db)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *out == "" {
		return errors.New("backup: --out FILE is required")
	}
	if cfg.DatabaseURL != "" {
		return errors.New("backup: for PostgreSQL use pg_dump (see README)")
	}
	ctx := context.Background()
	store, err := app.OpenStore(ctx, cfg, newLogger(cfg, stderr))
	if err != nil {
		return err
	}
	defer store.Close()
	f, err := os.OpenFile(*out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if err := store.Backup(ctx, f); err != nil {
		f.Close()
		os.Remove(*out)
		return err
	}
	// Flushed to disk before it is reported written: a backup that a power cut can take back is no backup.
	if err := f.Sync(); err != nil {
		f.Close()
		os.Remove(*out)
		return fmt.Errorf("backup: %w", err)
	}
	if err := f.Close(); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "backup written to %s\n", *out)
	return nil
}
