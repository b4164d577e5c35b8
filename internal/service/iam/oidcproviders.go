package iam

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"

	"github.com/iamd/iamd/internal/api/iamapi"
	"github.com/iamd/iamd/internal/ids"
	"github.com/iamd/iamd/internal/protocol"
	"github.com/iamd/iamd/internal/storage"
)

// OpenID Connect providers: what AssumeRoleWithWebIdentity trusts.
//
// A provider is stored as one storage.Resource of kind storage.ResourceOIDCProvider:
//
//   - Name is the provider URL without its "https://" scheme, HOST[:PORT][/PATH], as the request spelled it.
//     It is both the resource part of the provider's ARN after "oidc-provider/" and the issuer (the
//     tokens' "iss" claim) without its scheme, so STS finds the provider a web identity token names with
//     one read: tx.GetResource(ctx, account, storage.ResourceOIDCProvider, strings.TrimPrefix(iss,
//     "https://")). OIDCProviderName gives that key for an issuer URL and refuses what cannot be one.
//     Names are unique case-insensitively (storage.Fold), like every IAM name, so the read finds a
//     provider whatever the case of the issuer; compare r.Name with the key when the case must match.
//   - Path is "/" (providers have no path) and ID a random unique ID (AWS shows none); CreatedAt and Tags
//     are the resource's own.
//   - Data is the JSON of OIDCProviderData: the client IDs (audiences), in the order they were added, and
//     the thumbprints, lower-case hex. Either list may be empty; read it with DecodeOIDCProvider.

// OIDCProviderData is the provider-specific part of a stored OpenID Connect provider (storage.Resource.Data).
type OIDCProviderData struct {
	// ClientIDs are the audiences a token may name ("aud", or "azp" when present), without repeats.
	ClientIDs []string `json:"clientIDs"`
	// Thumbprints are hex SHA-1 fingerprints (40 lower-case characters) of certificates of the issuer's
	// chain; empty when the provider relies on the system's certificate authorities alone.
	Thumbprints []string `json:"thumbprints"`
}

// DecodeOIDCProvider reads the provider-specific fields of a stored OIDC provider.
func DecodeOIDCProvider(r *storage.Resource) (OIDCProviderData, error) {
	var d OIDCProviderData
	if len(r.Data) == 0 {
		return d, nil
	}
	if err := json.Unmarshal(r.Data, &d); err != nil {
		return d, fmt.Errorf("OIDC provider %q: %w", r.Name, err)
	}
	return d, nil
}

// oidcProviderIDPrefix starts the unique ID the store requires of every resource. AWS shows OIDC providers
// without an ID, so this one never leaves iamd.
const oidcProviderIDPrefix = "AOIP"

// The answers of CreateOpenIDConnectProvider to a URL it refuses. A URL without any scheme, or without a
// host, fails AWS's first check (ValidationError, no full stop); one with another scheme is told to use
// https; anything else that is not a bare https URL (user information, query, fragment, a host that is
// not a DNS name or IPv4 address) gets the short InvalidInput.
func invalidOIDCURL() error {
	return protocol.NewError("ValidationError", 400, "Invalid Open ID Connect Provider URL")
}

func oidcURLNotHTTPS() error {
	return iamapi.NewInvalidInputException("Invalid Open ID Connect Provider URL. The URL must begin with https://.")
}

func badOIDCURL() error {
	return iamapi.NewInvalidInputException("Invalid Open ID Connect Provider URL.")
}

// OIDCProviderName returns the name under which the provider of an https issuer URL is stored (the URL
// without "https://"), or the error CreateOpenIDConnectProvider answers for it. A port is kept
// (HOST:PORT), for self-hosted issuers; AWS itself refuses one. The path is kept as given, a trailing
// slash included, since a token's issuer must match it exactly.
func OIDCProviderName(url string) (string, error) {
	const scheme = "https://"
	i := strings.Index(url, "://")
	if i < 0 {
		return "", invalidOIDCURL()
	}
	if url[:i+3] != scheme {
		return "", oidcURLNotHTTPS()
	}
	name := url[len(scheme):]
	if strings.ContainsAny(name, "?#@") {
		return "", badOIDCURL()
	}
	hostPort, path, _ := strings.Cut(name, "/")
	if hostPort == "" {
		return "", invalidOIDCURL()
	}
	host, port, hasPort := strings.Cut(hostPort, ":")
	if !validOIDCHost(host) || (hasPort && !validOIDCPort(port)) || !validOIDCPath(path) {
		return "", badOIDCURL()
	}
	return name, nil
}

