"""boto3, unmodified, against iamd: AssumeRoleWithWebIdentity the way a CI job or a Kubernetes pod does it.

A local OpenID Connect issuer (HTTPS on loopback with a self-signed certificate, RS256 tokens signed with the
`cryptography` package) is registered by thumbprint; a role trusts it on HOST:sub and HOST:aud. Then boto3's
own web identity credential provider (AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN, endpoint from
AWS_ENDPOINT_URL_STS) gets credentials from the token file and uses them; and the refusals: a subject the
trust policy does not allow, an expired token, a forged signature, an issuer with no provider. Endpoint from
IAMD_ENDPOINT, root credentials from the usual AWS_* env.
"""
import base64
import datetime
import hashlib
import http.server
import ipaddress
import json
import os
import ssl
import tempfile
import threading
import time
import uuid

import boto3
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

endpoint = os.environ["IAMD_ENDPOINT"]
iam = boto3.client("iam", endpoint_url=endpoint, region_name="us-east-1")
sts = boto3.client("sts", endpoint_url=endpoint, region_name="us-east-1")
account = sts.get_caller_identity()["Account"]
run = uuid.uuid4().hex[:8]
tmp = tempfile.mkdtemp()


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def expect_error(code, fn, *args, **kwargs):
    try:
        fn(*args, **kwargs)
    except ClientError as e:
        got = e.response["Error"]["Code"]
        assert got == code, f"{fn.__name__}: got {got} {e.response['Error']['Message']!r}, want {code}"
        return e.response["Error"]["Message"]
    raise AssertionError(f"{fn.__name__} succeeded; want {code}")


# --- the issuer: a key, a self-signed certificate for 127.0.0.1, discovery document and JWKS over HTTPS -----
key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "iamd e2e issuer")])
now = datetime.datetime.now(datetime.timezone.utc)
cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256()))
cert_pem, key_pem = os.path.join(tmp, "cert.pem"), os.path.join(tmp, "key.pem")
with open(cert_pem, "wb") as f:
    f.write(cert.public_bytes(serialization.Encoding.PEM))
with open(key_pem, "wb") as f:
    f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
thumbprint = hashlib.sha1(cert.public_bytes(serialization.Encoding.DER)).hexdigest()  # what AWS calls the thumbprint

numbers = key.public_key().public_numbers()
jwks = {"keys": [{"kty": "RSA", "kid": "e2e-1", "use": "sig", "alg": "RS256",
                  "n": b64url(numbers.n.to_bytes((numbers.n.bit_length() + 7) // 8, "big")),
                  "e": b64url(numbers.e.to_bytes(3, "big"))}]}


class Issuer(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        docs = {"/.well-known/openid-configuration": {"issuer": issuer, "jwks_uri": issuer + "/keys"}, "/keys": jwks}
        body = json.dumps(docs[self.path]).encode() if self.path in docs else None
        self.send_response(200 if body else 404)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        if body:
            self.wfile.write(body)

    def log_message(self, *args):
        pass


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Issuer)
tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
tls.load_cert_chain(cert_pem, key_pem)
server.socket = tls.wrap_socket(server.socket, server_side=True)
threading.Thread(target=server.serve_forever, daemon=True).start()
host = f"127.0.0.1:{server.server_address[1]}"
issuer = f"https://{host}"


def token(sub="repo:example/app:ref:refs/heads/main", aud="sts.amazonaws.com", exp_in=600, signer=key, iss=None):
    header = {"alg": "RS256", "typ": "JWT", "kid": "e2e-1"}
    t = int(time.time())
    claims = {"iss": iss or issuer, "sub": sub, "aud": aud, "iat": t - 5, "exp": t + exp_in}
    signing_input = b64url(json.dumps(header).encode()) + "." + b64url(json.dumps(claims).encode())
    sig = signer.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
    return signing_input + "." + b64url(sig)


# --- the provider, registered by thumbprint, and a role trusting it on sub and aud --------------------------
provider_arn = iam.create_open_id_connect_provider(Url=issuer, ClientIDList=["sts.amazonaws.com"],
                                                   ThumbprintList=[thumbprint])["OpenIDConnectProviderArn"]
assert provider_arn == f"arn:aws:iam::{account}:oidc-provider/{host}", provider_arn
role = f"ci-deploy-{run}"
trust = {"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"Federated": provider_arn}, "Action": "sts:AssumeRoleWithWebIdentity",
    "Condition": {"StringEquals": {f"{host}:aud": "sts.amazonaws.com"},
                  "StringLike": {f"{host}:sub": "repo:example/app:*"}}}]}
