package console

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/iamd/iamd/internal/api/iamapi"
)

// Policies: the list (scope Local, AWS or All, filtered by name and path prefix, read with markers), a
// policy's page with its version history (any version's document, set default, delete a version that is
// not the default) and a JSON editor, for a new policy and for a new version. The editor has no checker
// of its own: IAM's parser judges the document, and its MalformedPolicyDocument message shows beside the
// editor with the text kept as typed.
func init() {
	register(page{name: "policies", nav: "Policies", navPath: "/policies", routes: func(r *router) {
		r.get("/policies", policiesList)
		r.get("/policies/new", policyNewForm)
		r.post("/policies/new", policyCreate)
		r.get("/policies/view", policyShow)
		r.post("/policies/version", policyNewVersion)
		r.post("/policies/default", policySetDefault)
		r.post("/policies/delete-version", policyDeleteVersion)
		r.post("/policies/delete", policyDelete)
	}})
}

// policyScopes are ListPolicies' scopes as the list page offers them.
var policyScopes = []string{"Local", "AWS", "All"}

type policiesData struct {
	Filter   listFilter
	Scope    string
	Scopes   []string
	Policies []iamapi.Policy
	Next     string
	Deleted  string
}

func policiesList(x *exchange) error {
	f := x.listFilter()
	scope := x.r.URL.Query().Get("scope")
	if scope == "" {
		scope = "Local"
	}
	policies, next, err := filteredList(x, f, policyFilterScan, func(p *iamapi.Policy) string { return str(p.PolicyName) },
		func(marker *string, max int32) ([]iamapi.Policy, *string, error) {
			// An unknown scope goes to the API as given: its ValidationError is the answer.
			out, err := call[iamapi.ListPoliciesResponse](x, "iam", "ListPolicies", &iamapi.ListPoliciesRequest{
				Scope: &scope, PathPrefix: f.pathPrefix(), Marker: marker, MaxItems: &max})
			if err != nil {
				return nil, nil, err
			}
			return out.Policies, moreMarker(out.IsTruncated, out.Marker), nil
		})
	if err != nil {
		return err
	}
	return x.render(http.StatusOK, "policies", "Policies", &policiesData{Filter: f, Scope: scope, Scopes: policyScopes,
		Policies: policies, Next: next, Deleted: x.r.URL.Query().Get("deleted")})
}

// policyForm is the new-policy editor, kept as typed when IAM refuses it.
type policyForm struct {
	Name, Path, Description, Document string
	Err                               *shownError
}

const examplePolicyDocument = `{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Action": "s3:ListBucket",
      "Resource": "arn:aws:s3:::example-bucket"
    }
  ]
}`

func policyNewForm(x *exchange) error {
	return x.render(http.StatusOK, "policy-new", "Create policy", &policyForm{Path: "/", Document: examplePolicyDocument})
}

func policyCreate(x *exchange) error {
	pf := x.r.PostForm
	f := &policyForm{Name: strings.TrimSpace(pf.Get("name")), Path: pf.Get("path"), Description: pf.Get("description"),
		Document: pf.Get("document")}
	out, err := call[iamapi.CreatePolicyResponse](x, "iam", "CreatePolicy", &iamapi.CreatePolicyRequest{
		PolicyName: &f.Name, Path: optional(f.Path), Description: optional(f.Description), PolicyDocument: &f.Document})
	if err != nil {
		f.Err = x.showError(err)
		return x.render(f.Err.Status, "policy-new", "Create policy", f)
	}
	return x.redirect("/policies/view?created=1&arn=" + url.QueryEscape(str(out.Policy.Arn)))
}

type policyData struct {
	Policy   *iamapi.Policy
	Versions []iamapi.PolicyVersion
	// Shown is the version whose document the page shows (?version=, else the default).
	Shown    *iamapi.PolicyVersion
	Document string
	// Local is whether the account owns the policy (AWS managed policies cannot change).
	Local  bool
	Notice string
	// Draft is the new-version editor's text; DraftErr IAM's refusal of it, VersionErr of a set-default
	// or delete-version, DeleteErr of deleting the policy.
	Draft                           string
	DraftErr, VersionErr, DeleteErr *shownError
}

