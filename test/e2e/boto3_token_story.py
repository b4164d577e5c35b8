"""Issue 4's token story with stock boto3 (endpoint_url only) and the AWS CLI.

Regional endpoint: IAMD_ENDPOINT with region_name; global endpoint: IAMD_ENDPOINT + "/global" signed as
us-east-1. The admin API (STS regional activation) is signed with botocore's SigV4Auth, service "iamd".
The script leaves the server as it found it (token version v1, ap-east-1 disabled, STS active in
us-west-2, its user deleted), since the other scripts share the server.
"""
import json
import os
import subprocess
import urllib.error
import urllib.request

import boto3
import botocore.session
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.exceptions import ClientError

endpoint = os.environ["IAMD_ENDPOINT"]
account_id = "123456789012"
user_name = "token-story-alice"
user_arn = f"arn:aws:iam::{account_id}:user/{user_name}"
invalid = "The security token included in the request is invalid."
region_disabled = (f"STS is not activated in this region for account:{account_id}. "
                   "Your account administrator can activate STS in this region using the IAM Console.")
V1, V2 = "FwoGZXIvYXdz", "IQoJb3JpZ2luX2Vj"

iam = boto3.client("iam", endpoint_url=endpoint, region_name="us-east-1")
acct = boto3.client("account", endpoint_url=endpoint, region_name="us-east-1")


def sts_regional(region, **creds):
    return boto3.client("sts", endpoint_url=endpoint, region_name=region, **creds)


def sts_global(**creds):
    return boto3.client("sts", endpoint_url=endpoint + "/global", region_name="us-east-1", **creds)


def key_creds(k):
    return {"aws_access_key_id": k["AccessKeyId"], "aws_secret_access_key": k["SecretAccessKey"]}


def session_creds(c):
    return {"aws_access_key_id": c["AccessKeyId"], "aws_secret_access_key": c["SecretAccessKey"],
            "aws_session_token": c["SessionToken"]}


def expect_error(what, fn, code, status, message=None):
    try:
        fn()
    except ClientError as e:
        err, meta = e.response["Error"], e.response["ResponseMetadata"]
        got = (err["Code"], meta["HTTPStatusCode"])
        assert got == (code, status), f"{what}: got {got} {err.get('Message')!r}, want {(code, status)}"
        if message is not None:
            assert err["Message"] == message, f"{what}: message {err['Message']!r}, want {message!r}"
        return
    raise AssertionError(f"{what}: succeeded, want {code}")


def summary_version():
    return iam.get_account_summary()["SummaryMap"]["GlobalEndpointTokenVersion"]


def admin(method, path):
    """Calls the admin API signed with the root's credentials; returns (status, decoded JSON)."""
    creds = botocore.session.get_session().get_credentials()
    req = AWSRequest(method=method, url=endpoint + path, data=b"")
    SigV4Auth(creds, "iamd", "us-east-1").add_auth(req)
    prepared = urllib.request.Request(req.url, method=method, headers=dict(req.headers.items()), data=None)
    try:
        with urllib.request.urlopen(prepared) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def set_region(name, enable):
    if enable:
        acct.enable_region(RegionName=name)
    else:
        acct.disable_region(RegionName=name)
    status = acct.get_region_opt_status(RegionName=name)["RegionOptStatus"]
    assert status == ("ENABLED" if enable else "DISABLED"), status


def cli(*args):
    out = subprocess.run(["aws", "--endpoint-url", endpoint, "--region", "us-east-1", "--output", "json", *args],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out) if out.strip() else None


