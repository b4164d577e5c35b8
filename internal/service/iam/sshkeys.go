package iam

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/crypto/ssh"

	"github.com/iamd/iamd/internal/api/iamapi"
	"github.com/iamd/iamd/internal/ids"
	"github.com/iamd/iamd/internal/storage"
)

// sshKeyData is what an SSH public key keeps in its credential's Data: the key in SSH wire form, from
// which both encodings GetSSHPublicKey offers are rendered, and its fingerprint.
type sshKeyData struct {
	Wire        []byte `json:"wire"`
	Fingerprint string `json:"fingerprint"`
}

func noSuchSSHPublicKey(id string) error {
	return iamapi.NewNoSuchEntityException("The Public Key with id " + id + " cannot be found.")
}

// parseSSHPublicKey reads an SSH public key in OpenSSH form ("ssh-rsa AAAA… comment") or PEM (PKIX
// "PUBLIC KEY" or PKCS #1 "RSA PUBLIC KEY"). IAM takes RSA keys of at least 2048 bits only.
func parseSSHPublicKey(body string) (ssh.PublicKey, error) {
	body = strings.TrimSpace(body)
	var pub ssh.PublicKey
	if strings.HasPrefix(body, "-----BEGIN") {
		block, rest := pem.Decode([]byte(body))
		if block == nil || len(strings.TrimSpace(string(rest))) != 0 {
			return nil, iamapi.NewInvalidPublicKeyException("The public key is malformed or otherwise invalid.")
		}
		var key any
		var err error
		switch block.Type {
		case "PUBLIC KEY":
			key, err = x509.ParsePKIXPublicKey(block.Bytes)
		case "RSA PUBLIC KEY":
			key, err = x509.ParsePKCS1PublicKey(block.Bytes)
		default:
			return nil, iamapi.NewUnrecognizedPublicKeyEncodingException("The public key encoding format is unsupported or unrecognized.")
		}
		if err != nil {
			return nil, iamapi.NewInvalidPublicKeyException("The public key is malformed or otherwise invalid.")
		}
		if pub, err = ssh.NewPublicKey(key); err != nil {
			return nil, iamapi.NewInvalidPublicKeyException("The public key is malformed or otherwise invalid.")
		}
	} else {
		if !strings.HasPrefix(body, ssh.KeyAlgoRSA+" ") {
			return nil, iamapi.NewUnrecognizedPublicKeyEncodingException("The public key encoding format is unsupported or unrecognized.")
		}
		k, _, _, rest, err := ssh.ParseAuthorizedKey([]byte(body))
		if err != nil || len(strings.TrimSpace(string(rest))) != 0 {
			return nil, iamapi.NewInvalidPublicKeyException("The public key is malformed or otherwise invalid.")
		}
		pub = k
	}
	ck, ok := pub.(ssh.CryptoPublicKey)
	if !ok {
		return nil, iamapi.NewUnrecognizedPublicKeyEncodingException("The public key encoding format is unsupported or unrecognized.")
	}
	rk, ok := ck.CryptoPublicKey().(*rsa.PublicKey)
	if !ok {
		return nil, iamapi.NewUnrecognizedPublicKeyEncodingException("The public key encoding format is unsupported or unrecognized.")
	}
	if rk.N.BitLen() < minSSHRSABits {
		return nil, iamapi.NewInvalidPublicKeyException("The public key must be at least " + strconv.Itoa(minSSHRSABits) + " bits.")
	}
	return pub, nil
}

