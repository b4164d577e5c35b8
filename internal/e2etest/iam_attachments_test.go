package e2etest

import (
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
)

// Managed policy attachments to users, groups and roles through the SDK: listing with path prefixes and
// pages, the 10-per-entity quota and every error path.
func TestIAMAttachments(t *testing.T) {
	e := newIAMEnv(t)
	c, ctx := e.c, e.ctx
	var local []string
	for i := range 11 {
		p := must[*iam.CreatePolicyOutput](t, "CreatePolicy")(c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String(fmt.Sprintf("P%02d", i)),
			Path: aws.String("/att/"), PolicyDocument: aws.String(docAllow("s3:*", "*"))})).Policy
		local = append(local, aws.ToString(p.Arn))
	}
	must[*iam.CreateUserOutput](t, "CreateUser")(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("u")}))
	must[*iam.CreateGroupOutput](t, "CreateGroup")(c.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("g")}))
	must[*iam.CreateRoleOutput](t, "CreateRole")(c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("r"), AssumeRolePolicyDocument: aws.String(trustEC2)}))
	slr := aws.ToString(must[*iam.CreateServiceLinkedRoleOutput](t, "CreateServiceLinkedRole")(c.CreateServiceLinkedRole(ctx,
		&iam.CreateServiceLinkedRoleInput{AWSServiceName: aws.String("elasticloadbalancing.amazonaws.com")})).Role.RoleName)

	type owner struct {
		kind, name, quota string
		attach            func(arn string) error
		detach            func(arn string) error
		list              func(prefix, marker *string, max *int32) ([]string, bool, *string, error)
	}
	owners := []owner{
		{"user", "u", "PoliciesPerUser",
			func(a string) error {
				return call(c.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("U"), PolicyArn: aws.String(a)}))
			},
			func(a string) error {
				return call(c.DetachUserPolicy(ctx, &iam.DetachUserPolicyInput{UserName: aws.String("u"), PolicyArn: aws.String(a)}))
			},
			func(p, m *string, n *int32) ([]string, bool, *string, error) {
				out, err := c.ListAttachedUserPolicies(ctx, &iam.ListAttachedUserPoliciesInput{UserName: aws.String("u"), PathPrefix: p, Marker: m, MaxItems: n})
				if err != nil {
					return nil, false, nil, err
				}
				var a []string
				for _, x := range out.AttachedPolicies {
					a = append(a, aws.ToString(x.PolicyArn)+"|"+aws.ToString(x.PolicyName))
				}
				return a, out.IsTruncated, out.Marker, nil
			}},
		{"group", "g", "PoliciesPerGroup",
			func(a string) error {
				return call(c.AttachGroupPolicy(ctx, &iam.AttachGroupPolicyInput{GroupName: aws.String("G"), PolicyArn: aws.String(a)}))
			},
			func(a string) error {
				return call(c.DetachGroupPolicy(ctx, &iam.DetachGroupPolicyInput{GroupName: aws.String("g"), PolicyArn: aws.String(a)}))
			},
			func(p, m *string, n *int32) ([]string, bool, *string, error) {
				out, err := c.ListAttachedGroupPolicies(ctx, &iam.ListAttachedGroupPoliciesInput{GroupName: aws.String("g"), PathPrefix: p, Marker: m, MaxItems: n})
				if err != nil {
					return nil, false, nil, err
				}
				var a []string
				for _, x := range out.AttachedPolicies {
					a = append(a, aws.ToString(x.PolicyArn)+"|"+aws.ToString(x.PolicyName))
				}
				return a, out.IsTruncated, out.Marker, nil
			}},
		{"role", "r", "PoliciesPerRole",
			func(a string) error {
				return call(c.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("R"), PolicyArn: aws.String(a)}))
			},
			func(a string) error {
				return call(c.DetachRolePolicy(ctx, &iam.DetachRolePolicyInput{RoleName: aws.String("r"), PolicyArn: aws.String(a)}))
			},
			func(p, m *string, n *int32) ([]string, bool, *string, error) {
				out, err := c.ListAttachedRolePolicies(ctx, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String("r"), PathPrefix: p, Marker: m, MaxItems: n})
				if err != nil {
					return nil, false, nil, err
				}
				var a []string
				for _, x := range out.AttachedPolicies {
					a = append(a, aws.ToString(x.PolicyArn)+"|"+aws.ToString(x.PolicyName))
				}
				return a, out.IsTruncated, out.Marker, nil
			}},
	}
	for _, o := range owners {
		t.Run(o.kind, func(t *testing.T) {
			ok(t, "attach ReadOnlyAccess", o.attach(readOnlyARN))
			ok(t, "attach ReadOnlyAccess again (no-op)", o.attach(readOnlyARN))
			for _, a := range local[:9] {
				ok(t, "attach "+a, o.attach(a))
			}
			all, _, _, err := o.list(nil, nil, nil)
			ok(t, "list", err)
			if len(all) != 10 || !strings.Contains(strings.Join(all, ","), readOnlyARN+"|ReadOnlyAccess") || !strings.Contains(strings.Join(all, ","), local[0]+"|P00") {
				t.Fatalf("attached: %v", all)
			}
			att, _, _, err := o.list(aws.String("/att/"), nil, nil)
			ok(t, "list /att/", err)
			if len(att) != 9 {
				t.Fatalf("attached under /att/: %v", att)
			}
			walked, pages := walk(t, 4, func(m *string, n int32) ([]string, bool, *string, error) { return o.list(nil, m, aws.Int32(n)) })
			if pages != 3 || !equalStrings(walked, all) {
				t.Fatalf("walk: %d pages %v", pages, walked)
			}
			wantError(t, "11th policy", o.attach(local[9]), "LimitExceeded", 409, "Cannot exceed quota for "+o.quota+": 10")
			ok(t, "detach", o.detach(readOnlyARN))
			wantError(t, "detach again", o.detach(readOnlyARN), "NoSuchEntity", 404, "Policy "+readOnlyARN+" was not found.")
			ok(t, "attach after detach", o.attach(local[9]))
			wantError(t, "attach missing policy", o.attach(arn("policy/ghost")), "NoSuchEntity", 404, "Policy "+arn("policy/ghost")+" does not exist or is not attachable.")
			wantError(t, "attach unknown AWS policy", o.attach("arn:aws:iam::aws:policy/NoSuchAWSPolicy"), "NoSuchEntity", 404,
				"Policy arn:aws:iam::aws:policy/NoSuchAWSPolicy does not exist or is not attachable.")
			wantError(t, "attach invalid ARN", o.attach("arn:aws:iam::123456789012:role/x"), "InvalidInput", 400, "ARN arn:aws:iam::123456789012:role/x is not valid.")
			wantError(t, "detach invalid ARN", o.detach("arn:aws:iam::123456789012:role/x"), "InvalidInput", 400, "ARN arn:aws:iam::123456789012:role/x is not valid.")
			// The policy's own count follows.
			gp := must[*iam.GetPolicyOutput](t, "GetPolicy")(c.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(local[9])})).Policy
			if aws.ToInt32(gp.AttachmentCount) < 1 {
				t.Fatalf("AttachmentCount %d", aws.ToInt32(gp.AttachmentCount))
			}
		})
	}
	serviceRolePolicy := "arn:aws:iam::aws:policy/aws-service-role/AWSElasticLoadBalancingServiceRolePolicy"
	runErrCases(t, []errCase{
		{"attach to missing user", func() error {
			return call(c.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("ghost"), PolicyArn: aws.String(readOnlyARN)}))
		}, "NoSuchEntity", 404, "The user with name ghost cannot be found."},
		{"attach to missing group", func() error {
			return call(c.AttachGroupPolicy(ctx, &iam.AttachGroupPolicyInput{GroupName: aws.String("ghost"), PolicyArn: aws.String(readOnlyARN)}))
		}, "NoSuchEntity", 404, "The group with name ghost cannot be found."},
		{"attach to missing role", func() error {
			return call(c.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("ghost"), PolicyArn: aws.String(readOnlyARN)}))
		}, "NoSuchEntity", 404, "The role with name ghost cannot be found."},
		{"detach from missing user", func() error {
			return call(c.DetachUserPolicy(ctx, &iam.DetachUserPolicyInput{UserName: aws.String("ghost"), PolicyArn: aws.String(readOnlyARN)}))
		}, "NoSuchEntity", 404, "The user with name ghost cannot be found."},
		{"list for missing group", func() error {
			return call(c.ListAttachedGroupPolicies(ctx, &iam.ListAttachedGroupPoliciesInput{GroupName: aws.String("ghost")}))
		}, "NoSuchEntity", 404, "The group with name ghost cannot be found."},
		{"list for missing role", func() error {
			return call(c.ListAttachedRolePolicies(ctx, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String("ghost")}))
		}, "NoSuchEntity", 404, "The role with name ghost cannot be found."},
		{"list for missing user", func() error {
			return call(c.ListAttachedUserPolicies(ctx, &iam.ListAttachedUserPoliciesInput{UserName: aws.String("ghost")}))
		}, "NoSuchEntity", 404, "The user with name ghost cannot be found."},
		{"attach to a service-linked role", func() error {
			return call(c.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String(slr), PolicyArn: aws.String(readOnlyARN)}))
		}, "UnmodifiableEntity", 400, "Cannot perform the operation on the protected role '" + slr + "' - this role is only modifiable by AWS"},
		{"detach from a service-linked role", func() error {
			return call(c.DetachRolePolicy(ctx, &iam.DetachRolePolicyInput{RoleName: aws.String(slr), PolicyArn: aws.String(serviceRolePolicy)}))
		}, "UnmodifiableEntity", 400, "Cannot perform the operation on the protected role '" + slr + "' - this role is only modifiable by AWS"},
	})
	// A service role policy cannot go to an ordinary role or user (a fresh role: r is full).
	must[*iam.CreateRoleOutput](t, "CreateRole r2")(c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("r2"), AssumeRolePolicyDocument: aws.String(trustEC2)}))
	wantError(t, "service role policy", call(c.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("r2"), PolicyArn: aws.String(serviceRolePolicy)})),
		"PolicyNotAttachable", 400, "Cannot attach a Service Role Policy to a Customer Role.")
}
