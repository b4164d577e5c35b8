package main

import (
	"bytes"
	"os"
	"testing"
)

// TestGeneratedUpToDate fails when zz_generated.go is not what the committed data generates: run
// go generate ./internal/regions.
func TestGeneratedUpToDate(t *testing.T) {
	want, err := generate("../data")
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("../zz_generated.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Error("zz_generated.go is stale: run go generate ./internal/regions")
	}
}
