#!/bin/bash
# t24-watcher.sh — the watcher process as another process of its user sees
# it: its memory may hold a Redis password, so it is not dumpable (no core
# file, no ptrace, /proc/<pid>/environ and fd unreadable by the user's other
# processes), and `monocache holders` still names it, through the lock file.
. "$(dirname "$0")/lib.sh"

if [ "$(id -u)" != 0 ] || ! command -v setpriv > /dev/null || [ "${MC_VALGRIND:-0}" = 1 ] ||
    [ "$MC_SANITIZED" = 1 ]; then
    echo "1..0 # SKIP needs root and setpriv (to be another user), no valgrind or sanitizer"
    rm -rf "$T"
    exit 0
fi
nobody_dir=$(mktemp -d /tmp/mc-nobody.XXXXXX)
atexit rm -rf "$nobody_dir"
cp "$MC_REAL_LIB" "$MC_BIN" "$nobody_dir/"
chmod 755 "$nobody_dir" "$nobody_dir"/* && chown -R 65534:65534 "$nobody_dir"
as_nobody() {
    setpriv --reuid=65534 --regid=65534 --clear-groups env -i PATH=/usr/bin:/bin \
        MONOCACHE_ROOT="$nobody_dir/root" MONOCACHE_REDIS_PASSWORD=s3cr3t-for-t24 \
        LD_PRELOAD="$nobody_dir/$(basename "$MC_REAL_LIB")" "$@"
}
# (2>/dev/null: the subshell would report the SIGTERM below on stderr)
{ as_nobody sh -c 'echo "$$" > "$MONOCACHE_PATH/../../pid"
    echo "$MONOCACHE_ID" > "$MONOCACHE_PATH/../../id"; exec sleep 30'; } 2> /dev/null &
atexit kill "$!"
eventually 10 test -s "$nobody_dir/root/id"
id=$(cat "$nobody_dir/root/id")
holder=$(cat "$nobody_dir/root/pid")
watcher=$(awk '{print $4}' "$nobody_dir/root/run/$id.lock")
like "the tree has a watcher" "$watcher" '^[0-9]+$'
out=$(setpriv --reuid=65534 --regid=65534 --clear-groups cat "/proc/$watcher/environ" 2>&1)
like "another process of the same user cannot read the watcher's environment" "$out" \
    "Permission denied"
refute "... nor its descriptors" setpriv --reuid=65534 --regid=65534 --clear-groups \
    ls "/proc/$watcher/fd"
ok "... while the program's own are readable to it" setpriv --reuid=65534 --regid=65534 \
    --clear-groups cat "/proc/$holder/environ"
out=$(setpriv --reuid=65534 --regid=65534 --clear-groups env -i PATH=/usr/bin:/bin \
    MONOCACHE_ROOT="$nobody_dir/root" "$nobody_dir/monocache" holders "$id" 2>&1)
like "holders, run by the user, still names the watcher" "$out" "^$watcher .*__watch of $id  \(watcher\)$"
like "... and the holder" "$out" "sleep 30"
kill "$holder"
eventually 10 test ! -e "$nobody_dir/root/cache/$id" && pass "released when its holder ended" ||
    fail "released when its holder ended"

finish
