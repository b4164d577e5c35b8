package console_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/iamd/iamd/internal/e2etest"
	"github.com/iamd/iamd/internal/ids"
	"github.com/iamd/iamd/internal/storage"
)

// benchEntities is the account's size in the IAM list benchmarks: 5,000 roles and 5,000 customer
// managed policies (past AWS's quotas, so written straight through the store).
const (
	benchEntities = 5000
	benchBatch    = 500
)

// BenchmarkIAMListPages measures the server time of the roles and policies list pages (one op = one
// page, over HTTP as a browser asks for it) in an account of 5,000 roles and 5,000 policies: the first
// page, a page deep in the list (by marker), a name filter (which starts at the prefix's first name) and
// one that matches nothing; for policies, whose filter reads a bounded stretch, a filter that matches
// nothing reads the most a page may read.
func BenchmarkIAMListPages(b *testing.B) {
	s := startConsole(b)
	seedRolesAndPolicies(b, s.Server, benchEntities)
	s.user(b, "reader", "Correct-Horse-1", "arn:aws:iam::aws:policy/IAMReadOnlyAccess")
	h := newHTTPClient(b, s)
	h.signIn("reader", "Correct-Horse-1")

	for _, c := range []struct{ name, path, want string }{
		{"Roles", "/roles", "br00099"},
		{"RolesDeep", "/roles?marker=", "br04099"},
		{"RolesFilter", "/roles?name=br0409", "br04099"},
		{"RolesFilterNoMatch", "/roles?name=zzz", "No roles match."},
		{"PoliciesLocal", "/policies", "bp00099"},
		{"PoliciesAll", "/policies?scope=All", "AdministratorAccess"},
		{"PoliciesLocalFilterNoMatch", "/policies?name=zzz", "No policies match in this stretch"},
		{"PoliciesFilterNoMatch", "/policies?scope=All&name=zzz", "No policies match in this stretch"},
	} {
		b.Run(c.name, func(b *testing.B) {
			p := c.path
			if strings.HasSuffix(p, "marker=") {
				p = deepMarkerPath(b, h, "/roles", 40)
			}
			for b.Loop() {
				code, body, _ := h.get(p)
				if code != http.StatusOK || !strings.Contains(body, c.want) {
					b.Fatalf("%s answered %d without %q", p, code, c.want)
				}
			}
		})
	}
}

// deepMarkerPath follows the list's Next links pages times and returns that page's path.
func deepMarkerPath(b *testing.B, h *httpClient, p string, pages int) string {
	for range pages {
		_, body, _ := h.get(p)
		i := strings.Index(body, `id="next" href="`)
		if i < 0 {
			b.Fatalf("no next page after %s", p)
		}
		rest := body[i+len(`id="next" href="`):]
		p = strings.TrimPrefix(strings.ReplaceAll(rest[:strings.Index(rest, `"`)], "&amp;", "&"), "/console")
	}
	return p
}

// seedRolesAndPolicies writes n br00000… roles and n bp00000… policies (one version each) in batches.
func seedRolesAndPolicies(b testing.TB, s *e2etest.Server, n int) {
	b.Helper()
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Second)
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	for start := 0; start < n; start += benchBatch {
		err := s.App.Store.Update(ctx, func(tx storage.Tx) error {
			for i := start; i < min(n, start+benchBatch); i++ {
				r := &storage.Role{AccountID: e2etest.AccountID, Name: fmt.Sprintf("br%05d", i), Path: "/", ID: ids.NewUniqueID(ids.PrefixRole),
					CreatedAt: now, AssumeRolePolicyDocument: trust, MaxSessionDuration: 3600, TrustPrincipalIDs: map[string]string{}}
				if err := tx.CreateRole(ctx, r); err != nil {
					return err
				}
				p := &storage.ManagedPolicy{AccountID: e2etest.AccountID, Name: fmt.Sprintf("bp%05d", i), Path: "/", ID: ids.NewUniqueID(ids.PrefixManagedPolicy),
					DefaultVersionID: "v1", NextVersion: 1, CreatedAt: now, UpdatedAt: now}
				if err := tx.CreateManagedPolicy(ctx, p); err != nil {
					return err
				}
				doc := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket-%d/*"}]}`, i)
				if err := tx.CreatePolicyVersion(ctx, e2etest.AccountID, p.Name, &storage.PolicyVersion{Document: doc, CreatedAt: now}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatalf("fixture: %v", err)
		}
	}
}

// A name filter starts the list at the prefix's first role, however many roles come before it: the first
// page shows the matches with no link to read on; a prefix with more matches than a page pages through
// them, and a prefix nothing matches shows none. Instance profiles page the same way.
func TestRolesFilterStartsAtThePrefix(t *testing.T) {
	s := startConsole(t)
	seedRolesAndPolicies(t, s.Server, 1100)
	ctx := context.Background()
	for i := 0; i < 3; i++ {
		if _, err := s.root.CreateInstanceProfile(ctx, &iam.CreateInstanceProfileInput{InstanceProfileName: aws.String(fmt.Sprintf("ip-%d", i))}); err != nil {
			t.Fatal(err)
		}
	}
	s.user(t, "reader", "Correct-Horse-1", "arn:aws:iam::aws:policy/IAMReadOnlyAccess")
	h := newHTTPClient(t, s)
	h.signIn("reader", "Correct-Horse-1")
	_, body, _ := h.get("/roles?name=BR0109")
	if n := strings.Count(body, ">br0109"); n != 10 || strings.Contains(body, `id="next"`) {
		t.Fatalf("the filter past 1,000 roles found %d of the 10 roles br01090…br01099 (next link: %v)", n, strings.Contains(body, `id="next"`))
	}
	_, body, _ = h.get("/roles?name=br00")
	if n := strings.Count(body, ">br00"); n != 100 || !strings.Contains(body, ">br00099<") {
		t.Fatalf("the first page of 1,000 matches shows %d roles", n)
	}
	_, body, _ = h.get(nextLink(t, body))
	if n := strings.Count(body, ">br00"); n != 100 || !strings.Contains(body, ">br00100<") || !strings.Contains(body, ">br00199<") {
		t.Fatalf("the second page of 1,000 matches shows %d roles", n)
	}
	if _, body, _ = h.get("/roles?name=zzz"); !strings.Contains(body, "No roles match.") || strings.Contains(body, `id="next"`) {
		t.Fatalf("a prefix nothing matches:\n%s", body)
	}
	_, body, _ = h.get("/instance-profiles?name=IP-1")
	if !strings.Contains(body, ">ip-1<") || strings.Contains(body, ">ip-0<") || strings.Contains(body, ">ip-2<") {
		t.Fatalf("the instance profiles filter:\n%s", body)
	}
}
