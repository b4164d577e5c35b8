"""boto3, unmodified, against iamd: IAM policy enforcement (issue 6).

A user with only iam:GetUser gets AccessDenied in AWS's words on CreateUser; a group policy allows it; a
permissions boundary without it cuts it again; explicit denies, session policies, policy variables, tag
conditions, revoked role sessions, AWS managed policies, the Account API's account:TargetRegion; and after
every step SimulatePrincipalPolicy must decide like the real call did.

Endpoint from IAMD_ENDPOINT, root credentials from the usual AWS_* env. Everything is created under a
run-specific path and name suffix, and deleted at the end.
"""
import datetime
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
P = f"/e2e-authz-{run}/"
ARN = f"arn:aws:iam::{account}:"


def name(base):
    return f"{base}-{run}"


def doc(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(action, resource="*", **extra):
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action, resource="*", **extra):
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


def clients(creds):
    kw = dict(endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id=creds["AccessKeyId"],
              aws_secret_access_key=creds["SecretAccessKey"], aws_session_token=creds.get("SessionToken"))
    return boto3.client("iam", **kw), boto3.client("sts", **kw), boto3.client("account", **kw)


cleanup = []


def make_user(base, policy=None, tags=None):
    n = name(base)
    iam.create_user(UserName=n, Path=P, **({"Tags": tags} if tags else {}))
    cleanup.append(("user", n))
    if policy:
        iam.put_user_policy(UserName=n, PolicyName="base", PolicyDocument=policy)
    key = iam.create_access_key(UserName=n)["AccessKey"]
    return n, ARN + "user" + P + n, key


def denied(fn, code, message, **kwargs):
    """Calls fn expecting AccessDenied with exactly message; returns the error for agree()."""
    try:
        fn(**kwargs)
    except ClientError as e:
        err = e.response["Error"]
        got = (err["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"], err["Message"])
        assert got == (code, 403, message), f"{fn.__name__}: got {got}\nwant {(code, 403, message)}"
        return e
    raise AssertionError(f"{fn.__name__} succeeded; want {code}")


def not_authorized(caller, action, resource, reason):
    return f"User: {caller} is not authorized to perform: {action} on resource: {resource} {reason}"


def because(kind, action):
    return f"because no {kind} allows the {action} action"


def agree(source, action, resource, err, context=None):
    """SimulatePrincipalPolicy must decide like the real call did (err is None when it succeeded)."""
    out = iam.simulate_principal_policy(PolicySourceArn=source, ActionNames=[action], ResourceArns=[resource],
                                        ContextEntries=context or [])
    got = out["EvaluationResults"][0]["EvalDecision"]
    if err is None:
        want = "allowed"
    elif "explicit deny" in err.response["Error"]["Message"]:
        want = "explicitDeny"
    else:
        want = "implicitDeny"
    assert got == want, f"simulation of {action} on {resource}: {got}, the real call: {want}"


# --- 1. only iam:GetUser ------------------------------------------------------------------------------------
alice, alice_arn, alice_key = make_user("alice", doc(allow("iam:GetUser")))
a_iam, a_sts, _ = clients(alice_key)
a_iam.get_user()
bob = name("bob")
err = denied(a_iam.create_user, "AccessDenied",
             not_authorized(alice_arn, "iam:CreateUser", ARN + "user/" + bob, because("identity-based policy", "iam:CreateUser")),
             UserName=bob)
agree(alice_arn, "iam:CreateUser", ARN + "user/" + bob, err)

# --- 2. a group policy allows it, on the very next request ---------------------------------------------------
group = name("admins")
iam.create_group(GroupName=group, Path=P)
cleanup.append(("group", group))
iam.put_group_policy(GroupName=group, PolicyName="users", PolicyDocument=doc(allow(["iam:*User", "iam:*UserPolicy", "iam:TagUser"])))
iam.add_user_to_group(GroupName=group, UserName=alice)
a_iam.create_user(UserName=bob)
cleanup.append(("user", bob))
agree(alice_arn, "iam:CreateUser", ARN + "user/" + bob, None)

