package sts

import (
	"context"
	"crypto"
	"crypto/sha1"
	"encoding/base64"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/iamd/iamd/internal/api/stsapi"
	"github.com/iamd/iamd/internal/ids"
	"github.com/iamd/iamd/internal/policy"
	"github.com/iamd/iamd/internal/protocol"
	"github.com/iamd/iamd/internal/reqctx"
	"github.com/iamd/iamd/internal/samlassert"
	"github.com/iamd/iamd/internal/samlmeta"
	"github.com/iamd/iamd/internal/storage"
	"github.com/iamd/iamd/internal/token"
)

// The attributes AWS reads from an assertion (IAM User Guide, "Configure SAML assertions for the
// authentication response").
const (
	samlAttrPrefix         = "https://aws.amazon.com/SAML/Attributes/"
	samlAttrRole           = samlAttrPrefix + "Role"
	samlAttrSessionName    = samlAttrPrefix + "RoleSessionName"
	samlAttrSourceIdentity = samlAttrPrefix + "SourceIdentity"
	samlAttrPrincipalTag   = samlAttrPrefix + "PrincipalTag:"
	samlAttrTransitiveKeys = samlAttrPrefix + "TransitiveTagKeys"
)

// Messages of AssumeRoleWithSAML's errors, as the IAM User Guide's "Troubleshoot SAML federation with
// IAM" quotes them.
const (
	msgSAMLNotAuthorized    = "Not authorized to perform sts:AssumeRoleWithSAML"
	msgSAMLNoSessionName    = "RoleSessionName is required in AuthnResponse"
	msgSAMLBadSessionName   = "RoleSessionName in AuthnResponse must match [a-zA-Z_0-9+=,.@-]{2,64}"
	msgSAMLBadSource        = `Source Identity must match [a-zA-Z_0-9+=,.@-]{2,64} and not begin with "aws:"`
	msgSAMLSignature        = "Response signature invalid"
	msgSAMLNoProvider       = "Specified provider doesn't exist."
	msgSAMLAudience         = "Response does not contain the required audience."
	msgSAMLInvalid          = "Invalid SAML response."
	msgSAMLExpired          = "Token has expired."
	msgSAMLReplayed         = "The SAML assertion has already been used."
	msgSAMLProviderExpired  = "The SAML provider's metadata has expired."
	msgSAMLTooManyRoleValue = "Invalid SAML response: too many role attribute values."
)

// maxSAMLRoleValues bounds the Role attribute values read: an assertion names the roles a user may
// choose among, a few dozen at most.
const maxSAMLRoleValues = 1_000

var samlNameRE = regexp.MustCompile(`^[a-zA-Z_0-9+=,.@-]{2,64}$`)

// samlOIDKeys are the saml:* condition keys AWS fills from attributes named by OID (IAM User Guide,
// "Available keys for SAML-based federation").
var samlOIDKeys = map[string]string{
	"urn:oid:2.5.4.3":                   "saml:cn",
	"urn:oid:2.5.4.4":                   "saml:surname",
	"urn:oid:2.5.4.42":                  "saml:givenname",
	"urn:oid:0.9.2342.19200300.100.1.1": "saml:uid",
	"urn:oid:0.9.2342.19200300.100.1.3": "saml:mail",
	"urn:oid:1.3.6.1.4.1.5923.1.1.1.1":  "saml:edupersonaffiliation",
	"urn:oid:1.3.6.1.4.1.5923.1.1.1.2":  "saml:edupersonnickname",
	"urn:oid:1.3.6.1.4.1.5923.1.1.1.3":  "saml:edupersonorgdn",
	"urn:oid:1.3.6.1.4.1.5923.1.1.1.4":  "saml:edupersonorgunitdn",
	"urn:oid:1.3.6.1.4.1.5923.1.1.1.5":  "saml:edupersonprimaryaffiliation",
	"urn:oid:1.3.6.1.4.1.5923.1.1.1.6":  "saml:edupersonprincipalname",
	"urn:oid:1.3.6.1.4.1.5923.1.1.1.7":  "saml:edupersonentitlement",
	"urn:oid:1.3.6.1.4.1.5923.1.1.1.8":  "saml:edupersonprimaryorgunitdn",
	"urn:oid:1.3.6.1.4.1.5923.1.1.1.9":  "saml:edupersonscopedaffiliation",
	"urn:oid:1.3.6.1.4.1.5923.1.1.1.10": "saml:edupersontargetedid",
	"urn:oid:1.3.6.1.4.1.5923.1.1.1.11": "saml:edupersonassurance",
	"urn:oid:1.3.6.1.4.1.5923.1.2.1.2":  "saml:eduorghomepageuri",
	"urn:oid:1.3.6.1.4.1.5923.1.2.1.3":  "saml:eduorgidentityauthnpolicyuri",
	"urn:oid:1.3.6.1.4.1.5923.1.2.1.4":  "saml:eduorglegalname",
	"urn:oid:1.3.6.1.4.1.5923.1.2.1.5":  "saml:eduorgsuperioruri",
	"urn:oid:1.3.6.1.4.1.5923.1.2.1.6":  "saml:eduorgwhitepagesuri",
	"urn:oid:2.16.840.1.113730.3.1.241": "saml:displayname",
	"urn:oid:2.5.4.45":                  "saml:x500uniqueidentifier",
	"urn:oid:1.2.840.113556.1.4.1301":   "saml:primarygroupsid",
	"urn:oid:1.3.6.1.4.1.25178.1.2.9":   "saml:organizationstatus",
}

