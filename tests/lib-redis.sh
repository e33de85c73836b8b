# lib-redis.sh — private redis-servers for the Redis register tests
# (t9[0-3]-redis-*), sourced after lib.sh. A file starts the servers it
# needs (redis_main, start_redis, and the deployments: start_tls_redis,
# start_cluster, start_sentinel_set); each is stopped when the file ends,
# however it ends (atexit), and so are the trees it left waiting
# (start_user). Servers listen on loopback and on a unix socket under $T
# only. Never stops a server it did not start: by the pid in its own pid
# file. `rcli` talks to the file's register, wherever it is ($RCLI: its
# redis-cli options).

PY=$(command -v /usr/bin/python3 || command -v python3)
if ! command -v redis-server > /dev/null || ! command -v redis-cli > /dev/null ||
    ! "$PY" -c 'import redis' 2> /dev/null || ! command -v fuser > /dev/null; then
    fail "redis-server, redis-cli, python3-redis and fuser are installed (make deps)"
    finish
    exit
fi

free_port() {
    "$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start_redis DIR PORT [server options...]: a private server on loopback,
# answering on DIR/redis.sock too; stopped at the end of the file. Not
# daemonized: a server of this file (see server in lib.sh).
redis_dirs=" "
start_redis() {
    local dir=$1 port=$2
    shift 2
    mkdir -p "$dir"
    rm -f "$dir/redis.pid"
    server redis-server --port "$port" --bind 127.0.0.1 --unixsocket "$dir/redis.sock" \
        --unixsocketperm 700 --save '' --appendonly no --daemonize no \
        --pidfile "$dir/redis.pid" --dir "$dir" --enable-debug-command local "$@" \
        > "$dir/redis.log" 2>&1
    case $redis_dirs in
        *" $dir "*) ;;
        *) redis_dirs="$redis_dirs$dir "
           atexit "stop_redis '$dir' KILL" ;;
    esac
    eventually 10 sh -c "redis-cli -s '$dir/redis.sock' ${REDIS_AUTH:+--no-auth-warning -a $REDIS_AUTH} ping | grep -q PONG"
}

# stop_redis DIR [SIGNAL]: the server started in DIR, and waits until it
# has gone. Nothing if it is not running.
stop_redis() {
    local pid
    pid=$(cat "$1/redis.pid" 2> /dev/null)
    [ -n "$pid" ] || return 0
    kill "-${2:-TERM}" "$pid" 2> /dev/null
    eventually 10 ended "$pid"
    rm -f "$1/redis.pid"
}

# The leases the tests use. Short leases, and pauses just past one. Under
# valgrind every process starts slowly: leases long enough that renewals
# keep up.
if [ "${MC_VALGRIND:-0}" = 1 ]; then
    LEASE=4
else
    LEASE=1
fi
export MONOCACHE_REDIS_LEASE_S=$LEASE
export MONOCACHE_REDIS_TIMEOUT_MS=500

# redis_main: the file's own server ($RD, on $PORT), the one MONOCACHE_REDIS
# names. Its register is new: younger than a lease (see age_register).
redis_main() {
    RD=$T/redis
    PORT=$(free_port)
    start_redis "$RD" "$PORT"
    export MONOCACHE_REDIS=redis://127.0.0.1:$PORT
}

