package console

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/url"

	"github.com/iamd/iamd/internal/ids"
	"github.com/iamd/iamd/internal/protocol"
	"github.com/iamd/iamd/internal/reqctx"
	"github.com/iamd/iamd/internal/storage"
)

// page is one page of the console: page_<name>.go registers it from an init function, with its routes,
// and templates/<name>.html holds its "content" block. Adding a page touches no shared file.
type page struct {
	name string
	// nav is the page's entry in the navigation ("" for none); navPath is the path it links to,
	// relative to the console's root ("/users").
	nav, navPath string
	routes       func(r *router)
}

// registry holds every page, filled by the pages' init functions.
var registry []page

// register adds a page to the console (call it from an init function).
func register(p page) { registry = append(registry, p) }

// navNames orders the navigation: every page with a nav entry is named here (a test checks it).
var navNames = []string{"dashboard", "account-settings", "users", "groups", "roles", "policies",
	"identity-providers", "instance-profiles", "password-policy", "credential-report", "access-advisor", "simulator"}

func navOrder(name string) int {
	for i, n := range navNames {
		if n == name {
			return i
		}
	}
	return len(navNames)
}

type navItem struct {
	Title, Href string
	Current     bool
	order       int
}

// handlerFunc serves one route of a page for a signed-in principal. An error it returns is shown on the
// error page: an API error as AWS words it (its code and message), any other as an internal failure (the
// log keeps the cause).
type handlerFunc func(x *exchange) error

// router registers a page's routes under the console's root.
type router struct {
	c    *Console
	page page
}

// get serves GET pattern (relative to the console's root, http.ServeMux syntax: "/users/{name}").
func (r *router) get(pattern string, h handlerFunc) {
	r.c.mux.HandleFunc("GET "+r.c.base+pattern, r.c.signedIn(r.page.name, false, h))
}

// post serves POST pattern: a state change, which the session's CSRF token and the request's origin must
// vouch for before h runs.
func (r *router) post(pattern string, h handlerFunc) {
	r.c.mux.HandleFunc("POST "+r.c.base+pattern, r.c.signedIn(r.page.name, true, h))
}

// exchange is one request of a signed-in principal to a page.
type exchange struct {
	c      *Console
	w      http.ResponseWriter
	r      *http.Request
	ctx    context.Context
	page   string
	sess   *storage.ConsoleSession
	caller *reqctx.Caller
}

// invoke runs an API operation ("iam", "sts" or "account") as the signed-in principal: the input is
// the operation's typed request (&iamapi.ListUsersRequest{…}), the output its typed response.
func (x *exchange) invoke(service, operation string, in any) (any, error) {
	return x.c.opts.Invoker.Invoke(x.ctx, x.caller, service, operation, in)
}

// call is invoke with the output's type: out, err := call[iamapi.ListUsersResponse](x, "iam", "ListUsers", in).
func call[Out any](x *exchange, service, operation string, in any) (*Out, error) {
	out, err := x.invoke(service, operation, in)
	if err != nil {
		return nil, err
	}
	o, ok := out.(*Out)
	if !ok {
		return nil, errors.New("console: " + operation + " answered an unexpected type")
	}
	return o, nil
}

// shownError is an API error as a page shows it.
type shownError struct {
	Code, Message string
	Status        int
}

// showError returns err as AWS words it, for a page to show beside its form; a failure that is not an
// API error is logged and shown as the service's internal failure.
func (x *exchange) showError(err error) *shownError {
	ae := protocol.AsAPIError(nil, err)
	if ae.HTTPStatus() >= 500 {
		x.c.log.ErrorContext(x.ctx, "console page failed", "page", x.page, "err", err)
	}
	return &shownError{Code: ae.ErrorCode(), Message: ae.ErrorMessage(), Status: ae.HTTPStatus()}
}

// render writes template name with data inside the layout, with status.
func (x *exchange) render(status int, name, title string, data any) error {
	v := x.c.view(x.r, x.sess, x.caller, title)
	v.Data = data
	for i := range v.Nav {
		v.Nav[i].Current = v.Nav[i].Href == x.c.base+x.navPath()
	}
	return x.c.write(x.w, status, name, v)
}

func (x *exchange) navPath() string {
	for _, p := range registry {
		if p.name == x.page {
			return p.navPath
		}
	}
	return ""
}

// redirect answers a successful POST with a redirect to a page (relative to the console's root), so a
// reload does not post again.
func (x *exchange) redirect(p string) error {
	http.Redirect(x.w, x.r, x.c.base+p, http.StatusSeeOther)
	return nil
}

// nextURL is the current page's URL asking for the list after marker (nil: no further page), keeping the
// other query parameters (filters).
func (x *exchange) nextURL(marker *string) string {
	if marker == nil || *marker == "" {
		return ""
	}
	q := x.r.URL.Query()
	q.Set("marker", *marker)
	return x.r.URL.Path + "?" + q.Encode()
}

// marker is the list position the request asks for (nil: the first page), for an API's Marker.
func (x *exchange) marker() *string {
	if m := x.r.URL.Query().Get("marker"); m != "" {
		return &m
	}
	return nil
}

// requestContext returns r's context carrying what the services log and evaluate of a request: its ID,
// time, source address (aws:SourceIp), user agent and transport.
func (c *Console) requestContext(r *http.Request) context.Context {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	return reqctx.With(r.Context(), &reqctx.Request{ID: ids.NewRequestID(), Time: c.now().UTC(), SourceIP: host,
		UserAgent: r.UserAgent(), SecureTransport: r.TLS != nil})
}

// signedIn wraps a page's handler: it needs a session whose sign-in is complete (else the browser goes
// to the sign-in page), and for a state change the session's CSRF token and the console's origin.
func (c *Console) signedIn(name string, change bool, h handlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx := c.requestContext(r)
		r = r.WithContext(ctx)
		sess, caller, err := c.session(ctx, w, r)
		if err != nil {
			c.fail(w, r, err)
			return
		}
		if caller == nil {
			if sess != nil { // a sign-in with a step still to do
				c.nextStep(w, r, sess, r.URL.RequestURI())
				return
			}
			http.Redirect(w, r, c.base+"/signin?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return
		}
		if change {
			if err := c.checkChange(w, r, sess.CSRFToken); err != nil {
				c.refuse(w, r, sess, caller, err)
				return
			}
		}
		x := &exchange{c: c, w: w, r: r, ctx: ctx, page: name, sess: sess, caller: caller}
		if err := h(x); err != nil {
			se := x.showError(err)
			_ = x.render(se.Status, "error", se.Code, se)
		}
	}
}

// ptr returns a pointer to v, for the optional members of an operation's input.
func ptr[T any](v T) *T { return &v }
