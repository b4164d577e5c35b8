package policy

import (
	"errors"
	"strconv"
	"testing"
)

func TestCache(t *testing.T) {
	c := NewCache(KindTrust, 3)
	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"123456789012"},"Action":"sts:AssumeRole"}]}`
	p1, err := c.Parse(doc)
	if err != nil {
		t.Fatal(err)
	}
	p2, err := c.Parse(doc)
	if err != nil || p1 != p2 {
		t.Fatalf("second parse of the same document: %p vs %p, %v", p1, p2, err)
	}
	// A document invalid for the cache's kind is refused with the parser's error and not kept.
	if _, err := c.Parse(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`); !errors.Is(err, ErrMalformed) {
		t.Fatalf("trust policy without principal: %v", err)
	}
	if c.Len() != 1 {
		t.Fatalf("cache holds %d documents, want 1", c.Len())
	}
	// The bound holds: past it the cache starts over.
	for i := range 10 {
		d := `{"Version":"2012-10-17","Statement":[{"Sid":"s` + strconv.Itoa(i) + `","Effect":"Allow","Principal":"*","Action":"sts:AssumeRole"}]}`
		if _, err := c.Parse(d); err != nil {
			t.Fatal(err)
		}
		if c.Len() > 3 {
			t.Fatalf("cache grew to %d documents past its bound of 3", c.Len())
		}
	}
}
