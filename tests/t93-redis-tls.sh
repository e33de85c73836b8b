#!/bin/bash
# t93-redis-tls.sh — the Redis register over TLS (rediss://), against real
# TLS-only redis-servers started here with a CA and certificates the test
# makes (openssl req): counted (as redis-cli --tls sees it), a CA file or a
# directory of CAs, client certificates; a certificate that does not
# verify, a name that does not match, a server that speaks plain text: one
# line, status 125 before main, never a silent downgrade. A tree without
# TLS never maps OpenSSL. The Python package on the same register, over TLS.
. "$(dirname "$0")/lib.sh"
. "$here/lib-redis.sh"
CERTS=$T/certs
if ! make_certs "$CERTS"; then
    fail "openssl makes the test's CA and certificates"
    finish
    exit
fi
RD=$T/redis
PORT=$(free_port)
start_tls_redis "$RD" "$PORT" "$CERTS" server --tls-auth-clients no --bind 127.0.0.1 127.0.0.2
age_register    # (a server that has counted for a while: not the young-register case)
export MONOCACHE_REDIS=rediss://127.0.0.1:$PORT MONOCACHE_REDIS_CACERT=$CERTS/ca.crt
tls_cli() {
    redis-cli --tls --cacert "$CERTS/ca.crt" -p "$PORT" "$@"
}
is "the test's server speaks TLS (redis-cli --tls)" "$(tls_cli ping)" PONG

