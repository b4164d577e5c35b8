package sqlstore

import (
	"fmt"
	"testing"

	"github.com/iamd/iamd/internal/storage"
)

func TestSQLiteRewrite(t *testing.T) {
	got := SQLiteRewrite(`SELECT a FROM t WHERE b = $2 AND c = $1 AND d = $10 AND k TEXT COLLATE "C"`)
	want := `SELECT a FROM t WHERE b = ?2 AND c = ?1 AND d = ?10 AND k TEXT`
	if got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}

func TestPolicyRefAndPath(t *testing.T) {
	for _, tc := range []struct{ arn, ref, path string }{
		{"arn:aws:iam::123456789012:policy/team/a/ReadAll", "123456789012:policy/team/a/ReadAll", "/team/a/"},
		{"arn:aws-cn:iam::aws:policy/ReadOnlyAccess", "aws:policy/ReadOnlyAccess", "/"},
		{"arn:aws:iam::aws:policy/service-role/AWSLambdaRole", "aws:policy/service-role/AWSLambdaRole", "/service-role/"},
		{"not-an-arn", "not-an-arn", "/"},
	} {
		if got := policyRef(tc.arn); got != tc.ref {
			t.Errorf("policyRef(%s) = %s, want %s", tc.arn, got, tc.ref)
		}
		if got := arnPath(tc.arn); got != tc.path {
			t.Errorf("arnPath(%s) = %s, want %s", tc.arn, got, tc.path)
		}
	}
}

func TestParseVersionID(t *testing.T) {
	for in, want := range map[string]int64{"v1": 1, "v12": 12, "V3": 3, "v0": 0, "v": 0, "1": 0, "vx": 0, "v-1": 0, "": 0} {
		got, ok := parseVersionID(in)
		if ok != (want > 0) || got != want && ok {
			t.Errorf("parseVersionID(%q) = %d, %v", in, got, ok)
		}
	}
}

// TestHubOverflow: a subscriber that does not read is never waited for; once its buffer is full its
// backlog is replaced by one ChangeAll, after which it receives changes again.
func TestHubOverflow(t *testing.T) {
	h := NewHub()
	slow, cancelSlow := h.Subscribe()
	defer cancelSlow()
	fast, cancelFast := h.Subscribe()
	defer cancelFast()
	var batch []storage.Change
	for i := range subscriberBuffer + 10 {
		batch = append(batch, storage.Change{Kind: storage.ChangeUser, AccountID: "123456789012", Key: fmt.Sprint(i)})
	}
	// The fast subscriber reads as we go, so its buffer never fills.
	for _, c := range batch {
		h.Publish([]storage.Change{c})
		if got := <-fast; got != c {
			t.Fatalf("fast subscriber got %+v, want %+v", got, c)
		}
	}
	if c := <-slow; c.Kind != storage.ChangeAll {
		t.Fatalf("slow subscriber's first change is %+v, want ChangeAll", c)
	}
	// Everything after the overflow arrives normally.
	for c := range len(batch) - subscriberBuffer - 1 {
		if got := <-slow; got.Kind != storage.ChangeUser {
			t.Fatalf("change %d after overflow: %+v", c, got)
		}
	}
	select {
	case c := <-slow:
		t.Fatalf("extra change %+v", c)
	default:
	}
	cancelSlow()
	cancelSlow() // idempotent
	if _, ok := <-slow; ok {
		t.Fatal("channel open after cancel")
	}
	h.Close()
	if _, ok := <-fast; ok {
		t.Fatal("channel open after Close")
	}
	late, _ := h.Subscribe()
	if _, ok := <-late; ok {
		t.Fatal("subscription after Close is open")
	}
}

// TestHubDropsRowsAfterAnotherPublication: a write's rows go out only if nothing was published since
// its transaction began. Anything published in between (another node's change committed after the
// write but notified first, a later local write) may be newer than the write, and a subscriber that
// installed the write's row after applying it would keep an older row than one it already dropped.
func TestHubDropsRowsAfterAnotherPublication(t *testing.T) {
	h := NewHub()
	ch, cancel := h.Subscribe()
	defer cancel()
	row := &storage.User{AccountID: "123456789012", Name: "u"}
	write := []storage.Change{{Kind: storage.ChangeUser, AccountID: "123456789012", Key: "u", Row: row}}

	since := h.Published()
	h.publishWrite(write, &since)
	if got := <-ch; got.Row != row {
		t.Fatalf("nothing published in between: got %+v, want the row", got)
	}
	since = h.Published()
	h.Publish([]storage.Change{{Kind: storage.ChangeUser, AccountID: "123456789012", Key: "u"}}) // another node's
	h.publishWrite(write, &since)
	<-ch
	if got := <-ch; got.Row != nil {
		t.Fatalf("published after another change: got row %+v, want none", got.Row)
	}
	if write[0].Row != row {
		t.Fatal("publishWrite modified its argument")
	}
	// Changes of other origins never carry rows.
	h.Publish(write)
	if got := <-ch; got.Row != nil {
		t.Fatalf("Publish delivered row %+v", got.Row)
	}
}
