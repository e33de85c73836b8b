/* register.c — the Redis register over hiredis (see register.h). Each
 * operation is one EVAL of a short Lua script, so that it is atomic on the
 * server, and uses the server's clock for leases, so that hosts' clocks need
 * not agree. Every key a script touches is in CACHE_REGISTER's hash slot
 * (ours carry the hash tag {CACHE_REGISTER}), so that a cluster runs it on
 * one node. One link to the server (link.h: connections made again, and
 * redirections followed); a mutex, because the watcher renews its lease
 * from a thread of its own. */
#include "register.h"
#include "conn.h"
#include "common/setting.h"
#include "link.h"
#include "hiredis.h"
#include "common/buf.h"
#include "host/proto.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

/* "{CACHE_REGISTER}": the part of our keys Redis Cluster hashes, the same
 * as the package's key, whose slot it is. */
#define MC_KEY_PREFIX "monocache:{" MC_REGISTER_KEY "}:"
#define MC_LEASES_PREFIX MC_KEY_PREFIX "leases:"
#define MC_WIPING_PREFIX MC_KEY_PREFIX "wiping:"
#define MC_ALIVE_KEY MC_KEY_PREFIX "alive-since"
#define MC_SCAN_COUNT "1000"
#define MC_KEY_MAX 8192

#define MC_MEMBER_TAG_BYTES 8

struct mc_register {
    const struct mc_redis_config *rc;
    struct mc_redis_link *link;
    pthread_mutex_t lock;
    char member[MC_HOST_ID_MAX + 2 * MC_MEMBER_TAG_BYTES + 2];  /* "host#tag" */
};

/* The count in a field must be a whole number as the package writes it
 * (digits, small enough to stay an integer in Lua); a field is checked
 * before any change, so that garbage is reported and left alone. */
#define LUA_CHECK_COUNT \
    "local cur = redis.call('HGET', KEYS[1], ARGV[1]) " \
    "if cur and (not string.match(cur, '^%d+$') or #cur > 15) then " \
    "  return redis.error_reply('MONOCACHE_GARBAGE ' .. cur) end " \
    "local n = tonumber(cur or '0') "
#define LUA_NOW_MS \
    "local t = redis.call('TIME') local now = t[1] * 1000 + math.floor(t[2] / 1000) "
/* Every script starts the register's clock if it has none (or garbage):
 * the time from which it has counted without a loss (a server restarted
 * without its data, or flushed, starts again). KEYS[#KEYS] is that key. */
#define LUA_ALIVE \
    "local since = tonumber(redis.call('GET', KEYS[#KEYS]) or '') " \
    "if not since then since = now redis.call('SET', KEYS[#KEYS], now) end "
/* A count below the number of live monocache users (the hash lost some:
 * eviction, an HDEL, a hand edit) is raised to it: a lease is proof. */
#define LUA_FLOOR_COUNT \
    "local live = redis.call('ZCARD', KEYS[2]) if n < live then n = live end "
#define LUA_STORE_COUNT \
    "if n <= 0 then n = 0 redis.call('HDEL', KEYS[1], ARGV[1]) " \
    "else redis.call('HSET', KEYS[1], ARGV[1], n) end " \
    "if redis.call('ZCARD', KEYS[2]) == 0 then redis.call('DEL', KEYS[2]) end "

/* KEYS: register, leases, wiping, alive. ARGV: field, member, lease ms.
 * A member is one watcher (host id and a random tag): two watchers never
 * share a registration, whatever their host names. */
static const char script_join[] =
    "if redis.call('EXISTS', KEYS[3]) == 1 then return redis.error_reply('MONOCACHE_WIPING') end "
    LUA_CHECK_COUNT LUA_NOW_MS LUA_ALIVE
    "if redis.call('ZADD', KEYS[2], now + tonumber(ARGV[3]), ARGV[2]) == 1 then n = n + 1 end "
    LUA_FLOOR_COUNT
    "redis.call('HSET', KEYS[1], ARGV[1], n) "
    "return n";

