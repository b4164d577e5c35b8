package account

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/iamd/iamd/internal/api/accountapi"
	"github.com/iamd/iamd/internal/protocol"
	"github.com/iamd/iamd/internal/regions"
	"github.com/iamd/iamd/internal/reqctx"
	"github.com/iamd/iamd/internal/storage"
	"github.com/iamd/iamd/internal/storage/sqlite"
	"github.com/iamd/iamd/internal/testutil/apierr"
)

const (
	testAccount  = "123456789012"
	otherAccount = "210987654321"
	delay        = 10 * time.Second
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// newService returns the service over a real SQLite store holding two accounts, with a transition
// delay and an injected clock, and a context whose caller is the root of testAccount.
func newService(t testing.TB, d time.Duration) (*Service, *clock, context.Context) {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, t.TempDir(), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	err = st.Update(ctx, func(tx storage.Tx) error {
		for _, id := range []string{testAccount, otherAccount} {
			if err := tx.CreateAccount(ctx, &storage.Account{ID: id, CreatedAt: t0}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	clk := &clock{t: t0}
	s := New(Options{Store: st, TransitionDelay: d, Now: clk.now})
	return s, clk, callerCtx(testAccount)
}

func callerCtx(account string) context.Context {
	return reqctx.With(context.Background(), &reqctx.Request{Partition: "aws", Caller: &reqctx.Caller{Kind: reqctx.CallerRoot,
		AccountID: account, ARN: "arn:aws:iam::" + account + ":root"}})
}

func wantAPIError(t testing.TB, what string, err error, code string, status int, msg string) protocol.APIError {
	t.Helper()
	return apierr.Want(t, what, err, code, status, msg)
}

func status(t testing.TB, s *Service, ctx context.Context, region string) string {
	t.Helper()
	out, err := s.GetRegionOptStatus(ctx, &accountapi.GetRegionOptStatusRequest{RegionName: &region})
	if err != nil {
		t.Fatalf("GetRegionOptStatus %s: %v", region, err)
	}
	if protocol.ToString(out.RegionName) != region {
		t.Fatalf("RegionName %s", protocol.ToString(out.RegionName))
	}
	return protocol.ToString(out.RegionOptStatus)
}

const msgCurrentStatus = "Unable to switch region status because of its current opt-in status."

// TestTransitions walks an opt-in region through ENABLING → ENABLED → DISABLING → DISABLED with a delay,
// and every refused move on the way.
func TestTransitions(t *testing.T) {
	s, clk, ctx := newService(t, delay)
	region := "ap-east-1"
	enable := func() error {
		_, err := s.EnableRegion(ctx, &accountapi.EnableRegionRequest{RegionName: &region})
		return err
	}
	disable := func() error {
		_, err := s.DisableRegion(ctx, &accountapi.DisableRegionRequest{RegionName: &region})
		return err
	}
	if got := status(t, s, ctx, region); got != "DISABLED" {
		t.Fatalf("fresh: %s", got)
	}
	ae := wantAPIError(t, "disable a disabled region", disable(), "ValidationException", http.StatusBadRequest, msgCurrentStatus)
	if ve := ae.(*accountapi.ValidationException); protocol.ToString(ve.Reason) != "invalidRegionOptTarget" {
		t.Fatalf("reason %q", protocol.ToString(ve.Reason))
	}
	if err := enable(); err != nil {
		t.Fatal(err)
	}
	if got := status(t, s, ctx, region); got != "ENABLING" {
		t.Fatalf("just after EnableRegion: %s", got)
	}
	wantAPIError(t, "enable while enabling", enable(), "ValidationException", http.StatusBadRequest, msgCurrentStatus)
	wantAPIError(t, "disable while enabling", disable(), "ConflictException", http.StatusConflict, msgCurrentStatus)
	clk.add(delay - time.Second)
	if got := status(t, s, ctx, region); got != "ENABLING" {
		t.Fatalf("1 s before the transition ends: %s", got)
	}
	clk.add(time.Second)
	if got := status(t, s, ctx, region); got != "ENABLED" {
		t.Fatalf("after the delay: %s", got)
	}
	wantAPIError(t, "enable an enabled region", enable(), "ValidationException", http.StatusBadRequest, msgCurrentStatus)
	if err := disable(); err != nil {
		t.Fatal(err)
	}
	if got := status(t, s, ctx, region); got != "DISABLING" {
		t.Fatalf("just after DisableRegion: %s", got)
	}
	wantAPIError(t, "enable while disabling", enable(), "ConflictException", http.StatusConflict, msgCurrentStatus)
	wantAPIError(t, "disable while disabling", disable(), "ValidationException", http.StatusBadRequest, msgCurrentStatus)
	clk.add(delay)
	if got := status(t, s, ctx, region); got != "DISABLED" {
		t.Fatalf("after disabling: %s", got)
	}
	if err := enable(); err != nil {
		t.Fatalf("enable again: %v", err)
	}
	// The other account is untouched.
	if got := status(t, s, callerCtx(otherAccount), region); got != "DISABLED" {
		t.Fatalf("other account: %s", got)
	}
}

// TestImmediateTransitions: with a delay of 0 a region is ENABLED (DISABLED) as soon as the call returns.
func TestImmediateTransitions(t *testing.T) {
	s, _, ctx := newService(t, 0)
	region := "me-central-1"
	if _, err := s.EnableRegion(ctx, &accountapi.EnableRegionRequest{RegionName: &region}); err != nil {
		t.Fatal(err)
	}
	if got := status(t, s, ctx, region); got != "ENABLED" {
		t.Fatalf("after EnableRegion: %s", got)
	}
	if _, err := s.DisableRegion(ctx, &accountapi.DisableRegionRequest{RegionName: &region}); err != nil {
		t.Fatal(err)
	}
	if got := status(t, s, ctx, region); got != "DISABLED" {
		t.Fatalf("after DisableRegion: %s", got)
	}
}

// TestDefaultAndUnknownRegions: default regions are ENABLED_BY_DEFAULT and cannot be changed; names
// outside the caller's partition are invalid.
func TestDefaultAndUnknownRegions(t *testing.T) {
	s, _, ctx := newService(t, delay)
	for _, r := range []string{"us-east-1", "eu-west-1", "ap-northeast-3"} {
		if got := status(t, s, ctx, r); got != "ENABLED_BY_DEFAULT" {
			t.Fatalf("%s: %s", r, got)
		}
		_, err := s.EnableRegion(ctx, &accountapi.EnableRegionRequest{RegionName: &r})
		wantAPIError(t, "enable "+r, err, "ValidationException", http.StatusBadRequest, msgCurrentStatus)
		_, err = s.DisableRegion(ctx, &accountapi.DisableRegionRequest{RegionName: &r})
		wantAPIError(t, "disable "+r, err, "ValidationException", http.StatusBadRequest, msgCurrentStatus)
	}
	for _, r := range []string{"mars-north-1", "cn-north-1", "us-gov-west-1", "US-EAST-1"} {
		_, err := s.GetRegionOptStatus(ctx, &accountapi.GetRegionOptStatusRequest{RegionName: &r})
		ae := wantAPIError(t, "status of "+r, err, "ValidationException", http.StatusBadRequest, "")
		ve := ae.(*accountapi.ValidationException)
		if protocol.ToString(ve.Reason) != "fieldValidationFailed" || len(ve.FieldList) != 1 {
			t.Fatalf("%s: reason %q fields %v", r, protocol.ToString(ve.Reason), ve.FieldList)
		}
		_, err = s.EnableRegion(ctx, &accountapi.EnableRegionRequest{RegionName: &r})
		wantAPIError(t, "enable "+r, err, "ValidationException", http.StatusBadRequest, "")
	}
}

// TestAccountID: AccountId may name the caller's own account; another account is refused with
// AccessDeniedException (iamd has no organizations, so no caller manages another account).
func TestAccountID(t *testing.T) {
	s, _, ctx := newService(t, 0)
	region := "il-central-1"
	own, other := testAccount, otherAccount
	if _, err := s.EnableRegion(ctx, &accountapi.EnableRegionRequest{RegionName: &region, AccountId: &own}); err != nil {
		t.Fatalf("own AccountId: %v", err)
	}
	wantMsg := "User: arn:aws:iam::" + testAccount + ":root is not authorized to perform: account:EnableRegion on resource: arn:aws:account::" +
		otherAccount + ":account"
	_, err := s.EnableRegion(ctx, &accountapi.EnableRegionRequest{RegionName: &region, AccountId: &other})
	wantAPIError(t, "EnableRegion for another account", err, "AccessDeniedException", http.StatusForbidden, wantMsg)
	_, err = s.DisableRegion(ctx, &accountapi.DisableRegionRequest{RegionName: &region, AccountId: &other})
	wantAPIError(t, "DisableRegion for another account", err, "AccessDeniedException", http.StatusForbidden, "")
	_, err = s.GetRegionOptStatus(ctx, &accountapi.GetRegionOptStatusRequest{RegionName: &region, AccountId: &other})
	wantAPIError(t, "GetRegionOptStatus for another account", err, "AccessDeniedException", http.StatusForbidden, "")
	_, err = s.ListRegions(ctx, &accountapi.ListRegionsRequest{AccountId: &other})
	wantAPIError(t, "ListRegions for another account", err, "AccessDeniedException", http.StatusForbidden, "")
	if got := status(t, s, callerCtx(otherAccount), region); got != "DISABLED" {
		t.Fatalf("other account changed: %s", got)
	}
	_, err = s.ListRegions(context.Background(), &accountapi.ListRegionsRequest{})
	wantAPIError(t, "no caller", err, "AccessDeniedException", http.StatusForbidden, "")
}

// listAll pages through ListRegions with max per page and returns every region and the page count.
func listAll(t testing.TB, s *Service, ctx context.Context, max int32, filter ...string) (map[string]string, []string, int) {
	t.Helper()
	got := map[string]string{}
	var order []string
	var next *string
	pages := 0
	for {
		in := &accountapi.ListRegionsRequest{NextToken: next, RegionOptStatusContains: filter}
		if max > 0 {
			in.MaxResults = &max
		}
		out, err := s.ListRegions(ctx, in)
		if err != nil {
			t.Fatalf("ListRegions page %d: %v", pages+1, err)
		}
		pages++
		if max > 0 && len(out.Regions) > int(max) {
			t.Fatalf("page of %d regions with MaxResults %d", len(out.Regions), max)
		}
		for _, r := range out.Regions {
			name := protocol.ToString(r.RegionName)
			if _, dup := got[name]; dup {
				t.Fatalf("%s listed twice", name)
			}
			got[name] = protocol.ToString(r.RegionOptStatus)
			order = append(order, name)
		}
		if out.NextToken == nil {
			return got, order, pages
		}
		if len(out.Regions) == 0 {
			t.Fatal("empty page with a NextToken")
		}
		next = out.NextToken
	}
}

// TestListRegions: every region of the partition exactly once, whatever the page size; filters by status.
func TestListRegions(t *testing.T) {
	s, clk, ctx := newService(t, delay)
	p, _ := regions.Partition("aws")
	all, _, pages := listAll(t, s, ctx, 0)
	if len(all) != len(p.Regions) || pages != 1 {
		t.Fatalf("without MaxResults: %d regions in %d pages, want %d in 1", len(all), pages, len(p.Regions))
	}
	defaults, optIn := 0, 0
	for _, r := range p.Regions {
		want := "DISABLED"
		if !r.OptIn {
			want = "ENABLED_BY_DEFAULT"
			defaults++
		} else {
			optIn++
		}
		if all[r.Name] != want {
			t.Fatalf("%s: %s, want %s", r.Name, all[r.Name], want)
		}
	}
	for _, max := range []int32{1, 7, 50} {
		got, _, pages := listAll(t, s, ctx, max)
		want := (len(p.Regions) + int(max) - 1) / int(max)
		if len(got) != len(p.Regions) || pages != want {
			t.Fatalf("MaxResults %d: %d regions in %d pages, want %d in %d", max, len(got), pages, len(p.Regions), want)
		}
	}
	// Statuses of every kind, then filters.
	for _, r := range []string{"ap-east-1", "me-south-1", "af-south-1"} {
		if _, err := s.EnableRegion(ctx, &accountapi.EnableRegionRequest{RegionName: &r}); err != nil {
			t.Fatal(err)
		}
	}
	clk.add(delay)
	r := "af-south-1"
	if _, err := s.DisableRegion(ctx, &accountapi.DisableRegionRequest{RegionName: &r}); err != nil {
		t.Fatal(err)
	}
	r = "eu-south-1"
	if _, err := s.EnableRegion(ctx, &accountapi.EnableRegionRequest{RegionName: &r}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		filter []string
		want   int
	}{
		{[]string{"ENABLED"}, 2},
		{[]string{"DISABLING"}, 1},
		{[]string{"ENABLING"}, 1},
		{[]string{"ENABLED", "ENABLING"}, 3},
		{[]string{"ENABLED_BY_DEFAULT"}, defaults},
		{[]string{"DISABLED"}, optIn - 4},
	} {
		for _, max := range []int32{0, 1, 2} {
			got, _, _ := listAll(t, s, ctx, max, tc.filter...)
			if len(got) != tc.want {
				t.Fatalf("filter %v MaxResults %d: %d regions (%v), want %d", tc.filter, max, len(got), got, tc.want)
			}
			for name, st := range got {
				match := false
				for _, f := range tc.filter {
					match = match || f == st
				}
				if !match {
					t.Fatalf("filter %v returned %s %s", tc.filter, name, st)
				}
			}
		}
	}
	out, err := s.ListRegions(ctx, &accountapi.ListRegionsRequest{RegionOptStatusContains: []string{"ENABLING"}})
	if err != nil || len(out.Regions) != 1 || protocol.ToString(out.Regions[0].RegionName) != "eu-south-1" || out.NextToken != nil {
		t.Fatalf("ENABLING filter: %+v %v", out, err)
	}
	// A filter that matches nothing answers an empty list, not null.
	clk.add(delay)
	out, err = s.ListRegions(ctx, &accountapi.ListRegionsRequest{RegionOptStatusContains: []string{"DISABLING"}})
	if err != nil || out.Regions == nil || len(out.Regions) != 0 || out.NextToken != nil {
		t.Fatalf("empty filter result: %+v %v", out, err)
	}
}

// TestListRegionsBadToken: NextToken values not issued by ListRegions are refused.
func TestListRegionsBadToken(t *testing.T) {
	s, _, ctx := newService(t, 0)
	for _, tok := range []string{"", "garbage", "cmVnaW9uczo=", encodeToken(-1)[:4], "cmVnaW9uczotMQ"} {
		tok := tok
		_, err := s.ListRegions(ctx, &accountapi.ListRegionsRequest{NextToken: &tok})
		wantAPIError(t, "NextToken "+tok, err, "ValidationException", http.StatusBadRequest, "")
	}
	// A token past the end is an empty last page.
	tok := encodeToken(10000)
	out, err := s.ListRegions(ctx, &accountapi.ListRegionsRequest{NextToken: &tok})
	if err != nil || len(out.Regions) != 0 || out.NextToken != nil {
		t.Fatalf("token past the end: %+v %v", out, err)
	}
}
