#!/bin/bash
# t60-gc.sh — when even the release machinery is killed (a whole pid
# namespace at once, or the watcher alone), `monocache gc` and the next cache
# created under the same root reclaim what is left; nothing held or locked is
# ever reclaimed.
. "$(dirname "$0")/lib.sh"

if [ "$(id -u)" = 0 ]; then
    pidns="unshare --pid --fork --kill-child --mount-proc"
else
    pidns="unshare --user --map-root-user --pid --fork --kill-child --mount-proc"
fi
if ! $pidns true 2>/dev/null; then
    echo "1..0 # SKIP cannot create a pid namespace here"
    exit 0
fi

# Starts a preloaded tree in its own pid namespace (extra environment in
# the arguments) and waits until its cache exists; prints nothing. Its id is
# in $T/id.<name>; the namespace dies, watcher included, with kill_namespaces
# (or when the file ends).
ns_pids=""
ns_ids=()
tree_in_namespace() {
    name=$1
    shift
    $pidns env "$@" LD_PRELOAD="$PRELOAD" sh -c 'echo $MONOCACHE_ID > "$0"; sleep 600 & sleep 600' \
        "$T/id.$name" &
    ns_pids="$ns_pids $!"
    eventually 10 test -s "$T/id.$name"
    # (unshare's child is the namespace's pid 1.)
    ns_ids+=("$(readlink "/proc/$(pgrep -P "$!" | head -1)/ns/pid")")
}
atexit 'kill_namespaces'

# No process is left in the namespaces killed (a zombie has no namespace).
namespaces_empty() {
    local ns listing
    listing=$(ls -l /proc/[0-9]*/ns/pid 2> /dev/null)
    for ns in "${ns_ids[@]}"; do
        grep -qF -- "$ns" <<< "$listing" && return 1
    done
    return 0
}

# unshare --kill-child: its child, the namespace's pid 1, dies with it, and
# the kernel kills every other process of the namespace.
kill_namespaces() {
    for pid in $ns_pids; do
        kill -9 "$pid"
        wait "$pid" 2>/dev/null
    done
    ns_pids=""
    eventually 10 namespaces_empty
    ns_ids=()
}

watcher_of() {
    awk '{print $4}' "$ROOT/run/$1.lock" 2>/dev/null
}

with_cache sh -c 'echo $$ > "$0.pid"; echo "$MONOCACHE_ID" > "$0"; exec sleep 601' "$T/held" > /dev/null 2>&1 &
disown
eventually 10 test -s "$T/held"
held=$(cat "$T/held")
held_pid=$(cat "$T/held.pid")
atexit '[ -z "$held_pid" ] || kill "$held_pid"'
tree_in_namespace dead
tree_in_namespace locked MONOCACHE_LOCK=1
dead=$(cat "$T/id.dead")
locked=$(cat "$T/id.locked")
kill_namespaces
ok "a tree killed with its watcher leaves its cache behind" test -d "$ROOT/cache/$dead"
ok "... and its lock file" test -e "$ROOT/run/$dead.lock"
is "gc --dry-run: what it would do, in any order" "$(mc gc --dry-run | sort)" \
    "$(printf 'kept %s (locked)\nwould wipe %s' "$locked" "$dead" | sort)"
ok "... and it did nothing" test -d "$ROOT/cache/$dead" -a -e "$ROOT/run/$locked.lock"
out=$(mc gc)
like "gc wipes the dead tree's cache" "$out" "wiped $dead"
ok "... gone from disk, lock file too" test ! -e "$ROOT/cache/$dead" -a ! -e "$ROOT/run/$dead.lock"
ok "gc kept the held cache" test -d "$ROOT/cache/$held" -a -e "$ROOT/run/$held.lock"
ok "gc kept the locked one" test -d "$ROOT/cache/$locked"
ok "... and ended its dead session" test ! -e "$ROOT/run/$locked.lock"
mc rm --force "$locked" > /dev/null

# The next cache created under the root sweeps it too.
tree_in_namespace again
dead=$(cat "$T/id.again")
kill_namespaces
ok "another dead tree left its cache" test -d "$ROOT/cache/$dead"
# (Watchers sweep at most once a second per root: new trees keep coming.)
eventually 10 sh -c 'LD_PRELOAD=$0 /bin/true; test ! -e "$1"' "$PRELOAD" "$ROOT/cache/$dead" \
    && pass "the watchers of the next trees reclaimed it within seconds" \
    || fail "the watchers of the next trees reclaimed it within seconds"
# They look at lock files only: an unlocked cache with none waits for gc.
# A watcher sweeps at most once per MC_SWEEP_INTERVAL_MS (1 s) per root,
# from the mtime of <root>/run/.sweep.lock, under its flock: with no sweep
# running and that mtime set back an hour, the next tree's watcher sweeps,
# and has swept once the mtime is new and the flock free.
id=$(MONOCACHE_LOCK=1 with_cache sh -c 'echo "$MONOCACHE_ID"')
mc unlock "$id"
sweep_lock=$ROOT/run/.sweep.lock
eventually 10 flock -n "$sweep_lock" true
touch -d '1 hour ago' "$sweep_lock"
swept() {
    [ "$(stat -c %Y "$sweep_lock")" -gt $(( $(date +%s) - 600 )) ] && flock -n "$sweep_lock" true
}
with_cache /bin/true
eventually 10 swept
ok "the next tree's watcher swept the root (its sweep lock new, its flock free)" swept
ok "a tree's sweep never reads the meta of caches nobody holds" test -d "$ROOT/cache/$id"
is "... gc reclaims it" "$(mc gc)" "wiped $id"

# The watcher alone killed: the tree ends normally but nobody releases;
# gc does.
rm -f "$T/id"
with_cache sh -c 'echo "$MONOCACHE_ID" > "$0"; while [ ! -e "$0.stop" ]; do sleep 0.05; done' "$T/id" &
tree=$!
eventually 10 test -s "$T/id"
id=$(cat "$T/id")
eventually 10 sh -c "test -n \"\$(awk '{print \$4}' '$ROOT/run/$id.lock')\""
kill -9 "$(watcher_of "$id")"
touch "$T/id.stop"
wait "$tree"
ok "watcher killed: the cache outlives its tree" test -d "$ROOT/cache/$id"
is "gc reclaims it" "$(mc gc)" "wiped $id"

# A root nothing was made in yet (a cron job on a new machine): gc succeeds
# quietly; a root whose run directory holds things not ours still fails.
mkdir -m 700 "$T/fresh"
out=$(mc gc --root "$T/fresh" 2>&1)
is "gc of a new, empty root: exit 0" "$?" 0
is "... nothing said" "$out" ""
mkdir -m 700 "$T/fresh/cache"
mc gc --root "$T/fresh" > /dev/null 2>&1
is "... with an empty cache/ too" "$?" 0

# Held caches are never touched, however often gc runs.
for i in 1 2 3; do mc gc > /dev/null; done
ok "a held cache survives repeated gc" test -d "$ROOT/cache/$held"
kill "$held_pid"
held_pid=
eventually 10 no_caches && pass "released when its holder ended" || fail "released when its holder ended"

finish
