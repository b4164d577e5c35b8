package console

// The groups pages: the list (markers, name and path prefix) with a form to create one, and a group's
// page with its members (paged), attached and inline policies, and deletion. Every read and change is an
// IAM operation called as the signed-in principal.

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/iamd/iamd/internal/api/iamapi"
)

func init() {
	register(page{name: "groups", nav: "Groups", navPath: "/groups", routes: func(r *router) {
		r.get("/groups", groupsList)
		r.post("/groups/new", createGroup)
		r.get("/groups/{name}", groupPage)
		r.get("/groups/{name}/inline/{policy}", groupInlinePolicy)
		r.post("/groups/{name}/members/add", groupAction("members", addGroupMember))
		r.post("/groups/{name}/members/remove", groupAction("members", removeGroupMember))
		r.post("/groups/{name}/policies/attach", groupAction("policies", attachGroupPolicy))
		r.post("/groups/{name}/policies/detach", groupAction("policies", detachGroupPolicy))
		r.post("/groups/{name}/inline/delete", groupAction("inline", deleteGroupInline))
		r.post("/groups/{name}/delete", deleteGroup)
	}})
}

type groupsData struct {
	listPage
	Groups []iamapi.Group
	// NewName and NewPath keep the create form's input when CreateGroup refused it.
	NewName, NewPath string
}

// listGroups reads the page of groups the request asks for.
func listGroups(x *exchange) (*groupsData, error) {
	f := x.listFilter()
	out, err := call[iamapi.ListGroupsResponse](x, "iam", "ListGroups",
		&iamapi.ListGroupsRequest{PathPrefix: f.pathPrefix(), Marker: f.start(x), MaxItems: f.maxItems()})
	if err != nil {
		return nil, err
	}
	d := &groupsData{listPage: listPage{Kind: "groups", Filter: f, Notice: doneNotice(x)}}
	d.Groups, d.Next = filtered(x, f, out.Groups, func(g iamapi.Group) string { return deref(g.GroupName).(string) }, out.Marker)
	return d, nil
}

func groupsList(x *exchange) error {
	d, err := listGroups(x)
	if err != nil {
		return err
	}
	return x.render(http.StatusOK, "groups", "Groups", d)
}

func createGroup(x *exchange) error {
	name, p := strings.TrimSpace(x.r.PostForm.Get("name")), strings.TrimSpace(x.r.PostForm.Get("path"))
	in := &iamapi.CreateGroupRequest{GroupName: ptr(name)}
	if p != "" {
		in.Path = &p
	}
	if _, err := call[iamapi.CreateGroupResponse](x, "iam", "CreateGroup", in); err != nil {
		se := x.showError(err)
		d, lerr := listGroups(x)
		if lerr != nil {
			return err
		}
		d.Err, d.NewName, d.NewPath = se, name, p
		return x.render(se.Status, "groups", "Groups", d)
	}
	return x.redirect("/groups/" + url.PathEscape(name) + "?done=" + url.QueryEscape("Created group "+name+"."))
}

type groupData struct {
	failure
	Group    *iamapi.Group
	Members  []iamapi.User
	Next     string
	Policies policiesSection
	Notice   string
	// Truncated: the group has more policies than the page shows.
	Truncated bool
}

// loadGroup reads a group's page: a page of its members (from the request's marker) and its policies.
func loadGroup(x *exchange, name string) (*groupData, error) {
	g, err := call[iamapi.GetGroupResponse](x, "iam", "GetGroup", &iamapi.GetGroupRequest{GroupName: ptr(name), Marker: x.marker(), MaxItems: ptr(int32(listPageSize))})
	if err != nil {
		return nil, err
	}
	d := &groupData{Group: g.Group, Members: g.Users, Next: x.nextURL(g.Marker)}
	if d.Policies, d.Truncated, err = loadPolicies(x, "Group", name); err != nil {
		return nil, err
	}
	return d, nil
}

func groupPage(x *exchange) error {
	notice := doneNotice(x)
	d, err := loadGroup(x, x.r.PathValue("name"))
	if err != nil {
		return err
	}
	d.Notice = notice
	return x.render(http.StatusOK, "group", "Group "+deref(d.Group.GroupName).(string), d)
}

