package e2etest

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// BenchmarkTokenIssue measures credential issuance through the whole server (SDK client, loopback HTTP,
// SigV4, decoding, authorization, sealing, XML): the ops/s figure is issues per second on one client.
func BenchmarkTokenIssue(b *testing.B) {
	ctx := context.Background()
	s := Start(b, Options{})
	root := RootCreds()
	user := newUser(b, s, root, "bench")
	role := newRole(b, s, root, "bench-role", trustPolicy("arn:aws:iam::"+AccountID+":user/bench", ""), 0)
	for _, bc := range []struct {
		name string
		c    *sts.Client
		call func(c *sts.Client) error
	}{
		{"GetSessionToken/global", s.GlobalSTS(user), func(c *sts.Client) error {
			_, err := c.GetSessionToken(ctx, &sts.GetSessionTokenInput{})
			return err
		}},
		{"GetSessionToken/regional", s.STS(user, "eu-west-1"), func(c *sts.Client) error {
			_, err := c.GetSessionToken(ctx, &sts.GetSessionTokenInput{})
			return err
		}},
		{"AssumeRole", s.STS(user, "eu-west-1"), func(c *sts.Client) error {
			_, err := c.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: &role, RoleSessionName: aws.String("bench")})
			return err
		}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			if err := bc.call(bc.c); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if err := bc.call(bc.c); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "issues/s")
		})
		// Several clients at once: what the server sustains rather than one client's round trips.
		b.Run(bc.name+"/parallel", func(b *testing.B) {
			b.ReportAllocs()
			b.SetParallelism(4)
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if err := bc.call(bc.c); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "issues/s")
		})
	}
}

// BenchmarkTokenRequest measures a GetCallerIdentity round trip signed with a long-term key and with
// session tokens: the difference is what opening a token costs per request through the server.
func BenchmarkTokenRequest(b *testing.B) {
	ctx := context.Background()
	s := Start(b, Options{})
	root := RootCreds()
	user := newUser(b, s, root, "bench")
	v1, err := s.GlobalSTS(user).GetSessionToken(ctx, &sts.GetSessionTokenInput{})
	ok(b, "GetSessionToken", err)
	v2, err := s.STS(user, "eu-west-1").GetSessionToken(ctx, &sts.GetSessionTokenInput{})
	ok(b, "GetSessionToken", err)
	for _, bc := range []struct {
		name  string
		creds aws.CredentialsProvider
	}{
		{"long-term-key", user},
		{"session-v1", sessionCreds(v1.Credentials)},
		{"session-v2", sessionCreds(v2.Credentials)},
	} {
		b.Run(bc.name, func(b *testing.B) {
			c := s.STS(bc.creds, "eu-west-1")
			identity(b, c)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := c.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
