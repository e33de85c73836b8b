#!/usr/bin/env bash
# bench/s3.sh — make bench-s3: monocache's S3 transfers against rclone and the
# AWS CLI, same data, same server (a private s3rver on loopback), same run.
#
# Measures, each interleaved round by round (rotating the order) and
# reported as medians with ratios ours/theirs (below 1: we are faster):
#   1. 2000 files of 4 KiB (20 directories): upload to a fresh prefix,
#      a no-op re-upload (nothing changed), download to a fresh directory.
#      monocache push / pull; rclone copy / sync / copy --transfers 16;
#      aws s3 sync both ways.
#   2. one 200 MB file: upload, download; the same three, plus one plain
#      curl PUT (no checksum) as the floor.
#   3. memory: maximum resident size of `monocache push` (and the
#      monocache-s3 it runs, which is what a watcher runs at a release) for
#      one 2 GiB file (sparse: no disk needed to make it), against 64 MiB.
# Tools that are missing are reported as not measured. Reports, never fails
# on a figure; exits non-zero only when our own transfers fail.
#
# Run by make bench-s3 as MC_BIN=... bench/s3.sh. Everything (data, server
# store, caches) lives in one temporary directory (on /dev/shm when it has
# 4 GiB free, else $TMPDIR; BENCH_DIR chooses), removed at the end; section 3
# stores 2 GiB there for a moment. ROUNDS (default 3)
# rounds each; S3_BENCH_SECTIONS="1 2" skips the memory section. The
# statistics and report lines are bench/lib.sh's, shared with make bench.
set -u
export LC_ALL=C

: "${ROUNDS:=3}"
: "${S3_BENCH_SECTIONS:=1 2 3}"

# The data of each section.
SMALL_DIRS=20                      # section 1: SMALL_DIRS directories of
SMALL_FILES_PER_DIR=100            #   SMALL_FILES_PER_DIR files of
SMALL_FILE_BYTES=4096              #   SMALL_FILE_BYTES random bytes
BIG_FILE_MB=200                    # section 2: one file of random bytes
HUGE_FILE_GIB=2                    # section 3: one sparse file
# Parallel transfers: rclone's, and monocache's own default (MC_S3_DEFAULT_JOBS).
RCLONE_TRANSFERS=16
OUR_DEFAULT_JOBS=16
GOAL_PUSH_RSS_MIB=64               # section 3 (printed beside the figure)
# BENCH_DIR's default is /dev/shm when it has this much free.
BENCH_DIR_MIN_FREE_KIB=$((4 << 20))
# How many times to ask the new s3rver for the bucket (BENCH_POLL_S apart).
S3RVER_START_TRIES=100
# How much of a failed command's stderr a "!! ... failed" line shows.
NOTE_ERR_BYTES=300
BYTES_PER_MB=1000000

here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
. "$here/lib.sh"
bench_sections=$S3_BENCH_SECTIONS
failures=0
has_epochrealtime bench-s3 || exit 2
MC_BIN=${MC_BIN:-$top/monocache}
S3RVER=${MC_S3RVER:-$top/tests/.deps/node_modules/.bin/s3rver}

# On tmpfs by default: the server's disk writes (and the writeback of earlier
# work) made figures vary fourfold from run to run on disk; in memory, all
# three tools are measured on the same CPU-bound ground. BENCH_DIR chooses.
if [ -z "${BENCH_DIR:-}" ]; then
    BENCH_DIR=${TMPDIR:-/tmp}
    if [ -w /dev/shm ] && [ "$(df -Pk /dev/shm | awk 'NR == 2 { print $4 }')" -gt "$BENCH_DIR_MIN_FREE_KIB" ]; then
        BENCH_DIR=/dev/shm
    fi
