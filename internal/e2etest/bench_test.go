package e2etest

// Benchmarks of the storage-bound operations through the whole server (SigV4, policy
// enforcement, protocol, store) with the unmodified aws-sdk-go-v2 client, on SQLite and on PostgreSQL
// (a throwaway cluster from pgtest; IAMD_PGTEST_FSYNC=on makes its commits durable like SQLite's).
// The figures include the SDK's own per-call work; the load tool in bench/ measures the server alone
// and compares it with moto_server. Run:
//
//	IAMD_PGTEST_FSYNC=on go test ./internal/e2etest -run '^$' -bench . -benchtime 2000x
//
// The 5,000-user fixture is written straight through the store (one transaction per 500 users) because
// creating it through the API would dominate the run; the load tool times those writes through the API.

import (
	"context"
	"fmt"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/iamd/iamd/internal/ids"
	"github.com/iamd/iamd/internal/storage"
	"github.com/iamd/iamd/internal/storage/pgtest"
)

// Shape of the benchmark fixture (docs/benchmarks.md: 5,000 users, each with 5 attached policies).
const (
	benchUsers           = 5000
	benchPoliciesPerUser = 5
	benchFixtureBatch    = 500 // users per store transaction while building the fixture
	benchPageSize        = 1000
	// benchParallelism × GOMAXPROCS goroutines issue requests in the parallel benchmarks: 16 on 2 cores,
	// the load tool's default client count.
	benchParallelism = 8
)

type benchBackend struct {
	name  string
	start func(b *testing.B) *Server
}

func benchBackends() []benchBackend {
	return []benchBackend{
		{"sqlite", func(b *testing.B) *Server { return Start(b, Options{}) }},
		{"postgres", func(b *testing.B) *Server { return Start(b, Options{DatabaseURL: pgtest.URL(b)}) }},
	}
}

var benchSeq atomic.Int64

// benchUsersPerAccount keeps BenchmarkCreateUser under the 5,000-user quota of an account.
const benchUsersPerAccount = 4_500

// BenchmarkCreateUser is durable CreateUser from 16 concurrent SDK clients.
func BenchmarkCreateUser(b *testing.B) {
	for _, be := range benchBackends() {
		b.Run(be.name, func(b *testing.B) {
			s := be.start(b)
			// 5,000 users is an account's quota: spread the users over as many accounts as b.N needs.
			clients := []*iam.Client{s.IAM(RootCreds())}
			for len(clients)*benchUsersPerAccount < b.N {
				clients = append(clients, s.IAM(newAccount(b, s, fmt.Sprintf("2%011d", len(clients)))))
			}
			var next atomic.Int64
			ctx := context.Background()
			b.SetParallelism(benchParallelism)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					i := next.Add(1) - 1
					c := clients[int(i)/benchUsersPerAccount]
					name := "cu-" + strconv.FormatInt(benchSeq.Add(1), 10)
					if _, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name)}); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}

