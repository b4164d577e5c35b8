package iam

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/iamd/iamd/internal/api/iamapi"
	"github.com/iamd/iamd/internal/ids"
	"github.com/iamd/iamd/internal/protocol"
	"github.com/iamd/iamd/internal/reqctx"
	"github.com/iamd/iamd/internal/storage"
)

// lastUsedNone is what GetAccessKeyLastUsed reports for the service and region of a key never used.
const lastUsedNone = "N/A"

// AccessKeyAssociatedData is the associated data a secret access key is sealed with: its key ID, so a
// sealed secret cannot be moved to another key's row. Whoever creates keys outside this service (the root
// key at bootstrap) seals with it too.
func AccessKeyAssociatedData(keyID string) []byte { return []byte("accesskey:" + keyID) }

// OpenAccessKeySecret returns the secret of a stored access key; the authenticator's OpenSecret.
func OpenAccessKeySecret(s Sealer, k *storage.AccessKey) (string, error) {
	plain, err := s.Open(k.SecretSealed, AccessKeyAssociatedData(k.ID))
	if err != nil {
		return "", fmt.Errorf("opening secret of access key %s: %w", k.ID, err)
	}
	return string(plain), nil
}

func noSuchAccessKey(id string) error {
	return iamapi.NewNoSuchEntityException("The Access Key with id " + id + " cannot be found.")
}

// keyOwner resolves the user whose keys an access-key operation addresses: the named user, or when no name
// is given the caller itself (an IAM user, or root whose keys have user name ""). Other callers must name a
// user, as in AWS.
func keyOwner(sc scope, name *string) (string, error) {
	if name != nil && *name != "" {
		return *name, nil
	}
	c := sc.caller
	switch {
	case c != nil && c.Kind == reqctx.CallerRoot:
		return "", nil
	case c != nil && c.Kind == reqctx.CallerUser:
		if c.PrincipalName != "" {
			return c.PrincipalName, nil
		}
		return c.Name, nil
	}
	return "", protocol.NewError("ValidationError", 400, "Must specify userName when calling with non-User credentials")
}

// keyUserName is the UserName AWS reports for a key: the user, or nothing for the root user's keys.
func keyUserName(k *storage.AccessKey) *string {
	if k.UserName == "" {
		return nil
	}
	return ptr(k.UserName)
}

