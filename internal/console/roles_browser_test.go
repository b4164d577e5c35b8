package console_test

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/chromedp/chromedp"

	"github.com/iamd/iamd/internal/e2etest"
)

// A role created in the browser with a trust policy naming a user can be assumed by that user through
// the API; a malformed trust policy shows IAM's own message and keeps the text; deleting a role with a
// policy attached shows DeleteConflict beside the button; a read-only user is refused with the API's
// AccessDenied text and creates nothing.
func TestBrowserRoles(t *testing.T) {
	s := startConsole(t)
	ctx0 := context.Background()
	s.user(t, "admin", "Correct-Horse-1", "arn:aws:iam::aws:policy/IAMFullAccess")
	s.user(t, "reader", "Correct-Horse-1", "arn:aws:iam::aws:policy/IAMReadOnlyAccess")
	if _, err := s.root.PutUserPolicy(ctx0, &iam.PutUserPolicyInput{UserName: aws.String("admin"), PolicyName: aws.String("assume"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}`)}); err != nil {
		t.Fatal(err)
	}
	adminCreds := s.userCreds(t, "admin")
	adminARN := "arn:aws:iam::" + e2etest.AccountID + ":user/admin"
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"` + adminARN + `"},"Action":"sts:AssumeRole"}]}`

	ctx := newBrowser(t)
	do(t, ctx, signIn(s, e2etest.AccountID, "admin", "Correct-Horse-1"), chromedp.WaitVisible(chromedp.ID("caller-arn")))

	do(t, ctx, chromedp.Navigate(s.url("/roles/new")), chromedp.WaitVisible(chromedp.ID("trust")))
	screenshot(t, ctx, "role-create")
	do(t, ctx, chromedp.SendKeys(chromedp.ID("name"), "deployer"), chromedp.SetValue(chromedp.ID("trust"), trust),
		chromedp.SetValue(chromedp.ID("max-session"), "7200"), chromedp.SendKeys(chromedp.ID("description"), "Deploys things"),
		clickAndLoad("create"), chromedp.WaitVisible(chromedp.ID("role-arn")))
	shows(t, ctx, "done", "Role created.")
	roleARN := text(t, ctx, chromedp.ID("role-arn"))
	out, err := s.GlobalSTS(adminCreds).AssumeRole(ctx0, &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("from-console"),
		DurationSeconds: aws.Int32(7200)})
	if err != nil {
		t.Fatalf("AssumeRole of the role made in the console: %v", err)
	}
	if got := aws.ToString(out.AssumedRoleUser.Arn); !strings.Contains(got, ":assumed-role/deployer/from-console") {
		t.Errorf("assumed %s", got)
	}

	// A malformed trust policy: IAM's message beside the editor, the text kept as typed.
	bad := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"` + adminARN + `"},"Action":"sts:AssumeRole",}]}`
	_, want := s.root.UpdateAssumeRolePolicy(ctx0, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String("deployer"), PolicyDocument: aws.String(bad)})
	do(t, ctx, chromedp.SetValue(chromedp.ID("trust"), bad), clickAndLoad("update-trust"), chromedp.WaitVisible(chromedp.ID("trust-error")))
	shows(t, ctx, "trust-error", apiError(t, want))
	if got := run(t, ctx, chromedp.Value(chromedp.ID("trust"))); got != bad {
		t.Errorf("the editor holds %q, want the text typed", got)
	}

	// Attach a policy, then delete: DeleteConflict, as the API words it, beside the button.
	do(t, ctx, chromedp.SendKeys(chromedp.ID("policy-arn"), "arn:aws:iam::aws:policy/ReadOnlyAccess"), clickAndLoad("attach"),
		chromedp.WaitVisible(chromedp.ID("done")))
	_, want = s.root.DeleteRole(ctx0, &iam.DeleteRoleInput{RoleName: aws.String("deployer")})
	do(t, ctx, clickAndLoad("delete"), chromedp.WaitVisible(chromedp.ID("delete-error")))
	shows(t, ctx, "delete-error", apiError(t, want))
	screenshot(t, ctx, "role")
	if !strings.Contains(text(t, ctx, chromedp.ID("attached")), "ReadOnlyAccess") {
		t.Error("the attached policy is not listed")
	}

	do(t, ctx, chromedp.Navigate(s.url("/roles")), chromedp.WaitVisible(chromedp.ID("roles")))
	screenshot(t, ctx, "roles")

	// The read-only user: refused with the API's text, nothing created.
	_, want = s.userIAM(t, "reader").CreateRole(ctx0, &iam.CreateRoleInput{RoleName: aws.String("sneaky"), AssumeRolePolicyDocument: aws.String(trust)})
	do(t, ctx, clickAndLoad("signout"), chromedp.WaitVisible(chromedp.ID("account")),
		signIn(s, e2etest.AccountID, "reader", "Correct-Horse-1"), chromedp.WaitVisible(chromedp.ID("caller-arn")),
		chromedp.Navigate(s.url("/roles/new")), chromedp.WaitVisible(chromedp.ID("trust")),
		chromedp.SendKeys(chromedp.ID("name"), "sneaky"), chromedp.SetValue(chromedp.ID("trust"), trust),
		clickAndLoad("create"), chromedp.WaitVisible(chromedp.ID("api-error")))
	shows(t, ctx, "api-error", apiError(t, want))
	if _, err := s.root.GetRole(ctx0, &iam.GetRoleInput{RoleName: aws.String("sneaky")}); err == nil {
		t.Error("the read-only user created a role")
	}
}

// The roles list reads with markers through more roles than a page holds, filtered by name prefix
// (without case) and by path prefix, and the filters stay on the next page's link.
func TestRolesListFiltersAndMarkers(t *testing.T) {
	s := startConsole(t)
	ctx := context.Background()
	s.user(t, "reader", "Correct-Horse-1", "arn:aws:iam::aws:policy/IAMReadOnlyAccess")
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	for i := range 130 {
		name, path := fmt.Sprintf("app-%03d", i), "/apps/"
		if i%2 == 1 {
			name, path = fmt.Sprintf("web-%03d", i), "/web/"
		}
		if _, err := s.root.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(name), Path: aws.String(path), AssumeRolePolicyDocument: aws.String(trust)}); err != nil {
			t.Fatal(err)
		}
	}
	h := newHTTPClient(t, s)
	h.signIn("reader", "Correct-Horse-1")
	count := func(body, prefix string) int { return strings.Count(body, ">"+prefix) }

	_, body, _ := h.get("/roles")
	if n := count(body, "app-") + count(body, "web-"); n != 100 || !strings.Contains(body, `id="next"`) {
		t.Fatalf("first page lists %d roles (next link: %v), want 100 and a next page", n, strings.Contains(body, `id="next"`))
	}
	next := nextLink(t, body)
	_, body, _ = h.get(next)
	if n := count(body, "app-") + count(body, "web-"); n != 30 || strings.Contains(body, `id="next"`) {
		t.Errorf("second page lists %d roles, want the last 30 and no next page", n)
	}

	_, body, _ = h.get("/roles?name=APP-")
	if a, w := count(body, "app-"), count(body, "web-"); a != 65 || w != 0 {
		t.Errorf("name filter APP-: %d app roles, %d web roles; want 65 and 0", a, w)
	}
	_, body, _ = h.get("/roles?path=/web/")
	if a, w := count(body, "app-"), count(body, "web-"); a != 0 || w != 65 {
		t.Errorf("path filter /web/: %d app roles, %d web roles; want 0 and 65", a, w)
	}
	_, body, _ = h.get("/roles?name=app-12")
	if a := count(body, "app-12"); a != 5 {
		t.Errorf("name filter app-12: %d roles, want 5", a)
	}
}

// nextLink is the console path of a page's "Next page" link.
func nextLink(t *testing.T, body string) string {
	t.Helper()
	i := strings.Index(body, `id="next" href="`)
	if i < 0 {
		t.Fatal("no next link")
	}
	rest := body[i+len(`id="next" href="`):]
	u, err := url.Parse(strings.ReplaceAll(rest[:strings.Index(rest, `"`)], "&amp;", "&"))
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimPrefix(u.RequestURI(), "/console")
}
