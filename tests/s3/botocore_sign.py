"""botocore_sign.py — the oracle for our SigV4 signer: for each request
given (the URL and headers our s3sign printed), signs it again with
botocore's S3SigV4Auth at the same time, and prints "ok" or both
Authorization headers.

usage: botocore_sign.py REGION ACCESS_KEY SECRET_KEY [SESSION_TOKEN] < cases
(each case: s3sign's output, "METHOD URL" then headers, then a line "--")
"""
import datetime
import sys
from unittest import mock

from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials


def sign(url, headers, method, region, creds):
    amz_date = headers["x-amz-date"]
    when = datetime.datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ")
    signed = {k: v for k, v in headers.items() if k not in ("Authorization", "Expect")}
    request = AWSRequest(method=method, url=url, headers=signed)
    with mock.patch("botocore.auth.datetime") as fake:
        fake.datetime.utcnow.return_value = when
        fake.datetime.now.return_value = when.replace(tzinfo=datetime.timezone.utc)
        fake.timezone = datetime.timezone
        S3SigV4Auth(creds, "s3", region).add_auth(request)
    return request.headers["Authorization"]


def main():
    region, access, secret = sys.argv[1:4]
    token = sys.argv[4] if len(sys.argv) > 4 else None
    creds = Credentials(access, secret, token)
    failures = 0
    case = []
    for line in sys.stdin.read().split("\n"):
        if line != "--":
            case.append(line)
            continue
        method, url = case[0].split(" ", 1)
        rest = [l for l in case[1:] if l]
        headers = dict(l.split(": ", 1) if ": " in l else (l.rstrip(":"), "") for l in rest)
        ours = headers["Authorization"]
        theirs = sign(url, headers, method, region, creds)
        if ours == theirs:
            print("ok", url)
        else:
            failures += 1
            print("DIFFER", url)
            print("  ours:     ", ours)
            print("  botocore: ", theirs)
        case = []
    sys.exit(1 if failures else 0)


main()
