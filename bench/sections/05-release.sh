# bench/sections/05-release.sh — make bench, section 5: release latency.
# SIGKILL the only holder of a cache, time until the cache directory and its
# lock file are gone (bench/killwait.c), KILL_ROUNDS times.
# Sourced by bench/run.sh (which defines what it uses); runs the section.

# How often bench/killwait.c looks (its KILLWAIT_POLL_US), for the report.
KILLWAIT_POLL_MS=1
# The holder sleeps far longer than a release takes: it is killed, not done.
KILL_HOLDER_SLEEP_S=100
KILL_SCRIPT="echo \"\$MONOCACHE_PATH\" > \"\$1\"; exec sleep $KILL_HOLDER_SLEEP_S"

measure_kill() {
    local round out dir lock
    local bad=0

    if [ "$helpers_ok" != 1 ]; then
        failed "release latency: bench/killwait.c did not compile"
        return
    fi
    for ((round = 0; round < KILL_ROUNDS; round++)); do
        rm -f "$tmp/pathfile"
        out=$("$KILLWAIT" "$MC_LIB" "$tmp/pathfile" "$KILL_TIMEOUT_MS" -- \
            sh -c "$KILL_SCRIPT" sh "$tmp/pathfile")
        set -- $out
        dir=${1:-}
        lock=${2:-}
        if is_number "$dir" && is_number "$lock"; then
            add kill.dir "$dir"
            add kill.lock "$lock"
        else
            bad=$((bad + 1))
        fi
    done
    if [ "$bad" -gt 0 ]; then
        failed "release latency: $bad of $KILL_ROUNDS caches not released within $KILL_TIMEOUT_MS ms"
    fi
    [ -s "$tmp/samples/kill.dir" ] || return
    printf 'release after SIGKILL of the only holder: directory gone median %s ms, max %s ms; release done (lock file gone) median %s ms, max %s ms (goal: within %s ms; %s rounds, polled every %s ms)\n' \
        "$(fmt "$(sample kill.dir median)" 1 1)" "$(fmt "$(sample kill.dir max)" 1 1)" \
        "$(fmt "$(sample kill.lock median)" 1 1)" "$(fmt "$(sample kill.lock max)" 1 1)" \
        "$GOAL_RELEASE_MS" "$KILL_ROUNDS" "$KILLWAIT_POLL_MS"
}

section "5. release latency after SIGKILL (LD_PRELOAD=libmonocache.so sh -c '...; exec sleep $KILL_HOLDER_SLEEP_S')"
measure_kill
