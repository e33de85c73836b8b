#!/bin/bash
# t92-redis-cluster.sh — the Redis register on a real three-master Redis
# Cluster started here (redis-server --cluster-enabled yes, redis-cli
# --cluster create): our keys live in CACHE_REGISTER's hash slot, so each
# script runs on one node; a tree configured with a node that does not own
# that slot follows the MOVED; one that starts while the slot migrates
# follows the ASK (ASKING first), and its end the MOVED once it has moved;
# gc and ls too. The Python package on the same cluster.
. "$(dirname "$0")/lib.sh"
. "$here/lib-redis.sh"
start_cluster "$T/cluster" ||
    fail "the cluster says cluster_state:ok" "$(cat "$T/cluster/create.log")"
OWNER=$(cluster_owner CACHE_REGISTER)
for port in "${CLUSTER_PORTS[@]}"; do
    [ "$port" = "$OWNER" ] || OTHERS+=("$port")
done
CONFIGURED=${OTHERS[0]}
RCLI=(-c -p "$CONFIGURED")
export MONOCACHE_REDIS=redis://127.0.0.1:$CONFIGURED
age_register    # (a server that has counted for a while: not the young-register case)
on_node() {
    local port=$1
    shift
    redis-cli -p "$port" "$@"
}
ok "the configured node ($CONFIGURED) does not own CACHE_REGISTER's slot ($OWNER does)" \
    test -n "$OWNER" -a "$OWNER" != "$CONFIGURED"

# --- Counted on the node that owns the slot, through a MOVED.
out=$(mc run -- sh -c 'redis-cli -c -p "$0" HGET CACHE_REGISTER "$MONOCACHE_PATH/"
                       redis-cli -p "$1" --scan --pattern "monocache:*" | sort | tr "\n" " "
                       echo; echo "$MONOCACHE_PATH"' "$CONFIGURED" "$OWNER")
count=$(sed -n 1p <<< "$out")
keys=$(sed -n 2p <<< "$out")
path=$(sed -n 3p <<< "$out")
is "a tree configured with another node: counted (redis-cli -c HGET)" "$count" 1
like "... its lease is on the owner, beside CACHE_REGISTER" "$keys" \
    "monocache:\{CACHE_REGISTER\}:leases:$path/"
is "... every key of ours is in CACHE_REGISTER's slot" \
    "$(for key in $keys; do on_node "$OWNER" CLUSTER KEYSLOT "$key"; done | sort -u)" \
    "$(on_node "$OWNER" CLUSTER KEYSLOT CACHE_REGISTER)"
is "... nothing on the configured node" "$(on_node "$CONFIGURED" DBSIZE)" 0
ok "... wiped at the end" gone "$path"
is "... the field deleted" "$(rcli HEXISTS CACHE_REGISTER "$path/")" 0

# --- Two hosts on one cache; ls and gc (HSCAN) through the MOVED too.
for h in b c; do
    host "$h" "$MC_BIN" run -- true 2> /dev/null  # (marks the host's run directory, which gc needs)
done
start_user a a
path=$(path_of a)
start_user b b --existing "$path"
is "two hosts: counted 2" "$(field_count "$path")" 2
like "... ls on host b: 2 users" "$(host b "$MC_BIN" ls | grep "${path##*/}")" ' 2 +/'
like "... gc on a third host keeps it" "$(host c "$MC_BIN" gc)" \
    "kept ${path##*/} \(used on other hosts\)"
end_user a
ok "... the first to end keeps it" test -d "$path"
is "... counted 1" "$(field_count "$path")" 1
end_user b
ok "... the last wipes it" gone "$path"

# --- The slot migrating to another node: renewals follow the ASK (after
# ASKING); a tree starting then is told TRYAGAIN (its keys are on both
# sides) and asks again until the slot has moved; ends follow the MOVED.
start_user moving a
path=$(path_of moving)
SLOT=$(on_node "$OWNER" CLUSTER KEYSLOT CACHE_REGISTER)
DEST=${OTHERS[1]}
SOURCE_ID=$(on_node "$OWNER" CLUSTER MYID)
DEST_ID=$(on_node "$DEST" CLUSTER MYID)
on_node "$DEST" CLUSTER SETSLOT "$SLOT" IMPORTING "$SOURCE_ID" > /dev/null
on_node "$OWNER" CLUSTER SETSLOT "$SLOT" MIGRATING "$DEST_ID" > /dev/null
keys=$(on_node "$OWNER" CLUSTER GETKEYSINSLOT "$SLOT" 1000)
[ -z "$keys" ] || on_node "$OWNER" MIGRATE 127.0.0.1 "$DEST" "" 0 5000 KEYS $keys > /dev/null
is "the slot migrating: its keys moved to node $DEST" \
    "$(on_node "$OWNER" CLUSTER COUNTKEYSINSLOT "$SLOT")" 0
lease_until() {
    rcli ZRANGE "$(lease_key "$path")" 0 -1 WITHSCORES | tail -1
}
renewed_since() {
    [ "$(lease_until)" != "$1" ]
}
before=$(lease_until)
ok "... a renewal reaches the new node (ASK, after ASKING)" eventually 10 renewed_since "$before"
like "... gc elsewhere asks it there too, and keeps the cache" "$(host c "$MC_BIN" gc)" \
    "kept ${path##*/} \(used on other hosts\)"
tryagains() {
    local port n=0
    for port in "${CLUSTER_PORTS[@]}"; do
        n=$((n + $(on_node "$port" INFO errorstats | tr -d '\r' |
            sed -n 's/^errorstat_TRYAGAIN:count=//p' | grep . || echo 0)))
    done
    echo "$n"
}
told_tryagain() {
    [ "$(tryagains)" -ge "$1" ]
}
first=$(tryagains)
( MONOCACHE_REDIS_TIMEOUT_MS=20000 host d "$MC_BIN" run --existing "$path" -- \
    sh -c 'redis-cli -c -p "$0" HGET CACHE_REGISTER "$MONOCACHE_PATH/"' "$CONFIGURED" \
    > "$T/late.out" 2>&1; echo $? > "$T/late.status" ) &
late=$!
ok "... a tree starting meanwhile is told TRYAGAIN, more than once (it asks again)" \
    eventually 20 told_tryagain $((first + 2))
refute "... and waits" test -e "$T/late.status"
for port in "${CLUSTER_PORTS[@]}"; do
    on_node "$port" CLUSTER SETSLOT "$SLOT" NODE "$DEST_ID" > /dev/null
done
is "the slot moved: the new node owns it" "$(cluster_owner CACHE_REGISTER)" "$DEST"
wait "$late"
is "... the waiting tree then started, counted with the first: 2" "$(cat "$T/late.out")" 2
is "... and ended" "$(cat "$T/late.status")" 0
end_user moving
ok "... the first tree's end (MOVED to the new owner) wipes the cache" gone "$path"
is "... and deletes the field there" "$(on_node "$DEST" HEXISTS CACHE_REGISTER "$path/")" 0
like "... leaving nothing of ours but the register's clock" \
    "$(on_node "$DEST" --scan --pattern 'monocache:*' | tr '\n' ' ')" '^monocache:\{CACHE_REGISTER\}:alive-since $'

# --- The Python package on the cluster (redis-py's RedisCluster).
with_cache /bin/true    # (a first tree on this host marks its run directory, which gc needs)
export PKG_REDIS=cluster:127.0.0.1:$CONFIGURED
python_cases "cluster"

finish
