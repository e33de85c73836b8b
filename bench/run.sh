#!/usr/bin/env bash
# bench/run.sh — make bench: what monocache costs, measured against baselines
# taken in the same run.
#
# Measures, one report section each:
#   1. start-up: 500 spawns of /bin/true with no preload, with an empty
#      preloaded library, and inside a cache tree (every /bin/true inherits
#      the cache: the fast path); timed by the loop itself (spawnloop, and a
#      literal `sh -c` while loop that reads the clock before and after).
#   2. instructions (callgrind, if valgrind is installed) and system calls
#      (strace, if installed) of one /bin/true in the same three
#      configurations, all inside one cache tree so that the environment is
#      the same; checks that the preloaded run took the fast path (no watcher
#      was asked). Deterministic: the noise-free view of the same cost.
#   3. resident memory of one process (cat reading its own /proc/self/status,
#      smaps_rollup and smaps) in the three configurations: VmRSS, private
#      dirty, and the resident pages of the preloaded library; and a watcher's.
#   4. wipe speed: rm -rf of a tree of 100,000 small files vs monocache's own
#      wipe of an identical tree (monocache rm --force of a locked cache, and
#      the release when an unlocked cache's tree ends), on tmpfs by default
#      (WIPE_DIR chooses the file system; see there why).
#   5. release latency: SIGKILL the only holder, time until the cache
#      directory and its lock file are gone (bench/killwait.c).
#   6. creation: one `LD_PRELOAD=libmonocache.so /bin/true` (creates a cache,
#      starts the watcher, wipes it) vs the same with the empty preload.
#   7. scale: roots holding SCALE_SIZES locked caches (meta.json only, made
#      by a script): SCALE_TREES back-to-back creations there vs in an empty
#      root (interleaved rounds), one `monocache gc` and one `monocache ls`
#      of each (and the time to ls's first cache line).
#   8. Redis (if redis-server is installed; a private one on loopback): the
#      fast path inside a Redis-counted cache (SPAWNS /bin/true, timed inside
#      the loop) vs the empty preload; creating and ending a tree with
#      MONOCACHE_REDIS (TCP, 127.0.0.1) vs without. With BASELINE_LIB (the
#      libmonocache.so of another build, its monocache next to it), also
#      without Redis vs that build: what linking hiredis costs a creation.
# The statistics and report lines are bench/lib.sh's, shared with bench/s3.sh.
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
# (e.g. SPAWNS=100 STARTUP_ROUNDS=5) for a quick look; BENCH_SECTIONS="6 8"
# runs only those sections.

set -u
export LC_ALL=C

# --- repetition counts (override from the environment) -----------------------
: "${SPAWNS:=500}"                 # /bin/true spawns per start-up loop
: "${STARTUP_ROUNDS:=15}"          # rounds of the three start-up configurations
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
: "${SCALE_DIR:=}"                 # where the big roots go (default: see section 7)
: "${REDIS_ROUNDS:=20}"            # rounds of the Redis configurations (section 8)
: "${BASELINE_LIB:=}"              # another build's libmonocache.so (section 8)
: "${BENCH_SECTIONS:=1 2 3 4 5 6 7 8}"   # which sections to run

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
. "$here/lib.sh"
bench_sections=$BENCH_SECTIONS
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
chmod 700 "$tmp"
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
    [ -n "$wipe_tmp" ] && rm -rf "$wipe_tmp"
    [ -n "$scale_tmp" ] && rm -rf "$scale_tmp"
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- small tools (the shared ones are bench/lib.sh's) --------------------------

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

# --- 1. start-up ---------------------------------------------------------------

# The same loop for every configuration, timed from inside: the clock is read
# by date before and after, so monocache run's own start and release are out.
SH_LOOP='t0=$(date +%s%N); i=0; while [ $i -lt "$1" ]; do /bin/true; i=$((i + 1)); done
t1=$(date +%s%N); echo $((t1 - t0))'

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
        out=$(awk -v ns="$out" 'BEGIN { printf "%.6f", ns / 1e9 }')
    fi
    add "startup.$kind.$config" "$out"
}

