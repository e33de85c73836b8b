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

finish
