// Package iam implements the AWS IAM API (users, groups, roles, policies, access keys, login profiles,
// account settings) as typed operations over internal/storage. It knows nothing of HTTP: the server decodes
// a request into the generated iamapi structs, puts the caller into the context (internal/reqctx) and calls
// the Service; every error it returns is an iamapi error carrying AWS's code, status and message.
//
// IAM is per account: every operation works in the account of the authenticated caller.
package iam

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"github.com/iamd/iamd/internal/outbound"
	"log/slog"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/iamd/iamd/internal/api/iamapi"
	"github.com/iamd/iamd/internal/reqctx"
	"github.com/iamd/iamd/internal/storage"
)

// Sealer seals secrets (secret access keys) at rest; *secrets.Sealer implements it. The associated data
// binds a sealed value to its owner so rows cannot be swapped.
type Sealer interface {
	Seal(plaintext, associatedData []byte) ([]byte, error)
	Open(sealed, associatedData []byte) ([]byte, error)
}

// PasswordHasher hashes login-profile passwords; passwords are never stored in clear.
type PasswordHasher interface {
	Hash(password string) (string, error)
	Verify(hash, password string) bool
}

// Options configures a Service.
type Options struct {
	Store storage.Store
	// Sealer seals secret access keys; required for CreateAccessKey.
	Sealer Sealer
	// Hasher hashes passwords; nil selects internal/secrets' PBKDF2 hasher.
	Hasher PasswordHasher
	// Managed is the read-only catalogue of AWS managed policies (see managedpolicies_data.go); nil loads
	// the embedded one.
	Managed *ManagedPolicies
	// Now is the clock; nil means time.Now. A request's own time (reqctx) takes precedence.
	Now    func() time.Time
	Logger *slog.Logger
	// Outbound holds the accounts' outbound web identity federation issuers; nil answers its operations
	// NotImplemented.
	Outbound *outbound.Issuers
}

// Service implements iamapi.Service. Operations it does not implement answer NotImplemented through the
// embedded iamapi.Unimplemented.
type Service struct {
	iamapi.Unimplemented

	store   storage.Store
	sealer  Sealer
	hasher  PasswordHasher
	managed *ManagedPolicies
	now     func() time.Time
	log     *slog.Logger

	uses        useRecorder
	accessJobs  accessJobs
	reports     reportCache
	pwThrottle  *passwordThrottle
	mfaThrottle *rateLimiter
	simStats    simulationStats
	outbound    *outbound.Issuers
	userReads   sync.Pool // *userRead (getUser)
}

