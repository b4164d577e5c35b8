package auth

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/iamd/iamd/internal/storage"
)

func TestDevAccountOf(t *testing.T) {
	for key, want := range map[string]string{
		"testing":              testAccount,
		"test":                 LocalStackAccountID,
		"TEST":                 testAccount,
		"111122223333":         "111122223333",
		"1111222233334":        testAccount,
		"AKIAIOSFODNN7EXAMPLE": testAccount,
		"":                     testAccount,
	} {
		if got := devAccountOf(key, testAccount); got != want {
			t.Errorf("devAccountOf(%q) = %s, want %s", key, got, want)
		}
	}
}

// devEnv is an env whose authenticator runs in dev mode with a DevUser that records its calls.
type devEnv struct {
	*env
	mu    sync.Mutex
	calls []string // account of each DevUser call
}

func newDevEnv(t *testing.T) *devEnv {
	d := &devEnv{env: newEnv(t)}
	d.auth = New(Options{Store: d.store, Tokens: d.ring, Now: d.clock.now, Dev: true, DevAccount: testAccount,
		OpenSecret: func(k *storage.AccessKey) (string, error) { return string(k.SecretSealed), nil },
		DevUser: func(_ context.Context, partition, account string) (*storage.User, error) {
			d.mu.Lock()
			defer d.mu.Unlock()
			d.calls = append(d.calls, account)
			return &storage.User{AccountID: account, Name: "moto", Path: "/", ID: "AIDADEVUSER" + account}, nil
		}})
	return d
}

// Made-up keys act as the dev user of the account they select; the root key stays the root.
func TestDevModeCallers(t *testing.T) {
	e := newDevEnv(t)
	for key, acct := range map[string]string{"testing": testAccount, "test": LocalStackAccountID, "AKIA0000000000000009": testAccount} {
		res, err := e.authenticate(e.request(t, key, "x", "", "us-east-1"), "us-east-1")
		if err != nil {
			t.Fatalf("%s: %v", key, err)
		}
		c := res.Caller
		if c.ARN != "arn:aws:iam::"+acct+":user/moto" || c.UserID != "AIDADEVUSER"+acct || c.AccessKeyID != key || res.LongTermKey != "" {
			t.Fatalf("%s: caller %+v", key, c)
		}
	}
	res, err := e.authenticate(e.request(t, e.rootKey, e.rootSecret, "", "us-east-1"), "us-east-1")
	if err != nil || res.Caller.ARN != "arn:aws:iam::"+testAccount+":root" {
		t.Fatalf("root key in dev mode: %v %+v", err, res)
	}
	if len(e.calls) != 3 {
		t.Fatalf("DevUser calls %v, want one per made-up key", e.calls)
	}
}

// A request with no signature at all is the dev user of the default account in dev mode, and refused
// (MissingAuthenticationToken) otherwise.
func TestDevModeUnsignedRequest(t *testing.T) {
	unsigned := func() *http.Request {
		r, _ := http.NewRequest(http.MethodPost, "http://127.0.0.1:1/", strings.NewReader(testBody))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
		return r
	}
	e := newDevEnv(t)
	res, err := e.authenticate(unsigned(), "us-west-2")
	if err != nil || res.Caller.ARN != "arn:aws:iam::"+testAccount+":user/moto" || res.Region != "us-west-2" {
		t.Fatalf("unsigned dev request: %v %+v", err, res)
	}
	_, err = newEnv(t).authenticate(unsigned(), "us-east-1")
	wantCode(t, "unsigned, not dev", err, "MissingAuthenticationToken", 403, "")
}

// Dev mode checks no signing time (frozen test clocks), for made-up keys, real keys and sessions; it
// still checks the signatures of real keys and sessions. Outside dev mode the same requests are refused.
func TestDevModeSigningTime(t *testing.T) {
	e := newDevEnv(t)
	plain := newEnv(t)
	for _, back := range []time.Duration{-400 * 24 * time.Hour, 2 * time.Hour} {
		for _, x := range []*env{e.env, plain} {
			key, secret, tok := x.session(t, 1, time.Hour)
			now := x.clock.now()
			x.clock.add(back) // sign at another time
			reqs := map[string]*http.Request{
				"made-up":            x.request(t, "testing", "x", "", "us-east-1"),
				"root":               x.request(t, x.rootKey, x.rootSecret, "", "us-east-1"),
				"session":            x.request(t, key, secret, tok, "us-east-1"),
				"root, wrong secret": x.request(t, x.rootKey, "wrong", "", "us-east-1"),
			}
			x.clock.add(-back)
			if !x.clock.now().Equal(now) {
				t.Fatal("clock not restored")
			}
			for name, r := range reqs {
				_, err := x.authenticate(r, "us-east-1")
				switch {
				case name == "root, wrong secret":
					wantCode(t, name, err, "SignatureDoesNotMatch", 403, "")
				case x == e.env && err != nil:
					t.Errorf("dev mode, %s signed %v away: %v", name, back, err)
				case x == plain && name != "made-up":
					wantCode(t, name, err, "SignatureDoesNotMatch", 403, "")
				}
			}
		}
	}
}
