package iam

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/iamd/iamd/internal/api/iamapi"
	"github.com/iamd/iamd/internal/ids"
	"github.com/iamd/iamd/internal/storage"
)

// The exchange token of a delegation request (temporary delegation: "Customer approves the request and
// releases an exchange token", which the partner exchanges for temporary credentials with
// GetDelegatedAccessToken). It is the request's ID and a 256-bit random secret, "ID.SECRET" with the
// secret in unpadded base64url. The request keeps the secret sealed with the master key, bound to the
// request's ID, so neither a database reader nor a row swapped from another request yields a usable token;
// the presented secret is compared in constant time. It exchanges once, until the end of the delegation
// period (SessionDuration from SendDelegationToken), and only for the partner (requestor) account.

// delegationExchange is the sealed exchange token of a finalized request.
type delegationExchange struct {
	Sealed     []byte    `json:"Sealed"`
	Redeemed   bool      `json:"Redeemed,omitempty"`
	RedeemedAt time.Time `json:"RedeemedAt,omitzero"`
}

// delegationTokenAAD binds a sealed secret to its request.
func delegationTokenAAD(id string) []byte { return []byte("iamd delegation exchange token\x00" + id) }

// newDelegationExchange makes a fresh secret for request id and seals it.
func newDelegationExchange(sealer Sealer, id string) (*delegationExchange, error) {
	secret := make([]byte, delegationSecretBytes)
	if _, err := rand.Read(secret); err != nil {
		return nil, fmt.Errorf("delegation exchange token: %w", err)
	}
	sealed, err := sealer.Seal(secret, delegationTokenAAD(id))
	if err != nil {
		return nil, fmt.Errorf("sealing the delegation exchange token: %w", err)
	}
	return &delegationExchange{Sealed: sealed}, nil
}

// secret opens the exchange token's secret of request id.
func (x *delegationExchange) secret(sealer Sealer, id string) ([]byte, error) {
	secret, err := sealer.Open(x.Sealed, delegationTokenAAD(id))
	if err != nil {
		return nil, fmt.Errorf("opening the exchange token of delegation request %s: %w", id, err)
	}
	return secret, nil
}

// openToken returns the exchange token of request id.
func (x *delegationExchange) openToken(sealer Sealer, id string) (string, error) {
	secret, err := x.secret(sealer, id)
	if err != nil {
		return "", err
	}
	return id + "." + base64.RawURLEncoding.EncodeToString(secret), nil
}

// Why a trade-in token is refused; GetDelegatedAccessToken answers each as AWS's API allows.
var (
	// ErrTradeInTokenInvalid: not a token iamd issued to the caller's account (malformed, unknown, a
	// wrong secret, another account's). One error for all, so a guesser learns nothing.
	ErrTradeInTokenInvalid = errors.New("the trade-in token is not valid")
	// ErrTradeInTokenExpired: a genuine token that can no longer be exchanged: already exchanged, past
	// the delegation period, or of a request that is no longer finalized.
	ErrTradeInTokenExpired = errors.New("the trade-in token has expired")
	// ErrDelegationApproverGone: the principal that approved the request no longer exists (a principal
	// created again under its name is another principal and inherits no approval), or is one whose
	// permissions a session policy cannot narrow (the root user).
	ErrDelegationApproverGone = errors.New("the approver of the delegation request cannot be delegated")
)

// DelegatedGrant is what an exchanged token grants: a session of the approver in the customer account,
// narrowed by the request's permission policy, until the end of the delegation period.
type DelegatedGrant struct {
	RequestID string
	Account   string
	// Role is set when the approver acted through a role session (the session is then one of that role);
	// otherwise the approver is the user.
	Role             *storage.Role
	User             *storage.User
	PermissionPolicy string
	Expires          time.Time
}

