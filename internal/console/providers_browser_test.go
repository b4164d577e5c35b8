package console_test

import (
	"bytes"
	"context"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/chromedp/chromedp"

	"github.com/iamd/iamd/internal/e2etest"
	"github.com/iamd/iamd/internal/samlmeta/samltest"
)

// Instance profiles (create, add and remove a role, a second role refused with IAM's text, delete) and
// identity providers (OIDC from a URL, client IDs and thumbprints; SAML from an uploaded metadata file;
// malformed metadata refused with IAM's text, kept in the form) in the browser; a read-only user is
// refused with the API's AccessDenied text and creates nothing.
func TestBrowserInstanceProfilesAndProviders(t *testing.T) {
	s := startConsole(t)
	ctx0 := context.Background()
	s.user(t, "admin", "Correct-Horse-1", "arn:aws:iam::aws:policy/IAMFullAccess")
	s.user(t, "reader", "Correct-Horse-1", "arn:aws:iam::aws:policy/IAMReadOnlyAccess")
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	for _, r := range []string{"app", "other"} {
		if _, err := s.root.CreateRole(ctx0, &iam.CreateRoleInput{RoleName: aws.String(r), AssumeRolePolicyDocument: aws.String(trust)}); err != nil {
			t.Fatal(err)
		}
	}
	ctx := newBrowser(t)
	do(t, ctx, signIn(s, e2etest.AccountID, "admin", "Correct-Horse-1"), chromedp.WaitVisible(chromedp.ID("caller-arn")))

	// Instance profiles.
	do(t, ctx, chromedp.Navigate(s.url("/instance-profiles")), chromedp.WaitVisible(chromedp.ID("name")),
		chromedp.SendKeys(chromedp.ID("name"), "web"), clickAndLoad("create"), chromedp.WaitVisible(chromedp.ID("profile-arn")),
		chromedp.SendKeys(chromedp.ID("role"), "app"), clickAndLoad("add-role"), chromedp.WaitVisible(chromedp.ID("remove-role")))
	shows(t, ctx, "done", "Added role app.")
	ip, err := s.root.GetInstanceProfile(ctx0, &iam.GetInstanceProfileInput{InstanceProfileName: aws.String("web")})
	if err != nil || len(ip.InstanceProfile.Roles) != 1 || aws.ToString(ip.InstanceProfile.Roles[0].RoleName) != "app" {
		t.Fatalf("GetInstanceProfile after adding app: %+v, %v", ip, err)
	}
	_, want := s.root.AddRoleToInstanceProfile(ctx0, &iam.AddRoleToInstanceProfileInput{InstanceProfileName: aws.String("web"), RoleName: aws.String("other")})
	do(t, ctx, chromedp.SendKeys(chromedp.ID("role"), "other"), clickAndLoad("add-role"), chromedp.WaitVisible(chromedp.ID("role-error")))
	shows(t, ctx, "role-error", apiError(t, want))
	screenshot(t, ctx, "instance-profile")
	do(t, ctx, clickAndLoad("remove-role"), chromedp.WaitNotPresent(chromedp.ID("remove-role")),
		clickAndLoad("delete"), chromedp.WaitVisible(chromedp.ID("instance-profiles")))
	if _, err := s.root.GetInstanceProfile(ctx0, &iam.GetInstanceProfileInput{InstanceProfileName: aws.String("web")}); err == nil {
		t.Error("the instance profile was not deleted")
	}

	// OpenID Connect.
	thumb := strings.Repeat("ab", 20)
	do(t, ctx, chromedp.Navigate(s.url("/identity-providers")), chromedp.WaitVisible(chromedp.ID("oidc-url")),
		chromedp.SendKeys(chromedp.ID("oidc-url"), "https://token.example.com"),
		chromedp.SetValue(chromedp.ID("client-ids"), "sts.amazonaws.com\nmy-app"),
		chromedp.SetValue(chromedp.ID("thumbprints"), thumb),
		clickAndLoad("create-oidc"), chromedp.WaitVisible(chromedp.ID("provider-url")))
	oidcARN := text(t, ctx, chromedp.ID("provider-arn"))
	p, err := s.root.GetOpenIDConnectProvider(ctx0, &iam.GetOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(oidcARN)})
	if err != nil || len(p.ClientIDList) != 2 || len(p.ThumbprintList) != 1 || p.ThumbprintList[0] != thumb {
		t.Fatalf("GetOpenIDConnectProvider: %+v, %v", p, err)
	}
	shows(t, ctx, "client-ids", strings.Join(p.ClientIDList, " "))

	// SAML: malformed metadata refused with IAM's text and kept; then a metadata file uploaded.
	bad := "<md:EntityDescriptor>not metadata"
	_, want = s.root.CreateSAMLProvider(ctx0, &iam.CreateSAMLProviderInput{Name: aws.String("corp"), SAMLMetadataDocument: aws.String(bad)})
	do(t, ctx, chromedp.Navigate(s.url("/identity-providers")), chromedp.WaitVisible(chromedp.ID("saml-name")),
		chromedp.SendKeys(chromedp.ID("saml-name"), "corp"), chromedp.SetValue(chromedp.ID("metadata"), bad),
		clickAndLoad("create-saml"), chromedp.WaitVisible(chromedp.ID("saml-error")))
	shows(t, ctx, "saml-error", apiError(t, want))
	if got := run(t, ctx, chromedp.Value(chromedp.ID("metadata"))); got != bad {
		t.Errorf("the metadata field holds %q", got)
	}
	file := filepath.Join(t.TempDir(), "idp.xml")
	doc := samltest.Document(samltest.Options{EntityID: "urn:corp:idp", Signing: [][]byte{samltest.Certificate(t, "corp")}})
	if err := os.WriteFile(file, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	do(t, ctx, chromedp.SetUploadFiles(chromedp.ID("metadata-file"), []string{file}),
		clickAndLoad("create-saml"), chromedp.WaitVisible(chromedp.ID("provider-arn")))
	samlARN := text(t, ctx, chromedp.ID("provider-arn"))
	sp, err := s.root.GetSAMLProvider(ctx0, &iam.GetSAMLProviderInput{SAMLProviderArn: aws.String(samlARN)})
	if err != nil || !strings.Contains(aws.ToString(sp.SAMLMetadataDocument), "urn:corp:idp") {
		t.Fatalf("GetSAMLProvider of the uploaded metadata: %v", err)
	}
	do(t, ctx, chromedp.Navigate(s.url("/identity-providers")), chromedp.WaitVisible(chromedp.ID("saml-providers")))
	screenshot(t, ctx, "identity-providers")
	do(t, ctx, chromedp.Navigate(s.url("/identity-providers/saml?arn="+samlARN)), chromedp.WaitVisible(chromedp.ID("delete")),
		clickAndLoad("delete"), chromedp.WaitVisible(chromedp.ID("done")))
	if _, err := s.root.GetSAMLProvider(ctx0, &iam.GetSAMLProviderInput{SAMLProviderArn: aws.String(samlARN)}); err == nil {
		t.Error("the SAML provider was not deleted")
	}

	// The read-only user cannot add a provider.
	_, want = s.userIAM(t, "reader").CreateOpenIDConnectProvider(ctx0, &iam.CreateOpenIDConnectProviderInput{Url: aws.String("https://other.example.com"),
		ClientIDList: []string{"x"}, ThumbprintList: []string{thumb}})
	do(t, ctx, clickAndLoad("signout"), chromedp.WaitVisible(chromedp.ID("account")),
		signIn(s, e2etest.AccountID, "reader", "Correct-Horse-1"), chromedp.WaitVisible(chromedp.ID("caller-arn")),
		chromedp.Navigate(s.url("/identity-providers")), chromedp.WaitVisible(chromedp.ID("oidc-url")),
		chromedp.SendKeys(chromedp.ID("oidc-url"), "https://other.example.com"), chromedp.SetValue(chromedp.ID("client-ids"), "x"),
		chromedp.SetValue(chromedp.ID("thumbprints"), thumb), clickAndLoad("create-oidc"), chromedp.WaitVisible(chromedp.ID("oidc-error")))
	shows(t, ctx, "oidc-error", apiError(t, want))
	list, err := s.root.ListOpenIDConnectProviders(ctx0, &iam.ListOpenIDConnectProvidersInput{})
	if err != nil || len(list.OpenIDConnectProviderList) != 1 {
		t.Errorf("providers after the reader's attempt: %+v, %v", list, err)
	}
}

