package iam

import (
	"github.com/iamd/iamd/internal/secrets"
)

// secretsHasher is the default PasswordHasher: internal/secrets' PBKDF2-HMAC-SHA256 with a per-password salt.
type secretsHasher struct{}

func (secretsHasher) Hash(password string) (string, error) { return secrets.HashPassword(password) }

// Verify treats a malformed stored hash as a mismatch: the user must have the password reset.
func (secretsHasher) Verify(hash, password string) bool {
	ok, err := secrets.VerifyPassword(hash, password)
	return err == nil && ok
}
