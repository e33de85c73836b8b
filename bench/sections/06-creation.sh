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

# The watcher's instructions for one tree of one /bin/true: it is started
# as the `monocache` next to the library, here a script that runs the real
# one under callgrind. (The program's own side cannot be counted so:
# valgrind's launcher, preloaded too, would be the process that creates the
# cache; it is the slow path of the shim, a few thousand instructions.)
measure_watcher_instructions() {
    local dir=$tmp/watcher-ir
    local r file total

    mkdir -p "$dir/lib"
    cp "$MC_LIB" "$dir/lib/libmonocache.so"
    cat > "$dir/lib/monocache" <<SCRIPT
#!/bin/sh
exec valgrind --tool=callgrind --callgrind-out-file="$dir/watcher.\$\$" "$MC_BIN" "\$@" 2>/dev/null
SCRIPT
    chmod +x "$dir/lib/monocache"
    for ((r = 0; r < CALLGRIND_ROUNDS; r++)); do
        rm -f "$dir"/watcher.*
        if ! LD_PRELOAD=$dir/lib/libmonocache.so /bin/true; then
            failed "creation under callgrind: the program failed"
            return
        fi
        total=0
        for file in "$dir"/watcher.*; do
            [ -f "$file" ] && total=$((total + $(callgrind_part "$file" TOTAL)))
        done
        add ir.watcher "$total"
    done
    if [ "$(sample ir.watcher min)" = 0 ]; then
        failed "creation under callgrind: no count from the watcher"
        return
    fi
    printf 'instructions of the watcher of one tree (callgrind, create + release): %s [%s] (%s rounds)\n' \
        "$(sample ir.watcher median)" "$(range ir.watcher 1 0)" "$CALLGRIND_ROUNDS"
}

section "6. creation: a process that creates (and wipes) a cache"
measure_create
if have valgrind; then
    measure_watcher_instructions
else
    echo "instructions of the watcher: skipped, valgrind is not installed"
fi
