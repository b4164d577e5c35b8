package iam

import (
	"context"
	"crypto/rand"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/iamd/iamd/internal/reqctx"
	"github.com/iamd/iamd/internal/secrets"
	"github.com/iamd/iamd/internal/storage"
	"github.com/iamd/iamd/internal/storage/cache"
	"github.com/iamd/iamd/internal/storage/sqlite"
)

const (
	testAccount      = "123456789012"
	otherTestAccount = "210987654321"
)

// fixture is a Service over a real SQLite store in a temporary directory, with a settable clock.
type fixture struct {
	t     testing.TB
	svc   *Service
	store storage.Store
	now   time.Time
	seal  *secrets.Sealer
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, t.TempDir(), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	f := &fixture{t: t, store: st, now: time.Date(2026, 2, 3, 4, 5, 6, 0, time.UTC), seal: newSealer(t)}
	for _, id := range []string{testAccount, otherTestAccount} {
		err := st.Update(ctx, func(tx storage.Tx) error {
			return tx.CreateAccount(ctx, &storage.Account{ID: id, CreatedAt: f.now.Add(-24 * time.Hour)})
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	f.svc = New(Options{
		// As App does: every test here then also checks that cached rows follow every write.
		Store:  cache.New(st, cache.Options{}),
		Sealer: f.seal,
		Now:    func() time.Time { return f.now },
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	return f
}

func callerCtx(c *reqctx.Caller) context.Context {
	return reqctx.With(context.Background(), &reqctx.Request{ID: "test", Partition: "aws", Region: "us-east-1", Caller: c})
}

// root is the root user of the test account.
func (f *fixture) root() context.Context { return rootOf(testAccount) }

func rootOf(acct string) context.Context {
	return callerCtx(&reqctx.Caller{Kind: reqctx.CallerRoot, AccountID: acct, Partition: "aws",
		ARN: "arn:aws:iam::" + acct + ":root", UserID: acct, PrincipalID: acct, PrincipalPath: "/"})
}

// asUser is an IAM user of the test account calling with a long-term key.
func (f *fixture) asUser(name string) context.Context {
	return callerCtx(&reqctx.Caller{Kind: reqctx.CallerUser, AccountID: testAccount, Partition: "aws",
		ARN: "arn:aws:iam::" + testAccount + ":user/" + name, Name: name, PrincipalName: name, PrincipalPath: "/"})
}

// asRole is an assumed-role session of the test account.
func (f *fixture) asRole() context.Context {
	return callerCtx(&reqctx.Caller{Kind: reqctx.CallerAssumedRole, AccountID: testAccount, Partition: "aws",
		ARN: "arn:aws:sts::" + testAccount + ":assumed-role/r/s", Name: "r", PrincipalName: "r", SessionName: "s"})
}

// must returns v, failing the test on err: must(op(...))(t).
func must[T any](v T, err error) func(testing.TB) T {
	return func(t testing.TB) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

func newSealer(t testing.TB) *secrets.Sealer {
	key := make([]byte, secrets.KeySize)
	if _, err := rand.Read(key); err != nil {
		t.Fatal(err)
	}
	s, err := secrets.NewSealer(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
