/* redisconf.c — the Redis settings, parsed and checked (see redisconf.h). */
#include "redisconf.h"
#include "common/setting.h"
#include "common/buf.h"
#include "host/proto.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MC_REDIS_SCHEME "redis://"
#define MC_REDIS_TLS_SCHEME "rediss://"
#define MC_UNIX_SCHEME "unix://"
#define MC_REDIS_DB_MAX 1000000
#define MC_REDIS_TIMEOUT_MAX_MS 600000
#define MC_REDIS_LEASE_MAX_S 86400
#define MC_PORT_MAX 65535
#define MC_DNS_NAME_MAX 253
#define MC_SENTINEL_SCHEME "redis-sentinel://"

/* text[0..len) with %XX decoded: malloc'd, or NULL (bad escape or memory). */
static char *decoded(const char *text, size_t len)
{
    char *out = malloc(len + 1);
    size_t i;
    size_t o = 0;

    if (!out)
        return NULL;
    for (i = 0; i < len; i++) {
        if (text[i] != '%') {
            out[o++] = text[i];
            continue;
        }
        if (i + 2 >= len || mc_hex_digit(text[i + 1]) < 0 || mc_hex_digit(text[i + 2]) < 0) {
            free(out);
            return NULL;
        }
        out[o++] = (char)(mc_hex_digit(text[i + 1]) * 16 + mc_hex_digit(text[i + 2]));
        i += 2;
    }
    out[o] = '\0';
    return out;
}

/* A whole decimal number in [min, max]: 0, or -1. */
static int whole_number(const char *text, size_t len, long min, long max, long *value)
{
    char digits[24];
    char *end;

    if (len == 0 || len >= sizeof(digits))
        return -1;
    memcpy(digits, text, len);
    digits[len] = '\0';
    if (digits[0] < '0' || digits[0] > '9')
        return -1;
    errno = 0;
    *value = strtol(digits, &end, 10);
    if (errno || *end || *value < min || *value > max)
        return -1;
    return 0;
}

static int bad_url(struct mc_err *err, const char *name, const char *display, const char *why)
{
    mc_err_set(err, "%s: %s", mc_setting(name, display), why);
    return -1;
}

/* The parts of a URL that may be secret: the password (everything between
 * the user's colon, or the start of the credentials, and the last '@' — a
 * password may hold '@', '/', '?' or '#' unencoded and must not show even
 * then), and a query other than ?db=<digits> (someone may have put a
 * password there). A URL without a scheme is secret up to its last '@'. */
void mc_redis_secrets(const char *url, struct mc_span spans[MC_REDIS_SECRETS])
{
    const char *scheme_end = strstr(url, "://");
    const char *authority = scheme_end ? scheme_end + 3 : url;
    const char *at = strrchr(authority, '@');
    const char *after = at ? at + 1 : authority;
    const char *query = strchr(after, '?');
    const char *colon;
    const char *p;

    memset(spans, 0, sizeof(struct mc_span) * MC_REDIS_SECRETS);
    if (at) {
        colon = scheme_end ? memchr(authority, ':', (size_t)(at - authority)) : NULL;
        spans[0].start = (size_t)((colon ? colon + 1 : scheme_end ? authority : url) - url);
        spans[0].len = (size_t)(at - url) - spans[0].start;
    }
    if (!query)
        return;
    if (strncmp(query, "?db=", 4) == 0) {
        for (p = query + 4; *p >= '0' && *p <= '9'; p++)
            ;
        if (p > query + 4 && *p == '\0')
            return;
    }
    spans[1].start = (size_t)(query + 1 - url);
    spans[1].len = strlen(query + 1);
}

