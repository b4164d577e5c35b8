package console_test

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/chromedp/chromedp"

	"github.com/iamd/iamd/internal/e2etest"
)

// The policy editor: a malformed document shows IAM's exact MalformedPolicyDocument message and keeps
// the text; a policy created, given a new version and set back to its first version is what GetPolicy
// then reports; a version that is not the default can be deleted; a read-only user (IAMReadOnlyAccess)
// is refused with the API's AccessDenied text and creates nothing.
func TestBrowserPolicies(t *testing.T) {
	s := startConsole(t)
	ctx0 := context.Background()
	s.user(t, "admin", "Correct-Horse-1", "arn:aws:iam::aws:policy/IAMFullAccess")
	s.user(t, "reader", "Correct-Horse-1", "arn:aws:iam::aws:policy/IAMReadOnlyAccess")
	v1 := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}`
	v2 := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:PutObject"],"Resource":"arn:aws:s3:::b/*"}]}`
	malformed := "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"s3:GetObject\"}]}"

	ctx := newBrowser(t)
	do(t, ctx, signIn(s, e2etest.AccountID, "admin", "Correct-Horse-1"), chromedp.WaitVisible(chromedp.ID("caller-arn")))

	// Malformed (no Resource): the API's own message beside the editor, the text kept.
	_, want := s.root.CreatePolicy(ctx0, &iam.CreatePolicyInput{PolicyName: aws.String("readers"), PolicyDocument: aws.String(malformed)})
	if !strings.HasPrefix(apiError(t, want), "MalformedPolicyDocument ") {
		t.Fatalf("the API accepted the malformed policy: %v", want)
	}
	do(t, ctx, chromedp.Navigate(s.url("/policies/new")), chromedp.WaitVisible(chromedp.ID("document")),
		chromedp.SendKeys(chromedp.ID("name"), "readers"), chromedp.SetValue(chromedp.ID("document"), malformed),
		clickAndLoad("create"), chromedp.WaitVisible(chromedp.ID("api-error")))
	shows(t, ctx, "api-error", apiError(t, want))
	if got := run(t, ctx, chromedp.Value(chromedp.ID("document"))); got != malformed {
		t.Errorf("the editor holds %q, want the text typed", got)
	}
	if got := run(t, ctx, chromedp.Value(chromedp.ID("name"))); got != "readers" {
		t.Errorf("the name field holds %q", got)
	}
	screenshot(t, ctx, "policy-editor-error")

	// Create, then a new version (default), then v1 back as the default: GetPolicy follows.
	do(t, ctx, chromedp.SetValue(chromedp.ID("document"), v1), clickAndLoad("create"), chromedp.WaitVisible(chromedp.ID("policy-arn")))
	arn := text(t, ctx, chromedp.ID("policy-arn"))
	do(t, ctx, chromedp.SetValue(chromedp.ID("document"), v2), clickAndLoad("save-version"), chromedp.WaitVisible(chromedp.ID("version-v2")))
	shows(t, ctx, "done", "Version v2 created.")
	defaultVersion := func() string {
		p, err := s.root.GetPolicy(ctx0, &iam.GetPolicyInput{PolicyArn: aws.String(arn)})
		if err != nil {
			t.Fatal(err)
		}
		return aws.ToString(p.Policy.DefaultVersionId)
	}
	if got := defaultVersion(); got != "v2" {
		t.Fatalf("default version %s after saving v2 as default", got)
	}
	do(t, ctx, clickAndLoad("default-v1"), chromedp.WaitNotPresent(chromedp.ID("default-v1")))
	shows(t, ctx, "done", "Version v1 is now the default.")
	shows(t, ctx, "default-version", "v1")
	if got := defaultVersion(); got != "v1" {
		t.Errorf("GetPolicy's default version is %s after setting v1 in the console", got)
	}
	// Any version's document can be read.
	do(t, ctx, clickAndLoadSel(chromedp.CSS("#version-v2 a")), chromedp.WaitVisible(chromedp.ID("document-view")))
	if got := oneLine(text(t, ctx, chromedp.ID("document-view"))); !strings.Contains(got, `"s3:PutObject"`) {
		t.Errorf("version v2 shows %q", got)
	}
	screenshot(t, ctx, "policy")
	// A new version the API refuses keeps its text beside the editor too.
	_, want = s.root.CreatePolicyVersion(ctx0, &iam.CreatePolicyVersionInput{PolicyArn: aws.String(arn), PolicyDocument: aws.String(malformed)})
	do(t, ctx, chromedp.SetValue(chromedp.ID("document"), malformed), clickAndLoad("save-version"), chromedp.WaitVisible(chromedp.ID("api-error")))
	shows(t, ctx, "api-error", apiError(t, want))
	if got := run(t, ctx, chromedp.Value(chromedp.ID("document"))); got != malformed {
		t.Errorf("the version editor holds %q, want the text typed", got)
	}
	// Delete v2 (not the default).
	do(t, ctx, clickAndLoad("delete-v2"), chromedp.WaitNotPresent(chromedp.ID("version-v2")))
	shows(t, ctx, "done", "Version v2 deleted.")
	vs, err := s.root.ListPolicyVersions(ctx0, &iam.ListPolicyVersionsInput{PolicyArn: aws.String(arn)})
	if err != nil {
		t.Fatal(err)
	}
	if len(vs.Versions) != 1 || aws.ToString(vs.Versions[0].VersionId) != "v1" {
		t.Errorf("versions after deleting v2: %d", len(vs.Versions))
	}

	do(t, ctx, chromedp.Navigate(s.url("/policies?scope=All&name=IAM")), chromedp.WaitVisible(chromedp.ID("policies")))
	if got := text(t, ctx, chromedp.ID("policies")); !strings.Contains(got, "IAMReadOnlyAccess") || strings.Contains(got, "readers") {
		t.Errorf("All policies named IAM…: %s", got)
	}
	do(t, ctx, chromedp.Navigate(s.url("/policies")), chromedp.WaitVisible(chromedp.ID("policies")))
	if got := text(t, ctx, chromedp.ID("policies")); !strings.Contains(got, "readers") || strings.Contains(got, "IAMReadOnlyAccess") {
		t.Errorf("customer managed policies: %s", got)
	}
	screenshot(t, ctx, "policies")
	// An AWS managed policy shows its document, without the editor or version changes.
	do(t, ctx, chromedp.Navigate(s.url("/policies/view?arn=arn:aws:iam::aws:policy/IAMReadOnlyAccess")), chromedp.WaitVisible(chromedp.ID("document-view")))
	if got := text(t, ctx, chromedp.ID("document-view")); !strings.Contains(got, `"iam:Get*"`) {
		t.Errorf("IAMReadOnlyAccess shows %q", got)
	}
	if n := run(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll("#save-version, #delete-policy").length`)); n != 0 {
		t.Errorf("an AWS managed policy offers %d change buttons", n)
	}

	// The read-only user: AccessDenied as the API words it, nothing created.
	_, want = s.userIAM(t, "reader").CreatePolicy(ctx0, &iam.CreatePolicyInput{PolicyName: aws.String("sneaky"), PolicyDocument: aws.String(v1)})
	do(t, ctx, clickAndLoad("signout"), chromedp.WaitVisible(chromedp.ID("account")),
		signIn(s, e2etest.AccountID, "reader", "Correct-Horse-1"), chromedp.WaitVisible(chromedp.ID("caller-arn")),
		chromedp.Navigate(s.url("/policies/new")), chromedp.WaitVisible(chromedp.ID("document")),
		chromedp.SendKeys(chromedp.ID("name"), "sneaky"), chromedp.SetValue(chromedp.ID("document"), v1),
		clickAndLoad("create"), chromedp.WaitVisible(chromedp.ID("api-error")))
	if !strings.HasPrefix(apiError(t, want), "AccessDenied ") {
		t.Fatalf("the API let the reader create a policy: %v", want)
	}
	shows(t, ctx, "api-error", apiError(t, want))
	list, err := s.root.ListPolicies(ctx0, &iam.ListPoliciesInput{Scope: "Local"})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range list.Policies {
		if aws.ToString(p.PolicyName) == "sneaky" {
			t.Error("the read-only user created a policy")
		}
	}
}
