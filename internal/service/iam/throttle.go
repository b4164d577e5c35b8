package iam

import (
	"sync"
	"time"
)

// Recording access key use costs a write per request on the authenticator's hot path, so a key's last use
// is written at most once per keyUseWriteInterval (AWS itself reports last use with coarse, delayed
// precision). keyUseMaxTracked bounds the memory the throttle may hold.
const (
	keyUseWriteInterval = time.Minute
	keyUseMaxTracked    = 100_000
)

// keyUseThrottle remembers when each key's use was last written.
type keyUseThrottle struct {
	mu   sync.Mutex
	last map[string]keyUseMark
}

type keyUseMark struct {
	at      time.Time
	service string
	region  string
}

func (k *keyUseThrottle) init() { k.last = make(map[string]keyUseMark) }

// due reports whether a use of keyID at t should be written, and if so marks it written. A use from a
// different service or region is written sooner: GetAccessKeyLastUsed reports both.
func (k *keyUseThrottle) due(keyID, service, region string, t time.Time) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	m, ok := k.last[keyID]
	if ok && m.service == service && m.region == region && t.Sub(m.at) < keyUseWriteInterval && !t.Before(m.at) {
		return false
	}
	if !ok && len(k.last) >= keyUseMaxTracked {
		// Forgetting everything only costs one extra write per key; it keeps the map bounded without an LRU.
		clear(k.last)
	}
	k.last[keyID] = keyUseMark{at: t, service: service, region: region}
	return true
}

// forget drops keyID (after a failed write, so the next use retries).
func (k *keyUseThrottle) forget(keyID string) {
	k.mu.Lock()
	delete(k.last, keyID)
	k.mu.Unlock()
}

// reportCache holds the latest credential report of each account. Reports are derived data, rebuilt on
// demand, so they live in memory: a restarted node answers ReportNotPresent until the next
// GenerateCredentialReport, which is what clients already handle.
type reportCache struct {
	mu      sync.Mutex
	reports map[string]*credentialReport
}

type credentialReport struct {
	generated time.Time
	content   []byte
}

func (r *reportCache) init() { r.reports = make(map[string]*credentialReport) }

func (r *reportCache) get(account string) *credentialReport {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.reports[account]
}

func (r *reportCache) put(account string, rep *credentialReport) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.reports[account] = rep
}
