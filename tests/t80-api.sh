#!/bin/bash
# t80-api.sh — the C API of include/monocache.h, from a program linked with
# -lmonocache (which gets a cache without LD_PRELOAD) and from a preloaded one;
# keys starting with -, NULL values.
. "$(dirname "$0")/lib.sh"
A=$MC_HELPERS/apiuser
PY=$(command -v /usr/bin/python3 || command -v python3)

out=$("$A" path)
like "a program linked with the library gets a cache without LD_PRELOAD" "$out" \
    "^path $ROOT/cache/[0-9a-f-]{36}"
ok "... released at its end" no_caches

out=$(with_cache sh -c '"$0" path; echo "env $MONOCACHE_PATH"' "$A")
is "monocache_path() is the tree's cache" "$(echo "$out" | sed -n 1p | cut -d' ' -f2)" \
    "$(echo "$out" | sed -n 3p | cut -d' ' -f2)"

out=$(with_cache sh -c '
    "$0" set owner "\"api\"" && "$0" set n 42 && "$0" set obj "{\"a\":[1,2]}" &&
    "$0" get owner && "$0" get n && "$0" get obj && cat "$MONOCACHE_PATH/meta.json"' "$A")
is "monocache_meta_set then monocache_meta_get" "$(echo "$out" | sed -n 1,3p | tr '\n' ' ')" '"api" 42 {"a":[1,2]} '
ok "... written to meta.json for Python to read" "$PY" -c '
import json, sys
m = json.loads(sys.argv[1])
assert m["owner"] == "api" and m["n"] == 42 and m["obj"] == {"a": [1, 2]}, m' "$(echo "$out" | sed -n 4p)"

out=$(with_cache sh -c '"$0" get nothing-here' "$A" 2>&1)
like "monocache_meta_get of a missing key fails with a reason" "$out" 'no meta key "nothing-here"'
out=$(with_cache sh -c '"$0" set n "not json"' "$A" 2>&1)
like "monocache_meta_set refuses a value that is not JSON" "$out" 'not valid JSON'

id=$(with_cache sh -c '"$0" lock && echo "$MONOCACHE_ID"' "$A")
ok "monocache_lock: the cache outlives the program" test -d "$ROOT/cache/$id"
is "... meta says locked" "$(mc meta "$id" --get locked)" true
out=$(with_cache env MONOCACHE_EXISTING="$id" sh -c '"$0" unlock && echo "$MONOCACHE_ID"' "$A")
is "attached with MONOCACHE_EXISTING" "$out" "$id"
ok "monocache_unlock: wiped at that program's end" test ! -e "$ROOT/cache/$id"

out=$(MONOCACHE_ON_ERROR=continue MONOCACHE_LOCK=bad "$A" path 2>/dev/null)
is "no cache: monocache_path() and monocache_id() are NULL" "$out" "path (none)
id (none)"
out=$(MONOCACHE_ON_ERROR=continue MONOCACHE_LOCK=bad "$A" lock 2>&1 >/dev/null | tail -1)
is "no cache: monocache_lock() fails with a reason" "$out" "monocache: this process has no cache"

out=$(with_cache sh -c '"$0" set -k "\"v\"" && "$0" get -k; "$0" set-null v' "$A" 2>&1)
is "C API: a key starting with -, and a NULL value refused" "$out" '"v"
monocache: the value is NULL (give JSON text, e.g. "null")'

eventually 20 no_caches
ok "all released" no_caches

# A preloaded library comes first in every symbol lookup of its process: it
# must export only what it interposes and the monocache_ API.
interposed='_exit _Exit sigaction signal bsd_signal sysv_signal __sysv_signal siginterrupt
sigwait sigwaitinfo sigtimedwait posix_spawn_file_actions_addclose
posix_spawn_file_actions_addclosefrom_np close close_range closefrom dup2 dup3'
exported=$(nm -D --defined-only "$MC_REAL_LIB" | awk '{print $3}' | sed 's/@.*//' | sort -u)
extra=$(for sym in $exported; do
    case " $(echo $interposed) " in *" $sym "*) continue ;; esac
    case "$sym" in monocache_*) continue ;; esac
    echo "$sym"
done)
is "libmonocache.so exports nothing but interposed functions and monocache_*" "$extra" ""
for sym in monocache_path monocache_id monocache_lock monocache_unlock monocache_meta_get \
           monocache_meta_set; do
    echo "$exported" | grep -qx "$sym" || fail "exports $sym"
done
is "... and all six API functions" "$(echo "$exported" | grep -c '^monocache_')" 6
# Calls inside the library go to our own code or the real functions, never
# back through an exported name to our wrappers (the loader would bind them
# to the wrapper, and launch.c's code between clone and exec may make only
# system calls).
bound=$(readelf -rW "$MC_REAL_LIB" | awk '$3 ~ /JUMP_SLOT|GLOB_DAT|64$/ {print $5}' |
    sed 's/@.*//' | sort -u)
is "no relocation of the library binds to a symbol it exports" \
    "$(comm -12 <(printf '%s\n' $bound) <(printf '%s\n' $exported) | tr '\n' ' ')" ""
is "... the relocations were read (readelf found the imports)" \
    "$(printf '%s\n' $bound | grep -cx 'getenv')" 1
# (make check-asan builds it with UBSan, whose runtime it then needs too)
needed=$(readelf -d "$MC_REAL_LIB" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
[ "$MC_SANITIZED" = 1 ] && needed=$(echo "$needed" | grep -v '^libubsan\.so')
is "the library needs libc only" "$needed" \
    "libc.so.6"
like "the version is 0.2.0" "$(mc --version)" '^monocache 0\.2\.0$'
finish
