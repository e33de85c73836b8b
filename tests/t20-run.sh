#!/bin/bash
# t20-run.sh — monocache run: options (--meta and --export add to the
# variables; errors name the options), exit statuses, LD_PRELOAD
# composition, nested runs, our own failures, run as a container's pid 1
# or a subreaper (--init) reaping orphans.
. "$(dirname "$0")/lib.sh"
P=$MC_HELPERS/probe
EMPTY=$MC_HELPERS/empty.so
PY=$(command -v /usr/bin/python3 || command -v python3)

mc run -- sh -c 'test -d "$MONOCACHE_PATH" && exit 7'
is "exit status is the program's" "$?" 7
ok "cache released before run returned" no_caches

mc run -- /nonexistent/program 2> "$T/err"
is "program not found: 127" "$?" 127
is "... one line naming it" "$(cat "$T/err")" "monocache: /nonexistent/program: No such file or directory"
ok "... and its cache released" no_caches

printf '#!/bin/sh\necho hi\n' > "$T/noexec"
chmod 644 "$T/noexec"
mc run -- "$T/noexec" 2> "$T/err"
is "program not executable: 126" "$?" 126
is "... one line" "$(wc -l < "$T/err" | tr -d ' ')" 1

out=$(LD_PRELOAD=$EMPTY mc run -- sh -c 'echo "$LD_PRELOAD"')
is "run adds our library to an existing LD_PRELOAD" "$out" "$EMPTY:$MC_REAL_LIB"
out=$(LD_PRELOAD="$EMPTY $MC_REAL_LIB" mc run -- sh -c 'echo "$LD_PRELOAD"')
is "run leaves an LD_PRELOAD that already has it" "$out" "$EMPTY $MC_REAL_LIB"
is "preload-path prints the library" "$(mc preload-path)" "$MC_REAL_LIB"

other=$T/other-root
out=$(mc run --root "$other" --lock --meta owner=ci --meta runs=3 --export TMPDIR -- \
      sh -c 'echo "$MONOCACHE_ID $TMPDIR $MONOCACHE_PATH"; cat "$MONOCACHE_PATH/meta.json"')
set -- $(echo "$out" | sed -n 1p)
id=$1
is "--root puts the cache there" "$3" "$other/cache/$id"
is "--export TMPDIR" "$2" "$3"
meta=$(echo "$out" | sed -n 2p)
ok "--lock and --meta end up in meta.json" python3 -c '
import json, sys
m = json.loads(sys.argv[1])
assert m["locked"] is True and m["owner"] == "ci" and m["runs"] == 3, m' "$meta"
ok "a locked cache is kept after run" test -d "$other/cache/$id"

out=$(MONOCACHE_ROOT=$other mc run --existing "$id" -- sh -c 'echo "$MONOCACHE_ID"; touch "$MONOCACHE_PATH/second"')
is "--existing ID attaches to that cache" "$out" "$id"
ok "... which is kept (still locked) with what both runs wrote" test -e "$other/cache/$id/second"
out=$(mc run --existing "$other/cache/$id" -- sh -c 'echo "$MONOCACHE_ID"')
is "--existing PATH attaches too" "$out" "$id"
MONOCACHE_ROOT=$other mc unlock "$id"
mc run --existing "$other/cache/$id" -- true
ok "unlocked, then attached: wiped at that program's end" test ! -e "$other/cache/$id"

out=$(mc run -- sh -c 'outer=$MONOCACHE_PATH; "$0" run -- sh -c "echo \$MONOCACHE_PATH" ; echo "$outer"' "$MC_BIN")
is "a nested run attaches to the tree's cache" "$(echo "$out" | sed -n 1p)" "$(echo "$out" | sed -n 2p)"
out=$(mc run -- sh -c 'outer=$MONOCACHE_PATH; "$0" run --new -- sh -c "echo \$MONOCACHE_PATH" ; echo "$outer"' "$MC_BIN" 2> "$T/err")
status=$?
first=$(echo "$out" | sed -n 1p)
[ "$status" = 0 ] && [ -n "$first" ] && [ "$first" != "$(echo "$out" | sed -n 2p)" ] \
    && pass "run --new inside a tree makes a new cache" \
    || fail "run --new inside a tree makes a new cache" "status $status, output: $out" \
        "stderr: $(cat "$T/err")"
ok "all released" no_caches

