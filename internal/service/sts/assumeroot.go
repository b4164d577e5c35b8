package sts

import (
	"context"
	"net/http"
	"slices"
	"strings"

	"github.com/iamd/iamd/internal/api/stsapi"
	"github.com/iamd/iamd/internal/ids"
	"github.com/iamd/iamd/internal/protocol"
	"github.com/iamd/iamd/internal/reqctx"
)

// rootTaskPolicies are the AWS managed policies AssumeRoot accepts as TaskPolicyArn (STS API Reference,
// "AssumeRoot"; IAM User Guide, "AWS managed policies for AWS Identity and Access Management"): each
// scopes a root session to one privileged task. They live under the policy path /root-task/.
var rootTaskPolicies = []string{
	"IAMAuditRootUserCredentials",
	"IAMCreateRootUserPassword",
	"IAMDeleteRootUserCredentials",
	"S3UnlockBucketPolicy",
	"SQSUnlockQueuePolicy",
}

// AssumeRoot answers as AWS does for an account outside an organization. AssumeRoot issues a root session
// in a member account of an organization with centralized root access, called by the organization's
// management account or its delegated administrator for IAM (IAM User Guide, "Centrally manage root access
// for member accounts"). iamd has no AWS Organizations: no account is a management account, a delegated
// administrator or a member, so every well-formed request is refused once it has been checked as AWS checks
// it (docs/aws-behavior.md, "AssumeRoot").
func (s *Service) AssumeRoot(ctx context.Context, in *stsapi.AssumeRootRequest) (*stsapi.AssumeRootResponse, error) {
	req := reqctx.From(ctx)
	c := req.Caller
	if c == nil {
		return nil, errMissingCaller
	}
	if req.GlobalEndpoint {
		// "The STS global endpoint is not supported for AssumeRoot": only regional endpoints serve it.
		return nil, &protocol.Error{Code: "InvalidAction", Status: http.StatusBadRequest,
			Message: "AssumeRoot is not supported at the global endpoint. Send the request to a Regional STS endpoint."}
	}
	if c.Kind == reqctx.CallerRoot {
		// "You cannot use root user credentials to make this call."
		return nil, accessDenied("Root user credentials cannot be used to call AssumeRoot.")
	}
	target := protocol.ToString(in.TargetPrincipal)
	targetAccount, ok := rootTargetAccount(reqctxPartition(c), target)
	if !ok {
		return nil, validationError("The TargetPrincipal " + target + " is not valid: it must be the account ID or the root ARN of a member account.")
	}
	var taskARN string
	if in.TaskPolicyArn != nil {
		taskARN = protocol.ToString(in.TaskPolicyArn.Arn)
	}
	if !isRootTaskPolicy(reqctxPartition(c), taskARN) {
		return nil, validationError("The TaskPolicyArn " + taskARN + " is not valid: it must be one of the AWS managed policies arn:" +
			reqctxPartition(c) + ":iam::aws:policy/root-task/" + strings.Join(rootTaskPolicies, ", …/") + ".")
	}
	// DurationSeconds (at most 900) is bounded by the model, checked before the call gets here.
	if err := s.checkActive(ctx, c.AccountID); err != nil {
		return nil, err
	}
	// The caller's account is not the management account (nor a delegated administrator) of an
	// organization with root sessions enabled, and the target is no member of one.
	return nil, accessDenied("User: " + c.ARN + " is not authorized to perform: sts:AssumeRoot on resource: " +
		ids.RootARN(reqctxPartition(c), targetAccount) + " because account " + c.AccountID +
		" is not the management account or a delegated administrator for centralized root access of an organization that " +
		targetAccount + " is a member of")
}

// rootTargetAccount reads the account of AssumeRoot's TargetPrincipal: an account ID, or the ARN of a
// principal of the member account in the caller's partition.
func rootTargetAccount(partition, target string) (string, bool) {
	if ids.IsAccountID(target) {
		return target, true
	}
	a, err := ids.ParseARN(target)
	if err != nil || a.Partition != partition || a.Service != "iam" || a.Region != "" || !ids.IsAccountID(a.Account) || a.Resource == "" {
		return "", false
	}
	return a.Account, true
}

// isRootTaskPolicy says whether arn names one of the root task policies in partition.
func isRootTaskPolicy(partition, arn string) bool {
	name, ok := strings.CutPrefix(arn, "arn:"+partition+":iam::aws:policy/root-task/")
	return ok && slices.Contains(rootTaskPolicies, name)
}
