package console_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/iamd/iamd/internal/e2etest"
	"github.com/iamd/iamd/internal/ids"
	"github.com/iamd/iamd/internal/storage"
)

// BenchmarkIdentityPages measures the server time of the users and groups pages in an account of 5,000
// users and 100 groups, one with 100 members: the list's first page and one deep in it, a name filter
// (which starts at the prefix, however far into the list), path and name filters, a user's page, the
// groups list and a group's page.
func BenchmarkIdentityPages(b *testing.B) {
	s, h := startBenchConsole(b)
	ctx := context.Background()
	now := time.Now().UTC()
	if err := s.App.Store.Update(ctx, func(tx storage.Tx) error {
		for i := range 100 {
			g := &storage.Group{AccountID: e2etest.AccountID, Name: fmt.Sprintf("group-%03d", i), Path: "/", ID: ids.NewUniqueID(ids.PrefixGroup), CreatedAt: now}
			if err := tx.CreateGroup(ctx, g); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		b.Fatal(err)
	}
	for i := 0; i < benchUsers-1; i += 50 {
		if _, err := s.root.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String("group-000"), UserName: aws.String(fmt.Sprintf("bench%05d", i))}); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("Users", func(b *testing.B) { benchPage(b, s, h, "/users", "bench00098") })
	b.Run("UsersDeep", func(b *testing.B) { benchPage(b, s, h, deepMarkerPath(b, h, "/users", 40), "bench04098") })
	b.Run("UsersNamePrefix", func(b *testing.B) { benchPage(b, s, h, "/users?name=BENCH042", "bench04299") })
	b.Run("UsersPathAndNamePrefix", func(b *testing.B) { benchPage(b, s, h, "/users?path=%2F&name=bench049", "bench04998") })
	b.Run("User", func(b *testing.B) { benchPage(b, s, h, "/users/bench02500", `id="user-arn"`) })
	b.Run("Groups", func(b *testing.B) { benchPage(b, s, h, "/groups", "group-099") })
	b.Run("Group100Members", func(b *testing.B) { benchPage(b, s, h, "/groups/group-000", "bench04950") })
}