char *mc_redis_redact(const char *url)
{
    struct mc_span spans[MC_REDIS_SECRETS];
    struct mc_buf shown;
    size_t at = 0;
    int i;

    mc_redis_secrets(url, spans);
    mc_buf_init(&shown, strlen(url) + 8 * MC_REDIS_SECRETS);
    for (i = 0; i < MC_REDIS_SECRETS; i++) {
        if (!spans[i].len)
            continue;
        mc_buf_add(&shown, url + at, spans[i].start - at);
        mc_buf_addstr(&shown, "***");
        at = spans[i].start + spans[i].len;
    }
    if (mc_buf_addstr(&shown, url + at) != 0) {
        mc_buf_free(&shown);
        return NULL;
    }
    return mc_buf_take(&shown);
}

void mc_redis_star(char *url)
{
    struct mc_span spans[MC_REDIS_SECRETS];
    int i;

    mc_redis_secrets(url, spans);
    for (i = 0; i < MC_REDIS_SECRETS; i++)
        memset(url + spans[i].start, '*', spans[i].len);
}

static int parse_unix(const char *name, const char *url, const char *display,
                      struct mc_redis_config *rc, struct mc_err *err)
{
    const char *path = url + strlen(MC_UNIX_SCHEME);
    const char *query = strchr(path, '?');
    size_t path_len = query ? (size_t)(query - path) : strlen(path);
    long db = 0;

    if (path_len == 0 || path[0] != '/')
        return bad_url(err, name, display, "expected unix:///absolute/path/to/redis.sock[?db=N]");
    if (query) {
        if (strncmp(query, "?db=", 4) != 0 ||
            whole_number(query + 4, strlen(query + 4), 0, MC_REDIS_DB_MAX, &db) != 0)
            return bad_url(err, name, display, "the only query is ?db=N, a database number");
    }
    rc->socket_path = decoded(path, path_len);
    if (!rc->socket_path)
        return bad_url(err, name, display, "bad %-escape in the path");
    rc->db = (int)db;
    return 0;
}

/* [[user]:password@] before host: user and password set, *rest after '@'. */
static int parse_credentials(const char *name, const char *display, const char **rest,
                             struct mc_redis_config *rc, struct mc_err *err)
{
    const char *authority = *rest;
    const char *at = strrchr(authority, '@');
    const char *colon;

    if (!at)
        return 0;
    colon = memchr(authority, ':', (size_t)(at - authority));
    if (!colon)
        return bad_url(err, name, display, "credentials must be [user]:password@");
    if (colon > authority) {
        rc->user = decoded(authority, (size_t)(colon - authority));
        if (!rc->user)
            return bad_url(err, name, display, "bad %-escape in the user");
    }
    rc->password = decoded(colon + 1, (size_t)(at - colon - 1));
    if (!rc->password)
        return bad_url(err, name, display, "bad %-escape in the password");
    *rest = at + 1;
    return 0;
}

/* "host[:port]" or "[v6addr][:port]" in text[0..len): host (malloc'd) and
 * port (default_port when none). 0, or -1 with err. */
static int parse_host_port(const char *name, const char *display, const char *text, size_t len,
                           int default_port, struct mc_redis_node *node, struct mc_err *err)
{
    const char *end = text + len;
    const char *host_end;
    const char *port_start = NULL;
    long value;

    if (len > 0 && *text == '[') {
        host_end = memchr(text, ']', len);
        if (!host_end)
            return bad_url(err, name, display, "an IPv6 address needs its closing ]");
        node->host = strndup(text + 1, (size_t)(host_end - text - 1));
        host_end++;
    } else {
        host_end = memchr(text, ':', len);
        if (!host_end)
            host_end = end;
        node->host = strndup(text, (size_t)(host_end - text));
    }
    if (!node->host || !node->host[0])
        return bad_url(err, name, display, "no host");
    if (host_end < end) {
        if (*host_end != ':')
            return bad_url(err, name, display, "expected :port after the host");
        port_start = host_end + 1;
    }
    node->port = default_port;
    if (port_start) {
        if (whole_number(port_start, (size_t)(end - port_start), 1, MC_PORT_MAX, &value) != 0)
            return bad_url(err, name, display, "the port must be a number from 1 to 65535");
        node->port = (int)value;
    }
    return 0;
}

