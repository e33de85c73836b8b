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
# itself, or be cut off from Redis). In milliseconds, as gc counts them;
# the file system's clock may lag a few: now is taken 50 ms back.
caches_made_a_lease_ago() {
    local newest_ms=0 created touched now_ms
    created=$(sed -n 's/.*"created":"\([^"]*\)".*/\1/p' "$ROOT"/cache/*/meta.json 2> /dev/null |
        sort | tail -1)
    [ -n "$created" ] && newest_ms=$(( $(date -d "$created" +%s) * 1000 ))
    touched=$(stat -c %.3Y "$ROOT"/cache/*/ 2> /dev/null | tr -d . | sort -n | tail -1)
    [ -n "$touched" ] && [ "$touched" -gt "$newest_ms" ] && newest_ms=$touched
    now_ms=${EPOCHREALTIME/./}
    now_ms=${now_ms:0:${#now_ms}-3}
    [ "$newest_ms" = 0 ] || [ $((now_ms - 50 - newest_ms)) -ge $((LEASE * 1000)) ]
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
    # (A tree that never started has no reader on its fifo: no wait for ever.)
    timeout 20 sh -c 'echo "$0" > "$1"' "${2:-0}" "$T/go.$1"
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

# --- The Python package on the same caches, on any deployment -------------
# python_cases LABEL: the package (tests/redis/pkg.py, reaching the register
# as PKG_REDIS says) and monocache on one cache, either making it, attaching
# to it, or ending last; ls shows both counts. The file has set up its
# register (MONOCACHE_REDIS or the sentinels, rcli), aged it, and marked
# its run directory (gc needs it).
pkg() {
    "$PY" "$top/tests/redis/pkg.py" "$@"
}

python_cases() {
    local label=$1 path down out
    mkdir -p "$ROOT/cache"
    path=$ROOT/cache/$("$PY" -c 'import uuid; print(uuid.uuid4())')
    pkg create "$path"
    start_user py a --existing "$path"
    is "$label: a cache the package made, attached with --existing: counted 2" \
        "$(field_count "$path")" 2
    is "... its meta.json is still a dict for the package, now with our id" \
        "$(pkg meta "$path")" True
    end_user py
    ok "... our end keeps it for the package" test -f "$path/timestamp.txt"
    is "... counted 1" "$(field_count "$path")" 1
    is "... the package's last user wipes it" "$(pkg leave "$path")" wiped
    is "... field gone" "$(rcli HEXISTS CACHE_REGISTER "$path/")" 0

    start_user py2 a
    path=$(path_of py2)
    pkg join "$path"
    is "$label: the package joins a monocache tree's cache: counted 2" "$(field_count "$path")" 2
    end_user py2
    ok "... the tree's end keeps it" test -d "$path"
    is "... the package leaves last, and wipes" "$(pkg leave "$path")" wiped

    start_user py3 a
    path=$(path_of py3)
    pkg join "$path"
    end_user py3
    like "$label: a stale count left by the package: gc keeps the cache" "$(mc gc)" \
        "kept ${path##*/}"
    rcli HDEL CACHE_REGISTER "$path/" > /dev/null
    past_lease
    like "... until the field is deleted by hand (README), then gc wipes it" "$(mc gc)" \
        "wiped ${path##*/}"

    start_user shown a
    path=$(path_of shown)
    pkg join "$path"
    "$PY" -c '
import json, sys
row = [r for r in json.loads(sys.argv[1]) if r["path"] == sys.argv[2]][0]
assert row["holders"] == 2 and row["redis_users"] == 2, row' "$(host a "$MC_BIN" ls --json)" "$path" &&
        pass "$label: ls --json: holders 2 (run and its program, on this host), redis_users 2" ||
        fail "$label: ls --json: holders and redis_users"
    down=redis://127.0.0.1:$(free_port)
    out=$(host a env -u MONOCACHE_REDIS_SENTINEL -u MONOCACHE_REDIS_MASTER \
        -u MONOCACHE_REDIS_CACERT MONOCACHE_REDIS="$down" "$MC_BIN" ls 2> "$T/err")
    like "... ls with Redis down: still lists, users unknown" "$(grep "${path##*/}" <<< "$out")" \
        ' 2 +\? +/'
    like "... and says why" "$(cat "$T/err")" "MONOCACHE_REDIS=$down: cannot connect"
    pkg leave "$path" > /dev/null
    end_user shown
}

# refused_at_start NAME VARIABLE WANT VAR=VALUE...: with these settings a
# preloaded program stops before main: status 125, one line naming
# VARIABLE ("monocache: VARIABLE=...: ") and matching WANT (an extended
# regex); the program never ran.
refused_at_start() {
    local name=$1 variable=$2 want=$3 out status
    shift 3
    rm -f "$T/ran"
    out=$(env "$@" LD_PRELOAD="$PRELOAD" touch "$T/ran" 2>&1)
    status=$?
    is "$name: exit 125" "$status" 125
    like "... one line naming $variable, saying why" "$out" "^monocache: $variable=[^ ]*: .*$want"
    is "... only one line" "$(printf '%s\n' "$out" | wc -l)" 1
    refute "... the program did not run" test -e "$T/ran"
}

# --- Deployments -------------------------------------------------------------
# make_certs DIR: a CA (ca.crt), a server certificate it signed for
# localhost and 127.0.0.1 (server.crt, .key), one for another name only
# (elsewhere.crt, .key), a client certificate (client.crt, .key), and a CA
# that signed none of them (other-ca.crt). With openssl req, as a test
# makes its own.
make_certs() {
    local dir=$1 name
    mkdir -p "$dir"
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=mc-test-ca \
        -keyout "$dir/ca.key" -out "$dir/ca.crt" 2> /dev/null
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=mc-other-ca \
        -keyout "$dir/other-ca.key" -out "$dir/other-ca.crt" 2> /dev/null
    for name in server:DNS:localhost,IP:127.0.0.1 elsewhere:DNS:elsewhere.example \
        client:DNS:mc-client; do
        openssl req -newkey rsa:2048 -nodes -subj "/CN=${name%%:*}" \
            -keyout "$dir/${name%%:*}.key" -out "$dir/${name%%:*}.csr" 2> /dev/null
        printf 'subjectAltName=%s\n' "${name#*:}" > "$dir/${name%%:*}.ext"
        openssl x509 -req -in "$dir/${name%%:*}.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" \
            -CAcreateserial -days 2 -extfile "$dir/${name%%:*}.ext" \
            -out "$dir/${name%%:*}.crt" 2> /dev/null
    done
    [ -s "$dir/server.crt" ] && [ -s "$dir/client.crt" ] && [ -s "$dir/elsewhere.crt" ]
}

# start_tls_redis DIR PORT CERTS NAME [server options...]: a server that
# speaks TLS only on PORT (its unix socket stays plain, for rcli), with
# CERTS/NAME.crt.
start_tls_redis() {
    local dir=$1 port=$2 certs=$3 name=$4
    shift 4
    start_redis "$dir" "$port" --port 0 --tls-port "$port" \
        --tls-cert-file "$certs/$name.crt" --tls-key-file "$certs/$name.key" \
        --tls-ca-cert-file "$certs/ca.crt" "$@"
}

# start_cluster DIR: three masters (redis-server --cluster-enabled yes) made
# one cluster (redis-cli --cluster create), ports in CLUSTER_PORTS; waits
# until every node says cluster_state:ok. Each node's bus port is a free
# port of its own (the default, port + 10000, may be past 65535).
cluster_ok() {
    local port
    for port in "${CLUSTER_PORTS[@]}"; do
        redis-cli -p "$port" CLUSTER INFO | grep -q '^cluster_state:ok' || return 1
    done
}

start_cluster() {
    local dir=$1 port nodes=()
    CLUSTER_PORTS=()
    for port in 1 2 3; do
        CLUSTER_PORTS+=("$(free_port)")
    done
    for port in "${CLUSTER_PORTS[@]}"; do
        start_redis "$dir/$port" "$port" --cluster-enabled yes --cluster-port "$(free_port)" \
            --cluster-config-file "$dir/$port/nodes.conf" --cluster-node-timeout 5000
        nodes+=("127.0.0.1:$port")
    done
    redis-cli --cluster create "${nodes[@]}" --cluster-yes > "$dir/create.log" 2>&1
    eventually 30 cluster_ok
}

# cluster_owner KEY: the port of the node that serves KEY's slot.
cluster_owner() {
    local slot
    slot=$(redis-cli -p "${CLUSTER_PORTS[0]}" CLUSTER KEYSLOT "$1")
    redis-cli -p "${CLUSTER_PORTS[0]}" CLUSTER NODES | awk -v slot="$slot" '
        { for (i = 9; i <= NF; i++) { split($i, r, "-"); if (r[2] == "") r[2] = r[1]
              if (slot >= r[1] + 0 && slot <= r[2] + 0) { split($2, a, "[:@]"); print a[2] } } }'
}

# start_sentinel DIR PORT MASTER_NAME MASTER_PORT: a sentinel watching the
# master on 127.0.0.1:MASTER_PORT, quick to decide (a second), stopped at
# the end of the file like the servers.
start_sentinel() {
    local dir=$1 port=$2 name=$3 master=$4
    mkdir -p "$dir"
    rm -f "$dir/redis.pid"
    cat > "$dir/sentinel.conf" <<CONF
port $port
bind 127.0.0.1
daemonize no
pidfile $dir/redis.pid
dir $dir
sentinel monitor $name 127.0.0.1 $master 1
sentinel down-after-milliseconds $name 1000
sentinel failover-timeout $name 10000
CONF
    server redis-sentinel "$dir/sentinel.conf" > "$dir/redis.log" 2>&1
    atexit "stop_redis '$dir' KILL"
    eventually 10 sh -c "redis-cli -p '$port' ping | grep -q PONG"
}

# start_redis_proxy DIR UPSTREAM_PORT: tests/redis/redisproxy.py in front of
# the server on UPSTREAM_PORT; its port in DIR/port (and $PROXY_PORT), its
# order in DIR/control (proxy_order), trickled replies sent whole in
# DIR/done.
start_redis_proxy() {
    local dir=$1
    mkdir -p "$dir"
    rm -f "$dir/port" "$dir/control" "$dir/done"
    server "$PY" "$top/tests/redis/redisproxy.py" "$2" "$dir/port" "$dir/control" "$dir/done"
    atexit "kill $!"
    eventually 10 test -s "$dir/port"
    PROXY_PORT=$(cat "$dir/port")
}

# proxy_order DIR [ORDER...]: trickle MS, cut, or nothing (pass through).
proxy_order() {
    local dir=$1
    shift
    echo "$*" > "$dir/control.tmp" && mv "$dir/control.tmp" "$dir/control"
}
