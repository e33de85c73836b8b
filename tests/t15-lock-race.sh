#!/bin/bash
# t15-lock-race.sh — `monocache lock` racing the release of the tree it
# locks: whoever gets the cache directory's flock first wins, and lock's
# answer tells the truth (success: kept; failure: it names the release).
. "$(dirname "$0")/lib.sh"

# lock against release: whoever gets the directory's flock first wins,
# and lock's answer tells the truth. Another process holds a shared flock on
# the directory while `lock` waits and the tree ends; it lets go later.

# lock has the cache directory open (to flock it), or is done already.
locker_waits() {
    has_open "$1" "$2" || ended "$1"
}
consistent=0
kept=0
for i in 1 2 3 4 5 6 7 8; do
    rm -f "$T/stop" "$T/id"
    with_cache sh -c 'echo "$MONOCACHE_ID" > "$0/id"; while [ ! -e "$0/stop" ]; do sleep 0.01; done' "$T" &
    tree=$!
    eventually 10 test -s "$T/id"
    id=$(cat "$T/id")
    # The holder lets go 0.6 to 0.9 s after it has the flock (varied: either
    # may win); lock starts once it has it, and the tree ends once lock has
    # the directory open (it then waits for the flock).
    rm -f "$T/holding"
    flock -s "$ROOT/cache/$id" sh -c ': > "$0"; exec sleep "$1"' "$T/holding" "0.6$((i * 3 % 10))" &
    holder=$!
    eventually 10 test -e "$T/holding"
    "$MC_BIN" lock "$id" > "$T/lock.out" 2>&1 &
    locker=$!
    eventually 10 locker_waits "$locker" "$ROOT/cache/$id"
    touch "$T/stop"
    wait "$tree" "$holder"
    wait "$locker"
    status=$?
    eventually 10 test ! -e "$ROOT/run/$id.lock"
    if [ "$status" = 0 ] && [ -d "$ROOT/cache/$id" ]; then
        consistent=$((consistent + 1))
        kept=$((kept + 1))
        mc rm --force "$id" > /dev/null
    elif [ "$status" != 0 ] && [ ! -e "$ROOT/cache/$id" ] &&
        grep -q 'released (wiped) meanwhile' "$T/lock.out"; then
        consistent=$((consistent + 1))
    else
        echo "# try $i: lock status $status, cache $(test -d "$ROOT/cache/$id" && echo kept || echo gone), $(cat "$T/lock.out")"
    fi
done
is "lock racing the release: 'lock succeeded' always means kept, a failure names the release" \
    "$consistent" 8
echo "# (lock won $kept of 8)"

# The same race with plain timing: lock sent as the tree ends (the tree
# lives 0.01 to 0.1 s more). The outcome is read once lock has answered and
# the release is over (the lock file gone).
consistent=0
for i in $(seq 1 10); do
    rm -f "$T/lock.done"
    id=$(with_cache sh -c 'echo "$MONOCACHE_ID"
            { "$0" lock "$MONOCACHE_ID" > "$1/lock.out" 2>&1; : > "$1/lock.done"; } > /dev/null &
            sleep 0.0$2' \
         "$MC_BIN" "$T" "$i")
    eventually 10 test -e "$T/lock.done"
    eventually 10 test ! -e "$ROOT/run/$id.lock"
    if grep -q 'released (wiped) meanwhile\|no such cache\|No such file' "$T/lock.out"; then
        [ ! -e "$ROOT/cache/$id" ] && consistent=$((consistent + 1))
    elif [ ! -s "$T/lock.out" ] && [ -d "$ROOT/cache/$id" ]; then
        consistent=$((consistent + 1))
        mc rm --force "$id" > /dev/null
    else
        echo "# try $i: $(cat "$T/lock.out"), cache $(test -d "$ROOT/cache/$id" && echo kept || echo gone)"
    fi
done
is "lock sent as the tree ends: kept exactly when lock succeeded" "$consistent" 10
eventually 10 no_caches

finish
