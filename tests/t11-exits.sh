#!/bin/bash
# t11-exits.sh — however the last holder ends, the cache is released, and the
# process ends exactly as it would without monocache (same wait status, same
# core dump). After a normal exit, and after a crash of the process that
# created the cache, the release is done before the parent sees the end.
. "$(dirname "$0")/lib.sh"
P=$MC_HELPERS/probe
cd "$T" || exit 1
ulimit -c unlimited 2>/dev/null

# Same wait status with and without us, and nothing left under the root at
# the moment the parent (waitstatus) has seen the end: waitstatus counts the
# entries right after waitpid() returns. The cache holds 1000 files, which an
# asynchronous release (the watcher's, after the end) could not have wiped by
# then.
FILL=1000
same_end() {
    name=$1
    shift
    want="$(wait_status "$P" "$@") left=0"
    got=$("$MC_HELPERS/waitstatus" --check-root "$ROOT" --preload "$PRELOAD" "$P" fill $FILL "$@")
    rm -f core core.*
    if [ "$got" = "$want" ]; then
        pass "$name: $got, released before the parent saw the end"
    else
        fail "$name" "want (status without us): $want" "got  (status with us):    $got"
    fi
    eventually 10 no_caches
}

same_end "return from main" return 3
same_end "exit()" exit 4
same_end "_exit()" _exit 5
same_end "_Exit()" _Exit 6
same_end "exit() from another thread" thread-exit 7

for sig in SEGV BUS FPE ILL ABRT TERM INT HUP QUIT PIPE ALRM USR1 USR2 XCPU XFSZ SYS TRAP \
           VTALRM PROF; do
    num=$(kill -l "$sig")
    same_end "killed by SIG$sig" raise "$num"
done

same_end "real segmentation fault (core dump)" segv
same_end "real bus error" bus
same_end "real division by zero" fpe
same_end "illegal instruction" ill
same_end "breakpoint trap" trap
same_end "abort()" abort

# A process that is not the creator crashes while being the last holder: the
# watcher releases (within a second; make bench measures how fast).
with_cache sh -c "'$P' sleep 3 segv & exit 0" 2>/dev/null
[ "$(cache_count)" = 1 ] && pass "child still holds the cache after its parent exits" \
    || fail "child still holds the cache after its parent exits" "caches: $(cache_count)"
eventually 10 no_caches && pass "released after the last holder (not the creator) crashed" \
    || fail "released after the last holder (not the creator) crashed" "left: $(caches)"

with_cache sh -c "exec '$P' sleep 0.2 segv" 2>/dev/null
eventually 10 no_caches && pass "released after an exec'd image crashed" \
    || fail "released after an exec'd image crashed" "left: $(caches)"

# Buffered stdio is flushed into the cache before the release (it matters for
# a kept or uploaded cache).
out=$(MONOCACHE_LOCK=1 LD_PRELOAD=$PRELOAD sh -c '"$0" buffered exit 0; echo $MONOCACHE_ID' "$P")
is "buffered stdio written into a kept cache at exit" "$(cat "$ROOT/cache/$out/buffered" 2>&1)" data
mc rm --force "$out" >/dev/null

# SIGKILL runs no code in the dying process: the kernel releases the lock and
# wakes the watcher.
LD_PRELOAD=$PRELOAD "$P" sleep 111 &
pid=$!
disown    # (bash would report the SIGKILL on stderr)
eventually 10 has_caches 1
kill -9 "$pid"
eventually 10 no_caches && pass "released after SIGKILL" || fail "released after SIGKILL" "left: $(caches)"

# A whole process group killed at once (the watcher is in its own session),
# once both holders are there (each writes a file into the cache).
setsid sh -c 'echo $$ > "$1"; LD_PRELOAD=$2 sh -c "\"$3\" write a sleep 111 & \"$3\" write b sleep 111 & wait"' \
    sh "$T/group" "$PRELOAD" "$P" &
disown    # (bash would report the job's SIGKILL on stderr)
eventually 10 sh -c 'test -s "$0" && ls "$1"/cache/*/a "$1"/cache/*/b' "$T/group" "$ROOT" > /dev/null
pgid=$(cat "$T/group")
kill -9 -- "-$pgid"
eventually 10 no_caches && pass "released after the whole process group was SIGKILLed" \
    || fail "released after the whole process group was SIGKILLed" "left: $(caches)"

# The OOM killer sends SIGKILL too; a memory-limited cgroup is not available
# everywhere, so that path is the SIGKILL case above.

finish
