package console

// An example page that only the tests register: it lists IAM users a page of two at a time and creates
// one from a form, as the signed-in principal. It shows the whole recipe of a page (route, operation
// call, AWS error, CSRF form, markers) and lets the frame's tests prove that the console acts with the
// principal's permissions and no more.

import (
	"net/http"
	"net/url"
	"testing/fstest"

	"github.com/iamd/iamd/internal/api/iamapi"
)

func init() {
	testTemplates = fstest.MapFS{"templates/example-users.html": {Data: []byte(`{{define "content"}}{{with .Data}}
{{with .Created}}<p class="notice" role="status" id="created">Created user {{.}}.</p>{{end}}
{{with .Err}}<p class="error" role="alert" id="api-error"><strong>{{.Code}}</strong> {{.Message}}</p>{{end}}
<table id="users"><thead><tr><th scope="col">User name</th><th scope="col">ARN</th></tr></thead><tbody>
{{range .Users}}<tr><td>{{deref .UserName}}</td><td>{{deref .Arn}}</td></tr>{{end}}
</tbody></table>
{{with .Next}}<p class="pager"><a id="next" href="{{.}}">Next page</a></p>{{end}}
<form method="post" action="{{url "/_example/users"}}" class="panel">
  <input type="hidden" name="csrf" value="{{$.CSRF}}">
  <label for="name">User name</label><input id="name" name="name" required>
  <button type="submit" id="create">Create user</button>
</form>
{{end}}{{end}}`)}}
	// No nav entry: the page is the tests', reached by its path, and stays out of the navigation every
	// screenshot shows.
	register(page{name: "example-users", navPath: "/_example/users", routes: func(r *router) {
		r.get("/_example/users", exampleUsers)
		r.post("/_example/users", exampleCreateUser)
	}})
}

type exampleUsersData struct {
	Users   []iamapi.User
	Next    string
	Created string
	Err     *shownError
}

func exampleUsers(x *exchange) error {
	out, err := call[iamapi.ListUsersResponse](x, "iam", "ListUsers",
		&iamapi.ListUsersRequest{Marker: x.marker(), MaxItems: ptr(int32(2))})
	if err != nil {
		return err
	}
	return x.render(http.StatusOK, "example-users", "Users", &exampleUsersData{Users: out.Users, Next: x.nextURL(out.Marker),
		Created: x.r.URL.Query().Get("created")})
}

func exampleCreateUser(x *exchange) error {
	_, err := call[iamapi.CreateUserResponse](x, "iam", "CreateUser", &iamapi.CreateUserRequest{UserName: ptr(x.r.PostForm.Get("name"))})
	if err != nil {
		se := x.showError(err)
		return x.render(se.Status, "example-users", "Users", &exampleUsersData{Err: se})
	}
	return x.redirect("/_example/users?created=" + url.QueryEscape(x.r.PostForm.Get("name")))
}