// renderSSHPublicKey writes a stored key in the encoding GetSSHPublicKey asks for: SSH (the
// authorized_keys line without a comment) or PEM (PKIX "PUBLIC KEY").
func renderSSHPublicKey(d *sshKeyData, encoding string) (string, error) {
	pub, err := ssh.ParsePublicKey(d.Wire)
	if err != nil {
		return "", fmt.Errorf("decoding stored SSH public key: %w", err)
	}
	if encoding != "PEM" {
		return strings.TrimSuffix(string(ssh.MarshalAuthorizedKey(pub)), "\n"), nil
	}
	ck, ok := pub.(ssh.CryptoPublicKey)
	if !ok {
		return "", fmt.Errorf("stored SSH public key of type %s has no PKIX form", pub.Type())
	}
	der, err := x509.MarshalPKIXPublicKey(ck.CryptoPublicKey())
	if err != nil {
		return "", fmt.Errorf("encoding SSH public key as PEM: %w", err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})), nil
}

func decodeSSHKey(c *storage.Credential) (*sshKeyData, error) {
	var d sshKeyData
	if err := json.Unmarshal(c.Data, &d); err != nil {
		return nil, fmt.Errorf("decoding SSH public key %s: %w", c.ID, err)
	}
	return &d, nil
}

func sshKeyOut(c *storage.Credential, d *sshKeyData, encoding string) (*iamapi.SSHPublicKey, error) {
	body, err := renderSSHPublicKey(d, encoding)
	if err != nil {
		return nil, err
	}
	return &iamapi.SSHPublicKey{
		UserName:         ptr(c.UserName),
		SSHPublicKeyId:   ptr(c.ID),
		Fingerprint:      ptr(d.Fingerprint),
		SSHPublicKeyBody: ptr(body),
		Status:           ptr(string(c.Status)),
		UploadDate:       timePtr(c.CreatedAt),
	}, nil
}

// UploadSSHPublicKey adds an SSH public key (for CodeCommit) to a user. Its fingerprint is the MD5 of the
// key's SSH wire form in colon-separated hex, as `ssh-keygen -E md5 -l` shows it.
func (s *Service) UploadSSHPublicKey(ctx context.Context, in *iamapi.UploadSSHPublicKeyRequest) (*iamapi.UploadSSHPublicKeyResponse, error) {
	sc, err := s.scopeOf(ctx)
	if err != nil {
		return nil, err
	}
	pub, err := parseSSHPublicKey(str(in.SSHPublicKeyBody))
	if err != nil {
		return nil, err
	}
	d := &sshKeyData{Wire: pub.Marshal(), Fingerprint: ssh.FingerprintLegacyMD5(pub)}
	data, err := json.Marshal(d)
	if err != nil {
		return nil, err
	}
	c := &storage.Credential{
		ID:        ids.NewUniqueID("APKA"),
		AccountID: sc.account,
		Kind:      storage.CredentialSSHPublicKey,
		Status:    storage.StatusActive,
		CreatedAt: s.keyCreatedAt(ctx, sc),
		Data:      data,
	}
	err = s.store.Update(ctx, func(tx storage.Tx) error {
		var err error
		if c.UserName, err = credentialUser(ctx, tx, sc.account, str(in.UserName)); err != nil {
			return err
		}
		have, err := tx.ListCredentials(ctx, sc.account, storage.CredentialSSHPublicKey, c.UserName)
		if err != nil {
			return err
		}
		for _, h := range have {
			hd, err := decodeSSHKey(h)
			if err != nil {
				return err
			}
			if string(hd.Wire) == string(d.Wire) {
				return iamapi.NewDuplicateSSHPublicKeyException("The SSH public key is already associated with the specified IAM user.")
			}
		}
		if len(have) >= maxSSHPublicKeysPerUser {
			return iamapi.NewLimitExceededException("Cannot exceed quota for SSHPublicKeysPerUser: " + strconv.Itoa(maxSSHPublicKeysPerUser))
		}
		return tx.CreateCredential(ctx, c)
	})
	if err != nil {
		return nil, err
	}
	out, err := sshKeyOut(c, d, "SSH")
	if err != nil {
		return nil, err
	}
	return &iamapi.UploadSSHPublicKeyResponse{SSHPublicKey: out}, nil
}

