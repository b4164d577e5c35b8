package console

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"time"

	"github.com/iamd/iamd/internal/auth"
	"github.com/iamd/iamd/internal/reqctx"
	"github.com/iamd/iamd/internal/sigv4"
	"github.com/iamd/iamd/internal/storage"
)

// sessionCookie holds the session token; signInCookie the CSRF token of the sign-in form, before there
// is a session (double submit).
const (
	sessionCookie = "iamd_console"
	signInCookie  = "iamd_console_signin"
	csrfField     = "csrf"
)

// newToken returns tokenBytes random bytes, URL-safe.
func newToken() string {
	b := make([]byte, tokenBytes)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24)
	return base64.RawURLEncoding.EncodeToString(b)
}

// sessionID is the key a session is stored under: the token's SHA-256. A full-entropy token needs no
// slow hash; the store holding only this cannot sign anyone in.
func sessionID(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

func (c *Console) setCookie(w http.ResponseWriter, r *http.Request, name, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: value, Path: c.base, MaxAge: maxAge, HttpOnly: true,
		Secure: r.TLS != nil, SameSite: http.SameSiteStrictMode})
}

// session returns the request's session and the principal it acts as: nil for none, an expired one or
// one whose user is gone (then deleted), or one whose sign-in is not complete (its caller is nil, the
// session is returned).
func (c *Console) session(ctx context.Context, w http.ResponseWriter, r *http.Request) (*storage.ConsoleSession, *reqctx.Caller, error) {
	ck, err := r.Cookie(sessionCookie)
	if err != nil || len(ck.Value) > 2*tokenBytes {
		return nil, nil, nil
	}
	id := sessionID(ck.Value)
	var s *storage.ConsoleSession
	err = c.opts.Store.View(ctx, func(tx storage.Tx) error {
		var err error
		s, err = tx.GetConsoleSession(ctx, id)
		return err
	})
	if errors.Is(err, storage.ErrNotFound) {
		c.setCookie(w, r, sessionCookie, "", -1)
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("reading a console session: %w", err)
	}
	now := c.now()
	if now.After(s.ExpiresAt) || now.Sub(s.LastSeenAt) > sessionIdleTimeout {
		c.endSession(ctx, w, r, s)
		return nil, nil, nil
	}
	if s.Pending == pendingFederation {
		return nil, nil, nil // an unused sign-in token, which only Action=login takes
	}
	// A sign-in with a step still to do is checked as a complete one: a user deleted since the password
	// (or deleted and created again under the same name, another user) has no step left to take.
	caller, err := c.callerOf(ctx, s)
	if err != nil || caller == nil {
		if caller == nil && err == nil {
			c.endSession(ctx, w, r, s) // the user is gone
		}
		return nil, nil, err
	}
	if s.Pending != "" {
		return s, nil, nil
	}
	if now.Sub(s.LastSeenAt) >= lastSeenWriteEvery {
		s.LastSeenAt = now
		err := c.opts.Store.Update(ctx, func(tx storage.Tx) error { return tx.UpdateConsoleSession(ctx, s) })
		if err != nil && !errors.Is(err, storage.ErrNotFound) {
			c.log.WarnContext(ctx, "console: recording a session's use", "err", err)
		}
	}
	return s, caller, nil
}

// callerOf is the principal a complete session acts as, built as the authenticator builds the caller of
// the same principal's access keys; nil when the user was deleted since (or deleted and created again,
// another user under the same name).
func (c *Console) callerOf(ctx context.Context, s *storage.ConsoleSession) (*reqctx.Caller, error) {
	if s.SessionToken != "" {
		if c.opts.Sessions == nil {
			return nil, nil
		}
		caller, err := c.opts.Sessions.TokenCaller(ctx, s.SessionToken)
		var se *sigv4.Error
		if errors.As(err, &se) {
			return nil, nil // the credentials expired, their principal is gone or their key retired
		}
		return caller, err
	}
	if s.Root {
		c := auth.RootCaller(s.Partition, s.AccountID)
		c.Session = signInSession(s)
		return c, nil
	}
	var u *storage.User
	err := c.opts.Store.View(ctx, func(tx storage.Tx) error {
		var err error
		u, err = tx.GetUserByID(ctx, s.UserID)
		return err
	})
	if errors.Is(err, storage.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading the user of a console session: %w", err)
	}
	if u.AccountID != s.AccountID {
		return nil, nil
	}
	caller := auth.UserCaller(s.Partition, u)
	caller.Session = signInSession(s)
	return caller, nil
}

// signInIssuer names a password sign-in's session in the caller (reqctx.Session.Issuer): no STS
// operation issued it, and none of the session scope's rules for STS issuers applies to it.
const signInIssuer = "ConsoleSignIn"

