package sqlite

import (
	"context"
	"testing"

	"github.com/iamd/iamd/internal/storage"
	"github.com/iamd/iamd/internal/storage/conformance"
)

func newStore(t *testing.T) storage.Store {
	s, err := Open(context.Background(), t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestConformance(t *testing.T) { conformance.RunTests(t, newStore) }
