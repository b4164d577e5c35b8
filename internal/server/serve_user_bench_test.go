package server_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/iamd/iamd/internal/config"
)

// BenchmarkServeGetUser is the server's own cost of the bench tool's read mixes, without sockets: a user
// with one attached managed policy and an access key calls GetUser (policy enforced) and
// GetCallerIdentity, each request signed once and served in-process. Its allocs/op and the CPU profile
// are the server's alone, and cpu-ns/op (the process's CPU per request) moves less than ns/op on a
// shared machine; compare builds with -benchmem and -cpuprofile.
//
//	go test ./internal/server -run '^$' -bench ServeGetUser -benchmem -count 3
func BenchmarkServeGetUser(b *testing.B) {
	a := newAppWith(b, func(c *config.Config) { c.NoAudit = true })
	root := aws.Credentials{AccessKeyID: testKeyID, SecretAccessKey: testSecret}
	policy := `{"Version":"2012-10-17","Statement":[` +
		`{"Sid":"Read","Effect":"Allow","Action":["iam:Get*","iam:List*"],"Resource":"*"},` +
		`{"Sid":"Users","Effect":"Allow","Action":["iam:CreateUser","iam:DeleteUser"],"Resource":"arn:aws:iam::` + testAccount + `:user/*"},` +
		`{"Sid":"KeepAdmin","Effect":"Deny","Action":"iam:DeleteUser","Resource":"arn:aws:iam::` + testAccount + `:user/admin"}]}`
	for _, body := range []string{
		"Action=CreatePolicy&Version=2010-05-08&PolicyName=bench-policy&PolicyDocument=" + url.QueryEscape(policy),
		"Action=CreateUser&Version=2010-05-08&UserName=bench-user",
		"Action=AttachUserPolicy&Version=2010-05-08&UserName=bench-user&PolicyArn=" +
			url.QueryEscape("arn:aws:iam::"+testAccount+":policy/bench-policy"),
	} {
		if rec := serveAs(b, a.Server, root, "iam", body); rec.Code != http.StatusOK {
			b.Fatalf("%s: %d %s", body, rec.Code, rec.Body)
		}
	}
	rec := serveAs(b, a.Server, root, "iam", "Action=CreateAccessKey&Version=2010-05-08&UserName=bench-user")
	var key struct {
		ID     string `xml:"CreateAccessKeyResult>AccessKey>AccessKeyId"`
		Secret string `xml:"CreateAccessKeyResult>AccessKey>SecretAccessKey"`
	}
	if err := xml.Unmarshal(rec.Body.Bytes(), &key); err != nil || key.ID == "" {
		b.Fatalf("CreateAccessKey: %d %s", rec.Code, rec.Body)
	}
	user := aws.Credentials{AccessKeyID: key.ID, SecretAccessKey: key.Secret}
	for _, v := range []struct{ name, service, body string }{
		{"GetUser", "iam", "Action=GetUser&Version=2010-05-08&UserName=bench-user"},
		{"GetCallerIdentity", "sts", gciBody},
	} {
		b.Run(v.name, func(b *testing.B) {
			r := signAs(b, user, v.service, v.body)
			serveN(b, a.Server, r, []byte(v.body), 1) // warm: the caches fill on the first request
			b.ReportAllocs()
			b.ResetTimer()
			cpu := benchCPU()
			serveN(b, a.Server, r, []byte(v.body), b.N)
			b.StopTimer()
			b.ReportMetric(float64(benchCPU()-cpu)/float64(b.N), "cpu-ns/op")
		})
	}
}

func signAs(tb testing.TB, creds aws.Credentials, service, body string) *http.Request {
	tb.Helper()
	r, err := http.NewRequest(http.MethodPost, "http://127.0.0.1:8300/", bytes.NewReader([]byte(body)))
	if err != nil {
		tb.Fatal(err)
	}
	r.Header.Set("Content-Type", formType)
	r.RemoteAddr = "127.0.0.1:50000"
	h := sha256.Sum256([]byte(body))
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, r, hex.EncodeToString(h[:]), service, "us-east-1", time.Now().UTC()); err != nil {
		tb.Fatal(err)
	}
	return r
}

func serveAs(tb testing.TB, h http.Handler, creds aws.Credentials, service, body string) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, signAs(tb, creds, service, body))
	return rec
}
