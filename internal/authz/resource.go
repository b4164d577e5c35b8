package authz

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"sync"

	"github.com/iamd/iamd/internal/api/stsapi"
	"github.com/iamd/iamd/internal/ids"
	"github.com/iamd/iamd/internal/reqctx"
	iamsvc "github.com/iamd/iamd/internal/service/iam"
	"github.com/iamd/iamd/internal/storage"
	"github.com/iamd/iamd/internal/storage/cache"
)

// accountWide are IAM operations whose resource is the account itself ("*" in the service authorization
// reference).
var accountWide = map[string]bool{
	"GetAccountSummary": true, "SetSecurityTokenServicePreferences": true, "GetAccountAuthorizationDetails": true,
	"CreateAccountAlias": true, "DeleteAccountAlias": true, "ListAccountAliases": true,
	"GetAccountPasswordPolicy": true, "UpdateAccountPasswordPolicy": true, "DeleteAccountPasswordPolicy": true,
	"GenerateCredentialReport": true, "GetCredentialReport": true,
	"GetContextKeysForCustomPolicy": true, "SimulateCustomPolicy": true, "ListOpenIDConnectProviders": true,
	"ListSAMLProviders": true, "ListServerCertificates": true, "ListVirtualMFADevices": true,
	"GetServiceLastAccessedDetails": true, "GetServiceLastAccessedDetailsWithEntities": true,
	"GetOrganizationsAccessReport": true, "GetAccountEmailAddress": true, "GetAccountName": true,
	"ListCloudFrontPublicKeys": true,
	// Centralized root access (the Organizations features): the service authorization reference gives
	// them no resource type.
	"EnableOrganizationsRootCredentialsManagement": true, "DisableOrganizationsRootCredentialsManagement": true,
	"EnableOrganizationsRootSessions": true, "DisableOrganizationsRootSessions": true, "ListOrganizationsFeatures": true,
	// Delegation requests: a partner files one, and a customer lists those its account owns.
	"CreateDelegationRequest": true, "ListDelegationRequests": true,
	// Outbound web identity federation is an account setting: no resource type either.
	"EnableOutboundWebIdentityFederation": true, "DisableOutboundWebIdentityFederation": true,
	"GetOutboundWebIdentityFederationInfo": true,
}

// collections are List operations over a whole kind: their resource is the kind's ARN with the requested
// path prefix (arn:aws:iam::ACCT:user/ for all users), which policies naming "user/*" or "*" match and
// policies naming one user do not.
var collections = map[string]string{
	"ListUsers": ids.KindUser, "ListGroups": ids.KindGroup, "ListRoles": ids.KindRole,
	"ListInstanceProfiles": ids.KindInstanceProfile, "ListPolicies": ids.KindPolicy,
}

// noResourceType lists the actions the Service Authorization Reference gives no resource type: AWS's
// AccessDenied message names no resource for them ("… is not authorized to perform: cloudtrail:LookupEvents
// because no identity-based policy allows …").
var noResourceType = map[string]bool{"cloudtrail:LookupEvents": true}

// messageResource is the resource as AccessDenied names it: none for an action without a resource type,
// the evaluated ARN, except for ListPolicies, which AWS words "policy path /" (with the requested path
// prefix), and where resource set another (shown: an entity named in another case than stored, an access
// key).
func messageResource(action, op string, in any, res, shown string) string {
	if noResourceType[action] {
		return ""
	}
	if op == "ListPolicies" {
		return "policy path " + orSlash(inputOf(in).str(fPathPrefix))
	}
	if shown != "" {
		return shown
	}
	return res
}

// boundaryKeyOps are the operations on an existing user or role for which AWS sets iam:PermissionsBoundary
// to the entity's current permissions boundary (so that policies can say "only on users that have this
// boundary").
var boundaryKeyOps = map[string]bool{
	"AttachRolePolicy": true, "AttachUserPolicy": true, "DetachRolePolicy": true, "DetachUserPolicy": true,
	"PutRolePolicy": true, "PutUserPolicy": true, "DeleteRolePolicy": true, "DeleteUserPolicy": true,
	"DeleteRolePermissionsBoundary": true, "DeleteUserPermissionsBoundary": true,
}

