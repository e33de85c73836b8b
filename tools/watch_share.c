/* watch_share.c — joining the register, renewing the lease, ending (see
 * watch_share.h). */
#include "watch_share.h"
#include "buf.h"
#include "log.h"
#include "register.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MC_RENEWALS_PER_LEASE 3
#define MC_JOIN_WIPING_TRIES 10
#define MC_JOIN_WIPING_PAUSE_MS 200

static void *renew(void *arg)
{
    struct watch_share *ws = arg;
    long period_ms = (long)ws->rc->lease_s * 1000 / MC_RENEWALS_PER_LEASE;
    struct timespec until;
    struct mc_err err;

    pthread_mutex_lock(&ws->lock);
    while (!ws->stop) {
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += period_ms / 1000;
        until.tv_nsec += (period_ms % 1000) * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        while (!ws->stop && pthread_cond_timedwait(&ws->wake, &ws->lock, &until) != ETIMEDOUT)
            ;
        if (ws->stop)
            break;
        pthread_mutex_unlock(&ws->lock);
        if (mc_register_renew(ws->share.reg, ws->field, &err) != 0)
            mc_log(MC_LOG_WARN, "%s (the lease of this host will run out if Redis stays away)",
                   err.msg);
        pthread_mutex_lock(&ws->lock);
    }
    pthread_mutex_unlock(&ws->lock);
    return NULL;
}

/* MONOCACHE_ON_ERROR=continue: run, but never wipe what cannot be counted. */
static int counted_as_shared(struct watch_share *ws, const char *why)
{
    mc_log_always(MC_LOG_WARN, "%s; the cache will be kept at its end (its users cannot be "
                  "counted)", why);
    ws->share.unknown = 1;
    mc_register_close(ws->share.reg);
    ws->share.reg = NULL;
    return 0;
}

int watch_share_join(struct watch_share *ws, const struct mc_config *cfg,
                     const struct mc_cache *cache, struct mc_err *err)
{
    long long count = 0;
    int tries;
    int rc;

    memset(ws, 0, sizeof(*ws));
    pthread_mutex_init(&ws->lock, NULL);
    pthread_cond_init(&ws->wake, NULL);
    ws->rc = cfg->redis;
    if (!cfg->redis || !cfg->redis->enabled)
        return 0;
    ws->field = mc_concat(cache->path, "/", NULL);
    if (!ws->field) {
        mc_err_set(err, "%s: out of memory", cache->path);
        return -1;
    }
    rc = mc_register_open(cfg->redis, &ws->share.reg, err);
    for (tries = 0; rc == 0 && tries < MC_JOIN_WIPING_TRIES; tries++) {
        rc = mc_register_join(ws->share.reg, ws->field, &count, err);
        if (rc != MC_REGISTER_WIPING)
            break;
        nanosleep(&(struct timespec){ 0, MC_JOIN_WIPING_PAUSE_MS * 1000000L }, NULL);
    }
    if (rc == MC_REGISTER_WIPING) {
        mc_err_set(err, "%s: being wiped by another host", cache->path);
        rc = -1;
    } else if (rc != 0 && cfg->on_error == MC_ON_ERROR_CONTINUE) {
        return counted_as_shared(ws, err->msg);
    }
    if (rc != 0) {
        mc_register_close(ws->share.reg);
        ws->share.reg = NULL;
        return -1;
    }
    ws->share.registered = 1;
    mc_log(MC_LOG_INFO, "cache %s: host %s counted in " MC_REGISTER_KEY " (%lld user(s) now)",
           cache->id, cfg->redis->host_id, count);
    ws->renewing = pthread_create(&ws->renewer, NULL, renew, ws) == 0;
    return 0;
}

void watch_share_leave(struct watch_share *ws)
{
    struct mc_leave left;
    struct mc_err err;

    watch_share_stop_renewing(ws);
    if (ws->share.reg && ws->share.registered &&
        mc_register_leave(ws->share.reg, ws->field, 0, &left, &err) != 0)
        mc_log(MC_LOG_WARN, "%s; its lease will run out", err.msg);
    ws->share.registered = 0;
}

void watch_share_stop_renewing(struct watch_share *ws)
{
    if (!ws->renewing)
        return;
    pthread_mutex_lock(&ws->lock);
    ws->stop = 1;
    pthread_cond_signal(&ws->wake);
    pthread_mutex_unlock(&ws->lock);
    pthread_join(ws->renewer, NULL);
    ws->renewing = 0;
}

void watch_share_end(struct watch_share *ws)
{
    watch_share_stop_renewing(ws);
    pthread_mutex_destroy(&ws->lock);
    pthread_cond_destroy(&ws->wake);
    mc_register_close(ws->share.reg);
    ws->share.reg = NULL;
    free(ws->field);
    ws->field = NULL;
}
