# bench/lib.sh — what make bench (bench/run.sh and its bench/sections/) and
# make bench-s3 (bench/s3.sh) share: samples and their statistics (median,
# min, max, range, ratio of medians, per-round ratios), the rotation that
# interleaves configurations round by round, timing one command, the lines
# every report prints (a section heading, an "!! ..." note, a measurement
# not taken, the result lines of two or three configurations), and checking
# that a tool is present.
#
# Sourced, never run: defines functions and constants, runs nothing. The
# script that sources it sets
#   tmp             its private temporary directory; samples go to
#                   $tmp/samples/NAME (one file per name, one sample a line,
#                   in the order taken), a timed command's stderr to $tmp/err;
#   bench_sections  the section numbers to run (see wanted);
#   failures        0 (failed counts the measurements not taken).
# Reports figures, never judges them: nothing here fails because of a figure.

MS_PER_S=1000
NS_PER_S=1000000000
BYTES_PER_KIB=1024
KIB_PER_MIB=1024
# How often wait_until tries again, in seconds.
BENCH_POLL_S=0.1

# --- checks -------------------------------------------------------------------

# have TOOL: TOOL is installed (on PATH).
have() {
    command -v "$1" > /dev/null 2>&1
}

# has_epochrealtime WHO: bash 5's $EPOCHREALTIME, which every timing reads;
# says so (as WHO) when it is missing.
has_epochrealtime() {
    if [ -z "${EPOCHREALTIME:-}" ]; then
        echo "$1: needs bash 5 (EPOCHREALTIME)" >&2
        return 1
    fi
    return 0
}

# wanted N: section N is in bench_sections.
wanted() {
    case " $bench_sections " in
        *" $1 "*) return 0 ;;
    esac
    return 1
}

# is_number TEXT: a non-negative decimal number.
is_number() {
    case $1 in
        '' | *[!0-9.]* | *.*.*) return 1 ;;
    esac
    return 0
}

# free_port: a TCP port on 127.0.0.1 that nobody listens on just now.
free_port() {
    "$(command -v /usr/bin/python3 || command -v python3)" -c \
        'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# wait_until TRIES COMMAND...: runs COMMAND (quietly) until it succeeds, at
# most TRIES times, BENCH_POLL_S apart; 1 if it never did.
wait_until() {
    local tries=$1 try
    shift

    for ((try = 0; try < tries; try++)); do
        "$@" > /dev/null 2>&1 && return 0
        sleep "$BENCH_POLL_S"
    done
    return 1
}

# --- samples and statistics ---------------------------------------------------

# add NAME VALUE: one sample.
add() {
    echo "$2" >> "$tmp/samples/$1"
}

# sample NAME median|min|max: of the samples of NAME ("nan" if none).
sample() {
    local file=$tmp/samples/$1

    [ -s "$file" ] || { echo nan; return; }
    sort -g "$file" | awk -v what="$2" '
        { v[NR] = $1 }
        END {
            if (what == "min") print v[1]
            else if (what == "max") print v[NR]
            else if (NR % 2) print v[(NR + 1) / 2]
            else print (v[NR / 2] + v[NR / 2 + 1]) / 2
        }'
}

# fmt VALUE SCALE DECIMALS: VALUE * SCALE, printed.
fmt() {
    awk -v v="$1" -v s="$2" -v d="$3" 'BEGIN {
        if (v == "nan") print "nan"; else printf "%.*f", d, v * s }'
}

# range NAME SCALE DECIMALS: "min..max" of the samples of NAME, each as fmt
# prints it ("nan..nan" if none).
range() {
    echo "$(fmt "$(sample "$1" min)" "$2" "$3")..$(fmt "$(sample "$1" max)" "$2" "$3")"
}

# ratio A B [DECIMALS]: A/B to DECIMALS places (default 3); "n/a" when
# either is missing or B is not positive.
ratio() {
    awk -v a="$1" -v b="$2" -v d="${3:-3}" 'BEGIN {
        if (a == "nan" || b == "nan" || b + 0 <= 0) print "n/a"; else printf "%.*f", d, a / b }'
}

# difference A B SCALE: (A - B) * SCALE, as awk prints it.
difference() {
    awk -v a="$1" -v b="$2" -v s="${3:-1}" 'BEGIN { print (a - b) * s }'
}

# paired A B NAME: per-round ratios A[i]/B[i] of two sample files into NAME.
paired() {
    paste "$tmp/samples/$1" "$tmp/samples/$2" 2>/dev/null |
        awk '$2 > 0 { printf "%.6f\n", $1 / $2 }' > "$tmp/samples/$3"
}

# rounds NAME: how many samples NAME has.
rounds() {
    wc -l < "$tmp/samples/$1" 2>/dev/null || echo 0
}

# --- timing and interleaving ----------------------------------------------------

# elapsed T0 T1: seconds between two $EPOCHREALTIME readings.
elapsed() {
    awk -v a="$1" -v b="$2" 'BEGIN { printf "%.6f", b - a }'
}

