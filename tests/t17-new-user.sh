#!/bin/bash
# t17-new-user.sh — what a new user trips on: installing anywhere (PREFIX,
# DESTDIR, a multiarch libdir, pkg-config), containers whose pid 1 does not
# reap, a program that takes descriptor 1000, --help and usage errors,
# relative paths, logs, who holds a cache, and output that reads well.
. "$(dirname "$0")/lib.sh"
P=$MC_HELPERS/probe
PY=$(command -v /usr/bin/python3 || command -v python3)
: "${MC_MAKE_FLAGS:=}"

# --- 1. Installed anywhere, the tool and the library find each other.
# Installs from a copy of the build (objects, library, tools), so that the
# directories compiled into the copy never touch the build the other test
# files are running; the copy rebuilds only what carries them.
eval "$MC_MAKE_FLAGS"
case ${O:-build} in /*) build_dir=${O:-build} ;; *) build_dir=$top/${O:-build} ;; esac
case ${OUT:-.} in /*) out_dir=${OUT:-.} ;; *) out_dir=$top/${OUT:-.} ;; esac
mkdir -p "$T/obj" "$T/out"
cp -a "$build_dir/." "$T/obj/"
cp -a "$out_dir"/libmonocache.so* "$out_dir/monocache" "$out_dir/monocache-s3" "$T/out/"
install_to() {
    make -C "$top" O="$T/obj" OUT="$T/out" SANITIZE="${MC_SANITIZE:-}" \
        SHIM_SANITIZE="${MC_SHIM_SANITIZE:-}" install "$@" > "$T/install.out" 2>&1
}
compiled() {
    grep -c ' -c -o ' "$T/install.out"
}
lib_so=libmonocache.so.0
if install_to PREFIX="$T/p"; then
    is "PREFIX install: the two objects that carry the directories rebuilt, no other" \
        "$(compiled)" 2
    ok "... the library looks for the tool in the new bin" grep -q "$T/p/bin" "$T/p/lib/$lib_so"
    ok "... the tool for the library in the new lib" grep -q "$T/p/lib" "$T/p/bin/monocache"
    install_to PREFIX="$T/p"
    is "... the same PREFIX again: nothing compiled" "$(compiled)" 0
    is "... the soname" "$(readelf -d "$T/p/lib/libmonocache.so" | sed -n 's/.*soname: \[\(.*\)\]/\1/p')" \
        "$lib_so"
    is "... libmonocache.so and the soname link to the versioned file" \
        "$(readlink "$T/p/lib/libmonocache.so") $(readlink "$T/p/lib/$lib_so")" \
        "$lib_so $(readlink "$T/out/$lib_so")"
    out=$("$T/p/bin/monocache" run -- sh -c 'echo "$LD_PRELOAD|$MONOCACHE_PATH"' 2>&1)
    is "PREFIX install: run preloads the library installed beside it, by its soname" "${out%%|*}" \
        "$T/p/lib/$lib_so"
    like "... and the program has a cache" "${out#*|}" "^$ROOT/cache/[0-9a-f-]{36}\$"
    out=$(LD_PRELOAD="$T/p/lib/libmonocache.so" sh -c 'echo "$MONOCACHE_PATH"' 2>&1)
    like "PREFIX install: the preloaded library finds its monocache in ../bin" "$out" "^$ROOT/cache/"
    is "... preload-path says where" "$("$T/p/bin/monocache" preload-path)" "$T/p/lib/$lib_so"
    cat > "$T/api.c" <<'C'
#include <monocache.h>
#include <stdio.h>
int main(void) { printf("%s\n", monocache_path() ? "has a cache" : "none"); return 0; }
C
    flags=$(PKG_CONFIG_PATH="$T/p/lib/pkgconfig" pkg-config --cflags --libs monocache)
    # shellcheck disable=SC2086
    if cc -o "$T/api" "$T/api.c" $flags -Wl,-rpath,"$T/p/lib" 2> "$T/cc.err"; then
        is "pkg-config monocache: a program built with it gets a cache" "$("$T/api")" "has a cache"
    else
        fail "pkg-config monocache: a program built with it gets a cache" "$(cat "$T/cc.err")"
    fi
else
    fail "make install PREFIX=..." "$(cat "$T/install.out")"
fi
multiarch=$(cc -print-multiarch 2>/dev/null)
multiarch=${multiarch:-x86_64-linux-gnu}
if install_to PREFIX="$T/m" LIBDIR="$T/m/lib/$multiarch"; then
    out=$("$T/m/bin/monocache" run -- sh -c 'echo "$LD_PRELOAD"')
    is "multiarch libdir: run finds lib/$multiarch" "$out" "$T/m/lib/$multiarch/$lib_so"
    out=$(LD_PRELOAD="$T/m/lib/$multiarch/libmonocache.so" sh -c 'echo "$MONOCACHE_PATH"')
    like "... and the library finds ../../bin" "$out" "^$ROOT/cache/"
else
    fail "make install with a multiarch LIBDIR" "$(cat "$T/install.out")"
fi
if install_to DESTDIR="$T/stage" PREFIX=/usr; then
    ok "DESTDIR: everything staged under it" test -x "$T/stage/usr/bin/monocache" -a \
        -f "$T/stage/usr/lib/libmonocache.so" -a -f "$T/stage/usr/include/monocache.h" -a \
        -f "$T/stage/usr/share/man/man1/monocache.1" -a -f "$T/stage/usr/lib/pkgconfig/monocache.pc"
    like "... monocache.pc names the final prefix, not the stage" \
        "$(grep '^prefix=' "$T/stage/usr/lib/pkgconfig/monocache.pc")" '^prefix=/usr$'
    out=$("$T/stage/usr/bin/monocache" run -- sh -c 'echo "$LD_PRELOAD"')
    is "... and the staged copy works where it is" "$out" "$T/stage/usr/lib/$lib_so"
else
    fail "make install DESTDIR=..." "$(cat "$T/install.out")"
fi
eventually 10 no_caches

# --- 2. A container whose pid 1 does not reap; run as pid 1 or subreaper.
if unshare --pid --fork --mount-proc true 2>/dev/null; then
    out=$(unshare --pid --fork --mount-proc "$PY" -c '
import os, subprocess, sys, time
for _ in range(5):
    subprocess.run(["/bin/true"], env=dict(os.environ, LD_PRELOAD=sys.argv[1]))
# Until every watcher has released and ended (at most 20 s): no process is
# left in the namespace but this one and the zombies it never reaps.
def running_others():
    for pid in os.listdir("/proc"):
        if pid.isdigit() and int(pid) != os.getpid():
            try:
                with open("/proc/%s/stat" % pid) as f:
                    if f.read().rsplit(")", 1)[1].split()[0] != "Z":
                        return True
            except OSError:
                pass
    return False
deadline = time.time() + 20
while running_others() and time.time() < deadline:
    time.sleep(0.02)
os.system("ps -eo stat=,args= | grep -c ^Z")' "$PRELOAD")
    if [ "${MC_VALGRIND:-0}" = 1 ]; then
        # The creator waits 20 ms for its go-between; a watcher under memcheck
        # ends later, and the go-between is left to pid 1 (see run --init).
        echo "ok $((tap_count += 1)) # SKIP pid 1 that never reaps: the watcher under valgrind outlives the 20 ms wait"
    else
        is "pid 1 that never reaps: five trees leave no zombie" "$out" 0
    fi
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
else
    for i in 1 2 3; do echo "ok $((tap_count += 1)) # SKIP no pid namespace here"; done
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

# --- 3. Descriptor 1000 taken by the program: found, never opened twice.
out=$(with_cache bash -c 'exec 1000>/dev/null; bash -c "bash -c \"ls -l /proc/self/fd\""' | grep -c '\.lock$')
is "bash -c 'exec 1000>...' then two generations: one lock descriptor each" "$out" 1
eventually 10 no_caches

# --- 4, 5. Help on stdout with status 0; usage errors say what is wrong.
for command in run ls meta lock unlock holders gc rm preload-path; do
    out=$(mc "$command" --help 2> "$T/err")
    status=$?
    if [ "$status" = 0 ] && [ -s /dev/null ] || { [ "$status" = 0 ] &&
        echo "$out" | head -1 | grep -q "^usage: monocache $command" && [ ! -s "$T/err" ] &&
        [ "$(echo "$out" | wc -l)" -ge 3 ]; }; then
        pass "$command --help: its full usage on stdout, status 0"
    else
        fail "$command --help: its full usage on stdout, status 0" "status $status" "out: $out" \
            "err: $(cat "$T/err")"
    fi
done
is "help run is the same as run --help" "$(mc help run)" "$(mc run --help)"
out=$(mc run --frob -- true 2>&1)
is "run --frob: status 125" "$?" 125
like "... says which option" "$(echo "$out" | head -1)" '^monocache: run: unknown option --frob$'
out=$(mc run --root 2>&1)
like "run --root without its argument says so" "$(echo "$out" | head -1)" '^monocache: run: --root needs an argument$'
out=$(mc gc --dry 2>&1)
is "gc --dry: status 2" "$?" 2
like "... says which option" "$(echo "$out" | head -1)" '^monocache: gc: unknown option --dry$'

# --- 6. Relative paths, wherever a path is taken.
id=$(MONOCACHE_LOCK=1 with_cache sh -c 'echo "$MONOCACHE_ID"')
is "meta ./<id> from <root>/cache" "$(cd "$ROOT/cache" && mc meta "./$id" --get id)" "$id"
is "meta cache/<id>/ from <root>" "$(cd "$ROOT" && mc meta "cache/$id/" --get locked)" true
is "run --existing ../cache/<id> from <root>/run" \
    "$(cd "$ROOT/run" && mc run --existing "../cache/$id" -- sh -c 'echo "$MONOCACHE_ID"')" "$id"
ok "rm --force of a relative path" sh -c "cd '$ROOT' && '$MC_BIN' rm --force 'cache/$id'"
ok "... gone" test ! -e "$ROOT/cache/$id"

# --- 7. ls of a root that does not exist.
out=$(mc ls --root "$T/nonexistent" 2>&1)
is "ls --root /nonexistent: status 1" "$?" 1
is "... and one line naming it" "$out" "monocache: ls: --root $T/nonexistent: no such directory"
out=$(MONOCACHE_ROOT=$T/nonexistent mc gc 2>&1)
is "gc with MONOCACHE_ROOT missing: named too" "$out" "monocache: gc: MONOCACHE_ROOT=$T/nonexistent: no such directory"

# --- 8. MONOCACHE_EXPORT: blanks around commas; variables that would break the tree.
out=$(MONOCACHE_EXPORT="TMPDIR, XDG_CACHE_HOME" with_cache sh -c 'echo "$TMPDIR|$XDG_CACHE_HOME|$MONOCACHE_PATH"')
is "MONOCACHE_EXPORT='TMPDIR, XDG_CACHE_HOME' sets both" "$(echo "$out" | cut -d'|' -f1,2)" \
    "$(echo "$out" | cut -d'|' -f3)|$(echo "$out" | cut -d'|' -f3)"
for name in PATH LD_LIBRARY_PATH MONOCACHE_ROOT; do
    out=$(MONOCACHE_EXPORT="TMPDIR,$name" with_cache sh -c 'echo ran' 2>&1)
    is "MONOCACHE_EXPORT with $name is refused" "$out" \
        "monocache: MONOCACHE_EXPORT=TMPDIR,$name: $name cannot be set to the cache path"
done

# --- 9. Too few descriptors: the message says how to run anyway.
if [ "${MC_VALGRIND:-0}" = 0 ]; then
    out=$(bash -c 'ulimit -n 10; LD_PRELOAD=$0 /bin/echo ran' "$PRELOAD" 2>&1)
    like "ulimit -n 10: the error names MONOCACHE_ON_ERROR=continue" "$out" \
        'Too many open files \(MONOCACHE_ON_ERROR=continue runs the program without a cache\)$'
else
    echo "ok $((tap_count += 1)) # SKIP ulimit -n 10: valgrind needs descriptors itself"
fi
eventually 10 no_caches

# --- Logs that help.
MONOCACHE_LOG=info MONOCACHE_LOG_FILE=$T/info.log with_cache sh -c 'exit 0'
MONOCACHE_LOG=debug MONOCACHE_LOG_FILE=$T/debug.log with_cache sh -c 'exit 0'
like "info: the cache created, by which pid and program" "$(cat "$T/info.log")" \
    'monocache\[[0-9]+\] info: cache [0-9a-f-]{36} created at .* \(root .*\) for pid [0-9]+ \(sh\)'
like "info: the release, how it ended, how long it took" "$(cat "$T/info.log")" \
    'info: cache [0-9a-f-]{36} released: wiped in [0-9]+ ms \(the last holder let go\)'
[ "$(wc -l < "$T/debug.log")" -gt "$(wc -l < "$T/info.log")" ] && pass "debug says more than info" \
    || fail "debug says more than info" "$(cat "$T/debug.log")"
like "... the watcher, by pid" "$(cat "$T/debug.log")" 'debug: watcher [0-9]+ watching cache'
(MONOCACHE_LOG=info MONOCACHE_LOG_FORMAT=json MONOCACHE_LOG_FILE=$T/json.log with_cache sh -c "kill -9 \$\$") 2>/dev/null
eventually 10 no_caches
ok "MONOCACHE_LOG_FORMAT=json: one JSON object per line" "$PY" -c '
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
assert lines and all({"time", "pid", "level", "message"} <= set(l) for l in lines), lines
assert any("holders ended without letting go" in l["message"] for l in lines), lines' "$T/json.log"
out=$(MONOCACHE_LOG_FORMAT=yaml with_cache /bin/true 2>&1)
is "a bad MONOCACHE_LOG_FORMAT is refused, named" "$out" \
    "monocache: MONOCACHE_LOG_FORMAT=yaml: expected text or json"

# --- Why is my cache still here? holders, ls --verbose.
with_cache sh -c 'echo $$ > "$0.pid"; echo "$MONOCACHE_ID" > "$0"; exec sleep 300' "$T/held" \
    2> /dev/null &
disown
eventually 10 test -s "$T/held"
id=$(cat "$T/held")
held_pid=$(cat "$T/held.pid")
atexit '[ -z "$held_pid" ] || kill "$held_pid"'
eventually 10 sh -c "'$MC_BIN' holders '$id' | grep -q 'sleep 300'"
out=$(mc holders "$id")
like "holders: pid, start time, command line of each" "$(echo "$out" | grep 'sleep 300')" \
    '^[0-9]+ +[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z +sleep 300$'
like "... the watcher last, marked" "$(echo "$out" | tail -1)" 'monocache __watch  \(watcher\)$'
like "ls --verbose lists them under the cache" "$(mc ls --verbose | grep -A3 "^$id")" 'pid [0-9]+ +started .* sleep 300'
ok "ls --json --verbose has them too" "$PY" -c '
import json, sys
row = [r for r in json.loads(sys.argv[1]) if r["id"] == sys.argv[2]][0]
procs = row["holder_processes"]
assert row["holders"] == 1 and any(p["command"] == "sleep 300" for p in procs), row
assert any(p["watcher"] for p in procs), row' "$(mc ls --json --verbose)" "$id"
kill "$held_pid"
held_pid=
eventually 10 no_caches

# --- Output for scripts and people: no tabs; ls --json has the meta.
id=$(MONOCACHE_META='{"team":"ml","deep":{"a":[1,2]}}' MONOCACHE_LOCK=1 with_cache sh -c 'echo "$MONOCACHE_ID"')
out=$(mc meta "$id")
ok "meta prints no tab" sh -c "! printf '%s' \"\$0\" | grep -q \"\$(printf '\\t')\"" "$out"
like "... two-space indentation" "$(echo "$out" | sed -n 2p)" '^  "id": '
is "meta --json: one line" "$(mc meta "$id" --json | wc -l)" 1
ok "ls --json has the user's meta keys, one cache per line" "$PY" -c '
import json, sys
text = sys.argv[1]
rows = json.loads(text)
assert rows[0]["meta"]["team"] == "ml" and rows[0]["meta"]["deep"] == {"a": [1, 2]}, rows
assert "\t" not in text and len(text.splitlines()) == 3, text' "$(mc ls --json)"
mc rm --force "$id" > /dev/null
stale=$ROOT/cache/bbbbbbbb-2222-4333-8444-555555555555
out=$(MONOCACHE_PATH=$stale with_cache /bin/true 2>&1)
is "the stale-path warning names the path once" "$(echo "$out" | grep -o "$stale" | wc -l)" 1
eventually 10 no_caches

finish
