// Package policy implements the IAM policy language: parsing and validating policy documents with IAM's
// MalformedPolicyDocument wording, compiling them once into matchers, evaluating condition operators and policy
// variables, and AWS's policy evaluation logic across identity-based policies, permissions boundaries, session
// policies and resource-based policies (role trust policies among them).
//
// It is hand-written on purpose: no maintained Go library reproduces IAM's evaluation logic faithfully (set
// operators on missing keys, negated operators as NOR, IfExists, policy variables with defaults, the
// same-account/cross-account rules, principal matching), and clients notice every difference. The package is
// pure: no HTTP, no storage, no clock except what the caller puts in the request context.
//
// Use Parse to validate and compile a document a client writes, ParseStored to compile one read back from
// storage or a session token, Evaluate to authorize a Request against a Set of policies,
// AccessDeniedMessage to word the error, Size for the character count IAM's quotas use and
// (*Policy).ContextKeys for GetContextKeysFor*Policy.
//
// Parse validates as IAM does, in IAM's stages and with its messages (see Parse); the caller names the
// Kind of document, which decides the Version allowed and the principal and resource rules. IAM also
// checks that users and roles named in a trust policy exist; that needs storage and is left to the IAM
// service (see (*Policy).PrincipalARNs).
package policy
