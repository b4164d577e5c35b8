package e2etest

import (
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// Role profiles of a shared config file (role_arn + source_profile) with aws-sdk-go-v2, as docs/clients.md
// tells users: the SDK's AssumeRole call for the profile does not use a profile-level endpoint_url, and
// reaches iamd when the STS endpoint is named by AWS_ENDPOINT_URL_STS or a services section. The tests pin
// that behaviour of the SDK version in go.mod, so that the document is revisited when an upgrade changes it.

// hostRecorder is an HTTP transport that records the host of every request and sends only those for
// loopback addresses, refusing the rest (an AssumeRole meant for AWS must not leave the machine).
type hostRecorder struct {
	mu    sync.Mutex
	hosts []string
	next  http.RoundTripper
}

var errNotLoopback = errors.New("refused: not a loopback address")

func (h *hostRecorder) RoundTrip(r *http.Request) (*http.Response, error) {
	h.mu.Lock()
	h.hosts = append(h.hosts, r.URL.Host)
	h.mu.Unlock()
	if !strings.HasPrefix(r.URL.Host, "127.0.0.1:") {
		return nil, errNotLoopback
	}
	return h.next.RoundTrip(r)
}

func (h *hostRecorder) seen() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.hosts...)
}

// roleProfileSetup makes a user allowed to assume a role of the account, and a shared config file in which
// profile "carol" holds the user's key and profile "role" assumes the role from it; extra is appended to
// the role profile (its endpoint settings). It returns the config file's path and the role's ARN.
func roleProfileSetup(t *testing.T, s *Server, extra string) (string, string) {
	t.Helper()
	root := RootCreds()
	carol := newUser(t, s, root, "carol")
	roleARN := newRole(t, s, root, "deployer", trustPolicy(AccountID, ""), 0)
	allow(t, s, root, "carol", "sts:AssumeRole", roleARN)
	key, err := carol.Retrieve(context.Background())
	ok(t, "carol's key", err)
	cfg := "[profile carol]\nregion = us-east-1\naws_access_key_id = " + key.AccessKeyID +
		"\naws_secret_access_key = " + key.SecretAccessKey + "\n\n" +
		"[profile role]\nregion = us-east-1\nrole_arn = " + roleARN + "\nsource_profile = carol\n" + extra
	path := filepath.Join(t.TempDir(), "config")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	// Only the file and the test's variables describe endpoints and credentials.
	for _, v := range []string{"AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_STS", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
		"AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
		"AWS_CA_BUNDLE"} {
		t.Setenv(v, "")
	}
	return path, roleARN
}

// callerWithRoleProfile loads the "role" profile the way programs do (config.LoadDefaultConfig) and asks
// STS, at the given endpoint if any, who the caller is.
func callerWithRoleProfile(t *testing.T, path, endpoint string, rec *hostRecorder) (*sts.GetCallerIdentityOutput, error) {
	t.Helper()
	cfg, err := config.LoadDefaultConfig(context.Background(), config.WithSharedConfigFiles([]string{path}),
		config.WithSharedCredentialsFiles([]string{filepath.Join(filepath.Dir(path), "none")}),
		config.WithSharedConfigProfile("role"), config.WithRetryMaxAttempts(1),
		config.WithHTTPClient(&http.Client{Transport: rec}))
	ok(t, "LoadDefaultConfig", err)
	return sts.NewFromConfig(cfg, func(o *sts.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
		}
	}).GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
}

func TestRoleProfileEndpointURLDoesNotReachAssumeRole(t *testing.T) {
	s := Start(t, Options{})
	path, _ := roleProfileSetup(t, s, "endpoint_url = "+s.URL+"\n")
	rec := &hostRecorder{next: sdkHTTPClient.Transport}
	_, err := callerWithRoleProfile(t, path, "", rec)
	if !errors.Is(err, errNotLoopback) {
		t.Fatalf("GetCallerIdentity with a role profile whose endpoint_url is iamd: err %v, want the AssumeRole "+
			"call refused on its way to AWS (requests: %v)", err, rec.seen())
	}
	if got := rec.seen(); len(got) != 1 || got[0] != "sts.us-east-1.amazonaws.com" {
		t.Fatalf("requests went to %v, want only AssumeRole to sts.us-east-1.amazonaws.com", got)
	}
}

func TestRoleProfileAssumesRoleAtTheSTSSpecificEndpoint(t *testing.T) {
	for _, tc := range []struct {
		name  string
		extra func(url string) string
		env   func(t *testing.T, url string)
	}{
		{"services section", func(url string) string {
			return "services = iamd\n\n[services iamd]\nsts =\n  endpoint_url = " + url + "\n"
		}, func(*testing.T, string) {}},
		{"AWS_ENDPOINT_URL_STS", func(string) string { return "" }, func(t *testing.T, url string) {
			t.Setenv("AWS_ENDPOINT_URL_STS", url)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := Start(t, Options{})
			path, roleARN := roleProfileSetup(t, s, tc.extra(s.URL))
			tc.env(t, s.URL)
			rec := &hostRecorder{next: sdkHTTPClient.Transport}
			out, err := callerWithRoleProfile(t, path, "", rec)
			ok(t, "GetCallerIdentity through the role profile", err)
			want := "arn:aws:sts::" + AccountID + ":assumed-role/deployer/"
			if got := aws.ToString(out.Arn); !strings.HasPrefix(got, want) {
				t.Fatalf("caller %s, want %s… (role %s)", got, want, roleARN)
			}
			for _, h := range rec.seen() {
				if h != strings.TrimPrefix(s.URL, "http://") {
					t.Fatalf("a request went to %s (all: %v)", h, rec.seen())
				}
			}
		})
	}
}
