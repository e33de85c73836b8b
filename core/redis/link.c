/* link.c — reaching the server that holds the register (see link.h). */
#include "link.h"
#include "common/setting.h"
#include "hiredis.h"
#include "sentinel.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* A command tried on a second connection at most. */
#define MC_LINK_ATTEMPTS 2
/* MOVED and ASK followed per command, at most (a slot moves once at a time). */
#define MC_LINK_REDIRECTS_MAX 5
#define MC_NODE_LABEL_MAX 320
/* While its slot migrates, a script whose keys are not all on one side gets
 * TRYAGAIN: asked again this often, for as long as the timeout. */
#define MC_LINK_TRYAGAIN_PAUSE_MS 20

struct mc_redis_link {
    const struct mc_redis_config *rc;
    struct mc_redis_conn *conn;
    char *node_host;        /* where the last MOVED sent us, or NULL */
    int node_port;
};

enum redirect {
    NOT_REDIRECTED,
    MOVED,
    ASK,
    READONLY,
    TRYAGAIN
};

static long long now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void forget_node(struct mc_redis_link *link)
{
    free(link->node_host);
    link->node_host = NULL;
}

static int connect_node(const struct mc_redis_config *rc, const char *host, int port,
                        const char *why, struct mc_redis_conn **conn, struct mc_err *err)
{
    char label[MC_NODE_LABEL_MAX];
    const struct mc_redis_addr addr = { host, port, label };

    snprintf(label, sizeof(label), "node %.255s:%d (%s)", host, port, why);
    return mc_redis_connect(rc, &addr, MC_CONN_SETUP, conn, err);
}

/* A connection that works, made now if there is none. */
static int connect_now(struct mc_redis_link *link, struct mc_err *err)
{
    const struct mc_redis_config *rc = link->rc;

    if (link->conn && !mc_redis_broken(link->conn))
        return 0;
    mc_redis_close(link->conn);
    link->conn = NULL;
    if (link->node_host)
        return connect_node(rc, link->node_host, link->node_port, "MOVED", &link->conn, err);
    if (rc->sentinels)
        return mc_sentinel_connect(rc, &link->conn, err);
    return mc_redis_connect(rc, NULL, MC_CONN_SETUP, &link->conn, err);
}

/* A redirection, by the error's first word (the protocol's code): MOVED and
 * ASK with the node they name, "<slot> <host>:<port>" (an empty host: the
 * one we asked). */
static enum redirect redirection(const struct mc_redis_link *link, const redisReply *reply,
                                 char **host, int *port)
{
    const char *text = reply->str;
    const char *where;
    const char *colon;
    enum redirect kind;

    if (strncmp(text, "READONLY ", 9) == 0)
        return READONLY;
    if (strncmp(text, "TRYAGAIN ", 9) == 0)
        return TRYAGAIN;
    if (strncmp(text, "MOVED ", 6) == 0)
        kind = MOVED;
    else if (strncmp(text, "ASK ", 4) == 0)
        kind = ASK;
    else
        return NOT_REDIRECTED;
    where = strchr(text, ' ');                  /* before the slot */
    where = where ? strchr(where + 1, ' ') : NULL;  /* before the node */
    colon = where ? strrchr(where, ':') : NULL;
    if (!colon || atoi(colon + 1) <= 0)
        return NOT_REDIRECTED;
    *port = atoi(colon + 1);
    if (colon > where + 1)
        *host = strndup(where + 1, (size_t)(colon - where - 1));
    else
        *host = strdup(link->node_host ? link->node_host : link->rc->host ? link->rc->host : "");
    return *host && **host ? kind : NOT_REDIRECTED;
}

/* One command on the node an ASK named, after ASKING: its reply. */
static redisReply *ask_there(struct mc_redis_link *link, const char *host, int port, int argc,
                             const char **argv, struct mc_err *err)
{
    const char *asking[] = { "ASKING" };
    struct mc_redis_conn *conn;
    redisReply *reply = NULL;

    if (connect_node(link->rc, host, port, "ASK", &conn, err) != 0)
        return NULL;
    if (mc_redis_command_ok(conn, 1, asking, err) == 0)
        reply = mc_redis_command(conn, argc, argv, err);
    mc_redis_close(conn);
    return reply;
}

int mc_redis_link_open(const struct mc_redis_config *rc, struct mc_redis_link **out,
                       struct mc_err *err)
{
    struct mc_redis_link *link = calloc(1, sizeof(*link));

    *out = NULL;
    if (!link) {
        mc_err_set(err, "%s: out of memory", rc->source);
        return -1;
    }
    link->rc = rc;
    if (connect_now(link, err) != 0) {
        mc_redis_link_close(link);
        return -1;
    }
    *out = link;
    return 0;
}

void mc_redis_link_close(struct mc_redis_link *link)
{
    if (!link)
        return;
    mc_redis_close(link->conn);
    forget_node(link);
    free(link);
}

redisReply *mc_redis_link_command(struct mc_redis_link *link, int argc, const char **argv,
                                  struct mc_err *err)
{
    long long give_up = now_ms() + link->rc->timeout_ms;
    redisReply *reply;
    enum redirect kind;
    int attempts = 0;
    int redirects = 0;
    char *asked = NULL;     /* the node an ASK named, for the next try */
    int asked_port = 0;
    char *host = NULL;
    int port = 0;

    for (;;) {
        if (asked) {
            reply = ask_there(link, asked, asked_port, argc, argv, err);
            free(asked);
            asked = NULL;
            if (!reply)
                return NULL;
        } else if (connect_now(link, err) != 0) {
            if (!link->node_host || ++attempts >= MC_LINK_ATTEMPTS)
                return NULL;
            forget_node(link);      /* that node is gone: ask the configured one */
            continue;
        } else if (!(reply = mc_redis_command(link->conn, argc, argv, err))) {
            if (err->code == MC_ERR_TIMEOUT || ++attempts >= MC_LINK_ATTEMPTS)
                return NULL;
            forget_node(link);
            continue;
        }
        if (reply->type != REDIS_REPLY_ERROR)
            return reply;
        kind = redirection(link, reply, &host, &port);
        if (kind == NOT_REDIRECTED || (kind == READONLY && ++attempts >= MC_LINK_ATTEMPTS) ||
            (kind == TRYAGAIN && now_ms() + MC_LINK_TRYAGAIN_PAUSE_MS > give_up))
            return reply;
        if ((kind == MOVED || kind == ASK) && ++redirects > MC_LINK_REDIRECTS_MAX) {
            mc_err_set(err, "%s: more than %d redirections (the last: %.80s)",
                       mc_setting(link->rc->source, link->rc->display), MC_LINK_REDIRECTS_MAX,
                       reply->str);
            mc_redis_free_reply(reply);
            free(host);
            return NULL;
        }
        mc_redis_free_reply(reply);
        if (kind == TRYAGAIN) {
            nanosleep(&(struct timespec){ 0, MC_LINK_TRYAGAIN_PAUSE_MS * 1000000L }, NULL);
            redirects = 0;      /* from the start: the ASK comes again */
        } else if (kind == ASK) {
            asked = host;
            asked_port = port;
        } else {
            mc_redis_forsake(link->conn);
            forget_node(link);
            if (kind == MOVED) {
                link->node_host = host;
                link->node_port = port;
            }
        }
        host = NULL;
    }
}
