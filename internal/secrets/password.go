package secrets

import (
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Password hashing parameters: PBKDF2-HMAC-SHA256 (stdlib only) with OWASP's 2023 work factor.
const (
	PasswordIterations = 600_000
	passwordScheme     = "pbkdf2-sha256"
	passwordSaltSize   = 16
	passwordHashSize   = 32
	// maxPasswordIterations bounds the work a stored hash can demand of Verify.
	maxPasswordIterations = 10_000_000
	// MaxPasswordLength bounds the input hashed (AWS passwords are at most 128 characters).
	MaxPasswordLength = 1024
)

// ErrBadPasswordHash is returned for a stored hash that is not in our format.
var ErrBadPasswordHash = errors.New("secrets: malformed password hash")

var b64 = base64.RawStdEncoding

// HashPassword returns "$pbkdf2-sha256$i=N$SALT$HASH" with a fresh random salt.
func HashPassword(password string) (string, error) {
	return hashPassword(password, PasswordIterations)
}

func hashPassword(password string, iterations int) (string, error) {
	if len(password) > MaxPasswordLength {
		return "", fmt.Errorf("secrets: password longer than %d bytes", MaxPasswordLength)
	}
	salt := make([]byte, passwordSaltSize)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("secrets: reading salt: %w", err)
	}
	dk, err := pbkdf2.Key(sha256.New, password, salt, iterations, passwordHashSize)
	if err != nil {
		return "", fmt.Errorf("secrets: hashing password: %w", err)
	}
	return "$" + passwordScheme + "$i=" + strconv.Itoa(iterations) + "$" + b64.EncodeToString(salt) + "$" + b64.EncodeToString(dk), nil
}

// VerifyPassword reports whether password matches the stored hash, comparing in constant time.
func VerifyPassword(stored, password string) (bool, error) {
	iterations, salt, want, err := parsePasswordHash(stored)
	if err != nil {
		return false, err
	}
	if len(password) > MaxPasswordLength {
		return false, nil
	}
	got, err := pbkdf2.Key(sha256.New, password, salt, iterations, len(want))
	if err != nil {
		return false, fmt.Errorf("secrets: hashing password: %w", err)
	}
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

func parsePasswordHash(stored string) (iterations int, salt, hash []byte, err error) {
	parts := strings.Split(stored, "$")
	if len(parts) != 5 || parts[0] != "" || parts[1] != passwordScheme || !strings.HasPrefix(parts[2], "i=") {
		return 0, nil, nil, ErrBadPasswordHash
	}
	iterations, err = strconv.Atoi(parts[2][2:])
	if err != nil || iterations < 1 || iterations > maxPasswordIterations {
		return 0, nil, nil, ErrBadPasswordHash
	}
	salt, err = b64.DecodeString(parts[3])
	if err != nil || len(salt) == 0 {
		return 0, nil, nil, ErrBadPasswordHash
	}
	hash, err = b64.DecodeString(parts[4])
	if err != nil || len(hash) != passwordHashSize {
		return 0, nil, nil, ErrBadPasswordHash
	}
	return iterations, salt, hash, nil
}
