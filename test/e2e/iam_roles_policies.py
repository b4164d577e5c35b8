"""boto3, unmodified, against iamd: roles, managed policies and their versions, attachments, inline policies,
instance profiles, service-linked roles, with AWS's quotas and error wording.

Endpoint from IAMD_ENDPOINT, root credentials from the usual AWS_* env. Everything is created under a
run-specific path and name suffix, and deleted at the end.
"""
import json
import os
import uuid

import boto3
from botocore.exceptions import ClientError

endpoint = os.environ["IAMD_ENDPOINT"]
iam = boto3.client("iam", endpoint_url=endpoint, region_name="us-east-1")
sts = boto3.client("sts", endpoint_url=endpoint, region_name="us-east-1")
account = sts.get_caller_identity()["Account"]
run = uuid.uuid4().hex[:8]
P = f"/e2e-rp-{run}/"


def name(base):
    return f"{base}-{run}"


def expect_error(code, status, message, fn, *args, **kwargs):
    try:
        fn(*args, **kwargs)
    except ClientError as e:
        err = e.response["Error"]
        got = (err["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"], err["Message"])
        assert got == (code, status, message), f"{fn.__name__}: got {got}, want {(code, status, message)}"
        return
    raise AssertionError(f"{fn.__name__} succeeded; want {code}")


