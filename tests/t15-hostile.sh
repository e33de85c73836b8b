#!/bin/bash
# t15-hostile.sh — what an adversarial review found: a lock racing the
# release, sweeps of names that only look like ours, programs that flock
# their own cache or put FIFOs where files are expected, trees deeper than
# the open-file limit, signal setups that changed how a program dies, a
# squatted default root, newlines and forged values in our variables, and
# posix_spawn file actions.
. "$(dirname "$0")/lib.sh"
P=$MC_HELPERS/probe
W=$MC_HELPERS/waitstatus
cd "$T" || exit 1

# --- 1. lock against release: whoever gets the directory's flock first wins,
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

# --- 2. gc removes only names we make, only in a root of ours; dry run lists them.
with_cache /bin/true
uuid=12345678-1234-4234-8234-123456789abc
for name in foo.tmp "$uuid.lock.42.tmp" "$uuid.lock.x.tmp" notes.lock; do
    echo keep > "$ROOT/run/$name"
    touch -d '2 hours ago' "$ROOT/run/$name"
done
mkdir -p "$ROOT/cache/.wipe-foo" "$ROOT/cache/.wipe-$uuid.42" "$ROOT/cache/.wipe-$uuid"
out=$(mc gc --dry-run | sort)
is "gc --dry-run lists the stale temporary file and the tombstone it would finish" "$out" \
    "$(printf 'would finish wiping %s\nwould remove %s.lock.42.tmp' "$uuid" "$uuid")"
ok "... and removes nothing" test -e "$ROOT/run/$uuid.lock.42.tmp" -a -d "$ROOT/cache/.wipe-$uuid.42"
mc gc > /dev/null
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

# --- 3. A program that holds a flock on its own cache directory ends.
# (timeout itself is not preloaded: flock is the tree's last holder.)
out=$(timeout 20 env LD_PRELOAD="$PRELOAD" sh -c 'exec flock "$MONOCACHE_PATH" true'; echo "status $?")
is "flock on its own cache directory at exit: the program ends" "$(echo "$out" | tail -1)" "status 0"
eventually 15 no_caches && pass "... and the cache is released once that lock is gone" \
    || fail "... and the cache is released once that lock is gone" "left: $(caches)"

# --- 4. FIFOs where files are expected never block.
id=$(timeout 20 env LD_PRELOAD="$PRELOAD" sh -c 'rm "$MONOCACHE_PATH/meta.json"; mkfifo "$MONOCACHE_PATH/meta.json"; echo "$MONOCACHE_ID"')
is "meta.json replaced by a FIFO: the program's exit does not block" "$?" 0
ok "... and the cache is kept (a meta that cannot be read may say locked)" test -p "$ROOT/cache/$id/meta.json"
mc rm --force "$id" > /dev/null
MONOCACHE_LOCK=1 with_cache sh -c 'echo "$MONOCACHE_ID" > "$0"' "$T/id"
id=$(cat "$T/id")
rm "$ROOT/cache/$id/meta.json" && mkfifo "$ROOT/cache/$id/meta.json"
mkfifo "$ROOT/run/$uuid.lock.9.tmp" "$ROOT/run/$uuid.lock" "$ROOT/run/x.tmp"
ok "ls with a FIFO for meta.json and lock files: returns" timeout 10 "$MC_BIN" ls
ok "gc: returns" timeout 10 "$MC_BIN" gc
timeout 10 "$MC_BIN" rm "$id" 2> "$T/err"
is "rm (no --force): returns, refusing a cache whose meta cannot be read" "$?" 1
like "... saying why" "$(cat "$T/err")" 'meta.json: not a regular file; rm --force removes it'
ok "rm --force: returns and removes it" timeout 10 "$MC_BIN" rm --force "$id"
rm -rf "$ROOT/run/$uuid.lock.9.tmp" "$ROOT/run/$uuid.lock" "$ROOT/run/x.tmp"
ok "nothing left" no_caches

# --- 5. Deeper than the open-file limit: wiped like rm -rf does.
deep='import os
os.chdir(os.environ["MONOCACHE_PATH"])
for i in range(3000):
    os.mkdir("d"); os.chdir("d")
open("f", "w").close()'
PY=$(command -v /usr/bin/python3 || command -v python3)
bash -c 'ulimit -n 1024; ulimit -Hn 1024; LD_PRELOAD=$0 "$1" -c "$2"' "$PRELOAD" "$PY" "$deep"
eventually 20 no_caches && pass "a tree 3000 deep under ulimit -n 1024: wiped at the end" \
    || fail "a tree 3000 deep under ulimit -n 1024: wiped at the end" "left: $(ls -A "$ROOT/cache")"
MONOCACHE_LOCK=1 LD_PRELOAD=$PRELOAD "$PY" -c "$deep"
id=$(caches)
ok "... and by rm --force under the same limit" bash -c 'ulimit -n 1024; ulimit -Hn 1024; "$0" rm --force "$1"' "$MC_BIN" "$id"
ok "... nothing left" no_caches

# --- 7. A tiny alternate signal stack: the program dies as it would without us.
out=$("$W" --check-root "$ROOT" --preload "$PRELOAD" "$P" tiny-altstack raise 15)
is "2 KiB sigaltstack, then SIGTERM: same death as without us" "$out" "$("$W" "$P" tiny-altstack raise 15) left=0"