# --- 3. a permissions boundary without it cuts it again ------------------------------------------------------
boundary = iam.create_policy(PolicyName=name("read-only-iam"), Path=P,
                             PolicyDocument=doc(allow(["iam:Get*", "iam:List*"])))["Policy"]["Arn"]
cleanup.append(("policy", boundary))
iam.put_user_permissions_boundary(UserName=alice, PermissionsBoundary=boundary)
carol = name("carol")
err = denied(a_iam.create_user, "AccessDenied",
             not_authorized(alice_arn, "iam:CreateUser", ARN + "user/" + carol, because("permissions boundary", "iam:CreateUser")),
             UserName=carol)
agree(alice_arn, "iam:CreateUser", ARN + "user/" + carol, err)
a_iam.get_user(UserName=bob)
agree(alice_arn, "iam:GetUser", ARN + "user/" + bob, None)
sim = iam.simulate_principal_policy(PolicySourceArn=alice_arn, ActionNames=["iam:CreateUser"])["EvaluationResults"][0]
assert sim["PermissionsBoundaryDecisionDetail"] == {"AllowedByPermissionsBoundary": False}, sim
iam.delete_user_permissions_boundary(UserName=alice)

# --- 4. explicit denies: inline, then managed (named in the message) -----------------------------------------
iam.put_user_policy(UserName=alice, PolicyName="no-delete", PolicyDocument=doc(deny("iam:DeleteUser")))
err = denied(a_iam.delete_user, "AccessDenied",
             not_authorized(alice_arn, "iam:DeleteUser", ARN + "user/" + bob, "with an explicit deny in an identity-based policy"),
             UserName=bob)
agree(alice_arn, "iam:DeleteUser", ARN + "user/" + bob, err)
sim = iam.simulate_principal_policy(PolicySourceArn=alice_arn, ActionNames=["iam:DeleteUser"])["EvaluationResults"][0]
assert [(s["SourcePolicyId"], s["SourcePolicyType"]) for s in sim["MatchedStatements"]] == [("no-delete", "user")], sim
no_create = iam.create_policy(PolicyName=name("no-create"), Path=P, PolicyDocument=doc(deny("iam:CreateUser")))["Policy"]["Arn"]
cleanup.append(("policy", no_create))
iam.attach_user_policy(UserName=alice, PolicyArn=no_create)
dave = name("dave")
err = denied(a_iam.create_user, "AccessDenied",
             not_authorized(alice_arn, "iam:CreateUser", ARN + "user/" + dave,
                            "with an explicit deny in an identity-based policy: " + no_create),
             UserName=dave)
agree(alice_arn, "iam:CreateUser", ARN + "user/" + dave, err)
iam.detach_user_policy(UserName=alice, PolicyArn=no_create)
iam.remove_user_from_group(GroupName=group, UserName=alice)
err = denied(a_iam.create_user, "AccessDenied",
             not_authorized(alice_arn, "iam:CreateUser", ARN + "user/" + dave, because("identity-based policy", "iam:CreateUser")),
             UserName=dave)
agree(alice_arn, "iam:CreateUser", ARN + "user/" + dave, err)

# --- 5. policy variables and tag conditions ------------------------------------------------------------------
erin, erin_arn, erin_key = make_user("erin", doc(
    allow("iam:GetUser", ARN + "user" + P + "${aws:username}"),
    allow("iam:CreateUser", "*", Condition={"StringEquals": {"aws:RequestTag/team": "blue"}}),
    allow("iam:ListUserTags", "*", Condition={"StringEquals": {"aws:ResourceTag/team": "blue"}}),
    allow("iam:ListUsers", "*", Condition={"StringEquals": {"aws:PrincipalTag/dept": "eng"}}),
), tags=[{"Key": "dept", "Value": "eng"}])
e_iam, _, _ = clients(erin_key)
e_iam.get_user(UserName=erin)
username = [{"ContextKeyName": "aws:username", "ContextKeyValues": [erin], "ContextKeyType": "string"}]
agree(erin_arn, "iam:GetUser", erin_arn, None, username)
err = denied(e_iam.get_user, "AccessDenied",
             not_authorized(erin_arn, "iam:GetUser", ARN + "user/" + bob, because("identity-based policy", "iam:GetUser")),
             UserName=bob)
