"""boto3, unmodified, against iamd: access advisor from the requests iamd saw.

A user with a read-only IAM policy (through a group) and an STS policy calls IAM and STS in two regions, and
a role session calls IAM; the service last accessed reports of the user, the role, the group and the policy
then show those services with times, regions, entities and (ACTION_LEVEL) actions; which policies grant each
namespace; the organizations access report of an account outside any organization. Endpoint from
IAMD_ENDPOINT, root credentials from the usual AWS_* env.
"""
import json
import os
import time
import uuid

import boto3
from botocore.exceptions import ClientError

endpoint = os.environ["IAMD_ENDPOINT"]
iam = boto3.client("iam", endpoint_url=endpoint, region_name="us-east-1")
sts = boto3.client("sts", endpoint_url=endpoint, region_name="us-east-1")
account = sts.get_caller_identity()["Account"]
run = uuid.uuid4().hex[:8]
READ_ONLY = "arn:aws:iam::aws:policy/IAMReadOnlyAccess"


def client(service, key, region="us-east-1"):
    return boto3.client(service, endpoint_url=endpoint, region_name=region, aws_access_key_id=key["AccessKeyId"],
                        aws_secret_access_key=key["SecretAccessKey"], aws_session_token=key.get("SessionToken"))


def report(arn, granularity="SERVICE_LEVEL"):
    job = iam.generate_service_last_accessed_details(Arn=arn, Granularity=granularity)["JobId"]
    out = iam.get_service_last_accessed_details(JobId=job)
    assert out["JobStatus"] == "COMPLETED" and out["JobType"] == granularity, out
    return job, {s["ServiceNamespace"]: s for s in out["ServicesLastAccessed"]}


user, group, role = f"advisor-{run}", f"advisor-devs-{run}", f"advisor-ops-{run}"
iam.create_user(UserName=user)
iam.create_group(GroupName=group)
iam.add_user_to_group(GroupName=group, UserName=user)
iam.attach_group_policy(GroupName=group, PolicyArn=READ_ONLY)
iam.put_user_policy(UserName=user, PolicyName="sts", PolicyDocument=json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:*", "Resource": "*"}]}))
trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": account}, "Action": "sts:AssumeRole"}]}
role_arn = iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
iam.attach_role_policy(RoleName=role, PolicyArn=READ_ONLY)
key = iam.create_access_key(UserName=user)["AccessKey"]
user_arn = f"arn:aws:iam::{account}:user/{user}"

# --- the requests ----------------------------------------------------------------------------------------
for _ in range(30):  # a new key may take a moment to be usable, as in AWS
    try:
        client("iam", key).list_users()
        break
    except ClientError:
        time.sleep(0.2)
client("sts", key, "eu-west-1").get_caller_identity()
creds = client("sts", key, "eu-west-1").assume_role(RoleArn=role_arn, RoleSessionName="advisor")["Credentials"]
client("iam", {"AccessKeyId": creds["AccessKeyId"], "SecretAccessKey": creds["SecretAccessKey"],
               "SessionToken": creds["SessionToken"]}).get_role(RoleName=role)

# --- the user's report, action level ---------------------------------------------------------------------
_, rep = report(user_arn, "ACTION_LEVEL")
assert set(rep) == {"iam", "sts"}, rep
assert rep["iam"]["ServiceName"] == "AWS Identity and Access Management", rep["iam"]
assert rep["iam"]["LastAuthenticatedEntity"] == user_arn and rep["iam"]["TotalAuthenticatedEntities"] == 1, rep["iam"]
assert rep["iam"]["LastAuthenticatedRegion"] == "us-east-1", rep["iam"]
assert "ListUsers" in {a["ActionName"] for a in rep["iam"]["TrackedActionsLastAccessed"]}, rep["iam"]
assert rep["sts"]["LastAuthenticatedRegion"] == "eu-west-1", rep["sts"]
assert {"GetCallerIdentity", "AssumeRole"} <= {a["ActionName"] for a in rep["sts"]["TrackedActionsLastAccessed"]}, rep["sts"]

# --- the role, the group and the policy ------------------------------------------------------------------
_, rep = report(role_arn)
assert rep["iam"]["LastAuthenticatedEntity"] == role_arn and "LastAuthenticated" in rep["iam"], rep
_, rep = report(f"arn:aws:iam::{account}:group/{group}")
assert set(rep) == {"iam"} and rep["iam"]["LastAuthenticatedEntity"] == user_arn, rep
job, rep = report(READ_ONLY)
assert rep["iam"]["TotalAuthenticatedEntities"] >= 2, rep
ents = iam.get_service_last_accessed_details_with_entities(JobId=job, ServiceNamespace="iam")["EntityDetailsList"]
assert {user_arn, role_arn} <= {e["EntityInfo"]["Arn"] for e in ents}, ents

# --- which policies grant what ---------------------------------------------------------------------------
got = iam.list_policies_granting_service_access(Arn=user_arn, ServiceNamespaces=["iam", "sts", "s3"])
by_ns = {e["ServiceNamespace"]: e["Policies"] for e in got["PoliciesGrantingServiceAccess"]}
assert [p.get("PolicyArn") for p in by_ns["iam"]] == [READ_ONLY], by_ns
assert by_ns["sts"] == [{"PolicyName": "sts", "PolicyType": "INLINE", "EntityType": "USER", "EntityName": user}], by_ns
assert by_ns["s3"] == [], by_ns

# --- errors ----------------------------------------------------------------------------------------------
for fn, kwargs, code in [
    (iam.generate_service_last_accessed_details, {"Arn": f"arn:aws:iam::{account}:user/nobody-{run}"}, "NoSuchEntity"),
    (iam.get_service_last_accessed_details, {"JobId": str(uuid.uuid4())}, "NoSuchEntity"),
    (iam.generate_organizations_access_report, {"EntityPath": "o-a1b2c3d4e5/r-f6g7"}, "OrganizationNotFoundException"),
]:
    try:
        fn(**kwargs)
        raise AssertionError(f"{fn.__name__} succeeded")
    except ClientError as e:
        assert e.response["Error"]["Code"] == code, e.response

# --- tear down -------------------------------------------------------------------------------------------
iam.delete_access_key(UserName=user, AccessKeyId=key["AccessKeyId"])
iam.delete_user_policy(UserName=user, PolicyName="sts")
iam.remove_user_from_group(GroupName=group, UserName=user)
iam.detach_group_policy(GroupName=group, PolicyArn=READ_ONLY)
iam.delete_group(GroupName=group)
iam.delete_user(UserName=user)
iam.detach_role_policy(RoleName=role, PolicyArn=READ_ONLY)
iam.delete_role(RoleName=role)
print("iam_access_advisor: ok")
