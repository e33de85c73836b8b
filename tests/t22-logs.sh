#!/bin/bash
# t22-logs.sh — logs that help: what info and debug say (the cache made, by
# which pid and program; its release, how and how fast; the watcher),
# MONOCACHE_LOG_FORMAT=json, and a log file that cannot be opened.
. "$(dirname "$0")/lib.sh"
PY=$(command -v /usr/bin/python3 || command -v python3)

# Info and debug; json.
MONOCACHE_LOG=info MONOCACHE_LOG_FILE=$T/info.log with_cache sh -c 'exit 0'
MONOCACHE_LOG=debug MONOCACHE_LOG_FILE=$T/debug.log with_cache sh -c 'exit 0'
like "info: the cache created, by which pid and program" "$(cat "$T/info.log")" \
    'monocache\[[0-9]+\] info: cache [0-9a-f-]{36} created at .* \(root .*\) for pid [0-9]+ \(sh\)'
like "info: the release, how it ended, how long it took" "$(cat "$T/info.log")" \
    'info: cache [0-9a-f-]{36} released: wiped in [0-9]+ ms \(the last holder let go: exit status 0\)'
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

# Each line about a cache carries its event, id and path as JSON fields; the
# lines name the program that asked (run names its program) and how the
# tree ended.
# (A log file: the watcher keeps no pipe open, so its release line goes only
# there when stderr is one.)
id=$(MONOCACHE_LOG=info MONOCACHE_LOG_FORMAT=json MONOCACHE_LOG_FILE=$T/ev.log \
    with_cache sh -c 'echo "$MONOCACHE_ID"; exit 4')
eventually 10 no_caches
ok "JSON lines: created and released, with event, id and path fields" "$PY" -c '
import json, sys
events = [json.loads(l) for l in open(sys.argv[1])]
cache_id = sys.argv[2]
assert [e["event"] for e in events] == ["created", "released"], events
assert all(e["id"] == cache_id and e["path"].endswith("/" + cache_id) for e in events), events
assert events[0]["message"].endswith("(sh)"), events[0]
assert events[1]["message"].endswith("(the last holder let go: exit status 4)"), events[1]
' "$T/ev.log" "$id"
MONOCACHE_LOG=info MONOCACHE_LOG_FILE=$T/run.log mc run -- sh -c 'exit 3'
eventually 10 no_caches
like "run: the line names run's program" "$(cat "$T/run.log")" \
    'created at .* for pid [0-9]+ \(monocache run of sh\)'
like "... and the release, its status" "$(cat "$T/run.log")" \
    'released: wiped in [0-9]+ ms \(the last holder let go: exit status 3\)'
(MONOCACHE_LOG=info MONOCACHE_LOG_FILE=$T/term.log with_cache sh -c 'kill -TERM $$') 2>/dev/null
eventually 10 no_caches
like "a tree killed by SIGTERM: said so" "$(cat "$T/term.log")" \
    'the last holder let go: killed by signal 15'

# A FIFO nobody reads as the log file: never waited on, one warning.
mkfifo "$T/log.fifo"
out=$(MONOCACHE_LOG=info MONOCACHE_LOG_FILE=$T/log.fifo timeout 20 "$MC_BIN" ls 2>&1 > /dev/null)
is "ls with a FIFO nobody reads as MONOCACHE_LOG_FILE: not blocked" "$?" 0
like "... one line saying so" "$out" "MONOCACHE_LOG_FILE=$T/log.fifo: a FIFO or socket nobody reads"
out=$(MONOCACHE_LOG=info MONOCACHE_LOG_FILE=$T/log.fifo timeout 20 "$MC_BIN" run -- echo ran 2>&1)
is "run with it: the program runs, not blocked" "$(echo "$out" | grep -c '^ran$')" 1
# A reader (read-write, so that opening it never waits) is there first.
exec 8<> "$T/log.fifo"
out=$(MONOCACHE_LOG=info MONOCACHE_LOG_FILE=$T/log.fifo timeout 20 "$MC_BIN" run -- true 2>&1)
is "... with a reader, no warning" "$out" ""
lines=""
while IFS= read -r -t 2 -u 8 line; do
    lines="$lines$line;"
done
exec 8<&-
like "... and the reader got the lines" "$lines" "cache .* created"

# A log file that cannot be opened: said once per run, not twice.
out=$(MONOCACHE_LOG_FILE=$T/no/such/log mc run -- true 2>&1)
is "run with a bad MONOCACHE_LOG_FILE: one warning" "$(echo "$out" | grep -c 'MONOCACHE_LOG_FILE')" 1

finish
