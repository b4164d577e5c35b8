package console_test

import (
	"context"
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
