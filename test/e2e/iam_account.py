"""boto3, unmodified, against iamd: build a realistic IAM account, read it back, tear it down.

Users in groups with managed and inline policies, roles with trust policies and instance profiles, AWS
managed policies attached, a password policy, login profiles, access keys and an alias; then
GetAccountAuthorizationDetails and the credential report; then deletion in dependency order, checking the
DeleteConflict answers on the way. Endpoint from IAMD_ENDPOINT, root credentials from the usual AWS_* env.
"""
import csv
import io
import json
import os
import time
import urllib.parse
import uuid

import boto3
from botocore.exceptions import ClientError

endpoint = os.environ["IAMD_ENDPOINT"]
iam = boto3.client("iam", endpoint_url=endpoint, region_name="us-east-1")
sts = boto3.client("sts", endpoint_url=endpoint, region_name="us-east-1")
account = sts.get_caller_identity()["Account"]
run = uuid.uuid4().hex[:8]
P = f"/e2e-{run}/"  # every entity lives under this path so reruns do not collide


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


S3_READ = doc({"Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"], "Resource": "*"})
SELF_SERVICE = doc(
    {"Effect": "Allow", "Action": ["iam:GetUser", "iam:ChangePassword", "iam:ListAccessKeys"],
     "Resource": f"arn:aws:iam::{account}:user{P}${{aws:username}}"},
    {"Effect": "Allow", "Action": "iam:GetAccountPasswordPolicy", "Resource": "*"})
EC2_TRUST = doc({"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"})
ACCOUNT_TRUST = doc({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
                     "Action": "sts:AssumeRole"})
AWS_READONLY = "arn:aws:iam::aws:policy/ReadOnlyAccess"
AWS_S3_READONLY = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"

users = [name("alice"), name("bob"), name("carol")]
groups = {name("developers"): users[:2], name("auditors"): users[1:]}
roles = {name("web-server"): EC2_TRUST, name("deployer"): ACCOUNT_TRUST}
profile = name("web-profile")

# --- build ---------------------------------------------------------------------------------------------
iam.update_account_password_policy(MinimumPasswordLength=12, RequireNumbers=True, RequireSymbols=True,
                                   RequireUppercaseCharacters=True, RequireLowercaseCharacters=True,
                                   AllowUsersToChangePassword=True, MaxPasswordAge=90)
pp = iam.get_account_password_policy()["PasswordPolicy"]
assert pp["MinimumPasswordLength"] == 12 and pp["ExpirePasswords"] and pp["MaxPasswordAge"] == 90, pp

alias = f"iamd-e2e-{run}"
iam.create_account_alias(AccountAlias=alias)
assert iam.list_account_aliases()["AccountAliases"] == [alias]

policy_arn = iam.create_policy(PolicyName=name("s3-read"), Path=P, PolicyDocument=S3_READ,
                               Description="read S3")["Policy"]["Arn"]