// RedeemDelegationToken exchanges a trade-in token presented by a caller of callerAccount at now, once:
// the token is marked used in the same transaction that checks it, after accept (which issues the
// credentials, and may refuse them: a policy too large to pack, STS deactivated) returned nil, so a
// refused exchange leaves the token unspent.
func (s *Service) RedeemDelegationToken(ctx context.Context, tok, callerAccount string, now time.Time, accept func(*DelegatedGrant) error) (*DelegatedGrant, error) {
	if s.sealer == nil {
		return nil, ErrTradeInTokenInvalid
	}
	id, presented, ok := parseDelegationToken(tok)
	if !ok {
		return nil, ErrTradeInTokenInvalid
	}
	var g *DelegatedGrant
	err := s.store.Update(ctx, func(tx storage.Tx) error {
		g = nil
		r, err := tx.GetResourceByID(ctx, storage.ResourceDelegationRequest, id)
		if errors.Is(err, storage.ErrNotFound) {
			return ErrTradeInTokenInvalid
		}
		if err != nil {
			return err
		}
		d, err := decodeDelegation(r)
		if err != nil {
			return err
		}
		if d.RequestorID != callerAccount || d.Exchange == nil {
			return ErrTradeInTokenInvalid
		}
		secret, err := d.Exchange.secret(s.sealer, id)
		if err != nil {
			return err
		}
		if subtle.ConstantTimeCompare(secret, presented) != 1 {
			return ErrTradeInTokenInvalid
		}
		if d.Exchange.Redeemed || d.effectiveState(now) != drFinalized || !now.Before(d.ExpiresAt) {
			return ErrTradeInTokenExpired
		}
		g = &DelegatedGrant{RequestID: id, Account: d.OwnerAccountID, PermissionPolicy: d.PermissionPolicy, Expires: d.ExpiresAt}
		if err := resolveApprover(ctx, tx, d, g); err != nil {
			return err
		}
		if err := accept(g); err != nil {
			return err
		}
		d.Exchange.Redeemed, d.Exchange.RedeemedAt = true, now
		return saveDelegation(ctx, tx, r, d)
	})
	if err != nil {
		return nil, err
	}
	return g, nil
}

// resolveApprover finds the approver by its unique ID, in the owner account.
func resolveApprover(ctx context.Context, tx storage.Tx, d *delegationRequest, g *DelegatedGrant) error {
	id := d.ApproverPrincipalID
	var err error
	switch {
	case strings.HasPrefix(id, ids.PrefixUser):
		g.User, err = tx.GetUserByID(ctx, id)
		if err == nil && g.User.AccountID != d.OwnerAccountID {
			return ErrDelegationApproverGone
		}
	case strings.HasPrefix(id, ids.PrefixRole):
		g.Role, err = tx.GetRoleByID(ctx, id)
		if err == nil && g.Role.AccountID != d.OwnerAccountID {
			return ErrDelegationApproverGone
		}
	default:
		// The root user (whose sessions no policy narrows) or a request approved before approvers were
		// recorded by ID.
		return ErrDelegationApproverGone
	}
	if errors.Is(err, storage.ErrNotFound) {
		return ErrDelegationApproverGone
	}
	return err
}

// parseDelegationToken splits "ID.SECRET".
func parseDelegationToken(tok string) (id string, secret []byte, ok bool) {
	if len(tok) > MaxDelegationTokenLen {
		return "", nil, false
	}
	id, enc, found := strings.Cut(tok, ".")
	if !found || !strings.HasPrefix(id, "dr-") {
		return "", nil, false
	}
	// Strict: one token has one spelling (no stray bits in the last character).
	secret, err := base64.RawURLEncoding.Strict().DecodeString(enc)
	if err != nil || len(secret) != delegationSecretBytes {
		return "", nil, false
	}
	return id, secret, true
}

// CollectDelegationToken hands the exchange token of a finalized request to its partner: iamd's stand-in
// for the SNS notification AWS sends. Only a caller of the requestor account gets it (to any other the
// request does not exist), until it is exchanged or the delegation period ends.
func (s *Service) CollectDelegationToken(ctx context.Context, id string) (string, error) {
	sc, err := s.scopeOf(ctx)
	if err != nil {
		return "", err
	}
	if s.sealer == nil {
		return "", errors.New("CollectDelegationToken: no sealer")
	}
	var tok string
	err = s.store.View(ctx, func(tx storage.Tx) error {
		r, err := tx.GetResourceByID(ctx, storage.ResourceDelegationRequest, id)
		if err != nil {
			return notFound(err, func() error { return noSuchDelegationRequest(id) })
		}
		d, err := decodeDelegation(r)
		if err != nil {
			return err
		}
		if d.RequestorID != sc.account {
			return noSuchDelegationRequest(id)
		}
		if d.Exchange == nil {
			return iamapi.NewInvalidInputException(fmt.Sprintf("Delegation request %s is in state %s: its exchange token has not been sent.", id, d.effectiveState(sc.now)))
		}
		if d.Exchange.Redeemed {
			return iamapi.NewInvalidInputException("The exchange token of delegation request " + id + " was already exchanged.")
		}
		if !sc.now.Before(d.ExpiresAt) {
			return iamapi.NewInvalidInputException("The delegation period of delegation request " + id + " has ended.")
		}
		tok, err = d.Exchange.openToken(s.sealer, id)
		return err
	})
	return tok, err
}