// validOIDCHost accepts a DNS name (letters, digits and inner hyphens in dot-separated labels of at most 63
// characters) or an IPv4 address. IPv6 literals are refused: their colons would make the provider's
// condition keys (HOST/PATH:aud) ambiguous.
func validOIDCHost(host string) bool {
	if host == "" || len(host) > 253 {
		return false
	}
	if ip := net.ParseIP(host); ip != nil {
		return ip.To4() != nil
	}
	for label := range strings.SplitSeq(host, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for j := 0; j < len(label); j++ {
			c := label[j]
			if !urlAlnum(c) && c != '-' {
				return false
			}
		}
	}
	return true
}

// validOIDCPort accepts 1-65535 written without leading zeros, so that one port has one spelling (and one
// provider).
func validOIDCPort(p string) bool {
	if p == "" || p[0] == '0' || len(p) > 5 {
		return false
	}
	n, err := strconv.Atoi(p)
	return err == nil && n >= 1 && n <= 65535
}

// validOIDCPath accepts the characters RFC 3986 allows in a path, with well-formed percent escapes, less
// "*", which IAM policies read as a wildcard in the ARNs and condition keys the path becomes part of.
func validOIDCPath(p string) bool {
	for j := 0; j < len(p); j++ {
		c := p[j]
		switch {
		case urlAlnum(c) || strings.IndexByte("-._~!$&'()+,;=:@/", c) >= 0:
		case c == '%' && j+2 < len(p) && urlHex(p[j+1]) && urlHex(p[j+2]):
			j += 2
		default:
			return false
		}
	}
	return true
}

func urlAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

func urlHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }

