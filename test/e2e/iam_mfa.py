"""boto3, unmodified, against iamd: a user sets up a virtual MFA device as the AWS CLI guide describes.

Create the device (keep the base32 seed, as an authenticator app would from the QR code), enable it with two
consecutive codes, see it listed and counted, tag it, resynchronise it, then deactivate and delete it. The
codes are computed as an authenticator app does (RFC 6238: HMAC-SHA-1, 30-second steps, 6 digits).
Endpoint from IAMD_ENDPOINT, root credentials from the usual AWS_* env.
"""
import base64
import hashlib
import hmac
import os
import struct
import time
import uuid

import boto3
from botocore.exceptions import ClientError

endpoint = os.environ["IAMD_ENDPOINT"]
iam = boto3.client("iam", endpoint_url=endpoint, region_name="us-east-1")
run = uuid.uuid4().hex[:8]
user = f"mfa-user-{run}"


def totp(seed, at):
    key = base64.b32decode(seed + "=" * (-len(seed) % 8))
    mac = hmac.new(key, struct.pack(">Q", int(at) // 30), hashlib.sha1).digest()
    off = mac[-1] & 0x0F
    return "%06d" % ((struct.unpack(">I", mac[off:off + 4])[0] & 0x7FFFFFFF) % 1000000)


def expect_error(code, status, message, fn, **kwargs):
    try:
        fn(**kwargs)
    except ClientError as e:
        err = e.response["Error"]
        got = (err["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"], err["Message"])
        assert got == (code, status, message), f"{fn.__name__}: got {got}, want {(code, status, message)}"
        return
    raise AssertionError(f"{fn.__name__} succeeded; want {code}")


iam.create_user(UserName=user)
dev = iam.create_virtual_mfa_device(VirtualMFADeviceName=user, Path="/e2e/", Tags=[{"Key": "run", "Value": run}])["VirtualMFADevice"]
serial, seed = dev["SerialNumber"], dev["Base32StringSeed"].decode()
assert serial.endswith(f":mfa/e2e/{user}"), serial
assert len(seed) == 64 and dev["QRCodePNG"].startswith(b"\x89PNG"), "seed and QR code"

now = time.time()
expect_error("InvalidAuthenticationCode", 403, "Authentication code for device is not valid.", iam.enable_mfa_device,
             UserName=user, SerialNumber=serial, AuthenticationCode1=totp(seed, now), AuthenticationCode2=totp(seed, now - 30))
iam.enable_mfa_device(UserName=user, SerialNumber=serial, AuthenticationCode1=totp(seed, now - 30), AuthenticationCode2=totp(seed, now))

devices = iam.list_mfa_devices(UserName=user)["MFADevices"]
assert [d["SerialNumber"] for d in devices] == [serial], devices
assigned = [d["SerialNumber"] for d in iam.get_paginator("list_virtual_mfa_devices").paginate(AssignmentStatus="Assigned").build_full_result()["VirtualMFADevices"]]
assert serial in assigned, assigned
assert iam.get_mfa_device(SerialNumber=serial)["UserName"] == user
summary = iam.get_account_summary()["SummaryMap"]
assert summary["MFADevicesInUse"] >= 1, summary

iam.tag_mfa_device(SerialNumber=serial, Tags=[{"Key": "owner", "Value": user}])
tags = {t["Key"]: t["Value"] for t in iam.list_mfa_device_tags(SerialNumber=serial)["Tags"]}
assert tags == {"run": run, "owner": user}, tags
iam.untag_mfa_device(SerialNumber=serial, TagKeys=["run"])

expect_error("DeleteConflict", 409, "MFA VirtualDevice in use. Must deactivate first.", iam.delete_virtual_mfa_device, SerialNumber=serial)

# Resynchronise with the next two codes (wait for a fresh time step: codes are accepted once).
time.sleep(30 - time.time() % 30 + 0.5)
now = time.time()
iam.resync_mfa_device(UserName=user, SerialNumber=serial, AuthenticationCode1=totp(seed, now), AuthenticationCode2=totp(seed, now + 30))

iam.deactivate_mfa_device(UserName=user, SerialNumber=serial)
iam.delete_virtual_mfa_device(SerialNumber=serial)
expect_error("NoSuchEntity", 404, f"VirtualMFADevice with serial number {serial} doesn't exist.", iam.delete_virtual_mfa_device, SerialNumber=serial)
iam.delete_user(UserName=user)
print("iam_mfa: ok")