// webIdentityTokenKeys adds GetWebIdentityToken's condition keys (the IAM User Guide, "Controlling access
// with IAM policies" for outbound identity federation): the audiences, the signing algorithm and the
// token's lifetime, its default (300 s) when the request leaves it out, so that a policy capping the
// lifetime allows the default.
func webIdentityTokenKeys(r *stsapi.GetWebIdentityTokenRequest, buf *ctxBuf) {
	if len(r.Audience) > 0 {
		buf.m["sts:identitytokenaudience"] = r.Audience
	}
	if r.SigningAlgorithm != nil {
		buf.set("sts:signingalgorithm", *r.SigningAlgorithm)
	}
	d := int32(defaultWebIdentityTokenSeconds)
	if r.DurationSeconds != nil {
		d = *r.DurationSeconds
	}
	buf.set("sts:durationseconds", strconv.Itoa(int(d)))
}

// defaultWebIdentityTokenSeconds is GetWebIdentityToken's DurationSeconds default.
const defaultWebIdentityTokenSeconds = 300

// named are the input members naming an IAM entity, in the order that decides the resource of operations
// naming two: AddUserToGroup acts on the group, AddRoleToInstanceProfile on the instance profile.
var named = [...]struct {
	field fieldID
	kind  string
}{
	{fInstanceProfileName, ids.KindInstanceProfile}, {fGroupName, ids.KindGroup}, {fUserName, ids.KindUser}, {fRoleName, ids.KindRole},
}

