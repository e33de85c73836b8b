# bench/sections/08-redis.sh — make bench, section 8: the Redis register
# (if redis-server is installed; a private one on loopback). The fast path
# inside a Redis-counted cache (SPAWNS /bin/true timed inside the loop,
# STARTUP_ROUNDS interleaved rounds, as in section 1) vs the empty preload;
# creating and ending a tree with MONOCACHE_REDIS (TCP, 127.0.0.1) vs
# without (REDIS_ROUNDS rounds), and (if openssl is installed) with
# rediss:// to a TLS-only server with a CA made here: what OpenSSL (loaded
# only for rediss://) and the handshake cost a tree that uses TLS; the tree
# without TLS maps neither. With BASELINE_LIB (the libmonocache.so of
# another build, its monocache next to it), also without Redis vs that
# build: what linking hiredis costs a creation.
# Sourced by bench/run.sh (which defines what it uses); runs the section.
# Its redis-servers write their pids to $tmp/redis/redis.pid and tls.pid,
# which bench/run.sh kills at its end.

# How many times to ask the new server for PONG (BENCH_POLL_S apart).
REDIS_START_TRIES=50
# A fresh register keeps caches for a lease; this one is short, and waited out.
REDIS_LEASE_S=1
REDIS_LEASE_WAIT_S=1.2

# redis_fast_once empty|local|redis: SPAWNS /bin/true from one process
# holding a cache (none for empty), as a sample of redis.fast.CONFIG.
redis_fast_once() {
    local out

    case $1 in
        empty) out=$(LD_PRELOAD=$EMPTY "$SPAWNLOOP" "$SPAWNS" /bin/true) ;;
        local) out=$("$MC_BIN" run -- "$SPAWNLOOP" "$SPAWNS" /bin/true) ;;
        redis) out=$(MONOCACHE_REDIS=$redis_url "$MC_BIN" run -- "$SPAWNLOOP" "$SPAWNS" /bin/true) ;;
    esac
    is_number "$out" || return 1
    add "redis.fast.$1" "$out"
}

# tree_once CONFIG: one tree (a lone /bin/true that creates and ends its
# cache), as a sample of redis.tree.CONFIG. Every configuration goes through
# env, so the figures include one exec of env; the differences do not.
tree_once() {
    case $1 in
        local) timed redis.tree.local env LD_PRELOAD="$MC_LIB" /bin/true ;;
        redis) timed redis.tree.redis env MONOCACHE_REDIS="$redis_url" LD_PRELOAD="$MC_LIB" /bin/true ;;
        tls) timed redis.tree.tls env MONOCACHE_REDIS="$tls_url" MONOCACHE_REDIS_CACERT="$tmp/redis/ca.crt" \
            LD_PRELOAD="$MC_LIB" /bin/true ;;
        baseline) timed redis.tree.baseline env LD_PRELOAD="$tmp/base/libmonocache.so" /bin/true ;;
    esac
}

# start_tls_server: a TLS-only redis-server on a free port ($tls_url), its
# CA and certificate made here with openssl req. 1 if it cannot be.
start_tls_server() {
    local dir=$tmp/redis port

    have openssl || return 1
    openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=bench-ca \
        -keyout "$dir/ca.key" -out "$dir/ca.crt" 2> /dev/null &&
        openssl req -newkey rsa:2048 -nodes -subj /CN=localhost -keyout "$dir/server.key" \
            -out "$dir/server.csr" 2> /dev/null &&
        printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' > "$dir/server.ext" &&
        openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" \
            -CAcreateserial -days 1 -extfile "$dir/server.ext" -out "$dir/server.crt" 2> /dev/null ||
        return 1
    port=$(free_port)
    redis-server --port 0 --tls-port "$port" --bind 127.0.0.1 --tls-cert-file "$dir/server.crt" \
        --tls-key-file "$dir/server.key" --tls-ca-cert-file "$dir/ca.crt" --tls-auth-clients no \
        --save '' --appendonly no --daemonize yes --pidfile "$dir/tls.pid" --dir "$dir" \
        > /dev/null || return 1
    tls_url=rediss://127.0.0.1:$port
    wait_until "$REDIS_START_TRIES" redis-cli --tls --cacert "$dir/ca.crt" -p "$port" ping
}