def doc(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def as_dict(d):
    """botocore decodes URL-encoded policy documents into dicts; accept the string form too."""
    if isinstance(d, str):
        import urllib.parse
        return json.loads(urllib.parse.unquote(d))
    return d


S3_GET = doc({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"})
S3_PUT = doc({"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": "*"})
LAMBDA_TRUST = doc({"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"})
ACCOUNT_TRUST = doc({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:root"}, "Action": "sts:AssumeRole"})
READONLY = "arn:aws:iam::aws:policy/ReadOnlyAccess"

# --- AWS managed policies -----------------------------------------------------------------------------------
ro = iam.get_policy(PolicyArn=READONLY)["Policy"]
assert ro["PolicyName"] == "ReadOnlyAccess" and ro["IsAttachable"], ro
ro_doc = as_dict(iam.get_policy_version(PolicyArn=READONLY, VersionId=ro["DefaultVersionId"])["PolicyVersion"]["Document"])
assert ro_doc["Version"] == "2012-10-17" and ro_doc["Statement"], ro_doc
job = iam.get_paginator("list_policies").paginate(Scope="AWS", PathPrefix="/job-function/",
                                                  PaginationConfig={"PageSize": 3}).build_full_result()["Policies"]
assert "ViewOnlyAccess" in {p["PolicyName"] for p in job}, [p["PolicyName"] for p in job]
expect_error("NoSuchEntity", 404, "Policy arn:aws:iam::aws:policy/NoSuchPolicy-" + run + " was not found.",
             iam.get_policy, PolicyArn="arn:aws:iam::aws:policy/NoSuchPolicy-" + run)

# --- customer managed policies and versions ---------------------------------------------------------------
pol = iam.create_policy(PolicyName=name("data"), Path=P, PolicyDocument=S3_GET, Description="data access",
                        Tags=[{"Key": "owner", "Value": "e2e"}])["Policy"]
arn = pol["Arn"]
assert arn == f"arn:aws:iam::{account}:policy{P}{name('data')}" and pol["DefaultVersionId"] == "v1", pol
expect_error("EntityAlreadyExists", 409, f"A policy called {name('data')} already exists. Duplicate names are not allowed.",
             iam.create_policy, PolicyName=name("data"), PolicyDocument=S3_GET)
expect_error("MalformedPolicyDocument", 400, "Syntax errors in policy.",
             iam.create_policy, PolicyName=name("broken"), PolicyDocument="{")
for i in range(4):
    v = iam.create_policy_version(PolicyArn=arn, PolicyDocument=S3_PUT, SetAsDefault=(i == 1))["PolicyVersion"]
    assert v["VersionId"] == f"v{i + 2}", v
expect_error("LimitExceeded", 409, "A managed policy can have up to 5 versions. Before you create a new version, you must delete an existing version.",
             iam.create_policy_version, PolicyArn=arn, PolicyDocument=S3_PUT)
versions = iam.list_policy_versions(PolicyArn=arn)["Versions"]
assert [v["VersionId"] for v in versions] == ["v5", "v4", "v3", "v2", "v1"], versions
assert [v["VersionId"] for v in versions if v["IsDefaultVersion"]] == ["v3"], versions
assert as_dict(iam.get_policy_version(PolicyArn=arn, VersionId="v1")["PolicyVersion"]["Document"]) == json.loads(S3_GET)
expect_error("DeleteConflict", 409, "Cannot delete the default version of a policy.",
             iam.delete_policy_version, PolicyArn=arn, VersionId="v3")
iam.set_default_policy_version(PolicyArn=arn, VersionId="v1")
for v in ["v2", "v3", "v4", "v5"]:
    iam.delete_policy_version(PolicyArn=arn, VersionId=v)
iam.tag_policy(PolicyArn=arn, Tags=[{"Key": "tier", "Value": "gold"}])
iam.untag_policy(PolicyArn=arn, TagKeys=["owner"])
assert iam.list_policy_tags(PolicyArn=arn)["Tags"] == [{"Key": "tier", "Value": "gold"}]
local = [p["PolicyName"] for p in iam.list_policies(Scope="Local", PathPrefix=P)["Policies"]]
assert local == [name("data")], local

# --- roles ------------------------------------------------------------------------------------------------
role = iam.create_role(RoleName=name("fn"), Path=P, AssumeRolePolicyDocument=LAMBDA_TRUST, MaxSessionDuration=3600,
                       PermissionsBoundary=READONLY, Tags=[{"Key": "app", "Value": "fn"}])["Role"]
assert role["Arn"] == f"arn:aws:iam::{account}:role{P}{name('fn')}" and role["RoleId"].startswith("AROA"), role
expect_error("EntityAlreadyExists", 409, f"Role with name {name('fn').upper()} already exists.",
             iam.create_role, RoleName=name("fn").upper(), AssumeRolePolicyDocument=LAMBDA_TRUST)
expect_error("MalformedPolicyDocument", 400, "Invalid principal in policy: com.amazon.balsa.error.InvalidPolicyException: The passed in policy has a statement with no principals!",
             iam.create_role, RoleName=name("bad"), AssumeRolePolicyDocument=S3_GET)
got = iam.get_role(RoleName=name("fn"))["Role"]
assert as_dict(got["AssumeRolePolicyDocument"]) == json.loads(LAMBDA_TRUST), got
assert got["PermissionsBoundary"]["PermissionsBoundaryArn"] == READONLY and got["Tags"] == [{"Key": "app", "Value": "fn"}], got
assert "RoleLastUsed" in got, got
iam.update_role(RoleName=name("fn"), MaxSessionDuration=14400, Description="function role")
described = iam.update_role_description(RoleName=name("fn"), Description="the function role")["Role"]
assert described["Description"] == "the function role" and described["MaxSessionDuration"] == 14400, described
iam.update_assume_role_policy(RoleName=name("fn"), PolicyDocument=ACCOUNT_TRUST)
assert as_dict(iam.get_role(RoleName=name("fn"))["Role"]["AssumeRolePolicyDocument"]) == json.loads(ACCOUNT_TRUST)
iam.delete_role_permissions_boundary(RoleName=name("fn"))
iam.put_role_permissions_boundary(RoleName=name("fn"), PermissionsBoundary=arn)
iam.tag_role(RoleName=name("fn"), Tags=[{"Key": "env", "Value": "test"}])
iam.untag_role(RoleName=name("fn"), TagKeys=["app"])
assert iam.list_role_tags(RoleName=name("fn"))["Tags"] == [{"Key": "env", "Value": "test"}]
iam.create_role(RoleName=name("second"), Path=P, AssumeRolePolicyDocument=LAMBDA_TRUST)
listed = iam.get_paginator("list_roles").paginate(PathPrefix=P, PaginationConfig={"PageSize": 1}).build_full_result()["Roles"]
assert [r["RoleName"] for r in listed] == [name("fn"), name("second")], listed
expect_error("NoSuchEntity", 404, f"The role with name nobody-{run} cannot be found.", iam.get_role, RoleName=f"nobody-{run}")

# --- attachments and inline policies ------------------------------------------------------------------------
iam.attach_role_policy(RoleName=name("fn"), PolicyArn=arn)
iam.attach_role_policy(RoleName=name("fn"), PolicyArn=READONLY)
extra = []
for i in range(8):
    extra.append(iam.create_policy(PolicyName=name(f"x{i}"), Path=P, PolicyDocument=S3_GET)["Policy"]["Arn"])
    iam.attach_role_policy(RoleName=name("fn"), PolicyArn=extra[-1])
overflow = iam.create_policy(PolicyName=name("overflow"), Path=P, PolicyDocument=S3_GET)["Policy"]["Arn"]
expect_error("LimitExceeded", 409, "Cannot exceed quota for PoliciesPerRole: 10",
             iam.attach_role_policy, RoleName=name("fn"), PolicyArn=overflow)
attached = iam.get_paginator("list_attached_role_policies").paginate(
    RoleName=name("fn"), PaginationConfig={"PageSize": 3}).build_full_result()["AttachedPolicies"]
assert len(attached) == 10 and READONLY in {a["PolicyArn"] for a in attached}, attached
ents = iam.list_entities_for_policy(PolicyArn=arn)
assert [r["RoleName"] for r in ents["PolicyRoles"]] == [name("fn")] and ents["PolicyUsers"] == [], ents
bounded = iam.list_entities_for_policy(PolicyArn=arn, PolicyUsageFilter="PermissionsBoundary")
assert [r["RoleName"] for r in bounded["PolicyRoles"]] == [name("fn")], bounded
assert iam.get_policy(PolicyArn=arn)["Policy"]["AttachmentCount"] == 1
expect_error("DeleteConflict", 409, "Cannot delete a policy attached to entities.", iam.delete_policy, PolicyArn=arn)

iam.put_role_policy(RoleName=name("fn"), PolicyName="logs", PolicyDocument=doc(
    {"Effect": "Allow", "Action": "logs:*", "Resource": "*"}))
big = doc({"Effect": "Allow", "Action": "s3:GetObject", "Resource": [f"arn:aws:s3:::bucket-{i:05d}/*" for i in range(400)]})
expect_error("LimitExceeded", 409, f"Maximum policy size of 10240 bytes exceeded for role {name('fn')}",
             iam.put_role_policy, RoleName=name("fn"), PolicyName="big", PolicyDocument=big)
inline = iam.get_role_policy(RoleName=name("fn"), PolicyName="logs")
assert as_dict(inline["PolicyDocument"])["Statement"][0]["Action"] == "logs:*", inline
assert iam.list_role_policies(RoleName=name("fn"))["PolicyNames"] == ["logs"]
expect_error("NoSuchEntity", 404, "The role policy with name nope cannot be found.",
             iam.get_role_policy, RoleName=name("fn"), PolicyName="nope")

# --- instance profiles --------------------------------------------------------------------------------------
ip = iam.create_instance_profile(InstanceProfileName=name("ip"), Path=P, Tags=[{"Key": "k", "Value": "v"}])["InstanceProfile"]
assert ip["InstanceProfileId"].startswith("AIPA") and ip["Roles"] == [], ip
iam.add_role_to_instance_profile(InstanceProfileName=name("ip"), RoleName=name("fn"))
expect_error("LimitExceeded", 409, "Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1",
             iam.add_role_to_instance_profile, InstanceProfileName=name("ip"), RoleName=name("second"))
assert [p["InstanceProfileName"] for p in iam.list_instance_profiles_for_role(RoleName=name("fn"))["InstanceProfiles"]] == [name("ip")]
got_ip = iam.get_instance_profile(InstanceProfileName=name("ip"))["InstanceProfile"]
assert [r["RoleName"] for r in got_ip["Roles"]] == [name("fn")], got_ip
iam.tag_instance_profile(InstanceProfileName=name("ip"), Tags=[{"Key": "k2", "Value": "v2"}])
assert len(iam.list_instance_profile_tags(InstanceProfileName=name("ip"))["Tags"]) == 2
expect_error("DeleteConflict", 409, "Cannot delete entity, must remove roles from instance profile first.",
             iam.delete_role, RoleName=name("fn"))
expect_error("DeleteConflict", 409, "Cannot delete entity, must remove roles from instance profile first.",
             iam.delete_instance_profile, InstanceProfileName=name("ip"))

# --- service-linked roles -------------------------------------------------------------------------------------
slr = iam.create_service_linked_role(AWSServiceName="autoscaling.amazonaws.com", CustomSuffix=run,
                                     Description="e2e")["Role"]
slr_name = f"AWSServiceRoleForAutoScaling_{run}"
assert slr["RoleName"] == slr_name and slr["Path"] == "/aws-service-role/autoscaling.amazonaws.com/", slr
assert [a["PolicyName"] for a in iam.list_attached_role_policies(RoleName=slr_name)["AttachedPolicies"]] == ["AutoScalingServiceRolePolicy"]
protected = f"Cannot perform the operation on the protected role '{slr_name}' - this role is only modifiable by AWS"
expect_error("UnmodifiableEntity", 400, protected, iam.delete_role, RoleName=slr_name)
expect_error("UnmodifiableEntity", 400, protected, iam.put_role_policy, RoleName=slr_name, PolicyName="p", PolicyDocument=S3_GET)
task = iam.delete_service_linked_role(RoleName=slr_name)["DeletionTaskId"]
assert task.startswith(f"task/aws-service-role/autoscaling.amazonaws.com/{slr_name}/"), task
assert iam.get_service_linked_role_deletion_status(DeletionTaskId=task)["Status"] == "SUCCEEDED"

# --- authorization details ----------------------------------------------------------------------------------
details = iam.get_paginator("get_account_authorization_details").paginate(
    Filter=["Role", "LocalManagedPolicy"], PaginationConfig={"PageSize": 2}).build_full_result()
fn = {r["RoleName"]: r for r in details["RoleDetailList"]}[name("fn")]
assert [i["InstanceProfileName"] for i in fn["InstanceProfileList"]] == [name("ip")], fn
assert [p["PolicyName"] for p in fn["RolePolicyList"]] == ["logs"] and len(fn["AttachedManagedPolicies"]) == 10, fn
assert fn["PermissionsBoundary"]["PermissionsBoundaryArn"] == arn, fn
assert arn in {p["Arn"] for p in details["Policies"]}

# --- tear down ----------------------------------------------------------------------------------------------
iam.remove_role_from_instance_profile(InstanceProfileName=name("ip"), RoleName=name("fn"))
iam.delete_instance_profile(InstanceProfileName=name("ip"))
for a in attached:
    iam.detach_role_policy(RoleName=name("fn"), PolicyArn=a["PolicyArn"])
iam.delete_role_policy(RoleName=name("fn"), PolicyName="logs")
iam.delete_role_permissions_boundary(RoleName=name("fn"))
for r in [name("fn"), name("second")]:
    iam.delete_role(RoleName=r)
for a in extra + [overflow, arn]:
    iam.delete_policy(PolicyArn=a)
assert iam.list_roles(PathPrefix=P)["Roles"] == [] and iam.list_policies(Scope="Local", PathPrefix=P)["Policies"] == []
print("iam roles/policies e2e: roles, policy versions, attachments, inline, instance profiles, service-linked roles OK")
