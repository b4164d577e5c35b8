// Package account implements the AWS Account API: the region operations (EnableRegion, DisableRegion,
// GetRegionOptStatus, ListRegions) over the opt-in rules of internal/optin, whose transitions take a
// configurable delay so clients see ENABLING and DISABLING as they do against AWS; the account's alternate
// contacts, contact information and name; and the primary e-mail address with its one-time-code update.
package account

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/iamd/iamd/internal/api/accountapi"
	"github.com/iamd/iamd/internal/optin"
	"github.com/iamd/iamd/internal/protocol"
	"github.com/iamd/iamd/internal/regions"
	"github.com/iamd/iamd/internal/reqctx"
	"github.com/iamd/iamd/internal/secrets"
	"github.com/iamd/iamd/internal/storage"
)

// Options configure the service.
type Options struct {
	Store storage.Store
	// TransitionDelay is how long a region stays ENABLING or DISABLING (0: immediate).
	TransitionDelay time.Duration
	Now             func() time.Time
	Logger          *slog.Logger
	// Sealer seals the one-time codes of primary e-mail updates at rest.
	Sealer *secrets.Sealer
	// Mailer delivers those codes; nil writes them to the log at warn instead.
	Mailer Mailer
}

// Service implements accountapi.Service.
type Service struct {
	accountapi.Unimplemented
	o Options
}

// New returns the Account service.
func New(o Options) *Service {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return &Service{o: o}
}

// Validation reasons of the Account API's ValidationException.
const (
	reasonInvalidRegionOptTarget = "invalidRegionOptTarget"
	reasonFieldValidationFailed  = "fieldValidationFailed"
)

// validation returns a ValidationException; field is named as the model's validation names members
// (lower camel case), so every fieldList of the API reads alike.
func validation(reason, msg string, field string) error {
	e := accountapi.NewValidationException(msg)
	e.Reason = protocol.String(reason)
	if field != "" {
		e.FieldList = []accountapi.ValidationExceptionField{{Name: protocol.String(field), Message: protocol.String(msg)}}
	}
	return e
}

// target returns the account an operation acts on. AccountId names a member account of an organization
// and is accepted from its management account only; iamd has no organizations, so only the caller's own
// account is accepted (AWS refuses it with AccessDenied for accounts the caller does not manage).
func target(ctx context.Context, accountID *string, action string) (string, error) {
	req := reqctx.From(ctx)
	c := req.Caller
	if c == nil {
		return "", accountapi.NewAccessDeniedException("Request is missing Authentication Token")
	}
	if accountID != nil && *accountID != c.AccountID {
		return "", accountapi.NewAccessDeniedException("User: " + c.ARN + " is not authorized to perform: account:" + action +
			" on resource: arn:" + partitionOf(req) + ":account::" + *accountID + ":account")
	}
	return c.AccountID, nil
}

func partitionOf(req *reqctx.Request) string {
	if req.Partition != "" {
		return req.Partition
	}
	return "aws"
}

func (s *Service) now(ctx context.Context) time.Time {
	if t := reqctx.From(ctx).Time; !t.IsZero() {
		return t
	}
	return s.o.Now()
}

// lookup resolves a region name of the caller's partition.
func lookup(ctx context.Context, name string) (regions.Region, error) {
	r, ok := regions.Lookup(name)
	if !ok || r.Partition != partitionOf(reqctx.From(ctx)) {
		return regions.Region{}, validation(reasonFieldValidationFailed, "Invalid region name: "+name, "RegionName")
	}
	return r, nil
}

// EnableRegion starts enabling an opt-in region.
func (s *Service) EnableRegion(ctx context.Context, in *accountapi.EnableRegionRequest) (*accountapi.EnableRegionOutput, error) {
	err := s.transition(ctx, in.AccountId, protocol.ToString(in.RegionName), "EnableRegion", optin.Enable)
	if err != nil {
		return nil, err
	}
	return &accountapi.EnableRegionOutput{}, nil
}

// DisableRegion starts disabling an opt-in region.
func (s *Service) DisableRegion(ctx context.Context, in *accountapi.DisableRegionRequest) (*accountapi.DisableRegionOutput, error) {
	err := s.transition(ctx, in.AccountId, protocol.ToString(in.RegionName), "DisableRegion", optin.Disable)
	if err != nil {
		return nil, err
	}
	return &accountapi.DisableRegionOutput{}, nil
}

