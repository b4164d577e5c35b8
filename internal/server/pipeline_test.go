package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/iamd/iamd/internal/api/stsapi"
	"github.com/iamd/iamd/internal/server"
	iamsvc "github.com/iamd/iamd/internal/service/iam"
	"github.com/iamd/iamd/internal/storage"
)

// errDiskIO is a failure no client may see the words of.
var errDiskIO = errors.New("disk I/O error: /var/lib/iamd/iamd.db")

// failingStore fails every transaction once fail is set, as a store whose disk went away does.
type failingStore struct {
	storage.Store
	fail atomic.Bool
}

func (f *failingStore) View(ctx context.Context, fn func(tx storage.Tx) error) error {
	if f.fail.Load() {
		return errDiskIO
	}
	return f.Store.View(ctx, fn)
}

func (f *failingStore) Update(ctx context.Context, fn func(tx storage.Tx) error) error {
	if f.fail.Load() {
		return errDiskIO
	}
	return f.Store.Update(ctx, fn)
}

// brokenSTS fails GetCallerIdentity as a handler does when something under it breaks: with a wrapped
// error that is not an API error.
type brokenSTS struct{ stsapi.Unimplemented }

func (brokenSTS) GetCallerIdentity(context.Context, *stsapi.GetCallerIdentityRequest) (*stsapi.GetCallerIdentityResponse, error) {
	return nil, fmt.Errorf("reading the caller: %w", errDiskIO)
}

type logRecord map[string]any

func records(t *testing.T, b *bytes.Buffer) []logRecord {
	t.Helper()
	var out []logRecord
	dec := json.NewDecoder(b)
	for dec.More() {
		var r logRecord
		if err := dec.Decode(&r); err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	return out
}

// A handler's unexpected failure reaches the client as AWS words it (ServiceFailure for IAM,
// InternalFailure for STS) with the request ID and without its cause; the server logs it once, in the
// request's record, with the request ID and the cause.
func TestInternalErrorAnsweredAndLoggedOnce(t *testing.T) {
	a := newApp(t, false)
	var logs bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&logs, nil))
	store := &failingStore{Store: a.Store}
	srv := server.New(server.Options{Store: a.Store, Auth: a.Auth, Authorizer: a.Authz, Account: a.Account,
		IAM: iamsvc.New(iamsvc.Options{Store: store, Logger: log}), STS: brokenSTS{}, Logger: log})

	for _, tc := range []struct {
		service, body, op, code, msg string
	}{
		{"iam", "Action=ListUsers&Version=2010-05-08", "ListUsers", "ServiceFailure",
			"Request processing has failed due to some unknown error, exception or failure."},
		{"sts", gciBody, "GetCallerIdentity", "InternalFailure",
			"The request processing has failed because of an unknown error, exception or failure."},
	} {
		t.Run(tc.service, func(t *testing.T) {
			call := func() *httptest.ResponseRecorder {
				r := httptest.NewRequest(http.MethodPost, "http://127.0.0.1:4566/", strings.NewReader(tc.body))
				r.Header.Set("Content-Type", formType)
				sign(t, r, []byte(tc.body), tc.service, time.Now())
				w := httptest.NewRecorder()
				srv.ServeHTTP(w, r)
				return w
			}
			if tc.service == "iam" {
				// Once with the store up, so that the root's key is known; then the store fails.
				if w := call(); w.Code != http.StatusOK {
					t.Fatalf("ListUsers with the store up: %d %s", w.Code, w.Body)
				}
				store.fail.Store(true)
				defer store.fail.Store(false)
			}
			logs.Reset()
			w := call()
			id := w.Header().Get("X-Amzn-Requestid")
			body := w.Body.String()
			if w.Code != http.StatusInternalServerError || id == "" ||
				!strings.Contains(body, "<Code>"+tc.code+"</Code><Message>"+tc.msg+"</Message>") ||
				!strings.Contains(body, "<RequestId>"+id+"</RequestId>") {
				t.Fatalf("answer: %d %q\n%s", w.Code, id, body)
			}
			if strings.Contains(body, "disk") {
				t.Fatalf("the cause reached the client: %s", body)
			}
			var mine []logRecord
			for _, rec := range records(t, &logs) {
				if rec["request_id"] == id {
					mine = append(mine, rec)
				} else if strings.Contains(fmt.Sprint(rec), "disk I/O") {
					t.Errorf("the failure was logged without the request ID: %v", rec)
				}
			}
			if len(mine) != 1 {
				t.Fatalf("%d records for request %s, want 1: %v", len(mine), id, mine)
			}
			rec := mine[0]
			if rec["msg"] != "request" || rec["level"] != "ERROR" || rec["service"] != tc.service || rec["operation"] != tc.op ||
				rec["status"] != 500.0 || rec["error"] != tc.code || !strings.Contains(fmt.Sprint(rec["err"]), errDiskIO.Error()) {
				t.Fatalf("record of the failed request: %v", rec)
			}
		})
	}
}

// unimplementedSTS implements no STS operation, as a service whose operations are not written yet.
type unimplementedSTS struct{ stsapi.Unimplemented }

// An operation iamd does not implement answers 501 NotImplemented and is logged once, at WARN, in the
// request's access line naming it: worth an operator's eye, but no server fault (no ERROR line).
func TestNotImplementedLoggedOnceAtWarn(t *testing.T) {
	a := newApp(t, false)
	var logs bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&logs, nil))
	srv := server.New(server.Options{Store: a.Store, Auth: a.Auth, Authorizer: a.Authz, Account: a.Account, IAM: a.IAM,
		STS: unimplementedSTS{}, Logger: log})
	body := "Action=DecodeAuthorizationMessage&Version=2011-06-15&EncodedMessage=abc"
	r := httptest.NewRequest(http.MethodPost, "http://127.0.0.1:4566/", strings.NewReader(body))
	r.Header.Set("Content-Type", formType)
	sign(t, r, []byte(body), "sts", time.Now())
	w := httptest.NewRecorder()
	srv.ServeHTTP(w, r)
	id := w.Header().Get("X-Amzn-Requestid")
	if w.Code != http.StatusNotImplemented || !strings.Contains(w.Body.String(), "<Code>NotImplemented</Code>") {
		t.Fatalf("answer: %d\n%s", w.Code, w.Body)
	}
	var mine []logRecord
	for _, rec := range records(t, &logs) {
		if rec["level"] == "ERROR" {
			t.Errorf("ERROR line for a request iamd does not implement: %v", rec)
		}
		if rec["request_id"] == id {
			mine = append(mine, rec)
		}
	}
	if len(mine) != 1 || mine[0]["msg"] != "request" || mine[0]["level"] != "WARN" || mine[0]["error"] != "NotImplemented" ||
		mine[0]["service"] != "sts" || mine[0]["operation"] != "DecodeAuthorizationMessage" || mine[0]["err"] != nil {
		t.Fatalf("log lines of the request: %v", mine)
	}
}
