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
	// listPageSize is how many entities a list page shows: AWS's default MaxItems, and a page the
	// browser renders at once; markers page through the rest, however many thousands.
	listPageSize = 100
	// subListMax is how many of a user's or group's groups, policies or MFA devices its page shows, the
	// API's largest page: IAM's quotas keep each of these lists far shorter (10 groups, 20 attached
	// policies, 8 MFA devices per user).
	subListMax = 1000
	// tokenBytes is the entropy of a session token and of a CSRF token (256 bits: unguessable).
	tokenBytes = 32
	// signInStepTimeout bounds how long a sign-in may wait on its second step (the MFA code or the
	// forced password change) before it must start again.
	signInStepTimeout = 5 * time.Minute
)