measure_startup() {
    local kind=$1
    local label=$2
    local round config
    local bad=0

    for ((round = 0; round < STARTUP_ROUNDS; round++)); do
        for config in $(rotate "$round" none empty mono); do
            startup_once "$kind" "$config" || bad=$((bad + 1))
        done
    done
    if [ "$bad" -gt 0 ]; then
        failed "$label: $bad of $((STARTUP_ROUNDS * 3)) runs gave no time"
    fi
    if [ -s "$tmp/samples/startup.$kind.mono" ] && [ -s "$tmp/samples/startup.$kind.empty" ] &&
        [ -s "$tmp/samples/startup.$kind.none" ]; then
        report_three "$label" "startup.$kind" 1 s 3 " (goal <= 1.05)"
    fi
}

if wanted 1; then
    section "1. start-up: $SPAWNS spawns of /bin/true, timed inside the loop"
    # Sanity: inside monocache run, the loop really holds a cache.
    inside=$("$MC_BIN" run -- "$PROBE" print-env MONOCACHE_PATH 2>&1)
    case $inside in
        MONOCACHE_PATH=/*) ;;
        *) failed "monocache run gave no cache to its program: $inside" ;;
    esac
    measure_startup spawnloop "startup (spawnloop $SPAWNS /bin/true)"
    measure_startup sh "startup (sh -c 'while ... /bin/true', $SPAWNS)"
fi

# --- 2. instruction counts -----------------------------------------------------

# self Ir per object of a callgrind output file: "<Ir> <object>" lines and a
# "<Ir> TOTAL" line. Cost lines after calls= are inclusive costs of calls and
# are skipped; object names are compressed as "(n) name" on first use.
callgrind_objects() {
    awk '
        function obj(s,   id, rest) {
            if (match(s, /^\([0-9]+\)/)) {
                id = substr(s, RSTART, RLENGTH)
                rest = substr(s, RLENGTH + 2)
                if (rest != "") name[id] = rest
                return name[id]
            }
            return s
        }
        /^ob=/ { current = obj(substr($0, 4)); next }
        /^cob=/ { obj(substr($0, 5)); next }
        /^calls=/ { skip = 1; next }
        /^[0-9+*-]/ { if (skip) { skip = 0; next } self[current] += $2; total += $2; next }
        END { for (o in self) print self[o], o; print total + 0, "TOTAL" }' "$1"
}

# Ir of one object (by the end of its path) or TOTAL, from a callgrind file.
callgrind_part() {
    callgrind_objects "$1" | awk -v want="$2" '
        want == "TOTAL" && $2 == "TOTAL" { n += $1 }
        want != "TOTAL" && index($2, want) && substr($2, length($2) - length(want) + 1) == want { n += $1 }
        END { print n + 0 }'
}

# Runs inside one cache tree (so every configuration sees the same
# environment and the inherited descriptor); LD_PRELOAD alone differs.
CALLGRIND_SCRIPT='
out=$1 rounds=$2 empty=$3 lib=$4
vg() {
    LD_PRELOAD=$2 valgrind --tool=callgrind --callgrind-out-file="$1" /bin/true 2>/dev/null
}
r=0
while [ $r -lt "$rounds" ]; do
    vg "$out/none.$r" "" || exit 1
    vg "$out/empty.$r" "$empty" || exit 1
    vg "$out/mono.$r" "$lib" || exit 1
    r=$((r + 1))
done
ls "$MONOCACHE_ROOT/cache" | wc -l > "$out/caches"
'

measure_callgrind() {
    local out=$tmp/callgrind
    local config r file
    local fastpath=1

    mkdir -p "$out"
    if ! "$MC_BIN" run -- sh -c "$CALLGRIND_SCRIPT" sh "$out" "$CALLGRIND_ROUNDS" "$EMPTY" \
        "$MC_LIB"; then
        failed "callgrind runs failed"
        return
    fi
    for ((r = 0; r < CALLGRIND_ROUNDS; r++)); do
        for config in none empty mono; do
            add "ir.$config" "$(callgrind_part "$out/$config.$r" TOTAL)"
            add "ir.ldso.$config" "$(callgrind_part "$out/$config.$r" ld-linux-x86-64.so.2)"
            add "ir.libc.$config" "$(callgrind_part "$out/$config.$r" libc.so.6)"
        done
        file=$out/mono.$r
        add "ir.own.mono" "$(callgrind_part "$file" "/${MC_LIB##*/}")"
        # The fast path: the shim ran, parsed the inherited MONOCACHE_HOLD
        # (mc_hold_parse is never inlined: it is in another file), and never
        # asked a watcher for a cache.
        if ! grep -q 'mc_shim_init' "$file" || ! grep -q 'mc_hold_parse' "$file" ||
            grep -q 'mc_ask_watcher' "$file"; then
            fastpath=0
        fi
    done
    if [ "$(sample ir.mono min)" = 0 ] || [ "$(sample ir.none min)" = 0 ]; then
        failed "callgrind wrote no instruction counts"
        return
    fi
    report_three "instructions (one /bin/true, Ir)" ir 1 "" 0 " (informative)"
    printf '    extra Ir of monocache over empty: %s, of which ld.so %s, libc %s, libmonocache.so itself %s\n' \
        "$(awk -v a="$(sample ir.mono median)" -v b="$(sample ir.empty median)" 'BEGIN { print a - b }')" \
        "$(awk -v a="$(sample ir.ldso.mono median)" -v b="$(sample ir.ldso.empty median)" 'BEGIN { print a - b }')" \
        "$(awk -v a="$(sample ir.libc.mono median)" -v b="$(sample ir.libc.empty median)" 'BEGIN { print a - b }')" \
        "$(sample ir.own.mono median)"
    if [ "$fastpath" = 1 ]; then
        echo "    fast path checked: the preloaded /bin/true adopted the inherited cache and" \
            "started no watcher (caches under the root during the runs: $(cat "$out/caches"))"
    else
        echo "    !! the preloaded /bin/true did NOT take the fast path (or no symbols):" \
            "the monocache figure is not the fast path"
    fi
}

