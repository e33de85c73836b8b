# bench/sections/06-creation.sh — make bench, section 6: creation. One
# `LD_PRELOAD=libmonocache.so /bin/true` (creates a cache, starts the
# watcher, wipes it) vs the same with the empty preload and with none,
# CREATE_ROUNDS interleaved rounds, timed by bash.
# Sourced by bench/run.sh (which defines what it uses); runs the section.

# create_once none|empty|mono: one /bin/true, as a sample (seconds).
create_once() {
    local config=$1
    local t0 t1

    case $config in
        none)
            t0=$EPOCHREALTIME
            /bin/true || return 1
            t1=$EPOCHREALTIME
            ;;
        empty)
            t0=$EPOCHREALTIME
            LD_PRELOAD=$EMPTY /bin/true || return 1
            t1=$EPOCHREALTIME
            ;;
        mono)
            t0=$EPOCHREALTIME
            LD_PRELOAD=$MC_LIB /bin/true || return 1
            t1=$EPOCHREALTIME
            ;;
    esac
    add "create.$config" "$(elapsed "$t0" "$t1")"
}

measure_create() {
    local left

    # Sanity: a lone preloaded process gets a cache, and it is gone after.
    left=$(LD_PRELOAD=$MC_LIB "$PROBE" print-env MONOCACHE_PATH)
    left=${left#MONOCACHE_PATH=}
    if [ -z "$left" ] || [ -e "$left" ]; then
        failed "creation: a lone preloaded process got no cache, or it was not wiped ($left)"
        return
    fi
    interleave "$CREATE_ROUNDS" "none empty mono" create_once
    if [ "$interleave_failed" -gt 0 ]; then
        failed "creation: $interleave_failed of $interleave_runs runs failed"
    fi
    report_three "create+release (one LD_PRELOAD=lib /bin/true, timed by bash)" create "$MS_PER_S" ms 2 \
        " (informative: once per tree)"
}

section "6. creation: a process that creates (and wipes) a cache"
measure_create
