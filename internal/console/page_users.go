package console

// The users pages: the list (markers, name and path prefix), creating a user with its console password
// and managed policies, and a user's page with its groups, policies, tags, login profile and deletion.
// Access keys and MFA devices under a user are in page_usercreds.go. Every read and change is an IAM
// operation called as the signed-in principal.

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/iamd/iamd/internal/api/iamapi"
	"github.com/iamd/iamd/internal/protocol"
	"github.com/iamd/iamd/internal/service/iam"
)

func init() {
	register(page{name: "users", nav: "Users", navPath: "/users", routes: func(r *router) {
		r.get("/users", usersList)
		r.get("/user-new", newUserForm)
		r.post("/user-new", createUser)
		r.get("/users/{name}", userPage)
		r.get("/users/{name}/inline/{policy}", userInlinePolicy)
		r.post("/users/{name}/policies/attach", userAction("policies", attachUserPolicy))
		r.post("/users/{name}/policies/detach", userAction("policies", detachUserPolicy))
		r.post("/users/{name}/inline/delete", userAction("inline", deleteUserInline))
		r.post("/users/{name}/groups/add", userAction("groups", addUserToGroup))
		r.post("/users/{name}/groups/remove", userAction("groups", removeUserFromGroup))
		r.post("/users/{name}/tags/add", userAction("tags", tagUser))
		r.post("/users/{name}/tags/remove", userAction("tags", untagUser))
		r.post("/users/{name}/login-profile", userAction("login", changeLoginProfile))
		r.post("/users/{name}/delete", deleteUser)
	}})
}

// start is where the list's page begins: the request's marker, else the first name with the filter's
// prefix (names are listed in case-insensitive order, so those with a prefix are consecutive).
func (f listFilter) start(x *exchange) *string {
	if m := x.marker(); m != nil {
		return m
	}
	return iam.MarkerBefore(f.Name)
}

// maxItems is the page to ask the API for: with a name prefix one more than the page shows, to learn
// whether the name after the page still has the prefix (so "Next page" never leads to an empty page).
func (f listFilter) maxItems() *int32 {
	if f.Name != "" {
		return ptr(int32(listPageSize + 1))
	}
	return ptr(int32(listPageSize))
}

// filtered returns the rows of a page listed from f.start with f.maxItems, and the URL of the next page
// ("" for none). With a name prefix it keeps the names with the prefix, which are consecutive in IAM's
// order: past the last of them there is no next page; else the next page starts at the first name not
// shown. Without one it is the API's page and marker.
func filtered[T any](x *exchange, f listFilter, items []T, name func(T) string, marker *string) ([]T, string) {
	if f.Name == "" {
		return items, x.nextURL(marker)
	}
	p := strings.ToLower(f.Name)
	var kept []T
	for _, it := range items {
		n := strings.ToLower(name(it))
		if !strings.HasPrefix(n, p) {
			if n > p {
				return kept, "" // past the names with the prefix
			}
			continue
		}
		if len(kept) == listPageSize {
			return kept, x.nextURL(iam.MarkerBefore(name(it)))
		}
		kept = append(kept, it)
	}
	return kept, x.nextURL(marker)
}

// listPage is what a list page shows around its rows.
type listPage struct {
	Kind   string // the list's path below the console's root ("users")
	Filter listFilter
	Next   string
	Notice string
	Err    *shownError
}

type usersData struct {
	listPage
	Users []iamapi.User
}

func usersList(x *exchange) error {
	f := x.listFilter()
	out, err := call[iamapi.ListUsersResponse](x, "iam", "ListUsers",
		&iamapi.ListUsersRequest{PathPrefix: f.pathPrefix(), Marker: f.start(x), MaxItems: f.maxItems()})
	if err != nil {
		return err
	}
	d := &usersData{listPage: listPage{Kind: "users", Filter: f, Notice: doneNotice(x)}}
	d.Users, d.Next = filtered(x, f, out.Users, func(u iamapi.User) string { return deref(u.UserName).(string) }, out.Marker)
	return x.render(http.StatusOK, "users", "Users", d)
}

// doneNotice is the notice a redirect after a change asks for (?done=…), shown as text. It is taken
// out of the request's query, so that the page's links to further pages do not repeat it.
func doneNotice(x *exchange) string {
	q := x.r.URL.Query()
	n := q.Get("done")
	if n != "" {
		q.Del("done")
		x.r.URL.RawQuery = q.Encode()
	}
	return n
}

