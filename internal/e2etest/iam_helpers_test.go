package e2etest

import (
	"context"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/iamd/iamd/internal/storage/pgtest"
)

// iamEnv is one fresh server and a root IAM client, what every IAM API test starts from.
type iamEnv struct {
	t   *testing.T
	s   *Server
	c   *iam.Client
	ctx context.Context
}

// iamBackendEnv names the environment variable that runs the IAM API tests on PostgreSQL instead of SQLite
// (IAMD_E2E_IAM_BACKEND=postgres), so that both backends' ordering, precision and collation are checked.
const iamBackendEnv = "IAMD_E2E_IAM_BACKEND"

func newIAMEnv(t *testing.T) *iamEnv {
	t.Helper()
	var o Options
	if os.Getenv(iamBackendEnv) == "postgres" {
		o.DatabaseURL = pgtest.URL(t)
	}
	s := Start(t, o)
	return &iamEnv{t: t, s: s, c: s.IAM(RootCreds()), ctx: context.Background()}
}

// must fails the test when a call that should succeed does not, and returns its output.
func must[T any](t testing.TB, what string) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		return v
	}
}

// errCase is one error path: a call, and the code, HTTP status and message AWS answers it with.
type errCase struct {
	name   string
	call   func() error
	code   string
	status int
	msg    string // "" checks code and status only
}

func runErrCases(t *testing.T, cases []errCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			wantError(t, c.name, c.call(), c.code, c.status, c.msg)
		})
	}
}

// call turns a two-result SDK call into an error-only one for errCase.
func call[T any](_ T, err error) error { return err }

// validation is AWS's single-constraint ValidationError message.
func validation(value, member, constraint string) string {
	return "1 validation error detected: Value '" + value + "' at '" + member + "' failed to satisfy constraint: " + constraint
}

func docAllow(action, resource string) string {
	return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"` + action + `","Resource":"` + resource + `"}]}`
}

const trustEC2 = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`

// decoded URL-decodes a policy document the way a client must: AWS returns documents URL-encoded and the
// SDK hands them over as they came.
func decoded(t testing.TB, doc *string) string {
	t.Helper()
	if doc == nil {
		t.Fatal("document missing")
	}
	s, err := url.QueryUnescape(*doc)
	if err != nil {
		t.Fatalf("document %q is not URL-encoded: %v", *doc, err)
	}
	return s
}

// reID is an entity unique ID: AWS's are 21 characters (AIDACKCEVSQ6C2EXAMPLE), unlike 20-character access key IDs.
var reID = regexp.MustCompile(`^[A-Z2-7]{21}$`)

// checkID checks a unique ID: 21 characters of A-Z2-7 starting with prefix.
func checkID(t testing.TB, what, id, prefix string) {
	t.Helper()
	if !reID.MatchString(id) || !strings.HasPrefix(id, prefix) {
		t.Fatalf("%s: ID %q, want 21 characters [A-Z2-7] starting %s", what, id, prefix)
	}
}

// checkRecent checks a CreateDate: set, second precision, within a minute of now.
func checkRecent(t testing.TB, what string, d *time.Time) {
	t.Helper()
	if d == nil {
		t.Fatalf("%s: no date", what)
	}
	if d.Nanosecond() != 0 {
		t.Fatalf("%s: date %v has sub-second precision", what, d)
	}
	if diff := time.Since(*d); diff < -time.Minute || diff > time.Minute {
		t.Fatalf("%s: date %v is not now", what, d)
	}
}

func arn(resource string) string { return "arn:aws:iam::" + AccountID + ":" + resource }

func tags(kv ...string) []iamtypes.Tag {
	var out []iamtypes.Tag
	for i := 0; i+1 < len(kv); i += 2 {
		out = append(out, iamtypes.Tag{Key: aws.String(kv[i]), Value: aws.String(kv[i+1])})
	}
	return out
}

func tagMap(ts []iamtypes.Tag) map[string]string {
	m := map[string]string{}
	for _, tg := range ts {
		m[aws.ToString(tg.Key)] = aws.ToString(tg.Value)
	}
	return m
}

// walk pages through a listing with page size n, returning every page's names; page gets the marker
// (nil first) and returns names, IsTruncated and the next marker.
func walk(t testing.TB, n int32, page func(marker *string, max int32) ([]string, bool, *string, error)) (names []string, pages int) {
	t.Helper()
	var marker *string
	for {
		got, trunc, next, err := page(marker, n)
		if err != nil {
			t.Fatalf("page %d: %v", pages+1, err)
		}
		pages++
		if int32(len(got)) > n {
			t.Fatalf("page %d has %d items, MaxItems %d", pages, len(got), n)
		}
		names = append(names, got...)
		if !trunc {
			if next != nil {
				t.Fatalf("page %d: Marker %q on a last page", pages, *next)
			}
			return names, pages
		}
		if next == nil || *next == "" {
			t.Fatalf("page %d: IsTruncated without Marker", pages)
		}
		if pages > 1000 {
			t.Fatal("listing does not end")
		}
		marker = next
	}
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