fi
tmp=$(mktemp -d "$BENCH_DIR/mc-bench-s3.XXXXXX") || exit 1
S3RVER_PID=
cleanup() {
    [ -n "$S3RVER_PID" ] && kill "$S3RVER_PID" 2> /dev/null && wait "$S3RVER_PID" 2> /dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
mkdir -p "$tmp/samples" "$tmp/store" "$tmp/data"

if [ ! -x "$S3RVER" ]; then
    echo "bench-s3: no s3rver at $S3RVER (make deps installs it)" >&2
    exit 1
fi
port=$(free_port)
NODE_OPTIONS=--openssl-legacy-provider "$S3RVER" -d "$tmp/store" -a 127.0.0.1 -p "$port" \
    --configure-bucket bench --silent > "$tmp/s3rver.log" 2>&1 &
S3RVER_PID=$!
wait_until "$S3RVER_START_TRIES" curl -s -o /dev/null "http://127.0.0.1:$port/bench"

# One set of credentials for all three tools; nothing read from ~/.aws.
export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER AWS_DEFAULT_REGION=us-east-1
export AWS_ENDPOINT_URL=http://127.0.0.1:$port AWS_EC2_METADATA_DISABLED=true
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
unset AWS_PROFILE AWS_SESSION_TOKEN AWS_ENDPOINT_URL_S3 AWS_CA_BUNDLE
export RCLONE_CONFIG=/dev/null RCLONE_CONFIG_BENCH_TYPE=s3 RCLONE_CONFIG_BENCH_PROVIDER=Other
export RCLONE_CONFIG_BENCH_ENDPOINT=$AWS_ENDPOINT_URL RCLONE_CONFIG_BENCH_ACCESS_KEY_ID=S3RVER
export RCLONE_CONFIG_BENCH_SECRET_ACCESS_KEY=S3RVER RCLONE_CONFIG_BENCH_FORCE_PATH_STYLE=true
export MONOCACHE_ROOT=$tmp/root
unset MONOCACHE_S3 MONOCACHE_S3_JOBS MONOCACHE_S3_MULTIPART_MB MONOCACHE_EXISTING MONOCACHE_PATH

tools="ours"
have rclone && tools="$tools rclone" || note "rclone not installed: not measured"
have aws && tools="$tools aws" || note "aws not installed: not measured"

# timed_or_note NAME COMMAND...: timed, and when the command failed, a line
# saying so with the start of its stderr.
timed_or_note() {
    timed "$@" && return 0
    note "$1 failed: $(head -c "$NOTE_ERR_BYTES" "$tmp/err")"
    return 1
}

# report KIND...: one line per kind, ours against each other tool.
report() {
    local kind tool m ours spread line
    for kind in "$@"; do
        ours=$(sample "$kind.ours" median)
        spread=-
        [ -s "$tmp/samples/$kind.ours" ] && spread=$(range "$kind.ours" 1 2)
        line=$(printf '  %-10s ours %6.2f s [%s]' "$kind" "$ours" "$spread")
        for tool in $tools floor; do
            [ "$tool" = ours ] && continue
            [ -s "$tmp/samples/$kind.$tool" ] || continue
            m=$(sample "$kind.$tool" median)
            line="$line | $tool $(printf '%.2f' "$m") s, ours/$tool $(ratio "$ours" "$m" 2)"
        done
        echo "$line"
    done
}

# A cache holding the files of $1, locked (kept), for monocache push.
make_cache() {
    "$MC_BIN" run --lock -- sh -c 'cp -R "$0"/. "$MONOCACHE_PATH" && echo "$MONOCACHE_ID"' "$1"
}

# transfer SET TOOL ROUND: upload, no-op re-upload (SET small only),
# download; samples up.TOOL, again.TOOL, down.TOOL prefixed by SET.
ours_failed=0
transfer() {
    local set=$1 tool=$2 round=$3 src=$tmp/data/$1 dest=$tmp/down/$1-$2-$3
    local prefix=$set-$tool-$round
    case $tool in
        ours)
            local id=${ids[$set]}
            timed_or_note "$set.up.ours" "$MC_BIN" push "$id" --s3 "s3://bench/$prefix" || ours_failed=1
            [ "$set" = small ] && { timed_or_note "$set.again.ours" "$MC_BIN" push "$id" \
                --s3 "s3://bench/$prefix" || ours_failed=1; }
            timed_or_note "$set.down.ours" "$MC_BIN" pull "s3://bench/$prefix/$id" \
                --root "$tmp/down/root-$set-$round" || ours_failed=1
            ;;
        rclone)
            timed_or_note "$set.up.rclone" rclone copy -q --transfers "$RCLONE_TRANSFERS" "$src" "bench:bench/$prefix"
            [ "$set" = small ] && timed_or_note "$set.again.rclone" rclone sync -q --transfers "$RCLONE_TRANSFERS" \
                "$src" "bench:bench/$prefix"
            timed_or_note "$set.down.rclone" rclone copy -q --transfers "$RCLONE_TRANSFERS" "bench:bench/$prefix" "$dest"
            ;;
        aws)
            timed_or_note "$set.up.aws" aws s3 sync --quiet "$src" "s3://bench/$prefix"
            [ "$set" = small ] && timed_or_note "$set.again.aws" aws s3 sync --quiet "$src" \
                "s3://bench/$prefix"
            timed_or_note "$set.down.aws" aws s3 sync --quiet "s3://bench/$prefix" "$dest"
            ;;
        floor)
            timed_or_note "$set.up.floor" curl -sf -o /dev/null -T "$src/big.bin" \
                "$AWS_ENDPOINT_URL/bench/$prefix/big.bin"
            timed_or_note "$set.down.floor" curl -sf -o "$dest.bin" \
                "$AWS_ENDPOINT_URL/bench/$prefix/big.bin"
            ;;
    esac
    # What was uploaded is not needed again: keep the server's store small.
    rm -rf "$tmp/store/bench/$prefix" "$dest" "$dest.bin" "$tmp/down/root-$set-$round"
}