/* redis://... or rediss://... (scheme_len: the scheme and "://"). */
static int parse_tcp(const char *name, const char *url, size_t scheme_len, const char *display,
                     struct mc_redis_config *rc, struct mc_err *err)
{
    const char *rest = url + scheme_len;
    struct mc_redis_node node = { NULL, 0 };
    const char *path;
    long value;
    int result;

    if (parse_credentials(name, display, &rest, rc, err) != 0)
        return -1;
    if (strchr(rest, '?'))
        return bad_url(err, name, display, "redis:// takes no query: the database is a path "
                       "(redis://host:6379/2), the password goes before the host or in "
                       "MONOCACHE_REDIS_PASSWORD");
    path = strchr(rest, '/');
    if (!path)
        path = rest + strlen(rest);
    result = parse_host_port(name, display, rest, (size_t)(path - rest), MC_REDIS_DEFAULT_PORT,
                             &node, err);
    rc->host = node.host;
    rc->port = node.port;
    if (result != 0)
        return -1;
    if (*path == '/' && path[1]) {
        if (whole_number(path + 1, strlen(path + 1), 0, MC_REDIS_DB_MAX, &value) != 0)
            return bad_url(err, name, display, "the database must be a number (redis://host/2)");
        rc->db = (int)value;
    }
    return 0;
}

int mc_redis_parse_url(const char *name, const char *url, struct mc_redis_config *rc,
                       struct mc_err *err)
{
    char *display = mc_redis_redact(url);
    int result;

    if (!display) {
        mc_err_set(err, "%s: out of memory", name);
        return -1;
    }
    free(rc->display);
    rc->display = display;
    rc->tls.enabled = 0;
    if (strncmp(url, MC_REDIS_SCHEME, strlen(MC_REDIS_SCHEME)) == 0) {
        result = parse_tcp(name, url, strlen(MC_REDIS_SCHEME), display, rc, err);
    } else if (strncmp(url, MC_REDIS_TLS_SCHEME, strlen(MC_REDIS_TLS_SCHEME)) == 0) {
        rc->tls.enabled = 1;
        result = parse_tcp(name, url, strlen(MC_REDIS_TLS_SCHEME), display, rc, err);
    } else if (strncmp(url, MC_UNIX_SCHEME, strlen(MC_UNIX_SCHEME)) == 0) {
        result = parse_unix(name, url, display, rc, err);
    } else {
        result = bad_url(err, name, display, "expected redis://[[user]:password@]host[:port][/db] "
                                             "(rediss:// for TLS) or "
                                             "unix:///path/to/redis.sock[?db=N]");
    }
    return result;
}

/* A positive whole number from name's value, default when unset. */
static int positive(const char *name, const char *value, long deflt, long max, int *out,
                    struct mc_err *err)
{
    long parsed;

    if (!value || !*value) {
        *out = (int)deflt;
        return 0;
    }
    if (whole_number(value, strlen(value), 1, max, &parsed) != 0) {
        mc_err_set(err, "%s: expected a whole number from 1 to %ld", mc_setting(name, value), max);
        return -1;
    }
    *out = (int)parsed;
    return 0;
}

/* 1 if text has no blanks and no control characters. */
static int one_word(const char *text)
{
    size_t i;

    for (i = 0; text[i]; i++) {
        if ((unsigned char)text[i] < 0x21 || text[i] == 0x7f)
            return 0;
    }
    return 1;
}

static int load_host_id(struct mc_redis_config *rc, mc_getenv_fn get, void *ctx,
                        struct mc_err *err)
{
    const char *given = get(MC_ENV_HOST_ID, ctx);
    char name[MC_HOST_ID_MAX + 1];

    if (!given || !*given) {
        if (gethostname(name, sizeof(name)) != 0) {
            mc_err_sys(err, errno, MC_ENV_HOST_ID ": unset, and no hostname");
            return -1;
        }
        name[sizeof(name) - 1] = '\0';
        given = name;
    }
    if (strlen(given) > MC_HOST_ID_MAX) {
        mc_err_set(err, MC_ENV_HOST_ID ": longer than %d bytes", MC_HOST_ID_MAX);
        return -1;
    }
    if (!one_word(given)) {
        mc_err_set(err, MC_ENV_HOST_ID "=%s: no blanks or control characters", given);
        return -1;
    }
    rc->host_id = strdup(given);
    return rc->host_id ? 0 : -1;
}

