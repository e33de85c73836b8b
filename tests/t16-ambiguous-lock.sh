#!/bin/bash
# t16-ambiguous-lock.sh — meta.json is shared with the Python package and
# with people's editors: a cache is wiped (by its release, gc, or rm without
# --force) only when "locked" is absent, or exactly false and there once.
# Anything Python and cJSON could read differently keeps the cache; what
# Python writes (big integers, NaN) survives our edits.
. "$(dirname "$0")/lib.sh"
PY=$(command -v /usr/bin/python3 || command -v python3)

# Ambiguous "locked" values, with @ID@ for the cache's id.
variants='{"id":"@ID@","locked":false,"locked":true}
{"id":"@ID@","locked":true,"locked":false}
{"id":"@ID@","locked":"true"}
{"id":"@ID@","locked":1}
{"id":"@ID@","locked":null}
{"id":"@ID@","locked":"yes"}
{"id":"@ID@","x":{"locked":true}}
{"id":"@ID@","locked":false,"x":[{"locked":false}]}'

while IFS= read -r variant; do
    # The release: the program itself writes the meta, then ends.
    id=$(with_cache sh -c 'printf "%s" "$0" | sed "s/@ID@/$MONOCACHE_ID/" > "$MONOCACHE_PATH/meta.json"
                           echo "$MONOCACHE_ID"' "$variant")
    ok "release keeps a cache whose meta is $variant" test -d "$ROOT/cache/$id"
    json=$(mc ls --json)
    ok "... ls --json says locked, with a note" "$PY" -c '
import json, sys
row = [r for r in json.loads(sys.argv[1]) if r["id"] == sys.argv[2]][0]
assert row["locked"] is True and row["locked_note"], row' "$json" "$id"
    like "... the table says why" "$(mc ls | grep -A1 "^$id" | tail -1)" '^  \(locked: .+\)'
    mc rm "$id" 2> "$T/err"
    is "... rm without --force refuses it" "$?" 1
    ok "... gc keeps it" sh -c "'$MC_BIN' gc >/dev/null; test -d '$ROOT/cache/$id'"
    mc rm --force "$id" > /dev/null

    # gc: a locked cache nobody holds, its meta rewritten afterwards.
    id=$(MONOCACHE_LOCK=1 with_cache sh -c 'echo "$MONOCACHE_ID"')
    printf '%s' "$variant" | sed "s/@ID@/$id/" > "$ROOT/cache/$id/meta.json"
    mc gc > /dev/null
    ok "gc keeps a cache nobody holds whose meta is $variant" test -d "$ROOT/cache/$id"
    mc rm --force "$id" > /dev/null
done <<< "$variants"

# The plain cases still work: exactly one false (or none) is wiped.
for variant in '{"id":"@ID@","locked":false}' '{"id":"@ID@"}'; do
    id=$(with_cache sh -c 'printf "%s" "$0" | sed "s/@ID@/$MONOCACHE_ID/" > "$MONOCACHE_PATH/meta.json"
                           echo "$MONOCACHE_ID"' "$variant")
    ok "release wipes a cache whose meta is $variant" test ! -e "$ROOT/cache/$id"
done
ok "nothing left" no_caches

# unlock and lock leave one "locked" key, which Python reads as meant.
id=$(MONOCACHE_LOCK=1 with_cache sh -c 'echo "$MONOCACHE_ID"')
printf '{"id":"%s","locked":false,"k":1,"locked":true,"k":2}' "$id" > "$ROOT/cache/$id/meta.json"
ok "unlock of a meta with duplicate keys" mc unlock "$id"
ok "... Python reads locked as False, and the file has one of each key" "$PY" -c '
import json, sys
text = open(sys.argv[1]).read()
pairs = json.loads(text, object_pairs_hook=lambda p: p)
keys = [k for k, v in pairs]
assert len(keys) == len(set(keys)), keys
m = dict(pairs)
assert m["locked"] is False and m["k"] == 2, m' "$ROOT/cache/$id/meta.json"
ok "lock" mc lock "$id"
ok "... Python reads locked as True" "$PY" -c '
import json, sys
pairs = json.load(open(sys.argv[1]), object_pairs_hook=lambda p: p)
assert [k for k, v in pairs].count("locked") == 1 and dict(pairs)["locked"] is True, pairs
' "$ROOT/cache/$id/meta.json"
ok "meta k=3 on it: still one of each key" sh -c "'$MC_BIN' meta '$id' k=3 && '$PY' -c '
import json, sys
pairs = json.load(open(sys.argv[1]), object_pairs_hook=lambda p: p)
keys = [k for k, v in pairs]
assert len(keys) == len(set(keys)) and dict(pairs)[\"k\"] == 3, pairs
' '$ROOT/cache/$id/meta.json'"
mc rm --force "$id" > /dev/null
ok "nothing left" no_caches

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

finish
