"""boto3, unmodified, against iamd: the root's identity over signed requests."""
import os

import boto3

endpoint = os.environ["IAMD_ENDPOINT"]
sts = boto3.client("sts", endpoint_url=endpoint, region_name="us-east-1")
ident = sts.get_caller_identity()
assert ident["Account"] == "123456789012", ident
assert ident["Arn"] == "arn:aws:iam::123456789012:root", ident
assert ident["UserId"] == "123456789012", ident
print("boto3 get_caller_identity:", ident["Arn"])
