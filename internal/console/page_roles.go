package console

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/iamd/iamd/internal/api/iamapi"
)

// Roles: the list (filtered by name and path prefix, read with markers), creation with a trust policy, a
// role's page (its trust policy, edited through UpdateAssumeRolePolicy; its attached and inline policies,
// tags, last use and instance profiles) and deletion, whose DeleteConflict shows beside the button.
func init() {
	register(page{name: "roles", nav: "Roles", navPath: "/roles", routes: func(r *router) {
		r.get("/roles", rolesList)
		r.get("/roles/new", roleNewForm)
		r.post("/roles/new", roleCreate)
		r.get("/roles/{name}", roleShow)
		r.post("/roles/{name}/trust", roleUpdateTrust)
		r.post("/roles/{name}/attach", roleAttach)
		r.post("/roles/{name}/detach", roleDetach)
		r.post("/roles/{name}/delete", roleDelete)
	}})
}

type rolesData struct {
	Filter  listFilter
	Roles   []iamapi.Role
	Next    string
	Deleted string
}

func rolesList(x *exchange) error {
	f := x.listFilter()
	// Roles are listed in name order: a name prefix starts the list at its first name (f.start) and
	// reads one page, not the roles before it.
	out, err := call[iamapi.ListRolesResponse](x, "iam", "ListRoles",
		&iamapi.ListRolesRequest{PathPrefix: f.pathPrefix(), Marker: f.start(x), MaxItems: f.maxItems()})
	if err != nil {
		return err
	}
	roles, next := filtered(x, f, out.Roles, func(r iamapi.Role) string { return str(r.RoleName) },
		moreMarker(out.IsTruncated, out.Marker))
	return x.render(http.StatusOK, "roles", "Roles", &rolesData{Filter: f, Roles: roles, Next: next,
		Deleted: x.r.URL.Query().Get("deleted")})
}

// roleForm is the creation form, kept as typed when the API refuses it.
type roleForm struct {
	Name, Path, Trust, MaxSession, Description string
	Err                                        *shownError
}

// exampleTrustPolicy starts the creation form: a trust policy that lets the account's own principals
// (those their policies allow sts:AssumeRole on the role) assume it.
func exampleTrustPolicy(account string) string {
	return `{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Principal": {"AWS": "arn:aws:iam::` + account + `:root"},
      "Action": "sts:AssumeRole"
    }
  ]
}`
}

func roleNewForm(x *exchange) error {
	return x.render(http.StatusOK, "role-new", "Create role", &roleForm{Path: "/", MaxSession: "3600",
		Trust: exampleTrustPolicy(x.caller.AccountID)})
}

func roleCreate(x *exchange) error {
	pf := x.r.PostForm
	f := &roleForm{Name: strings.TrimSpace(pf.Get("name")), Path: pf.Get("path"), Trust: pf.Get("trust"),
		MaxSession: strings.TrimSpace(pf.Get("max-session")), Description: pf.Get("description")}
	in := &iamapi.CreateRoleRequest{RoleName: &f.Name, Path: optional(f.Path), AssumeRolePolicyDocument: &f.Trust,
		Description: optional(f.Description)}
	if f.MaxSession != "" {
		n, err := strconv.ParseInt(f.MaxSession, 10, 32)
		if err != nil {
			f.Err = &shownError{Code: "ValidationError", Message: "The maximum session duration must be a whole number of seconds.", Status: http.StatusBadRequest}
			return x.render(f.Err.Status, "role-new", "Create role", f)
		}
		in.MaxSessionDuration = ptr(int32(n))
	}
	if _, err := call[iamapi.CreateRoleResponse](x, "iam", "CreateRole", in); err != nil {
		f.Err = x.showError(err)
		return x.render(f.Err.Status, "role-new", "Create role", f)
	}
	return x.redirect("/roles/" + url.PathEscape(f.Name) + "?created=1")
}

type roleData struct {
	Role             *iamapi.Role
	Trust            string
	Attached         []iamapi.AttachedPolicy
	Inline           []string
	InstanceProfiles []iamapi.InstanceProfile
	Notice           string
	// TrustErr, AttachErr and DeleteErr are the API's refusal of the form they sit beside.
	TrustErr, AttachErr, DeleteErr *shownError
}

