package account

import "time"

// Limits of the primary e-mail update (StartPrimaryEmailUpdate, AcceptPrimaryEmailUpdate).
const (
	// otpLength is the one-time code's length: the model's Otp pattern is [a-zA-Z0-9]{6}.
	otpLength = 6
	// otpLifetime is how long a code stays valid. AWS does not publish its codes' lifetime; a day is
	// enough to read one's mail and short enough that a forgotten code soon stops mattering.
	otpLifetime = 24 * time.Hour
	// maxOTPAttempts is how many wrong codes end a pending update: with 36^6 (about 2.2e9) codes, five
	// guesses succeed with probability about 2e-9, and the caller must start again (and the new address
	// receive a new code) to guess more.
	maxOTPAttempts = 5
	// startInterval is how long after a start the next may come while the first is pending: every start
	// mails a code to an address of the caller's choosing, and this keeps iamd from being used to send a
	// stream of mail (at most one per account per interval to addresses the caller cannot read, since
	// ending the wait early needs the code).
	startInterval = time.Minute
	// smtpTimeout bounds one delivery of a code (dial, TLS, and the whole SMTP dialogue), so a slow or
	// dead mail server cannot hold a request forever.
	smtpTimeout = 15 * time.Second
)
