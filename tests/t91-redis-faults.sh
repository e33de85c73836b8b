#!/bin/bash
# t91-redis-faults.sh — the Redis register when Redis misbehaves, against a
# real redis-server started here: unreachable at the start, stopped,
# restarted without its data, paused or asleep, killed while 20 trees end,
# fields holding garbage or negative counts. Nothing is lost, every exit
# status is kept, and gc finishes the job once Redis answers.
. "$(dirname "$0")/lib.sh"
. "$here/lib-redis.sh"
redis_main
age_register    # (a server that has counted for a while: not the young-register case)

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
    "later ${out##*/} \(made or used less than a lease ago and counted nowhere yet"
past_lease
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
    "^later ${path##*/} \((kept: the Redis register is younger than a lease|made or used less than a lease ago)"
past_lease
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
past_lease
like "... gc after a lease wipes it" "$(mc gc)" "wiped ${path##*/}"

# The server stuck: a ping sent now gets no answer (one that answers at
# all answers well within a second).
not_answering() {
    ! timeout 1 redis-cli -s "$RD/redis.sock" ping > /dev/null 2>&1
}
for stuck in "CLIENT PAUSE 6000" "DEBUG SLEEP 6"; do
    start_user stuck a
    path=$(path_of stuck)
    rcli $stuck > /dev/null 2>&1 &
    stuck_client=$!
    eventually 10 not_answering
    # A ping from now on is answered only once the server is back: the tree
    # that ends before that answer did not wait for the server.
    rcli ping > "$T/pong" 2>&1 &
    pong_client=$!
    end_user stuck 7
    is "$stuck at the end: exit status kept" "$(cat "$T/status.stuck")" 7
    ok "... the exit did not wait for the server (ended before its next answer; timeout 500 ms)" \
        test ! -s "$T/pong"
    ok "... the cache kept" test -d "$path"
    like "... saying there was no answer in time" "$(cat "$T/err.stuck")" "no answer within 500 ms"
    rcli CLIENT UNPAUSE > /dev/null 2>&1
    eventually 10 sh -c "redis-cli -s '$RD/redis.sock' ping | grep -q PONG"
    wait "$stuck_client" "$pong_client"
    past_lease   # the late leave may have claimed the wipe: that claim lasts a lease
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
past_lease
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
past_lease
out=$(mc gc)
like "... repaired by hand (host a's one share): gc after its lease expires it" "$out" \
    "expired ${path##*/}: 1 host"
like "... and wipes the cache" "$out" "wiped ${path##*/}"

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



start_user negative a
path=$(path_of negative)
rcli HSET CACHE_REGISTER "$path/" -1 > /dev/null
like "a negative count is not a count: ls warns" "$(host a "$MC_BIN" ls 2>&1 >/dev/null)" \
    "field $path/ holds something that is not a count"
end_user negative
ok "... and the end keeps the cache" test -d "$path"
rcli HSET CACHE_REGISTER "$path/" 1 > /dev/null
past_lease
like "... repaired, gc expires host a and wipes it" "$(mc gc)" "wiped ${path##*/}"

finish
