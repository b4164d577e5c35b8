// Package sqlite is the single-node storage backend: one SQLite database file (iamd.db) in the data
// directory, written through one connection in WAL mode with synchronous=FULL so that an acknowledged
// write survives a power cut or kill -9, and read through a small pool of read-only connections.
// Concurrent writes are group-committed (sqlstore.Options.GroupCommit): the commit's fsync, which bounds
// a disk to a few hundred commits per second, is shared by every Update waiting at the time. The WAL is
// checkpointed into the database file by a connection of its own in the background (checkpoint.go), not
// by whichever commit happens to fill it.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	sqlite "modernc.org/sqlite"

	"github.com/iamd/iamd/internal/storage"
	"github.com/iamd/iamd/internal/storage/sqlstore"
)

// FileName is the database file inside the data directory.
const FileName = "iamd.db"

const (
	// busyTimeoutMS bounds how long a connection waits for a lock held by another process (a backup or
	// a second iamd started by mistake) before SQLITE_BUSY, which Update then retries.
	busyTimeoutMS = 10000
	// defaultReadConns: WAL lets readers run beside the writer; more than a few buys nothing on small
	// machines.
	defaultReadConns = 4
)

// SQLite result codes (sqlite3.h).
const (
	sqliteBusy             = 5
	sqliteLocked           = 6
	sqliteConstraintPK     = 1555
	sqliteConstraintUnique = 2067
)

// Options tune Open.
type Options struct {
	Logger    *slog.Logger
	ReadConns int // 0: defaultReadConns
	// NoGroupCommit gives every Update a transaction and an fsync of its own (for comparisons; group
	// commit is as durable and several times faster under concurrent writers).
	NoGroupCommit bool
}

// Store is the SQLite storage.Store.
type Store struct {
	*sqlstore.Store
	path string
	ckpt *checkpointer
}

var _ storage.Store = (*Store)(nil)

func dsn(path string, readOnly bool) string {
	q := url.Values{}
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(FULL)")
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busyTimeoutMS))
	q.Add("_pragma", "foreign_keys(1)")
	// No connection checkpoints on commit: the checkpointer does (checkpoint.go).
	q.Add("_pragma", "wal_autocheckpoint(0)")
	if readOnly {
		q.Add("_pragma", "query_only(1)")
	} else {
		// BEGIN IMMEDIATE takes the write lock up front, so a transaction never fails half-way with
		// "database is locked" when upgrading from a read lock.
		q.Set("_txlock", "immediate")
	}
	return "file:" + path + "?" + q.Encode()
}

// Dialect is the SQLite dialect of sqlstore.
var Dialect = sqlstore.Dialect{
	Name:              "sqlite",
	Rewrite:           sqlstore.SQLiteRewrite,
	IsRetryable:       isRetryable,
	IsUniqueViolation: isUniqueViolation,
	DetachStatements:  true,
	CacheStatements:   true,
}

func sqliteCode(err error) (int, bool) {
	var e *sqlite.Error
	if errors.As(err, &e) {
		return e.Code(), true
	}
	return 0, false
}

func isRetryable(err error) bool {
	c, ok := sqliteCode(err)
	return ok && (c&0xff == sqliteBusy || c&0xff == sqliteLocked)
}

func isUniqueViolation(err error) bool {
	c, ok := sqliteCode(err)
	return ok && (c == sqliteConstraintPK || c == sqliteConstraintUnique)
}

