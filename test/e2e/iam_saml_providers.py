"""boto3, unmodified, against iamd: an administrator sets up SAML federation as they would for an IdP.

Upload the IdP's metadata (a freshly generated signing certificate), read it back, list providers, tag
them, rotate the metadata and the assertion-decryption keys (Required encryption), check the account
summary's Providers counter and the errors a user meets, then delete. Endpoint from IAMD_ENDPOINT, root
credentials from the usual AWS_* env.
"""
import base64
import datetime
import os
import uuid

import boto3
from botocore.exceptions import ClientError
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

endpoint = os.environ["IAMD_ENDPOINT"]
iam = boto3.client("iam", endpoint_url=endpoint, region_name="us-east-1")
account = boto3.client("sts", endpoint_url=endpoint, region_name="us-east-1").get_caller_identity()["Account"]
run = uuid.uuid4().hex[:8]


def rsa_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def certificate(key, cn):
    now = datetime.datetime.now(datetime.timezone.utc)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now)
            .not_valid_after(now + datetime.timedelta(days=365)).sign(key, hashes.SHA256()))
    return base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode()


def metadata(entity_id, cert_b64, valid_until=None):
    vu = f' validUntil="{valid_until}"' if valid_until else ""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="{entity_id}"{vu}>
  <md:IDPSSODescriptor WantAuthnRequestsSigned="false" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:KeyDescriptor use="signing">
      <ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:X509Data><ds:X509Certificate>{cert_b64}</ds:X509Certificate></ds:X509Data></ds:KeyInfo>
    </md:KeyDescriptor>
    <md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress</md:NameIDFormat>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://idp.example.com/app/sso/saml"/>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://idp.example.com/app/sso/saml"/>
  </md:IDPSSODescriptor>
</md:EntityDescriptor>
"""


def private_key_pem():
    return rsa_key().private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                   serialization.NoEncryption()).decode()


def expect_error(code, status, fn, message=None, **kwargs):
    try:
        fn(**kwargs)
    except ClientError as e:
        err = e.response["Error"]
        got = (err["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"])
        assert got == (code, status), f"{fn.__name__}: got {got} {err['Message']}, want {(code, status)}"
        assert message is None or err["Message"] == message, f"{fn.__name__}: message {err['Message']!r}"
        return
    raise AssertionError(f"{fn.__name__} succeeded; want {code}")


providers_before = iam.get_account_summary()["SummaryMap"]["Providers"]
name = f"Okta-{run}"
doc = metadata(f"http://www.okta.com/{run}", certificate(rsa_key(), "okta"), "2035-01-01T00:00:00Z")
arn = iam.create_saml_provider(Name=name, SAMLMetadataDocument=doc, Tags=[{"Key": "team", "Value": "identity"}])["SAMLProviderArn"]
assert arn == f"arn:aws:iam::{account}:saml-provider/{name}", arn

got = iam.get_saml_provider(SAMLProviderArn=arn)
assert got["SAMLMetadataDocument"] == doc
assert got["ValidUntil"].year == 2035 and got["AssertionEncryptionMode"] == "Allowed", got
assert got["PrivateKeyList"] == [] and got["Tags"] == [{"Key": "team", "Value": "identity"}], got
assert len(got["SAMLProviderUUID"]) >= 22
assert arn in [p["Arn"] for p in iam.list_saml_providers()["SAMLProviderList"]]
assert iam.get_account_summary()["SummaryMap"]["Providers"] == providers_before + 1

# The IdP rotates its signing certificate; the administrator turns on encrypted assertions.
key1, key2 = private_key_pem(), private_key_pem()
iam.update_saml_provider(SAMLProviderArn=arn, SAMLMetadataDocument=metadata(f"http://www.okta.com/{run}", certificate(rsa_key(), "okta2")),
                         AddPrivateKey=key1, AssertionEncryptionMode="Required")
got = iam.get_saml_provider(SAMLProviderArn=arn)
assert got["AssertionEncryptionMode"] == "Required" and len(got["PrivateKeyList"]) == 1, got
assert "PRIVATE KEY" not in str(got)
old_id = got["PrivateKeyList"][0]["KeyId"]
iam.update_saml_provider(SAMLProviderArn=arn, AddPrivateKey=key2)
expect_error("LimitExceeded", 409, iam.update_saml_provider, SAMLProviderArn=arn, AddPrivateKey=private_key_pem())
iam.update_saml_provider(SAMLProviderArn=arn, RemovePrivateKey=old_id)
keys = iam.get_saml_provider(SAMLProviderArn=arn)["PrivateKeyList"]
assert len(keys) == 1 and keys[0]["KeyId"] != old_id, keys

iam.tag_saml_provider(SAMLProviderArn=arn, Tags=[{"Key": "env", "Value": "prod"}])
iam.untag_saml_provider(SAMLProviderArn=arn, TagKeys=["team"])
assert iam.list_saml_provider_tags(SAMLProviderArn=arn)["Tags"] == [{"Key": "env", "Value": "prod"}]

# What a user meets: a duplicate name, a document that is not metadata, an unknown provider.
expect_error("EntityAlreadyExists", 409, iam.create_saml_provider, Name=name, SAMLMetadataDocument=doc)
expect_error("InvalidInput", 400, iam.create_saml_provider, "Could not parse metadata", Name=f"bad-{run}",
             SAMLMetadataDocument="<html>" + "x" * 1000 + "</html>")
missing = f"arn:aws:iam::{account}:saml-provider/missing-{run}"
expect_error("NoSuchEntity", 404, iam.get_saml_provider, f"Manifest not found for arn {missing}", SAMLProviderArn=missing)

iam.delete_saml_provider(SAMLProviderArn=arn)
expect_error("NoSuchEntity", 404, iam.get_saml_provider, SAMLProviderArn=arn)
assert iam.get_account_summary()["SummaryMap"]["Providers"] == providers_before
print("iam_saml_providers: ok")
