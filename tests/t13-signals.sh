#!/bin/bash
# t13-signals.sh — the program's own signal handlers run as they would
# without monocache, whether installed before or after us, with signal() or
# sigaction(); monocache run passes signals on and ends as the program did;
# a tiny alternate signal stack and sigwait() die as without us.
. "$(dirname "$0")/lib.sh"
P=$MC_HELPERS/probe
E=$MC_HELPERS/early_handler.so
W=$MC_HELPERS/waitstatus

# Installed after us, in the process that created the cache (the one whose
# signals we hook).
# (waitstatus --check-root counts what is left under the root right after
# waitpid(); 1000 files are more than an asynchronous release could wipe by
# then.)
for how in sigaction signal; do
    out=$("$MC_HELPERS/waitstatus" --check-root "$ROOT" --preload "$PRELOAD" "$P" fill 1000 "$how" 15 raise 15 exit 0)
    is "handler installed with $how() runs and decides the end, released before the parent saw it" \
        "$(echo $out)" "handled 15 exit 42 left=0"
    eventually 10 no_caches
done

out=$(LD_PRELOAD=$PRELOAD "$P" query 15 query 11 query 13)
is "sigaction() reports the default action for hooked signals" "$(echo $out)" \
    "handler default handler default handler default"

for how in sigaction signal; do
    out=$("$MC_HELPERS/waitstatus" --check-root "$ROOT" --preload "$PRELOAD" "$P" fill 1000 "$how" 15 default 15 raise 15 exit 0)
    is "a $how() handler put back to SIG_DFL: dies of the signal, released before the parent saw it" \
        "$out" "signal 15 nocore left=0"
    eventually 10 no_caches
done

# signal() has BSD semantics in glibc: a read interrupted by a handled signal
# is restarted, unless siginterrupt() asked otherwise.
is "signal(): a blocking read is restarted after the handler" \
    "$(with_cache "$P" signal-count 14 interrupted-read)" "$("$P" signal-count 14 interrupted-read)"
is "... the same without us" "$("$P" signal-count 14 interrupted-read)" "read ok handled 1"
is "siginterrupt() then signal(): the read fails with EINTR, as without us" \
    "$(with_cache timeout 5 "$P" siginterrupt 14 signal-count 14 interrupted-read)" \
    "read EINTR handled 1"
is "... signal() then siginterrupt() likewise" \
    "$(with_cache timeout 5 "$P" signal-count 14 siginterrupt 14 interrupted-read)" \
    "$("$P" signal-count 14 siginterrupt 14 interrupted-read)"
eventually 10 no_caches

# Installed before us: a preloaded library's constructor, ahead of ours.
out=$("$MC_HELPERS/waitstatus" --check-root "$ROOT" --preload "$E:$PRELOAD" "$P" fill 1000 raise 15 exit 0)
is "handler installed before us runs; released before the parent saw the end" "$(echo $out)" \
    "early handler exit 42 left=0"
eventually 10 no_caches

# Ignored before us (inherited SIG_IGN): still ignored.
out=$(trap '' TERM; "$MC_HELPERS/waitstatus" --check-root "$ROOT" --preload "$PRELOAD" "$P" raise 15 exit 3)
is "an inherited SIG_IGN stays ignored" "$out" "exit 3 left=0"

# Processes other than the creator are not hooked at all.
out=$(LD_PRELOAD=$PRELOAD sh -c '"$0" query 15 sigaction 15 raise 15' "$P")
is "in a child, handlers are untouched" "$(echo $out)" "handler default handled 15"
ok "released" no_caches

# monocache run passes SIGTERM, SIGINT, SIGHUP, SIGQUIT to the program and
# exits as it did (bash reports a death by signal N as 128+N).
# (A script's background jobs start with SIGINT and SIGQUIT ignored, which
# run keeps as the program would, and `nohup make check` starts with SIGHUP
# ignored: env puts the defaults back first.)
for sig in TERM INT HUP QUIT; do
    env --default-signal=INT,QUIT,HUP,TERM "$MC_BIN" run -- "$P" write started sleep 20 &
    run_pid=$!
    eventually 20 sh -c "ls '$ROOT'/cache/*/started" > /dev/null
    kill -"$sig" "$run_pid"
    { wait "$run_pid"; } 2>/dev/null
    is "SIG$sig to monocache run reaches the program; run ends by it too" "$?" \
        "$((128 + $(kill -l "$sig")))"
    ok "... and the cache was released before run ended" no_caches
done

env --default-signal=INT,QUIT "$MC_BIN" run -- "$P" sigaction 15 write started sleep 20 > "$T/out" &
run_pid=$!
eventually 20 sh -c "ls '$ROOT'/cache/*/started" > /dev/null
kill -TERM "$run_pid"
wait "$run_pid"
is "the program's handler decides run's exit status" "$? $(cat "$T/out")" "42 handled 15"

# What run's caller ignores (nohup, a background job) stays ignored for the
# program, as without run, and is not passed on.
is "SIGHUP ignored by run's caller (nohup): ignored by the program too" \
    "$(trap '' HUP; "$MC_BIN" run -- "$P" query 1)" "$(trap '' HUP; "$P" query 1)"
(trap '' HUP; "$MC_BIN" run -- "$P" write started sleep 1 exit 0) &
run_pid=$!
eventually 20 sh -c "ls '$ROOT'/cache/*/started" > /dev/null
kill -HUP "$run_pid"
wait "$run_pid"
is "... and a SIGHUP sent to run neither kills it nor reaches the program" "$?" 0
eventually 10 no_caches

# Outside a terminal's foreground the program has its own process group: a
# signal sent to run's group reaches it once (through run), not twice. The
# program waits for the first (up to 30 s), then half a second for another.
setsid sh -c 'echo $$ > "$0"; exec "$1" run -- "$2" count-term sleep 30 sleep 0.5 count-term' \
    "$T/pgid" "$MC_BIN" "$P" > "$T/out" &
eventually 10 test -s "$T/pgid"
eventually 20 sh -c "ls '$ROOT'/cache/*/counting" > /dev/null
kill -TERM -- "-$(cat "$T/pgid")"
wait
is "a SIGTERM to run's whole process group reaches the program once" "$(cat "$T/out")" \
    "terms 1"
eventually 10 no_caches

# A tiny alternate signal stack: the program dies as it would without us.
out=$("$W" --check-root "$ROOT" --preload "$PRELOAD" "$P" tiny-altstack raise 15)
is "2 KiB sigaltstack, then SIGTERM: same death as without us" "$out" "$("$W" "$P" tiny-altstack raise 15) left=0"

# sigwait for an unblocked signal whose action is the default.
out=$("$W" --check-root "$ROOT" --preload "$PRELOAD" "$P" sigwait-term)
is "sigwait on an unblocked SIGTERM: dies of it, as without us" "$out" "$("$W" "$P" sigwait-term) left=0"

finish
