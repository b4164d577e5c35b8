package admin

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/iamd/iamd/internal/protocol"
	"github.com/iamd/iamd/internal/reqctx"
	"github.com/iamd/iamd/internal/storage"
	"github.com/iamd/iamd/internal/storage/sqlite"
)

const testAccount = "123456789012"

func newService(t *testing.T) *Service {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, t.TempDir(), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	if err := st.Update(ctx, func(tx storage.Tx) error {
		return tx.CreateAccount(ctx, &storage.Account{ID: testAccount, CreatedAt: time.Unix(0, 0).UTC()})
	}); err != nil {
		t.Fatal(err)
	}
	return New(Options{Store: st, Now: func() time.Time { return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) }})
}

// as is the context of an admin request by the account's root at the endpoint of partition.
func as(partition string) context.Context {
	return reqctx.With(context.Background(), &reqctx.Request{ID: "r", Partition: partition,
		Caller: &reqctx.Caller{Kind: reqctx.CallerRoot, AccountID: testAccount, ARN: "arn:" + partition + ":iam::" + testAccount + ":root"}})
}

func wantCode(t *testing.T, what string, err error, code, msgPart string) {
	t.Helper()
	var ae protocol.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != code || !strings.Contains(ae.ErrorMessage(), msgPart) {
		t.Fatalf("%s: %v, want %s (%q)", what, err, code, msgPart)
	}
}

func TestSetSTSRegion(t *testing.T) {
	s := newService(t)
	st, err := s.SetSTSRegion(as("aws"), "us-west-2", false)
	if err != nil || st.Region != "us-west-2" || st.Active || !st.Togglable {
		t.Fatalf("deactivating us-west-2: %+v, %v", st, err)
	}
	list, err := s.STSRegions(as("aws"))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range list {
		if r.Region == "us-west-2" && r.Active || r.Region == "us-east-2" && !r.Active {
			t.Errorf("listing after deactivating us-west-2: %+v", r)
		}
	}
	_, err = s.SetSTSRegion(as("aws"), "us-east-1", false)
	wantCode(t, "deactivating us-east-1", err, "InvalidRegion", "always active in us-east-1")
	_, err = s.SetSTSRegion(as("aws"), "ap-east-1", true)
	wantCode(t, "activating an opt-in region", err, "InvalidRegion", "EnableRegion")
	_, err = s.SetSTSRegion(as("aws"), "mars-1", true)
	wantCode(t, "an unknown region", err, "InvalidRegion", "unknown region mars-1")
	// Regions are the endpoint's partition's: through aws-cn, eu-west-1 does not exist.
	_, err = s.SetSTSRegion(as("aws-cn"), "eu-west-1", false)
	wantCode(t, "eu-west-1 through aws-cn", err, "InvalidRegion", "unknown region eu-west-1")
	// A request the server did not authenticate is a wiring bug, not a client's mistake: no API error.
	var ae protocol.APIError
	if _, err := s.SetSTSRegion(context.Background(), "us-west-2", true); err == nil || errors.As(err, &ae) {
		t.Fatalf("without a caller: %v", err)
	}
	if _, err := s.STSRegions(context.Background()); err == nil || errors.As(err, &ae) {
		t.Fatalf("listing without a caller: %v", err)
	}
}

// The listing shows where the account's session tokens are accepted: a v1 global token only in regions
// enabled by default, a v2 global token wherever the region is enabled, a regional token where STS is
// also active there.
func TestSTSRegionsTokenAcceptance(t *testing.T) {
	s := newService(t)
	if _, err := s.SetSTSRegion(as("aws"), "us-west-2", false); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := s.store.Update(ctx, func(tx storage.Tx) error {
		a, err := tx.GetAccount(ctx, testAccount)
		if err != nil {
			return err
		}
		a.Regions = map[string]storage.RegionState{"ap-east-1": {Status: storage.RegionEnabled}}
		return tx.UpdateAccount(ctx, a)
	}); err != nil {
		t.Fatal(err)
	}
	list, err := s.STSRegions(as("aws"))
	if err != nil {
		t.Fatal(err)
	}
	type cells struct{ v1, v2, regional bool }
	want := map[string]cells{
		"us-east-1": {true, true, true}, "us-west-2": {true, true, false},
		"ap-east-1": {false, true, true}, "me-south-1": {false, false, false},
	}
	for _, r := range list {
		w, ok := want[r.Region]
		if !ok {
			continue
		}
		delete(want, r.Region)
		if got := (cells{r.AcceptsGlobalV1, r.AcceptsGlobalV2, r.AcceptsRegional}); got != w {
			t.Errorf("%s: %+v, want %+v", r.Region, got, w)
		}
	}
	if len(want) != 0 {
		t.Errorf("regions not listed: %v", want)
	}
}