// groupAction serves a change on a group's page: on success back to the page with a notice, a refusal
// shown beside the section's form.
func groupAction(section string, change func(x *exchange, group string) (string, error)) handlerFunc {
	return func(x *exchange) error {
		name := x.r.PathValue("name")
		notice, err := change(x, name)
		if err != nil {
			return groupFailed(x, name, section, err)
		}
		return x.redirect("/groups/" + url.PathEscape(name) + "?done=" + url.QueryEscape(notice))
	}
}

func groupFailed(x *exchange, name, section string, err error) error {
	se := x.showError(err)
	d, lerr := loadGroup(x, name)
	if lerr != nil {
		return err
	}
	d.failure = failure{Err: se, ErrAt: section}
	d.Policies.failure = d.failure
	return x.render(se.Status, "group", "Group "+name, d)
}

func addGroupMember(x *exchange, group string) (string, error) {
	u := strings.TrimSpace(x.r.PostForm.Get("user"))
	_, err := call[iamapi.AddUserToGroupOutput](x, "iam", "AddUserToGroup", &iamapi.AddUserToGroupRequest{GroupName: ptr(group), UserName: ptr(u)})
	return "Added " + u + ".", err
}

func removeGroupMember(x *exchange, group string) (string, error) {
	u := x.r.PostForm.Get("user")
	_, err := call[iamapi.RemoveUserFromGroupOutput](x, "iam", "RemoveUserFromGroup", &iamapi.RemoveUserFromGroupRequest{GroupName: ptr(group), UserName: ptr(u)})
	return "Removed " + u + ".", err
}

func attachGroupPolicy(x *exchange, group string) (string, error) {
	arn := strings.TrimSpace(x.r.PostForm.Get("arn"))
	_, err := call[iamapi.AttachGroupPolicyOutput](x, "iam", "AttachGroupPolicy", &iamapi.AttachGroupPolicyRequest{GroupName: ptr(group), PolicyArn: ptr(arn)})
	return "Attached " + arn + ".", err
}

func detachGroupPolicy(x *exchange, group string) (string, error) {
	arn := x.r.PostForm.Get("arn")
	_, err := call[iamapi.DetachGroupPolicyOutput](x, "iam", "DetachGroupPolicy", &iamapi.DetachGroupPolicyRequest{GroupName: ptr(group), PolicyArn: ptr(arn)})
	return "Detached " + arn + ".", err
}

func deleteGroupInline(x *exchange, group string) (string, error) {
	p := x.r.PostForm.Get("policy")
	_, err := call[iamapi.DeleteGroupPolicyOutput](x, "iam", "DeleteGroupPolicy", &iamapi.DeleteGroupPolicyRequest{GroupName: ptr(group), PolicyName: ptr(p)})
	return "Deleted inline policy " + p + ".", err
}

// deleteGroup deletes the group; while it has members or policies, AWS's DeleteConflict text is shown
// beside the button.
func deleteGroup(x *exchange) error {
	name := x.r.PathValue("name")
	if _, err := call[iamapi.DeleteGroupOutput](x, "iam", "DeleteGroup", &iamapi.DeleteGroupRequest{GroupName: ptr(name)}); err != nil {
		return groupFailed(x, name, "delete", err)
	}
	return x.redirect("/groups?done=" + url.QueryEscape("Deleted group "+name+"."))
}

func groupInlinePolicy(x *exchange) error {
	name, p := x.r.PathValue("name"), x.r.PathValue("policy")
	out, err := call[iamapi.GetGroupPolicyResponse](x, "iam", "GetGroupPolicy", &iamapi.GetGroupPolicyRequest{GroupName: ptr(name), PolicyName: ptr(p)})
	if err != nil {
		return err
	}
	return x.render(http.StatusOK, "inline-policy", "Inline policy "+p, &inlineData{Kind: "group", Owner: name,
		OwnerHref: "/groups/" + url.PathEscape(name), Policy: p, Document: policyText(out.PolicyDocument)})
}
