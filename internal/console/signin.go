package console

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/iamd/iamd/internal/ids"
	"github.com/iamd/iamd/internal/protocol"
	"github.com/iamd/iamd/internal/regions"
	"github.com/iamd/iamd/internal/reqctx"
	"github.com/iamd/iamd/internal/service/iam"
	"github.com/iamd/iamd/internal/storage"
)

// errSignIn is what the AWS sign-in page says to a wrong account, user or password alike.
const errSignIn = "Your authentication information is incorrect. Please try again."

// errPasswordExpired is what the sign-in page says to a user whose password expired under a password
// policy with HardExpiry.
const errPasswordExpired = "Your password has expired and cannot be changed here. Ask your administrator to set a new one."

// signInForm is what the sign-in page shows.
type signInForm struct {
	Account, User, Next string
	// Root selects the root user's sign-in (no user name).
	Root  bool
	CSRF  string
	Error string
}

func (c *Console) routeSignIn() {
	c.mux.HandleFunc("GET "+c.base+"/signin", c.signInPage)
	c.mux.HandleFunc("POST "+c.base+"/signin", c.signIn)
	c.mux.HandleFunc("POST "+c.base+"/signout", c.signOut)
	c.mux.HandleFunc("GET "+c.base+"/signin/mfa", c.stepPage(stepMFA))
	c.mux.HandleFunc("POST "+c.base+"/signin/mfa", c.mfaStep)
	c.mux.HandleFunc("GET "+c.base+"/signin/password", c.stepPage(stepPasswordChange))
	c.mux.HandleFunc("POST "+c.base+"/signin/password", c.passwordStep)
}

// safeNext returns next when it is a path inside the console (where to go after signing in), else the
// console's root: the parameter must not send a signed-in browser to another site.
func (c *Console) safeNext(next string) string {
	if strings.HasPrefix(next, c.base+"/") && !strings.HasPrefix(next, "//") && !strings.ContainsAny(next, "\\\r\n") {
		return next
	}
	return c.base + "/"
}

func (c *Console) signInPage(w http.ResponseWriter, r *http.Request) {
	ctx := c.requestContext(r)
	if _, caller, err := c.session(ctx, w, r); err == nil && caller != nil {
		http.Redirect(w, r, c.safeNext(r.URL.Query().Get("next")), http.StatusSeeOther)
		return
	}
	c.renderSignIn(w, r, http.StatusOK, &signInForm{Account: r.URL.Query().Get("account"), Next: r.URL.Query().Get("next")})
}

// renderSignIn shows the sign-in form with a fresh CSRF token in its cookie and in the form.
func (c *Console) renderSignIn(w http.ResponseWriter, r *http.Request, status int, f *signInForm) {
	f.CSRF = newToken()
	c.setCookie(w, r, signInCookie, f.CSRF, int(signInStepTimeout.Seconds()))
	_ = c.write(w, status, "signin", &view{Title: "Sign in", Data: f})
}

