#!/bin/bash
# t97-s3-release.sh — when a cache goes to S3 at its release, against
# s3rver behind the proxy (lib-s3.sh): a locked cache is uploaded and kept,
# a SIGKILLed tree's watcher still uploads, MONOCACHE_S3_ASYNC=1 lets the
# program's end go before the upload, and run --s3 / run --existing s3://.
. "$(dirname "$0")/lib.sh"
. "$here/lib-s3.sh"
start_s3
export MONOCACHE_S3=s3://testbucket/t

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


# --- 9. MONOCACHE_S3_ASYNC=1: the program's end does not wait; the upload happens.
# The proxy holds every PUT until told: the upload cannot finish before the
# tree's end is seen, however slow or fast the machine.
order hold PUT
rm -f "$T/async.status"
(
    MONOCACHE_S3_ASYNC=1 with_cache sh -c 'echo a > "$MONOCACHE_PATH/f"; echo "$MONOCACHE_ID" > "$0"' "$T/id"
    echo $? > "$T/async.status"
) &
tree=$!
if eventually 30 test -s "$T/async.status"; then
    pass "async: the tree's end does not wait for the upload (its PUTs held meanwhile)"
else
    fail "async: the tree's end does not wait for the upload (its PUTs held meanwhile)" \
        "the tree had not ended 30 s later"
fi
id=$(cat "$T/id")
ok "... the local copy still here" test -f "$ROOT/cache/$id/f"
refute "... not in S3 yet" awsq s3api head-object --bucket testbucket --key "t/$id/meta.json"
order
wait "$tree"
eventually 30 gone "$ROOT/cache/$id"
order
ok "... then uploaded, then wiped" awsq s3api head-object --bucket testbucket --key "t/$id/meta.json"


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

# --- 10. Pull and trees on one copy exclude each other; the lock is this
# host's. A cache in S3, a copy here, and S3 moved on (pushed from root2).
with_cache sh -c 'echo v1 > "$MONOCACHE_PATH/f"; echo "$MONOCACHE_ID" > "$0"' "$T/id"
id=$(cat "$T/id")
mkdir -p "$T/root2"
s3_moves_on() {
    rm -rf "${T:?}/root2/cache/$id"
    MONOCACHE_ROOT=$T/root2 mc pull "s3://testbucket/t/$id" > /dev/null
    echo "$1" > "$T/root2/cache/$id/f"
    MONOCACHE_ROOT=$T/root2 mc push "$id" > /dev/null
}
mc pull "s3://testbucket/t/$id" > /dev/null
rm -f "$T/inside" "$T/letgo"
with_cache env MONOCACHE_EXISTING="$id" sh -c ': > "$0"; while [ ! -e "$1" ]; do sleep 0.05; done' \
    "$T/inside" "$T/letgo" &
tree=$!
eventually 20 test -e "$T/inside"
s3_moves_on v2
out=$(mc pull "s3://testbucket/t/$id" 2>&1)
is "pull over a copy a tree holds: refused" "$?" 1
like "... saying so" "$out" "is held by a tree here; pull when it ends"
is "... the copy untouched" "$(cat "$ROOT/cache/$id/f")" v1
: > "$T/letgo"
wait "$tree"
is "... at its release, merged: the other host's change kept (the tree did not change f)" \
    "$(awsq s3 cp --quiet "s3://testbucket/t/$id/f" -)" v2
mc pull "s3://testbucket/t/$id" > /dev/null

# Waiting at the pull's first file, a pull holds its guard: a tree that
# starts on the copy meanwhile waits, then gets the new copy.
guard_waiters() {
    [ "$(find /proc/[0-9]*/fd -lname "$ROOT/run/$id.pull" 2> /dev/null | wc -l)" -ge "$1" ]
}
held_pull() {
    order holdfirst GET "/t/$id/f"
    mc pull "s3://testbucket/t/$id" > "$T/pull.out" 2>&1 &
    puller=$!
    eventually 20 grep -q held "$T/requests"
}
s3_moves_on v3
held_pull
rm -f "$T/seen"
with_cache env MONOCACHE_EXISTING="$id" sh -c 'cat "$MONOCACHE_PATH/f" > "$0"' "$T/seen" &
tree=$!
eventually 20 guard_waiters 2
order
wait "$puller"
is "a tree starting on the copy during a pull: the pull completes" "$?" 0
wait "$tree"
is "... and the tree, once it could start, saw the new copy" "$(cat "$T/seen")" v3

# A tree's lock file appearing before the pull's rename: the pull stops, the
# copy as it was.
mc pull "s3://testbucket/t/$id" > /dev/null
s3_moves_on v4
held_pull
: > "$ROOT/run/$id.lock"
order
wait "$puller"
is "a tree holding the copy before the pull's rename: the pull fails" "$?" 1
like "... saying so" "$(cat "$T/pull.out")" "a tree started using it while the pull ran; kept as it was"
is "... the copy as it was" "$(cat "$ROOT/cache/$id/f")" v3
is "... nothing else left" "$(ls -A "$ROOT/cache" | grep -c '^\.')" 0
rm -f "$ROOT/run/$id.lock"

# monocache lock during a pull: it returned 0, so the copy stays locked.
held_pull
ok "monocache lock during a pull returns 0" mc lock "$id"
order
wait "$puller"
is "... the pull completes" "$?" 0
is "... with the new files" "$(cat "$ROOT/cache/$id/f")" v4
is "... and the lock taken meanwhile" "$(mc meta "$id" --get locked)" true

