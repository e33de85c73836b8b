#!/bin/bash
# t21-cli-usage.sh — what a new user types: --help of every command (full
# usage on stdout, status 0), usage errors that say what is wrong, relative
# paths wherever a path is taken, a root that does not exist.
. "$(dirname "$0")/lib.sh"

# --- 1. Help on stdout with status 0; usage errors say what is wrong.
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

# --- 2. Relative paths, wherever a path is taken.
id=$(MONOCACHE_LOCK=1 with_cache sh -c 'echo "$MONOCACHE_ID"')
is "meta ./<id> from <root>/cache" "$(cd "$ROOT/cache" && mc meta "./$id" --get id)" "$id"
is "meta cache/<id>/ from <root>" "$(cd "$ROOT" && mc meta "cache/$id/" --get locked)" true
is "run --existing ../cache/<id> from <root>/run" \
    "$(cd "$ROOT/run" && mc run --existing "../cache/$id" -- sh -c 'echo "$MONOCACHE_ID"')" "$id"
ok "rm --force of a relative path" sh -c "cd '$ROOT' && '$MC_BIN' rm --force 'cache/$id'"
ok "... gone" test ! -e "$ROOT/cache/$id"

# --- 3. ls of a root that does not exist.
out=$(mc ls --root "$T/nonexistent" 2>&1)
is "ls --root /nonexistent: status 1" "$?" 1
is "... and one line naming it" "$out" "monocache: ls: --root $T/nonexistent: no such directory"
out=$(MONOCACHE_ROOT=$T/nonexistent mc gc 2>&1)
is "gc with MONOCACHE_ROOT missing: named too" "$out" "monocache: gc: MONOCACHE_ROOT=$T/nonexistent: no such directory"

# --- 4. --root wherever a cache is named; errors name what was typed.
other=$T/other-root
mkdir -m 700 "$other"
id=$(MONOCACHE_ROOT=$other MONOCACHE_LOCK=1 with_cache sh -c 'echo "$MONOCACHE_ID"')
is "meta --root DIR ID" "$(mc meta --root "$other" "$id" --get locked)" true
ok "unlock --root DIR ID" mc unlock --root "$other" "$id"
ok "lock --root=DIR ID" mc lock --root="$other" "$id"
like "holders --root DIR ID (nobody holds it: the heading alone)" \
    "$(mc holders --root "$other" "$id")" '^PID +STARTED +COMMAND$'
is "holders --json: an empty array" "$(mc holders --json --root "$other" "$id")" "[]"
ok "rm --force --root DIR ID" mc rm --force --root "$other" "$id"
ok "... gone from that root" test ! -e "$other/cache/$id"
out=$(mc holders "$id" --bogus 2>&1)
is "holders ID --bogus: status 2" "$?" 2
like "... unknown option, not 'one cache at a time'" "$(echo "$out" | head -1)" \
    '^monocache: holders: unknown option --bogus$'
out=$(mc run --existing nosuch -- true 2>&1)
like "run --existing nosuch: the option is named, not a variable" "$out" '^monocache: --existing nosuch: '
out=$(MONOCACHE_EXISTING=nosuch mc run -- true 2>&1)
like "MONOCACHE_EXISTING=nosuch: the variable is named" "$out" '^monocache: MONOCACHE_EXISTING=nosuch: '
out=$(mc ls --redis unix:///no/such.sock 2>&1 > /dev/null)
like "ls --redis URL: the option is named" "$out" '^monocache: --redis unix:///no/such.sock: '
out=$(mc rm --s3 s3://bucket/_tty 2>&1)
is "rm --s3 with no cache id: named as typed" "$out" \
    "monocache: rm --s3 s3://bucket/_tty: expected s3://bucket/prefix/<cache id>"
out=$(mc run -- sh -c 'echo "${MONOCACHE_OPTIONS-unset}"')
is "the note of options for the watcher is not the program's" "$out" unset

# --- 5. gc --json: one object per thing done, in an array.
PY=$(command -v /usr/bin/python3 || command -v python3)
id=$(MONOCACHE_LOCK=1 with_cache sh -c 'echo "$MONOCACHE_ID"')
mc unlock "$id"
ok "gc --json: an array naming what it wiped" "$PY" -c '
import json, sys
done = json.loads(sys.argv[1])
assert done == [{"action": "wiped", "id": sys.argv[2]}], done' "$(mc gc --json)" "$id"
is "... and [] when there is nothing to do" "$(mc gc --json)" "[]"

# --- 6. A unique prefix of an id names the cache; an ambiguous one lists them.
for i in 1 2 3; do
    MONOCACHE_LOCK=1 with_cache sh -c 'echo "$MONOCACHE_ID"' >> "$T/made"
done
first=$(head -1 "$T/made")
is "meta <8-character prefix> --get id" "$(mc meta "${first:0:8}" --get id)" "$first"
mkdir -p "$ROOT/cache/abcd0000-0000-4000-8000-000000000001" "$ROOT/cache/abcd0000-0000-4000-8000-000000000002"
out=$(mc meta abcd0000 2>&1)
is "an ambiguous prefix: status 1" "$?" 1
like "... the candidates listed" "$out" \
    '^monocache: meta: abcd0000: ambiguous, 2 caches start so: abcd0000-0000-4000-8000-00000000000[12], abcd0000'
rmdir "$ROOT/cache/abcd0000-0000-4000-8000-000000000001" "$ROOT/cache/abcd0000-0000-4000-8000-000000000002"
out=$(mc meta abc 2>&1)
like "a prefix too short: what an id may be, said" "$out" 'unique prefix of one of at least 4 characters'

# --- 7. ls lists the oldest cache first (not in directory order).
is "ls: in the order they were made" "$(mc ls | awk 'NR > 1 { print $1 }' | grep -Fx -f "$T/made")" \
    "$(cat "$T/made")"
for id in $(cat "$T/made"); do mc rm --force "$id" > /dev/null; done

# --- 8. Shell completion (bash): commands, options from --help, ids.
complete_words() {
    PATH=$(dirname "$MC_BIN"):$PATH bash -c '
        . "$0"
        COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMPREPLY=()
        _monocache
        printf "%s\n" "${COMPREPLY[@]}"' "$top/completion/monocache.bash" "$@"
}
is "bash completion: commands" "$(complete_words monocache lo | tr '\n' ' ')" "lock "
like "... a command's options, as its --help lists them" "$(complete_words monocache gc --j)" '^--json$'
id=$(MONOCACHE_LOCK=1 with_cache sh -c 'echo "$MONOCACHE_ID"')
is "... cache ids where one is named" "$(complete_words monocache meta "${id:0:6}")" "$id"
mc rm --force "$id" > /dev/null

finish