func (c *Console) signIn(w http.ResponseWriter, r *http.Request) {
	ctx := c.requestContext(r)
	r = r.WithContext(ctx)
	want := ""
	if ck, err := r.Cookie(signInCookie); err == nil {
		want = ck.Value
	}
	if err := c.checkChange(w, r, want); err != nil {
		c.refuse(w, r, nil, nil, err)
		return
	}
	f := &signInForm{Account: strings.TrimSpace(r.PostForm.Get("account")), User: strings.TrimSpace(r.PostForm.Get("username")),
		Next: r.PostForm.Get("next"), Root: r.PostForm.Get("as") == "root"}
	password := r.PostForm.Get("password")
	acct, err := c.resolveAccount(ctx, f.Account)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	who := f.User
	if f.Root {
		who = "(root)"
	}
	// An unknown account is checked like a known one (the throttle, a password hash), so that neither
	// the answer nor its time tells accounts that exist from others.
	var login iam.ConsoleLogin
	partition := partitionOf(r)
	if f.Root {
		login, err = c.opts.Passwords.VerifyRootPassword(ctx, partition, acct, password)
	} else {
		login, err = c.opts.Passwords.VerifyConsolePassword(ctx, partition, acct, f.User, password)
	}
	var ae protocol.APIError
	switch {
	case errors.As(err, &ae):
		c.log.WarnContext(ctx, "console sign-in refused", "account", f.Account, "user", who, "reason", ae.ErrorCode(),
			"source_ip", reqctx.From(ctx).SourceIP)
		f.Error = ae.ErrorMessage()
		c.renderSignIn(w, r, http.StatusTooManyRequests, f)
		return
	case err != nil:
		c.fail(w, r, err)
		return
	case !login.OK || acct == "":
		c.log.WarnContext(ctx, "console sign-in failed", "account", f.Account, "user", who, "source_ip", reqctx.From(ctx).SourceIP)
		f.Error = errSignIn
		c.renderSignIn(w, r, http.StatusUnauthorized, f)
		return
	}
	if login.HardExpiry {
		// The password policy's HardExpiry: an expired password may not be changed here, only an
		// administrator can set a new one. The password was right, so say why.
		c.log.WarnContext(ctx, "console sign-in refused", "account", f.Account, "user", who, "reason", "PasswordExpired",
			"source_ip", reqctx.From(ctx).SourceIP)
		f.Error = errPasswordExpired
		c.renderSignIn(w, r, http.StatusForbidden, f)
		return
	}
	// An expired password (the policy's MaxPasswordAge) must be changed before anything else, as a
	// login profile's PasswordResetRequired makes it.
	s := &storage.ConsoleSession{AccountID: acct, Partition: partition, Root: f.Root, MFASerials: login.MFASerials,
		PasswordChange: login.PasswordResetRequired || login.PasswordExpired}
	if !f.Root {
		s.UserName, s.UserID = login.User.Name, login.User.ID
	}
	switch {
	case len(login.MFASerials) > 0:
		s.Pending = stepMFA
	case s.PasswordChange:
		s.Pending = stepPasswordChange
	}
	if err := c.startSession(ctx, w, r, s); err != nil {
		c.fail(w, r, err)
		return
	}
	c.setCookie(w, r, signInCookie, "", -1)
	c.log.InfoContext(ctx, "console password accepted", "account", acct, "user", who, "next_step", s.Pending,
		"source_ip", reqctx.From(ctx).SourceIP)
	c.nextStep(w, r, s, f.Next)
}

// defaultPartition is the partition of a sign-in whose host does not name one, as the API's requests
// (the server's default partition).
const defaultPartition = "aws"

// partitionOf is the partition a password sign-in's principal acts in: accounts are not partitioned in
// the store, so, as for an API request signed with a long-term key, the host the console was reached at
// decides (an AWS endpoint's host name, such as iam.cn-north-1.amazonaws.com.cn for aws-cn), else
// defaultPartition.
func partitionOf(r *http.Request) string {
	if h, ok := regions.ParseHost(r.Host); ok && h.Partition != "" {
		return h.Partition
	}
	return defaultPartition
}

// resolveAccount returns the account ID that in (an account ID or alias) names, "" when none does.
func (c *Console) resolveAccount(ctx context.Context, in string) (string, error) {
	if in == "" {
		return "", nil
	}
	var acct string
	err := c.opts.Store.View(ctx, func(tx storage.Tx) error {
		var (
			a   *storage.Account
			err error
		)
		if ids.IsAccountID(in) {
			a, err = tx.GetAccount(ctx, in)
		} else {
			a, err = tx.GetAccountByAlias(ctx, strings.ToLower(in))
		}
		if err == nil {
			acct = a.ID
		}
		return err
	})
	if errors.Is(err, storage.ErrNotFound) {
		return "", nil
	}
	return acct, err
}

func (c *Console) signOut(w http.ResponseWriter, r *http.Request) {
	ctx := c.requestContext(r)
	r = r.WithContext(ctx)
	sess, caller, err := c.session(ctx, w, r)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	if sess == nil {
		http.Redirect(w, r, c.base+"/signin", http.StatusSeeOther)
		return
	}
	if err := c.checkChange(w, r, sess.CSRFToken); err != nil {
		c.refuse(w, r, sess, caller, err)
		return
	}
	c.endSession(ctx, w, r, sess)
	c.log.InfoContext(ctx, "console sign-out", "account", sess.AccountID, "user", sess.UserName)
	http.Redirect(w, r, c.base+"/signin", http.StatusSeeOther)
}