# --- Counted over TLS.
out=$(mc run -- sh -c 'redis-cli --tls --cacert "$0" -p "$1" HGET CACHE_REGISTER "$MONOCACHE_PATH/"
                       echo "$MONOCACHE_PATH"' "$CERTS/ca.crt" "$PORT")
is "rediss://, MONOCACHE_REDIS_CACERT a file: counted (redis-cli --tls HGET)" "${out%%$'\n'*}" 1
path=${out#*$'\n'}
ok "... wiped at the end" gone "$path"
is "... the field deleted" "$(tls_cli HEXISTS CACHE_REGISTER "$path/")" 0

mkdir -p "$T/cadir"
cp "$CERTS/other-ca.crt" "$CERTS/ca.crt" "$T/cadir/"
openssl rehash "$T/cadir" 2> /dev/null || c_rehash "$T/cadir" > /dev/null 2>&1
out=$(MONOCACHE_REDIS_CACERT=$T/cadir mc run -- sh -c 'redis-cli -s "$0" HGET CACHE_REGISTER "$MONOCACHE_PATH/"' \
    "$RD/redis.sock" 2>&1)
is "MONOCACHE_REDIS_CACERT a directory of CAs (openssl rehash): counted" "$out" 1
out=$(MONOCACHE_REDIS=rediss://localhost:$PORT mc run -- sh -c 'redis-cli -s "$0" HGET CACHE_REGISTER "$MONOCACHE_PATH/"' \
    "$RD/redis.sock" 2>&1)
is "rediss://localhost: the name in the certificate: counted" "$out" 1

host b "$MC_BIN" run -- true 2> /dev/null   # (marks host b's run directory, which gc needs)
start_user held a
path=$(path_of held)
like "ls and gc over TLS: ls counts the tree" "$(mc ls)" "${path##*/}.* 1 +/"
like "... gc keeps it" "$(host b "$MC_BIN" gc)" "kept ${path##*/} \(used on other hosts\)"
watcher=$(awk '{ print $4 }' "$T/run-a/${path##*/}.lock")
ok "... its watcher has OpenSSL mapped" grep -q libssl "/proc/$watcher/maps"
end_user held
ok "... and its end wipes it" gone "$path"

# --- A tree without TLS never maps OpenSSL (section 8 of make bench times it).
PLAIN=$T/plain
PLAIN_PORT=$(free_port)
start_redis "$PLAIN" "$PLAIN_PORT"
age_register -s "$PLAIN/redis.sock"
MONOCACHE_REDIS_CACERT= start_user plain a --redis "redis://127.0.0.1:$PLAIN_PORT"
path=$(path_of plain)
watcher=$(awk '{ print $4 }' "$T/run-a/${path##*/}.lock")
ok "redis:// (no TLS): the watcher is there" test -e "/proc/$watcher/maps"
refute "... without libssl or libcrypto mapped" grep -Eq 'libssl|libcrypto' "/proc/$watcher/maps"
end_user plain

# --- Refused, one line, before main: never plain text instead.
refused_at_start "a CA that did not sign the server's certificate" MONOCACHE_REDIS \
    "certificate is refused" MONOCACHE_REDIS_CACERT="$CERTS/other-ca.crt"
refused_at_start "no CA given: the system's store, which does not know the test's CA" \
    MONOCACHE_REDIS "certificate is refused" MONOCACHE_REDIS_CACERT=
refused_at_start "a name the certificate does not have (MONOCACHE_REDIS_SNI)" MONOCACHE_REDIS \
    "hostname mismatch" MONOCACHE_REDIS_SNI=elsewhere.example
refused_at_start "an address the certificate does not have (127.0.0.2)" MONOCACHE_REDIS \
    "IP address mismatch" MONOCACHE_REDIS="rediss://127.0.0.2:$PORT"
refused_at_start "a server that speaks plain text" MONOCACHE_REDIS \
    "TLS" MONOCACHE_REDIS="rediss://127.0.0.1:$PLAIN_PORT"
is "... and nothing was counted on it" "$(redis-cli -s "$PLAIN/redis.sock" HLEN CACHE_REGISTER)" 0

# The server's name given (MONOCACHE_REDIS_SNI) for a certificate made for
# it alone, reached by address.
# aged_tls_redis NAME CERT [server options...]: another TLS-only server,
# in $T/NAME on $TLS_PORT, its register aged as the main one's.
aged_tls_redis() {
    local dir=$T/$1 cert=$2
    shift 2
    TLS_PORT=$(free_port)
    start_tls_redis "$dir" "$TLS_PORT" "$CERTS" "$cert" "$@"
    age_register -s "$dir/redis.sock"
}
aged_tls_redis elsewhere elsewhere --tls-auth-clients no
OTHER=$T/elsewhere
OTHER_PORT=$TLS_PORT
refused_at_start "a certificate for another name, reached by address" MONOCACHE_REDIS \
    "IP address mismatch" \
    MONOCACHE_REDIS="rediss://127.0.0.1:$OTHER_PORT"
out=$(MONOCACHE_REDIS=rediss://127.0.0.1:$OTHER_PORT MONOCACHE_REDIS_SNI=elsewhere.example \
    mc run -- sh -c 'redis-cli -s "$0" HGET CACHE_REGISTER "$MONOCACHE_PATH/"' "$OTHER/redis.sock" 2>&1)
is "... with MONOCACHE_REDIS_SNI=elsewhere.example: counted" "$out" 1

# --- Client certificates (tls-auth-clients yes).
aged_tls_redis mtls server --tls-auth-clients yes
MTLS=$T/mtls
MTLS_PORT=$TLS_PORT
refused_at_start "a server that wants a client certificate, none given" MONOCACHE_REDIS \
    "TLS.*(certificate required|client certificate)" \
    MONOCACHE_REDIS="rediss://127.0.0.1:$MTLS_PORT"
out=$(MONOCACHE_REDIS=rediss://127.0.0.1:$MTLS_PORT MONOCACHE_REDIS_CERT=$CERTS/client.crt \
    MONOCACHE_REDIS_KEY=$CERTS/client.key \
    mc run -- sh -c 'redis-cli -s "$0" HGET CACHE_REGISTER "$MONOCACHE_PATH/"' "$MTLS/redis.sock" 2>&1)
is "... MONOCACHE_REDIS_CERT and _KEY: counted" "$out" 1

# A server that ends the session after the handshake without an alert (as
# one wanting a client certificate may, under TLS 1.3): the line says so,
# whether it closed or reset the connection.
for how in close reset; do
    rm -f "$T/drop-$how.port"
    server "$PY" "$top/tests/redis/tlsdrop.py" "$CERTS/server.crt" "$CERTS/server.key" \
        "$T/drop-$how.port" "$how"
    atexit "kill $!"
    eventually 10 test -s "$T/drop-$how.port"
    refused_at_start "a server that ends the TLS session at once ($how)" MONOCACHE_REDIS \
        "the server ended the TLS session .*client certificate \(MONOCACHE_REDIS_CERT\)" \
        MONOCACHE_REDIS="rediss://127.0.0.1:$(cat "$T/drop-$how.port")"
done

# --- Bad settings: one line naming the variable, 125 before main.
refused_before_main "" \
    "MONOCACHE_REDIS_CACERT=$T/nonexistent.pem" "MONOCACHE_REDIS_CERT=$CERTS/client.crt" \
    "MONOCACHE_REDIS_KEY=$CERTS/client.key" "MONOCACHE_REDIS_SNI=two words"
out=$(env MONOCACHE_REDIS="redis://127.0.0.1:$PLAIN_PORT" LD_PRELOAD="$PRELOAD" true 2>&1)
is "MONOCACHE_REDIS_CACERT with a redis:// URL: exit 125" "$?" 125
like "... one line naming it: TLS was asked for" "$out" \
    "^monocache: MONOCACHE_REDIS_CACERT=$CERTS/ca.crt: for TLS only, and MONOCACHE_REDIS=redis://127.0.0.1:$PLAIN_PORT is not a rediss:// URL$"
out=$(env MONOCACHE_REDIS_CACERT="$CERTS/server.key" LD_PRELOAD="$PRELOAD" true 2>&1)
is "a file that is no CA: exit 125" "$?" 125
like "... one line naming MONOCACHE_REDIS_CACERT" "$out" "^monocache: MONOCACHE_REDIS=.*MONOCACHE_REDIS_CACERT=$CERTS/server.key: cannot load"

# --- The Python package over TLS.
with_cache /bin/true    # (a first tree on this host marks its run directory, which gc needs)
export PKG_REDIS=tls:127.0.0.1:$PORT:$CERTS/ca.crt
python_cases "TLS"

finish
