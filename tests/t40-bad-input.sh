#!/bin/bash
# t40-bad-input.sh — bad input gives one line on stderr naming the variable
# or file and what is wrong, exit status 125, the program not run, and
# nothing touched; MONOCACHE_ON_ERROR=continue runs the program without a
# cache instead. A stale MONOCACHE_PATH never makes a program fail; a
# squatted default root has a fallback; forged or odd values in our
# variables (a newline in TMPDIR, MONOCACHE_HOLD naming a file) change
# nothing outside.
. "$(dirname "$0")/lib.sh"

# refused NAME PATTERN ENV...: a preloaded program must not run.
refused() {
    name=$1
    pattern=$2
    shift 2
    out=$(env "$@" LD_PRELOAD="$PRELOAD" sh -c 'echo ran' 2> "$T/err")
    status=$?
    err=$(cat "$T/err")
    if [ "$status" = 125 ] && [ -z "$out" ] && [ "$(echo "$err" | wc -l)" = 1 ] &&
        echo "$err" | grep -Eq -- "$pattern"; then
        pass "$name"
    else
        fail "$name" "want: status 125, no output, one line matching $pattern" \
            "got: status $status, output '$out', stderr '$err'"
    fi
}

mkdir -p "$T/open" && chmod 777 "$T/open"
refused "world-writable root" '^monocache: MONOCACHE_ROOT=.*writable by group or others \(mode 0777\); refusing$' \
    MONOCACHE_ROOT="$T/open"
mkdir -p "$T/group" && chmod 770 "$T/group"
refused "group-writable root" 'MONOCACHE_ROOT=.*writable by group' MONOCACHE_ROOT="$T/group"
touch "$T/file"
refused "root that is a file" 'MONOCACHE_ROOT=.*is not a directory' MONOCACHE_ROOT="$T/file"
if [ "$(id -u)" = 0 ]; then
    mkdir -p "$T/theirs" && chown 65534 "$T/theirs" && chmod 700 "$T/theirs"
    refused "root owned by another user" 'MONOCACHE_ROOT=.*owned by uid 65534' MONOCACHE_ROOT="$T/theirs"
else
    mkdir -p "$T/theirs"
    echo "ok $((tap_count += 1)) # SKIP root owned by another user: needs root to chown"
fi
mkdir -p "$T/tmp2" "$T/elsewhere" "$T/runtime" && chmod 700 "$T/elsewhere" "$T/runtime"
ln -s "$T/elsewhere" "$T/tmp2/monocache-$(id -u)"
out=$(env -u MONOCACHE_ROOT TMPDIR="$T/tmp2" XDG_RUNTIME_DIR="$T/runtime" LD_PRELOAD="$PRELOAD" \
      sh -c 'echo "$MONOCACHE_ROOT"' 2> "$T/err")
is "default root that is a symlink: not followed; the fallback is used" "$out" "$T/runtime/monocache"
is "... with one warning" "$(cat "$T/err")" "monocache: warning: the default root $T/tmp2/monocache-$(id -u) is a symbolic link (squatted?); using $T/runtime/monocache"
ok "... and nothing made in the link's target" test -z "$(ls -A "$T/elsewhere")"

refused "MONOCACHE_LOCK=maybe" '^monocache: MONOCACHE_LOCK=maybe: expected 1, true, yes, on, or 0, false, no, off$' MONOCACHE_LOCK=maybe
# Booleans: the usual spellings, in any case (CI systems write true/false).
out=$(MONOCACHE_LOCK=true LD_PRELOAD=$PRELOAD sh -c 'cat "$MONOCACHE_PATH/meta.json"; echo; echo "$MONOCACHE_ID"')
like "MONOCACHE_LOCK=true locks the cache" "$(echo "$out" | head -1)" '"locked":true'
mc rm --force "$(echo "$out" | tail -1)" > /dev/null
for spelling in 0 false FALSE no Off ""; do
    out=$(MONOCACHE_LOCK=$spelling LD_PRELOAD=$PRELOAD sh -c 'cat "$MONOCACHE_PATH/meta.json"')
    like "MONOCACHE_LOCK='$spelling' does not" "$out" '"locked":false'