// New returns a Service using o.
func New(o Options) *Service {
	s := &Service{
		userReads: sync.Pool{New: newUserRead},
		store:     o.Store,
		sealer:    o.Sealer,
		hasher:    o.Hasher,
		managed:   o.Managed,
		now:       o.Now,
		log:       o.Logger,

		pwThrottle:  newPasswordThrottle(),
		mfaThrottle: newRateLimiter(mfaGuessBurst, mfaGuessInterval, mfaThrottleTracked),
		outbound:    o.Outbound,
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.hasher == nil {
		s.hasher = secretsHasher{}
	}
	if s.managed == nil {
		// The catalogue is embedded; failing to decode it is a build defect, not a runtime condition.
		m, err := LoadManagedPolicies()
		if err != nil {
			s.log.Error("loading AWS managed policies", "err", err)
		}
		s.managed = m
	}
	s.uses.init()
	s.reports.init()
	return s
}

var _ iamapi.Service = (*Service)(nil)

// scope is what every operation needs to know about where it runs.
type scope struct {
	account   string
	partition string
	caller    *reqctx.Caller // nil in unit tests that set no caller
	now       time.Time
}

// scopeOf returns the caller's account and partition and the request time. IAM always acts in the
// caller's own account.
func (s *Service) scopeOf(ctx context.Context) (scope, error) {
	r := reqctx.From(ctx)
	sc := scope{partition: r.Partition, caller: r.Caller, now: r.Time}
	if r.Caller != nil {
		sc.account = r.Caller.AccountID
		if r.Caller.Partition != "" {
			sc.partition = r.Caller.Partition
		}
	}
	if sc.partition == "" {
		sc.partition = "aws"
	}
	if sc.now.IsZero() {
		sc.now = s.now()
	}
	// AWS stores and returns second precision timestamps.
	sc.now = sc.now.UTC().Truncate(time.Second)
	if sc.account == "" {
		// The server always authenticates before calling a service; reaching here is a wiring bug.
		return sc, iamapi.NewServiceFailureException("Request has no authenticated caller.")
	}
	return sc, nil
}

// arn builds an IAM ARN: arn:PARTITION:iam::ACCOUNT:TYPE/PATH/NAME. path is "/" or "/a/b/".
func (sc scope) arn(typ, path, name string) string {
	if path == "" {
		path = "/"
	}
	return "arn:" + sc.partition + ":iam::" + sc.account + ":" + typ + path + name
}

func (sc scope) userARN(path, name string) string  { return sc.arn("user", path, name) }
func (sc scope) groupARN(path, name string) string { return sc.arn("group", path, name) }
func (sc scope) rootARN() string                   { return "arn:" + sc.partition + ":iam::" + sc.account + ":root" }

// fold is the key under which names are unique and ordered: IAM names are unique case-insensitively and
// listed in case-insensitive alphabetical order.
func fold(name string) string { return storage.Fold(name) }

// page is the pagination of one List* request.
type page struct {
	after string // exclusive key to resume after ("" from the start)
	max   int
}

// pageOf decodes Marker and MaxItems. The marker is opaque to clients: base64 of the last key returned.
func pageOf(marker *string, maxItems *int32) (page, error) {
	p := page{max: defaultMaxItems}
	if maxItems != nil {
		p.max = int(*maxItems)
		// The generated validator enforces 1-1000; clamp anyway so a direct caller cannot ask for 0 or
		// a billion rows.
		p.max = min(max(p.max, 1), maxMaxItems)
	}
	if marker != nil && *marker != "" {
		b, err := base64.RawURLEncoding.DecodeString(*marker)
		// Every key a list resumes after is text (a name, an index): one that is not UTF-8 or holds a
		// NUL is no marker iamd gave, and PostgreSQL refuses such text as a query parameter.
		if err != nil || len(b) == 0 || !utf8.Valid(b) || strings.IndexByte(string(b), 0) >= 0 {
			return p, iamapi.NewInvalidInputException("Invalid Marker.")
		}
		p.after = string(b)
	}
	return p, nil
}

// MarkerBefore returns the Marker with which a list in name order (ListUsers, ListGroups, ListRoles and
// the other lists keyed by an entity's name) starts at the first name that begins with prefix, compared
// case-insensitively as IAM orders names: the console filters by name prefix without reading the names
// before it. nil for an empty prefix (the list's start). The key is the folded prefix with its last byte
// one lower and followed by 0x7f, above every character an IAM name may hold: the greatest key below
// every name with the prefix. A prefix with a character no IAM name holds (names are printable ASCII)
// starts past every name: the key stays ASCII, which every store compares and keeps as text.
func MarkerBefore(prefix string) *string {
	f := fold(prefix)
	if f == "" {
		return nil
	}
	key := "\x7f"
	if printableASCII(f) {
		n := len(f)
		key = f[:n-1] + string([]byte{f[n-1] - 1, 0x7f})
	}
	m := base64.RawURLEncoding.EncodeToString([]byte(key))
	return &m
}

func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] >= 0x7f {
			return false
		}
	}
	return true
}

// limit is what to ask storage for: one more than the page so truncation is known without a count.
func (p page) limit() int { return p.max + 1 }

// paginate trims items fetched with limit() to the page and returns IsTruncated and the next marker.
func paginate[T any](items []T, p page, key func(T) string) ([]T, *bool, *string) {
	if len(items) <= p.max {
		return items, ptr(false), nil
	}
	items = items[:p.max]
	m := base64.RawURLEncoding.EncodeToString([]byte(key(items[len(items)-1])))
	return items, ptr(true), &m
}

// paginateSlice pages a list held in memory (tags, aliases) using the item's index as the key.
func paginateSlice[T any](items []T, marker *string, maxItems *int32) ([]T, *bool, *string, error) {
	p, err := pageOf(marker, maxItems)
	if err != nil {
		return nil, nil, nil, err
	}
	start := 0
	if p.after != "" {
		if _, err := fmt.Sscanf(p.after, "i%d", &start); err != nil || start < 0 || start > len(items) {
			return nil, nil, nil, iamapi.NewInvalidInputException("Invalid Marker.")
		}
	}
	rest := items[start:]
	if len(rest) <= p.max {
		return rest, ptr(false), nil, nil
	}
	m := base64.RawURLEncoding.EncodeToString(fmt.Appendf(nil, "i%d", start+p.max))
	return rest[:p.max], ptr(true), &m, nil
}

func ptr[T any](v T) *T { return &v }

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// pathOr returns the path given or IAM's default "/".
func pathOr(p *string) string {
	if p == nil || *p == "" {
		return "/"
	}
	return *p
}

// AWS's NoSuchEntity wording for each entity kind.
func noSuchUser(name string) error {
	return iamapi.NewNoSuchEntityException("The user with name " + name + " cannot be found.")
}

func noSuchGroup(name string) error {
	return iamapi.NewNoSuchEntityException("The group with name " + name + " cannot be found.")
}

// notFound maps storage.ErrNotFound to the entity's NoSuchEntity error and passes other errors on.
func notFound(err error, nse func() error) error {
	if errors.Is(err, storage.ErrNotFound) {
		return nse()
	}
	return err
}

