// Package storage defines what iamd keeps durably: plain domain structs (no AWS wire types), the Store and
// Tx interfaces every backend implements, and the sentinel errors callers test with errors.Is.
//
// All entities live inside an account and are addressed by (account ID, name). Names are unique
// case-insensitively per account, as in AWS: backends store a folded key (see Fold) and list in folded-key
// order, which is the alphabetical order AWS lists in. Listing is resumable: pass the name of the last entry
// returned as ListOptions.After.
//
// Backends: internal/storage/sqlite and internal/storage/postgres (both built on internal/storage/sqlstore).
// Every backend runs internal/storage/conformance.
package storage

import (
	"context"
	"errors"
	"io"
	"strings"
	"time"
)

// Sentinel errors. Backends wrap them with %w and some context ("user \"bob\": not found"), so callers
// must use errors.Is, never ==.
var (
	// ErrNotFound: the addressed entity (or relation) does not exist.
	ErrNotFound = errors.New("not found")
	// ErrAlreadyExists: an entity with the same folded name (or the same unique ID) exists, or the relation
	// being added is already there.
	ErrAlreadyExists = errors.New("already exists")
	// ErrConflict: a compare-and-swap lost (PutKeyRing) or a transaction could not be serialised even after
	// retries.
	ErrConflict = errors.New("conflict")
)

// Fold returns the key under which a case-insensitive name is unique and ordered. IAM names are ASCII
// ([\w+=,.@-]), so lower-casing is exact; it is one function so every backend and caller folds the same way.
func Fold(name string) string { return strings.ToLower(name) }

// Store is a durable store of iamd state. Implementations are safe for concurrent use.
type Store interface {
	// Update runs fn in a read-write transaction and commits it when fn returns nil. When fn returns an
	// error nothing it wrote is kept and the error is returned unchanged (errors.Is works on it). fn may run
	// more than once: the backend retries on serialization failures and deadlocks, so fn must not have side
	// effects outside tx (build results in variables fn assigns, not appends).
	Update(ctx context.Context, fn func(tx Tx) error) error
	// View runs fn in a read-only snapshot. Writes inside View fail. Like Update's, fn may run more than
	// once (a busy database is retried; on PostgreSQL a run whose first read moved before its second is
	// run again, see sqlstore.Dialect.SingleStatementViews), so the same rule holds: assign, don't append.
	View(ctx context.Context, fn func(tx Tx) error) error
	// Subscribe returns a channel of changes committed after the call (by this process and, on PostgreSQL,
	// by other nodes) and a function that cancels the subscription and closes the channel. A subscriber
	// that falls behind receives a Change with Kind ChangeAll: drop every cached entry.
	Subscribe() (<-chan Change, func())
	// Ping reports whether the store can serve requests (readiness).
	Ping(ctx context.Context) error
	// Backup writes a consistent, self-contained copy of the database to w while the store keeps serving.
	// SQLite writes a database file that sqlite.Open can use as iamd.db; PostgreSQL returns an error that
	// points to pg_dump.
	Backup(ctx context.Context, w io.Writer) error
	// Close releases the store. Subscriptions are closed.
	Close() error
}

// ListOptions selects a page of an ordered listing. Entries come in folded-name order.
type ListOptions struct {
	// PathPrefix keeps entries whose Path starts with it (case-sensitive, as AWS). Empty keeps all.
	PathPrefix string
	// After is the name of the last entry of the previous page: the listing starts strictly after its
	// folded key. The entry need not still exist.
	After string
	// Limit caps the number of entries; 0 means no cap. To learn whether more remain (AWS IsTruncated),
	// ask for one more than the page size.
	Limit int
}