// resource returns the resource ARN an operation acts on and adds the condition keys that come with it
// (aws:ResourceTag/*, iam:PolicyARN, iam:PermissionsBoundary, account:TargetRegion, …) to buf.
// pe is the principal behind the caller, nil when unknown.
func (a *Authorizer) resource(ctx context.Context, c *reqctx.Caller, pe *principalEntry, service, op string, in any, buf *ctxBuf) (string, error) {
	p := partition(c)
	acct := c.AccountID
	x := inputOf(in)
	switch service {
	case "sts":
		if op == "GetFederationToken" {
			return ids.FederatedUserARN(p, acct, x.str(fName)), nil
		}
		if r, ok := in.(*stsapi.GetWebIdentityTokenRequest); ok {
			webIdentityTokenKeys(r, buf)
		}
		return "*", nil
	case "account":
		if r := x.str(fRegionName); r != "" {
			buf.set("account:targetregion", r)
		}
		// The Service Authorization Reference gives the alternate contact operations
		// account:AlternateContactTypes and the primary e-mail update account:EmailTargetDomain.
		if t := x.str(fAlternateContactType); t != "" {
			buf.set("account:alternatecontacttypes", t)
		}
		if e := x.str(fPrimaryEmail); e != "" {
			if i := strings.LastIndexByte(e, '@'); i >= 0 {
				buf.set("account:emailtargetdomain", e[i+1:])
			}
		}
		return "arn:" + p + ":account::" + acct + ":account", nil
	case "cloudtrail":
		// The Service Authorization Reference gives cloudtrail:LookupEvents no resource type: "*".
		return "*", nil
	}
	// IAM.
	if v := x.str(fPolicyArn); v != "" {
		buf.set("iam:policyarn", v)
	}
	if v := x.str(fPermissionsBoundary); v != "" {
		buf.set("iam:permissionsboundary", v)
	}
	if accountWide[op] {
		return "*", nil
	}
	if id, ok := delegationRequestID(in); ok {
		return a.delegationResource(ctx, c, p, id, buf)
	}
	if kind, ok := collections[op]; ok {
		return ids.IAMARN(p, acct, kind, orSlash(x.str(fPathPrefix)), ""), nil
	}
	// Operations creating an entity take its path from the input.
	path := x.str(fPath)
	switch op {
	case "CreatePolicy":
		return ids.PolicyARN(p, acct, orSlash(path), x.str(fPolicyName)), nil
	case "CreateUser":
		return ids.UserARN(p, acct, orSlash(path), x.str(fUserName)), nil
	case "CreateRole":
		return ids.RoleARN(p, acct, orSlash(path), x.str(fRoleName)), nil
	case "CreateGroup":
		return ids.GroupARN(p, acct, orSlash(path), x.str(fGroupName)), nil
	case "CreateInstanceProfile":
		return ids.InstanceProfileARN(p, acct, orSlash(path), x.str(fInstanceProfileName)), nil
	case "CreateSAMLProvider", "GetSAMLProvider", "UpdateSAMLProvider", "DeleteSAMLProvider",
		"TagSAMLProvider", "UntagSAMLProvider", "ListSAMLProviderTags":
		return a.samlProviderResource(ctx, p, acct, op, x, buf)
	case "CreateServiceLinkedRole":
		svc := x.str(fAWSServiceName)
		buf.set("iam:awsservicename", svc)
		name, ok := iamsvc.ServiceLinkedRoleName(svc, x.str(fCustomSuffix))
		if !ok {
			name = "*"
		}
		return ids.RoleARN(p, acct, "/aws-service-role/"+svc+"/", name), nil
	case "SimulatePrincipalPolicy", "GetContextKeysForPrincipalPolicy", "GenerateServiceLastAccessedDetails",
		"ListPoliciesGrantingServiceAccess": // the service authorization reference: user, group or role
		if v := x.str(fPolicySourceArn); v != "" {
			return a.storedARN(ctx, p, acct, v, buf)
		}
		if v := x.str(fArn); v != "" {
			return a.storedARN(ctx, p, acct, v, buf)
		}
	case "CreateOpenIDConnectProvider":
		// The provider to be: its ARN holds the URL without its scheme.
		return ids.IAMARN(p, acct, ids.KindOIDCProvider, "/", strings.TrimPrefix(x.str(fURL), "https://")), nil
	case "GetAccessKeyLastUsed":
		return a.keyOwnerARN(ctx, p, acct, x.str(fAccessKeyID), buf)
	case "GetServiceLinkedRoleDeletionStatus":
		return a.deletionTaskRoleARN(ctx, p, acct, x.str(fDeletionTaskID), buf)
	}
	// Operations on a policy act on the policy, except attachments, which act on the principal.
	if v := x.str(fPolicyArn); v != "" && !strings.HasPrefix(op, "Attach") && !strings.HasPrefix(op, "Detach") {
		// A customer managed policy of the account brings its tags (aws:ResourceTag/*).
		if i := strings.LastIndexByte(v, '/'); i >= 0 && strings.HasPrefix(v, "arn:"+p+":iam::"+acct+":policy/") {
			e, err := a.entity(ctx, p, acct, ids.KindPolicy, v[i+1:])
			if err != nil {
				return "", err
			}
			if e.exists && e.arn == v {
				for i, k := range e.tagKeys {
					buf.m[k] = e.tagVals[i]
				}
			}
		}
		return v, nil
	}
	for _, f := range named {
		name := x.str(f.field)
		if name == "" {
			continue
		}
		e, err := a.entity(ctx, p, acct, f.kind, name)
		if err != nil {
			return "", err
		}
		for i, k := range e.tagKeys {
			buf.m[k] = e.tagVals[i]
		}
		if e.boundary != "" && boundaryKeyOps[op] {
			buf.set("iam:permissionsboundary", e.boundary)
		}
		if !e.exists {
			return ids.IAMARN(p, acct, f.kind, "/", name), nil // the service answers NoSuchEntity
		}
		if name != e.name {
			// AWS's message names the entity as the request spells it.
			buf.shown = ids.IAMARN(p, acct, f.kind, orSlash(e.path), name)
		}
		return e.storedARN(p, acct, f.kind), nil
	}
	if v := x.str(fOpenIDConnectProviderArn); v != "" {
		return a.oidcProviderARN(ctx, p, acct, v, buf)
	}
	// A virtual MFA device of the account brings its tags (aws:ResourceTag/*) when the serial number is its
	// ARN exactly (the service finds no device under any other spelling).
	if v := x.str(fSerialNumber); v != "" && strings.HasPrefix(v, ids.IAMARN(p, acct, ids.KindMFA, "/", "")) {
		e, err := a.entity(ctx, p, acct, ids.KindMFA, v[strings.LastIndexByte(v, '/')+1:])
		if err != nil {
			return "", err
		}
		if e.exists && e.arn == v {
			for i, k := range e.tagKeys {
				buf.m[k] = e.tagVals[i]
			}
		}
		return v, nil
	}
	for _, f := range [...]fieldID{fSAMLProviderArn, fOpenIDConnectProviderArn, fSerialNumber} {
		if v := x.str(f); strings.HasPrefix(v, "arn:") {
			return v, nil
		}
	}
	if v := x.str(fServerCertificateName); v != "" {
		if op == "UploadServerCertificate" {
			return ids.IAMARN(p, acct, ids.KindServerCert, orSlash(path), v), nil
		}
		// An existing certificate is evaluated at its stored path and name, with its tags.
		e, err := a.entity(ctx, p, acct, ids.KindServerCert, v)
		if err != nil {
			return "", err
		}
		if !e.exists {
			return ids.IAMARN(p, acct, ids.KindServerCert, "/", v), nil // the service answers NoSuchEntity
		}
		for i, k := range e.tagKeys {
			buf.m[k] = e.tagVals[i]
		}
		if v != e.name {
			buf.shown = ids.IAMARN(p, acct, ids.KindServerCert, orSlash(e.path), v)
		}
		return e.storedARN(p, acct, ids.KindServerCert), nil
	}
	if v := x.str(fVirtualMFADeviceName); v != "" {
		return ids.IAMARN(p, acct, ids.KindMFA, orSlash(path), v), nil
	}
	// Operations on "the caller's own user" when no UserName is given (GetUser, ListAccessKeys,
	// CreateAccessKey, ChangePassword, …).
	if c.Kind == reqctx.CallerUser {
		if pe != nil && pe.arn != "" && pe.name == c.PrincipalName {
			return pe.arn, nil
		}
		return ids.UserARN(p, acct, orSlash(c.PrincipalPath), c.PrincipalName), nil
	}
	return "*", nil
}