agree(erin_arn, "iam:GetUser", ARN + "user/" + bob, err, username)
blue = name("blue")
e_iam.create_user(UserName=blue, Tags=[{"Key": "team", "Value": "blue"}])
cleanup.append(("user", blue))
red = name("red")
err = denied(e_iam.create_user, "AccessDenied",
             not_authorized(erin_arn, "iam:CreateUser", ARN + "user/" + red, because("identity-based policy", "iam:CreateUser")),
             UserName=red, Tags=[{"Key": "team", "Value": "red"}])
agree(erin_arn, "iam:CreateUser", ARN + "user/" + red, err,
      [{"ContextKeyName": "aws:RequestTag/team", "ContextKeyValues": ["red"], "ContextKeyType": "string"}])
e_iam.list_user_tags(UserName=blue)
denied(e_iam.list_user_tags, "AccessDenied",
       not_authorized(erin_arn, "iam:ListUserTags", ARN + "user/" + bob, because("identity-based policy", "iam:ListUserTags")),
       UserName=bob)
iam.tag_user(UserName=bob, Tags=[{"Key": "team", "Value": "blue"}])
e_iam.list_user_tags(UserName=bob)
e_iam.list_users()
iam.untag_user(UserName=erin, TagKeys=["dept"])
denied(e_iam.list_users, "AccessDenied",
       not_authorized(erin_arn, "iam:ListUsers", ARN + "user/", because("identity-based policy", "iam:ListUsers")))