done
out=$(LD_PRELOAD=$PRELOAD sh -c 'outer=$MONOCACHE_ID; MONOCACHE_NEW=false sh -c "echo \$MONOCACHE_ID"; echo "$outer"; MONOCACHE_NEW=Yes sh -c "echo \$MONOCACHE_ID"')
is "MONOCACHE_NEW=false inside a tree: the same cache" "$(echo "$out" | sed -n 1p)" "$(echo "$out" | sed -n 2p)"
refute "... MONOCACHE_NEW=Yes: a fresh one" test "$(echo "$out" | sed -n 3p)" = "$(echo "$out" | sed -n 2p)"
eventually 10 no_caches
refused "MONOCACHE_NEW=2" '^monocache: MONOCACHE_NEW=2: expected 1, true, yes, on, or 0, false, no, off$' MONOCACHE_NEW=2
refused "MONOCACHE_LOG=loud" 'MONOCACHE_LOG=loud: expected error, warn, info or debug' MONOCACHE_LOG=loud
refused "MONOCACHE_ON_ERROR=maybe" 'MONOCACHE_ON_ERROR=maybe: expected fail or continue' MONOCACHE_ON_ERROR=maybe
refused "MONOCACHE_META not JSON" '^monocache: MONOCACHE_META: not valid JSON$' MONOCACHE_META='{nope'
refused "MONOCACHE_META not an object" 'MONOCACHE_META: not a JSON object' MONOCACHE_META='[1,2]'
refused "MONOCACHE_META sets the id" 'MONOCACHE_META: key "id" is set by monocache' MONOCACHE_META='{"id":"x"}'
refused "MONOCACHE_EXPORT bad name" 'MONOCACHE_EXPORT=1BAD: "1BAD" is not a variable name' MONOCACHE_EXPORT=1BAD
refused "MONOCACHE_EXPORT=LD_PRELOAD" 'MONOCACHE_EXPORT=LD_PRELOAD: LD_PRELOAD cannot be set' MONOCACHE_EXPORT=LD_PRELOAD
refused "MONOCACHE_NEW with MONOCACHE_EXISTING" 'both set' MONOCACHE_NEW=1 MONOCACHE_EXISTING=x
ok "none of these made a cache" test "$(cache_count)" = 0

# MONOCACHE_EXISTING that is not a cache: refused, and the directory untouched.
fake=$ROOT/cache/11111111-2222-4333-8444-555555555555
mkdir -p "$fake" && echo precious > "$fake/data"
refused "EXISTING: a directory without meta.json" \
    "MONOCACHE_EXISTING=11111111-2222-4333-8444-555555555555: .*meta.json: No such file" \
    MONOCACHE_EXISTING=11111111-2222-4333-8444-555555555555
echo '{"id":"99999999-2222-4333-8444-555555555555"}' > "$fake/meta.json"
refused "EXISTING: meta.json with another id" 'does not match the directory name' MONOCACHE_EXISTING="$fake"
echo '{"id": "11111111-2222' > "$fake/meta.json"
refused "EXISTING: corrupt meta.json" "$fake/meta.json: corrupt" MONOCACHE_EXISTING="$fake"
ok "... the directory and its files untouched" test "$(cat "$fake/data")" = precious
ok "... and not removed by gc either" sh -c "'$MC_BIN' gc >/dev/null; test -e '$fake/data'"
refused "EXISTING: no such cache id" 'no such cache' MONOCACHE_EXISTING=aaaaaaaa-2222-4333-8444-555555555555
refused "EXISTING: not <root>/cache/<id>" 'not a cache \(expected <root>/cache/<id>\)' MONOCACHE_EXISTING="$T"
refused "EXISTING: neither id nor path" 'not a cache id or path \(an id is a name of' MONOCACHE_EXISTING='gar bage'
rm -rf "$fake"

# MONOCACHE_ON_ERROR=continue: the program runs without a cache, once warned.
out=$(MONOCACHE_ON_ERROR=continue MONOCACHE_LOCK=maybe LD_PRELOAD=$PRELOAD \
      sh -c 'sh -c "echo child \${MONOCACHE_PATH:-none}"; exit 3' 2> "$T/err")
is "continue: the program runs, its status kept" "$?" 3
is "continue: without a cache (children do not retry)" "$out" "child none"
is "continue: one warning line" "$(cat "$T/err")" \
    "monocache: warning: MONOCACHE_LOCK=maybe: expected 1, true, yes, on, or 0, false, no, off; running without a cache"