// signInSession describes a password sign-in as the console's requests carry it into policy evaluation:
// AWS's console acts with temporary credentials, so aws:MultiFactorAuthPresent is present, true after an
// MFA code, with aws:MultiFactorAuthAge counted from the code's check, and aws:TokenIssueTime is the
// sign-in.
func signInSession(s *storage.ConsoleSession) *reqctx.Session {
	return &reqctx.Session{Issuer: signInIssuer, TokenVersion: 2, IssuedAt: s.CreatedAt, Expiration: s.ExpiresAt,
		MFA: s.MFA, MFAAuthTime: s.MFAAuthTime}
}

// startSession stores a new session (storeSession) and gives the browser its token. The session ends
// sessionMaxLifetime from now (signInStepTimeout with a step to do), or at s.ExpiresAt when that is set
// and earlier.
func (c *Console) startSession(ctx context.Context, w http.ResponseWriter, r *http.Request, s *storage.ConsoleSession) error {
	token := newToken()
	now := c.now()
	s.ID, s.CSRFToken = sessionID(token), newToken()
	end := now.Add(sessionMaxLifetime)
	if s.Pending != "" {
		end = now.Add(signInStepTimeout)
	}
	if s.ExpiresAt.IsZero() || end.Before(s.ExpiresAt) {
		s.ExpiresAt = end
	}
	s.CreatedAt, s.LastSeenAt = now, now
	if err := c.storeSession(ctx, s); err != nil {
		return err
	}
	c.setCookie(w, r, sessionCookie, token, 0)
	return nil
}

// storeSession stores a new session. The account's expired sessions, and its oldest ones past
// maxSessionsPerAccount, are ended in the same transaction.
func (c *Console) storeSession(ctx context.Context, s *storage.ConsoleSession) error {
	now := c.now()
	err := c.opts.Store.Update(ctx, func(tx storage.Tx) error {
		list, err := tx.ListConsoleSessions(ctx, s.AccountID)
		if err != nil {
			return err
		}
		live := len(list)
		for _, o := range list {
			expired := now.After(o.ExpiresAt) || now.Sub(o.LastSeenAt) > sessionIdleTimeout
			if !expired && live < maxSessionsPerAccount {
				continue
			}
			if err := tx.DeleteConsoleSession(ctx, o.ID); err != nil && !errors.Is(err, storage.ErrNotFound) {
				return err
			}
			live--
		}
		return tx.CreateConsoleSession(ctx, s)
	})
	if err != nil {
		return fmt.Errorf("storing a console session: %w", err)
	}
	return nil
}

// endSession deletes a session from the store (every node stops accepting it) and the browser's cookie.
func (c *Console) endSession(ctx context.Context, w http.ResponseWriter, r *http.Request, s *storage.ConsoleSession) {
	err := c.opts.Store.Update(ctx, func(tx storage.Tx) error { return tx.DeleteConsoleSession(ctx, s.ID) })
	if err != nil && !errors.Is(err, storage.ErrNotFound) {
		c.log.WarnContext(ctx, "console: ending a session", "err", err)
	}
	c.setCookie(w, r, sessionCookie, "", -1)
}

// checkChange vouches for a state change: the request comes from this console's origin and its form
// carries want, the session's (or the sign-in form's) CSRF token.
func (c *Console) checkChange(w http.ResponseWriter, r *http.Request, want string) error {
	if err := sameOrigin(r); err != nil {
		return err
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt == "multipart/form-data" {
		// A form with a file input (SAML metadata): its fields land in PostForm too. The body is
		// bounded above, and held in memory up to that same bound, so nothing spills to disk.
		if err := r.ParseMultipartForm(maxFormBytes); err != nil {
			return fmt.Errorf("reading the form: %w", err)
		}
	} else if err := r.ParseForm(); err != nil {
		return fmt.Errorf("reading the form: %w", err)
	}
	got := r.PostForm.Get(csrfField)
	if want == "" || subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
		return errors.New("CSRF token missing or wrong")
	}
	return nil
}

// sameOrigin refuses a request a browser sent from another site: the Origin header, else the
// Sec-Fetch-Site header, else the Referer must name this host. A request with none of them is refused
// too: every browser sends one of them with a form's POST.
func sameOrigin(r *http.Request) error {
	if o := r.Header.Get("Origin"); o != "" {
		u, err := url.Parse(o)
		if err != nil || u.Host != r.Host {
			return fmt.Errorf("cross-origin request from %q", o)
		}
		return nil
	}
	if s := r.Header.Get("Sec-Fetch-Site"); s != "" {
		if s != "same-origin" {
			return fmt.Errorf("cross-site request (Sec-Fetch-Site %q)", s)
		}
		return nil
	}
	if ref := r.Header.Get("Referer"); ref != "" {
		u, err := url.Parse(ref)
		if err != nil || u.Host != r.Host {
			return fmt.Errorf("cross-origin request (Referer %q)", ref)
		}
		return nil
	}
	return errors.New("request without Origin, Sec-Fetch-Site or Referer")
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func timeSeconds(n int) time.Duration { return time.Duration(n) * time.Second }
