/* sentinel.c — asking the sentinels for the master (see sentinel.h). */
#include "sentinel.h"
#include "common/setting.h"
#include "hiredis.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* "sentinel <host>:<port>", "master <host>:<port> (named by <sentinel>)" */
#define MC_ADDR_LABEL_MAX 640

/* Where this sentinel says the master is: 0 with host (malloc'd) and
 * port, or -1 with err. */
static int ask(const struct mc_redis_config *rc, const struct mc_redis_node *sentinel,
               const char *label, char **host, int *port, struct mc_err *err)
{
    const struct mc_redis_addr addr = { sentinel->host, sentinel->port, label };
    const char *argv[] = { "SENTINEL", "get-master-addr-by-name", rc->master };
    struct mc_redis_conn *conn;
    redisReply *reply;
    int rc_code = -1;

    if (mc_redis_connect(rc, &addr, MC_CONN_BARE, &conn, err) != 0)
        return -1;
    reply = mc_redis_command(conn, 3, argv, err);
    mc_redis_close(conn);
    if (!reply)
        return -1;
    if (reply->type == REDIS_REPLY_ARRAY && reply->elements == 2 &&
        reply->element[0]->type == REDIS_REPLY_STRING &&
        reply->element[1]->type == REDIS_REPLY_STRING) {
        *host = strdup(reply->element[0]->str);
        *port = atoi(reply->element[1]->str);
        rc_code = *host && *port > 0 ? 0 : -1;
        if (rc_code != 0)
            mc_err_set(err, "%s: %s: out of memory", mc_setting(rc->source, rc->display), label);
    } else {
        mc_err_set(err, "%s: %s: does not know a master named %s (" MC_ENV_REDIS_MASTER
                   ")%s%s", mc_setting(rc->source, rc->display), label, rc->master,
                   reply->type == REDIS_REPLY_ERROR ? ": " : "",
                   reply->type == REDIS_REPLY_ERROR ? reply->str : "");
    }
    mc_redis_free_reply(reply);
    return rc_code;
}

/* 0 if the server of conn says ROLE master, else -1 with err. */
static int is_master(const struct mc_redis_config *rc, struct mc_redis_conn *conn,
                     const char *label, struct mc_err *err)
{
    const char *argv[] = { "ROLE" };
    redisReply *reply = mc_redis_command(conn, 1, argv, err);
    const char *role = "?";
    int rc_code;

    if (!reply)
        return -1;
    if (reply->type == REDIS_REPLY_ARRAY && reply->elements > 0 &&
        reply->element[0]->type == REDIS_REPLY_STRING)
        role = reply->element[0]->str;
    rc_code = strcmp(role, "master") == 0 ? 0 : -1;
    if (rc_code != 0)
        mc_err_set(err, "%s: %s: ROLE is %.40s, not master (a failover under way?)",
                   mc_setting(rc->source, rc->display), label, role);
    mc_redis_free_reply(reply);
    return rc_code;
}

int mc_sentinel_connect(const struct mc_redis_config *rc, struct mc_redis_conn **out,
                        struct mc_err *err)
{
    char sentinel_label[MC_ADDR_LABEL_MAX];
    char master_label[MC_ADDR_LABEL_MAX];
    struct mc_redis_addr master;
    char *host;
    int port;
    int i;

    *out = NULL;
    for (i = 0; i < rc->sentinel_count; i++) {
        snprintf(sentinel_label, sizeof(sentinel_label), "sentinel %.255s:%d", rc->sentinels[i].host,
                 rc->sentinels[i].port);
        if (ask(rc, &rc->sentinels[i], sentinel_label, &host, &port, err) != 0)
            continue;
        snprintf(master_label, sizeof(master_label), "master %.255s:%d (named by %.300s)", host, port,
                 sentinel_label);
        master.host = host;
        master.port = port;
        master.label = master_label;
        if (mc_redis_connect(rc, &master, MC_CONN_SETUP, out, err) == 0 &&
            is_master(rc, *out, master_label, err) != 0) {
            mc_redis_close(*out);
            *out = NULL;
        }
        free(host);
        if (*out)
            return 0;
        if (err->code == MC_ERR_AUTH)
            return -1;      /* the master's answer: another sentinel names the same */
    }
    return -1;
}
