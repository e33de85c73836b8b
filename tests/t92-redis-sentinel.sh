#!/bin/bash
# t92-redis-sentinel.sh — the Redis register found through Redis Sentinel
# (MONOCACHE_REDIS_SENTINEL, MONOCACHE_REDIS_MASTER), against a real master,
# replica and sentinel started here: counted on the master the sentinels
# name (asked in turn); an unknown master, no sentinel, or a sentinel that
# names a replica (ROLE slave): one line, 125 before main. SENTINEL
# FAILOVER while two hosts use a cache: both stay counted on the new
# master, the first to end keeps the cache, the last wipes it, nothing is
# wiped early. The Python package through the same sentinel.
. "$(dirname "$0")/lib.sh"
. "$here/lib-redis.sh"
MASTER_PORT=$(free_port)
REPLICA_PORT=$(free_port)
SENTINEL_PORT=$(free_port)
# (A replica syncs at once, not after the default 5 s of diskless delay.)
start_redis "$T/master" "$MASTER_PORT" --repl-diskless-sync-delay 0
start_redis "$T/replica" "$REPLICA_PORT" --repl-diskless-sync-delay 0 \
    --replicaof 127.0.0.1 "$MASTER_PORT"
linked() {
    redis-cli -p "$1" INFO replication | grep -q '^master_link_status:up'
}
eventually 20 linked "$REPLICA_PORT"
start_sentinel "$T/sentinel" "$SENTINEL_PORT" mc-master "$MASTER_PORT"
knows_replica() {
    redis-cli -p "$SENTINEL_PORT" SENTINEL replicas mc-master | grep -qx "$REPLICA_PORT"
}
ok "the sentinel knows the master and its replica" eventually 30 knows_replica
DEAD=127.0.0.1:$(free_port)
export MONOCACHE_REDIS_SENTINEL=$DEAD,127.0.0.1:$SENTINEL_PORT MONOCACHE_REDIS_MASTER=mc-master
RCLI=(-p "$MASTER_PORT")
age_register    # (a server that has counted for a while: not the young-register case)
for h in b c; do
    host "$h" "$MC_BIN" run -- true 2> /dev/null  # (marks the host's run directory, which gc needs)
done

# --- Counted on the master the sentinels name (the first does not answer).
out=$(mc run -- sh -c 'redis-cli -p "$0" HGET CACHE_REGISTER "$MONOCACHE_PATH/"; echo "$MONOCACHE_PATH"' \
    "$MASTER_PORT")
is "sentinels asked in turn: counted on the master they name" "${out%%$'\n'*}" 1
path=${out#*$'\n'}
ok "... wiped at the end" gone "$path"
is "... the field deleted" "$(rcli HEXISTS CACHE_REGISTER "$path/")" 0

# --- Refused, one line, before main.
refused_at_start "a master the sentinels do not know" MONOCACHE_REDIS_SENTINEL \
    "does not know a master named nobody" \
    MONOCACHE_REDIS_MASTER=nobody
refused_at_start "no sentinel answers" MONOCACHE_REDIS_SENTINEL "sentinel $DEAD: cannot connect" \
    MONOCACHE_REDIS_SENTINEL="$DEAD"
# (A sentinel that names a replica, as one may for a moment after a
# failover: the real sentinel, told to watch the replica as master mc-stale.)
redis-cli -p "$SENTINEL_PORT" SENTINEL MONITOR mc-stale 127.0.0.1 "$REPLICA_PORT" 1 > /dev/null
names_replica() {
    [ "$(redis-cli -p "$SENTINEL_PORT" SENTINEL get-master-addr-by-name mc-stale | tail -1)" = \
        "$REPLICA_PORT" ]
}
ok "a sentinel told to watch the replica as master mc-stale names it" eventually 10 names_replica
refused_at_start "a sentinel that names a replica" MONOCACHE_REDIS_SENTINEL \
    "127.0.0.1:$REPLICA_PORT.*ROLE is slave, not master" \
    MONOCACHE_REDIS_SENTINEL="127.0.0.1:$SENTINEL_PORT" MONOCACHE_REDIS_MASTER=mc-stale
redis-cli -p "$SENTINEL_PORT" SENTINEL REMOVE mc-stale > /dev/null
out=$(env -u MONOCACHE_REDIS_SENTINEL -u MONOCACHE_REDIS_MASTER \
    MONOCACHE_REDIS="redis://127.0.0.1:$REPLICA_PORT" LD_PRELOAD="$PRELOAD" true 2>&1)
is "a replica named by MONOCACHE_REDIS: exit 125" "$?" 125
like "... one line: READONLY" "$out" "^monocache: MONOCACHE_REDIS=redis://127.0.0.1:$REPLICA_PORT: refused: READONLY"
refused_before_main "" "MONOCACHE_REDIS_SENTINEL=127.0.0.1:x" "MONOCACHE_REDIS_MASTER=two words" \
    "MONOCACHE_REDIS_SENTINEL=,"

# --- SENTINEL FAILOVER while two hosts use a cache.
start_user a a
path=$(path_of a)
start_user b b --existing "$path"
is "two hosts through the sentinel: counted 2 on the master" "$(field_count "$path")" 2
leases_before=$(rcli ZRANGE "$(lease_key "$path")" 0 -1 WITHSCORES | awk 'NR % 2 == 0' | sort -n | tail -1)
# (Refused, NOGOODSLAVE, until the sentinel has the replica's own INFO.)
failover_started() {
    redis-cli -p "$SENTINEL_PORT" SENTINEL FAILOVER mc-master | grep -qx OK
}
ok "SENTINEL FAILOVER mid-run: started" eventually 30 failover_started
switched() {
    [ "$(redis-cli -p "$SENTINEL_PORT" SENTINEL get-master-addr-by-name mc-master | tail -1)" = "$REPLICA_PORT" ] &&
        redis-cli -p "$MASTER_PORT" ROLE | head -1 | grep -qx slave &&
        linked "$MASTER_PORT"
}
ok "SENTINEL FAILOVER: the replica is the master, the old master its replica" eventually 60 switched
RCLI=(-p "$REPLICA_PORT")
both_renewed() {
    [ "$(rcli ZRANGE "$(lease_key "$path")" 0 -1 WITHSCORES | awk 'NR % 2 == 0' | sort -n | head -1)" \
        -gt "$leases_before" ]
}
ok "... both hosts renew their leases on the new master" eventually 20 both_renewed
is "... both still counted there" "$(field_count "$path")" 2
like "... gc on a third host keeps the cache" "$(host c "$MC_BIN" gc)" \
    "kept ${path##*/} \(used on other hosts\)"
end_user a
ok "... the first host's end, after the failover, keeps it for the other" test -d "$path"
is "... counted 1 on the new master" "$(field_count "$path")" 1
end_user b
ok "... the last host's end wipes it" gone "$path"
is "... and deletes the field on the new master" "$(rcli HEXISTS CACHE_REGISTER "$path/")" 0
refute "... neither host lost its lease on the way" grep -q "lease had run out" "$T/err.a" "$T/err.b"

# --- The Python package through the sentinel (redis-py's Sentinel).
with_cache /bin/true    # (a first tree on this host marks its run directory, which gc needs)
export PKG_REDIS=sentinel:127.0.0.1:$SENTINEL_PORT:mc-master
python_cases "sentinel"

finish
