# lib.sh — TAP helpers for monocache's black-box tests, sourced by tests/t*.sh.
#
# Each test is a short named block that sets up, acts and checks, with real
# processes and no mocks. A failing check prints what it expected and what it
# got. Every test file gets its own temporary directory ($T) and cache root
# ($ROOT), and cleans up its watchers at the end, however it ends (atexit).
# A test waits for events (eventually, a FIFO, a file written when ready),
# never for a guessed time, and ends only the processes it started: by pid
# or process group, never by name (pkill would take anyone's).
#
# Set by make check: MC_BIN (the tool), MC_LIB (the library), MC_HELPERS
# (tests/helpers binaries). MC_VALGRIND=1 runs every monocache process under
# memcheck; MC_SANITIZED=1 (make check-asan) collects ASan/UBSan reports.

set -u

# Run as if outside any cache tree, even under `monocache run -- make check`:
# not preloaded (a preloaded shell keeps our descriptor whatever it closes),
# and without the tree's holder descriptor, so that the tests' own caches
# get the descriptor number a fresh program would.
if [ -n "${LD_PRELOAD:-}" ]; then
    exec env -u LD_PRELOAD bash "$0" "$@"
fi
case ${MONOCACHE_HOLD:-} in
    -) ;;
    *:*) hold_fd=${MONOCACHE_HOLD%%:*} ;;
esac
case ${hold_fd:-} in
    ''|*[!0-9]*) ;;
    *) eval "exec ${hold_fd}>&-" ;;
esac

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
: "${MC_BIN:=$top/monocache}"
: "${MC_LIB:=$top/libmonocache.so}"
: "${MC_HELPERS:=$top/build/tests/helpers}"
: "${MC_SANITIZED:=0}"

# Nothing from the caller's own cache tree leaks into the tests.
for name in $(env | sed -n 's/^\(MONOCACHE_[A-Z_]*\)=.*/\1/p'); do
    unset "$name"
done
unset LD_PRELOAD

T=$(mktemp -d "${TMPDIR:-/tmp}/mc-test.XXXXXX")
chmod 700 "$T"
ROOT=$T/root
export MONOCACHE_ROOT=$ROOT
tap_count=0
tap_failed=0

# --- Cleanup, however the file ends (as git's test_atexit) ----------------
# atexit COMMAND: COMMAND (shell text) runs once when this file ends: from
# finish, or from the EXIT trap when the file dies first (an unset variable
# under set -u, a signal, an exit). The last registered runs first, so a
# server goes after what uses it. Its output is discarded. What it ends must
# be what this file started (a pid, a process group), never found by name.
atexit_commands=()
atexit() {
    atexit_commands=("$1" "${atexit_commands[@]}")
}

run_atexit() {
    local command
    local commands=("${atexit_commands[@]}")
    atexit_commands=()
    for command in "${commands[@]}"; do
        eval "$command" > /dev/null 2>&1
    done
}

# The watchers of caches still held are ended with the file, and $T goes.
remove_test_dir() {
    kill_watchers
    chmod -R u+rwx "$T" 2>/dev/null
    rm -rf "$T" 2>/dev/null
}

on_exit() {
    local status=$?
    trap - EXIT
    if [ -d "$T" ]; then
        [ "$status" = 0 ] || echo "# $(basename "$0") ended before finish (status $status); cleaning up"
        run_atexit
        remove_test_dir
    fi
    exit "$status"
}
trap on_exit EXIT
# A signal ends the file through the EXIT trap (bash runs it on exit, not on
# a fatal signal). Background jobs of a script ignore INT and QUIT: the
# servers a file starts do not see a Ctrl-C; its atexit commands end them.
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

# server COMMAND...: starts a server of this file in the background, its
# pid in $!, disowned (a plain `wait` does not wait for it). It is a child
# of this shell, in the test's process group (which a harness may kill
# whole), and where setpriv can, the kernel kills it if this shell dies
# without running its atexit commands (SIGKILL). Call it from the file's
# own shell, not a subshell: the server dies with its parent.
if setpriv --help 2> /dev/null | grep -q -- --pdeathsig; then
    dies_with_parent="setpriv --pdeathsig KILL"
else
    dies_with_parent=
fi
server() {
    $dies_with_parent "$@" &
    disown
}