# Logs: MONOCACHE_LOG_FILE gets them; errors also reach stderr.
MONOCACHE_LOG_FILE=$T/log MONOCACHE_LOCK=maybe LD_PRELOAD=$PRELOAD /bin/true 2> "$T/err"
like "log file gets the error" "$(cat "$T/log")" 'monocache\[[0-9]+\] error: MONOCACHE_LOCK=maybe'
is "the error also on stderr" "$(cat "$T/err")" "monocache: MONOCACHE_LOCK=maybe: expected 1, true, yes, on, or 0, false, no, off"
out=$(MONOCACHE_LOG_FILE=$T/log3 MONOCACHE_PATH=$ROOT/cache/cccccccc-2222-4333-8444-555555555555 \
      LD_PRELOAD=$PRELOAD /bin/true 2>&1)
like "a warning users must see reaches stderr even with a log file" "$out" 'warning: MONOCACHE_PATH=.*using a fresh cache'
like "... and the log file" "$(cat "$T/log3")" 'warning: MONOCACHE_PATH=.*using a fresh cache'
MONOCACHE_LOG=info MONOCACHE_LOG_FILE=$T/log2 LD_PRELOAD=$PRELOAD /bin/true 2> "$T/err"
like "info level logs the release to the file" "$(cat "$T/log2" 2>/dev/null)" 'info: cache .* released: wiped'
is "... and nothing on stderr" "$(cat "$T/err")" ""

# A stale MONOCACHE_PATH (e.g. from a shell profile): a fresh cache, one warning.
stale=$ROOT/cache/bbbbbbbb-2222-4333-8444-555555555555
out=$(MONOCACHE_PATH=$stale LD_PRELOAD=$PRELOAD sh -c 'sh -c "echo \$MONOCACHE_PATH"; echo "$MONOCACHE_PATH"' 2> "$T/err")
is "stale MONOCACHE_PATH: the program runs" "$?" 0
first=$(echo "$out" | sed -n 1p)
[ "$first" != "$stale" ] && [ "$first" = "$(echo "$out" | sed -n 2p)" ] \
    && pass "stale MONOCACHE_PATH: a fresh cache, shared with children" \
    || fail "stale MONOCACHE_PATH: a fresh cache, shared with children" "got: $out"
like "stale MONOCACHE_PATH: exactly one warning line" "$(cat "$T/err")" \
    "^monocache: warning: MONOCACHE_PATH=$stale: .*; using a fresh cache$"
is "... one line" "$(wc -l < "$T/err" | tr -d ' ')" 1
out=$(MONOCACHE_HOLD="1000:1:2:$ROOT/run/bbbbbbbb-2222-4333-8444-555555555555.lock" \
      MONOCACHE_PATH=$stale LD_PRELOAD=$PRELOAD sh -c 'echo "$MONOCACHE_PATH"' 2>/dev/null)
like "stale MONOCACHE_HOLD too: a fresh cache" "$out" "^$ROOT/cache/[0-9a-f-]{36}\$"
ok "all released" no_caches

# No helper next to the library and none installed: our failure, clearly.
mkdir -p "$T/lonely" && cp "$MC_LIB" "$T/lonely/"
if [ ! -x /usr/local/bin/monocache ]; then
    out=$(LD_PRELOAD="$T/lonely/libmonocache.so" sh -c 'echo ran' 2>&1)
    is "no monocache executable: 125" "$?" 125
    like "... one line" "$out" '^monocache: cannot find the monocache executable'
fi

# A default root squatted by another user: a fallback, not a refusal.
mkdir -p "$T/sq" "$T/xdg" && chmod 700 "$T/xdg"
if [ "$(id -u)" = 0 ]; then
    mkdir "$T/sq/monocache-0" && chown 65534 "$T/sq/monocache-0"
    how="owned by another user"
else
    ln -s "$T/sq-target" "$T/sq/monocache-$(id -u)"
    how="a symlink"
fi
out=$(env -u MONOCACHE_ROOT TMPDIR="$T/sq" XDG_RUNTIME_DIR="$T/xdg" LD_PRELOAD="$PRELOAD" \
      sh -c 'echo "$MONOCACHE_ROOT"' 2> "$T/err")
is "default root squatted ($how): the program runs, under \$XDG_RUNTIME_DIR/monocache" "$out" "$T/xdg/monocache"
like "... with one warning naming both" "$(cat "$T/err")" "^monocache: warning: the default root $T/sq/monocache-[0-9]+ is (owned by uid [0-9]+|a symbolic link) \(squatted\?\); using $T/xdg/monocache\$"
out=$(env -u MONOCACHE_ROOT TMPDIR="$T/sq" XDG_RUNTIME_DIR="$T/xdg" "$MC_BIN" ls --json 2>/dev/null)
is "... and ls looks there too" "$out" "[]"
out=$(MONOCACHE_ROOT="$T/sq/monocache-$(id -u)" LD_PRELOAD="$PRELOAD" sh -c 'echo ran' 2>&1)
like "an explicit MONOCACHE_ROOT of someone else's is still refused" "$out" '^monocache: MONOCACHE_ROOT=.*(owned by uid|symbolic link)'

