package conformance

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/iamd/iamd/internal/storage"
)

// RunBenchmarks measures a backend: durable CreateUser (sequential and parallel), GetUser, and a full
// paged ListUsers walk over 5,000 users.
func RunBenchmarks(b *testing.B, newStore func(tb testing.TB) storage.Store) {
	setup := func(b *testing.B, users int) storage.Store {
		s := newStore(b)
		ctx := context.Background()
		err := s.Update(ctx, func(tx storage.Tx) error { return tx.CreateAccount(ctx, &storage.Account{ID: Acct}) })
		if err != nil {
			b.Fatal(err)
		}
		const batch = 500
		for i := 0; i < users; i += batch {
			err := s.Update(ctx, func(tx storage.Tx) error {
				for j := i; j < min(i+batch, users); j++ {
					if err := tx.CreateUser(ctx, user(Acct, fmt.Sprintf("user%06d", j), j)); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
		}
		return s
	}
	b.Run("CreateUser", func(b *testing.B) {
		s := setup(b, 0)
		ctx := context.Background()
		i := 0
		for b.Loop() {
			i++
			err := s.Update(ctx, func(tx storage.Tx) error {
				return tx.CreateUser(ctx, user(Acct, fmt.Sprintf("bench%07d", i), 1_000_000+i))
			})
			if err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("CreateUserParallel", func(b *testing.B) {
		s := setup(b, 0)
		ctx := context.Background()
		var n atomic.Int64
		b.SetParallelism(4)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				i := n.Add(1)
				err := s.Update(ctx, func(tx storage.Tx) error {
					return tx.CreateUser(ctx, user(Acct, fmt.Sprintf("bench%07d", i), 1_000_000+int(i)))
				})
				if err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
	b.Run("GetUser", func(b *testing.B) {
		const users = 1000
		s := setup(b, users)
		ctx := context.Background()
		i := 0
		for b.Loop() {
			i++
			err := s.View(ctx, func(tx storage.Tx) error {
				_, err := tx.GetUser(ctx, Acct, fmt.Sprintf("USER%06d", i%users))
				return err
			})
			if err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("ListUsersWalk5000", func(b *testing.B) {
		const users = 5000
		s := setup(b, users)
		ctx := context.Background()
		for b.Loop() {
			after, seen := "", 0
			for {
				var us []*storage.User
				err := s.View(ctx, func(tx storage.Tx) error {
					var err error
					us, err = tx.ListUsers(ctx, Acct, storage.ListOptions{After: after, Limit: 100})
					return err
				})
				if err != nil {
					b.Fatal(err)
				}
				seen += len(us)
				if len(us) < 100 {
					break
				}
				after = us[len(us)-1].Name
			}
			if seen != users {
				b.Fatalf("walked %d users, want %d", seen, users)
			}
		}
	})
}