# System calls of one /bin/true, per configuration, inside one cache tree.
STRACE_SCRIPT='
out=$1 empty=$2 lib=$3
LD_PRELOAD= strace -o "$out/none" /bin/true || exit 1
LD_PRELOAD=$empty strace -o "$out/empty" /bin/true || exit 1
LD_PRELOAD=$lib strace -o "$out/mono" /bin/true || exit 1
'

# "<count> <name>" of the system calls in an strace -o file.
syscall_counts() {
    sed -n 's/^\([a-z_0-9]*\)(.*/\1/p' "$1" | sort | uniq -c
}

measure_syscalls() {
    local out=$tmp/strace
    local none empty mono extra

    mkdir -p "$out"
    if ! "$MC_BIN" run -- sh -c "$STRACE_SCRIPT" sh "$out" "$EMPTY" "$MC_LIB" 2>/dev/null; then
        failed "strace runs failed"
        return
    fi
    none=$(syscall_counts "$out/none" | awk '{ n += $1 } END { print n + 0 }')
    empty=$(syscall_counts "$out/empty" | awk '{ n += $1 } END { print n + 0 }')
    mono=$(syscall_counts "$out/mono" | awk '{ n += $1 } END { print n + 0 }')
    extra=$( { syscall_counts "$out/empty" | awk '{ print -$1, $2 }'
               syscall_counts "$out/mono"; } |
        awk '{ d[$2] += $1 } END { for (n in d) if (d[n]) printf "%s%+d\n", n, d[n] }' |
        sort | paste -s -d ' ')
    echo "system calls (one /bin/true, strace): none $none  empty $empty  monocache $mono" \
        " -> monocache - empty $((mono - empty)): ${extra:-none}"
}

if wanted 2; then
    section "2. instructions (callgrind) and system calls, one /bin/true inside a cache tree"
    if have valgrind; then
        measure_callgrind
    else
        echo "instructions: skipped, valgrind is not installed"
    fi
    if have strace; then
        measure_syscalls
    else
        echo "system calls: skipped, strace is not installed"
    fi
fi

# --- 3. resident memory ---------------------------------------------------------

# Inside one cache tree: cat reads its own status, smaps_rollup and smaps.
# Prints "<config> <VmRSS> <Private_Dirty> <Rss of the preloaded library's
# own mappings>" lines (KiB), then "watcher ..." for the tree's watcher (its
# pid is the last field of the lock file).
RSS_AWK='
/^VmRSS:/ { rss = $2 }
/^Private_Dirty:/ && !dirty_seen { dirty = $2; dirty_seen = 1 }
/^[0-9a-f]+-[0-9a-f]+ / { in_lib = lib != "" && substr($NF, length($NF) - length(lib) + 1) == lib }
/^Rss:/ && in_lib { lib_rss += $2 }
END { print config, rss, dirty, lib_rss + 0 }
'
RSS_SCRIPT='
rounds=$1 empty=$2 lib=$3 program=$4
probe() {
    LD_PRELOAD=$2 cat /proc/self/status /proc/self/smaps_rollup /proc/self/smaps |
        awk -v config="$1" -v lib="${2##*/}" "$program"
}
r=0
while [ $r -lt "$rounds" ]; do
    case $((r % 3)) in
        0) probe none ""; probe empty "$empty"; probe mono "$lib" ;;
        1) probe empty "$empty"; probe mono "$lib"; probe none "" ;;
        2) probe mono "$lib"; probe none ""; probe empty "$empty" ;;
    esac
    r=$((r + 1))
