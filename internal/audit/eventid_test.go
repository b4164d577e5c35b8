package audit

import (
	"regexp"
	"testing"
	"time"
)

// Event IDs are version 7 UUIDs that give back their millisecond, and no two are alike.
func TestEventIDs(t *testing.T) {
	uuid7 := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	seen := map[string]bool{}
	for i := range 10000 {
		at := time.Date(2026, 12, 6, 7, 0, 0, 0, time.UTC).Add(time.Duration(i) * 777 * time.Microsecond)
		id := NewEventID(at)
		if !uuid7.MatchString(id) {
			t.Fatalf("%q is not a version 7 UUID", id)
		}
		if seen[id] {
			t.Fatalf("%q made twice", id)
		}
		seen[id] = true
		got, ok := EventIDTime(id)
		if !ok || !got.Equal(at.Truncate(time.Millisecond)) {
			t.Fatalf("EventIDTime(%q) = %v, %v; want %v", id, got, ok, at.Truncate(time.Millisecond))
		}
	}
	for _, bad := range []string{"", "0f1e2d3c-4b5a-4978-8796-a5b4c3d2e1f0", "zzzzzzzz-zzzz-7zzz-8zzz-zzzzzzzzzzzz", "x"} {
		if _, ok := EventIDTime(bad); ok {
			t.Fatalf("EventIDTime(%q) accepted", bad)
		}
	}
}

// FuzzEventIDTime: any string is read without panic, and only IDs of the v7 form are accepted.
func FuzzEventIDTime(f *testing.F) {
	f.Add(NewEventID(time.Now()))
	f.Add("0f1e2d3c-4b5a-4978-8796-a5b4c3d2e1f0")
	f.Fuzz(func(t *testing.T, s string) {
		if _, ok := EventIDTime(s); ok && (len(s) != 36 || s[14] != '7') {
			t.Fatalf("accepted %q", s)
		}
	})
}
