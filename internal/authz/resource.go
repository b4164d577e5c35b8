package authz

import (
	"context"
	"errors"
	"reflect"
	"strings"

	"github.com/iamd/iamd/internal/ids"
	"github.com/iamd/iamd/internal/reqctx"
	"github.com/iamd/iamd/internal/storage"
)

// accountWide are IAM operations whose resource is the account itself ("*" in the service authorization
// reference).
var accountWide = map[string]bool{
	"GetAccountSummary": true, "SetSecurityTokenServicePreferences": true, "GetAccountAuthorizationDetails": true,
	"CreateAccountAlias": true, "DeleteAccountAlias": true, "ListAccountAliases": true,
	"GetAccountPasswordPolicy": true, "UpdateAccountPasswordPolicy": true, "DeleteAccountPasswordPolicy": true,
	"GenerateCredentialReport": true, "GetCredentialReport": true, "ListPolicies": true,
	"GetContextKeysForCustomPolicy": true, "SimulateCustomPolicy": true, "ListOpenIDConnectProviders": true,
	"ListSAMLProviders": true, "ListServerCertificates": true, "ListVirtualMFADevices": true,
	"GetServiceLastAccessedDetails": true, "GetOrganizationsAccessReport": true,
}

// collections are List operations over a whole kind: their resource is the kind's ARN prefix
// (arn:aws:iam::ACCT:user/), which policies naming "user/*" or "*" match and policies naming one user do not.
var collections = map[string]string{
	"ListUsers": "user", "ListGroups": "group", "ListRoles": "role", "ListInstanceProfiles": "instance-profile",
}

// resource returns the resource ARN an operation acts on and the condition keys that come with it
// (aws:ResourceTag/*, iam:PolicyARN, iam:PermissionsBoundary, account:TargetRegion, …).
func (a *Authorizer) resource(ctx context.Context, c *reqctx.Caller, service, op string, in any) (string, map[string][]string, error) {
	p := partition(c)
	acct := c.AccountID
	extra := map[string][]string{}
	str := func(name string) string { return stringField(in, name) }
	switch service {
	case "sts":
		switch op {
		case "GetFederationToken":
			return ids.FederatedUserARN(p, acct, str("Name")), extra, nil
		}
		return "*", extra, nil
	case "account":
		if r := str("RegionName"); r != "" {
			extra["account:targetregion"] = []string{r}
		}
		return "arn:" + p + ":account::" + acct + ":account", extra, nil
	}
	// IAM.
	if v := str("PolicyArn"); v != "" {
		extra["iam:policyarn"] = []string{v}
	}
	if v := str("PermissionsBoundary"); v != "" {
		extra["iam:permissionsboundary"] = []string{v}
	}
	if accountWide[op] {
		return "*", extra, nil
	}
	if kind, ok := collections[op]; ok {
		return ids.IAMARN(p, acct, kind, "/", ""), extra, nil
	}
	// Operations creating an entity take its path from the input.
	path := str("Path")
	switch {
	case op == "CreatePolicy":
		return ids.PolicyARN(p, acct, orSlash(path), str("PolicyName")), extra, nil
	case op == "CreateUser":
		return ids.UserARN(p, acct, orSlash(path), str("UserName")), extra, nil
	case op == "CreateRole":
		return ids.RoleARN(p, acct, orSlash(path), str("RoleName")), extra, nil
	case op == "CreateGroup":
		return ids.GroupARN(p, acct, orSlash(path), str("GroupName")), extra, nil
	case op == "CreateInstanceProfile":
		return ids.InstanceProfileARN(p, acct, orSlash(path), str("InstanceProfileName")), extra, nil
	case op == "CreateServiceLinkedRole":
		return ids.RoleARN(p, acct, "/aws-service-role/"+str("AWSServiceName")+"/", "*"), extra, nil
	}
	// Operations on a policy act on the policy, except attachments, which act on the principal.
	if v := str("PolicyArn"); v != "" && !strings.HasPrefix(op, "Attach") && !strings.HasPrefix(op, "Detach") {
		return v, extra, nil
	}
	for _, f := range []struct{ field, kind string }{
		{"UserName", "user"}, {"RoleName", "role"}, {"GroupName", "group"}, {"InstanceProfileName", "instance-profile"},
	} {
		if name := str(f.field); name != "" {
			e, err := a.entity(ctx, acct, f.kind, name)
			if err != nil {
				return "", nil, err
			}
			for _, t := range e.tags {
				extra["aws:resourcetag/"+strings.ToLower(t.Key)] = []string{t.Value}
				extra["iam:resourcetag/"+strings.ToLower(t.Key)] = []string{t.Value}
			}
			return ids.IAMARN(p, acct, f.kind, orSlash(e.path), name), extra, nil
		}
	}
	for _, f := range []struct{ field, kind string }{
		{"SAMLProviderArn", ""}, {"OpenIDConnectProviderArn", ""}, {"SerialNumber", ""},
	} {
		if v := str(f.field); strings.HasPrefix(v, "arn:") {
			return v, extra, nil
		}
	}
	if v := str("ServerCertificateName"); v != "" {
		return ids.IAMARN(p, acct, ids.KindServerCert, "/", v), extra, nil
	}
	if v := str("VirtualMFADeviceName"); v != "" {
		return ids.IAMARN(p, acct, ids.KindMFA, orSlash(path), v), extra, nil
	}
	// Operations on "the caller's own user" when no UserName is given (GetUser, ListAccessKeys,
	// CreateAccessKey, ChangePassword, …).
	if c.Kind == reqctx.CallerUser {
		return ids.UserARN(p, acct, orSlash(c.PrincipalPath), c.PrincipalName), extra, nil
	}
	return "*", extra, nil
}

