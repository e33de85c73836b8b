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

finish
