package sigv4

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/account"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// recorder verifies every request it receives and keeps the outcomes. It answers 400 so that clients stop
// (retries are off): only the verification matters here.
type recorder struct {
	v      *Verifier
	expect Expect
	mu     sync.Mutex
	errs   []error
	parsed []*Request
}

func (rec *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	p, err := rec.v.Parse(r, body, rec.expect)
	if err == nil {
		err = rec.v.Verify(p, testSecret)
	}
	rec.mu.Lock()
	rec.errs = append(rec.errs, err)
	rec.parsed = append(rec.parsed, p)
	rec.mu.Unlock()
	w.WriteHeader(http.StatusBadRequest)
}

func (rec *recorder) check(t *testing.T, wantToken string) {
	t.Helper()
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.errs) != 1 {
		t.Fatalf("server saw %d requests, want 1", len(rec.errs))
	}
	if rec.errs[0] != nil {
		t.Fatalf("verification failed: %v", rec.errs[0])
	}
	if rec.parsed[0].SecurityToken != wantToken {
		t.Errorf("token %q, want %q", rec.parsed[0].SecurityToken, wantToken)
	}
	rec.errs, rec.parsed = nil, nil
}

// TestSDKClients drives the real aws-sdk-go-v2 service clients (which sign with the current time) against
// a server that verifies their signatures: the header form for IAM and STS (awsQuery) and Account
// (rest-json), and the STS presign client.
func TestSDKClients(t *testing.T) {
	ctx := context.Background()
	v := NewVerifier(time.Now)
	for _, token := range []string{"", "FwoGZXIvYXdzEXAMPLE/+=="} {
		cfg := aws.Config{
			Region:      "us-east-1",
			Credentials: credentials.NewStaticCredentialsProvider(testAKID, testSecret, token),
			Retryer:     func() aws.Retryer { return aws.NopRetryer{} },
		}

		rec := &recorder{v: v, expect: Expect{Region: "us-east-1", Service: "sts"}}
		srv := httptest.NewServer(rec)
		stsc := sts.NewFromConfig(cfg, func(o *sts.Options) { o.BaseEndpoint = aws.String(srv.URL) })
		stsc.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		rec.check(t, token)
		stsc.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::123456789012:role/r"), RoleSessionName: aws.String("s p@ce=,.")})
		rec.check(t, token)

		presigned, err := sts.NewPresignClient(stsc).PresignGetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		if err != nil {
			t.Fatal(err)
		}
		req, _ := http.NewRequest(presigned.Method, presigned.URL, nil)
		for k, vs := range presigned.SignedHeader {
			if k != "Host" {
				req.Header[k] = vs
			}
		}
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
		}
		rec.check(t, token)
		srv.Close()

		rec = &recorder{v: v, expect: Expect{Region: "us-east-1", Service: "iam"}}
		srv = httptest.NewServer(rec)
		iamc := iam.NewFromConfig(cfg, func(o *iam.Options) { o.BaseEndpoint = aws.String(srv.URL) })
		iamc.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("alïce+1"), Path: aws.String("/a b/"),
			Tags: []iamtypes.Tag{{Key: aws.String("k~"), Value: aws.String("v*'()")}}})
		rec.check(t, token)
		srv.Close()

		rec = &recorder{v: v, expect: Expect{Region: "us-east-1", Service: "account"}}
		srv = httptest.NewServer(rec)
		acc := account.NewFromConfig(cfg, func(o *account.Options) { o.BaseEndpoint = aws.String(srv.URL) })
		acc.GetRegionOptStatus(ctx, &account.GetRegionOptStatusInput{RegionName: aws.String("af-south-1")})
		rec.check(t, token)
		srv.Close()
	}
}
