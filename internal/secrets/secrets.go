// Package secrets keeps secrets at rest sealed: a 32-byte master key (from IAMD_MASTER_KEY or a 0600 file in
// the data directory) seals secret access keys, MFA seeds and token key material with AES-256-GCM. It also
// hashes login-profile passwords.
package secrets

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"
)

// Sizes of the sealed format: [version][key ID][nonce][ciphertext+tag].
const (
	KeySize       = 32 // AES-256
	formatVersion = 1
	headerSize    = 2
	nonceSize     = 12 // GCM standard nonce; random nonces are safe far beyond our sealing volume
	tagSize       = 16
	// DefaultKeyID is the ID of the first master key; rotation adds keys with other IDs.
	DefaultKeyID byte = 1
)

// ErrOpen is returned when a sealed value cannot be opened: wrong key, wrong associated data, tampering
// or an unknown format. It deliberately says no more.
var ErrOpen = errors.New("secrets: cannot open sealed value")

// Sealer seals and opens values with a ring of master keys. New values use the primary key; values sealed
// with any key of the ring still open, so the master key can be rotated by adding a key and re-sealing.
// A Sealer is immutable and safe for concurrent use.
type Sealer struct {
	primary byte
	aeads   map[byte]cipher.AEAD
}

// NewSealer returns a Sealer with the single key key, under DefaultKeyID.
func NewSealer(key []byte) (*Sealer, error) {
	return NewKeyring(DefaultKeyID, map[byte][]byte{DefaultKeyID: key})
}

// NewKeyring returns a Sealer holding keys (by key ID) that seals with keys[primary].
func NewKeyring(primary byte, keys map[byte][]byte) (*Sealer, error) {
	if _, ok := keys[primary]; !ok {
		return nil, fmt.Errorf("secrets: primary key %d is not in the ring", primary)
	}
	s := &Sealer{primary: primary, aeads: make(map[byte]cipher.AEAD, len(keys))}
	for id, key := range keys {
		if len(key) != KeySize {
			return nil, fmt.Errorf("secrets: key %d is %d bytes, want %d", id, len(key), KeySize)
		}
		block, err := aes.NewCipher(key)
		if err != nil {
			return nil, fmt.Errorf("secrets: key %d: %w", id, err)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("secrets: key %d: %w", id, err)
		}
		s.aeads[id] = aead
	}
	return s, nil
}

// Seal encrypts plaintext bound to associatedData (e.g. "accesskey:AKIA…", so a sealed secret cannot be
// moved to another row). The output starts with the format version and key ID.
func (s *Sealer) Seal(plaintext, associatedData []byte) ([]byte, error) {
	out := make([]byte, headerSize+nonceSize, headerSize+nonceSize+len(plaintext)+tagSize)
	out[0], out[1] = formatVersion, s.primary
	if _, err := rand.Read(out[headerSize:]); err != nil {
		return nil, fmt.Errorf("secrets: reading nonce: %w", err)
	}
	return s.aeads[s.primary].Seal(out, out[headerSize:], plaintext, aad(out[:headerSize], associatedData)), nil
}

// Open decrypts a value made by Seal with the same associated data.
func (s *Sealer) Open(sealed, associatedData []byte) ([]byte, error) {
	if len(sealed) < headerSize+nonceSize+tagSize || sealed[0] != formatVersion {
		return nil, ErrOpen
	}
	aead, ok := s.aeads[sealed[1]]
	if !ok {
		return nil, ErrOpen
	}
	nonce := sealed[headerSize : headerSize+nonceSize]
	plain, err := aead.Open(nil, nonce, sealed[headerSize+nonceSize:], aad(sealed[:headerSize], associatedData))
	if err != nil {
		return nil, ErrOpen
	}
	return plain, nil
}

// aad authenticates the header along with the caller's associated data, so the key ID cannot be altered.
func aad(header, associatedData []byte) []byte {
	out := make([]byte, 0, len(header)+len(associatedData))
	return append(append(out, header...), associatedData...)
}
