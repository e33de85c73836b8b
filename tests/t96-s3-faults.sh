#!/bin/bash
# t96-s3-faults.sh — S3 that misbehaves, against s3rver behind a proxy that
# injects faults on order (lib-s3.sh): 503s and dropped connections retried,
# 403 and a bucket gone kept here with one clear line and finished by push
# or gc, the server gone mid-upload, caches in S3 that are incomplete or
# hostile (an index naming a path twice, modes no one should get), a local
# copy with changes not uploaded, downloads whose puller died.
. "$(dirname "$0")/lib.sh"
. "$here/lib-s3.sh"
start_s3
export MONOCACHE_S3=s3://testbucket/t

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
stop_proxy
wait "$tree"
id=$(cat "$T/id")
ok "server gone mid-upload: the cache is kept" test -f "$ROOT/cache/$id/f40"
like "... one line" "$(cat "$T/err")" "upload to s3://testbucket/t failed"
order
start_proxy "${PROXY##*:}"
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
like "... the pulled meta: read-only (\"s3\": null), not the uploader's choice" \
    "$(cat "$ROOT/cache/$hid/meta.json")" '"s3":null'
mc pull --upload "s3://testbucket/t/$hid" > /dev/null 2>&1
like "... pull --upload: where it came from, not the uploader's choice" \
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


# --- 7a. Downloads whose puller died: gc removes them, and only them.
stale=.pull-0b9c5f7e-3d2a-4c1e-9f6b-2a7d8e4c1b05.999999
mkdir -p "$ROOT/cache/$stale/d" "$ROOT/cache/.pull-0b9c5f7e-3d2a-4c1e-9f6b-2a7d8e4c1b05.999998" \
    "$ROOT/cache/.pull-0b9c5f7e-3d2a-4c1e-9f6b-2a7d8e4c1b05.999997" "$ROOT/cache/.pull-_junk.1"
echo x > "$ROOT/cache/$stale/d/f"
touch -d '-2 minutes' "$ROOT/cache/$stale" "$ROOT/cache/.pull-0b9c5f7e-3d2a-4c1e-9f6b-2a7d8e4c1b05.999997" \
    "$ROOT/cache/.pull-_junk.1"
# The live puller: a shell that flock()s the download, then becomes the
# sleep that holds it (one pid, which kill ends, and the lock with it).
rm -f "$T/locked"
sh -c 'exec 9< "$1" && flock 9 && : > "$0" && exec sleep 30' "$T/locked" \
    "$ROOT/cache/.pull-0b9c5f7e-3d2a-4c1e-9f6b-2a7d8e4c1b05.999997" &
holder=$!
atexit '[ -z "$holder" ] || kill "$holder"'
eventually 10 test -e "$T/locked"
like "gc --dry-run: would remove a dead puller's download" "$(mc gc --dry-run)" "would remove $stale"
ok "... still there" test -f "$ROOT/cache/$stale/d/f"
like "gc removes it" "$(mc gc)" "removed $stale"
ok "... gone" gone "$ROOT/cache/$stale"
ok "... not a fresh one (its puller may be starting)" test -d "$ROOT/cache/.pull-0b9c5f7e-3d2a-4c1e-9f6b-2a7d8e4c1b05.999998"
ok "... not one whose puller lives (flock)" test -d "$ROOT/cache/.pull-0b9c5f7e-3d2a-4c1e-9f6b-2a7d8e4c1b05.999997"
ok "... not a name that is not ours" test -d "$ROOT/cache/.pull-_junk.1"
kill "$holder" 2> /dev/null
wait "$holder" 2> /dev/null
holder=
rm -rf "$ROOT/cache/.pull-"*

