#!/usr/bin/env bash
# bench/run.sh — make bench: what monocache costs, measured against baselines
# taken in the same run.
#
# The driver: checks and copies the binaries, compiles the two helpers
# (bench/mktree.c, bench/killwait.c), then runs the sections, each in its own
# file under bench/sections/ (NN-name.sh, run in the order of NN), and
# reports what is left in the cache roots. The statistics and report lines
# are bench/lib.sh's, shared with make bench-s3 (bench/s3.sh).
#   1. start-up: SPAWNS spawns of /bin/true, no preload / empty / in a cache
#   2. instructions (callgrind) and system calls (strace) of one /bin/true
#   3. resident memory of one process, and a watcher's
#   4. wipe speed: rm -rf vs monocache's wipe of 100,000 small files
#   5. release latency after SIGKILL of the only holder
#   6. creation: a process that creates (and wipes) a cache
#   7. scale: creations, gc and ls in roots of many locked caches
#   8. Redis register: the fast path and a whole tree, with and without (and
#      over TLS: what OpenSSL costs a tree that uses it, none that does not)
# Every measurement interleaves the configurations round by round (rotating
# the order) and reports medians, the ratio of medians, the median of the
# per-round ratios, and min..max. Machines are shared and noisy: this script
# reports and never fails because of a figure; it exits non-zero only when a
# measurement could not be taken at all.
#
# Run by make bench as MC_BIN=... MC_LIB=... MC_HELPERS=... bench/run.sh
# (absolute paths). Benchmarks copies of those binaries and compiles its two
# helpers with $CC (default cc), all in a private temporary directory, which
# also holds MONOCACHE_ROOT; all of it is removed at the end. Writes nothing
# in the source tree; prints to stdout. About 2.5 minutes on a quiet 2-CPU
# machine, nearly all of it the 90 start-up loops; much longer when others
# load the machine. The counts below can be lowered from the environment
# (e.g. SPAWNS=100 STARTUP_ROUNDS=5) for a quick look. Only some sections:
# `bench/run.sh 1 7`, or BENCH_SECTIONS="1 7" (also `BENCH_SECTIONS="1 7"
# make bench`); arguments win over BENCH_SECTIONS.

set -u
export LC_ALL=C

# --- repetition counts (override from the environment) -----------------------
: "${SPAWNS:=500}"                 # /bin/true spawns per start-up loop
: "${STARTUP_ROUNDS:=15}"          # rounds of the start-up configurations (1, 8)
: "${CALLGRIND_ROUNDS:=3}"         # callgrind runs per configuration
: "${RSS_ROUNDS:=15}"              # memory probes per configuration
: "${WIPE_ROUNDS:=3}"              # rounds of rm -rf / rm --force / release
: "${WIPE_DIRS:=100}"              # tree: WIPE_DIRS directories of
: "${WIPE_FILES_PER_DIR:=1000}"    #       WIPE_FILES_PER_DIR files (1-100 bytes)
: "${WIPE_DIR:=}"                  # where the trees go (default: see section 4)
: "${KILL_ROUNDS:=10}"             # SIGKILL release measurements
: "${KILL_TIMEOUT_MS:=10000}"      # give up waiting for a release after this
: "${CREATE_ROUNDS:=20}"           # creation measurements per configuration
: "${SCALE_SIZES:=10000 100000}"   # locked caches in the big roots of section 7
: "${SCALE_TREES:=200}"            # back-to-back creations per loop
: "${SCALE_ROUNDS:=5}"             # rounds of the empty-root / big-root loops
: "${SCALE_LIST_ROUNDS:=3}"        # monocache gc and ls runs per big root
: "${SCALE_DIR:=}"                 # where the big roots go (default: see section 7)
: "${REDIS_ROUNDS:=20}"            # rounds of the Redis whole-tree configurations
: "${BASELINE_LIB:=}"              # another build's libmonocache.so (section 8)
: "${BENCH_SECTIONS:=1 2 3 4 5 6 7 8}"   # which sections to run

# --- goals (printed beside the figures; never checked) -------------------------
GOAL_STARTUP_RATIO=1.05            # the fast path / the empty preload (1, 8)
GOAL_RSS_KIB=512                   # extra resident memory per process (3)
GOAL_WIPE_RATIO=1.0                # monocache's wipe / rm -rf (4)
GOAL_RELEASE_MS=1000               # SIGKILL to released (5)
GOAL_REDIS_TREE_MS=2               # a whole tree, with Redis - without (8)
GOAL_BASELINE_PERCENT=10           # a whole tree, this build vs BASELINE_LIB (8)

PRIVATE_DIR_MODE=700
# How long a release still finishing may take before leftovers are reported.
LEFTOVER_GRACE_S=1

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
. "$here/lib.sh"