/* KEYS: leases, alive. ARGV: member, lease ms. 1 renewed, 0 not registered. */
static const char script_renew[] =
    LUA_NOW_MS LUA_ALIVE
    "if not redis.call('ZSCORE', KEYS[1], ARGV[1]) then return 0 end "
    "redis.call('ZADD', KEYS[1], 'XX', now + tonumber(ARGV[2]), ARGV[1]) return 1";

/* KEYS: register, leases, wiping, alive. ARGV: field, member (or "" for
 * gc and rm, which hold no registration and take none off), claim (1/0),
 * lease ms (also how long the wipe marker lasts: a claim whose answer was
 * lost, or a wiper that died, holds joins back no longer), claimer (who
 * the wipe marker names). Returns {count
 * left, claimed, doubt}: doubt 1 if the member's own registration was
 * gone, 2 if the register has counted for less than a lease (a restart
 * may have lost users who have not renewed yet); with doubt, or any live
 * lease left, the wipe is never given. */
static const char script_leave[] =
    LUA_CHECK_COUNT LUA_NOW_MS LUA_ALIVE
    "local doubt = 0 "
    "if ARGV[2] ~= '' then "
    "  if redis.call('ZREM', KEYS[2], ARGV[2]) == 1 then n = n - 1 else doubt = 1 end "
    "end "
    LUA_FLOOR_COUNT LUA_STORE_COUNT
    "if doubt == 0 and now - since < tonumber(ARGV[4]) then doubt = 2 end "
    "local claimed = 0 "
    "if n == 0 and doubt == 0 and ARGV[3] == '1' and "
    "   redis.call('SET', KEYS[3], ARGV[5], 'NX', 'PX', ARGV[4]) then claimed = 1 end "
    "return {n, claimed, doubt}";

/* KEYS: register, leases, alive. ARGV: field. Returns {count left, expired}. */
static const char script_expire[] =
    LUA_CHECK_COUNT LUA_NOW_MS LUA_ALIVE
    "local gone = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now) "
    "for _, member in ipairs(gone) do redis.call('ZREM', KEYS[2], member) n = n - 1 end "
    LUA_FLOOR_COUNT
    "if n < 0 then n = 0 end "
    "if n ~= tonumber(cur or '0') then " LUA_STORE_COUNT "end "
    "return {n, #gone}";

/* KEYS: register, alive. ARGV: field. The field as it is (checked by the
 * caller), the register's clock started as by every script: a gc that only
 * reads, right after a restart, dates the register as one that changes. */
static const char script_count[] =
    LUA_NOW_MS LUA_ALIVE "return redis.call('HGET', KEYS[1], ARGV[1])";

/* KEYS: wiping. ARGV: host. Drops the marker if it is ours. */
static const char script_wiped[] =
    "if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end return 0";

static void where_failed(struct mc_err *err, const struct mc_redis_config *rc, const char *what,
                         const char *detail)
{
    int auth = detail && (strncmp(detail, "NOAUTH", 6) == 0 || strncmp(detail, "WRONGPASS", 9) == 0);

    mc_err_set(err, "%s: %s%s%s%s", mc_setting(rc->source, rc->display), what, detail ? ": " : "",
               detail ? detail : "",
               auth ? " (the password: in the URL, MONOCACHE_REDIS_PASSWORD or REDISCLI_AUTH)"
                    : "");
}

/* One command on the link, under the lock. */
static redisReply *command(struct mc_register *reg, int argc, const char **argv,
                           struct mc_err *err)
{
    redisReply *reply;

    pthread_mutex_lock(&reg->lock);
    reply = mc_redis_link_command(reg->link, argc, argv, err);
    pthread_mutex_unlock(&reg->lock);
    return reply;
}

/* This process's name in the leases: the host id, for people reading the
 * register, and a random tag, so that no two watchers share one. */
