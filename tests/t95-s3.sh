#!/bin/bash
# t95-s3.sh — caches to and from S3, against a real S3-compatible server
# (s3rver on loopback) behind a small fault-injecting proxy; what we upload
# is checked with the aws CLI, our signatures with botocore. s3rver does not
# check signatures: botocore and the AWS vectors (tests/unit/test_sigv4.c)
# do.
. "$(dirname "$0")/lib.sh"

PY=$(command -v /usr/bin/python3 || command -v python3)
S3RVER=${MC_S3RVER:-$top/tests/.deps/node_modules/.bin/s3rver}
if [ ! -x "$S3RVER" ] && command -v npm > /dev/null; then
    npm install --silent --prefix "$top/tests/.deps" s3rver@3.7.1 > /dev/null 2>&1
fi
if [ ! -x "$S3RVER" ] || ! command -v aws > /dev/null || ! "$PY" -c 'import botocore' 2> /dev/null; then
    fail "s3rver (npm), the aws CLI and python3-botocore are installed (make deps)"
    finish
    exit
fi
SIGN=${MC_HELPERS%/helpers}/unit/s3sign

# s3rver on a free port, the proxy in front of it; all requests go through
# the proxy, which logs them.
free_port() {
    "$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
S3_PORT=$(free_port)
mkdir -p "$T/s3data"
NODE_OPTIONS=--openssl-legacy-provider "$S3RVER" -d "$T/s3data" -a 127.0.0.1 -p "$S3_PORT" \
    --configure-bucket testbucket --silent > "$T/s3rver.log" 2>&1 &
S3RVER_PID=$!
: > "$T/control"
"$PY" "$top/tests/s3/faultproxy.py" "$S3_PORT" "$T/proxy.port" "$T/control" "$T/requests" &
PROXY_PID=$!
eventually 20 test -s "$T/proxy.port"
PROXY=http://127.0.0.1:$(cat "$T/proxy.port")
eventually 20 curl -s -o /dev/null "http://127.0.0.1:$S3_PORT/testbucket"

export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER AWS_DEFAULT_REGION=us-east-1
export AWS_ENDPOINT_URL=$PROXY AWS_EC2_METADATA_DISABLED=true
unset AWS_PROFILE AWS_SESSION_TOKEN AWS_REGION AWS_ENDPOINT_URL_S3
awsq() {
    aws --endpoint-url "http://127.0.0.1:$S3_PORT" "$@"
}
requests() {
    cat "$T/requests" 2> /dev/null
}
order() {
    echo "$*" > "$T/control"
    : > "$T/requests"
}

# --- 1. Our signatures are botocore's, key by key and query by query.
cases() {
    local key
    for key in 'plain.txt' 'a b.txt' 'plus+sign' 'pct%41' 'hash#x' 'q?mark' 'eq=sign' \
        'tilde~x' "$(printf 'caf\xc3\xa9/\xe2\x82\xac')" 'deep/dir/ x '; do
        "$SIGN" "$PROXY" testbucket PUT "pre/$key" 20261128T120000Z -h content-md5:abc==
        echo --
    done
    "$SIGN" "$PROXY" testbucket POST "pre/big file" 20261128T120000Z -q uploads
    echo --
    "$SIGN" "$PROXY" testbucket PUT "pre/big file" 20261128T120000Z -q partNumber=7 \
        -q "uploadId=2~a/b+c=="
    echo --
    "$SIGN" "$PROXY" testbucket GET "" 20261128T120000Z -q list-type=2 -q "prefix=pre/a b/" \
        -q "continuation-token=1/x+y=="
    echo --
}
out=$(cases | "$PY" "$top/tests/s3/botocore_sign.py" us-east-1 S3RVER S3RVER 2>&1)
is "SigV4: botocore signs 13 requests as we do (keys with space + % # ? = ~ UTF-8; ?uploads, ?partNumber&uploadId, ?list-type=2&continuation-token)" \
    "$(grep -c '^ok' <<< "$out")" 13
refute "... no difference" grep -q DIFFER <<< "$out"
out=$(AWS_SESSION_TOKEN=tok "$SIGN" "$PROXY" testbucket GET k 20261128T120000Z; echo --)
out=$("$PY" "$top/tests/s3/botocore_sign.py" us-east-1 S3RVER S3RVER tok <<< "$out")
like "... with a session token too" "$out" "^ok"
out=$( { "$SIGN" "$PROXY" testbucket GET k 20261128T120000Z | sed 's/Signature=[0-9a-f]/Signature=X/'; echo --; } |
    "$PY" "$top/tests/s3/botocore_sign.py" us-east-1 S3RVER S3RVER)
like "... and the comparison catches a wrong one (control)" "$out" "^DIFFER"

# --- 2. Uploaded at the release, wiped here; every kind of entry.
export MONOCACHE_S3=s3://testbucket/t
order
out=$(MONOCACHE_S3_MULTIPART_MB=16 with_cache sh -c '
    cd "$MONOCACHE_PATH" && echo "$MONOCACHE_ID" > "$0"
    echo hello > hello.txt; : > empty; mkdir -p deep/a/b/c/d/e empty-dir
    echo deep > deep/a/b/c/d/e/f; head -c 40000000 /dev/urandom > big
    chmod 640 hello.txt; chmod 711 deep; touch -d "2020-01-02 03:04:05.123456789" hello.txt
    ln -s hello.txt link; ln -s /etc/passwd outside; mkfifo fifo
    cat deep/a/b/c/d/e/f; exit 3' "$T/id" 2> "$T/err"; echo "status $?")
id=$(cat "$T/id")
is "the program's status is kept" "${out##*status }" 3
ok "... the local copy is wiped after the upload" gone "$ROOT/cache/$id"
like "... the FIFO skipped with a warning" "$(cat "$T/err")" "fifo: not a regular file.*skipped"
listing=$(awsq s3api list-objects-v2 --bucket testbucket --prefix "t/$id/" --query 'Contents[].Key' --output text | tr '\t' '\n' | sort)
is "aws sees the objects" "$(echo "$listing" | tr '\n' ' ')" \
    "t/$id/big t/$id/deep/a/b/c/d/e/f t/$id/empty t/$id/hello.txt t/$id/link t/$id/meta.json t/$id/outside "
awsq s3 cp --quiet "s3://testbucket/t/$id/hello.txt" "$T/hello.aws"
is "... its content (aws s3 cp)" "$(cat "$T/hello.aws")" hello
like "... meta.json says where it lives" "$(awsq s3 cp --quiet "s3://testbucket/t/$id/meta.json" -)" \
    "\"s3\":\"s3://testbucket/t\""
ok "... the index beside it" awsq s3api head-object --bucket testbucket --key "t/.monocache/$id.json"
like "... the big file went in parts (multipart)" "$(requests)" "POST /testbucket/t/$id/big\?uploads="
is "... of 8 MiB (5 of them)" "$(grep -c "PUT /testbucket/t/$id/big?partNumber=" "$T/requests")" 5
like "... meta.json last" "$(grep PUT "$T/requests" | grep -v '\.monocache' | tail -1)" "meta.json"

# --- 3. Brought back before main, and what pull restores.
order
out=$(with_cache env MONOCACHE_EXISTING="s3://testbucket/t/$id" sh -c '
    cd "$MONOCACHE_PATH" && cat deep/a/b/c/d/e/f && readlink link outside &&
    stat -c "%a %y" hello.txt deep && test -d empty-dir && test -f empty && ! test -s empty &&
    test ! -e fifo && md5sum < big' 2>&1)
like "MONOCACHE_EXISTING=s3://...: the program sees it" "$out" "^deep"
like "... links as links, never followed" "$out" $'hello.txt\n/etc/passwd'
like "... modes and mtimes (to the nanosecond)" "$out" "640 2020-01-02 03:04:05.123456789"
like "... directory modes" "$out" $'\n711 '
awsq s3 cp --quiet "s3://testbucket/t/$id/big" "$T/big.aws"
like "... the big file intact (md5 as aws fetched it)" "$out" "$(md5sum < "$T/big.aws" | cut -c1-32)"
ok "... gone again after" gone "$ROOT/cache/$id"

# --- 4. Incremental: a second push sends only what changed.
out=$(mc pull "s3://testbucket/t/$id")
is "monocache pull prints the copy's path" "$out" "$ROOT/cache/$id"
mc lock "$id"
mc push "$id"
order
ok "a push with nothing changed" mc push "$id"
is "... sends nothing (list, index read only)" "$(grep -vc '^GET' "$T/requests")" 0
echo changed > "$ROOT/cache/$id/hello.txt"
rm "$ROOT/cache/$id/empty"
order
ok "a push after a change" mc push "$id"
like "... sends that file" "$(requests)" "PUT /testbucket/t/$id/hello.txt"
refute "... not the big one" grep -q "t/$id/big" "$T/requests"
like "... deletes what was deleted here" "$(requests)" "DELETE /testbucket/t/$id/empty "
mc unlock "$id"
mc rm "$id"
mkdir -p "$ROOT/cache"
mc pull "s3://testbucket/t/$id" > /dev/null
echo local > "$ROOT/cache/$id/extra"
echo stale > "$ROOT/cache/$id/deep/a/b/c/d/e/f"
order
mc pull "s3://testbucket/t/$id" > /dev/null
is "a pull into a copy fetches only what changed" \
    "$(grep '^GET' "$T/requests" | grep -c "/t/$id/")" 1
is "... the changed file" "$(cat "$ROOT/cache/$id/deep/a/b/c/d/e/f")" deep
ok "... and removes what S3 does not have" gone "$ROOT/cache/$id/extra"
mc rm --force "$id"

# --- 5. Locked: uploaded and kept; SIGKILLed: still uploaded.
order
with_cache sh -c 'echo x > "$MONOCACHE_PATH/f"; echo "$MONOCACHE_ID" > "$0"; "$1" lock "$MONOCACHE_ID"' \
    "$T/id" "$MC_BIN" 2> /dev/null
id=$(cat "$T/id")
ok "a locked cache: kept here" test -f "$ROOT/cache/$id/f"
ok "... and uploaded" awsq s3api head-object --bucket testbucket --key "t/$id/f"
mc unlock "$id"
mc gc > /dev/null
with_cache sh -c 'echo y > "$MONOCACHE_PATH/f"; echo "$MONOCACHE_ID" > "$0"; kill -9 $$' "$T/id" \
    2> /dev/null
id=$(cat "$T/id")
eventually 20 gone "$ROOT/cache/$id"
ok "SIGKILLed: the watcher uploads, then wipes" awsq s3api head-object --bucket testbucket --key "t/$id/meta.json"

# --- 6. Faults: retried, or a clear error and nothing lost.
order fail 4 503
with_cache sh -c 'echo r > "$MONOCACHE_PATH/f"; echo "$MONOCACHE_ID" > "$0"' "$T/id" 2> "$T/err"
id=$(cat "$T/id")
like "503 at the start: the bucket check only warns, the program runs" "$(cat "$T/err")" \
    "warning: s3://testbucket/t: not reachable now .*503.*the program runs"
like "503 SlowDown four times: retried" "$(requests)" "503"
ok "... and uploaded in the end" awsq s3api head-object --bucket testbucket --key "t/$id/f"
order drop 3
with_cache sh -c 'echo d > "$MONOCACHE_PATH/f"; echo "$MONOCACHE_ID" > "$0"' "$T/id" 2> /dev/null
id=$(cat "$T/id")
like "dropped connections: retried" "$(requests)" "dropped"
ok "... uploaded in the end" awsq s3api head-object --bucket testbucket --key "t/$id/f"
# 403 from the moment the program runs (the check before it passed).
order
with_cache sh -c 'echo forbid > "$1"; echo f > "$MONOCACHE_PATH/f"; echo "$MONOCACHE_ID" > "$0"; exit 7' \
    "$T/id" "$T/control" 2> "$T/err"
status=$?
out=$(cat "$T/err")
id=$(cat "$T/id")
is "403 at the release: the program's status kept" "$status" 7
like "... one clear line" "$out" "access denied \(HTTP 403"
is "... not retried (one request, the listing)" "$(grep -c 403 "$T/requests")" 1
ok "... the cache kept here" test -f "$ROOT/cache/$id/f"
like "... marked pending" "$(cat "$ROOT/cache/$id/meta.json")" '"s3_pending":true'
order
like "gc finishes the upload" "$(mc gc)" "uploaded $id to s3://testbucket/t/$id/"
ok "... and wipes it" gone "$ROOT/cache/$id"
ok "... it is in S3" awsq s3api head-object --bucket testbucket --key "t/$id/f"
refute "... without the pending mark" sh -c "aws --endpoint-url http://127.0.0.1:$S3_PORT s3 cp s3://testbucket/t/$id/meta.json - | grep -q s3_pending"

rm -f "$T/ran"
out=$(MONOCACHE_S3=s3://nobucket/x with_cache sh -c ': > "$0"' "$T/ran" 2>&1)
is "a bucket that does not exist: the tree does not start (125)" "$?" 125
like "... one clear line" "$out" "^monocache: MONOCACHE_S3=s3://nobucket/x: .*NoSuchBucket"
is "... one line" "$(printf '%s\n' "$out" | wc -l)" 1
refute "... the program never ran" test -e "$T/ran"

# The bucket gone between the start and the end: one line, the cache kept.
awsq s3 mb s3://goneb > /dev/null
MONOCACHE_S3=s3://goneb/x with_cache sh -c 'echo "$MONOCACHE_ID" > "$0"; aws --endpoint-url "$1" s3 rb s3://goneb > /dev/null' \
    "$T/id" "http://127.0.0.1:$S3_PORT" 2> "$T/err"
out=$(cat "$T/err")
id=$(cat "$T/id")
like "a bucket gone before the release: a clear error" "$out" "NoSuchBucket"
is "... in one line" "$(printf '%s\n' "$out" | wc -l)" 1
like "... saying what was kept and how to finish" "$out" "^monocache: cache $id: upload to s3://goneb/x failed: .*; kept here, marked s3_pending: monocache push \(or gc\) finishes it$"
ok "... nothing wiped" test -d "$ROOT/cache/$id"
out=$(mc rm "$id" 2>&1)
is "rm of a cache whose upload did not complete: refused" "$?" 1
like "... saying how to finish it" "$out" "upload to S3 did not complete; monocache push $id finishes it, rm --force"
ok "rm --force wipes it" mc rm --force "$id"
ok "... gone" gone "$ROOT/cache/$id"

# The server gone in the middle of an upload (a slow proxy, then the proxy
# killed: connections reset, then refused). Killing s3rver itself would
# also do, but can leave its own store half written.
order slow 300
with_cache sh -c 'for i in $(seq 40); do echo $i > "$MONOCACHE_PATH/f$i"; done; echo "$MONOCACHE_ID" > "$0"' \
    "$T/id" 2> "$T/err" &
tree=$!
eventually 20 grep -q "PUT" "$T/requests"
kill "$PROXY_PID"
wait "$PROXY_PID" 2> /dev/null
wait "$tree"
id=$(cat "$T/id")
ok "server gone mid-upload: the cache is kept" test -f "$ROOT/cache/$id/f40"
like "... one line" "$(cat "$T/err")" "upload to s3://testbucket/t failed"
order
rm -f "$T/proxy.port"
"$PY" "$top/tests/s3/faultproxy.py" "$S3_PORT" "$T/proxy.port" "$T/control" "$T/requests" \
    "${PROXY##*:}" &
PROXY_PID=$!
eventually 20 test -s "$T/proxy.port"
out=$(mc pull "s3://testbucket/t/$id" 2>&1)
like "... meanwhile, no pull takes the incomplete copy in S3" "$out" \
    "not a complete cache|held by a tree|changes not uploaded yet"
ok "monocache push completes it" mc push "$id"
is "... every file there" "$(awsq s3 ls "s3://testbucket/t/$id/" | grep -c ' f[0-9]')" 40
refute "... and the pending mark is gone" grep -q s3_pending "$ROOT/cache/$id/meta.json"
mc gc > /dev/null

# An incomplete cache in S3 (no meta.json): refused.
echo x | awsq s3 cp --quiet - "s3://testbucket/t/0b9c5f7e-3d2a-4c1e-9f6b-2a7d8e4c1b05/f"
out=$(mc pull s3://testbucket/t/0b9c5f7e-3d2a-4c1e-9f6b-2a7d8e4c1b05 2>&1)
is "pull of a cache without meta.json: fails" "$?" 1
like "... saying so" "$out" "not a complete cache \(no meta.json"
ok "... nothing made here" gone "$ROOT/cache/0b9c5f7e-3d2a-4c1e-9f6b-2a7d8e4c1b05"

# --- 7. ls --s3, rm --s3.
out=$(mc ls --s3 s3://testbucket/t)
like "ls --s3 lists the caches" "$out" "$id +[0-9]+ +[0-9.]+[BKM] +yes"
like "... an incomplete one says so" "$out" "0b9c5f7e-3d2a-4c1e-9f6b-2a7d8e4c1b05 .* no \(no meta.json\)"
"$PY" -c 'import json, sys; rows = json.loads(sys.argv[1]); assert any(r["id"] == sys.argv[2] and r["complete"] for r in rows), rows' \
    "$(mc ls --s3 s3://testbucket/t --json)" "$id" && pass "... --json too" || fail "ls --s3 --json"
ok "rm --s3 deletes a cache" mc rm --s3 "s3://testbucket/t/$id"
is "... aws sees none of it" "$(awsq s3 ls "s3://testbucket/t/$id/" | wc -l)" 0
refute "... nor its index" awsq s3api head-object --bucket testbucket --key "t/.monocache/$id.json"

# --- 6b. Names S3 escapes in listings (encoding-type=url): space, +, %, UTF-8.
order
odd=$(printf 'a b+c%%41 caf\xc3\xa9.txt')
with_cache sh -c 'echo v > "$MONOCACHE_PATH/$1"; echo "$MONOCACHE_ID" > "$0"' "$T/id" "$odd"
id=$(cat "$T/id")
ok "a name with space, +, %41 and UTF-8: in S3 under that very key (aws)" \
    awsq s3api head-object --bucket testbucket --key "t/$id/$odd"
out=$(with_cache env MONOCACHE_EXISTING="s3://testbucket/t/$id" MONOCACHE_LOCK=1 sh -c 'cat "$MONOCACHE_PATH/$0"' "$odd")
is "... brought back under its name" "$out" v
order
mc push "$id" > /dev/null
is "... and a push after sends nothing (the listing's names are the files')" \
    "$(grep -v '^GET' "$T/requests" | grep -c "$id")" 0
mc unlock "$id" > /dev/null
mc gc > /dev/null

# --- 6c. A hostile cache in S3: nothing outside the cache is ever changed.
# "x" a link to a file outside, then "x" a setuid file: an index naming it
# twice is refused; "d" a directory of mode 0, files 06777: permission bits
# only, and always ours to update and wipe.
hid=11111111-1111-4111-8111-111111111111
put_hostile() {
    printf '{"id":"%s","created":"2026-01-01T00:00:00Z","s3":"s3://testbucket/exfil","s3_pending":true}\n' "$hid" |
        awsq s3 cp --quiet - "s3://testbucket/t/$hid/meta.json"
    printf '%s' "$1" | awsq s3 cp --quiet - "s3://testbucket/t/.monocache/$hid.json"
}
echo s > "$T/victim"
chmod 600 "$T/victim"
echo data | awsq s3 cp --quiet - "s3://testbucket/t/$hid/x"
put_hostile '{"version":1,"id":"'$hid'","entries":[{"path":"x","type":"link","mode":511,"mtime":"0","target":"'"$T/victim"'"},{"path":"x","type":"file","mode":3583,"mtime":"0","size":5}]}'
mc pull "s3://testbucket/t/$hid" > /dev/null 2>&1
is "an index naming a path twice: the victim outside keeps its mode" "$(stat -c %a "$T/victim")" 600
rm -rf "${ROOT:?}/cache/$hid"
echo data | awsq s3 cp --quiet - "s3://testbucket/t/$hid/d/f"
put_hostile '{"version":1,"id":"'$hid'","entries":[{"path":"d","type":"dir","mode":0,"mtime":"0"},{"path":"d/f","type":"file","mode":4095,"mtime":"1.5","size":5},{"path":"x","type":"file","mode":3583,"mtime":"0","size":5}]}'
out=$(mc pull "s3://testbucket/t/$hid" 2>&1)
is "modes from a stranger's index: no setuid, setgid or sticky" "$(stat -c %a "$ROOT/cache/$hid/x")" 777
is "... a directory of mode 0 stays ours (u+rwx)" "$(stat -c %a "$ROOT/cache/$hid/d")" 700
is "... a fraction of a second is one (.5 = 500 ms)" "$(stat -c %y "$ROOT/cache/$hid/d/f")" \
    "$(date -d @1.5 '+%Y-%m-%d %H:%M:%S.500000000 %z')"
like "... the pulled meta names where it came from, not the uploader's choice" \
    "$(cat "$ROOT/cache/$hid/meta.json")" '"s3":"s3://testbucket/t"'
refute "... and carries no pending mark" grep -q s3_pending "$ROOT/cache/$hid/meta.json"
mc rm "$hid" > /dev/null

# A local copy with changes not uploaded (its upload failed): never replaced.
echo data | awsq s3 cp --quiet - "s3://testbucket/t/$hid/x"
put_hostile '{"version":1,"id":"'$hid'","entries":[]}'
mc pull "s3://testbucket/t/$hid" > /dev/null 2>&1
echo precious > "$ROOT/cache/$hid/work"
mc meta "$hid" s3_pending=true > /dev/null
out=$(mc pull "s3://testbucket/t/$hid" 2>&1)
is "pull over a copy with changes not uploaded: refused" "$?" 1
like "... saying what to do" "$out" "changes not uploaded yet.*monocache push $hid first"
out=$(with_cache env MONOCACHE_EXISTING="s3://testbucket/t/$hid" MONOCACHE_LOCK=1 sh -c 'cat "$MONOCACHE_PATH/work"' 2>&1)
like "MONOCACHE_EXISTING=s3://... over it: the copy here is used as it is" "$out" "precious"
like "... with a warning" "$out" "has changes not uploaded yet.*using it as it is"
mc unlock "$hid" > /dev/null
mc gc > /dev/null

# Trees starting together on one cache in S3 share one download and one copy.
order slow 300
rm -f "$T"/start.*
starters=
for i in 1 2 3; do
    with_cache env MONOCACHE_EXISTING="s3://testbucket/t/$hid" sh -c \
        'cat "$MONOCACHE_PATH/x" > "$0"; echo "$MONOCACHE_PATH" >> "$0"; sleep 1' "$T/start.$i" \
        2> "$T/start.err.$i" &
    starters="$starters $!"
done
wait $starters
order
is "three trees starting together on one S3 cache: all three got it" \
    "$(cat "$T"/start.[123] | grep -c '^data$')" 3
is "... the same copy" "$(grep -h / "$T"/start.[123] | sort -u | wc -l)" 1
is "... and no errors" "$(cat "$T"/start.err.*)" ""
mc gc > /dev/null

# --- 7a. Downloads whose puller died: gc removes them, and only them.
stale=.pull-0b9c5f7e-3d2a-4c1e-9f6b-2a7d8e4c1b05.999999
mkdir -p "$ROOT/cache/$stale/d" "$ROOT/cache/.pull-0b9c5f7e-3d2a-4c1e-9f6b-2a7d8e4c1b05.999998" \
    "$ROOT/cache/.pull-0b9c5f7e-3d2a-4c1e-9f6b-2a7d8e4c1b05.999997" "$ROOT/cache/.pull-junk.1"
echo x > "$ROOT/cache/$stale/d/f"
touch -d '-2 minutes' "$ROOT/cache/$stale" "$ROOT/cache/.pull-0b9c5f7e-3d2a-4c1e-9f6b-2a7d8e4c1b05.999997" \
    "$ROOT/cache/.pull-junk.1"
rm -f "$T/locked"
flock "$ROOT/cache/.pull-0b9c5f7e-3d2a-4c1e-9f6b-2a7d8e4c1b05.999997" sh -c ': > "$0"; sleep 30' "$T/locked" &
holder=$!
eventually 10 test -e "$T/locked"
like "gc --dry-run: would remove a dead puller's download" "$(mc gc --dry-run)" "would remove $stale"
ok "... still there" test -f "$ROOT/cache/$stale/d/f"
like "gc removes it" "$(mc gc)" "removed $stale"
ok "... gone" gone "$ROOT/cache/$stale"
ok "... not a fresh one (its puller may be starting)" test -d "$ROOT/cache/.pull-0b9c5f7e-3d2a-4c1e-9f6b-2a7d8e4c1b05.999998"
ok "... not one whose puller lives (flock)" test -d "$ROOT/cache/.pull-0b9c5f7e-3d2a-4c1e-9f6b-2a7d8e4c1b05.999997"
ok "... not a name that is not ours" test -d "$ROOT/cache/.pull-junk.1"
kill "$holder" 2> /dev/null
wait "$holder" 2> /dev/null
rm -rf "$ROOT/cache/.pull-"*

# --- 7b. run --s3 and run --existing s3://...
out=$(env -u MONOCACHE_S3 "$MC_BIN" run --root "$ROOT" --s3 s3://testbucket/r -- \
    sh -c 'echo run > "$MONOCACHE_PATH/f"; echo "$MONOCACHE_ID"')
id=$out
ok "run --s3: in S3 when run returns" awsq s3api head-object --bucket testbucket --key "r/$id/f"
ok "... wiped here" gone "$ROOT/cache/$id"
out=$(env -u MONOCACHE_S3 "$MC_BIN" run --root "$ROOT" --existing "s3://testbucket/r/$id" -- \
    sh -c 'cat "$MONOCACHE_PATH/f"; echo more > "$MONOCACHE_PATH/g"')
is "run --existing s3://...: the program sees it" "$out" run
ok "... and it goes back home at the end (meta \"s3\")" \
    awsq s3api head-object --bucket testbucket --key "r/$id/g"
out=$("$MC_BIN" run --root "$ROOT" -- "$MC_BIN" run --s3 s3://testbucket/elsewhere -- true 2>&1)
is "run --s3 inside a tree going elsewhere: 125" "$?" 125
like "... saying where the tree's cache goes" "$out" \
    "run: --s3 s3://testbucket/elsewhere: this tree's cache goes to s3://testbucket/t at its release; add --new"
out=$(env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY HOME="$T" "$MC_BIN" run --root "$ROOT" \
    --s3 s3://testbucket/r -- touch "$T/ran" 2>&1)
is "run --s3 without credentials: 125" "$?" 125
refute "... before the program" test -e "$T/ran"

# --- 8. Settings: one line naming the setting, 125 before main.
refused_before_main '(MONOCACHE_S3=s3://[^:]*: )?' \
    "MONOCACHE_S3=http://bucket/x" "MONOCACHE_S3=s3://b" "MONOCACHE_S3_JOBS=0" \
    "MONOCACHE_S3_ASYNC=maybe" "MONOCACHE_S3_MULTIPART_MB=4" "MONOCACHE_EXISTING=s3://testbucket/t/notanid" \
    "AWS_ENDPOINT_URL=ftp://x"
out=$(env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY HOME="$T" LD_PRELOAD="$PRELOAD" true 2>&1)
is "no credentials: exit 125" "$?" 125
like "... saying what to set" "$out" "^monocache: MONOCACHE_S3=s3://testbucket/t: no AWS credentials"
SECRET=sk-$$-very-secret
out=$(AWS_SECRET_ACCESS_KEY=$SECRET MONOCACHE_LOG=debug with_cache sh -c '
    for f in /proc/[0-9]*/cmdline; do tr "\0" " " < "$f"; echo; done > "$0"' "$T/cmdlines" 2>&1)
refute "secrets never in logs" grep -q -- "$SECRET" <<< "$out"
refute "... nor in any process's command line" grep -q -- "$SECRET" "$T/cmdlines"

# --- 9. MONOCACHE_S3_ASYNC=1: the program's end does not wait; the upload happens.
# Each request slowed by 1 s: the upload takes five.
order slow 1000
t0=$SECONDS
MONOCACHE_S3_ASYNC=1 with_cache sh -c 'echo a > "$MONOCACHE_PATH/f"; echo "$MONOCACHE_ID" > "$0"' "$T/id"
id=$(cat "$T/id")
ok "async: the tree's end does not wait for the upload" test -f "$ROOT/cache/$id/f"
refute "... not in S3 yet" awsq s3api head-object --bucket testbucket --key "t/$id/meta.json"
is "... returned at once" "$((SECONDS - t0 < 4))" 1
eventually 30 gone "$ROOT/cache/$id"
order
ok "... then uploaded, then wiped" awsq s3api head-object --bucket testbucket --key "t/$id/meta.json"

kill "$PROXY_PID" "$S3RVER_PID" 2> /dev/null
wait "$PROXY_PID" "$S3RVER_PID" 2> /dev/null
finish