// CreateAccessKey creates a long-term access key (AKIA…) for a user or, called by root without a user
// name, for the root user. The secret is returned once and stored sealed.
func (s *Service) CreateAccessKey(ctx context.Context, in *iamapi.CreateAccessKeyRequest) (*iamapi.CreateAccessKeyResponse, error) {
	sc, err := s.scopeOf(ctx)
	if err != nil {
		return nil, err
	}
	owner, err := keyOwner(sc, in.UserName)
	if err != nil {
		return nil, err
	}
	if s.sealer == nil {
		return nil, errors.New("no sealer configured for secret access keys")
	}
	keyID, err := ids.NewAccessKeyID(ids.PrefixAccessKey, sc.account)
	if err != nil {
		return nil, err
	}
	secret := ids.NewSecretAccessKey()
	sealed, err := s.sealer.Seal([]byte(secret), AccessKeyAssociatedData(keyID))
	if err != nil {
		return nil, fmt.Errorf("sealing secret access key: %w", err)
	}
	k := &storage.AccessKey{
		ID:           keyID,
		AccountID:    sc.account,
		UserName:     owner,
		SecretSealed: sealed,
		Status:       storage.StatusActive,
		CreatedAt:    s.keyCreatedAt(ctx, sc),
	}
	err = s.store.Update(ctx, func(tx storage.Tx) error {
		if owner != "" {
			u, err := tx.GetUser(ctx, sc.account, owner)
			if err != nil {
				return notFound(err, func() error { return noSuchUser(owner) })
			}
			k.UserName = u.Name // stored as the user spells it
		}
		keys, err := tx.ListAccessKeys(ctx, sc.account, k.UserName)
		if err != nil {
			return err
		}
		if len(keys) >= maxAccessKeysPerUser {
			return iamapi.NewLimitExceededException("Cannot exceed quota for AccessKeysPerUser: " + strconv.Itoa(maxAccessKeysPerUser))
		}
		return tx.CreateAccessKey(ctx, k)
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.CreateAccessKeyResponse{AccessKey: &iamapi.AccessKey{
		UserName:        keyUserName(k),
		AccessKeyId:     ptr(k.ID),
		Status:          ptr(string(k.Status)),
		SecretAccessKey: ptr(secret),
		CreateDate:      timePtr(k.CreatedAt),
	}}, nil
}

// keyCreatedAt is the creation time stored for a new key: the request's time at full precision rather than
// the whole second responses show (timePtr truncates), so that ListAccessKeys, sorted by creation, keeps
// two keys made within the same second in the order they were made instead of falling back to their
// random IDs.
func (s *Service) keyCreatedAt(ctx context.Context, sc scope) time.Time {
	t := reqctx.From(ctx).Time
	if t.IsZero() {
		t = s.now()
	}
	t = t.UTC()
	if !t.Truncate(time.Second).Equal(sc.now) {
		return sc.now // a clock other than the request's decided sc.now; keep the two consistent
	}
	return t
}

// listKeys returns a principal's keys oldest first (the order AWS lists them and the credential report's
// key 1 / key 2), whatever order the store returns.
func listKeys(ctx context.Context, tx storage.Tx, acct, user string) ([]*storage.AccessKey, error) {
	keys, err := tx.ListAccessKeys(ctx, acct, user)
	if err != nil {
		return nil, err
	}
	slices.SortStableFunc(keys, func(a, b *storage.AccessKey) int {
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return keys, nil
}

// ownedKey returns the key with id if it belongs to owner in the caller's account; anything else is
// "cannot be found" so that keys of other users and accounts are not disclosed.
func ownedKey(ctx context.Context, tx storage.Tx, sc scope, owner, id string) (*storage.AccessKey, error) {
	if owner != "" {
		if _, err := tx.GetUser(ctx, sc.account, owner); err != nil {
			return nil, notFound(err, func() error { return noSuchUser(owner) })
		}
	}
	k, err := tx.GetAccessKey(ctx, id)
	if err != nil {
		return nil, notFound(err, func() error { return noSuchAccessKey(id) })
	}
	if k.AccountID != sc.account || fold(k.UserName) != fold(owner) {
		return nil, noSuchAccessKey(id)
	}
	return k, nil
}

// UpdateAccessKey activates or deactivates an access key.
func (s *Service) UpdateAccessKey(ctx context.Context, in *iamapi.UpdateAccessKeyRequest) (*iamapi.UpdateAccessKeyOutput, error) {
	sc, err := s.scopeOf(ctx)
	if err != nil {
		return nil, err
	}
	owner, err := keyOwner(sc, in.UserName)
	if err != nil {
		return nil, err
	}
	id := str(in.AccessKeyId)
	err = s.store.Update(ctx, func(tx storage.Tx) error {
		k, err := ownedKey(ctx, tx, sc, owner, id)
		if err != nil {
			return err
		}
		k.Status = storage.AccessKeyStatus(str(in.Status))
		return notFound(tx.UpdateAccessKey(ctx, k), func() error { return noSuchAccessKey(id) })
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.UpdateAccessKeyOutput{}, nil
}

// DeleteAccessKey deletes an access key.
func (s *Service) DeleteAccessKey(ctx context.Context, in *iamapi.DeleteAccessKeyRequest) (*iamapi.DeleteAccessKeyOutput, error) {
	sc, err := s.scopeOf(ctx)
	if err != nil {
		return nil, err
	}
	owner, err := keyOwner(sc, in.UserName)
	if err != nil {
		return nil, err
	}
	id := str(in.AccessKeyId)
	err = s.store.Update(ctx, func(tx storage.Tx) error {
		if _, err := ownedKey(ctx, tx, sc, owner, id); err != nil {
			return err
		}
		return notFound(tx.DeleteAccessKey(ctx, id), func() error { return noSuchAccessKey(id) })
	})
	if err != nil {
		return nil, err
	}
	s.uses.forget(keyUseID(id))
	return &iamapi.DeleteAccessKeyOutput{}, nil
}

// ListAccessKeys lists a user's (or root's) access keys, oldest first, without secrets.
func (s *Service) ListAccessKeys(ctx context.Context, in *iamapi.ListAccessKeysRequest) (*iamapi.ListAccessKeysResponse, error) {
	sc, err := s.scopeOf(ctx)
	if err != nil {
		return nil, err
	}
	owner, err := keyOwner(sc, in.UserName)
	if err != nil {
		return nil, err
	}
	var keys []*storage.AccessKey
	err = s.store.View(ctx, func(tx storage.Tx) error {
		if owner != "" {
			u, err := tx.GetUser(ctx, sc.account, owner)
			if err != nil {
				return notFound(err, func() error { return noSuchUser(owner) })
			}
			owner = u.Name
		}
		var err error
		keys, err = listKeys(ctx, tx, sc.account, owner)
		return err
	})
	if err != nil {
		return nil, err
	}
	keys, truncated, marker, err := paginateSlice(keys, in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	out := &iamapi.ListAccessKeysResponse{AccessKeyMetadata: make([]iamapi.AccessKeyMetadata, len(keys)), IsTruncated: truncated, Marker: marker}
	for i, k := range keys {
		out.AccessKeyMetadata[i] = iamapi.AccessKeyMetadata{
			UserName:    keyUserName(k),
			AccessKeyId: ptr(k.ID),
			Status:      ptr(string(k.Status)),
			CreateDate:  timePtr(k.CreatedAt),
		}
	}
	return out, nil
}

// GetAccessKeyLastUsed reports when, where and with which service a key of the caller's account was last
// used.
func (s *Service) GetAccessKeyLastUsed(ctx context.Context, in *iamapi.GetAccessKeyLastUsedRequest) (*iamapi.GetAccessKeyLastUsedResponse, error) {
	sc, err := s.scopeOf(ctx)
	if err != nil {
		return nil, err
	}
	id := str(in.AccessKeyId)
	var k *storage.AccessKey
	err = s.store.View(ctx, func(tx storage.Tx) error {
		var err error
		k, err = tx.GetAccessKey(ctx, id)
		if err == nil && k.AccountID != sc.account {
			return noSuchAccessKey(id)
		}
		return notFound(err, func() error { return noSuchAccessKey(id) })
	})
	if err != nil {
		return nil, err
	}
	// A use noted on this node but not yet written, on a copy: the key may be the store cache's own.
	own := *k
	k = &own
	s.overlayKeyUse(k)
	used := &iamapi.AccessKeyLastUsed{ServiceName: ptr(lastUsedNone), Region: ptr(lastUsedNone)}
	if !k.LastUsed.Date.IsZero() {
		used.LastUsedDate = timePtr(k.LastUsed.Date)
		used.ServiceName = ptr(orNA(k.LastUsed.Service))
		used.Region = ptr(orNA(k.LastUsed.Region))
	}
	return &iamapi.GetAccessKeyLastUsedResponse{UserName: keyUserName(k), AccessKeyLastUsed: used}, nil
}
