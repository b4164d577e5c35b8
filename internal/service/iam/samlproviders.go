package iam

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"strings"

	"github.com/iamd/iamd/internal/api/iamapi"
	"github.com/iamd/iamd/internal/ids"
	"github.com/iamd/iamd/internal/samlmeta"
	"github.com/iamd/iamd/internal/storage"
)

// SAML providers: the identity providers AssumeRoleWithSAML trusts. Each is a storage.Resource of kind
// ResourceSAMLProvider whose Data is a samlmeta.Provider (the metadata document, what was read from it, the
// assertion encryption mode and the sealed private keys).

func noSuchSAMLProvider(arn string) error {
	return iamapi.NewNoSuchEntityException("Manifest not found for arn " + arn)
}

func samlMetadataError(err error) error {
	if errors.Is(err, samlmeta.ErrTooManyKeys) {
		return iamapi.NewLimitExceededException(fmt.Sprintf("Cannot exceed quota for KeysPerSAMLProvider: %d", samlmeta.MaxSigningCertificates))
	}
	return iamapi.NewInvalidInputException("Could not parse metadata")
}

func (sc scope) samlProviderARN(name string) string {
	return ids.IAMARN(sc.partition, sc.account, ids.KindSAMLProvider, "/", name)
}

// samlProviderName is the name in a SAML provider ARN of the caller's account; ok is false for any other
// ARN (which names no provider the caller can reach).
func (sc scope) samlProviderName(arn string) (name string, ok bool) {
	name, ok = strings.CutPrefix(arn, "arn:"+sc.partition+":iam::"+sc.account+":"+ids.KindSAMLProvider+"/")
	if !ok || name == "" || strings.ContainsRune(name, '/') {
		return "", false
	}
	return name, true
}

// getSAMLProvider reads the provider an ARN names.
func (sc scope) getSAMLProvider(ctx context.Context, tx storage.Tx, arn string) (*storage.Resource, *samlmeta.Provider, error) {
	name, ok := sc.samlProviderName(arn)
	if !ok {
		return nil, nil, noSuchSAMLProvider(arn)
	}
	r, err := tx.GetResource(ctx, sc.account, storage.ResourceSAMLProvider, name)
	if err != nil {
		return nil, nil, notFound(err, func() error { return noSuchSAMLProvider(arn) })
	}
	p, err := samlmeta.Decode(r.Data)
	if err != nil {
		return nil, nil, err
	}
	return r, p, nil
}

// encryptionMode checks a requested AssertionEncryptionMode ("" keeps cur).
func encryptionMode(in *string, cur string) string {
	if in == nil || *in == "" {
		return cur
	}
	return *in
}

// addSAMLPrivateKey parses, seals and adds a private key to p.
func (s *Service) addSAMLPrivateKey(sc scope, p *samlmeta.Provider, text string) error {
	_, keyID, err := samlmeta.ParsePrivateKey(text)
	if err != nil {
		return iamapi.NewInvalidInputException("The private key is not a valid PEM-encoded RSA or EC private key.")
	}
	for _, k := range p.PrivateKeys {
		if k.KeyID == keyID {
			return iamapi.NewInvalidInputException("The private key " + keyID + " is already added to this SAML provider.")
		}
	}
	if len(p.PrivateKeys) >= samlmeta.MaxPrivateKeys {
		return iamapi.NewLimitExceededException(fmt.Sprintf("Cannot exceed quota for PrivateKeysPerSAMLProvider: %d", samlmeta.MaxPrivateKeys))
	}
	if s.sealer == nil {
		return errors.New("no sealer configured for SAML private keys")
	}
	sealed, err := s.sealer.Seal([]byte(text), samlmeta.PrivateKeyAssociatedData(p.UUID, keyID))
	if err != nil {
		return fmt.Errorf("sealing SAML private key: %w", err)
	}
	p.PrivateKeys = append(p.PrivateKeys, samlmeta.PrivateKey{KeyID: keyID, CreatedAt: sc.now, Sealed: sealed})
	return nil
}

