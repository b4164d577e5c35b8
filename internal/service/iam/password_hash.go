package iam

import (
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
)

// PBKDF2 parameters of the built-in hasher. 600,000 iterations of HMAC-SHA256 is OWASP's 2023 advice; the
// count is stored in each hash so it can be raised without invalidating existing passwords.
const (
	pbkdf2Iterations = 600_000
	pbkdf2SaltLen    = 16
	pbkdf2KeyLen     = 32
	pbkdf2Scheme     = "pbkdf2-sha256"
	// maxPBKDF2Iterations bounds the work a stored (possibly corrupt) hash can ask for.
	maxPBKDF2Iterations = 10_000_000
)

// pbkdf2Hasher is the stdlib-only password hasher used when no other is configured
// (golang.org/x/crypto is not a dependency). Format: pbkdf2-sha256$ITER$SALT$KEY (base64, no padding).
type pbkdf2Hasher struct{}

func (pbkdf2Hasher) Hash(password string) (string, error) {
	salt := make([]byte, pbkdf2SaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("password salt: %w", err)
	}
	key, err := pbkdf2.Key(sha256.New, password, salt, pbkdf2Iterations, pbkdf2KeyLen)
	if err != nil {
		return "", fmt.Errorf("password hash: %w", err)
	}
	enc := base64.RawStdEncoding
	return pbkdf2Scheme + "$" + strconv.Itoa(pbkdf2Iterations) + "$" + enc.EncodeToString(salt) + "$" + enc.EncodeToString(key), nil
}

func (pbkdf2Hasher) Verify(hash, password string) bool {
	parts := strings.Split(hash, "$")
	if len(parts) != 4 || parts[0] != pbkdf2Scheme {
		return false
	}
	iter, err := strconv.Atoi(parts[1])
	if err != nil || iter < 1 || iter > maxPBKDF2Iterations {
		return false
	}
	enc := base64.RawStdEncoding
	salt, err1 := enc.DecodeString(parts[2])
	want, err2 := enc.DecodeString(parts[3])
	if err1 != nil || err2 != nil || len(want) == 0 {
		return false
	}
	got, err := pbkdf2.Key(sha256.New, password, salt, iter, len(want))
	if err != nil {
		return false
	}
	return subtle.ConstantTimeCompare(got, want) == 1
}
