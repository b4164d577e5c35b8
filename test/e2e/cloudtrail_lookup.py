"""boto3 and the AWS CLI, unmodified, against iamd's CloudTrail event history (LookupEvents).

The lookup-events paginator runs to its end; the refusals carry CloudTrail's exceptions (one lookup
attribute at most, a start before the end, MaxResults up to 50, a NextToken only for the lookup it came
from); a user needs cloudtrail:LookupEvents; every other CloudTrail operation is NotImplemented. Every
event answered is the caller's account's and matches the lookup.

Endpoint from IAMD_ENDPOINT, root credentials from the usual AWS_* env. The user it makes is deleted at the
end.
"""
import datetime
import json
import os
import subprocess
import time
import uuid

import boto3
from botocore.exceptions import ClientError

endpoint = os.environ["IAMD_ENDPOINT"]
iam = boto3.client("iam", endpoint_url=endpoint, region_name="us-east-1")
ct = boto3.client("cloudtrail", endpoint_url=endpoint, region_name="us-east-1")
account = boto3.client("sts", endpoint_url=endpoint, region_name="us-east-1").get_caller_identity()["Account"]
run = uuid.uuid4().hex[:8]


def refused(code, fn, **kw):
    try:
        fn(**kw)
    except ClientError as e:
        got = e.response["Error"]["Code"]
        assert got == code, f"{kw}: got {got} {e.response['Error']['Message']!r}, want {code}"
        return e.response
    raise AssertionError(f"{kw}: succeeded, want {code}")


def check_events(events, key=None, value=None):
    for e in events:
        rec = json.loads(e["CloudTrailEvent"])
        assert rec.get("recipientAccountId", account) == account, rec
        assert e["ReadOnly"] in ("true", "false"), e
        if key == "EventName":
            assert e["EventName"] == value, e


user = f"ct-e2e-{run}"
iam.create_user(UserName=user)
try:
    # The paginator runs to its end, pages of at most 5.
    pages = list(ct.get_paginator("lookup_events").paginate(
        LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "CreateUser"}],
        PaginationConfig={"PageSize": 5, "MaxItems": 40}))
    assert pages and all(len(p["Events"]) <= 5 for p in pages), [len(p["Events"]) for p in pages]
    check_events([e for p in pages for e in p["Events"]], "EventName", "CreateUser")
    print(f"paginator: {sum(len(p['Events']) for p in pages)} CreateUser events in {len(pages)} pages")

    # The AWS CLI's lookup-events, as the CloudTrail docs show it.
    out = subprocess.run(["aws", "--endpoint-url", endpoint, "--output", "json", "cloudtrail", "lookup-events",
                          "--lookup-attributes", "AttributeKey=EventName,AttributeValue=CreateUser", "--max-items", "10"],
                         check=True, capture_output=True, text=True).stdout
    check_events(json.loads(out)["Events"], "EventName", "CreateUser")
    print("aws cloudtrail lookup-events: ok")

    now = datetime.datetime.now(datetime.timezone.utc)
    refused("InvalidLookupAttributesException", ct.lookup_events, LookupAttributes=[
        {"AttributeKey": "EventName", "AttributeValue": "CreateUser"}, {"AttributeKey": "Username", "AttributeValue": user}])
    refused("InvalidLookupAttributesException", ct.lookup_events,
            LookupAttributes=[{"AttributeKey": "Colour", "AttributeValue": "red"}])
    refused("InvalidTimeRangeException", ct.lookup_events, StartTime=now, EndTime=now - datetime.timedelta(hours=1))
    refused("InvalidMaxResultsException", ct.lookup_events, MaxResults=51)
    refused("InvalidEventCategoryException", ct.lookup_events, EventCategory="management")
    refused("InvalidNextTokenException", ct.lookup_events, NextToken="not-a-token")
    assert ct.lookup_events(EventCategory="insight")["Events"] == []
    r = refused("NotImplemented", ct.describe_trails)
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 501, r
    print("refusals: ok")

    # A user needs cloudtrail:LookupEvents.
    key = iam.create_access_key(UserName=user)["AccessKey"]
    uct = boto3.client("cloudtrail", endpoint_url=endpoint, region_name="eu-west-1",
                       aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"])
    r = refused("AccessDeniedException", uct.lookup_events)
    want = (f"User: arn:aws:iam::{account}:user/{user} is not authorized to perform: cloudtrail:LookupEvents "
            "because no identity-based policy allows the cloudtrail:LookupEvents action")
    assert r["Error"]["Message"] == want, r["Error"]["Message"]
    iam.put_user_policy(UserName=user, PolicyName="lookup", PolicyDocument=json.dumps({"Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "cloudtrail:LookupEvents", "Resource": "*"}]}))
    for _ in range(50):
        try:
            check_events(uct.lookup_events(MaxResults=3)["Events"])
            break
        except ClientError:
            time.sleep(0.1)
    else:
        raise AssertionError("the user's lookup stayed refused")
    print("authorization: ok")
finally:
    for k in iam.list_access_keys(UserName=user)["AccessKeyMetadata"]:
        iam.delete_access_key(UserName=user, AccessKeyId=k["AccessKeyId"])
    for p in iam.list_user_policies(UserName=user)["PolicyNames"]:
        iam.delete_user_policy(UserName=user, PolicyName=p)
    iam.delete_user(UserName=user)