// Names of IAM entities are unique case-insensitively, and the services find an entity whatever the case a
// request spells its name in; ARNs in policies match case-sensitively. So a request naming an existing
// entity is evaluated against the entity's ARN as stored (name and path): evaluating the name as typed
// would let UserName=ADMIN1 past a Deny on user/admin1.

// storedARN is the ARN of an existing entity as stored, in partition p.
func (e *entity) storedARN(p, acct, kind string) string {
	if p == e.partition {
		return e.arn
	}
	return ids.IAMARN(p, acct, kind, e.path, e.name)
}

// storedARN is the ARN policies see for a request naming an IAM user, group or role of the account by ARN
// (PolicySourceArn): the entity as stored, since the services find it by name alone, case-insensitively and
// whatever path the ARN gives. Other ARNs, and ARNs of entities that do not exist, are returned as given.
func (a *Authorizer) storedARN(ctx context.Context, p, acct, arn string, buf *ctxBuf) (string, error) {
	parsed, err := ids.ParseARN(arn)
	if err != nil || parsed.Service != "iam" || parsed.Partition != p || parsed.Account != acct || parsed.Region != "" {
		return arn, nil
	}
	r, err := ids.ParseIAMResource(parsed.Resource)
	if err != nil || (r.Kind != ids.KindUser && r.Kind != ids.KindGroup && r.Kind != ids.KindRole) {
		return arn, nil
	}
	e, err := a.entity(ctx, p, acct, r.Kind, r.Name)
	if err != nil || !e.exists {
		return arn, err
	}
	stored := e.storedARN(p, acct, r.Kind)
	if stored != arn {
		buf.shown = arn
	}
	return stored, nil
}

// keyOwnerARN is the resource of GetAccessKeyLastUsed, which reads a key's owner and last use: the user
// owning the key (with its tags as aws:ResourceTag/*), or the root user for root's keys. A key that is not
// one of the account's has the ARN of all the account's users (user/, as ListUsers): a caller allowed on
// every user learns that it does not exist (NoSuchEntity), any other caller is denied as for another
// user's key. The AccessDenied message names the key, not its owner, so a denied caller learns neither
// who owns a key nor whether it exists.
func (a *Authorizer) keyOwnerARN(ctx context.Context, p, acct, keyID string, buf *ctxBuf) (string, error) {
	buf.shown = "access key " + keyID
	var k *storage.AccessKey
	err := a.o.Store.View(ctx, func(tx storage.Tx) error {
		var err error
		k, err = tx.GetAccessKey(ctx, keyID)
		if isNotFound(err) {
			k, err = nil, nil
		}
		return err
	})
	switch {
	case err != nil:
		return "", fmt.Errorf("reading access key %s: %w", keyID, err)
	case k == nil || k.AccountID != acct:
		return ids.IAMARN(p, acct, ids.KindUser, "/", ""), nil
	case k.UserName == "":
		return ids.RootARN(p, acct), nil
	}
	e, err := a.entity(ctx, p, acct, ids.KindUser, k.UserName)
	if err != nil {
		return "", err
	}
	if !e.exists { // deleted since: the service answers as for a key that is gone
		return ids.IAMARN(p, acct, ids.KindUser, "/", ""), nil
	}
	for i, key := range e.tagKeys {
		buf.m[key] = e.tagVals[i]
	}
	return e.storedARN(p, acct, ids.KindUser), nil
}

