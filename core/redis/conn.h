/* conn.h — one connection to a Redis server: our own socket, hiredis's
 * command formatter and reply reader (as in Debian's hiredis 0.14, which has
 * no TLS and bounds each read, not a whole command), and a transport that is
 * the socket itself or TLS over it (tls.h, for rediss://).
 *
 * Every step — connecting, the TLS handshake, AUTH, SELECT, each command —
 * is bounded as a whole by the configured timeout
 * (MONOCACHE_REDIS_TIMEOUT_MS): a server that trickles its answer a byte at
 * a time cannot hold us longer than that. Runs in the watcher and the
 * command, never in the preloaded shim. */
#ifndef MC_REDIS_CONN_H
#define MC_REDIS_CONN_H

#include "common/err.h"
#include "redisconf.h"

#include <hiredis/hiredis.h>

struct mc_redis_conn;

/* Where to connect, when it is not the configured server: a sentinel, the
 * master it names, the cluster node a redirection names. */
struct mc_redis_addr {
    const char *host;       /* TCP */
    int port;
    const char *label;      /* for messages: "sentinel 10.0.0.1:26379" */
};

/* Connects (TLS if configured), authenticates (MC_ERR_AUTH on a refused
 * password) and selects the database: the configured server, or addr
 * (NULL: the configured one). MC_CONN_BARE: neither AUTH nor SELECT (a
 * sentinel has its own). 0, or -1 with err (MC_ERR_TIMEOUT when it was too
 * slow). */
#define MC_CONN_SETUP 0
#define MC_CONN_BARE 1
int mc_redis_connect(const struct mc_redis_config *rc, const struct mc_redis_addr *addr,
                     int flags, struct mc_redis_conn **conn, struct mc_err *err);
void mc_redis_close(struct mc_redis_conn *conn);
/* 1 if the connection broke (a later command needs a new one). */
int mc_redis_broken(const struct mc_redis_conn *conn);
/* Marks it broken: its server is not the one wanted any more. */
void mc_redis_forsake(struct mc_redis_conn *conn);

/* Sends one command (binary-safe arguments) and reads its reply. The reply
 * (mc_redis_free_reply it; a server error is a REDIS_REPLY_ERROR reply), or
 * NULL with err: MC_ERR_TIMEOUT if no whole reply came in time (the
 * connection is then broken: a late reply must not pass for the next). */
redisReply *mc_redis_command(struct mc_redis_conn *conn, int argc, const char **argv,
                             struct mc_err *err);
/* A command that must answer +OK (ASKING): 0, or -1 with err. */
int mc_redis_command_ok(struct mc_redis_conn *conn, int argc, const char **argv,
                        struct mc_err *err);

#endif
