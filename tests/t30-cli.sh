#!/bin/bash
# t30-cli.sh — ls, meta, lock, unlock, rm, gc, holders, help and version,
# checked with independent readers (python3's json, the file system):
# output for scripts and people, several caches at once, and gc removing
# only the names we make, only in a root of ours.
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

# Why is my cache still here? holders, ls --verbose.
with_cache sh -c 'echo $$ > "$0.pid"; echo "$MONOCACHE_ID" > "$0"; exec sleep 300' "$T/holder" \
    > /dev/null 2>&1 &
disown
eventually 10 test -s "$T/holder"
id=$(cat "$T/holder")
holder_pid=$(cat "$T/holder.pid")
atexit '[ -z "$holder_pid" ] || kill "$holder_pid"'
eventually 10 sh -c "'$MC_BIN' holders '$id' | grep -q 'sleep 300'"
out=$(mc holders "$id")
like "holders: pid, start time, command line of each" "$(echo "$out" | grep 'sleep 300')" \
    '^[0-9]+ +[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z +sleep 300$'
like "... the watcher last, marked" "$(echo "$out" | tail -1)" 'monocache __watch of [0-9a-f-]+  \(watcher\)$'
like "ls --verbose lists them under the cache" "$(mc ls --verbose | grep -A3 "^$id")" 'pid [0-9]+ +started .* sleep 300'
ok "ls --json --verbose has them too" "$PY" -c '
import json, sys
row = [r for r in json.loads(sys.argv[1]) if r["id"] == sys.argv[2]][0]
procs = row["holder_processes"]
assert row["holders"] == 1 and any(p["command"] == "sleep 300" for p in procs), row
assert any(p["watcher"] for p in procs), row' "$(mc ls --json --verbose)" "$id"
kill "$holder_pid"
holder_pid=
eventually 10 no_caches

# Output for scripts and people: no tabs; ls --json has the meta.
id=$(MONOCACHE_META='{"team":"ml","deep":{"a":[1,2]}}' MONOCACHE_LOCK=1 with_cache sh -c 'echo "$MONOCACHE_ID"')
out=$(mc meta "$id")
ok "meta prints no tab" sh -c "! printf '%s' \"\$0\" | grep -q \"\$(printf '\\t')\"" "$out"
like "... two-space indentation" "$(echo "$out" | sed -n 2p)" '^  "id": '
is "meta --json: one line" "$(mc meta "$id" --json | wc -l)" 1
ok "ls --json has the user's meta keys, one cache per line" "$PY" -c '
import json, sys
text = sys.argv[1]
rows = json.loads(text)
assert rows[0]["meta"]["team"] == "ml" and rows[0]["meta"]["deep"] == {"a": [1, 2]}, rows
assert "\t" not in text and len(text.splitlines()) == 3, text' "$(mc ls --json)"
mc rm --force "$id" > /dev/null

# Several caches at once; keys that start with -.
a=$(MONOCACHE_LOCK=1 with_cache sh -c 'echo "$MONOCACHE_ID"')
b=$(MONOCACHE_LOCK=1 with_cache sh -c 'echo "$MONOCACHE_ID"')
ok "unlock A B" mc unlock "$a" "$b"
ok "meta ID -- -x=1 sets a key starting with -" mc meta "$a" -- -x=1
is "... read back" "$(mc meta "$a" --get -x)" 1
ok "rm A B" mc rm "$a" "$b"
ok "... both gone" test ! -e "$ROOT/cache/$a" -a ! -e "$ROOT/cache/$b"

# ls inside a tree does not count itself.
out=$(with_cache sh -c '"$0" ls --json' "$MC_BIN")
ok "ls inside a tree counts its holders, not itself" "$PY" -c '
import json, sys
rows = json.loads(sys.argv[1])
assert rows[0]["holders"] == 1, rows' "$out"
eventually 10 no_caches

# gc removes only names we make, only in a root of ours; dry run lists them.
with_cache /bin/true
uuid=12345678-1234-4234-8234-123456789abc
for name in foo.tmp "$uuid.lock.42.tmp" "$uuid.lock.x.tmp" notes.lock; do
    echo keep > "$ROOT/run/$name"
    touch -d '2 hours ago' "$ROOT/run/$name"
done
mkdir -p "$ROOT/cache/.wipe-foo" "$ROOT/cache/.wipe-$uuid.42" "$ROOT/cache/.wipe-$uuid"
out=$(mc gc --dry-run 2> "$T/dry.err" | sort)
is "gc --dry-run lists the stale temporary file and the tombstone it would finish" "$out" \
    "$(printf 'would finish wiping %s\nwould remove %s.lock.42.tmp' "$uuid" "$uuid")"
# notes.lock is the name of cache "notes"'s lock, but not a lock file of ours.
like "... and says it would leave notes.lock alone, as gc does" "$(cat "$T/dry.err")" \
    '^monocache: gc: notes: .*/run/notes.lock: not a lock file of ours .*; left alone$'

ok "... and removes nothing" test -e "$ROOT/run/$uuid.lock.42.tmp" -a -d "$ROOT/cache/.wipe-$uuid.42"
mc gc > /dev/null 2> "$T/gc.err"
is "gc says the same of notes.lock" "$(cat "$T/gc.err")" "$(cat "$T/dry.err")"
ok "gc removed exactly our names" test ! -e "$ROOT/run/$uuid.lock.42.tmp" -a ! -e "$ROOT/cache/.wipe-$uuid.42"
ok "... and nothing that only looks like ours" test -e "$ROOT/run/foo.tmp" -a -e "$ROOT/run/$uuid.lock.x.tmp" \
    -a -e "$ROOT/run/notes.lock" -a -d "$ROOT/cache/.wipe-foo" -a -d "$ROOT/cache/.wipe-$uuid"
rm -rf "$ROOT/run/foo.tmp" "$ROOT/run/$uuid.lock.x.tmp" "$ROOT/run/notes.lock" "$ROOT/cache/.wipe-foo" \
    "$ROOT/cache/.wipe-$uuid"

# A directory that is not a monocache root (like / with its /run) is left alone.
mkdir -p "$T/sys/run" "$T/sys/cache" && chmod 700 "$T/sys" "$T/sys/run" "$T/sys/cache"
echo keep > "$T/sys/run/$uuid.lock.7.tmp" && touch -d '2 hours ago' "$T/sys/run/$uuid.lock.7.tmp"
mc gc --root "$T/sys" > "$T/out" 2> "$T/err"
is "gc of a directory that is not a monocache root: fails" "$?" 1
like "... saying so" "$(cat "$T/err")" 'not a monocache root'
ok "... and removes nothing there" test -e "$T/sys/run/$uuid.lock.7.tmp"
mkdir -p "$T/plain"
mc meta "$T/plain/cache/$uuid" > /dev/null 2>&1
mc rm "$T/plain/cache/$uuid" > /dev/null 2>&1
mc lock "$T/plain/cache/$uuid" > /dev/null 2>&1
is "meta, rm, lock of a cache path that does not exist create nothing" "$(ls -A "$T/plain")" ""

finish
