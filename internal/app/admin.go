package app

import (
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"

	"github.com/iamd/iamd/internal/auth"
	"github.com/iamd/iamd/internal/ids"
	"github.com/iamd/iamd/internal/optin"
	"github.com/iamd/iamd/internal/regions"
	"github.com/iamd/iamd/internal/reqctx"
	"github.com/iamd/iamd/internal/sigv4"
	"github.com/iamd/iamd/internal/storage"
)

// AdminSigningName is the service name admin requests are signed for (the credential scope's service).
const AdminSigningName = auth.AdminService

// Admin actions, as IAM policies name them for principals other than root.
const (
	adminActionGetSTSRegions = "iamd:GetSTSRegionStatus"
	adminActionSetSTSRegion  = "iamd:SetSTSRegionStatus"
)

// STSRegionStatus is one region of the STS activation listing.
type STSRegionStatus struct {
	Region     string `json:"region"`
	Active     bool   `json:"active"`
	Togglable  bool   `json:"togglable"`
	OptIn      bool   `json:"optIn"`
	OptInState string `json:"optInStatus"`
}

type admin struct{ a *App }

// NewAdmin serves the admin API under /iamd/admin/: what AWS keeps in its console. Requests are SigV4
// signed (service "iamd", any region) by the account's root, or by a principal whose policies allow the
// iamd:* admin actions; they act on the caller's account.
//
//	GET  /iamd/admin/sts-regions                   → [STSRegionStatus]
//	POST /iamd/admin/sts-regions/REGION/activate   → STSRegionStatus
//	POST /iamd/admin/sts-regions/REGION/deactivate → STSRegionStatus
func NewAdmin(a *App) http.Handler {
	ad := &admin{a: a}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /iamd/admin/sts-regions", ad.listSTSRegions)
	mux.HandleFunc("POST /iamd/admin/sts-regions/{region}/{action}", ad.setSTSRegion)
	return mux
}

type adminError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeAdminError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, adminError{code, msg})
}

// authenticate verifies the admin request's signature and puts the caller in the request context.
func (ad *admin) authenticate(w http.ResponseWriter, r *http.Request, action string) (*http.Request, bool) {
	body, err := readAll(r, 1<<16)
	if err != nil {
		writeAdminError(w, http.StatusBadRequest, "InvalidRequest", "request body too large")
		return nil, false
	}
	res, err := ad.a.Auth.Authenticate(r.Context(), r, body, auth.Endpoint{Service: AdminSigningName,
		Region: regions.GlobalRegion("aws"), Partition: "aws"})
	if err != nil {
		var se *sigv4.Error
		if errors.As(err, &se) {
			writeAdminError(w, se.HTTPStatus, se.Code, se.Message)
		} else {
			ad.a.Log.Error("admin authentication", "err", err)
			writeAdminError(w, http.StatusInternalServerError, "InternalFailure", "authentication failed")
		}
		return nil, false
	}
	// The same limits on temporary credentials as the AWS APIs: a federated user's or an MFA-less
	// GetSessionToken session cannot reach what only IAM may change.
	if err := auth.SessionScope(res.Caller, AdminSigningName, strings.TrimPrefix(action, AdminSigningName+":")); err != nil {
		var se *sigv4.Error
		if errors.As(err, &se) {
			writeAdminError(w, se.HTTPStatus, se.Code, se.Message)
		} else {
			writeAdminError(w, http.StatusForbidden, "AccessDenied", err.Error())
		}
		return nil, false
	}
	host, _, _ := net.SplitHostPort(r.RemoteAddr)
	req := &reqctx.Request{ID: ids.NewRequestID(), Service: AdminSigningName, Region: "us-east-1", Partition: "aws",
		Caller: res.Caller, SourceIP: host, UserAgent: r.UserAgent(), SecureTransport: r.TLS != nil}
	ctx := reqctx.With(r.Context(), req)
	ok, msg, err := ad.a.Authz.Decide(ctx, action, "arn:aws:iam::"+res.Caller.AccountID+":root")
	if err != nil {
		writeAdminError(w, http.StatusInternalServerError, "InternalFailure", "authorization failed")
		return nil, false
	}
	if !ok {
		writeAdminError(w, http.StatusForbidden, "AccessDenied", msg)
		return nil, false
	}
	return r.WithContext(ctx), true
}