// checkRequestTags rejects a request whose tags repeat a key; IAM tag keys are unique case-insensitively.
func checkRequestTags(tags []iamapi.Tag) error {
	seen := make(map[string]struct{}, len(tags))
	for _, t := range tags {
		k := strings.ToLower(str(t.Key))
		if _, dup := seen[k]; dup {
			return iamapi.NewInvalidInputException("Duplicate tag keys found. Please note that Tag keys are case insensitive.")
		}
		seen[k] = struct{}{}
	}
	return nil
}

// mergeTags applies TagX semantics: a tag whose key exists (case-insensitively) replaces that tag's value,
// others are appended. quota names the LimitExceeded quota (e.g. "TagsPerUser").
func mergeTags(existing []storage.Tag, add []iamapi.Tag, quota string) ([]storage.Tag, error) {
	if err := checkRequestTags(add); err != nil {
		return nil, err
	}
	out := append([]storage.Tag(nil), existing...)
	for _, t := range add {
		k, v := str(t.Key), str(t.Value)
		replaced := false
		for i := range out {
			if strings.EqualFold(out[i].Key, k) {
				out[i] = storage.Tag{Key: k, Value: v}
				replaced = true
				break
			}
		}
		if !replaced {
			out = append(out, storage.Tag{Key: k, Value: v})
		}
	}
	if len(out) > maxTagsPerEntity {
		return nil, iamapi.NewLimitExceededException(fmt.Sprintf("Cannot exceed quota for %s: %d", quota, maxTagsPerEntity))
	}
	return out, nil
}

// removeTags applies UntagX semantics: keys match case-insensitively; absent keys are ignored.
func removeTags(existing []storage.Tag, keys []string) []storage.Tag {
	out := make([]storage.Tag, 0, len(existing))
	for _, t := range existing {
		drop := false
		for _, k := range keys {
			if strings.EqualFold(t.Key, k) {
				drop = true
				break
			}
		}
		if !drop {
			out = append(out, t)
		}
	}
	return out
}

// tagsIn converts request tags to storage tags (after checkRequestTags).
func tagsIn(tags []iamapi.Tag) []storage.Tag {
	if len(tags) == 0 {
		return nil
	}
	out := make([]storage.Tag, len(tags))
	for i, t := range tags {
		out[i] = storage.Tag{Key: str(t.Key), Value: str(t.Value)}
	}
	return out
}

// tagsOut converts storage tags to wire tags; nil when there are none so the element is omitted.
func tagsOut(tags []storage.Tag) []iamapi.Tag {
	if len(tags) == 0 {
		return nil
	}
	out := make([]iamapi.Tag, len(tags))
	for i, t := range tags {
		out[i] = iamapi.Tag{Key: ptr(t.Key), Value: ptr(t.Value)}
	}
	return out
}

// allTagsOut is tagsOut for the operations that show an entity's tags even when it has none (GetPolicy,
// GetInstanceProfile): an empty list, which the query protocol writes as <Tags/>.
func allTagsOut(tags []storage.Tag) []iamapi.Tag {
	if out := tagsOut(tags); out != nil {
		return out
	}
	return []iamapi.Tag{}
}

// tagsPage is one page of a List*Tags answer: the tags after Marker, at most MaxItems of them, as wire
// tags (an empty list, not none, when there are no tags).
func tagsPage(tags []storage.Tag, marker *string, maxItems *int32) ([]iamapi.Tag, *bool, *string, error) {
	page, truncated, next, err := paginateSlice(tags, marker, maxItems)
	if err != nil {
		return nil, nil, nil, err
	}
	out := tagsOut(page)
	if out == nil {
		out = []iamapi.Tag{}
	}
	return out, truncated, next, nil
}

// timePtr returns nil for the zero time so optional timestamps are omitted. IAM returns whole seconds in
// UTC, whatever precision a time was stored with.
func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	t = t.UTC().Truncate(time.Second)
	return &t
}

// deleteConflict is AWS's DeleteConflict for an entity that still has something of kind what
// ("delete access keys", "detach all policies", …).
func deleteConflict(what string) error {
	return iamapi.NewDeleteConflictException("Cannot delete entity, must " + what + " first.")
}

// policiesDeleteConflict returns DeleteConflict when a user, group or role still has inline or attached
// policies (AWS checks inline policies first), nil when it has neither.
func policiesDeleteConflict(ctx context.Context, tx storage.Tx, acct string, kind storage.OwnerKind, name string) error {
	one := storage.ListOptions{Limit: 1}
	inline, err := tx.ListInlinePolicies(ctx, acct, kind, name, one)
	if err != nil {
		return err
	}
	if len(inline) > 0 {
		return deleteConflict("delete policies")
	}
	attached, err := tx.ListAttachedPolicies(ctx, acct, kind, name, one)
	if err != nil {
		return err
	}
	if len(attached) > 0 {
		return deleteConflict("detach all policies")
	}
	return nil
}
