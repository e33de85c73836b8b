#!/bin/bash
# t10-basics.sh — a preloaded program gets a cache: environment, layout, meta,
# permissions; the cache is gone when it ends; children share it; what a
# tree is told (MONOCACHE_LOCK, MONOCACHE_META) is not told to its nested
# caches.
. "$(dirname "$0")/lib.sh"
P=$MC_HELPERS/probe
PY=$(command -v /usr/bin/python3 || command -v python3)

out=$(with_cache sh -c 'echo "$MONOCACHE_PATH|$MONOCACHE_ID|$MONOCACHE_ROOT"; cat "$MONOCACHE_PATH/meta.json"; stat -c %a "$MONOCACHE_PATH"; stat -c %a "'"$ROOT"'"')
path=$(echo "$out" | sed -n 1p | cut -d'|' -f1)
id=$(echo "$out" | sed -n 1p | cut -d'|' -f2)
like "MONOCACHE_ID is a UUID v4" "$id" '^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$'
is "MONOCACHE_PATH is <root>/cache/<id>" "$path" "$ROOT/cache/$id"
is "MONOCACHE_ROOT is exported" "$(echo "$out" | sed -n 1p | cut -d'|' -f3)" "$ROOT"
meta=$(echo "$out" | sed -n 2p)
ok "meta.json is JSON for Python's json.load, with id, created, locked" \
    python3 -c 'import json,sys; m=json.loads(sys.argv[1]); assert m["id"]==sys.argv[2] and m["locked"] is False and m["created"].endswith("Z"), m' "$meta" "$id"
is "cache directory is 0700" "$(echo "$out" | sed -n 3p)" 700
is "root created 0700" "$(echo "$out" | sed -n 4p)" 700
ok "cache wiped once the program ended" no_caches

out=$(with_cache sh -c 'echo "$MONOCACHE_PATH"; sh -c "echo \$MONOCACHE_PATH"; '"$P"' print-env MONOCACHE_PATH')
first=$(echo "$out" | sed -n 1p)
like "the tree has a cache" "$first" "^$ROOT/cache/[0-9a-f-]{36}\$"
is "children see the same cache" "$(echo "$out" | sed 's/^MONOCACHE_PATH=//' | tr '\n' ' ')" \
    "$first $first $first "
ok "one cache for the whole tree, wiped at its end" no_caches

out=$(with_cache sh -c 'a=$MONOCACHE_PATH; b=$(MONOCACHE_NEW=1 sh -c "echo \$MONOCACHE_PATH; test -z \"\$MONOCACHE_NEW\" && echo consumed"); echo "$a"; echo "$b"')
first=$(echo "$out" | sed -n 1p)
second=$(echo "$out" | sed -n 2p)
[ -n "$second" ] && [ "$first" != "$second" ] && pass "MONOCACHE_NEW=1 gives a child its own cache" \
    || fail "MONOCACHE_NEW=1 gives a child its own cache" "got '$first' and '$second'"
is "MONOCACHE_NEW is consumed, not passed on" "$(echo "$out" | sed -n 3p)" consumed
ok "both caches wiped" no_caches

out=$(MONOCACHE_EXPORT=TMPDIR,XDG_CACHE_HOME with_cache sh -c 'echo "$MONOCACHE_PATH $TMPDIR $XDG_CACHE_HOME"')
set -- $out
is "MONOCACHE_EXPORT sets TMPDIR to the cache" "$2" "$1"
is "MONOCACHE_EXPORT sets XDG_CACHE_HOME to the cache" "$3" "$1"

out=$(MONOCACHE_META='{"locked":true,"k":1}' with_cache sh -c 'echo $MONOCACHE_ID')
is "MONOCACHE_META with \"locked\": true locks the cache" "$(mc meta "$out" --get locked)" true
mc rm --force "$out"

# The default root: ${TMPDIR:-/tmp}/monocache-<uid>, created 0700.
tmp=$T/tmpdir
mkdir -p "$tmp"
out=$(env -u MONOCACHE_ROOT TMPDIR="$tmp" LD_PRELOAD="$PRELOAD" sh -c 'echo "$MONOCACHE_PATH"')
like "default root is \$TMPDIR/monocache-<uid>" "$out" "^$tmp/monocache-$(id -u)/cache/"
is "default root created 0700" "$(stat -c %a "$tmp/monocache-$(id -u)")" 700

# What the program must not notice.
is "stdout is the program's alone" "$(with_cache sh -c 'echo hello')" hello
is "errno at main is what it would be without us" \
    "$(with_cache "$P" errno)" "$("$P" errno)"
fds=$(with_cache "$P" fds | sed 's/^fd //' | sort -n | tr '\n' ' ')
plain=$("$P" fds | sed 's/^fd //' | sort -n | tr '\n' ' ')
is "descriptors 0-2 untouched, one of ours at 1000" "$fds" "${plain}1000 "
out=$(with_cache sh -c 'ls -l /proc/self/fd/1000')
like "our descriptor names the lock file" "$out" "$ROOT/run/[0-9a-f-]{36}\.lock\$"

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

finish
