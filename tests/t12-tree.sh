#!/bin/bash
# t12-tree.sh — every process of a tree holds the cache: forked, exec'd,
# spawned, threaded, children outliving their parent, children started with
# all descriptors closed, programs the preload cannot enter, posix_spawn
# file actions that close descriptors.
. "$(dirname "$0")/lib.sh"
P=$MC_HELPERS/probe
S=$MC_HELPERS/static_sleeper

# A child that outlives its parent keeps the cache until it ends.
with_cache "$P" fork-late 3 exit 0
is "parent gone, child still holds: cache kept" "$(cache_count)" 1
eventually 10 no_caches && pass "... and released when the child ended" \
    || fail "... and released when the child ended" "left: $(caches)"
MONOCACHE_LOCK=1 with_cache "$P" fork-late 1 exit 0
id=$(caches)
eventually 10 test ! -e "$ROOT/run/$id.lock"
ok "the late child wrote into the cache after its parent was gone" test -s "$ROOT/cache/$id/late"
mc rm --force "$id" > /dev/null

# exec is not an end: a chain of execs, each writing a file, never loses it.
chain='n=$1; echo $MONOCACHE_ID > "$MONOCACHE_PATH/id.$n"; if [ "$n" -lt 30 ]; then exec sh -c "$0" "$0" $((n + 1)); fi; ls "$MONOCACHE_PATH" | grep -c "^id\."; cat "$MONOCACHE_PATH"/id.* | sort -u | wc -l'
out=$(with_cache sh -c "$chain" "$chain" 1)
is "30 execs in a row: all files in one cache" "$(echo $out)" "30 1"
ok "released after the chain" no_caches

