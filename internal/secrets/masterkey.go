package secrets

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
)

// Where the master key comes from.
const (
	EnvMasterKey  = "IAMD_MASTER_KEY" // base64 of 32 bytes; wins over the file
	MasterKeyFile = "master.key"      // in the data directory, base64, mode 0600
	keyFileMode   = 0o600
	dataDirMode   = 0o700
	// maxKeyFileSize bounds what we read from the key file: base64 of 32 bytes plus whitespace.
	maxKeyFileSize = 1024
)

// LoadMasterKey returns the master key: from the environment variable IAMD_MASTER_KEY if set (getenv is
// os.Getenv in production), otherwise from dataDir/master.key, which is created with a fresh random key
// (mode 0600) if it does not exist. A key file readable by group or others is refused.
func LoadMasterKey(ctx context.Context, log *slog.Logger, dataDir string, getenv func(string) string) ([]byte, error) {
	if v := getenv(EnvMasterKey); v != "" {
		key, err := decodeKey(v)
		if err != nil {
			return nil, fmt.Errorf("secrets: %s: %w", EnvMasterKey, err)
		}
		return key, nil
	}
	path := filepath.Join(dataDir, MasterKeyFile)
	key, err := readKeyFile(path)
	if err == nil {
		return key, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	key, err = createKeyFile(path)
	if errors.Is(err, fs.ErrExist) {
		// Another process created it between our read and our create: use theirs.
		return readKeyFile(path)
	}
	if err != nil {
		return nil, err
	}
	log.InfoContext(ctx, "created a new master key", "path", path)
	return key, nil
}

func readKeyFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("secrets: opening master key: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("secrets: master key: %w", err)
	}
	if st.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("secrets: master key %s has mode %o; it must not be readable by group or others (chmod 600)", path, st.Mode().Perm())
	}
	buf, err := io.ReadAll(io.LimitReader(f, maxKeyFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("secrets: reading master key: %w", err)
	}
	if len(buf) > maxKeyFileSize {
		return nil, fmt.Errorf("secrets: master key %s is too large", path)
	}
	key, err := decodeKey(string(buf))
	if err != nil {
		return nil, fmt.Errorf("secrets: master key %s: %w", path, err)
	}
	return key, nil
}

func createKeyFile(path string) ([]byte, error) {
	if err := os.MkdirAll(filepath.Dir(path), dataDirMode); err != nil {
		return nil, fmt.Errorf("secrets: creating data directory: %w", err)
	}
	key := make([]byte, KeySize)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("secrets: generating master key: %w", err)
	}
	// Write to a temporary file and link it into place, so a crash never leaves a partial key behind and
	// two processes racing cannot both win.
	tmp, err := os.CreateTemp(filepath.Dir(path), ".master.key.*")
	if err != nil {
		return nil, fmt.Errorf("secrets: creating master key: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(keyFileMode); err != nil {
		tmp.Close()
		return nil, fmt.Errorf("secrets: creating master key: %w", err)
	}
	if _, err := tmp.WriteString(base64.StdEncoding.EncodeToString(key) + "\n"); err != nil {
		tmp.Close()
		return nil, fmt.Errorf("secrets: writing master key: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return nil, fmt.Errorf("secrets: writing master key: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return nil, fmt.Errorf("secrets: writing master key: %w", err)
	}
	if err := os.Link(tmp.Name(), path); err != nil {
		return nil, fmt.Errorf("secrets: installing master key: %w", err)
	}
	return key, nil
}

func decodeKey(s string) ([]byte, error) {
	key, err := base64.StdEncoding.DecodeString(strings.TrimSpace(s))
	if err != nil {
		return nil, errors.New("not valid base64")
	}
	if len(key) != KeySize {
		return nil, fmt.Errorf("decodes to %d bytes, want %d", len(key), KeySize)
	}
	return key, nil
}
