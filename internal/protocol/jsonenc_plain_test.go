package protocol

import (
	"testing"
)

// plain8 agrees with the byte table on every byte at every position of a word.
func TestPlain8(t *testing.T) {
	for c := 0; c < 256; c++ {
		for pos := 0; pos < 8; pos++ {
			b := []byte("abcdefgh")
			b[pos] = byte(c)
			if got, want := plain8(string(b)), jsonPlain[c]; got != want {
				t.Fatalf("byte %#x at %d: plain8 %v, table %v", c, pos, got, want)
			}
		}
	}
	// Several unplain bytes, and a zero byte under others (borrows).
	for _, s := range []string{"\x00\x00\x00\x00\x00\x00\x00\x00", "a\x00\"\x1f<b>&", "\x01\x01\x01\x01\x01\x01\x01\x21", "\xff\x7f\x80\x20 ~}|"} {
		want := true
		for i := range 8 {
			want = want && jsonPlain[s[i]]
		}
		if plain8(s) != want {
			t.Fatalf("%q: plain8 %v, want %v", s, !want, want)
		}
	}
}