func (s *Service) transition(ctx context.Context, accountID *string, name, action string,
	move func(*storage.Account, string, time.Time, time.Duration) error) error {
	acct, err := target(ctx, accountID, action)
	if err != nil {
		return err
	}
	if _, err := lookup(ctx, name); err != nil {
		return err
	}
	now := s.now(ctx)
	err = s.update(ctx, acct, action+" "+name, func(a *storage.Account) error {
		return move(a, name, now, s.o.TransitionDelay)
	})
	switch {
	case errors.Is(err, optin.ErrEnabledByDefault), errors.Is(err, optin.ErrInvalidTransition):
		return validation(reasonInvalidRegionOptTarget, "Unable to switch region status because of its current opt-in status.", "")
	case errors.Is(err, optin.ErrTransitionInProgress):
		return accountapi.NewConflictException("Unable to switch region status because of its current opt-in status.")
	}
	return err
}

// GetRegionOptStatus reports a region's opt-in status for the account.
func (s *Service) GetRegionOptStatus(ctx context.Context, in *accountapi.GetRegionOptStatusRequest) (*accountapi.GetRegionOptStatusResponse, error) {
	acct, err := target(ctx, in.AccountId, "GetRegionOptStatus")
	if err != nil {
		return nil, err
	}
	r, err := lookup(ctx, protocol.ToString(in.RegionName))
	if err != nil {
		return nil, err
	}
	a, err := s.account(ctx, acct)
	if err != nil {
		return nil, err
	}
	st := optin.Status(a, r, s.now(ctx))
	return &accountapi.GetRegionOptStatusResponse{RegionName: protocol.String(r.Name), RegionOptStatus: protocol.String(string(st))}, nil
}

// ListRegions lists the regions of the caller's partition with their opt-in status, filtered by status
// and paginated with an opaque NextToken.
func (s *Service) ListRegions(ctx context.Context, in *accountapi.ListRegionsRequest) (*accountapi.ListRegionsResponse, error) {
	acct, err := target(ctx, in.AccountId, "ListRegions")
	if err != nil {
		return nil, err
	}
	a, err := s.account(ctx, acct)
	if err != nil {
		return nil, err
	}
	start := 0
	if in.NextToken != nil {
		start, err = decodeToken(*in.NextToken)
		if err != nil {
			return nil, validation(reasonFieldValidationFailed, "The NextToken is not valid.", "NextToken")
		}
	}
	want := map[string]bool{}
	for _, st := range in.RegionOptStatusContains {
		want[st] = true
	}
	p, _ := regions.Partition(partitionOf(reqctx.From(ctx)))
	now := s.now(ctx)
	limit := len(p.Regions)
	if in.MaxResults != nil {
		limit = int(*in.MaxResults)
	}
	out := &accountapi.ListRegionsResponse{Regions: []accountapi.Region{}}
	for i := start; i < len(p.Regions); i++ {
		r := p.Regions[i]
		st := string(optin.Status(a, r, now))
		if len(want) > 0 && !want[st] {
			continue
		}
		if len(out.Regions) == limit {
			out.NextToken = protocol.String(encodeToken(i))
			break
		}
		out.Regions = append(out.Regions, accountapi.Region{RegionName: protocol.String(r.Name), RegionOptStatus: protocol.String(st)})
	}
	return out, nil
}

func (s *Service) account(ctx context.Context, id string) (*storage.Account, error) {
	var a *storage.Account
	err := s.o.Store.View(ctx, func(tx storage.Tx) error {
		var err error
		a, err = tx.GetAccount(ctx, id)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("loading account %s: %w", id, err)
	}
	return a, nil
}

// tokenPrefix makes NextToken values recognisable and keeps clients from treating them as numbers.
const tokenPrefix = "regions:"

func encodeToken(i int) string {
	return base64.RawURLEncoding.EncodeToString([]byte(tokenPrefix + strconv.Itoa(i)))
}

func decodeToken(t string) (int, error) {
	b, err := base64.RawURLEncoding.DecodeString(t)
	if err != nil || len(b) <= len(tokenPrefix) || string(b[:len(tokenPrefix)]) != tokenPrefix {
		return 0, errors.New("bad token")
	}
	i, err := strconv.Atoi(string(b[len(tokenPrefix):]))
	if err != nil || i < 0 {
		return 0, errors.New("bad token")
	}
	return i, nil
}
