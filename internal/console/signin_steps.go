package console

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/iamd/iamd/internal/api/iamapi"
	"github.com/iamd/iamd/internal/protocol"
	"github.com/iamd/iamd/internal/reqctx"
	"github.com/iamd/iamd/internal/storage"
)

// The sign-in steps after the password: the MFA code when the principal has an MFA device, then the
// password change a login profile's PasswordResetRequired forces. Until the last is done the session
// acts as nobody (session returns no caller for it), and it lasts signInStepTimeout.
const (
	stepMFA            = "mfa"
	stepPasswordChange = "password-change"
)

// stepPaths are the pages of the steps, under the console's root.
var stepPaths = map[string]string{stepMFA: "/signin/mfa", stepPasswordChange: "/signin/password"}

// stepForm is what a step's page shows.
type stepForm struct {
	Next, CSRF, Error string
	// Principal is whom the step signs in ("root" or the user name).
	Principal string
}

// nextStep sends the browser to the session's pending step, or to next once the sign-in is complete.
func (c *Console) nextStep(w http.ResponseWriter, r *http.Request, s *storage.ConsoleSession, next string) {
	if p, ok := stepPaths[s.Pending]; ok {
		http.Redirect(w, r, c.base+p+"?next="+url.QueryEscape(c.safeNext(next)), http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, c.safeNext(next), http.StatusSeeOther)
}

// pendingSession returns the request's session when its pending step is step; otherwise it sends the
// browser where it belongs (the sign-in page, or the step it is at) and returns nil.
func (c *Console) pendingSession(w http.ResponseWriter, r *http.Request, step string) *storage.ConsoleSession {
	s, caller, err := c.session(r.Context(), w, r)
	switch {
	case err != nil:
		c.fail(w, r, err)
		return nil
	case s == nil:
		http.Redirect(w, r, c.base+"/signin", http.StatusSeeOther)
		return nil
	case caller != nil || s.Pending != step:
		c.nextStep(w, r, s, r.URL.Query().Get("next"))
		return nil
	}
	return s
}

func principalName(s *storage.ConsoleSession) string {
	if s.Root {
		return "root"
	}
	return s.UserName
}

// stepPage shows the form of a step.
func (c *Console) stepPage(step string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		r = r.WithContext(c.requestContext(r))
		s := c.pendingSession(w, r, step)
		if s == nil {
			return
		}
		c.renderStep(w, http.StatusOK, s, &stepForm{Next: r.URL.Query().Get("next")})
	}
}

func (c *Console) renderStep(w http.ResponseWriter, status int, s *storage.ConsoleSession, f *stepForm) {
	f.CSRF, f.Principal = s.CSRFToken, principalName(s)
	name, title := "signin-mfa", "Multi-factor authentication"
	if s.Pending == stepPasswordChange {
		name, title = "signin-password", "Change your password"
	}
	_ = c.write(w, status, name, &view{Title: title, Data: f})
}

// stepRequest checks a step's POST (session at that step, CSRF token, origin) and returns its session,
// or nil after answering.
func (c *Console) stepRequest(w http.ResponseWriter, r *http.Request, step string) *storage.ConsoleSession {
	s := c.pendingSession(w, r, step)
	if s == nil {
		return nil
	}
	if err := c.checkChange(w, r, s.CSRFToken); err != nil {
		c.refuse(w, r, nil, nil, err)
		return nil
	}
	return s
}

// stepFailed counts a failed try of a step: past maxStepAttempts the session ends and the sign-in starts
// again from the password.
func (c *Console) stepFailed(w http.ResponseWriter, r *http.Request, s *storage.ConsoleSession, f *stepForm, status int) {
	ctx := r.Context()
	s.Attempts++
	c.log.WarnContext(ctx, "console sign-in step failed", "step", s.Pending, "account", s.AccountID, "user", principalName(s),
		"attempt", s.Attempts, "source_ip", reqctx.From(ctx).SourceIP)
	if s.Attempts >= maxStepAttempts {
		c.endSession(ctx, w, r, s)
		c.renderSignIn(w, r, http.StatusUnauthorized, &signInForm{Account: s.AccountID, Error: errSignIn})
		return
	}
	if err := c.opts.Store.Update(ctx, func(tx storage.Tx) error { return tx.UpdateConsoleSession(ctx, s) }); err != nil {
		c.fail(w, r, err)
		return
	}
	c.renderStep(w, status, s, f)
}

