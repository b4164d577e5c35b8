// Package console is iamd's web console, served by the server itself under a configurable path
// (/console by default). Its pages are Go html/template files embedded in the binary, rendered on the
// server, styled by one small stylesheet of its own and driven by plain HTML forms: no script, nothing
// fetched from a third party, no build step.
//
// The console holds no route to the data of its own. A page reads and changes state only by calling API
// operations with their typed inputs through an Invoker ((*server.Server).Invoke), as the signed-in
// principal: the same session scope, policy evaluation and services as an API request signed by that
// principal, so a user sees and does exactly what its policies allow, and a refusal is AWS's
// AccessDenied text. What the console reads from the store itself is what authentication reads (the
// account by ID or alias, the signed-in user by ID) and its own sessions.
//
// Sessions are random tokens in an HttpOnly, SameSite=Strict cookie (Secure under TLS); the store keeps
// only their SHA-256, so every node of a cluster knows every session and a sign-out ends it everywhere.
// Every state change carries the session's CSRF token (compared in constant time) and must come from the
// console's own origin. Responses carry a strict Content-Security-Policy and may not be framed.
package console

import (
	"context"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/iamd/iamd/internal/reqctx"
	"github.com/iamd/iamd/internal/service/iam"
	"github.com/iamd/iamd/internal/storage"
	"github.com/iamd/iamd/internal/token"
)

// Invoker runs an API operation as a caller through the server's one dispatch path: session scope,
// policy evaluation, the typed service ((*server.Server).Invoke).
type Invoker interface {
	Invoke(ctx context.Context, caller *reqctx.Caller, service, operation string, in any) (any, error)
}

// Passwords verifies console sign-ins ((*iam.Service) implements it): a login profile's or the root's
// password under the IAM service's password throttle, and MFA codes.
type Passwords interface {
	VerifyConsolePassword(ctx context.Context, partition, acct, userName, password string) (iam.ConsoleLogin, error)
	VerifyRootPassword(ctx context.Context, partition, acct, password string) (iam.ConsoleLogin, error)
	VerifyMFACode(ctx context.Context, acct, userName, serial, code string) (bool, error)
}

// Sessions authenticates temporary credentials for the federation endpoint ((*auth.Authenticator)
// implements it): whole credentials for a sign-in token, and the session token a federated console
// session acts with, on every request.
type Sessions interface {
	SessionCredentials(ctx context.Context, keyID, secret, token string) (*token.Claims, error)
	TokenCaller(ctx context.Context, token string) (*reqctx.Caller, error)
}

// Options configure a Console.
type Options struct {
	// Path is where the console is served, such as "/console" (no trailing slash).
	Path      string
	Store     storage.Store
	Invoker   Invoker
	Passwords Passwords
	// Sessions serves the federation endpoint (/federation); nil leaves it out.
	Sessions Sessions
	Now      func() time.Time
	Logger   *slog.Logger
}

// Console is the web console's HTTP handler.
type Console struct {
	opts  Options
	base  string // Options.Path
	mux   *http.ServeMux
	pages map[string]*template.Template
	nav   []navItem
	now   func() time.Time
	log   *slog.Logger
}

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// testTemplates holds the templates of pages that tests register (templates/<name>.html); nil in the
// binary.
var testTemplates fs.FS

// New returns the console, with every page registered (see register) and every template parsed.
func New(o Options) (*Console, error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	c := &Console{opts: o, base: strings.TrimSuffix(o.Path, "/"), mux: http.NewServeMux(), now: o.Now, log: o.Logger}
	if err := c.parseTemplates(); err != nil {
		return nil, err
	}
	static, err := fs.Sub(staticFS, "static")
	if err != nil {
		return nil, err
	}
	c.mux.Handle("GET "+c.base+"/static/", http.StripPrefix(c.base+"/static/", staticHandler(static)))
	c.routeSignIn()
	if o.Sessions != nil {
		c.mux.HandleFunc(FederationPath, c.federation)
	}
	for _, p := range registry {
		r := &router{c: c, page: p}
		p.routes(r)
		if p.nav != "" {
			c.nav = append(c.nav, navItem{Title: p.nav, Href: c.base + p.navPath, order: navOrder(p.name)})
		}
	}
	sort.SliceStable(c.nav, func(i, j int) bool { return c.nav[i].order < c.nav[j].order })
	// The console's root without its slash, and anything unknown under it.
	c.mux.HandleFunc(c.base, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, c.base+"/", http.StatusSeeOther)
	})
	return c, nil
}

// Path is where the console is served.
func (c *Console) Path() string { return c.base }

// ServeHTTP serves the console, with the security headers every answer carries.
func (c *Console) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	// No script at all, no inline style, nothing from elsewhere; images only from here or data: URLs (the
	// MFA enrolment's QR code); forms post only here; no page may frame the console (clickjacking).
	h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "+
		"object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	if r.TLS != nil {
		h.Set("Strict-Transport-Security", "max-age=31536000")
	}
	c.mux.ServeHTTP(w, r)
}

// staticHandler serves the embedded assets; they change only with the binary.
func staticHandler(fsys fs.FS) http.Handler {
	files := http.FileServerFS(fsys)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "" || strings.HasSuffix(r.URL.Path, "/") {
			http.NotFound(w, r) // no directory listings
			return
		}
		w.Header().Set("Cache-Control", "public, max-age=3600")
		files.ServeHTTP(w, r)
	})
}

// parseTemplates parses layout.html with each page's template into a set of its own, so that every page
// defines its own "content" block.
func (c *Console) parseTemplates() error {
	type source struct {
		fsys fs.FS
		name string
	}
	var sources []source
	for _, fsys := range []fs.FS{templateFS, testTemplates} {
		if fsys == nil {
			continue
		}
		names, err := fs.Glob(fsys, "templates/*.html")
		if err != nil {
			return err
		}
		for _, n := range names {
			sources = append(sources, source{fsys, n})
		}
	}
	funcs := template.FuncMap{
		"url":   func(p string) string { return c.base + p },
		"deref": deref,
	}
	base, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html")
	if err != nil {
		return fmt.Errorf("console: %w", err)
	}
	// Files named _<name>.html are partials: blocks every page may use (a section several pages show
	// alike), parsed with the layout, not pages of their own.
	partials, err := fs.Glob(templateFS, "templates/_*.html")
	if err != nil {
		return err
	}
	if len(partials) > 0 {
		if _, err := base.ParseFS(templateFS, partials...); err != nil {
			return fmt.Errorf("console: %w", err)
		}
	}
	c.pages = make(map[string]*template.Template)
	for _, src := range sources {
		name := strings.TrimSuffix(path.Base(src.name), ".html")
		if name == "layout" || strings.HasPrefix(name, "_") {
			continue
		}
		t, err := template.Must(base.Clone()).ParseFS(src.fsys, src.name)
		if err != nil {
			return fmt.Errorf("console: %w", err)
		}
		c.pages[name] = t
	}
	return nil
}

// deref shows an API output's optional string, "" for nil.
func deref(p any) any {
	switch v := p.(type) {
	case *string:
		if v == nil {
			return ""
		}
		return *v
	case *bool:
		if v == nil {
			return false
		}
		return *v
	case *int32:
		if v == nil {
			return 0
		}
		return *v
	case *int64:
		if v == nil {
			return 0
		}
		return *v
	case *time.Time:
		if v == nil {
			return ""
		}
		return v.UTC().Format(time.RFC3339)
	}
	return p
}