# Newlines in what the watcher sends back.
evil="$T/x
set LD_PRELOAD=/evil.so"
mkdir -p "$evil"
out=$(env -u MONOCACHE_ROOT TMPDIR="$evil" LD_PRELOAD="$PRELOAD" sh -c 'printf "%s|%s" "$LD_PRELOAD" "$MONOCACHE_PATH"')
is "TMPDIR with a newline: LD_PRELOAD untouched" "${out%%|*}" "$PRELOAD"
like "... MONOCACHE_PATH is the whole path" "${out#*|}" "^$T/x
set LD_PRELOAD=/evil.so/monocache-[0-9]+/cache/[0-9a-f-]{36}\$"

# A forged MONOCACHE_HOLD never writes into the file it names.
printf 'Hello, precious\n' > "$T/victim"
set -- $(stat -c '%d %i' "$T/victim")
out=$(bash -c 'exec 1000<>"$0"; MONOCACHE_HOLD="1000:$1:$2:$0" LD_PRELOAD=$3 sh -c "echo \$MONOCACHE_PATH"' \
      "$T/victim" "$1" "$2" "$PRELOAD" 2>/dev/null)
like "forged hold with the descriptor open: not taken for a hold, the program gets a cache" \
    "$out" "^$ROOT/cache/[0-9a-f-]{36}\$"
is "... and the file it names is untouched" "$(cat "$T/victim")" "Hello, precious"
MONOCACHE_HOLD="1000:1:1:$T/victim" LD_PRELOAD=$PRELOAD sh -c 'true' 2>/dev/null
is "forged hold by path only: untouched too" "$(cat "$T/victim")" "Hello, precious"
eventually 10 no_caches

# MONOCACHE_EXPORT: blanks around commas; variables that would break the tree.
out=$(MONOCACHE_EXPORT="TMPDIR, XDG_CACHE_HOME" with_cache sh -c 'echo "$TMPDIR|$XDG_CACHE_HOME|$MONOCACHE_PATH"')
is "MONOCACHE_EXPORT='TMPDIR, XDG_CACHE_HOME' sets both" "$(echo "$out" | cut -d'|' -f1,2)" \
    "$(echo "$out" | cut -d'|' -f3)|$(echo "$out" | cut -d'|' -f3)"
for name in PATH LD_LIBRARY_PATH MONOCACHE_ROOT; do
    out=$(MONOCACHE_EXPORT="TMPDIR,$name" with_cache sh -c 'echo ran' 2>&1)
    is "MONOCACHE_EXPORT with $name is refused" "$out" \
        "monocache: MONOCACHE_EXPORT=TMPDIR,$name: $name cannot be set to the cache path"
done

# Too few descriptors: the message says how to run anyway.
if [ "${MC_VALGRIND:-0}" = 0 ]; then
    out=$(bash -c 'ulimit -n 10; LD_PRELOAD=$0 /bin/echo ran' "$PRELOAD" 2>&1)
    like "ulimit -n 10: the error names MONOCACHE_ON_ERROR=continue" "$out" \
        'Too many open files \(MONOCACHE_ON_ERROR=continue runs the program without a cache\)$'
else
    echo "ok $((tap_count += 1)) # SKIP ulimit -n 10: valgrind needs descriptors itself"
fi
eventually 10 no_caches

# The stale-path warning names the path once.
stale=$ROOT/cache/bbbbbbbb-2222-4333-8444-555555555555
out=$(MONOCACHE_PATH=$stale with_cache /bin/true 2>&1)
is "the stale-path warning names the path once" "$(echo "$out" | grep -o "$stale" | wc -l)" 1
eventually 10 no_caches

# A mistyped root is an error, not a new tree of directories.
out=$(MONOCACHE_ROOT=$T/no/such/root with_cache /bin/true 2>&1)
like "MONOCACHE_ROOT whose parent does not exist: refused, saying which" "$out" \
    "MONOCACHE_ROOT=$T/no/such/root: $T/no/such does not exist"
ok "... nothing made" test ! -e "$T/no"

finish