func invalidIdentityToken(msg string) error { return stsapi.NewInvalidIdentityTokenException(msg) }

// AssumeRoleWithSAML exchanges a SAML response of an identity provider registered as a SAML provider for
// credentials of a role whose trust policy trusts that provider. The call is unsigned: the signed
// assertion is the caller's proof.
func (s *Service) AssumeRoleWithSAML(ctx context.Context, in *stsapi.AssumeRoleWithSAMLRequest) (*stsapi.AssumeRoleWithSAMLResponse, error) {
	roleARN, providerARN := protocol.ToString(in.RoleArn), protocol.ToString(in.PrincipalArn)
	partition, account, path, roleName, ok := parseRoleARN(roleARN)
	if !ok {
		return nil, validationError(roleARN + " is invalid")
	}
	pa, err := ids.ParseARN(providerARN)
	providerName, isProvider := strings.CutPrefix(pa.Resource, "saml-provider/")
	if err != nil || pa.Service != "iam" || !ids.IsAccountID(pa.Account) || !isProvider || providerName == "" {
		return nil, validationError(providerARN + " is invalid")
	}
	prov, err := s.samlProvider(ctx, pa.Account, providerName)
	if errors.Is(err, storage.ErrNotFound) || (err == nil && pa.Partition != partition) {
		return nil, invalidIdentityToken(msgSAMLNoProvider)
	}
	if err != nil {
		return nil, err
	}
	now := s.requestTime(ctx)
	if !now.Before(prov.ValidUntil) {
		return nil, invalidIdentityToken(msgSAMLProviderExpired)
	}
	opts, err := s.samlOptions(ctx, prov, now)
	if err != nil {
		return nil, err
	}
	a, err := samlassert.Verify(protocol.ToString(in.SAMLAssertion), opts)
	switch {
	case errors.Is(err, samlassert.ErrExpired):
		return nil, stsapi.NewExpiredTokenException(msgSAMLExpired)
	case errors.Is(err, samlassert.ErrSignature):
		return nil, invalidIdentityToken(msgSAMLSignature)
	case errors.Is(err, samlassert.ErrAudience):
		return nil, invalidIdentityToken(msgSAMLAudience)
	case err != nil:
		s.log.DebugContext(ctx, "SAML response refused", "provider", providerARN, "err", err)
		return nil, invalidIdentityToken(msgSAMLInvalid)
	}

	// The assertion must offer this role with this provider.
	if !samlOffersRole(a.Attributes[samlAttrRole], roleARN, providerARN) {
		return nil, accessDenied(msgSAMLNotAuthorized)
	}
	names := a.Attributes[samlAttrSessionName]
	if len(names) == 0 {
		return nil, invalidIdentityToken(msgSAMLNoSessionName)
	}
	sessionName := names[0]
	if !samlNameRE.MatchString(sessionName) {
		return nil, invalidIdentityToken(msgSAMLBadSessionName)
	}
	grant, err := samlGrant(a)
	if err != nil {
		return nil, err
	}
	role, err := s.role(ctx, account, roleName)
	if errors.Is(err, storage.ErrNotFound) || (err == nil && role.Path != path) {
		return nil, accessDenied(msgSAMLNotAuthorized)
	}
	if err != nil {
		return nil, fmt.Errorf("loading role: %w", err)
	}
	keys := samlConditionKeys(a, account, pa.Account, providerName)
	if err := s.authorizeFederated(ctx, role, ids.RoleARN(partition, account, role.Path, role.Name), "sts:AssumeRoleWithSAML",
		providerARN, pa.Account, keys, grant, msgSAMLNotAuthorized); err != nil {
		return nil, err
	}

	d, err := roleSessionDuration(in.DurationSeconds, role, false)
	if err != nil {
		return nil, err
	}
	if err := s.checkActive(ctx, account); err != nil {
		return nil, err
	}
	now = now.UTC().Truncate(time.Second)
	claims := &token.Claims{AccountID: account, Partition: partition, IssuedAt: now,
		Expiration: now.Add(time.Duration(d) * time.Second), Issuer: "AssumeRoleWithSAML", Kind: token.KindAssumedRole,
		PrincipalName: role.Name, PrincipalID: role.ID, PrincipalPath: role.Path, SessionName: sessionName}
	// The session ends no later than the IdP's session (AuthnStatement SessionNotOnOrAfter).
	if t := a.SessionNotOnOrAfter; !t.IsZero() && t.Before(claims.Expiration) {
		if !t.After(now) {
			return nil, stsapi.NewExpiredTokenException(msgSAMLExpired)
		}
		claims.Expiration = t.UTC().Truncate(time.Second)
	}
	if grant.sourceIdentity != nil {
		claims.SourceIdentity = *grant.sourceIdentity
	}
	if err := applySessionPolicies(claims, in.Policy, in.PolicyArns); err != nil {
		return nil, err
	}
	if err := applyTags(claims, grant.tags, grant.transitive, nil); err != nil {
		return nil, err
	}
	packed, err := packedSize(claims)
	if err != nil {
		return nil, err
	}
	// Used once: remembered until it could no longer be accepted anyway. Checked last, so that a
	// request refused for another reason does not spend the assertion.
	if !s.samlReplay.use(a.Issuer+"\x00"+a.ID, a.NotOnOrAfter.Add(samlassert.ClockSkew), now) {
		return nil, invalidIdentityToken(msgSAMLReplayed)
	}
	creds, user, err := s.issueRoleSession(ctx, claims, role, now)
	if err != nil {
		return nil, err
	}
	out := &stsapi.AssumeRoleWithSAMLResponse{Credentials: creds, PackedPolicySize: packed, AssumedRoleUser: user,
		Subject: protocol.String(a.NameID), SubjectType: protocol.String(a.SubjectType()),
		Issuer: protocol.String(a.Issuer), Audience: protocol.String(a.Recipient),
		NameQualifier: protocol.String(samlNameQualifier(a.Issuer, pa.Account, providerName)),
	}
	if claims.SourceIdentity != "" {
		out.SourceIdentity = protocol.String(claims.SourceIdentity)
	}
	return out, nil
}