static int load_host_port(struct mc_redis_config *rc, const char *host, const char *port,
                          struct mc_err *err)
{
    long value = MC_REDIS_DEFAULT_PORT;

    if (port && *port && whole_number(port, strlen(port), 1, MC_PORT_MAX, &value) != 0) {
        mc_err_set(err, MC_ENV_REDIS_PORT "=%s: expected a port from 1 to 65535", port);
        return -1;
    }
    rc->host = strdup(host);
    rc->port = (int)value;
    rc->source = MC_ENV_REDIS_HOST;
    rc->display = rc->host ? mc_concat("redis://", host, ":", port && *port ? port : "6379", NULL)
                           : NULL;
    return rc->host && rc->display ? 0 : -1;
}

int mc_redis_is_ip(const char *host)
{
    unsigned char addr[sizeof(struct in6_addr)];

    return inet_pton(AF_INET, host, addr) == 1 || inet_pton(AF_INET6, host, addr) == 1;
}

int mc_redis_parse_sentinels(const char *value, struct mc_redis_config *rc, struct mc_err *err)
{
    const char *item = value;
    const char *comma;
    const char *p;
    size_t len;
    int count = 1;

    if (strstr(value, "://"))
        return bad_url(err, MC_ENV_REDIS_SENTINEL, value, "expected host:port[,host:port...], "
                       "without a scheme");
    for (p = value; *p; p++)
        count += *p == ',';
    if (count > MC_REDIS_SENTINELS_MAX) {
        mc_err_set(err, MC_ENV_REDIS_SENTINEL "=%s: more than %d sentinels", value,
                   MC_REDIS_SENTINELS_MAX);
        return -1;
    }
    rc->sentinels = calloc((size_t)count, sizeof(*rc->sentinels));
    if (!rc->sentinels)
        return -1;
    for (rc->sentinel_count = 0; rc->sentinel_count < count; rc->sentinel_count++) {
        comma = strchr(item, ',');
        len = comma ? (size_t)(comma - item) : strlen(item);
        if (len == 0)
            return bad_url(err, MC_ENV_REDIS_SENTINEL, value, "an empty entry (expected "
                           "host:port[,host:port...])");
        if (parse_host_port(MC_ENV_REDIS_SENTINEL, value, item, len,
                            MC_REDIS_DEFAULT_SENTINEL_PORT, &rc->sentinels[rc->sentinel_count],
                            err) != 0) {
            rc->sentinel_count++;   /* its host, if any, is freed with the rest */
            return -1;
        }
        item += len + 1;
    }
    return 0;
}

/* MONOCACHE_REDIS_SENTINEL and _MASTER: where the master is found. */
static int load_sentinels(struct mc_redis_config *rc, const char *sentinels, const char *master,
                          struct mc_err *err)
{
    rc->source = MC_ENV_REDIS_SENTINEL;
    if (!master || !*master) {
        mc_err_set(err, MC_ENV_REDIS_SENTINEL "=%s: set " MC_ENV_REDIS_MASTER " too (the "
                   "master's name at the sentinels)", sentinels);
        return -1;
    }
    if (!one_word(master)) {
        mc_err_set(err, MC_ENV_REDIS_MASTER "=%s: no blanks or control characters", master);
        return -1;
    }
    if (mc_redis_parse_sentinels(sentinels, rc, err) != 0)
        return -1;
    rc->master = strdup(master);
    rc->display = mc_concat(MC_SENTINEL_SCHEME, sentinels, "/", master, NULL);
    return rc->master && rc->display ? 0 : -1;
}

