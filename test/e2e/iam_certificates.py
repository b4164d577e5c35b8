"""boto3, unmodified, against iamd: the certificates and user credentials a user of IAM manages.

Uploads a server certificate with its key (generated here with the cryptography package), reads, lists,
renames, tags and deletes it; gives a user a signing certificate, an SSH public key and a CodeCommit
credential, reads them back (the SSH key in both encodings, the signing certificate in the credential
report), checks DeleteUser's refusals while they remain, and tears everything down. Endpoint from
IAMD_ENDPOINT, root credentials from the usual AWS_* env.
"""
import datetime
import os
import uuid

import boto3
from botocore.exceptions import ClientError
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

endpoint = os.environ["IAMD_ENDPOINT"]
iam = boto3.client("iam", endpoint_url=endpoint, region_name="us-east-1")
run = uuid.uuid4().hex[:8]
P = f"/e2e-{run}/"


def name(base):
    return f"{base}-{run}"


def self_signed(cn):
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.timezone.utc)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(hours=1))
            .not_valid_after(now + datetime.timedelta(days=30)).sign(key, hashes.SHA256()))
    pem_key = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return cert.public_bytes(serialization.Encoding.PEM).decode(), pem_key.decode()


def expect_error(code, fn, **kw):
    try:
        fn(**kw)
    except ClientError as e:
        assert e.response["Error"]["Code"] == code, e.response["Error"]
        return e.response["Error"]["Message"]
    raise AssertionError(f"{fn.__name__} succeeded; want {code}")


# Server certificate.
body, key = self_signed("www.example.com")
_, other_key = self_signed("other")
cert_name = name("web")
meta = iam.upload_server_certificate(ServerCertificateName=cert_name, Path=P, CertificateBody=body, PrivateKey=key,
                                     Tags=[{"Key": "env", "Value": "prod"}])["ServerCertificateMetadata"]
assert meta["ServerCertificateId"].startswith("ASCA"), meta
assert meta["Arn"].endswith(f":server-certificate{P}{cert_name}"), meta
got = iam.get_server_certificate(ServerCertificateName=cert_name)["ServerCertificate"]
assert got["CertificateBody"] == body and "PrivateKey" not in got, got
listed = iam.list_server_certificates(PathPrefix=P)["ServerCertificateMetadataList"]
assert [m["ServerCertificateName"] for m in listed] == [cert_name], listed
expect_error("KeyPairMismatch", iam.upload_server_certificate, ServerCertificateName=name("bad"), CertificateBody=body, PrivateKey=other_key)
expect_error("MalformedCertificate", iam.upload_server_certificate, ServerCertificateName=name("bad"), CertificateBody="certbody", PrivateKey=key)
expect_error("EntityAlreadyExists", iam.upload_server_certificate, ServerCertificateName=cert_name, CertificateBody=body, PrivateKey=key)
new_name = name("web2")
iam.update_server_certificate(ServerCertificateName=cert_name, NewServerCertificateName=new_name)
iam.tag_server_certificate(ServerCertificateName=new_name, Tags=[{"Key": "team", "Value": "a"}])
iam.untag_server_certificate(ServerCertificateName=new_name, TagKeys=["env"])
assert iam.list_server_certificate_tags(ServerCertificateName=new_name)["Tags"] == [{"Key": "team", "Value": "a"}]
assert iam.get_account_summary()["SummaryMap"]["ServerCertificates"] >= 1
iam.delete_server_certificate(ServerCertificateName=new_name)
expect_error("NoSuchEntity", iam.get_server_certificate, ServerCertificateName=new_name)

# A user's own credentials.
user = name("dev")
iam.create_user(UserName=user, Path=P)
sbody, _ = self_signed(user)
cert = iam.upload_signing_certificate(UserName=user, CertificateBody=sbody)["Certificate"]
assert cert["Status"] == "Active" and cert["UserName"] == user, cert
iam.update_signing_certificate(UserName=user, CertificateId=cert["CertificateId"], Status="Inactive")
assert iam.list_signing_certificates(UserName=user)["Certificates"][0]["Status"] == "Inactive"

rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
openssh = rsa_key.public_key().public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode()
ssh_key = iam.upload_ssh_public_key(UserName=user, SSHPublicKeyBody=openssh)["SSHPublicKey"]
assert ssh_key["SSHPublicKeyId"].startswith("APKA") and len(ssh_key["Fingerprint"].split(":")) == 16, ssh_key
pem_body = iam.get_ssh_public_key(UserName=user, SSHPublicKeyId=ssh_key["SSHPublicKeyId"], Encoding="PEM")["SSHPublicKey"]["SSHPublicKeyBody"]
assert pem_body.startswith("-----BEGIN PUBLIC KEY-----"), pem_body
expect_error("DuplicateSSHPublicKey", iam.upload_ssh_public_key, UserName=user, SSHPublicKeyBody=pem_body)

git = iam.create_service_specific_credential(UserName=user, ServiceName="codecommit.amazonaws.com")["ServiceSpecificCredential"]
assert git["ServiceUserName"].startswith(user + "-at-") and git["ServicePassword"], git
reset = iam.reset_service_specific_credential(UserName=user, ServiceSpecificCredentialId=git["ServiceSpecificCredentialId"])
assert reset["ServiceSpecificCredential"]["ServicePassword"] != git["ServicePassword"]
listed = iam.list_service_specific_credentials(UserName=user)["ServiceSpecificCredentials"]
assert len(listed) == 1 and "ServicePassword" not in listed[0], listed

# The credential report's cert columns are checked by the Go tests (TestSigningCertificates in internal/service/iam):
# here the scripts share one account, whose report another script may have generated less than 4 hours
# ago, and IAM then answers that report, without this user.

# DeleteUser refuses while credentials remain, in AWS's order.
msg = expect_error("DeleteConflict", iam.delete_user, UserName=user)
assert msg == "Cannot delete entity, must delete signing certificates first.", msg
iam.delete_signing_certificate(UserName=user, CertificateId=cert["CertificateId"])
msg = expect_error("DeleteConflict", iam.delete_user, UserName=user)
assert msg == "Cannot delete entity, must delete SSH public keys first.", msg
iam.delete_ssh_public_key(UserName=user, SSHPublicKeyId=ssh_key["SSHPublicKeyId"])
msg = expect_error("DeleteConflict", iam.delete_user, UserName=user)
assert msg == "Cannot delete entity, must delete service specific credentials first.", msg
iam.delete_service_specific_credential(UserName=user, ServiceSpecificCredentialId=git["ServiceSpecificCredentialId"])
iam.delete_user(UserName=user)
print("certificates and user credentials: ok")
