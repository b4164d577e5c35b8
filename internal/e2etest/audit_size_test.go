package e2etest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/iamd/iamd/internal/storage/sqlite"
)

// TestTrailBytesPerEvent measures what an event costs the store (docs/operations.md, sizing): the
// compressed batches and their lookup rows, per event, for a read-heavy and a write-heavy stream; and holds
// it under a bound that only compression keeps (a record is about 1 KiB of JSON).
func TestTrailBytesPerEvent(t *testing.T) {
	if testing.Short() {
		t.Skip("thousands of calls")
	}
	s := Start(t, Options{})
	ctx := context.Background()
	st, ok := s.App.Trail.(*sqlite.Store)
	if !ok {
		t.Skip("measured on SQLite")
	}
	size := func(want int64) (bytes, events int64) {
		// The recorder writes behind, a batch every few hundred milliseconds: wait for the events.
		var data, keys, n int64
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			if err := st.ReadDB.QueryRowContext(ctx, `SELECT coalesce(sum(length(data)), 0), coalesce(sum(events), 0) FROM event_blocks`).Scan(&data, &n); err != nil {
				t.Fatal(err)
			}
			if n >= want || time.Now().After(deadline) {
				break
			}
		}
		if err := st.ReadDB.QueryRowContext(ctx, `SELECT coalesce(sum(length(k) + 40), 0) FROM event_keys`).Scan(&keys); err != nil {
			t.Fatal(err)
		}
		var blocks int64
		if err := st.ReadDB.QueryRowContext(ctx, `SELECT count(*) FROM event_blocks`).Scan(&blocks); err != nil {
			t.Fatal(err)
		}
		// Each block row also carries its key columns and the index entries of its two indexes (~100 B).
		return data + keys + blocks*100, n
	}
	b0, n0 := size(0)
	c := s.STS(RootCreds(), "us-east-1")
	const reads = 3000
	for range reads {
		if _, err := c.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil {
			t.Fatal(err)
		}
	}
	b1, n1 := size(n0 + reads)
	root := s.IAM(RootCreds())
	const writes = 1000
	for i := range writes {
		if _, err := root.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(fmt.Sprintf("size-%d", i)), Path: aws.String("/sizing/")}); err != nil {
			t.Fatal(err)
		}
	}
	b2, n2 := size(n1 + writes)
	perRead := float64(b1-b0) / float64(n1-n0)
	perWrite := float64(b2-b1) / float64(n2-n1)
	t.Logf("GetCallerIdentity: %.0f bytes per event (%d events); CreateUser: %.0f bytes per event (%d events)", perRead, n1-n0, perWrite, n2-n1)
	if n1-n0 < reads || n2-n1 < writes {
		t.Fatalf("events written: %d reads, %d writes; want at least %d and %d", n1-n0, n2-n1, reads, writes)
	}
	if perRead > 1024 || perWrite > 1024 {
		t.Fatalf("an event costs more than a KiB of store: compression is not working")
	}
}