# The lock is this host's decision: pushed locked, pulled unlocked.
mc push "$id" > /dev/null
like "(meta.json in S3 says locked)" "$(awsq s3 cp --quiet "s3://testbucket/t/$id/meta.json" -)" '"locked":true'
mc rm --force "$id" > /dev/null
mc pull "s3://testbucket/t/$id" > /dev/null
is "a cache pushed locked comes back unlocked here" "$(mc meta "$id" --get locked)" false
# Another host uses the copy (the Redis register counts it): never replaced.
. "$here/lib-redis.sh"
RPORT=$(free_port)
start_redis "$T/redis" "$RPORT"
redis-cli -s "$T/redis/redis.sock" HINCRBY CACHE_REGISTER "$ROOT/cache/$id/" 1 > /dev/null
out=$(MONOCACHE_REDIS=redis://127.0.0.1:$RPORT mc pull "s3://testbucket/t/$id" 2>&1)
is "pull over a copy the Redis register counts users of: refused" "$?" 1
like "... saying so" "$out" "is in use elsewhere \(the Redis register counts its users"
out=$(MONOCACHE_REDIS=redis://127.0.0.1:$RPORT with_cache env MONOCACHE_EXISTING="s3://testbucket/t/$id" \
    MONOCACHE_S3_ASYNC=1 true 2>&1)
like "... MONOCACHE_EXISTING=s3://... uses it as it is" "$out" "is in use elsewhere .*using it as it is"
redis-cli -s "$T/redis/redis.sock" DEL CACHE_REGISTER > /dev/null
mc gc > /dev/null
rm -rf "$T/root2"

# --- 11. What the release keeps, and what it uploads anyway.
# Another process holds a flock() on the cache directory for longer than
# the release waits (5 s): the cache is kept, marked, and what S3 has is
# whole or nothing.
rm -f "$T/go" "$T/flocked" "$T/unflock" "$T/id"
with_cache sh -c 'echo x > "$MONOCACHE_PATH/f"; echo "$MONOCACHE_ID" > "$0"
    while [ ! -e "$1" ]; do sleep 0.05; done' "$T/id" "$T/go" 2> "$T/err" &
tree=$!
eventually 20 test -s "$T/id"
id=$(cat "$T/id")
flock "$ROOT/cache/$id" sh -c ': > "$0"; while [ ! -e "$1" ]; do sleep 0.05; done' \
    "$T/flocked" "$T/unflock" &
locker=$!
atexit ': > "$T/unflock"'
eventually 20 test -e "$T/flocked"
: > "$T/go"
wait "$tree"
like "a release while the directory stays flock()ed: one line" "$(cat "$T/err")" \
    "cache $id: uploaded, but .*; kept here, marked s3_pending"
ok "... the cache kept" test -f "$ROOT/cache/$id/f"
like "... marked" "$(cat "$ROOT/cache/$id/meta.json")" '"s3_pending":true'
mkdir -p "$T/root3"
ok "... what S3 has is a whole cache (a pull takes it)" \
    env MONOCACHE_ROOT="$T/root3" "$MC_BIN" pull "s3://testbucket/t/$id"
is "... as aws reads it" "$(awsq s3 cp --quiet "s3://testbucket/t/$id/f" -)" x
: > "$T/unflock"
wait "$locker"
eventually 20 gone "$ROOT/run/$id.lock"
like "... still marked once the lock is gone" "$(cat "$ROOT/cache/$id/meta.json")" '"s3_pending":true'
mc push "$id" > /dev/null
mc gc > /dev/null
rm -rf "$T/root3"

# rm -rf "$MONOCACHE_PATH"/* in the tree: meta.json went too, uploaded anyway.
with_cache sh -c 'echo "$MONOCACHE_ID" > "$0"; echo x > "$MONOCACHE_PATH/f"; rm -rf "$MONOCACHE_PATH"/*
    echo late > "$MONOCACHE_PATH/g"' "$T/id"
id=$(cat "$T/id")
is "rm -rf \$MONOCACHE_PATH/* in a tree with MONOCACHE_S3: uploaded anyway (aws)" \
    "$(awsq s3 ls "s3://testbucket/t/$id/" | awk '{print $4}' | tr '\n' ' ')" "g meta.json "
ok "... and wiped here" gone "$ROOT/cache/$id"
# meta.json rewritten without "s3": the tree's setting still holds.
with_cache sh -c 'echo "$MONOCACHE_ID" > "$0"; echo "{\"id\":\"$MONOCACHE_ID\"}" > "$MONOCACHE_PATH/meta.json"' \
    "$T/id"
id=$(cat "$T/id")
ok "meta.json rewritten without \"s3\": uploaded" \
    awsq s3api head-object --bucket testbucket --key "t/$id/meta.json"
ok "... and wiped here" gone "$ROOT/cache/$id"
# "s3": null: the user turned it off.
with_cache sh -c 'echo "$MONOCACHE_ID" > "$0"; "$1" meta "$MONOCACHE_ID" s3=null > /dev/null' \
    "$T/id" "$MC_BIN"
id=$(cat "$T/id")
is "\"s3\": null: not uploaded" "$(awsq s3 ls "s3://testbucket/t/$id/" | wc -l)" 0
ok "... and wiped here" gone "$ROOT/cache/$id"

finish
