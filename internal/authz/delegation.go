package authz

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/iamd/iamd/internal/api/iamapi"
	"github.com/iamd/iamd/internal/policy"
	"github.com/iamd/iamd/internal/reqctx"
	iamsvc "github.com/iamd/iamd/internal/service/iam"
	"github.com/iamd/iamd/internal/storage"
)

// delegationRequestID returns the delegation request an operation acts on; ok is false for other
// operations. GetHumanReadableSummary names it by ARN (arn:…:iam::ACCOUNT:delegation-request/ID).
func delegationRequestID(in any) (id string, ok bool) {
	switch x := in.(type) {
	case *iamapi.GetDelegationRequestRequest:
		return deref(x.DelegationRequestId), true
	case *iamapi.AssociateDelegationRequestRequest:
		return deref(x.DelegationRequestId), true
	case *iamapi.UpdateDelegationRequestRequest:
		return deref(x.DelegationRequestId), true
	case *iamapi.AcceptDelegationRequestRequest:
		return deref(x.DelegationRequestId), true
	case *iamapi.RejectDelegationRequestRequest:
		return deref(x.DelegationRequestId), true
	case *iamapi.SendDelegationTokenRequest:
		return deref(x.DelegationRequestId), true
	case *iamapi.GetHumanReadableSummaryRequest:
		_, id, _ := strings.Cut(deref(x.EntityArn), ":delegation-request/")
		return id, true
	}
	return "", false
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// delegationResource is the resource of an operation on a delegation request:
// arn:PARTITION:iam::ACCOUNT:delegation-request/ID, where ACCOUNT is the request's owner account, or the
// caller's while the request has none (it is the account the caller would claim it for). When the caller
// is the request's owner (its ARN and its unique ID: a namesake created later is not), the owner's default permissions (iamsvc.DelegationOwnerActions) come as a
// resource-based policy naming the owner, so an explicit Deny still wins. A request that does not exist
// is evaluated under the caller's account (the service answers NoSuchEntity). Delegation operations are
// rare, so this reads the store directly.
func (a *Authorizer) delegationResource(ctx context.Context, c *reqctx.Caller, p, id string, buf *ctxBuf) (string, error) {
	var r *storage.Resource
	err := a.o.Store.View(ctx, func(tx storage.Tx) error {
		var err error
		r, err = tx.GetResourceByID(ctx, storage.ResourceDelegationRequest, id)
		if isNotFound(err) {
			r, err = nil, nil
		}
		return err
	})
	if err != nil || r == nil || id == "" {
		return iamsvc.DelegationRequestARN(p, c.AccountID, id), err
	}
	ownerAcct, ownerID, err := iamsvc.DelegationOwner(r, c.ARN, c.PrincipalID)
	if err != nil {
		return "", err
	}
	acct := c.AccountID
	if ownerAcct != "" {
		acct = ownerAcct
	}
	arn := iamsvc.DelegationRequestARN(p, acct, id)
	if ownerID != "" {
		pol, err := ownerPolicy(ownerID, arn)
		if err != nil {
			return "", err
		}
		buf.resource = &policy.Attached{Policy: pol, ID: "delegation-request-owner", Source: policy.SourceResource}
	}
	return arn, nil
}

// ownerPolicy is the resource-based policy granting a request's owner its default permissions.
func ownerPolicy(owner, arn string) (*policy.Policy, error) {
	doc, err := json.Marshal(map[string]any{
		"Version": "2012-10-17",
		"Statement": []any{map[string]any{
			"Effect": "Allow", "Principal": map[string]string{"AWS": owner},
			"Action": iamsvc.DelegationOwnerActions, "Resource": arn,
		}},
	})
	if err != nil {
		return nil, err
	}
	return policy.ParseStored(string(doc), policy.KindResource)
}
