"""A test suite shaped like those written for moto's server mode and LocalStack, run against iamd --dev.

What such suites do: fake credentials ("testing"/"testing", with moto's recommended fake session token,
or LocalStack's "test"/"test"), a frozen clock (freezegun), AssumeRole and GetSessionToken, and a reset
of the server before every test. Nothing here knows it talks to iamd rather than to moto or LocalStack.
IAMD_ENDPOINT is the server's URL. Without freezegun installed the clock is frozen the way freezegun
freezes it for botocore: the time botocore signs with is fixed, far in the past.
"""
import contextlib
import datetime
import json
import os
import sys
import urllib.request

import boto3
import botocore.auth

EP = os.environ["IAMD_ENDPOINT"]
FROZEN = datetime.datetime(2020, 1, 1, 12, 0, 0, tzinfo=datetime.timezone.utc)

# moto's documented test fixture: fake credentials in the environment.
os.environ.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_SECURITY_TOKEN="testing",
                  AWS_SESSION_TOKEN="testing", AWS_DEFAULT_REGION="us-east-1")
for var in ("AWS_PROFILE", "AWS_ENDPOINT_URL"):
    os.environ.pop(var, None)

try:
    from freezegun import freeze_time

    def frozen_clock():
        return freeze_time(FROZEN)
except ImportError:
    @contextlib.contextmanager
    def frozen_clock():
        real = botocore.auth.get_current_datetime
        botocore.auth.get_current_datetime = lambda: FROZEN.replace(tzinfo=None)
        try:
            yield
        finally:
            botocore.auth.get_current_datetime = real


def client(service, **kw):
    return boto3.client(service, endpoint_url=EP, region_name="us-east-1", **kw)


def creds_of(c):
    return dict(aws_access_key_id=c["AccessKeyId"], aws_secret_access_key=c["SecretAccessKey"],
                aws_session_token=c["SessionToken"])


def reset(path="/moto-api/reset"):
    urllib.request.urlopen(urllib.request.Request(EP + path, method="POST"), timeout=10).read()


TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "sts:AssumeRole"}]})


def test_fake_keys_are_an_administrator_user():
    ident = client("sts").get_caller_identity()
    assert ident["Account"] == "123456789012", ident
    assert ident["Arn"] == "arn:aws:iam::123456789012:user/moto", ident
    iam = client("iam")
    iam.create_user(UserName="alice")
    assert sorted(u["UserName"] for u in iam.list_users()["Users"]) == ["alice", "moto"]
    attached = iam.list_attached_user_policies(UserName="moto")["AttachedPolicies"]
    assert [p["PolicyName"] for p in attached] == ["AdministratorAccess"], attached


def test_reset_between_tests():
    # The previous test's user is gone: each test starts from a fresh server.
    assert [u["UserName"] for u in client("iam").list_users()["Users"]] == ["moto"]


def test_assume_role_with_frozen_clock():
    iam = client("iam")
    role = iam.create_role(RoleName="deployer", AssumeRolePolicyDocument=TRUST)["Role"]
    iam.attach_role_policy(RoleName="deployer", PolicyArn="arn:aws:iam::aws:policy/IAMReadOnlyAccess")
    with frozen_clock():
        c = client("sts").assume_role(RoleArn=role["Arn"], RoleSessionName="suite")["Credentials"]
        ident = client("sts", **creds_of(c)).get_caller_identity()
        assert ident["Arn"] == "arn:aws:sts::123456789012:assumed-role/deployer/suite", ident
        names = [r["RoleName"] for r in client("iam", **creds_of(c)).list_roles()["Roles"]]
        assert names == ["deployer"], names


def test_session_token_with_frozen_clock():
    with frozen_clock():
        c = client("sts").get_session_token(DurationSeconds=900)["Credentials"]
        ident = client("sts", **creds_of(c)).get_caller_identity()
        assert ident["Arn"] == "arn:aws:iam::123456789012:user/moto", ident


def test_created_access_key_with_frozen_clock():
    iam = client("iam")
    iam.create_user(UserName="bob")
    k = iam.create_access_key(UserName="bob")["AccessKey"]
    with frozen_clock():
        bob = client("sts", aws_access_key_id=k["AccessKeyId"], aws_secret_access_key=k["SecretAccessKey"],
                     aws_session_token=None)
        assert bob.get_caller_identity()["Arn"] == "arn:aws:iam::123456789012:user/bob"


def test_localstack_conventions():
    with urllib.request.urlopen(EP + "/_localstack/health", timeout=10) as r:
        services = json.load(r)["services"]
    assert services["iam"] in ("available", "running") and services["sts"] in ("available", "running"), services
    ls = dict(aws_access_key_id="test", aws_secret_access_key="test", aws_session_token=None)
    ident = client("sts", **ls).get_caller_identity()
    assert ident["Account"] == "000000000000", ident
    client("iam", **ls).create_user(UserName="ls-user")
    reset("/_localstack/state/reset")
    assert [u["UserName"] for u in client("iam", **ls).list_users()["Users"]] == ["moto"]


def test_account_number_keys():
    other = dict(aws_access_key_id="210987654321", aws_secret_access_key="x", aws_session_token=None)
    assert client("sts", **other).get_caller_identity()["Account"] == "210987654321"
    client("iam", **other).create_user(UserName="carol")
    assert "carol" not in [u["UserName"] for u in client("iam").list_users()["Users"]]


def main():
    tests = [(name, fn) for name, fn in globals().items() if name.startswith("test_") and callable(fn)]
    failed = 0
    for name, fn in tests:
        reset()  # what moto suites do in a fixture before each test
        try:
            fn()
            print("ok  ", name)
        except Exception as e:  # report every test, then fail
            failed += 1
            print("FAIL", name, repr(e))
    print("dev-mode suite: %d passed, %d failed" % (len(tests) - failed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
