package server_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/iamd/iamd/internal/api/iamapi"
	"github.com/iamd/iamd/internal/app"
	"github.com/iamd/iamd/internal/auth"
	"github.com/iamd/iamd/internal/protocol"
	"github.com/iamd/iamd/internal/reqctx"
	"github.com/iamd/iamd/internal/service/admin"
	"github.com/iamd/iamd/internal/storage"
)

// Invoke runs an operation as a caller through the API's checks: the root may, a user without a policy
// is refused with AWS's AccessDenied text, a federated session is held to its session scope, and the
// typed input is validated as a decoded one would be.
func TestInvokeAsCaller(t *testing.T) {
	a := newApp(t, false)
	ctx := context.Background()
	root := auth.RootCaller("aws", testAccount)
	out, err := a.Server.Invoke(ctx, root, "iam", "CreateUser", &iamapi.CreateUserRequest{UserName: ptr("bob")})
	if err != nil {
		t.Fatal(err)
	}
	bob := out.(*iamapi.CreateUserResponse).User

	u := storedUser(t, a, "bob")
	_, err = a.Server.Invoke(ctx, auth.UserCaller("aws", u), "iam", "ListUsers", &iamapi.ListUsersRequest{})
	var ae protocol.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "AccessDenied" || ae.HTTPStatus() != 403 ||
		ae.ErrorMessage() != "User: "+*bob.Arn+" is not authorized to perform: iam:ListUsers on resource: arn:aws:iam::"+testAccount+":user/ because no identity-based policy allows the iam:ListUsers action" {
		t.Fatalf("ListUsers as a user without policies: %v", err)
	}

	fed := &reqctx.Caller{Kind: reqctx.CallerFederatedUser, AccountID: testAccount, Partition: "aws",
		ARN: "arn:aws:sts::" + testAccount + ":federated-user/f", Session: &reqctx.Session{Issuer: "GetFederationToken"}}
	if _, err := a.Server.Invoke(ctx, fed, "iam", "ListUsers", &iamapi.ListUsersRequest{}); !errors.As(err, &ae) || ae.ErrorCode() != "AccessDenied" {
		t.Fatalf("a federated user reached IAM: %v", err)
	}

	if _, err := a.Server.Invoke(ctx, root, "iam", "CreateUser", &iamapi.CreateUserRequest{UserName: ptr(strings.Repeat("x", 65))}); !errors.As(err, &ae) || ae.ErrorCode() != "ValidationError" {
		t.Fatalf("an invalid input was not refused: %v", err)
	}
	if _, err := a.Server.Invoke(ctx, root, "iam", "NoSuchOperation", &iamapi.ListUsersRequest{}); !errors.As(err, &ae) || ae.HTTPStatus() != 400 {
		t.Fatalf("unknown operation: %v", err)
	}
	if _, err := a.Server.Invoke(ctx, root, "iam", "ListUsers", &iamapi.ListRolesRequest{}); err == nil {
		t.Fatal("an input of another operation was accepted")
	}
	if _, err := a.Server.Invoke(ctx, nil, "iam", "ListUsers", &iamapi.ListUsersRequest{}); !errors.As(err, &ae) || ae.HTTPStatus() != 403 {
		t.Fatalf("no caller: %v", err)
	}
}

func ptr[T any](v T) *T { return &v }

// storedUser reads user name of the test account from a's store.
func storedUser(t *testing.T, a *app.App, name string) *storage.User {
	t.Helper()
	var u *storage.User
	ctx := context.Background()
	if err := a.Store.View(ctx, func(tx storage.Tx) error {
		var err error
		u, err = tx.GetUser(ctx, testAccount, name)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return u
}

// The admin operations (what AWS keeps in its console) run through Invoke with the admin API's checks:
// the root may change STS activation, a user without a policy is refused with AccessDenied naming the
// iamd action, a federated session is held to its session scope, and an input of the other operation or
// an unknown region is refused.
func TestInvokeAdminAsCaller(t *testing.T) {
	a := newApp(t, false)
	ctx := context.Background()
	root := auth.RootCaller("aws", testAccount)
	out, err := a.Server.Invoke(ctx, root, "iamd", admin.OpSetSTSRegionStatus, &admin.SetSTSRegionStatusInput{Region: "eu-west-1"})
	if err != nil {
		t.Fatal(err)
	}
	if st := out.(*admin.STSRegionStatus); st.Region != "eu-west-1" || st.Active {
		t.Fatalf("SetSTSRegionStatus answered %+v", st)
	}
	out, err = a.Server.Invoke(ctx, root, "iamd", admin.OpGetSTSRegionStatus, &admin.GetSTSRegionStatusInput{})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, st := range out.([]admin.STSRegionStatus) {
		if st.Region == "eu-west-1" {
			found = !st.Active
		}
	}
	if !found {
		t.Fatal("eu-west-1 is not listed as inactive")
	}

	if _, err := a.Server.Invoke(ctx, root, "iam", "CreateUser", &iamapi.CreateUserRequest{UserName: ptr("bob")}); err != nil {
		t.Fatal(err)
	}
	u := storedUser(t, a, "bob")
	var ae protocol.APIError
	_, err = a.Server.Invoke(ctx, auth.UserCaller("aws", u), "iamd", admin.OpSetSTSRegionStatus, &admin.SetSTSRegionStatusInput{Region: "eu-west-2"})
	if !errors.As(err, &ae) || ae.ErrorCode() != "AccessDenied" || ae.HTTPStatus() != 403 ||
		!strings.Contains(ae.ErrorMessage(), "is not authorized to perform: iamd:SetSTSRegionStatus on resource: arn:aws:iam::"+testAccount+":root") {
		t.Fatalf("SetSTSRegionStatus as a user without policies: %v", err)
	}
	fed := &reqctx.Caller{Kind: reqctx.CallerFederatedUser, AccountID: testAccount, Partition: "aws",
		ARN: "arn:aws:sts::" + testAccount + ":federated-user/f", Session: &reqctx.Session{Issuer: "GetFederationToken"}}
	if _, err := a.Server.Invoke(ctx, fed, "iamd", admin.OpGetSTSRegionStatus, &admin.GetSTSRegionStatusInput{}); !errors.As(err, &ae) || ae.ErrorCode() != "AccessDenied" {
		t.Fatalf("a federated user reached the admin operations: %v", err)
	}
	if _, err := a.Server.Invoke(ctx, root, "iamd", admin.OpSetSTSRegionStatus, &admin.GetSTSRegionStatusInput{}); !errors.As(err, &ae) || ae.HTTPStatus() != 400 {
		t.Fatalf("an input of another operation: %v", err)
	}
	if _, err := a.Server.Invoke(ctx, root, "iamd", admin.OpSetSTSRegionStatus, &admin.SetSTSRegionStatusInput{Region: "us-east-1"}); !errors.As(err, &ae) || ae.ErrorCode() != "InvalidRegion" {
		t.Fatalf("deactivating us-east-1: %v", err)
	}
}