# --- Answers that prove nothing: a 200 with S3's <Error> body and no ETag,
# an answer without an ETag (the object was stored, unconfirmed), an ETag no
# server gives (90 characters), and one that does not match: each fails the
# upload, and the cache stays here, marked, nothing in S3 passing for it.
bad_answer() {
    local what=$1
    shift
    order "$@"
    with_cache sh -c 'echo abc > "$MONOCACHE_PATH/f"; echo "$MONOCACHE_ID" > "$0"' "$T/id" \
        2> "$T/err"
    id=$(cat "$T/id")
    order
    like "$what: the upload fails" "$(cat "$T/err")" "^monocache: cache $id: upload to s3://testbucket/t failed: .*; kept here, marked s3_pending"
    is "... in one line" "$(wc -l < "$T/err")" 1
    like "... the cache kept, marked" "$(cat "$ROOT/cache/$id/meta.json" 2> /dev/null)" '"s3_pending":true'
    refute "... no meta.json in S3 (aws)" awsq s3api head-object --bucket testbucket --key "t/$id/meta.json"
    mc push "$id" > /dev/null 2>&1
    mc gc > /dev/null
}
bad_answer "200 with an <Error> body, no ETag" fake200 PUT
like "... saying S3's error" "$(cat "$T/err")" "InvalidRequest"
bad_answer "no ETag in the answers" noetag PUT
like "... saying so" "$(cat "$T/err")" "no usable ETag"
bad_answer "an ETag of 90 characters" etag PUT "$(printf 'a%.0s' $(seq 90))"
bad_answer "a file's ETag that does not match (the index's and meta.json's do)" \
    etag PUT 0123456789abcdef0123456789abcdef "/f"
like "... saying so" "$(cat "$T/err")" "ETag does not match what was sent"
ok "... gc finished them once S3 answered well" test -z "$(caches)"

# --- A server that answers a key outside the prefix listed: never acted on.
with_cache sh -c 'echo in > "$MONOCACHE_PATH/f"; echo "$MONOCACHE_ID" > "$0"' "$T/id"
id=$(cat "$T/id")
echo precious | awsq s3 cp --quiet - "s3://testbucket/t/elsewhere/evil"
order inject "t/elsewhere/evil"
out=$(mc pull "s3://testbucket/t/$id" 2>&1)
like "a listing naming a key outside its prefix: pull refuses" "$out" "a key outside it; refused"
out=$(mc rm --s3 "s3://testbucket/t/$id" 2>&1)
is "... rm --s3 refuses too" "$?" 1
order
is "... the object outside is still there (aws)" \
    "$(awsq s3 cp --quiet "s3://testbucket/t/elsewhere/evil" -)" precious
ok "... and the cache untouched" awsq s3api head-object --bucket testbucket --key "t/$id/meta.json"

