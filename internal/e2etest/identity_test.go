package e2etest

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// The foundation's promise: an unmodified SDK gets the root's identity with signed requests.
func TestRootIdentity(t *testing.T) {
	s := Start(t, Options{})
	for _, c := range []*sts.Client{s.STS(RootCreds(), "us-east-1"), s.GlobalSTS(RootCreds()), s.STS(RootCreds(), "eu-west-1")} {
		out, err := c.GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
		if err != nil {
			t.Fatal(err)
		}
		if aws.ToString(out.Arn) != "arn:aws:iam::123456789012:root" || aws.ToString(out.Account) != AccountID || aws.ToString(out.UserId) != AccountID {
			t.Fatalf("identity: %+v", out)
		}
	}
}
