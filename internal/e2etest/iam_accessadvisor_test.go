package e2etest

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// accessReport generates a report and reads it whole.
func accessReport(t *testing.T, e *iamEnv, arnOf string, granularity iamtypes.AccessAdvisorUsageGranularityType) (string, map[string]iamtypes.ServiceLastAccessed) {
	t.Helper()
	g := must[*iam.GenerateServiceLastAccessedDetailsOutput](t, "GenerateServiceLastAccessedDetails")(e.c.GenerateServiceLastAccessedDetails(e.ctx,
		&iam.GenerateServiceLastAccessedDetailsInput{Arn: aws.String(arnOf), Granularity: granularity}))
	out := map[string]iamtypes.ServiceLastAccessed{}
	var marker *string
	for {
		r := must[*iam.GetServiceLastAccessedDetailsOutput](t, "GetServiceLastAccessedDetails")(e.c.GetServiceLastAccessedDetails(e.ctx,
			&iam.GetServiceLastAccessedDetailsInput{JobId: g.JobId, MaxItems: aws.Int32(1), Marker: marker}))
		if r.JobStatus != iamtypes.JobStatusTypeCompleted || r.JobCreationDate == nil || r.JobCompletionDate == nil {
			t.Fatalf("job: %+v", r)
		}
		for _, s := range r.ServicesLastAccessed {
			out[aws.ToString(s.ServiceNamespace)] = s
		}
		if !r.IsTruncated {
			break
		}
		marker = r.Marker
	}
	return aws.ToString(g.JobId), out
}