# How redis-cli reaches the file's register (a deployment sets its own).
RCLI=()
rcli() {
    if [ ${#RCLI[@]} = 0 ]; then
        redis-cli -s "$RD/redis.sock" "$@"
    else
        redis-cli "${RCLI[@]}" "$@"
    fi
}

# Our keys beside CACHE_REGISTER, in its hash slot (register.c).
KEYS_OF_OURS='monocache:{CACHE_REGISTER}:'
ALIVE_KEY=${KEYS_OF_OURS}alive-since
lease_key() {
    echo "${KEYS_OF_OURS}leases:$1/"
}

field_count() {
    rcli HGET CACHE_REGISTER "$1/"
}

# age_register [redis-cli options]: the register's clock set back a lease,
# as if it had counted for longer: a file that does not test a young
# register starts where a long-running server would be. (The key is the one
# register.c keeps; the scripts start the clock when it is missing.)
age_register() {
    if [ $# = 0 ]; then
        rcli EVAL "$age_script" 1 "$ALIVE_KEY" "$((LEASE * 1000))" > /dev/null
    else
        redis-cli "$@" EVAL "$age_script" 1 "$ALIVE_KEY" "$((LEASE * 1000))" > /dev/null
    fi
}
age_script="
    local t = redis.call('TIME')
    local now = t[1] * 1000 + math.floor(t[2] / 1000)
    redis.call('SET', KEYS[1], now - tonumber(ARGV[1]) - 1000)
    return 1"

# What the register dates, checked on the server's clock (register.c keeps
# it): the register's own clock, the wipe markers, the leases. "past" once
# each is older than a lease (a marker lasts a lease; a lease ends at its
# score). KEYS: CACHE_REGISTER and the clock's key, so that a cluster runs
# it on the node of their slot, where all our keys are.
lease_script="
    local t = redis.call('TIME')
    local now = t[1] * 1000 + math.floor(t[2] / 1000)
    local since = tonumber(redis.call('GET', KEYS[2]) or '')
    if since and now - since < tonumber(ARGV[1]) then return 'young register' end
    if #redis.call('KEYS', ARGV[2] .. 'wiping:*') > 0 then return 'wipe marker' end
    for _, key in ipairs(redis.call('KEYS', ARGV[2] .. 'leases:*')) do
        if #redis.call('ZRANGEBYSCORE', key, '(' .. now, '+inf') > 0 then return 'live lease' end
    end
    return 'past'"

# The newest cache under $ROOT was made, or last used (its directory's
# mtime: the heartbeat of its watchers), a lease ago or more (gc leaves one
# younger than that and counted nowhere: its host may be about to count
# itself, or be cut off from Redis). Whole seconds, as gc counts them, by
# time(), whose clock (CLOCK_REALTIME_COARSE) may lag a few milliseconds:
# now is taken 50 ms back.
caches_made_a_lease_ago() {
    local newest now_us touched
    newest=$(sed -n 's/.*"created":"\([^"]*\)".*/\1/p' "$ROOT"/cache/*/meta.json 2> /dev/null |
        sort | tail -1)
    [ -n "$newest" ] && newest=$(date -d "$newest" +%s)
    touched=$(stat -c %Y "$ROOT"/cache/*/ 2> /dev/null | sort -n | tail -1)
    [ -n "$touched" ] && { [ -z "$newest" ] || [ "$touched" -gt "$newest" ]; } && newest=$touched
    now_us=${EPOCHREALTIME/./}
    [ -z "$newest" ] || [ $(( (now_us - 50000) / 1000000 - newest )) -ge "$LEASE" ]
}

lease_state() {
    if [ $# = 0 ]; then
        rcli EVAL "$lease_script" 2 CACHE_REGISTER "$ALIVE_KEY" "$((LEASE * 1000))" \
            "$KEYS_OF_OURS" 2>&1
    else
        redis-cli "$@" EVAL "$lease_script" 2 CACHE_REGISTER "$ALIVE_KEY" "$((LEASE * 1000))" \
            "$KEYS_OF_OURS" 2>&1
    fi
}

lease_passed() {
    [ "$(lease_state "$@")" = past ] && caches_made_a_lease_ago
}

# past_lease [redis-cli options]: waits until all that gc and the release
# judge by a lease has had one (on the main server, or the one the options
# name): the register's age, wipe markers, the leases of hosts gone, the
# caches' age. Call it when no tree is running (a live host renews).
past_lease() {
    eventually $((LEASE * 10 + 10)) lease_passed "$@" ||
        echo "# past_lease: still $(lease_state "$@")"
}

# A host: its own name and run directory, one cache root for all.
host() {
    local host_id=$1
    shift
    env MONOCACHE_HOST_ID="$host_id" MONOCACHE_RUN_DIR="${RUN_DIR_OF_HOST:-$T/run-$host_id}" "$@"
}

# start_user NAME HOST [run options...]: a tree that records its cache path
# in $T/path.NAME (and its program's pid beside it), then waits until
# end_user NAME; its exit status then is the number written to the fifo.
# Trees still waiting when the file ends are sent SIGTERM, which run passes
# on to the program.
users_cleanup=0
start_user() {
    local name=$1 hostname=$2
    shift 2
    rm -f "$T/path.$name" "$T/path.$name.pid" "$T/go.$name" "$T/status.$name"
    mkfifo "$T/go.$name"
    if [ "$users_cleanup" = 0 ]; then
        users_cleanup=1
        atexit end_waiting_users
    fi
    (
        host "$hostname" "$MC_BIN" run "$@" -- sh -c \
            'echo $$ > "$0.pid"; echo "$MONOCACHE_PATH" > "$0.tmp" && mv "$0.tmp" "$0"
             read code < "$1"; exit "$code"' \
            "$T/path.$name" "$T/go.$name" 2> "$T/err.$name"
        echo $? > "$T/status.$name"
    ) &
    eventually 20 test -s "$T/path.$name"
}

end_user() {
    echo "${2:-0}" > "$T/go.$1"
    eventually 20 test -s "$T/status.$1"
}

path_of() {
    cat "$T/path.$1"
}

# The programs of trees no end_user ended: SIGTERM to each (its pid, as it
# wrote it), then a wait for their runs to return.
end_waiting_users() {
    local pidfile name waiting=""
    for pidfile in "$T"/path.*.pid; do
        [ -s "$pidfile" ] || continue
        name=${pidfile#"$T"/path.}
        name=${name%.pid}
        [ -s "$T/status.$name" ] && continue
        kill -TERM "$(cat "$pidfile")" 2> /dev/null
        waiting="$waiting $name"
    done
    for name in $waiting; do
        eventually 10 test -s "$T/status.$name"
    done
}
