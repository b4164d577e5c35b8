package console

import (
	"encoding/json"
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/iamd/iamd/internal/ids"
	"github.com/iamd/iamd/internal/reqctx"
	"github.com/iamd/iamd/internal/sigv4"
	"github.com/iamd/iamd/internal/storage"
	"github.com/iamd/iamd/internal/token"
)

// FederationPath is where the federation endpoint is served, as AWS serves it at
// https://signin.aws.amazon.com/federation: tools that open a console session from temporary
// credentials (aws-vault login and similar) ask it for a sign-in token (Action=getSigninToken with the
// credentials as JSON in Session), then send the browser to Action=login with that token.
const FederationPath = "/federation"

// pendingFederation marks the stored record of an unused sign-in token: it signs nobody in until
// Action=login exchanges it, once, for a console session of its own.
const pendingFederation = "federation"

func (c *Console) federation(w http.ResponseWriter, r *http.Request) {
	r = r.WithContext(c.requestContext(r))
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		w.Header().Set("Allow", "GET, POST")
		federationError(w, http.StatusMethodNotAllowed, "Use GET or POST.")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		federationError(w, http.StatusBadRequest, "The request could not be read.")
		return
	}
	switch r.Form.Get("Action") {
	case "getSigninToken":
		c.getSigninToken(w, r)
	case "login":
		c.federationLogin(w, r)
	default:
		federationError(w, http.StatusBadRequest, "Action must be getSigninToken or login.")
	}
}

func federationError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(msg + "\n"))
}

// getSigninToken exchanges temporary credentials for a sign-in token. Only credentials of a role
// session (AssumeRole*) or of a federated user (GetFederationToken) are accepted, as AWS accepts them;
// SessionDuration (900 to 43200 seconds, one hour by default) is for role sessions only. The console
// session never outlives the credentials.
func (c *Console) getSigninToken(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	raw := r.Form.Get("Session")
	if raw == "" || len(raw) > maxSessionParam {
		federationError(w, http.StatusBadRequest, "Session must hold the temporary credentials as JSON.")
		return
	}
	var creds struct {
		SessionID    string `json:"sessionId"`
		SessionKey   string `json:"sessionKey"`
		SessionToken string `json:"sessionToken"`
	}
	if err := json.Unmarshal([]byte(raw), &creds); err != nil || creds.SessionID == "" || creds.SessionKey == "" || creds.SessionToken == "" {
		federationError(w, http.StatusBadRequest, "Session must hold sessionId, sessionKey and sessionToken.")
		return
	}
	if !strings.HasPrefix(creds.SessionID, ids.PrefixTemporaryAccessKey) {
		federationError(w, http.StatusBadRequest, "The federation endpoint accepts temporary credentials only.")
		return
	}
	claims, err := c.opts.Sessions.SessionCredentials(ctx, creds.SessionID, creds.SessionKey, creds.SessionToken)
	var se *sigv4.Error
	if errors.As(err, &se) {
		c.log.WarnContext(ctx, "console federation: credentials refused", "access_key_id", creds.SessionID, "reason", se.Code,
			"source_ip", reqctx.From(ctx).SourceIP)
		federationError(w, http.StatusBadRequest, "The credentials are not valid: "+se.Message)
		return
	}
	if err != nil {
		c.log.ErrorContext(ctx, "console federation", "err", err)
		federationError(w, http.StatusInternalServerError, "Internal failure.")
		return
	}
	seconds := 0
	d := r.Form.Get("SessionDuration")
	switch claims.Kind {
	case token.KindAssumedRole:
		seconds = defaultFederatedSession
		if d != "" {
			n, err := strconv.Atoi(d)
			if err != nil || n < minFederatedSession || n > maxFederatedSession {
				federationError(w, http.StatusBadRequest, "SessionDuration must be 900 to 43200 seconds.")
				return
			}
			seconds = n
		}
	case token.KindFederatedUser:
		if d != "" {
			federationError(w, http.StatusBadRequest, "SessionDuration is not allowed with GetFederationToken credentials: the console session lasts as long as they do.")
			return
		}
	default:
		federationError(w, http.StatusBadRequest, "The federation endpoint accepts credentials of AssumeRole* and GetFederationToken only.")
		return
	}
	signin := newToken()
	now := c.now()
	s := &storage.ConsoleSession{ID: sessionID(signin), AccountID: claims.AccountID, Partition: claims.Partition,
		Pending: pendingFederation, SessionToken: creds.SessionToken, SessionSeconds: seconds,
		CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(signinTokenLifetime)}
	if err := c.storeSession(ctx, s); err != nil {
		c.log.ErrorContext(ctx, "console federation", "err", err)
		federationError(w, http.StatusInternalServerError, "Internal failure.")
		return
	}
	c.log.InfoContext(ctx, "console federation: sign-in token issued", "account", claims.AccountID,
		"access_key_id", creds.SessionID, "source_ip", reqctx.From(ctx).SourceIP)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(struct{ SigninToken string }{signin})
}