# --- 6. AWS managed ReadOnlyAccess ---------------------------------------------------------------------------
reader, reader_arn, reader_key = make_user("reader")
iam.attach_user_policy(UserName=reader, PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")
r_iam, r_sts, _ = clients(reader_key)
r_iam.get_user()
r_iam.list_roles()
r_iam.get_account_summary()
err = denied(r_iam.create_group, "AccessDenied",
             not_authorized(reader_arn, "iam:CreateGroup", ARN + "group/team/" + name("g"), because("identity-based policy", "iam:CreateGroup")),
             GroupName=name("g"), Path="/team/")
agree(reader_arn, "iam:CreateGroup", ARN + "group/team/" + name("g"), err)

# --- 7. GetCallerIdentity is never denied --------------------------------------------------------------------
iam.put_user_policy(UserName=reader, PolicyName="deny-all", PolicyDocument=doc(deny("*")))
assert r_sts.get_caller_identity()["Arn"] == reader_arn

# --- 8. role sessions: session policies, revoking older sessions ---------------------------------------------
role = name("dev")
role_arn = ARN + "role" + P + role
iam.create_role(RoleName=role, Path=P, AssumeRolePolicyDocument=doc(
    {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:root"}, "Action": "sts:AssumeRole"}))
cleanup.append(("role", role))
iam.put_role_policy(RoleName=role, PolicyName="iam", PolicyDocument=doc(allow("iam:*")))
iam.put_user_policy(UserName=alice, PolicyName="assume", PolicyDocument=doc(allow("sts:AssumeRole", role_arn)))


def assume(session, policy=None):
    kw = {"Policy": policy} if policy else {}
    return clients(a_sts.assume_role(RoleArn=role_arn, RoleSessionName=session, **kw)["Credentials"])[0]


limited = assume("limited", doc(allow(["iam:GetUser", "iam:ListUsers"])))
limited.list_users()
x = name("x")
denied(limited.create_user, "AccessDenied",
       not_authorized(f"arn:aws:sts::{account}:assumed-role/{role}/limited", "iam:CreateUser", ARN + "user/" + x,
                      because("session policy", "iam:CreateUser")),
       UserName=x)
old = assume("old")
old.list_users()
cutoff = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0) + datetime.timedelta(seconds=1)
iam.put_role_policy(RoleName=role, PolicyName="AWSRevokeOlderSessions", PolicyDocument=doc(
    deny(["*"], ["*"], Condition={"DateLessThan": {"aws:TokenIssueTime": cutoff.strftime("%Y-%m-%dT%H:%M:%SZ")}})))
denied(old.list_users, "AccessDenied",
       not_authorized(f"arn:aws:sts::{account}:assumed-role/{role}/old", "iam:ListUsers", ARN + "user/",
                      "with an explicit deny in an identity-based policy"))
while datetime.datetime.now(datetime.timezone.utc) < cutoff:  # session tokens carry whole seconds
    time.sleep(0.05)
assume("fresh").list_users()

# --- 9. Account API with account:TargetRegion ----------------------------------------------------------------
ops, ops_arn, ops_key = make_user("ops", doc(
    allow("account:GetRegionOptStatus", "*", Condition={"StringEquals": {"account:TargetRegion": "af-south-1"}})))
_, _, o_acct = clients(ops_key)
o_acct.get_region_opt_status(RegionName="af-south-1")
denied(o_acct.get_region_opt_status, "AccessDeniedException",
       not_authorized(ops_arn, "account:GetRegionOptStatus", f"arn:aws:account::{account}:account",
                      because("identity-based policy", "account:GetRegionOptStatus")),
       RegionName="eu-south-1")

# --- 10. the simulator on its own ----------------------------------------------------------------------------
keys = iam.get_context_keys_for_principal_policy(PolicySourceArn=erin_arn)["ContextKeyNames"]
assert keys == ["aws:username", "aws:RequestTag/team", "aws:ResourceTag/team", "aws:PrincipalTag/dept"], keys
out = iam.simulate_custom_policy(PolicyInputList=[doc(allow("s3:GetObject", "arn:aws:s3:::b/*"))],
                                 ActionNames=["s3:GetObject", "s3:PutObject"], ResourceArns=["arn:aws:s3:::b/k"], MaxItems=1)
assert out["IsTruncated"] and out["EvaluationResults"][0]["EvalDecision"] == "allowed", out
st = out["EvaluationResults"][0]["MatchedStatements"][0]
assert st["SourcePolicyId"] == "PolicyInputList.1" and st["SourcePolicyType"] == "none" and st["StartPosition"]["Line"] == 1, st
out = iam.simulate_custom_policy(PolicyInputList=[doc(allow("s3:GetObject", "arn:aws:s3:::b/*"))],
                                 ActionNames=["s3:GetObject", "s3:PutObject"], ResourceArns=["arn:aws:s3:::b/k"], Marker=out["Marker"])
assert not out["IsTruncated"] and out["EvaluationResults"][0]["EvalDecision"] == "implicitDeny", out

# --- cleanup -------------------------------------------------------------------------------------------------
for kind, n in reversed(cleanup):
    if kind == "user":
        for p in iam.list_user_policies(UserName=n)["PolicyNames"]:
            iam.delete_user_policy(UserName=n, PolicyName=p)
        for p in iam.list_attached_user_policies(UserName=n)["AttachedPolicies"]:
            iam.detach_user_policy(UserName=n, PolicyArn=p["PolicyArn"])
        for k in iam.list_access_keys(UserName=n)["AccessKeyMetadata"]:
            iam.delete_access_key(UserName=n, AccessKeyId=k["AccessKeyId"])
        for g in iam.list_groups_for_user(UserName=n)["Groups"]:
            iam.remove_user_from_group(GroupName=g["GroupName"], UserName=n)
        iam.delete_user(UserName=n)
    elif kind == "group":
        for p in iam.list_group_policies(GroupName=n)["PolicyNames"]:
            iam.delete_group_policy(GroupName=n, PolicyName=p)
        iam.delete_group(GroupName=n)
    elif kind == "role":
        for p in iam.list_role_policies(RoleName=n)["PolicyNames"]:
            iam.delete_role_policy(RoleName=n, PolicyName=p)
        iam.delete_role(RoleName=n)
    elif kind == "policy":
        iam.delete_policy(PolicyArn=n)
print("boto3 authz: ok")
