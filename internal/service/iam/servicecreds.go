package iam

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/iamd/iamd/internal/api/iamapi"
	"github.com/iamd/iamd/internal/ids"
	"github.com/iamd/iamd/internal/storage"
)

// Services that accept service-specific credentials ("Service-specific credentials for IAM users" in the
// IAM User Guide): CodeCommit's HTTPS Git credentials and Amazon Keyspaces' Cassandra credentials are a
// user name and password; Amazon Bedrock's long-term API keys are an alias and a secret, and alone may
// expire (CredentialAgeDays).
const (
	serviceCodeCommit = "codecommit.amazonaws.com"
	serviceKeyspaces  = "cassandra.amazonaws.com"
	serviceBedrock    = "bedrock.amazonaws.com"
)

var credentialServices = map[string]bool{serviceCodeCommit: true, serviceKeyspaces: true, serviceBedrock: true}

// Random bytes behind a generated password (44 base64 characters, as CodeCommit's) and a Bedrock API key.
const (
	servicePasswordBytes = 32
	bedrockKeyBytes      = 48
	bedrockKeyPrefix     = "ABSK"
)

// serviceCredData is what a service-specific credential keeps in its credential's Data. The password (or
// Bedrock secret) is sealed with the master key, bound to the credential's ID.
type serviceCredData struct {
	Service        string     `json:"service"`
	ServiceUser    string     `json:"serviceUser"`
	SecretSealed   []byte     `json:"secretSealed"`
	ExpirationDate *time.Time `json:"expirationDate,omitempty"`
}

func serviceCredAssociatedData(id string) []byte { return []byte("service-specific-credential:" + id) }

func noSuchServiceCredential(id string) error {
	return iamapi.NewNoSuchEntityException("No such credential " + id + " exists")
}

func serviceNotSupported(name string) error {
	return iamapi.NewServiceNotSupportedException("Service " + name + " is not supported for service-specific credentials.")
}

// newServiceSecret returns a fresh password, or for Bedrock an API key.
func newServiceSecret(service string) string {
	n := servicePasswordBytes
	if service == serviceBedrock {
		n = bedrockKeyBytes
	}
	raw := make([]byte, n)
	rand.Read(raw) // crypto/rand.Read never returns an error on supported platforms (Go 1.24+)
	secret := base64.StdEncoding.EncodeToString(raw)
	if service == serviceBedrock {
		return bedrockKeyPrefix + secret
	}
	return secret
}

func decodeServiceCred(c *storage.Credential) (*serviceCredData, error) {
	var d serviceCredData
	if err := json.Unmarshal(c.Data, &d); err != nil {
		return nil, fmt.Errorf("decoding service-specific credential %s: %w", c.ID, err)
	}
	return &d, nil
}

// serviceCredStatus is the status AWS reports: Expired once a credential's expiration date has passed.
func serviceCredStatus(c *storage.Credential, d *serviceCredData, now time.Time) string {
	if d.ExpirationDate != nil && !now.Before(*d.ExpirationDate) {
		return "Expired"
	}
	return string(c.Status)
}

// serviceCredOut renders a credential with its secret (creation and reset only).
func serviceCredOut(c *storage.Credential, d *serviceCredData, secret string, now time.Time) *iamapi.ServiceSpecificCredential {
	out := &iamapi.ServiceSpecificCredential{
		CreateDate:                  timePtr(c.CreatedAt),
		ExpirationDate:              d.ExpirationDate,
		ServiceName:                 ptr(d.Service),
		ServiceSpecificCredentialId: ptr(c.ID),
		UserName:                    ptr(c.UserName),
		Status:                      ptr(serviceCredStatus(c, d, now)),
	}
	if d.Service == serviceBedrock {
		out.ServiceCredentialAlias, out.ServiceCredentialSecret = ptr(d.ServiceUser), ptr(secret)
	} else {
		out.ServiceUserName, out.ServicePassword = ptr(d.ServiceUser), ptr(secret)
	}
	return out
}

func serviceCredMetadata(c *storage.Credential, d *serviceCredData, now time.Time) iamapi.ServiceSpecificCredentialMetadata {
	out := iamapi.ServiceSpecificCredentialMetadata{
		UserName:                    ptr(c.UserName),
		Status:                      ptr(serviceCredStatus(c, d, now)),
		CreateDate:                  timePtr(c.CreatedAt),
		ExpirationDate:              d.ExpirationDate,
		ServiceSpecificCredentialId: ptr(c.ID),
		ServiceName:                 ptr(d.Service),
	}
	if d.Service == serviceBedrock {
		out.ServiceCredentialAlias = ptr(d.ServiceUser)
	} else {
		out.ServiceUserName = ptr(d.ServiceUser)
	}
	return out
}

