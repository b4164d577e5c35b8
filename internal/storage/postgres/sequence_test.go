package postgres

import (
	"context"
	"testing"
	"time"

	"github.com/iamd/iamd/internal/storage"
	"github.com/iamd/iamd/internal/storage/pgtest"
)

// twoNodes opens two nodes on one new database, polling the change sequence every interval.
func twoNodes(t *testing.T, every time.Duration) (a, b *Store) {
	url := pgtest.URL(t)
	for _, s := range []**Store{&a, &b} {
		st, err := Open(context.Background(), url, Options{PollInterval: every})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		*s = st
	}
	return a, b
}

// TestLostNotificationsFlushWithinTwoPolls: a node that hears none of another node's notifications
// (a listener that hangs without failing) still learns, from the change sequence, that it missed
// writes, and tells its subscribers to drop everything within about two poll intervals.
func TestLostNotificationsFlushWithinTwoPolls(t *testing.T) {
	ctx := context.Background()
	const every = 100 * time.Millisecond
	a, b := twoNodes(t, every)
	b.dropNotifications.Store(true)
	ch, cancel := b.Subscribe()
	defer cancel()
	start := time.Now()
	if err := a.Update(ctx, func(tx storage.Tx) error {
		return tx.CreateAccount(ctx, &storage.Account{ID: "123456789012"})
	}); err != nil {
		t.Fatal(err)
	}
	select {
	case c := <-ch:
		if c.Kind != storage.ChangeAll {
			t.Fatalf("got %+v, want ChangeAll", c)
		}
		t.Logf("flushed %v after the write", time.Since(start))
	case <-time.After(10 * every):
		t.Fatal("a node that lost a notification never flushed")
	}
}

// TestHeardNotificationsDoNotFlush: while notifications arrive, the poll finds nothing lost.
func TestHeardNotificationsDoNotFlush(t *testing.T) {
	ctx := context.Background()
	const every = 50 * time.Millisecond
	a, b := twoNodes(t, every)
	ch, cancel := b.Subscribe()
	defer cancel()
	for i := 0; i < 5; i++ {
		if err := a.Update(ctx, func(tx storage.Tx) error {
			return tx.CreateAccount(ctx, &storage.Account{ID: "12345678901" + string(rune('0'+i))})
		}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(every)
	}
	time.Sleep(3 * every)
	for {
		select {
		case c := <-ch:
			if c.Kind == storage.ChangeAll {
				t.Fatal("ChangeAll although every notification arrived")
			}
		default:
			return
		}
	}
}

func TestSeqTrackerGaps(t *testing.T) {
	tr := newSeqTracker()
	tr.polled(map[string]int64{"n": 3}, true)
	if !tr.notified("n", 4) {
		t.Fatal("4 after 3 is no gap")
	}
	if tr.notified("n", 6) {
		t.Fatal("6 after 4 skips 5")
	}
	// The row moves ahead: grace for one poll, lost at the next.
	if tr.polled(map[string]int64{"n": 7}, false) {
		t.Fatal("lost at the first poll that sees the row ahead")
	}
	if !tr.polled(map[string]int64{"n": 7}, false) {
		t.Fatal("not lost at the second")
	}
	if tr.polled(map[string]int64{"n": 7}, false) {
		t.Fatal("lost again although adopted")
	}
	// Caught up by notification within the grace: nothing lost.
	tr.polled(map[string]int64{"n": 8}, false)
	tr.notified("n", 8)
	if tr.polled(map[string]int64{"n": 8}, false) {
		t.Fatal("lost although heard")
	}
	// A node started after the baseline: its first notification is number 1.
	if !tr.notified("new", 1) {
		t.Fatal("a new node's first write is no gap")
	}
	if tr.notified("later", 3) {
		t.Fatal("a new node's first notification heard is 3: 1 and 2 were lost")
	}
}
