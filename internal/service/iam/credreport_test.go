package iam

import (
	"context"
	"io"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/iamd/iamd/internal/api/iamapi"
	"github.com/iamd/iamd/internal/storage"
)

// gatedStore holds every ListUsers (the credential report's walk) until gate is closed, telling entered
// each time one starts.
type gatedStore struct {
	storage.Store
	gate    chan struct{}
	entered chan struct{}
	walks   atomic.Int32
}

type gatedTx struct {
	storage.Tx
	s *gatedStore
}

func (s *gatedStore) View(ctx context.Context, fn func(tx storage.Tx) error) error {
	return s.Store.View(ctx, func(tx storage.Tx) error { return fn(gatedTx{tx, s}) })
}

func (tx gatedTx) ListUsers(ctx context.Context, acct string, opts storage.ListOptions) ([]*storage.User, error) {
	tx.s.walks.Add(1)
	tx.s.entered <- struct{}{}
	<-tx.s.gate
	return tx.Tx.ListUsers(ctx, acct, opts)
}

// An account's credential report is built once at a time: callers asking while it is built are told
// INPROGRESS (GenerateCredentialReport) or ReportInProgress (GetCredentialReport) and start nothing.
func TestCredentialReportBuiltOnceAtATime(t *testing.T) {
	f := newFixture(t)
	gs := &gatedStore{Store: f.store, gate: make(chan struct{}), entered: make(chan struct{}, 16)}
	svc := New(Options{Store: gs, Sealer: f.seal, Now: func() time.Time { return f.now }, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	ctx := f.root()
	gen := func() <-chan *iamapi.GenerateCredentialReportResponse {
		ch := make(chan *iamapi.GenerateCredentialReportResponse, 1)
		go func() {
			out, err := svc.GenerateCredentialReport(ctx, &iamapi.GenerateCredentialReportInput{})
			if err != nil {
				t.Error(err)
			}
			ch <- out
		}()
		return ch
	}
	first := gen()
	<-gs.entered // the first build is walking the users
	for range 5 {
		select {
		case out := <-gen():
			if str(out.State) != "INPROGRESS" {
				t.Fatalf("state %s while a build runs", str(out.State))
			}
		case <-gs.entered:
			t.Fatal("a second report build started while the first runs")
		}
	}
	_, err := svc.GetCredentialReport(ctx, &iamapi.GetCredentialReportInput{})
	assertAPIError(t, err, "ReportInProgress", 404, "The credential report is still being generated.")

	close(gs.gate)
	if out := <-first; str(out.State) != "STARTED" {
		t.Fatalf("first build answered %s", str(out.State))
	}
	if out := <-gen(); str(out.State) != "COMPLETE" {
		t.Fatalf("after the build: %s", str(out.State))
	}
	must(svc.GetCredentialReport(ctx, &iamapi.GetCredentialReportInput{}))(t)
	if n := gs.walks.Load(); n != 1 {
		t.Fatalf("%d report builds", n)
	}
	// Once it is older than the regeneration interval, the next request builds a new one.
	f.now = f.now.Add(reportMinInterval)
	if out := <-gen(); str(out.State) != "STARTED" || gs.walks.Load() != 2 {
		t.Fatalf("after %v: %s, %d builds", reportMinInterval, str(out.State), gs.walks.Load())
	}
}
