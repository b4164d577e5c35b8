package iam

import "strings"

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

// DeletionTaskRole returns the path and name of the service-linked role a deletion task ID
// (DeleteServiceLinkedRole's answer, task/aws-service-role/SERVICE/ROLE/ID) names, and false for an ID
// that is not of that form. GetServiceLinkedRoleDeletionStatus reads that role, so authorization needs it:
// the request's resource is the role's ARN.
func DeletionTaskRole(task string) (path, name string, ok bool) {
	rest, ok := strings.CutPrefix(task, deletionTaskPrefix)
	if !ok {
		return "", "", false
	}
	parts := strings.Split(rest, "/")
	if len(parts) != 3 || parts[0] == "" || parts[1] == "" || parts[2] == "" {
		return "", "", false
	}
	return serviceRolePathPrefix + parts[0] + "/", parts[1], true
}
