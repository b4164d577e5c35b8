package iam

import "time"

// IAM's quotas, as GetAccountSummary reports them and the operations enforce them (AWS's "IAM and AWS STS
// quotas" page), and the model's bounds on request members.

// maxUsersPerAccount is the UsersQuota of GetAccountSummary.
const maxUsersPerAccount = 5000

// Group quotas (GetAccountSummary GroupsQuota, GroupsPerUserQuota).
const (
	maxGroupsPerAccount = 300
	maxGroupsPerUser    = 10
)

// Role quotas and bounds (GetAccountSummary: RolesQuota, AssumeRolePolicySizeQuota; the model's
// roleMaxSessionDurationType).
const (
	maxRolesPerAccount       = 1000
	maxTrustPolicySize       = 2048
	defaultMaxSessionSeconds = 3600
	minMaxSessionSeconds     = 3600
	maxMaxSessionSeconds     = 43200
)

// Instance profile quotas (GetAccountSummary: InstanceProfilesQuota; AWS allows one role per profile).
const (
	maxInstanceProfilesPerAccount = 1000
	maxRolesPerInstanceProfile    = 1
)

// Managed policy quotas (GetAccountSummary: PoliciesQuota, VersionsPerPolicyQuota, PolicySizeQuota).
const (
	maxPoliciesPerAccount = 1500
	maxVersionsPerPolicy  = 5
	maxManagedPolicySize  = 6144
)

// Aggregate size quotas of the inline policies of one entity (GetAccountSummary: UserPolicySizeQuota,
// GroupPolicySizeQuota, RolePolicySizeQuota), counted as IAM counts: whitespace outside strings ignored.
const (
	maxUserInlineSize  = 2048
	maxGroupInlineSize = 5120
	maxRoleInlineSize  = 10240
)

// maxAttachedPoliciesPerEntity is AWS's quota of managed policies attached to one user, group or role
// (AttachedPoliciesPer{User,Group,Role}Quota).
const maxAttachedPoliciesPerEntity = 10

// maxAccessKeysPerUser is AccessKeysPerUserQuota (the root user has the same limit).
const maxAccessKeysPerUser = 2

// maxTagsPerEntity is AWS's tag quota for every taggable IAM entity.
const maxTagsPerEntity = 50

// Quotas GetAccountSummary reports that no operation of this package enforces yet (the ones above are
// enforced by the operations they name).
const (
	maxServerCertificatesPerAccount = 20
	maxPolicyVersionsInUse          = 10000
	maxSigningCertificatesPerUser   = 2
)

// Pagination bounds shared by every List* operation (the model's maxItemsType).
const (
	defaultMaxItems = 100
	maxMaxItems     = 1000
)

// Password hashing is slow on purpose (PBKDF2, 600,000 iterations: a large fraction of a CPU second), so
// the operations that hash or verify a password are throttled before they do, per node, in token buckets:
// each bucket holds up to its burst and refills at one token per interval. AWS answers request bursts
// with 400 Throttling "Rate exceeded" (which the SDKs retry with backoff).
const (
	// ChangePassword checks a guessed old password: per user, a handful of tries, then one every 12 s
	// (300 an hour), so a user's credentials cannot be used to guess at machine speed.
	passwordVerifyBurst    = 5
	passwordVerifyInterval = 12 * time.Second
	// Every hashing operation (ChangePassword, CreateLoginProfile and UpdateLoginProfile with a password)
	// per calling principal: room for a script setting up a few dozen users, then one hash a second.
	passwordHashBurstPerPrincipal    = 20
	passwordHashIntervalPerPrincipal = time.Second
	// And per source IP, which principals behind one address share: twice the principal's rate.
	passwordHashBurstPerSource    = 40
	passwordHashIntervalPerSource = 500 * time.Millisecond
	// passwordThrottleMaxTracked bounds each bucket map. Buckets refilled to their burst are the same as
	// absent ones and are dropped first; when the map still holds this many live buckets (a flood from
	// more users or addresses than that), new keys are refused until buckets refill: the limit fails
	// closed rather than forgetting the buckets that enforce it.
	passwordThrottleMaxTracked = 10_000
)

// Last-use write-behind (lastused.go): pending uses are flushed every useFlushInterval in transactions of
// useFlushBatch; a key or role is written at most once per useWriteInterval (AWS itself reports last use
// with coarse, delayed precision); useMaxTracked bounds the uses held in memory per map.
const (
	useFlushInterval = 5 * time.Second
	useWriteInterval = time.Minute
	useFlushBatch    = 500
	useMaxTracked    = 100_000
)

