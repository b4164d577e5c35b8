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
// Use Parse to turn a document into a *Policy, Evaluate to authorize a Request against a Set of
// policies, AccessDeniedMessage to word the error, Size for the character count IAM's quotas use and
// (*Policy).ContextKeys for GetContextKeysFor*Policy.
//
// Where AWS documents nothing, the package follows what users observe from real IAM: an unknown Version or
// an Effect other than "Allow"/"Deny" fails with "The policy failed legacy parsing"; unknown top-level
// elements, malformed JSON and unknown condition operators with "Syntax errors in policy.". IAM also checks
// that users and roles named in a trust policy exist; that needs storage and is left to the IAM service
// (see (*Policy).PrincipalARNs).
package policy
