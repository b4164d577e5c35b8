package iam

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/iamd/iamd/internal/api/iamapi"
	"github.com/iamd/iamd/internal/ids"
	"github.com/iamd/iamd/internal/policy"
	"github.com/iamd/iamd/internal/protocol"
	"github.com/iamd/iamd/internal/storage"
)

// Delegation requests (temporary delegation): a partner account asks a customer for temporary access with
// CreateDelegationRequest; a customer identity claims it (AssociateDelegationRequest), may forward it to an
// administrator (UpdateDelegationRequest), accepts or rejects it, and releases the exchange token to the
// partner (SendDelegationToken). Each request is a storage.Resource of kind ResourceDelegationRequest named
// by its ID, held in the partner's account until associated and in the customer's afterwards; Data is a
// delegationRequest.
//
// States, as "Understanding the Request Lifecycle" describes them:
//
//	UNASSIGNED --Associate--> ASSIGNED --Update--> PENDING_APPROVAL --Accept--> ACCEPTED --Send--> FINALIZED
//	                          ASSIGNED --Accept--> ACCEPTED
//	ASSIGNED, PENDING_APPROVAL, ACCEPTED --Reject--> REJECTED
//	any state but FINALIZED --(its ExpirationTime passes)--> EXPIRED
//
// Expiry is computed on read (effectiveState), so no background task is needed and a stored state never
// contradicts the clock.

// Delegation request states (the model's stateType).
const (
	drUnassigned      = "UNASSIGNED"
	drAssigned        = "ASSIGNED"
	drPendingApproval = "PENDING_APPROVAL"
	drAccepted        = "ACCEPTED"
	drFinalized       = "FINALIZED"
	drRejected        = "REJECTED"
	drExpired         = "EXPIRED"
)

// delegationRequest is the Data of a delegation request resource.
type delegationRequest struct {
	RequestorID    string `json:"RequestorId"`
	OwnerAccountID string `json:"OwnerAccountId,omitempty"`
	OwnerID        string `json:"OwnerId,omitempty"`
	// OwnerPrincipalID is the unique ID of the owner (AIDA…, AROA…, the account ID for root): a user
	// deleted and created again under the same name has the owner's ARN but is not the owner.
	OwnerPrincipalID string `json:"OwnerPrincipalId,omitempty"`
	ApproverID       string `json:"ApproverId,omitempty"`
	// ApproverPrincipalID is the unique ID of the approver (AIDA…, AROA…, the account ID for root): the
	// delegated credentials stand for this principal, never for whoever holds ApproverID's name later.
	ApproverPrincipalID string `json:"ApproverPrincipalId,omitempty"`
	// Exchange is the exchange token SendDelegationToken released, sealed; nil before.
	Exchange            *delegationExchange `json:"Exchange,omitempty"`
	Description         string              `json:"Description"`
	RequestMessage      string              `json:"RequestMessage,omitempty"`
	TemplateARN         string              `json:"PolicyTemplateArn"`
	Parameters          []delegationParam   `json:"Parameters,omitempty"`
	PermissionPolicy    string              `json:"PermissionPolicy"`
	WorkflowID          string              `json:"RequestorWorkflowId"`
	RedirectURL         string              `json:"RedirectUrl,omitempty"`
	NotificationChannel string              `json:"NotificationChannel"`
	SessionDuration     int32               `json:"SessionDuration"`
	OnlySendByOwner     bool                `json:"OnlySendByOwner,omitempty"`
	State               string              `json:"State"`
	Notes               string              `json:"Notes,omitempty"`
	RejectionReason     string              `json:"RejectionReason,omitempty"`
	UpdatedAt           time.Time           `json:"UpdatedAt"`
	ExpiresAt           time.Time           `json:"ExpiresAt"`
}

type delegationParam struct {
	Name   string   `json:"Name"`
	Type   string   `json:"Type,omitempty"`
	Values []string `json:"Values"`
}