# (The parent leaves once the chain has reached its last image, which says so.)
out=$(with_cache bash -c '
    sh -c "exec sh -c \"\$0\"" "touch \"\$MONOCACHE_PATH/chained\"; exec sleep 3" > /dev/null &
    n=0
    while [ ! -e "$MONOCACHE_PATH/chained" ] && [ $n -lt 1000 ]; do sleep 0.01; n=$((n + 1)); done
    exit 0'; cache_count)
is "exec chain in a child keeps holding after its parent left" "$out" 1
eventually 10 no_caches && pass "released when the exec chain ended" || fail "released when the exec chain ended"

# Threads share the process's hold.
out=$(with_cache sh -c '"$0" threads; ls "$MONOCACHE_PATH" | grep -c "^t"' "$P")
is "four threads wrote 80 files into the cache" "$out" 80

# fork, vfork, system, popen, posix_spawn children attach to the same cache.
out=$(with_cache sh -c '"$0" vfork system "touch \$MONOCACHE_PATH/sys" popen "echo \$MONOCACHE_PATH" spawn "touch \$MONOCACHE_PATH/sp" > "$MONOCACHE_PATH/popen.out"; cat "$MONOCACHE_PATH/popen.out"; ls "$MONOCACHE_PATH" | tr "\n" " "; echo; echo "$MONOCACHE_PATH"' "$P")
is "popen child saw the same cache" "$(echo "$out" | sed -n 1p)" "$(echo "$out" | sed -n 3p)"
like "system and posix_spawn children wrote into it" "$(echo "$out" | sed -n 2p)" "sp sys"
ok "all released" no_caches

# Children started with every descriptor closed (Python's subprocess default)
# still hold: our descriptor survives close_range/closefrom.
PYTHON=$(command -v /usr/bin/python3 || command -v python3)
with_cache "$PYTHON" -c '
import subprocess, sys
# The child waits until it is an orphan (its parent in /proc/self/stat is no
# longer the Python that started it; kill -0 would also succeed on a zombie),
# for at most 10 s, away from the TAP output so that prove never waits for it.
subprocess.Popen(["sh", "-c", "n=0; while [ \"$(cut -d\\  -f4 /proc/$$/stat)\" = $PPID ] && [ $n -lt 1000 ]; do n=$((n + 1)); sleep 0.01; done; ls /proc/$$/fd | grep -qx 1000 && touch \"$MONOCACHE_PATH/py\"; sleep 2"], close_fds=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
'
is "Python parent gone, its close_fds child holds" "$(cache_count)" 1
id=$(caches)
ok "close_fds child kept the holder descriptor and wrote into the cache" \
    eventually 5 test -e "$ROOT/cache/$id/py"
eventually 10 no_caches && pass "released when the Python child ended" \
    || fail "released when the Python child ended"

out=$(with_cache sh -c '"$0" close-all exec sh -c "ls /proc/\$\$/fd | grep -c 1000"' "$P")
is "closefrom(3) leaves the holder descriptor" "$out" 1

# A daemon-style close() of every descriptor from 3 to 1023, then a child:
# the child still holds the very same cache. (Had close() really closed the
# hold, nobody would hold the cache during the pause: the watcher would wipe
# it, and the child would get a fresh one with a warning.)
out=$(with_cache sh -c 'echo "$MONOCACHE_PATH"; exec "$0" close-loop sleep 0.3 spawn "echo \$MONOCACHE_PATH; test -d \"\$MONOCACHE_PATH\" && echo present"' "$P" 2> "$T/err")
is "close() of 3..1023, then a child: it holds the same, live cache" \
    "$(echo "$out" | sed -n 2,3p | tr '\n' ' ')" "$(echo "$out" | sed -n 1p) present "
is "... without a warning" "$(cat "$T/err")" ""
eventually 10 no_caches

# A descriptor closed behind libc's back: the next image joins again by path.
out=$(with_cache sh -c 'a=$MONOCACHE_PATH; "$0" raw-close-all exec sh -c "ls /proc/\$\$/fd | grep -c 1000; echo \$MONOCACHE_PATH" > "$a/out"; cat "$a/out"; echo "$a"' "$P")
is "raw close_range: the exec'd image re-joined (has the descriptor again)" "$(echo "$out" | sed -n 1p)" 1
is "raw close_range: ... the same cache" "$(echo "$out" | sed -n 2p)" "$(echo "$out" | sed -n 3p)"
ok "released" no_caches

# Programs the preload cannot enter still hold through the inherited
# descriptor: a static binary, and one started without LD_PRELOAD.
with_cache sh -c 'exec "$0" 1.5' "$S" &
eventually 20 has_caches 1
is "static binary exec'd by a preloaded shell holds the cache" "$(cache_count)" 1
wait $!
is "static binary wrote into the cache (status)" "$?" 0
eventually 10 no_caches && pass "released when the static binary ended" \
    || fail "released when the static binary ended"

out=$(mc run -- "$S" 0.1; echo "status $?"; cache_count)
is "monocache run of a static binary: its status, cache released before run returned" \
    "$(echo $out)" "status 0 0"

with_cache sh -c 'env -u LD_PRELOAD sleep 3 & exit 0'
is "a child without LD_PRELOAD holds the cache" "$(cache_count)" 1
eventually 10 no_caches && pass "released when it ended" || fail "released when it ended"

# posix_spawn file actions keep the holder descriptor in the child.
out=$(with_cache "$P" spawn-closefrom 'fd=${MONOCACHE_HOLD%%:*}; test -e /proc/$$/fd/$fd && echo holds')
is "posix_spawn with addclosefrom_np(3): the child still holds" "$out" holds
out=$(with_cache "$P" spawn-close-hold 'fd=${MONOCACHE_HOLD%%:*}; test -e /proc/$$/fd/$fd && echo holds')
is "posix_spawn with addclose of our descriptor: the child still holds" "$out" holds
out=$(with_cache "$P" spawn-closefrom 'test -e /proc/$$/fd/77 || echo closed')
is "... and the others were closed" "$out" closed
eventually 10 no_caches

finish
