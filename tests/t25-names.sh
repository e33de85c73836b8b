#!/bin/bash
# t25-names.sh — caches by name (issue 20): MONOCACHE_NAME=KEY and run
# --name KEY attach to the cache KEY if it is there and make it with that id
# if not; trees starting together on one name share one cache; bad names
# stop the program with one line; the CLI takes names as it takes ids.
. "$(dirname "$0")/lib.sh"

# --- 1. A first run makes the cache under its name, a later one attaches.
out=$(mc run --name ccache-main -- sh -c 'echo "$MONOCACHE_ID $MONOCACHE_PATH ${MONOCACHE_NAME-unset}"')
is "run --name: the cache's id is the name" "$out" "ccache-main $ROOT/cache/ccache-main unset"
eventually 10 no_caches
ok "... wiped at its release like any cache" gone "$ROOT/cache/ccache-main"

mc run --name ccache-main --lock -- sh -c 'echo one > "$MONOCACHE_PATH/first"'
is "a locked named cache is kept" "$(cat "$ROOT/cache/ccache-main/first" 2>&1)" one
is "... its meta names it" "$(mc meta ccache-main --get id)" ccache-main
out=$(MONOCACHE_NAME=ccache-main with_cache sh -c 'cat "$MONOCACHE_PATH/first"; echo two > "$MONOCACHE_PATH/second"')
is "MONOCACHE_NAME: the next tree attaches to it" "$out" one
is "... and adds to it" "$(cat "$ROOT/cache/ccache-main/second" 2>&1)" two
is "... only one cache under the root" "$(caches)" ccache-main
is "... still locked" "$(mc meta ccache-main --get locked)" true

# --- 2. The CLI takes names as it takes ids; an exact name wins over a prefix.
mc run --name ccache-main-2 --lock -- true
like "ls lists names" "$(mc ls)" 'ccache-main +.*yes'
is "meta NAME" "$(mc meta ccache-main-2 --get id)" ccache-main-2
is "meta ccache-main: the exact name, though another starts so" \
    "$(mc meta ccache-main --get id)" ccache-main
out=$(mc meta ccache-ma --get id 2>&1)
is "meta ccache-ma: ambiguous, status 1" "$?" 1
like "... lists both" "$out" 'ambiguous, 2 caches start so: .*ccache-main'
is "meta ccache-main-: a unique prefix" "$(mc meta ccache-main- --get id)" ccache-main-2
ok "unlock NAME" mc unlock ccache-main-2
is "... unlocked" "$(mc meta ccache-main-2 --get locked)" false
ok "rm NAME" mc rm ccache-main-2
ok "... gone" gone "$ROOT/cache/ccache-main-2"
out=$(mc meta no-such-name --get id 2>&1)
is "meta of a name nobody has: status 1" "$?" 1
like "... one line saying so" "$out" '^monocache: meta: no-such-name: no cache under the root is named so'

# --- 3. What a name may be: anything else stops the program, one line, 125.
for bad in '.hidden' '-x' '_x' 'a/b' 'a b' 'caf'$'\xc3\xa9' 'a:b' \
    "$(printf 'n%.0s' $(seq 129))"; do
    rm -f "$T/ran"
    out=$(MONOCACHE_NAME=$bad with_cache touch "$T/ran" 2>&1)
    status=$?
    is "MONOCACHE_NAME='${bad:0:20}': 125 before main" "$status" 125
    like "... one line naming the variable and the rule" "$out" \
        '^monocache: MONOCACHE_NAME=.*: not a cache name \(expected \[A-Za-z0-9\]\[A-Za-z0-9._-\]\{0,127\}'
    is "... only one line" "$(printf '%s\n' "$out" | wc -l)" 1
    ok "... the program never ran" gone "$T/ran"
done
out=$(mc run --name 'a b' -- touch "$T/ran" 2>&1)
is "run --name 'a b': 125" "$?" 125
is "... naming the option" "$(echo "$out" | head -1)" \
    "monocache: run: --name a b: not a cache name (expected [A-Za-z0-9][A-Za-z0-9._-]{0,127}: a letter or digit, then up to 127 letters, digits, '.', '_' or '-')"
long=$(printf 'n%.0s' $(seq 128))
is "a 128-character name is taken" "$(mc run --name "$long" -- sh -c 'echo "$MONOCACHE_ID"')" "$long"
for pair in "MONOCACHE_NAME=a MONOCACHE_EXISTING=b" "MONOCACHE_NAME=a MONOCACHE_NEW=1"; do
    out=$(env $pair LD_PRELOAD="$PRELOAD" touch "$T/ran" 2>&1)
    is "$pair: 125" "$?" 125
    like "... one line: choose one" "$out" '^monocache: MONOCACHE_(NEW|EXISTING) and MONOCACHE_NAME are both set; choose one$'
