package console_test

import (
	"context"
	"html"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/chromedp/chromedp"

	"github.com/iamd/iamd/internal/e2etest"
)

// The policy simulator shows, for a limited user's policy, the decisions the API gives (allowed for what
// it grants, implicitDeny for the rest) with the statement that matched; a pasted policy is simulated
// too; the access advisor's report of that user completes and lists the API's services; the limited user
// itself is refused the simulator with the API's AccessDenied text.
func TestBrowserSimulatorAndAccessAdvisor(t *testing.T) {
	s := startConsole(t)
	ctx0 := context.Background()
	s.user(t, "admin", "Correct-Horse-1", "arn:aws:iam::aws:policy/IAMFullAccess")
	s.user(t, "limited", "Correct-Horse-1")
	if _, err := s.root.PutUserPolicy(ctx0, &iam.PutUserPolicyInput{UserName: aws.String("limited"), PolicyName: aws.String("read-b"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}`)}); err != nil {
		t.Fatal(err)
	}
	limitedARN := "arn:aws:iam::" + e2etest.AccountID + ":user/limited"
	api, err := s.root.SimulatePrincipalPolicy(ctx0, &iam.SimulatePrincipalPolicyInput{PolicySourceArn: aws.String(limitedARN),
		ActionNames: []string{"s3:GetObject", "s3:PutObject"}, ResourceArns: []string{"arn:aws:s3:::b/key"}})
	if err != nil {
		t.Fatal(err)
	}

	ctx := newBrowser(t)
	do(t, ctx, signIn(s, e2etest.AccountID, "admin", "Correct-Horse-1"), chromedp.WaitVisible(chromedp.ID("caller-arn")),
		chromedp.Navigate(s.url("/simulator?principal="+limitedARN)), chromedp.WaitVisible(chromedp.ID("actions")),
		chromedp.SetValue(chromedp.ID("actions"), "s3:GetObject\ns3:PutObject"), chromedp.SetValue(chromedp.ID("resources"), "arn:aws:s3:::b/key"),
		clickAndLoad("simulate"), chromedp.WaitVisible(chromedp.ID("results")))
	decisions := []string{text(t, ctx, chromedp.CSS("#results tbody tr:nth-child(1) td.decision")), text(t, ctx, chromedp.CSS("#results tbody tr:nth-child(2) td.decision"))}
	if decisions[0] != "allowed" || decisions[1] != "implicitDeny" {
		t.Errorf("decisions %v, want allowed and implicitDeny", decisions)
	}
	for i, r := range api.EvaluationResults {
		if got := decisions[i]; got != string(r.EvalDecision) {
			t.Errorf("result %d: console %s, API %s", i, got, r.EvalDecision)
		}
	}
	if got := text(t, ctx, chromedp.CSS("#results tbody tr:nth-child(1) .statement")); !strings.HasPrefix(got, aws.ToString(api.EvaluationResults[0].MatchedStatements[0].SourcePolicyId)) {
		t.Errorf("matched statement %q", got)
	}
	screenshot(t, ctx, "simulator")

	// A pasted policy (SimulateCustomPolicy).
	do(t, ctx, chromedp.Click(chromedp.ID("mode-custom")),
		chromedp.SetValue(chromedp.ID("policy"), `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"},{"Effect":"Deny","Action":"s3:PutObject","Resource":"*"}]}`),
		// The principal simulation's results are still on the page until the answer replaces it: wait
		// for the custom policy's own.
		clickAndLoad("simulate"), chromedp.WaitVisible(chromedp.CSS(`#results[data-mode="custom"]`)))
	if a, b := text(t, ctx, chromedp.CSS("#results tbody tr:nth-child(1) td.decision")), text(t, ctx, chromedp.CSS("#results tbody tr:nth-child(2) td.decision")); a != "allowed" || b != "explicitDeny" {
		t.Errorf("custom policy decisions %s, %s; want allowed, explicitDeny", a, b)
	}

	// Access advisor for the limited user.
	do(t, ctx, chromedp.Navigate(s.url("/access-advisor?arn="+limitedARN)), chromedp.WaitVisible(chromedp.ID("generate")),
		clickAndLoad("generate"), chromedp.WaitVisible(chromedp.ID("job-status")))
	shows(t, ctx, "job-status", "COMPLETED")
	job, err := s.root.GenerateServiceLastAccessedDetails(ctx0, &iam.GenerateServiceLastAccessedDetailsInput{Arn: aws.String(limitedARN)})
	if err != nil {
		t.Fatal(err)
	}
	report, err := s.root.GetServiceLastAccessedDetails(ctx0, &iam.GetServiceLastAccessedDetailsInput{JobId: job.JobId})
	if err != nil {
		t.Fatal(err)
	}
	services := text(t, ctx, chromedp.ID("services"))
	if len(report.ServicesLastAccessed) == 0 {
		t.Fatal("the API's report lists no service")
	}
	for _, sla := range report.ServicesLastAccessed {
		if !strings.Contains(services, aws.ToString(sla.ServiceNamespace)) {
			t.Errorf("the report lacks %s:\n%s", aws.ToString(sla.ServiceNamespace), services)
		}
	}
	screenshot(t, ctx, "access-advisor")

	// The limited user may not simulate.
	_, want := s.userIAM(t, "limited").SimulatePrincipalPolicy(ctx0, &iam.SimulatePrincipalPolicyInput{PolicySourceArn: aws.String(limitedARN),
		ActionNames: []string{"s3:GetObject"}})
	do(t, ctx, clickAndLoad("signout"), chromedp.WaitVisible(chromedp.ID("account")),
		signIn(s, e2etest.AccountID, "limited", "Correct-Horse-1"), chromedp.WaitVisible(chromedp.ID("caller-arn")),
		chromedp.Navigate(s.url("/simulator")), chromedp.WaitVisible(chromedp.ID("actions")),
		chromedp.SetValue(chromedp.ID("actions"), "s3:GetObject"), clickAndLoad("simulate"), chromedp.WaitVisible(chromedp.ID("api-error")))
	shows(t, ctx, "api-error", apiError(t, want))
	if got := run(t, ctx, chromedp.Value(chromedp.ID("actions"))); got != "s3:GetObject" {
		t.Errorf("the actions field holds %q", got)
	}
}

// A context key line the simulator cannot read is refused with a message saying how to write it, the
// form kept; a well-formed line reaches the API, whose judgement of the key's type is shown as it is.
func TestSimulatorContextKeyLines(t *testing.T) {
	s := startConsole(t)
	s.user(t, "admin", "Correct-Horse-1", "arn:aws:iam::aws:policy/IAMFullAccess")
	h := newHTTPClient(t, s)
	csrf := h.signIn("admin", "Correct-Horse-1")
	form := func(ctxLine string) map[string][]string {
		return map[string][]string{"csrf": {csrf}, "mode": {"principal"}, "principal": {"arn:aws:iam::" + e2etest.AccountID + ":user/admin"},
			"actions": {"iam:ListUsers"}, "resources": {"*"}, "context": {ctxLine}}
	}
	status, body := h.postPage("/simulator", form("aws:SourceIp 203.0.113.7"))
	if status != 400 || !strings.Contains(body, "context key line 1: write the key") || !strings.Contains(body, "aws:SourceIp 203.0.113.7</textarea>") {
		t.Errorf("a line without a type answered %d:\n%s", status, body)
	}
	_, want := s.root.SimulatePrincipalPolicy(context.Background(), &iam.SimulatePrincipalPolicyInput{
		PolicySourceArn: aws.String("arn:aws:iam::" + e2etest.AccountID + ":user/admin"), ActionNames: []string{"iam:ListUsers"},
		ContextEntries: []types.ContextEntry{{ContextKeyName: aws.String("aws:SourceIp"), ContextKeyType: "nonsense", ContextKeyValues: []string{"x"}}}})
	status, body = h.postPage("/simulator", form("aws:SourceIp nonsense x"))
	if status < 400 || !strings.Contains(html.UnescapeString(body), strings.Replace(apiError(t, want), " ", "</strong> ", 1)) {
		t.Errorf("an unknown type answered %d, want the API's %q:\n%s", status, apiError(t, want), body)
	}
	status, body = h.postPage("/simulator", form("aws:SourceIp ip 203.0.113.7"))
	if status != 200 || !strings.Contains(body, ">allowed<") {
		t.Errorf("a good context key answered %d:\n%s", status, body)
	}
}
