/* redisconf.h — where the Redis register is and how to reach it, from the
 * environment: MONOCACHE_REDIS (a URL: redis://, rediss:// for TLS, unix://),
 * or MONOCACHE_REDIS_HOST/_PORT, or the sentinels that name the master
 * (MONOCACHE_REDIS_SENTINEL, _MASTER); the password; TLS's certificates
 * (MONOCACHE_REDIS_CACERT, _CERT, _KEY, _SNI); the timeout; the lease; this
 * host's name.
 *
 * Pure parsing (values come from a getenv-like callback), unit-tested apart
 * from any socket. A bad value gives one line naming the variable; a
 * password never appears in it (mc_redis_redact shows "***"). */
#ifndef MC_REDISCONF_H
#define MC_REDISCONF_H

#include "common/config.h"
#include "common/err.h"

#include <stddef.h>

#define MC_REDIS_DEFAULT_PORT 6379
#define MC_REDIS_DEFAULT_TIMEOUT_MS 1000
#define MC_REDIS_DEFAULT_LEASE_S 60
#define MC_HOST_ID_MAX 255
#define MC_REDIS_DEFAULT_SENTINEL_PORT 26379
#define MC_REDIS_SENTINELS_MAX 16

/* Ours only (proto.h has the names the preloaded library shares). */
#define MC_ENV_REDIS_CACERT "MONOCACHE_REDIS_CACERT"
#define MC_ENV_REDIS_CERT "MONOCACHE_REDIS_CERT"
#define MC_ENV_REDIS_KEY "MONOCACHE_REDIS_KEY"
#define MC_ENV_REDIS_SNI "MONOCACHE_REDIS_SNI"
#define MC_ENV_REDIS_SENTINEL "MONOCACHE_REDIS_SENTINEL"
#define MC_ENV_REDIS_MASTER "MONOCACHE_REDIS_MASTER"

/* TLS (rediss://): the server's certificate is always verified, and so is
 * its name; nothing falls back to plain text. */
struct mc_redis_tls {
    int enabled;
    char *cacert;           /* a file or a directory of CAs, or NULL: the system's */
    int cacert_is_dir;
    char *cert;             /* the client's certificate and key, or NULL */
    char *key;
    char *sni;              /* the name sent and checked, or NULL: the host */
};

/* A server's address: TCP host (brackets of an IPv6 address removed) and port. */
struct mc_redis_node {
    char *host;
    int port;
};

struct mc_redis_config {
    int enabled;            /* 0: no Redis, local counting only */
    char *host;             /* TCP host (brackets of an IPv6 address removed), or NULL */
    int port;
    char *socket_path;      /* unix socket, or NULL */
    char *user;             /* ACL user, or NULL */
    char *password;         /* or NULL; never printed */
    int db;
    int timeout_ms;
    int lease_s;
    char *host_id;          /* this host's name in the register */
    struct mc_redis_tls tls;
    struct mc_redis_node *sentinels;    /* MONOCACHE_REDIS_SENTINEL, or NULL */
    int sentinel_count;
    char *master;           /* the master's name at the sentinels */
    char *display;          /* where, for messages: the URL with "***" for a password
                               (sentinels: redis-sentinel://h:p,h:p/master) */
    const char *source;     /* the variable it came from, for messages */
};

/* Reads the Redis variables. `url_override` (run --redis) wins over
 * MONOCACHE_REDIS when not NULL. 0 (enabled or not), or -1 with err. */
int mc_redis_config_load(struct mc_redis_config *rc, const char *url_override, mc_getenv_fn get,
                         void *ctx, struct mc_err *err);
void mc_redis_config_free(struct mc_redis_config *rc);

/* Where the secrets of a Redis URL are (password, a query other than
 * ?db=N): the one rule for every place a URL is shown. */
#define MC_REDIS_SECRETS 2
struct mc_span {
    size_t start;
    size_t len;     /* 0: none */
};
void mc_redis_secrets(const char *url, struct mc_span spans[MC_REDIS_SECRETS]);
/* The URL as messages show it, each secret replaced by "***"; malloc'd. */
char *mc_redis_redact(const char *url);
/* Each secret overwritten by '*' in place (a command line that ps shows). */
void mc_redis_star(char *url);

/* Parses one URL into rc (host/socket, user, password, db, TLS on). `name`
 * labels errors (e.g. "MONOCACHE_REDIS"). */
int mc_redis_parse_url(const char *name, const char *url, struct mc_redis_config *rc,
                       struct mc_err *err);

/* Parses "host[:port][,host[:port]...]" (MONOCACHE_REDIS_SENTINEL) into
 * rc->sentinels. */
int mc_redis_parse_sentinels(const char *value, struct mc_redis_config *rc, struct mc_err *err);

/* 1 if host is an IPv4 or IPv6 address (not sent as a TLS server name). */
int mc_redis_is_ip(const char *host);

#endif
