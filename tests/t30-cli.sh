#!/bin/bash
# t30-cli.sh — ls, meta, lock, unlock, rm, gc, help and version, checked with
# independent readers (python3's json, the file system).
. "$(dirname "$0")/lib.sh"
PY=$(command -v /usr/bin/python3 || command -v python3)

like "--version" "$(mc --version)" '^monocache [0-9]+\.[0-9]+\.[0-9]+$'
like "--help lists the commands" "$(mc --help | tr '\n' ' ')" 'run .*ls .*meta .*lock .*unlock .*gc .*rm .*preload-path'
mc frobnicate 2> "$T/err"
is "unknown command: status 2" "$?" 2
like "... and says so" "$(cat "$T/err")" 'unknown command "frobnicate"'

# A held cache with two holder processes, and a locked one nobody holds.
setsid env LD_PRELOAD="$PRELOAD" sh -c 'echo $$ > "$0.pgid"; echo "$MONOCACHE_ID" > "$0"; head -c 10000 /dev/zero > "$MONOCACHE_PATH/blob"; sleep 302 & sleep 302' "$T/held" &
held_pid=$!
eventually 10 test -s "$T/held"
held=$(cat "$T/held")
kept=$(MONOCACHE_LOCK=1 MONOCACHE_META='{"owner":"me"}' with_cache sh -c 'echo "$MONOCACHE_ID"')

json=$(mc ls --json --size)
ok "ls --json --size: both caches, with id, path, created, locked, held, holders, size" "$PY" -c '
import json, sys
rows = {r["id"]: r for r in json.loads(sys.argv[1])}
held, kept, root = sys.argv[2], sys.argv[3], sys.argv[4]
assert set(rows) == {held, kept}, rows
h, k = rows[held], rows[kept]
assert h["path"] == root + "/cache/" + held, h
assert h["held"] is True and h["holders"] == 3 and h["locked"] is False, h
assert h["size"] >= 10000, h
assert k["held"] is False and k["holders"] == 0 and k["locked"] is True, k
assert k["created"].endswith("Z"), k
' "$json" "$held" "$kept" "$ROOT"
table=$(mc ls --size)
like "ls --size: a table for humans" "$(echo "$table" | head -1)" '^ID +CREATED +LOCKED +HOLDERS +SIZE +PATH$'
like "ls: sizes only when asked" "$(mc ls | head -1)" '^ID +CREATED +LOCKED +HOLDERS +PATH$'
like "... one row per cache" "$(echo "$table" | grep -c -e "$held" -e "$kept")" '^2$'

# meta: print, insert, get; 50 writers at once lose nothing.
is "meta --get a string prints it raw" "$(mc meta "$kept" --get owner)" me
ok "meta KEY=VALUE inserts; values are JSON when they parse" mc meta "$kept" n=3 flag=true word=hello obj='{"a":[1]}'
ok "meta.json is what Python reads" "$PY" -c '
import json, sys
m = json.load(open(sys.argv[1]))
assert m["n"] == 3 and m["flag"] is True and m["word"] == "hello" and m["obj"] == {"a": [1]}, m
assert m["owner"] == "me" and m["locked"] is True, m' "$ROOT/cache/$kept/meta.json"
is "meta --get --json prints JSON" "$(mc meta "$kept" --get word --json)" '"hello"'
mc meta "$kept" --get missing 2> "$T/err"
is "meta --get of a missing key fails" "$?" 1
mc meta "$kept" id=other 2> "$T/err"
is "meta cannot change the id" "$?" 1
for i in $(seq 1 50); do
    mc meta "$held" "key$i=$i" &
done
wait_all=0
for job in $(jobs -p); do
    [ "$job" = "$held_pid" ] && continue
    wait "$job" || wait_all=1
done
is "50 concurrent meta writers all succeeded" "$wait_all" 0
ok "... and all 50 keys are there, in a valid file" "$PY" -c '
import json, sys
m = json.load(open(sys.argv[1]))
missing = [i for i in range(1, 51) if m.get("key%d" % i) != i]
assert not missing, missing' "$ROOT/cache/$held/meta.json"

# rm refuses a held or a locked cache unless forced.
mc rm "$held" 2> "$T/err"
is "rm refuses a held cache" "$?" 1
like "... saying why" "$(cat "$T/err")" 'held by running processes; use --force'
mc rm "$kept" 2> "$T/err"
is "rm refuses a locked cache" "$?" 1
like "... saying why" "$(cat "$T/err")" 'locked; unlock it or use --force'
ok "both still there" test -d "$ROOT/cache/$held" -a -d "$ROOT/cache/$kept"

# lock / unlock; an unlocked cache nobody holds is reclaimed by gc.
ok "unlock" mc unlock "$kept"
is "meta says unlocked" "$(mc meta "$kept" --get locked)" false
out=$(mc gc --dry-run)
is "gc --dry-run names what it would wipe, wipes nothing" "$out" "would wipe $kept"
ok "... still there" test -d "$ROOT/cache/$kept"
ok "lock again" mc lock "$kept"
is "gc keeps a locked cache and a held one" "$(mc gc)" ""
ok "... both still there" test -d "$ROOT/cache/$held" -a -d "$ROOT/cache/$kept"
mc unlock "$kept"
is "gc wipes an unlocked cache nobody holds" "$(mc gc)" "wiped $kept"
ok "... gone from disk" test ! -e "$ROOT/cache/$kept"

kill -- "-$(cat "$T/held.pgid")"
wait "$held_pid" 2>/dev/null
eventually 10 no_caches && pass "held cache released when its holders were killed" \
    || fail "held cache released when its holders were killed"

# rm of an unheld, unlocked cache; rm --force of a locked and of a held one.
id=$(MONOCACHE_LOCK=1 with_cache sh -c 'echo "$MONOCACHE_ID"')
mc unlock "$id"
ok "rm of an unheld, unlocked cache" mc rm "$id"
ok "... gone" test ! -e "$ROOT/cache/$id"
id=$(MONOCACHE_LOCK=1 with_cache sh -c 'echo "$MONOCACHE_ID"')
ok "rm --force of a locked cache" mc rm --force "$id"
ok "... gone, and its lock file too" no_caches
out=$(with_cache sh -c '"$0" rm --force "$MONOCACHE_ID"; test -e "$MONOCACHE_PATH"; echo $?' "$MC_BIN")
is "rm --force of a held cache wipes it under its holders" "$out" 1
ok "... and the tree's end cleans up the rest" no_caches

is "ls of an empty root" "$(mc ls --json)" "[]"
is "ls of a missing root: an error naming it" "$(MONOCACHE_ROOT=$T/nothing mc ls --json 2>&1)" \
    "monocache: ls: MONOCACHE_ROOT=$T/nothing: no such directory"
is "ls of the default root before any cache: empty" \
    "$(env -u MONOCACHE_ROOT TMPDIR="$T/fresh-tmp" "$MC_BIN" ls --json)" "[]"
ok "a missing root is not created by ls" test ! -e "$T/nothing"

ok "the man page renders" sh -c "MANWIDTH=80 man -l '$top/docs/monocache.1' | grep -q MONOCACHE_ROOT"

finish