done
pid=$(cut -c2- "$MONOCACHE_ROOT/run/$MONOCACHE_ID.lock" | awk "{ print \$3 }")
if [ -n "$pid" ] && [ -r "/proc/$pid/status" ]; then
    cat "/proc/$pid/status" "/proc/$pid/smaps_rollup" |
        awk -v config=watcher -v lib= "$program"
fi
'

measure_rss() {
    local out=$tmp/rss
    local config rss dirty lib line

    if ! "$MC_BIN" run -- sh -c "$RSS_SCRIPT" sh "$RSS_ROUNDS" "$EMPTY" "$MC_LIB" "$RSS_AWK" \
        > "$out"; then
        failed "memory probes failed"
        return
    fi
    while read -r config rss dirty lib; do
        if is_number "$rss" && is_number "$dirty" && is_number "$lib"; then
            add "rss.$config" "$rss"
            add "dirty.$config" "$dirty"
            add "librss.$config" "$lib"
        fi
    done < "$out"
    if [ ! -s "$tmp/samples/rss.mono" ] || [ ! -s "$tmp/samples/rss.empty" ]; then
        failed "no VmRSS read"
        return
    fi
    printf 'VmRSS of one process (cat): none %s KiB  empty %s KiB  monocache %s KiB  -> monocache - empty %s KiB (goal < 512 KiB)\n' \
        "$(sample rss.none median)" "$(sample rss.empty median)" "$(sample rss.mono median)" \
        "$(awk -v a="$(sample rss.mono median)" -v b="$(sample rss.empty median)" 'BEGIN { print a - b }')"
    printf '    steadier parts: private dirty none %s, empty %s, monocache %s KiB (monocache - empty %s); resident pages of the preloaded library itself: empty.so %s, libmonocache.so %s KiB\n' \
        "$(sample dirty.none median)" "$(sample dirty.empty median)" "$(sample dirty.mono median)" \
        "$(awk -v a="$(sample dirty.mono median)" -v b="$(sample dirty.empty median)" 'BEGIN { print a - b }')" \
        "$(sample librss.empty median)" "$(sample librss.mono median)"
    printf '    [min..max] VmRSS none %s..%s  empty %s..%s  monocache %s..%s (%s rounds; min monocache - min empty %s KiB)\n' \
        "$(sample rss.none min)" "$(sample rss.none max)" "$(sample rss.empty min)" \
        "$(sample rss.empty max)" "$(sample rss.mono min)" "$(sample rss.mono max)" "$RSS_ROUNDS" \
        "$(awk -v a="$(sample rss.mono min)" -v b="$(sample rss.empty min)" 'BEGIN { print a - b }')"
    line=$(grep '^watcher ' "$out")
    if [ -n "$line" ]; then
        set -- $line
        echo "    watcher (one per cache tree, not per process): VmRSS $2 KiB, private dirty $3 KiB"
    else
        echo "    watcher: not found (no pid in the lock file?)"
    fi
}

if wanted 3; then
    section "3. resident memory per process (fast path, inside a cache tree)"
    measure_rss
fi

# --- 4. wipe speed -------------------------------------------------------------

# Where the trees go: WIPE_DIR if set; else /dev/shm when it is a tmpfs with
# room; else the temporary directory. tmpfs because it is fast and steady: on
# the ext4 of this project's VMs (no journal) a tree built right after
# another was deleted takes 10-30 s instead of 3 s (ext4 skips recently
# deleted inodes one by one), and the same deletion measured 0.9 s to 40 s
# from one try to the next, which drowns the comparison. The caches of this
# section live on the same file system (a MONOCACHE_ROOT of their own), so
# rm -rf and monocache delete the same kind of tree.
choose_wipe_base() {
    local need_kib=$((WIPE_DIRS * WIPE_FILES_PER_DIR * 9 / 2 + 65536))
    local free_kib

    if [ -n "$WIPE_DIR" ]; then
        echo "$WIPE_DIR"
        return
    fi
    if [ -d /dev/shm ] && [ -w /dev/shm ] && [ "$(stat -f -c %T /dev/shm 2>/dev/null)" = tmpfs ]; then
        free_kib=$(df -Pk /dev/shm | awk 'NR == 2 { print $4 }')
        if [ "${free_kib:-0}" -gt "$need_kib" ]; then
            echo /dev/shm
            return
        fi
    fi
    echo "$tmp"
}

