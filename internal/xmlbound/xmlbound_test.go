package xmlbound

import (
	"errors"
	"strings"
	"testing"
)

func TestCheck(t *testing.T) {
	for doc, want := range map[string]error{
		`<a><b/></a>`: nil,
		`<a><b></a>`:  ErrMalformed,
		``:            ErrMalformed,
		`<!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>`:           ErrDTD,
		strings.Repeat("<a>", 5) + strings.Repeat("</a>", 5): ErrTooLarge,
		"<r>" + strings.Repeat("<a/>", 10) + "</r>":          ErrTooLarge,
	} {
		if err := Check(doc, 4, 8); !errors.Is(err, want) && !(want == nil && err == nil) {
			t.Errorf("Check(%.40q) = %v, want %v", doc, err, want)
		}
	}
}

func FuzzCheck(f *testing.F) {
	f.Add(`<a><b/></a>`)
	f.Add(`<!DOCTYPE a><a/>`)
	f.Fuzz(func(t *testing.T, doc string) { _ = Check(doc, 8, 64) })
}