// samlProvider loads a SAML provider of account.
func (s *Service) samlProvider(ctx context.Context, account, name string) (*samlmeta.Provider, error) {
	var r *storage.Resource
	err := s.o.Store.View(ctx, func(tx storage.Tx) error {
		var err error
		r, err = tx.GetResource(ctx, account, storage.ResourceSAMLProvider, name)
		return err
	})
	if err != nil {
		return nil, err
	}
	return samlmeta.Decode(r.Data)
}

// samlOptions is what an assertion of prov is verified against.
func (s *Service) samlOptions(ctx context.Context, prov *samlmeta.Provider, now time.Time) (samlassert.Options, error) {
	certs, err := prov.Certificates()
	if err != nil {
		return samlassert.Options{}, err
	}
	o := samlassert.Options{Certificates: certs, EntityID: prov.EntityID, Now: now,
		Region: reqctx.From(ctx).Region, RequireEncryption: prov.EncryptionMode == samlmeta.EncryptionRequired}
	if s.o.Sealer != nil {
		for _, k := range prov.PrivateKeys {
			key, err := prov.OpenPrivateKey(s.o.Sealer, k.KeyID)
			if err != nil {
				return samlassert.Options{}, fmt.Errorf("SAML provider %s: %w", prov.UUID, err)
			}
			o.DecryptionKeys = append(o.DecryptionKeys, crypto.PrivateKey(key))
		}
	}
	return o, nil
}

// samlOffersRole reports whether one of the Role attribute's "ROLE_ARN,PROVIDER_ARN" values (in either
// order, as AWS accepts them) names role with provider.
func samlOffersRole(values []string, role, provider string) bool {
	for i, v := range values {
		if i >= maxSAMLRoleValues {
			return false
		}
		a, b, ok := strings.Cut(v, ",")
		a, b = strings.TrimSpace(a), strings.TrimSpace(b)
		if ok && ((a == role && b == provider) || (a == provider && b == role)) {
			return true
		}
	}
	return false
}