# wipe_once rm|ours|release: builds a tree of WIPE_DIRS x WIPE_FILES_PER_DIR
# files (timed apart, for the record), then times its removal.
wipe_once() {
    local how=$1
    local tree=$wipe_tmp/tree
    local idfile=$wipe_tmp/id
    local b0 b1 t0 t1 id stamp

    b0=$EPOCHREALTIME
    case $how in
        rm)
            "$MKTREE" "$tree" "$WIPE_DIRS" "$WIPE_FILES_PER_DIR" > /dev/null || return 1
            b1=$EPOCHREALTIME
            t0=$EPOCHREALTIME
            rm -rf "$tree" || return 1
            t1=$EPOCHREALTIME
            [ ! -e "$tree" ] || return 1
            ;;
        ours)
            # A locked cache outlives its tree; rm --force wipes it through
            # the same code as a release (rename to a tombstone, then wipe).
            MONOCACHE_ROOT=$wipe_root "$MC_BIN" run --lock -- sh -c \
                'echo "$MONOCACHE_ID" > "$1" && exec "$2" "$MONOCACHE_PATH" "$3" "$4"' \
                sh "$idfile" "$MKTREE" "$WIPE_DIRS" "$WIPE_FILES_PER_DIR" > /dev/null || return 1
            b1=$EPOCHREALTIME
            id=$(cat "$idfile")
            [ -n "$id" ] && [ -d "$wipe_root/cache/$id" ] || return 1
            t0=$EPOCHREALTIME
            MONOCACHE_ROOT=$wipe_root "$MC_BIN" rm --force "$id" || return 1
            t1=$EPOCHREALTIME
            [ ! -e "$wipe_root/cache/$id" ] || return 1
            ;;
        release)
            # An unlocked cache, wiped when its tree ends: from the moment the
            # program finished filling it to the moment monocache run returns
            # (run, the last holder, waits for the release).
            stamp=$(MONOCACHE_ROOT=$wipe_root "$MC_BIN" run -- sh -c \
                'echo "$MONOCACHE_ID" > "$1" && exec "$2" "$MONOCACHE_PATH" "$3" "$4"' \
                sh "$idfile" "$MKTREE" "$WIPE_DIRS" "$WIPE_FILES_PER_DIR") || return 1
            t1=$EPOCHREALTIME
            t0=$stamp
            b1=$stamp
            id=$(cat "$idfile")
            [ -n "$id" ] && [ ! -e "$wipe_root/cache/$id" ] || return 1
            ;;
    esac
    add "wipe.$how" "$(elapsed "$t0" "$t1")"
    add wipe.build "$(elapsed "$b0" "$b1")"
}

measure_wipe() {
    local round how rm ours release
    local bad=0

    if [ "$helpers_ok" != 1 ]; then
        failed "wipe: bench/mktree.c did not compile"
        return
    fi
    for ((round = 0; round < WIPE_ROUNDS; round++)); do
        for how in $(rotate "$round" rm ours release); do
            wipe_once "$how" || bad=$((bad + 1))
            rm -rf "$wipe_tmp/tree" "$wipe_tmp/id"
        done
    done
    if [ "$bad" -gt 0 ]; then
        failed "wipe: $bad of $((WIPE_ROUNDS * 3)) runs failed"
    fi
    rm=$(sample wipe.rm median)
    ours=$(sample wipe.ours median)
    release=$(sample wipe.release median)
    paired wipe.ours wipe.rm wipe.pair.ours
    paired wipe.release wipe.rm wipe.pair.release
    printf 'wipe %s files: rm -rf %ss  monocache rm --force %ss  release at tree end %ss  -> rm--force/rm-rf %s (goal <= 1.0), release/rm-rf %s\n' \
        "$((WIPE_DIRS * WIPE_FILES_PER_DIR))" "$(fmt "$rm" 1 3)" "$(fmt "$ours" 1 3)" \
        "$(fmt "$release" 1 3)" "$(ratio "$ours" "$rm")" "$(ratio "$release" "$rm")"
    printf '    paired: rm--force/rm-rf %s, release/rm-rf %s\n' \
        "$(fmt "$(sample wipe.pair.ours median)" 1 3)" "$(fmt "$(sample wipe.pair.release median)" 1 3)"
    printf '    [min..max] rm -rf %s..%s  rm --force %s..%s  release %s..%s (%s rounds); building a tree took %ss (median)\n' \
        "$(fmt "$(sample wipe.rm min)" 1 3)" "$(fmt "$(sample wipe.rm max)" 1 3)" \
        "$(fmt "$(sample wipe.ours min)" 1 3)" "$(fmt "$(sample wipe.ours max)" 1 3)" \
        "$(fmt "$(sample wipe.release min)" 1 3)" "$(fmt "$(sample wipe.release max)" 1 3)" \
        "$WIPE_ROUNDS" "$(fmt "$(sample wipe.build median)" 1 1)"
}

