package iam

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/iamd/iamd/internal/api/iamapi"
	"github.com/iamd/iamd/internal/ids"
	"github.com/iamd/iamd/internal/storage"
)

// serverCertData is what a server certificate keeps in its resource's Data. The private key is sealed with
// the master key (bound to the certificate's ID) and no operation returns it.
type serverCertData struct {
	Body       string    `json:"body"`
	Chain      string    `json:"chain,omitempty"`
	KeySealed  []byte    `json:"keySealed"`
	Expiration time.Time `json:"expiration"`
}

// serverCertKeyAssociatedData binds a sealed private key to its certificate, so that a sealed key cannot
// be moved to another certificate's row.
func serverCertKeyAssociatedData(id string) []byte { return []byte("server-certificate-key:" + id) }

func noSuchServerCertificate(name string) error {
	return iamapi.NewNoSuchEntityException("The Server Certificate with name " + name + " cannot be found.")
}

func serverCertificateExists(name string) error {
	return iamapi.NewEntityAlreadyExistsException("The Server Certificate with name " + name + " already exists.")
}

func decodeServerCert(r *storage.Resource) (*serverCertData, error) {
	var d serverCertData
	if err := json.Unmarshal(r.Data, &d); err != nil {
		return nil, fmt.Errorf("decoding server certificate %s: %w", r.ID, err)
	}
	return &d, nil
}

func (sc scope) serverCertMetadata(r *storage.Resource, d *serverCertData) *iamapi.ServerCertificateMetadata {
	return &iamapi.ServerCertificateMetadata{
		Path:                  ptr(r.Path),
		ServerCertificateName: ptr(r.Name),
		ServerCertificateId:   ptr(r.ID),
		Arn:                   ptr(sc.arn(ids.KindServerCert, r.Path, r.Name)),
		UploadDate:            timePtr(r.CreatedAt),
		Expiration:            timePtr(d.Expiration),
	}
}