// effectiveState is the request's state at now: a request that is neither finalized nor already expired
// becomes EXPIRED once its expiration time passes.
func (d *delegationRequest) effectiveState(now time.Time) string {
	if d.State != drFinalized && !d.ExpiresAt.IsZero() && !now.Before(d.ExpiresAt) {
		return drExpired
	}
	return d.State
}

func noSuchDelegationRequest(id string) error {
	return iamapi.NewNoSuchEntityException("Delegation request " + id + " not found.")
}

// delegationStateError refuses a transition the request's state does not allow.
func delegationStateError(id, state, action string) error {
	return iamapi.NewInvalidInputException(fmt.Sprintf("Delegation request %s is in state %s and cannot be %s.", id, state, action))
}

// DelegationRequestARN is the ARN of a delegation request as the account acct sees it.
func DelegationRequestARN(partition, acct, id string) string {
	return ids.IAMARN(partition, acct, "delegation-request", "/", id)
}

// decodeDelegation reads a stored request.
func decodeDelegation(r *storage.Resource) (*delegationRequest, error) {
	var d delegationRequest
	if err := json.Unmarshal(r.Data, &d); err != nil {
		return nil, fmt.Errorf("decoding delegation request %s: %w", r.Name, err)
	}
	return &d, nil
}

// visibleTo says whether the caller's account may see a request: anyone while it names no owner account,
// then the owner account; the requesting partner keeps seeing its own requests (iamd's choice: AWS's
// documentation speaks only of the customer side).
func (d *delegationRequest) visibleTo(acct string) bool {
	return d.OwnerAccountID == "" || d.OwnerAccountID == acct || d.RequestorID == acct
}

// loadDelegation finds the request id names that the caller may see.
func loadDelegation(ctx context.Context, tx storage.Tx, sc scope, id string) (*storage.Resource, *delegationRequest, error) {
	r, err := tx.GetResourceByID(ctx, storage.ResourceDelegationRequest, id)
	if err != nil {
		return nil, nil, notFound(err, func() error { return noSuchDelegationRequest(id) })
	}
	d, err := decodeDelegation(r)
	if err != nil {
		return nil, nil, err
	}
	if !d.visibleTo(sc.account) {
		return nil, nil, noSuchDelegationRequest(id)
	}
	return r, d, nil
}

// saveDelegation writes d back, moving the resource to its owner account when that changed.
func saveDelegation(ctx context.Context, tx storage.Tx, r *storage.Resource, d *delegationRequest) error {
	data, err := json.Marshal(d)
	if err != nil {
		return err
	}
	if d.OwnerAccountID != "" && r.AccountID != d.OwnerAccountID {
		if err := tx.DeleteResource(ctx, r.AccountID, r.Kind, r.Name); err != nil {
			return err
		}
		moved := *r
		moved.AccountID, moved.Data = d.OwnerAccountID, data
		return tx.CreateResource(ctx, &moved)
	}
	r.Data = data
	return tx.UpdateResource(ctx, r.Name, r)
}

// transition runs one state change on the request id names, in one transaction: it checks that the
// caller can act on the request (the owner account's identities once it has an owner; while it has none,
// any account it is aimed at) and that the request is in one of the states from, then lets fn change it.
// verb names the change in the InvalidInput answer.
func (s *Service) transition(ctx context.Context, id, verb string, from []string, fn func(sc scope, d *delegationRequest) error) error {
	sc, err := s.scopeOf(ctx)
	if err != nil {
		return err
	}
	return s.store.Update(ctx, func(tx storage.Tx) error {
		r, d, err := loadDelegation(ctx, tx, sc, id)
		if err != nil {
			return err
		}
		if slices.Contains(from, drUnassigned) {
			if d.OwnerAccountID != "" && d.OwnerAccountID != sc.account {
				return noSuchDelegationRequest(id)
			}
		} else if err := d.ownerOnly(sc, id); err != nil {
			return err
		}
		if st := d.effectiveState(sc.now); !slices.Contains(from, st) {
			return delegationStateError(id, st, verb)
		}
		if err := fn(sc, d); err != nil {
			return err
		}
		d.UpdatedAt = sc.now
		return saveDelegation(ctx, tx, r, d)
	})
}