// Tx is a transaction. Its methods take the transaction's context; entities are scoped by account ID.
// Getters return ErrNotFound, creators ErrAlreadyExists, updaters and deleters ErrNotFound when the entity
// is missing. Updaters address the entity by its current name and may rename it (the new name is in the
// struct); relations (memberships, attachments, inline policies, keys, ...) follow the rename.
// Deleting an entity removes its relations too; refusing to delete while relations exist (AWS
// DeleteConflict) is the service's rule, checked with the List methods first.
type Tx interface {
	// Accounts. Aliases are globally unique (ErrAlreadyExists on collision).
	CreateAccount(ctx context.Context, a *Account) error
	GetAccount(ctx context.Context, id string) (*Account, error)
	GetAccountByAlias(ctx context.Context, alias string) (*Account, error)
	UpdateAccount(ctx context.Context, a *Account) error
	// DeleteAccount removes the account and everything in it.
	DeleteAccount(ctx context.Context, id string) error
	// ListAccounts lists in account-ID order; After is an account ID; PathPrefix is ignored.
	ListAccounts(ctx context.Context, opts ListOptions) ([]*Account, error)

	// Users.
	CreateUser(ctx context.Context, u *User) error
	GetUser(ctx context.Context, acct, name string) (*User, error)
	GetUserByID(ctx context.Context, id string) (*User, error)
	UpdateUser(ctx context.Context, name string, u *User) error
	DeleteUser(ctx context.Context, acct, name string) error
	ListUsers(ctx context.Context, acct string, opts ListOptions) ([]*User, error)

	// Groups and membership.
	CreateGroup(ctx context.Context, g *Group) error
	GetGroup(ctx context.Context, acct, name string) (*Group, error)
	GetGroupByID(ctx context.Context, id string) (*Group, error)
	UpdateGroup(ctx context.Context, name string, g *Group) error
	DeleteGroup(ctx context.Context, acct, name string) error
	ListGroups(ctx context.Context, acct string, opts ListOptions) ([]*Group, error)
	// AddUserToGroup returns ErrNotFound when either is missing, ErrAlreadyExists when already a member.
	AddUserToGroup(ctx context.Context, acct, group, user string) error
	RemoveUserFromGroup(ctx context.Context, acct, group, user string) error
	ListGroupsForUser(ctx context.Context, acct, user string, opts ListOptions) ([]*Group, error)
	ListUsersInGroup(ctx context.Context, acct, group string, opts ListOptions) ([]*User, error)

	// Roles.
	CreateRole(ctx context.Context, r *Role) error
	GetRole(ctx context.Context, acct, name string) (*Role, error)
	GetRoleByID(ctx context.Context, id string) (*Role, error)
	UpdateRole(ctx context.Context, name string, r *Role) error
	DeleteRole(ctx context.Context, acct, name string) error
	ListRoles(ctx context.Context, acct string, opts ListOptions) ([]*Role, error)

	// Customer managed policies, addressed by name (unique per account whatever the path).
	// AttachmentCount and PermissionsBoundaryUsageCount are derived on read and ignored on write.
	CreateManagedPolicy(ctx context.Context, p *ManagedPolicy) error
	GetManagedPolicy(ctx context.Context, acct, name string) (*ManagedPolicy, error)
	GetManagedPolicyByID(ctx context.Context, id string) (*ManagedPolicy, error)
	UpdateManagedPolicy(ctx context.Context, name string, p *ManagedPolicy) error
	// DeleteManagedPolicy also deletes its versions.
	DeleteManagedPolicy(ctx context.Context, acct, name string) error
	ListManagedPolicies(ctx context.Context, acct string, opts ListOptions) ([]*ManagedPolicy, error)

	// Policy versions. CreatePolicyVersion assigns v.VersionID ("v" + the policy's NextVersion) and
	// advances NextVersion, so IDs are never reused. Listing is newest first, as AWS.
	CreatePolicyVersion(ctx context.Context, acct, policy string, v *PolicyVersion) error
	GetPolicyVersion(ctx context.Context, acct, policy, versionID string) (*PolicyVersion, error)
	DeletePolicyVersion(ctx context.Context, acct, policy, versionID string) error
	ListPolicyVersions(ctx context.Context, acct, policy string) ([]*PolicyVersion, error)

	// Inline policies. PutInlinePolicy creates or replaces; the owner must exist (ErrNotFound).
	PutInlinePolicy(ctx context.Context, p *InlinePolicy) error
	GetInlinePolicy(ctx context.Context, acct string, kind OwnerKind, owner, name string) (*InlinePolicy, error)
	DeleteInlinePolicy(ctx context.Context, acct string, kind OwnerKind, owner, name string) error
	ListInlinePolicies(ctx context.Context, acct string, kind OwnerKind, owner string, opts ListOptions) ([]*InlinePolicy, error)
	// OwnerDetailsInRange returns the inline policies, attached policy ARNs and, for users, groups of every
	// owner of kind whose folded name lies in [from, to], keyed by folded name (owners with none of them
	// are absent), in the orders of ListInlinePolicies, ListAttachedPolicies and ListGroupsForUser. From
	// and to are the folded names of the first and last owners of a listing page:
	// GetAccountAuthorizationDetails reads a page's details in three queries instead of five per owner.
	// With maxBytes > 0 it stops before the inline policies of the next owner once the documents read
	// reach maxBytes (so what it holds is bounded by maxBytes plus one owner's documents): through is then
	// the folded name of the last owner read and later owners are absent, as if to were through;
	// otherwise through is to.
	OwnerDetailsInRange(ctx context.Context, acct string, kind OwnerKind, from, to string, maxBytes int) (details map[string]*OwnerDetails, through string, err error)

	// Managed policy attachments (customer or AWS managed, by ARN). Attach returns ErrNotFound when the
	// owner is missing and ErrAlreadyExists when already attached; the service checks the policy exists.
	AttachPolicy(ctx context.Context, acct string, kind OwnerKind, owner, policyARN string) error
	DetachPolicy(ctx context.Context, acct string, kind OwnerKind, owner, policyARN string) error
	// ListAttachedPolicies returns ARNs in ARN order; ListOptions.After is an ARN.
	ListAttachedPolicies(ctx context.Context, acct string, kind OwnerKind, owner string, opts ListOptions) ([]string, error)
	// ListEntitiesForPolicy returns the owners of an attachment, ordered by kind then folded name;
	// ListOptions.After is the Key() of the last owner returned.
	ListEntitiesForPolicy(ctx context.Context, acct, policyARN string, opts ListOptions) ([]Owner, error)
	// ListBoundaryEntities is the same for users and roles whose permissions boundary is the policy
	// (an index lookup, not a scan of every user and role).
	ListBoundaryEntities(ctx context.Context, acct, policyARN string, opts ListOptions) ([]Owner, error)
	// PolicyUsage counts the attachments and permissions-boundary uses of a policy ARN in an account;
	// ListPolicyUsage reports every ARN with a non-zero count (for ListPolicies OnlyAttached on AWS
	// managed policies), in ARN order.
	PolicyUsage(ctx context.Context, acct, policyARN string) (PolicyUsage, error)
	ListPolicyUsage(ctx context.Context, acct string) ([]PolicyUsage, error)

	// Access keys. IDs are globally unique; GetAccessKey is the authenticator's hot path. UserName "" is
	// the root user. ListAccessKeys lists one user's (or root's) keys in key ID order.
	CreateAccessKey(ctx context.Context, k *AccessKey) error
	GetAccessKey(ctx context.Context, keyID string) (*AccessKey, error)
	UpdateAccessKey(ctx context.Context, k *AccessKey) error
	DeleteAccessKey(ctx context.Context, keyID string) error
	ListAccessKeys(ctx context.Context, acct, userName string) ([]*AccessKey, error)

	// Last use of keys and roles (GetAccessKeyLastUsed, RoleLastUsed). Each records a use unless a later
	// one is stored already and changes nothing else, so it publishes ChangeAccessKeyUsed /
	// ChangeRoleUsed, which the caches of credentials and policies ignore. ErrNotFound when the key or
	// role is gone.
	SetAccessKeyLastUsed(ctx context.Context, keyID string, used AccessKeyLastUsed) error
	SetRoleLastUsed(ctx context.Context, acct, name string, at time.Time, region string) error
	// RecordServiceAccess stores the last authenticated request of a user or role (a.Kind, a.OwnerID: its
	// unique ID) to one action of a service (access advisor) unless a later one is stored; an owner that no
	// longer exists (deleted, or deleted and recreated under a new ID) records nothing.
	RecordServiceAccess(ctx context.Context, acct string, a ServiceAccess) error
	// ListServiceAccess returns every recorded access of a user or role, by namespace then action.
	ListServiceAccess(ctx context.Context, acct string, kind OwnerKind, owner string) ([]ServiceAccess, error)

	// Login profiles (one per user).
	CreateLoginProfile(ctx context.Context, p *LoginProfile) error
	GetLoginProfile(ctx context.Context, acct, userName string) (*LoginProfile, error)
	UpdateLoginProfile(ctx context.Context, p *LoginProfile) error
	DeleteLoginProfile(ctx context.Context, acct, userName string) error

	// Web console sessions, by ID (the hash of the browser's token, never the token). Not cached: every
	// node reads them from the store, so a sign-out on one node ends the session on all of them.
	// ListConsoleSessions returns an account's sessions oldest first.
	CreateConsoleSession(ctx context.Context, s *ConsoleSession) error
	GetConsoleSession(ctx context.Context, id string) (*ConsoleSession, error)
	UpdateConsoleSession(ctx context.Context, s *ConsoleSession) error
	DeleteConsoleSession(ctx context.Context, id string) error
	ListConsoleSessions(ctx context.Context, acct string) ([]*ConsoleSession, error)

	// MFA devices, addressed by device name (unique per account).
	CreateMFADevice(ctx context.Context, d *MFADevice) error
	GetMFADevice(ctx context.Context, acct, name string) (*MFADevice, error)
	UpdateMFADevice(ctx context.Context, d *MFADevice) error
	DeleteMFADevice(ctx context.Context, acct, name string) error
	ListMFADevices(ctx context.Context, acct string, filter MFAFilter, opts ListOptions) ([]*MFADevice, error)

	// Instance profiles and their roles.
	CreateInstanceProfile(ctx context.Context, p *InstanceProfile) error
	GetInstanceProfile(ctx context.Context, acct, name string) (*InstanceProfile, error)
	GetInstanceProfileByID(ctx context.Context, id string) (*InstanceProfile, error)
	UpdateInstanceProfile(ctx context.Context, name string, p *InstanceProfile) error
	DeleteInstanceProfile(ctx context.Context, acct, name string) error
	ListInstanceProfiles(ctx context.Context, acct string, opts ListOptions) ([]*InstanceProfile, error)
	AddRoleToInstanceProfile(ctx context.Context, acct, profile, role string) error
	RemoveRoleFromInstanceProfile(ctx context.Context, acct, profile, role string) error
	ListInstanceProfilesForRole(ctx context.Context, acct, role string, opts ListOptions) ([]*InstanceProfile, error)

	// Named resources without a typed table of their own (OIDC and SAML providers, server certificates):
	// unique per (account, kind, folded name), global unique ID, kind-specific fields as JSON in Data.
	CreateResource(ctx context.Context, r *Resource) error
	GetResource(ctx context.Context, acct string, kind ResourceKind, name string) (*Resource, error)
	GetResourceByID(ctx context.Context, kind ResourceKind, id string) (*Resource, error)
	UpdateResource(ctx context.Context, name string, r *Resource) error
	DeleteResource(ctx context.Context, acct string, kind ResourceKind, name string) error
	ListResources(ctx context.Context, acct string, kind ResourceKind, opts ListOptions) ([]*Resource, error)

	// User credentials other than access keys (signing certificates, SSH public keys, service-specific
	// credentials): globally unique ID, owned by a user ("" = root). Listed in ID order.
	CreateCredential(ctx context.Context, c *Credential) error
	GetCredential(ctx context.Context, kind CredentialKind, id string) (*Credential, error)
	UpdateCredential(ctx context.Context, c *Credential) error
	DeleteCredential(ctx context.Context, kind CredentialKind, id string) error
	ListCredentials(ctx context.Context, acct string, kind CredentialKind, userName string) ([]*Credential, error)

	// Token key ring (one, node-wide). GetKeyRing returns an empty ring at Generation 0 when none was
	// stored. PutKeyRing stores keys as generation expected+1 if the stored generation is still expected,
	// else returns ErrConflict (another node rotated first: reload and decide again).
	GetKeyRing(ctx context.Context) (*KeyRing, error)
	PutKeyRing(ctx context.Context, expectedGeneration int64, keys []TokenKey) error

	// Counts returns the account's entity counters (GetAccountSummary), maintained by every write in
	// the same transaction, so this is one query.
	Counts(ctx context.Context, acct string) (Counts, error)

	// UserDependents reports what a user still has that DeleteUser must refuse to delete around, in one
	// query (on PostgreSQL each statement is a round trip: the checks one by one were a dozen). It
	// returns ErrNotFound when the user does not exist.
	UserDependents(ctx context.Context, acct, name string) (UserDependents, error)
}