// UploadServerCertificate stores a certificate, its optional chain and its private key, after checking
// that each parses, that the key is the certificate's, that the chain signs the certificate in order and
// that the certificate is within its validity period.
func (s *Service) UploadServerCertificate(ctx context.Context, in *iamapi.UploadServerCertificateRequest) (*iamapi.UploadServerCertificateResponse, error) {
	sc, err := s.scopeOf(ctx)
	if err != nil {
		return nil, err
	}
	if err := checkRequestTags(in.Tags); err != nil {
		return nil, err
	}
	cert, err := parseCertificatePEM(str(in.CertificateBody))
	if err != nil {
		return nil, err
	}
	key, err := parsePrivateKeyPEM(str(in.PrivateKey))
	if err != nil {
		return nil, err
	}
	if !keyMatchesCertificate(key, cert) {
		return nil, iamapi.NewKeyPairMismatchException("The private key did not match the public key in the certificate.")
	}
	if msg := validityProblem(cert, sc.now); msg != "" {
		return nil, iamapi.NewMalformedCertificateException(msg)
	}
	if chain := str(in.CertificateChain); chain != "" {
		certs, err := parseCertificatesPEM(chain, maxCertificateChainLength)
		if err != nil {
			return nil, err
		}
		if err := checkChain(cert, certs); err != nil {
			return nil, err
		}
	}
	if s.sealer == nil {
		return nil, errors.New("no sealer configured for server certificate keys")
	}
	r := &storage.Resource{
		AccountID: sc.account,
		Kind:      storage.ResourceServerCertificate,
		Name:      str(in.ServerCertificateName),
		Path:      pathOr(in.Path),
		ID:        ids.NewUniqueID("ASCA"),
		CreatedAt: sc.now,
		Tags:      tagsIn(in.Tags),
	}
	sealed, err := s.sealer.Seal([]byte(str(in.PrivateKey)), serverCertKeyAssociatedData(r.ID))
	if err != nil {
		return nil, fmt.Errorf("sealing server certificate key: %w", err)
	}
	d := &serverCertData{Body: str(in.CertificateBody), Chain: str(in.CertificateChain), KeySealed: sealed, Expiration: cert.NotAfter.UTC()}
	if r.Data, err = json.Marshal(d); err != nil {
		return nil, err
	}
	err = s.store.Update(ctx, func(tx storage.Tx) error {
		c, err := tx.Counts(ctx, sc.account)
		if err != nil {
			return err
		}
		if c.ServerCertificates >= maxServerCertificatesPerAccount {
			return iamapi.NewLimitExceededException("Cannot exceed quota for ServerCertificatesPerAccount: " + strconv.Itoa(maxServerCertificatesPerAccount))
		}
		err = tx.CreateResource(ctx, r)
		if errors.Is(err, storage.ErrAlreadyExists) {
			return serverCertificateExists(r.Name)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.UploadServerCertificateResponse{ServerCertificateMetadata: sc.serverCertMetadata(r, d), Tags: tagsOut(r.Tags)}, nil
}

// GetServerCertificate returns a certificate with its chain and tags, never its private key.
func (s *Service) GetServerCertificate(ctx context.Context, in *iamapi.GetServerCertificateRequest) (*iamapi.GetServerCertificateResponse, error) {
	sc, err := s.scopeOf(ctx)
	if err != nil {
		return nil, err
	}
	name := str(in.ServerCertificateName)
	var r *storage.Resource
	err = s.store.View(ctx, func(tx storage.Tx) error {
		var err error
		r, err = tx.GetResource(ctx, sc.account, storage.ResourceServerCertificate, name)
		return notFound(err, func() error { return noSuchServerCertificate(name) })
	})
	if err != nil {
		return nil, err
	}
	d, err := decodeServerCert(r)
	if err != nil {
		return nil, err
	}
	out := &iamapi.ServerCertificate{
		ServerCertificateMetadata: sc.serverCertMetadata(r, d),
		CertificateBody:           ptr(d.Body),
		Tags:                      tagsOut(r.Tags),
	}
	if d.Chain != "" {
		out.CertificateChain = ptr(d.Chain)
	}
	return &iamapi.GetServerCertificateResponse{ServerCertificate: out}, nil
}

// ListServerCertificates lists the account's server certificates in name order under a path prefix.
func (s *Service) ListServerCertificates(ctx context.Context, in *iamapi.ListServerCertificatesRequest) (*iamapi.ListServerCertificatesResponse, error) {
	sc, err := s.scopeOf(ctx)
	if err != nil {
		return nil, err
	}
	pg, err := pageOf(in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	var list []*storage.Resource
	err = s.store.View(ctx, func(tx storage.Tx) error {
		var err error
		list, err = tx.ListResources(ctx, sc.account, storage.ResourceServerCertificate,
			storage.ListOptions{PathPrefix: pathOr(in.PathPrefix), After: pg.after, Limit: pg.limit()})
		return err
	})
	if err != nil {
		return nil, err
	}
	list, truncated, marker := paginate(list, pg, func(r *storage.Resource) string { return r.Name })
	out := &iamapi.ListServerCertificatesResponse{
		ServerCertificateMetadataList: make([]iamapi.ServerCertificateMetadata, len(list)),
		IsTruncated:                   truncated, Marker: marker,
	}
	for i, r := range list {
		d, err := decodeServerCert(r)
		if err != nil {
			return nil, err
		}
		out.ServerCertificateMetadataList[i] = *sc.serverCertMetadata(r, d)
	}
	return out, nil
}

// modifyServerCertificate runs fn on a certificate in one transaction and stores it under its (possibly
// new) name.
func (s *Service) modifyServerCertificate(ctx context.Context, name string, fn func(r *storage.Resource) error) error {
	sc, err := s.scopeOf(ctx)
	if err != nil {
		return err
	}
	return s.store.Update(ctx, func(tx storage.Tx) error {
		r, err := tx.GetResource(ctx, sc.account, storage.ResourceServerCertificate, name)
		if err != nil {
			return notFound(err, func() error { return noSuchServerCertificate(name) })
		}
		if err := fn(r); err != nil {
			return err
		}
		err = tx.UpdateResource(ctx, name, r)
		if errors.Is(err, storage.ErrAlreadyExists) {
			return serverCertificateExists(r.Name)
		}
		return notFound(err, func() error { return noSuchServerCertificate(name) })
	})
}

// UpdateServerCertificate renames a certificate or moves it to another path; its ID stays.
func (s *Service) UpdateServerCertificate(ctx context.Context, in *iamapi.UpdateServerCertificateRequest) (*iamapi.UpdateServerCertificateOutput, error) {
	err := s.modifyServerCertificate(ctx, str(in.ServerCertificateName), func(r *storage.Resource) error {
		if n := str(in.NewServerCertificateName); n != "" {
			r.Name = n
		}
		if p := str(in.NewPath); p != "" {
			r.Path = p
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.UpdateServerCertificateOutput{}, nil
}

// DeleteServerCertificate deletes a certificate and its sealed key.
func (s *Service) DeleteServerCertificate(ctx context.Context, in *iamapi.DeleteServerCertificateRequest) (*iamapi.DeleteServerCertificateOutput, error) {
	sc, err := s.scopeOf(ctx)
	if err != nil {
		return nil, err
	}
	name := str(in.ServerCertificateName)
	err = s.store.Update(ctx, func(tx storage.Tx) error {
		return notFound(tx.DeleteResource(ctx, sc.account, storage.ResourceServerCertificate, name),
			func() error { return noSuchServerCertificate(name) })
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.DeleteServerCertificateOutput{}, nil
}

// TagServerCertificate adds or replaces tags on a server certificate.
func (s *Service) TagServerCertificate(ctx context.Context, in *iamapi.TagServerCertificateRequest) (*iamapi.TagServerCertificateOutput, error) {
	err := s.modifyServerCertificate(ctx, str(in.ServerCertificateName), func(r *storage.Resource) error {
		tags, err := mergeTags(r.Tags, in.Tags, "TagsPerServerCertificate")
		r.Tags = tags
		return err
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.TagServerCertificateOutput{}, nil
}

// UntagServerCertificate removes tags from a server certificate.
func (s *Service) UntagServerCertificate(ctx context.Context, in *iamapi.UntagServerCertificateRequest) (*iamapi.UntagServerCertificateOutput, error) {
	err := s.modifyServerCertificate(ctx, str(in.ServerCertificateName), func(r *storage.Resource) error {
		r.Tags = removeTags(r.Tags, in.TagKeys)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.UntagServerCertificateOutput{}, nil
}

// ListServerCertificateTags lists a server certificate's tags in the order they were added.
func (s *Service) ListServerCertificateTags(ctx context.Context, in *iamapi.ListServerCertificateTagsRequest) (*iamapi.ListServerCertificateTagsResponse, error) {
	sc, err := s.scopeOf(ctx)
	if err != nil {
		return nil, err
	}
	name := str(in.ServerCertificateName)
	var r *storage.Resource
	err = s.store.View(ctx, func(tx storage.Tx) error {
		var err error
		r, err = tx.GetResource(ctx, sc.account, storage.ResourceServerCertificate, name)
		return notFound(err, func() error { return noSuchServerCertificate(name) })
	})
	if err != nil {
		return nil, err
	}
	out, truncated, marker, err := tagsPage(r.Tags, in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	return &iamapi.ListServerCertificateTagsResponse{Tags: out, IsTruncated: truncated, Marker: marker}, nil
}
