# Regenerates botocore.json: requests signed by botocore with the clock fixed at 2024-01-01T00:30:00Z.
# Run: python3 gen_botocore.py > botocore.json
import json, datetime
from unittest import mock
import botocore, botocore.auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

FIXED = datetime.datetime(2024, 1, 1, 0, 30, 0)
AKID = "AKIAIOSFODNN7EXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
out = []

class FakeDT(datetime.datetime):
    @classmethod
    def utcnow(cls): return FIXED
    @classmethod
    def now(cls, tz=None): return FIXED.replace(tzinfo=tz) if tz else FIXED

def sign(name, method, url, body, headers, region, service, token=None, presign=False):
    creds = Credentials(AKID, SECRET, token)
    req = AWSRequest(method=method, url=url, data=body, headers=headers)
    with mock.patch.object(botocore.auth.datetime, 'datetime', FakeDT):
        if presign:
            botocore.auth.SigV4QueryAuth(creds, service, region, expires=900).add_auth(req)
        else:
            botocore.auth.SigV4Auth(creds, service, region).add_auth(req)
    p = req.prepare()
    out.append(dict(name=name, method=p.method, url=p.url, headers=dict(p.headers.items()),
                    body=(p.body or b"").decode() if isinstance(p.body, (bytes, type(None))) else p.body,
                    region=region, service=service, token=token or ""))

form = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
sign("sts GetCallerIdentity", "POST", "https://sts.amazonaws.com/", "Action=GetCallerIdentity&Version=2011-06-15", dict(form), "us-east-1", "sts")
sign("sts session token", "POST", "https://sts.eu-west-1.amazonaws.com/", "Action=GetCallerIdentity&Version=2011-06-15", dict(form), "eu-west-1", "sts", token="FwoGZXIvYXdzEXAMPLE/+=")
sign("iam CreateUser with path", "POST", "https://iam.amazonaws.com/", "Action=CreateUser&Version=2010-05-08&UserName=al%C3%AFce&Path=%2Fa%2Fb%2F&Tags.member.1.Key=k%20y&Tags.member.1.Value=v~", dict(form), "us-east-1", "iam")
sign("account rest-json", "POST", "https://account.us-east-1.amazonaws.com/getRegionOptStatus", '{"RegionName":"af-south-1"}', {"Content-Type": "application/json"}, "us-east-1", "account")
sign("presigned GetCallerIdentity", "GET", "https://sts.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15", None, {}, "us-east-1", "sts", presign=True)
sign("presigned with token", "GET", "https://sts.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15", None, {}, "us-east-1", "sts", token="IQoJb3JpZ2luX2VjEXAMPLE/+=", presign=True)
# Paths that are not in normal form: botocore signs them with dot segments removed and slashes collapsed
# (botocore.utils.normalize_url_path), as AWS verifies them, and sends them as they are.
for path in ["//", "/./", "/a/../", "/global//", "/global/./", "/x/%2E%2E/a%2Fb/../c%20d//", "/%7Eu/./v/"]:
    sign("sts path " + path, "POST", "https://sts.amazonaws.com" + path, "Action=GetCallerIdentity&Version=2011-06-15", dict(form), "us-east-1", "sts")
print(json.dumps(out, indent=1))
