package e2etest

import (
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// Roles through the SDK: fields (URL-encoded trust policy, MaxSessionDuration, RoleLastUsed only from
// GetRole), updates, tags, boundaries, service-linked roles and every error path.
func TestIAMRoles(t *testing.T) {
	e := newIAMEnv(t)
	c, ctx := e.c, e.ctx
	boundary := "arn:aws:iam::aws:policy/PowerUserAccess"

	r := must[*iam.CreateRoleOutput](t, "CreateRole")(c.CreateRole(ctx, &iam.CreateRoleInput{
		RoleName: aws.String("app-role"), Path: aws.String("/svc/"), AssumeRolePolicyDocument: aws.String(trustEC2),
		Description: aws.String("the app's role"), MaxSessionDuration: aws.Int32(7200), Tags: tags("app", "web"),
		PermissionsBoundary: aws.String(boundary)})).Role
	checkID(t, "CreateRole", aws.ToString(r.RoleId), "AROA")
	checkRecent(t, "CreateRole", r.CreateDate)
	if aws.ToString(r.Arn) != arn("role/svc/app-role") || aws.ToString(r.Path) != "/svc/" || aws.ToString(r.Description) != "the app's role" ||
		aws.ToInt32(r.MaxSessionDuration) != 7200 || tagMap(r.Tags)["app"] != "web" || r.PermissionsBoundary == nil ||
		aws.ToString(r.PermissionsBoundary.PermissionsBoundaryArn) != boundary {
		t.Fatalf("CreateRole: %+v", r)
	}
	// The trust policy comes back URL-encoded, as AWS sends it.
	if raw := aws.ToString(r.AssumeRolePolicyDocument); !strings.Contains(raw, "%22") || decoded(t, r.AssumeRolePolicyDocument) != trustEC2 {
		t.Fatalf("CreateRole document %q", raw)
	}

	t.Run("GetRole", func(t *testing.T) {
		g := must[*iam.GetRoleOutput](t, "GetRole")(c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("APP-ROLE")})).Role
		if aws.ToString(g.RoleId) != aws.ToString(r.RoleId) || decoded(t, g.AssumeRolePolicyDocument) != trustEC2 || len(g.Tags) != 1 ||
			g.PermissionsBoundary == nil || aws.ToInt32(g.MaxSessionDuration) != 7200 || aws.ToString(g.RoleName) != "app-role" {
			t.Fatalf("GetRole: %+v", g)
		}
		// RoleLastUsed is always there in GetRole, empty until the role is used.
		if g.RoleLastUsed == nil || g.RoleLastUsed.LastUsedDate != nil || g.RoleLastUsed.Region != nil {
			t.Fatalf("GetRole RoleLastUsed: %+v", g.RoleLastUsed)
		}
	})

	t.Run("RoleLastUsed", func(t *testing.T) {
		creds := newUser(t, e.s, RootCreds(), "assumer")
		allow(t, e.s, RootCreds(), "assumer", "sts:AssumeRole", "*")
		roleARN := newRole(t, e.s, RootCreds(), "used-role", trustPolicy(arn("user/assumer"), ""), 0)
		must[*sts.AssumeRoleOutput](t, "AssumeRole")(e.s.STS(creds, "eu-central-1").AssumeRole(ctx, &sts.AssumeRoleInput{
			RoleArn: aws.String(roleARN), RoleSessionName: aws.String("s1")}))
		g := must[*iam.GetRoleOutput](t, "GetRole")(c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("used-role")})).Role
		if g.RoleLastUsed == nil || aws.ToString(g.RoleLastUsed.Region) != "eu-central-1" {
			t.Fatalf("RoleLastUsed after AssumeRole: %+v", g.RoleLastUsed)
		}
		checkRecent(t, "RoleLastUsed", g.RoleLastUsed.LastUsedDate)
		if aws.ToInt32(g.MaxSessionDuration) != 3600 {
			t.Fatalf("default MaxSessionDuration %d", aws.ToInt32(g.MaxSessionDuration))
		}
	})

	t.Run("ListRoles", func(t *testing.T) {
		for i := range 5 {
			must[*iam.CreateRoleOutput](t, "CreateRole")(c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(fmt.Sprintf("lr%d", i)),
				Path: aws.String("/list/"), AssumeRolePolicyDocument: aws.String(trustEC2), Tags: tags("a", "b")}))
		}
		all := must[*iam.ListRolesOutput](t, "ListRoles")(c.ListRoles(ctx, &iam.ListRolesInput{PathPrefix: aws.String("/list/")}))
		if len(all.Roles) != 5 || all.IsTruncated {
			t.Fatalf("ListRoles: %d", len(all.Roles))
		}
		for _, lr := range all.Roles {
			if lr.Tags != nil || lr.PermissionsBoundary != nil || lr.RoleLastUsed != nil {
				t.Fatalf("ListRoles carries tags, boundary or RoleLastUsed: %+v", lr)
			}
			if decoded(t, lr.AssumeRolePolicyDocument) != trustEC2 || aws.ToInt32(lr.MaxSessionDuration) != 3600 {
				t.Fatalf("ListRoles role: %+v", lr)
			}
		}
		got, pages := walk(t, 2, func(m *string, n int32) ([]string, bool, *string, error) {
			out, err := c.ListRoles(ctx, &iam.ListRolesInput{PathPrefix: aws.String("/list/"), Marker: m, MaxItems: aws.Int32(n)})
			if err != nil {
				return nil, false, nil, err
			}
			var names []string
			for _, lr := range out.Roles {
				names = append(names, aws.ToString(lr.RoleName))
			}
			return names, out.IsTruncated, out.Marker, nil
		})
		if pages != 3 || strings.Join(got, ",") != "lr0,lr1,lr2,lr3,lr4" {
			t.Fatalf("ListRoles walk: %d %v", pages, got)
		}
	})

	t.Run("Update", func(t *testing.T) {
		must[*iam.UpdateRoleOutput](t, "UpdateRole")(c.UpdateRole(ctx, &iam.UpdateRoleInput{RoleName: aws.String("app-role"),
			Description: aws.String("new words"), MaxSessionDuration: aws.Int32(43200)}))
		g := must[*iam.GetRoleOutput](t, "GetRole")(c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("app-role")})).Role
		if aws.ToString(g.Description) != "new words" || aws.ToInt32(g.MaxSessionDuration) != 43200 {
			t.Fatalf("after UpdateRole: %+v", g)
		}
		ud := must[*iam.UpdateRoleDescriptionOutput](t, "UpdateRoleDescription")(c.UpdateRoleDescription(ctx, &iam.UpdateRoleDescriptionInput{
			RoleName: aws.String("app-role"), Description: aws.String("third")})).Role
		if aws.ToString(ud.Description) != "third" || aws.ToString(ud.Arn) != arn("role/svc/app-role") || decoded(t, ud.AssumeRolePolicyDocument) != trustEC2 {
			t.Fatalf("UpdateRoleDescription: %+v", ud)
		}
		newTrust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":["lambda.amazonaws.com"]},"Action":["sts:AssumeRole","sts:TagSession"]}]}`
		must[*iam.UpdateAssumeRolePolicyOutput](t, "UpdateAssumeRolePolicy")(c.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{
			RoleName: aws.String("app-role"), PolicyDocument: aws.String(newTrust)}))
		g = must[*iam.GetRoleOutput](t, "GetRole")(c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("app-role")})).Role
		if decoded(t, g.AssumeRolePolicyDocument) != newTrust {
			t.Fatalf("after UpdateAssumeRolePolicy: %s", decoded(t, g.AssumeRolePolicyDocument))
		}
	})

	t.Run("TagsAndBoundary", func(t *testing.T) {
		must[*iam.TagRoleOutput](t, "TagRole")(c.TagRole(ctx, &iam.TagRoleInput{RoleName: aws.String("app-role"), Tags: tags("APP", "api", "tier", "1")}))
		lt := must[*iam.ListRoleTagsOutput](t, "ListRoleTags")(c.ListRoleTags(ctx, &iam.ListRoleTagsInput{RoleName: aws.String("app-role")}))
		if m := tagMap(lt.Tags); len(m) != 2 || m["APP"] != "api" || m["tier"] != "1" {
			t.Fatalf("ListRoleTags: %v", m)
		}
		p := must[*iam.ListRoleTagsOutput](t, "ListRoleTags page")(c.ListRoleTags(ctx, &iam.ListRoleTagsInput{RoleName: aws.String("app-role"), MaxItems: aws.Int32(1)}))
		if len(p.Tags) != 1 || !p.IsTruncated || p.Marker == nil {
			t.Fatalf("ListRoleTags page: %+v", p)
		}
		must[*iam.UntagRoleOutput](t, "UntagRole")(c.UntagRole(ctx, &iam.UntagRoleInput{RoleName: aws.String("app-role"), TagKeys: []string{"app"}}))
		lt = must[*iam.ListRoleTagsOutput](t, "ListRoleTags")(c.ListRoleTags(ctx, &iam.ListRoleTagsInput{RoleName: aws.String("app-role")}))
		if m := tagMap(lt.Tags); len(m) != 1 || m["tier"] != "1" {
			t.Fatalf("after UntagRole: %v", m)
		}
		must[*iam.DeleteRolePermissionsBoundaryOutput](t, "DeleteRolePermissionsBoundary")(c.DeleteRolePermissionsBoundary(ctx, &iam.DeleteRolePermissionsBoundaryInput{RoleName: aws.String("app-role")}))
		if g := must[*iam.GetRoleOutput](t, "GetRole")(c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("app-role")})).Role; g.PermissionsBoundary != nil {
			t.Fatalf("boundary left: %+v", g.PermissionsBoundary)
		}
		must[*iam.PutRolePermissionsBoundaryOutput](t, "PutRolePermissionsBoundary")(c.PutRolePermissionsBoundary(ctx, &iam.PutRolePermissionsBoundaryInput{
			RoleName: aws.String("app-role"), PermissionsBoundary: aws.String("arn:aws:iam::aws:policy/ReadOnlyAccess")}))
		g := must[*iam.GetRoleOutput](t, "GetRole")(c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("app-role")})).Role
		if g.PermissionsBoundary == nil || aws.ToString(g.PermissionsBoundary.PermissionsBoundaryArn) != "arn:aws:iam::aws:policy/ReadOnlyAccess" {
			t.Fatalf("boundary: %+v", g.PermissionsBoundary)
		}
	})

	var taskID string
	t.Run("ServiceLinked", func(t *testing.T) {
		sl := must[*iam.CreateServiceLinkedRoleOutput](t, "CreateServiceLinkedRole")(c.CreateServiceLinkedRole(ctx, &iam.CreateServiceLinkedRoleInput{
			AWSServiceName: aws.String("autoscaling.amazonaws.com"), Description: aws.String("for ASG")})).Role
		checkID(t, "CreateServiceLinkedRole", aws.ToString(sl.RoleId), "AROA")
		if aws.ToString(sl.RoleName) != "AWSServiceRoleForAutoScaling" || aws.ToString(sl.Path) != "/aws-service-role/autoscaling.amazonaws.com/" ||
			aws.ToString(sl.Arn) != arn("role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling") {
			t.Fatalf("CreateServiceLinkedRole: %+v", sl)
		}
		if !strings.Contains(decoded(t, sl.AssumeRolePolicyDocument), `"autoscaling.amazonaws.com"`) {
			t.Fatalf("service-linked trust policy: %s", decoded(t, sl.AssumeRolePolicyDocument))
		}
		// Its AWS managed policy comes attached.
		ap := must[*iam.ListAttachedRolePoliciesOutput](t, "ListAttachedRolePolicies")(c.ListAttachedRolePolicies(ctx, &iam.ListAttachedRolePoliciesInput{RoleName: sl.RoleName}))
		if len(ap.AttachedPolicies) != 1 || !strings.HasPrefix(aws.ToString(ap.AttachedPolicies[0].PolicyArn), "arn:aws:iam::aws:policy/aws-service-role/") {
			t.Fatalf("service-linked role policies: %+v", ap.AttachedPolicies)
		}
		// A description change is allowed on it; other changes are AWS's alone.
		must[*iam.UpdateRoleDescriptionOutput](t, "UpdateRoleDescription SLR")(c.UpdateRoleDescription(ctx, &iam.UpdateRoleDescriptionInput{RoleName: sl.RoleName, Description: aws.String("d")}))
		protected := "Cannot perform the operation on the protected role 'AWSServiceRoleForAutoScaling' - this role is only modifiable by AWS"
		wantError(t, "DeleteRole SLR", call(c.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: sl.RoleName})), "UnmodifiableEntity", 400, protected)
		wantError(t, "UpdateAssumeRolePolicy SLR", call(c.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: sl.RoleName, PolicyDocument: aws.String(trustEC2)})),
			"UnmodifiableEntity", 400, protected)
		wantError(t, "UpdateRole SLR", call(c.UpdateRole(ctx, &iam.UpdateRoleInput{RoleName: sl.RoleName, MaxSessionDuration: aws.Int32(7200)})),
			"UnmodifiableEntity", 400, protected)
		wantError(t, "CreateServiceLinkedRole twice", call(c.CreateServiceLinkedRole(ctx, &iam.CreateServiceLinkedRoleInput{AWSServiceName: aws.String("autoscaling.amazonaws.com")})),
			"InvalidInput", 400, "Service role name AWSServiceRoleForAutoScaling has been taken in this account, please try a different suffix.")
		// A custom suffix gives a second role for services that allow it.
		sfx := must[*iam.CreateServiceLinkedRoleOutput](t, "CreateServiceLinkedRole suffix")(c.CreateServiceLinkedRole(ctx, &iam.CreateServiceLinkedRoleInput{
			AWSServiceName: aws.String("autoscaling.amazonaws.com"), CustomSuffix: aws.String("fleet")})).Role
		if aws.ToString(sfx.RoleName) != "AWSServiceRoleForAutoScaling_fleet" {
			t.Fatalf("custom suffix: %s", aws.ToString(sfx.RoleName))
		}
		del := must[*iam.DeleteServiceLinkedRoleOutput](t, "DeleteServiceLinkedRole")(c.DeleteServiceLinkedRole(ctx, &iam.DeleteServiceLinkedRoleInput{RoleName: sl.RoleName}))
		taskID = aws.ToString(del.DeletionTaskId)
		if !strings.HasPrefix(taskID, "task/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling/") {
			t.Fatalf("DeletionTaskId %q", taskID)
		}
		st := must[*iam.GetServiceLinkedRoleDeletionStatusOutput](t, "GetServiceLinkedRoleDeletionStatus")(c.GetServiceLinkedRoleDeletionStatus(ctx,
			&iam.GetServiceLinkedRoleDeletionStatusInput{DeletionTaskId: aws.String(taskID)}))
		if st.Status != iamtypes.DeletionTaskStatusTypeSucceeded {
			t.Fatalf("deletion status %s", st.Status)
		}
		wantError(t, "GetRole deleted SLR", call(c.GetRole(ctx, &iam.GetRoleInput{RoleName: sl.RoleName})),
			"NoSuchEntity", 404, "The role with name AWSServiceRoleForAutoScaling cannot be found.")
	})

	// Subordinate entities that block DeleteRole.
	for _, n := range []string{"with-profile", "with-inline", "with-attached"} {
		must[*iam.CreateRoleOutput](t, "CreateRole "+n)(c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(n), AssumeRolePolicyDocument: aws.String(trustEC2)}))
	}
	must[*iam.CreateInstanceProfileOutput](t, "CreateInstanceProfile")(c.CreateInstanceProfile(ctx, &iam.CreateInstanceProfileInput{InstanceProfileName: aws.String("ip")}))
	must[*iam.AddRoleToInstanceProfileOutput](t, "AddRoleToInstanceProfile")(c.AddRoleToInstanceProfile(ctx, &iam.AddRoleToInstanceProfileInput{InstanceProfileName: aws.String("ip"), RoleName: aws.String("with-profile")}))
	must[*iam.PutRolePolicyOutput](t, "PutRolePolicy")(c.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("with-inline"), PolicyName: aws.String("p"), PolicyDocument: aws.String(docAllow("s3:*", "*"))}))
	must[*iam.AttachRolePolicyOutput](t, "AttachRolePolicy")(c.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("with-attached"), PolicyArn: aws.String("arn:aws:iam::aws:policy/ReadOnlyAccess")}))

	trustNoPrincipal := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole"}]}`
	trustWrongAction := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"s3:GetObject"}]}`
	trustGhost := trustPolicy(arn("user/ghost"), "")
	bigTrust := `{"Version":"2012-10-17","Statement":[{"Sid":"` + strings.Repeat("A", 2100) + `","Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	long := strings.Repeat("r", 65)
	create := func(name, doc string) func() error {
		return func() error {
			return call(c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(doc)}))
		}
	}
	runErrCases(t, []errCase{
		{"create duplicate other case", create("App-Role", trustEC2), "EntityAlreadyExists", 409, "Role with name App-Role already exists."},
		{"create name too long", create(long, trustEC2), "ValidationError", 400, validation(long, "roleName", "Member must have length less than or equal to 64")},
		{"create trust without principal", create("x1", trustNoPrincipal), "MalformedPolicyDocument", 400, "Invalid principal in policy: com.amazon.balsa.error.InvalidPolicyException: The passed in policy has a statement with no principals!"},
		{"create trust not JSON", create("x2", "{not json"), "MalformedPolicyDocument", 400, "This policy contains invalid Json"},
		{"create trust wrong action", create("x3", trustWrongAction), "MalformedPolicyDocument", 400, "AssumeRole policy may only specify STS AssumeRole actions."},
		{"create trust unknown user", create("x4", trustGhost), "MalformedPolicyDocument", 400, `Invalid principal in policy: "AWS":"` + arn("user/ghost") + `"`},
		{"create trust too large", create("x5", bigTrust), "LimitExceeded", 409, "Cannot exceed quota for ACLSizePerRole: 2048"},
		{"create MaxSessionDuration low", func() error {
			return call(c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("x6"), AssumeRolePolicyDocument: aws.String(trustEC2), MaxSessionDuration: aws.Int32(900)}))
		}, "ValidationError", 400, validation("900", "maxSessionDuration", "Member must have value greater than or equal to 3600")},
		{"create service-role path", func() error {
			return call(c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("x7"), AssumeRolePolicyDocument: aws.String(trustEC2), Path: aws.String("/aws-service-role/x/")}))
		}, "InvalidInput", 400, "Path /aws-service-role/x/ is reserved for service-linked roles."},
		{"create unknown boundary", func() error {
			return call(c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("x8"), AssumeRolePolicyDocument: aws.String(trustEC2), PermissionsBoundary: aws.String(arn("policy/none"))}))
		}, "NoSuchEntity", 404, "Policy " + arn("policy/none") + " does not exist or is not attachable."},
		{"get missing", func() error { return call(c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("ghost")})) },
			"NoSuchEntity", 404, "The role with name ghost cannot be found."},
		{"update missing", func() error {
			return call(c.UpdateRole(ctx, &iam.UpdateRoleInput{RoleName: aws.String("ghost"), Description: aws.String("d")}))
		}, "NoSuchEntity", 404, "The role with name ghost cannot be found."},
		{"update MaxSessionDuration high", func() error {
			return call(c.UpdateRole(ctx, &iam.UpdateRoleInput{RoleName: aws.String("app-role"), MaxSessionDuration: aws.Int32(43201)}))
		}, "ValidationError", 400, validation("43201", "maxSessionDuration", "Member must have value less than or equal to 43200")},
		{"update description missing", func() error {
			return call(c.UpdateRoleDescription(ctx, &iam.UpdateRoleDescriptionInput{RoleName: aws.String("ghost"), Description: aws.String("d")}))
		}, "NoSuchEntity", 404, "The role with name ghost cannot be found."},
		{"update trust missing role", func() error {
			return call(c.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String("ghost"), PolicyDocument: aws.String(trustEC2)}))
		}, "NoSuchEntity", 404, "The role with name ghost cannot be found."},
		{"update trust malformed", func() error {
			return call(c.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String("app-role"), PolicyDocument: aws.String(trustNoPrincipal)}))
		}, "MalformedPolicyDocument", 400, "Invalid principal in policy: com.amazon.balsa.error.InvalidPolicyException: The passed in policy has a statement with no principals!"},
		{"delete missing", func() error { return call(c.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("ghost")})) },
			"NoSuchEntity", 404, "The role with name ghost cannot be found."},
		{"delete in instance profile", func() error {
			return call(c.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("with-profile")}))
		},
			"DeleteConflict", 409, "Cannot delete entity, must remove roles from instance profile first."},
		{"delete with inline policy", func() error {
			return call(c.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("with-inline")}))
		},
			"DeleteConflict", 409, "Cannot delete entity, must delete policies first."},
		{"delete with attached policy", func() error {
			return call(c.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("with-attached")}))
		},
			"DeleteConflict", 409, "Cannot delete entity, must detach all policies first."},
		{"tag missing", func() error {
			return call(c.TagRole(ctx, &iam.TagRoleInput{RoleName: aws.String("ghost"), Tags: tags("a", "b")}))
		},
			"NoSuchEntity", 404, "The role with name ghost cannot be found."},
		{"untag missing", func() error {
			return call(c.UntagRole(ctx, &iam.UntagRoleInput{RoleName: aws.String("ghost"), TagKeys: []string{"a"}}))
		}, "NoSuchEntity", 404, "The role with name ghost cannot be found."},
		{"list tags missing", func() error { return call(c.ListRoleTags(ctx, &iam.ListRoleTagsInput{RoleName: aws.String("ghost")})) },
			"NoSuchEntity", 404, "The role with name ghost cannot be found."},
		{"tag duplicate keys", func() error {
			return call(c.TagRole(ctx, &iam.TagRoleInput{RoleName: aws.String("app-role"), Tags: tags("k", "1", "K", "2")}))
		}, "InvalidInput", 400, "Duplicate tag keys found. Please note that Tag keys are case insensitive."},
		{"put boundary missing role", func() error {
			return call(c.PutRolePermissionsBoundary(ctx, &iam.PutRolePermissionsBoundaryInput{RoleName: aws.String("ghost"), PermissionsBoundary: aws.String(boundary)}))
		}, "NoSuchEntity", 404, "The role with name ghost cannot be found."},
		{"put boundary bad arn", func() error {
			return call(c.PutRolePermissionsBoundary(ctx, &iam.PutRolePermissionsBoundaryInput{RoleName: aws.String("app-role"), PermissionsBoundary: aws.String("arn:aws:s3:::bucket/key")}))
		}, "InvalidInput", 400, "ARN arn:aws:s3:::bucket/key is not valid."},
		{"delete boundary missing role", func() error {
			return call(c.DeleteRolePermissionsBoundary(ctx, &iam.DeleteRolePermissionsBoundaryInput{RoleName: aws.String("ghost")}))
		}, "NoSuchEntity", 404, "The role with name ghost cannot be found."},
		{"service-linked unknown service", func() error {
			return call(c.CreateServiceLinkedRole(ctx, &iam.CreateServiceLinkedRoleInput{AWSServiceName: aws.String("example.com")}))
		}, "InvalidInput", 400, "Invalid service name: example.com"},
		{"service-linked suffix refused", func() error {
			return call(c.CreateServiceLinkedRole(ctx, &iam.CreateServiceLinkedRoleInput{AWSServiceName: aws.String("elasticloadbalancing.amazonaws.com"), CustomSuffix: aws.String("x")}))
		}, "InvalidInput", 400, "Custom suffix is not allowed for elasticloadbalancing.amazonaws.com"},
		{"delete service-linked on ordinary role", func() error {
			return call(c.DeleteServiceLinkedRole(ctx, &iam.DeleteServiceLinkedRoleInput{RoleName: aws.String("app-role")}))
		}, "InvalidInput", 400, "Role app-role is not a service-linked role."},
		{"delete service-linked missing", func() error {
			return call(c.DeleteServiceLinkedRole(ctx, &iam.DeleteServiceLinkedRoleInput{RoleName: aws.String("ghost")}))
		}, "NoSuchEntity", 404, "The role with name ghost cannot be found."},
		{"deletion status bad id", func() error {
			return call(c.GetServiceLinkedRoleDeletionStatus(ctx, &iam.GetServiceLinkedRoleDeletionStatusInput{DeletionTaskId: aws.String("task/nope")}))
		}, "InvalidInput", 400, "Invalid deletion task id: task/nope"},
	})

	// Unblocked, the roles delete.
	must[*iam.RemoveRoleFromInstanceProfileOutput](t, "RemoveRoleFromInstanceProfile")(c.RemoveRoleFromInstanceProfile(ctx, &iam.RemoveRoleFromInstanceProfileInput{InstanceProfileName: aws.String("ip"), RoleName: aws.String("with-profile")}))
	must[*iam.DeleteRoleOutput](t, "DeleteRole")(c.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("with-profile")}))
	must[*iam.DeleteRolePolicyOutput](t, "DeleteRolePolicy")(c.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: aws.String("with-inline"), PolicyName: aws.String("p")}))
	must[*iam.DeleteRoleOutput](t, "DeleteRole")(c.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("with-inline")}))
	wantError(t, "GetRole deleted", call(c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("with-inline")})),
		"NoSuchEntity", 404, "The role with name with-inline cannot be found.")
}
