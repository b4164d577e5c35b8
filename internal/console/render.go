package console

import (
	"bytes"
	"net/http"

	"github.com/iamd/iamd/internal/reqctx"
	"github.com/iamd/iamd/internal/storage"
)

// view is what the layout renders around a page's content.
type view struct {
	Title string
	// CSRF is the session's token, which every form posts back in the field "csrf".
	CSRF string
	// Principal is the signed-in principal's ARN ("" on the sign-in pages); Account its account.
	Principal, Account string
	Nav                []navItem
	Data               any
}

func (c *Console) view(_ *http.Request, sess *storage.ConsoleSession, caller *reqctx.Caller, title string) *view {
	v := &view{Title: title}
	if sess != nil && caller != nil {
		v.CSRF, v.Principal, v.Account = sess.CSRFToken, caller.ARN, caller.AccountID
		v.Nav = append([]navItem(nil), c.nav...)
	}
	return v
}

// write renders page name inside the layout. The page is rendered to a buffer first, so a template
// error becomes a clean 500 instead of half a page.
func (c *Console) write(w http.ResponseWriter, status int, name string, v *view) error {
	t, ok := c.pages[name]
	if !ok {
		c.log.Error("console: no template", "page", name)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return nil
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout.html", v); err != nil {
		c.log.Error("console: rendering a page", "page", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return nil
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	// Pages show a principal's data: no cache keeps them past the session.
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
	return nil
}

// fail answers a failure outside any page (the store unavailable while a session is read).
func (c *Console) fail(w http.ResponseWriter, r *http.Request, err error) {
	c.log.ErrorContext(r.Context(), "console request failed", "path", r.URL.Path, "err", err)
	_ = c.write(w, http.StatusInternalServerError, "error", &view{Title: "Internal failure",
		Data: &shownError{Code: "InternalFailure", Message: "The request processing has failed because of an unknown error, exception or failure.", Status: 500}})
}

// refuse answers a state change whose CSRF token or origin does not hold up.
func (c *Console) refuse(w http.ResponseWriter, r *http.Request, sess *storage.ConsoleSession, caller *reqctx.Caller, err error) {
	c.log.WarnContext(r.Context(), "console: state change refused", "path", r.URL.Path, "reason", err.Error(), "source_ip", reqctx.From(r.Context()).SourceIP)
	v := c.view(r, sess, caller, "Request refused")
	v.Data = &shownError{Code: "InvalidCSRFToken", Message: "The form was not sent by this console page or has expired; reload the page and try again.", Status: http.StatusForbidden}
	_ = c.write(w, http.StatusForbidden, "error", v)
}