if [ $# -gt 0 ]; then
    BENCH_SECTIONS="$*"
fi
# Each wanted section as the number its file starts with, without zeros in
# front (7 and 07 are section 7).
bench_sections=
for number in $BENCH_SECTIONS; do
    found=
    case $number in
        *[!0-9]*) ;;
        *) found=$(compgen -G "$here/sections/$(printf %02d "$((10#$number))")-*.sh") ;;
    esac
    if [ -z "$found" ]; then
        echo "bench: no section $number in bench/sections" >&2
        exit 2
    fi
    bench_sections="$bench_sections $((10#$number))"
done

: "${MC_BIN:=$top/monocache}"
: "${MC_LIB:=$top/libmonocache.so}"
: "${MC_HELPERS:=$top/build/tests/helpers}"
EMPTY=$MC_HELPERS/empty.so
SPAWNLOOP=$MC_HELPERS/spawnloop
PROBE=$MC_HELPERS/probe

for file in "$MC_BIN" "$MC_LIB" "$EMPTY" "$SPAWNLOOP" "$PROBE"; do
    if [ ! -e "$file" ]; then
        echo "bench: $file: missing (run make all helpers)" >&2
        exit 2
    fi
done
has_epochrealtime bench || exit 2

# Nothing from the caller's own cache tree leaks into the measurements.
for name in $(env | sed -n 's/^\(MONOCACHE_[A-Z_]*\)=.*/\1/p'); do
    unset "$name"
done
unset LD_PRELOAD

tmp=$(mktemp -d "${TMPDIR:-/tmp}/mc-bench.XXXXXX")
chmod "$PRIVATE_DIR_MODE" "$tmp"
export MONOCACHE_ROOT=$tmp/root
mkdir -p "$tmp/samples" "$tmp/bin"
failures=0

# Benchmark copies: others may rebuild the tree meanwhile, and a library
# relinked in place cannot be preloaded while half-written. The tool and the
# library stay side by side (each finds the other next to itself).
SOURCE_BIN=$MC_BIN
SOURCE_LIB=$MC_LIB
if ! cp "$MC_BIN" "$tmp/bin/monocache" || ! cp "$MC_LIB" "$tmp/bin/libmonocache.so" ||
    ! cp "$EMPTY" "$SPAWNLOOP" "$PROBE" "$tmp/bin/"; then
    echo "bench: cannot copy the binaries to $tmp/bin" >&2
    rm -rf "$tmp"
    exit 1
fi
MC_BIN=$tmp/bin/monocache
MC_LIB=$tmp/bin/libmonocache.so
EMPTY=$tmp/bin/empty.so
SPAWNLOOP=$tmp/bin/spawnloop
PROBE=$tmp/bin/probe

# Set by sections 4 and 7 while their trees and roots exist (outside $tmp).
wipe_tmp=
scale_tmp=
cleanup() {
    local root dir

    # Caches still held by a stray process of ours: wipe them first.
    for root in "$MONOCACHE_ROOT" ${wipe_tmp:+"$wipe_tmp/root"}; do
        for dir in "$root"/cache/*; do
            [ -d "$dir" ] && MONOCACHE_ROOT=$root "$MC_BIN" rm --force "${dir##*/}" >/dev/null 2>&1
        done
    done
    [ -s "$tmp/redis/redis.pid" ] && kill "$(cat "$tmp/redis/redis.pid")" 2>/dev/null
    [ -s "$tmp/redis/tls.pid" ] && kill "$(cat "$tmp/redis/tls.pid")" 2>/dev/null
    [ -n "$wipe_tmp" ] && rm -rf "$wipe_tmp"
    [ -n "$scale_tmp" ] && rm -rf "$scale_tmp"
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# section TITLE: ends the previous section (its duration) and starts one.
section_start=
section() {
    if [ -n "$section_start" ]; then
        echo "    (took $((SECONDS - section_start)) s)"
    fi
    section_start=$SECONDS
    if [ -n "$1" ]; then
        heading "$1"
    fi
}

CC=${CC:-cc}
HELPER_FLAGS="-std=gnu11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror"
helpers_ok=1
for helper in mktree killwait; do
    if ! $CC $HELPER_FLAGS -o "$tmp/bin/$helper" "$here/$helper.c"; then
        echo "bench: cannot compile bench/$helper.c with $CC" >&2
        helpers_ok=0
    fi
done
MKTREE=$tmp/bin/mktree
KILLWAIT=$tmp/bin/killwait

echo "monocache benchmark — $(date -u '+%Y-%m-%d %H:%M UTC'), $(uname -sr)," \
    "$(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "tree: $(git -C "$top" describe --always --dirty 2>/dev/null || echo unknown);" \
    "copies of $SOURCE_BIN and $SOURCE_LIB"
# A broken copy (caught mid-rebuild) would make every figure meaningless.
check=$(LD_PRELOAD=$MC_LIB "$PROBE" print-env MONOCACHE_PATH 2>&1)
case $check in
    MONOCACHE_PATH=/*) ;;
    *)
        echo "bench: LD_PRELOAD=$SOURCE_LIB gives no cache: $check" >&2
        exit 1
        ;;
esac
echo "Medians of interleaved rounds; 'paired' is the median of the per-round ratios;" \
    "'best-of' the ratio of the minima; [min..max] shows the noise."

# --- the sections ----------------------------------------------------------------

for section_file in "$here"/sections/[0-9][0-9]-*.sh; do
    number=${section_file##*/}
    number=$((10#${number%%-*}))
    if wanted "$number"; then
        . "$section_file"
    fi
done

# --- leftovers -------------------------------------------------------------------

# Whatever is left in the cache roots: caches, tombstones, lock files (not
# the run directory's own marker and sweep lock).
leftovers() {
    local root

    for root in "$MONOCACHE_ROOT" ${wipe_tmp:+"$wipe_tmp/root"}; do
        [ -d "$root" ] || continue
        find "$root/cache" -mindepth 1 -maxdepth 1 2>/dev/null
        find "$root/run" -mindepth 1 -maxdepth 1 ! -name '.*' 2>/dev/null
    done
}

section ""
echo
left=$(leftovers)
if [ -n "$left" ]; then
    # A release may still be finishing: give it a moment, then look again.
    sleep "$LEFTOVER_GRACE_S"
    left=$(leftovers)
fi
if [ -n "$left" ]; then
    echo "leftovers in the cache roots after the benchmark (unexpected):"
    echo "$left" | sed 's/^/    /'
else
    echo "leftovers in the cache roots after the benchmark: none"
fi
echo "total time: $SECONDS s"

if [ "$failures" -gt 0 ]; then
    echo "$failures measurement(s) could not be taken" >&2
    exit 1
fi
exit 0