// federationLogin exchanges a sign-in token, once, for a console session, and sends the browser to
// Destination when it is a page of this console (the console's root otherwise: the parameter must not
// make this host an open redirect).
func (c *Console) federationLogin(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	signin := r.Form.Get("SigninToken")
	if signin == "" || len(signin) > 2*tokenBytes {
		federationError(w, http.StatusBadRequest, "SigninToken is missing or malformed.")
		return
	}
	var pending *storage.ConsoleSession
	err := c.opts.Store.Update(ctx, func(tx storage.Tx) error {
		var err error
		if pending, err = tx.GetConsoleSession(ctx, sessionID(signin)); err != nil {
			return err
		}
		return tx.DeleteConsoleSession(ctx, pending.ID) // a sign-in token signs in once
	})
	now := c.now()
	if errors.Is(err, storage.ErrNotFound) || err == nil && (pending.Pending != pendingFederation || now.After(pending.ExpiresAt)) {
		c.log.WarnContext(ctx, "console federation: sign-in token refused", "source_ip", reqctx.From(ctx).SourceIP)
		federationError(w, http.StatusBadRequest, "The sign-in token is not valid or has expired; get a new one.")
		return
	}
	if err != nil {
		c.fail(w, r, err)
		return
	}
	caller, err := c.opts.Sessions.TokenCaller(ctx, pending.SessionToken)
	var se *sigv4.Error
	if errors.As(err, &se) {
		federationError(w, http.StatusBadRequest, "The credentials behind the sign-in token are no longer valid: "+se.Message)
		return
	}
	if err != nil {
		c.fail(w, r, err)
		return
	}
	// The console session never outlives the credentials, nor the SessionDuration asked for.
	end := caller.Session.Expiration
	if pending.SessionSeconds > 0 {
		end = minTime(end, now.Add(timeSeconds(pending.SessionSeconds)))
	}
	s := &storage.ConsoleSession{AccountID: pending.AccountID, Partition: pending.Partition, SessionToken: pending.SessionToken,
		ExpiresAt: end}
	if err := c.startSession(ctx, w, r, s); err != nil {
		c.fail(w, r, err)
		return
	}
	c.log.InfoContext(ctx, "console sign-in by federation", "account", s.AccountID, "principal", caller.ARN,
		"source_ip", reqctx.From(ctx).SourceIP)
	dest := c.destination(r, r.Form.Get("Destination"))
	// A page that moves on by itself rather than a redirect: the browser then sends the SameSite=Strict
	// cookie to the console even when a link on another site opened this URL.
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
	h.Set("X-Frame-Options", "DENY")
	_ = federationPage.Execute(w, dest)
}

var federationPage = template.Must(template.New("federation").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="0; url={{.}}">
<title>Signing in · iamd console</title></head>
<body><p>Signed in. <a id="continue" href="{{.}}">Continue to the console</a>.</p></body></html>
`))

// destination returns the console page that dest names (a path under the console, or a URL of this host
// with such a path), or the console's root.
func (c *Console) destination(r *http.Request, dest string) string {
	u, err := url.Parse(dest)
	if err != nil || dest == "" {
		return c.base + "/"
	}
	if u.IsAbs() && u.Host != r.Host || u.User != nil || u.Opaque != "" {
		return c.base + "/"
	}
	p := u.EscapedPath()
	if u.RawQuery != "" {
		p += "?" + u.RawQuery
	}
	return c.safeNext(p)
}