// entity returns the path and tags of a named IAM entity, cached; a missing entity has path "/".
func (a *Authorizer) entity(ctx context.Context, account, kind, name string) (*entity, error) {
	key := entityKey{account, kind, storage.Fold(name)}
	a.mu.RLock()
	e := a.entities[key]
	a.mu.RUnlock()
	if e != nil {
		return e, nil
	}
	e = &entity{path: "/"}
	err := a.o.Store.View(ctx, func(tx storage.Tx) error {
		var err error
		switch kind {
		case "user":
			var u *storage.User
			if u, err = tx.GetUser(ctx, account, name); err == nil {
				e.path, e.tags, e.exists = u.Path, u.Tags, true
			}
		case "role":
			var r *storage.Role
			if r, err = tx.GetRole(ctx, account, name); err == nil {
				e.path, e.tags, e.exists = r.Path, r.Tags, true
			}
		case "group":
			var g *storage.Group
			if g, err = tx.GetGroup(ctx, account, name); err == nil {
				e.path, e.exists = g.Path, true
			}
		case "instance-profile":
			var ip *storage.InstanceProfile
			if ip, err = tx.GetInstanceProfile(ctx, account, name); err == nil {
				e.path, e.tags, e.exists = ip.Path, ip.Tags, true
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
		a.mu.Lock()
		a.entities[key] = e
		a.mu.Unlock()
	}
	return e, nil
}

func isNotFound(err error) bool { return errors.Is(err, storage.ErrNotFound) }

// addRequestTags adds aws:RequestTag/* and aws:TagKeys for operations that carry tags (Tags or TagKeys).
func addRequestTags(m map[string][]string, in any) {
	v := reflect.ValueOf(in)
	if v.Kind() != reflect.Pointer || v.IsNil() {
		return
	}
	v = v.Elem()
	var keys []string
	if f := v.FieldByName("Tags"); f.IsValid() && f.Kind() == reflect.Slice {
		for i := 0; i < f.Len(); i++ {
			t := f.Index(i)
			k, val := derefString(t.FieldByName("Key")), derefString(t.FieldByName("Value"))
			m["aws:requesttag/"+strings.ToLower(k)] = []string{val}
			keys = append(keys, k)
		}
	}
	if f := v.FieldByName("TagKeys"); f.IsValid() && f.Kind() == reflect.Slice {
		for i := 0; i < f.Len(); i++ {
			if s, ok := f.Index(i).Interface().(string); ok {
				keys = append(keys, s)
			}
		}
	}
	if len(keys) > 0 {
		m["aws:tagkeys"] = keys
	}
}

// stringField returns the *string field name of the input struct, "" when absent or nil.
func stringField(in any, name string) string {
	v := reflect.ValueOf(in)
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
		return ""
	}
	return derefString(v.Elem().FieldByName(name))
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
