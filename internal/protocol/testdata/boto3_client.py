"""Drives iamd's protocol runtime with unmodified boto3; prints one JSON object of what it parsed.

Run by TestBoto3 with STS_URL, IAM_URL, ACCOUNT_URL and CLOUDTRAIL_URL set.
"""
import json
import os

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

cfg = Config(retries={"max_attempts": 1, "mode": "standard"})
kw = dict(region_name="us-east-1", aws_access_key_id="AKIAIOSFODNN7EXAMPLE",
          aws_secret_access_key="wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", config=cfg)
out = {}

sts = boto3.client("sts", endpoint_url=os.environ["STS_URL"], **kw)
out["caller"] = sts.get_caller_identity()["Arn"]
ar = sts.assume_role(RoleArn="arn:aws:iam::123456789012:role/r", RoleSessionName="sess")
out["expiration"] = ar["Credentials"]["Expiration"].isoformat()
try:
    sts.assume_role(RoleArn="arn:aws:iam::123456789012:role/r", RoleSessionName="bad name")
except ClientError as e:
    out["sts_error"] = [e.response["Error"]["Code"], e.response["Error"]["Message"],
                        e.response["ResponseMetadata"]["HTTPStatusCode"]]

iam = boto3.client("iam", endpoint_url=os.environ["IAM_URL"], **kw)
u = iam.create_user(UserName="bob", Tags=[{"Key": "k", "Value": "v"}])["User"]
out["user"] = [u["UserName"], u["CreateDate"].isoformat(), u["Tags"]]
lu = iam.list_users()
out["list"] = [[x["UserName"] for x in lu["Users"]], lu["IsTruncated"], lu["Marker"]]
out["summary"] = iam.get_account_summary()["SummaryMap"]
try:
    iam.get_user(UserName="nobody")
except iam.exceptions.NoSuchEntityException as e:
    out["iam_error"] = [e.response["Error"]["Code"], e.response["Error"]["Message"],
                        e.response["ResponseMetadata"]["HTTPStatusCode"]]

acct = boto3.client("account", endpoint_url=os.environ["ACCOUNT_URL"], **kw)
out["region"] = acct.get_region_opt_status(RegionName="us-east-1")["RegionOptStatus"]
try:
    acct.list_regions(MaxResults=100)
except acct.exceptions.ValidationException as e:
    out["account_error"] = [e.response["Error"]["Code"], e.response["reason"],
                            [f["name"] for f in e.response["fieldList"]]]

ct = boto3.client("cloudtrail", endpoint_url=os.environ["CLOUDTRAIL_URL"], **kw)
pages = ct.get_paginator("lookup_events").paginate(
    LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "CreateUser"}],
    EndTime="2030-05-06T07:08:09Z")
out["trail"] = [[e["EventId"], e["EventName"], e["EventTime"].isoformat(), e["Resources"]]
                for p in pages for e in p["Events"]]
try:
    ct.lookup_events(LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "a"},
                                       {"AttributeKey": "Username", "AttributeValue": "b"}])
except ct.exceptions.InvalidLookupAttributesException as e:
    out["trail_error"] = [e.response["Error"]["Code"], e.response["Error"]["Message"],
                          e.response["ResponseMetadata"]["HTTPStatusCode"]]

print(json.dumps(out, sort_keys=True))
