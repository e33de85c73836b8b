#!/bin/bash
# t70-stress.sh — many holders, random SIGKILLs, many trees at once with gc
# running meanwhile: nothing held is ever removed, nothing unheld is left.
. "$(dirname "$0")/lib.sh"
HOLDERS=200
TREES=40

# One cache, 200 holder processes (children and grandchildren), killed in a
# random order; some end by themselves meanwhile. They are a session and
# process group of their own: the test looks for holders, and kills what
# is left, in that group only.
setsid -w env LD_PRELOAD="$PRELOAD" bash -c '
    echo $$ > "$0.pgid"
    for i in $(seq 1 '"$HOLDERS"'); do
        if [ $((i % 4)) = 0 ]; then
            (sleep 701) &           # a grandchild under a subshell
        elif [ $((i % 10)) = 1 ]; then
            sleep "0.$((RANDOM % 9 + 1))" &   # ends by itself soon
        else
            sleep 701 &
        fi
        echo $! >> "$0"
    done
    echo "$MONOCACHE_ID" > "$0.id"' "$T/pids"
id=$(cat "$T/pids.id")
holders=$(cat "$T/pids.pgid")
atexit 'kill -9 -- "-$holders"'
cache=$ROOT/cache/$id
lost=0
alive_seen=0
for pid in $(shuf "$T/pids"); do
    # While any holder is alive, the cache must be there. (Look at the cache
    # first: a holder found alive afterwards was alive when it was missing.)
    if [ ! -d "$cache" ] && alive $(pgrep -g "$holders"); then
        lost=1
        break
    fi
    kill -9 "$pid" 2>/dev/null && alive_seen=$((alive_seen + 1))
done
kill -9 -- "-$holders" 2> /dev/null
is "with $HOLDERS holders killed one by one, the cache existed until the last" "$lost" 0
[ "$alive_seen" -ge $((HOLDERS * 3 / 4)) ] && pass "... and at least 3/4 of them were alive when killed ($alive_seen)" \
    || fail "... and at least 3/4 of them were alive when killed" "alive when killed: $alive_seen"
eventually 10 no_caches && pass "released after the last holder was killed" \
    || fail "released after the last holder was killed" "left: $(caches)"

# Many trees at once, each writing into its cache before and after a random
# pause; some are SIGKILLed. gc runs in a loop all along.
(while [ ! -e "$T/stop" ]; do "$MC_BIN" gc > /dev/null 2>> "$T/gc.err"; done) &
gc_loop=$!
# (In a subshell whose stderr is quiet: bash reports each killed job.)
(
for i in $(seq 1 $TREES); do
    LD_PRELOAD=$PRELOAD bash -c '
        echo start > "$MONOCACHE_PATH/start"
        : > "${0%/*}/started.$1"
        sleep "0.$((RANDOM % 9))$((RANDOM % 9))"
        if [ -e "$MONOCACHE_PATH/start" ] && echo end > "$MONOCACHE_PATH/end"; then
            echo ok > "$0.$1"
        else
            echo LOST > "$0.$1"
        fi' "$T/tree" "$i" &
    echo $! >> "$T/tree.pids"
done
# A quarter killed once every tree has its cache and is in its pause.
eventually 30 sh -c '[ "$(ls "$0"/started.* 2> /dev/null | wc -l)" -ge "$1" ]' "$T" "$TREES"
for pid in $(shuf -n $((TREES / 4)) "$T/tree.pids"); do
    kill -9 "$pid" 2>/dev/null
done
wait $(cat "$T/tree.pids")
) 2>/dev/null
touch "$T/stop"
wait "$gc_loop"
is "no tree lost its cache while holding it (gc running all along)" \
    "$(cat "$T"/tree.* 2>/dev/null | grep -c LOST)" 0
finished=$(cat "$T"/tree.* 2>/dev/null | grep -c ok)
[ "$finished" -ge $((TREES - TREES / 4)) ] && pass "every tree not killed finished and wrote ($finished)" \
    || fail "every tree not killed finished and wrote" "finished: $finished of $TREES, $((TREES / 4)) killed"
eventually 10 no_caches && pass "every tree's cache released, killed or not" \
    || fail "every tree's cache released, killed or not" "left: $(caches)"
is "gc reported no failures" "$(cat "$T/gc.err")" ""

finish