static void name_member(struct mc_register *reg)
{
    unsigned char tag[MC_MEMBER_TAG_BYTES];
    size_t len;
    size_t i;

    if (getrandom(tag, sizeof(tag), 0) != (ssize_t)sizeof(tag)) {
        unsigned long mix = (unsigned long)getpid() * 2654435761UL ^ (unsigned long)time(NULL);

        memcpy(tag, &mix, sizeof(tag) < sizeof(mix) ? sizeof(tag) : sizeof(mix));
    }
    len = (size_t)snprintf(reg->member, sizeof(reg->member), "%s#", reg->rc->host_id);
    for (i = 0; i < sizeof(tag) && len + 2 < sizeof(reg->member); i++, len += 2)
        snprintf(reg->member + len, 3, "%02x", tag[i]);
}

int mc_register_open(const struct mc_redis_config *rc, struct mc_register **out,
                     struct mc_err *err)
{
    struct mc_register *reg = calloc(1, sizeof(*reg));

    *out = NULL;
    if (!reg) {
        mc_err_set(err, "%s: out of memory", rc->source);
        return -1;
    }
    reg->rc = rc;
    pthread_mutex_init(&reg->lock, NULL);
    name_member(reg);
    if (mc_redis_link_open(rc, &reg->link, err) != 0) {
        mc_register_close(reg);
        return -1;
    }
    *out = reg;
    return 0;
}

void mc_register_close(struct mc_register *reg)
{
    if (!reg)
        return;
    mc_redis_link_close(reg->link);
    pthread_mutex_destroy(&reg->lock);
    free(reg);
}

/* "<prefix><field>" in out (size MC_KEY_MAX); -1 if too long. */
static int key_of(char *out, const char *prefix, const char *field)
{
    size_t prefix_len = strlen(prefix);
    size_t field_len = strlen(field);

    if (prefix_len + field_len + 1 > MC_KEY_MAX)
        return -1;
    memcpy(out, prefix, prefix_len);
    memcpy(out + prefix_len, field, field_len + 1);
    return 0;
}

/* Runs a script (argv: "EVAL", script, numkeys, keys..., args...). The
 * reply, or NULL with err filled (a script's own error too). */
static redisReply *eval(struct mc_register *reg, const char *field, int argc, const char **argv,
                        struct mc_err *err)
{
    redisReply *reply = command(reg, argc, argv, err);

    if (reply && reply->type == REDIS_REPLY_ERROR) {
        if (strncmp(reply->str, "MONOCACHE_GARBAGE ", 18) == 0)
            mc_err_set(err, MC_REGISTER_KEY " field %s holds \"%.60s\", not a count; left as "
                       "it is, nothing wiped", field, reply->str + 18);
        else if (strstr(reply->str, "MONOCACHE_WIPING"))
            mc_err_setc(err, MC_ERR_WIPING, "%s: being wiped by another host", field);
        else
            where_failed(err, reg->rc, "refused", reply->str);
        mc_redis_free_reply(reply);
        return NULL;
    }
    return reply;
}

/* The lease in milliseconds, as a script argument. */
static void lease_text(const struct mc_register *reg, char out[24])
{
    snprintf(out, 24, "%lld", (long long)reg->rc->lease_s * 1000);
}

/* An integer from a reply element. */
static long long number_of(const redisReply *reply)
{
    if (reply->type == REDIS_REPLY_INTEGER)
        return reply->integer;
    if (reply->type == REDIS_REPLY_STRING)
        return strtoll(reply->str, NULL, 10);
    return -1;
}

/* A {count, flag} array reply. */
static int pair_of(redisReply *reply, long long *first, int *second, struct mc_err *err,
                   const char *field)
{
    int rc = 0;

    if (reply->type == REDIS_REPLY_ARRAY && reply->elements == 2) {
        *first = number_of(reply->element[0]);
        if (second)
            *second = (int)number_of(reply->element[1]);
    } else {
        mc_err_set(err, "%s: unexpected answer from Redis", field);
        rc = -1;
    }
    mc_redis_free_reply(reply);
    return rc;
}

int mc_register_join(struct mc_register *reg, const char *field, long long *count,
                     struct mc_err *err)
{
    char leases[MC_KEY_MAX];
    char wiping[MC_KEY_MAX];
    char lease_ms[24];
    const char *argv[] = { "EVAL", script_join, "4", MC_REGISTER_KEY, leases, wiping,
                           MC_ALIVE_KEY, field, reg->member, lease_ms };
    redisReply *reply;

