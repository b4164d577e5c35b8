// Package admin holds the operations of iamd's admin API: the account settings AWS keeps in its console
// rather than in an API (STS regional activation). Like the AWS services it knows nothing of HTTP: the
// server reads, authenticates, authorizes, counts and logs its requests, and puts its answers on the wire.
package admin

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/iamd/iamd/internal/optin"
	"github.com/iamd/iamd/internal/protocol"
	"github.com/iamd/iamd/internal/regions"
	"github.com/iamd/iamd/internal/reqctx"
	"github.com/iamd/iamd/internal/storage"
)

// The admin API's operations, as IAM policies name them (iamd:GetSTSRegionStatus) for principals other
// than root.
const (
	OpGetSTSRegionStatus = "GetSTSRegionStatus"
	OpSetSTSRegionStatus = "SetSTSRegionStatus"
)

// GetSTSRegionStatusInput is GetSTSRegionStatus's input: it lists every region of the partition.
type GetSTSRegionStatusInput struct{}

// SetSTSRegionStatusInput is SetSTSRegionStatus's input: STS in Region becomes active or inactive.
type SetSTSRegionStatusInput struct {
	Region string
	Active bool
}

// STSRegionStatus is one region of the STS activation listing.
type STSRegionStatus struct {
	Region     string `json:"region"`
	Active     bool   `json:"active"`
	Togglable  bool   `json:"togglable"`
	OptIn      bool   `json:"optIn"`
	OptInState string `json:"optInStatus"`
	// Where the account's session tokens are accepted in the region now, by the authenticator's own rule
	// (optin.Accepted): a v1 and a v2 token of the global endpoint, and a token of the region's own STS
	// endpoint, which exists only where STS is active.
	AcceptsGlobalV1 bool `json:"acceptsGlobalV1"`
	AcceptsGlobalV2 bool `json:"acceptsGlobalV2"`
	AcceptsRegional bool `json:"acceptsRegional"`
}

// Options configure a Service.
type Options struct {
	Store  storage.Store
	Now    func() time.Time
	Logger *slog.Logger
}

// Service runs the admin API's operations on the account of the request's caller, in the partition of
// the endpoint the request reached.
type Service struct {
	store storage.Store
	now   func() time.Time
	log   *slog.Logger
}

// New returns a Service.
func New(o Options) *Service {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return &Service{store: o.Store, now: o.Now, log: o.Logger}
}

// STSRegions lists every region of the partition with whether STS is active there for the account.
func (s *Service) STSRegions(ctx context.Context) ([]STSRegionStatus, error) {
	req := reqctx.From(ctx)
	if req.Caller == nil {
		return nil, errors.New("admin: request has no authenticated caller")
	}
	p, ok := regions.Partition(req.Partition)
	if !ok {
		return nil, errors.New("admin: request has no partition")
	}
	var acct *storage.Account
	err := s.store.View(ctx, func(tx storage.Tx) error {
		var err error
		acct, err = tx.GetAccount(ctx, req.Caller.AccountID)
		return err
	})
	if err != nil {
		return nil, err
	}
	out := make([]STSRegionStatus, 0, len(p.Regions))
	for _, reg := range p.Regions {
		out = append(out, s.status(acct, reg))
	}
	return out, nil
}

// SetSTSRegion activates or deactivates STS in one region of the partition for the account.
func (s *Service) SetSTSRegion(ctx context.Context, name string, active bool) (*STSRegionStatus, error) {
	req := reqctx.From(ctx)
	if req.Caller == nil {
		return nil, errors.New("admin: request has no authenticated caller")
	}
	reg, found := regions.Lookup(name)
	if !found || reg.Partition != req.Partition {
		return nil, invalidRegion("unknown region " + name)
	}
	id := req.Caller.AccountID
	var acct *storage.Account
	err := s.store.Update(ctx, func(tx storage.Tx) error {
		var err error
		if acct, err = tx.GetAccount(ctx, id); err != nil {
			return err
		}
		if err := optin.SetSTSActive(acct, name, active); err != nil {
			return err
		}
		return tx.UpdateAccount(ctx, acct)
	})
	if errors.Is(err, optin.ErrNotTogglable) {
		msg := "STS is always active in " + name + " and cannot be deactivated."
		if reg.OptIn {
			msg = "STS in the opt-in region " + name + " is active exactly when the region is enabled (Account API EnableRegion/DisableRegion)."
		}
		return nil, invalidRegion(msg)
	}
	if err != nil {
		return nil, err
	}
	s.log.InfoContext(ctx, "STS regional activation changed", "account", id, "region", name, "active", active,
		"caller", req.Caller.ARN)
	st := s.status(acct, reg)
	return &st, nil
}

func (s *Service) status(acct *storage.Account, reg regions.Region) STSRegionStatus {
	now := s.now()
	active := optin.STSActive(acct, reg, now)
	return STSRegionStatus{Region: reg.Name, Active: active, Togglable: optin.STSTogglable(reg),
		OptIn: reg.OptIn, OptInState: string(optin.Status(acct, reg, now)),
		AcceptsGlobalV1: optin.Accepted(acct, reg, 1, now),
		AcceptsGlobalV2: optin.Accepted(acct, reg, 2, now),
		AcceptsRegional: active && optin.Accepted(acct, reg, optin.RegionalTokenVersion, now)}
}

func invalidRegion(msg string) error {
	return &protocol.Error{Code: "InvalidRegion", Status: http.StatusBadRequest, Message: msg}
}
