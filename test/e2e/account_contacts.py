"""boto3, unmodified, against iamd: an account owner fills in the account's contacts and changes its root e-mail.

Alternate contacts (BILLING, OPERATIONS, SECURITY) set, read, replaced and removed, as security-contact scanners
and landing-zone tools do; the primary contact information; the account's name and information; the GovCloud
lookup of a standard account; the primary e-mail update (with no --smtp-url the one-time code is in the server's
log, which run.sh names in IAMD_SERVER_LOG); other accounts' IDs refused; AWS's errors. Endpoint from
IAMD_ENDPOINT, root credentials from the usual AWS_* env.
"""
import os
import re
import time
import uuid

import boto3
from botocore.exceptions import ClientError

endpoint = os.environ["IAMD_ENDPOINT"]
acct = boto3.client("account", endpoint_url=endpoint, region_name="us-east-1")
sts = boto3.client("sts", endpoint_url=endpoint, region_name="us-east-1")
account_id = sts.get_caller_identity()["Account"]
other_id = "999999999999" if account_id != "999999999999" else "888888888888"
run = uuid.uuid4().hex[:8]


def expect_error(code, status, message, fn, **kwargs):
    try:
        fn(**kwargs)
    except ClientError as e:
        err = e.response["Error"]
        got = (err["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"])
        assert got == (code, status), f"{fn.__name__}: got {got} {err['Message']!r}, want {(code, status)}"
        if message is not None:
            assert err["Message"] == message, f"{fn.__name__}: message {err['Message']!r}, want {message!r}"
        return
    raise AssertionError(f"{fn.__name__} succeeded; want {code}")


def denied(op):
    return (f"User: arn:aws:iam::{account_id}:root is not authorized to perform: account:{op} "
            f"on resource: arn:aws:account::{other_id}:account")


# --- alternate contacts ------------------------------------------------------------------------------------
for t in ("BILLING", "OPERATIONS", "SECURITY"):
    acct.put_alternate_contact(AlternateContactType=t, Name=f"{t.title()} Team", Title="Lead",
                               EmailAddress=f"{t.lower()}-{run}@example.com", PhoneNumber="+1 (555) 0100")
sec = acct.get_alternate_contact(AlternateContactType="SECURITY")["AlternateContact"]
assert sec == {"AlternateContactType": "SECURITY", "Name": "Security Team", "Title": "Lead",
               "EmailAddress": f"security-{run}@example.com", "PhoneNumber": "+1 (555) 0100"}, sec
acct.put_alternate_contact(AlternateContactType="SECURITY", Name="SOC", Title="24x7", EmailAddress="soc@example.com",
                           PhoneNumber="+1 555 0199", AccountId=account_id)  # replaces; own ID is accepted
assert acct.get_alternate_contact(AlternateContactType="SECURITY")["AlternateContact"]["Name"] == "SOC"
acct.delete_alternate_contact(AlternateContactType="BILLING")
expect_error("ResourceNotFoundException", 404, "No contact of the inputted alternate contact type found.",
             acct.get_alternate_contact, AlternateContactType="BILLING")
expect_error("ResourceNotFoundException", 404, "No contact of the inputted alternate contact type found.",
             acct.delete_alternate_contact, AlternateContactType="BILLING")
expect_error("ValidationException", 400, None, acct.put_alternate_contact, AlternateContactType="BILLING",
             Name="x", Title="y", EmailAddress="not an address", PhoneNumber="1")
expect_error("AccessDeniedException", 403, denied("GetAlternateContact"), acct.get_alternate_contact,
             AlternateContactType="SECURITY", AccountId=other_id)

# --- contact information, name, information ----------------------------------------------------------------
acct.put_contact_information(ContactInformation={
    "FullName": "Ana Diaz", "AddressLine1": "1 Main St", "City": "Springfield", "StateOrRegion": "IL",
    "PostalCode": "62701", "CountryCode": "US", "PhoneNumber": "+1 555 0100", "CompanyName": f"Example {run}"})
ci = acct.get_contact_information()["ContactInformation"]
assert ci["CompanyName"] == f"Example {run}" and ci["CountryCode"] == "US" and "AddressLine2" not in ci, ci
expect_error("AccessDeniedException", 403, denied("GetContactInformation"), acct.get_contact_information, AccountId=other_id)

info = acct.get_account_information()
old_name = info.get("AccountName")
acct.put_account_name(AccountName=f"e2e {run}")
info = acct.get_account_information()
assert info["AccountId"] == account_id and info["AccountName"] == f"e2e {run}" and info["AccountState"] == "ACTIVE", info
assert info["AccountCreatedDate"].timestamp() <= time.time() + 5, info
expect_error("ValidationException", 400, None, acct.put_account_name, AccountName="<bad>")
expect_error("AccessDeniedException", 403, denied("PutAccountName"), acct.put_account_name, AccountName="x", AccountId=other_id)
if old_name:
    acct.put_account_name(AccountName=old_name)

expect_error("ResourceNotFoundException", 404, "The GovCloud account linked to this account was not found.",
             acct.get_gov_cloud_account_information)

# --- primary e-mail ----------------------------------------------------------------------------------------
new_email = f"root-{run}@example.com"
out = acct.start_primary_email_update(AccountId=account_id, PrimaryEmail=new_email)
assert out["Status"] == "PENDING", out
log = os.environ.get("IAMD_SERVER_LOG")
if log:
    code = None
    for _ in range(50):  # the log line is written before the answer, but the file may lag a little
        with open(log, encoding="utf-8") as f:
            found = re.findall(r"email=" + re.escape(new_email) + r" code=([A-Z0-9]{6})", f.read())
        if found:
            code = found[-1]
            break
        time.sleep(0.1)
    assert code, "no one-time code in the server log"
    wrong = "AAAAAA" if code != "AAAAAA" else "BBBBBB"
    expect_error("ValidationException", 400, "The OTP is not valid.", acct.accept_primary_email_update,
                 AccountId=account_id, PrimaryEmail=new_email, Otp=wrong)
    out = acct.accept_primary_email_update(AccountId=account_id, PrimaryEmail=new_email, Otp=code)
    assert out["Status"] == "ACCEPTED", out
    assert acct.get_primary_email(AccountId=account_id)["PrimaryEmail"] == new_email
    expect_error("ResourceNotFoundException", 404, "No pending primary email update was found.",
                 acct.accept_primary_email_update, AccountId=account_id, PrimaryEmail=new_email, Otp=code)
    expect_error("ConflictException", 409, None, acct.start_primary_email_update, AccountId=account_id, PrimaryEmail=new_email)
expect_error("AccessDeniedException", 403, denied("StartPrimaryEmailUpdate"), acct.start_primary_email_update,
             AccountId=other_id, PrimaryEmail="x@example.com")

# --- tear down ---------------------------------------------------------------------------------------------
for t in ("OPERATIONS", "SECURITY"):
    acct.delete_alternate_contact(AlternateContactType=t)
print("account contacts: ok")
