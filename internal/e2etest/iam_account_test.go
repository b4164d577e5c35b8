package e2etest

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
)

// Account aliases through the SDK: one per account, unique across accounts.
func TestIAMAccountAliases(t *testing.T) {
	e := newIAMEnv(t)
	c, ctx := e.c, e.ctx
	l := must[*iam.ListAccountAliasesOutput](t, "ListAccountAliases")(c.ListAccountAliases(ctx, &iam.ListAccountAliasesInput{}))
	if len(l.AccountAliases) != 0 || l.IsTruncated {
		t.Fatalf("fresh account aliases: %+v", l)
	}
	must[*iam.CreateAccountAliasOutput](t, "CreateAccountAlias")(c.CreateAccountAlias(ctx, &iam.CreateAccountAliasInput{AccountAlias: aws.String("my-corp")}))
	must[*iam.CreateAccountAliasOutput](t, "CreateAccountAlias again")(c.CreateAccountAlias(ctx, &iam.CreateAccountAliasInput{AccountAlias: aws.String("my-corp")}))
	must[*iam.CreateAccountAliasOutput](t, "CreateAccountAlias replace")(c.CreateAccountAlias(ctx, &iam.CreateAccountAliasInput{AccountAlias: aws.String("my-corp-2")}))
	l = must[*iam.ListAccountAliasesOutput](t, "ListAccountAliases")(c.ListAccountAliases(ctx, &iam.ListAccountAliasesInput{}))
	if strings.Join(l.AccountAliases, ",") != "my-corp-2" {
		t.Fatalf("aliases: %v", l.AccountAliases)
	}
	other := e.s.IAM(newAccount(t, e.s, "210987654321"))
	runErrCases(t, []errCase{
		{"alias of another account", func() error {
			return call(other.CreateAccountAlias(ctx, &iam.CreateAccountAliasInput{AccountAlias: aws.String("my-corp-2")}))
		}, "EntityAlreadyExists", 409, "The account alias my-corp-2 already exists."},
		{"delete unknown alias", func() error {
			return call(c.DeleteAccountAlias(ctx, &iam.DeleteAccountAliasInput{AccountAlias: aws.String("my-corp")}))
		}, "NoSuchEntity", 404, "The account alias my-corp cannot be found."},
		{"delete another account's alias", func() error {
			return call(other.DeleteAccountAlias(ctx, &iam.DeleteAccountAliasInput{AccountAlias: aws.String("my-corp-2")}))
		}, "NoSuchEntity", 404, "The account alias my-corp-2 cannot be found."},
		{"uppercase alias", func() error {
			return call(c.CreateAccountAlias(ctx, &iam.CreateAccountAliasInput{AccountAlias: aws.String("My-Corp")}))
		}, "ValidationError", 400, validation("My-Corp", "accountAlias", "Member must satisfy regular expression pattern: ^[a-z0-9]([a-z0-9]|-(?!-)){1,61}[a-z0-9]$")},
		{"alias too short", func() error {
			return call(c.CreateAccountAlias(ctx, &iam.CreateAccountAliasInput{AccountAlias: aws.String("ab")}))
		}, "ValidationError", 400, ""},
	})
	must[*iam.DeleteAccountAliasOutput](t, "DeleteAccountAlias")(c.DeleteAccountAlias(ctx, &iam.DeleteAccountAliasInput{AccountAlias: aws.String("my-corp-2")}))
	must[*iam.CreateAccountAliasOutput](t, "CreateAccountAlias freed alias")(other.CreateAccountAlias(ctx, &iam.CreateAccountAliasInput{AccountAlias: aws.String("my-corp-2")}))
	l = must[*iam.ListAccountAliasesOutput](t, "ListAccountAliases")(c.ListAccountAliases(ctx, &iam.ListAccountAliasesInput{}))
	if len(l.AccountAliases) != 0 {
		t.Fatalf("after delete: %v", l.AccountAliases)
	}
}