# timed NAME COMMAND...: one sample of NAME, the command's wall time in
# seconds; its output is dropped, its stderr kept in $tmp/err. 1 (and no
# sample) if it failed.
timed() {
    local name=$1 t0 t1
    shift
    t0=$EPOCHREALTIME
    "$@" > /dev/null 2> "$tmp/err" || return 1
    t1=$EPOCHREALTIME
    add "$name" "$(elapsed "$t0" "$t1")"
}

# rotate ROUND WORD...: the words, rotated by ROUND (interleaving order).
rotate() {
    local round=$1
    shift
    local words=("$@")
    local n=${#words[@]}
    local i

    for ((i = 0; i < n; i++)); do
        echo "${words[(round + i) % n]}"
    done
}

# interleave ROUNDS "CONFIG..." COMMAND [ARG...]: ROUNDS rounds, each
# running COMMAND ARG... CONFIG ROUND once for every CONFIG, in the order
# rotate gives for that round (so no configuration always goes first).
# Leaves in interleave_runs how many runs there were, in interleave_failed
# how many of them failed.
interleave_runs=0
interleave_failed=0
interleave() {
    local round_count=$1 config_list=$2 round config
    shift 2

    interleave_runs=0
    interleave_failed=0
    for ((round = 0; round < round_count; round++)); do
        for config in $(rotate "$round" $config_list); do
            interleave_runs=$((interleave_runs + 1))
            "$@" "$config" "$round" || interleave_failed=$((interleave_failed + 1))
        done
    done
}

# --- report lines ---------------------------------------------------------------

# heading TITLE: a blank line, then "== TITLE".
heading() {
    echo
    echo "== $1"
}

# note TEXT: an indented "!! TEXT" line (something went wrong or is missing).
note() {
    echo "  !! $*"
}

# failed TEXT: a measurement that could not be taken, said and counted.
failed() {
    failures=$((failures + 1))
    note "not measured: $*"
}

# report_three LABEL PREFIX SCALE UNIT DECIMALS GOAL: three result lines for
# the samples PREFIX.none, PREFIX.empty and PREFIX.mono (no preload, the
# empty preload, libmonocache.so): medians and their ratios (GOAL printed
# after monocache/empty), per-round ratios, best-of, and [min..max].
report_three() {
    local label=$1
    local prefix=$2
    local scale=$3
    local unit=$4
    local decimals=$5
    local goal=$6
    local none empty mono

    none=$(sample "$prefix.none" median)
    empty=$(sample "$prefix.empty" median)
    mono=$(sample "$prefix.mono" median)
    paired "$prefix.mono" "$prefix.empty" "$prefix.pair.me"
    paired "$prefix.empty" "$prefix.none" "$prefix.pair.en"
    paired "$prefix.mono" "$prefix.none" "$prefix.pair.mn"
    printf '%s: none %s%s  empty %s%s  monocache %s%s  -> monocache/empty %s%s, empty/none %s, monocache/none %s\n' \
        "$label" "$(fmt "$none" "$scale" "$decimals")" "$unit" \
        "$(fmt "$empty" "$scale" "$decimals")" "$unit" \
        "$(fmt "$mono" "$scale" "$decimals")" "$unit" \
        "$(ratio "$mono" "$empty")" "$goal" "$(ratio "$empty" "$none")" "$(ratio "$mono" "$none")"
    printf '    paired: monocache/empty %s, empty/none %s, monocache/none %s; best-of: monocache/empty %s\n' \
        "$(fmt "$(sample "$prefix.pair.me" median)" 1 3)" \
        "$(fmt "$(sample "$prefix.pair.en" median)" 1 3)" \
        "$(fmt "$(sample "$prefix.pair.mn" median)" 1 3)" \
        "$(ratio "$(sample "$prefix.mono" min)" "$(sample "$prefix.empty" min)")"
    printf '    [min..max] none %s  empty %s  monocache %s (%s rounds)\n' \
        "$(range "$prefix.none" "$scale" "$decimals")" \
        "$(range "$prefix.empty" "$scale" "$decimals")" \
        "$(range "$prefix.mono" "$scale" "$decimals")" \
        "$(rounds "$prefix.mono")"
}

# report_pair LABEL A B: one result line for samples A and B (seconds): their
# medians in ms, the difference and the ratio, paired and [min..max]. The
# last word of each sample name labels it.
report_pair() {
    local label=$1 a=$2 b=$3

    paired "$a" "$b" "$a.pair"
    printf '    %-44s %s %.3f ms, %s %.3f ms: %+.3f ms, x%s (paired x%s) [%s / %s ms]\n' \
        "$label" "${a##*.}" "$(fmt "$(sample "$a" median)" "$MS_PER_S" 3)" \
        "${b##*.}" "$(fmt "$(sample "$b" median)" "$MS_PER_S" 3)" \
        "$(difference "$(sample "$a" median)" "$(sample "$b" median)" "$MS_PER_S")" \
        "$(ratio "$(sample "$a" median)" "$(sample "$b" median)")" \
        "$(fmt "$(sample "$a.pair" median)" 1 3)" \
        "$(range "$a" "$MS_PER_S" 2)" "$(range "$b" "$MS_PER_S" 2)"
}

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
