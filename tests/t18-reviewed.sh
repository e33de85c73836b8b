#!/bin/bash
# t18-reviewed.sh — what reviews of the hardened lifecycle found, each as it
# was reported: meta.json that Python writes and cJSON does not read the
# same, hard links planted as lock files, caches a program made unreadable
# to another user, variables leaking into nested caches, and run's options.
. "$(dirname "$0")/lib.sh"
P=$MC_HELPERS/probe
A=$MC_HELPERS/apiuser
PY=$(command -v /usr/bin/python3 || command -v python3)

# meta.json as Python writes it: big integers, NaN, Infinity.
id=$(with_cache sh -c '"$0" lock "$MONOCACHE_ID" && echo "$MONOCACHE_ID"
    "$1" -c "
import json, os
p = os.environ[\"MONOCACHE_PATH\"] + \"/meta.json\"
m = json.load(open(p))
m.update(t_ns=1795877821410322777, score=float(\"nan\"), low=-float(\"inf\"))
json.dump(m, open(p, \"w\"))"' "$MC_BIN" "$PY")
ok "a locked cache whose meta Python filled with NaN and big integers: kept" test -d "$ROOT/cache/$id"
ok "meta edits keep Python's integers and NaN exactly" sh -c "'$MC_BIN' meta '$id' step=2 && '$PY' -c '
import json, math, sys
m = json.load(open(sys.argv[1]))
assert m[\"t_ns\"] == 1795877821410322777 and math.isnan(m[\"score\"]) and m[\"low\"] == -math.inf, m
assert m[\"step\"] == 2 and m[\"locked\"] is True, m' '$ROOT/cache/$id/meta.json'"
is "meta --get prints a big integer as written" "$(mc meta "$id" --get t_ns)" 1795877821410322777
mc rm --force "$id" > /dev/null

# A cache whose meta cannot be read is kept, whatever wipes it would.
id=$(with_cache sh -c '"$0" lock "$MONOCACHE_ID" >/dev/null; echo "$MONOCACHE_ID"
    printf "{\"locked\": true, \"s\": \"\\\\ud800\"}" > "$MONOCACHE_PATH/meta.json"' "$MC_BIN")
ok "a meta cJSON cannot read (a lone surrogate): the release keeps the cache" test -d "$ROOT/cache/$id"
mc rm --force "$id" > /dev/null

# A hard link planted under a lock file's name is never written.
with_cache /bin/true
uuid=11111111-2222-4333-8444-555555555555
echo "Hello, important" > "$T/important"
ln "$T/important" "$ROOT/run/$uuid.lock"
mc gc > "$T/out" 2>&1
is "gc: a hard link named like a lock file is left untouched" "$(cat "$T/important")" "Hello, important"
like "... and reported" "$(cat "$T/out")" 'not a lock file of ours'
mkdir -p "$ROOT/cache/$uuid" && printf '{"id":"%s","locked":false}' "$uuid" > "$ROOT/cache/$uuid/meta.json"
mc rm "$uuid" > "$T/out" 2>&1
is "rm: untouched too" "$(cat "$T/important")" "Hello, important"
rm -rf "$ROOT/run/$uuid.lock" "$ROOT/cache/$uuid"

# Another user's program makes its cache unreadable to itself: still wiped.
if [ "$(id -u)" = 0 ] && command -v setpriv > /dev/null && [ "${MC_VALGRIND:-0}" = 0 ] &&
    [ "$MC_SANITIZED" = 0 ]; then
    nobody_dir=$(mktemp -d /tmp/mc-nobody.XXXXXX)
    chown 65534:65534 "$nobody_dir"
    # nobody runs copies of the tool and library, in a directory it can reach.
    cp "$MC_REAL_LIB" "$MC_BIN" "$nobody_dir/"
    chmod 755 "$nobody_dir"/* && chown 65534:65534 "$nobody_dir"/*
    as_nobody() {
        setpriv --reuid=65534 --regid=65534 --clear-groups env -i PATH=/usr/bin:/bin \
            MONOCACHE_ROOT="$nobody_dir/root" LD_PRELOAD="$nobody_dir/$(basename "$MC_REAL_LIB")" "$@"
    }
    made=$(as_nobody sh -c 'cd "$MONOCACHE_PATH" && mkdir -p a/b && touch a/b/f && chmod 600 a &&
        echo "$MONOCACHE_PATH"')
    made=$made,$(as_nobody sh -c 'touch "$MONOCACHE_PATH/x" && chmod 000 "$MONOCACHE_PATH" &&
        echo "$MONOCACHE_PATH"')
    like "nobody's two programs had their caches" "$made" \
        "^$nobody_dir/root/cache/[0-9a-f-]{36},$nobody_dir/root/cache/[0-9a-f-]{36}\$"
    left=$(ls -A "$nobody_dir/root/cache")
    is "a directory without search permission, and a cache of mode 000: wiped" "$left" ""
    rm -rf "$nobody_dir"
else
    echo "ok $((tap_count += 1)) # SKIP another user's permissions: needs root and setpriv, no valgrind or sanitizer"
    echo "ok $((tap_count += 1)) # SKIP another user's permissions: needs root and setpriv, no valgrind or sanitizer"
fi

# MONOCACHE_LOCK and MONOCACHE_META are the tree's orders: not its descendants'.
out=$(MONOCACHE_LOCK=1 MONOCACHE_META='{"job":"outer"}' with_cache sh -c \
      'MONOCACHE_NEW=1 sh -c "cat \$MONOCACHE_PATH/meta.json"; echo; echo "$MONOCACHE_ID"')
ok "a fresh cache inside a locked tree is neither locked nor given its meta" "$PY" -c '
import json, sys
m = json.loads(sys.argv[1])
assert m["locked"] is False and "job" not in m, m' "$(echo "$out" | head -1)"
mc rm --force "$(echo "$out" | tail -1)" > /dev/null
out=$(MONOCACHE_META='{"locked": false, "locked": true}' with_cache sh -c 'echo ran' 2>&1)
like "MONOCACHE_META with \"locked\" twice is refused" "$out" \
    '^monocache: MONOCACHE_META: key "locked" must appear once'

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

# A mistyped root is an error, not a new tree of directories.
out=$(MONOCACHE_ROOT=$T/no/such/root with_cache /bin/true 2>&1)
like "MONOCACHE_ROOT whose parent does not exist: refused, saying which" "$out" \
    "MONOCACHE_ROOT=$T/no/such/root: $T/no/such does not exist"
ok "... nothing made" test ! -e "$T/no"

# Several caches at once; keys that start with -.
a=$(MONOCACHE_LOCK=1 with_cache sh -c 'echo "$MONOCACHE_ID"')
b=$(MONOCACHE_LOCK=1 with_cache sh -c 'echo "$MONOCACHE_ID"')
ok "unlock A B" mc unlock "$a" "$b"
ok "meta ID -- -x=1 sets a key starting with -" mc meta "$a" -- -x=1
is "... read back" "$(mc meta "$a" --get -x)" 1
ok "rm A B" mc rm "$a" "$b"
ok "... both gone" test ! -e "$ROOT/cache/$a" -a ! -e "$ROOT/cache/$b"
out=$(with_cache sh -c '"$0" set -k "\"v\"" && "$0" get -k; "$0" set-null v' "$A" 2>&1)
is "C API: a key starting with -, and a NULL value refused" "$out" '"v"
monocache: the value is NULL (give JSON text, e.g. "null")'

# A log file that cannot be opened: said once per run, not twice.
out=$(MONOCACHE_LOG_FILE=$T/no/such/log mc run -- true 2>&1)
is "run with a bad MONOCACHE_LOG_FILE: one warning" "$(echo "$out" | grep -c 'MONOCACHE_LOG_FILE')" 1

# ls inside a tree does not count itself.
out=$(with_cache sh -c '"$0" ls --json' "$MC_BIN")
ok "ls inside a tree counts its holders, not itself" "$PY" -c '
import json, sys
rows = json.loads(sys.argv[1])
assert rows[0]["holders"] == 1, rows' "$out"
eventually 10 no_caches

finish