# The library as installed next to the tool (run and preload-path find this
# one), whichever copy the tests preload.
# (its soname beside the real file, as the tool names it in LD_PRELOAD).
MC_REAL_LIB=$(cd "$(dirname "$MC_LIB")" && pwd -P)/libmonocache.so.0
[ -e "$MC_REAL_LIB" ] || MC_REAL_LIB=$(readlink -f "$MC_LIB")
if [ "${MC_VALGRIND:-0}" = 1 ]; then
    # The shim starts the `monocache` next to libmonocache.so: put a copy of
    # the library next to a script that runs the real tool under memcheck.
    # The tool starts the monocache-s3 next to itself: a copy of the tool in
    # vg/real, next to a script that runs monocache-s3 under memcheck too.
    mkdir -p "$T/vg/real"
    cp "$MC_LIB" "$T/vg/libmonocache.so"
    cp "$MC_LIB" "$T/vg/real/libmonocache.so.0"
    cp "$MC_BIN" "$T/vg/real/monocache"
    # Valgrind writes its own files under TMPDIR; where a test points TMPDIR
    # somewhere unusable, that one call runs the tool without memcheck.
    for tool in monocache:"$T/vg/real/monocache" monocache-s3:"$(dirname "$MC_BIN")/monocache-s3"; do
        cat > "$T/vg/${tool%%:*}" <<VG
#!/bin/sh
[ -d "\${TMPDIR:-/tmp}" ] && [ -w "\${TMPDIR:-/tmp}" ] || exec "${tool#*:}" "\$@"
exec valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
    --log-file="$T/vg/log.%p" "${tool#*:}" "\$@"
VG
        chmod +x "$T/vg/${tool%%:*}"
    done
    mv "$T/vg/monocache-s3" "$T/vg/real/monocache-s3"
    MC_REAL_LIB=$T/vg/real/libmonocache.so.0
    MC_LIB=$T/vg/libmonocache.so
    MC_BIN=$T/vg/monocache
fi

PRELOAD=$MC_LIB
if [ "$MC_SANITIZED" = 1 ]; then
    # The tool is linked with ASan; when a user preloads something (our
    # library in a tree, or another) ASan is not first, which is harmless here.
    export ASAN_OPTIONS="log_path=$T/asan:exitcode=86:verify_asan_link_order=0"
    export UBSAN_OPTIONS="print_stacktrace=1:log_path=$T/ubsan"
fi

mc() {
    "$MC_BIN" "$@"
}

# Runs a command with the library preloaded.
with_cache() {
    LD_PRELOAD=$PRELOAD "$@"
}

pass() {
    tap_count=$((tap_count + 1))
    echo "ok $tap_count - $1"
}

fail() {
    tap_count=$((tap_count + 1))
    tap_failed=$((tap_failed + 1))
    echo "not ok $tap_count - $1"
    shift
    for line in "$@"; do
        echo "#   $line"
    done
}

# is NAME GOT WANT
is() {
    if [ "$2" = "$3" ]; then
        pass "$1"
    else
        fail "$1" "expected: '$3'" "     got: '$2'"
    fi
}

# like NAME GOT EXTENDED-REGEX
like() {
    if printf '%s' "$2" | grep -Eq -- "$3"; then
        pass "$1"
    else
        fail "$1" "expected to match: $3" "                got: '$2'"
    fi
}

# ok NAME COMMAND...: passes if the command succeeds.
ok() {
    name=$1
    shift
    if "$@" > "$T/ok.out" 2>&1; then
        pass "$name"
    else
        fail "$name" "command failed ($?): $*" "output: $(head -c 2000 "$T/ok.out")"
    fi
}

# refute NAME COMMAND...: passes if the command fails.
refute() {
    name=$1
    shift
    if "$@" > "$T/ok.out" 2>&1; then
        fail "$name" "command succeeded, expected failure: $*"
    else
        pass "$name"
    fi
}

