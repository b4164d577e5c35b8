package iam

// ServiceLinkedRoleName returns the name CreateServiceLinkedRole gives the role of an AWS service (with
// the optional custom suffix), and false for a service that has no service-linked role. Authorization
// needs it: the request's resource is that role's ARN.
func ServiceLinkedRoleName(service, customSuffix string) (string, bool) {
	ls, ok := linkedServiceFor(service)
	if !ok {
		return "", false
	}
	name := serviceRoleNamePrefix + ls.roleSuffix
	if customSuffix != "" && ls.customSuffix {
		name += "_" + customSuffix
	}
	return name, true
}
