package console_test

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
)

// Every change of the users and groups pages needs the session's CSRF token: without it each is refused
// (403) and the account is left as it was; with it the same change is made.
func TestIdentityChangesNeedCSRF(t *testing.T) {
	s := startConsole(t)
	s.user(t, "admin", "Correct-Horse-1", "arn:aws:iam::aws:policy/IAMFullAccess")
	s.user(t, "erin", "Correct-Horse-1", "arn:aws:iam::aws:policy/ReadOnlyAccess")
	bg := context.Background()
	if _, err := s.root.CreateGroup(bg, &iam.CreateGroupInput{GroupName: aws.String("ops")}); err != nil {
		t.Fatal(err)
	}
	h := newHTTPClient(t, s)
	csrf := h.signIn("admin", "Correct-Horse-1")
	changes := []struct {
		path string
		form url.Values
	}{
		{"/user-new", url.Values{"name": {"mallory"}}},
		{"/users/erin/keys/create", nil},
		{"/users/erin/mfa/create", url.Values{"device": {"erin"}}},
		{"/users/erin/policies/detach", url.Values{"arn": {"arn:aws:iam::aws:policy/ReadOnlyAccess"}}},
		{"/users/erin/groups/add", url.Values{"group": {"ops"}}},
		{"/users/erin/tags/add", url.Values{"key": {"k"}, "value": {"v"}}},
		{"/users/erin/login-profile", url.Values{"do": {"delete"}}},
		{"/users/erin/delete", nil},
		{"/groups/new", url.Values{"name": {"mallory"}}},
		{"/groups/ops/members/add", url.Values{"user": {"erin"}}},
		{"/groups/ops/policies/attach", url.Values{"arn": {"arn:aws:iam::aws:policy/ReadOnlyAccess"}}},
		{"/groups/ops/delete", nil},
	}
	for _, c := range changes {
		form := url.Values{}
		for k, v := range c.form {
			form[k] = v
		}
		if got := h.post(c.path, form).StatusCode; got != http.StatusForbidden {
			t.Errorf("%s without the token answered %d", c.path, got)
		}
	}
	erin, err := s.root.GetUser(bg, &iam.GetUserInput{UserName: aws.String("erin")})
	if err != nil || len(erin.User.Tags) != 0 {
		t.Fatalf("erin changed: %+v, %v", erin, err)
	}
	keys, _ := s.root.ListAccessKeys(bg, &iam.ListAccessKeysInput{UserName: aws.String("erin")})
	attached, _ := s.root.ListAttachedUserPolicies(bg, &iam.ListAttachedUserPoliciesInput{UserName: aws.String("erin")})
	groups, _ := s.root.ListGroupsForUser(bg, &iam.ListGroupsForUserInput{UserName: aws.String("erin")})
	virt, _ := s.root.ListVirtualMFADevices(bg, &iam.ListVirtualMFADevicesInput{})
	users, _ := s.root.ListUsers(bg, &iam.ListUsersInput{})
	if len(keys.AccessKeyMetadata) != 0 || len(attached.AttachedPolicies) != 1 || len(groups.Groups) != 0 || len(virt.VirtualMFADevices) != 0 || len(users.Users) != 2 {
		t.Errorf("a refused change was made: keys %d, policies %d, groups %d, MFA %d, users %d",
			len(keys.AccessKeyMetadata), len(attached.AttachedPolicies), len(groups.Groups), len(virt.VirtualMFADevices), len(users.Users))
	}
	if _, err := s.root.GetLoginProfile(bg, &iam.GetLoginProfileInput{UserName: aws.String("erin")}); err != nil {
		t.Errorf("erin's password was removed: %v", err)
	}
	// The same change with the token is made.
	if resp := h.post("/users/erin/tags/add", url.Values{"csrf": {csrf}, "key": {"k"}, "value": {"v"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("tagging with the token answered %d", resp.StatusCode)
	}
	if erin, err := s.root.GetUser(bg, &iam.GetUserInput{UserName: aws.String("erin")}); err != nil || len(erin.User.Tags) != 1 {
		t.Errorf("the tag was not added: %+v, %v", erin, err)
	}
}

// A refusal of a change on a user's page answers with the API's status and is shown on the page; a user
// that does not exist is the API's NoSuchEntity and a bad marker its InvalidInput, not internal failures.
func TestIdentityPageErrorsAreTheAPIs(t *testing.T) {
	s := startConsole(t)
	s.user(t, "reader", "Correct-Horse-1", "arn:aws:iam::aws:policy/IAMReadOnlyAccess")
	h := newHTTPClient(t, s)
	csrf := h.signIn("reader", "Correct-Horse-1")
	if resp := h.post("/users/reader/keys/create", url.Values{"csrf": {csrf}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("a reader creating a key answered %d, want AccessDenied's 403", resp.StatusCode)
	}
	keys, _ := s.root.ListAccessKeys(context.Background(), &iam.ListAccessKeysInput{UserName: aws.String("reader")})
	if len(keys.AccessKeyMetadata) != 0 {
		t.Error("the reader created a key")
	}
	for _, p := range []string{"/users/nobody", "/groups/nobody", "/users/reader/inline/nothing"} {
		if st, body, _ := h.get(p); st != http.StatusNotFound || !strings.Contains(body, "NoSuchEntity") {
			t.Errorf("%s answered %d", p, st)
		}
	}
	// Any valid name has its page: the create form's path is no user name.
	if _, err := s.root.CreateUser(context.Background(), &iam.CreateUserInput{UserName: aws.String("new")}); err != nil {
		t.Fatal(err)
	}
	if st, body, _ := h.get("/users/new"); st != http.StatusOK || !strings.Contains(body, ":user/new<") {
		t.Errorf("the page of the user named new answered %d", st)
	}
	if st, body, _ := h.get("/users?marker=%21%21"); st != http.StatusBadRequest || !strings.Contains(body, "Invalid Marker.") {
		t.Errorf("a bad marker answered %d", st)
	}
}

// The console password of a user is set, changed and removed from the user's page, each through its
// operation; a password the account's policy refuses shows the API's error and changes nothing.
func TestUserLoginProfileChanges(t *testing.T) {
	s := startConsole(t)
	s.user(t, "admin", "Correct-Horse-1", "arn:aws:iam::aws:policy/IAMFullAccess")
	bg := context.Background()
	if _, err := s.root.CreateUser(bg, &iam.CreateUserInput{UserName: aws.String("frank")}); err != nil {
		t.Fatal(err)
	}
	_, apiErr := s.root.CreateLoginProfile(bg, &iam.CreateLoginProfileInput{UserName: aws.String("frank"), Password: aws.String("a")})
	want := apiError(t, apiErr)
	code, msg, _ := strings.Cut(want, " ")
	h := newHTTPClient(t, s)
	csrf := h.signIn("admin", "Correct-Horse-1")
	change := func(form url.Values) *http.Response {
		form.Set("csrf", csrf)
		return h.post("/users/frank/login-profile", form)
	}
	status, body := h.postPage("/users/frank/login-profile", url.Values{"csrf": {csrf}, "do": {"create"}, "password": {"a"}})
	if status != http.StatusBadRequest || !strings.Contains(body, code) || !strings.Contains(body, html.EscapeString(msg)) {
		t.Errorf("a weak password answered %d without the API's %s %q", status, code, msg)
	}
	if _, err := s.root.GetLoginProfile(bg, &iam.GetLoginProfileInput{UserName: aws.String("frank")}); err == nil {
		t.Fatal("the weak password was set")
	}

	if resp := change(url.Values{"do": {"create"}, "password": {"Correct-Horse-7"}, "reset": {"1"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("create answered %d", resp.StatusCode)
	}
	lp, err := s.root.GetLoginProfile(bg, &iam.GetLoginProfileInput{UserName: aws.String("frank")})
	if err != nil || !lp.LoginProfile.PasswordResetRequired {
		t.Fatalf("after create: %+v, %v", lp, err)
	}
	if resp := change(url.Values{"do": {"update"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("update answered %d", resp.StatusCode)
	}
	if lp, err = s.root.GetLoginProfile(bg, &iam.GetLoginProfileInput{UserName: aws.String("frank")}); err != nil || lp.LoginProfile.PasswordResetRequired {
		t.Fatalf("after clearing the reset: %+v, %v", lp, err)
	}
	if resp := change(url.Values{"do": {"delete"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("delete answered %d", resp.StatusCode)
	}
	if _, err := s.root.GetLoginProfile(bg, &iam.GetLoginProfileInput{UserName: aws.String("frank")}); err == nil {
		t.Error("the password was not removed")
	}
	if resp := change(url.Values{"do": {"rename"}}); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("an unknown change answered %d", resp.StatusCode)
	}
}
