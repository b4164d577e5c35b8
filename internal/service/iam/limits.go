package iam

import "time"

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
