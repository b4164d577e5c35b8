package console_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/chromedp/chromedp"

	"github.com/iamd/iamd/internal/e2etest"
)

// An administrator creates a group, adds a member, attaches a policy, reads an inline policy, is shown
// AWS's DeleteConflict beside the delete button while the group has members, then empties and deletes
// it; the groups list pages with markers and filters by name.
func TestBrowserGroups(t *testing.T) {
	s := startConsole(t)
	s.user(t, "admin", "Correct-Horse-1", "arn:aws:iam::aws:policy/IAMFullAccess")
	bg := context.Background()
	if _, err := s.root.CreateUser(bg, &iam.CreateUserInput{UserName: aws.String("dave")}); err != nil {
		t.Fatal(err)
	}
	for i := range 105 {
		if _, err := s.root.CreateGroup(bg, &iam.CreateGroupInput{GroupName: aws.String(fmt.Sprintf("team-%03d", i))}); err != nil {
			t.Fatal(err)
		}
	}
	ctx := newBrowser(t)
	do(t, ctx, signIn(s, e2etest.AccountID, "admin", "Correct-Horse-1"), chromedp.WaitVisible(chromedp.ID("caller-arn")),
		chromedp.Navigate(s.url("/groups")), chromedp.WaitVisible(chromedp.ID("name")),
		chromedp.SendKeys(chromedp.ID("name"), "Admins"), chromedp.SendKeys(chromedp.ID("path"), "/ops/"),
		clickAndLoad("create"), chromedp.WaitVisible(chromedp.ID("add-user")),
		chromedp.SendKeys(chromedp.ID("add-user"), "dave"), clickAndLoad("add-member"),
		chromedp.WaitNotPresent(chromedp.ID("no-members")),
		chromedp.SendKeys(chromedp.ID("attach-arn"), "arn:aws:iam::aws:policy/ReadOnlyAccess"), clickAndLoad("attach"),
		chromedp.WaitNotPresent(chromedp.ID("no-attached")))
	g, err := s.root.GetGroup(bg, &iam.GetGroupInput{GroupName: aws.String("Admins")})
	if err != nil || len(g.Users) != 1 || aws.ToString(g.Group.Path) != "/ops/" {
		t.Fatalf("group %+v, %v", g, err)
	}
	if _, err := s.root.PutGroupPolicy(bg, &iam.PutGroupPolicyInput{GroupName: aws.String("Admins"), PolicyName: aws.String("s3-read"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`)}); err != nil {
		t.Fatal(err)
	}
	do(t, ctx, chromedp.Navigate(s.url("/groups/Admins")), chromedp.WaitVisible(chromedp.ID("inline")))
	screenshot(t, ctx, "group")
	do(t, ctx, clickAndLoadSel(chromedp.CSS(`#inline a`)), chromedp.WaitVisible(chromedp.ID("policy-document")))
	if doc := text(t, ctx, chromedp.ID("policy-document")); !strings.Contains(doc, `"Action": "s3:GetObject"`) {
		t.Errorf("inline policy shown as %q", doc)
	}

	_, apiErr := s.root.DeleteGroup(bg, &iam.DeleteGroupInput{GroupName: aws.String("Admins")})
	want := apiError(t, apiErr)
	do(t, ctx, chromedp.Navigate(s.url("/groups/Admins")), chromedp.WaitVisible(chromedp.ID("delete-group")),
		clickAndLoad("delete-group"), chromedp.WaitVisible(chromedp.ID("delete-error")))
	shows(t, ctx, "delete-error", want)
	do(t, ctx, clickAndLoadSel(chromedp.CSS(`#members form button`)), chromedp.WaitVisible(chromedp.ID("no-members")),
		clickAndLoadSel(chromedp.CSS(`#attached form button`)), chromedp.WaitVisible(chromedp.ID("no-attached")),
		clickAndLoadSel(chromedp.CSS(`#inline form button`)), chromedp.WaitVisible(chromedp.ID("no-inline")),
		clickAndLoad("delete-group"), chromedp.WaitVisible(chromedp.ID("groups")))
	if _, err := s.root.GetGroup(bg, &iam.GetGroupInput{GroupName: aws.String("Admins")}); err == nil {
		t.Error("the group was not deleted")
	}

	rows := func() []string {
		return strings.Fields(run(t, ctx, chromedp.Evaluate[string](
			`Array.from(document.querySelectorAll("#groups tbody td:first-child a")).map(a => a.textContent).join(" ")`)))
	}
	do(t, ctx, chromedp.Navigate(s.url("/groups")), chromedp.WaitVisible(chromedp.ID("next")))
	first := rows()
	do(t, ctx, clickAndLoad("next"), chromedp.WaitNotPresent(chromedp.ID("next")))
	second := rows()
	if len(first) != 100 || len(second) != 5 || first[0] != "team-000" || second[4] != "team-104" {
		t.Errorf("pages of %d and %d groups: %v / %v", len(first), len(second), first[:1], second)
	}
	do(t, ctx, chromedp.Navigate(s.url("/groups?name=TEAM-10")), chromedp.WaitVisible(chromedp.ID("groups")))
	if got := strings.Join(rows(), " "); got != "team-100 team-101 team-102 team-103 team-104" {
		t.Errorf("name filter TEAM-10: %s", got)
	}
	screenshot(t, ctx, "groups")
}