// Access advisor from real requests: a user's IAM and STS calls and a role session's IAM calls show in the
// reports of the user, the role, the user's group and the policy, with time, region and actions.
func TestIAMAccessAdvisor(t *testing.T) {
	e := newIAMEnv(t)
	root := RootCreds()
	alice := newUser(t, e.s, root, "alice")
	allow(t, e.s, root, "alice", "sts:*", "*")
	must[*iam.CreateGroupOutput](t, "CreateGroup")(e.c.CreateGroup(e.ctx, &iam.CreateGroupInput{GroupName: aws.String("devs")}))
	must[*iam.AddUserToGroupOutput](t, "AddUserToGroup")(e.c.AddUserToGroup(e.ctx, &iam.AddUserToGroupInput{GroupName: aws.String("devs"), UserName: aws.String("alice")}))
	const readOnly = "arn:aws:iam::aws:policy/IAMReadOnlyAccess"
	must[*iam.AttachGroupPolicyOutput](t, "AttachGroupPolicy")(e.c.AttachGroupPolicy(e.ctx, &iam.AttachGroupPolicyInput{GroupName: aws.String("devs"), PolicyArn: aws.String(readOnly)}))
	roleARN := newRole(t, e.s, root, "ops", trustPolicy(AccountID, ""), 0)
	must[*iam.AttachRolePolicyOutput](t, "AttachRolePolicy")(e.c.AttachRolePolicy(e.ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("ops"), PolicyArn: aws.String(readOnly)}))

	// Alice calls IAM (allowed through her group) and STS in eu-west-1; a denied IAM call is an attempt too.
	must[*iam.ListUsersOutput](t, "ListUsers")(e.s.IAM(alice).ListUsers(e.ctx, &iam.ListUsersInput{}))
	identity(t, e.s.STS(alice, "eu-west-1"))
	if _, err := e.s.IAM(alice).CreateUser(e.ctx, &iam.CreateUserInput{UserName: aws.String("x")}); err == nil {
		t.Fatal("CreateUser allowed")
	}
	as, err := e.s.STS(alice, "eu-west-1").AssumeRole(e.ctx, &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("advisor")})
	ok(t, "AssumeRole", err)
	must[*iam.GetRoleOutput](t, "GetRole")(e.s.IAM(sessionCreds(as.Credentials)).GetRole(e.ctx, &iam.GetRoleInput{RoleName: aws.String("ops")}))

	userARN := arn("user/alice")
	_, rep := accessReport(t, e, userARN, iamtypes.AccessAdvisorUsageGranularityTypeActionLevel)
	iamSvc, stsSvc := rep["iam"], rep["sts"]
	if aws.ToString(iamSvc.ServiceName) != "AWS Identity and Access Management" || aws.ToString(iamSvc.LastAuthenticatedEntity) != userARN ||
		aws.ToString(iamSvc.LastAuthenticatedRegion) != "us-east-1" || aws.ToInt32(iamSvc.TotalAuthenticatedEntities) != 1 {
		t.Fatalf("user report iam: %+v", iamSvc)
	}
	checkRecent(t, "iam LastAuthenticated", iamSvc.LastAuthenticated)
	actions := map[string]iamtypes.TrackedActionLastAccessed{}
	for _, a := range iamSvc.TrackedActionsLastAccessed {
		actions[aws.ToString(a.ActionName)] = a
	}
	if _, ok := actions["ListUsers"]; !ok {
		t.Fatalf("tracked actions: %+v", iamSvc.TrackedActionsLastAccessed)
	}
	if _, ok := actions["CreateUser"]; !ok {
		t.Fatalf("denied attempt not tracked: %+v", iamSvc.TrackedActionsLastAccessed)
	}
	if aws.ToString(stsSvc.LastAuthenticatedRegion) != "eu-west-1" || stsSvc.LastAuthenticated == nil || len(stsSvc.TrackedActionsLastAccessed) == 0 {
		t.Fatalf("user report sts: %+v", stsSvc)
	}
	if _, ok := rep["account"]; ok {
		t.Fatalf("account listed though no policy allows it: %+v", rep)
	}

	// The role's report: its session's GetRole, SERVICE_LEVEL without actions.
	_, rep = accessReport(t, e, roleARN, "")
	if r := rep["iam"]; aws.ToString(r.LastAuthenticatedEntity) != roleARN || r.LastAuthenticated == nil || len(r.TrackedActionsLastAccessed) != 0 {
		t.Fatalf("role report: %+v", r)
	}
	if _, ok := rep["sts"]; ok {
		t.Fatalf("role report lists sts: %+v", rep)
	}

	// The group's report counts its member; the policy's counts the member and the role.
	_, rep = accessReport(t, e, arn("group/devs"), "")
	if r := rep["iam"]; aws.ToString(r.LastAuthenticatedEntity) != userARN || aws.ToInt32(r.TotalAuthenticatedEntities) != 1 {
		t.Fatalf("group report: %+v", r)
	}
	job, rep := accessReport(t, e, readOnly, "")
	// Times have second precision, so either may be the latest.
	if r := rep["iam"]; aws.ToInt32(r.TotalAuthenticatedEntities) != 2 || (aws.ToString(r.LastAuthenticatedEntity) != roleARN && aws.ToString(r.LastAuthenticatedEntity) != userARN) {
		t.Fatalf("policy report: %+v", r)
	}
	ents := must[*iam.GetServiceLastAccessedDetailsWithEntitiesOutput](t, "WithEntities")(e.c.GetServiceLastAccessedDetailsWithEntities(e.ctx,
		&iam.GetServiceLastAccessedDetailsWithEntitiesInput{JobId: aws.String(job), ServiceNamespace: aws.String("iam")}))
	if len(ents.EntityDetailsList) != 2 || ents.EntityDetailsList[0].LastAuthenticated.Before(*ents.EntityDetailsList[1].LastAuthenticated) ||
		aws.ToString(ents.EntityDetailsList[0].EntityInfo.Arn) == aws.ToString(ents.EntityDetailsList[1].EntityInfo.Arn) {
		t.Fatalf("WithEntities: %+v", ents.EntityDetailsList)
	}

	// Which of alice's policies grant each namespace.
	lp := must[*iam.ListPoliciesGrantingServiceAccessOutput](t, "ListPoliciesGrantingServiceAccess")(e.c.ListPoliciesGrantingServiceAccess(e.ctx,
		&iam.ListPoliciesGrantingServiceAccessInput{Arn: aws.String(userARN), ServiceNamespaces: []string{"iam", "sts", "s3"}}))
	if len(lp.PoliciesGrantingServiceAccess) != 3 ||
		len(lp.PoliciesGrantingServiceAccess[0].Policies) != 1 || aws.ToString(lp.PoliciesGrantingServiceAccess[0].Policies[0].PolicyArn) != readOnly ||
		len(lp.PoliciesGrantingServiceAccess[1].Policies) != 1 || lp.PoliciesGrantingServiceAccess[1].Policies[0].PolicyType != iamtypes.PolicyTypeInline ||
		aws.ToString(lp.PoliciesGrantingServiceAccess[1].Policies[0].EntityName) != "alice" ||
		len(lp.PoliciesGrantingServiceAccess[2].Policies) != 0 {
		t.Fatalf("ListPoliciesGrantingServiceAccess: %+v", lp.PoliciesGrantingServiceAccess)
	}

	// Authorization: GenerateServiceLastAccessedDetails on the entity's ARN, GetServiceLastAccessedDetails on
	// "*". Bob has no policy; alice reads through IAMReadOnlyAccess (iam:Generate*, iam:Get*); carol may
	// generate the report of bob only.
	bob := newUser(t, e.s, root, "bob")
	_, err = e.s.IAM(bob).GenerateServiceLastAccessedDetails(e.ctx, &iam.GenerateServiceLastAccessedDetailsInput{Arn: aws.String(userARN)})
	wantError(t, "unauthorized Generate", err, "AccessDenied", 403, "")
	_, err = e.s.IAM(bob).GetServiceLastAccessedDetails(e.ctx, &iam.GetServiceLastAccessedDetailsInput{JobId: aws.String(job)})
	wantError(t, "unauthorized Get", err, "AccessDenied", 403, "")
	// A report answers only the caller that generated it.
	_, err = e.s.IAM(alice).GetServiceLastAccessedDetails(e.ctx, &iam.GetServiceLastAccessedDetailsInput{JobId: aws.String(job)})
	wantError(t, "another caller's job", err, "NoSuchEntity", 404, "")
	own := must[*iam.GenerateServiceLastAccessedDetailsOutput](t, "Generate by alice")(e.s.IAM(alice).GenerateServiceLastAccessedDetails(e.ctx,
		&iam.GenerateServiceLastAccessedDetailsInput{Arn: aws.String(userARN)}))
	must[*iam.GetServiceLastAccessedDetailsOutput](t, "Get by alice")(e.s.IAM(alice).GetServiceLastAccessedDetails(e.ctx, &iam.GetServiceLastAccessedDetailsInput{JobId: own.JobId}))
	carol := newUser(t, e.s, root, "carol")
	allow(t, e.s, root, "carol", "iam:GenerateServiceLastAccessedDetails", arn("user/bob"))
	must[*iam.GenerateServiceLastAccessedDetailsOutput](t, "Generate by carol")(e.s.IAM(carol).GenerateServiceLastAccessedDetails(e.ctx,
		&iam.GenerateServiceLastAccessedDetailsInput{Arn: aws.String(arn("user/bob"))}))
	_, err = e.s.IAM(carol).GenerateServiceLastAccessedDetails(e.ctx, &iam.GenerateServiceLastAccessedDetailsInput{Arn: aws.String(userARN)})
	wantError(t, "Generate on another user", err, "AccessDenied", 403, "")

	runErrCases(t, []errCase{
		{"NoSuchUser", func() error {
			return call(e.c.GenerateServiceLastAccessedDetails(e.ctx, &iam.GenerateServiceLastAccessedDetailsInput{Arn: aws.String(arn("user/nobody"))}))
		}, "NoSuchEntity", 404, "The user with name nobody cannot be found."},
		{"NotAnEntity", func() error {
			return call(e.c.GenerateServiceLastAccessedDetails(e.ctx, &iam.GenerateServiceLastAccessedDetailsInput{Arn: aws.String(arn("instance-profile/p"))}))
		}, "InvalidInput", 400, ""},
		{"UnknownJob", func() error {
			return call(e.c.GetServiceLastAccessedDetails(e.ctx, &iam.GetServiceLastAccessedDetailsInput{JobId: aws.String("00000000-0000-0000-0000-000000000000")}))
		}, "NoSuchEntity", 404, ""},
		{"PolicyForListPolicies", func() error {
			return call(e.c.ListPoliciesGrantingServiceAccess(e.ctx, &iam.ListPoliciesGrantingServiceAccessInput{Arn: aws.String(readOnly), ServiceNamespaces: []string{"iam"}}))
		}, "InvalidInput", 400, ""},
		{"OrganizationsReport", func() error {
			return call(e.c.GenerateOrganizationsAccessReport(e.ctx, &iam.GenerateOrganizationsAccessReportInput{EntityPath: aws.String("o-a1b2c3d4e5/r-f6g7h8i9j0example")}))
		}, "OrganizationNotFoundException", 400, "The request was rejected because no organization is associated with your account."},
		{"GetOrganizationsReport", func() error {
			return call(e.c.GetOrganizationsAccessReport(e.ctx, &iam.GetOrganizationsAccessReportInput{JobId: aws.String("00000000-0000-0000-0000-000000000000")}))
		}, "OrganizationNotFoundException", 400, ""},
	})
}