    if (key_of(leases, MC_LEASES_PREFIX, field) != 0 || key_of(wiping, MC_WIPING_PREFIX, field) != 0) {
        mc_err_set(err, "%s: path too long for the register", field);
        return -1;
    }
    lease_text(reg, lease_ms);
    mc_err_clear(err);
    reply = eval(reg, field, 10, argv, err);
    if (!reply)
        return err->code == MC_ERR_WIPING ? MC_REGISTER_WIPING : -1;
    *count = number_of(reply);
    mc_redis_free_reply(reply);
    return 0;
}

int mc_register_renew(struct mc_register *reg, const char *field, struct mc_err *err)
{
    char leases[MC_KEY_MAX];
    char lease_ms[24];
    const char *argv[] = { "EVAL", script_renew, "2", leases, MC_ALIVE_KEY, reg->member,
                           lease_ms };
    redisReply *reply;
    long long renewed;
    long long count;

    if (key_of(leases, MC_LEASES_PREFIX, field) != 0) {
        mc_err_set(err, "%s: path too long for the register", field);
        return -1;
    }
    lease_text(reg, lease_ms);
    reply = eval(reg, field, 7, argv, err);
    if (!reply)
        return -1;
    renewed = number_of(reply);
    mc_redis_free_reply(reply);
    if (renewed == 1)
        return 0;
    /* Our lease ran out (we were stopped, or cut off): count us again. */
    return mc_register_join(reg, field, &count, err) == 0 ? 1 : -1;
}

int mc_register_leave(struct mc_register *reg, const char *field, int flags,
                      struct mc_leave *out, struct mc_err *err)
{
    char leases[MC_KEY_MAX];
    char wiping[MC_KEY_MAX];
    char lease_ms[24];
    const char *argv[] = { "EVAL", script_leave, "4", MC_REGISTER_KEY, leases, wiping,
                           MC_ALIVE_KEY, field,
                           flags & MC_LEAVE_REGISTERED ? reg->member : "",
                           flags & MC_LEAVE_CLAIM ? "1" : "0", lease_ms, reg->member };
    redisReply *reply;
    int rc = 0;

    memset(out, 0, sizeof(*out));
    if (key_of(leases, MC_LEASES_PREFIX, field) != 0 || key_of(wiping, MC_WIPING_PREFIX, field) != 0) {
        mc_err_set(err, "%s: path too long for the register", field);
        return -1;
    }
    lease_text(reg, lease_ms);
    reply = eval(reg, field, 12, argv, err);
    if (!reply)
        return -1;
    if (reply->type == REDIS_REPLY_ARRAY && reply->elements == 3) {
        out->remaining = number_of(reply->element[0]);
        out->claimed = number_of(reply->element[1]) == 1;
        out->doubt = (int)number_of(reply->element[2]);
    } else {
        mc_err_set(err, "%s: unexpected answer from Redis", field);
        rc = -1;
    }
    mc_redis_free_reply(reply);
    return rc;
}

int mc_register_wiped(struct mc_register *reg, const char *field, struct mc_err *err)
{
    char wiping[MC_KEY_MAX];
    const char *argv[] = { "EVAL", script_wiped, "1", wiping, reg->member };
    redisReply *reply;

    if (key_of(wiping, MC_WIPING_PREFIX, field) != 0) {
        mc_err_set(err, "%s: path too long for the register", field);
        return -1;
    }
    reply = eval(reg, field, 5, argv, err);
    if (!reply)
        return -1;
    mc_redis_free_reply(reply);
    return 0;
}

int mc_register_expire(struct mc_register *reg, const char *field, long long *remaining,
                       int *expired, struct mc_err *err)
{
    char leases[MC_KEY_MAX];
    const char *argv[] = { "EVAL", script_expire, "3", MC_REGISTER_KEY, leases, MC_ALIVE_KEY,
                           field };
    redisReply *reply;

    if (key_of(leases, MC_LEASES_PREFIX, field) != 0) {
        mc_err_set(err, "%s: path too long for the register", field);
        return -1;
    }
    reply = eval(reg, field, 7, argv, err);
    if (!reply)
        return -1;
    return pair_of(reply, remaining, expired, err, field);
}