// GetAccountSummary's counts follow creates and deletes of every entity kind, and its quotas are AWS's.
func TestIAMAccountSummary(t *testing.T) {
	e := newIAMEnv(t)
	c, ctx := e.c, e.ctx
	summary := func(c *iam.Client) map[string]int32 {
		t.Helper()
		return must[*iam.GetAccountSummaryOutput](t, "GetAccountSummary")(c.GetAccountSummary(ctx, &iam.GetAccountSummaryInput{})).SummaryMap
	}
	fresh := map[string]int32{
		"Users": 0, "UsersQuota": 5000, "Groups": 0, "GroupsQuota": 300, "Roles": 0, "RolesQuota": 1000,
		"InstanceProfiles": 0, "InstanceProfilesQuota": 1000, "Policies": 0, "PoliciesQuota": 1500,
		"ServerCertificates": 0, "ServerCertificatesQuota": 20, "PolicyVersionsInUse": 0, "PolicyVersionsInUseQuota": 10000,
		"VersionsPerPolicyQuota": 5, "PolicySizeQuota": 6144, "UserPolicySizeQuota": 2048, "GroupPolicySizeQuota": 5120,
		"RolePolicySizeQuota": 10240, "AssumeRolePolicySizeQuota": 2048, "AttachedPoliciesPerUserQuota": 10,
		"AttachedPoliciesPerGroupQuota": 10, "AttachedPoliciesPerRoleQuota": 10, "GroupsPerUserQuota": 10,
		"AccessKeysPerUserQuota": 2, "SigningCertificatesPerUserQuota": 2, "MFADevices": 0, "MFADevicesInUse": 0,
		"Providers": 0, "AccountMFAEnabled": 0, "AccountAccessKeysPresent": 1, "AccountSigningCertificatesPresent": 0,
		"AccountPasswordPresent": 0, "GlobalEndpointTokenVersion": 1,
	}
	s0 := summary(c)
	for k, v := range fresh {
		if got, present := s0[k]; !present || got != v {
			t.Errorf("fresh %s = %d (present %v), want %d", k, got, present, v)
		}
	}
	if len(s0) != len(fresh) {
		t.Errorf("summary has %d keys, want %d: %v", len(s0), len(fresh), s0)
	}

	// Each step changes exactly the counts it names.
	steps := []struct {
		what string
		do   func() error
		want map[string]int32
	}{
		{"CreateUser", func() error { return call(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("u")})) }, map[string]int32{"Users": 1}},
		{"CreateGroup", func() error { return call(c.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("g")})) }, map[string]int32{"Groups": 1}},
		{"CreateRole", func() error {
			return call(c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("r"), AssumeRolePolicyDocument: aws.String(trustEC2)}))
		}, map[string]int32{"Roles": 1}},
		{"CreateInstanceProfile", func() error {
			return call(c.CreateInstanceProfile(ctx, &iam.CreateInstanceProfileInput{InstanceProfileName: aws.String("ip")}))
		}, map[string]int32{"InstanceProfiles": 1}},
		{"CreatePolicy", func() error {
			return call(c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("p"), PolicyDocument: aws.String(docAllow("s3:*", "*"))}))
		}, map[string]int32{"Policies": 1, "PolicyVersionsInUse": 1}},
		{"CreatePolicyVersion", func() error {
			return call(c.CreatePolicyVersion(ctx, &iam.CreatePolicyVersionInput{PolicyArn: aws.String(arn("policy/p")), PolicyDocument: aws.String(docAllow("s3:Get*", "*"))}))
		}, map[string]int32{"PolicyVersionsInUse": 2}},
		{"AttachUserPolicy (no count)", func() error {
			return call(c.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("u"), PolicyArn: aws.String(adminARN)}))
		}, map[string]int32{}},
		{"DeletePolicyVersion", func() error {
			return call(c.DeletePolicyVersion(ctx, &iam.DeletePolicyVersionInput{PolicyArn: aws.String(arn("policy/p")), VersionId: aws.String("v2")}))
		}, map[string]int32{"PolicyVersionsInUse": 1}},
		{"DeletePolicy", func() error {
			return call(c.DeletePolicy(ctx, &iam.DeletePolicyInput{PolicyArn: aws.String(arn("policy/p"))}))
		},
			map[string]int32{"Policies": 0, "PolicyVersionsInUse": 0}},
		{"DeleteInstanceProfile", func() error {
			return call(c.DeleteInstanceProfile(ctx, &iam.DeleteInstanceProfileInput{InstanceProfileName: aws.String("ip")}))
		}, map[string]int32{"InstanceProfiles": 0}},
		{"DeleteRole", func() error { return call(c.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("r")})) }, map[string]int32{"Roles": 0}},
		{"DeleteGroup", func() error { return call(c.DeleteGroup(ctx, &iam.DeleteGroupInput{GroupName: aws.String("g")})) }, map[string]int32{"Groups": 0}},
	}
	prev := s0
	for _, st := range steps {
		ok(t, st.what, st.do())
		got := summary(c)
		for k, v := range got {
			want, named := st.want[k]
			if !named {
				want = prev[k]
			}
			if v != want {
				t.Fatalf("after %s: %s = %d, want %d", st.what, k, v, want)
			}
		}
		prev = got
	}

	// The root access key flag: an administrator sees it drop to 0 once root has deleted its only key.
	admin := must[*iam.CreateAccessKeyOutput](t, "CreateAccessKey")(c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("u")})).AccessKey
	ac := e.s.IAM(Creds(aws.ToString(admin.AccessKeyId), aws.ToString(admin.SecretAccessKey), ""))
	if got := summary(ac)["AccountAccessKeysPresent"]; got != 1 {
		t.Fatalf("AccountAccessKeysPresent %d", got)
	}
	must[*iam.DeleteAccessKeyOutput](t, "DeleteAccessKey root")(c.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{AccessKeyId: aws.String(RootKeyID)}))
	after := summary(ac)
	if after["AccountAccessKeysPresent"] != 0 || after["Users"] != 1 {
		t.Fatalf("after deleting root's key: %v", after)
	}
}