# A nested run applies what it was asked to the tree's cache.
out=$(mc run -- sh -c '"$0" run --lock --meta step=2 --export TMPDIR -- sh -c "echo \$TMPDIR; cat \$MONOCACHE_PATH/meta.json"; echo "$MONOCACHE_PATH"' "$MC_BIN")
is "nested run --export sets the variable to the tree's cache" "$(echo "$out" | sed -n 1p)" "$(echo "$out" | sed -n 3p)"
ok "nested run --lock and --meta change the tree's meta" python3 -c '
import json, sys
m = json.loads(sys.argv[1])
assert m["locked"] is True and m["step"] == 2, m' "$(echo "$out" | sed -n 2p)"
kept=$(basename "$(echo "$out" | sed -n 3p)")
ok "... so the tree's cache is kept" test -d "$ROOT/cache/$kept"
mc rm --force "$kept"
out=$(mc run -- sh -c '"$0" run --root /elsewhere -- true' "$MC_BIN" 2>&1)
like "nested run with another --root: our error, one line" "$out" '^monocache: run: --root /elsewhere: this tree.s cache is under '
id=$(mc run --lock -- sh -c 'echo $MONOCACHE_ID')
mc unlock "$id"
mc run --existing "$id" --lock --meta again=yes -- true
is "--existing with --lock locks the cache it attaches to" "$(mc meta "$id" --get locked)" true
is "--existing with --meta inserts keys" "$(mc meta "$id" --get again)" yes
mc rm --force "$id"
ok "all released" no_caches

# A relative --root or MONOCACHE_ROOT is relative to where run was started.
mkdir -p "$T/cwd"
out=$(cd "$T/cwd" && "$MC_BIN" run --root rel -- sh -c 'echo $MONOCACHE_PATH')
like "relative --root: under the working directory" "$out" "^$T/cwd/rel/cache/"
out=$(cd "$T/cwd" && MONOCACHE_ROOT=rel2 LD_PRELOAD=$PRELOAD sh -c 'echo $MONOCACHE_PATH')
like "relative MONOCACHE_ROOT: under the working directory" "$out" "^$T/cwd/rel2/cache/"

# A program that leaves an orphan: run returns, the orphan keeps the cache.
mc run -- sh -c 'sleep 3 & exit 0'
is "run returns when its program does; the orphan still holds" "$(cache_count)" 1
eventually 10 no_caches && pass "released when the orphan ended" || fail "released when the orphan ended"

# Our own failures: one line, status 125, the program not run.
out=$(MONOCACHE_LOCK=maybe mc run -- echo ran 2>&1)
is "bad variable: status 125" "$?" 125
is "... one line naming the variable, program not run" "$out" \
    "monocache: MONOCACHE_LOCK=maybe: expected 1, true, yes, on, or 0, false, no, off"
if [ "${MC_VALGRIND:-0}" = 0 ]; then
    out=$(bash -c 'ulimit -n 6; "$0" run -- echo ran' "$MC_BIN" 2>&1)
    is "out of descriptors: status 125, not a silent 0" "$?" 125
    like "... one clear line" "$out" '^monocache: .*Too many open files$'
else
    echo "ok $((tap_count += 1)) # SKIP out of descriptors: valgrind needs them itself"
    echo "ok $((tap_count += 1)) # SKIP out of descriptors: valgrind needs them itself"
fi
if [ "$(id -u)" = 0 ] && [ "$MC_SANITIZED" = 0 ] && [ "${MC_VALGRIND:-0}" = 0 ] &&
    command -v setpriv > /dev/null; then
    # fork fails with EAGAIN under a process limit (root is exempt: run as
    # nobody). nobody may not be able to reach the checkout or $TMPDIR: it
    # runs copies from a directory of its own under /tmp.
    nobody_dir=$(mktemp -d /tmp/mc-nobody.XXXXXX)
    mkdir -p "$nobody_dir/bin" && cp "$MC_BIN" "$MC_REAL_LIB" "$nobody_dir/bin/" &&
        chown -R 65534:65534 "$nobody_dir"
    out=$(setpriv --reuid=65534 --regid=65534 --clear-groups env MONOCACHE_ROOT="$nobody_dir/root" \
          bash -c 'ulimit -u 1; exec "$0" run -- echo ran' "$nobody_dir/bin/monocache" 2>&1)
    is "fork fails (EAGAIN): status 125, not a silent 0" "$?" 125
    like "... one clear line" "$out" '^monocache: cannot start the watcher .*: Resource temporarily unavailable$'
    rm -rf "$nobody_dir"
else
    echo "ok $((tap_count += 1)) # SKIP fork failure: needs root, no sanitizer or valgrind (they need threads, logs)"
    echo "ok $((tap_count += 1)) # SKIP fork failure: needs root, no sanitizer or valgrind (they need threads, logs)"
fi
out=$(mc run 2>&1)
is "no program: 125" "$?" 125
out=$(mc run --bogus -- true 2>&1)
is "unknown option: 125" "$?" 125

