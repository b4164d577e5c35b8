package sts

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/iamd/iamd/internal/api/stsapi"
	"github.com/iamd/iamd/internal/policy"
	"github.com/iamd/iamd/internal/protocol"
	"github.com/iamd/iamd/internal/reqctx"
	"github.com/iamd/iamd/internal/secrets"
)

// Encoded authorization-failure messages.
//
// Some AWS services answer a denied request with "Encoded authorization failure message: …", which only
// DecodeAuthorizationMessage can read (the details may name policies and condition values the caller
// should not see). IAM and STS themselves answer with plain messages, and so do iamd's IAM, STS and
// Account APIs: iamd emits no encoded message on its own APIs. EncodeAuthorizationMessage is the one
// encoder, for whatever component answers as those services do; DecodeAuthorizationMessage decodes what
// it produces and nothing else.
//
// A message is the decoded JSON sealed with the master key (internal/secrets, AES-256-GCM), bound to
// the account it was made for: it can be neither read nor forged without the API, and it decodes only
// for a caller of that account allowed sts:DecodeAuthorizationMessage (the authorizer checks the
// permission like any other action's).

// maxEncodedMessage is the model's bound on EncodedMessage (encodedMessageType, 10,240 characters):
// an encoded message never exceeds what DecodeAuthorizationMessage accepts.
const maxEncodedMessage = 10240

// authzMessageAD binds a sealed message to its account (and to this use of the master key).
func authzMessageAD(account string) []byte { return []byte("sts-authorization-message:" + account) }

// AuthorizationFailure is what an encoded message tells about a request that was evaluated.
type AuthorizationFailure struct {
	Account      string // the account whose callers may decode the message
	PrincipalID  string // the caller's user ID as GetCallerIdentity reports it (AIDA…, AROA…:session)
	PrincipalARN string // the caller's ARN as GetCallerIdentity reports it
	Action       string
	Resource     string
	Decision     *policy.Decision    // the evaluation's outcome and matched statements
	Conditions   map[string][]string // the request's condition keys and values
}

// decodedMessage is the DecodedMessage JSON, in the shape AWS documents for DecodeAuthorizationMessage:
// whether the request was allowed or explicitly denied, the statements that matched, and the request's
// context (principal, action, resource, condition keys).
type decodedMessage struct {
	Allowed           bool             `json:"allowed"`
	ExplicitDeny      bool             `json:"explicitDeny"`
	MatchedStatements items[statement] `json:"matchedStatements"`
	Failures          items[value]     `json:"failures"`
	Context           messageContext   `json:"context"`
}

type items[T any] struct {
	Items []T `json:"items"`
}

type value struct {
	Value string `json:"value"`
}

type statement struct {
	StatementID string `json:"statementId"`
	Effect      string `json:"effect"`
}

type messageContext struct {
	Principal  messagePrincipal `json:"principal"`
	Action     string           `json:"action"`
	Resource   string           `json:"resource"`
	Conditions items[condition] `json:"conditions"`
}

type messagePrincipal struct {
	ID  string `json:"id"`
	ARN string `json:"arn"`
}

type condition struct {
	Key    string       `json:"key"`
	Values items[value] `json:"values"`
}

// EncodeAuthorizationMessage returns the encoded message of f, sealed with sealer (the master key).
// Condition keys are dropped, last in key order first, if the message would not fit the API's bound.
func EncodeAuthorizationMessage(sealer *secrets.Sealer, f *AuthorizationFailure) (string, error) {
	m := decodedMessage{
		MatchedStatements: items[statement]{Items: []statement{}},
		Failures:          items[value]{Items: []value{}},
		Context: messageContext{
			Principal: messagePrincipal{ID: f.PrincipalID, ARN: f.PrincipalARN},
			Action:    f.Action, Resource: f.Resource,
			Conditions: items[condition]{Items: []condition{}},
		},
	}
	if d := f.Decision; d != nil {
		m.Allowed = d.Allowed()
		m.ExplicitDeny = d.Result == policy.ExplicitDeny
		for _, s := range d.Matched {
			effect := "ALLOW"
			if s.Effect == policy.Deny {
				effect = "DENY"
			}
			m.MatchedStatements.Items = append(m.MatchedStatements.Items, statement{StatementID: s.Sid, Effect: effect})
		}
	}
	keys := make([]string, 0, len(f.Conditions))
	for k := range f.Conditions {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		c := condition{Key: k, Values: items[value]{Items: []value{}}}
		for _, v := range f.Conditions[k] {
			c.Values.Items = append(c.Values.Items, value{Value: v})
		}
		m.Context.Conditions.Items = append(m.Context.Conditions.Items, c)
	}
	for {
		plain, err := json.Marshal(&m)
		if err != nil {
			return "", fmt.Errorf("encoding authorization message: %w", err)
		}
		sealed, err := sealer.Seal(plain, authzMessageAD(f.Account))
		if err != nil {
			return "", fmt.Errorf("sealing authorization message: %w", err)
		}
		enc := base64.RawURLEncoding.EncodeToString(sealed)
		if len(enc) <= maxEncodedMessage {
			return enc, nil
		}
		conds := m.Context.Conditions.Items
		if len(conds) == 0 {
			return "", errors.New("encoding authorization message: too large without condition keys")
		}
		m.Context.Conditions.Items = conds[:len(conds)-1]
	}
}

// errInvalidAuthorizationMessage answers every message iamd did not encode for the caller's account:
// garbage, a forged or altered message, or one of another account, alike.
func errInvalidAuthorizationMessage() error {
	return stsapi.NewInvalidAuthorizationMessageException("The encoded authorization message is not valid.")
}

// DecodeAuthorizationMessage returns the decoded form of a message iamd encoded for the caller's account.
// The authorizer has already checked sts:DecodeAuthorizationMessage.
func (s *Service) DecodeAuthorizationMessage(ctx context.Context, in *stsapi.DecodeAuthorizationMessageRequest) (*stsapi.DecodeAuthorizationMessageResponse, error) {
	c := reqctx.From(ctx).Caller
	if c == nil {
		return nil, errMissingCaller
	}
	if s.o.Sealer == nil {
		return nil, errInvalidAuthorizationMessage()
	}
	enc := protocol.ToString(in.EncodedMessage)
	// The decoder skips line breaks and strict decoding refuses other variants, so a message has one
	// spelling.
	if len(enc) > maxEncodedMessage || strings.ContainsAny(enc, "\r\n") {
		return nil, errInvalidAuthorizationMessage()
	}
	sealed, err := base64.RawURLEncoding.Strict().DecodeString(enc)
	if err != nil {
		return nil, errInvalidAuthorizationMessage()
	}
	plain, err := s.o.Sealer.Open(sealed, authzMessageAD(c.AccountID))
	if err != nil {
		return nil, errInvalidAuthorizationMessage()
	}
	msg := string(plain)
	return &stsapi.DecodeAuthorizationMessageResponse{DecodedMessage: &msg}, nil
}