// UserDependents lists the kinds of subordinate entities a user has (true: at least one).
type UserDependents struct {
	LoginProfile               bool
	AccessKeys                 bool
	SigningCertificates        bool
	SSHPublicKeys              bool
	ServiceSpecificCredentials bool
	MFADevices                 bool
	Groups                     bool
	InlinePolicies             bool
	AttachedPolicies           bool
}

// Tag is a key/value pair; order is kept as written.
type Tag struct {
	Key   string
	Value string
}

// Account is an AWS account and its account-wide settings.
type Account struct {
	ID        string // 12 digits
	Name      string // display name (Account API), may be empty
	Email     string // root user e-mail, may be empty
	CreatedAt time.Time
	// Aliases: IAM allows at most one, but the list keeps the wire shape. Globally unique.
	Aliases []string
	// GlobalEndpointTokenVersion is 1 or 2 (SetSecurityTokenServicePreferences); 0 is read as 1.
	GlobalEndpointTokenVersion int
	// PasswordPolicy is nil when the account has none (GetAccountPasswordPolicy → NoSuchEntity).
	PasswordPolicy *PasswordPolicy
	// Regions holds the opt-in state of opt-in regions the account has touched; a region absent here is
	// ENABLED_BY_DEFAULT (default regions) or DISABLED (opt-in regions).
	Regions map[string]RegionState
	// STSRegions overrides the default STS activation per region (true = active).
	STSRegions map[string]bool
	// Tags on the account (not used by IAM itself; kept for the Account/Organizations surface).
	Tags []Tag
	// PresetRootKeys lists the root access key IDs that start-up created from a preset key
	// (--root-access-key-id): a preset key missing from the store later was deleted through the API and is
	// not made again, as AWS never brings back a deleted key.
	PresetRootKeys []string `json:",omitempty"`
	// AlternateContacts holds the Account API's alternate contacts by type (BILLING, OPERATIONS,
	// SECURITY); ContactInformation the primary contact; PendingEmail a primary e-mail change started
	// and not yet accepted. All three live in the account's row (no migration).
	AlternateContacts  map[string]AlternateContact `json:",omitempty"`
	ContactInformation *ContactInformation         `json:",omitempty"`
	PendingEmail       *PendingEmailUpdate         `json:",omitempty"`
	// RootPasswordHash is the root user's console password (iamd accounts root-password), hashed as
	// login profiles are; nil when none is set, and the root cannot sign in to the console.
	RootPasswordHash []byte `json:",omitempty"`
}

