package ids

import (
	"fmt"
	"strings"
)

// ARN is an Amazon Resource Name: arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE.
type ARN struct {
	Partition string
	Service   string
	Region    string
	Account   string
	Resource  string
}

// arnSections is the number of colon-separated sections before the resource (which may hold colons itself).
const arnSections = 6

// String formats the ARN.
func (a ARN) String() string {
	return "arn:" + a.Partition + ":" + a.Service + ":" + a.Region + ":" + a.Account + ":" + a.Resource
}

// ParseARN splits an ARN into its parts. The resource keeps any colons it contains.
func ParseARN(s string) (ARN, error) {
	parts := strings.SplitN(s, ":", arnSections)
	if len(parts) != arnSections || parts[0] != "arn" || parts[1] == "" || parts[2] == "" || parts[5] == "" {
		return ARN{}, fmt.Errorf("%w: %q is not an ARN", ErrInvalid, s)
	}
	return ARN{Partition: parts[1], Service: parts[2], Region: parts[3], Account: parts[4], Resource: parts[5]}, nil
}

// Kinds of IAM resource, the first element of an IAM ARN's resource.
const (
	KindUser            = "user"
	KindRole            = "role"
	KindGroup           = "group"
	KindPolicy          = "policy"
	KindInstanceProfile = "instance-profile"
	KindMFA             = "mfa"
	KindServerCert      = "server-certificate"
	KindSAMLProvider    = "saml-provider"
	KindOIDCProvider    = "oidc-provider"
)

// IAMARN builds arn:PARTITION:iam::ACCOUNT:KIND/PATH…NAME for a resource with an IAM path ("/" or "/a/b/").
func IAMARN(partition, account, kind, path, name string) string {
	if path == "" {
		path = "/"
	}
	return "arn:" + partition + ":iam::" + account + ":" + kind + path + name
}

// UserARN is the ARN of an IAM user.
func UserARN(partition, account, path, name string) string {
	return IAMARN(partition, account, KindUser, path, name)
}

// RoleARN is the ARN of an IAM role.
func RoleARN(partition, account, path, name string) string {
	return IAMARN(partition, account, KindRole, path, name)
}

// GroupARN is the ARN of an IAM group.
func GroupARN(partition, account, path, name string) string {
	return IAMARN(partition, account, KindGroup, path, name)
}

// PolicyARN is the ARN of a customer managed policy (AWS managed policies use account "aws").
func PolicyARN(partition, account, path, name string) string {
	return IAMARN(partition, account, KindPolicy, path, name)
}

// InstanceProfileARN is the ARN of an instance profile.
func InstanceProfileARN(partition, account, path, name string) string {
	return IAMARN(partition, account, KindInstanceProfile, path, name)
}

// RootARN is the ARN of the account's root user.
func RootARN(partition, account string) string {
	return "arn:" + partition + ":iam::" + account + ":root"
}

// AssumedRoleARN is the STS ARN of a role session; AWS drops the role's path here.
func AssumedRoleARN(partition, account, roleName, sessionName string) string {
	return "arn:" + partition + ":sts::" + account + ":assumed-role/" + roleName + "/" + sessionName
}

// FederatedUserARN is the STS ARN of a GetFederationToken session.
func FederatedUserARN(partition, account, name string) string {
	return "arn:" + partition + ":sts::" + account + ":federated-user/" + name
}

// AssumedRoleID is the AssumedRoleId / aws:userid of a role session: ROLEID:SESSION.
func AssumedRoleID(roleID, sessionName string) string { return roleID + ":" + sessionName }

// FederatedUserID is the FederatedUserId of a federation session: ACCOUNT:NAME.
func FederatedUserID(account, name string) string { return account + ":" + name }

// IAMResource is the resource part of an IAM ARN split into kind, path and name.
type IAMResource struct {
	Kind string // "user", "role", …; "root" for the root user
	Path string // "/" or "/a/b/"
	Name string
}

// ParseIAMResource splits "user/a/b/alice" into {user, /a/b/, alice}; "root" gives {root, "", ""}.
// For STS resources ("assumed-role/ROLE/SESSION") Path is "/ROLE/" and Name the session, which callers
// that care read with SplitN instead.
func ParseIAMResource(resource string) (IAMResource, error) {
	if resource == "root" {
		return IAMResource{Kind: "root"}, nil
	}
	kind, rest, ok := strings.Cut(resource, "/")
	if !ok || kind == "" || rest == "" {
		return IAMResource{}, fmt.Errorf("%w: resource %q has no kind/name", ErrInvalid, resource)
	}
	i := strings.LastIndexByte(rest, '/')
	path, name := "/"+rest[:i+1], rest[i+1:]
	if i < 0 {
		path = "/"
	}
	if name == "" {
		return IAMResource{}, fmt.Errorf("%w: resource %q has an empty name", ErrInvalid, resource)
	}
	return IAMResource{Kind: kind, Path: path, Name: name}, nil
}