iam.create_policy_version(PolicyArn=policy_arn, PolicyDocument=doc(
    {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::bucket/*"}), SetAsDefault=True)

for u in users:
    created = iam.create_user(UserName=u, Path=P, Tags=[{"Key": "team", "Value": "e2e"}])["User"]
    assert created["Arn"] == f"arn:aws:iam::{account}:user{P}{u}", created
    assert created["UserId"].startswith("AIDA") and len(created["UserId"]) == 21, created
expect_error("EntityAlreadyExists", 409, f"User with name {users[0].upper()} already exists.",
             iam.create_user, UserName=users[0].upper())
expect_error("NoSuchEntity", 404, "The user with name nobody-" + run + " cannot be found.",
             iam.get_user, UserName="nobody-" + run)
expect_error("PasswordPolicyViolation", 400, "Password should have a minimum length of 12",
             iam.create_login_profile, UserName=users[0], Password="Sh0rt!")
iam.create_login_profile(UserName=users[0], Password="Correct-Horse-9-Battery", PasswordResetRequired=False)
iam.create_login_profile(UserName=users[1], Password="Another-Str0ng-Passw0rd!", PasswordResetRequired=True)
assert iam.get_login_profile(UserName=users[1])["LoginProfile"]["PasswordResetRequired"] is True

keys = {}
for u in users[:2]:
    k = iam.create_access_key(UserName=u)["AccessKey"]
    assert k["AccessKeyId"].startswith("AKIA") and len(k["SecretAccessKey"]) == 40, k
    keys[u] = k
iam.create_access_key(UserName=users[0])
expect_error("LimitExceeded", 409, "Cannot exceed quota for AccessKeysPerUser: 2",
             iam.create_access_key, UserName=users[0])

for g, members in groups.items():
    iam.create_group(GroupName=g, Path=P)
    for u in members:
        iam.add_user_to_group(GroupName=g, UserName=u)
iam.attach_group_policy(GroupName=name("developers"), PolicyArn=policy_arn)
iam.attach_group_policy(GroupName=name("auditors"), PolicyArn=AWS_READONLY)
iam.put_group_policy(GroupName=name("developers"), PolicyName="self-service", PolicyDocument=SELF_SERVICE)
iam.put_user_policy(UserName=users[0], PolicyName="self-service", PolicyDocument=SELF_SERVICE)
iam.attach_user_policy(UserName=users[2], PolicyArn=AWS_S3_READONLY)

for r, trust in roles.items():
    role = iam.create_role(RoleName=r, Path=P, AssumeRolePolicyDocument=trust, MaxSessionDuration=7200,
                           Description="e2e role")["Role"]
    assert role["RoleId"].startswith("AROA"), role
iam.attach_role_policy(RoleName=name("web-server"), PolicyArn=AWS_S3_READONLY)
iam.attach_role_policy(RoleName=name("deployer"), PolicyArn=policy_arn)
iam.put_role_policy(RoleName=name("deployer"), PolicyName="deploy", PolicyDocument=doc(
    {"Effect": "Allow", "Action": "cloudformation:*", "Resource": "*"}))
iam.create_instance_profile(InstanceProfileName=profile, Path=P)
iam.add_role_to_instance_profile(InstanceProfileName=profile, RoleName=name("web-server"))

# --- read back -----------------------------------------------------------------------------------------
got = iam.get_role(RoleName=name("web-server"))["Role"]
trust = got["AssumeRolePolicyDocument"]
if isinstance(trust, str):  # boto3 decodes the URL-encoded JSON; other clients see the encoded form
    trust = json.loads(urllib.parse.unquote(trust))
assert trust["Statement"][0]["Principal"] == {"Service": "ec2.amazonaws.com"}, trust

listed = [u["UserName"] for u in iam.get_paginator("list_users").paginate(PathPrefix=P,
                                                                           PaginationConfig={"PageSize": 1})
          .build_full_result()["Users"]]
assert listed == sorted(users, key=str.lower), listed
members = [u["UserName"] for u in iam.get_group(GroupName=name("auditors"))["Users"]]
assert sorted(members) == sorted(groups[name("auditors")]), members
assert {g["GroupName"] for g in iam.list_groups_for_user(UserName=users[1])["Groups"]} == set(groups)

details = iam.get_paginator("get_account_authorization_details").paginate(
    Filter=["User", "Role", "Group", "LocalManagedPolicy", "AWSManagedPolicy"],
    PaginationConfig={"PageSize": 5}).build_full_result()
by_user = {u["UserName"]: u for u in details["UserDetailList"]}
assert set(users) <= set(by_user), by_user.keys()
alice = by_user[users[0]]
assert alice["GroupList"] == [name("developers")], alice
assert [p["PolicyName"] for p in alice["UserPolicyList"]] == ["self-service"], alice
assert [p["PolicyArn"] for p in by_user[users[2]]["AttachedManagedPolicies"]] == [AWS_S3_READONLY]
by_role = {r["RoleName"]: r for r in details["RoleDetailList"]}
web = by_role[name("web-server")]
assert [ip["InstanceProfileName"] for ip in web["InstanceProfileList"]] == [profile], web
assert [p["PolicyName"] for p in by_role[name("deployer")]["RolePolicyList"]] == ["deploy"]
by_group = {g["GroupName"]: g for g in details["GroupDetailList"]}
assert [p["PolicyArn"] for p in by_group[name("auditors")]["AttachedManagedPolicies"]] == [AWS_READONLY]
local = {p["Arn"]: p for p in details["Policies"]}
assert policy_arn in local and len(local[policy_arn]["PolicyVersionList"]) == 2, local.get(policy_arn)
assert AWS_READONLY in local and AWS_S3_READONLY in local, "attached AWS managed policies missing"

# The users' own credentials work against STS (and IAM, within their policies).
alice_sts = boto3.client("sts", endpoint_url=endpoint, region_name="us-east-1",
                         aws_access_key_id=keys[users[0]]["AccessKeyId"],
                         aws_secret_access_key=keys[users[0]]["SecretAccessKey"])
assert alice_sts.get_caller_identity()["Arn"] == f"arn:aws:iam::{account}:user{P}{users[0]}"
alice_iam = boto3.client("iam", endpoint_url=endpoint, region_name="us-east-1",
                         aws_access_key_id=keys[users[0]]["AccessKeyId"],
                         aws_secret_access_key=keys[users[0]]["SecretAccessKey"])
assert alice_iam.get_user()["User"]["UserName"] == users[0]
alice_iam.change_password(OldPassword="Correct-Horse-9-Battery", NewPassword="Even-B3tter-Horse-Staple")
used = iam.get_access_key_last_used(AccessKeyId=keys[users[0]]["AccessKeyId"])
assert used["UserName"] == users[0], used
print("alice's key last used:", used["AccessKeyLastUsed"])

state = None
for _ in range(30):
    state = iam.generate_credential_report()["State"]
    if state == "COMPLETE":
        break
    time.sleep(1)
report = iam.get_credential_report()
assert report["ReportFormat"] == "text/csv", report["ReportFormat"]
rows = list(csv.DictReader(io.StringIO(report["Content"].decode())))
assert len(rows[0]) == 22, rows[0].keys()
by_name = {r["user"]: r for r in rows}
assert by_name["<root_account>"]["arn"] == f"arn:aws:iam::{account}:root"
assert by_name["<root_account>"]["password_enabled"] == "not_supported"
assert by_name[users[0]]["password_enabled"] == "true" and by_name[users[0]]["access_key_2_active"] == "true"
assert by_name[users[0]]["password_next_rotation"] != "N/A", by_name[users[0]]
assert by_name[users[2]]["password_enabled"] == "false" and by_name[users[2]]["access_key_1_active"] == "false"
assert by_name[users[2]]["access_key_1_last_rotated"] == "N/A"

# --- tear down, in dependency order ----------------------------------------------------------------------
expect_error("DeleteConflict", 409, "Cannot delete entity, must delete login profile first.",
             iam.delete_user, UserName=users[0])
expect_error("DeleteConflict", 409, "Cannot delete entity, must remove users from group first.",
             iam.delete_group, GroupName=name("developers"))
expect_error("DeleteConflict", 409, "Cannot delete a policy attached to entities.",
             iam.delete_policy, PolicyArn=policy_arn)

iam.remove_role_from_instance_profile(InstanceProfileName=profile, RoleName=name("web-server"))
iam.delete_instance_profile(InstanceProfileName=profile)
for r in roles:
    for p in iam.list_attached_role_policies(RoleName=r)["AttachedPolicies"]:
        iam.detach_role_policy(RoleName=r, PolicyArn=p["PolicyArn"])
    for pn in iam.list_role_policies(RoleName=r)["PolicyNames"]:
        iam.delete_role_policy(RoleName=r, PolicyName=pn)
    iam.delete_role(RoleName=r)

for g, members_of_g in groups.items():
    for u in members_of_g:
        iam.remove_user_from_group(GroupName=g, UserName=u)
    for p in iam.list_attached_group_policies(GroupName=g)["AttachedPolicies"]:
        iam.detach_group_policy(GroupName=g, PolicyArn=p["PolicyArn"])
    for pn in iam.list_group_policies(GroupName=g)["PolicyNames"]:
        iam.delete_group_policy(GroupName=g, PolicyName=pn)
    iam.delete_group(GroupName=g)

for u in users:
    for k in iam.list_access_keys(UserName=u)["AccessKeyMetadata"]:
        iam.delete_access_key(UserName=u, AccessKeyId=k["AccessKeyId"])
    try:
        iam.delete_login_profile(UserName=u)
    except ClientError as e:
        assert e.response["Error"]["Code"] == "NoSuchEntity", e
    for p in iam.list_attached_user_policies(UserName=u)["AttachedPolicies"]:
        iam.detach_user_policy(UserName=u, PolicyArn=p["PolicyArn"])
    for pn in iam.list_user_policies(UserName=u)["PolicyNames"]:
        iam.delete_user_policy(UserName=u, PolicyName=pn)
    iam.delete_user(UserName=u)

for v in iam.list_policy_versions(PolicyArn=policy_arn)["Versions"]:
    if not v["IsDefaultVersion"]:
        iam.delete_policy_version(PolicyArn=policy_arn, VersionId=v["VersionId"])
iam.delete_policy(PolicyArn=policy_arn)
iam.delete_account_alias(AccountAlias=alias)
iam.delete_account_password_policy()
expect_error("NoSuchEntity", 404, f"The Password Policy with domain name {account} cannot be found.",
             iam.get_account_password_policy)
assert iam.list_users(PathPrefix=P)["Users"] == []
print(f"iam account e2e: {len(users)} users, {len(groups)} groups, {len(roles)} roles built, read back, torn down")
