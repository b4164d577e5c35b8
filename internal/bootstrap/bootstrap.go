// Package bootstrap holds what start-up guarantees about the store before iamd serves: the master key is
// proved right before anything is written, and the default account exists with a root access key (a preset
// one is created once and never brought back after a deletion). The dev-mode reset and `iamd accounts
// create` use it too.
package bootstrap

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/iamd/iamd/internal/auth"
	"github.com/iamd/iamd/internal/ids"
	"github.com/iamd/iamd/internal/secrets"
	iamsvc "github.com/iamd/iamd/internal/service/iam"
	"github.com/iamd/iamd/internal/storage"
	"github.com/iamd/iamd/internal/token"
)

// RootCredentialsFile is the file in the data directory that receives generated root credentials.
const RootCredentialsFile = "root-credentials"

// maxPresetRootKeys bounds the account's record of preset root keys start-up created (the account row
// is read on every request's account lookup); past it the oldest entry goes, and that key, if deleted,
// could be preset again. Operators change the preset key a handful of times at most.
const maxPresetRootKeys = 16

// Credentials is an access key pair.
type Credentials struct {
	AccountID       string
	AccessKeyID     string
	SecretAccessKey string
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

// MasterKey is the master key a start uses, and where it came from.
type MasterKey struct {
	Sealer *secrets.Sealer
	// Configured is true when the key was given (--master-key, --master-key-file or IAMD_MASTER_KEY)
	// rather than read from, or generated into, the data directory's key file.
	Configured bool
	// GeneratedFile is the key file this start created; "" when the key was configured or the file existed.
	GeneratedFile string
}

// LoadMasterKey loads the master key: configured (the --master-key value) if not empty, else from
// IAMD_MASTER_KEY, else from the key file in dataDir, which a first start generates.
func LoadMasterKey(ctx context.Context, log *slog.Logger, dataDir, configured string) (*MasterKey, error) {
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	getenv := func(name string) string {
		if name == secrets.EnvMasterKey && configured != "" {
			return configured
		}
		return os.Getenv(name)
	}
	k := &MasterKey{Configured: getenv(secrets.EnvMasterKey) != ""}
	keyFile := filepath.Join(dataDir, secrets.MasterKeyFile)
	_, statErr := os.Stat(keyFile)
	if !k.Configured && errors.Is(statErr, fs.ErrNotExist) {
		k.GeneratedFile = keyFile
	}
	key, err := secrets.LoadMasterKey(ctx, log, dataDir, getenv)
	if err != nil {
		return nil, err
	}
	if k.Sealer, err = secrets.NewSealer(key); err != nil {
		return nil, err
	}
	return k, nil
}

// Prove is CheckMasterKey at start-up. When this start generated the key file and the store turns out to
// hold secrets sealed with another key, the new file is removed again, so that restoring the right one is
// all the operator has to do.
func (k *MasterKey) Prove(ctx context.Context, store storage.Store, accountID, presetID string) error {
	err := CheckMasterKey(ctx, store, k.Sealer, accountID, presetID)
	if k.GeneratedFile != "" && errors.Is(err, ErrWrongMasterKey) {
		_ = os.Remove(k.GeneratedFile)
		err = fmt.Errorf("no master key was configured and %s did not exist, but the store holds sealed secrets: "+
			"restore the master key file or set IAMD_MASTER_KEY (the key generated just now was removed again): %w", k.GeneratedFile, err)
	}
	return err
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

// Account makes sure the account exists and has a root access key, and proves the master key on the
// key it finds (in the same transaction as any write, so that nodes starting at once cannot seal with
// different keys).
//
// With a preset key (ID and secret): the key is created when no key with that ID exists and the account
// never had it; an existing one must hold the preset secret (else start-up is refused rather than the stored
// secret overwritten) and keeps its status, so a key the operator deactivated stays inactive. A preset key
// that Account created once and that is gone since was deleted through the API: like AWS, which never
// brings back a deleted key, it is not made again (log says so).
//
// Without a preset key, when the root has no key at all, one is generated and returned so that the caller
// can hand it out once. log may be nil (slog.Default).
func Account(ctx context.Context, log *slog.Logger, store storage.Store, sealer *secrets.Sealer, accountID, presetID, presetSecret string) (*Credentials, error) {
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
			return accountPreset(ctx, tx, sealer, acct, presetID, presetSecret, &presetDeleted)
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

// accountPreset is Account's part for a preset root key, inside its transaction.
func accountPreset(ctx context.Context, tx storage.Tx, sealer *secrets.Sealer, acct *storage.Account, presetID, presetSecret string, deleted *bool) error {
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

// WriteRootCredentials writes generated root credentials to a 0600 file in the AWS shared-credentials
// format, so `AWS_SHARED_CREDENTIALS_FILE=DATA/root-credentials AWS_PROFILE=iamd` works.
func WriteRootCredentials(dataDir string, c *Credentials) error {
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

// Reset returns the store to a fresh state: every account is deleted and the given one is made again
// with its root key, as Account makes it (dev mode only).
func Reset(ctx context.Context, log *slog.Logger, store storage.Store, sealer *secrets.Sealer, accountID, presetID, presetSecret string) (*Credentials, error) {
	err := store.Update(ctx, func(tx storage.Tx) error {
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
		return nil, fmt.Errorf("reset: %w", err)
	}
	return Account(ctx, log, store, sealer, accountID, presetID, presetSecret)
}
