#!/bin/bash
# t91-redis-doubts.sh — what a doubt leaves and who decides it, against a
# real redis-server started here and a proxy in front of it
# (tests/redis/redisproxy.py): a Redis that trickles its replies cannot hold
# a tree's end past the timeout (the cache kept, unsure, left for gc); a
# release kept on a doubt (Redis away; the register younger than a lease
# after FLUSHALL) leaves <run>/<id>.later, which the next tree started on
# the host a lease later decides again; a host cut off from Redis for
# longer than a lease keeps its cache from another host's gc (its
# watcher's heartbeat on the shared file system); without Redis, a cache
# used from another host's run directory is kept.
. "$(dirname "$0")/lib.sh"
. "$here/lib-redis.sh"
redis_main
age_register    # (a server that has counted for a while: not the young-register case)
for h in a b; do
    host "$h" "$MC_BIN" run -- true 2> /dev/null  # (marks the host's run directory, which gc needs)
done

# later_of PATH HOST: the marker a release kept on a doubt leaves.
later_of() {
    echo "$T/run-$2/${1##*/}.later"
}

# --- 1. A Redis that trickles its replies.
start_redis_proxy "$T/trickle" "$PORT"
start_user trickled a --redis "redis://127.0.0.1:$PROXY_PORT"
path=$(path_of trickled)
is "through the proxy: counted" "$(field_count "$path")" 1
# (A byte each 500 ms: the shortest reply, ":1\r\n", takes 2 s whole, four
# times the timeout; a client that waited would get every reply whole.)
proxy_order "$T/trickle" trickle 500
end_user trickled 5
is "Redis trickling its replies at the end: the program's status kept" "$(cat "$T/status.trickled")" 5
refute "... the end did not wait for a reply (none was sent whole)" test -s "$T/trickle/done"
like "... saying there was no answer in time" "$(cat "$T/err.trickled")" "no answer within 500 ms"
ok "... the cache kept (unsure)" test -d "$path"
ok "... left for later: <run>/<id>.later" test -f "$(later_of "$path" a)"
proxy_order "$T/trickle"
past_lease
like "... gc after a lease (Redis direct) wipes it" "$(host a "$MC_BIN" gc)" "wiped ${path##*/}"
ok "... and the marker goes with it" gone "$(later_of "$path" a)"

# --- 2. Kept on a doubt, decided again by the next tree a lease later.
# marker_aged FILE: older than a lease, to the millisecond (the sweep's rule).
marker_aged() {
    local now_ms made_ms
    made_ms=$(stat -c %.3Y "$1" | tr -d .)
    now_ms=${EPOCHREALTIME/./}
    now_ms=${now_ms:0:${#now_ms}-3}
    [ $((now_ms - 50 - made_ms)) -ge $((LEASE * 1000)) ]
}
next_tree_decides() {
    host a "$MC_BIN" run -- true 2> /dev/null
    [ ! -e "$1" ]
}
start_user away a
path=$(path_of away)
stop_redis "$RD"
end_user away
later=$(later_of "$path" a)
like "Redis away at the end: kept" "$(cat "$T/err.away")" "kept: Redis did not answer"
ok "... <run>/<id>.later left" test -f "$later"
start_redis "$RD" "$PORT"
age_register
eventually 20 marker_aged "$later"
past_lease
ok "... Redis back: the next tree on the host, a lease later, decides it again" \
    eventually 20 next_tree_decides "$later"
ok "... wiped" gone "$path"

start_user flushed a
path=$(path_of flushed)
rcli FLUSHALL > /dev/null
end_user flushed
later=$(later_of "$path" a)
like "the register flushed under a tree: kept at its end" "$(cat "$T/err.flushed")" \
    "no longer in the Redis register|younger than a lease"
ok "... <run>/<id>.later left" test -f "$later"
eventually 20 marker_aged "$later"
past_lease
ok "... the next tree on the host, a lease later, decides it again" \
    eventually 20 next_tree_decides "$later"
ok "... wiped" gone "$path"

# --- 3. A host cut off from Redis for longer than a lease.
start_redis_proxy "$T/cut" "$PORT"
start_user cutoff a --redis "redis://127.0.0.1:$PROXY_PORT"
path=$(path_of cutoff)
is "host a, through a proxy: counted" "$(field_count "$path")" 1
leases_over() {
    [ "$(rcli EVAL "
        local t = redis.call('TIME')
        local now = t[1] * 1000 + math.floor(t[2] / 1000)
        return #redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. now, '+inf')" 1 "$(lease_key "$path")")" = 0 ]
}
proxy_order "$T/cut" cut
ok "host a cut off from Redis: its lease runs out" eventually 20 leases_over
like "... gc on host b meanwhile keeps the cache (host a's watcher beats on the file system)" \
    "$(host b "$MC_BIN" gc)" "kept ${path##*/} \(used on other hosts\)"
ok "... still there" test -d "$path"
is "... host a's share not taken off" "$(field_count "$path")" 1
proxy_order "$T/cut"
lease_live() {
    ! leases_over
}
ok "... the partition healed: host a renews its lease" eventually 20 lease_live
end_user cutoff
ok "... its end wipes the cache" gone "$path"
is "... and deletes the field" "$(rcli HEXISTS CACHE_REGISTER "$path/")" 0

# --- 4. Without Redis: a cache used from another host's run directory.
MONOCACHE_REDIS= start_user shared a
path=$(path_of shared)
MONOCACHE_REDIS= host b "$MC_BIN" run --existing "$path" -- true 2> "$T/err.b"
like "without Redis, two hosts' run directories on one root: b's end keeps the cache" \
    "$(cat "$T/err.b")" "kept: it was used from another host's run directory"
ok "... still there" test -d "$path"
end_user shared
like "... a's end keeps it too (b's run directory is in its meta)" "$(cat "$T/err.shared")" \
    "kept: it was used from another host's run directory"
ok "... still there" test -d "$path"
like "... gc on host a keeps it" "$(MONOCACHE_REDIS= host a "$MC_BIN" gc 2> /dev/null)" "kept ${path##*/}"
MONOCACHE_REDIS= host a "$MC_BIN" rm --force "$path"
ok "... rm --force removes it" gone "$path"

finish
