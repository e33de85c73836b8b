# bench/sections/01-startup.sh — make bench, section 1: start-up. SPAWNS
# spawns of /bin/true with no preload, with an empty preloaded library, and
# inside a cache tree (every /bin/true inherits the cache: the fast path);
# timed by the loop itself (spawnloop, and a literal `sh -c` while loop that
# reads the clock before and after), STARTUP_ROUNDS interleaved rounds.
# Sourced by bench/run.sh (which defines what it uses); runs the section.

# The same loop for every configuration, timed from inside: the clock is read
# by date before and after, so monocache run's own start and release are out.
SH_LOOP='t0=$(date +%s%N); i=0; while [ $i -lt "$1" ]; do /bin/true; i=$((i + 1)); done
t1=$(date +%s%N); echo $((t1 - t0))'

# startup_once spawnloop|sh none|empty|mono: one loop, as a sample (seconds).
startup_once() {
    local kind=$1
    local config=$2
    local out

    case $kind.$config in
        spawnloop.none) out=$("$SPAWNLOOP" "$SPAWNS" /bin/true) ;;
        spawnloop.empty) out=$(LD_PRELOAD=$EMPTY "$SPAWNLOOP" "$SPAWNS" /bin/true) ;;
        spawnloop.mono) out=$("$MC_BIN" run -- "$SPAWNLOOP" "$SPAWNS" /bin/true) ;;
        sh.none) out=$(sh -c "$SH_LOOP" sh "$SPAWNS") ;;
        sh.empty) out=$(LD_PRELOAD=$EMPTY sh -c "$SH_LOOP" sh "$SPAWNS") ;;
        sh.mono) out=$("$MC_BIN" run -- sh -c "$SH_LOOP" sh "$SPAWNS") ;;
    esac
    if ! is_number "$out"; then
        return 1
    fi
    if [ "$kind" = sh ]; then
        out=$(awk -v ns="$out" -v per_s="$NS_PER_S" 'BEGIN { printf "%.6f", ns / per_s }')
    fi
    add "startup.$kind.$config" "$out"
}

# measure_startup spawnloop|sh LABEL: the rounds, then the report.
measure_startup() {
    local kind=$1
    local label=$2

    interleave "$STARTUP_ROUNDS" "none empty mono" startup_once "$kind"
    if [ "$interleave_failed" -gt 0 ]; then
        failed "$label: $interleave_failed of $interleave_runs runs gave no time"
    fi
    if [ -s "$tmp/samples/startup.$kind.mono" ] && [ -s "$tmp/samples/startup.$kind.empty" ] &&
        [ -s "$tmp/samples/startup.$kind.none" ]; then
        report_three "$label" "startup.$kind" 1 s 3 " (goal <= $GOAL_STARTUP_RATIO)"
    fi
}

section "1. start-up: $SPAWNS spawns of /bin/true, timed inside the loop"
# Sanity: inside monocache run, the loop really holds a cache.
inside=$("$MC_BIN" run -- "$PROBE" print-env MONOCACHE_PATH 2>&1)
case $inside in
    MONOCACHE_PATH=/*) ;;
    *) failed "monocache run gave no cache to its program: $inside" ;;
esac
measure_startup spawnloop "startup (spawnloop $SPAWNS /bin/true)"
measure_startup sh "startup (sh -c 'while ... /bin/true', $SPAWNS)"