wipe_base=$(choose_wipe_base)
wipe_tmp=$(mktemp -d "$wipe_base/mc-bench-wipe.XXXXXX") || wipe_tmp=
if wanted 4; then
    section "4. wipe speed: $WIPE_DIRS dirs x $WIPE_FILES_PER_DIR files of 1-100 bytes, on $(stat -f -c %T "$wipe_base" 2>/dev/null) ($wipe_base; set WIPE_DIR to choose)"
    if [ -n "$wipe_tmp" ]; then
        chmod 700 "$wipe_tmp"
        wipe_root=$wipe_tmp/root
        measure_wipe
    else
        failed "wipe: cannot make a directory in $wipe_base"
    fi
fi

# --- 5. release latency after SIGKILL ------------------------------------------

KILL_SCRIPT='echo "$MONOCACHE_PATH" > "$1"; exec sleep 100'

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
    printf 'release after SIGKILL of the only holder: directory gone median %s ms, max %s ms; release done (lock file gone) median %s ms, max %s ms (goal: within 1000 ms; %s rounds, polled every 1 ms)\n' \
        "$(fmt "$(sample kill.dir median)" 1 1)" "$(fmt "$(sample kill.dir max)" 1 1)" \
        "$(fmt "$(sample kill.lock median)" 1 1)" "$(fmt "$(sample kill.lock max)" 1 1)" "$KILL_ROUNDS"
}

if wanted 5; then
    section "5. release latency after SIGKILL (LD_PRELOAD=libmonocache.so sh -c '...; exec sleep 100')"
    measure_kill
fi

# --- 6. creation ------------------------------------------------------------------

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
    local round config left
    local bad=0

    # Sanity: a lone preloaded process gets a cache, and it is gone after.
    left=$(LD_PRELOAD=$MC_LIB "$PROBE" print-env MONOCACHE_PATH)
    left=${left#MONOCACHE_PATH=}
    if [ -z "$left" ] || [ -e "$left" ]; then
        failed "creation: a lone preloaded process got no cache, or it was not wiped ($left)"
        return
    fi
    for ((round = 0; round < CREATE_ROUNDS; round++)); do
        for config in $(rotate "$round" none empty mono); do
            create_once "$config" || bad=$((bad + 1))
        done
    done
    if [ "$bad" -gt 0 ]; then
        failed "creation: $bad of $((CREATE_ROUNDS * 3)) runs failed"
    fi
    report_three "create+release (one LD_PRELOAD=lib /bin/true, timed by bash)" create 1000 ms 2 \
        " (informative: once per tree)"
}

if wanted 6; then
    section "6. creation: a process that creates (and wipes) a cache"
    measure_create
fi

# --- 7. scale -------------------------------------------------------------------

# Where the big roots go: tmpfs by default (/dev/shm), because making 100,000
# directories and files on a slow disk takes minutes and measures the disk;
# what is measured here is monocache's share.
scale_base=${SCALE_DIR:-}
if [ -z "$scale_base" ]; then
    scale_base=$tmp
    [ -d /dev/shm ] && [ -w /dev/shm ] && scale_base=/dev/shm
fi

# make_root DIR N: a monocache root holding N locked caches.
make_root() {
    python3 - "$1" "$2" <<'PY'
import json, os, sys, uuid
root, count = sys.argv[1], int(sys.argv[2])
os.makedirs(root + "/cache", mode=0o700)
os.makedirs(root + "/run", mode=0o700)
os.chmod(root, 0o700)
open(root + "/run/.monocache-run", "w").write("monocache run directory\n")
for _ in range(count):
    cid = str(uuid.uuid4())
    os.mkdir(root + "/cache/" + cid, 0o700)
    with open(root + "/cache/" + cid + "/meta.json", "w") as f:
        json.dump({"id": cid, "created": "2026-01-01T00:00:00Z", "locked": True}, f)
PY
}