// Limits on the work one request may make the server do where its cost grows with the input and AWS
// documents no number. AWS's API reference for SimulateCustomPolicy and SimulatePrincipalPolicy caps
// only each policy document (131072 characters) and MaxItems (1000), and says that IAM may return fewer
// results than MaxItems with IsTruncated set: the page budgets below use that freedom, so a client that
// follows Marker, as every SDK paginator does, gets every result. Each number sits well above what a real
// principal can reach; a request beyond one is refused with InvalidInput (400), the simulator's error
// for an out-of-range input.
const (
	// maxSimulationScenarios bounds actions × resources of one simulation. Only the scenarios of the
	// requested page are evaluated, but a marker must be able to address every one.
	maxSimulationScenarios = 10_000

	// maxSimulationCost bounds the summed size (policy.Cost(0)) of every policy in one simulation (those
	// passed in and, for SimulatePrincipalPolicy, the principal's own): statements, patterns, principals
	// and condition values. The heaviest set of policies a principal can hold (its own 10 managed
	// policies and those of 10 groups, all among the largest AWS managed policies) weighs about 46,000.
	maxSimulationCost = 200_000

	// maxSimulationContextValues bounds the values of all ContextEntries together; a condition compares
	// each value the request has for its key with each of its own, so this multiplies condition work.
	// Real simulations pass a handful.
	maxSimulationContextValues = 1_000

	// maxSimulationContextValueLength bounds one context value (the model sets no maximum). Wildcard
	// matching is linear in the value for each part of a pattern; the longest value IAM itself knows is an
	// ARN (2048 characters).
	maxSimulationContextValueLength = 4096

	// maxSimulationPageWork bounds the work units evaluated for one response (each scenario costs the
	// policies' policy.Cost for the longest action, resource or context value, times the values of the
	// most-valued context key; a unit takes a few nanoseconds), so a hostile request stops after a bounded
	// amount of CPU. A simulation whose single scenario weighs more is refused. The heaviest real
	// principal weighs about 9 million with 2048-character resource ARNs (its wildcard patterns have about
	// 4,600 parts in all) and well under a million with ordinary ones.
	maxSimulationPageWork = 20_000_000

	// maxMatchedStatementsPerResult bounds MatchedStatements of one result (AWS lists the statements that
	// decided it: rarely more than a few).
	maxMatchedStatementsPerResult = 50

	// maxSimulationPageEntries bounds the matched statements and missing context keys of one response
	// together (each is about 300 bytes of XML, written twice when ResourceArns are given); a page ends
	// early once it reaches it.
	maxSimulationPageEntries = 10_000
)

// authDetailsPageBytes bounds the policy documents one page of GetAccountAuthorizationDetails holds (its
// memory and its response grow with them): IAM does not count whitespace against its policy size quotas,
// so a role's inline policies may hold some 170 documents of 131072 characters, and a page of 100 such
// roles would hold gigabytes. Reading stops at the owner that reaches the budget and the page ends there
// with a marker ("IAM might return fewer results"); a page of ordinary entities (a few kilobytes of
// policies each) is never cut by it.
const authDetailsPageBytes = 4 << 20

// SAML providers (IAM and AWS STS quotas: "SAML providers in an AWS account"). The keys per provider
// (signing certificates, private keys) are bounded in internal/samlmeta, which reads them.
const (
	maxSAMLProvidersPerAccount = 100

	// samlListBatch is how many providers are read from the store at a time to list or count them: each
	// carries its metadata document (up to the request body limit), which neither needs, so reading them a
	// few at a time bounds what one request holds in memory.
	samlListBatch = 10
)

// OpenID Connect provider quotas, AWS's (IAM User Guide, "IAM and AWS STS quotas"; the API reference of
// CreateOpenIDConnectProvider): each bounds what one provider or account holds, so what a token check
// scans.
const (
	// maxOIDCProvidersPerAccount: OpenIDConnectProvidersPerAccount (LimitExceeded).
	maxOIDCProvidersPerAccount = 100
	// maxClientIDsPerOIDCProvider: ClientIdsPerOpenIdConnectProvider (LimitExceeded).
	maxClientIDsPerOIDCProvider = 100
	// maxThumbprintsPerOIDCProvider: AWS refuses a longer list with InvalidInput.
	maxThumbprintsPerOIDCProvider = 5
)