// TokenVersion returns the account's global-endpoint token version, defaulting to 1.
func (a *Account) TokenVersion() int {
	if a.GlobalEndpointTokenVersion == 2 {
		return 2
	}
	return 1
}

// PasswordPolicy is IAM's account password policy. Zero MaxPasswordAge / PasswordReusePrevention mean unset.
type PasswordPolicy struct {
	MinimumPasswordLength      int
	RequireSymbols             bool
	RequireNumbers             bool
	RequireUppercaseCharacters bool
	RequireLowercaseCharacters bool
	AllowUsersToChangePassword bool
	MaxPasswordAge             int // days; ExpirePasswords is MaxPasswordAge > 0
	PasswordReusePrevention    int
	HardExpiry                 bool
}

// RegionStatus is an opt-in region's state as the Account API names it.
type RegionStatus string

// The opt-in states (ENABLED_BY_DEFAULT regions are never stored).
const (
	RegionEnabled          RegionStatus = "ENABLED"
	RegionEnabling         RegionStatus = "ENABLING"
	RegionDisabling        RegionStatus = "DISABLING"
	RegionDisabled         RegionStatus = "DISABLED"
	RegionEnabledByDefault RegionStatus = "ENABLED_BY_DEFAULT"
)

// RegionState is a region's opt-in status and, for ENABLING/DISABLING, when the transition completes
// (the service reads the final state once Until has passed).
type RegionState struct {
	Status RegionStatus
	Until  time.Time
}

