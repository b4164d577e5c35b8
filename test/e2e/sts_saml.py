"""boto3, unmodified, against iamd: AssumeRoleWithSAML the way a browser-based SSO hands it over.

The IdP is test/e2e/samlsign (built here with `go build`): Python's standard library has no exclusive XML
canonicalization, which an XML signature needs. Its metadata registers a SAML provider; a role trusts the
provider on SAML:aud; a signed assertion offering the role becomes a role session boto3 then uses; and the
refusals: the same assertion again, an expired assertion, an assertion whose signed content was changed, a
role whose trust policy does not name the provider. Endpoint from IAMD_ENDPOINT, root credentials from the
usual AWS_* env.
"""
import base64
import json
import os
import subprocess
import tempfile
import uuid

import boto3
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError

endpoint = os.environ["IAMD_ENDPOINT"]
iam = boto3.client("iam", endpoint_url=endpoint, region_name="us-east-1")
sts = boto3.client("sts", endpoint_url=endpoint, region_name="us-east-1")
anonymous = boto3.client("sts", endpoint_url=endpoint, region_name="us-east-1", config=Config(signature_version=UNSIGNED))
account = sts.get_caller_identity()["Account"]
run = uuid.uuid4().hex[:8]
tmp = tempfile.mkdtemp()
entity_id = f"https://idp-{run}.example.com/saml"

repo = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
helper = os.path.join(tmp, "samlsign")
subprocess.run(["go", "build", "-o", helper, "./test/e2e/samlsign"], cwd=repo, check=True)


def idp(*args):
    return subprocess.run([helper, "-dir", tmp, "-entity-id", entity_id, *args], check=True, capture_output=True,
                          text=True).stdout.strip()


def expect_error(code, message, fn, *args, **kwargs):
    try:
        fn(*args, **kwargs)
    except ClientError as e:
        err = e.response["Error"]
        assert (err["Code"], err["Message"]) == (code, message), f"got {err['Code']} {err['Message']!r}, want {code} {message!r}"
        return
    raise AssertionError(f"{fn.__name__} succeeded; want {code}")


# --- the provider from the IdP's metadata, and a role trusting it ------------------------------------------
provider_arn = iam.create_saml_provider(Name=f"Okta-{run}", SAMLMetadataDocument=idp("metadata"))["SAMLProviderArn"]
assert provider_arn == f"arn:aws:iam::{account}:saml-provider/Okta-{run}", provider_arn


def make_role(name, principal):
    trust = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Federated": principal}, "Action": "sts:AssumeRoleWithSAML",
        "Condition": {"StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"}}}]}
    return iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]


role = f"sso-admin-{run}"
role_arn = make_role(role, provider_arn)


def assume(assertion, arn=None):
    return anonymous.assume_role_with_saml(RoleArn=arn or role_arn, PrincipalArn=provider_arn, SAMLAssertion=assertion)


# --- sign in -----------------------------------------------------------------------------------------------
assertion = idp("assertion", role_arn, provider_arn)
out = assume(assertion)
assert out["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{account}:assumed-role/{role}/alice@example.com", out
assert out["Subject"] == "alice" and out["Issuer"] == entity_id, out
assert out["Audience"] == "https://signin.aws.amazon.com/saml", out
c = out["Credentials"]
session = boto3.Session(aws_access_key_id=c["AccessKeyId"], aws_secret_access_key=c["SecretAccessKey"],
                        aws_session_token=c["SessionToken"], region_name="us-east-1")
who = session.client("sts", endpoint_url=endpoint).get_caller_identity()
assert who["Arn"] == out["AssumedRoleUser"]["Arn"], who

# --- refusals ----------------------------------------------------------------------------------------------
# An assertion is used once.
expect_error("InvalidIdentityToken", "The SAML assertion has already been used.", assume, assertion)
# Past NotOnOrAfter.
expect_error("ExpiredTokenException", "Token has expired.", assume, idp("-lifetime", "-10m", "assertion", role_arn, provider_arn))
# The signed content changed after signing (the NameID): the signature no longer verifies.
xml = base64.b64decode(idp("assertion", role_arn, provider_arn)).decode()
assert ">alice</saml:NameID>" in xml
tampered = base64.b64encode(xml.replace(">alice</saml:NameID>", ">mallory</saml:NameID>").encode()).decode()
expect_error("InvalidIdentityToken", "Response signature invalid", assume, tampered)
# A role whose trust policy names another provider.
other = make_role(f"other-{run}", f"arn:aws:iam::{account}:saml-provider/Someone-{run}")
expect_error("AccessDenied", "Not authorized to perform sts:AssumeRoleWithSAML", assume,
             idp("assertion", other, provider_arn), other)

# --- tear down ---------------------------------------------------------------------------------------------
for r in (role, f"other-{run}"):
    iam.delete_role(RoleName=r)
iam.delete_saml_provider(SAMLProviderArn=provider_arn)
print("sts_saml: ok")