# --- 8. sigwait for an unblocked signal whose action is the default.
out=$("$W" --check-root "$ROOT" --preload "$PRELOAD" "$P" sigwait-term)
is "sigwait on an unblocked SIGTERM: dies of it, as without us" "$out" "$("$W" "$P" sigwait-term) left=0"

# --- 9. A default root squatted by another user: a fallback, not a refusal.
mkdir -p "$T/sq" "$T/xdg" && chmod 700 "$T/xdg"
if [ "$(id -u)" = 0 ]; then
    mkdir "$T/sq/monocache-0" && chown 65534 "$T/sq/monocache-0"
    how="owned by another user"
else
    ln -s "$T/elsewhere" "$T/sq/monocache-$(id -u)"
    how="a symlink"
fi
out=$(env -u MONOCACHE_ROOT TMPDIR="$T/sq" XDG_RUNTIME_DIR="$T/xdg" LD_PRELOAD="$PRELOAD" \
      sh -c 'echo "$MONOCACHE_ROOT"' 2> "$T/err")
is "default root squatted ($how): the program runs, under \$XDG_RUNTIME_DIR/monocache" "$out" "$T/xdg/monocache"
like "... with one warning naming both" "$(cat "$T/err")" "^monocache: warning: the default root $T/sq/monocache-[0-9]+ is (owned by uid [0-9]+|a symbolic link) \(squatted\?\); using $T/xdg/monocache\$"
out=$(env -u MONOCACHE_ROOT TMPDIR="$T/sq" XDG_RUNTIME_DIR="$T/xdg" "$MC_BIN" ls --json 2>/dev/null)
is "... and ls looks there too" "$out" "[]"
out=$(MONOCACHE_ROOT="$T/sq/monocache-$(id -u)" LD_PRELOAD="$PRELOAD" sh -c 'echo ran' 2>&1)
like "an explicit MONOCACHE_ROOT of someone else's is still refused" "$out" '^monocache: MONOCACHE_ROOT=.*(owned by uid|symbolic link)'

# --- 10. Newlines in what the watcher sends back.
evil="$T/x
set LD_PRELOAD=/evil.so"
mkdir -p "$evil"
out=$(env -u MONOCACHE_ROOT TMPDIR="$evil" LD_PRELOAD="$PRELOAD" sh -c 'printf "%s|%s" "$LD_PRELOAD" "$MONOCACHE_PATH"')
is "TMPDIR with a newline: LD_PRELOAD untouched" "${out%%|*}" "$PRELOAD"
like "... MONOCACHE_PATH is the whole path" "${out#*|}" "^$T/x
set LD_PRELOAD=/evil.so/monocache-[0-9]+/cache/[0-9a-f-]{36}\$"

# --- 11. A forged MONOCACHE_HOLD never writes into the file it names.
printf 'Hello, precious\n' > "$T/victim"
set -- $(stat -c '%d %i' "$T/victim")
out=$(bash -c 'exec 1000<>"$0"; MONOCACHE_HOLD="1000:$1:$2:$0" LD_PRELOAD=$3 sh -c "echo \$MONOCACHE_PATH"' \
      "$T/victim" "$1" "$2" "$PRELOAD" 2>/dev/null)
like "forged hold with the descriptor open: not taken for a hold, the program gets a cache" \
    "$out" "^$ROOT/cache/[0-9a-f-]{36}\$"
is "... and the file it names is untouched" "$(cat "$T/victim")" "Hello, precious"
MONOCACHE_HOLD="1000:1:1:$T/victim" LD_PRELOAD=$PRELOAD sh -c 'true' 2>/dev/null
is "forged hold by path only: untouched too" "$(cat "$T/victim")" "Hello, precious"
eventually 10 no_caches

# --- 12. The meta temporary file cannot be planted.
MONOCACHE_LOCK=1 with_cache sh -c 'echo "$MONOCACHE_ID" > "$0"' "$T/id"
id=$(cat "$T/id")
echo precious > "$T/target"
for pid in $(seq $$ $(($$ + 400))); do ln "$T/target" "$ROOT/cache/$id/.meta.json.$pid.tmp" 2>/dev/null; done
mc meta "$id" k=v
is "hard links planted at the old temporary names: their target untouched" "$(cat "$T/target")" precious
is "... and the meta written" "$(mc meta "$id" --get k)" v
mc rm --force "$id" > /dev/null

# --- 13. posix_spawn file actions keep the holder descriptor in the child.
out=$(with_cache "$P" spawn-closefrom 'fd=${MONOCACHE_HOLD%%:*}; test -e /proc/$$/fd/$fd && echo holds')
is "posix_spawn with addclosefrom_np(3): the child still holds" "$out" holds
out=$(with_cache "$P" spawn-close-hold 'fd=${MONOCACHE_HOLD%%:*}; test -e /proc/$$/fd/$fd && echo holds')
is "posix_spawn with addclose of our descriptor: the child still holds" "$out" holds
out=$(with_cache "$P" spawn-closefrom 'test -e /proc/$$/fd/77 || echo closed')
is "... and the others were closed" "$out" closed
eventually 10 no_caches

finish