// User is an IAM user. The service builds the ARN from Path and Name.
type User struct {
	AccountID              string
	Name                   string
	Path                   string
	ID                     string // AIDA…
	CreatedAt              time.Time
	PasswordLastUsed       time.Time // zero: never
	PermissionsBoundaryARN string
	Tags                   []Tag
}

// Group is an IAM group.
type Group struct {
	AccountID string
	Name      string
	Path      string
	ID        string // AGPA…
	CreatedAt time.Time
}

// Role is an IAM role.
type Role struct {
	AccountID                string
	Name                     string
	Path                     string
	ID                       string // AROA…
	CreatedAt                time.Time
	AssumeRolePolicyDocument string
	Description              string
	MaxSessionDuration       int32 // seconds, 3600-43200
	PermissionsBoundaryARN   string
	Tags                     []Tag
	LastUsedAt               time.Time // zero: never
	LastUsedRegion           string
	ServiceLinked            bool
	// DeletionTaskID / DeletionStatus track DeleteServiceLinkedRole (SUCCEEDED, IN_PROGRESS, FAILED, ...).
	DeletionTaskID string
	DeletionStatus string
	// TrustPrincipalIDs maps each IAM user and role ARN the trust policy names (as written in it) to the
	// unique ID (AIDA…, AROA…) that ARN named when the policy was saved, for the accounts this server
	// holds ("": a principal that no longer existed, which matches nobody). The policy then trusts that
	// principal only, not one created later under the same name. Empty, not nil, when the policy names
	// none; nil for a role stored before resolution existed. Kept in the role's row with the rest of it
	// (no column of its own). Not modified once stored: caches share it.
	TrustPrincipalIDs map[string]string
}