type newUserData struct {
	Name, Path, Policies string
	Reset                bool
	Err                  *shownError
	// Created names the user when a step after CreateUser failed: the user exists, the rest is undone.
	Created string
}

func newUserForm(x *exchange) error {
	return x.render(http.StatusOK, "user-new", "Create user", &newUserData{Reset: true})
}

// createUser creates the user, then its login profile (when a password is given) and attaches the
// policies, each an operation of its own as in AWS's console: a refusal of a later step leaves the user
// created and says so.
func createUser(x *exchange) error {
	f := x.r.PostForm
	d := &newUserData{Name: strings.TrimSpace(f.Get("name")), Path: strings.TrimSpace(f.Get("path")),
		Policies: f.Get("policies"), Reset: f.Get("reset") != ""}
	fail := func(err error) error {
		d.Err = x.showError(err)
		return x.render(d.Err.Status, "user-new", "Create user", d)
	}
	in := &iamapi.CreateUserRequest{UserName: ptr(d.Name)}
	if d.Path != "" {
		in.Path = ptr(d.Path)
	}
	if _, err := call[iamapi.CreateUserResponse](x, "iam", "CreateUser", in); err != nil {
		return fail(err)
	}
	if pw := f.Get("password"); pw != "" {
		if _, err := call[iamapi.CreateLoginProfileResponse](x, "iam", "CreateLoginProfile",
			&iamapi.CreateLoginProfileRequest{UserName: ptr(d.Name), Password: ptr(pw), PasswordResetRequired: ptr(d.Reset)}); err != nil {
			d.Created = d.Name
			return fail(err)
		}
	}
	for _, arn := range strings.Fields(d.Policies) {
		if _, err := call[iamapi.AttachUserPolicyOutput](x, "iam", "AttachUserPolicy",
			&iamapi.AttachUserPolicyRequest{UserName: ptr(d.Name), PolicyArn: ptr(arn)}); err != nil {
			d.Created = d.Name
			return fail(err)
		}
	}
	return x.redirect("/users/" + url.PathEscape(d.Name) + "?done=" + url.QueryEscape("Created user "+d.Name+"."))
}

// failure is a change's refusal as an entity's page shows it: beside the form of the section ErrAt.
type failure struct {
	Err   *shownError
	ErrAt string
}

// policiesSection is the permissions section that users' and groups' pages show alike
// (templates/_identity.html).
type policiesSection struct {
	failure
	// Base is the owner's page below the console's root ("/users/bob"), where its forms post.
	Base, CSRF string
	Attached   []iamapi.AttachedPolicy
	Inline     []string
}

// loadPolicies reads the attached and inline policies of the user or group (kind "User" or "Group")
// through the kind's List operations, and whether either list holds more than a page.
func loadPolicies(x *exchange, kind, name string) (policiesSection, bool, error) {
	sec := policiesSection{Base: "/" + strings.ToLower(kind) + "s/" + url.PathEscape(name), CSRF: x.sess.CSRFToken}
	all := ptr(int32(subListMax))
	var attachedIn, inlineIn any
	switch kind {
	case "User":
		attachedIn = &iamapi.ListAttachedUserPoliciesRequest{UserName: ptr(name), MaxItems: all}
		inlineIn = &iamapi.ListUserPoliciesRequest{UserName: ptr(name), MaxItems: all}
	case "Group":
		attachedIn = &iamapi.ListAttachedGroupPoliciesRequest{GroupName: ptr(name), MaxItems: all}
		inlineIn = &iamapi.ListGroupPoliciesRequest{GroupName: ptr(name), MaxItems: all}
	}
	out, err := x.invoke("iam", "ListAttached"+kind+"Policies", attachedIn)
	if err != nil {
		return sec, false, err
	}
	var truncated bool
	switch o := out.(type) {
	case *iamapi.ListAttachedUserPoliciesResponse:
		sec.Attached, truncated = o.AttachedPolicies, deref(o.IsTruncated).(bool)
	case *iamapi.ListAttachedGroupPoliciesResponse:
		sec.Attached, truncated = o.AttachedPolicies, deref(o.IsTruncated).(bool)
	}
	if out, err = x.invoke("iam", "List"+kind+"Policies", inlineIn); err != nil {
		return sec, false, err
	}
	switch o := out.(type) {
	case *iamapi.ListUserPoliciesResponse:
		sec.Inline, truncated = o.PolicyNames, truncated || deref(o.IsTruncated).(bool)
	case *iamapi.ListGroupPoliciesResponse:
		sec.Inline, truncated = o.PolicyNames, truncated || deref(o.IsTruncated).(bool)
	}
	return sec, truncated, nil
}