// GetAccountAuthorizationDetails with each filter and with pages, on a small realistic account.
func TestIAMAccountAuthorizationDetails(t *testing.T) {
	e := newIAMEnv(t)
	c, ctx := e.c, e.ctx
	inline := docAllow("s3:ListBucket", "arn:aws:s3:::logs")
	must[*iam.CreatePolicyOutput](t, "CreatePolicy")(c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("Team"), Path: aws.String("/t/"), PolicyDocument: aws.String(docAllow("s3:*", "*"))}))
	teamARN := arn("policy/t/Team")
	must[*iam.CreatePolicyVersionOutput](t, "CreatePolicyVersion")(c.CreatePolicyVersion(ctx, &iam.CreatePolicyVersionInput{PolicyArn: aws.String(teamARN), PolicyDocument: aws.String(inline), SetAsDefault: true}))
	must[*iam.CreatePolicyOutput](t, "CreatePolicy unused")(c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("Unused"), PolicyDocument: aws.String(docAllow("s3:*", "*"))}))
	for i := range 3 {
		n := fmt.Sprintf("user%d", i)
		must[*iam.CreateUserOutput](t, "CreateUser")(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(n), Path: aws.String("/staff/"), Tags: tags("n", n)}))
	}
	must[*iam.PutUserPermissionsBoundaryOutput](t, "PutUserPermissionsBoundary")(c.PutUserPermissionsBoundary(ctx, &iam.PutUserPermissionsBoundaryInput{UserName: aws.String("user0"), PermissionsBoundary: aws.String(readOnlyARN)}))
	must[*iam.PutUserPolicyOutput](t, "PutUserPolicy")(c.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("user0"), PolicyName: aws.String("logs"), PolicyDocument: aws.String(inline)}))
	must[*iam.AttachUserPolicyOutput](t, "AttachUserPolicy")(c.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("user0"), PolicyArn: aws.String(teamARN)}))
	must[*iam.CreateGroupOutput](t, "CreateGroup")(c.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("devs")}))
	must[*iam.AddUserToGroupOutput](t, "AddUserToGroup")(c.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String("devs"), UserName: aws.String("user0")}))
	must[*iam.PutGroupPolicyOutput](t, "PutGroupPolicy")(c.PutGroupPolicy(ctx, &iam.PutGroupPolicyInput{GroupName: aws.String("devs"), PolicyName: aws.String("g-logs"), PolicyDocument: aws.String(inline)}))
	must[*iam.AttachGroupPolicyOutput](t, "AttachGroupPolicy")(c.AttachGroupPolicy(ctx, &iam.AttachGroupPolicyInput{GroupName: aws.String("devs"), PolicyArn: aws.String(readOnlyARN)}))
	must[*iam.CreateRoleOutput](t, "CreateRole")(c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("ec2-app"), AssumeRolePolicyDocument: aws.String(trustEC2), Tags: tags("k", "v")}))
	must[*iam.PutRolePolicyOutput](t, "PutRolePolicy")(c.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("ec2-app"), PolicyName: aws.String("r-logs"), PolicyDocument: aws.String(inline)}))
	must[*iam.AttachRolePolicyOutput](t, "AttachRolePolicy")(c.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("ec2-app"), PolicyArn: aws.String(adminARN)}))
	must[*iam.CreateInstanceProfileOutput](t, "CreateInstanceProfile")(c.CreateInstanceProfile(ctx, &iam.CreateInstanceProfileInput{InstanceProfileName: aws.String("ec2-app")}))
	must[*iam.AddRoleToInstanceProfileOutput](t, "AddRoleToInstanceProfile")(c.AddRoleToInstanceProfile(ctx, &iam.AddRoleToInstanceProfileInput{InstanceProfileName: aws.String("ec2-app"), RoleName: aws.String("ec2-app")}))

	get := func(in *iam.GetAccountAuthorizationDetailsInput) *iam.GetAccountAuthorizationDetailsOutput {
		t.Helper()
		return must[*iam.GetAccountAuthorizationDetailsOutput](t, "GetAccountAuthorizationDetails")(c.GetAccountAuthorizationDetails(ctx, in))
	}
	all := get(&iam.GetAccountAuthorizationDetailsInput{})
	if len(all.UserDetailList) != 3 || len(all.GroupDetailList) != 1 || len(all.RoleDetailList) != 1 || all.IsTruncated {
		t.Fatalf("all: %d users %d groups %d roles", len(all.UserDetailList), len(all.GroupDetailList), len(all.RoleDetailList))
	}
	var policies []string
	for _, p := range all.Policies {
		policies = append(policies, aws.ToString(p.Arn))
	}
	slices.Sort(policies)
	// AWS managed policies appear when used (attached or as a boundary); customer managed ones always.
	wantPolicies := []string{readOnlyARN, adminARN, arn("policy/Unused"), teamARN}
	slices.Sort(wantPolicies)
	if !equalStrings(policies, wantPolicies) {
		t.Fatalf("Policies: %v, want %v", policies, wantPolicies)
	}

	u0 := all.UserDetailList[0]
	checkID(t, "UserDetail", aws.ToString(u0.UserId), "AIDA")
	if aws.ToString(u0.UserName) != "user0" || aws.ToString(u0.Arn) != arn("user/staff/user0") || strings.Join(u0.GroupList, ",") != "devs" ||
		len(u0.AttachedManagedPolicies) != 1 || aws.ToString(u0.AttachedManagedPolicies[0].PolicyArn) != teamARN ||
		u0.PermissionsBoundary == nil || aws.ToString(u0.PermissionsBoundary.PermissionsBoundaryArn) != readOnlyARN ||
		len(u0.UserPolicyList) != 1 || aws.ToString(u0.UserPolicyList[0].PolicyName) != "logs" || tagMap(u0.Tags)["n"] != "user0" || u0.CreateDate == nil {
		t.Fatalf("UserDetail: %+v", u0)
	}
	if decoded(t, u0.UserPolicyList[0].PolicyDocument) != inline {
		t.Fatalf("user inline document: %q", aws.ToString(u0.UserPolicyList[0].PolicyDocument))
	}
	g := all.GroupDetailList[0]
	checkID(t, "GroupDetail", aws.ToString(g.GroupId), "AGPA")
	if aws.ToString(g.GroupName) != "devs" || len(g.GroupPolicyList) != 1 || decoded(t, g.GroupPolicyList[0].PolicyDocument) != inline ||
		len(g.AttachedManagedPolicies) != 1 || aws.ToString(g.AttachedManagedPolicies[0].PolicyName) != "ReadOnlyAccess" {
		t.Fatalf("GroupDetail: %+v", g)
	}
	r := all.RoleDetailList[0]
	checkID(t, "RoleDetail", aws.ToString(r.RoleId), "AROA")
	if aws.ToString(r.RoleName) != "ec2-app" || decoded(t, r.AssumeRolePolicyDocument) != trustEC2 || len(r.RolePolicyList) != 1 ||
		decoded(t, r.RolePolicyList[0].PolicyDocument) != inline || len(r.AttachedManagedPolicies) != 1 ||
		len(r.InstanceProfileList) != 1 || aws.ToString(r.InstanceProfileList[0].InstanceProfileName) != "ec2-app" || tagMap(r.Tags)["k"] != "v" {
		t.Fatalf("RoleDetail: %+v", r)
	}
	checkID(t, "InstanceProfile in RoleDetail", aws.ToString(r.InstanceProfileList[0].InstanceProfileId), "AIPA")
	for _, p := range all.Policies {
		checkID(t, "ManagedPolicyDetail", aws.ToString(p.PolicyId), "ANPA")
		if len(p.PolicyVersionList) == 0 {
			t.Fatalf("no versions: %+v", p)
		}
		if aws.ToString(p.Arn) == teamARN {
			if len(p.PolicyVersionList) != 2 || aws.ToString(p.DefaultVersionId) != "v2" || aws.ToInt32(p.AttachmentCount) != 1 {
				t.Fatalf("Team policy detail: %+v", p)
			}
			for _, v := range p.PolicyVersionList {
				want := docAllow("s3:*", "*")
				if v.IsDefaultVersion {
					want = inline
				}
				if decoded(t, v.Document) != want {
					t.Fatalf("version %s document %q", aws.ToString(v.VersionId), decoded(t, v.Document))
				}
			}
		}
	}

	for _, c2 := range []struct {
		filter                                iamtypes.EntityType
		users, groups, roles, policies, awsNo int
	}{
		{iamtypes.EntityTypeUser, 3, 0, 0, 0, 0},
		{iamtypes.EntityTypeGroup, 0, 1, 0, 0, 0},
		{iamtypes.EntityTypeRole, 0, 0, 1, 0, 0},
		{iamtypes.EntityTypeLocalManagedPolicy, 0, 0, 0, 2, 0},
		{iamtypes.EntityTypeAWSManagedPolicy, 0, 0, 0, 2, 2},
	} {
		out := get(&iam.GetAccountAuthorizationDetailsInput{Filter: []iamtypes.EntityType{c2.filter}})
		awsN := 0
		for _, p := range out.Policies {
			if strings.HasPrefix(aws.ToString(p.Arn), "arn:aws:iam::aws:") {
				awsN++
			}
		}
		if len(out.UserDetailList) != c2.users || len(out.GroupDetailList) != c2.groups || len(out.RoleDetailList) != c2.roles ||
			len(out.Policies) != c2.policies || awsN != c2.awsNo {
			t.Fatalf("Filter %s: %d users %d groups %d roles %d policies (%d AWS)", c2.filter, len(out.UserDetailList),
				len(out.GroupDetailList), len(out.RoleDetailList), len(out.Policies), awsN)
		}
	}
	two := get(&iam.GetAccountAuthorizationDetailsInput{Filter: []iamtypes.EntityType{iamtypes.EntityTypeRole, iamtypes.EntityTypeUser}})
	if len(two.UserDetailList) != 3 || len(two.RoleDetailList) != 1 || len(two.GroupDetailList) != 0 || len(two.Policies) != 0 {
		t.Fatalf("Filter Role+User: %+v", two)
	}

	// One item per page walks every section in order and finds the same entities as one call.
	names, pages := walk(t, 1, func(m *string, n int32) ([]string, bool, *string, error) {
		out, err := c.GetAccountAuthorizationDetails(ctx, &iam.GetAccountAuthorizationDetailsInput{Marker: m, MaxItems: aws.Int32(n)})
		if err != nil {
			return nil, false, nil, err
		}
		var a []string
		for _, x := range out.UserDetailList {
			a = append(a, "user:"+aws.ToString(x.UserName))
		}
		for _, x := range out.GroupDetailList {
			a = append(a, "group:"+aws.ToString(x.GroupName))
		}
		for _, x := range out.RoleDetailList {
			a = append(a, "role:"+aws.ToString(x.RoleName))
		}
		for _, x := range out.Policies {
			a = append(a, "policy:"+aws.ToString(x.Arn))
		}
		return a, out.IsTruncated, out.Marker, nil
	})
	if pages != 9 || len(names) != 9 || names[0] != "user:user0" || names[3] != "group:devs" || names[4] != "role:ec2-app" {
		t.Fatalf("paged walk: %d pages %v", pages, names)
	}
	p := iam.NewGetAccountAuthorizationDetailsPaginator(c, &iam.GetAccountAuthorizationDetailsInput{MaxItems: aws.Int32(4)})
	n := 0
	for p.HasMorePages() {
		out := must[*iam.GetAccountAuthorizationDetailsOutput](t, "paginator")(p.NextPage(ctx))
		n += len(out.UserDetailList) + len(out.GroupDetailList) + len(out.RoleDetailList) + len(out.Policies)
	}
	if n != 9 {
		t.Fatalf("paginator saw %d items", n)
	}
	wantError(t, "bad marker", call(c.GetAccountAuthorizationDetails(ctx, &iam.GetAccountAuthorizationDetailsInput{Marker: aws.String("Zm9v")})),
		"InvalidInput", 400, "Invalid Marker.")
	wantError(t, "bad filter", call(c.GetAccountAuthorizationDetails(ctx, &iam.GetAccountAuthorizationDetailsInput{Filter: []iamtypes.EntityType{"Bucket"}})),
		"ValidationError", 400, "")
}