// ManagedPolicy is a customer managed policy.
type ManagedPolicy struct {
	AccountID        string
	Name             string
	Path             string
	ID               string // ANPA…
	Description      string
	DefaultVersionID string
	// NextVersion is the number the next CreatePolicyVersion will use (starts at 1).
	NextVersion int
	CreatedAt   time.Time
	UpdatedAt   time.Time
	Tags        []Tag
	// Derived on read from attachments and boundaries in the account.
	AttachmentCount               int64
	PermissionsBoundaryUsageCount int64
}

// PolicyVersion is one version of a customer managed policy. Whether it is the default is
// ManagedPolicy.DefaultVersionID == VersionID.
type PolicyVersion struct {
	VersionID string // v1, v2, …
	Document  string
	CreatedAt time.Time
}

// OwnerKind is the sort of principal that holds inline policies and attachments.
type OwnerKind string

// Owner kinds.
const (
	OwnerUser  OwnerKind = "user"
	OwnerGroup OwnerKind = "group"
	OwnerRole  OwnerKind = "role"
)

// ServiceAccess is the last authenticated request of a user or role (Kind; OwnerID its unique ID, Owner
// its name) to one action of a service namespace, and the region it reached. Rows go with their owner when
// it is deleted.
type ServiceAccess struct {
	Kind      OwnerKind
	OwnerID   string
	Owner     string
	Namespace string
	Action    string
	At        time.Time
	Region    string
}

// Owner names a user, group or role.
type Owner struct {
	Kind OwnerKind
	Name string
}

// Key is the listing key of an owner (ListEntitiesForPolicy pagination).
func (o Owner) Key() string { return string(o.Kind) + ":" + Fold(o.Name) }

// InlinePolicy is a policy embedded in a user, group or role.
type InlinePolicy struct {
	AccountID string
	OwnerKind OwnerKind
	OwnerName string
	Name      string
	Document  string
}

// OwnerDetails is what an owner has besides its row, for GetAccountAuthorizationDetails.
type OwnerDetails struct {
	Inline   []*InlinePolicy
	Attached []string // ARNs
	Groups   []*Group // users only
}

// PolicyUsage counts how often a policy ARN is used in an account.
type PolicyUsage struct {
	ARN          string
	Attachments  int64
	BoundaryUses int64
}

// AccessKeyStatus is Active or Inactive (the wire values).
type AccessKeyStatus string

// Access key (and credential) statuses.
const (
	StatusActive   AccessKeyStatus = "Active"
	StatusInactive AccessKeyStatus = "Inactive"
)

// AccessKey is a long-term access key of a user or of the root user (UserName "").
type AccessKey struct {
	ID           string // AKIA…
	AccountID    string
	UserName     string
	SecretSealed []byte // sealed by the service; opaque here
	Status       AccessKeyStatus
	CreatedAt    time.Time
	LastUsed     AccessKeyLastUsed
}

// AccessKeyLastUsed is GetAccessKeyLastUsed's data; a zero Date means never used.
type AccessKeyLastUsed struct {
	Date    time.Time
	Service string
	Region  string
}

// LoginProfile is a user's console password.
type LoginProfile struct {
	AccountID             string
	UserName              string
	PasswordHash          []byte
	PasswordResetRequired bool
	CreatedAt             time.Time
	// PasswordChangedAt is when the password was last set (CreateLoginProfile, UpdateLoginProfile with
	// a password, ChangePassword); zero in profiles stored before it was kept, whose password dates from
	// CreatedAt at the latest (PasswordSetAt).
	PasswordChangedAt time.Time
}

// PasswordSetAt is when the profile's password was last set: what the account password policy's
// MaxPasswordAge counts from and the credential report's password_last_changed.
func (p *LoginProfile) PasswordSetAt() time.Time {
	if p.PasswordChangedAt.IsZero() {
		return p.CreatedAt
	}
	return p.PasswordChangedAt
}

// PasswordExpired tells whether the password of p has outlived the policy's MaxPasswordAge (days) at now;
// never without a policy or a MaxPasswordAge.
func (pp *PasswordPolicy) PasswordExpired(p *LoginProfile, now time.Time) bool {
	if pp == nil || pp.MaxPasswordAge <= 0 {
		return false
	}
	return !now.Before(p.PasswordSetAt().Add(time.Duration(pp.MaxPasswordAge) * 24 * time.Hour))
}

