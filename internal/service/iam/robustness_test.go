package iam

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/iamd/iamd/internal/api/iamapi"
)

// f2Operations are the operations of roles.go, policies.go, attachments.go, inline.go,
// instanceprofiles.go and authdetails.go.
var f2Operations = strings.Fields(`CreateRole GetRole UpdateRole DeleteRole ListRoles UpdateRoleDescription UpdateAssumeRolePolicy
	TagRole UntagRole ListRoleTags PutRolePermissionsBoundary DeleteRolePermissionsBoundary CreateServiceLinkedRole
	DeleteServiceLinkedRole GetServiceLinkedRoleDeletionStatus CreatePolicy GetPolicy DeletePolicy ListPolicies
	CreatePolicyVersion GetPolicyVersion DeletePolicyVersion ListPolicyVersions SetDefaultPolicyVersion TagPolicy
	UntagPolicy ListPolicyTags ListEntitiesForPolicy AttachUserPolicy AttachGroupPolicy AttachRolePolicy
	DetachUserPolicy DetachGroupPolicy DetachRolePolicy ListAttachedUserPolicies ListAttachedGroupPolicies
	ListAttachedRolePolicies PutUserPolicy PutGroupPolicy PutRolePolicy GetUserPolicy GetGroupPolicy GetRolePolicy
	DeleteUserPolicy DeleteGroupPolicy DeleteRolePolicy ListUserPolicies ListGroupPolicies ListRolePolicies
	CreateInstanceProfile GetInstanceProfile DeleteInstanceProfile ListInstanceProfiles AddRoleToInstanceProfile
	RemoveRoleFromInstanceProfile ListInstanceProfilesForRole TagInstanceProfile UntagInstanceProfile
	ListInstanceProfileTags GetAccountAuthorizationDetails`)

// TestOperationsSurviveOddInput calls every operation with an empty request and with every string member
// set to awkward values (the protocol layer validates real requests first; the service must still never
// panic or answer with a non-API error).
func TestOperationsSurviveOddInput(t *testing.T) {
	f := newFixture(t)
	ctx := f.root()
	createRole(t, f, ctx, "r", "")
	odd := []string{"", "/", "arn:aws:iam::aws:policy/", "arn:aws:iam::" + testAccount + ":policy", "arn:aws:iam::" + testAccount + ":policy/",
		"arn:::::", "task/aws-service-role///", "%%%", "r", "\x00", strings.Repeat("x", 3000), "AWSManagedPolicy"}
	svc := reflect.ValueOf(f.svc)
	for _, op := range f2Operations {
		m := svc.MethodByName(op)
		if !m.IsValid() {
			t.Fatalf("no method %s", op)
		}
		inType := m.Type().In(1).Elem()
		for _, v := range odd {
			in := reflect.New(inType)
			for i := range inType.NumField() {
				fld := in.Elem().Field(i)
				switch fld.Type() {
				case reflect.TypeOf((*string)(nil)):
					fld.Set(reflect.ValueOf(ptr(v)))
				case reflect.TypeOf([]string(nil)):
					fld.Set(reflect.ValueOf([]string{v}))
				case reflect.TypeOf([]iamapi.Tag(nil)):
					fld.Set(reflect.ValueOf([]iamapi.Tag{{Key: ptr(v), Value: ptr(v)}}))
				}
			}
			func() {
				defer func() {
					if r := recover(); r != nil {
						t.Fatalf("%s with %q panicked: %v", op, v, r)
					}
				}()
				out := m.Call([]reflect.Value{reflect.ValueOf(context.Context(ctx)), in})
				if err, _ := out[1].Interface().(error); err != nil {
					coded, ok := err.(interface{ ErrorCode() string })
					if !ok || coded.ErrorCode() == "ServiceFailure" {
						t.Errorf("%s with %q: unexpected error %v", op, v, err)
					}
				}
			}()
		}
	}
	_, err := f.svc.CreateRole(ctx, &iamapi.CreateRoleRequest{RoleName: ptr(""), AssumeRolePolicyDocument: ptr(testTrustDoc)})
	assertAPIError(t, err, "ValidationError", 400, "1 validation error detected: Value '' at 'roleName' failed to satisfy constraint: Member must have length greater than or equal to 1")
	_, err = f.svc.PutRolePolicy(ctx, &iamapi.PutRolePolicyRequest{RoleName: ptr("r"), PolicyName: ptr(""), PolicyDocument: ptr(testPolicyDoc)})
	assertAPIError(t, err, "ValidationError", 400, "1 validation error detected: Value '' at 'policyName' failed to satisfy constraint: Member must have length greater than or equal to 1")
	_, err = f.svc.CreatePolicy(ctx, &iamapi.CreatePolicyRequest{PolicyName: ptr(""), PolicyDocument: ptr(testPolicyDoc)})
	assertAPIError(t, err, "ValidationError", 400, "1 validation error detected: Value '' at 'policyName' failed to satisfy constraint: Member must have length greater than or equal to 1")
}