# --- A listing that goes round in circles (the same continuation token):
# never taken for a whole one.
order listloop
out=$(mc pull "s3://testbucket/t/$id" 2>&1)
is "a listing repeating its continuation token: pull fails" "$?" 1
like "... saying so" "$out" "same continuation token twice"
out=$(mc ls --s3 s3://testbucket/t 2>&1)
like "... ls --s3 too" "$out" "same continuation token twice"
order

# --- A pull that fails leaves the copy here as it was: the index's GET
# refused, or a file's.
mc pull "s3://testbucket/t/$id" > /dev/null
is "a pull into a copy here leaves no copy in the making" "$(ls -A "$ROOT/cache" | grep -c '^\.pull-')" 0
echo mine > "$ROOT/cache/$id/extra"
echo "not S3's" > "$ROOT/cache/$id/f"
before=$(cd "$ROOT/cache/$id" && find . -printf '%p %s %m %T@\n' | sort | md5sum)
order failkey "/t/.monocache/$id.json" 403
out=$(mc pull "s3://testbucket/t/$id" 2>&1)
is "the index's GET fails: the pull fails" "$?" 1
like "... saying why" "$out" "access denied"
is "... the copy here exactly as it was" \
    "$(cd "$ROOT/cache/$id" && find . -printf '%p %s %m %T@\n' | sort | md5sum)" "$before"
order failkey "/t/$id/f" 403
mc pull "s3://testbucket/t/$id" > /dev/null 2>&1
is "a file's GET fails: the pull fails" "$?" 1
is "... the copy here as it was" \
    "$(cd "$ROOT/cache/$id" && find . -printf '%p %s %m %T@\n' | sort | md5sum)" "$before"
is "... no copy in the making left" "$(ls -A "$ROOT/cache" | grep -c '^\.pull-')" 0
order
mc rm --force "$id" > /dev/null

# --- Two hosts push one cache at once. Here "host" 1 pushes its files and
# waits at its index while "host" 2 pushes all of it; then host 1 goes on.
with_cache sh -c 'echo one1 > "$MONOCACHE_PATH/a"; echo one1 > "$MONOCACHE_PATH/b"
    echo "$MONOCACHE_ID" > "$0"; "$1" lock "$MONOCACHE_ID"' "$T/id" "$MC_BIN" 2> /dev/null
id=$(cat "$T/id")
mkdir -p "$T/root2"
MONOCACHE_ROOT=$T/root2 mc pull "s3://testbucket/t/$id" > /dev/null
two_pushes() {
    printf '%s\n' "$1" > "$ROOT/cache/$id/a"
    printf '%s\n' "$1" > "$ROOT/cache/$id/b"
    printf '%s\n' "$2" > "$T/root2/cache/$id/a"
    printf '%s\n' "$2" > "$T/root2/cache/$id/b"
    order holdfirst PUT "/t/.monocache/$id.json"
    mc push "$id" > "$T/push1.out" 2>&1 &
    first=$!
    eventually 20 grep -q "held" "$T/requests"
    MONOCACHE_ROOT=$T/root2 mc push "$id" > "$T/push2.out" 2>&1
    echo "$?" > "$T/push2.status"
    order
    wait "$first"
    echo "$?" > "$T/push1.status"
}
contents() {
    cat "$1/a" "$1/b" | tr '\n' ' '
}
two_pushes two1 two2
is "without conditional writes (s3rver): both pushes report success" \
    "$(cat "$T/push1.status" "$T/push2.status" | tr '\n' ' ')" "0 0 "
rm -rf "$T/root3" && mkdir -p "$T/root3"
out=$(MONOCACHE_ROOT=$T/root3 mc pull "s3://testbucket/t/$id" 2>&1)
is "... the mix they left (host 2's files, host 1's index and meta.json): no pull takes it" "$?" 1
like "... saying why" "$out" "not the object recorded in the index of the last push"
ok "... a push again repairs it" mc push "$id"
MONOCACHE_ROOT=$T/root3 mc pull "s3://testbucket/t/$id" > /dev/null
is "... then it pulls, whole: host 1's" "$(contents "$T/root3/cache/$id")" "two1 two1 "
: > "$T/control.conditional"
two_pushes three1 three2
rm -f "$T/control.conditional"
is "with conditional writes (as AWS): host 2 done, host 1 told 412, merges, done" \
    "$(cat "$T/push1.status" "$T/push2.status" | tr '\n' ' ')" "0 0 "
like "... one warning: both changed the files, host 1's kept" "$(cat "$T/push1.out")" \
    "2 file\(s\) changed both here and by another push.*the first: a"
rm -rf "$T/root3" && mkdir -p "$T/root3"
MONOCACHE_ROOT=$T/root3 mc pull "s3://testbucket/t/$id" > /dev/null
like "... S3 holds one host's whole" "$(contents "$T/root3/cache/$id")" "^(three1 three1|three2 three2) $"
# meta.json of one push beside the index of another: refused.
awsq s3 cp --quiet "s3://testbucket/t/$id/meta.json" "$T/meta.2"
echo four > "$ROOT/cache/$id/a"
ok "host 1 pushes a change" mc push "$id"
awsq s3 cp --quiet "$T/meta.2" "s3://testbucket/t/$id/meta.json"
rm -rf "$T/root3" && mkdir -p "$T/root3"
out=$(MONOCACHE_ROOT=$T/root3 mc pull "s3://testbucket/t/$id" 2>&1)
like "meta.json of one push, the index of the next: refused" "$out" "meta.json and the index are not of one push"
ok "... nothing made" gone "$T/root3/cache/$id"
mc unlock "$id" > /dev/null
mc rm --force "$id" > /dev/null
rm -rf "$T/root2" "$T/root3"

# --- Keys with escape sequences and newlines never reach the terminal raw.
with_cache sh -c 'echo k > "$MONOCACHE_PATH/f"; echo "$MONOCACHE_ID" > "$0"' "$T/id"
id=$(cat "$T/id")
echo x | awsq s3 cp --quiet - "s3://testbucket/t/$id/$(printf 'a\033[2Jb\nc')"
out=$(mc pull "s3://testbucket/t/$id" 2>&1)
like "an S3 key with ESC [2J and a newline, named by a pull's warning: escaped" "$out" \
    'the first t/[-0-9a-f]+/a\\x1b\[2Jb\\x0ac; skipped'
refute "... no raw escape byte on the terminal" grep -q $'\033' <<< "$out"
is "... one line" "$(printf '%s\n' "$out" | grep -c .)" 2
mc rm --force "$id" > /dev/null

finish