// Open opens (creating if needed) the database in dataDir and applies pending migrations.
func Open(ctx context.Context, dataDir string, opts Options) (*Store, error) {
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("sqlite: data directory: %w", err)
	}
	if strings.ContainsAny(dataDir, "?#") {
		return nil, fmt.Errorf("sqlite: data directory %q: must not contain ? or #", dataDir)
	}
	path := filepath.Join(dataDir, FileName)
	// The database holds sealed secrets and password hashes: it and its WAL and shared-memory files are
	// the owner's alone, whatever the umask. SQLite gives the -wal and -shm files it creates the database
	// file's mode, so the file is made 0600 before SQLite first opens it; files left by an older version
	// are narrowed too, and again once the first connection made the WAL.
	if err := restrictFiles(path, true); err != nil {
		return nil, err
	}
	w, err := sql.Open("sqlite", dsn(path, false))
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	// One writer connection: writers queue in database/sql instead of contending for the file lock.
	w.SetMaxOpenConns(1)
	w.SetConnMaxIdleTime(0)
	if err := w.PingContext(ctx); err != nil {
		w.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	if err := restrictFiles(path, false); err != nil {
		w.Close()
		return nil, err
	}
	r, err := sql.Open("sqlite", dsn(path, true))
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	n := opts.ReadConns
	if n <= 0 {
		n = defaultReadConns
	}
	r.SetMaxOpenConns(n)
	r.SetMaxIdleConns(n)
	s, err := sqlstore.New(ctx, w, r, Dialect, sqlstore.Options{Logger: opts.Logger, GroupCommit: !opts.NoGroupCommit})
	if err != nil {
		w.Close()
		r.Close()
		return nil, fmt.Errorf("sqlite: %s: %w", path, err)
	}
	ckpt, err := startCheckpointer(ctx, path, opts.Logger)
	if err != nil {
		_ = s.Close()
		return nil, err
	}
	return &Store{Store: s, path: path, ckpt: ckpt}, nil
}

// fileMode is the mode of the database file and of SQLite's -wal and -shm files beside it.
const fileMode = 0o600

// restrictFiles gives the database file (created empty when create is set and it is missing) and its
// -wal and -shm files, where present, mode fileMode. Chmod, not the mode given to open: the umask cannot
// narrow what chmod sets, and existing files get it too.
func restrictFiles(path string, create bool) error {
	if create {
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, fileMode)
		if err != nil {
			return fmt.Errorf("sqlite: creating %s: %w", path, err)
		}
		if err := f.Close(); err != nil {
			return fmt.Errorf("sqlite: creating %s: %w", path, err)
		}
	}
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		if err := os.Chmod(p, fileMode); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("sqlite: restricting %s to mode %o: %w", p, fileMode, err)
		}
	}
	return nil
}

// Close stops the checkpointer and closes the database (the last connection to close checkpoints what
// is left).
func (s *Store) Close() error {
	return errors.Join(s.ckpt.stop(), s.Store.Close())
}

// Path is the database file.
func (s *Store) Path() string { return s.path }

// BackupTo writes a consistent copy of the database to a new file at dst (VACUUM INTO) while the store
// keeps serving; the copy is a complete iamd.db.
func (s *Store) BackupTo(ctx context.Context, dst string) error {
	// VACUUM INTO would create the file with SQLite's default mode (0644 less the umask); an empty file
	// made here first keeps the copy of the secrets the owner's alone, and O_EXCL refuses an existing one.
	f, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, fileMode)
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("sqlite: backup: %s already exists", dst)
	}
	if err != nil {
		return fmt.Errorf("sqlite: backup: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("sqlite: backup: %w", err)
	}
	// VACUUM INTO reads inside one read transaction, so it sees one snapshot and does not block writers
	// in WAL mode. It runs on a connection of its own: the reader pool is query_only.
	db, err := sql.Open("sqlite", dsn(s.path, false))
	if err != nil {
		return fmt.Errorf("sqlite: backup: %w", err)
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, `VACUUM INTO ?`, dst); err != nil {
		_ = os.Remove(dst)
		return fmt.Errorf("sqlite: backup to %s: %w", dst, err)
	}
	return nil
}

// Backup implements storage.Store: it writes the database file to w.
func (s *Store) Backup(ctx context.Context, w io.Writer) error {
	dir, err := os.MkdirTemp(filepath.Dir(s.path), "backup-")
	if err != nil {
		return fmt.Errorf("sqlite: backup: %w", err)
	}
	defer os.RemoveAll(dir)
	tmp := filepath.Join(dir, FileName)
	if err := s.BackupTo(ctx, tmp); err != nil {
		return err
	}
	f, err := os.Open(tmp)
	if err != nil {
		return fmt.Errorf("sqlite: backup: %w", err)
	}
	defer f.Close()
	if _, err := io.Copy(w, f); err != nil {
		return fmt.Errorf("sqlite: backup: write: %w", err)
	}
	return nil
}