type userData struct {
	failure
	User      *iamapi.User
	Groups    []iamapi.Group
	Policies  policiesSection
	Login     *iamapi.LoginProfile
	Keys      []accessKeyRow
	MFA       []iamapi.MFADevice
	Notice    string
	Truncated bool // a section holds more than the page shows
}

type accessKeyRow struct {
	iamapi.AccessKeyMetadata
	LastUsed *iamapi.AccessKeyLastUsed
}

// loadUser reads everything a user's page shows, each through its own operation.
func loadUser(x *exchange, name string) (*userData, error) {
	u, err := call[iamapi.GetUserResponse](x, "iam", "GetUser", &iamapi.GetUserRequest{UserName: ptr(name)})
	if err != nil {
		return nil, err
	}
	d := &userData{User: u.User}
	all := ptr(int32(subListMax))
	groups, err := call[iamapi.ListGroupsForUserResponse](x, "iam", "ListGroupsForUser", &iamapi.ListGroupsForUserRequest{UserName: ptr(name), MaxItems: all})
	if err != nil {
		return nil, err
	}
	if d.Policies, d.Truncated, err = loadPolicies(x, "User", name); err != nil {
		return nil, err
	}
	d.Groups, d.Truncated = groups.Groups, d.Truncated || deref(groups.IsTruncated).(bool)
	lp, err := call[iamapi.GetLoginProfileResponse](x, "iam", "GetLoginProfile", &iamapi.GetLoginProfileRequest{UserName: ptr(name)})
	switch {
	case err == nil:
		d.Login = lp.LoginProfile
	case !isCode(err, "NoSuchEntity"):
		return nil, err
	}
	if err := loadCredentials(x, name, d); err != nil {
		return nil, err
	}
	return d, nil
}

// isCode tells whether err is the API error code.
func isCode(err error, code string) bool {
	var ae protocol.APIError
	return errors.As(err, &ae) && ae.ErrorCode() == code
}

func userPage(x *exchange) error {
	d, err := loadUser(x, x.r.PathValue("name"))
	if err != nil {
		return err
	}
	d.Notice = doneNotice(x)
	return x.render(http.StatusOK, "user", "User "+deref(d.User.UserName).(string), d)
}

// userAction serves a change on a user's page: on success the browser goes back to the page with a
// notice; a refusal is shown beside the section's form (section), with the API's status.
func userAction(section string, change func(x *exchange, user string) (string, error)) handlerFunc {
	return func(x *exchange) error {
		name := x.r.PathValue("name")
		notice, err := change(x, name)
		if err != nil {
			return userFailed(x, name, section, err)
		}
		return x.redirect("/users/" + url.PathEscape(name) + "?done=" + url.QueryEscape(notice))
	}
}

// userFailed shows the user's page with err beside the form of section.
func userFailed(x *exchange, name, section string, err error) error {
	se := x.showError(err)
	d, lerr := loadUser(x, name)
	if lerr != nil {
		return err // the user cannot be shown (gone, or not readable): the error page says why
	}
	d.failure = failure{Err: se, ErrAt: section}
	d.Policies.failure = d.failure
	return x.render(se.Status, "user", "User "+name, d)
}

func attachUserPolicy(x *exchange, user string) (string, error) {
	arn := strings.TrimSpace(x.r.PostForm.Get("arn"))
	_, err := call[iamapi.AttachUserPolicyOutput](x, "iam", "AttachUserPolicy", &iamapi.AttachUserPolicyRequest{UserName: ptr(user), PolicyArn: ptr(arn)})
	return "Attached " + arn + ".", err
}

func detachUserPolicy(x *exchange, user string) (string, error) {
	arn := x.r.PostForm.Get("arn")
	_, err := call[iamapi.DetachUserPolicyOutput](x, "iam", "DetachUserPolicy", &iamapi.DetachUserPolicyRequest{UserName: ptr(user), PolicyArn: ptr(arn)})
	return "Detached " + arn + ".", err
}

