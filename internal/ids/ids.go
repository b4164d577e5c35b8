// Package ids makes and reads the identifiers iamd hands out: access key IDs that encode their account the
// way AWS's do, unique entity IDs (AIDA…, AROA…), secret access keys, request IDs and ARNs.
package ids

import (
	"crypto/rand"
	"encoding/base32"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
)

// Prefixes of AWS identifiers. Access keys use AKIA/ASIA; the others prefix unique entity IDs.
const (
	PrefixAccessKey          = "AKIA" // long-term access key
	PrefixTemporaryAccessKey = "ASIA" // STS session access key
	PrefixUser               = "AIDA"
	PrefixRole               = "AROA"
	PrefixGroup              = "AGPA"
	PrefixManagedPolicy      = "ANPA"
	PrefixInstanceProfile    = "AIPA"
	PrefixPublicKey          = "APKA" // SSH public key
	PrefixCertificate        = "ASCA" // server / signing certificate
	PrefixContextKey         = "ACCA" // context-specific credential
	PrefixMFADevice          = "AMFA"
)

// Lengths AWS uses. Access key IDs are 20 characters; entity unique IDs are 21 (e.g. AIDACKCEVSQ6C2EXAMPLE).
const (
	AccessKeyIDLength = 20
	// MinAccessKeyIDLength and MaxAccessKeyIDLength bound any access key ID AWS accepts (the IAM API
	// reference gives accessKeyIdType 16 to 128 characters); IDs AWS issues are AccessKeyIDLength long.
	MinAccessKeyIDLength  = 16
	MaxAccessKeyIDLength  = 128
	UniqueIDLength        = 21
	SecretAccessKeyLength = 40
	prefixLength          = 4
	keyBodyBytes          = 10 // 16 base32 characters decode to 10 bytes
	accountDigits         = 12
	// maxAccount is the largest account number the 40 account bits of an access key can carry.
	maxAccount = 1<<40 - 1
	// maxAccountID is the largest 12-digit account number.
	maxAccountID = 999_999_999_999
)

// accountMask selects, in the first six bytes of a decoded key body, the 40 bits that hold the account.
const (
	accountMask  = 0x7FFFFFFFFF80
	accountShift = 7
)

// b32 is the RFC 4648 alphabet (A-Z2-7) without padding, the alphabet of AWS identifiers.
var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// ErrInvalid is wrapped by every parse error of this package.
var ErrInvalid = errors.New("ids: invalid identifier")

// NewAccessKeyID returns a fresh access key ID with the given prefix (PrefixAccessKey or
// PrefixTemporaryAccessKey) that encodes account, so AccountFromAccessKeyID (GetAccessKeyInfo) needs no lookup.
func NewAccessKeyID(prefix, account string) (string, error) {
	var random [keyBodyBytes]byte
	if _, err := rand.Read(random[:]); err != nil {
		return "", fmt.Errorf("ids: reading random bytes: %w", err)
	}
	return AccessKeyIDFrom(prefix, account, random)
}

// AccessKeyIDFrom builds an access key ID from prefix, account and the caller's random bytes: the 40 account
// bits replace bits 7-46 of the first six bytes; every other bit comes from random.
func AccessKeyIDFrom(prefix, account string, random [keyBodyBytes]byte) (string, error) {
	if len(prefix) != prefixLength {
		return "", fmt.Errorf("%w: prefix %q is not 4 characters", ErrInvalid, prefix)
	}
	acct, err := parseAccount(account)
	if err != nil {
		return "", err
	}
	var z6 [8]byte
	copy(z6[2:], random[:6])
	z := binary.BigEndian.Uint64(z6[:])
	z = z&^accountMask | acct<<accountShift&accountMask
	binary.BigEndian.PutUint64(z6[:], z)
	body := random
	copy(body[:6], z6[2:])
	return prefix + b32.EncodeToString(body[:]), nil
}

// AccountFromAccessKeyID returns the 12-digit account encoded in an access key ID made by AccessKeyIDFrom
// (and, per public research, by AWS for keys issued since 2019).
func AccountFromAccessKeyID(id string) (string, error) {
	if len(id) != AccessKeyIDLength {
		return "", fmt.Errorf("%w: access key ID must be %d characters", ErrInvalid, AccessKeyIDLength)
	}
	body, err := b32.DecodeString(id[prefixLength:])
	if err != nil || len(body) != keyBodyBytes {
		return "", fmt.Errorf("%w: access key ID is not base32", ErrInvalid)
	}
	var z6 [8]byte
	copy(z6[2:], body[:6])
	z := binary.BigEndian.Uint64(z6[:])
	acct := (z & accountMask) >> accountShift
	if acct > maxAccountID {
		// 40 bits reach 13 digits; no key we (or AWS) issue encodes such a number.
		return "", fmt.Errorf("%w: access key ID does not encode an account", ErrInvalid)
	}
	return fmt.Sprintf("%0*d", accountDigits, acct), nil
}

func parseAccount(account string) (uint64, error) {
	if len(account) != accountDigits {
		return 0, fmt.Errorf("%w: account %q is not 12 digits", ErrInvalid, account)
	}
	n, err := strconv.ParseUint(account, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%w: account %q is not 12 digits", ErrInvalid, account)
	}
	if n > maxAccount {
		return 0, fmt.Errorf("%w: account %q does not fit an access key", ErrInvalid, account)
	}
	return n, nil
}

// NewUniqueID returns prefix followed by random A-Z2-7 characters, UniqueIDLength in all.
func NewUniqueID(prefix string) string {
	n := UniqueIDLength - len(prefix)
	if n <= 0 {
		return prefix
	}
	// 5 bits per character; read enough bytes and trim.
	raw := make([]byte, (n*5+7)/8)
	rand.Read(raw) // crypto/rand.Read never returns an error on supported platforms (Go 1.24+)
	return prefix + b32.EncodeToString(raw)[:n]
}

// NewSecretAccessKey returns a 40-character secret of the standard base64 alphabet (30 random bytes).
func NewSecretAccessKey() string {
	var raw [SecretAccessKeyLength * 3 / 4]byte
	rand.Read(raw[:])
	return base64.StdEncoding.EncodeToString(raw[:])
}

// NewRequestID returns a random UUID version 4 in canonical lowercase form, the format of AWS IAM request IDs.
func NewRequestID() string {
	var u [16]byte
	rand.Read(u[:])
	u[6] = u[6]&0x0f | 0x40 // version 4
	u[8] = u[8]&0x3f | 0x80 // RFC 4122 variant
	return FormatUUID(u)
}

// FormatUUID is the canonical lowercase form of the UUID u.
func FormatUUID(u [16]byte) string {
	const hexdigits = "0123456789abcdef"
	var out [36]byte
	j := 0
	for i, b := range u {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			out[j] = '-'
			j++
		}
		out[j] = hexdigits[b>>4]
		out[j+1] = hexdigits[b&0xf]
		j += 2
	}
	return string(out[:])
}

// IsAccountID reports whether s is a 12-digit AWS account number.
func IsAccountID(s string) bool {
	if len(s) != accountDigits {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// IsAccessKeyIDSyntax reports whether id could be an AWS access key ID at all: 16 to 128 characters of
// A-Z and 0-9. It is what a request must meet before its key is looked up anywhere, and looser than the
// IDs this package issues (a preset key such as AKIAIAMDTESTROOT0001 is not base32).
func IsAccessKeyIDSyntax(id string) bool {
	if len(id) < MinAccessKeyIDLength || len(id) > MaxAccessKeyIDLength {
		return false
	}
	for i := 0; i < len(id); i++ {
		if c := id[i]; !('A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}
