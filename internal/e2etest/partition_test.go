package e2etest

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// ARNs take the partition of the endpoint a request reached: arn:aws-cn:… in cn-north-1.
func TestPartitionOfARNs(t *testing.T) {
	s := Start(t, Options{})
	ctx := context.Background()
	out, err := s.STS(RootCreds(), "cn-north-1").GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	if got := aws.ToString(out.Arn); got != "arn:aws-cn:iam::123456789012:root" {
		t.Errorf("root in cn-north-1: %s", got)
	}
	cn := iam.NewFromConfig(aws.Config{Region: "cn-north-1", Credentials: RootCreds(), RetryMaxAttempts: 1, HTTPClient: sdkHTTPClient},
		func(o *iam.Options) { o.BaseEndpoint = aws.String(s.URL) })
	u, err := cn.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("cn-user"), Path: aws.String("/team/")})
	if err != nil {
		t.Fatal(err)
	}
	if got := aws.ToString(u.User.Arn); got != "arn:aws-cn:iam::123456789012:user/team/cn-user" {
		t.Errorf("user created through cn-north-1: %s", got)
	}
	tok, err := s.STS(RootCreds(), "cn-north-1").GetSessionToken(ctx, &sts.GetSessionTokenInput{})
	if err != nil {
		t.Fatal(err)
	}
	c := tok.Credentials
	out, err = s.STS(Creds(aws.ToString(c.AccessKeyId), aws.ToString(c.SecretAccessKey), aws.ToString(c.SessionToken)), "cn-north-1").
		GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	if got := aws.ToString(out.Arn); !strings.HasPrefix(got, "arn:aws-cn:") {
		t.Errorf("session issued in cn-north-1: %s", got)
	}
	// The same key at a commercial endpoint is in aws.
	out, err = s.STS(RootCreds(), "eu-west-1").GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	if got := aws.ToString(out.Arn); got != "arn:aws:iam::123456789012:root" {
		t.Errorf("root in eu-west-1: %s", got)
	}
}
