#!/bin/bash
# t98-s3-settings.sh — our SigV4 signatures against botocore's (s3rver does
# not check signatures: botocore and the AWS vectors in
# tests/unit/test_sigv4.c do), and the S3 settings: one line naming the
# setting, 125 before main; credentials and secrets never shown. Only
# s3rver runs (lib-s3.sh), for the one tree that uploads.
. "$(dirname "$0")/lib.sh"
. "$here/lib-s3.sh"
start_s3rver
export MONOCACHE_S3=s3://testbucket/t
ENDPOINT=$AWS_ENDPOINT_URL

# --- 1. Our signatures are botocore's, key by key and query by query.
cases() {
    local key
    for key in 'plain.txt' 'a b.txt' 'plus+sign' 'pct%41' 'hash#x' 'q?mark' 'eq=sign' \
        'tilde~x' "$(printf 'caf\xc3\xa9/\xe2\x82\xac')" 'deep/dir/ x '; do
        "$SIGN" "$ENDPOINT" testbucket PUT "pre/$key" 20261128T120000Z -h content-md5:abc==
        echo --
    done
    "$SIGN" "$ENDPOINT" testbucket POST "pre/big file" 20261128T120000Z -q uploads
    echo --
    "$SIGN" "$ENDPOINT" testbucket PUT "pre/big file" 20261128T120000Z -q partNumber=7 \
        -q "uploadId=2~a/b+c=="
    echo --
    "$SIGN" "$ENDPOINT" testbucket GET "" 20261128T120000Z -q list-type=2 -q "prefix=pre/a b/" \
        -q "continuation-token=1/x+y=="
    echo --
}
out=$(cases | "$PY" "$top/tests/s3/botocore_sign.py" us-east-1 S3RVER S3RVER 2>&1)
is "SigV4: botocore signs 13 requests as we do (keys with space + % # ? = ~ UTF-8; ?uploads, ?partNumber&uploadId, ?list-type=2&continuation-token)" \
    "$(grep -c '^ok' <<< "$out")" 13
refute "... no difference" grep -q DIFFER <<< "$out"
out=$(AWS_SESSION_TOKEN=tok "$SIGN" "$ENDPOINT" testbucket GET k 20261128T120000Z; echo --)
out=$("$PY" "$top/tests/s3/botocore_sign.py" us-east-1 S3RVER S3RVER tok <<< "$out")
like "... with a session token too" "$out" "^ok"
out=$( { "$SIGN" "$ENDPOINT" testbucket GET k 20261128T120000Z | sed 's/Signature=[0-9a-f]/Signature=X/'; echo --; } |
    "$PY" "$top/tests/s3/botocore_sign.py" us-east-1 S3RVER S3RVER)
like "... and the comparison catches a wrong one (control)" "$out" "^DIFFER"


# --- 8. Settings: one line naming the setting, 125 before main.
refused_before_main '(MONOCACHE_S3=s3://[^:]*: )?' \
    "MONOCACHE_S3=http://bucket/x" "MONOCACHE_S3=s3://b" "MONOCACHE_S3_JOBS=0" \
    "MONOCACHE_S3_ASYNC=maybe" "MONOCACHE_S3_MULTIPART_MB=4" "MONOCACHE_EXISTING=s3://testbucket/t/_notaname" \
    "AWS_ENDPOINT_URL=ftp://x"