# Waits (polling) up to SECONDS for COMMAND to succeed; returns its status.
# For correctness only: timing goals are measured by make bench, not here.
# refused_before_main PREFIX VAR=VALUE...: each setting, alone, stops a
# preloaded program before main: status 125, one line "monocache: " PREFIX
# (an extended regex, often "") then the variable's name.
refused_before_main() {
    local prefix=$1 bad out status
    shift
    rm -f "$T/ran"
    for bad in "$@"; do
        out=$(env "$bad" LD_PRELOAD="$PRELOAD" touch "$T/ran" 2>&1)
        status=$?
        is "$bad: exit 125 before main" "$status" 125
        like "... one line naming ${bad%%=*}" "$out" "^monocache: $prefix${bad%%=*}[=:]"
        is "... only one line" "$(printf '%s\n' "$out" | wc -l)" 1
    done
    refute "... the program never ran" test -e "$T/ran"
}

eventually() {
    seconds=$1
    shift
    deadline=$(( $(date +%s) + seconds ))
    while ! "$@" 2>/dev/null; do
        [ "$(date +%s)" -ge "$deadline" ] && return 1
        sleep 0.02
    done
    return 0
}

gone() {
    [ ! -e "$1" ]
}

# alive PID...: one of these processes is still running. A zombie is not:
# it holds no descriptor, and its pid only waits for its parent's wait().
alive() {
    local pid stat
    for pid in "$@"; do
        read -r stat 2> /dev/null < "/proc/$pid/stat" || continue
        stat=${stat##*) }
        [ "${stat%% *}" != Z ] && return 0
    done
    return 1
}

# ended PID...: none of these processes is running (for eventually).
ended() {
    ! alive "$@"
}

# has_open PID PATH: process PID has PATH open (what fuser says, for one pid).
has_open() {
    local fd
    for fd in /proc/"$1"/fd/*; do
        [ "$(readlink "$fd" 2> /dev/null)" = "$2" ] && return 0
    done
    return 1
}

# No process but this shell has a file under $T open: every process of this
# test has ended (under valgrind, each has closed its log).
test_dir_quiet() {
    ! find /proc/[0-9]*/fd -maxdepth 1 -lname "$T/*" 2> /dev/null | grep -qv "^/proc/$$/"
}

# The caches under $ROOT (ids: names of [A-Za-z0-9][A-Za-z0-9._-]*, not the
# dot files of wipes and pulls), one per line.
caches() {
    ls -A "$ROOT/cache" 2>/dev/null | grep -E '^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$' || true
}

cache_count() {
    caches | wc -l | tr -d ' '
}

# has_caches N: exactly N caches under $ROOT (for eventually).
has_caches() {
    [ "$(cache_count)" = "$1" ]
}

# The run directory's entries but its own dot files (marker, sweep lock).
run_entries() {
    ls "$ROOT/run" 2>/dev/null
}

no_caches() {
    [ "$(cache_count)" = 0 ] && [ -z "$(run_entries)" ]
}

# Raw wait status of a command, as the kernel gives it to its parent.
wait_status() {
    "$MC_HELPERS/waitstatus" "$@"
}

# Kills the watchers of caches under $ROOT (their pids are in the lock files).
kill_watchers() {
    for lock in "$ROOT"/run/*.lock; do
        [ -f "$lock" ] || continue
        pid=$(awk '{print $4}' "$lock" 2>/dev/null)
        [ -n "$pid" ] && [ "$pid" != 0 ] && kill -9 "$pid" 2>/dev/null
    done
    return 0
}

# Memcheck errors and leaks, ASan and UBSan reports. Valgrind 3.19's notes
# about system calls it does not know (openat2) are not errors.
sanitizer_reports() {
    found=0
    for log in "$T"/vg/log.* "$T"/asan.* "$T"/ubsan.*; do
        [ -s "$log" ] || continue
        grep -Eq 'Invalid|uninitialised|definitely lost|Syscall param|Mismatched|overlap|ERROR: |runtime error' "$log" || continue
        echo "# --- $log"
        sed 's/^/# /' "$log" | head -60
        found=1
    done
    return $found
}

# The end of every test file: what it started goes (atexit), then, under
# valgrind or a sanitizer, every report is read once the processes that
# write them have ended; then the plan.
finish() {
    run_atexit
    if [ "${MC_VALGRIND:-0}" = 1 ] || [ "$MC_SANITIZED" = 1 ]; then
        eventually 10 test_dir_quiet
        if out=$(sanitizer_reports); then
            pass "no memcheck or sanitizer reports"
        else
            fail "no memcheck or sanitizer reports"
            echo "$out"
        fi
    fi
    remove_test_dir
    echo "1..$tap_count"
    [ "$tap_failed" = 0 ]
}
