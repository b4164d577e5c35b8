package audit

import (
	"encoding/binary"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/iamd/iamd/internal/ids"
)

// NewEventID returns a random UUID whose first 48 bits are t in Unix milliseconds (a version 7 UUID,
// RFC 9562): still a UUID as CloudTrail's eventIDs are, and one that tells the store when its event
// happened, so that a lookup by event ID reads only the events of that millisecond instead of an index
// of every ID.
func NewEventID(t time.Time) string {
	u := newEventID(t)
	return ids.FormatUUID(u)
}

// newEventID is the 16 bytes of an ID NewEventID makes: the writer stores them as they are.
func newEventID(t time.Time) (u [16]byte) {
	// 74 random bits from the runtime's generator (ChaCha8): IDs need to be unique, not secret, and
	// crypto/rand costs a system call's worth per event.
	binary.BigEndian.PutUint64(u[:8], uint64(t.UnixMilli())<<16|rand.Uint64()&0xffff)
	binary.BigEndian.PutUint64(u[8:], rand.Uint64())
	u[6] = 0x70 | u[6]&0x0f // version 7: xxxxxxxx-xxxx-7xxx-…
	u[8] = 0x80 | u[8]&0x3f // RFC variant
	return u
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
