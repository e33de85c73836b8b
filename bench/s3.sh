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
# rounds each; S3_BENCH_SECTIONS="1 2" skips the memory section.
set -u
export LC_ALL=C

: "${ROUNDS:=3}"
: "${S3_BENCH_SECTIONS:=1 2 3}"

here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
MC_BIN=${MC_BIN:-$top/monocache}
S3RVER=${MC_S3RVER:-$top/tests/.deps/node_modules/.bin/s3rver}
PY=$(command -v /usr/bin/python3 || command -v python3)

# On tmpfs by default: the server's disk writes (and the writeback of earlier
# work) made figures vary fourfold from run to run on disk; in memory, all
# three tools are measured on the same CPU-bound ground. BENCH_DIR chooses.
if [ -z "${BENCH_DIR:-}" ]; then
    BENCH_DIR=${TMPDIR:-/tmp}
    if [ -w /dev/shm ] && [ "$(df -Pk /dev/shm | awk 'NR == 2 { print $4 }')" -gt $((4 << 20)) ]; then
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
port=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
NODE_OPTIONS=--openssl-legacy-provider "$S3RVER" -d "$tmp/store" -a 127.0.0.1 -p "$port" \
    --configure-bucket bench --silent > "$tmp/s3rver.log" 2>&1 &
S3RVER_PID=$!
for _ in $(seq 100); do
    curl -s -o /dev/null "http://127.0.0.1:$port/bench" && break
    sleep 0.1
done

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

have() { command -v "$1" > /dev/null 2>&1; }
tools="ours"
have rclone && tools="$tools rclone" || echo "  !! rclone not installed: not measured"
have aws && tools="$tools aws" || echo "  !! aws not installed: not measured"

wanted() {
    case " $S3_BENCH_SECTIONS " in *" $1 "*) return 0 ;; esac
    return 1
}

add() { echo "$2" >> "$tmp/samples/$1"; }

median() {
    [ -s "$tmp/samples/$1" ] || { echo nan; return; }
    sort -g "$tmp/samples/$1" | awk '{ v[NR] = $1 } END {
        if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

spread() {
    [ -s "$tmp/samples/$1" ] || { echo "-"; return; }
    sort -g "$tmp/samples/$1" | awk 'NR == 1 { lo = $1 } { hi = $1 } END { printf "%.2f..%.2f", lo, hi }'
}

ratio() {
    awk -v a="$1" -v b="$2" 'BEGIN {
        if (a == "nan" || b == "nan" || b + 0 <= 0) print "n/a"; else printf "%.2f", a / b }'
}

# timed NAME COMMAND...: one sample of NAME, in seconds; 1 if it failed.
timed() {
    local name=$1 t0 t1
    shift
    t0=$EPOCHREALTIME
    if ! "$@" > "$tmp/out" 2> "$tmp/err"; then
        echo "  !! $name failed: $(head -c 300 "$tmp/err")"
        return 1
    fi
    t1=$EPOCHREALTIME
    add "$name" "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f", b - a }')"
}