// loadRole reads everything a role's page shows.
func loadRole(x *exchange, name string) (*roleData, error) {
	out, err := call[iamapi.GetRoleResponse](x, "iam", "GetRole", &iamapi.GetRoleRequest{RoleName: &name})
	if err != nil {
		return nil, err
	}
	d := &roleData{Role: out.Role, Trust: policyText(out.Role.AssumeRolePolicyDocument)}
	attached, err := call[iamapi.ListAttachedRolePoliciesResponse](x, "iam", "ListAttachedRolePolicies",
		&iamapi.ListAttachedRolePoliciesRequest{RoleName: &name, MaxItems: ptr(int32(1000))})
	if err != nil {
		return nil, err
	}
	d.Attached = attached.AttachedPolicies
	inline, err := call[iamapi.ListRolePoliciesResponse](x, "iam", "ListRolePolicies",
		&iamapi.ListRolePoliciesRequest{RoleName: &name, MaxItems: ptr(int32(1000))})
	if err != nil {
		return nil, err
	}
	d.Inline = inline.PolicyNames
	profiles, err := call[iamapi.ListInstanceProfilesForRoleResponse](x, "iam", "ListInstanceProfilesForRole",
		&iamapi.ListInstanceProfilesForRoleRequest{RoleName: &name, MaxItems: ptr(int32(1000))})
	if err != nil {
		return nil, err
	}
	d.InstanceProfiles = profiles.InstanceProfiles
	return d, nil
}

func roleShow(x *exchange) error {
	d, err := loadRole(x, x.r.PathValue("name"))
	if err != nil {
		return err
	}
	q := x.r.URL.Query()
	switch {
	case q.Get("created") != "":
		d.Notice = "Role created."
	case q.Get("trust") != "":
		d.Notice = "Trust policy updated."
	case q.Get("attached") != "":
		d.Notice = "Attached " + q.Get("attached") + "."
	case q.Get("detached") != "":
		d.Notice = "Detached " + q.Get("detached") + "."
	}
	return x.render(http.StatusOK, "role", "Role "+str(d.Role.RoleName), d)
}

// roleRefused shows the role's page again with err beside the form that caused it (set picks which),
// keeping what the user typed into the trust policy.
func roleRefused(x *exchange, name string, err error, set func(d *roleData, se *shownError)) error {
	se := x.showError(err)
	d, lerr := loadRole(x, name)
	if lerr != nil {
		return lerr
	}
	set(d, se)
	return x.render(se.Status, "role", "Role "+name, d)
}

func roleUpdateTrust(x *exchange) error {
	name, doc := x.r.PathValue("name"), x.r.PostForm.Get("trust")
	_, err := x.invoke("iam", "UpdateAssumeRolePolicy", &iamapi.UpdateAssumeRolePolicyRequest{RoleName: &name, PolicyDocument: &doc})
	if err != nil {
		return roleRefused(x, name, err, func(d *roleData, se *shownError) { d.TrustErr, d.Trust = se, doc })
	}
	return x.redirect("/roles/" + url.PathEscape(name) + "?trust=updated")
}

func roleAttach(x *exchange) error {
	name, arn := x.r.PathValue("name"), strings.TrimSpace(x.r.PostForm.Get("policy-arn"))
	if _, err := x.invoke("iam", "AttachRolePolicy", &iamapi.AttachRolePolicyRequest{RoleName: &name, PolicyArn: &arn}); err != nil {
		return roleRefused(x, name, err, func(d *roleData, se *shownError) { d.AttachErr = se })
	}
	return x.redirect("/roles/" + url.PathEscape(name) + "?attached=" + url.QueryEscape(arn))
}

func roleDetach(x *exchange) error {
	name, arn := x.r.PathValue("name"), x.r.PostForm.Get("policy-arn")
	if _, err := x.invoke("iam", "DetachRolePolicy", &iamapi.DetachRolePolicyRequest{RoleName: &name, PolicyArn: &arn}); err != nil {
		return roleRefused(x, name, err, func(d *roleData, se *shownError) { d.AttachErr = se })
	}
	return x.redirect("/roles/" + url.PathEscape(name) + "?detached=" + url.QueryEscape(arn))
}

func roleDelete(x *exchange) error {
	name := x.r.PathValue("name")
	if _, err := x.invoke("iam", "DeleteRole", &iamapi.DeleteRoleRequest{RoleName: &name}); err != nil {
		return roleRefused(x, name, err, func(d *roleData, se *shownError) { d.DeleteErr = se })
	}
	return x.redirect("/roles?deleted=" + url.QueryEscape(name))
}
