#!/bin/bash
# t90-redis-count.sh — the Redis register counts a cache's users, against a
# real redis-server started here: the Python package's CACHE_REGISTER field
# (checked with redis-cli), one registration per cache per host whatever the
# tree's size, several "hosts" on one machine (their own MONOCACHE_HOST_ID
# and MONOCACHE_RUN_DIR), leases that outlive a host killed whole and that a
# live host renews, locked caches, 50 trees on 5 hosts, and what reviews
# found: nothing counted is wiped by a host that does not ask the register,
# one Redis per tree, counts that lost users.
. "$(dirname "$0")/lib.sh"
. "$here/lib-redis.sh"
redis_main

# --- 1. A young register wipes nothing; after a lease, the last user wipes.
out=$(mc run -- sh -c 'echo "$MONOCACHE_PATH"' 2> "$T/err")
like "first use of a fresh Redis: the cache is kept (register younger than a lease)" \
    "$(cat "$T/err")" 'kept: the Redis register is younger than a lease'
ok "... its directory is still there" test -d "$out"
is "... and its host is off the register" "$(rcli HEXISTS CACHE_REGISTER "$out/")" 0
past_lease
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
past_lease -s "$RD/redis.sock" -n 3
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
past_lease
mc gc > /dev/null   # (kept: younger than a lease of 600 s)

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
past_lease
host b "$MC_BIN" gc --dry-run > /dev/null
is "gc --dry-run after the lease takes no share off: still counted" "$(field_count "$path")" 1
is "... and the lease is still there" "$(rcli ZCARD "$(lease_key "$path")")" 1
out=$(host b "$MC_BIN" gc)
like "gc on host b after the lease: host a's share expired" "$out" "expired ${path##*/}: 1 host"
like "... and the cache wiped" "$out" "wiped ${path##*/}"
ok "... gone" gone "$path"
is "... field gone" "$(rcli HEXISTS CACHE_REGISTER "$path/")" 0
is "... lease gone" "$(rcli EXISTS "$(lease_key "$path")")" 0

# A live host renews its lease: gc elsewhere never takes it. (It lives 2.5
# leases: the time it is alive is what is tested, not a wait for an event.)
start_user live a
path=$(path_of live)
rcli CONFIG RESETSTAT > /dev/null
sleep "$((LEASE * 5 / 2)).5"
renewals=$(rcli INFO commandstats | tr -d '\r' | sed -n 's/^cmdstat_eval:calls=\([0-9]*\).*/\1/p')
ok "a live host renews more than once a lease (EVALs in 2.5 leases: ${renewals:-0}; a third of a lease apart: about 7)" \
    test "${renewals:-0}" -ge 4
like "a host alive for 2.5 leases is still counted (renewed)" \
    "$(host b "$MC_BIN" gc; field_count "$path")" "kept ${path##*/} \(used on other hosts\)"
end_user live
ok "... and wiped by its own end" gone "$path"

# --- 8. Locked: kept, and the host leaves the register.
start_user locked a --lock
path=$(path_of locked)
end_user locked
ok "a locked cache is kept at the end" test -d "$path"
is "... its host is off the register" "$(rcli HEXISTS CACHE_REGISTER "$path/")" 0
like "... ls shows 0 users" "$(mc ls | grep "${path##*/}")" ' 0 +0 +/'
mc unlock "$path"
past_lease
like "... unlocked, gc wipes it" "$(mc gc)" "wiped ${path##*/}"

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

out=$(mc run -- "$MC_BIN" run --redis "redis://127.0.0.1:$PORT/5" -- true 2>&1)
is "run --redis inside a tree counted in another register: exit 125" "$?" 125
like "... saying so" "$out" "this tree's cache is counted in redis://127.0.0.1:$PORT; add --new"
out=$(env -u MONOCACHE_REDIS "$MC_BIN" run -- "$MC_BIN" run --redis "$MONOCACHE_REDIS" -- true 2>&1)
like "... or in none" "$out" "counted in no Redis register"
out=$(env -u MONOCACHE_REDIS MONOCACHE_REDIS_HOST=127.0.0.1 MONOCACHE_REDIS_PORT=1 \
    "$MC_BIN" run --redis "$MONOCACHE_REDIS" -- sh -c 'redis-cli -s "$0" HGET CACHE_REGISTER "$MONOCACHE_PATH/"' \
    "$RD/redis.sock" 2>&1)
is "run --redis replaces MONOCACHE_REDIS_HOST/_PORT from the environment" "$out" 1
finish