// A user deleted and recreated under the same name starts with no accesses, written or still pending.
func TestIAMAccessAdvisorRecreatedUser(t *testing.T) {
	e := newIAMEnv(t)
	root := RootCreds()
	eve := newUser(t, e.s, root, "eve")
	allow(t, e.s, root, "eve", "iam:*", "*")
	must[*iam.ListUsersOutput](t, "ListUsers")(e.s.IAM(eve).ListUsers(e.ctx, &iam.ListUsersInput{}))
	_, rep := accessReport(t, e, arn("user/eve"), "")
	if rep["iam"].LastAuthenticated == nil {
		t.Fatalf("eve's access is missing: %+v", rep["iam"])
	}
	keys := must[*iam.ListAccessKeysOutput](t, "ListAccessKeys")(e.c.ListAccessKeys(e.ctx, &iam.ListAccessKeysInput{UserName: aws.String("eve")}))
	for _, k := range keys.AccessKeyMetadata {
		must[*iam.DeleteAccessKeyOutput](t, "DeleteAccessKey")(e.c.DeleteAccessKey(e.ctx, &iam.DeleteAccessKeyInput{UserName: aws.String("eve"), AccessKeyId: k.AccessKeyId}))
	}
	must[*iam.DeleteUserPolicyOutput](t, "DeleteUserPolicy")(e.c.DeleteUserPolicy(e.ctx, &iam.DeleteUserPolicyInput{UserName: aws.String("eve"), PolicyName: aws.String("allow-iam-all")}))
	must[*iam.DeleteUserOutput](t, "DeleteUser")(e.c.DeleteUser(e.ctx, &iam.DeleteUserInput{UserName: aws.String("eve")}))
	must[*iam.CreateUserOutput](t, "CreateUser")(e.c.CreateUser(e.ctx, &iam.CreateUserInput{UserName: aws.String("eve")}))
	allow(t, e.s, root, "eve", "iam:*", "*")
	_, rep = accessReport(t, e, arn("user/eve"), "")
	if r, ok := rep["iam"]; !ok || r.LastAuthenticated != nil || aws.ToInt32(r.TotalAuthenticatedEntities) != 0 {
		t.Fatalf("the new eve inherits the old one's access: %+v", r)
	}
}
