#!/bin/bash
# t93-redis-auth.sh — passwords and settings of the Redis register, against
# real redis-servers started here (one with requirepass): the password from
# MONOCACHE_REDIS_PASSWORD, REDISCLI_AUTH or the URL, never shown in a
# command line, a log or a message; a wrong one, and bad settings, stop
# the program before main.
. "$(dirname "$0")/lib.sh"
. "$here/lib-redis.sh"
redis_main

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

# An ACL user: AUTH with the user and its password, never the password
# alone (the default user's is another).
USER_PW=user-$$-pw
AT_PW=p@ss-$$-w0rd
rcli2() {
    REDISCLI_AUTH=$SECRET redis-cli --no-auth-warning -s "$RD2/redis.sock" "$@"
}
rcli2 ACL SETUSER mc-user on ">$USER_PW" '~*' '&*' +@all > /dev/null
rcli2 ACL SETUSER mc-at on ">$AT_PW" '~*' '&*' +@all > /dev/null
out=$(env MONOCACHE_REDIS="redis://mc-user:$USER_PW@127.0.0.1:$PORT2" "$MC_BIN" run -- \
    sh -c 'REDISCLI_AUTH=$1 redis-cli -s "$0" HGET CACHE_REGISTER "$MONOCACHE_PATH/"
           REDISCLI_AUTH=$1 redis-cli -s "$0" CLIENT LIST | grep -c " user=mc-user "' \
    "$RD2/redis.sock" "$SECRET" 2>&1)
is "an ACL user in the URL (redis://mc-user:pw@...): counted" "${out%%$'\n'*}" 1
is "... the watcher's connection is that user's (CLIENT LIST)" "${out#*$'\n'}" 1
# A password holding '@': the credentials end at the last '@', for the
# parser and for every place the URL is shown.
out=$(env MONOCACHE_REDIS="redis://mc-at:$AT_PW@127.0.0.1:$PORT2" MONOCACHE_LOG=debug "$MC_BIN" run -- \
    sh -c 'REDISCLI_AUTH=$1 redis-cli -s "$0" HGET CACHE_REGISTER "$MONOCACHE_PATH/"' \
    "$RD2/redis.sock" "$SECRET" 2> "$T/log.at")
is "a password with an '@' in the URL: counted" "$out" 1
like "... the logs show the URL" "$(cat "$T/log.at")" "redis://mc-at:\*\*\*@127.0.0.1:$PORT2"
refute "... never a part of the password" grep -q -e "ss-$$-w0rd" -e "@ss-" "$T/log.at"
out=$(env MONOCACHE_REDIS="redis://mc-at:wrong@$AT_PW@127.0.0.1:$PORT2" LD_PRELOAD="$PRELOAD" true 2>&1)
is "a wrong password with '@'s: exit 125" "$?" 125
like "... one line, all of the password starred" "$out" \
    "^monocache: MONOCACHE_REDIS=redis://mc-at:\*\*\*@127.0.0.1:$PORT2: authentication failed"
refute "... never a part of it" grep -q -e "ss-$$-w0rd" -e "wrong" <<< "$out"

past_lease -s "$RD2/redis.sock" --no-auth-warning -a "$SECRET"   # the trees above found this fresh server's register young: kept
MONOCACHE_REDIS=redis://127.0.0.1:$PORT2 MONOCACHE_REDIS_PASSWORD=$SECRET mc gc > /dev/null
eventually 10 no_caches
ok "... and nothing is left once gc has run on that register" no_caches
stop_redis "$RD2"

refused_before_main "" \
    "MONOCACHE_REDIS=http://127.0.0.1" "MONOCACHE_REDIS=redis://127.0.0.1:70000" \
    "MONOCACHE_REDIS=redis://127.0.0.1/abc" "MONOCACHE_REDIS=unix:///x.sock?db=z" \
    "MONOCACHE_REDIS=redis://127.0.0.1:$PORT/99" "MONOCACHE_REDIS_TIMEOUT_MS=soon" \
    "MONOCACHE_REDIS_LEASE_S=0" "MONOCACHE_REDIS_PORT=-1" "MONOCACHE_REDIS_MASTER=m" \
    "MONOCACHE_REDIS_SENTINEL=127.0.0.1:26379,:x" "MONOCACHE_REDIS_CACERT=/etc/hostname"

finish
