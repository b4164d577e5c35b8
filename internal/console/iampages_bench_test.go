package console_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

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
// page, a page deep in the list (by marker), and a name filter that matches nothing, which reads the most
// a page may read.
func BenchmarkIAMListPages(b *testing.B) {
	s := startConsole(b)
	seedRolesAndPolicies(b, s.Server, benchEntities)
	s.user(b, "reader", "Correct-Horse-1", "arn:aws:iam::aws:policy/IAMReadOnlyAccess")
	h := newHTTPClient(b, s)
	h.signIn("reader", "Correct-Horse-1")

	for _, c := range []struct{ name, path, want string }{
		{"Roles", "/roles", "br00099"},
		{"RolesDeep", "/roles?marker=", "br04099"},
		{"RolesFilterNoMatch", "/roles?name=zzz", "No roles match in this stretch"},
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

// A name filter reads a bounded stretch of the list per page: with more roles than the stretch, a prefix
// that only matches past it shows none on the first page and a link to read on, which finds them.
func TestRolesFilterReadsABoundedStretch(t *testing.T) {
	s := startConsole(t)
	seedRolesAndPolicies(t, s.Server, 1100)
	s.user(t, "reader", "Correct-Horse-1", "arn:aws:iam::aws:policy/IAMReadOnlyAccess")
	h := newHTTPClient(t, s)
	h.signIn("reader", "Correct-Horse-1")
	_, body, _ := h.get("/roles?name=BR0109")
	if strings.Contains(body, ">br0109") || !strings.Contains(body, "No roles match in this stretch") {
		t.Fatalf("the first page read past its stretch:\n%s", body)
	}
	_, body, _ = h.get(nextLink(t, body))
	if n := strings.Count(body, ">br0109"); n != 10 || strings.Contains(body, `id="next"`) {
		t.Errorf("reading on found %d of the 10 roles br01090…br01099 (next link: %v)", n, strings.Contains(body, `id="next"`))
	}
}