// checkEncryptionMode refuses Required without a key to decrypt with.
func checkEncryptionMode(p *samlmeta.Provider) error {
	if p.EncryptionMode == samlmeta.EncryptionRequired && len(p.PrivateKeys) == 0 {
		return iamapi.NewInvalidInputException("AssertionEncryptionMode Required needs at least one private key.")
	}
	return nil
}

// CreateSAMLProvider creates a SAML provider from its IdP's metadata document.
func (s *Service) CreateSAMLProvider(ctx context.Context, in *iamapi.CreateSAMLProviderRequest) (*iamapi.CreateSAMLProviderResponse, error) {
	sc, err := s.scopeOf(ctx)
	if err != nil {
		return nil, err
	}
	name := str(in.Name)
	if err := requireName("name", name); err != nil {
		return nil, err
	}
	if err := checkRequestTags(in.Tags); err != nil {
		return nil, err
	}
	doc := str(in.SAMLMetadataDocument)
	m, err := samlmeta.ParseMetadata(doc)
	if err != nil {
		return nil, samlMetadataError(err)
	}
	uuid, err := samlmeta.NewUUID(rand.Reader)
	if err != nil {
		return nil, err
	}
	p := &samlmeta.Provider{UUID: uuid, EncryptionMode: encryptionMode(in.AssertionEncryptionMode, samlmeta.EncryptionAllowed)}
	p.SetMetadata(doc, m, sc.now)
	if in.AddPrivateKey != nil {
		if err := s.addSAMLPrivateKey(sc, p, *in.AddPrivateKey); err != nil {
			return nil, err
		}
	}
	if err := checkEncryptionMode(p); err != nil {
		return nil, err
	}
	data, err := p.Encode()
	if err != nil {
		return nil, err
	}
	r := &storage.Resource{
		AccountID: sc.account, Kind: storage.ResourceSAMLProvider, Name: name, Path: "/",
		ID: uuid, CreatedAt: sc.now, Tags: tagsIn(in.Tags), Data: data,
	}
	err = s.store.Update(ctx, func(tx storage.Tx) error {
		n := 0
		if err := eachSAMLProvider(ctx, tx, sc.account, func(*storage.Resource) error { n++; return nil }); err != nil {
			return err
		}
		if n >= maxSAMLProvidersPerAccount {
			return iamapi.NewLimitExceededException(fmt.Sprintf("Cannot exceed quota for SAMLProvidersPerAccount: %d", maxSAMLProvidersPerAccount))
		}
		err = tx.CreateResource(ctx, r)
		if errors.Is(err, storage.ErrAlreadyExists) {
			return iamapi.NewEntityAlreadyExistsException("SAMLProvider " + name + " already exists.")
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.CreateSAMLProviderResponse{SAMLProviderArn: ptr(sc.samlProviderARN(name)), Tags: tagsOut(r.Tags)}, nil
}

// GetSAMLProvider returns a provider's metadata document, validity, encryption settings and tags; of its
// private keys only their IDs and when they were added.
func (s *Service) GetSAMLProvider(ctx context.Context, in *iamapi.GetSAMLProviderRequest) (*iamapi.GetSAMLProviderResponse, error) {
	sc, err := s.scopeOf(ctx)
	if err != nil {
		return nil, err
	}
	var r *storage.Resource
	var p *samlmeta.Provider
	err = s.store.View(ctx, func(tx storage.Tx) error {
		var err error
		r, p, err = sc.getSAMLProvider(ctx, tx, str(in.SAMLProviderArn))
		return err
	})
	if err != nil {
		return nil, err
	}
	out := &iamapi.GetSAMLProviderResponse{
		SAMLProviderUUID:        ptr(p.UUID),
		SAMLMetadataDocument:    ptr(p.Metadata),
		CreateDate:              timePtr(r.CreatedAt),
		ValidUntil:              timePtr(p.ValidUntil),
		Tags:                    tagsOut(r.Tags),
		AssertionEncryptionMode: ptr(p.EncryptionMode),
		PrivateKeyList:          make([]iamapi.SAMLPrivateKey, 0, len(p.PrivateKeys)),
	}
	if out.Tags == nil {
		out.Tags = []iamapi.Tag{}
	}
	for _, k := range p.PrivateKeys {
		out.PrivateKeyList = append(out.PrivateKeyList, iamapi.SAMLPrivateKey{KeyId: ptr(k.KeyID), Timestamp: timePtr(k.CreatedAt)})
	}
	return out, nil
}

// eachSAMLProvider calls fn on each of the account's SAML providers in name order, reading them
// samlListBatch at a time: each carries its metadata document, so a listing or count holds only a few
// documents in memory at once whatever the number of providers.
func eachSAMLProvider(ctx context.Context, tx storage.Tx, acct string, fn func(*storage.Resource) error) error {
	after := ""
	for {
		list, err := tx.ListResources(ctx, acct, storage.ResourceSAMLProvider, storage.ListOptions{After: after, Limit: samlListBatch})
		if err != nil {
			return err
		}
		for _, r := range list {
			if err := fn(r); err != nil {
				return err
			}
		}
		if len(list) < samlListBatch {
			return nil
		}
		after = list[len(list)-1].Name
	}
}

// ListSAMLProviders lists the account's SAML providers (the operation is not paginated; the account holds
// at most maxSAMLProvidersPerAccount).
func (s *Service) ListSAMLProviders(ctx context.Context, _ *iamapi.ListSAMLProvidersRequest) (*iamapi.ListSAMLProvidersResponse, error) {
	sc, err := s.scopeOf(ctx)
	if err != nil {
		return nil, err
	}
	var out []iamapi.SAMLProviderListEntry
	err = s.store.View(ctx, func(tx storage.Tx) error {
		out = []iamapi.SAMLProviderListEntry{}
		return eachSAMLProvider(ctx, tx, sc.account, func(r *storage.Resource) error {
			p, err := samlmeta.Decode(r.Data)
			if err != nil {
				return err
			}
			out = append(out, iamapi.SAMLProviderListEntry{
				Arn: ptr(sc.samlProviderARN(r.Name)), ValidUntil: timePtr(p.ValidUntil), CreateDate: timePtr(r.CreatedAt),
			})
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.ListSAMLProvidersResponse{SAMLProviderList: out}, nil
}

// UpdateSAMLProvider replaces a provider's metadata document, changes its assertion encryption mode, and
// removes and adds private keys (in that order, so one request can rotate a key when two are held).
func (s *Service) UpdateSAMLProvider(ctx context.Context, in *iamapi.UpdateSAMLProviderRequest) (*iamapi.UpdateSAMLProviderResponse, error) {
	sc, err := s.scopeOf(ctx)
	if err != nil {
		return nil, err
	}
	arn := str(in.SAMLProviderArn)
	var m *samlmeta.Metadata
	if in.SAMLMetadataDocument != nil {
		if m, err = samlmeta.ParseMetadata(*in.SAMLMetadataDocument); err != nil {
			return nil, samlMetadataError(err)
		}
	}
	err = s.store.Update(ctx, func(tx storage.Tx) error {
		r, p, err := sc.getSAMLProvider(ctx, tx, arn)
		if err != nil {
			return err
		}
		if m != nil {
			p.SetMetadata(*in.SAMLMetadataDocument, m, r.CreatedAt)
		}
		p.EncryptionMode = encryptionMode(in.AssertionEncryptionMode, p.EncryptionMode)
		if id := str(in.RemovePrivateKey); id != "" {
			kept := p.PrivateKeys[:0:0]
			for _, k := range p.PrivateKeys {
				if k.KeyID != id {
					kept = append(kept, k)
				}
			}
			if len(kept) == len(p.PrivateKeys) {
				return iamapi.NewInvalidInputException("The private key " + id + " does not exist for this SAML provider.")
			}
			p.PrivateKeys = kept
		}
		if in.AddPrivateKey != nil {
			if err := s.addSAMLPrivateKey(sc, p, *in.AddPrivateKey); err != nil {
				return err
			}
		}
		if err := checkEncryptionMode(p); err != nil {
			return err
		}
		if r.Data, err = p.Encode(); err != nil {
			return err
		}
		return notFound(tx.UpdateResource(ctx, r.Name, r), func() error { return noSuchSAMLProvider(arn) })
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.UpdateSAMLProviderResponse{SAMLProviderArn: ptr(arn)}, nil
}

// DeleteSAMLProvider deletes a provider (roles that trust it stay; AssumeRoleWithSAML then fails).
func (s *Service) DeleteSAMLProvider(ctx context.Context, in *iamapi.DeleteSAMLProviderRequest) (*iamapi.DeleteSAMLProviderOutput, error) {
	sc, err := s.scopeOf(ctx)
	if err != nil {
		return nil, err
	}
	arn := str(in.SAMLProviderArn)
	err = s.store.Update(ctx, func(tx storage.Tx) error {
		r, _, err := sc.getSAMLProvider(ctx, tx, arn)
		if err != nil {
			return err
		}
		return notFound(tx.DeleteResource(ctx, sc.account, storage.ResourceSAMLProvider, r.Name), func() error { return noSuchSAMLProvider(arn) })
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.DeleteSAMLProviderOutput{}, nil
}

// modifySAMLProviderTags runs fn on a provider's tags in one transaction and stores the result.
func (s *Service) modifySAMLProviderTags(ctx context.Context, arn string, fn func(tags []storage.Tag) ([]storage.Tag, error)) error {
	sc, err := s.scopeOf(ctx)
	if err != nil {
		return err
	}
	return s.store.Update(ctx, func(tx storage.Tx) error {
		r, _, err := sc.getSAMLProvider(ctx, tx, arn)
		if err != nil {
			return err
		}
		if r.Tags, err = fn(r.Tags); err != nil {
			return err
		}
		return notFound(tx.UpdateResource(ctx, r.Name, r), func() error { return noSuchSAMLProvider(arn) })
	})
}

// TagSAMLProvider adds or replaces tags on a SAML provider.
func (s *Service) TagSAMLProvider(ctx context.Context, in *iamapi.TagSAMLProviderRequest) (*iamapi.TagSAMLProviderOutput, error) {
	err := s.modifySAMLProviderTags(ctx, str(in.SAMLProviderArn), func(tags []storage.Tag) ([]storage.Tag, error) {
		return mergeTags(tags, in.Tags, "TagsPerSAMLProvider")
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.TagSAMLProviderOutput{}, nil
}

// UntagSAMLProvider removes tags from a SAML provider.
func (s *Service) UntagSAMLProvider(ctx context.Context, in *iamapi.UntagSAMLProviderRequest) (*iamapi.UntagSAMLProviderOutput, error) {
	err := s.modifySAMLProviderTags(ctx, str(in.SAMLProviderArn), func(tags []storage.Tag) ([]storage.Tag, error) {
		return removeTags(tags, in.TagKeys), nil
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.UntagSAMLProviderOutput{}, nil
}

// ListSAMLProviderTags lists a SAML provider's tags in the order they were added.
func (s *Service) ListSAMLProviderTags(ctx context.Context, in *iamapi.ListSAMLProviderTagsRequest) (*iamapi.ListSAMLProviderTagsResponse, error) {
	sc, err := s.scopeOf(ctx)
	if err != nil {
		return nil, err
	}
	var r *storage.Resource
	err = s.store.View(ctx, func(tx storage.Tx) error {
		var err error
		r, _, err = sc.getSAMLProvider(ctx, tx, str(in.SAMLProviderArn))
		return err
	})
	if err != nil {
		return nil, err
	}
	tags, truncated, marker, err := paginateSlice(r.Tags, in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	out := tagsOut(tags)
	if out == nil {
		out = []iamapi.Tag{}
	}
	return &iamapi.ListSAMLProviderTagsResponse{Tags: out, IsTruncated: truncated, Marker: marker}, nil
}