def story():
    # A new account reports version 1 (through the AWS CLI as well).
    assert summary_version() == 1, summary_version()
    assert cli("iam", "get-account-summary")["SummaryMap"]["GlobalEndpointTokenVersion"] == 1

    iam.create_user(UserName=user_name)
    alice = key_creds(iam.create_access_key(UserName=user_name)["AccessKey"])

    # A global-endpoint session token is v1 and works in us-west-2.
    v1 = sts_global(**alice).get_session_token()["Credentials"]
    assert v1["SessionToken"].startswith(V1), v1["SessionToken"][:16]
    assert v1["AccessKeyId"].startswith("ASIA") and len(v1["SecretAccessKey"]) == 40
    assert sts_regional("us-west-2", **session_creds(v1)).get_caller_identity()["Arn"] == user_arn

    # ap-east-1 is not enabled: refused there, whatever the credential.
    for name, creds in (("v1 token", session_creds(v1)), ("user key", alice)):
        expect_error(f"{name} in ap-east-1 before enabling", sts_regional("ap-east-1", **creds).get_caller_identity,
                     "InvalidClientTokenId", 403, invalid)

    # Enabled: long-term keys work there, the v1 token still does not.
    set_region("ap-east-1", True)
    assert acct.list_regions(RegionOptStatusContains=["ENABLED"])["Regions"] == [
        {"RegionName": "ap-east-1", "RegionOptStatus": "ENABLED"}]
    sts_regional("ap-east-1", **alice).get_caller_identity()
    expect_error("v1 token in ap-east-1 once enabled", sts_regional("ap-east-1", **session_creds(v1)).get_caller_identity,
                 "InvalidClientTokenId", 403, invalid)

    # A regional token is v2 and works in ap-east-1.
    regional = sts_regional("us-west-2", **alice).get_session_token()["Credentials"]
    assert regional["SessionToken"].startswith(V2), regional["SessionToken"][:16]
    assert sts_regional("ap-east-1", **session_creds(regional)).get_caller_identity()["Arn"] == user_arn

    # v2Token through the AWS CLI: the summary shows 2, new global tokens are longer v2 tokens that work in
    # ap-east-1, old v1 tokens still do not.
    cli("iam", "set-security-token-service-preferences", "--global-endpoint-token-version", "v2Token")
    assert summary_version() == 2, summary_version()
    assert cli("iam", "get-account-summary")["SummaryMap"]["GlobalEndpointTokenVersion"] == 2
    v2 = sts_global(**alice).get_session_token()["Credentials"]
    assert v2["SessionToken"].startswith(V2), v2["SessionToken"][:16]
    assert len(v2["SessionToken"]) > len(v1["SessionToken"]), (len(v2["SessionToken"]), len(v1["SessionToken"]))
    print(f"token sizes: v1 {len(v1['SessionToken'])}, v2 {len(v2['SessionToken'])} characters")
    sts_regional("ap-east-1", **session_creds(v2)).get_caller_identity()
    expect_error("old v1 token after v2Token", sts_regional("ap-east-1", **session_creds(v1)).get_caller_identity,
                 "InvalidClientTokenId", 403, invalid)
    expect_error("invalid preference", lambda: iam.set_security_token_service_preferences(GlobalEndpointTokenVersion="v3Token"),
                 "ValidationError", 400,
                 "1 validation error detected: Value 'v3Token' at 'globalEndpointTokenVersion' failed to satisfy "
                 "constraint: Member must satisfy enum value set: [v1Token, v2Token]")

    # Disabling the region shuts every credential out of it.
    set_region("ap-east-1", False)
    root = {"aws_access_key_id": os.environ["AWS_ACCESS_KEY_ID"], "aws_secret_access_key": os.environ["AWS_SECRET_ACCESS_KEY"]}
    for name, creds in (("root key", root), ("user key", alice), ("v2 global token", session_creds(v2)),
                        ("regional token", session_creds(regional))):
        expect_error(f"{name} in disabled ap-east-1", sts_regional("ap-east-1", **creds).get_caller_identity,
                     "InvalidClientTokenId", 403, invalid)
        sts_regional("us-west-2", **creds).get_caller_identity()

    # Deactivating STS in us-west-2: issuing there is refused, identity calls keep working.
    status, body = admin("POST", "/iamd/admin/sts-regions/us-west-2/deactivate")
    assert status == 200 and body["active"] is False, (status, body)
    status, body = admin("GET", "/iamd/admin/sts-regions")
    assert status == 200 and {r["region"]: r["active"] for r in body}["us-west-2"] is False, body
    west = sts_regional("us-west-2", **alice)
    expect_error("GetSessionToken in deactivated us-west-2", west.get_session_token, "RegionDisabledException", 403,
                 region_disabled)
    assert west.get_caller_identity()["Arn"] == user_arn
    root_west = sts_regional("us-west-2")
    assert root_west.get_access_key_info(AccessKeyId=v1["AccessKeyId"])["Account"] == account_id
    expect_error("GetFederationToken in deactivated us-west-2", lambda: root_west.get_federation_token(Name="fed"),
                 "RegionDisabledException", 403, region_disabled)
    sts_global(**alice).get_session_token()  # the global endpoint still issues
    status, body = admin("POST", "/iamd/admin/sts-regions/us-east-1/deactivate")
    assert status == 400, (status, body)
    status, body = admin("POST", "/iamd/admin/sts-regions/us-west-2/activate")
    assert status == 200 and body["active"] is True, (status, body)
    west.get_session_token()

    # Who may do what with temporary credentials.
    expect_error("root AssumeRole", lambda: sts_global().assume_role(
        RoleArn=f"arn:aws:iam::{account_id}:role/nope", RoleSessionName="s1"),
        "AccessDenied", 403, "Roles may not be assumed by root accounts.")
    expect_error("GetSessionToken with session credentials", sts_global(**session_creds(regional)).get_session_token,
                 "AccessDenied", 403, "Cannot call GetSessionToken with session credentials")
    tampered = dict(session_creds(regional))
    tok = tampered["aws_session_token"]
    tampered["aws_session_token"] = tok[:100] + ("A" if tok[100] != "A" else "B") + tok[101:]
    expect_error("tampered token", sts_global(**tampered).get_caller_identity, "InvalidClientTokenId", 403)


def restore():
    """Puts the shared server back as the other scripts expect it."""
    for step in (lambda: iam.set_security_token_service_preferences(GlobalEndpointTokenVersion="v1Token"),
                 lambda: admin("POST", "/iamd/admin/sts-regions/us-west-2/activate")):
        step()
    if acct.get_region_opt_status(RegionName="ap-east-1")["RegionOptStatus"] != "DISABLED":
        acct.disable_region(RegionName="ap-east-1")
    try:
        for k in iam.list_access_keys(UserName=user_name)["AccessKeyMetadata"]:
            iam.delete_access_key(UserName=user_name, AccessKeyId=k["AccessKeyId"])
        iam.delete_user(UserName=user_name)
    except ClientError as e:
        if e.response["Error"]["Code"] != "NoSuchEntity":
            raise


try:
    story()
finally:
    restore()
print("boto3 token story: ok")