out=$(env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY HOME="$T" LD_PRELOAD="$PRELOAD" true 2>&1)
is "no credentials: exit 125" "$?" 125
like "... saying what to set" "$out" "^monocache: MONOCACHE_S3=s3://testbucket/t: no AWS credentials"
SECRET=sk-$$-very-secret
out=$(AWS_SECRET_ACCESS_KEY=$SECRET MONOCACHE_LOG=debug with_cache sh -c '
    for f in /proc/[0-9]*/cmdline; do tr "\0" " " < "$f"; echo; done > "$0"' "$T/cmdlines" 2>&1)
refute "secrets never in logs" grep -q -- "$SECRET" <<< "$out"
refute "... nor in any process's command line" grep -q -- "$SECRET" "$T/cmdlines"

# --- 8b. More settings, and secrets in URLs: never shown, wherever they are.
refused_before_main '(MONOCACHE_S3=s3://[^:]*: )?' \
    "MONOCACHE_S3_TIMEOUT_S=0" "AWS_REGION=us-east-1/../x"
SECRET=pw-$$-hidden
for bad in "MONOCACHE_S3=s3://user:$SECRET@testbucket/t" \
    "AWS_ENDPOINT_URL=http://key:$SECRET@127.0.0.1:9" "AWS_ENDPOINT_URL=ftp://key:$SECRET@x" \
    "MONOCACHE_META={\"s3\":\"s3://u:$SECRET@testbucket/t\"}"; do
    out=$(env "$bad" LD_PRELOAD="$PRELOAD" true 2>&1)
    is "${bad%%=*} with a password in a URL: exit 125" "$?" 125
    like "... one line naming ${bad%%=*}" "$out" "^monocache: (MONOCACHE_S3=s3://[^:]*: )?${bad%%=*}[=:]"
    refute "... the password hidden" grep -q -- "$SECRET" <<< "$out"
done
with_cache sh -c 'echo "$MONOCACHE_ID" > "$0"; "$1" lock "$MONOCACHE_ID"' "$T/id" "$MC_BIN"
id=$(cat "$T/id")
out=$(mc meta "$id" "s3=s3://u:$SECRET@testbucket/t" 2>&1)
is "monocache meta s3=<a URL with a password>: refused" "$?" 1
refute "... the password hidden" grep -q -- "$SECRET" <<< "$out"
out=$( { mc push "$id" --s3 "s3://u:$SECRET@testbucket/t"
         mc pull "s3://u:$SECRET@testbucket/t/$id"
         mc ls --s3 "s3://u:$SECRET@testbucket/t"
         mc rm --s3 "s3://u:$SECRET@testbucket/t/$id"; } 2>&1)
like "push, pull, ls --s3 and rm --s3 of such a URL: refused" "$out" "not a bucket name"
refute "... the password hidden everywhere" grep -q -- "$SECRET" <<< "$out"
# A meta.json edited by hand: its release, ls and gc never show it.
"$PY" - "$ROOT/cache/$id/meta.json" "s3://u:$SECRET@testbucket/t" <<'PY'
import json, sys
meta = json.load(open(sys.argv[1]))
meta["s3"] = sys.argv[2]
json.dump(meta, open(sys.argv[1], "w"))
PY
out=$( { mc ls --json; mc ls; mc push "$id"; mc unlock "$id"; mc gc; } 2>&1)
like "a meta.json with such a home: ls --json shows it hidden" "$out" '"s3":"s3://\*\*\*@testbucket/t"'
refute "... the password nowhere in ls, push or gc" grep -q -- "$SECRET" <<< "$out"
mc rm --force "$id" > /dev/null 2>&1

# --- 8c. Credentials: the environment's keys win over a profile, as the AWS
# CLI has it (a broken profile is not even read).
printf '[broken]\naws_access_key_id = ONLYKEY\n' > "$T/credentials"
out=$(AWS_PROFILE=broken AWS_SHARED_CREDENTIALS_FILE=$T/credentials with_cache sh -c \
    'echo "$MONOCACHE_ID" > "$0"' "$T/id" 2>&1)
is "AWS_ACCESS_KEY_ID and a profile without a secret: the environment's keys, the tree runs" \
    "$out" ""
ok "... and its cache went to S3" awsq s3api head-object --bucket testbucket --key "t/$(cat "$T/id")/meta.json"
out=$(env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY AWS_PROFILE=broken \
    AWS_SHARED_CREDENTIALS_FILE=$T/credentials LD_PRELOAD="$PRELOAD" true 2>&1)
like "... without them, the profile is read: refused, saying why" "$out" \
    "profile \[broken\] has aws_access_key_id but not aws_secret_access_key"

finish