// sealServiceSecret seals a new secret for credential id into d.
func (s *Service) sealServiceSecret(d *serviceCredData, id string) (string, error) {
	if s.sealer == nil {
		return "", errors.New("no sealer configured for service-specific credentials")
	}
	secret := newServiceSecret(d.Service)
	sealed, err := s.sealer.Seal([]byte(secret), serviceCredAssociatedData(id))
	if err != nil {
		return "", fmt.Errorf("sealing service-specific credential: %w", err)
	}
	d.SecretSealed = sealed
	return secret, nil
}

// CreateServiceSpecificCredential creates a user name and password (for Bedrock an alias and API key) for
// a user and one service; the secret is returned now and on reset only, and stored sealed.
func (s *Service) CreateServiceSpecificCredential(ctx context.Context, in *iamapi.CreateServiceSpecificCredentialRequest) (*iamapi.CreateServiceSpecificCredentialResponse, error) {
	sc, err := s.scopeOf(ctx)
	if err != nil {
		return nil, err
	}
	service := str(in.ServiceName)
	if !credentialServices[service] {
		return nil, serviceNotSupported(service)
	}
	c := &storage.Credential{
		ID:        ids.NewUniqueID("ACCA"),
		AccountID: sc.account,
		Kind:      storage.CredentialServiceSpecific,
		Status:    storage.StatusActive,
		CreatedAt: s.keyCreatedAt(ctx, sc),
	}
	d := &serviceCredData{Service: service}
	if in.CredentialAgeDays != nil {
		if service != serviceBedrock {
			return nil, iamapi.NewInvalidInputException("CredentialAgeDays is only valid for Bedrock API keys.")
		}
		exp := sc.now.AddDate(0, 0, int(*in.CredentialAgeDays))
		d.ExpirationDate = &exp
	}
	secret, err := s.sealServiceSecret(d, c.ID)
	if err != nil {
		return nil, err
	}
	err = s.store.Update(ctx, func(tx storage.Tx) error {
		var err error
		if c.UserName, err = credentialUser(ctx, tx, sc.account, str(in.UserName)); err != nil {
			return err
		}
		have, err := tx.ListCredentials(ctx, sc.account, storage.CredentialServiceSpecific, c.UserName)
		if err != nil {
			return err
		}
		n := 0
		for _, h := range have {
			hd, err := decodeServiceCred(h)
			if err != nil {
				return err
			}
			if hd.Service == service {
				n++
			}
		}
		if n >= maxServiceSpecificCredentialsPerSvc {
			return iamapi.NewLimitExceededException("Cannot exceed quota for ServiceSpecificCredentialsPerUserPerService: " +
				strconv.Itoa(maxServiceSpecificCredentialsPerSvc))
		}
		d.ServiceUser = c.UserName + "-at-" + sc.account
		if c.Data, err = json.Marshal(d); err != nil {
			return err
		}
		return tx.CreateCredential(ctx, c)
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.CreateServiceSpecificCredentialResponse{ServiceSpecificCredential: serviceCredOut(c, d, secret, sc.now)}, nil
}

// ListServiceSpecificCredentials lists a user's (the caller's own when no user is named), or with AllUsers
// every user's, service-specific credentials, optionally of one service, without secrets.
func (s *Service) ListServiceSpecificCredentials(ctx context.Context, in *iamapi.ListServiceSpecificCredentialsRequest) (*iamapi.ListServiceSpecificCredentialsResponse, error) {
	sc, err := s.scopeOf(ctx)
	if err != nil {
		return nil, err
	}
	service := str(in.ServiceName)
	if service != "" && !credentialServices[service] {
		return nil, serviceNotSupported(service)
	}
	all := in.AllUsers != nil && *in.AllUsers
	if all && str(in.UserName) != "" {
		// The API reference: "This parameter cannot be specified together with UserName."
		return nil, iamapi.NewInvalidInputException("AllUsers cannot be specified together with UserName.")
	}
	owner := ""
	if !all {
		if owner, err = keyOwner(sc, in.UserName); err != nil {
			return nil, err
		}
	}
	var list []iamapi.ServiceSpecificCredentialMetadata
	add := func(cs []*storage.Credential) error {
		for _, c := range cs {
			d, err := decodeServiceCred(c)
			if err != nil {
				return err
			}
			if service == "" || d.Service == service {
				list = append(list, serviceCredMetadata(c, d, sc.now))
			}
		}
		return nil
	}
	err = s.store.View(ctx, func(tx storage.Tx) error {
		// fn may run more than once (storage.Store.View): it starts afresh each time.
		list = list[:0]
		if !all {
			user, err := credentialUser(ctx, tx, sc.account, owner)
			if err != nil {
				return err
			}
			cs, err := listUserCredentials(ctx, tx, sc.account, storage.CredentialServiceSpecific, user)
			if err != nil {
				return err
			}
			return add(cs)
		}
		// Every user's, in user name order, read a page of users at a time.
		after := ""
		for {
			users, err := tx.ListUsers(ctx, sc.account, storage.ListOptions{After: after, Limit: maxMaxItems})
			if err != nil {
				return err
			}
			for _, u := range users {
				cs, err := listUserCredentials(ctx, tx, sc.account, storage.CredentialServiceSpecific, u.Name)
				if err != nil {
					return err
				}
				if err := add(cs); err != nil {
					return err
				}
			}
			if len(users) < maxMaxItems {
				return nil
			}
			after = users[len(users)-1].Name
		}
	})
	if err != nil {
		return nil, err
	}
	list, truncated, marker, err := paginateSlice(list, in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	if list == nil {
		list = []iamapi.ServiceSpecificCredentialMetadata{}
	}
	return &iamapi.ListServiceSpecificCredentialsResponse{ServiceSpecificCredentials: list, IsTruncated: truncated, Marker: marker}, nil
}

// modifyServiceCredential runs fn on a service-specific credential of the addressed user (the caller when
// none is named) in one transaction.
func (s *Service) modifyServiceCredential(ctx context.Context, userName, id *string, fn func(tx storage.Tx, c *storage.Credential) error) error {
	return s.modifyUserCredential(ctx, storage.CredentialServiceSpecific, userName, str(id),
		func() error { return noSuchServiceCredential(str(id)) }, fn)
}

// ResetServiceSpecificCredential replaces a credential's password (or Bedrock secret) and returns it.
func (s *Service) ResetServiceSpecificCredential(ctx context.Context, in *iamapi.ResetServiceSpecificCredentialRequest) (*iamapi.ResetServiceSpecificCredentialResponse, error) {
	sc, err := s.scopeOf(ctx)
	if err != nil {
		return nil, err
	}
	var out *iamapi.ServiceSpecificCredential
	err = s.modifyServiceCredential(ctx, in.UserName, in.ServiceSpecificCredentialId, func(tx storage.Tx, c *storage.Credential) error {
		d, err := decodeServiceCred(c)
		if err != nil {
			return err
		}
		secret, err := s.sealServiceSecret(d, c.ID)
		if err != nil {
			return err
		}
		if c.Data, err = json.Marshal(d); err != nil {
			return err
		}
		out = serviceCredOut(c, d, secret, sc.now)
		return tx.UpdateCredential(ctx, c)
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.ResetServiceSpecificCredentialResponse{ServiceSpecificCredential: out}, nil
}

// UpdateServiceSpecificCredential activates or deactivates a service-specific credential.
func (s *Service) UpdateServiceSpecificCredential(ctx context.Context, in *iamapi.UpdateServiceSpecificCredentialRequest) (*iamapi.UpdateServiceSpecificCredentialOutput, error) {
	err := s.modifyServiceCredential(ctx, in.UserName, in.ServiceSpecificCredentialId, func(tx storage.Tx, c *storage.Credential) error {
		c.Status = storage.AccessKeyStatus(str(in.Status))
		return tx.UpdateCredential(ctx, c)
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.UpdateServiceSpecificCredentialOutput{}, nil
}

// DeleteServiceSpecificCredential deletes a service-specific credential.
func (s *Service) DeleteServiceSpecificCredential(ctx context.Context, in *iamapi.DeleteServiceSpecificCredentialRequest) (*iamapi.DeleteServiceSpecificCredentialOutput, error) {
	err := s.modifyServiceCredential(ctx, in.UserName, in.ServiceSpecificCredentialId, func(tx storage.Tx, c *storage.Credential) error {
		return tx.DeleteCredential(ctx, c.Kind, c.ID)
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.DeleteServiceSpecificCredentialOutput{}, nil
}
