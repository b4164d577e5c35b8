"""boto3, unmodified, against iamd: outbound web identity federation as a workload uses it.

The account enables the feature and reads its issuer URL; a relying party fetches the issuer's OpenID
discovery document and JWKS from iamd's public listener (no credentials) and verifies tokens from
GetWebIdentityToken with them (RS256 and ES384, with the `cryptography` package, as an OIDC library would);
a user restricted by sts:IdentityTokenAudience gets tokens for that audience only; disabling refuses new
tokens while old ones keep verifying. Endpoint from IAMD_ENDPOINT, root credentials from the usual AWS_*
env; run.sh starts iamd with --public-listen.
"""
import base64
import json
import os
import time
import urllib.request
import uuid

import boto3
from botocore.exceptions import ClientError
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

endpoint = os.environ["IAMD_ENDPOINT"]
iam = boto3.client("iam", endpoint_url=endpoint, region_name="us-east-1")
sts = boto3.client("sts", endpoint_url=endpoint, region_name="us-east-1")
account = sts.get_caller_identity()["Account"]
run = uuid.uuid4().hex[:8]
AUDIENCE = "https://api.example.com/" + run


def expect_error(code, status, fn, *args, **kwargs):
    try:
        fn(*args, **kwargs)
    except ClientError as e:
        got = (e.response["Error"]["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"])
        assert got == (code, status), f"{fn.__name__}: got {got}, want {(code, status)}"
        return
    raise AssertionError(f"{fn.__name__} succeeded; want {code}")


def b64(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def fetch(url):
    with urllib.request.urlopen(url, timeout=10) as r:
        assert r.status == 200, (url, r.status)
        return json.load(r)


def verify(token, issuer, audience):
    """Verifies token from the issuer's published keys and returns its claims."""
    discovery = fetch(issuer + "/.well-known/openid-configuration")
    assert discovery["issuer"] == issuer, discovery
    keys = {k["kid"]: k for k in fetch(discovery["jwks_uri"])["keys"]}
    head, body, sig = token.split(".")
    header = json.loads(b64(head))
    jwk = keys[header["kid"]]
    signed, signature = (head + "." + body).encode(), b64(sig)
    if header["alg"] == "RS256":
        n, e = (int.from_bytes(b64(jwk[x]), "big") for x in ("n", "e"))
        rsa.RSAPublicNumbers(e, n).public_key().verify(signature, signed, padding.PKCS1v15(), hashes.SHA256())
    elif header["alg"] == "ES384":
        x, y = (int.from_bytes(b64(jwk[c]), "big") for c in ("x", "y"))
        key = ec.EllipticCurvePublicNumbers(x, y, ec.SECP384R1()).public_key()
        r, s = int.from_bytes(signature[:48], "big"), int.from_bytes(signature[48:], "big")
        key.verify(encode_dss_signature(r, s), signed, ec.ECDSA(hashes.SHA384()))
    else:
        raise AssertionError(f"unexpected alg {header['alg']}")
    claims = json.loads(b64(body))
    aud = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    assert claims["iss"] == issuer and audience in aud, claims
    assert claims["iat"] <= time.time() + 5 < claims["exp"] + 5, claims
    return claims


# A rerun finds the feature enabled: start from disabled.
try:
    if iam.get_outbound_web_identity_federation_info()["JwtVendingEnabled"]:
        iam.disable_outbound_web_identity_federation()
except ClientError as e:
    assert e.response["Error"]["Code"] == "FeatureDisabled", e.response

expect_error("OutboundWebIdentityFederationDisabledException", 403, sts.get_web_identity_token,
             Audience=[AUDIENCE], SigningAlgorithm="ES384")
issuer = iam.enable_outbound_web_identity_federation()["IssuerIdentifier"]
expect_error("FeatureEnabled", 409, iam.enable_outbound_web_identity_federation)
info = iam.get_outbound_web_identity_federation_info()
assert info["IssuerIdentifier"] == issuer and info["JwtVendingEnabled"], info

# --- root's tokens, both algorithms -----------------------------------------------------------------------
for alg in ("RS256", "ES384"):
    out = sts.get_web_identity_token(Audience=[AUDIENCE], SigningAlgorithm=alg, DurationSeconds=120,
                                     Tags=[{"Key": "env", "Value": "ci"}])
    claims = verify(out["WebIdentityToken"], issuer, AUDIENCE)
    assert claims["sub"] == f"arn:aws:iam::{account}:root", claims
    assert claims["exp"] - claims["iat"] == 120, claims
    assert claims["https://sts.amazonaws.com/"]["request_tags"] == {"env": "ci"}, claims
expect_error("ValidationError", 400, sts.get_web_identity_token, Audience=[AUDIENCE], SigningAlgorithm="HS256")

# --- a workload user allowed one audience -----------------------------------------------------------------
user = "outbound-" + run
iam.create_user(UserName=user)
iam.put_user_policy(UserName=user, PolicyName="tokens", PolicyDocument=json.dumps({
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "sts:GetWebIdentityToken", "Resource": "*",
                   "Condition": {"ForAllValues:StringEquals": {"sts:IdentityTokenAudience": AUDIENCE},
                                 "NumericLessThanEquals": {"sts:DurationSeconds": "300"}}}]}))
key = iam.create_access_key(UserName=user)["AccessKey"]
wsts = boto3.client("sts", endpoint_url=endpoint, region_name="us-east-1",
                    aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"])
token = None
for _ in range(50):  # a new access key is usable at once in iamd; the loop only tolerates a slow start
    try:
        token = wsts.get_web_identity_token(Audience=[AUDIENCE], SigningAlgorithm="ES384")["WebIdentityToken"]
        break
    except ClientError as e:
        if e.response["Error"]["Code"] != "InvalidClientTokenId":
            raise
        time.sleep(0.1)
claims = verify(token, issuer, AUDIENCE)
assert claims["sub"] == f"arn:aws:iam::{account}:user/{user}", claims
assert claims["exp"] - claims["iat"] == 300, claims  # the default lifetime
expect_error("AccessDenied", 403, wsts.get_web_identity_token, Audience=["https://elsewhere.example.com"],
             SigningAlgorithm="ES384")
expect_error("AccessDenied", 403, wsts.get_web_identity_token, Audience=[AUDIENCE], SigningAlgorithm="ES384",
             DurationSeconds=3600)

# --- disabling refuses new tokens; issued ones still verify -----------------------------------------------
iam.disable_outbound_web_identity_federation()
expect_error("FeatureDisabled", 404, iam.disable_outbound_web_identity_federation)
expect_error("OutboundWebIdentityFederationDisabledException", 403, wsts.get_web_identity_token,
             Audience=[AUDIENCE], SigningAlgorithm="ES384")
assert not iam.get_outbound_web_identity_federation_info()["JwtVendingEnabled"]
verify(token, issuer, AUDIENCE)

# --- tear down --------------------------------------------------------------------------------------------
iam.delete_access_key(UserName=user, AccessKeyId=key["AccessKeyId"])
iam.delete_user_policy(UserName=user, PolicyName="tokens")
iam.delete_user(UserName=user)
print("outbound federation: ok")
