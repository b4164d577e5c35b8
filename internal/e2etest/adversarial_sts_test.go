package e2etest

import (
	"net/http"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// An approval belongs to the principal that gave it, by unique ID: when the approver is deleted and a
// user of the same name (and the same permissions) is created, the released exchange token no longer
// yields credentials. Were the approver bound by ARN, the namesake would hand the partner its own
// permissions without ever having approved anything.
func TestAdversarialDelegationApprovalNotInheritedByNamesake(t *testing.T) {
	e := newDelegationEnv(t)
	id := e.approved(t, "workflow-namesake")
	status, tok, _ := e.collect(t, e.partner, id)
	if status != http.StatusOK {
		t.Fatalf("collecting the token: %d", status)
	}

	root := e.s.IAM(e.customer)
	keys := must[*iam.ListAccessKeysOutput](t, "ListAccessKeys")(root.ListAccessKeys(e.ctx, &iam.ListAccessKeysInput{UserName: aws.String("approver")}))
	for _, k := range keys.AccessKeyMetadata {
		must[*iam.DeleteAccessKeyOutput](t, "DeleteAccessKey")(root.DeleteAccessKey(e.ctx, &iam.DeleteAccessKeyInput{UserName: aws.String("approver"), AccessKeyId: k.AccessKeyId}))
	}
	must[*iam.DeleteUserPolicyOutput](t, "DeleteUserPolicy")(root.DeleteUserPolicy(e.ctx, &iam.DeleteUserPolicyInput{UserName: aws.String("approver"), PolicyName: aws.String("allow-iam-all")}))
	must[*iam.DeleteUserOutput](t, "DeleteUser")(root.DeleteUser(e.ctx, &iam.DeleteUserInput{UserName: aws.String("approver")}))
	newUser(t, e.s, e.customer, "approver")
	allow(t, e.s, e.customer, "approver", "iam:*", "*")

	_, err := e.s.STS(e.partner, "us-east-1").GetDelegatedAccessToken(e.ctx, &sts.GetDelegatedAccessTokenInput{TradeInToken: &tok})
	wantError(t, "trade-in after the approver was recreated", err, "AccessDenied", http.StatusForbidden, msgApproverInvalid)
}