# monocache run as a container's pid 1, or as a child subreaper (--init):
# it reaps every orphan.
if unshare --pid --fork --mount-proc true 2>/dev/null; then
    # (Until the orphans have ended and none is left unreaped, at most 20 s.)
    out=$(unshare --pid --fork --mount-proc "$MC_BIN" run -- sh -c '
        for i in 1 2 3; do (sleep 0.1 &); LD_PRELOAD=$0 sh -c "sleep 0.2 &"; done
        n=0
        while ps -eo stat=,args= | grep -Eq "^Z|sleep 0\.[12]\$" && [ $n -lt 1000 ]; do
            sleep 0.02
            n=$((n + 1))
        done
        ps -eo stat=,args= | grep -c "^Z"' "$PRELOAD")
    is "monocache run as pid 1 reaps every orphan" "$out" 0
    unshare --pid --fork --mount-proc "$MC_BIN" run -- "$P" sigaction 15 write started sleep 20 \
        > "$T/ns.out" &
    ns=$!
    eventually 10 sh -c "ls '$ROOT'/cache/*/started" > /dev/null
    kill -TERM "$(pgrep -P "$ns" | head -1)"
    wait "$ns"
    is "... and passes SIGTERM on to the program (its handler decides the status)" \
        "$? $(cat "$T/ns.out")" "42 handled 15"
    # The program ends and leaves a background job: as pid 1, run ends it
    # (SIGTERM, then SIGKILL for one that ignores it) and releases the
    # cache, instead of ending with it still held (the kernel would SIGKILL
    # it with the watcher, and the cache would be left for gc).
    unshare --pid --fork --mount-proc "$MC_BIN" run -- sh -c '
        echo "$MONOCACHE_PATH" > "$0/ns.path"
        (sleep 300 < /dev/null > /dev/null 2>&1 &)
        (trap "" TERM; exec sleep 301 < /dev/null > /dev/null 2>&1) &
        exit 3' "$T"
    is "pid 1: the program's status, though it left two background jobs" "$?" 3
    like "... it had a cache" "$(cat "$T/ns.path")" "^$ROOT/cache/"
    ok "... released before run ended: the jobs were ended first" gone "$(cat "$T/ns.path")"
else
    for i in 1 2 3 4 5; do echo "ok $((tap_count += 1)) # SKIP no pid namespace here"; done
fi
out=$("$MC_BIN" run --init -- sh -c '(sleep 0.2 &)
    n=0
    while ps -o stat=,args= --ppid "$PPID" | grep -Eq "^Z|sleep 0\.2\$" && [ $n -lt 1000 ]; do
        sleep 0.02
        n=$((n + 1))
    done
    ps -o stat= --ppid "$PPID" | grep -c Z')
is "run --init (a child subreaper) reaps orphans too" "$out" 0
eventually 10 no_caches

# run: --meta adds to MONOCACHE_META, --export to MONOCACHE_EXPORT.
out=$(MONOCACHE_META='{"a":1,"b":2}' mc run --meta b=3 --meta c=4 -- sh -c 'cat "$MONOCACHE_PATH/meta.json"')
ok "--meta adds to MONOCACHE_META" "$PY" -c '
import json, sys
m = json.loads(sys.argv[1])
assert (m["a"], m["b"], m["c"]) == (1, 3, 4), m' "$out"
out=$(MONOCACHE_EXPORT=XDG_CACHE_HOME mc run --export TMPDIR -- sh -c 'echo "$TMPDIR|$XDG_CACHE_HOME|$MONOCACHE_PATH"')
is "--export adds to MONOCACHE_EXPORT" "$(echo "$out" | cut -d'|' -f1,2)" \
    "$(echo "$out" | cut -d'|' -f3)|$(echo "$out" | cut -d'|' -f3)"
# ... and its errors name the options, not variables.
like "run --meta id=3: names --meta" "$(mc run --meta id=3 -- true 2>&1 | head -1)" '^monocache: run: --meta id=3: '
like "run --new --existing: names both" "$(mc run --new --existing x -- true 2>&1 | head -1)" \
    '^monocache: run: --new and --existing do not go together$'
like "run --export 'A B': names --export" "$(mc run --export 'A B' -- true 2>&1 | head -1)" \
    '^monocache: run: --export A B: "A B" is not a variable name$'
is "--root=DIR and --meta=K=V work as --root DIR, --meta K=V" \
    "$(mc run --root="$T/r2" --meta=k=v -- sh -c '"$0" meta "$MONOCACHE_ID" --get k; echo "$MONOCACHE_ROOT"' "$MC_BIN")" \
    "v
$T/r2"

# Helper processes say what they are in ps: the watcher names its cache, and
# its go-between (a copy of run) no longer shows run's command line.
out=$(mc run -- sh -c 'w=$(cut -d" " -f4 "$MONOCACHE_ROOT/run/$MONOCACHE_ID.lock")
    gb=$(cut -d" " -f4 "/proc/$w/stat")
    echo "$MONOCACHE_ID"; tr "\0" " " < "/proc/$w/cmdline"; echo
    tr "\0" " " < "/proc/$gb/cmdline"; echo; cat "/proc/$gb/comm"')
id=$(echo "$out" | sed -n 1p)
if [ "${MC_VALGRIND:-0}" = 1 ]; then
    for i in 1 2 3; do echo "ok $((tap_count += 1)) # SKIP process titles: under valgrind the watcher is valgrind's"; done
else
    like "ps: the watcher names its cache" "$(echo "$out" | sed -n 2p)" "monocache __watch of $id *\$"
    like "... its go-between says what it is, not run's command line" "$(echo "$out" | sed -n 3p)" \
        '^monocache: go-between of a watcher *$'  
    is "... and its name" "$(echo "$out" | sed -n 4p)" "monocache-gb"
fi

finish