echo "monocache S3 benchmark — $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs," \
    "load $(cut -d' ' -f1-3 /proc/loadavg); s3rver $("$S3RVER" --version 2>/dev/null)," \
    "$(rclone version 2>/dev/null | head -1), $(aws --version 2>&1 | cut -d' ' -f1)"
echo "tree: $(git -C "$top" describe --always --dirty 2>/dev/null || echo unknown); in $BENCH_DIR;" \
    "$ROUNDS rounds, medians [min..max]; ours/theirs below 1: monocache faster"
declare -A ids
mkdir -p "$tmp/down"

if wanted 1; then
    mkdir -p "$tmp/data/small"
    for d in $(seq "$SMALL_DIRS"); do
        mkdir "$tmp/data/small/d$d"
        for f in $(seq "$SMALL_FILES_PER_DIR"); do
            head -c "$SMALL_FILE_BYTES" /dev/urandom > "$tmp/data/small/d$d/f$f"
        done
    done
    ids[small]=$(make_cache "$tmp/data/small")
    interleave "$ROUNDS" "$tools" transfer small
    heading "1. $((SMALL_DIRS * SMALL_FILES_PER_DIR)) files of $((SMALL_FILE_BYTES / BYTES_PER_KIB)) KiB"
    report small.up small.again small.down
fi

if wanted 2; then
    mkdir -p "$tmp/data/big"
    head -c "$((BIG_FILE_MB * BYTES_PER_MB))" /dev/urandom > "$tmp/data/big/big.bin"
    ids[big]=$(make_cache "$tmp/data/big")
    interleave "$ROUNDS" "$tools floor" transfer big
    heading "2. one $BIG_FILE_MB MB file (floor: one curl PUT/GET, no checksum)"
    report big.up big.down
fi

if wanted 3; then
    mkdir -p "$tmp/data/huge"
    truncate -s "${HUGE_FILE_GIB}G" "$tmp/data/huge/huge.bin"
    id=$(make_cache "$tmp/data/huge")
    heading "3. memory: monocache push of one $HUGE_FILE_GIB GiB file (parts, $OUR_DEFAULT_JOBS at once)"
    if /usr/bin/time -f "%M %e" -o "$tmp/time" "$MC_BIN" push "$id" --s3 s3://bench/huge \
        > /dev/null 2> "$tmp/err"; then
        read -r rss secs < "$tmp/time"
        echo "  max resident $((rss / KIB_PER_MIB)) MiB (goal < $GOAL_PUSH_RSS_MIB MiB), $secs s"
    else
        note "push of $HUGE_FILE_GIB GiB failed: $(head -c "$NOTE_ERR_BYTES" "$tmp/err")"
        ours_failed=1
    fi
    "$MC_BIN" rm --force "$id" > /dev/null
    rm -rf "$tmp/store/bench/huge" "$tmp/data/huge"
fi
exit "$ours_failed"