/* A file (or, dir_ok, a directory) named by a TLS variable, made absolute:
 * the watcher leaves its starter's working directory, and connects again
 * from there. */
static int load_path(const char *name, const char *value, int dir_ok, char **out, int *is_dir,
                     struct mc_err *err)
{
    struct stat st;

    *out = realpath(value, NULL);
    if (!*out || stat(*out, &st) != 0) {
        mc_err_sys(err, errno, "%s=%s", name, value);
        return -1;
    }
    if (!S_ISREG(st.st_mode) && !(dir_ok && S_ISDIR(st.st_mode))) {
        mc_err_set(err, "%s=%s: not a file%s", name, value, dir_ok ? " or a directory" : "");
        return -1;
    }
    if (is_dir)
        *is_dir = S_ISDIR(st.st_mode);
    return 0;
}

/* The TLS variables: for a rediss:// URL only (set with anything else,
 * they would say TLS where there is none). */
static int load_tls(struct mc_redis_config *rc, mc_getenv_fn get, void *ctx, struct mc_err *err)
{
    static const char *const names[] = { MC_ENV_REDIS_CACERT, MC_ENV_REDIS_CERT,
                                         MC_ENV_REDIS_KEY, MC_ENV_REDIS_SNI };
    const char *cacert = get(MC_ENV_REDIS_CACERT, ctx);
    const char *cert = get(MC_ENV_REDIS_CERT, ctx);
    const char *key = get(MC_ENV_REDIS_KEY, ctx);
    const char *sni = get(MC_ENV_REDIS_SNI, ctx);
    const char *value;
    size_t i;

    for (i = 0; !rc->tls.enabled && i < sizeof(names) / sizeof(names[0]); i++) {
        value = get(names[i], ctx);
        if (!value || !*value)
            continue;
        if (rc->sentinels)
            mc_err_set(err, "%s=%s: TLS with " MC_ENV_REDIS_SENTINEL " is not supported",
                       names[i], value);
        else
            mc_err_set(err, "%s=%s: for TLS only, and %s is not a rediss:// URL", names[i],
                       value, mc_setting(rc->source, rc->display));
        return -1;
    }
    if (!rc->tls.enabled)
        return 0;
    if ((cert && *cert) != (key && *key)) {
        mc_err_set(err, "%s=%s: set %s too (the client's certificate and its key)",
                   cert && *cert ? MC_ENV_REDIS_CERT : MC_ENV_REDIS_KEY,
                   cert && *cert ? cert : key, cert && *cert ? MC_ENV_REDIS_KEY : MC_ENV_REDIS_CERT);
        return -1;
    }
    if ((cacert && *cacert && load_path(MC_ENV_REDIS_CACERT, cacert, 1, &rc->tls.cacert,
                                        &rc->tls.cacert_is_dir, err) != 0) ||
        (cert && *cert && (load_path(MC_ENV_REDIS_CERT, cert, 0, &rc->tls.cert, NULL, err) != 0 ||
                           load_path(MC_ENV_REDIS_KEY, key, 0, &rc->tls.key, NULL, err) != 0)))
        return -1;
    if (sni && *sni) {
        if (strlen(sni) > MC_DNS_NAME_MAX || strspn(sni, "abcdefghijklmnopqrstuvwxyz"
                                                         "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                                         "0123456789.-_:") != strlen(sni)) {
            mc_err_set(err, MC_ENV_REDIS_SNI "=%s: expected a host name (letters, digits, '.', "
                        "'-'), at most %d bytes", sni, MC_DNS_NAME_MAX);
            return -1;
        }
        rc->tls.sni = strdup(sni);
        if (!rc->tls.sni)
            return -1;
    }
    return 0;
}

int mc_redis_config_load(struct mc_redis_config *rc, const char *url_override, mc_getenv_fn get,
                         void *ctx, struct mc_err *err)
{
    const char *url = url_override ? url_override : get(MC_ENV_REDIS, ctx);
    const char *host = url_override ? NULL : get(MC_ENV_REDIS_HOST, ctx);
    const char *port = url_override ? NULL : get(MC_ENV_REDIS_PORT, ctx);
    const char *sentinels = url_override ? NULL : get(MC_ENV_REDIS_SENTINEL, ctx);
    const char *master = url_override ? NULL : get(MC_ENV_REDIS_MASTER, ctx);
    const char *password;
    int rc_code;

    memset(rc, 0, sizeof(*rc));
    if (url && *url && ((host && *host) || (port && *port))) {
        mc_err_set(err, "%s=%s: " MC_ENV_REDIS " is set too, with its own host and port; set "
                   "one or the other", host && *host ? MC_ENV_REDIS_HOST : MC_ENV_REDIS_PORT,
                   host && *host ? host : port);
        return -1;
    }
    if (sentinels && *sentinels && ((url && *url) || (host && *host))) {
        mc_err_set(err, MC_ENV_REDIS_SENTINEL "=%s: %s is set too; the sentinels name the "
                   "master: set one or the other", sentinels,
                   url && *url ? MC_ENV_REDIS : MC_ENV_REDIS_HOST);
        return -1;
    }
    if ((!sentinels || !*sentinels) && master && *master) {
        mc_err_set(err, MC_ENV_REDIS_MASTER "=%s: set " MC_ENV_REDIS_SENTINEL " too (where the "
                   "sentinels are)", master);
        return -1;
    }
    if ((!url || !*url) && (!host || !*host) && port && *port) {
        mc_err_set(err, MC_ENV_REDIS_PORT "=%s: set " MC_ENV_REDIS_HOST " too (or "
                   MC_ENV_REDIS ")", port);
        return -1;
    }
    if ((!url || !*url) && (!host || !*host) && (!sentinels || !*sentinels))
        return 0;
    rc->enabled = 1;
    if (url && *url) {
        rc->source = url_override ? "--redis" : MC_ENV_REDIS;
        rc_code = mc_redis_parse_url(rc->source, url, rc, err);
    } else if (sentinels && *sentinels) {
        rc_code = load_sentinels(rc, sentinels, master, err);
    } else {
        rc_code = load_host_port(rc, host, port, err);
    }
    if (rc_code != 0 || load_tls(rc, get, ctx, err) != 0)
        goto fail;
    password = get(MC_ENV_REDIS_PASSWORD, ctx);
    if (!password || !*password)
        password = get("REDISCLI_AUTH", ctx);
    if (!rc->password && password && *password && !(rc->password = strdup(password)))
        goto fail;
    if (positive(MC_ENV_REDIS_TIMEOUT, get(MC_ENV_REDIS_TIMEOUT, ctx), MC_REDIS_DEFAULT_TIMEOUT_MS,
                 MC_REDIS_TIMEOUT_MAX_MS, &rc->timeout_ms, err) != 0 ||
        positive(MC_ENV_REDIS_LEASE, get(MC_ENV_REDIS_LEASE, ctx), MC_REDIS_DEFAULT_LEASE_S,
                 MC_REDIS_LEASE_MAX_S, &rc->lease_s, err) != 0 ||
        load_host_id(rc, get, ctx, err) != 0)
        goto fail;
    return 0;
fail:
    if (!err->msg[0])
        mc_err_set(err, "%s: out of memory", rc->source ? rc->source : MC_ENV_REDIS);
    mc_redis_config_free(rc);
    return -1;
}

void mc_redis_config_free(struct mc_redis_config *rc)
{
    free(rc->host);
    free(rc->socket_path);
    free(rc->user);
    if (rc->password)
        memset(rc->password, 0, strlen(rc->password));
    free(rc->password);
    free(rc->host_id);
    free(rc->display);
    free(rc->tls.cacert);
    free(rc->tls.cert);
    free(rc->tls.key);
    free(rc->tls.sni);
    while (rc->sentinels && rc->sentinel_count > 0)
        free(rc->sentinels[--rc->sentinel_count].host);
    free(rc->sentinels);
    free(rc->master);
    memset(rc, 0, sizeof(*rc));
}