// The credential report through the SDK: not present until generated, STARTED then COMPLETE, and the CSV
// with every documented column, root first.
func TestIAMCredentialReport(t *testing.T) {
	e := newIAMEnv(t)
	c, ctx := e.c, e.ctx
	wantError(t, "GetCredentialReport before generating", call(c.GetCredentialReport(ctx, &iam.GetCredentialReportInput{})),
		"ReportNotPresent", 410, "Credential report not present. Use GenerateCredentialReport to generate a report.")

	must[*iam.CreateUserOutput](t, "CreateUser")(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("carol"), Path: aws.String("/ops/")}))
	must[*iam.CreateLoginProfileOutput](t, "CreateLoginProfile")(c.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{UserName: aws.String("carol"), Password: aws.String("Carol-Pass-123")}))
	k := must[*iam.CreateAccessKeyOutput](t, "CreateAccessKey")(c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("carol")})).AccessKey
	allow(t, e.s, RootCreds(), "carol", "iam:GetUser", "*")
	must[*iam.GetUserOutput](t, "GetUser as carol")(e.s.IAM(Creds(aws.ToString(k.AccessKeyId), aws.ToString(k.SecretAccessKey), "")).GetUser(ctx, &iam.GetUserInput{}))
	must[*iam.CreateUserOutput](t, "CreateUser")(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("dave")}))

	g := must[*iam.GenerateCredentialReportOutput](t, "GenerateCredentialReport")(c.GenerateCredentialReport(ctx, &iam.GenerateCredentialReportInput{}))
	if g.State != iamtypes.ReportStateTypeStarted {
		t.Fatalf("first GenerateCredentialReport: %s", g.State)
	}
	g = must[*iam.GenerateCredentialReportOutput](t, "GenerateCredentialReport")(c.GenerateCredentialReport(ctx, &iam.GenerateCredentialReportInput{}))
	if g.State != iamtypes.ReportStateTypeComplete {
		t.Fatalf("second GenerateCredentialReport: %s", g.State)
	}
	rep := must[*iam.GetCredentialReportOutput](t, "GetCredentialReport")(c.GetCredentialReport(ctx, &iam.GetCredentialReportInput{}))
	if rep.ReportFormat != iamtypes.ReportFormatTypeTextCsv {
		t.Fatalf("ReportFormat %q", rep.ReportFormat)
	}
	checkRecent(t, "GeneratedTime", rep.GeneratedTime)
	rows, err := csv.NewReader(bytes.NewReader(rep.Content)).ReadAll()
	ok(t, "parse CSV", err)
	header := "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,mfa_active," +
		"access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service," +
		"access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service," +
		"cert_1_active,cert_1_last_rotated,cert_2_active,cert_2_last_rotated"
	if len(rows) != 4 || strings.Join(rows[0], ",") != header {
		t.Fatalf("report: %d rows, header %v", len(rows), rows[0])
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	cell := func(row []string, name string) string { return row[col[name]] }
	root := rows[1]
	if cell(root, "user") != "<root_account>" || cell(root, "arn") != arn("root") || cell(root, "password_enabled") != "not_supported" ||
		cell(root, "password_last_changed") != "not_supported" || cell(root, "password_next_rotation") != "not_supported" ||
		cell(root, "mfa_active") != "false" || cell(root, "access_key_1_active") != "true" ||
		cell(root, "access_key_1_last_used_service") != "iam" || cell(root, "access_key_2_active") != "false" || cell(root, "cert_1_active") != "false" {
		t.Fatalf("root row: %v", root)
	}
	byUser := map[string][]string{}
	for _, r := range rows[2:] {
		byUser[r[0]] = r
	}
	carol, dave := byUser["carol"], byUser["dave"]
	if carol == nil || dave == nil {
		t.Fatalf("user rows: %v", rows[2:])
	}
	if cell(carol, "arn") != arn("user/ops/carol") || cell(carol, "password_enabled") != "true" || cell(carol, "password_last_used") != "no_information" ||
		cell(carol, "access_key_1_active") != "true" || cell(carol, "access_key_1_last_used_service") != "iam" ||
		cell(carol, "access_key_1_last_used_region") != "us-east-1" || cell(carol, "access_key_2_last_rotated") != "N/A" {
		t.Fatalf("carol's row: %v", carol)
	}
	if !strings.HasSuffix(cell(carol, "user_creation_time"), "+00:00") || !strings.HasSuffix(cell(carol, "access_key_1_last_rotated"), "+00:00") {
		t.Fatalf("report times: %v", carol)
	}
	if cell(dave, "password_enabled") != "false" || cell(dave, "password_last_used") != "N/A" || cell(dave, "access_key_1_active") != "false" ||
		cell(dave, "access_key_1_last_rotated") != "N/A" {
		t.Fatalf("dave's row: %v", dave)
	}
}
