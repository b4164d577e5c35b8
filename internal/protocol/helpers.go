package protocol

import "time"

// String returns a pointer to s.
func String(s string) *string { return &s }

// ToString returns *p, or "" for nil.
func ToString(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// Int32 returns a pointer to v.
func Int32(v int32) *int32 { return &v }

// ToInt32 returns *p, or 0 for nil.
func ToInt32(p *int32) int32 {
	if p == nil {
		return 0
	}
	return *p
}

// Int64 returns a pointer to v.
func Int64(v int64) *int64 { return &v }

// ToInt64 returns *p, or 0 for nil.
func ToInt64(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}

// Bool returns a pointer to v.
func Bool(v bool) *bool { return &v }

// ToBool returns *p, or false for nil.
func ToBool(p *bool) bool { return p != nil && *p }

// Time returns a pointer to t.
func Time(t time.Time) *time.Time { return &t }

// ToTime returns *p, or the zero time for nil.
func ToTime(p *time.Time) time.Time {
	if p == nil {
		return time.Time{}
	}
	return *p
}
