#!/bin/bash
# t95-s3-push-pull.sh — caches to S3 and back, against a real S3-compatible
# server (s3rver on loopback) behind the logging proxy (lib-s3.sh): every
# kind of entry uploaded at the release and brought back before main (what
# we upload is checked with the aws CLI), incremental push and pull, names
# S3 escapes in listings, ls --s3 and rm --s3, and trees starting together
# on one cache in S3.
. "$(dirname "$0")/lib.sh"
. "$here/lib-s3.sh"
start_s3

# --- 2. Uploaded at the release, wiped here; every kind of entry.
export MONOCACHE_S3=s3://testbucket/t
order
out=$(MONOCACHE_S3_MULTIPART_MB=16 with_cache sh -c '
    cd "$MONOCACHE_PATH" && echo "$MONOCACHE_ID" > "$0"
    echo hello > hello.txt; : > empty; mkdir -p deep/a/b/c/d/e empty-dir
    echo deep > deep/a/b/c/d/e/f; head -c 40000000 /dev/urandom > big
    chmod 640 hello.txt; chmod 711 deep; touch -d "2020-01-02 03:04:05.123456789" hello.txt
    echo s > small; touch -d "2020-01-02 03:04:05.000000123" small
    echo top > .monocache-pull.1; mkdir -p d; echo deep > d/.monocache-pull.2
    ln -s hello.txt link; ln -s /etc/passwd outside; mkfifo fifo
    cat deep/a/b/c/d/e/f; exit 3' "$T/id" 2> "$T/err"; echo "status $?")
id=$(cat "$T/id")
is "the program's status is kept" "${out##*status }" 3
ok "... the local copy is wiped after the upload" gone "$ROOT/cache/$id"
like "... the FIFO skipped with a warning" "$(cat "$T/err")" "fifo: not a regular file.*skipped"
listing=$(awsq s3api list-objects-v2 --bucket testbucket --prefix "t/$id/" --query 'Contents[].Key' --output text | tr '\t' '\n' | sort)
is "aws sees the objects (files named .monocache-pull.* too, at any depth: they are the user's)" \
    "$(echo "$listing" | tr '\n' ' ')" \
    "t/$id/.monocache-pull.1 t/$id/big t/$id/d/.monocache-pull.2 t/$id/deep/a/b/c/d/e/f t/$id/empty t/$id/hello.txt t/$id/link t/$id/meta.json t/$id/outside t/$id/small "
awsq s3 cp --quiet "s3://testbucket/t/$id/hello.txt" "$T/hello.aws"
is "... its content (aws s3 cp)" "$(cat "$T/hello.aws")" hello
like "... meta.json says where it lives" "$(awsq s3 cp --quiet "s3://testbucket/t/$id/meta.json" -)" \
    "\"s3\":\"s3://testbucket/t\""
ok "... the index beside it" awsq s3api head-object --bucket testbucket --key "t/.monocache/$id.json"
like "... the big file went in parts (multipart)" "$(requests)" "POST /testbucket/t/$id/big\?uploads="
is "... of 8 MiB (5 of them)" "$(grep -c "PUT /testbucket/t/$id/big?partNumber=" "$T/requests")" 5
like "... meta.json last, after the index" \
    "$(grep -E '^(PUT|POST) ' "$T/requests" | tail -2 | cut -d' ' -f2 | tr '\n' ' ')" \
    "^/testbucket/t/\.monocache/$id\.json /testbucket/t/$id/meta\.json $"
index=$(awsq s3 cp --quiet "s3://testbucket/t/.monocache/$id.json" -)
meta=$(awsq s3 cp --quiet "s3://testbucket/t/$id/meta.json" -)
"$PY" - "$index" "$meta" <<'PY' && pass "... of one generation, the index recording every object's ETag" || fail "index and meta.json of one generation"
import json, sys
index, meta = json.loads(sys.argv[1]), json.loads(sys.argv[2])
assert len(index["generation"]) == 32 and index["generation"] == meta["s3_generation"], (index, meta)
files = [e for e in index["entries"] if e["type"] == "file" and e["path"] != "meta.json"]
assert files and all(len(e["etag"]) >= 32 and "ctime" in e for e in files), files
PY

# --- 3. Brought back before main, and what pull restores.
order
out=$(with_cache env MONOCACHE_EXISTING="s3://testbucket/t/$id" sh -c '
    cd "$MONOCACHE_PATH" && cat deep/a/b/c/d/e/f && readlink link outside &&
    stat -c "%a %y" hello.txt deep small && test -d empty-dir && test -f empty && ! test -s empty &&
    cat .monocache-pull.1 d/.monocache-pull.2 &&
    test ! -e fifo && md5sum < big' 2>&1)
like "MONOCACHE_EXISTING=s3://...: the program sees it" "$out" "^deep"
like "... links as links, never followed" "$out" $'hello.txt\n/etc/passwd'
like "... modes and mtimes (to the nanosecond)" "$out" "640 2020-01-02 03:04:05.123456789"
like "... 123 ns is 123 ns (the index pads to nine digits)" "$out" "[0-7]{3} 2020-01-02 03:04:05.000000123 "
like "... files named .monocache-pull.* came back" "$out" $'top\ndeep'
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
# Rewritten with its size and mtime put back (touch -r, tar, rsync -t):
# only its ctime says so.
f=$ROOT/cache/$id/hello.txt
touch -r "$f" "$T/ref"
printf 'CHANGED\n' > "$f"
touch -r "$T/ref" "$f"
order
ok "a file rewritten, same size, its mtime put back: pushed" mc push "$id"
like "... it is sent (its ctime changed)" "$(requests)" "PUT /testbucket/t/$id/hello.txt"
is "... S3 has the new bytes (aws)" "$(awsq s3 cp --quiet "s3://testbucket/t/$id/hello.txt" -)" CHANGED
# The other way round: an index whose ctime, size and ETag match the file
# here but not its mtime (the bytes differ): it is read, and sent.
printf 'AGAIN!!\n' > "$f"
touch -d "2001-01-01 00:00:00" "$f"
awsq s3 cp --quiet "s3://testbucket/t/.monocache/$id.json" "$T/index.json"
"$PY" - "$T/index.json" "$(stat -c %.9Z "$f")" <<'PY'
import json, sys
path, ctime = sys.argv[1], sys.argv[2]
index = json.load(open(path))
for e in index["entries"]:
    if e["path"] == "hello.txt":
        e["ctime"] = ctime
json.dump(index, open(path, "w"))
PY
awsq s3 cp --quiet "$T/index.json" "s3://testbucket/t/.monocache/$id.json"
order
ok "an index agreeing on ctime, size and ETag, not on mtime: pushed" mc push "$id"
is "... S3 has the new bytes" "$(awsq s3 cp --quiet "s3://testbucket/t/$id/hello.txt" -)" 'AGAIN!!'
mc unlock "$id"
mc rm "$id"
mkdir -p "$ROOT/cache"
mc pull "s3://testbucket/t/$id" > /dev/null
echo local > "$ROOT/cache/$id/extra"
echo stale > "$ROOT/cache/$id/deep/a/b/c/d/e/f"
order
mc pull "s3://testbucket/t/$id" > /dev/null
is "a pull into a copy fetches only what changed (and meta.json, always read first)" \
    "$(grep '^GET' "$T/requests" | grep "/t/$id/" | grep -vc "/meta.json ")" 1
is "... the changed file" "$(cat "$ROOT/cache/$id/deep/a/b/c/d/e/f")" deep
ok "... and removes what S3 does not have" gone "$ROOT/cache/$id/extra"
mc rm --force "$id"

# --- 7. ls --s3, rm --s3: the cache above (complete in S3), and one without
# its meta.json.
echo x | awsq s3 cp --quiet - "s3://testbucket/t/0b9c5f7e-3d2a-4c1e-9f6b-2a7d8e4c1b05/f"
out=$(mc ls --s3 s3://testbucket/t)
like "ls --s3 lists the caches" "$out" "$id +[0-9TZ:-]+ +[^ ]+ +[0-9]+ +[0-9.]+[BKM] +yes"
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

# --- Trees starting together on one cache in S3 share one download and one
# copy. Each holds it until all three have it (at most 30 s).
with_cache sh -c 'echo data > "$MONOCACHE_PATH/x"; echo "$MONOCACHE_ID" > "$0"' "$T/id"
sid=$(cat "$T/id")
order slow 300
rm -f "$T"/start.*
starters=
for i in 1 2 3; do
    with_cache env MONOCACHE_EXISTING="s3://testbucket/t/$sid" sh -c '
        cat "$MONOCACHE_PATH/x" > "$0"; echo "$MONOCACHE_PATH" >> "$0"; : > "$0.ready"
        n=0
        while [ "$(ls "$1"/start.?.ready 2> /dev/null | wc -l)" -lt 3 ] && [ $n -lt 1500 ]; do
            sleep 0.02
            n=$((n + 1))
        done' "$T/start.$i" "$T" 2> "$T/start.err.$i" &
    starters="$starters $!"
done
wait $starters
order
is "three trees starting together on one S3 cache: all three got it" \
    "$(cat "$T"/start.[123] | grep -c '^data$')" 3
is "... the same copy" "$(grep -h / "$T"/start.[123] | sort -u | wc -l)" 1
is "... and no errors" "$(cat "$T"/start.err.*)" ""
mc gc > /dev/null

finish
