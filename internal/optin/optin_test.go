package optin

import (
	"errors"
	"testing"
	"time"

	"github.com/iamd/iamd/internal/regions"
	"github.com/iamd/iamd/internal/storage"
)

func region(t *testing.T, name string) regions.Region {
	t.Helper()
	r, ok := regions.Lookup(name)
	if !ok {
		t.Fatalf("region %s not in catalogue", name)
	}
	return r
}

func TestLifecycle(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	a := &storage.Account{ID: "123456789012"}
	hk := region(t, "ap-east-1")
	if got := Status(a, hk, t0); got != storage.RegionDisabled {
		t.Fatalf("fresh opt-in region: %s", got)
	}
	if Enabled(a, hk, t0) || STSActive(a, hk, t0) {
		t.Fatal("fresh opt-in region must be unusable")
	}
	if err := Disable(a, "ap-east-1", t0, time.Second); !errors.Is(err, ErrInvalidTransition) {
		t.Fatalf("disable a disabled region: %v", err)
	}
	if err := Enable(a, "ap-east-1", t0, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	if got := Status(a, hk, t0.Add(time.Second)); got != storage.RegionEnabling {
		t.Fatalf("during transition: %s", got)
	}
	if err := Enable(a, "ap-east-1", t0.Add(time.Second), time.Second); !errors.Is(err, ErrInvalidTransition) {
		t.Fatalf("enable while enabling: %v", err)
	}
	if err := Disable(a, "ap-east-1", t0.Add(time.Second), time.Second); !errors.Is(err, ErrTransitionInProgress) {
		t.Fatalf("disable while enabling: %v", err)
	}
	t1 := t0.Add(5 * time.Second)
	if got := Status(a, hk, t1); got != storage.RegionEnabled {
		t.Fatalf("after transition: %s", got)
	}
	if !Enabled(a, hk, t1) || !STSActive(a, hk, t1) {
		t.Fatal("enabled opt-in region must be usable with STS active")
	}
	if err := Disable(a, "ap-east-1", t1, 0); err != nil {
		t.Fatal(err)
	}
	if got := Status(a, hk, t1); got != storage.RegionDisabled {
		t.Fatalf("immediate disable: %s", got)
	}
}

func TestDefaultRegions(t *testing.T) {
	now := time.Now()
	a := &storage.Account{ID: "123456789012"}
	for _, name := range []string{"us-east-1", "us-west-2", "eu-west-1"} {
		r := region(t, name)
		if Status(a, r, now) != storage.RegionEnabledByDefault || !Enabled(a, r, now) || !STSActive(a, r, now) {
			t.Errorf("%s must be enabled by default with STS active", name)
		}
		if err := Enable(a, name, now, 0); !errors.Is(err, ErrEnabledByDefault) {
			t.Errorf("enable %s: %v", name, err)
		}
	}
	if err := SetSTSActive(a, "us-east-1", false); !errors.Is(err, ErrNotTogglable) {
		t.Errorf("us-east-1 must not be togglable: %v", err)
	}
	if err := SetSTSActive(a, "ap-east-1", false); !errors.Is(err, ErrNotTogglable) {
		t.Errorf("opt-in regions must not be togglable: %v", err)
	}
	if err := SetSTSActive(a, "us-west-2", false); err != nil {
		t.Fatal(err)
	}
	if STSActive(a, region(t, "us-west-2"), now) {
		t.Error("us-west-2 should be deactivated")
	}
	if err := SetSTSActive(a, "us-west-2", true); err != nil || !STSActive(a, region(t, "us-west-2"), now) {
		t.Errorf("reactivate: %v", err)
	}
	if err := SetSTSActive(a, "xx-nowhere-1", true); !errors.Is(err, ErrUnknownRegion) {
		t.Errorf("unknown region: %v", err)
	}
}

func TestTokenAccepted(t *testing.T) {
	if TokenAccepted(1, region(t, "ap-east-1")) {
		t.Error("v1 token must be refused in an opt-in region")
	}
	if !TokenAccepted(1, region(t, "us-west-2")) || !TokenAccepted(2, region(t, "ap-east-1")) {
		t.Error("v1 in default regions and v2 everywhere must be accepted")
	}
}

// Accepted combines the account's opt-in state with the token version: a disabled opt-in region refuses
// every credential, an enabled one refuses only v1 session tokens, a DISABLING one still accepts until the
// transition ends, and default regions accept all.
func TestAccepted(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	a := &storage.Account{ID: "123456789012"}
	hk, us := region(t, "ap-east-1"), region(t, "us-west-2")
	for _, v := range []int{LongTermKey, 1, 2} {
		if Accepted(a, hk, v, t0) {
			t.Errorf("version %d accepted in a disabled opt-in region", v)
		}
		if !Accepted(a, us, v, t0) {
			t.Errorf("version %d refused in a default region", v)
		}
	}
	if err := Enable(a, "ap-east-1", t0, 0); err != nil {
		t.Fatal(err)
	}
	if Accepted(a, hk, 1, t0) || !Accepted(a, hk, 2, t0) || !Accepted(a, hk, LongTermKey, t0) {
		t.Error("enabled opt-in region: v1 must be refused, v2 and long-term keys accepted")
	}
	if err := Disable(a, "ap-east-1", t0, time.Minute); err != nil {
		t.Fatal(err)
	}
	if !Accepted(a, hk, 2, t0.Add(time.Second)) || Accepted(a, hk, 2, t0.Add(time.Minute)) {
		t.Error("a DISABLING region accepts until its transition ends, then refuses")
	}
}

// TestOtherPartitions: each partition's global region has STS always active and cannot be toggled; the
// other regions of the partition follow the default-region rules.
func TestOtherPartitions(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	a := &storage.Account{ID: "123456789012"}
	for _, p := range []string{"aws", "aws-cn", "aws-us-gov"} {
		global := regions.GlobalRegion(p)
		if global == "" {
			t.Fatalf("partition %s has no global region", p)
		}
		r := region(t, global)
		if STSTogglable(r) || !STSActive(a, r, now) {
			t.Errorf("%s (global region of %s) must be always active and not togglable", global, p)
		}
		if err := SetSTSActive(a, global, false); !errors.Is(err, ErrNotTogglable) {
			t.Errorf("deactivate %s: %v", global, err)
		}
		part, _ := regions.Partition(p)
		for _, other := range part.Regions {
			if other.Name == global || other.OptIn {
				continue
			}
			if !STSTogglable(other) {
				t.Errorf("%s (default region of %s) must be togglable", other.Name, p)
			}
			if err := SetSTSActive(a, other.Name, false); err != nil || STSActive(a, other, now) {
				t.Errorf("deactivate %s: %v", other.Name, err)
			}
			break
		}
	}
}

// TestStatusIgnoresUnknownState: an account that never touched a region reads DISABLED (opt-in) or
// ENABLED_BY_DEFAULT, and a transition that ended reads as its final state without a write.
func TestStatusIgnoresUnknownState(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	a := &storage.Account{ID: "123456789012", Regions: map[string]storage.RegionState{
		"me-south-1": {Status: storage.RegionDisabling, Until: t0.Add(time.Minute)},
	}}
	me := region(t, "me-south-1")
	if got := Status(a, me, t0); got != storage.RegionDisabling || !Enabled(a, me, t0) {
		t.Fatalf("during disabling: %s, enabled %v", got, Enabled(a, me, t0))
	}
	if got := Status(a, me, t0.Add(time.Minute)); got != storage.RegionDisabled || Enabled(a, me, t0.Add(time.Minute)) {
		t.Fatalf("after disabling: %s", got)
	}
	if err := Enable(a, "me-south-1", t0.Add(30*time.Second), 0); !errors.Is(err, ErrTransitionInProgress) {
		t.Fatalf("enable while disabling: %v", err)
	}
	if err := Enable(a, "me-south-1", t0.Add(time.Minute), 0); err != nil {
		t.Fatalf("enable once disabled: %v", err)
	}
	if err := Enable(a, "not-a-region-1", t0, 0); !errors.Is(err, ErrUnknownRegion) {
		t.Fatalf("unknown region: %v", err)
	}
}