# trees_once ROOT NAME: SCALE_TREES creations of a cache in ROOT, one after
# another, as a sample of NAME.
trees_once() {
    local t0 t1 i

    t0=$EPOCHREALTIME
    for ((i = 0; i < SCALE_TREES; i++)); do
        MONOCACHE_ROOT=$1 LD_PRELOAD=$MC_LIB /bin/true || return 1
    done
    t1=$EPOCHREALTIME
    add "$2" "$(elapsed "$t0" "$t1")"
}

# first_line ROOT NAME: time until ls prints its first cache line.
first_line() {
    local t0 line
    t0=$EPOCHREALTIME
    line=$(MONOCACHE_ROOT=$1 "$MC_BIN" ls | sed -n '2{p;q}')
    [ -n "$line" ] || return 1
    add "$2" "$(elapsed "$t0" "$EPOCHREALTIME")"
}

measure_scale() {
    local size round config root
    local bad=0

    scale_tmp=$(mktemp -d "$scale_base/mc-bench-scale.XXXXXX") || {
        failed "scale: cannot make a directory in $scale_base"
        return
    }
    make_root "$scale_tmp/empty" 0
    for size in $SCALE_SIZES; do
        if ! make_root "$scale_tmp/r$size" "$size"; then
            failed "scale: cannot make a root of $size caches"
            return
        fi
    done
    for ((round = 0; round < SCALE_ROUNDS; round++)); do
        for config in $(rotate "$round" empty $SCALE_SIZES); do
            root=$scale_tmp/r$config
            [ "$config" = empty ] && root=$scale_tmp/empty
            trees_once "$root" "scale.trees.$config" || bad=$((bad + 1))
        done
    done
    [ "$bad" -gt 0 ] && failed "scale: $bad tree loops failed"
    printf '    %-58s %9s s\n' "$SCALE_TREES creations, empty root (median)" \
        "$(fmt "$(sample scale.trees.empty median)" 1 3)"
    for size in $SCALE_SIZES; do
        printf '    %-58s %9s s   x%s of the empty root   [%s..%s]\n' \
            "$SCALE_TREES creations, $size locked caches" \
            "$(fmt "$(sample "scale.trees.$size" median)" 1 3)" \
            "$(ratio "$(sample "scale.trees.$size" median)" "$(sample scale.trees.empty median)")" \
            "$(fmt "$(sample "scale.trees.$size" min)" 1 3)" "$(fmt "$(sample "scale.trees.$size" max)" 1 3)"
    done
    for size in $SCALE_SIZES; do
        root=$scale_tmp/r$size
        for ((round = 0; round < 3; round++)); do
            timed "scale.gc.$size" env MONOCACHE_ROOT="$root" "$MC_BIN" gc || bad=$((bad + 1))
            timed "scale.ls.$size" env MONOCACHE_ROOT="$root" "$MC_BIN" ls || bad=$((bad + 1))
            first_line "$root" "scale.first.$size" || bad=$((bad + 1))
        done
        printf '    %-58s %9s ms\n' "monocache gc, $size caches, nothing to reclaim (median of 3)" \
            "$(fmt "$(sample "scale.gc.$size" median)" 1000 1)"
        printf '    %-58s %9s ms\n' "monocache ls, $size caches (median of 3)" \
            "$(fmt "$(sample "scale.ls.$size" median)" 1000 1)"
        printf '    %-58s %9s ms\n' "... until its first cache line" \
            "$(fmt "$(sample "scale.first.$size" median)" 1000 1)"
    done
    [ "$(ls "$scale_tmp/r${SCALE_SIZES%% *}/cache" | wc -l)" = "${SCALE_SIZES%% *}" ] ||
        failed "scale: the big root lost caches (gc must keep locked ones)"
    rm -rf "$scale_tmp"
    scale_tmp=
}

if wanted 7; then
    section "7. scale: roots of locked caches ($SCALE_SIZES), on $(stat -f -c %T "$scale_base" 2>/dev/null) ($scale_base; set SCALE_DIR to choose)"
    measure_scale
fi

# --- 8. Redis ---------------------------------------------------------------------

