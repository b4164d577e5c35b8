package iam

import (
	"context"
	"sync"
	"time"

	"github.com/iamd/iamd/internal/protocol"
	"github.com/iamd/iamd/internal/reqctx"
	"github.com/iamd/iamd/internal/storage"
)

// The operations that hash or verify a password are throttled per node in token buckets; their bursts,
// intervals and size bound are in limits.go.

// errThrottled is AWS's answer to a request over its rate.
func errThrottled() error { return protocol.NewError("Throttling", 400, "Rate exceeded") }

// bucket is one key's token bucket: tokens held at time at.
type bucket struct {
	tokens float64
	at     time.Time
}

// rateLimiter is a bounded set of token buckets, one per key. Safe for concurrent use.
type rateLimiter struct {
	burst      float64
	interval   time.Duration
	maxTracked int

	mu      sync.Mutex
	buckets map[string]bucket
}

func newRateLimiter(burst int, interval time.Duration, maxTracked int) *rateLimiter {
	return &rateLimiter{burst: float64(burst), interval: interval, maxTracked: maxTracked, buckets: make(map[string]bucket)}
}

// level is b's token count at now.
func (l *rateLimiter) level(b bucket, now time.Time) float64 {
	d := now.Sub(b.at)
	if d <= 0 {
		return b.tokens // a clock that stepped back refills nothing
	}
	return min(l.burst, b.tokens+float64(d)/float64(l.interval))
}

// allow takes a token from key's bucket at now, and reports whether there was one.
func (l *rateLimiter) allow(key string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.buckets[key]
	if !ok {
		if len(l.buckets) >= l.maxTracked {
			l.sweep(now)
			if len(l.buckets) >= l.maxTracked {
				return false
			}
		}
		b = bucket{tokens: l.burst, at: now}
	}
	tokens := l.level(b, now)
	if tokens < 1 {
		return false
	}
	if !now.Before(b.at) {
		b.at = now
	}
	b.tokens = tokens - 1
	l.buckets[key] = b
	return true
}

// sweep drops the buckets that have refilled to their burst (indistinguishable from absent ones).
func (l *rateLimiter) sweep(now time.Time) {
	for k, b := range l.buckets {
		if l.level(b, now) >= l.burst {
			delete(l.buckets, k)
		}
	}
}

// size is how many buckets the limiter holds.
func (l *rateLimiter) size() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.buckets)
}

// passwordThrottle holds the buckets of the password operations.
type passwordThrottle struct {
	verifyByUser    *rateLimiter
	hashByPrincipal *rateLimiter
	hashBySource    *rateLimiter
}

func newPasswordThrottle() *passwordThrottle {
	return &passwordThrottle{
		verifyByUser:    newRateLimiter(passwordVerifyBurst, passwordVerifyInterval, passwordThrottleMaxTracked),
		hashByPrincipal: newRateLimiter(passwordHashBurstPerPrincipal, passwordHashIntervalPerPrincipal, passwordThrottleMaxTracked),
		hashBySource:    newRateLimiter(passwordHashBurstPerSource, passwordHashIntervalPerSource, passwordThrottleMaxTracked),
	}
}

// allowHash admits one password hash by the calling principal from source at now; verifyUser, when set,
// names the user (account and folded name) whose old password is checked (ChangePassword).
func (p *passwordThrottle) allowHash(principal, source, verifyUser string, now time.Time) error {
	if verifyUser != "" && !p.verifyByUser.allow(verifyUser, now) {
		return errThrottled()
	}
	if !p.hashByPrincipal.allow(principal, now) || !p.hashBySource.allow(source, now) {
		return errThrottled()
	}
	return nil
}

// throttlePassword admits one password operation of the caller, before it hashes or verifies anything;
// verifyUser names the user whose old password ChangePassword checks ("" for the others).
func (s *Service) throttlePassword(ctx context.Context, sc scope, verifyUser string) error {
	principal := sc.account
	if sc.caller != nil {
		principal = sc.caller.ARN
	}
	if verifyUser != "" {
		verifyUser = sc.account + "/" + storage.Fold(verifyUser)
	}
	// The service clock, not the request's second-precision time: buckets refill by fractions of a second.
	return s.pwThrottle.allowHash(principal, reqctx.From(ctx).SourceIP, verifyUser, s.now())
}

// PasswordThrottleEntries reports how many buckets the password throttle holds (all three maps), for
// tests and metrics: each map is bounded by passwordThrottleMaxTracked.
func (s *Service) PasswordThrottleEntries() int {
	return s.pwThrottle.verifyByUser.size() + s.pwThrottle.hashByPrincipal.size() + s.pwThrottle.hashBySource.size()
}
