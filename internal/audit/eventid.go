package audit

import (
	"math/rand/v2"
	"strconv"
	"time"
)

// NewEventID returns a random UUID whose first 48 bits are t in Unix milliseconds (a version 7 UUID,
// RFC 9562): still a UUID as CloudTrail's eventIDs are, and one that tells the store when its event
// happened, so that a lookup by event ID reads only the events of that millisecond instead of an index
// of every ID.
func NewEventID(t time.Time) string {
	// 74 random bits from the runtime's generator (ChaCha8): IDs need to be unique, not secret, and
	// crypto/rand costs a system call's worth per event.
	const hex = "0123456789abcdef"
	var b [36]byte
	r1, r2 := rand.Uint64(), rand.Uint64()
	for i := 35; i >= 0; i-- {
		switch i {
		case 8, 13, 18, 23:
			b[i] = '-'
			continue
		}
		b[i] = hex[r1&0xf]
		r1 = r1>>4 | r2<<60
		r2 >>= 4
	}
	b[19] = hex[8|r2&3] // RFC variant
	ms := uint64(t.UnixMilli()) & (1<<48 - 1)
	// xxxxxxxx-xxxx-7xxx-…: 12 hex digits of time around the first dash, then the version.
	pos := [12]int{0, 1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 12}
	for i := 11; i >= 0; i-- {
		b[pos[i]] = hex[ms&0xf]
		ms >>= 4
	}
	b[14] = '7'
	return string(b[:])
}

// EventIDTime is the millisecond an ID made by NewEventID names; ok is false for any other string.
func EventIDTime(id string) (t time.Time, ok bool) {
	if len(id) != 36 || id[8] != '-' || id[13] != '-' || id[14] != '7' {
		return time.Time{}, false
	}
	ms, err := strconv.ParseUint(id[0:8]+id[9:13], 16, 64)
	if err != nil {
		return time.Time{}, false
	}
	return time.UnixMilli(int64(ms)).UTC(), true
}
