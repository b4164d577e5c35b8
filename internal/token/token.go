// Package token seals STS session tokens: the claims of a temporary session (who, until when, with which
// secret key, session policies and tags) encrypted and authenticated with AES-256-GCM under a key from a
// rotating key ring, so that any node can authenticate a request made with temporary credentials without
// a database lookup.
//
// # Format
//
// A token is standard base64 (no padding: sizes are multiples of 3 bytes) of
//
//	v1: "\x17\n\x06er/aws" | format u8 | key ID u32 | nonce [12] | AES-GCM(claims | zero padding)
//	v2: "!\n\torigin_ec" 0x1a len region | format u8 | key ID u32 | nonce [12] | AES-GCM(claims | zero padding)
//
// The prefixes are AWS's: base64 makes them "FwoGZXIvYXdz" and "IQoJb3JpZ2luX2Vj", which clients and
// tools use to tell the versions apart. Everything before the nonce travels in clear and is the AEAD's
// additional data, so the version, format, key ID and region cannot be altered. A v2 token names the
// region of the STS endpoint that issued it in clear (the partition's global region for the global
// endpoint), as AWS's do.
//
// Token sizes follow AWS's: the sealed claims are zero-padded so that a v1 token is at least 360
// characters and a v2 token at least 752 (the sizes AWS's tokens have for a typical session: clients,
// proxies and header limits meet the same lengths as against AWS), then rounded up to a multiple of 6
// bytes so that small differences in session names and paths do not show in the token's length. The
// padding is inside the ciphertext, and must be zero.
//
// Expiry is not checked here: Open returns the claims of an expired token and the caller answers
// ExpiredToken. Every other failure is one of ErrMalformed, ErrUnknownKey or ErrTampered, which the
// server answers with InvalidClientTokenId.
package token

import (
	"bytes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/iamd/iamd/internal/regions"
)

// Errors of Open. All mean "The security token included in the request is invalid."
var (
	// ErrMalformed: not a token of ours (bad base64, prefix, format or length).
	ErrMalformed = errors.New("token: malformed session token")
	// ErrUnknownKey: sealed with a key this ring does not have (foreign, or retired long ago).
	ErrUnknownKey = errors.New("token: session token sealed with an unknown key")
	// ErrTampered: the key is known but the token does not authenticate.
	ErrTampered = errors.New("token: session token does not authenticate")
)

var (
	prefixV1 = []byte("\x17\n\x06er/aws")
	prefixV2 = []byte("!\n\torigin_ec")
)

const (
	// formatVersion numbers the layout of the sealed claims; it is independent of the token version.
	formatVersion = 1
	// regionTag introduces the clear issuing region of a v2 token.
	regionTag = 0x1a
	// maxRegionLen bounds the clear region of a v2 token.
	maxRegionLen = 32

	keyIDLen = 4
	nonceLen = 12
	tagLen   = 16
)

// header appends the clear part of a token: prefix, [region,] format, key ID.
func header(b []byte, version int, region string, keyID uint32) []byte {
	if version == 1 {
		b = append(b, prefixV1...)
	} else {
		b = append(b, prefixV2...)
		b = append(b, regionTag, byte(len(region)))
		b = append(b, region...)
	}
	b = append(b, formatVersion)
	return binary.BigEndian.AppendUint32(b, keyID)
}

// seal encrypts the claims under k.
func seal(k *ringKey, c *Claims) (string, error) {
	if err := c.validate(); err != nil {
		return "", err
	}
	if k == nil {
		return "", errors.New("token: key ring has no current key")
	}
	clearRegion := ""
	minBytes := minV1Bytes
	if c.Version == 2 {
		minBytes = minV2Bytes
		clearRegion = c.Region
		if clearRegion == "" {
			clearRegion = regions.GlobalRegion(c.Partition)
		}
		if clearRegion == "" {
			clearRegion = regions.GlobalRegion("aws")
		}
		if len(clearRegion) > maxRegionLen {
			return "", fmt.Errorf("%w: region %q", ErrInvalidClaims, clearRegion)
		}
	}
	buf := make([]byte, 0, minBytes+64)
	buf = header(buf, c.Version, clearRegion, k.id)
	hdrLen := len(buf)

	pt, err := c.encode(make([]byte, 0, minBytes))
	if err != nil {
		return "", err
	}
	overhead := hdrLen + nonceLen + tagLen
	total := max(minBytes, overhead+len(pt))
	total = (total + sizeStep - 1) / sizeStep * sizeStep
	pt = append(pt, make([]byte, total-overhead-len(pt))...)

	buf = append(buf, make([]byte, nonceLen)...)
	nonce := buf[hdrLen:]
	if _, err := rand.Read(nonce); err != nil {
		return "", fmt.Errorf("token: nonce: %w", err)
	}
	buf = k.aead.Seal(buf, nonce, pt, buf[:hdrLen])
	tok := base64.StdEncoding.EncodeToString(buf)
	if len(tok) > maxTokenChars {
		return "", fmt.Errorf("%w: token of %d characters", ErrInvalidClaims, len(tok))
	}
	return tok, nil
}

// parsed is the clear part of a token.
type parsed struct {
	version int
	keyID   uint32
	aad     []byte // header
	nonce   []byte
	sealed  []byte // ciphertext and tag
}

// parse decodes the base64 and splits the clear header off; it never looks at key material.
func parse(tok string) (parsed, error) {
	var p parsed
	if len(tok) == 0 || len(tok) > maxTokenChars {
		return p, fmt.Errorf("%w: length %d", ErrMalformed, len(tok))
	}
	raw, err := base64.StdEncoding.DecodeString(tok)
	if err != nil {
		return p, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	var rest []byte
	switch {
	case bytes.HasPrefix(raw, prefixV1):
		p.version = 1
		rest = raw[len(prefixV1):]
	case bytes.HasPrefix(raw, prefixV2):
		p.version = 2
		rest = raw[len(prefixV2):]
		if len(rest) < 2 || rest[0] != regionTag || int(rest[1]) > maxRegionLen || len(rest) < 2+int(rest[1]) {
			return p, fmt.Errorf("%w: bad region", ErrMalformed)
		}
		rest = rest[2+int(rest[1]):]
	default:
		return p, fmt.Errorf("%w: unknown prefix", ErrMalformed)
	}
	if len(rest) < 1+keyIDLen+nonceLen+tagLen {
		return p, fmt.Errorf("%w: truncated", ErrMalformed)
	}
	if rest[0] != formatVersion {
		return p, fmt.Errorf("%w: format %d", ErrMalformed, rest[0])
	}
	p.keyID = binary.BigEndian.Uint32(rest[1:])
	hdrLen := len(raw) - len(rest) + 1 + keyIDLen
	p.aad = raw[:hdrLen]
	p.nonce = raw[hdrLen : hdrLen+nonceLen]
	p.sealed = raw[hdrLen+nonceLen:]
	return p, nil
}

// open authenticates and decodes a parsed token with its key.
func open(k *ringKey, p parsed) (*Claims, error) {
	pt, err := k.aead.Open(p.sealed[:0:0], p.nonce, p.sealed, p.aad)
	if err != nil {
		return nil, ErrTampered
	}
	return decode(pt, p.version)
}

// ringKey is one key of the ring, ready to use.
type ringKey struct {
	id   uint32
	aead cipher.AEAD
}
