package console

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/iamd/iamd/internal/api/iamapi"
)

// Instance profiles: the list (filtered by name and path prefix, read with markers), creation, a
// profile's page (its role, added and removed) and deletion.
func init() {
	register(page{name: "instance-profiles", nav: "Instance profiles", navPath: "/instance-profiles", routes: func(r *router) {
		r.get("/instance-profiles", instanceProfilesList)
		r.post("/instance-profiles", instanceProfileCreate)
		r.get("/instance-profiles/{name}", instanceProfileShow)
		r.post("/instance-profiles/{name}/add-role", instanceProfileAddRole)
		r.post("/instance-profiles/{name}/remove-role", instanceProfileRemoveRole)
		r.post("/instance-profiles/{name}/delete", instanceProfileDelete)
	}})
}

type instanceProfilesData struct {
	Filter   listFilter
	Profiles []iamapi.InstanceProfile
	Next     string
	Deleted  string
	// Name and Path are the creation form's fields, kept when IAM refuses them (Err).
	Name, Path string
	Err        *shownError
}

func listInstanceProfiles(x *exchange, d *instanceProfilesData) error {
	f := x.listFilter()
	// Listed in name order, as roles: a name prefix starts at its first name (f.start).
	out, err := call[iamapi.ListInstanceProfilesResponse](x, "iam", "ListInstanceProfiles",
		&iamapi.ListInstanceProfilesRequest{PathPrefix: f.pathPrefix(), Marker: f.start(x), MaxItems: f.maxItems()})
	if err != nil {
		return err
	}
	d.Filter = f
	d.Profiles, d.Next = filtered(x, f, out.InstanceProfiles, func(p iamapi.InstanceProfile) string { return str(p.InstanceProfileName) },
		moreMarker(out.IsTruncated, out.Marker))
	return nil
}

func instanceProfilesList(x *exchange) error {
	d := &instanceProfilesData{Path: "/", Deleted: x.r.URL.Query().Get("deleted")}
	if err := listInstanceProfiles(x, d); err != nil {
		return err
	}
	return x.render(http.StatusOK, "instance-profiles", "Instance profiles", d)
}

func instanceProfileCreate(x *exchange) error {
	d := &instanceProfilesData{Name: strings.TrimSpace(x.r.PostForm.Get("name")), Path: x.r.PostForm.Get("path")}
	_, err := call[iamapi.CreateInstanceProfileResponse](x, "iam", "CreateInstanceProfile",
		&iamapi.CreateInstanceProfileRequest{InstanceProfileName: &d.Name, Path: optional(d.Path)})
	if err != nil {
		d.Err = x.showError(err)
		if lerr := listInstanceProfiles(x, d); lerr != nil {
			return lerr
		}
		return x.render(d.Err.Status, "instance-profiles", "Instance profiles", d)
	}
	return x.redirect("/instance-profiles/" + url.PathEscape(d.Name) + "?created=1")
}

type instanceProfileData struct {
	Profile *iamapi.InstanceProfile
	Notice  string
	// RoleErr is IAM's refusal of adding or removing a role, DeleteErr of deleting the profile.
	RoleErr, DeleteErr *shownError
}

func instanceProfileShow(x *exchange) error {
	return instanceProfilePage(x, http.StatusOK, nil)
}

// instanceProfilePage renders a profile's page; set, when not nil, puts an error beside its form.
func instanceProfilePage(x *exchange, status int, set func(d *instanceProfileData)) error {
	name := x.r.PathValue("name")
	out, err := call[iamapi.GetInstanceProfileResponse](x, "iam", "GetInstanceProfile", &iamapi.GetInstanceProfileRequest{InstanceProfileName: &name})
	if err != nil {
		return err
	}
	d := &instanceProfileData{Profile: out.InstanceProfile}
	q := x.r.URL.Query()
	switch {
	case q.Get("created") != "":
		d.Notice = "Instance profile created."
	case q.Get("added") != "":
		d.Notice = "Added role " + q.Get("added") + "."
	case q.Get("removed") != "":
		d.Notice = "Removed role " + q.Get("removed") + "."
	}
	if set != nil {
		set(d)
	}
	return x.render(status, "instance-profile", "Instance profile "+name, d)
}

// instanceProfileChange runs a change of a profile; IAM's refusal shows beside the form (set picks which).
func instanceProfileChange(x *exchange, op string, in any, set func(d *instanceProfileData, se *shownError), done string) error {
	if _, err := x.invoke("iam", op, in); err != nil {
		se := x.showError(err)
		return instanceProfilePage(x, se.Status, func(d *instanceProfileData) { set(d, se) })
	}
	return x.redirect(done)
}

func instanceProfileAddRole(x *exchange) error {
	name, role := x.r.PathValue("name"), strings.TrimSpace(x.r.PostForm.Get("role"))
	return instanceProfileChange(x, "AddRoleToInstanceProfile", &iamapi.AddRoleToInstanceProfileRequest{InstanceProfileName: &name, RoleName: &role},
		func(d *instanceProfileData, se *shownError) { d.RoleErr = se },
		"/instance-profiles/"+url.PathEscape(name)+"?added="+url.QueryEscape(role))
}

func instanceProfileRemoveRole(x *exchange) error {
	name, role := x.r.PathValue("name"), x.r.PostForm.Get("role")
	return instanceProfileChange(x, "RemoveRoleFromInstanceProfile", &iamapi.RemoveRoleFromInstanceProfileRequest{InstanceProfileName: &name, RoleName: &role},
		func(d *instanceProfileData, se *shownError) { d.RoleErr = se },
		"/instance-profiles/"+url.PathEscape(name)+"?removed="+url.QueryEscape(role))
}

func instanceProfileDelete(x *exchange) error {
	name := x.r.PathValue("name")
	return instanceProfileChange(x, "DeleteInstanceProfile", &iamapi.DeleteInstanceProfileRequest{InstanceProfileName: &name},
		func(d *instanceProfileData, se *shownError) { d.DeleteErr = se },
		"/instance-profiles?deleted="+url.QueryEscape(name))
}