role_arn = iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
iam.put_role_policy(RoleName=role, PolicyName="read", PolicyDocument=json.dumps({
    "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:GetRole", "Resource": role_arn}]}))

# --- the call itself, unsigned, as the SDKs make it ---------------------------------------------------------
anonymous = boto3.client("sts", endpoint_url=endpoint, region_name="us-east-1",
                         config=Config(signature_version=UNSIGNED))
out = anonymous.assume_role_with_web_identity(RoleArn=role_arn, RoleSessionName="build-42", WebIdentityToken=token())
assert out["SubjectFromWebIdentityToken"] == "repo:example/app:ref:refs/heads/main", out
assert out["Provider"] == issuer and out["Audience"] == "sts.amazonaws.com", out
assert out["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{account}:assumed-role/{role}/build-42", out

# --- boto3's own credential provider: a token file and a role ARN, nothing else -----------------------------
token_file = os.path.join(tmp, "token")
with open(token_file, "w") as f:
    f.write(token())
saved = {k: os.environ.pop(k) for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN") if k in os.environ}
os.environ.update({"AWS_WEB_IDENTITY_TOKEN_FILE": token_file, "AWS_ROLE_ARN": role_arn,
                   "AWS_ROLE_SESSION_NAME": "pod-7", "AWS_ENDPOINT_URL_STS": endpoint, "AWS_ENDPOINT_URL_IAM": endpoint})
try:
    session = boto3.Session(region_name="us-east-1")
    assert session.get_credentials().method == "assume-role-with-web-identity", session.get_credentials().method
    who = session.client("sts").get_caller_identity()
    assert who["Arn"] == f"arn:aws:sts::{account}:assumed-role/{role}/pod-7", who
    got = session.client("iam").get_role(RoleName=role)["Role"]["Arn"]
    assert got == role_arn, got
    expect_error("AccessDenied", session.client("iam").list_users)  # the role's policy allows GetRole only
finally:
    for k in ("AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN", "AWS_ROLE_SESSION_NAME", "AWS_ENDPOINT_URL_STS", "AWS_ENDPOINT_URL_IAM"):
        os.environ.pop(k, None)
    os.environ.update(saved)

# --- refusals ---------------------------------------------------------------------------------------------
assume = lambda tok: anonymous.assume_role_with_web_identity(RoleArn=role_arn, RoleSessionName="refused", WebIdentityToken=tok)
msg = expect_error("AccessDenied", assume, token(sub="repo:someone-else/app:ref:refs/heads/main"))
assert msg == "Not authorized to perform sts:AssumeRoleWithWebIdentity", msg
expect_error("ExpiredTokenException", assume, token(exp_in=-600))
forger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
expect_error("InvalidIdentityToken", assume, token(signer=forger))
expect_error("InvalidIdentityToken", assume, token(aud="someone-else"))
msg = expect_error("InvalidIdentityToken", assume, token(iss="https://127.0.0.1:1/unregistered"))
assert msg.startswith("No OpenIDConnect provider found in your account for"), msg

# --- tear down --------------------------------------------------------------------------------------------
iam.delete_role_policy(RoleName=role, PolicyName="read")
iam.delete_role(RoleName=role)
iam.delete_open_id_connect_provider(OpenIDConnectProviderArn=provider_arn)
server.shutdown()
print("sts_web_identity: ok")
