#!/bin/bash
# t99-s3-hangs.sh — S3 that hangs or is too big, against s3rver behind the
# fault proxy (lib-s3.sh): a server that accepts and never answers, or
# answers a byte at a time, holds a program's end at most
# MONOCACHE_S3_TIMEOUT_S (then its cache stays here, marked, and the upload
# goes on); the start-up bucket check is bounded by it too. Listings of more
# than 100,000 objects. Then a test build with small limits (the starter's
# timeout, listing pages, objects per cache): a slow pull before main is
# waited for, and what no pull could read is refused.
. "$(dirname "$0")/lib.sh"
. "$here/lib-s3.sh"
start_s3
export MONOCACHE_S3=s3://testbucket/t MONOCACHE_S3_TIMEOUT_S=2

# --- A release whose upload hangs: the program's end waits 2 s at most.
hang_at_release() {
    local what=$1
    shift
    order "$@"
    rm -f "$T/status"
    (
        with_cache sh -c 'echo slow > "$MONOCACHE_PATH/f"; echo "$MONOCACHE_ID" > "$0"; exit 7' \
            "$T/id" 2> "$T/err"
        echo $? > "$T/status"
    ) &
    if eventually 60 test -s "$T/status"; then
        pass "$what: the program's end goes on"
    else
        fail "$what: the program's end goes on" "it had not ended 60 s later"
    fi
    id=$(cat "$T/id")
    is "... its status unchanged" "$(cat "$T/status")" 7
    like "... one line saying so" "$(cat "$T/err")" \
        "^monocache: warning: cache $id: its upload to s3://testbucket/t is not done after 2 s \(MONOCACHE_S3_TIMEOUT_S\); .*marked s3_pending, until it is done$"
    is "... one line" "$(wc -l < "$T/err")" 1
    like "... the cache kept here, marked" "$(cat "$ROOT/cache/$id/meta.json")" '"s3_pending":true'
    refute "... nothing in S3 passes for it" \
        awsq s3api head-object --bucket testbucket --key "t/$id/meta.json"
    order
    ok "... once S3 answers, the upload goes on to its end, then the wipe" \
        eventually 60 gone "$ROOT/cache/$id"
    ok "... it is in S3" awsq s3api head-object --bucket testbucket --key "t/$id/meta.json"
}
hang_at_release "S3 accepts PUTs and never answers" silent PUT
hang_at_release "S3 answers PUTs a byte every 300 ms" trickle PUT

# --- The start-up check: a server that never answers lets the program run.
order silent GET
rm -f "$T/ran"
with_cache sh -c ': > "$0"' "$T/ran" 2> "$T/err" &
tree=$!
eventually 60 test -e "$T/ran"
order
wait "$tree"
ok "the bucket check gets no answer: the program runs" test -e "$T/ran"
like "... with one warning (bounded by MONOCACHE_S3_TIMEOUT_S)" "$(cat "$T/err")" \
    "^monocache: warning: s3://testbucket/t: not reachable now \(.*no answer within 2 s.*\); the program runs"
mc gc > /dev/null

# --- More than 100,000 objects in one cache: listed whole (1001 pages made
# up by the proxy among the real objects).
MONOCACHE_S3=s3://testbucket/big with_cache sh -c 'echo g > "$MONOCACHE_PATH/g"; echo "$MONOCACHE_ID" > "$0"' \
    "$T/id"
id=$(cat "$T/id")
order biglist "big/$id/" 101000
out=$(mc ls --s3 s3://testbucket/big 2>&1)
like "a cache of 101,002 objects: ls --s3 lists it whole" "$out" "^NAME .*"$'\n'"$id .* 101002 .* yes$"
out=$(mc pull "s3://testbucket/big/$id" 2>&1)
like "... a pull reads its listing whole, and takes what the index names" "$out" \
    "101000 objects under s3 big/$id/ not in the cache's index .*skipped"
is "... its file" "$(cat "$ROOT/cache/$id/g")" g
order
mc gc > /dev/null

# --- A test build with small limits.
CPPFLAGS_TEST='-DMC_ASK_TIMEOUT_MS=1500 -DMC_BUSY_INTERVAL_MS=300 -DMC_S3_LIST_PAGES_MAX=20 -DMC_S3_OBJECTS_MAX=50'
mkdir -p "$T/out"
if ! make -s -C "$top" -j2 all O="$T/build" OUT="$T/out" CPPFLAGS="$CPPFLAGS_TEST" \
        > "$T/build.log" 2>&1; then
    fail "a test build with $CPPFLAGS_TEST" "$(tail -5 "$T/build.log")"
    finish
    exit
fi
small() {
    LD_PRELOAD=$T/out/libmonocache.so "$@"
}

# A pull before main slower than the starter's timeout (1.5 s here): the
# watcher says busy, the starter waits, the program runs.
with_cache sh -c 'for f in a b c; do echo $f > "$MONOCACHE_PATH/$f"; done; echo "$MONOCACHE_ID" > "$0"' \
    "$T/id"
id=$(cat "$T/id")
order slow 800
out=$(small env MONOCACHE_EXISTING="s3://testbucket/t/$id" sh -c 'cat "$MONOCACHE_PATH/a" "$MONOCACHE_PATH/c"' 2>&1)
status=$?
order
is "a pull slower than the starter's timeout: the program runs" "$status" 0
is "... with the cache" "$out" $'a\nc'
ok "... and back to S3 at its end" eventually 60 gone "$ROOT/cache/$id"

# A listing still truncated after its most pages: an error, never a
# listing taken for whole.
order biglist "t/$id/" 40 2
out=$("$T/out/monocache" pull "s3://testbucket/t/$id" 2>&1)
is "a listing truncated after 20 pages (the most, in this build): pull fails" "$?" 1
like "... saying so" "$out" "still not whole after 20 pages; refused"
order

# More files than a listing may hold (50 here): never uploaded.
small sh -c 'for i in $(seq 60); do : > "$MONOCACHE_PATH/f$i"; done; echo "$MONOCACHE_ID" > "$0"' \
    "$T/id" 2> "$T/err"
id=$(cat "$T/id")
like "a cache of 61 files and links (more than 50, in this build): refused" "$(cat "$T/err")" \
    "61 files and links, more than the 50 a cache in S3 may hold .*not uploaded"
is "... nothing of it in S3" "$(awsq s3 ls "s3://testbucket/t/$id/" | wc -l)" 0
ok "... kept here, marked" grep -q '"s3_pending":true' "$ROOT/cache/$id/meta.json"
mc rm --force "$id" > /dev/null

finish
