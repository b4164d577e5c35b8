package iam

import (
	"context"
	"crypto/sha256"
	"encoding/base32"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/iamd/iamd/internal/api/iamapi"
	"github.com/iamd/iamd/internal/storage"
)

// signingCertData is what a signing certificate keeps in its credential's Data (public material only).
type signingCertData struct {
	Body string `json:"body"`
}

func noSuchSigningCertificate(id string) error {
	return iamapi.NewNoSuchEntityException("The Certificate with id " + id + " cannot be found.")
}

// signingCertificateID is a certificate's ID: derived from the account and the certificate's DER bytes,
// so the same certificate uploaded twice in an account collides in the store (AWS's
// DuplicateCertificate: "the same certificate is associated with an IAM user in the account") without a
// scan of every user's certificates. 32 characters of A-Z2-7, as AWS's IDs look.
func signingCertificateID(account string, der []byte) string {
	h := sha256.New()
	h.Write([]byte(account))
	h.Write([]byte{0})
	h.Write(der)
	return base32.StdEncoding.EncodeToString(h.Sum(nil))[:32]
}

func signingCertOut(c *storage.Credential) (iamapi.SigningCertificate, error) {
	var d signingCertData
	if err := json.Unmarshal(c.Data, &d); err != nil {
		return iamapi.SigningCertificate{}, fmt.Errorf("decoding signing certificate %s: %w", c.ID, err)
	}
	out := iamapi.SigningCertificate{
		CertificateId:   ptr(c.ID),
		CertificateBody: ptr(d.Body),
		Status:          ptr(string(c.Status)),
		UploadDate:      timePtr(c.CreatedAt),
	}
	if c.UserName != "" {
		out.UserName = ptr(c.UserName)
	}
	return out, nil
}

// UploadSigningCertificate adds an X.509 signing certificate to a user or, called by root without a user
// name, to the root user.
func (s *Service) UploadSigningCertificate(ctx context.Context, in *iamapi.UploadSigningCertificateRequest) (*iamapi.UploadSigningCertificateResponse, error) {
	sc, err := s.scopeOf(ctx)
	if err != nil {
		return nil, err
	}
	owner, err := keyOwner(sc, in.UserName)
	if err != nil {
		return nil, err
	}
	cert, err := parseCertificatePEM(str(in.CertificateBody))
	if err != nil {
		return nil, err
	}
	if msg := validityProblem(cert, sc.now); msg != "" {
		return nil, iamapi.NewInvalidCertificateException(msg)
	}
	data, err := json.Marshal(signingCertData{Body: str(in.CertificateBody)})
	if err != nil {
		return nil, err
	}
	c := &storage.Credential{
		ID:        signingCertificateID(sc.account, cert.Raw),
		AccountID: sc.account,
		Kind:      storage.CredentialSigningCertificate,
		Status:    storage.StatusActive,
		CreatedAt: s.keyCreatedAt(ctx, sc),
		Data:      data,
	}
	err = s.store.Update(ctx, func(tx storage.Tx) error {
		if c.UserName, err = credentialUser(ctx, tx, sc.account, owner); err != nil {
			return err
		}
		have, err := tx.ListCredentials(ctx, sc.account, storage.CredentialSigningCertificate, c.UserName)
		if err != nil {
			return err
		}
		if len(have) >= maxSigningCertificatesPerUser {
			return iamapi.NewLimitExceededException("Cannot exceed quota for CertificatesPerUser: " + strconv.Itoa(maxSigningCertificatesPerUser))
		}
		err = tx.CreateCredential(ctx, c)
		if errors.Is(err, storage.ErrAlreadyExists) {
			return iamapi.NewDuplicateCertificateException("The same certificate is associated with an IAM user in the account.")
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	out, err := signingCertOut(c)
	if err != nil {
		return nil, err
	}
	return &iamapi.UploadSigningCertificateResponse{Certificate: &out}, nil
}

// ListSigningCertificates lists a user's (or root's) signing certificates, oldest first.
func (s *Service) ListSigningCertificates(ctx context.Context, in *iamapi.ListSigningCertificatesRequest) (*iamapi.ListSigningCertificatesResponse, error) {
	_, cs, err := s.listOwnCredentials(ctx, storage.CredentialSigningCertificate, in.UserName)
	if err != nil {
		return nil, err
	}
	cs, truncated, marker, err := paginateSlice(cs, in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	out := &iamapi.ListSigningCertificatesResponse{Certificates: make([]iamapi.SigningCertificate, len(cs)), IsTruncated: truncated, Marker: marker}
	for i, c := range cs {
		if out.Certificates[i], err = signingCertOut(c); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// modifySigningCertificate runs fn on a signing certificate of the addressed owner in one transaction.
func (s *Service) modifySigningCertificate(ctx context.Context, userName, id *string, fn func(tx storage.Tx, c *storage.Credential) error) error {
	return s.modifyUserCredential(ctx, storage.CredentialSigningCertificate, userName, str(id),
		func() error { return noSuchSigningCertificate(str(id)) }, fn)
}

// UpdateSigningCertificate activates or deactivates a signing certificate.
func (s *Service) UpdateSigningCertificate(ctx context.Context, in *iamapi.UpdateSigningCertificateRequest) (*iamapi.UpdateSigningCertificateOutput, error) {
	err := s.modifySigningCertificate(ctx, in.UserName, in.CertificateId, func(tx storage.Tx, c *storage.Credential) error {
		c.Status = storage.AccessKeyStatus(str(in.Status))
		return tx.UpdateCredential(ctx, c)
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.UpdateSigningCertificateOutput{}, nil
}

// DeleteSigningCertificate deletes a signing certificate.
func (s *Service) DeleteSigningCertificate(ctx context.Context, in *iamapi.DeleteSigningCertificateRequest) (*iamapi.DeleteSigningCertificateOutput, error) {
	err := s.modifySigningCertificate(ctx, in.UserName, in.CertificateId, func(tx storage.Tx, c *storage.Credential) error {
		return tx.DeleteCredential(ctx, c.Kind, c.ID)
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.DeleteSigningCertificateOutput{}, nil
}
