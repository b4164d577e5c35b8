// Package optin holds the per-account region rules of AWS: which opt-in regions an account has enabled
// (DISABLED → ENABLING → ENABLED → DISABLING → DISABLED), where STS is active for it, and where its
// credentials are accepted. It is pure: callers pass the account and the time, so the same rules serve the
// Account API, the STS service, the admin API and the authenticator's hot path.
package optin

import (
	"errors"
	"time"

	"github.com/iamd/iamd/internal/regions"
	"github.com/iamd/iamd/internal/storage"
)

// Errors of region transitions; the Account service maps them to AWS's errors.
var (
	// ErrUnknownRegion: the name is not a region of the catalogue.
	ErrUnknownRegion = errors.New("unknown region")
	// ErrEnabledByDefault: default regions cannot be enabled or disabled (ValidationException).
	ErrEnabledByDefault = errors.New("region is enabled by default")
	// ErrInvalidTransition: the region is already in (or moving to) the asked state (ValidationException
	// "Unable to switch region status because of its current opt-in status.").
	ErrInvalidTransition = errors.New("invalid opt-in transition")
	// ErrTransitionInProgress: the region is moving the other way (ConflictException).
	ErrTransitionInProgress = errors.New("opt-in transition in progress")
	// ErrNotTogglable: STS cannot be deactivated or activated by hand in this region.
	ErrNotTogglable = errors.New("STS activation cannot be changed in this region")
)

// Status returns the opt-in status of region for account a at time now: ENABLED_BY_DEFAULT for default
// regions; for opt-in regions the stored state, with ENABLING/DISABLING read as their final state once
// their transition time has passed (so no background job is needed to finish a transition).
func Status(a *storage.Account, r regions.Region, now time.Time) storage.RegionStatus {
	if !r.OptIn {
		return storage.RegionEnabledByDefault
	}
	st, ok := a.Regions[r.Name]
	if !ok {
		return storage.RegionDisabled
	}
	switch st.Status {
	case storage.RegionEnabling:
		if !now.Before(st.Until) {
			return storage.RegionEnabled
		}
	case storage.RegionDisabling:
		if !now.Before(st.Until) {
			return storage.RegionDisabled
		}
	}
	return st.Status
}

// Enabled reports whether the account may use the region: default regions always, opt-in regions once
// ENABLED. A region being disabled (DISABLING) is still usable until the transition completes, as in AWS.
func Enabled(a *storage.Account, r regions.Region, now time.Time) bool {
	switch Status(a, r, now) {
	case storage.RegionEnabledByDefault, storage.RegionEnabled, storage.RegionDisabling:
		return true
	}
	return false
}

// Enable starts enabling an opt-in region: the account's state becomes ENABLING until now+delay (a delay
// of 0 makes it ENABLED at once). It modifies a; the caller stores it.
func Enable(a *storage.Account, name string, now time.Time, delay time.Duration) error {
	return transition(a, name, now, delay, storage.RegionEnabling, storage.RegionEnabled)
}

// Disable starts disabling an opt-in region (DISABLING until now+delay, then DISABLED).
func Disable(a *storage.Account, name string, now time.Time, delay time.Duration) error {
	return transition(a, name, now, delay, storage.RegionDisabling, storage.RegionDisabled)
}

func transition(a *storage.Account, name string, now time.Time, delay time.Duration, moving, final storage.RegionStatus) error {
	r, ok := regions.Lookup(name)
	if !ok {
		return ErrUnknownRegion
	}
	if !r.OptIn {
		return ErrEnabledByDefault
	}
	cur := Status(a, r, now)
	switch {
	case cur == final || cur == moving:
		return ErrInvalidTransition
	case cur == storage.RegionEnabling || cur == storage.RegionDisabling:
		return ErrTransitionInProgress
	}
	if a.Regions == nil {
		a.Regions = map[string]storage.RegionState{}
	}
	if delay <= 0 {
		a.Regions[name] = storage.RegionState{Status: final}
	} else {
		a.Regions[name] = storage.RegionState{Status: moving, Until: now.Add(delay)}
	}
	return nil
}

// STSActive reports whether STS is active in region for the account (docs/aws-behavior.md, "STS
// activation per Region"): the partition's
// global region always; other default regions unless deactivated; opt-in regions exactly when enabled.
func STSActive(a *storage.Account, r regions.Region, now time.Time) bool {
	if r.Name == regions.GlobalRegion(r.Partition) {
		return true
	}
	if r.OptIn {
		return Enabled(a, r, now)
	}
	if active, ok := a.STSRegions[r.Name]; ok {
		return active
	}
	return true
}

// STSTogglable reports whether STS activation can be changed by hand in a region: default regions other
// than the partition's global region.
func STSTogglable(r regions.Region) bool {
	return !r.OptIn && r.Name != regions.GlobalRegion(r.Partition)
}

// SetSTSActive activates or deactivates STS in a default region. It modifies a; the caller stores it.
func SetSTSActive(a *storage.Account, name string, active bool) error {
	r, ok := regions.Lookup(name)
	if !ok {
		return ErrUnknownRegion
	}
	if !STSTogglable(r) {
		return ErrNotTogglable
	}
	if a.STSRegions == nil {
		a.STSRegions = map[string]bool{}
	}
	if active {
		delete(a.STSRegions, name) // active is the default: keep the map small
	} else {
		a.STSRegions[name] = false
	}
	return nil
}

// Accepted reports whether account a's credentials are accepted in region r at now: the region must be
// enabled for the account, and a session token of version 1 is good only in regions enabled by default
// (docs/aws-behavior.md, "Global-endpoint token versions"). tokenVersion is the session token's version
// (1 or 2), or LongTermKey. It is the rule the authenticator applies to every request; the console draws
// it.
func Accepted(a *storage.Account, r regions.Region, tokenVersion int, now time.Time) bool {
	if !Enabled(a, r, now) {
		return false
	}
	return tokenVersion == LongTermKey || TokenAccepted(tokenVersion, r)
}

// Token versions for Accepted.
const (
	// LongTermKey stands for credentials without a session token.
	LongTermKey = 0
	// RegionalTokenVersion is the version of every session token a regional STS endpoint issues
	// (docs/aws-behavior.md, "Global-endpoint token versions": they are valid in every region).
	RegionalTokenVersion = 2
)

// TokenAccepted reports whether a session token of the given version may be used in region r by an
// account that has the region enabled: v1 tokens only in regions enabled by default; v2 tokens everywhere.
func TokenAccepted(version int, r regions.Region) bool {
	return version >= 2 || !r.OptIn
}
