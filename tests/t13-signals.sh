#!/bin/bash
# t13-signals.sh — the program's own signal handlers run as they would
# without monocache, whether installed before or after us, with signal() or
# sigaction(); monocache run passes signals on and ends as the program did.
. "$(dirname "$0")/lib.sh"
P=$MC_HELPERS/probe
E=$MC_HELPERS/early_handler.so

# Installed after us, in the process that created the cache (the one whose
# signals we hook).
for how in sigaction signal; do
    out=$(LD_PRELOAD=$PRELOAD "$MC_HELPERS/waitstatus" "$P" "$how" 15 raise 15 exit 0)
    is "handler installed with $how() runs and decides the end" "$(echo $out)" "handled 15 exit 42"
    ok "... and the cache is released" no_caches
done

out=$(LD_PRELOAD=$PRELOAD "$P" query 15 query 11 query 13)
is "sigaction() reports the default action for hooked signals" "$(echo $out)" \
    "handler default handler default handler default"

out=$(LD_PRELOAD=$PRELOAD "$MC_HELPERS/waitstatus" "$P" sigaction 15 default 15 raise 15 exit 0)
is "a handler put back to SIG_DFL: dies of the signal" "$out" "signal 15 nocore"
ok "... and the release still happened before the parent saw it" no_caches

# Installed before us: a preloaded library's constructor, ahead of ours.
out=$(LD_PRELOAD="$E:$PRELOAD" "$MC_HELPERS/waitstatus" "$P" raise 15 exit 0)
is "handler installed before us runs" "$(echo $out)" "early handler exit 42"
ok "... and the cache is released" no_caches

# Ignored before us (inherited SIG_IGN): still ignored.
out=$(trap '' TERM; LD_PRELOAD=$PRELOAD "$MC_HELPERS/waitstatus" "$P" raise 15 exit 3)
is "an inherited SIG_IGN stays ignored" "$out" "exit 3"

# Processes other than the creator are not hooked at all.
out=$(LD_PRELOAD=$PRELOAD sh -c '"$0" query 15 sigaction 15 raise 15' "$P")
is "in a child, handlers are untouched" "$(echo $out)" "handler default handled 15"
ok "released" no_caches

# monocache run passes SIGTERM, SIGINT, SIGHUP, SIGQUIT to the program and
# exits as it did.
for sig in TERM INT HUP QUIT; do
    "$MC_HELPERS/waitstatus" "$MC_BIN" run -- "$P" sleep 20 > "$T/status" &
    waiter=$!
    eventually 10 test "$(cache_count)" = 1
    run_pid=$(pgrep -f "^$MC_BIN run -- $P sleep 20" | head -1)
    kill -"$sig" "$run_pid"
    wait "$waiter"
    # run dies of the same signal but never dumps a core of its own.
    want="signal $(kill -l "$sig") nocore"
    is "SIG$sig to monocache run reaches the program; run ends by it too" "$(cat "$T/status")" "$want"
    ok "... and the cache was released before run ended" no_caches
done

"$MC_HELPERS/waitstatus" "$MC_BIN" run -- "$P" sigaction 15 sleep 20 > "$T/status" &
waiter=$!
eventually 10 test "$(cache_count)" = 1
sleep 0.2
kill -TERM "$(pgrep -f "^$MC_BIN run -- $P sigaction" | head -1)"
wait "$waiter"
is "the program's handler decides run's exit status" "$(tr '\n' ' ' < "$T/status")" "handled 15 exit 42 "

finish