// deletionTaskRoleARN is the resource of GetServiceLinkedRoleDeletionStatus: the service-linked role the
// deletion task names (as stored while it still exists). An ID that names no role has the ARN of all the
// account's roles (role/): only a caller allowed on every role is told that the ID is not valid.
func (a *Authorizer) deletionTaskRoleARN(ctx context.Context, p, acct, task string, buf *ctxBuf) (string, error) {
	path, name, ok := iamsvc.DeletionTaskRole(task)
	if !ok {
		return ids.IAMARN(p, acct, ids.KindRole, "/", ""), nil
	}
	e, err := a.entity(ctx, p, acct, ids.KindRole, name)
	if err != nil {
		return "", err
	}
	if !e.exists || e.path != path {
		return ids.RoleARN(p, acct, path, name), nil
	}
	if name != e.name {
		buf.shown = ids.RoleARN(p, acct, path, name)
	}
	for i, key := range e.tagKeys {
		buf.m[key] = e.tagVals[i]
	}
	return e.storedARN(p, acct, ids.KindRole), nil
}

// renamed are the operations that move or rename an entity; AWS requires the permission on the entity as
// it is and as it will be.
var renamed = map[string]struct {
	kind    string
	name    fieldID
	newName fieldID
}{
	"UpdateUser":  {ids.KindUser, fUserName, fNewUserName},
	"UpdateGroup": {ids.KindGroup, fGroupName, fNewGroupName},
	// AWS requires the permission on a server certificate under its old name and its new one
	// (UpdateServerCertificate in the IAM API reference).
	"UpdateServerCertificate": {ids.KindServerCert, fServerCertificateName, fNewServerCertificateName},
}

// renameTarget returns the ARN an UpdateUser, UpdateGroup or UpdateServerCertificate request gives the
// entity, "" when the request neither renames nor moves it.
func (a *Authorizer) renameTarget(ctx context.Context, c *reqctx.Caller, op string, in any) (string, error) {
	r, ok := renamed[op]
	if !ok {
		return "", nil
	}
	x := inputOf(in)
	newName, newPath := x.str(r.newName), x.str(fNewPath)
	if newName == "" && newPath == "" {
		return "", nil
	}
	name := x.str(r.name)
	e, err := a.entity(ctx, partition(c), c.AccountID, r.kind, name)
	if err != nil {
		return "", err
	}
	if newPath == "" {
		newPath = e.path
	}
	if newName == "" {
		// Moved, not renamed: the entity keeps its name as stored, whatever the case the request used.
		newName = name
		if e.exists {
			newName = e.name
		}
	}
	return ids.IAMARN(partition(c), c.AccountID, r.kind, newPath, newName), nil
}

