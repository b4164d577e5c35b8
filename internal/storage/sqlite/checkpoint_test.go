package sqlite

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/iamd/iamd/internal/storage"
)

// Commits do not checkpoint (wal_autocheckpoint is 0 on every connection), so only the checkpointer can
// carry committed pages from the WAL into the database file: the file grows while the store is open.
func TestCheckpointerCopiesTheWAL(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st, err := Open(ctx, dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var auto int
	if err := st.WriteDB.QueryRowContext(ctx, `PRAGMA wal_autocheckpoint`).Scan(&auto); err != nil || auto != 0 {
		t.Fatalf("writer's wal_autocheckpoint = %d (%v), want 0", auto, err)
	}
	size := func() int64 {
		fi, err := os.Stat(filepath.Join(dir, FileName))
		if err != nil {
			t.Fatal(err)
		}
		return fi.Size()
	}
	// Let the checkpointer copy what the migrations wrote, then measure.
	time.Sleep(3 * checkpointEvery)
	before := size()
	err = st.Update(ctx, func(tx storage.Tx) error {
		if err := tx.CreateAccount(ctx, &storage.Account{ID: "123456789012", CreatedAt: time.Now()}); err != nil {
			return err
		}
		for i := range 2000 {
			u := &storage.User{AccountID: "123456789012", Name: fmt.Sprintf("user-%04d", i), Path: "/",
				ID: fmt.Sprintf("AIDA%016d", i), CreatedAt: time.Now()}
			if err := tx.CreateUser(ctx, u); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for size() <= before {
		if time.Now().After(deadline) {
			t.Fatalf("iamd.db still %d bytes 20 s after 2,000 users were committed: nothing checkpointed", before)
		}
		time.Sleep(checkpointEvery)
	}
}