// BenchmarkAttachUserPolicy attaches one of five customer managed policies to a user per call, every
// (user, policy) pair once.
func BenchmarkAttachUserPolicy(b *testing.B) {
	for _, be := range benchBackends() {
		b.Run(be.name, func(b *testing.B) {
			s := be.start(b)
			ctx := context.Background()
			arns := createBenchPolicies(b, s)
			addBenchUsers(b, s, b.N/benchPoliciesPerUser+1, nil)
			c := s.IAM(RootCreds())
			var next atomic.Int64
			b.SetParallelism(benchParallelism)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					i := int(next.Add(1) - 1)
					_, err := c.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String(benchUserName(i / benchPoliciesPerUser)),
						PolicyArn: aws.String(arns[i%benchPoliciesPerUser])})
					if err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}

// BenchmarkAccount5000 reads an account of 5,000 users with 5 attached policies each: GetUser of random
// users from 16 clients, and full ListUsers and GetAccountAuthorizationDetails walks (one op = one walk).
func BenchmarkAccount5000(b *testing.B) {
	for _, be := range benchBackends() {
		b.Run(be.name, func(b *testing.B) {
			s := be.start(b)
			arns := createBenchPolicies(b, s)
			addBenchUsers(b, s, benchUsers, arns)
			c := s.IAM(RootCreds())
			ctx := context.Background()

			b.Run("GetUser", func(b *testing.B) {
				var seed atomic.Int64
				b.SetParallelism(benchParallelism)
				b.RunParallel(func(pb *testing.PB) {
					i := int(seed.Add(7919))
					for pb.Next() {
						i = (i + 7919) % benchUsers
						if _, err := c.GetUser(ctx, &iam.GetUserInput{UserName: aws.String(benchUserName(i))}); err != nil {
							b.Error(err)
							return
						}
					}
				})
			})
			b.Run("ListUsersWalk", func(b *testing.B) {
				for b.Loop() {
					n := 0
					p := iam.NewListUsersPaginator(c, &iam.ListUsersInput{MaxItems: aws.Int32(benchPageSize)})
					for p.HasMorePages() {
						out, err := p.NextPage(ctx)
						if err != nil {
							b.Fatal(err)
						}
						n += len(out.Users)
					}
					if n < benchUsers {
						b.Fatalf("walk saw %d users, want at least %d", n, benchUsers)
					}
				}
			})
			b.Run("GetAccountAuthorizationDetailsWalk", func(b *testing.B) {
				for b.Loop() {
					n, attached := 0, 0
					p := iam.NewGetAccountAuthorizationDetailsPaginator(c, &iam.GetAccountAuthorizationDetailsInput{MaxItems: aws.Int32(benchPageSize)})
					for p.HasMorePages() {
						out, err := p.NextPage(ctx)
						if err != nil {
							b.Fatal(err)
						}
						n += len(out.UserDetailList)
						for _, u := range out.UserDetailList {
							attached += len(u.AttachedManagedPolicies)
						}
					}
					if n < benchUsers || attached < benchUsers*benchPoliciesPerUser {
						b.Fatalf("walk saw %d users with %d attachments", n, attached)
					}
				}
			})
		})
	}
}

func benchUserName(i int) string { return fmt.Sprintf("bu%05d", i) }

// createBenchPolicies creates the customer managed policies users get attached, through the API.
func createBenchPolicies(b *testing.B, s *Server) []string {
	b.Helper()
	c := s.IAM(RootCreds())
	var arns []string
	for i := range benchPoliciesPerUser {
		doc := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket-%d/*"}]}`, i)
		out, err := c.CreatePolicy(context.Background(), &iam.CreatePolicyInput{PolicyName: aws.String("bp" + strconv.Itoa(i)), PolicyDocument: aws.String(doc)})
		if err != nil {
			b.Fatal(err)
		}
		arns = append(arns, aws.ToString(out.Policy.Arn))
	}
	return arns
}

// addBenchUsers writes n users (bu00000…) straight through the store, each with the given policies
// attached, a batch per transaction.
func addBenchUsers(b *testing.B, s *Server, n int, attach []string) {
	b.Helper()
	ctx := context.Background()
	created := time.Now().UTC().Truncate(time.Second)
	for start := 0; start < n; start += benchFixtureBatch {
		err := s.App.Store.Update(ctx, func(tx storage.Tx) error {
			for i := start; i < min(n, start+benchFixtureBatch); i++ {
				u := &storage.User{AccountID: AccountID, Name: benchUserName(i), Path: "/", ID: ids.NewUniqueID(ids.PrefixUser), CreatedAt: created}
				if err := tx.CreateUser(ctx, u); err != nil {
					return err
				}
				for _, arn := range attach {
					if err := tx.AttachPolicy(ctx, AccountID, storage.OwnerUser, u.Name, arn); err != nil {
						return err
					}
				}
			}
			return nil
		})
		if err != nil {
			b.Fatalf("fixture: %v", err)
		}
	}
}
