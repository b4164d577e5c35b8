package e2etest

import (
	"context"
	"encoding/base64"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/iamd/iamd/internal/storage/pgtest"
	"github.com/iamd/iamd/internal/testutil/apierr"
)

// A Marker is the client's to send: one whose key holds a NUL byte or is not UTF-8 is no marker iamd
// gave, and is refused as AWS refuses a marker it did not give (InvalidInput "Invalid Marker."), on
// SQLite and on PostgreSQL (which refused such text as a query parameter: a 500 for a client's input).
func TestAdversarialForgedMarkerIsInvalidInput(t *testing.T) {
	backends := map[string]Options{"sqlite": {}}
	if pgtest.Available() {
		backends["postgres"] = Options{DatabaseURL: pgtest.URL(t)}
	}
	for name, o := range backends {
		t.Run(name, func(t *testing.T) {
			c := Start(t, o).IAM(RootCreds())
			for _, key := range []string{"b\x00", "\x00", "b\xfe\x7f"} {
				m := aws.String(base64.RawURLEncoding.EncodeToString([]byte(key)))
				_, err := c.ListUsers(context.Background(), &iam.ListUsersInput{Marker: m})
				apierr.WantSDK(t, "ListUsers", err, "InvalidInput", 400, "Invalid Marker.")
				_, err = c.ListGroups(context.Background(), &iam.ListGroupsInput{Marker: m})
				apierr.WantSDK(t, "ListGroups", err, "InvalidInput", 400, "Invalid Marker.")
			}
		})
	}
}