// A form with a file input (multipart) is a state change like any other: without the session's CSRF
// token it is refused and nothing is created; with it the upload goes through.
func TestMultipartFormNeedsCSRF(t *testing.T) {
	s := startConsole(t)
	s.user(t, "admin", "Correct-Horse-1", "arn:aws:iam::aws:policy/IAMFullAccess")
	h := newHTTPClient(t, s)
	csrf := h.signIn("admin", "Correct-Horse-1")
	doc := samltest.Document(samltest.Options{EntityID: "urn:corp:idp", Signing: [][]byte{samltest.Certificate(t, "corp")}})
	post := func(name, token string) int {
		var body bytes.Buffer
		w := multipart.NewWriter(&body)
		if token != "" {
			_ = w.WriteField("csrf", token)
		}
		_ = w.WriteField("name", name)
		fw, _ := w.CreateFormFile("metadata-file", "idp.xml")
		_, _ = io.WriteString(fw, doc)
		_ = w.Close()
		req, _ := http.NewRequest(http.MethodPost, s.url("/identity-providers/saml"), &body)
		req.Header.Set("Content-Type", w.FormDataContentType())
		req.Header.Set("Origin", s.URL)
		resp, err := h.c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := post("nocsrf", ""); got != http.StatusForbidden {
		t.Errorf("multipart without the CSRF token answered %d, want 403", got)
	}
	if got := post("wrongcsrf", csrf+"x"); got != http.StatusForbidden {
		t.Errorf("multipart with a wrong CSRF token answered %d, want 403", got)
	}
	if got := post("good", csrf); got != http.StatusSeeOther {
		t.Errorf("multipart with the CSRF token answered %d, want 303", got)
	}
	list, err := s.root.ListSAMLProviders(context.Background(), &iam.ListSAMLProvidersInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.SAMLProviderList) != 1 || !strings.HasSuffix(aws.ToString(list.SAMLProviderList[0].Arn), ":saml-provider/good") {
		t.Errorf("SAML providers: %+v", list.SAMLProviderList)
	}
}
