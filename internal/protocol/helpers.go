package protocol

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

// Bool returns a pointer to v.
func Bool(v bool) *bool { return &v }

// ToBool returns *p, or false for nil.
func ToBool(p *bool) bool { return p != nil && *p }