// ConsoleSession is a sign-in to the web console. ID is a hash of the random token in the browser's
// cookie: a copy of the database does not hold tokens that sign anyone in.
type ConsoleSession struct {
	ID        string
	AccountID string
	Partition string
	// Root is true for the account's root user; else UserName and UserID name the IAM user (the ID
	// tells a user deleted and created again under the same name from the one that signed in).
	Root     bool
	UserName string `json:",omitempty"`
	UserID   string `json:",omitempty"`
	// CSRFToken is the session's token that every form carries back.
	CSRFToken string
	// MFA is true when the sign-in checked an MFA code, at MFAAuthTime.
	MFA         bool      `json:",omitempty"`
	MFAAuthTime time.Time `json:",omitempty"`
	// Pending names a sign-in step still to do ("mfa", "password-change"): until it is done the session
	// acts as nobody. MFASerials are the devices whose code the "mfa" step accepts; PasswordChange says
	// a password change follows it; Attempts counts the step's failed tries.
	Pending        string   `json:",omitempty"`
	MFASerials     []string `json:",omitempty"`
	PasswordChange bool     `json:",omitempty"`
	Attempts       int      `json:",omitempty"`
	// SessionToken is the STS session token of a federation sign-in (the console then acts as that
	// session's principal); empty for a password sign-in. SessionSeconds is the console session's length
	// the sign-in token asked for (its SessionDuration).
	SessionToken   string `json:",omitempty"`
	SessionSeconds int    `json:",omitempty"`
	CreatedAt      time.Time
	LastSeenAt     time.Time
	// ExpiresAt is the absolute end of the session, whatever its activity.
	ExpiresAt time.Time
}

// MFADevice is a virtual MFA device. It is unassigned when UserName is "" and Root is false.
type MFADevice struct {
	AccountID  string
	Name       string // the device name in its serial ARN (arn:aws:iam::ACCT:mfa/PATH/NAME)
	Path       string
	SeedSealed []byte
	UserName   string // assigned user
	Root       bool   // assigned to the root user
	EnableDate time.Time
	CreatedAt  time.Time
	Tags       []Tag
	// LastStep is the TOTP time step (Unix time / 30 s) of the last code accepted from the device, so
	// that no code is accepted twice; it only grows. Drift is the device clock's offset in time steps
	// that the last resynchronisation measured; codes are checked around now + Drift.
	LastStep int64
	Drift    int64
}

// Assigned reports whether the device is enabled for a user or root.
func (d *MFADevice) Assigned() bool { return d.UserName != "" || d.Root }

// MFAFilter restricts ListMFADevices.
type MFAFilter struct {
	UserName string // only devices of this user
	Root     bool   // only root's devices
	// Assigned: nil = all, true = assigned only, false = unassigned only.
	Assigned *bool
}

// InstanceProfile is an EC2 instance profile; Roles holds role names (AWS allows one).
type InstanceProfile struct {
	AccountID string
	Name      string
	Path      string
	ID        string // AIPA…
	CreatedAt time.Time
	Tags      []Tag
	Roles     []string // derived on read; use AddRoleToInstanceProfile to change
}

// ResourceKind names a generic resource table.
type ResourceKind string

// Generic resource kinds. Counters: OIDC and SAML providers count as Providers.
const (
	ResourceOIDCProvider      ResourceKind = "oidc-provider"
	ResourceSAMLProvider      ResourceKind = "saml-provider"
	ResourceServerCertificate ResourceKind = "server-certificate"
	// ResourceOutboundIssuer is an account's outbound web identity federation issuer (at most one per
	// account, Name "issuer"; ID is the issuer's random path segment, looked up by the public listener).
	// It counts in no GetAccountSummary figure.
	ResourceOutboundIssuer ResourceKind = "outbound-issuer"
)

// ResourceDelegationRequest is an IAM delegation request, named by its ID. It lives in the requesting
// partner's account until a customer associates it, then in the customer's (owner's) account; its ID is
// unique across accounts (GetResourceByID), which is how every delegation operation finds it.
const ResourceDelegationRequest ResourceKind = "delegation-request"

