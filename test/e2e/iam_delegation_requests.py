"""boto3, unmodified, against iamd: the temporary delegation flow within one account.

The account's root plays the partner: it publishes a policy template (a managed policy with @{Name}
placeholders) and files a delegation request. An IAM user claims the request, reads its summary and
forwards it for approval; the root accepts it; the owner sends the delegation token. Then the errors a
user meets: a refused transition, an unknown ID, a duplicate workflow ID, and a user without permission.
Endpoint from IAMD_ENDPOINT, root credentials from the usual AWS_* env.
"""
import json
import os
import uuid

import boto3
from botocore.exceptions import ClientError

endpoint = os.environ["IAMD_ENDPOINT"]
iam = boto3.client("iam", endpoint_url=endpoint, region_name="us-east-1")
account = boto3.client("sts", endpoint_url=endpoint, region_name="us-east-1").get_caller_identity()["Account"]
run = uuid.uuid4().hex[:8]


def expect_error(code, status, fn, message=None, **kwargs):
    try:
        fn(**kwargs)
    except ClientError as e:
        err = e.response["Error"]
        got = (err["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"])
        assert got == (code, status), f"{fn.__name__}: got {got} {err['Message']}, want {(code, status)}"
        assert message is None or err["Message"] == message, f"{fn.__name__}: message {err['Message']!r}"
        return
    raise AssertionError(f"{fn.__name__} succeeded; want {code}")


def user_client(name, policy=None):
    iam.create_user(UserName=name)
    if policy:
        iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return boto3.client("iam", endpoint_url=endpoint, region_name="us-east-1",
                        aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"])


template = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"], "Resource": "arn:aws:s3:::@{Buckets}"},
    {"Effect": "Allow", "Action": "cloudwatch:GetMetricData", "Resource": "*"},
]}
template_arn = iam.create_policy(PolicyName=f"partner-template-{run}", PolicyDocument=json.dumps(template))["Policy"]["Arn"]
workflow = f"workflow-{run}"
created = iam.create_delegation_request(
    Description="Monitoring integration", RequestorWorkflowId=workflow, SessionDuration=3600,
    NotificationChannel=f"arn:aws:sns:us-east-1:{account}:partner-events",
    Permissions={"PolicyTemplateArn": template_arn, "Parameters": [
        {"Name": "Buckets", "Type": "stringList", "Values": ["metrics", "metrics/*"]}]},
    OnlySendByOwner=True)
rid = created["DelegationRequestId"]
assert created["ConsoleDeepLink"].endswith(rid), created
req = iam.get_delegation_request(DelegationRequestId=rid)["DelegationRequest"]
assert req["State"] == "UNASSIGNED" and req["RequestorId"] == account and "OwnerId" not in req, req
policy = json.loads(req["PermissionPolicy"])
assert policy["Statement"][0]["Resource"] == ["arn:aws:s3:::metrics", "arn:aws:s3:::metrics/*"], policy

# A user of the account claims the request, reads the summary and forwards it to an administrator.
alice_name = f"alice-{run}"
alice = user_client(alice_name, {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "iam:AssociateDelegationRequest", "Resource": "*"}]})
alice.associate_delegation_request(DelegationRequestId=rid)
req = alice.get_delegation_request(DelegationRequestId=rid)["DelegationRequest"]
alice_arn = f"arn:aws:iam::{account}:user/{alice_name}"
assert req["State"] == "ASSIGNED" and req["OwnerId"] == alice_arn and req["OwnerAccountId"] == account, req
summary = alice.get_human_readable_summary(EntityArn=f"arn:aws:iam::{account}:delegation-request/{rid}")
assert summary["SummaryState"] == "AVAILABLE", summary
assert "s3 actions GetObject and ListBucket on arn:aws:s3:::metrics or arn:aws:s3:::metrics/*" in summary["SummaryContent"], summary
assert "cloudwatch action GetMetricData on all resources" in summary["SummaryContent"], summary
alice.update_delegation_request(DelegationRequestId=rid, Notes="Needs admin approval")
listed = iam.list_delegation_requests(OwnerId=alice_arn)["DelegationRequests"]
assert [r["DelegationRequestId"] for r in listed] == [rid] and listed[0]["State"] == "PENDING_APPROVAL", listed

# Alice may not accept (that needs iam:AcceptDelegationRequest); the root does. Only the owner sends.
expect_error("AccessDenied", 403, alice.accept_delegation_request, DelegationRequestId=rid)
iam.accept_delegation_request(DelegationRequestId=rid)
expect_error("AccessDenied", 403, iam.send_delegation_token, DelegationRequestId=rid,
             message=f"Only the owner {alice_arn} of delegation request {rid} can send its delegation token.")
alice.send_delegation_token(DelegationRequestId=rid)
req = iam.get_delegation_request(DelegationRequestId=rid)["DelegationRequest"]
assert req["State"] == "FINALIZED" and req["ApproverId"] == f"arn:aws:iam::{account}:root", req

# Errors.
expect_error("InvalidInput", 400, iam.reject_delegation_request, DelegationRequestId=rid,
             message=f"Delegation request {rid} is in state FINALIZED and cannot be rejected.")
missing = "dr-" + "0" * 32
expect_error("NoSuchEntity", 404, iam.get_delegation_request, DelegationRequestId=missing,
             message=f"Delegation request {missing} not found.")
expect_error("EntityAlreadyExists", 409, iam.create_delegation_request, Description="again", RequestorWorkflowId=workflow,
             SessionDuration=3600, NotificationChannel=f"arn:aws:sns:us-east-1:{account}:partner-events",
             Permissions={"PolicyTemplateArn": template_arn, "Parameters": [
                 {"Name": "Buckets", "Type": "stringList", "Values": ["x"]}]})
bob = user_client(f"bob-{run}")
expect_error("AccessDenied", 403, bob.get_delegation_request, DelegationRequestId=rid)

# A second request, rejected with a reason.
rid2 = iam.create_delegation_request(
    Description="Second", RequestorWorkflowId=f"{workflow}-2", SessionDuration=900,
    NotificationChannel=f"arn:aws:sns:us-east-1:{account}:partner-events",
    Permissions={"PolicyTemplateArn": template_arn, "Parameters": [
        {"Name": "Buckets", "Type": "stringList", "Values": ["other"]}]})["DelegationRequestId"]
iam.associate_delegation_request(DelegationRequestId=rid2)
iam.reject_delegation_request(DelegationRequestId=rid2, Notes="Not needed")
req = iam.get_delegation_request(DelegationRequestId=rid2)["DelegationRequest"]
assert req["State"] == "REJECTED" and req["RejectionReason"] == "Not needed", req
expect_error("InvalidInput", 400, iam.accept_delegation_request, DelegationRequestId=rid2)
print("iam_delegation_requests: ok")