func deleteUserInline(x *exchange, user string) (string, error) {
	p := x.r.PostForm.Get("policy")
	_, err := call[iamapi.DeleteUserPolicyOutput](x, "iam", "DeleteUserPolicy", &iamapi.DeleteUserPolicyRequest{UserName: ptr(user), PolicyName: ptr(p)})
	return "Deleted inline policy " + p + ".", err
}

func addUserToGroup(x *exchange, user string) (string, error) {
	g := strings.TrimSpace(x.r.PostForm.Get("group"))
	_, err := call[iamapi.AddUserToGroupOutput](x, "iam", "AddUserToGroup", &iamapi.AddUserToGroupRequest{UserName: ptr(user), GroupName: ptr(g)})
	return "Added to group " + g + ".", err
}

func removeUserFromGroup(x *exchange, user string) (string, error) {
	g := x.r.PostForm.Get("group")
	_, err := call[iamapi.RemoveUserFromGroupOutput](x, "iam", "RemoveUserFromGroup", &iamapi.RemoveUserFromGroupRequest{UserName: ptr(user), GroupName: ptr(g)})
	return "Removed from group " + g + ".", err
}

func tagUser(x *exchange, user string) (string, error) {
	k, v := strings.TrimSpace(x.r.PostForm.Get("key")), x.r.PostForm.Get("value")
	_, err := call[iamapi.TagUserOutput](x, "iam", "TagUser", &iamapi.TagUserRequest{UserName: ptr(user), Tags: []iamapi.Tag{{Key: ptr(k), Value: ptr(v)}}})
	return "Tagged " + k + ".", err
}

func untagUser(x *exchange, user string) (string, error) {
	k := x.r.PostForm.Get("key")
	_, err := call[iamapi.UntagUserOutput](x, "iam", "UntagUser", &iamapi.UntagUserRequest{UserName: ptr(user), TagKeys: []string{k}})
	return "Removed tag " + k + ".", err
}

// changeLoginProfile creates, updates (new password, reset flag) or deletes the user's console password.
func changeLoginProfile(x *exchange, user string) (string, error) {
	f := x.r.PostForm
	reset := ptr(f.Get("reset") != "")
	switch f.Get("do") {
	case "create":
		_, err := call[iamapi.CreateLoginProfileResponse](x, "iam", "CreateLoginProfile",
			&iamapi.CreateLoginProfileRequest{UserName: ptr(user), Password: ptr(f.Get("password")), PasswordResetRequired: reset})
		return "Console password set.", err
	case "update":
		in := &iamapi.UpdateLoginProfileRequest{UserName: ptr(user), PasswordResetRequired: reset}
		if pw := f.Get("password"); pw != "" {
			in.Password = &pw
		}
		_, err := call[iamapi.UpdateLoginProfileOutput](x, "iam", "UpdateLoginProfile", in)
		return "Console password updated.", err
	case "delete":
		_, err := call[iamapi.DeleteLoginProfileOutput](x, "iam", "DeleteLoginProfile", &iamapi.DeleteLoginProfileRequest{UserName: ptr(user)})
		return "Console access removed.", err
	}
	return "", iamapi.NewInvalidInputException("Unknown login profile change.")
}

// deleteUser deletes the user; while it still has keys, groups, policies or a password, AWS's
// DeleteConflict text is shown beside the button.
func deleteUser(x *exchange) error {
	name := x.r.PathValue("name")
	if _, err := call[iamapi.DeleteUserOutput](x, "iam", "DeleteUser", &iamapi.DeleteUserRequest{UserName: ptr(name)}); err != nil {
		return userFailed(x, name, "delete", err)
	}
	return x.redirect("/users?done=" + url.QueryEscape("Deleted user "+name+"."))
}

type inlineData struct {
	Kind, Owner, OwnerHref, Policy, Document string
}

func userInlinePolicy(x *exchange) error {
	name, p := x.r.PathValue("name"), x.r.PathValue("policy")
	out, err := call[iamapi.GetUserPolicyResponse](x, "iam", "GetUserPolicy", &iamapi.GetUserPolicyRequest{UserName: ptr(name), PolicyName: ptr(p)})
	if err != nil {
		return err
	}
	return x.render(http.StatusOK, "inline-policy", "Inline policy "+p, &inlineData{Kind: "user", Owner: name,
		OwnerHref: "/users/" + url.PathEscape(name), Policy: p, Document: policyText(out.PolicyDocument)})
}
