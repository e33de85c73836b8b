#!/bin/bash
# t90-redis.sh — the Redis register against real redis-servers started here:
# the Python package's CACHE_REGISTER counts (checked with redis-cli and with
# a Python client counting the way the package does), one registration per
# cache per host, several "hosts" on one machine (their own
# MONOCACHE_HOST_ID and MONOCACHE_RUN_DIR), leases, and the faults: a server
# stopped, paused, restarted or killed, bad passwords and garbage counts.
. "$(dirname "$0")/lib.sh"

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

# start_redis DIR PORT [server options...]: a private server on loopback.
start_redis() {
    local dir=$1 port=$2
    shift 2
    mkdir -p "$dir"
    redis-server --port "$port" --bind 127.0.0.1 --unixsocket "$dir/redis.sock" \
        --unixsocketperm 700 --save '' --appendonly no --daemonize yes \
        --pidfile "$dir/redis.pid" --dir "$dir" --enable-debug-command local "$@" > /dev/null
    eventually 10 sh -c "redis-cli -s '$dir/redis.sock' ${REDIS_AUTH:+--no-auth-warning -a $REDIS_AUTH} ping | grep -q PONG"
}

stop_redis() {
    local pid
    pid=$(cat "$1/redis.pid" 2> /dev/null)
    [ -n "$pid" ] && kill "-${2:-TERM}" "$pid" 2> /dev/null
    eventually 10 sh -c "! kill -0 $pid 2> /dev/null"
    rm -f "$1/redis.pid"
}

RD=$T/redis
PORT=$(free_port)
start_redis "$RD" "$PORT"
rcli() {
    redis-cli -s "$RD/redis.sock" "$@"
}
field_count() {
    rcli HGET CACHE_REGISTER "$1/"
}

export MONOCACHE_REDIS=redis://127.0.0.1:$PORT
# Short leases, and pauses just past one. Under valgrind every process
# starts slowly: leases long enough that renewals keep up.
if [ "${MC_VALGRIND:-0}" = 1 ]; then
    LEASE=4
else
    LEASE=1
fi
PAST_LEASE=$LEASE.2
export MONOCACHE_REDIS_LEASE_S=$LEASE
export MONOCACHE_REDIS_TIMEOUT_MS=500

# A host: its own name and run directory, one cache root for all.
host() {
    local host_id=$1
    shift
    env MONOCACHE_HOST_ID="$host_id" MONOCACHE_RUN_DIR="${RUN_DIR_OF_HOST:-$T/run-$host_id}" "$@"
}