// entity returns the path and tags of a named IAM entity, cached; a missing entity has path "/".
func (a *Authorizer) entity(ctx context.Context, part, account, kind, name string) (*entity, error) {
	key := entityKey{account, kind, storage.Fold(name)}
	var ver, seq uint64
	vk, cacheable := entityVersionKey(account, kind, key.name)
	cacheable = cacheable && a.versions != nil
	if cacheable {
		a.mu.Lock()
		e, _ := a.entities.Get(key)
		a.mu.Unlock()
		if e != nil && e.current(a.versions) {
			return e, nil
		}
		var out [1]uint64
		seq = a.versions.Versions(out[:], vk)
		ver = out[0]
		if e != nil && e.ver == ver {
			e.markChecked(seq)
			return e, nil
		}
	}
	e := &entity{path: "/", ver: ver}
	e.markChecked(seq)
	var tags []storage.Tag
	err := a.o.Store.View(ctx, func(tx storage.Tx) error {
		var err error
		switch kind {
		case ids.KindUser:
			var u *storage.User
			if u, err = tx.GetUser(ctx, account, name); err == nil {
				e.name, e.path, tags, e.boundary, e.exists = u.Name, u.Path, u.Tags, u.PermissionsBoundaryARN, true
			}
		case ids.KindRole:
			var r *storage.Role
			if r, err = tx.GetRole(ctx, account, name); err == nil {
				e.name, e.path, tags, e.boundary, e.exists = r.Name, r.Path, r.Tags, r.PermissionsBoundaryARN, true
			}
		case ids.KindGroup:
			var g *storage.Group
			if g, err = tx.GetGroup(ctx, account, name); err == nil {
				e.name, e.path, e.exists = g.Name, g.Path, true
			}
		case ids.KindPolicy:
			var mp *storage.ManagedPolicy
			if mp, err = tx.GetManagedPolicy(ctx, account, name); err == nil {
				e.name, e.path, tags, e.exists = mp.Name, mp.Path, mp.Tags, true
			}
		case ids.KindInstanceProfile:
			var ip *storage.InstanceProfile
			if ip, err = tx.GetInstanceProfile(ctx, account, name); err == nil {
				e.name, e.path, tags, e.exists = ip.Name, ip.Path, ip.Tags, true
			}
		case ids.KindServerCert:
			var r *storage.Resource
			if r, err = tx.GetResource(ctx, account, storage.ResourceServerCertificate, name); err == nil {
				e.name, e.path, tags, e.exists = r.Name, r.Path, r.Tags, true
			}
		case ids.KindMFA:
			var d *storage.MFADevice
			if d, err = tx.GetMFADevice(ctx, account, name); err == nil {
				e.name, e.path, tags, e.exists = d.Name, d.Path, d.Tags, true
			}
		}
		if err != nil && !isNotFound(err) {
			return err
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if e.exists {
		e.partition, e.arn = part, ids.IAMARN(part, account, kind, e.path, e.name)
	}
	for _, t := range tags {
		k := strings.ToLower(t.Key)
		v := []string{t.Value}
		e.tagKeys = append(e.tagKeys, "aws:resourcetag/"+k, "iam:resourcetag/"+k)
		e.tagVals = append(e.tagVals, v, v)
	}
	if e.exists && cacheable {
		// Copies: the name may be a slice of the request body.
		a.mu.Lock()
		a.entities.Add(entityKey{strings.Clone(account), kind, strings.Clone(key.name)}, e)
		a.mu.Unlock()
	}
	return e, nil
}

// entityChange is the kind of the changes of each sort of entity whose path and tags are kept, when the
// change names the entity by its folded name alone.
var entityChange = map[string]storage.ChangeKind{
	ids.KindUser: storage.ChangeUser, ids.KindRole: storage.ChangeRole, ids.KindGroup: storage.ChangeGroup,
	ids.KindPolicy: storage.ChangePolicy, ids.KindInstanceProfile: storage.ChangeInstanceProfile,
	ids.KindMFA: storage.ChangeMFADevice,
}

// entityVersionKey names the changes of an entity whose cached path and tags must be re-read after them.
// Generic resources (server certificates) change as ChangeResource keyed "KIND:folded name". A kind with no
// known change is not cacheable (ok false): it is read from the store every time rather than kept stale.
func entityVersionKey(account, kind, folded string) (k cache.VersionKey, ok bool) {
	if kind == ids.KindServerCert {
		return cache.VersionKey{Kind: storage.ChangeResource, Account: account, Key: string(storage.ResourceServerCertificate) + ":" + folded}, true
	}
	ch, ok := entityChange[kind]
	return cache.VersionKey{Kind: ch, Account: account, Key: folded}, ok
}

func isNotFound(err error) bool { return errors.Is(err, storage.ErrNotFound) }

// addRequestTags adds aws:RequestTag/* and aws:TagKeys for operations that carry tags (Tags or TagKeys).
func addRequestTags(m map[string][]string, in any) {
	x := inputOf(in)
	if x.s == nil {
		return
	}
	var keys []string
	if i := x.s.idx[fTags]; i >= 0 {
		f := x.v.Field(i)
		if f.Kind() == reflect.Slice {
			for j := 0; j < f.Len(); j++ {
				t := f.Index(j)
				if t.Kind() != reflect.Struct {
					break
				}
				k, val := derefString(t.FieldByName("Key")), derefString(t.FieldByName("Value"))
				m["aws:requesttag/"+strings.ToLower(k)] = []string{val}
				keys = append(keys, k)
			}
		}
	}
	if i := x.s.idx[fTagKeys]; i >= 0 {
		if ks, ok := x.v.Field(i).Interface().([]string); ok {
			keys = append(keys, ks...)
		}
	}
	if len(keys) > 0 {
		m["aws:tagkeys"] = keys
	}
}

// fieldID names an input member authorization reads.
type fieldID int

const (
	fUserName fieldID = iota
	fRoleName
	fGroupName
	fInstanceProfileName
	fPolicyArn
	fPermissionsBoundary
	fPath
	fPathPrefix
	fPolicyName
	fAWSServiceName
	fCustomSuffix
	fPolicySourceArn
	fArn
	fSAMLProviderArn
	fOpenIDConnectProviderArn
	fSerialNumber
	fServerCertificateName
	fVirtualMFADeviceName
	fName
	fRegionName
	fTags
	fTagKeys
	fNewPath
	fNewUserName
	fNewGroupName
	fNewServerCertificateName
	fAccessKeyID
	fDeletionTaskID
	fURL
	fAlternateContactType
	fPrimaryEmail
	numFields
)

var fieldNames = [numFields]string{
	fUserName: "UserName", fRoleName: "RoleName", fGroupName: "GroupName", fInstanceProfileName: "InstanceProfileName",
	fPolicyArn: "PolicyArn", fPermissionsBoundary: "PermissionsBoundary", fPath: "Path", fPathPrefix: "PathPrefix",
	fPolicyName: "PolicyName", fAWSServiceName: "AWSServiceName", fCustomSuffix: "CustomSuffix",
	fPolicySourceArn: "PolicySourceArn", fArn: "Arn", fSAMLProviderArn: "SAMLProviderArn",
	fOpenIDConnectProviderArn: "OpenIDConnectProviderArn", fSerialNumber: "SerialNumber",
	fServerCertificateName: "ServerCertificateName", fVirtualMFADeviceName: "VirtualMFADeviceName", fName: "Name",
	fRegionName: "RegionName", fTags: "Tags", fTagKeys: "TagKeys", fNewPath: "NewPath", fNewUserName: "NewUserName",
	fNewGroupName: "NewGroupName", fNewServerCertificateName: "NewServerCertificateName", fAccessKeyID: "AccessKeyId", fDeletionTaskID: "DeletionTaskId",
	fURL: "Url", fAlternateContactType: "AlternateContactType", fPrimaryEmail: "PrimaryEmail",
}

// inputShape holds the index of each member in one input struct type (-1 when absent): looking members
// up by name is done once per type, not per request.
type inputShape struct{ idx [numFields]int }

var inputShapes sync.Map // reflect.Type → *inputShape

// input is a decoded operation input as authorization reads it.
type input struct {
	v reflect.Value // the struct
	s *inputShape   // nil when the input is not a pointer to a struct
}

func inputOf(in any) input {
	v := reflect.ValueOf(in)
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
		return input{}
	}
	v = v.Elem()
	t := v.Type()
	if s, ok := inputShapes.Load(t); ok {
		return input{v, s.(*inputShape)}
	}
	s := &inputShape{}
	for i, name := range fieldNames {
		s.idx[i] = -1
		if f, ok := t.FieldByName(name); ok && len(f.Index) == 1 {
			s.idx[i] = f.Index[0]
		}
	}
	inputShapes.Store(t, s)
	return input{v, s}
}

// str returns the string (or *string) member f, "" when absent or nil.
func (x input) str(f fieldID) string {
	if x.s == nil || x.s.idx[f] < 0 {
		return ""
	}
	return derefString(x.v.Field(x.s.idx[f]))
}

func derefString(f reflect.Value) string {
	if !f.IsValid() {
		return ""
	}
	if f.Kind() == reflect.Pointer {
		if f.IsNil() {
			return ""
		}
		f = f.Elem()
	}
	if f.Kind() != reflect.String {
		return ""
	}
	return f.String()
}

func orSlash(p string) string {
	if p == "" {
		return "/"
	}
	return p
}