// findSSHKey returns a user's SSH public key with id.
func findSSHKey(ctx context.Context, tx storage.Tx, acct, user, id string) (*storage.Credential, error) {
	owner, err := credentialUser(ctx, tx, acct, user)
	if err != nil {
		return nil, err
	}
	return ownedCredential(ctx, tx, acct, storage.CredentialSSHPublicKey, owner, id, func() error { return noSuchSSHPublicKey(id) })
}

// GetSSHPublicKey returns a user's SSH public key in SSH or PEM encoding.
func (s *Service) GetSSHPublicKey(ctx context.Context, in *iamapi.GetSSHPublicKeyRequest) (*iamapi.GetSSHPublicKeyResponse, error) {
	sc, err := s.scopeOf(ctx)
	if err != nil {
		return nil, err
	}
	var c *storage.Credential
	err = s.store.View(ctx, func(tx storage.Tx) error {
		var err error
		c, err = findSSHKey(ctx, tx, sc.account, str(in.UserName), str(in.SSHPublicKeyId))
		return err
	})
	if err != nil {
		return nil, err
	}
	d, err := decodeSSHKey(c)
	if err != nil {
		return nil, err
	}
	out, err := sshKeyOut(c, d, str(in.Encoding))
	if err != nil {
		return nil, err
	}
	return &iamapi.GetSSHPublicKeyResponse{SSHPublicKey: out}, nil
}

// ListSSHPublicKeys lists a user's SSH public keys (the caller's own when no user is named), oldest first.
func (s *Service) ListSSHPublicKeys(ctx context.Context, in *iamapi.ListSSHPublicKeysRequest) (*iamapi.ListSSHPublicKeysResponse, error) {
	_, cs, err := s.listOwnCredentials(ctx, storage.CredentialSSHPublicKey, in.UserName)
	if err != nil {
		return nil, err
	}
	cs, truncated, marker, err := paginateSlice(cs, in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	out := &iamapi.ListSSHPublicKeysResponse{SSHPublicKeys: make([]iamapi.SSHPublicKeyMetadata, len(cs)), IsTruncated: truncated, Marker: marker}
	for i, c := range cs {
		out.SSHPublicKeys[i] = iamapi.SSHPublicKeyMetadata{
			UserName: ptr(c.UserName), SSHPublicKeyId: ptr(c.ID), Status: ptr(string(c.Status)), UploadDate: timePtr(c.CreatedAt),
		}
	}
	return out, nil
}

// UpdateSSHPublicKey activates or deactivates a user's SSH public key.
func (s *Service) UpdateSSHPublicKey(ctx context.Context, in *iamapi.UpdateSSHPublicKeyRequest) (*iamapi.UpdateSSHPublicKeyOutput, error) {
	id := str(in.SSHPublicKeyId)
	err := s.modifyUserCredential(ctx, storage.CredentialSSHPublicKey, in.UserName, id, func() error { return noSuchSSHPublicKey(id) },
		func(tx storage.Tx, c *storage.Credential) error {
			c.Status = storage.AccessKeyStatus(str(in.Status))
			return tx.UpdateCredential(ctx, c)
		})
	if err != nil {
		return nil, err
	}
	return &iamapi.UpdateSSHPublicKeyOutput{}, nil
}

// DeleteSSHPublicKey deletes a user's SSH public key.
func (s *Service) DeleteSSHPublicKey(ctx context.Context, in *iamapi.DeleteSSHPublicKeyRequest) (*iamapi.DeleteSSHPublicKeyOutput, error) {
	id := str(in.SSHPublicKeyId)
	err := s.modifyUserCredential(ctx, storage.CredentialSSHPublicKey, in.UserName, id, func() error { return noSuchSSHPublicKey(id) },
		func(tx storage.Tx, c *storage.Credential) error { return tx.DeleteCredential(ctx, c.Kind, c.ID) })
	if err != nil {
		return nil, err
	}
	return &iamapi.DeleteSSHPublicKeyOutput{}, nil
}