// samlGrant reads the session tags, transitive tag keys and source identity of an assertion.
func samlGrant(a *samlassert.Assertion) (*sessionGrant, error) {
	g := &sessionGrant{}
	for name, vals := range a.Attributes {
		key, ok := strings.CutPrefix(name, samlAttrPrincipalTag)
		if !ok {
			continue
		}
		if len(vals) != 1 || !validFederatedTag(key, vals[0]) {
			return nil, invalidIdentityToken(msgSAMLInvalid)
		}
		g.tags = append(g.tags, stsapi.Tag{Key: protocol.String(key), Value: protocol.String(vals[0])})
	}
	g.transitive = a.Attributes[samlAttrTransitiveKeys]
	for _, k := range g.transitive {
		if !validTagKey(k) {
			return nil, invalidIdentityToken(msgSAMLInvalid)
		}
	}
	if v := a.Attributes[samlAttrSourceIdentity]; len(v) > 0 {
		if !samlNameRE.MatchString(v[0]) || strings.HasPrefix(strings.ToLower(v[0]), "aws:") {
			return nil, invalidIdentityToken(msgSAMLBadSource)
		}
		g.sourceIdentity = &v[0]
	}
	return g, nil
}

var tagKeyRE = regexp.MustCompile(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]{1,128}$`)

func validTagKey(k string) bool { return tagKeyRE.MatchString(k) }

// maxTagValueChars is the longest session tag value (the STS model's tagValueType): a request's tags are
// held to it by the model, tags an identity provider asserts by validFederatedTag.
const maxTagValueChars = 256

// validFederatedTag checks a session tag that a SAML assertion or a web identity token carries, which the
// request's model does not check: the key as the model's tagKeyType, the value no longer than its
// tagValueType.
func validFederatedTag(key, value string) bool {
	return validTagKey(key) && utf8.RuneCountInString(value) <= maxTagValueChars
}

// samlNameQualifier is the saml:namequalifier AWS computes: base64(SHA-1(issuer + account + "/" +
// provider name)) (IAM User Guide, "Available keys for SAML-based federation").
func samlNameQualifier(issuer, account, provider string) string {
	sum := sha1.Sum([]byte(issuer + account + "/" + provider))
	return base64.StdEncoding.EncodeToString(sum[:])
}

// samlConditionKeys are the saml:* keys of an assertion (lower-cased).
func samlConditionKeys(a *samlassert.Assertion, roleAccount, providerAccount, provider string) map[string][]string {
	m := map[string][]string{
		"saml:aud":           {a.Recipient},
		"saml:iss":           {a.Issuer},
		"saml:sub":           {a.NameID},
		"saml:sub_type":      {a.SubjectType()},
		"saml:namequalifier": {samlNameQualifier(a.Issuer, providerAccount, provider)},
		"saml:doc":           {providerAccount + "/" + provider},
	}
	for name, vals := range a.Attributes {
		if k, ok := samlOIDKeys[name]; ok && len(vals) > 0 {
			m[k] = vals
		}
	}
	return m
}

// authorizeFederated evaluates action (sts:AssumeRoleWithSAML or sts:AssumeRoleWithWebIdentity), and the
// grant's sts:TagSession and sts:SetSourceIdentity, against the role's trust policy alone, for provider as
// a Federated principal of providerAccount: a federated principal has no identity policies. keys are the
// provider's condition keys (lower-cased); every refusal is AccessDenied with the message denied.
func (s *Service) authorizeFederated(ctx context.Context, role *storage.Role, roleARN, action, provider, providerAccount string,
	keys map[string][]string, g *sessionGrant, denied string) error {
	trust, err := s.trust.parse(role.AssumeRolePolicyDocument)
	if err != nil {
		s.log.WarnContext(ctx, "role trust policy does not parse", "role", roleARN, "err", err)
		return accessDenied(denied)
	}
	var reqCtx map[string][]string
	if s.o.Policies != nil {
		var release func()
		reqCtx, release = s.o.Policies.RequestContext(ctx)
		defer release()
	}
	if reqCtx == nil {
		reqCtx = map[string][]string{}
	}
	maps.Copy(reqCtx, keys)
	reqCtx["aws:federatedprovider"] = []string{provider}
	g.addContext(reqCtx)
	set := &policy.Set{Resource: &policy.Attached{Policy: trust, ID: "trust-policy", Source: policy.SourceResource,
		PrincipalIDs: role.TrustPrincipalIDs}, ResourceAccount: role.AccountID}
	p := policy.Principal{Federated: provider, AccountID: providerAccount}
	for _, a := range append([]string{action}, g.actions()...) {
		d := policy.Evaluate(&policy.Request{Action: a, Resource: roleARN, Principal: p, Context: reqCtx}, set)
		if !d.Allowed() || d.Resource != policy.Allowed {
			return accessDenied(denied)
		}
	}
	return nil
}