measure_redis() {
    local port out
    local bad=0
    local configs="local redis"

    if ! have redis-server || ! have redis-cli; then
        failed "Redis: redis-server and redis-cli are not installed (make deps)"
        return
    fi
    port=$(free_port)
    mkdir -p "$tmp/redis"
    redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --daemonize yes \
        --pidfile "$tmp/redis/redis.pid" --dir "$tmp/redis" > /dev/null
    redis_url=redis://127.0.0.1:$port
    wait_until "$REDIS_START_TRIES" redis-cli -p "$port" ping
    # A fresh register keeps caches for a lease (it may have lost users):
    # start its clock, and let a short lease pass.
    export MONOCACHE_REDIS_LEASE_S=$REDIS_LEASE_S
    MONOCACHE_REDIS=$redis_url LD_PRELOAD=$MC_LIB /bin/true 2> /dev/null
    if start_tls_server; then
        MONOCACHE_REDIS=$tls_url MONOCACHE_REDIS_CACERT=$tmp/redis/ca.crt LD_PRELOAD=$MC_LIB \
            /bin/true 2> /dev/null
        configs="$configs tls"
    else
        failed "Redis: no TLS server (openssl, or redis-server built without TLS)"
    fi
    sleep "$REDIS_LEASE_WAIT_S"
    MONOCACHE_REDIS=$redis_url "$MC_BIN" gc > /dev/null
    [ -n "${tls_url:-}" ] && MONOCACHE_REDIS=$tls_url MONOCACHE_REDIS_CACERT=$tmp/redis/ca.crt \
        "$MC_BIN" gc > /dev/null
    out=$(MONOCACHE_REDIS=$redis_url "$MC_BIN" run -- sh -c \
        'redis-cli -p "$0" HGET CACHE_REGISTER "$MONOCACHE_PATH/"' "$port" 2>&1)
    if [ "$out" != 1 ]; then
        failed "Redis: a tree is not counted in CACHE_REGISTER ($out)"
        return
    fi
    if [ -n "$BASELINE_LIB" ]; then
        mkdir -p "$tmp/base"
        if cp "$BASELINE_LIB" "$tmp/base/libmonocache.so" &&
            cp "$(dirname "$BASELINE_LIB")/monocache" "$tmp/base/monocache"; then
            configs="$configs baseline"
        else
            failed "Redis: cannot copy the baseline build next to $BASELINE_LIB"
        fi
    fi
    interleave "$STARTUP_ROUNDS" "empty local redis" redis_fast_once
    bad=$((bad + interleave_failed))
    interleave "$REDIS_ROUNDS" "$configs" tree_once
    bad=$((bad + interleave_failed))
    unset MONOCACHE_REDIS_LEASE_S
    [ "$bad" -gt 0 ] && failed "Redis: $bad runs gave no time"
    echo "fast path, $SPAWNS spawns of /bin/true timed inside the loop (goal: redis <= $GOAL_STARTUP_RATIO x empty):"
    report_pair "in a Redis-counted cache vs empty preload" redis.fast.redis redis.fast.empty
    report_pair "in a cache without Redis vs empty preload" redis.fast.local redis.fast.empty
    report_pair "in a Redis-counted cache vs one without" redis.fast.redis redis.fast.local
    echo "a whole tree (one LD_PRELOAD=lib /bin/true: create, count, end, wipe; goal: <= +$GOAL_REDIS_TREE_MS ms):"
    report_pair "with Redis (TCP loopback) vs without" redis.tree.redis redis.tree.local
    if [ -s "$tmp/samples/redis.tree.tls" ]; then
        report_pair "with Redis over TLS (rediss://) vs without" redis.tree.tls redis.tree.local
        report_pair "over TLS vs plain Redis" redis.tree.tls redis.tree.redis
    fi
    if [ -s "$tmp/samples/redis.tree.baseline" ]; then
        echo "without Redis, this build vs BASELINE_LIB=$BASELINE_LIB (goal: within $GOAL_BASELINE_PERCENT%):"
        report_pair "this build vs the baseline" redis.tree.local redis.tree.baseline
    fi
    out=$(redis-cli -p "$port" HLEN CACHE_REGISTER)
    [ "$out" = 0 ] || failed "Redis: $out fields left in CACHE_REGISTER after the runs"
    if [ -n "${tls_url:-}" ]; then
        out=$(redis-cli --tls --cacert "$tmp/redis/ca.crt" -p "${tls_url##*:}" HLEN CACHE_REGISTER)
        [ "$out" = 0 ] || failed "Redis: $out fields left in CACHE_REGISTER over TLS after the runs"
    fi
}

section "8. Redis register (a private redis-server on 127.0.0.1)"
measure_redis