rotate() {
    local round=$1 i
    shift
    local words=("$@")
    for ((i = 0; i < ${#words[@]}; i++)); do
        echo "${words[(round + i) % ${#words[@]}]}"
    done
}

# report TITLE KIND...: one line per kind, ours against each other tool.
report() {
    local kind tool m ours line
    for kind in "$@"; do
        ours=$(median "$kind.ours")
        line=$(printf '  %-10s ours %6.2f s [%s]' "$kind" "$ours" "$(spread "$kind.ours")")
        for tool in $tools floor; do
            [ "$tool" = ours ] && continue
            [ -s "$tmp/samples/$kind.$tool" ] || continue
            m=$(median "$kind.$tool")
            line="$line | $tool $(printf '%.2f' "$m") s, ours/$tool $(ratio "$ours" "$m")"
        done
        echo "$line"
    done
}

# A cache holding the files of $1, locked (kept), for monocache push.
make_cache() {
    "$MC_BIN" run --lock -- sh -c 'cp -R "$0"/. "$MONOCACHE_PATH" && echo "$MONOCACHE_ID"' "$1"
}

# transfer TOOL SET ROUND: upload, no-op re-upload (SET small only),
# download; samples up.TOOL, again.TOOL, down.TOOL prefixed by SET.
ours_failed=0
transfer() {
    local tool=$1 set=$2 round=$3 src=$tmp/data/$2 dest=$tmp/down/$2-$1-$3
    local prefix=$set-$tool-$round
    case $tool in
        ours)
            local id=${ids[$set]}
            timed "$set.up.ours" "$MC_BIN" push "$id" --s3 "s3://bench/$prefix" || ours_failed=1
            [ "$set" = small ] && { timed "$set.again.ours" "$MC_BIN" push "$id" \
                --s3 "s3://bench/$prefix" || ours_failed=1; }
            timed "$set.down.ours" "$MC_BIN" pull "s3://bench/$prefix/$id" \
                --root "$tmp/down/root-$set-$round" || ours_failed=1
            ;;
        rclone)
            timed "$set.up.rclone" rclone copy -q --transfers 16 "$src" "bench:bench/$prefix"
            [ "$set" = small ] && timed "$set.again.rclone" rclone sync -q --transfers 16 \
                "$src" "bench:bench/$prefix"
            timed "$set.down.rclone" rclone copy -q --transfers 16 "bench:bench/$prefix" "$dest"
            ;;
        aws)
            timed "$set.up.aws" aws s3 sync --quiet "$src" "s3://bench/$prefix"
            [ "$set" = small ] && timed "$set.again.aws" aws s3 sync --quiet "$src" \
                "s3://bench/$prefix"
            timed "$set.down.aws" aws s3 sync --quiet "s3://bench/$prefix" "$dest"
            ;;
        floor)
            timed "$set.up.floor" curl -sf -o /dev/null -T "$src/big.bin" \
                "$AWS_ENDPOINT_URL/bench/$prefix/big.bin"
            timed "$set.down.floor" curl -sf -o "$dest.bin" \
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
    for d in $(seq 20); do
        mkdir "$tmp/data/small/d$d"
        for f in $(seq 100); do
            head -c 4096 /dev/urandom > "$tmp/data/small/d$d/f$f"
        done
    done
    ids[small]=$(make_cache "$tmp/data/small")
    for ((round = 0; round < ROUNDS; round++)); do
        for tool in $(rotate "$round" $tools); do
            transfer "$tool" small "$round"
        done
    done
    echo
    echo "== 1. 2000 files of 4 KiB"
    report small.up small.again small.down
fi

if wanted 2; then
    mkdir -p "$tmp/data/big"
    head -c 200000000 /dev/urandom > "$tmp/data/big/big.bin"
    ids[big]=$(make_cache "$tmp/data/big")
    for ((round = 0; round < ROUNDS; round++)); do
        for tool in $(rotate "$round" $tools floor); do
            transfer "$tool" big "$round"
        done
    done
    echo
    echo "== 2. one 200 MB file (floor: one curl PUT/GET, no checksum)"
    report big.up big.down
fi

if wanted 3; then
    mkdir -p "$tmp/data/huge"
    truncate -s 2G "$tmp/data/huge/huge.bin"
    id=$(make_cache "$tmp/data/huge")
    echo
    echo "== 3. memory: monocache push of one 2 GiB file (parts, 16 at once)"
    if /usr/bin/time -f "%M %e" -o "$tmp/time" "$MC_BIN" push "$id" --s3 s3://bench/huge \
        > /dev/null 2> "$tmp/err"; then
        read -r rss secs < "$tmp/time"
        echo "  max resident $((rss / 1024)) MiB (goal < 64 MiB), $secs s"
    else
        echo "  !! push of 2 GiB failed: $(head -c 300 "$tmp/err")"
        ours_failed=1
    fi
    "$MC_BIN" rm --force "$id" > /dev/null
    rm -rf "$tmp/store/bench/huge" "$tmp/data/huge"
fi
exit "$ours_failed"