/* A field's value as the package writes it (decimal digits), or -1. */
static long long count_of(const char *text)
{
    const char *p;

    if (!*text || strlen(text) > 18)
        return -1;
    for (p = text; *p; p++) {
        if (*p < '0' || *p > '9')
            return -1;
    }
    return strtoll(text, NULL, 10);
}

int mc_register_count(struct mc_register *reg, const char *field, long long *count,
                      struct mc_err *err)
{
    const char *argv[] = { "EVAL", script_count, "2", MC_REGISTER_KEY, MC_ALIVE_KEY, field };
    redisReply *reply = command(reg, 6, argv, err);
    int rc = 0;

    if (!reply)
        return -1;
    if (reply->type == REDIS_REPLY_ERROR) {
        where_failed(err, reg->rc, "refused", reply->str);
        rc = -1;
    } else if (reply->type == REDIS_REPLY_NIL) {
        *count = 0;
    } else if (reply->type == REDIS_REPLY_STRING && count_of(reply->str) >= 0) {
        *count = count_of(reply->str);
    } else {
        mc_err_set(err, MC_REGISTER_KEY " field %s holds \"%.60s\", not a count; left as it "
                   "is, nothing wiped", field,
                   reply->type == REDIS_REPLY_STRING ? reply->str : "?");
        rc = -1;
    }
    mc_redis_free_reply(reply);
    return rc;
}

/* One HSCAN page: the cursor to go on with, fields passed to fn. */
static int scan_page(struct mc_register *reg, char *cursor, size_t cursor_size, const char *match,
                     mc_register_fn fn, void *ctx, struct mc_err *err)
{
    const char *argv[] = { "HSCAN", MC_REGISTER_KEY, cursor, "MATCH", match, "COUNT",
                           MC_SCAN_COUNT };
    redisReply *reply = command(reg, 7, argv, err);
    size_t i;

    if (!reply)
        return -1;
    if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 2 ||
        reply->element[0]->type != REDIS_REPLY_STRING ||
        reply->element[1]->type != REDIS_REPLY_ARRAY) {
        where_failed(err, reg->rc, "unexpected answer to HSCAN",
                     reply->type == REDIS_REPLY_ERROR ? reply->str : NULL);
        mc_redis_free_reply(reply);
        return -1;
    }
    snprintf(cursor, cursor_size, "%s", reply->element[0]->str);
    for (i = 0; i + 1 < reply->element[1]->elements; i += 2) {
        const redisReply *name = reply->element[1]->element[i];
        const redisReply *value = reply->element[1]->element[i + 1];
        long long count = value->type == REDIS_REPLY_STRING ? count_of(value->str) : -1;

        if (name->type == REDIS_REPLY_STRING)
            fn(name->str, count, ctx);
    }
    mc_redis_free_reply(reply);
    return 0;
}

int mc_register_each(struct mc_register *reg, const char *prefix, mc_register_fn fn, void *ctx,
                     struct mc_err *err)
{
    char cursor[32] = "0";
    struct mc_buf match;
    const char *p;
    int rc = 0;

    /* MATCH is a glob: the prefix's own glob characters are escaped. */
    mc_buf_init(&match, MC_KEY_MAX);
    for (p = prefix; *p && rc == 0; p++) {
        if (strchr("*?[]\\\\", *p))
            rc |= mc_buf_add(&match, "\\\\", 1);
        rc |= mc_buf_add(&match, p, 1);
    }
    rc |= mc_buf_addstr(&match, "*");
    if (rc != 0) {
        mc_err_set(err, "%s: path too long for the register", prefix);
        mc_buf_free(&match);
        return -1;
    }
    do {
        rc = scan_page(reg, cursor, sizeof(cursor), mc_buf_str(&match), fn, ctx, err);
    } while (rc == 0 && strcmp(cursor, "0") != 0);
    mc_buf_free(&match);
    return rc;
}
