package iam

import (
	"bytes"
	"encoding/csv"
	"strconv"
	"sync"
	"time"
)

// The credential report: one CSV row per user plus the <root_account> row, in the columns AWS documents
// (IAM User Guide, "Getting credential reports"). A report is kept for reportMaxAge; GenerateCredentialReport
// makes a new one only when the last is older than reportMinInterval, as AWS does.
const (
	reportMaxAge = 4 * time.Hour
	// AWS regenerates at most every 4 hours; within that window GenerateCredentialReport answers COMPLETE.
	reportMinInterval = 4 * time.Hour
	// reportKeySlots and reportCertSlots are the access key and signing certificate columns per row.
	reportKeySlots  = 2
	reportCertSlots = 2
	reportFormat    = "text/csv"
	rootRowName     = "<root_account>"
)

// Values AWS writes in cells that have no date.
const (
	cellNA            = "N/A"
	cellNotSupported  = "not_supported"
	cellNoInformation = "no_information"
)

var reportHeader = []string{
	"user", "arn", "user_creation_time", "password_enabled", "password_last_used", "password_last_changed",
	"password_next_rotation", "mfa_active",
	"access_key_1_active", "access_key_1_last_rotated", "access_key_1_last_used_date",
	"access_key_1_last_used_region", "access_key_1_last_used_service",
	"access_key_2_active", "access_key_2_last_rotated", "access_key_2_last_used_date",
	"access_key_2_last_used_region", "access_key_2_last_used_service",
	"cert_1_active", "cert_1_last_rotated", "cert_2_active", "cert_2_last_rotated",
}

// reportRow is what the report needs to know about one principal.
type reportRow struct {
	root bool
	name string
	arn  string
	// created is the user's creation time (the account's for root).
	created     time.Time
	hasPassword bool
	// passwordLastUsed and passwordChanged are zero when unknown.
	passwordLastUsed time.Time
	passwordChanged  time.Time
	mfaActive        bool
	keys             []reportKey // oldest first; at most reportKeySlots are written
	certs            []reportCert
}

type reportKey struct {
	active   bool
	created  time.Time
	lastUsed time.Time // zero if never used
	region   string
	service  string
}

type reportCert struct {
	active  bool
	created time.Time
}

// reportTime formats a timestamp as the report does: ISO 8601 with an explicit +00:00 offset.
func reportTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05+00:00") }

// buildCredentialReport renders rows (root first, as AWS orders it) as CSV. maxPasswordAge is the
// password policy's MaxPasswordAge in days (0 when passwords do not expire).
func buildCredentialReport(rows []reportRow, maxPasswordAge int) ([]byte, error) {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	if err := w.Write(reportHeader); err != nil {
		return nil, err
	}
	rec := make([]string, 0, len(reportHeader))
	for _, r := range rows {
		rec = rec[:0]
		rec = append(rec, r.name, r.arn, reportTime(r.created))
		switch {
		case r.root:
			// Root's console password is outside IAM: AWS reports these columns as not_supported.
			last := cellNoInformation
			if !r.passwordLastUsed.IsZero() {
				last = reportTime(r.passwordLastUsed)
			}
			rec = append(rec, cellNotSupported, last, cellNotSupported, cellNotSupported)
		case !r.hasPassword:
			rec = append(rec, "false", cellNA, cellNA, cellNA)
		default:
			last := cellNoInformation
			if !r.passwordLastUsed.IsZero() {
				last = reportTime(r.passwordLastUsed)
			}
			changed, next := cellNA, cellNA
			if !r.passwordChanged.IsZero() {
				changed = reportTime(r.passwordChanged)
				if maxPasswordAge > 0 {
					next = reportTime(r.passwordChanged.AddDate(0, 0, maxPasswordAge))
				}
			}
			rec = append(rec, "true", last, changed, next)
		}
		rec = append(rec, strconv.FormatBool(r.mfaActive))
		for i := range reportKeySlots {
			if i >= len(r.keys) {
				rec = append(rec, "false", cellNA, cellNA, cellNA, cellNA)
				continue
			}
			k := r.keys[i]
			rec = append(rec, strconv.FormatBool(k.active), reportTime(k.created))
			if k.lastUsed.IsZero() {
				rec = append(rec, cellNA, cellNA, cellNA)
				continue
			}
			rec = append(rec, reportTime(k.lastUsed), orNA(k.region), orNA(k.service))
		}
		for i := range reportCertSlots {
			if i >= len(r.certs) {
				rec = append(rec, "false", cellNA)
				continue
			}
			rec = append(rec, strconv.FormatBool(r.certs[i].active), reportTime(r.certs[i].created))
		}
		if err := w.Write(rec); err != nil {
			return nil, err
		}
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func orNA(s string) string {
	if s == "" {
		return cellNA
	}
	return s
}

// reportCache holds the latest credential report of each account, and which accounts have one being
// built. Reports are derived data, rebuilt on demand, so they live in memory: a restarted node answers
// ReportNotPresent until the next GenerateCredentialReport, which is what clients already handle. One
// build per account at a time: a report reads every user and credential of the account, and callers that
// ask while it runs are told INPROGRESS instead of starting another.
type reportCache struct {
	mu       sync.Mutex
	reports  map[string]*credentialReport
	building map[string]bool
}

type credentialReport struct {
	generated time.Time
	content   []byte
}

func (r *reportCache) init() {
	r.reports = make(map[string]*credentialReport)
	r.building = make(map[string]bool)
}

// get returns the account's latest report (nil if none) and whether a new one is being built.
func (r *reportCache) get(account string) (rep *credentialReport, building bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.reports[account], r.building[account]
}

// start claims the account's report build unless the latest report is younger than minAge or a build
// is running; it returns the state GenerateCredentialReport answers when it does not claim it.
func (r *reportCache) start(account string, now time.Time, minAge time.Duration) (claimed bool, state string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch rep := r.reports[account]; {
	case r.building[account]:
		return false, reportStateInProgress
	case rep != nil && now.Sub(rep.generated) < minAge:
		return false, reportStateComplete
	}
	r.building[account] = true
	return true, ""
}

// finish ends the account's build, keeping rep unless it is nil (the build failed) or a reset forgot
// the build meanwhile (rep describes the state before the reset).
func (r *reportCache) finish(account string, rep *credentialReport) {
	r.mu.Lock()
	defer r.mu.Unlock()
	claimed := r.building[account]
	delete(r.building, account)
	if rep != nil && claimed {
		r.reports[account] = rep
	}
}
