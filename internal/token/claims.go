package token

import (
	"bytes"
	"compress/flate"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"
)

// Kind says which STS operation family made a session, and so what sort of principal it stands for.
type Kind uint8

// The kinds of session.
const (
	KindAssumedRole   Kind = iota + 1 // AssumeRole, AssumeRoleWithSAML, AssumeRoleWithWebIdentity, AssumeRoot
	KindFederatedUser                 // GetFederationToken, called by an IAM user
	KindUserSession                   // GetSessionToken called by an IAM user
	KindRootSession                   // GetSessionToken called by the account's root user
)

// String names the kind.
func (k Kind) String() string {
	switch k {
	case KindAssumedRole:
		return "assumed-role"
	case KindFederatedUser:
		return "federated-user"
	case KindUserSession:
		return "user-session"
	case KindRootSession:
		return "root-session"
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

func (k Kind) valid() bool { return k >= KindAssumedRole && k <= KindRootSession }

// Tag is a session tag. Tags keep the order they were given in.
type Tag struct {
	Key, Value string
}

// Claims is everything a session token says: enough to authenticate a request signed with the temporary
// credentials (including the secret key, to verify the signature) without a database lookup.
//
// Times travel with one-second precision, as AWS reports them; Seal truncates them.
type Claims struct {
	// Version is the token format, 1 or 2 (see the package documentation); it never changes.
	Version int
	// AccessKeyID is the ASIA… key the credentials were issued with; a request must be signed with it.
	AccessKeyID string
	// SecretAccessKey is the secret of the credentials, so the signature can be checked from the token.
	SecretAccessKey string
	AccountID       string
	Partition       string // aws, aws-cn, …
	Kind            Kind
	// Issuer is the STS operation that issued the session (AssumeRole, GetSessionToken, …).
	Issuer string
	// PrincipalName is the IAM entity behind the session: the role of an assumed-role session, the
	// user of a user session or of a federated user, "" for root.
	PrincipalName string
	// PrincipalID is the unique ID of PrincipalName (AROA…, AIDA…), the account ID for root.
	PrincipalID   string
	PrincipalPath string // IAM path of PrincipalName
	// SessionName is the role session name of an assumed role, the federated user name of a
	// federated user; empty for GetSessionToken sessions.
	SessionName    string
	SourceIdentity string
	IssuedAt       time.Time
	Expiration     time.Time
	MFA            bool // the session was made with MFA
	// MFAAuthTime is when the MFA code behind the session was checked (zero without MFA): a role chained
	// from an MFA session keeps its first check's time, so aws:MultiFactorAuthAge counts from it.
	MFAAuthTime time.Time
	RoleChained bool // a role session assumed this role
	// Region is the region of the STS endpoint that issued the token, "" for the global endpoint. Only
	// v2 tokens can come from a regional endpoint.
	Region string
	// SessionPolicy is the inline session policy document, "" if none; it travels compressed.
	SessionPolicy     string
	PolicyARNs        []string // managed session policies
	Tags              []Tag
	TransitiveTagKeys []string
}

// Expired reports whether the session has expired at now (the caller answers ExpiredToken).
func (c *Claims) Expired(now time.Time) bool { return !now.Before(c.Expiration) }

// Validation errors of Seal.
var (
	ErrInvalidClaims = errors.New("token: invalid claims")
)

func (c *Claims) validate() error {
	switch {
	case c.Version != 1 && c.Version != 2:
		return fmt.Errorf("%w: version %d", ErrInvalidClaims, c.Version)
	case c.Version == 1 && c.Region != "":
		// Regional STS endpoints issue v2 tokens only.
		return fmt.Errorf("%w: v1 token from regional endpoint %s", ErrInvalidClaims, c.Region)
	case !c.Kind.valid():
		return fmt.Errorf("%w: kind %d", ErrInvalidClaims, c.Kind)
	case c.AccessKeyID == "" || c.SecretAccessKey == "" || c.AccountID == "":
		return fmt.Errorf("%w: missing key or account", ErrInvalidClaims)
	case c.IssuedAt.Unix() <= 0 || c.Expiration.Before(c.IssuedAt):
		return fmt.Errorf("%w: times %v - %v", ErrInvalidClaims, c.IssuedAt, c.Expiration)
	case len(c.PolicyARNs) > maxPolicyARNs, len(c.Tags) > maxTags, len(c.TransitiveTagKeys) > maxTransitiveKeys:
		return fmt.Errorf("%w: too many policy ARNs or tags", ErrInvalidClaims)
	case len(c.SessionPolicy) > maxPolicyLen:
		return fmt.Errorf("%w: session policy of %d bytes", ErrInvalidClaims, len(c.SessionPolicy))
	}
	for _, s := range c.strings() {
		if len(*s) > maxFieldLen {
			return fmt.Errorf("%w: field of %d bytes", ErrInvalidClaims, len(*s))
		}
	}
	for _, l := range [][]string{c.PolicyARNs, c.TransitiveTagKeys} {
		for _, s := range l {
			if len(s) > maxFieldLen {
				return fmt.Errorf("%w: list item of %d bytes", ErrInvalidClaims, len(s))
			}
		}
	}
	for _, t := range c.Tags {
		if len(t.Key) > maxFieldLen || len(t.Value) > maxFieldLen {
			return fmt.Errorf("%w: tag of %d bytes", ErrInvalidClaims, len(t.Key)+len(t.Value))
		}
	}
	return nil
}

// strings lists the scalar string fields in their encoding order. Changing the order changes the format:
// bump formatVersion.
func (c *Claims) strings() [11]*string {
	return [...]*string{
		&c.AccessKeyID, &c.SecretAccessKey, &c.AccountID, &c.Partition, &c.Issuer,
		&c.PrincipalName, &c.PrincipalID, &c.PrincipalPath, &c.SessionName, &c.SourceIdentity, &c.Region,
	}
}

// Flag bits of the encoded claims.
const (
	flagMFA = 1 << iota
	flagRoleChained
)

// encode appends the binary form of the claims (format 1) to b:
//
//	kind u8 | flags u8 | issued-at uvarint (Unix s) | lifetime uvarint (s)
//	11 strings (see Claims.strings), each uvarint length + bytes
//	session policy: uvarint length + raw DEFLATE of the document (length 0: none)
//	policy ARNs, transitive tag keys: uvarint count + strings
//	tags: uvarint count + (key, value) strings
//	with the MFA flag only: uvarint seconds from the MFA check to issued-at
//
// The sealed plaintext is this followed by zero bytes up to the token's size step.
func (c *Claims) encode(b []byte) ([]byte, error) {
	flags := byte(0)
	if c.MFA {
		flags |= flagMFA
	}
	if c.RoleChained {
		flags |= flagRoleChained
	}
	b = append(b, byte(c.Kind), flags)
	issued := c.IssuedAt.Unix()
	b = binary.AppendUvarint(b, uint64(issued))
	b = binary.AppendUvarint(b, uint64(c.Expiration.Unix()-issued))
	for _, s := range c.strings() {
		b = appendString(b, *s)
	}
	packed, err := packPolicy(c.SessionPolicy)
	if err != nil {
		return nil, err
	}
	b = binary.AppendUvarint(b, uint64(len(packed)))
	b = append(b, packed...)
	b = appendList(b, c.PolicyARNs)
	b = appendList(b, c.TransitiveTagKeys)
	b = binary.AppendUvarint(b, uint64(len(c.Tags)))
	for _, t := range c.Tags {
		b = appendString(b, t.Key)
		b = appendString(b, t.Value)
	}
	if c.MFA {
		b = binary.AppendUvarint(b, uint64(mfaLead(c)))
	}
	return b, nil
}

// mfaLead is how many seconds before the session's issue its MFA code was checked (0 when unknown or
// after the issue, which a clock cannot make meaningful).
func mfaLead(c *Claims) int64 {
	if c.MFAAuthTime.IsZero() {
		return 0
	}
	return max(0, c.IssuedAt.Unix()-c.MFAAuthTime.Unix())
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func appendList(b []byte, l []string) []byte {
	b = binary.AppendUvarint(b, uint64(len(l)))
	for _, s := range l {
		b = appendString(b, s)
	}
	return b
}

// decoder reads the encoded claims; the first error sticks and later reads return zero values.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) fail(what string) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: bad %s", ErrMalformed, what)
	}
}

func (d *decoder) byte(what string) byte {
	if d.err != nil || len(d.b) == 0 {
		d.fail(what)
		return 0
	}
	v := d.b[0]
	d.b = d.b[1:]
	return v
}

func (d *decoder) uvarint(what string, max uint64) uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 || v > max {
		d.fail(what)
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) bytes(what string, max int) []byte {
	n := d.uvarint(what, uint64(max))
	if d.err != nil {
		return nil
	}
	if uint64(len(d.b)) < n {
		d.fail(what)
		return nil
	}
	v := d.b[:n:n]
	d.b = d.b[n:]
	return v
}

func (d *decoder) string(what string) string {
	return string(d.bytes(what, maxFieldLen))
}

func (d *decoder) list(what string, max int) []string {
	n := d.uvarint(what, uint64(max))
	if d.err != nil || n == 0 {
		return nil
	}
	l := make([]string, n)
	for i := range l {
		l[i] = d.string(what)
	}
	return l
}

// decode parses the claims encoded by encode; version comes from the token's clear header.
func decode(b []byte, version int) (*Claims, error) {
	d := decoder{b: b}
	c := &Claims{Version: version}
	c.Kind = Kind(d.byte("kind"))
	flags := d.byte("flags")
	c.MFA = flags&flagMFA != 0
	c.RoleChained = flags&flagRoleChained != 0
	// Bounds keep the times representable: 1<<40 seconds is some 35000 years.
	issued := d.uvarint("issued-at", 1<<40)
	lifetime := d.uvarint("lifetime", 1<<40)
	c.IssuedAt = time.Unix(int64(issued), 0).UTC()
	c.Expiration = time.Unix(int64(issued+lifetime), 0).UTC()
	for _, s := range c.strings() {
		*s = d.string("string field")
	}
	packed := d.bytes("session policy", maxPolicyLen)
	c.PolicyARNs = d.list("policy ARNs", maxPolicyARNs)
	c.TransitiveTagKeys = d.list("transitive tag keys", maxTransitiveKeys)
	if n := d.uvarint("tags", maxTags); n > 0 {
		c.Tags = make([]Tag, n)
		for i := range c.Tags {
			c.Tags[i] = Tag{Key: d.string("tag key"), Value: d.string("tag value")}
		}
	}
	if c.MFA {
		lead := d.uvarint("mfa lead", issued)
		c.MFAAuthTime = time.Unix(int64(issued-lead), 0).UTC()
	}
	if d.err != nil {
		return nil, d.err
	}
	// What follows the claims is padding, and must be zero so that every token has one encoding.
	for _, x := range d.b {
		if x != 0 {
			return nil, fmt.Errorf("%w: bad padding", ErrMalformed)
		}
	}
	if !c.Kind.valid() || flags&^(flagMFA|flagRoleChained) != 0 {
		return nil, fmt.Errorf("%w: bad kind or flags", ErrMalformed)
	}
	if len(packed) > 0 {
		policy, err := unpackPolicy(packed)
		if err != nil {
			return nil, err
		}
		c.SessionPolicy = policy
	}
	return c, nil
}

// Compressors are costly to build (hundreds of KiB each); pool them.
var (
	flateWriters = sync.Pool{New: func() any {
		w, _ := flate.NewWriter(nil, flate.BestCompression) // only fails on a bad level
		return w
	}}
	flateReaders = sync.Pool{New: func() any { return flate.NewReader(nil) }}
)

// packPolicy compresses a session policy document with raw DEFLATE ("" stays empty).
func packPolicy(doc string) ([]byte, error) {
	if doc == "" {
		return nil, nil
	}
	var buf bytes.Buffer
	w := flateWriters.Get().(*flate.Writer)
	defer flateWriters.Put(w)
	w.Reset(&buf)
	if _, err := io.WriteString(w, doc); err != nil {
		return nil, fmt.Errorf("token: compress session policy: %w", err)
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("token: compress session policy: %w", err)
	}
	return buf.Bytes(), nil
}

func unpackPolicy(packed []byte) (string, error) {
	r := flateReaders.Get().(io.ReadCloser)
	defer flateReaders.Put(r)
	if err := r.(flate.Resetter).Reset(bytes.NewReader(packed), nil); err != nil {
		return "", fmt.Errorf("%w: session policy: %v", ErrMalformed, err)
	}
	// Read one byte more than allowed to detect an oversized document without inflating all of it.
	doc, err := io.ReadAll(io.LimitReader(r, maxPolicyLen+1))
	if err != nil || len(doc) > maxPolicyLen {
		return "", fmt.Errorf("%w: session policy does not decompress", ErrMalformed)
	}
	return string(doc), nil
}

// PackedPolicySize returns what STS reports as PackedPolicySize: the packed size of the session's
// inline policy (compressed), policy ARNs and session tags, as a percentage (rounded up) of the packed
// limit. Above 100 the session is refused with PackedPolicyTooLarge.
func PackedPolicySize(c *Claims) (int, error) {
	packed, err := packPolicy(c.SessionPolicy)
	if err != nil {
		return 0, err
	}
	n := len(packed)
	for _, a := range c.PolicyARNs {
		n += len(a)
	}
	for _, t := range c.Tags {
		n += len(t.Key) + len(t.Value)
	}
	for _, k := range c.TransitiveTagKeys {
		n += len(k)
	}
	return (n*100 + packedPolicyLimit - 1) / packedPolicyLimit, nil
}