func (c *Console) mfaStep(w http.ResponseWriter, r *http.Request) {
	r = r.WithContext(c.requestContext(r))
	ctx := r.Context()
	s := c.stepRequest(w, r, stepMFA)
	if s == nil {
		return
	}
	f := &stepForm{Next: r.PostForm.Get("next")}
	code := r.PostForm.Get("code")
	user := s.UserName
	if s.Root {
		user = ""
	}
	ok := false
	for _, serial := range s.MFASerials {
		valid, err := c.opts.Passwords.VerifyMFACode(ctx, s.AccountID, user, serial, code)
		var ae protocol.APIError
		if errors.As(err, &ae) {
			f.Error = ae.ErrorMessage()
			c.stepFailed(w, r, s, f, http.StatusTooManyRequests)
			return
		}
		if err != nil {
			c.fail(w, r, err)
			return
		}
		if valid {
			ok = true
			break
		}
	}
	if !ok {
		f.Error = "The MFA code is not valid. Enter the current code from your MFA device."
		c.stepFailed(w, r, s, f, http.StatusUnauthorized)
		return
	}
	s.MFA, s.MFAAuthTime, s.MFASerials = true, c.now(), nil
	s.Pending = ""
	if s.PasswordChange {
		s.Pending = stepPasswordChange
	}
	c.advance(w, r, s, f.Next)
}

func (c *Console) passwordStep(w http.ResponseWriter, r *http.Request) {
	r = r.WithContext(c.requestContext(r))
	ctx := r.Context()
	s := c.stepRequest(w, r, stepPasswordChange)
	if s == nil {
		return
	}
	f := &stepForm{Next: r.PostForm.Get("next")}
	oldPw, newPw := r.PostForm.Get("old-password"), r.PostForm.Get("new-password")
	if newPw != r.PostForm.Get("confirm-password") {
		f.Error = "The new passwords do not match."
		c.renderStep(w, http.StatusBadRequest, s, f)
		return
	}
	caller, err := c.callerOf(ctx, s)
	if err != nil || caller == nil {
		if err == nil {
			err = errors.New("the user of the session is gone")
		}
		c.fail(w, r, err)
		return
	}
	// The change is the API's ChangePassword as the user: the account's password policy, the check of
	// the old password, its throttle and the user's permissions all apply as they do to the API.
	_, err = c.opts.Invoker.Invoke(ctx, caller, "iam", "ChangePassword",
		&iamapi.ChangePasswordRequest{OldPassword: &oldPw, NewPassword: &newPw})
	if err != nil {
		ae := protocol.AsAPIError(nil, err)
		if ae.HTTPStatus() >= 500 {
			c.fail(w, r, err)
			return
		}
		f.Error = ae.ErrorMessage()
		c.stepFailed(w, r, s, f, ae.HTTPStatus())
		return
	}
	s.Pending, s.PasswordChange = "", false
	c.advance(w, r, s, f.Next)
}

// advance stores a session that passed a step under a new token (the one the browser held before the
// step is worth nothing after it) and sends the browser on. A complete sign-in gets the full lifetime.
func (c *Console) advance(w http.ResponseWriter, r *http.Request, s *storage.ConsoleSession, next string) {
	ctx := r.Context()
	if err := c.rotate(ctx, w, r, s); err != nil {
		c.fail(w, r, err)
		return
	}
	if s.Pending == "" {
		c.log.InfoContext(ctx, "console sign-in", "account", s.AccountID, "user", principalName(s), "mfa", s.MFA,
			"source_ip", reqctx.From(ctx).SourceIP)
	}
	c.nextStep(w, r, s, next)
}

// rotate replaces the session's token (and CSRF token) in one transaction.
func (c *Console) rotate(ctx context.Context, w http.ResponseWriter, r *http.Request, s *storage.ConsoleSession) error {
	old := s.ID
	token, now := newToken(), c.now()
	s.ID, s.CSRFToken, s.Attempts, s.LastSeenAt = sessionID(token), newToken(), 0, now
	s.ExpiresAt = now.Add(signInStepTimeout)
	if s.Pending == "" {
		s.ExpiresAt = now.Add(sessionMaxLifetime)
	}
	err := c.opts.Store.Update(ctx, func(tx storage.Tx) error {
		if err := tx.DeleteConsoleSession(ctx, old); err != nil {
			return err // ErrNotFound: signed out meanwhile
		}
		return tx.CreateConsoleSession(ctx, s)
	})
	if err != nil {
		return fmt.Errorf("renewing a console session: %w", err)
	}
	c.setCookie(w, r, sessionCookie, token, 0)
	return nil
}
