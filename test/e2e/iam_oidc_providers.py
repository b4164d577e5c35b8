"""boto3, unmodified, against iamd: register OpenID Connect providers the way CI set-ups do, then tear down.

A GitHub Actions-style provider (thumbprints left out, as AWS now allows) and a self-hosted issuer on its own
port; a deploy role trusting the first through its provider ARN and HOST/PATH:aud condition keys; audiences
and thumbprints changed over the provider's life; tags; the account summary's Providers count; AWS's errors;
the centralized root access features of an account outside any organization. Endpoint from IAMD_ENDPOINT,
root credentials from the usual AWS_* env.
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
run = uuid.uuid4().hex[:8]  # every provider's host carries it so reruns do not collide


def expect_error(code, status, message, fn, *args, **kwargs):
    try:
        fn(*args, **kwargs)
    except ClientError as e:
        err = e.response["Error"]
        got = (err["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"], err["Message"])
        assert got == (code, status, message), f"{fn.__name__}: got {got}, want {(code, status, message)}"
        return
    raise AssertionError(f"{fn.__name__} succeeded; want {code}")


def providers():
    return {p["Arn"] for p in iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]}


before = iam.get_account_summary()["SummaryMap"]["Providers"]

# --- a CI provider and a role that trusts it --------------------------------------------------------------
ci_host = f"token-{run}.actions.example.com"
ci = iam.create_open_id_connect_provider(Url=f"https://{ci_host}", ClientIDList=["sts.amazonaws.com"],
                                         Tags=[{"Key": "owner", "Value": "platform"}])
ci_arn = ci["OpenIDConnectProviderArn"]
assert ci_arn == f"arn:aws:iam::{account}:oidc-provider/{ci_host}", ci
assert ci["Tags"] == [{"Key": "owner", "Value": "platform"}], ci
got = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=ci_arn)
assert got["Url"] == ci_host and got["ClientIDList"] == ["sts.amazonaws.com"], got
assert got.get("ThumbprintList", []) == [], got  # left out: trust rests on the certificate authorities

trust = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"Federated": ci_arn}, "Action": "sts:AssumeRoleWithWebIdentity",
    "Condition": {"StringEquals": {f"{ci_host}:aud": "sts.amazonaws.com"},
                  "StringLike": {f"{ci_host}:sub": "repo:example/app:*"}}}]})
role = f"deploy-{run}"
iam.create_role(RoleName=role, AssumeRolePolicyDocument=trust)

# --- a self-hosted issuer on its own port; its certificate pinned by thumbprint ----------------------------
dex_url = f"https://dex-{run}.internal:5556/dex"
pin = "9E99A48A9960B14926BB7F3B02E22DA2B0AB7280"
dex_arn = iam.create_open_id_connect_provider(Url=dex_url, ClientIDList=["example-app"],
                                              ThumbprintList=[pin])["OpenIDConnectProviderArn"]
assert dex_arn.endswith(f":oidc-provider/dex-{run}.internal:5556/dex"), dex_arn
assert iam.get_open_id_connect_provider(OpenIDConnectProviderArn=dex_arn)["ThumbprintList"] == [pin.lower()]
assert {ci_arn, dex_arn} <= providers()
assert iam.get_account_summary()["SummaryMap"]["Providers"] == before + 2

# Audiences come and go (both idempotent); the certificate is rotated: old and new pinned, then the new only.
iam.add_client_id_to_open_id_connect_provider(OpenIDConnectProviderArn=dex_arn, ClientID="cli")
iam.add_client_id_to_open_id_connect_provider(OpenIDConnectProviderArn=dex_arn, ClientID="cli")
iam.remove_client_id_from_open_id_connect_provider(OpenIDConnectProviderArn=dex_arn, ClientID="example-app")
iam.remove_client_id_from_open_id_connect_provider(OpenIDConnectProviderArn=dex_arn, ClientID="never-added")
new_pin = "b" * 40
iam.update_open_id_connect_provider_thumbprint(OpenIDConnectProviderArn=dex_arn, ThumbprintList=[pin, new_pin])
iam.update_open_id_connect_provider_thumbprint(OpenIDConnectProviderArn=dex_arn, ThumbprintList=[new_pin])
got = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=dex_arn)
assert got["ClientIDList"] == ["cli"] and got["ThumbprintList"] == [new_pin], got

iam.tag_open_id_connect_provider(OpenIDConnectProviderArn=dex_arn,
                                 Tags=[{"Key": "env", "Value": "lab"}, {"Key": "owner", "Value": "sre"}])
iam.untag_open_id_connect_provider(OpenIDConnectProviderArn=dex_arn, TagKeys=["ENV"])
tags = iam.list_open_id_connect_provider_tags(OpenIDConnectProviderArn=dex_arn)
assert tags["Tags"] == [{"Key": "owner", "Value": "sre"}] and not tags["IsTruncated"], tags

# --- AWS's errors -----------------------------------------------------------------------------------------
expect_error("EntityAlreadyExists", 409, f"Provider with url https://{ci_host.upper()} already exists.",
             iam.create_open_id_connect_provider, Url=f"https://{ci_host.upper()}")
expect_error("InvalidInput", 400, "Invalid Open ID Connect Provider URL. The URL must begin with https://.",
             iam.create_open_id_connect_provider, Url=f"http://{ci_host}")
expect_error("ValidationError", 400, "Invalid Open ID Connect Provider URL",
             iam.create_open_id_connect_provider, Url=ci_host)
expect_error("InvalidInput", 400, "Invalid Open ID Connect Provider URL.",
             iam.create_open_id_connect_provider, Url=f"https://{ci_host}/?tenant=1")
expect_error("InvalidInput", 400, "Thumbprint list must contain fewer than 5 entries.",
             iam.create_open_id_connect_provider, Url=f"https://x-{run}.example.com",
             ThumbprintList=[str(i) * 40 for i in range(6)])
expect_error("LimitExceeded", 409, "Cannot exceed quota for ClientIdsPerOpenIdConnectProvider: 100",
             iam.create_open_id_connect_provider, Url=f"https://x-{run}.example.com",
             ClientIDList=[f"app{i}" for i in range(101)])
ghost = f"arn:aws:iam::{account}:oidc-provider/ghost-{run}.example.com"
expect_error("NoSuchEntity", 404, f"OpenIDConnect Provider not found for arn {ghost}",
             iam.get_open_id_connect_provider, OpenIDConnectProviderArn=ghost)
expect_error("NoSuchEntity", 404, f"OpenIDConnect Provider not found for arn {ghost}",
             iam.add_client_id_to_open_id_connect_provider, OpenIDConnectProviderArn=ghost, ClientID="x")
expect_error("InvalidInput", 400, f"ARN arn:aws:iam::{account}:role/{role} is not valid.",
             iam.get_open_id_connect_provider, OpenIDConnectProviderArn=f"arn:aws:iam::{account}:role/{role}")

# --- centralized root access: this account belongs to no organization ------------------------------------
no_org = "The request was rejected because no organization is associated with your account."
for op in (iam.list_organizations_features, iam.enable_organizations_root_credentials_management,
           iam.disable_organizations_root_credentials_management, iam.enable_organizations_root_sessions,
           iam.disable_organizations_root_sessions):
    expect_error("OrganizationNotFoundException", 400, no_org, op)
try:
    iam.list_organizations_features()
except iam.exceptions.OrganizationNotFoundException:
    pass  # boto3 knows the error by its modelled name

# --- tear down --------------------------------------------------------------------------------------------
iam.delete_role(RoleName=role)
for arn in (ci_arn, dex_arn):
    iam.delete_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    expect_error("NoSuchEntity", 404, f"OpenIDConnect Provider not found for arn {arn}",
                 iam.get_open_id_connect_provider, OpenIDConnectProviderArn=arn)
expect_error("NoSuchEntity", 404, f"OpenId connect Provider {ci_arn} cannot be found.",
             iam.delete_open_id_connect_provider, OpenIDConnectProviderArn=ci_arn)
assert not {ci_arn, dex_arn} & providers()
assert iam.get_account_summary()["SummaryMap"]["Providers"] == before
print("OIDC providers: created, trusted, rotated, tagged and deleted")
