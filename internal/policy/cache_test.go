package policy

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"unsafe"
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
	// The bound holds, and a flood of distinct documents evicts the least recently used, not the one in
	// use on every request.
	for i := range 10 {
		if p, err := c.Parse(doc); err != nil || p != p1 {
			t.Fatalf("the document in use was evicted (%v)", err)
		}
		d := `{"Version":"2012-10-17","Statement":[{"Sid":"s` + strconv.Itoa(i) + `","Effect":"Allow","Principal":"*","Action":"sts:AssumeRole"}]}`
		if _, err := c.Parse(d); err != nil {
			t.Fatal(err)
		}
		if c.Len() > 3 {
			t.Fatalf("cache grew to %d documents past its bound of 3", c.Len())
		}
	}
}

// The cache keeps a copy of each document, never the request or token it was sliced from.
func TestCacheCopiesDocuments(t *testing.T) {
	c := NewCache(KindSession, 4)
	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`
	carrier := doc + strings.Repeat(" ", 1<<16)
	if _, err := c.Parse(carrier[:len(doc)]); err != nil {
		t.Fatal(err)
	}
	for _, k := range c.docs.Keys() {
		if unsafe.StringData(k) == unsafe.StringData(carrier) {
			t.Fatal("the cache keeps a slice of the string the document came in")
		}
	}
}
