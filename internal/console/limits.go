package console

import "time"

// The console's bounds and timeouts, each with why it has the value it has.
const (
	// sessionIdleTimeout ends a session nobody used for this long: a browser left open on a shared
	// machine stops being a way in soon after its user walked away.
	sessionIdleTimeout = 30 * time.Minute
	// sessionMaxLifetime ends every session this long after sign-in, whatever its activity, as AWS's
	// console sessions of IAM users end after 12 hours.
	sessionMaxLifetime = 12 * time.Hour
	// lastSeenWriteEvery is how stale a session's recorded last use may be: pages write it at most this
	// often, not on every view, and the idle timeout is that much less exact.
	lastSeenWriteEvery = time.Minute
	// maxSessionsPerAccount bounds the sessions an account holds in the store: past it, a sign-in ends the
	// account's oldest session, so scripted sign-ins cannot grow the table without bound.
	maxSessionsPerAccount = 500
	// maxFormBytes bounds a form's body: the largest field a page sends is a policy document (at most
	// 131,072 characters for a managed policy version, IAM quotas), well under it.
	maxFormBytes = 1 << 20
	// tokenBytes is the entropy of a session token and of a CSRF token (256 bits: unguessable).
	tokenBytes = 32
	// signInStepTimeout bounds how long a sign-in may wait on its second step (the MFA code or the
	// forced password change) before it must start again.
	signInStepTimeout = 5 * time.Minute
	// maxStepAttempts is how many wrong MFA codes or failed password changes a sign-in may make before it
	// must start again from the password (which the password throttle slows down); the MFA throttle
	// bounds the guesses per device besides.
	maxStepAttempts = 5
	// signinTokenLifetime is how long a federation sign-in token may wait for its Action=login: AWS's
	// are valid for 15 minutes after they are issued ("Enable custom identity broker access to the AWS
	// console").
	signinTokenLifetime = 15 * time.Minute
	// minFederatedSession, maxFederatedSession and defaultFederatedSession bound a federation sign-in's
	// SessionDuration as AWS does: 15 minutes to 12 hours, one hour when not asked.
	minFederatedSession     = 900
	maxFederatedSession     = 43200
	defaultFederatedSession = 3600
	// maxSessionParam bounds getSigninToken's Session parameter: three credential strings, the session
	// token the longest (a few kilobytes with session policies and tags).
	maxSessionParam = 32 << 10
)

// Bounds of the IAM entity pages (users, groups, roles, policies, instance profiles).
const (
	// listPageSize is how many entities a list page asks the API for at a time: a screenful a person can
	// scan, and the API's default MaxItems.
	listPageSize = 100
	// filterScanItems is the largest MaxItems of a List call while a page looks for names with the
	// filter's prefix (the List operations filter by path only): the API's largest page.
	filterScanItems = 1000
	// policyFilterScan bounds the policies one filtered page reads: 1,500 is the account's quota of
	// customer managed policies, so within it one page reads them all; the page stays under 50 ms
	// (BenchmarkIAMListPages).
	policyFilterScan = 1500
	// subListMax is how many of a user's or group's groups, policies or MFA devices its page shows, the
	// API's largest page: IAM's quotas keep each of these lists far shorter (10 groups, 20 attached
	// policies, 8 MFA devices per user).
	subListMax = 1000
)