// Certificates, SSH public keys and service-specific credentials. The quotas are AWS's ("IAM and AWS STS
// quotas": SSH public keys per user 5, signing certificates per user 2 and server certificates per
// account 20 (both above), service-specific credentials per user per service 2).
const (
	maxSSHPublicKeysPerUser             = 5
	maxServiceSpecificCredentialsPerSvc = 2

	// minSSHRSABits is the shortest RSA key UploadSSHPublicKey accepts ("The minimum bit-length of the
	// public key is 2048 bits", UploadSSHPublicKey in the IAM API reference).
	minSSHRSABits = 2048

	// maxCertificateChainLength bounds the certificates of one CertificateChain: the model lets the
	// chain be 2 MB, and each certificate costs a parse and a signature check. Real chains hold one to
	// four intermediates; a longer one is refused as a chain AWS cannot validate.
	maxCertificateChainLength = 20
)

// Virtual MFA devices (CreateVirtualMFADevice, EnableMFADevice, ResyncMFADevice, VerifyMFACode).
const (
	// maxMFADevicesPerUser is AWS's "MFA devices in use per user" quota (IAM and AWS STS quotas); the
	// root user has the same.
	maxMFADevicesPerUser = 8

	// maxVirtualMFADevicesPerAccount: AWS allows as many virtual MFA devices, assigned or not, as the
	// account may have users.
	maxVirtualMFADevicesPerAccount = maxUsersPerAccount

	// mfaSeedBytes is the size of a device's random seed: 40 bytes, whose base32 form is the 64
	// characters of AWS's Base32StringSeed (RFC 4226 asks for at least 128 bits).
	mfaSeedBytes = 40

	// mfaQRCodeSize is the width and height in pixels of the QR code PNG of a new device.
	mfaQRCodeSize = 256

	// mfaSkewSteps is how many 30-second time steps around the server's time a code may come from
	// (RFC 6238 section 5.2 recommends one step of network delay).
	mfaSkewSteps = 1

	// mfaResyncSteps is how far (in time steps, either way) ResyncMFADevice looks for the two
	// consecutive codes of a device whose clock drifted: 10 minutes.
	mfaResyncSteps = 20

	// Code guessing is throttled per device before any code is checked: a 6-digit code checked against
	// three time steps is guessed with probability 3/10^6 per try, so a burst of 5 and then one try per
	// time step (the replay rule lets a device authenticate at most once a step anyway) keeps a guesser
	// under 1% a day. The map of buckets is bounded like the password throttle's, failing closed.
	mfaGuessBurst      = 5
	mfaGuessInterval   = 30 * time.Second
	mfaThrottleTracked = 10_000
)

// Delegation requests (the temporary delegation feature's "Understanding the Request Lifecycle" and the
// RejectDelegationRequest reference).
const (
	// delegationOpenLifetime: a request that is not yet finalized or rejected expires after this long
	// without a state change ("expired due to inactivity"; AWS publishes no figure, so iamd uses the
	// 7 days AWS gives rejected requests).
	delegationOpenLifetime = 7 * 24 * time.Hour
	// delegationRejectedLifetime: "Rejected requests expire after 7 days."
	delegationRejectedLifetime = 7 * 24 * time.Hour
	// maxUnassignedDelegationRequests bounds the requests a partner account holds that no customer has
	// associated yet (each is stored until it expires); AWS publishes no quota, so CreateDelegationRequest
	// answers LimitExceeded beyond this. Expired ones are removed by the next CreateDelegationRequest.
	maxUnassignedDelegationRequests = 1000
	// maxTemplateExpansion bounds the strings one template string becomes when stringList parameters
	// fill it (their values multiply): far more than a policy within the size quota can hold, so a
	// request past it is refused with the PolicySize quota before any large allocation.
	maxTemplateExpansion = 1000
	// delegationSecretBytes is the entropy of an exchange token's secret: 256 bits, beyond guessing.
	delegationSecretBytes = 32
	// MaxDelegationTokenLen bounds the trade-in token GetDelegatedAccessToken reads (the model sets no
	// length): an exchange token is the request ID (at most 128 characters) and the encoded secret, far
	// shorter; anything longer is refused before it is parsed.
	MaxDelegationTokenLen = 256
	// delegationListBatch is how many requests one storage read returns while scanning.
	delegationListBatch = 100
)

// Access advisor (accessadvisor.go). Reports are built when generated and kept in memory: accessJobTTL is
// how long a JobId answers (AWS keeps generated reports for a limited time and asks clients to generate
// again), accessJobsMax bounds the reports one node holds (the oldest goes first), and
// accessReportMaxPrincipals bounds the users and roles one group or policy report reads.
// accessTrackingPeriod is how far back reports look: AWS reports activity for at least the last 400 days
// (GenerateServiceLastAccessedDetails in the IAM API Reference), and older accesses count as none.
const (
	accessTrackingPeriod      = 400 * 24 * time.Hour
	accessJobTTL              = 24 * time.Hour
	accessJobsMax             = 1000
	accessReportMaxPrincipals = 10_000
)