done
out=$(mc run --name a --existing b -- true 2>&1)
is "run --name with --existing: 125" "$?" 125
like "... do not go together" "$out" '^monocache: run: --name and --existing do not go together'
ok "none of these made a cache but ccache-main" test "$(caches)" = ccache-main

# --- 4. Five trees starting together on one name: one cache, shared.
# gate N: N newlines into the FIFO the waiting starters read, one each
# (read takes one byte at a time from a pipe), so that they exec together.
mkfifo "$T/gate"
exec 8<> "$T/gate"
start_together() {
    local i
    for i in 1 2 3 4 5; do
        sh -c 'read -r _ <&8; shift; exec env LD_PRELOAD="$0" "$@"' "$PRELOAD" "$@" "$i" &
    done
    printf '\n\n\n\n\n' >&8
    wait
}
start_together env MONOCACHE_NAME=fan sh -c 'echo "$MONOCACHE_PATH" > "$0.$1"
    echo "$1" > "$MONOCACHE_PATH/from$1"; sleep 0.3' "$T/path"
is "five trees, one path" "$(sort -u "$T"/path.* | tr '\n' ' ')" "$ROOT/cache/fan "
eventually 10 gone "$ROOT/cache/fan"
ok "... released once the last ended (wiped: not locked)" gone "$ROOT/cache/fan"
eventually 10 test -z "$(ls "$ROOT/run" | grep fan)"
ok "... its lock and guard files gone" test -z "$(ls "$ROOT/run" | grep fan)"

start_together env MONOCACHE_NAME=kept MONOCACHE_LOCK=1 sh -c 'echo "$1" > "$MONOCACHE_PATH/from$1"' x
is "five locked trees: every file in the one cache" "$(ls "$ROOT/cache/kept" | tr '\n' ' ')" \
    "from1 from2 from3 from4 from5 meta.json "
exec 8>&-

# --- 5. A named tree inside another tree: its own cache, inherited below it.
out=$(with_cache sh -c 'outer=$MONOCACHE_ID
    MONOCACHE_NAME=inner sh -c "echo \$MONOCACHE_ID; sh -c \"echo \\\$MONOCACHE_ID\""
    echo "$MONOCACHE_ID" "$([ "$outer" = "$MONOCACHE_ID" ] && echo same)"')
is "inside a tree, MONOCACHE_NAME starts a tree of its own" "$(echo "$out" | sed -n 1p)" inner
is "... which its children inherit" "$(echo "$out" | sed -n 2p)" inner
like "... the outer tree keeps its cache" "$(echo "$out" | sed -n 3p)" ' same$'

# --- 6. A directory the Python package made is taken by name.
mkdir -p "$ROOT/cache/py-made"
echo '{"id": "py-made", "locked": true}' > "$ROOT/cache/py-made/meta.json"
echo old > "$ROOT/cache/py-made/data"
is "run --existing py-made (its meta names it)" \
    "$(mc run --existing py-made -- sh -c 'cat "$MONOCACHE_PATH/data"' 2>&1)" old
is "run --name py-made attaches to it too" "$(mc run --name py-made -- sh -c 'cat "$MONOCACHE_PATH/data"')" old
ok "... kept: it is locked" test -e "$ROOT/cache/py-made/data"

# --- 7. A lock file left behind without its directory does not block the name.
printf 'H 0 0 0 0 0\n' > "$ROOT/run/orphan.lock"
is "run --name over an orphan lock file" "$(mc run --name orphan -- sh -c 'echo "$MONOCACHE_ID"' 2>&1)" orphan
eventually 10 gone "$ROOT/cache/orphan"
ok "... released" gone "$ROOT/cache/orphan"

# --- 8. Names that hold our own suffixes (.lock, .later, .pull) stay theirs.
for name in v1.lock job.later x.pull; do
    mc run --name "$name" --lock -- true
done
mc gc > /dev/null 2>&1
for name in v1.lock job.later x.pull; do
    is "gc leaves the locked cache $name alone" "$(mc meta "$name" --get id 2>&1)" "$name"
done
like "ls shows them" "$(mc ls | awk '{print $1}' | sort | tr '\n' ' ')" 'job\.later .*v1\.lock x\.pull'
for name in v1.lock job.later x.pull kept; do
    mc rm --force "$name"
done

# --- 9. A named tree killed at once (SIGKILL) is released all the same.
MONOCACHE_NAME=killed LD_PRELOAD=$PRELOAD sleep 30 &
pid=$!
disown    # (bash would report the SIGKILL on stderr)
eventually 10 test -e "$ROOT/cache/killed"
kill -9 "$pid"
eventually 10 gone "$ROOT/cache/killed"
ok "SIGKILL of a named tree: its cache wiped" gone "$ROOT/cache/killed"

finish