// Resource is a named, account-scoped entity whose kind-specific fields are JSON in Data.
type Resource struct {
	AccountID string
	Kind      ResourceKind
	Name      string // OIDC: the provider URL without https:// (HOST[:PORT][/PATH]); SAML and certificates: the name
	Path      string
	ID        string
	CreatedAt time.Time
	Tags      []Tag
	Data      []byte // JSON owned by the service
}

// CredentialKind names a sort of user credential.
type CredentialKind string

// Credential kinds.
const (
	CredentialSigningCertificate CredentialKind = "signing-certificate"
	CredentialSSHPublicKey       CredentialKind = "ssh-public-key"
	CredentialServiceSpecific    CredentialKind = "service-specific"
)

// Credential is a user credential identified by a globally unique ID.
type Credential struct {
	ID        string
	AccountID string
	Kind      CredentialKind
	UserName  string // "" = root
	Status    AccessKeyStatus
	CreatedAt time.Time
	Data      []byte // JSON owned by the service (certificate body, public key, service name, …)
}

// KeyRing is the node-wide set of session-token keys with its CAS generation.
type KeyRing struct {
	Generation int64
	Keys       []TokenKey
}

// TokenKey is one session-token key.
type TokenKey struct {
	ID     uint32
	Sealed []byte // key material sealed by the master key
	// CreatedAt: issued; NotAfter: stop signing new tokens; RetireAfter: stop accepting tokens (after the
	// longest-lived token signed with it has expired) and drop it.
	CreatedAt   time.Time
	NotAfter    time.Time
	RetireAfter time.Time
	// State, ActivatedAt and RetiredAt record the key's life in internal/token's terms (next, current,
	// retired); the store keeps them as they are given.
	State       uint8
	ActivatedAt time.Time
	RetiredAt   time.Time
}

// Counts are the GetAccountSummary figures the store maintains.
type Counts struct {
	Users               int64
	Groups              int64
	Roles               int64
	Policies            int64 // customer managed
	PolicyVersionsInUse int64 // versions of customer managed policies
	InstanceProfiles    int64
	MFADevices          int64
	MFADevicesInUse     int64
	Providers           int64 // SAML + OIDC
	ServerCertificates  int64
	// Root credentials: the summary reports these as 0/1 flags.
	RootAccessKeys          int64
	RootSigningCertificates int64
	RootMFADevices          int64
}

// ChangeKind says what sort of entity changed.
type ChangeKind string

// Change kinds. ChangeAll tells a subscriber to drop everything it caches (it fell behind, or a bulk
// operation such as DeleteAccount happened).
const (
	ChangeAll             ChangeKind = "*"
	ChangeAccount         ChangeKind = "account"
	ChangeUser            ChangeKind = "user"
	ChangeGroup           ChangeKind = "group"
	ChangeRole            ChangeKind = "role"
	ChangePolicy          ChangeKind = "policy"
	ChangeInlinePolicy    ChangeKind = "inline-policy"
	ChangeAttachment      ChangeKind = "attachment"
	ChangeMembership      ChangeKind = "membership"
	ChangeAccessKey       ChangeKind = "access-key"
	ChangeLoginProfile    ChangeKind = "login-profile"
	ChangeMFADevice       ChangeKind = "mfa-device"
	ChangeInstanceProfile ChangeKind = "instance-profile"
	ChangeResource        ChangeKind = "resource"
	ChangeCredential      ChangeKind = "credential"
	ChangeKeyRing         ChangeKind = "key-ring"
	// ChangeAccessKeyUsed and ChangeRoleUsed report only a new last use (SetAccessKeyLastUsed,
	// SetRoleLastUsed): nothing a credential or policy cache holds. Key as for ChangeAccessKey and
	// ChangeRole.
	ChangeAccessKeyUsed ChangeKind = "access-key-used"
	ChangeRoleUsed      ChangeKind = "role-used"
)

// Change is a committed write. Key identifies the entity within the kind: the folded name for named
// entities, the key ID for access keys and credentials, "owner-kind:folded-owner" for inline policies and
// attachments, the folded group name for memberships, "" for the account and the key ring.
type Change struct {
	Kind      ChangeKind
	AccountID string
	Key       string
	// Row, on the node that wrote, is the row of a ChangeUser (*User) or ChangeRole (*Role) as the write
	// committed it, when the store knows it without reading it again; nil otherwise (always for changes
	// of other nodes, which carry only the three fields above). The store sets it only when no other
	// change was published between the write's transaction beginning and its changes being published,
	// so that a subscriber taking changes in order may install it where it would drop its copy: no
	// change it has already applied can be newer. Subscribers share it and must not modify it.
	Row any
}