# tree_once CONFIG: one tree (a lone /bin/true that creates and ends its
# cache), as a sample of redis.tree.CONFIG. Every configuration goes through
# env, so the figures include one exec of env; the differences do not.
tree_once() {
    case $1 in
        local) timed redis.tree.local env LD_PRELOAD="$MC_LIB" /bin/true ;;
        redis) timed redis.tree.redis env MONOCACHE_REDIS="$redis_url" LD_PRELOAD="$MC_LIB" /bin/true ;;
        baseline) timed redis.tree.baseline env LD_PRELOAD="$tmp/base/libmonocache.so" /bin/true ;;
    esac
}

measure_redis() {
    local port round config out
    local bad=0
    local configs="local redis"

    if ! have redis-server || ! have redis-cli; then
        failed "Redis: redis-server and redis-cli are not installed (make deps)"
        return
    fi
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    mkdir -p "$tmp/redis"
    redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --daemonize yes \
        --pidfile "$tmp/redis/redis.pid" --dir "$tmp/redis" > /dev/null
    redis_url=redis://127.0.0.1:$port
    for ((round = 0; round < 50; round++)); do
        redis-cli -p "$port" ping > /dev/null 2>&1 && break
        sleep 0.1
    done
    # A fresh register keeps caches for a lease (it may have lost users):
    # start its clock, and let a short lease pass.
    export MONOCACHE_REDIS_LEASE_S=1
    MONOCACHE_REDIS=$redis_url LD_PRELOAD=$MC_LIB /bin/true 2> /dev/null
    sleep 1.2
    MONOCACHE_REDIS=$redis_url "$MC_BIN" gc > /dev/null
    out=$(MONOCACHE_REDIS=$redis_url "$MC_BIN" run -- sh -c \
        'redis-cli -p "$0" HGET CACHE_REGISTER "$MONOCACHE_PATH/"' "$port" 2>&1)
    if [ "$out" != 1 ]; then
        failed "Redis: a tree is not counted in CACHE_REGISTER ($out)"
        return
    fi
    if [ -n "$BASELINE_LIB" ]; then
        mkdir -p "$tmp/base"
        if cp "$BASELINE_LIB" "$tmp/base/libmonocache.so" &&
            cp "$(dirname "$BASELINE_LIB")/monocache" "$tmp/base/monocache"; then
            configs="local redis baseline"
        else
            failed "Redis: cannot copy the baseline build next to $BASELINE_LIB"
        fi
    fi
    for ((round = 0; round < STARTUP_ROUNDS; round++)); do
        for config in $(rotate "$round" empty local redis); do
            case $config in
                empty) out=$(LD_PRELOAD=$EMPTY "$SPAWNLOOP" "$SPAWNS" /bin/true) ;;
                local) out=$("$MC_BIN" run -- "$SPAWNLOOP" "$SPAWNS" /bin/true) ;;
                redis) out=$(MONOCACHE_REDIS=$redis_url "$MC_BIN" run -- "$SPAWNLOOP" "$SPAWNS" /bin/true) ;;
            esac
            if is_number "$out"; then add "redis.fast.$config" "$out"; else bad=$((bad + 1)); fi
        done
    done
    for ((round = 0; round < REDIS_ROUNDS; round++)); do
        for config in $(rotate "$round" $configs); do
            tree_once "$config" || bad=$((bad + 1))
        done
    done
    unset MONOCACHE_REDIS_LEASE_S
    [ "$bad" -gt 0 ] && failed "Redis: $bad runs gave no time"
    echo "fast path, $SPAWNS spawns of /bin/true timed inside the loop (goal: redis <= 1.05 x empty):"
    report_pair "in a Redis-counted cache vs empty preload" redis.fast.redis redis.fast.empty
    report_pair "in a cache without Redis vs empty preload" redis.fast.local redis.fast.empty
    report_pair "in a Redis-counted cache vs one without" redis.fast.redis redis.fast.local
    echo "a whole tree (one LD_PRELOAD=lib /bin/true: create, count, end, wipe; goal: <= +2 ms):"
    report_pair "with Redis (TCP loopback) vs without" redis.tree.redis redis.tree.local
    if [ -s "$tmp/samples/redis.tree.baseline" ]; then
        echo "without Redis, this build vs BASELINE_LIB=$BASELINE_LIB (goal: within 10%):"
        report_pair "this build vs the baseline" redis.tree.local redis.tree.baseline
    fi
    out=$(redis-cli -p "$port" HLEN CACHE_REGISTER)
    [ "$out" = 0 ] || failed "Redis: $out fields left in CACHE_REGISTER after the runs"
}

if wanted 8; then
    section "8. Redis register (a private redis-server on 127.0.0.1)"
    measure_redis
fi

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
    sleep 1
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
