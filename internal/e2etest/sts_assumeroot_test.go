package e2etest

import (
	"context"
	"net/http"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
)

// AssumeRoot through the SDK: iamd has no AWS Organizations, so it answers as AWS does for an account
// outside an organization (docs/aws-behavior.md, "AssumeRoot"), after the checks AWS makes first: the
// global endpoint, root credentials, the target, the task policy, the duration, the region's STS.
func TestAssumeRootOutsideAnOrganization(t *testing.T) {
	s := Start(t, Options{})
	ctx := context.Background()
	root := RootCreds()
	admin := newUser(t, s, root, "admin")
	allow(t, s, root, "admin", "sts:AssumeRoot", "*")
	nobody := newUser(t, s, root, "nobody")
	const member = "111122223333"
	task := func(name string) *ststypes.PolicyDescriptorType {
		return &ststypes.PolicyDescriptorType{Arn: aws.String("arn:aws:iam::aws:policy/root-task/" + name)}
	}
	in := func(target, policy string, d *int32) *sts.AssumeRootInput {
		return &sts.AssumeRootInput{TargetPrincipal: aws.String(target), TaskPolicyArn: task(policy), DurationSeconds: d}
	}
	adminARN := "arn:aws:iam::" + AccountID + ":user/admin"
	notMember := func(target string) string {
		return "User: " + adminARN + " is not authorized to perform: sts:AssumeRoot on resource: arn:aws:iam::" + target +
			":root because account " + AccountID + " is not the management account or a delegated administrator for centralized root access of an organization that " +
			target + " is a member of"
	}
	regional := s.STS(admin, "us-west-2")

	// Every well-formed request, for each of the five task policies and either form of the target, is
	// refused: no account is a member of an organization.
	for _, p := range []string{"IAMAuditRootUserCredentials", "IAMCreateRootUserPassword", "IAMDeleteRootUserCredentials",
		"S3UnlockBucketPolicy", "SQSUnlockQueuePolicy"} {
		_, err := regional.AssumeRoot(ctx, in(member, p, aws.Int32(900)))
		wantError(t, "AssumeRoot "+p, err, "AccessDenied", http.StatusForbidden, notMember(member))
	}
	_, err := regional.AssumeRoot(ctx, in("arn:aws:iam::"+member+":root", "S3UnlockBucketPolicy", nil))
	wantError(t, "AssumeRoot by ARN", err, "AccessDenied", http.StatusForbidden, notMember(member))
	_, err = regional.AssumeRoot(ctx, in(AccountID, "S3UnlockBucketPolicy", nil))
	wantError(t, "AssumeRoot of the caller's own account", err, "AccessDenied", http.StatusForbidden, notMember(AccountID))

	// The global endpoint does not serve it.
	_, err = s.GlobalSTS(admin).AssumeRoot(ctx, in(member, "S3UnlockBucketPolicy", nil))
	wantError(t, "AssumeRoot at the global endpoint", err, "InvalidAction", http.StatusBadRequest,
		"AssumeRoot is not supported at the global endpoint. Send the request to a Regional STS endpoint.")
	// Root credentials cannot call it.
	_, err = s.STS(root, "us-west-2").AssumeRoot(ctx, in(member, "S3UnlockBucketPolicy", nil))
	wantError(t, "AssumeRoot as root", err, "AccessDenied", http.StatusForbidden, "Root user credentials cannot be used to call AssumeRoot.")
	// Without sts:AssumeRoot in an identity policy.
	_, err = s.STS(nobody, "us-west-2").AssumeRoot(ctx, in(member, "S3UnlockBucketPolicy", nil))
	wantError(t, "AssumeRoot without permission", err, "AccessDenied", http.StatusForbidden, "")

	// The target must be an account ID or a principal ARN of the partition.
	for _, target := range []string{"11112222333x", "1111222233334", "arn:aws:iam::1111:root", "arn:aws-cn:iam::111122223333:root",
		"arn:aws:s3:::111122223333", "not-an-account-id"} {
		_, err = regional.AssumeRoot(ctx, in(target, "S3UnlockBucketPolicy", nil))
		wantError(t, "AssumeRoot of "+target, err, "ValidationError", http.StatusBadRequest,
			"The TargetPrincipal "+target+" is not valid: it must be the account ID or the root ARN of a member account.")
	}
	// The task policy must be one of the five.
	for _, arn := range []string{"arn:aws:iam::aws:policy/AdministratorAccess", "arn:aws:iam::aws:policy/root-task/Other",
		"arn:aws:iam::" + AccountID + ":policy/root-task/S3UnlockBucketPolicy", "arn:aws-cn:iam::aws:policy/root-task/S3UnlockBucketPolicy"} {
		_, err = regional.AssumeRoot(ctx, &sts.AssumeRootInput{TargetPrincipal: aws.String(member),
			TaskPolicyArn: &ststypes.PolicyDescriptorType{Arn: aws.String(arn)}})
		wantError(t, "AssumeRoot with "+arn, err, "ValidationError", http.StatusBadRequest,
			"The TaskPolicyArn "+arn+" is not valid: it must be one of the AWS managed policies arn:aws:iam::aws:policy/root-task/"+
				"IAMAuditRootUserCredentials, …/IAMCreateRootUserPassword, …/IAMDeleteRootUserCredentials, …/S3UnlockBucketPolicy, …/SQSUnlockQueuePolicy.")
	}
	// At most 900 seconds (the model's bound).
	_, err = regional.AssumeRoot(ctx, in(member, "S3UnlockBucketPolicy", aws.Int32(901)))
	wantError(t, "AssumeRoot for 901 s", err, "ValidationError", http.StatusBadRequest,
		"1 validation error detected: Value '901' at 'durationSeconds' failed to satisfy constraint: Member must have value less than or equal to 900")

	// Where STS is deactivated for the account: RegionDisabledException, before the organization answer.
	if status, body := adminSTSRegion(t, s, root, "us-west-2", "deactivate"); status != http.StatusOK {
		t.Fatalf("deactivate us-west-2: %d %v", status, body)
	}
	_, err = regional.AssumeRoot(ctx, in(member, "S3UnlockBucketPolicy", nil))
	wantError(t, "AssumeRoot where STS is deactivated", err, "RegionDisabledException", http.StatusForbidden, msgRegionDisabled(AccountID))
}