func (ad *admin) account(r *http.Request) (*storage.Account, error) {
	var acct *storage.Account
	id := reqctx.From(r.Context()).Caller.AccountID
	err := ad.a.Store.View(r.Context(), func(tx storage.Tx) error {
		var err error
		acct, err = tx.GetAccount(r.Context(), id)
		return err
	})
	return acct, err
}

func (ad *admin) status(acct *storage.Account, reg regions.Region) STSRegionStatus {
	now := ad.a.Now()
	return STSRegionStatus{Region: reg.Name, Active: optin.STSActive(acct, reg, now), Togglable: optin.STSTogglable(reg),
		OptIn: reg.OptIn, OptInState: string(optin.Status(acct, reg, now))}
}

func (ad *admin) listSTSRegions(w http.ResponseWriter, r *http.Request) {
	r, ok := ad.authenticate(w, r, adminActionGetSTSRegions)
	if !ok {
		return
	}
	acct, err := ad.account(r)
	if err != nil {
		writeAdminError(w, http.StatusInternalServerError, "InternalFailure", "loading the account failed")
		return
	}
	p, _ := regions.Partition("aws")
	out := make([]STSRegionStatus, 0, len(p.Regions))
	for _, reg := range p.Regions {
		out = append(out, ad.status(acct, reg))
	}
	writeJSON(w, http.StatusOK, out)
}

func (ad *admin) setSTSRegion(w http.ResponseWriter, r *http.Request) {
	r, ok := ad.authenticate(w, r, adminActionSetSTSRegion)
	if !ok {
		return
	}
	var active bool
	switch r.PathValue("action") {
	case "activate":
		active = true
	case "deactivate":
	default:
		writeAdminError(w, http.StatusNotFound, "NotFound", "unknown action "+r.PathValue("action")+": use activate or deactivate")
		return
	}
	name := r.PathValue("region")
	reg, found := regions.Lookup(name)
	if !found {
		writeAdminError(w, http.StatusBadRequest, "InvalidRegion", "unknown region "+name)
		return
	}
	id := reqctx.From(r.Context()).Caller.AccountID
	var acct *storage.Account
	err := ad.a.Store.Update(r.Context(), func(tx storage.Tx) error {
		var err error
		if acct, err = tx.GetAccount(r.Context(), id); err != nil {
			return err
		}
		if err := optin.SetSTSActive(acct, name, active); err != nil {
			return err
		}
		return tx.UpdateAccount(r.Context(), acct)
	})
	switch {
	case errors.Is(err, optin.ErrNotTogglable):
		msg := "STS is always active in " + name + " and cannot be deactivated."
		if reg.OptIn {
			msg = "STS in the opt-in region " + name + " is active exactly when the region is enabled (Account API EnableRegion/DisableRegion)."
		}
		writeAdminError(w, http.StatusBadRequest, "InvalidRegion", msg)
		return
	case err != nil:
		ad.a.Log.Error("setting STS region status", "err", err)
		writeAdminError(w, http.StatusInternalServerError, "InternalFailure", "updating the account failed")
		return
	}
	ad.a.Log.Info("STS regional activation changed", "account", id, "region", name, "active", active,
		"caller", reqctx.From(r.Context()).Caller.ARN)
	writeJSON(w, http.StatusOK, ad.status(acct, reg))
}

func readAll(r *http.Request, limit int64) ([]byte, error) {
	if r.Body == nil {
		return nil, nil
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, errors.New("too large")
	}
	return b, nil
}