// normalThumbprints lower-cases thumbprints (AWS stores hex in lower case, so one certificate has one
// spelling) and drops repeats, keeping the first of each.
func normalThumbprints(in []string) []string {
	out := make([]string, 0, len(in))
	for _, t := range in {
		t = strings.ToLower(t)
		if !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	return out
}

// uniqueClientIDs drops repeated client IDs, keeping the first of each (client IDs are case-sensitive).
func uniqueClientIDs(in []string) []string {
	out := make([]string, 0, len(in))
	for _, c := range in {
		if !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	return out
}

func checkThumbprintCount(n int) error {
	if n > maxThumbprintsPerOIDCProvider {
		return iamapi.NewInvalidInputException(fmt.Sprintf("Thumbprint list must contain fewer than %d entries.", maxThumbprintsPerOIDCProvider))
	}
	return nil
}

func clientIDQuota() error {
	return iamapi.NewLimitExceededException(fmt.Sprintf("Cannot exceed quota for ClientIdsPerOpenIdConnectProvider: %d", maxClientIDsPerOIDCProvider))
}

// noSuchOIDCProvider is the NoSuchEntity wording of every operation on a provider but Delete.
func noSuchOIDCProvider(arn string) error {
	return iamapi.NewNoSuchEntityException("OpenIDConnect Provider not found for arn " + arn)
}

// noSuchOIDCProviderToDelete is DeleteOpenIDConnectProvider's NoSuchEntity wording.
func noSuchOIDCProviderToDelete(arn string) error {
	return iamapi.NewNoSuchEntityException("OpenId connect Provider " + arn + " cannot be found.")
}

func (sc scope) oidcProviderARN(name string) string {
	return ids.IAMARN(sc.partition, sc.account, ids.KindOIDCProvider, "/", name)
}

// oidcProviderNameOf returns the stored name an OpenIDConnectProviderArn addresses. A string that is not an
// IAM OIDC provider ARN is InvalidInput; a provider of another partition or account is one this account
// does not have (nse).
func (sc scope) oidcProviderNameOf(arn string, nse func(string) error) (string, error) {
	a, err := ids.ParseARN(arn)
	name, ok := strings.CutPrefix(a.Resource, ids.KindOIDCProvider+"/")
	if err != nil || a.Service != "iam" || a.Region != "" || !ok || name == "" {
		return "", iamapi.NewInvalidInputException("ARN " + arn + " is not valid.")
	}
	if a.Partition != sc.partition || a.Account != sc.account {
		return "", nse(arn)
	}
	return name, nil
}

// getOIDCProvider reads the provider arn names, with nse's wording when there is none.
func (sc scope) getOIDCProvider(ctx context.Context, tx storage.Tx, arn string, nse func(string) error) (*storage.Resource, OIDCProviderData, error) {
	name, err := sc.oidcProviderNameOf(arn, nse)
	if err != nil {
		return nil, OIDCProviderData{}, err
	}
	r, err := tx.GetResource(ctx, sc.account, storage.ResourceOIDCProvider, name)
	if err != nil {
		return nil, OIDCProviderData{}, notFound(err, func() error { return nse(arn) })
	}
	d, err := DecodeOIDCProvider(r)
	return r, d, err
}

// encodeOIDCProvider stores d in r.Data.
func encodeOIDCProvider(r *storage.Resource, d OIDCProviderData) error {
	b, err := json.Marshal(d)
	if err != nil {
		return fmt.Errorf("encoding OIDC provider %q: %w", r.Name, err)
	}
	r.Data = b
	return nil
}

// CreateOpenIDConnectProvider registers an OpenID Connect identity provider under its URL.
func (s *Service) CreateOpenIDConnectProvider(ctx context.Context, in *iamapi.CreateOpenIDConnectProviderRequest) (*iamapi.CreateOpenIDConnectProviderResponse, error) {
	sc, err := s.scopeOf(ctx)
	if err != nil {
		return nil, err
	}
	url := str(in.Url)
	name, err := OIDCProviderName(url)
	if err != nil {
		return nil, err
	}
	if err := checkThumbprintCount(len(in.ThumbprintList)); err != nil {
		return nil, err
	}
	// Both lists are counted as sent, before repeats are dropped (which takes time quadratic in their
	// length), so a request cannot make that work large.
	if len(in.ClientIDList) > maxClientIDsPerOIDCProvider {
		return nil, clientIDQuota()
	}
	d := OIDCProviderData{ClientIDs: uniqueClientIDs(in.ClientIDList), Thumbprints: normalThumbprints(in.ThumbprintList)}
	if err := checkRequestTags(in.Tags); err != nil {
		return nil, err
	}
	r := &storage.Resource{
		AccountID: sc.account,
		Kind:      storage.ResourceOIDCProvider,
		Name:      name,
		Path:      "/",
		ID:        ids.NewUniqueID(oidcProviderIDPrefix),
		CreatedAt: sc.now,
		Tags:      tagsIn(in.Tags),
	}
	if err := encodeOIDCProvider(r, d); err != nil {
		return nil, err
	}
	err = s.store.Update(ctx, func(tx storage.Tx) error {
		if err := oidcProviderQuota(ctx, tx, sc.account); err != nil {
			return err
		}
		err := tx.CreateResource(ctx, r)
		if errors.Is(err, storage.ErrAlreadyExists) {
			return iamapi.NewEntityAlreadyExistsException("Provider with url " + url + " already exists.")
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.CreateOpenIDConnectProviderResponse{OpenIDConnectProviderArn: ptr(sc.oidcProviderARN(name)), Tags: tagsOut(r.Tags)}, nil
}

// oidcProviderQuota refuses a new provider when the account has maxOIDCProvidersPerAccount. The account's
// Providers counter (SAML and OIDC together) answers most calls in one query; only an account with that
// many providers of both kinds has its OIDC providers counted.
func oidcProviderQuota(ctx context.Context, tx storage.Tx, acct string) error {
	c, err := tx.Counts(ctx, acct)
	if err != nil {
		return err
	}
	if c.Providers < maxOIDCProvidersPerAccount {
		return nil
	}
	list, err := tx.ListResources(ctx, acct, storage.ResourceOIDCProvider, storage.ListOptions{Limit: maxOIDCProvidersPerAccount})
	if err != nil {
		return err
	}
	if len(list) >= maxOIDCProvidersPerAccount {
		return iamapi.NewLimitExceededException(fmt.Sprintf("Cannot exceed quota for OpenIDConnectProvidersPerAccount: %d", maxOIDCProvidersPerAccount))
	}
	return nil
}

// GetOpenIDConnectProvider returns a provider's URL, client IDs, thumbprints, creation date and tags.
func (s *Service) GetOpenIDConnectProvider(ctx context.Context, in *iamapi.GetOpenIDConnectProviderRequest) (*iamapi.GetOpenIDConnectProviderResponse, error) {
	sc, err := s.scopeOf(ctx)
	if err != nil {
		return nil, err
	}
	var out *iamapi.GetOpenIDConnectProviderResponse
	err = s.store.View(ctx, func(tx storage.Tx) error {
		r, d, err := sc.getOIDCProvider(ctx, tx, str(in.OpenIDConnectProviderArn), noSuchOIDCProvider)
		if err != nil {
			return err
		}
		out = &iamapi.GetOpenIDConnectProviderResponse{
			Url:            ptr(r.Name),
			ClientIDList:   d.ClientIDs,
			ThumbprintList: d.Thumbprints,
			CreateDate:     timePtr(r.CreatedAt),
			Tags:           tagsOut(r.Tags),
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ListOpenIDConnectProviders lists the ARNs of the account's providers (at most the quota, so unpaged, as
// in AWS).
func (s *Service) ListOpenIDConnectProviders(ctx context.Context, _ *iamapi.ListOpenIDConnectProvidersRequest) (*iamapi.ListOpenIDConnectProvidersResponse, error) {
	sc, err := s.scopeOf(ctx)
	if err != nil {
		return nil, err
	}
	var list []*storage.Resource
	err = s.store.View(ctx, func(tx storage.Tx) error {
		var err error
		list, err = tx.ListResources(ctx, sc.account, storage.ResourceOIDCProvider, storage.ListOptions{})
		return err
	})
	if err != nil {
		return nil, err
	}
	out := &iamapi.ListOpenIDConnectProvidersResponse{OpenIDConnectProviderList: make([]iamapi.OpenIDConnectProviderListEntry, len(list))}
	for i, r := range list {
		out.OpenIDConnectProviderList[i].Arn = ptr(sc.oidcProviderARN(r.Name))
	}
	return out, nil
}

// DeleteOpenIDConnectProvider deletes a provider. Roles that trust it keep their trust policies; assuming
// them through the provider fails from then on.
func (s *Service) DeleteOpenIDConnectProvider(ctx context.Context, in *iamapi.DeleteOpenIDConnectProviderRequest) (*iamapi.DeleteOpenIDConnectProviderOutput, error) {
	sc, err := s.scopeOf(ctx)
	if err != nil {
		return nil, err
	}
	arn := str(in.OpenIDConnectProviderArn)
	err = s.store.Update(ctx, func(tx storage.Tx) error {
		name, err := sc.oidcProviderNameOf(arn, noSuchOIDCProviderToDelete)
		if err != nil {
			return err
		}
		return notFound(tx.DeleteResource(ctx, sc.account, storage.ResourceOIDCProvider, name),
			func() error { return noSuchOIDCProviderToDelete(arn) })
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.DeleteOpenIDConnectProviderOutput{}, nil
}

// modifyOIDCProvider runs fn on a provider in one transaction and stores the result.
func (s *Service) modifyOIDCProvider(ctx context.Context, arn string, fn func(r *storage.Resource, d *OIDCProviderData) error) error {
	sc, err := s.scopeOf(ctx)
	if err != nil {
		return err
	}
	return s.store.Update(ctx, func(tx storage.Tx) error {
		r, d, err := sc.getOIDCProvider(ctx, tx, arn, noSuchOIDCProvider)
		if err != nil {
			return err
		}
		if err := fn(r, &d); err != nil {
			return err
		}
		if err := encodeOIDCProvider(r, d); err != nil {
			return err
		}
		return notFound(tx.UpdateResource(ctx, r.Name, r), func() error { return noSuchOIDCProvider(arn) })
	})
}

// UpdateOpenIDConnectProviderThumbprint replaces a provider's thumbprints (an empty list leaves the trust
// of the issuer's certificate to the certificate authorities alone, as thumbprints are optional).
func (s *Service) UpdateOpenIDConnectProviderThumbprint(ctx context.Context, in *iamapi.UpdateOpenIDConnectProviderThumbprintRequest) (*iamapi.UpdateOpenIDConnectProviderThumbprintOutput, error) {
	if err := checkThumbprintCount(len(in.ThumbprintList)); err != nil {
		return nil, err
	}
	thumbprints := normalThumbprints(in.ThumbprintList)
	err := s.modifyOIDCProvider(ctx, str(in.OpenIDConnectProviderArn), func(_ *storage.Resource, d *OIDCProviderData) error {
		d.Thumbprints = thumbprints
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.UpdateOpenIDConnectProviderThumbprintOutput{}, nil
}

// AddClientIDToOpenIDConnectProvider adds an audience; adding one the provider has changes nothing.
func (s *Service) AddClientIDToOpenIDConnectProvider(ctx context.Context, in *iamapi.AddClientIDToOpenIDConnectProviderRequest) (*iamapi.AddClientIDToOpenIDConnectProviderOutput, error) {
	id := str(in.ClientID)
	err := s.modifyOIDCProvider(ctx, str(in.OpenIDConnectProviderArn), func(_ *storage.Resource, d *OIDCProviderData) error {
		if slices.Contains(d.ClientIDs, id) {
			return nil
		}
		if len(d.ClientIDs) >= maxClientIDsPerOIDCProvider {
			return clientIDQuota()
		}
		d.ClientIDs = append(d.ClientIDs, id)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.AddClientIDToOpenIDConnectProviderOutput{}, nil
}

// RemoveClientIDFromOpenIDConnectProvider removes an audience; removing one the provider lacks changes
// nothing.
func (s *Service) RemoveClientIDFromOpenIDConnectProvider(ctx context.Context, in *iamapi.RemoveClientIDFromOpenIDConnectProviderRequest) (*iamapi.RemoveClientIDFromOpenIDConnectProviderOutput, error) {
	id := str(in.ClientID)
	err := s.modifyOIDCProvider(ctx, str(in.OpenIDConnectProviderArn), func(_ *storage.Resource, d *OIDCProviderData) error {
		d.ClientIDs = slices.DeleteFunc(d.ClientIDs, func(c string) bool { return c == id })
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.RemoveClientIDFromOpenIDConnectProviderOutput{}, nil
}

// TagOpenIDConnectProvider adds or replaces tags on a provider.
func (s *Service) TagOpenIDConnectProvider(ctx context.Context, in *iamapi.TagOpenIDConnectProviderRequest) (*iamapi.TagOpenIDConnectProviderOutput, error) {
	err := s.modifyOIDCProvider(ctx, str(in.OpenIDConnectProviderArn), func(r *storage.Resource, _ *OIDCProviderData) error {
		tags, err := mergeTags(r.Tags, in.Tags, "TagsPerOpenIDConnectProvider")
		r.Tags = tags
		return err
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.TagOpenIDConnectProviderOutput{}, nil
}

// UntagOpenIDConnectProvider removes tags from a provider.
func (s *Service) UntagOpenIDConnectProvider(ctx context.Context, in *iamapi.UntagOpenIDConnectProviderRequest) (*iamapi.UntagOpenIDConnectProviderOutput, error) {
	err := s.modifyOIDCProvider(ctx, str(in.OpenIDConnectProviderArn), func(r *storage.Resource, _ *OIDCProviderData) error {
		r.Tags = removeTags(r.Tags, in.TagKeys)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.UntagOpenIDConnectProviderOutput{}, nil
}

// ListOpenIDConnectProviderTags lists a provider's tags in the order they were added.
func (s *Service) ListOpenIDConnectProviderTags(ctx context.Context, in *iamapi.ListOpenIDConnectProviderTagsRequest) (*iamapi.ListOpenIDConnectProviderTagsResponse, error) {
	sc, err := s.scopeOf(ctx)
	if err != nil {
		return nil, err
	}
	var tags []storage.Tag
	err = s.store.View(ctx, func(tx storage.Tx) error {
		r, _, err := sc.getOIDCProvider(ctx, tx, str(in.OpenIDConnectProviderArn), noSuchOIDCProvider)
		if err == nil {
			tags = r.Tags
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	out, truncated, marker, err := tagsPage(tags, in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	return &iamapi.ListOpenIDConnectProviderTagsResponse{Tags: out, IsTruncated: truncated, Marker: marker}, nil
}