// ownerOnly refuses a caller outside the request's owner account: those operations act for the customer,
// and a request the account does not own is, to it, a request that does not exist.
func (d *delegationRequest) ownerOnly(sc scope, id string) error {
	if d.OwnerAccountID != sc.account || d.OwnerID == "" {
		return noSuchDelegationRequest(id)
	}
	return nil
}

func newDelegationID() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("delegation request ID: %w", err)
	}
	return "dr-" + hex.EncodeToString(b[:]), nil
}

// checkNotificationChannel accepts an SNS topic ARN, the only channel the reference allows.
func checkNotificationChannel(partition, ch string) error {
	a, err := ids.ParseARN(ch)
	if err != nil || a.Partition != partition || a.Service != "sns" || a.Region == "" || len(a.Account) != 12 || a.Resource == "" {
		return iamapi.NewInvalidInputException("NotificationChannel " + ch + " is not a valid SNS topic ARN.")
	}
	return nil
}

// CreateDelegationRequest files a request from the caller's (partner's) account. The permissions are a
// policy template: a managed policy the partner can read (its own customer managed policy or an AWS
// managed one) whose @{Name} placeholders the parameters fill (see fillTemplate).
func (s *Service) CreateDelegationRequest(ctx context.Context, in *iamapi.CreateDelegationRequestRequest) (*iamapi.CreateDelegationRequestResponse, error) {
	sc, err := s.scopeOf(ctx)
	if err != nil {
		return nil, err
	}
	if in.Permissions == nil || str(in.Permissions.PolicyTemplateArn) == "" {
		return nil, iamapi.NewInvalidInputException("Permissions must name a PolicyTemplateArn.")
	}
	if err := checkNotificationChannel(sc.partition, str(in.NotificationChannel)); err != nil {
		return nil, err
	}
	owner := str(in.OwnerAccountId)
	params, err := delegationParams(in.Permissions.Parameters)
	if err != nil {
		return nil, err
	}
	id, err := newDelegationID()
	if err != nil {
		return nil, err
	}
	d := &delegationRequest{
		RequestorID: sc.account, OwnerAccountID: owner, Description: str(in.Description),
		RequestMessage: str(in.RequestMessage), TemplateARN: str(in.Permissions.PolicyTemplateArn), Parameters: params,
		WorkflowID: str(in.RequestorWorkflowId), RedirectURL: str(in.RedirectUrl),
		NotificationChannel: str(in.NotificationChannel), State: drUnassigned,
		UpdatedAt: sc.now, ExpiresAt: sc.now.Add(delegationOpenLifetime),
	}
	if in.SessionDuration != nil {
		d.SessionDuration = *in.SessionDuration
	}
	if in.OnlySendByOwner != nil {
		d.OnlySendByOwner = *in.OnlySendByOwner
	}
	err = s.store.Update(ctx, func(tx storage.Tx) error {
		doc, err := s.templateDocument(ctx, tx, sc, d.TemplateARN)
		if err != nil {
			return err
		}
		if d.PermissionPolicy, err = fillTemplate(doc, params); err != nil {
			return err
		}
		if err := s.prunePartnerRequests(ctx, tx, sc, d.WorkflowID); err != nil {
			return err
		}
		data, err := json.Marshal(d)
		if err != nil {
			return err
		}
		return tx.CreateResource(ctx, &storage.Resource{AccountID: sc.account, Kind: storage.ResourceDelegationRequest,
			Name: id, Path: "/", ID: id, CreatedAt: sc.now, Data: data})
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.CreateDelegationRequestResponse{DelegationRequestId: &id, ConsoleDeepLink: ptr(consoleDeepLink(id))}, nil
}

// consoleDeepLink is where AWS sends the customer to review the request. iamd has no console; the link
// keeps AWS's shape so partner code that stores or forwards it works unchanged.
func consoleDeepLink(id string) string {
	return "https://console.aws.amazon.com/iam/home#/delegation/requests/" + id
}

// prunePartnerRequests scans the partner's unassigned requests: it removes the expired ones, refuses a
// workflow ID an open request already uses (EntityAlreadyExists, as the reference describes), and enforces
// maxUnassignedDelegationRequests.
func (s *Service) prunePartnerRequests(ctx context.Context, tx storage.Tx, sc scope, workflow string) error {
	n, after := 0, ""
	var expired []string
	for {
		list, err := tx.ListResources(ctx, sc.account, storage.ResourceDelegationRequest, storage.ListOptions{After: after, Limit: delegationListBatch})
		if err != nil {
			return err
		}
		for _, r := range list {
			d, err := decodeDelegation(r)
			if err != nil {
				return err
			}
			if d.effectiveState(sc.now) == drExpired {
				expired = append(expired, r.Name)
				continue
			}
			if d.WorkflowID == workflow {
				return iamapi.NewEntityAlreadyExistsException("A delegation request with RequestorWorkflowId " + workflow + " already exists.")
			}
			n++
		}
		if len(list) < delegationListBatch {
			break
		}
		after = list[len(list)-1].Name
	}
	if n >= maxUnassignedDelegationRequests {
		return iamapi.NewLimitExceededException(fmt.Sprintf("Cannot exceed quota for UnassignedDelegationRequestsPerAccount: %d", maxUnassignedDelegationRequests))
	}
	for _, name := range expired {
		if err := tx.DeleteResource(ctx, sc.account, storage.ResourceDelegationRequest, name); err != nil {
			return err
		}
	}
	return nil
}

// delegationParams checks the parameters: names unique, a string parameter has exactly one value.
func delegationParams(in []iamapi.PolicyParameter) ([]delegationParam, error) {
	out := make([]delegationParam, 0, len(in))
	for _, p := range in {
		name, typ := str(p.Name), str(p.Type)
		if name == "" {
			return nil, iamapi.NewInvalidInputException("A policy parameter must have a Name.")
		}
		if typ == "" {
			typ = iamapi.PolicyParameterTypeEnumString
		}
		if typ == iamapi.PolicyParameterTypeEnumString && len(p.Values) != 1 {
			return nil, iamapi.NewInvalidInputException("Policy parameter " + name + " of type string must have exactly one value.")
		}
		if slices.ContainsFunc(out, func(q delegationParam) bool { return q.Name == name }) {
			return nil, iamapi.NewInvalidInputException("Policy parameter " + name + " is given more than once.")
		}
		out = append(out, delegationParam{Name: name, Type: typ, Values: p.Values})
	}
	return out, nil
}

// templateDocument reads the policy document a template ARN names: an AWS managed policy or a customer
// managed policy of the partner's account.
func (s *Service) templateDocument(ctx context.Context, tx storage.Tx, sc scope, arn string) (string, error) {
	invalid := func(string) error {
		return iamapi.NewInvalidInputException("PolicyTemplateArn " + arn + " does not name a policy template.")
	}
	if _, _, _, _, err := splitPolicyARN(arn); err != nil {
		return "", invalid(arn)
	}
	ref, err := s.resolvePolicy(ctx, tx, sc, arn, invalid)
	if err != nil {
		return "", err
	}
	if ref.aws != nil {
		return ref.aws.Document, nil
	}
	v, err := tx.GetPolicyVersion(ctx, sc.account, ref.local.Name, ref.local.DefaultVersionID)
	if err != nil {
		return "", err
	}
	return v.Document, nil
}

// fillTemplate replaces the @{Name} placeholders of a template (the placeholder syntax of AWS RAM's
// permission templates, AWS's one published convention for parameterized policies). A string parameter's
// placeholder is replaced by its value inside any JSON string. A string holding a stringList parameter's
// placeholder becomes one string per value (inside a list they are spliced in), so the template stays a
// valid policy: "arn:aws:s3:::@{Buckets}" with Buckets [a b] becomes ["arn:aws:s3:::a","arn:aws:s3:::b"].
// Every parameter must be used and every placeholder filled, and the result must be a valid identity
// policy within the managed policy size quota.
func fillTemplate(doc string, params []delegationParam) (string, error) {
	var v any
	if err := json.Unmarshal([]byte(doc), &v); err != nil {
		return "", fmt.Errorf("policy template is not JSON: %w", err)
	}
	used := make([]bool, len(params))
	tooBig := false
	// expand returns the strings t becomes and whether a list parameter was used.
	expand := func(t string) ([]string, bool) {
		out, list := []string{t}, false
		for i, p := range params {
			ph := "@{" + p.Name + "}"
			if !strings.Contains(t, ph) {
				continue
			}
			used[i] = true
			if p.Type != iamapi.PolicyParameterTypeEnumStringList {
				for j := range out {
					out[j] = strings.ReplaceAll(out[j], ph, p.Values[0])
				}
				continue
			}
			list = true
			if len(out)*len(p.Values) > maxTemplateExpansion {
				tooBig = true
				return out, list
			}
			var next []string
			for _, o := range out {
				for _, val := range p.Values {
					next = append(next, strings.ReplaceAll(o, ph, val))
				}
			}
			out = next
		}
		return out, list
	}
	var walk func(x any) any
	walk = func(x any) any {
		switch t := x.(type) {
		case string:
			out, list := expand(t)
			if !list {
				return out[0]
			}
			l := make([]any, len(out))
			for i, s := range out {
				l[i] = s
			}
			return l
		case []any:
			out := make([]any, 0, len(t))
			for _, e := range t {
				if s, ok := e.(string); ok {
					xs, _ := expand(s)
					for _, x := range xs {
						out = append(out, x)
					}
					continue
				}
				out = append(out, walk(e))
			}
			return out
		case map[string]any:
			for k, e := range t {
				t[k] = walk(e)
			}
			return t
		}
		return x
	}
	v = walk(v)
	if tooBig {
		return "", iamapi.NewLimitExceededException(fmt.Sprintf("Cannot exceed quota for PolicySize: %d", maxManagedPolicySize))
	}
	for i, p := range params {
		if !used[i] {
			return "", iamapi.NewInvalidInputException("Policy parameter " + p.Name + " is not used by the policy template.")
		}
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	out := string(b)
	if i := strings.Index(out, "@{"); i >= 0 {
		end := strings.IndexByte(out[i:], '}')
		if end > 0 {
			return "", iamapi.NewInvalidInputException("Policy template parameter " + out[i+2:i+end] + " has no value.")
		}
	}
	if _, err := policy.Parse(out, policy.KindIdentity); err != nil {
		return "", iamapi.NewInvalidInputException("The policy template with these parameters is not a valid policy: " + err.Error())
	}
	if policySize(out) > maxManagedPolicySize {
		return "", iamapi.NewLimitExceededException(fmt.Sprintf("Cannot exceed quota for PolicySize: %d", maxManagedPolicySize))
	}
	return out, nil
}

// delegationOut renders a request as the caller sees it at now.
func delegationOut(id string, r *storage.Resource, d *delegationRequest, now time.Time) iamapi.DelegationRequest {
	opt := func(s string) *string {
		if s == "" {
			return nil
		}
		return &s
	}
	out := iamapi.DelegationRequest{
		DelegationRequestId: &id, OwnerAccountId: opt(d.OwnerAccountID), Description: &d.Description,
		RequestMessage: opt(d.RequestMessage), PermissionPolicy: &d.PermissionPolicy, OwnerId: opt(d.OwnerID),
		ApproverId: opt(d.ApproverID), State: ptr(d.effectiveState(now)), ExpirationTime: timePtr(d.ExpiresAt),
		RequestorId: &d.RequestorID, CreateDate: timePtr(r.CreatedAt), SessionDuration: &d.SessionDuration,
		RedirectUrl: opt(d.RedirectURL), Notes: opt(d.Notes), RejectionReason: opt(d.RejectionReason),
		OnlySendByOwner: &d.OnlySendByOwner, UpdatedTime: timePtr(d.UpdatedAt),
		RolePermissionRestrictionArns: []string{},
		Permissions:                   &iamapi.DelegationPermission{PolicyTemplateArn: &d.TemplateARN, Parameters: []iamapi.PolicyParameter{}},
	}
	for _, p := range d.Parameters {
		out.Permissions.Parameters = append(out.Permissions.Parameters, iamapi.PolicyParameter{Name: ptr(p.Name), Type: ptr(p.Type), Values: p.Values})
	}
	return out
}

// GetDelegationRequest returns a request the caller's account may see. DelegationPermissionCheck (an
// asynchronous, approximate check in AWS) is not run: the response carries no PermissionCheckStatus, which
// the reference allows ("does not guarantee an answer").
func (s *Service) GetDelegationRequest(ctx context.Context, in *iamapi.GetDelegationRequestRequest) (*iamapi.GetDelegationRequestResponse, error) {
	sc, err := s.scopeOf(ctx)
	if err != nil {
		return nil, err
	}
	id := str(in.DelegationRequestId)
	var out iamapi.DelegationRequest
	err = s.store.View(ctx, func(tx storage.Tx) error {
		r, d, err := loadDelegation(ctx, tx, sc, id)
		if err != nil {
			return err
		}
		out = delegationOut(id, r, d, sc.now)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.GetDelegationRequestResponse{DelegationRequest: &out}, nil
}

// ListDelegationRequests lists the requests owned in the caller's account (a request joins its owner
// account's list when a customer identity associates it), optionally only those of one owner, in ID order.
func (s *Service) ListDelegationRequests(ctx context.Context, in *iamapi.ListDelegationRequestsRequest) (*iamapi.ListDelegationRequestsResponse, error) {
	sc, err := s.scopeOf(ctx)
	if err != nil {
		return nil, err
	}
	pg, err := pageOf(in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	owner := str(in.OwnerId)
	var items []iamapi.DelegationRequest
	var last []string
	err = s.store.View(ctx, func(tx storage.Tx) error {
		items, last = []iamapi.DelegationRequest{}, nil
		after := pg.after
		for len(items) < pg.limit() {
			list, err := tx.ListResources(ctx, sc.account, storage.ResourceDelegationRequest, storage.ListOptions{After: after, Limit: delegationListBatch})
			if err != nil {
				return err
			}
			for _, r := range list {
				d, err := decodeDelegation(r)
				if err != nil {
					return err
				}
				if d.OwnerAccountID != sc.account || d.OwnerID == "" || (owner != "" && d.OwnerID != owner) {
					continue
				}
				items, last = append(items, delegationOut(r.Name, r, d, sc.now)), append(last, r.Name)
				if len(items) == pg.limit() {
					break
				}
			}
			if len(list) < delegationListBatch {
				break
			}
			after = list[len(list)-1].Name
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	i := 0
	page, truncated, marker := paginate(items, pg, func(iamapi.DelegationRequest) string { i++; return last[i-1] })
	return &iamapi.ListDelegationRequestsResponse{DelegationRequests: page, IsTruncated: truncated, Marker: marker}, nil
}

// AssociateDelegationRequest makes the caller the request's owner (and its account the owner account) and
// moves it to ASSIGNED. Only an UNASSIGNED request can be associated, and one aimed at an account only by
// an identity of that account (to any other it does not exist).
func (s *Service) AssociateDelegationRequest(ctx context.Context, in *iamapi.AssociateDelegationRequestRequest) (*iamapi.AssociateDelegationRequestOutput, error) {
	id := str(in.DelegationRequestId)
	err := s.transition(ctx, id, "associated", []string{drUnassigned}, func(sc scope, d *delegationRequest) error {
		d.OwnerAccountID, d.OwnerID, d.OwnerPrincipalID, d.State = sc.account, sc.caller.ARN, sc.caller.PrincipalID, drAssigned
		d.ExpiresAt = sc.now.Add(delegationOpenLifetime)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.AssociateDelegationRequestOutput{}, nil
}

// UpdateDelegationRequest adds notes and forwards the request for approval (PENDING_APPROVAL).
func (s *Service) UpdateDelegationRequest(ctx context.Context, in *iamapi.UpdateDelegationRequestRequest) (*iamapi.UpdateDelegationRequestOutput, error) {
	id := str(in.DelegationRequestId)
	err := s.transition(ctx, id, "updated", []string{drAssigned, drPendingApproval}, func(sc scope, d *delegationRequest) error {
		if in.Notes != nil {
			d.Notes = *in.Notes
		}
		d.State, d.ExpiresAt = drPendingApproval, sc.now.Add(delegationOpenLifetime)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.UpdateDelegationRequestOutput{}, nil
}

// AcceptDelegationRequest approves the request; the caller is recorded as the approver, the identity the
// delegated credential maps to.
func (s *Service) AcceptDelegationRequest(ctx context.Context, in *iamapi.AcceptDelegationRequestRequest) (*iamapi.AcceptDelegationRequestOutput, error) {
	id := str(in.DelegationRequestId)
	err := s.transition(ctx, id, "accepted", []string{drAssigned, drPendingApproval}, func(sc scope, d *delegationRequest) error {
		d.State, d.ApproverID, d.ApproverPrincipalID = drAccepted, sc.caller.ARN, sc.caller.PrincipalID
		d.ExpiresAt = sc.now.Add(delegationOpenLifetime)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.AcceptDelegationRequestOutput{}, nil
}

// RejectDelegationRequest rejects a request that is not yet finalized; it then expires after 7 days.
func (s *Service) RejectDelegationRequest(ctx context.Context, in *iamapi.RejectDelegationRequestRequest) (*iamapi.RejectDelegationRequestOutput, error) {
	id := str(in.DelegationRequestId)
	err := s.transition(ctx, id, "rejected", []string{drAssigned, drPendingApproval, drAccepted}, func(sc scope, d *delegationRequest) error {
		d.State, d.RejectionReason = drRejected, str(in.Notes)
		d.ExpiresAt = sc.now.Add(delegationRejectedLifetime)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.RejectDelegationRequestOutput{}, nil
}

// SendDelegationToken releases the exchange token of an ACCEPTED request: the request becomes FINALIZED
// (for good) and the delegation period, SessionDuration long, starts; the token is valid for that period
// and exchanges once (GetDelegatedAccessToken). With OnlySendByOwner, only the owner may send it. AWS
// delivers the token to the partner's SNS topic; iamd publishes to no SNS topic: it keeps the token sealed
// in the request, for the partner to collect (CollectDelegationToken), and never logs it.
func (s *Service) SendDelegationToken(ctx context.Context, in *iamapi.SendDelegationTokenRequest) (*iamapi.SendDelegationTokenOutput, error) {
	id := str(in.DelegationRequestId)
	if s.sealer == nil {
		return nil, errors.New("SendDelegationToken: no sealer to keep the exchange token")
	}
	var channel string
	err := s.transition(ctx, id, "finalized", []string{drAccepted}, func(sc scope, d *delegationRequest) error {
		if d.OnlySendByOwner && !d.isOwner(sc.caller.ARN, sc.caller.PrincipalID) {
			return protocol.NewError("AccessDenied", 403, "Only the owner %s of delegation request %s can send its delegation token.", d.OwnerID, id)
		}
		d.State, d.ExpiresAt = drFinalized, sc.now.Add(time.Duration(d.SessionDuration)*time.Second)
		x, err := newDelegationExchange(s.sealer, id)
		if err != nil {
			return err
		}
		d.Exchange = x
		channel = d.NotificationChannel
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.log.InfoContext(ctx, "delegation token released", "delegation_request", id, "notification_channel", channel)
	return &iamapi.SendDelegationTokenOutput{}, nil
}

// errNotDelegationARN: GetHumanReadableSummary supports delegation requests only.
var errNotDelegationARN = errors.New("not a delegation request ARN")

// delegationIDOf returns the ID in a delegation request ARN (of any account: the request is found by its
// ID, then checked for visibility like GetDelegationRequest).
func delegationIDOf(partition, arn string) (string, error) {
	a, err := ids.ParseARN(arn)
	if err != nil || a.Partition != partition || a.Service != "iam" || a.Region != "" {
		return "", errNotDelegationARN
	}
	id, ok := strings.CutPrefix(a.Resource, "delegation-request/")
	if !ok || id == "" || strings.ContainsRune(id, '/') {
		return "", errNotDelegationARN
	}
	return id, nil
}

// GetHumanReadableSummary summarizes a delegation request's permissions. AWS generates the text with a
// large language model; iamd renders it deterministically from the request's permission policy (see
// summarizeDelegation), in English only: any other locale answers NOT_SUPPORTED. The visibility rules are
// GetDelegationRequest's.
func (s *Service) GetHumanReadableSummary(ctx context.Context, in *iamapi.GetHumanReadableSummaryRequest) (*iamapi.GetHumanReadableSummaryResponse, error) {
	sc, err := s.scopeOf(ctx)
	if err != nil {
		return nil, err
	}
	arn := str(in.EntityArn)
	id, err := delegationIDOf(sc.partition, arn)
	if err != nil {
		return nil, iamapi.NewInvalidInputException("EntityArn " + arn + " is not supported: only delegation-request entities can be summarized.")
	}
	locale := str(in.Locale)
	if locale == "" {
		locale = "en-US"
	}
	var d *delegationRequest
	err = s.store.View(ctx, func(tx storage.Tx) error {
		_, d, err = loadDelegation(ctx, tx, sc, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	out := &iamapi.GetHumanReadableSummaryResponse{Locale: &locale}
	if !englishLocale(locale) {
		out.SummaryState, out.SummaryContent = ptr(iamapi.SummaryStateTypeNotSupported), ptr("")
		return out, nil
	}
	text, err := summarizeDelegation(d)
	if err != nil {
		out.SummaryState, out.SummaryContent = ptr(iamapi.SummaryStateTypeFailed), ptr("")
		return out, nil
	}
	out.SummaryState, out.SummaryContent = ptr(iamapi.SummaryStateTypeAvailable), &text
	return out, nil
}

func englishLocale(l string) bool {
	l = strings.ToLower(l)
	return l == "en" || strings.HasPrefix(l, "en-") || strings.HasPrefix(l, "en_")
}

// isOwner says whether a caller (its ARN and unique ID) is the request's owner.
func (d *delegationRequest) isOwner(arn, principalID string) bool {
	return d.OwnerID != "" && d.OwnerID == arn && d.OwnerPrincipalID == principalID
}

// DelegationOwner reads, for authorization, the owner account of a stored delegation request ("" while
// unassigned) and the ARN of its owner when the caller (arn, principalID) is that owner ("" otherwise).
func DelegationOwner(r *storage.Resource, arn, principalID string) (ownerAccount, owner string, err error) {
	d, err := decodeDelegation(r)
	if err != nil {
		return "", "", err
	}
	if d.isOwner(arn, principalID) {
		owner = d.OwnerID
	}
	return d.OwnerAccountID, owner, nil
}

// DelegationOwnerActions are the operations a request's owner may call on it without an identity policy
// allowing them ("Once a delegation request has an owner, that owner gets a default permission" to get
// and update it; iamd extends the default to what only the owner can sensibly do with a request it was
// handed: read its summary, reject it, and send the token of one accepted for it). Accepting still
// needs iam:AcceptDelegationRequest: it grants the partner the owner's permissions.
var DelegationOwnerActions = []string{
	"iam:GetDelegationRequest", "iam:UpdateDelegationRequest", "iam:GetHumanReadableSummary",
	"iam:RejectDelegationRequest", "iam:SendDelegationToken",
}