func loadPolicy(x *exchange, arn, version string) (*policyData, error) {
	p, err := call[iamapi.GetPolicyResponse](x, "iam", "GetPolicy", &iamapi.GetPolicyRequest{PolicyArn: &arn})
	if err != nil {
		return nil, err
	}
	d := &policyData{Policy: p.Policy, Local: !strings.Contains(arn, ":iam::aws:policy/")}
	vs, err := call[iamapi.ListPolicyVersionsResponse](x, "iam", "ListPolicyVersions",
		&iamapi.ListPolicyVersionsRequest{PolicyArn: &arn, MaxItems: ptr(int32(1000))})
	if err != nil {
		return nil, err
	}
	d.Versions = vs.Versions
	if version == "" {
		version = str(p.Policy.DefaultVersionId)
	}
	v, err := call[iamapi.GetPolicyVersionResponse](x, "iam", "GetPolicyVersion",
		&iamapi.GetPolicyVersionRequest{PolicyArn: &arn, VersionId: &version})
	if err != nil {
		return nil, err
	}
	d.Shown, d.Document = v.PolicyVersion, policyText(v.PolicyVersion.Document)
	d.Draft = d.Document
	return d, nil
}

func policyShow(x *exchange) error {
	q := x.r.URL.Query()
	d, err := loadPolicy(x, q.Get("arn"), q.Get("version"))
	if err != nil {
		return err
	}
	switch {
	case q.Get("created") != "":
		d.Notice = "Policy created."
	case q.Get("new-version") != "":
		d.Notice = "Version " + q.Get("new-version") + " created."
	case q.Get("default") != "":
		d.Notice = "Version " + q.Get("default") + " is now the default."
	case q.Get("deleted-version") != "":
		d.Notice = "Version " + q.Get("deleted-version") + " deleted."
	}
	return x.render(http.StatusOK, "policy", "Policy "+str(d.Policy.PolicyName), d)
}

// policyRefused shows the policy's page again with err beside the form that caused it.
func policyRefused(x *exchange, arn string, err error, set func(d *policyData, se *shownError)) error {
	se := x.showError(err)
	d, lerr := loadPolicy(x, arn, "")
	if lerr != nil {
		return lerr
	}
	set(d, se)
	return x.render(se.Status, "policy", "Policy "+str(d.Policy.PolicyName), d)
}

func policyViewURL(arn, param, value string) string {
	return "/policies/view?arn=" + url.QueryEscape(arn) + "&" + param + "=" + url.QueryEscape(value)
}

func policyNewVersion(x *exchange) error {
	pf := x.r.PostForm
	arn, doc := pf.Get("arn"), pf.Get("document")
	out, err := call[iamapi.CreatePolicyVersionResponse](x, "iam", "CreatePolicyVersion", &iamapi.CreatePolicyVersionRequest{
		PolicyArn: &arn, PolicyDocument: &doc, SetAsDefault: ptr(pf.Get("set-default") != "")})
	if err != nil {
		return policyRefused(x, arn, err, func(d *policyData, se *shownError) { d.DraftErr, d.Draft = se, doc })
	}
	return x.redirect(policyViewURL(arn, "new-version", str(out.PolicyVersion.VersionId)))
}

func policySetDefault(x *exchange) error {
	arn, v := x.r.PostForm.Get("arn"), x.r.PostForm.Get("version")
	if _, err := x.invoke("iam", "SetDefaultPolicyVersion", &iamapi.SetDefaultPolicyVersionRequest{PolicyArn: &arn, VersionId: &v}); err != nil {
		return policyRefused(x, arn, err, func(d *policyData, se *shownError) { d.VersionErr = se })
	}
	return x.redirect(policyViewURL(arn, "default", v))
}

func policyDeleteVersion(x *exchange) error {
	arn, v := x.r.PostForm.Get("arn"), x.r.PostForm.Get("version")
	if _, err := x.invoke("iam", "DeletePolicyVersion", &iamapi.DeletePolicyVersionRequest{PolicyArn: &arn, VersionId: &v}); err != nil {
		return policyRefused(x, arn, err, func(d *policyData, se *shownError) { d.VersionErr = se })
	}
	return x.redirect(policyViewURL(arn, "deleted-version", v))
}

func policyDelete(x *exchange) error {
	arn := x.r.PostForm.Get("arn")
	if _, err := x.invoke("iam", "DeletePolicy", &iamapi.DeletePolicyRequest{PolicyArn: &arn}); err != nil {
		return policyRefused(x, arn, err, func(d *policyData, se *shownError) { d.DeleteErr = se })
	}
	return x.redirect("/policies?deleted=" + url.QueryEscape(arn))
}