# start_user NAME HOST [run options...]: a tree that records its cache path
# in $T/path.NAME, then waits until end_user NAME; its exit status then is
# the number written to the fifo.
start_user() {
    local name=$1 hostname=$2
    shift 2
    rm -f "$T/path.$name" "$T/go.$name" "$T/status.$name"
    mkfifo "$T/go.$name"
    (
        host "$hostname" "$MC_BIN" run "$@" -- sh -c \
            'echo "$MONOCACHE_PATH" > "$0.tmp" && mv "$0.tmp" "$0"; read code < "$1"; exit "$code"' \
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

# --- 1. A young register wipes nothing; after a lease, the last user wipes.
out=$(mc run -- sh -c 'echo "$MONOCACHE_PATH"' 2> "$T/err")
like "first use of a fresh Redis: the cache is kept (register younger than a lease)" \
    "$(cat "$T/err")" 'kept: the Redis register is younger than a lease'
ok "... its directory is still there" test -d "$out"
is "... and its host is off the register" "$(rcli HEXISTS CACHE_REGISTER "$out/")" 0
sleep "$PAST_LEASE"
like "gc after a lease wipes it" "$(mc gc)" "^wiped ${out##*/}$"

# --- 2. Counted while used, once per host; wiped and deregistered at the end.
out=$(mc run -- sh -c 'redis-cli -s "$0" HGET CACHE_REGISTER "$MONOCACHE_PATH/"; echo "$MONOCACHE_PATH"' \
    "$RD/redis.sock")
path=${out#*$'\n'}
is "TCP URL: the tree is counted once in CACHE_REGISTER (<path>/ = 1)" "${out%%$'\n'*}" 1
ok "... wiped at the end" gone "$path"
is "... the field is deleted at zero" "$(rcli HEXISTS CACHE_REGISTER "$path/")" 0
is "... and nothing else of ours is left" "$(rcli --scan --pattern 'monocache:*' | grep -vc alive-since)" 0

DB3="unix://$RD/redis.sock?db=3"
out=$(env MONOCACHE_REDIS="$DB3" "$MC_BIN" run -- \
    sh -c 'redis-cli -s "$0" -n 3 HGET CACHE_REGISTER "$MONOCACHE_PATH/"; redis-cli -s "$0" HLEN CACHE_REGISTER; echo "$MONOCACHE_PATH"' \
    "$RD/redis.sock" 2> /dev/null | tr '\n' ' ')
is "unix socket, ?db=3: counted in database 3, not 0" "${out% /* }" "1 0"
path=${out##* /}
path=/${path% }
ok "... database 3 has its own register clock: young, the cache kept" test -d "$path"
sleep "$PAST_LEASE"
like "... gc with that database after a lease wipes it" "$(MONOCACHE_REDIS=$DB3 mc gc)" "wiped ${path##*/}"

out=$(env -u MONOCACHE_REDIS MONOCACHE_REDIS_HOST=127.0.0.1 MONOCACHE_REDIS_PORT="$PORT" \
    "$MC_BIN" run -- sh -c 'redis-cli -s "$0" HGET CACHE_REGISTER "$MONOCACHE_PATH/"' "$RD/redis.sock")
is "MONOCACHE_REDIS_HOST/_PORT: counted" "$out" 1

out=$(env -u MONOCACHE_REDIS "$MC_BIN" run -- sh -c 'redis-cli -s "$0" HLEN CACHE_REGISTER' \
    "$RD/redis.sock")
is "no Redis configured: nothing registered" "$out" 0

# --- 3. One registration per cache per host: 100 processes send what 1 does.
# Commands run on the server (those our scripts call included), and EVALs.
commands_sent() {
    rcli INFO commandstats | tr -d '\r' |
        awk -F'[=:,]' '/^cmdstat_/ && $1 !~ /cmdstat_(info|config)/ { n += $3 }
                       /^cmdstat_eval:/ { e = $3 } END { print n + 0, e + 0 }'
}
# (A long lease: no renewal falls inside either tree, however slow. Each
# measured twice, the smaller kept: a background sweep of the root, at most
# one a second, may add its own commands to one of them.)
fewest() {
    awk '{ if (NR == 1 || $1 < best) { best = $1; line = $0 } } END { print line }'
}
one=$(for round in 1 2; do
    rcli CONFIG RESETSTAT > /dev/null
    MONOCACHE_REDIS_LEASE_S=600 mc run -- /bin/true 2> /dev/null
    commands_sent
done | fewest)
hundred=$(for round in 1 2; do
    rcli CONFIG RESETSTAT > /dev/null
    MONOCACHE_REDIS_LEASE_S=600 mc run -- \
        sh -c 'i=0; while [ $i -lt 100 ]; do /bin/true; sh -c "/bin/true &"; i=$((i + 1)); done; wait' \
        2> /dev/null
    commands_sent
done | fewest)
is "a tree of 200 processes costs Redis what a tree of 1 does (commands, EVALs: $one)" \
    "$hundred" "$one"
is "... two EVALs: join and leave" "${one#* }" 2
sleep "$PAST_LEASE"
mc gc > /dev/null   # (kept: younger than a lease of 600 s)

# --- 4. Passwords: requirepass, REDISCLI_AUTH, URL; never shown.
SECRET=pw-$$-s3cret
RD2=$T/redis2
PORT2=$(free_port)
REDIS_AUTH=$SECRET start_redis "$RD2" "$PORT2" --requirepass "$SECRET"
auth_count='REDISCLI_AUTH=$1 redis-cli -s "$0" HGET CACHE_REGISTER "$MONOCACHE_PATH/"'
out=$(env MONOCACHE_REDIS=redis://127.0.0.1:$PORT2 MONOCACHE_REDIS_PASSWORD="$SECRET" \
    "$MC_BIN" run -- sh -c "$auth_count" "$RD2/redis.sock" "$SECRET")
is "requirepass, MONOCACHE_REDIS_PASSWORD: counted" "$out" 1
out=$(env MONOCACHE_REDIS=redis://127.0.0.1:$PORT2 REDISCLI_AUTH="$SECRET" \
    "$MC_BIN" run -- sh -c "$auth_count" "$RD2/redis.sock" "$SECRET")
is "... REDISCLI_AUTH: counted" "$out" 1
out=$(MONOCACHE_LOG=debug "$MC_BIN" run --redis "redis://:$SECRET@127.0.0.1:$PORT2" -- \
    sh -c 'tr "\0" " " < /proc/$PPID/cmdline
           for f in /proc/[0-9]*/cmdline; do tr "\0" " " < "$f"; echo; done > "$0"' \
    "$T/cmdlines" 2> "$T/log")
if [ "${MC_VALGRIND:-0}" = 1 ]; then
    # valgrind shows the command line it was given, not the one run rewrites.
    echo "ok $((tap_count += 1)) # SKIP ps and run --redis: under valgrind, ps shows valgrind's copy"
    echo "ok $((tap_count += 1)) # SKIP ps and run --redis: under valgrind, ps shows valgrind's copy"
else
    like "run --redis with a password in the URL: ps shows it starred" "$out" "redis://:?\*+@127"
    refute "... no process's command line has it" grep -q -- "$SECRET" "$T/cmdlines"
fi
refute "... no log line has it" grep -q -- "$SECRET" "$T/log"
like "... and the logs were written" "$(cat "$T/log")" "counted in CACHE_REGISTER"
out=$(env MONOCACHE_REDIS="redis://:wrong-$SECRET@127.0.0.1:$PORT2" "$MC_BIN" run -- \
    touch "$T/ran" 2>&1)
status=$?
is "wrong password: exit 125" "$status" 125
like "... one line naming MONOCACHE_REDIS, the password starred" "$out" \
    '^monocache: MONOCACHE_REDIS=redis://:\*\*\*@127.0.0.1:[0-9]+: authentication failed'
is "... only one line" "$(printf '%s\n' "$out" | wc -l)" 1
refute "... the program did not run" test -e "$T/ran"
refute "... the message does not have the password" grep -q -- "$SECRET" <<< "$out"
sleep "$PAST_LEASE"   # the trees above found this fresh server's register young: kept
MONOCACHE_REDIS=redis://127.0.0.1:$PORT2 MONOCACHE_REDIS_PASSWORD=$SECRET mc gc > /dev/null
eventually 10 no_caches
ok "... and nothing is left once gc has run on that register" no_caches
stop_redis "$RD2"

refused_before_main "" \
    "MONOCACHE_REDIS=http://127.0.0.1" "MONOCACHE_REDIS=redis://127.0.0.1:70000" \
    "MONOCACHE_REDIS=redis://127.0.0.1/abc" "MONOCACHE_REDIS=unix:///x.sock?db=z" \
    "MONOCACHE_REDIS=redis://127.0.0.1:$PORT/99" "MONOCACHE_REDIS_TIMEOUT_MS=soon" \
    "MONOCACHE_REDIS_LEASE_S=0" "MONOCACHE_REDIS_PORT=-1"

# --- 5. Two hosts on one cache, either ending first.
for first in a b; do
    start_user a a
    path=$(path_of a)
    start_user b b --existing "$path"
    is "two hosts ($first ends first): counted 2" "$(field_count "$path")" 2
    like "... ls on host b: 2 users" "$(host b "$MC_BIN" ls | grep "${path##*/}")" ' 2 +/'
    echo data > "$path/kept"
    if [ $first = a ]; then second=b; else second=a; fi
    end_user $first 3
    is "... the first host's program exit status (3) is kept" "$(cat "$T/status.$first")" 3
    ok "... the cache stays for the other host" test -f "$path/kept"
    is "... counted 1" "$(field_count "$path")" 1
    end_user $second
    ok "... the last host wipes it" gone "$path"
    is "... and the field is gone" "$(rcli HEXISTS CACHE_REGISTER "$path/")" 0
done

# --- 6. A host killed whole: its lease runs out, gc on another host wipes.
start_user dead a --redis "$MONOCACHE_REDIS"
path=$(path_of dead)
fuser -k -9 "$T/run-a"/*.lock > /dev/null 2>&1
eventually 10 sh -c "! fuser '$T'/run-a/*.lock > /dev/null 2>&1"
is "host a killed whole (watcher too): still counted" "$(field_count "$path")" 1
like "gc on host b within the lease keeps it" "$(host b "$MC_BIN" gc)" "kept ${path##*/} \(used on other hosts\)"
sleep "$PAST_LEASE"
out=$(host b "$MC_BIN" gc)
like "gc on host b after the lease: host a's share expired" "$out" "expired ${path##*/}: 1 host"
like "... and the cache wiped" "$out" "wiped ${path##*/}"
ok "... gone" gone "$path"
is "... field gone" "$(rcli HEXISTS CACHE_REGISTER "$path/")" 0
is "... lease gone" "$(rcli EXISTS "monocache:leases:$path/")" 0

# A live host renews its lease: gc elsewhere never takes it.
start_user live a
path=$(path_of live)
sleep "$((LEASE * 5 / 2)).5"
like "a host alive for 2.5 leases is still counted (renewed)" \
    "$(host b "$MC_BIN" gc; field_count "$path")" "kept ${path##*/} \(used on other hosts\)"
end_user live
ok "... and wiped by its own end" gone "$path"

# --- 7. The Python package on the same cache: it counts with HGET/HSET/HDEL.
cat > "$T/pkg.py" <<'PY'
import json, os, shutil, sys, uuid
import redis
sock, action, path = sys.argv[1], sys.argv[2], sys.argv[3]
r = redis.Redis(unix_socket_path=sock)
key = path.rstrip("/") + "/"
if action == "create":
    os.makedirs(path)
    with open(os.path.join(path, "meta.json"), "w") as f:
        json.dump({}, f)
    with open(os.path.join(path, "timestamp.txt"), "w") as f:
        f.write("2026-11-28 00:00:00\n")
if action in ("create", "join"):
    count = r.hget("CACHE_REGISTER", key)
    r.hset("CACHE_REGISTER", key, int(count or 0) + 1)
elif action == "leave":
    count = int(r.hget("CACHE_REGISTER", key) or 0) - 1
    if count <= 0:
        r.hdel("CACHE_REGISTER", key)
        with open(os.path.join(path, "meta.json")) as f:
            meta = json.load(f)
        if not meta.get("locked", False):
            shutil.rmtree(path)
            print("wiped")
    else:
        r.hset("CACHE_REGISTER", key, count)
elif action == "meta":
    with open(os.path.join(path, "meta.json")) as f:
        meta = json.load(f)
    assert isinstance(meta, dict)
    print(meta.get("id") == os.path.basename(path))
PY
pkg() {
    "$PY" "$T/pkg.py" "$RD/redis.sock" "$@"
}
mkdir -p "$ROOT/cache"
path=$ROOT/cache/$("$PY" -c 'import uuid; print(uuid.uuid4())')
pkg create "$path"
start_user py a --existing "$path"
is "a cache the package made, attached with --existing: counted 2" "$(field_count "$path")" 2
is "... its meta.json is still a dict for the package, now with our id" "$(pkg meta "$path")" True
end_user py
ok "... our end keeps it for the package" test -f "$path/timestamp.txt"
is "... counted 1" "$(field_count "$path")" 1
is "... the package's last user wipes it" "$(pkg leave "$path")" wiped
is "... field gone" "$(rcli HEXISTS CACHE_REGISTER "$path/")" 0

start_user py2 a
path=$(path_of py2)
pkg join "$path"
is "the package joins a monocache tree's cache: counted 2" "$(field_count "$path")" 2
end_user py2
ok "... the tree's end keeps it" test -d "$path"
is "... the package leaves last, and wipes" "$(pkg leave "$path")" wiped

start_user py3 a
path=$(path_of py3)
pkg join "$path"
end_user py3
like "a stale count left by the package: gc keeps the cache" "$(mc gc)" "kept ${path##*/}"
rcli HDEL CACHE_REGISTER "$path/" > /dev/null
sleep "$PAST_LEASE"
like "... until the field is deleted by hand (README), then gc wipes it" "$(mc gc)" "wiped ${path##*/}"

# --- 8. Locked: kept, and the host leaves the register.
start_user locked a --lock
path=$(path_of locked)
end_user locked
ok "a locked cache is kept at the end" test -d "$path"
is "... its host is off the register" "$(rcli HEXISTS CACHE_REGISTER "$path/")" 0
like "... ls shows 0 users" "$(mc ls | grep "${path##*/}")" ' 0 +0 +/'
mc unlock "$path"
sleep "$PAST_LEASE"
like "... unlocked, gc wipes it" "$(mc gc)" "wiped ${path##*/}"

# --- 9. Redis misbehaves: nothing lost, exit statuses kept.
DOWN=redis://127.0.0.1:$(free_port)
rm -f "$T/ran"
out=$(env MONOCACHE_REDIS="$DOWN" LD_PRELOAD="$PRELOAD" touch "$T/ran" 2>&1)
is "unreachable at the start: exit 125" "$?" 125
like "... one line naming MONOCACHE_REDIS" "$out" "^monocache: MONOCACHE_REDIS=$DOWN: cannot connect"
refute "... the program did not run" test -e "$T/ran"
out=$(env MONOCACHE_REDIS="$DOWN" MONOCACHE_ON_ERROR=continue "$MC_BIN" run -- \
    sh -c 'echo "$MONOCACHE_PATH"; exit 4' 2> "$T/err")
is "ON_ERROR=continue: the program runs, its status kept" "$?" 4
like "... with a warning" "$(cat "$T/err")" "MONOCACHE_REDIS=$DOWN: cannot connect.*will be kept"
ok "... the cache is kept (its users could not be counted)" test -d "$out"
like "... gc, once Redis answers, leaves it while it is younger than a lease" "$(mc gc)" \
    "later ${out##*/} \(made less than a lease ago and counted nowhere yet"
sleep "$PAST_LEASE"
like "... and wipes it after" "$(mc gc)" "wiped ${out##*/}"

start_user stopped a
path=$(path_of stopped)
stop_redis "$RD"
end_user stopped 6
is "stopped during the run: exit status kept" "$(cat "$T/status.stopped")" 6
ok "... the cache kept" test -d "$path"
like "... one line says why" "$(cat "$T/err.stopped")" "kept: Redis did not answer.*gc wipes it once Redis answers"
out=$(mc gc 2>&1)
is "gc while Redis is down: fails" "$?" 1
like "... saying so" "$out" "MONOCACHE_REDIS=.*cannot connect"
ok "... and wipes nothing" test -d "$path"
start_redis "$RD" "$PORT"
like "restarted without its data: gc within a lease keeps it for later" "$(mc gc 2>&1)" \
    "^later ${path##*/} \((kept: the Redis register is younger than a lease|made less than a lease ago)"
sleep "$PAST_LEASE"
like "... after a lease, gc wipes it" "$(mc gc)" "wiped ${path##*/}"

start_user restarted a
path=$(path_of restarted)
stop_redis "$RD"
start_redis "$RD" "$PORT"
end_user restarted
ok "restarted during the run (register lost): the cache kept at the end" test -d "$path"
# (Its renewal may have come first and counted it again in the new register:
# then it is kept because that register is younger than a lease.)
like "... saying this host was not in the register any more (or the register is new)" \
    "$(cat "$T/err.restarted")" "no longer in the Redis register|younger than a lease"
sleep "$PAST_LEASE"
like "... gc after a lease wipes it" "$(mc gc)" "wiped ${path##*/}"

for stuck in "CLIENT PAUSE 6000" "DEBUG SLEEP 6"; do
    start_user stuck a
    path=$(path_of stuck)
    (rcli $stuck > /dev/null &)
    sleep 0.2
    before=$(date +%s)
    end_user stuck 7
    after=$(date +%s)
    is "$stuck at the end: exit status kept" "$(cat "$T/status.stuck")" 7
    ok "... the exit did not wait for the server (timeout 500 ms)" test $((after - before)) -le 4
    ok "... the cache kept" test -d "$path"
    like "... saying there was no answer in time" "$(cat "$T/err.stuck")" "no answer within 500 ms"
    rcli CLIENT UNPAUSE > /dev/null 2>&1
    eventually 10 sh -c "redis-cli -s '$RD/redis.sock' ping | grep -q PONG"
    sleep "$PAST_LEASE"   # the late leave may have claimed the wipe: that claim lasts a lease
    like "... gc wipes it once Redis answers" "$(mc gc)" "wiped ${path##*/}"
done

for i in $(seq 20); do start_user "many$i" "h$((i % 4))"; done
stop_redis "$RD" KILL
for i in $(seq 20); do echo $((i % 7)) > "$T/go.many$i" & done
wait_all() {
    for i in $(seq 20); do [ -s "$T/status.many$i" ] || return 1; done
}
eventually 30 wait_all
statuses=""
kept=0
for i in $(seq 20); do
    [ "$(cat "$T/status.many$i")" = $((i % 7)) ] || statuses="$statuses many$i"
    [ -d "$(path_of "many$i")" ] && kept=$((kept + 1))
done
is "killed while 20 trees end: every exit status kept" "$statuses" ""
is "... every cache kept" "$kept" 20
start_redis "$RD" "$PORT"
out=$(for h in h0 h1 h2 h3; do host "$h" "$MC_BIN" gc; done)
is "... Redis back without its data: gc on each of the 4 hosts keeps all 20 for later" \
    "$(grep -c '^later' <<< "$out")" 80
sleep "$PAST_LEASE"
out=$(for h in h0 h1 h2 h3; do host "$h" "$MC_BIN" gc; done)
is "... gc after a lease wipes all 20" "$(grep -c '^wiped' <<< "$out")" 20
is "... leaving nothing under the root" "$(cache_count)" 0

start_user garbage a
path=$(path_of garbage)
rcli HSET CACHE_REGISTER "$path/" lots > /dev/null
end_user garbage
ok "a field holding garbage at the end: the cache kept" test -d "$path"
like "... a clear line" "$(cat "$T/err.garbage")" "CACHE_REGISTER field $path/ holds \"lots\", not a count"
is "... the field left as it is" "$(field_count "$path")" lots
out=$(mc run --existing "$path" -- touch "$T/ran" 2>&1)
is "... a tree attaching to it: exit 125" "$?" 125
like "... saying why" "$out" "holds \"lots\", not a count"
out=$(mc gc 2>&1)
is "... gc: fails" "$?" 1
ok "... wipes nothing" test -d "$path"
rcli HSET CACHE_REGISTER "$path/" 1 > /dev/null
sleep "$PAST_LEASE"
out=$(mc gc)
like "... repaired by hand (host a's one share): gc after its lease expires it" "$out" \
    "expired ${path##*/}: 1 host"
like "... and wipes the cache" "$out" "wiped ${path##*/}"

# --- 10. 50 trees on 5 hosts on one cache, starting and ending at random.
export MONOCACHE_LOG=debug MONOCACHE_LOG_FILE=$T/log.many
start_user anchor h0
path=$(path_of anchor)
for i in $(seq 50); do
    (
        sleep "0.$((RANDOM % 10))"
        host "h$((i % 5 + 1))" "$MC_BIN" run --existing "$path" -- sh -c '
            f=$MONOCACHE_PATH/user.$0
            echo mine > "$f"
            sleep "0.$(( $(od -An -N1 -tu1 /dev/urandom) % 10 ))"
            [ "$(cat "$f" 2>/dev/null)" = mine ] && echo intact || echo LOST' "$i" 2>> "$T/err.many"
    ) >> "$T/out.many" &
done
# The anchor ends once ten have run; the others start and end around that.
eventually 120 sh -c "[ \$(cat '$T/out.many' 2>/dev/null | wc -l) -ge 10 ]"
end_user anchor
wait
is "50 trees on 5 hosts: none saw its file wiped" "$(grep -c LOST "$T/out.many")" 0
ok "... and they ran ($(grep -c intact "$T/out.many") intact, the rest could not attach after a wipe)" \
    test "$(grep -c intact "$T/out.many")" -ge 10
eventually 10 gone "$path"
ok "... the last one wiped the cache" gone "$path"
is "... the field is gone" "$(rcli HEXISTS CACHE_REGISTER "$path/")" 0
left=$(rcli --scan --pattern 'monocache:*' | grep -v alive-since)
is "... no lease or wipe marker left" "$left" ""
[ -n "$left" ] && { rcli ZRANGE "$left" 0 -1 WITHSCORES; cat "$T/err.many"; cp "$T/log.many" /tmp/mc50.log; } | sed 's/^/# /'
unset MONOCACHE_LOG MONOCACHE_LOG_FILE

# --- 11. What the reviews found: nothing counted may be wiped by a host
# that does not ask the register; one Redis per tree; odd counts.
start_user marked a
path=$(path_of marked)
like "a counted cache says where in its meta" "$(cat "$path/meta.json")" \
    "\"redis_register\":\"redis://127.0.0.1:$PORT\""
out=$(env -u MONOCACHE_REDIS "$MC_BIN" gc 2>&1)
is "gc without MONOCACHE_REDIS: succeeds (nothing it was asked could not be done)" "$?" 0
like "... saying the cache is counted in Redis" "$out" "counted in the Redis register redis://127.0.0.1:$PORT"
ok "... and leaves it" test -f "$path/meta.json"
out=$(env -u MONOCACHE_REDIS "$MC_BIN" rm "$path" 2>&1)
is "rm without MONOCACHE_REDIS: refused" "$?" 1
ok "... nothing wiped" test -f "$path/meta.json"
like "gc --redis URL asks that register" \
    "$(env -u MONOCACHE_REDIS "$MC_BIN" gc --redis "$MONOCACHE_REDIS" 2>&1)" "kept ${path##*/} \(used"
host b env -u MONOCACHE_REDIS "$MC_BIN" run --existing "$path" -- true 2> "$T/err.nr"
like "a tree without Redis, on another host, ending first: keeps it" "$(cat "$T/err.nr")" \
    "kept: it is counted in the Redis register"
ok "... still there" test -f "$path/meta.json"
end_user marked
ok "... the counted host's end wipes it" gone "$path"

# Counts that lost users (eviction, a hand edit): the leases are proof.
start_user floor1 a
path=$(path_of floor1)
start_user floor2 b --existing "$path"
rcli DEL CACHE_REGISTER > /dev/null
end_user floor1
ok "CACHE_REGISTER deleted under two hosts: the first to end does not wipe" test -d "$path"
is "... the count is back to the live leases" "$(field_count "$path")" 1
end_user floor2
ok "... the last one does" gone "$path"

# Host names that collide (clones), or one host with two run directories.
start_user twin1 same
path=$(path_of twin1)
RUN_DIR_OF_HOST=$T/run-other start_user twin2 same --existing "$path"
is "the same MONOCACHE_HOST_ID with two run directories: counted twice" "$(field_count "$path")" 2
RUN_DIR_OF_HOST=$T/run-third host same "$MC_BIN" run -- true 2> /dev/null
like "gc under that host id elsewhere keeps it (a live lease is never taken)" \
    "$(RUN_DIR_OF_HOST=$T/run-third host same "$MC_BIN" gc)" "kept ${path##*/} \(used"
end_user twin1
ok "... one ends: kept" test -d "$path"
end_user twin2
ok "... both: wiped" gone "$path"

# Redis away at the start, continue: counted once it answers.
start_user early a
path=$(path_of early)
out=$(env MONOCACHE_REDIS="redis://127.0.0.1:$(free_port)" MONOCACHE_ON_ERROR=continue \
    MONOCACHE_HOST_ID=late MONOCACHE_RUN_DIR="$T/run-late" "$MC_BIN" run --existing "$path" -- \
    sh -c 'echo x > "$MONOCACHE_PATH/late"; sleep 0.5; cat "$MONOCACHE_PATH/late"' 2>&1)
like "continue with Redis away: the program runs, told other hosts do not see it" "$out" \
    "other hosts do not see this host using it"
end_user early
ok "... the counted host's end then wipes (nothing counts the other)" gone "$path"

out=$(mc run -- "$MC_BIN" run --redis "redis://127.0.0.1:$PORT/5" -- true 2>&1)
is "run --redis inside a tree counted in another register: exit 125" "$?" 125
like "... saying so" "$out" "this tree's cache is counted in redis://127.0.0.1:$PORT; add --new"
out=$(env -u MONOCACHE_REDIS "$MC_BIN" run -- "$MC_BIN" run --redis "$MONOCACHE_REDIS" -- true 2>&1)
like "... or in none" "$out" "counted in no Redis register"
out=$(env -u MONOCACHE_REDIS MONOCACHE_REDIS_HOST=127.0.0.1 MONOCACHE_REDIS_PORT=1 \
    "$MC_BIN" run --redis "$MONOCACHE_REDIS" -- sh -c 'redis-cli -s "$0" HGET CACHE_REGISTER "$MONOCACHE_PATH/"' \
    "$RD/redis.sock" 2>&1)
is "run --redis replaces MONOCACHE_REDIS_HOST/_PORT from the environment" "$out" 1

start_user negative a
path=$(path_of negative)
rcli HSET CACHE_REGISTER "$path/" -1 > /dev/null
like "a negative count is not a count: ls warns" "$(host a "$MC_BIN" ls 2>&1 >/dev/null)" \
    "field $path/ holds something that is not a count"
end_user negative
ok "... and the end keeps the cache" test -d "$path"
rcli HSET CACHE_REGISTER "$path/" 1 > /dev/null
sleep "$PAST_LEASE"
like "... repaired, gc expires host a and wipes it" "$(mc gc)" "wiped ${path##*/}"

# --- 12. ls shows both counts; --json has them.
start_user shown a
path=$(path_of shown)
pkg join "$path"
"$PY" -c '
import json, sys
row = [r for r in json.loads(sys.argv[1]) if r["path"] == sys.argv[2]][0]
assert row["holders"] == 2 and row["redis_users"] == 2, row' "$(host a "$MC_BIN" ls --json)" "$path" &&
    pass "ls --json: holders 2 (run and its program, on this host), redis_users 2" ||
    fail "ls --json: holders and redis_users"
out=$(host a env MONOCACHE_REDIS="$DOWN" "$MC_BIN" ls 2> "$T/err")
like "ls with Redis down: still lists, users unknown" "$(grep "${path##*/}" <<< "$out")" ' 2 +\? +/'
like "... and says why" "$(cat "$T/err")" "MONOCACHE_REDIS=$DOWN: cannot connect"
pkg leave "$path" > /dev/null
end_user shown

stop_redis "$RD"
finish
